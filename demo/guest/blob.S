/* demo/guest/blob.S — the greeting guest's flat image inside the demo
 * kernel (HELLO_BIN: its path, from mk/demo.mk). */
    .section .rodata
    .balign 16
    .globl hello_guest_start, hello_guest_end
hello_guest_start:
    .incbin HELLO_BIN
hello_guest_end:
    .section .note.GNU-stack,"",@progbits

/* demo/guest/start16.S — real-mode entry of the greeting guest: the demo
 * starts the vCPU at CS:IP = 0000:8000 (linked there by guest.ld). Flat
 * segments, a stack below the image, then C; should it return, halt. */
    .code16
    .section .text.start, "ax"
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7000, %esp
    calll hello_main        /* -m16 code: 4-byte return addresses */
1:  hlt
    jmp 1b
    .section .note.GNU-stack,"",@progbits

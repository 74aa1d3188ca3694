    .code64
    .section .text.start, "ax"
    .globl _start
_start:
    cli
    mov $0x80000, %rsp
    call guest_main
1:  mov $7, %eax            /* HC_DONE */
    vmcall
    hlt
    jmp 1b
    .section .note.GNU-stack,"",@progbits

/* Real-mode entry (CS:IP = 0000:8000, set by the loader or the VMCS). The C
 * body is built with gcc -m16 (32-bit code with operand-size prefixes), so
 * calls push 4-byte return addresses. */
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
    calll guest_main
1:  mov $7, %eax            /* HC_DONE */
    vmcall
    hlt
    jmp 1b
    .section .note.GNU-stack,"",@progbits

/* tests/lib/boot/flat16.S — entry of a flat real-mode image, loaded at
 * 0000:LOAD_ADDR (boot/flat.ld) and entered there. The C code is built
 * with -m16 (32-bit code with operand-size prefixes): calls push 4-byte
 * return addresses and the stack is addressed through ESP, so its upper
 * half must be 0. */
        .section .text.start, "ax"
        .code16
        .globl _start
_start:
        cli
        xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $0x7000, %esp           /* below the image, above the IVT */
        calll   flat_start              /* start.c: does not return */
1:      hlt
        jmp     1b

        .section .note.GNU-stack, "", @progbits

/* tests/lib/boot/flat64.S — entry of a flat 64-bit image (long mode,
 * identity-mapped), loaded at LOAD_ADDR (boot/flat.ld): our own GDT, and
 * CS reloaded from it, so that the IDT's gates (GDT_CODE64) and IRETQ
 * agree with it. */
#include "segments.h"

        .section .text.start, "ax"
        .code64
        .globl _start
_start:
        cli
        lgdt    gdt_desc(%rip)
        mov     $0x80000, %rsp
        pushq   $GDT_CODE64
        lea     1f(%rip), %rax
        push    %rax
        lretq
1:      mov     $GDT_DATA, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        call    flat_start              /* start.c: does not return */
2:      hlt
        jmp     2b

        .section .note.GNU-stack, "", @progbits

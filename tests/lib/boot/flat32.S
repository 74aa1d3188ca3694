/* tests/lib/boot/flat32.S — entry of a flat 32-bit protected-mode image
 * (paging off), loaded at LOAD_ADDR (boot/flat.ld): our own GDT first, as
 * the loader's descriptors are unknown. */
#include "segments.h"

        .section .text.start, "ax"
        .code32
        .globl _start
_start:
        cli
        lgdt    gdt_desc
        ljmp    $GDT_CODE32, $1f
1:      mov     $GDT_DATA, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     $0x80000, %esp
        call    flat_start              /* start.c: does not return */
2:      hlt
        jmp     2b

        .section .note.GNU-stack, "", @progbits

/* tests/diff/lm64.S — entry of the 64-bit part of the differential test
 * kernel (first byte of the blob at LM_BASE): modes.S's enter_long() far
 * jumps here with GDT_CODE64. Own stack; lm.c loads the runtime's IDT. */
#include "segments.h"

        .section .text.start, "ax"
        .code64
        .globl _start
_start:
        mov     $GDT_DATA, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %fs
        mov     %eax, %gs
        mov     %eax, %ss
        lea     lm_stack_top(%rip), %rsp
        call    lm_main
1:      cli
        hlt
        jmp     1b

        .bss
        .balign 16
        .space  0x4000
lm_stack_top:

        .section .note.GNU-stack, "", @progbits

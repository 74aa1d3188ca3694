/* tests/diff/rm16.S — entry of the real-mode part (first byte of the blob
 * at RM_BASE). rm_run() (modes.S) jumps here in 16-bit protected mode
 * (GDT_CODE16) with EBX = where to return in 32-bit code; we leave
 * protected mode, call rm_main() (rm.c) on the real-mode stack and go back
 * with its value in EAX. */
#include "segments.h"

#define RM_STACK 0x7000

        .section .text.start, "ax"
        .code16
        .globl _start
_start:
        mov     $GDT_DATA16, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %fs
        mov     %ax, %gs
        mov     %ax, %ss
        mov     %ebx, rm_return
        mov     %cr0, %eax
        and     $~1, %eax               /* PE off */
        mov     %eax, %cr0
        ljmp    $0, $1f
1:      xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %fs
        mov     %ax, %gs
        mov     %ax, %ss
        mov     $RM_STACK, %esp         /* the -m16 code addresses the stack via ESP */
        calll   rm_main
        cli
        mov     %cr0, %ecx
        or      $1, %ecx                /* PE on; EAX: rm_main's value */
        mov     %ecx, %cr0
        ljmpl   *rm_return

        .balign 4
rm_return:                              /* far pointer: EBX at entry, GDT_CODE32 */
        .long   0
        .word   GDT_CODE32

        .section .note.GNU-stack, "", @progbits

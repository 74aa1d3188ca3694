/* tests/diff/modes.S — the differential kernel's ways between modes, from
 * 32-bit protected mode (tests/lib's GDT, selectors in segments.h):
 *   - run_cpl3(fn): IRET to fn at CPL 3 (IOPL 0) on user_stack; fn ends
 *     with INT 0x80, whose DPL-3 gate (pm.c) is isr_cpl3_exit;
 *   - rm_run(): to the real-mode part (rm16.S at RM_BASE) through a 16-bit
 *     code segment and back; returns what rm_main() returned;
 *   - enter_long(pml4): CR4.PAE, CR3, EFER.LME, CR0.PG, far jump to the
 *     64-bit part (lm_blob_start, linked at LM_BASE).
 */
#include "segments.h"

        .text
        .code32

/* ------------------------------------------------------------- ring 3 */
/* void run_cpl3(void (*fn)(void)) */
        .globl run_cpl3
run_cpl3:
        pushal
        mov     %esp, cpl3_saved_esp
        mov     36(%esp), %ecx
        mov     $GDT_UDATA32, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %fs
        mov     %eax, %gs
        pushl   $GDT_UDATA32            /* SS */
        pushl   $user_stack_top - 4     /* ESP (as after a CALL) */
        pushl   $0x2                    /* EFLAGS: IF=0, IOPL=0 */
        pushl   $GDT_UCODE32            /* CS */
        pushl   %ecx                    /* EIP */
        iret

        .globl isr_cpl3_exit
isr_cpl3_exit:
        mov     $GDT_DATA, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %fs
        mov     %eax, %gs
        mov     cpl3_saved_esp, %esp
        popal
        ret

/* ------------------------------------------------------------ long mode */
/* void enter_long(u32 pml4): does not return. */
        .globl enter_long
enter_long:
        mov     4(%esp), %ebx
        mov     %cr4, %eax
        or      $0x20, %eax             /* PAE */
        mov     %eax, %cr4
        mov     %ebx, %cr3
        mov     $0xc0000080, %ecx       /* EFER.LME */
        rdmsr
        or      $0x100, %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80000000, %eax       /* PG: IA-32e mode active */
        mov     %eax, %cr0
        ljmp    $GDT_CODE64, $lm_blob_start

/* ------------------------------------------------------------ real mode */
/* unsigned rm_run(void): pm.c copied the blob to RM_BASE. */
        .globl rm_run
rm_run:
        pushal
        mov     %esp, rm_saved_esp
        lidt    rm_idtr
        mov     $rm_back32, %ebx        /* rm16.S returns there */
        ljmp    $GDT_CODE16, $RM_BASE

rm_back32:                              /* EAX: rm_main's value */
        mov     $GDT_DATA, %ecx
        mov     %ecx, %ds
        mov     %ecx, %es
        mov     %ecx, %fs
        mov     %ecx, %gs
        mov     %ecx, %ss
        mov     rm_saved_esp, %esp
        lidt    idt_desc                /* tests/lib/trap.c */
        mov     %eax, 28(%esp)          /* pushal's EAX: the return value */
        popal
        ret

/* ----------------------------------------------------------------- data */
        .data
        .balign 4
rm_idtr:                                /* the real-mode IVT */
        .word   0x3ff
        .long   0
cpl3_saved_esp: .long 0
rm_saved_esp:   .long 0

        .bss
        .balign 16
        .globl ring0_stack_top
        .space  0x1000
ring0_stack_top:
        .space  0x1000
user_stack_top:

        .section .note.GNU-stack, "", @progbits

/* tests/fuzzguest/enter.S — runs one generated program in its CPU mode
 * (fuzzguest.h). fuzz_enter(mode), called from the kernel's 32-bit paged
 * protected mode, switches into the mode, loads the program's registers
 * (LCB_IN) and jumps to it. Every program ends with a jump to its mode's
 * exit stub (a fault handler sends it there too after MAX_FAULTS), which
 * stores the registers (LCB_OUT) before it touches a flag, then the
 * control registers, DR6/DR7 and EFER, and goes back through fz_back32:
 * paging and IA-32e mode off, EFER 0, the kernel's IDT, CR4/CR3/CR0 of the
 * runtime, the kernel's stack, return to C.
 *
 * Faults: 32-bit modes and 16-bit protected mode use the kernel's IDT
 * (fuzz.c fuzz_trap); IA-32e modes the 64-bit IDT of fz_stubs64 (fuzz.c
 * fills it) with common64; real mode the IVT at LOW_IVT with the stubs of
 * the blob and rm_common. The asm handlers do what fuzz_trap does: record
 * vector, error code, instruction, CR2 or DR6 and the pushed flags, and
 * resume at the next instruction (faults) or where the CPU left off
 * (traps); a #DB outside the program is ignored, another fault there ends
 * the program with LCB_FATAL set. */
#include "segments.h"
#include "fuzzguest.h"

#define EFER_MSR 0xc0000080
#define BLOB(x) (LOW_BLOB + (x) - fz_blob)

        .text
        .code32
        .globl  fuzz_enter, fz_exit32, fz_exit64, fz_back32

/* void fuzz_enter(u32 mode) */
fuzz_enter:
        push    %ebp
        push    %ebx
        push    %esi
        push    %edi
        mov     %esp, LCB_KSTACK
        mov     20(%esp), %eax
        cmp     $M_REAL, %eax
        je      .Lreal
        cmp     $M_PM16, %eax
        je      .Lpm16
        cmp     $M_PM32NP, %eax
        je      .Lnopg
        cmp     $M_PAE, %eax
        je      .Lpae
        cmp     $M_LONG, %eax
        je      .Lia32e
        cmp     $M_COMPAT, %eax
        je      .Lia32e
        jmp     .Lload32                /* M_PM32: the runtime's own mode */
.Lreal:
        ljmp    $GDT_CODE16, $BLOB(rm_enter16)
.Lpm16:
        ljmp    $GDT_CODE16, $BLOB(pm16_enter)
.Lnopg:
        mov     %cr0, %eax
        and     $0x7fffffff, %eax
        mov     %eax, %cr0
        jmp     .Lload32
.Lpae:
        mov     %cr0, %eax
        and     $0x7fffffff, %eax
        mov     %eax, %cr0
        mov     %cr4, %eax
        or      $0x20, %eax
        mov     %eax, %cr4
        mov     fz_pae_cr3, %eax
        mov     %eax, %cr3
        mov     %cr0, %eax
        or      $0x80000000, %eax
        mov     %eax, %cr0
        jmp     .Lload32
.Lia32e:
        mov     %cr0, %eax
        and     $0x7fffffff, %eax
        mov     %eax, %cr0
        mov     %cr4, %eax
        or      $0x20, %eax
        mov     %eax, %cr4
        mov     fz_long_cr3, %eax
        mov     %eax, %cr3
        mov     $EFER_MSR, %ecx
        rdmsr
        or      $0x100, %eax            /* LME */
        wrmsr
        mov     %cr0, %eax
        or      $0x80000000, %eax
        mov     %eax, %cr0              /* IA-32e, compatibility mode */
        lidt    fz_idt64_desc
        cmpl    $M_LONG, 20(%esp)
        jne     .Lload32
        ljmp    $GDT_CODE64, $fz_enter64
.Lload32:
        mov     LCB_IN + 32, %esp
        pushl   LCB_IN_FL
        popfl
        mov     LCB_IN + 0, %eax
        mov     LCB_IN + 8, %ecx
        mov     LCB_IN + 16, %edx
        mov     LCB_IN + 24, %ebx
        mov     LCB_IN + 40, %ebp
        mov     LCB_IN + 48, %esi
        mov     LCB_IN + 56, %edi
        jmp     *LCB_TARGET

/* The exit of the 32-bit modes (pm32, pm32np, pae, compat). */
fz_exit32:
        mov     %eax, LCB_OUT + 0
        mov     %ecx, LCB_OUT + 8
        mov     %edx, LCB_OUT + 16
        mov     %ebx, LCB_OUT + 24
        mov     %esp, LCB_OUT + 32
        mov     %ebp, LCB_OUT + 40
        mov     %esi, LCB_OUT + 48
        mov     %edi, LCB_OUT + 56
        mov     LCB_KSTACK, %esp
        pushfl
        popl    LCB_OUT_FL
        mov     %fs, LCB_OUT_FS
        mov     %gs, LCB_OUT_GS
/* CR0 CR2 CR3 CR4 DR6 DR7 EFER as the program left them; breakpoints off. */
fz_exit_common32:
        mov     %cr0, %eax
        mov     %eax, LCB_CR0
        mov     %cr2, %eax
        mov     %eax, LCB_CR2
        mov     %cr3, %eax
        mov     %eax, LCB_CR3
        mov     %cr4, %eax
        mov     %eax, LCB_CR4
        mov     %dr6, %eax
        mov     %eax, LCB_DR6
        mov     %dr7, %eax
        mov     %eax, LCB_DR7
        mov     $0x400, %eax
        mov     %eax, %dr7
        mov     $EFER_MSR, %ecx
        rdmsr
        mov     %eax, LCB_EFER
        mov     %edx, LCB_EFER + 4
/* Back to the runtime's mode (32-bit paging), from any protected mode. */
fz_back32:
        mov     $GDT_DATA, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     %eax, %fs
        mov     %eax, %gs
        mov     LCB_KSTACK, %esp
        mov     %cr4, %eax
        and     $~0x20000, %eax         /* PCIDE: CR0.PG cannot be cleared with it */
        mov     %eax, %cr4
        mov     %cr0, %eax
        and     $0x7fffffff, %eax       /* paging off: leaves IA-32e mode */
        mov     %eax, %cr0
        xor     %eax, %eax
        xor     %edx, %edx
        mov     $EFER_MSR, %ecx
        wrmsr
        lidt    idt_desc
        mov     fz_base_cr4, %eax
        mov     %eax, %cr4
        mov     fz_base_cr3, %eax
        mov     %eax, %cr3
        mov     fz_base_cr0, %eax
        mov     %eax, %cr0
        pushl   $2
        popfl
        pop     %edi
        pop     %esi
        pop     %ebx
        pop     %ebp
        ret

/* ------------------------------------------------------------- 64-bit */
        .code64
fz_enter64:
        mov     LCB_IN + 32, %rsp
        pushq   LCB_IN_FL
        popfq
        mov     LCB_IN + 0, %rax
        mov     LCB_IN + 8, %rcx
        mov     LCB_IN + 16, %rdx
        mov     LCB_IN + 24, %rbx
        mov     LCB_IN + 40, %rbp
        mov     LCB_IN + 48, %rsi
        mov     LCB_IN + 56, %rdi
        mov     LCB_IN + 64, %r8
        mov     LCB_IN + 72, %r9
        mov     LCB_IN + 80, %r10
        mov     LCB_IN + 88, %r11
        mov     LCB_IN + 96, %r12
        mov     LCB_IN + 104, %r13
        mov     LCB_IN + 112, %r14
        mov     LCB_IN + 120, %r15
        jmpq    *LCB_TARGET

fz_exit64:
        mov     %rax, LCB_OUT + 0
        mov     %rcx, LCB_OUT + 8
        mov     %rdx, LCB_OUT + 16
        mov     %rbx, LCB_OUT + 24
        mov     %rsp, LCB_OUT + 32
        mov     %rbp, LCB_OUT + 40
        mov     %rsi, LCB_OUT + 48
        mov     %rdi, LCB_OUT + 56
        mov     %r8, LCB_OUT + 64
        mov     %r9, LCB_OUT + 72
        mov     %r10, LCB_OUT + 80
        mov     %r11, LCB_OUT + 88
        mov     %r12, LCB_OUT + 96
        mov     %r13, LCB_OUT + 104
        mov     %r14, LCB_OUT + 112
        mov     %r15, LCB_OUT + 120
        mov     LCB_KSTACK, %esp        /* zero-extends: the kernel's stack */
        pushfq
        popq    LCB_OUT_FL
        mov     %fs, LCB_OUT_FS
        mov     %gs, LCB_OUT_GS
        mov     %cr2, %rax
        shr     $32, %rax
        mov     %eax, LCB_CR2HI
        mov     %cr8, %rax
        mov     %eax, LCB_CR8
        xor     %eax, %eax
        mov     %rax, %cr8
        push    $GDT_CODE32
        mov     $fz_exit_common32, %eax
        push    %rax
        lretq                           /* to compatibility mode */

/* 64-bit IDT stubs: [rsp] vector, error code, RIP, CS, RFLAGS, RSP, SS. */
#define HAS_ERR(n) ((n) == 8 || (n) == 10 || (n) == 11 || (n) == 12 || (n) == 13 || \
                    (n) == 14 || (n) == 17 || (n) == 21 || (n) == 29 || (n) == 30)
        .pushsection .rodata.fz_stubs64, "a"
        .balign 4
        .globl  fz_stubs64
fz_stubs64:
        .popsection
.macro STUB64 n
1:
.if HAS_ERR(\n)
        pushq   $\n
.else
        pushq   $0
        pushq   $\n
.endif
        jmp     common64
        .pushsection .rodata.fz_stubs64, "a"
        .long   1b
        .popsection
.endm
        .altmacro
        .set    vec, 0
        .rept   33                      /* 32: every other vector */
        STUB64  %vec
        .set    vec, vec + 1
        .endr
        .noaltmacro

common64:
        push    %rax
        push    %rbx
        push    %rcx
        push    %rdx
        push    %rsi                    /* 40(%rsp): vector, 48 error, 56 RIP, 72 RFLAGS */
        mov     56(%rsp), %rbx
        sub     $CODE_VA, %rbx
        mov     LCB_LEN, %eax
        cmp     %rax, %rbx
        ja      .L64out
        mov     40(%rsp), %eax
        xor     %edx, %edx              /* extra: CR2 or DR6 */
        xor     %ecx, %ecx              /* 1: a trap (resume where the CPU left off) */
        cmp     $14, %eax
        jne     1f
        mov     %cr2, %rdx
        jmp     3f
1:      cmp     $1, %eax
        jne     2f
        mov     %dr6, %rdx
        bt      $13, %edx               /* BD: general detect is a fault */
        jc      11f
        mov     $1, %ecx
11:     mov     $0xffff0ff0, %esi
        mov     %rsi, %dr6
        jmp     3f
2:      cmp     $3, %eax
        je      4f
        cmp     $4, %eax
        jne     3f
4:      mov     $1, %ecx
3:      cmpl    $0, LCB_NORF
        je      31f
        andl    $~0x10000, 72(%rsp)
31:     mov     LCB_NF, %esi
        cmp     $MAX_FAULTS, %esi
        jae     5f
        imul    $FREC_SIZE, %esi, %esi
        mov     %eax, LCB_FAULTS(%rsi)
        mov     48(%rsp), %eax
        mov     %eax, LCB_FAULTS + 4(%rsi)
        movzbl  IDX_VA(%rbx), %eax
        mov     %eax, LCB_FAULTS + 8(%rsi)
        mov     %edx, LCB_FAULTS + 12(%rsi)
        shr     $32, %rdx
        mov     %edx, LCB_FAULTS + 16(%rsi)
        mov     72(%rsp), %eax
        mov     %eax, LCB_FAULTS + 20(%rsi)
5:      mov     LCB_NF, %esi
        inc     %esi
        mov     %esi, LCB_NF
        cmp     $MAX_FAULTS, %esi
        jb      6f
        mov     LCB_EXIT, %eax
        mov     %rax, 56(%rsp)
        jmp     9f
6:      test    %ecx, %ecx
        jnz     9f
        movzbl  IDX_VA(%rbx), %eax
        movzwl  LCB_STARTS + 2(,%rax,2), %eax
        add     $CODE_VA, %eax
        mov     %rax, 56(%rsp)
9:      pop     %rsi
        pop     %rdx
        pop     %rcx
        pop     %rbx
        pop     %rax
        add     $16, %rsp
        iretq
.L64out:
        cmpl    $1, 40(%rsp)
        je      9b
        mov     40(%rsp), %eax
        inc     %eax
        mov     %eax, LCB_FATAL
        mov     56(%rsp), %eax
        mov     %eax, LCB_FATALIP
        mov     LCB_EXIT, %eax
        mov     %rax, 56(%rsp)
        jmp     9b

/* ------------------------------------------------ the 16-bit blob
 * Copied to LOW_BLOB; runs there with CS base 0, so every absolute
 * address in it is BLOB(label). */
        .section .rodata.fz_blob, "a"
        .code16
        .globl  fz_blob, fz_blob_end, fz_rm_stubs, rm_exit_at, pm16_exit_at
fz_blob:
/* From the runtime: 16-bit protected mode, then real mode. */
rm_enter16:
        mov     $GDT_DATA16, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     %ax, %fs
        mov     %ax, %gs
        lidt    LCB_IVTDESC
        mov     %cr0, %eax
        and     $0x7ffffffe, %eax
        mov     %eax, %cr0
        ljmp    $0, $BLOB(rm_enter_real)
rm_enter_real:
        xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     %ax, %fs
        mov     %ax, %gs
        mov     LCB_IN + 32, %esp
        pushl   LCB_IN_FL
        popfl
        mov     LCB_IN + 0, %eax
        mov     LCB_IN + 8, %ecx
        mov     LCB_IN + 16, %edx
        mov     LCB_IN + 24, %ebx
        mov     LCB_IN + 40, %ebp
        mov     LCB_IN + 48, %esi
        mov     LCB_IN + 56, %edi
        ljmp    $0, $CODE_VA

rm_exit:
        mov     %eax, LCB_OUT + 0
        mov     %ecx, LCB_OUT + 8
        mov     %edx, LCB_OUT + 16
        mov     %ebx, LCB_OUT + 24
        mov     %esp, LCB_OUT + 32
        mov     %ebp, LCB_OUT + 40
        mov     %esi, LCB_OUT + 48
        mov     %edi, LCB_OUT + 56
        pushfl                          /* on the program's stack: no other */
        popl    LCB_OUT_FL
        mov     %fs, LCB_OUT_FS
        mov     %gs, LCB_OUT_GS
        mov     %cr0, %eax
        mov     %eax, LCB_CR0
        mov     %cr2, %eax
        mov     %eax, LCB_CR2
        mov     %cr3, %eax
        mov     %eax, LCB_CR3
        mov     %cr4, %eax
        mov     %eax, LCB_CR4
        mov     %dr6, %eax
        mov     %eax, LCB_DR6
        mov     %dr7, %eax
        mov     %eax, LCB_DR7
        mov     $0x400, %eax
        mov     %eax, %dr7
        mov     $EFER_MSR, %ecx
        rdmsr
        mov     %eax, LCB_EFER
        mov     %edx, LCB_EFER + 4
        mov     LCB_CR0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        ljmpl   $GDT_CODE32, $fz_back32

pm16_enter:
        mov     LCB_IN + 32, %esp
        pushl   LCB_IN_FL
        popfl
        mov     LCB_IN + 0, %eax
        mov     LCB_IN + 8, %ecx
        mov     LCB_IN + 16, %edx
        mov     LCB_IN + 24, %ebx
        mov     LCB_IN + 40, %ebp
        mov     LCB_IN + 48, %esi
        mov     LCB_IN + 56, %edi
        ljmp    $GDT_CODE16, $CODE_VA

pm16_exit:
        mov     %eax, LCB_OUT + 0
        mov     %ecx, LCB_OUT + 8
        mov     %edx, LCB_OUT + 16
        mov     %ebx, LCB_OUT + 24
        mov     %esp, LCB_OUT + 32
        mov     %ebp, LCB_OUT + 40
        mov     %esi, LCB_OUT + 48
        mov     %edi, LCB_OUT + 56
        mov     LCB_KSTACK, %esp
        pushfl
        popl    LCB_OUT_FL
        mov     %fs, LCB_OUT_FS
        mov     %gs, LCB_OUT_GS
        ljmpl   $GDT_CODE32, $fz_exit_common32

/* Real-mode fault handlers: [sp] vector, IP, CS, FLAGS (no error codes). */
rm_common:
        pushal
        mov     %sp, %bp                /* 32(%bp): vector, 34 IP, 38 FLAGS */
        mov     34(%bp), %bx
        sub     $CODE_VA, %bx
        cmp     LCB_LEN, %bx
        ja      .Lrmout
        mov     32(%bp), %ax
        xor     %edx, %edx
        xor     %cx, %cx
        cmp     $1, %ax
        jne     1f
        mov     %dr6, %edx
        bt      $13, %edx
        jc      11f
        mov     $1, %cx
11:     mov     $0xffff0ff0, %esi
        mov     %esi, %dr6
        jmp     3f
1:      cmp     $3, %ax
        je      4f
        cmp     $4, %ax
        jne     3f
4:      mov     $1, %cx
3:      mov     LCB_NF, %si
        cmp     $MAX_FAULTS, %si
        jae     5f
        imul    $FREC_SIZE, %si, %di
        movzwl  %ax, %eax
        mov     %eax, LCB_FAULTS(%di)
        movl    $0, LCB_FAULTS + 4(%di)
        movzbl  IDX_VA(%bx), %eax
        mov     %eax, LCB_FAULTS + 8(%di)
        mov     %edx, LCB_FAULTS + 12(%di)
        movl    $0, LCB_FAULTS + 16(%di)
        movzwl  38(%bp), %eax
        mov     %eax, LCB_FAULTS + 20(%di)
5:      mov     LCB_NF, %si
        inc     %si
        mov     %si, LCB_NF
        cmp     $MAX_FAULTS, %si
        jb      6f
        mov     LCB_EXIT, %ax
        mov     %ax, 34(%bp)
        jmp     9f
6:      test    %cx, %cx
        jnz     9f
        movzbw  IDX_VA(%bx), %si
        add     %si, %si
        mov     LCB_STARTS + 2(%si), %ax
        add     $CODE_VA, %ax
        mov     %ax, 34(%bp)
9:      popal
        add     $2, %sp
        iret
.Lrmout:
        cmpw    $1, 32(%bp)
        je      9b
        mov     32(%bp), %ax
        inc     %ax
        mov     %ax, LCB_FATAL
        mov     34(%bp), %ax
        mov     %ax, LCB_FATALIP
        mov     LCB_EXIT, %ax
        mov     %ax, 34(%bp)
        jmp     9b

rm_stubs:
        .altmacro
        .set    vec, 0
        .rept   33
        .byte   0x6a, vec           /* push imm8 */
        .byte   0xe9                /* jmp rel16 */
        .word   rm_common - (. + 2)
        .set    vec, vec + 1
        .endr
        .noaltmacro
fz_blob_end:
        .balign 2
/* Where the 33 real-mode stubs start (5 bytes each) and the exits. */
fz_rm_stubs:
        .word   BLOB(rm_stubs)
rm_exit_at:
        .word   BLOB(rm_exit)
pm16_exit_at:
        .word   BLOB(pm16_exit)

        .data
        .balign 4
        .globl  fz_base_cr0, fz_base_cr3, fz_base_cr4, fz_pae_cr3, fz_long_cr3, fz_idt64_desc
fz_base_cr0: .long 0
fz_base_cr3: .long 0
fz_base_cr4: .long 0
fz_pae_cr3:  .long 0
fz_long_cr3: .long 0
        .balign 4
        .word   0
fz_idt64_desc:
        .word   256 * 16 - 1
        .long   0

        .section .note.GNU-stack, "", @progbits

/* tests/lib/trap64.S — the 256 IDT stubs of 64-bit images; as trap32.S,
 * with every general register in the frame. The images are built with
 * -mno-red-zone, so the CPU's pushes cannot clobber live data. */
        .text
        .code64

#define HAS_ERR(n) ((n) == 8 || (n) == 10 || (n) == 11 || (n) == 12 || (n) == 13 || \
                    (n) == 14 || (n) == 17 || (n) == 21 || (n) == 29 || (n) == 30)

        .pushsection .rodata.trap_stubs, "a"
        .balign 8
        .globl trap_stubs
trap_stubs:
        .popsection

.macro STUB n
1:
.if HAS_ERR(\n)
        pushq   $\n
.else
        pushq   $0
        pushq   $\n
.endif
        jmp     trap_common
        .pushsection .rodata.trap_stubs, "a"
        .quad   1b
        .popsection
.endm

        .altmacro
        .set    vec, 0
        .rept   256
        STUB    %vec
        .set    vec, vec + 1
        .endr
        .noaltmacro

trap_common:
        push    %rax
        push    %rbx
        push    %rcx
        push    %rdx
        push    %rsi
        push    %rdi
        push    %rbp
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        cld
        mov     %rsp, %rdi              /* struct trap_frame * */
        mov     %rsp, %rbx
        and     $-16, %rsp              /* the ABI's call alignment */
        call    trap_dispatch
        mov     %rbx, %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rbp
        pop     %rdi
        pop     %rsi
        pop     %rdx
        pop     %rcx
        pop     %rbx
        pop     %rax
        add     $16, %rsp               /* vector, error code */
        iretq

        .section .note.GNU-stack, "", @progbits

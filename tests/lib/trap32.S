/* tests/lib/trap32.S — the 256 IDT stubs of 32-bit images: each pushes an
 * error code (unless the CPU did) and its vector, then trap_common saves
 * the registers and calls trap_dispatch (trap.c) with the frame (struct
 * trap_frame), which may change it; IRET returns through it. */
        .text
        .code32

/* Vectors the CPU pushes an error code for (SDM Vol. 3A 6.13). */
#define HAS_ERR(n) ((n) == 8 || (n) == 10 || (n) == 11 || (n) == 12 || (n) == 13 || \
                    (n) == 14 || (n) == 17 || (n) == 21 || (n) == 29 || (n) == 30)

        .pushsection .rodata.trap_stubs, "a"
        .balign 4
        .globl trap_stubs
trap_stubs:
        .popsection

.macro STUB n
1:
.if HAS_ERR(\n)
        pushl   $\n
.else
        pushl   $0
        pushl   $\n
.endif
        jmp     trap_common
        .pushsection .rodata.trap_stubs, "a"
        .long   1b
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
        pushal
        cld
        push    %esp                    /* struct trap_frame * */
        call    trap_dispatch
        add     $4, %esp
        popal
        add     $8, %esp                /* vector, error code */
        iret

        .section .note.GNU-stack, "", @progbits

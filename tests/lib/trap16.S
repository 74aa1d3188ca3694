/* tests/lib/trap16.S — the 256 IVT stubs of real-mode images (code at
 * segment 0, DS = ES = SS = 0, as the -m16 C code assumes). Real mode
 * pushes no error code: every stub pushes 0 and its vector, trap_common
 * saves the 32-bit registers and calls trap_dispatch (trap.c, built -m16:
 * 32-bit calling convention) with the frame. */
        .text
        .code16

        .pushsection .rodata.trap_stubs, "a"
        .balign 2
        .globl trap_stubs
trap_stubs:
        .popsection

.macro STUB n
1:      pushw   $0
        pushw   $\n
        jmp     trap_common
        .pushsection .rodata.trap_stubs, "a"
        .word   1b
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
        movzwl  %sp, %eax
        pushl   %eax                    /* struct trap_frame * (SS = 0) */
        calll   trap_dispatch
        addw    $4, %sp
        popal
        addw    $4, %sp                 /* vector, error code */
        iret

        .section .note.GNU-stack, "", @progbits

/* tests/fuzzguest/enter.S — runs one generated program. fuzz_enter loads
 * the program's registers (fz_in: eax ecx edx ebx esp ebp esi edi eflags)
 * and jumps to it; every program ends with a jump to fuzz_exit (the fault
 * handler sends it there too), which stores the registers in fz_out (plus
 * fs, gs) before it touches a flag or the stack, then returns to C on the
 * kernel's own stack with FS/GS reloaded and DF/IF clear. */
        .text
        .code32
        .globl  fuzz_enter, fuzz_exit

/* void fuzz_enter(const void *code) */
fuzz_enter:
        push    %ebp
        push    %ebx
        push    %esi
        push    %edi
        mov     20(%esp), %eax
        mov     %eax, fz_target
        mov     %esp, fz_kstack
        mov     fz_in + 16, %esp
        pushl   fz_in + 32
        popfl
        mov     fz_in + 0, %eax
        mov     fz_in + 4, %ecx
        mov     fz_in + 8, %edx
        mov     fz_in + 12, %ebx
        mov     fz_in + 20, %ebp
        mov     fz_in + 24, %esi
        mov     fz_in + 28, %edi
        jmp     *fz_target

fuzz_exit:
        mov     %eax, fz_out + 0
        mov     %ecx, fz_out + 4
        mov     %edx, fz_out + 8
        mov     %ebx, fz_out + 12
        mov     %esp, fz_out + 16
        mov     %ebp, fz_out + 20
        mov     %esi, fz_out + 24
        mov     %edi, fz_out + 28
        mov     fz_kstack, %esp
        pushfl
        popl    fz_out + 32
        xor     %eax, %eax
        mov     %fs, %ax
        mov     %eax, fz_out + 36
        mov     %gs, %ax
        mov     %eax, fz_out + 40
        mov     $0x10, %eax
        mov     %eax, %fs
        mov     %eax, %gs
        pushl   $2
        popfl
        pop     %edi
        pop     %esi
        pop     %ebx
        pop     %ebp
        ret

        .data
        .balign 4
        .globl  fz_in, fz_out
fz_in:  .fill   9, 4, 0
fz_out: .fill   11, 4, 0
fz_target: .long 0
fz_kstack: .long 0

        .section .note.GNU-stack, "", @progbits

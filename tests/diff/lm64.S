/* tests/diff/lm64.S — 64-bit side of the differential test kernel: entered
 * by boot32.S's enter_long() with a far jump to 0x28:lm_entry (the first
 * byte of this blob, linked at LM_BASE). Own stack and IDT (lm.c); the
 * exception stubs implement the same "try" mechanism as boot32.S. */
        .section .text.entry, "ax"
        .code64
        .globl lm_entry
lm_entry:
        mov     $0x10, %eax
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

        .text
.macro ISR_NOERR n
isr\n:  pushq   $0
        pushq   $\n
        jmp     isr_common
.endm
.macro ISR_ERR n
isr\n:  pushq   $\n
        jmp     isr_common
.endm
        ISR_NOERR 0
        ISR_NOERR 1
        ISR_NOERR 2
        ISR_NOERR 3
        ISR_NOERR 4
        ISR_NOERR 5
        ISR_NOERR 6
        ISR_NOERR 7
        ISR_ERR   8
        ISR_NOERR 9
        ISR_ERR   10
        ISR_ERR   11
        ISR_ERR   12
        ISR_ERR   13
        ISR_ERR   14
        ISR_NOERR 15
        ISR_NOERR 16
        ISR_ERR   17
        ISR_NOERR 18
        ISR_NOERR 19
        ISR_NOERR 20
        ISR_ERR   21
        ISR_NOERR 22
        ISR_NOERR 23
        ISR_NOERR 24
        ISR_NOERR 25
        ISR_NOERR 26
        ISR_NOERR 27
        ISR_NOERR 28
        ISR_ERR   29
        ISR_ERR   30
        ISR_NOERR 31

/* Stack: vector, error code, RIP, CS, RFLAGS, RSP, SS. */
isr_common:
        push    %rax
        mov     8(%rsp), %rax
        mov     %eax, fault_vec(%rip)
        mov     16(%rsp), %rax
        mov     %eax, fault_err(%rip)
        mov     recover_ip(%rip), %rax
        test    %rax, %rax
        jz      1f
        mov     %rax, 24(%rsp)
        movq    $0, recover_ip(%rip)
        pop     %rax
        add     $16, %rsp
        iretq
1:      mov     8(%rsp), %rdi
        mov     16(%rsp), %rsi
        mov     24(%rsp), %rdx
        and     $-16, %rsp
        call    unexpected_fault64      /* does not return */
2:      cli
        hlt
        jmp     2b

        .data
        .balign 8
        .globl recover_ip, fault_vec, fault_err, isr_table
recover_ip:     .quad 0
fault_vec:      .long 0xffffffff
fault_err:      .long 0
isr_table:
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .quad   isr\n
        .endr

        .bss
        .balign 16
        .space  0x4000
lm_stack_top:

        .section .note.GNU-stack, "", @progbits

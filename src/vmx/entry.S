/* World switch. The one assembly file of the library besides src/hw/hw.h:
 * VMLAUNCH/VMRESUME and the HOST_RSP write must be here because they depend
 * on the exact stack pointer at entry.
 *
 * int x86vcpu__vmx_enter(struct x86vcpu_regs *regs, uint32_t launched)
 *   returns 0 after a VM exit, ENTRY_VMFAIL_INVALID or ENTRY_VMFAIL_VALID.
 * The offsets into struct x86vcpu_regs (REGS_*) and the constants come from
 * vmx/entry.h, where C checks them against the structure.
 */
#include "vmx/entry.h"

    .text
    /* Hidden: internal to the library (the archive exports only the API). */
    .globl x86vcpu__vmx_enter
    .hidden x86vcpu__vmx_enter
    .type x86vcpu__vmx_enter, @function
x86vcpu__vmx_enter:
    /* Callee-saved registers and the host flags (a VM exit clears RFLAGS
     * except bit 1, SDM 28.5.3). */
    pushfq
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rdi                       /* regs pointer: found at (%rsp) on exit */

    /* HOST_RSP must equal %rsp at entry. It only changes when run() is
     * called from a different stack depth, so write it only then. */
    cmp %rsp, REGS_HOST_RSP(%rdi)
    je 1f
    mov %rsp, REGS_HOST_RSP(%rdi)
    mov $ENTRY_VMCS_HOST_RSP, %eax
    vmwrite %rsp, %rax
    incq REGS_HOST_RSP_WRITES(%rdi)
1:
    test %esi, %esi                 /* flags survive the MOVs below */
    mov REGS_RAX(%rdi), %rax
    mov REGS_RCX(%rdi), %rcx
    mov REGS_RDX(%rdi), %rdx
    mov REGS_RBX(%rdi), %rbx
    mov REGS_RBP(%rdi), %rbp
    mov REGS_RSI(%rdi), %rsi
    mov REGS_R8(%rdi), %r8
    mov REGS_R9(%rdi), %r9
    mov REGS_R10(%rdi), %r10
    mov REGS_R11(%rdi), %r11
    mov REGS_R12(%rdi), %r12
    mov REGS_R13(%rdi), %r13
    mov REGS_R14(%rdi), %r14
    mov REGS_R15(%rdi), %r15
    mov REGS_RDI(%rdi), %rdi
    jnz 2f
    vmlaunch
    jmp 3f
2:  vmresume
3:  /* Only reached on VMfail: CF=1 VMfailInvalid, ZF=1 VMfailValid. */
    mov $ENTRY_VMFAIL_VALID, %eax
    jnc 4f
    mov $ENTRY_VMFAIL_INVALID, %eax
4:  pop %rdi
    jmp .Lrestore_host

    .globl x86vcpu__vmx_exit
    .hidden x86vcpu__vmx_exit
    .type x86vcpu__vmx_exit, @function
x86vcpu__vmx_exit:
    /* VM exit: %rsp = HOST_RSP, whose top holds the regs pointer. */
    xchg %rdi, (%rsp)               /* %rdi = regs, (%rsp) = guest RDI */
    mov %rax, REGS_RAX(%rdi)
    mov %rcx, REGS_RCX(%rdi)
    mov %rdx, REGS_RDX(%rdi)
    mov %rbx, REGS_RBX(%rdi)
    mov %rbp, REGS_RBP(%rdi)
    mov %rsi, REGS_RSI(%rdi)
    mov %r8, REGS_R8(%rdi)
    mov %r9, REGS_R9(%rdi)
    mov %r10, REGS_R10(%rdi)
    mov %r11, REGS_R11(%rdi)
    mov %r12, REGS_R12(%rdi)
    mov %r13, REGS_R13(%rdi)
    mov %r14, REGS_R14(%rdi)
    mov %r15, REGS_R15(%rdi)
    popq REGS_RDI(%rdi)
    xor %eax, %eax
.Lrestore_host:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    popfq
    ret
    .size x86vcpu__vmx_enter, . - x86vcpu__vmx_enter

    .section .note.GNU-stack,"",@progbits

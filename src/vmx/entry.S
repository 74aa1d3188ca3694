/* World switch. The one assembly file of the library besides src/hw/hw.h:
 * VMLAUNCH/VMRESUME and the HOST_RSP write must be here because they depend
 * on the exact stack pointer at entry.
 *
 * int x86vcpu__vmx_enter(struct x86vcpu_regs *regs, uint32_t launched)
 *   returns 0 after a VM exit the run loop must see, ENTRY_VMFAIL_INVALID
 *   or ENTRY_VMFAIL_VALID.
 * The VM exit (x86vcpu__vmx_exit, the VMCS host RIP) saves the guest's
 * GPRs and reads the exit reason into regs->exit_reason. A CPUID or
 * IN/OUT exit (the latter for the embedder's port handler) while the run
 * loop allows it (regs->fast_ok: ENTRY_FAST_CPUID, ENTRY_FAST_IO) goes to
 * x86vcpu__vmx_fast_exit(regs) (run.c) or x86vcpu__vmx_fast_io(regs)
 * (io.c) with the host's stack as
 * x86vcpu__vmx_enter left it: when that handles it (returns regs), the
 * guest is entered again from here with VMRESUME, without the return to
 * the run loop and its pushes, pops and checks (issue 15; KVM's
 * EXIT_FASTPATH_REENTER_GUEST likewise); any other exit returns from
 * x86vcpu__vmx_enter. The fast path runs with RFLAGS as the VM exit left
 * them (SDM 28.5.3: all clear but bit 1, so IF = 0, and DF = 0 as the C
 * ABI wants): a host interrupt waits for the next entry, one CPUID; its
 * external-interrupt exit, or the next other exit, restores the host's
 * flags (popfq).
 * The offsets into struct x86vcpu_regs (REGS_*) and the constants come from
 * vmx/entry.h, where C checks them against the structure.
 */
#include "vmx/entry.h"

/* The guest's GPRs from *%rdi, %rdi last. Flags are left as they were. */
.macro load_guest
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
.endm

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
    load_guest
    jnz 2f
    vmlaunch
    jmp .Lvmfail
2:  vmresume
.Lvmfail:
    /* Only reached on VMfail: CF=1 VMfailInvalid, ZF=1 VMfailValid. */
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
    /* HOST_RSP = the caller's 16-byte aligned %rsp - 72 (return address,
     * 8 pushes): after this pop %rsp is 16-byte aligned, as the C ABI
     * wants at the call below. */
    popq REGS_RDI(%rdi)
    mov $ENTRY_VMCS_EXIT_REASON, %eax
    vmread %rax, %rax
    mov %eax, REGS_EXIT_REASON(%rdi)
    cmp $ENTRY_FAST_REASON, %eax    /* CPUID, bit 31 (entry failure) clear */
    jne 6f
    testb $ENTRY_FAST_CPUID, REGS_FAST_OK(%rdi)
    jz .Lslow
    call x86vcpu__vmx_fast_exit     /* its return address where regs was */
7:  test %rax, %rax
    jz .Lslow
    /* Handled: the same VMCS, launched, the same stack (HOST_RSP). */
    mov %rax, %rdi
    push %rdi                       /* the regs pointer at HOST_RSP again */
    load_guest
    vmresume
    jmp .Lvmfail
6:  cmp $ENTRY_FAST_REASON_IO, %eax /* IN/OUT, for the embedder's port handler */
    jne .Lslow
    testb $ENTRY_FAST_IO, REGS_FAST_OK(%rdi)
    jz .Lslow
    call x86vcpu__vmx_fast_io       /* io.c */
    jmp 7b
.Lslow:
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

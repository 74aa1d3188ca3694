/* World switch. The one assembly file of the library besides src/hw/hw.h:
 * VMLAUNCH/VMRESUME and the HOST_RSP write must be here because they depend
 * on the exact stack pointer at entry.
 *
 * int x86vcpu__vmx_enter(struct x86vcpu_regs *regs, uint32_t launched)
 *   returns 0 after a VM exit, 1 on VMfailInvalid, 2 on VMfailValid.
 * Layout of struct x86vcpu_regs (src/vmx/vcpu.h): gpr[16] at 0x00 in
 * x86vcpu_gpr order, host_rsp at 0x80, host_rsp_writes at 0x88.
 */
#define R_RAX 0x00
#define R_RCX 0x08
#define R_RDX 0x10
#define R_RBX 0x18
#define R_RBP 0x28
#define R_RSI 0x30
#define R_RDI 0x38
#define R_R8  0x40
#define R_R9  0x48
#define R_R10 0x50
#define R_R11 0x58
#define R_R12 0x60
#define R_R13 0x68
#define R_R14 0x70
#define R_R15 0x78
#define R_HOST_RSP 0x80
#define R_HOST_RSP_WRITES 0x88
#define VMCS_HOST_RSP 0x6c14

    .text
    .globl x86vcpu__vmx_enter
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
    cmp %rsp, R_HOST_RSP(%rdi)
    je 1f
    mov %rsp, R_HOST_RSP(%rdi)
    mov $VMCS_HOST_RSP, %eax
    vmwrite %rsp, %rax
    incq R_HOST_RSP_WRITES(%rdi)
1:
    test %esi, %esi                 /* flags survive the MOVs below */
    mov R_RAX(%rdi), %rax
    mov R_RCX(%rdi), %rcx
    mov R_RDX(%rdi), %rdx
    mov R_RBX(%rdi), %rbx
    mov R_RBP(%rdi), %rbp
    mov R_RSI(%rdi), %rsi
    mov R_R8(%rdi), %r8
    mov R_R9(%rdi), %r9
    mov R_R10(%rdi), %r10
    mov R_R11(%rdi), %r11
    mov R_R12(%rdi), %r12
    mov R_R13(%rdi), %r13
    mov R_R14(%rdi), %r14
    mov R_R15(%rdi), %r15
    mov R_RDI(%rdi), %rdi
    jnz 2f
    vmlaunch
    jmp 3f
2:  vmresume
3:  /* Only reached on VMfail: CF=1 VMfailInvalid, ZF=1 VMfailValid. */
    mov $2, %eax
    jnc 4f
    mov $1, %eax
4:  pop %rdi
    jmp .Lrestore_host

    .globl x86vcpu__vmx_exit
    .type x86vcpu__vmx_exit, @function
x86vcpu__vmx_exit:
    /* VM exit: %rsp = HOST_RSP, whose top holds the regs pointer. */
    xchg %rdi, (%rsp)               /* %rdi = regs, (%rsp) = guest RDI */
    mov %rax, R_RAX(%rdi)
    mov %rcx, R_RCX(%rdi)
    mov %rdx, R_RDX(%rdi)
    mov %rbx, R_RBX(%rdi)
    mov %rbp, R_RBP(%rdi)
    mov %rsi, R_RSI(%rdi)
    mov %r8, R_R8(%rdi)
    mov %r9, R_R9(%rdi)
    mov %r10, R_R10(%rdi)
    mov %r11, R_R11(%rdi)
    mov %r12, R_R12(%rdi)
    mov %r13, R_R13(%rdi)
    mov %r14, R_R14(%rdi)
    mov %r15, R_R15(%rdi)
    popq R_RDI(%rdi)
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

/* The world switch's interface (entry.S): the register block it loads and
 * saves, and the numbers it uses, defined once here for entry.S and C. Each
 * is checked against what C knows (_Static_assert below), so a change of
 * struct x86vcpu_regs or of a constant cannot leave entry.S behind. This
 * header is included by entry.S: everything C-only is under
 * !__ASSEMBLER__. */
#ifndef X86VCPU_VMX_ENTRY_H
#define X86VCPU_VMX_ENTRY_H

/* struct x86vcpu_regs: gpr[16] in enum x86vcpu_gpr order, 8 bytes each
 * (gpr[RSP], 0x20, is unused: the guest's RSP lives in the VMCS). */
#define REGS_RAX 0x00
#define REGS_RCX 0x08
#define REGS_RDX 0x10
#define REGS_RBX 0x18
#define REGS_RBP 0x28
#define REGS_RSI 0x30
#define REGS_RDI 0x38
#define REGS_R8  0x40
#define REGS_R9  0x48
#define REGS_R10 0x50
#define REGS_R11 0x58
#define REGS_R12 0x60
#define REGS_R13 0x68
#define REGS_R14 0x70
#define REGS_R15 0x78
#define REGS_HOST_RSP        0x80   /* HOST_RSP last written to the VMCS */
#define REGS_HOST_RSP_WRITES 0x88   /* VMWRITEs of HOST_RSP made by entry.S */
#define REGS_EXIT_REASON     0x90   /* the exit reason, read by entry.S */
#define REGS_FAST_OK         0x94   /* the run loop allows the fast path: */
#define ENTRY_FAST_CPUID     1      /*   for a CPUID exit, */
#define ENTRY_FAST_IO        2      /*   for an IN/OUT exit (a port handler) */

/* The VMCS fields entry.S writes and reads (SDM Appendix B.4.4, B.3.2),
 * and the exit reason of its fast path (CPUID, SDM Appendix C). */
#define ENTRY_VMCS_HOST_RSP    0x6c14
#define ENTRY_VMCS_EXIT_REASON 0x4402
#define ENTRY_FAST_REASON      10
#define ENTRY_FAST_REASON_IO   30

/* x86vcpu__vmx_enter's results besides 0 (a VM exit): the VMfail kinds. */
#define ENTRY_VMFAIL_INVALID 1
#define ENTRY_VMFAIL_VALID   2

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>
#include <x86vcpu/exit_reasons.h>
#include "hw/hw.h"

struct x86vcpu_regs {
    uint64_t gpr[16];           /* indexed by enum x86vcpu_gpr */
    uint64_t host_rsp;
    uint64_t host_rsp_writes;
    /* The exit reason entry.S read (the run loop's, uncounted there: the
     * run loop counts it), and whether the run loop allows the fast path
     * (nothing for it to do before an entry). */
    uint32_t exit_reason;
    uint32_t fast_ok;
};

#define X86VCPU_REGS_AT_(reg, off) \
    _Static_assert(offsetof(struct x86vcpu_regs, gpr[X86VCPU_##reg]) == (off), "entry.S: " #reg)
X86VCPU_REGS_AT_(RAX, REGS_RAX);
X86VCPU_REGS_AT_(RCX, REGS_RCX);
X86VCPU_REGS_AT_(RDX, REGS_RDX);
X86VCPU_REGS_AT_(RBX, REGS_RBX);
X86VCPU_REGS_AT_(RBP, REGS_RBP);
X86VCPU_REGS_AT_(RSI, REGS_RSI);
X86VCPU_REGS_AT_(RDI, REGS_RDI);
X86VCPU_REGS_AT_(R8, REGS_R8);
X86VCPU_REGS_AT_(R9, REGS_R9);
X86VCPU_REGS_AT_(R10, REGS_R10);
X86VCPU_REGS_AT_(R11, REGS_R11);
X86VCPU_REGS_AT_(R12, REGS_R12);
X86VCPU_REGS_AT_(R13, REGS_R13);
X86VCPU_REGS_AT_(R14, REGS_R14);
X86VCPU_REGS_AT_(R15, REGS_R15);
#undef X86VCPU_REGS_AT_
_Static_assert(offsetof(struct x86vcpu_regs, host_rsp) == REGS_HOST_RSP, "entry.S: host_rsp");
_Static_assert(offsetof(struct x86vcpu_regs, host_rsp_writes) == REGS_HOST_RSP_WRITES,
               "entry.S: host_rsp_writes");
_Static_assert(offsetof(struct x86vcpu_regs, exit_reason) == REGS_EXIT_REASON,
               "entry.S: exit_reason");
_Static_assert(offsetof(struct x86vcpu_regs, fast_ok) == REGS_FAST_OK, "entry.S: fast_ok");
_Static_assert(X86VCPU_VMCS_HOST_RSP == ENTRY_VMCS_HOST_RSP, "entry.S: HOST_RSP encoding");
_Static_assert(X86VCPU_VMCS_EXIT_REASON == ENTRY_VMCS_EXIT_REASON, "entry.S: EXIT_REASON encoding");
_Static_assert(X86VCPU_EXIT_REASON_CPUID == ENTRY_FAST_REASON, "entry.S: the fast path's reason");
_Static_assert(X86VCPU_EXIT_REASON_IO_INSTRUCTION == ENTRY_FAST_REASON_IO,
               "entry.S: the fast path's I/O reason");

_Static_assert(HW_VM_FAIL_INVALID == ENTRY_VMFAIL_INVALID && HW_VM_FAIL_VALID == ENTRY_VMFAIL_VALID,
               "entry.S: VMfail results");

/* VMLAUNCH (launched = 0) or VMRESUME with the guest's registers from
 * *regs; back here after the VM exit with them saved in *regs. Returns 0
 * after a VM exit, else ENTRY_VMFAIL_INVALID or ENTRY_VMFAIL_VALID (the
 * guest did not run). */
int x86vcpu__vmx_enter(struct x86vcpu_regs *regs, uint32_t launched);
/* HOST_RIP: where the CPU lands on a VM exit (never called). */
void x86vcpu__vmx_exit(void);
/* Called by x86vcpu__vmx_exit for a CPUID exit when regs->fast_ok, the
 * guest's GPRs saved in *regs (run.c): returns regs when it handled the
 * exit completely and the guest is entered again at once (VMRESUME),
 * NULL when x86vcpu__vmx_enter returns to the run loop. */
struct x86vcpu_regs *x86vcpu__vmx_fast_exit(struct x86vcpu_regs *regs);
/* The same for an IN/OUT exit with the embedder's port handler (io.c). */
struct x86vcpu_regs *x86vcpu__vmx_fast_io(struct x86vcpu_regs *regs);
#endif

#endif

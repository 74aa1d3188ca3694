/* Private vCPU record and VMCS access helpers. */
#ifndef X86VCPU_VMX_VCPU_H
#define X86VCPU_VMX_VCPU_H

#include <x86vcpu/x86vcpu.h>
#include <x86vcpu/exit_reasons.h>
#include "hw/hw.h"
#include "lib/logic.h"
#include "vmx/vmx_defs.h"
#include "lib/cpuid_policy.h"
#include "lib/validate.h"
#include "lib/decode.h"

/* Register block shared with entry.S: keep the offsets in sync with it. */
struct x86vcpu_regs {
    uint64_t gpr[16];           /* 0x00: indexed by enum x86vcpu_gpr; [RSP] unused */
    uint64_t host_rsp;          /* 0x80: HOST_RSP last written to the VMCS */
    uint64_t host_rsp_writes;   /* 0x88: VMWRITEs of HOST_RSP made by entry.S */
};

enum vcpu_pending {
    PENDING_NONE = 0,
    PENDING_IO_IN,              /* an IN awaits x86vcpu_complete_io_in */
    PENDING_MSR_READ,           /* awaiting x86vcpu_complete_msr_read/_fault */
    PENDING_MSR_WRITE,          /* awaiting x86vcpu_complete_msr_write/_fault */
    PENDING_MSR_FAULT,          /* the embedder refused the MSR access: #GP(0) */
    PENDING_STRING_IO,          /* an INS/OUTS awaits x86vcpu_complete_string_io */
    PENDING_MMIO,               /* an MMIO access awaits x86vcpu_complete_mmio */
    PENDING_MMIO_WRITE,         /* a read-modify-write's write goes out on the next run */
};

/* Guest MSRs switched at run() boundaries (msr.c): six syscall MSRs and
 * IA32_XSS, the last one. */
#define X86VCPU_SWITCHED_MSRS 7
#define SMSR_XSS (X86VCPU_SWITCHED_MSRS - 1)

struct x86vcpu_vcpu {
    struct x86vcpu_regs regs;   /* first: entry.S gets &regs */
    struct x86vcpu_cpu *owner;  /* CPU record it was created with (HAL, caps) */
    struct x86vcpu_cpu *cpu;    /* where it is bound, or NULL */
    const struct x86vcpu_hal *hal;
    uint64_t self_pa;
    uint64_t vmcs_pa, io_bitmap_a_pa, io_bitmap_b_pa, msr_bitmap_pa;
    struct x86vcpu_setup setup;
    uint32_t have_setup;        /* setup given */
    uint32_t setup_dirty;       /* guest state/controls not yet in the VMCS */
    uint32_t launched;          /* VMCS launch state is "launched" */
    uint32_t pending;           /* enum vcpu_pending */
    uint32_t pending_io_size;
    struct {                    /* the INS/OUTS being completed */
        uint8_t in, rep, df, addr_size, size;
        uint32_t count;
    } strio;
    uint32_t pending_strio_len;
    struct {                    /* the MMIO instruction being emulated (mmio.c) */
        struct x86vcpu_insn insn;
        uint64_t gpa, rip, write_value;
        uint8_t write, mode;
    } mmio;
    /* Event queues: external interrupts (vectors), exceptions and software
     * interrupts (VM-entry interruption info, error code, length, CR2). */
    uint8_t evq[X86VCPU_EVENT_QUEUE];
    uint32_t evq_head, evq_count;
    struct { uint32_t info, err, len; uint64_t cr2; } excq[4];
    uint32_t excq_head, excq_count;
    uint32_t nmi_pending;
    uint32_t injected;          /* ENTRY_INTR_INFO already holds an event */
    uint32_t halt_armed;        /* GUEST_ACTIVITY_STATE may hold HLT (x86vcpu_halt) */
    /* An event whose delivery was cut short by the last VM exit (IDT-
     * vectoring information, SDM 28.2.4): re-injected first, exactly. */
    uint32_t reinject_info, reinject_err, reinject_len;
    uint32_t advance_len;       /* on the next run, RIP = advance_rip + advance_len */
    uint64_t advance_rip;
    uint32_t vm_error;
    uint32_t ctl_pin, ctl_proc, ctl_proc2, ctl_exit, ctl_entry;
    uint64_t cr0_mask, cr4_mask;  /* guest/host masks as written to the VMCS */
    uint64_t cr8;                 /* virtual TPR (CR8-load/store exiting) */
    uint64_t guest_xcr0, host_xcr0, supported_xcr0;
    uint64_t loaded_xcr0;         /* XCR0 in the hardware while the guest's state is loaded */
    uint64_t guest_fpu_pa;        /* the guest's x87/SSE/AVX... (XSAVE area) */
    uint64_t smsr_guest[X86VCPU_SWITCHED_MSRS], smsr_host[X86VCPU_SWITCHED_MSRS]; /* msr.c */
    uint64_t supported_xss;
    uint32_t has_xss;
    uint32_t smsr_active;         /* bit i: smsr_index[i] is switched for this vCPU */
    void *guest_fpu;              /* virtual address of guest_fpu_pa */
    uint32_t smsr_loaded;         /* bit i: the hardware holds the guest's value, != host's */
    uint32_t guest_osxsave;       /* guest CR4.OSXSAVE (host-owned CR4 bit) */
    uint32_t time_slice;
    uint64_t eptp;                /* as written to the VMCS */
    uint16_t vpid;                /* 0: VPID not in use */
    uint16_t vpid_pad[3];
    struct x86vcpu_cpuid_policy cpuid;
    struct x86vcpu_xstate_layout xstate;
    struct x86vcpu_stats stats;
};

_Static_assert(sizeof(struct x86vcpu_vcpu) <= 4096, "vCPU record must fit one frame");

/* entry.S: 0 = VM exit, 1 = VMfailInvalid, 2 = VMfailValid. */
int x86vcpu__vmx_enter(struct x86vcpu_regs *regs, uint32_t launched);
void x86vcpu__vmx_exit(void);

/* Counted VMCS access with the field width checked at compile time. */
#define VMRD(v, w, f) ((v)->stats.vmreads++, hw_vmread(X86VCPU_VMCS_CHECK(X86VCPU_VMCS_##f, X86VCPU_VMCS_##w)))
#define VMWR(v, w, f, x) ((v)->stats.vmwrites++, hw_vmwrite(X86VCPU_VMCS_CHECK(X86VCPU_VMCS_##f, X86VCPU_VMCS_##w), (x)))

/* Checked write for setup/bind: the first failure is remembered. */
int x86vcpu__vmwrite_checked(struct x86vcpu_vcpu *v, uint32_t field, uint64_t val);
#define VMWR_CHK(v, w, f, x) x86vcpu__vmwrite_checked((v), X86VCPU_VMCS_CHECK(X86VCPU_VMCS_##f, X86VCPU_VMCS_##w), (x))

int x86vcpu__write_controls_and_guest(struct x86vcpu_vcpu *v);
/* run.c */
void x86vcpu__skip_current(struct x86vcpu_vcpu *v);
void x86vcpu__guest_cpuid(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                          struct x86vcpu_cpuid_regs *r);
void x86vcpu__guest_cpuid_cr4(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                              uint64_t guest_cr4, struct x86vcpu_cpuid_regs *r);
void x86vcpu__guest_cpuid_static(struct x86vcpu_vcpu *v, uint32_t leaf,
                                 struct x86vcpu_cpuid_regs *r);
/* cr.c */
uint64_t x86vcpu__gpr_read(struct x86vcpu_vcpu *v, unsigned reg);
uint64_t x86vcpu__guest_cr0(struct x86vcpu_vcpu *v);
uint64_t x86vcpu__guest_cr4(struct x86vcpu_vcpu *v);
void x86vcpu__inject_exception(struct x86vcpu_vcpu *v, uint32_t vector, int has_err, uint32_t err);
void x86vcpu__handle_cr_exit(struct x86vcpu_vcpu *v, uint32_t reason);
/* events.c */
/* Returns 1 when the events escalate to a triple fault (shutdown). */
int x86vcpu__deliver_events(struct x86vcpu_vcpu *v);
void x86vcpu__note_idt_vectoring(struct x86vcpu_vcpu *v, uint32_t reason);
void x86vcpu__set_intr_window(struct x86vcpu_vcpu *v, int on);
void x86vcpu__set_nmi_window(struct x86vcpu_vcpu *v, int on);
/* xstate.c */
int x86vcpu__xstate_alloc(struct x86vcpu_cpu *cpu);
void x86vcpu__xstate_guest_init(struct x86vcpu_vcpu *v);
void x86vcpu__xstate_enter(struct x86vcpu_vcpu *v);
void x86vcpu__xstate_exit(struct x86vcpu_vcpu *v);
void x86vcpu__xcr0_update(struct x86vcpu_vcpu *v);
/* ept.c */
int x86vcpu__invept(const struct x86vcpu_caps *caps, uint64_t eptp);
int x86vcpu__ept_is_mmio(const struct x86vcpu_ept *ept, uint64_t gpa);
void *x86vcpu__ept_hva(const struct x86vcpu_ept *ept, uint64_t gpa);
/* mmio.c: 0 = exit for the embedder in *e. */
int x86vcpu__mmio_begin(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);
int x86vcpu__mmio_pending_write(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);
/* msr.c */
int x86vcpu__handle_msr_exit(struct x86vcpu_vcpu *v, uint32_t reason, struct x86vcpu_exit *e);
int x86vcpu__smsr_setup(struct x86vcpu_vcpu *v);
void x86vcpu__smsr_enter(struct x86vcpu_vcpu *v);
void x86vcpu__smsr_exit(struct x86vcpu_vcpu *v);
int x86vcpu__vmfail(struct x86vcpu_vcpu *v, int status);

/* An injecting VM entry must start from the active state unless the event
 * is an external interrupt, NMI, #DB or #MC (SDM 26.3.1.5); a vectoring
 * entry ends active anyway (SDM 26.6.2). One VMWRITE, only after
 * x86vcpu_halt. */
static inline void x86vcpu__wake(struct x86vcpu_vcpu *v)
{
    if (v->halt_armed) {
        VMWR(v, W32, GUEST_ACTIVITY_STATE, 0);
        v->halt_armed = 0;
    }
}

#endif

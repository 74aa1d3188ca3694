/* Private: the vCPU record, VMCS access, completing the exiting instruction,
 * and what the files of src/vmx offer each other (exit handlers first). */
#ifndef X86VCPU_VMX_VCPU_H
#define X86VCPU_VMX_VCPU_H

#include <x86vcpu/x86vcpu.h>
#include <x86vcpu/exit_reasons.h>
#include "hw/hw.h"
#include "lib/logic.h"
#include "vmx/vmx_defs.h"
#include "vmx/entry.h"          /* struct x86vcpu_regs, x86vcpu__vmx_enter */
#include "lib/cpuid_policy.h"
#include "lib/validate.h"
#include "lib/decode.h"
#include "lib/walk.h"
#include "lib/vlapic.h"

enum vcpu_pending {
    PENDING_NONE = 0,
    PENDING_IO_IN,              /* an IN awaits x86vcpu_complete_io_in */
    PENDING_MSR_READ,           /* awaiting x86vcpu_complete_msr_read/_fault */
    PENDING_MSR_WRITE,          /* awaiting x86vcpu_complete_msr_write/_fault */
    PENDING_MSR_FAULT,          /* the embedder refused the MSR access: #GP(0) */
    PENDING_STRING_IO,          /* an INS/OUTS awaits x86vcpu_complete_string_io */
    PENDING_MMIO,               /* an MMIO access awaits x86vcpu_complete_mmio */
    PENDING_MMIO_WRITE,         /* a read-modify-write's write goes out on the next run */
    /* The embedder's port handler runs (io.c port_call): inside run(),
     * where nothing else is ever pending. Here rather than a flag of its
     * own: run() tests pending once already, so refusing a run() from
     * inside the handler costs the common path nothing. */
    PENDING_IN_HANDLER,
};

/* Guest MSRs switched at run() boundaries (msr.c): six syscall MSRs and
 * IA32_XSS, the last one. */
#define X86VCPU_SWITCHED_MSRS 7
#define SMSR_XSS (X86VCPU_SWITCHED_MSRS - 1)
#define SMSR_KGS 4  /* KERNEL_GS_BASE in msr.c's smsr_index */
/* IA32_XSS components a guest may enable (SDM 13.3): those whose state the
 * library switches with the guest's. xstate.c saves with XSAVE, which
 * covers XCR0 (user) components only, so none: every supervisor bit #GPs
 * and CPUID.(0DH,1):ECX/EDX report none. */
#define X86VCPU_XSS_VIRTUALIZED 0ull
/* Exits handled inside one run() when the CPU cannot carry the preemption
 * timer across them (run.c): then a time slice ends the run after these. */
#define X86VCPU_SLICE_MAX_EXITS 1024u

/* A VM (vcpu.c): what its vCPUs share. One HAL frame holds this record
 * and the guest's CPUID table (guest_cpuid.c), which fills the rest of
 * it; the I/O bitmaps A and B and the MSR bitmap are three frames more.
 * Its vCPUs are on a list (CPUID policy changes go to each); nvcpus
 * keeps it alive: x86vcpu_vm_destroy refuses while it has any. */
struct x86vcpu_vm {
    const struct x86vcpu_hal *hal;
    struct x86vcpu_cpu *owner;  /* CPU record it was created with */
    uint64_t self_pa;
    uint64_t io_bitmap_a_pa, io_bitmap_b_pa, msr_bitmap_pa;
    struct x86vcpu_vcpu *vcpus; /* its vCPUs, through vcpu->vm_next */
    uint32_t nvcpus;
    uint32_t is_private;        /* made by x86vcpu_vcpu_create for one vCPU */
    struct x86vcpu_cpuid_table tbl;
};
_Static_assert(sizeof(struct x86vcpu_vm) <= 4096, "VM record and CPUID table: one frame");

struct x86vcpu_vcpu {
    struct x86vcpu_regs regs;   /* first: entry.S gets &regs */
    struct x86vcpu_cpu *owner;  /* CPU record it was created with (HAL, caps) */
    struct x86vcpu_cpu *cpu;    /* where it is bound, or NULL */
    const struct x86vcpu_hal *hal;
    uint64_t self_pa;
    /* The bitmaps are its VM's (copied from it at create). */
    uint64_t vmcs_pa, io_bitmap_a_pa, io_bitmap_b_pa, msr_bitmap_pa;
    struct x86vcpu_vm *vm;
    struct x86vcpu_vcpu *vm_next;   /* the VM's list */
    /* The CPUID table's fast path may serve this vCPU when its VM's table
     * says this (the VM while the table is built, NULL stale), i.e. unless
     * its IA32_MISC_ENABLE[22] limits CPUID.0:EAX (guest_cpuid.c). */
    const void *cpuid_key;
    /* The host CPU's APIC IDs (CPUID 1:EBX[31:24], 0BH:EDX), taken at
     * bind: the guest's CPUID shows them without the virtual LAPIC. */
    uint32_t host_apic_id, host_x2apic_id;
    /* CPUID.80000008H:EAX[7:0] of the CPU, taken at bind: the
     * guest walks, CR and PDPTE checks used to ask the CPU at each exit (a
     * CPUID in root mode is no exit, but costly on hardware). */
    uint32_t host_maxphyaddr;
    /* The CR exits' view of the guest's CPUID (cr.c cr_cpuid): leaves 1
     * and 7.0 (under CR4 = 0) and the CR4 bits they allow, valid while
     * the VM's table build it came from is current and cpuid_key the
     * same (a policy change rebuilds the table; IA32_MISC_ENABLE[22]
     * changes the key). */
    struct {
        uint32_t builds, valid;
        const void *key;
        uint32_t c1, d1, b7, c7, d7;
        uint64_t cr4_allowed;
    } crc;
    /* The last MSR exit's x86vcpu__msr_hidden answer and what it depends
     * on, the MSR and the policy's features (guest_cpuid.c msr_hidden). */
    struct {
        uint32_t msr, features, hidden, valid;
    } msrh;
    struct x86vcpu_setup setup;
    uint32_t have_setup;        /* setup given */
    uint32_t setup_dirty;       /* guest state/controls not yet in the VMCS */
    uint32_t launched;          /* VMCS launch state is "launched" */
    uint32_t pending;           /* enum vcpu_pending */
    uint32_t pending_io_size;
    struct {                    /* the INS/OUTS being completed (io.c) */
        uint8_t in, rep, df, addr_size, size;
        uint32_t count;         /* elements offered to the embedder this exit */
        uint64_t total;         /* elements the instruction has left (RCX) */
        uint32_t len;           /* its length, */
        uint64_t rip;           /* its address: it completes when count is done */
    } strio;
    struct {                    /* the MMIO instruction being emulated (mmio.c) */
        struct x86vcpu_insn insn;
        uint64_t gpa, rip, write_value;
        uint64_t dst_gpa;       /* MOVS/CMPS MMIO -> MMIO: the destination */
        uint64_t first_val;     /* CMPS: the source element, while the destination is read */
        uint8_t write, mode, dst_mmio;
        uint8_t second_read;    /* the next-run access is a read (CMPS), not a write */
        uint8_t outs;           /* OUTS from MMIO: the element then goes to `port` */
        uint8_t ins;            /* INS into MMIO: x86vcpu_complete_io_in's value goes there */
        uint8_t split_n;        /* an access across RAM and MMIO pages: its RAM bytes, */
        uint8_t split_ram_first;/* whether they are the low ones, */
        uint64_t split_lin;     /* and their linear address (the device gets the rest */
        uint64_t split_gpa;     /* at this address) */
        uint16_t port;
        uint8_t half;           /* 16-byte operands (mmio.c): the 8-byte half in flight */
        uint8_t xmm_fill;       /* SSE store: the value comes from the saved XMM state */
        uint64_t wide[2];       /* SSE / CMPXCHG16B: the operand, low half first, */
        uint64_t wide_gpa[2];   /* and where each 8-byte half goes */
    } mmio;
    /* Event queues: external interrupts (vectors), exceptions and software
     * interrupts (VM-entry interruption info, error code, length, CR2). */
    uint8_t evq[X86VCPU_EVENT_QUEUE];
    uint32_t evq_head, evq_count;
    struct { uint32_t info, err, len; uint64_t cr2; } excq[4];
    uint32_t excq_head, excq_count;
    uint32_t nmi_pending;
    uint32_t injected;          /* ENTRY_INTR_INFO already holds an event */
    /* The embedder's INTR line (x86vcpu_set_intr_line; pending NULL: none). */
    struct x86vcpu_intr_line intr_line;
    /* The embedder's port handler (x86vcpu_set_port_handler, io.c): called
     * inside run() (pending is PENDING_IN_HANDLER while it runs);
     * port_answer: its answer + 1
     * on the fast path for an exit the run loop then returns (0: none). */
    x86vcpu_port_fn port_fn;
    void *port_ctx;
    uint8_t port_answer;
    uint32_t port_fast;           /* ENTRY_FAST_IO with a handler, else 0 */
    uint32_t halt_armed;        /* GUEST_ACTIVITY_STATE may hold HLT (x86vcpu_halt) */
    /* An event whose delivery was cut short by the last VM exit (IDT-
     * vectoring information, SDM 28.2.4): re-injected first, exactly. */
    uint32_t reinject_info, reinject_err, reinject_len;
    /* x86vcpu__skip_on_next_run: the next run first completes the exiting
     * instruction, RIP = advance_rip + advance_len (0: nothing to do). */
    uint32_t advance_len;
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
    uint32_t smsr_differ;         /* bit i: active, not KERNEL_GS_BASE, guest's != host's (msr.c) */
    uint32_t guest_osxsave;       /* guest CR4.OSXSAVE (host-owned CR4 bit) */
    /* x86vcpu_vcpu_keep_xstate (xstate.c): run() leaves the guest's
     * extended state and XCR0 loaded (keep); they are now (kept). */
    uint32_t xstate_keep, xstate_kept;
    /* CR2, DR6 and (once the guest used a debug register) DR0-DR3 are the
     * guest's in the hardware while run() goes on (xstate.c, dr.c). */
    uint32_t dr_loaded;           /* guest DR0-3 loaded, MOV DR no longer exits */
    uint64_t guest_dr[4], guest_dr6, guest_cr2;
    uint64_t host_dr[4], host_dr6, host_dr7, host_cr2;
    uint32_t time_slice;
    /* The guest's TSC (tsc.c): scaled by tsc_mult (0: 1.0) plus tsc_offset;
     * its IA32_TSC_ADJUST; the frequencies the embedder gave. */
    uint64_t tsc_offset, tsc_mult, tsc_adjust;
    uint32_t tsc_host_khz, tsc_guest_khz;
    uint64_t eptp;                /* as written to the VMCS */
    uint16_t vpid;                /* 0: VPID not in use */
    uint16_t vpid_pad[3];
    struct x86vcpu_cpuid_policy cpuid;
    struct x86vcpu_xstate_layout xstate;
    struct x86vcpu_stats stats;
    /* The virtual local APIC (lapic.c), when x86vcpu_lapic_enable turned it on. */
    struct x86vcpu__lapic {
        struct x86vcpu_vlapic m;  /* the model (src/lib/vlapic.c) */
        uint64_t page_pa;         /* its register page (virtual-APIC page) */
        uint64_t access_pa;       /* the APIC-access page (0: software path only) */
        uint32_t proc2_avail;     /* APIC controls the CPU gave (PROC2_*) */
        uint32_t eoi_exit[8];     /* EOI-exit bitmap as written (TMR) */
        uint64_t mmio_page;       /* the xAPIC page made an EPT MMIO range, or 1 */
        uint64_t ram_hpa;         /* the RAM it covers, mapped back when it leaves */
        uint32_t ram_perms, ram_mt; /* (perms 0: none) */
        uint32_t access_mapped;   /* the EPT maps the page to access_pa */
        void (*ipi)(void *, struct x86vcpu_vcpu *, const struct x86vcpu_lapic_ipi *);
        void (*eoi)(void *, struct x86vcpu_vcpu *, uint8_t);
        void *ctx;
        uint32_t on, flags;       /* flags: X86VCPU_LAPIC_* of the config */
        uint32_t hw;              /* X86VCPU_LAPIC_HW_* in use */
        uint32_t follow_tsc;      /* tsc_khz/bus_khz follow x86vcpu_set_tsc_khz */
        uint32_t tmr_owned;       /* the preemption timer holds the APIC deadline */
        uint32_t slice_rest;      /* ... and this much time slice is left after it */
        uint32_t tmr_idle;        /* no deadline, no slice: the timer holds its maximum */
        uint32_t tpr_thr;         /* TPR threshold as written */
        uint64_t cr8_seen;        /* v->cr8 as last synced (CR8 exits write v->cr8) */
        /* INIT and SIPI (lapic.c): X86VCPU__MP_* the next run applies, and
         * the SIPI's vector. Written by the sender's delivery (memory only:
         * the target need not be bound), applied by the target's run. */
        uint32_t mp, sipi_vector;
    } lapic;
};

_Static_assert(sizeof(struct x86vcpu_vcpu) <= 4096, "vCPU record must fit one frame");

/* Counted VMCS access with the field width checked at compile time. */
#define VMRD(v, w, f) ((v)->stats.vmreads++, hw_vmread(X86VCPU_VMCS_CHECK(X86VCPU_VMCS_##f, X86VCPU_VMCS_##w)))
#define VMWR(v, w, f, x) ((v)->stats.vmwrites++, hw_vmwrite(X86VCPU_VMCS_CHECK(X86VCPU_VMCS_##f, X86VCPU_VMCS_##w), (x)))

/* Checked write for setup/bind: the first failure is remembered. */
int x86vcpu__vmwrite_checked(struct x86vcpu_vcpu *v, uint32_t field, uint64_t val);
#define VMWR_CHK(v, w, f, x) x86vcpu__vmwrite_checked((v), X86VCPU_VMCS_CHECK(X86VCPU_VMCS_##f, X86VCPU_VMCS_##w), (x))

/* ------------------------------------------ completing the exiting instruction
 * An exit that the library or the embedder handles completes the guest's
 * instruction: RIP moves past it, by the length the CPU reported (SDM
 * 28.2.5), and STI/MOV-SS blocking ends, as it lasts for one instruction
 * only (SDM 25.4.2). Inline: they are on every exit path. */

/* Complete it now, given its RIP and length. */
/* RIP wraps as the CPU's does: at 4 GiB outside 64-bit mode and at 64 KiB
 * in 16-bit code (real mode included), SDM 3.5 / Vol. 1 3.6: a wider RIP
 * fails VM entry (SDM 26.3.1.4). Only an advance that may cross a 64 KiB
 * boundary needs the mode: two VMREADs on that rare path only. len is an
 * instruction's length, at most 15 (SDM Vol. 2 2.3.11), so RIP[15:0] <=
 * 0xfff0 cannot cross one. */
static inline uint64_t x86vcpu__next_rip(struct x86vcpu_vcpu *v, uint64_t rip, uint32_t len)
{
    uint64_t next = rip + len;
    if (__builtin_expect((uint16_t)rip <= 0x10000 - 16, 1))
        return next;
    uint32_t cs_ar = (uint32_t)VMRD(v, W32, GUEST_CS_AR);
    if ((cs_ar & AR_L) && (VMRD(v, W64, GUEST_IA32_EFER) & EFER_LMA))
        return next;
    return (cs_ar & AR_DB) ? (uint32_t)next : (uint16_t)next;
}

/* A completed instruction under RFLAGS.TF (without IA32_DEBUGCTL.BTF)
 * ends in a single-step #DB with DR6.BS (SDM 18.3.1.4). The VM exit the
 * instruction caused does not keep it (SDM Vol. 3C "Saving Non-Register
 * State": pending debug exceptions are saved clear; Bochs 2.7 keeps it,
 * newer Bochs and the CPU do not): mark it pending, and VM entry delivers
 * it before the guest's next instruction ("Delivery of Pending Debug
 * Exceptions after VM Entry"), as KVM's kvm_skip_emulated_instruction
 * does in software. One VMREAD (RFLAGS) on every completed instruction. */
#define X86VCPU_RFLAGS_TF    (1ull << 8)
#define X86VCPU_DEBUGCTL_BTF (1ull << 1)
#define X86VCPU_PENDING_BS   (1ull << 14)
static inline void x86vcpu__step_trap_rflags(struct x86vcpu_vcpu *v, uint64_t rflags)
{
    if (__builtin_expect(!(rflags & X86VCPU_RFLAGS_TF), 1))
        return;
    if (VMRD(v, W64, GUEST_IA32_DEBUGCTL) & X86VCPU_DEBUGCTL_BTF)
        return;
    VMWR(v, WNAT, GUEST_PENDING_DBG_EXCEPTIONS,
         VMRD(v, WNAT, GUEST_PENDING_DBG_EXCEPTIONS) | X86VCPU_PENDING_BS);
}
static inline void x86vcpu__step_trap(struct x86vcpu_vcpu *v)
{
    x86vcpu__step_trap_rflags(v, VMRD(v, WNAT, GUEST_RFLAGS));
}

static inline void x86vcpu__skip_insn(struct x86vcpu_vcpu *v, uint64_t rip, uint32_t len)
{
    VMWR(v, WNAT, GUEST_RIP, x86vcpu__next_rip(v, rip, len));
    uint32_t intr = (uint32_t)VMRD(v, W32, GUEST_INTERRUPTIBILITY);
    if (intr & (INTR_BLOCK_STI | INTR_BLOCK_MOVSS))
        VMWR(v, W32, GUEST_INTERRUPTIBILITY, intr & ~(INTR_BLOCK_STI | INTR_BLOCK_MOVSS));
    x86vcpu__step_trap(v);
}

/* Complete it now: an exit handled inside the library. */
static inline void x86vcpu__skip_current(struct x86vcpu_vcpu *v)
{
    uint64_t rip = VMRD(v, WNAT, GUEST_RIP);
    x86vcpu__skip_insn(v, rip, (uint32_t)VMRD(v, W32, EXIT_INSTR_LEN));
}

/* x86vcpu__skip_current on a fast path (run.c, io.c: an exit handled
 * before the return to the run loop), its common case inline: RIP +
 * length, no 64 KiB wrap possible (x86vcpu__next_rip), no STI/MOV-SS
 * blocking to end, no TF single-step trap (x86vcpu__step_trap), else
 * x86vcpu__fast_skip_rare (run.c). 4 VMREADs (RIP, length,
 * interruptibility, RFLAGS) and the RIP VMWRITE, counted. Returns regs. */
struct x86vcpu_regs *x86vcpu__fast_skip_rare(struct x86vcpu_vcpu *v, uint64_t rip, uint32_t len,
                                             uint32_t intr, uint64_t rflags);
static inline __attribute__((always_inline)) struct x86vcpu_regs *
x86vcpu__fast_complete(struct x86vcpu_vcpu *v)
{
    uint64_t rip = hw_vmread(X86VCPU_VMCS_CHECK(X86VCPU_VMCS_GUEST_RIP, X86VCPU_VMCS_WNAT));
    uint32_t len = (uint32_t)hw_vmread(
        X86VCPU_VMCS_CHECK(X86VCPU_VMCS_EXIT_INSTR_LEN, X86VCPU_VMCS_W32));
    uint32_t intr = (uint32_t)hw_vmread(
        X86VCPU_VMCS_CHECK(X86VCPU_VMCS_GUEST_INTERRUPTIBILITY, X86VCPU_VMCS_W32));
    uint64_t rflags = hw_vmread(X86VCPU_VMCS_CHECK(X86VCPU_VMCS_GUEST_RFLAGS, X86VCPU_VMCS_WNAT));
    v->stats.vmreads += 4;
    if (__builtin_expect((uint16_t)rip > 0x10000 - 16 ||
                             (intr & (INTR_BLOCK_STI | INTR_BLOCK_MOVSS)) ||
                             (rflags & X86VCPU_RFLAGS_TF), 0))
        return x86vcpu__fast_skip_rare(v, rip, len, intr, rflags);
    hw_vmwrite(X86VCPU_VMCS_CHECK(X86VCPU_VMCS_GUEST_RIP, X86VCPU_VMCS_WNAT), rip + len);
    v->stats.vmwrites++;
    return &v->regs;
}

/* Complete it at the start of the next run, after the embedder had its say
 * (an IN's value, a hypercall's result, an MMIO read...): the exit has
 * read RIP and the length already, so no VMREAD then. An instruction that
 * faults instead simply never gets here (or is cancelled: run()). */
static inline void x86vcpu__skip_on_next_run(struct x86vcpu_vcpu *v, uint64_t rip, uint32_t len)
{
    v->advance_rip = rip;
    v->advance_len = len;
}

/* The vCPU's VMCS is the current one of the CPU it is bound to: only then
 * may VMREAD/VMWRITE touch it (SDM 24.11.2). Every public call that
 * accesses the VMCS asks. */
static inline int x86vcpu__bound_here(const struct x86vcpu_vcpu *v)
{
    return v && v->cpu && v->cpu->current == v;
}

/* ------------------------------------------------------------ exit handlers
 * One per basic exit reason the library knows, called by dispatch in run.c,
 * where their contract is. */
int x86vcpu__exit_cpuid(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);       /* guest_cpuid.c */
/* guest_cpuid.c: instructions of hidden features (they exit only then):
 * RDRAND/RDSEED/MONITOR/MWAIT #UD, RDPMC #GP(0). */
int x86vcpu__exit_hidden_ud(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);
int x86vcpu__exit_rdpmc(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);
int x86vcpu__exit_cr_access(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);   /* cr.c */
int x86vcpu__exit_xsetbv(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);      /* cr.c */
int x86vcpu__exit_rdmsr(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);       /* msr.c */
int x86vcpu__exit_wrmsr(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);       /* msr.c */
int x86vcpu__exit_io(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);          /* io.c */
int x86vcpu__exit_dr_access(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);   /* dr.c */
int x86vcpu__exit_task_switch(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e); /* taskswitch.c */
/* An EPT violation in an MMIO range (mmio.c): *e holds the violation. */
int x86vcpu__mmio_begin(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);
/* The write half of a read-modify-write, returned by run without an entry. */
int x86vcpu__mmio_pending_write(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);
/* After the guest's extended state is saved (run): an SSE store's value. */
void x86vcpu__mmio_xmm_fill(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);
/* strio.c: the string engine's register update, shared by INS/OUTS (io.c)
 * and the MMIO string forms (mmio.c): after n elements of `size` bytes
 * RSI and/or RDI step (down with DF) and, under REP, RCX counts down, all
 * under the address size. Returns RCX's new value under it (REP). */
uint64_t x86vcpu__string_advance(struct x86vcpu_vcpu *v, unsigned addr_size, int df,
                                 unsigned size, uint64_t n, int si, int di, int rep);

/* The CPUID exit's common case (guest_cpuid.c, and run.c's fast path): a
 * basic leaf up to the host's maximum without subleaves or dynamic bits
 * (0, 2, 6, 0x16...), its answer in place in the VM's table when it is
 * built for this vCPU's key; NULL: x86vcpu__guest_cpuid answers. */
static inline const struct x86vcpu_cpuid_regs *x86vcpu__cpuid_fast(const struct x86vcpu_vcpu *v,
                                                                   uint32_t leaf)
{
    static const struct x86vcpu_cpuid_regs zero_answer = { 0, 0, 0, 0 };
    const struct x86vcpu_cpuid_table *t = &v->vm->tbl;
    if (t->cpu != v->cpuid_key || leaf > t->max_basic || leaf >= X86VCPU_CPUID_TBL_BASIC)
        return 0;
    const struct x86vcpu_cpuid_leafdesc *d = &t->leaf[leaf];
    if (d->flags)
        return 0;
    return d->n ? &t->ent[d->first] : &zero_answer;
}

/* ------------------------------------------------------------ the rest */
/* vcpu.c */
int x86vcpu__vmfail(struct x86vcpu_vcpu *v, int status);
/* Whether the vCPU is the only one using its MSR bitmap: only then may the
 * library open MSRs in it for state of this vCPU alone (the x2APIC range
 * under "virtualize x2APIC mode", lapic.c; reads of switched MSRs, msr.c);
 * a shared one keeps them exiting (x86vcpu_vcpu_create_in closes them). */
static inline int x86vcpu__msr_bitmap_private(const struct x86vcpu_vcpu *v)
{
    return v->vm->nvcpus == 1;
}
/* Whether a vCPU of v's VM has the virtual LAPIC on: the shared bitmap's
 * x2APIC range is then the library's. */
static inline int x86vcpu__vm_lapic_on(const struct x86vcpu_vcpu *v)
{
    for (const struct x86vcpu_vcpu *w = v->vm->vcpus; w; w = w->vm_next)
        if (w->lapic.on)
            return 1;
    return 0;
}
/* vmcs_setup.c */
int x86vcpu__vmcs_sync(struct x86vcpu_vcpu *v);
/* guest_cpuid.c: the guest's CPUID from its table (lib/cpuid_policy.h,
 * struct x86vcpu_cpuid_table), for a given CR4 (_cr4) or the guest's own
 * (x86vcpu__guest_cpuid: the exit's path); _ref computes it without the
 * table (the table's builder and the tests' reference), _static too, at
 * CR4 = 0, subleaf 0. The table is the VM's (struct x86vcpu_vm): _tbl_init
 * at x86vcpu_vm_create; _cpuid_join gives a vCPU joining a VM its policy
 * (the VM's other vCPUs' one: the policy is per VM). */
void x86vcpu__guest_cpuid_cr4(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                              uint64_t guest_cr4, struct x86vcpu_cpuid_regs *r);
void x86vcpu__guest_cpuid(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                          struct x86vcpu_cpuid_regs *r);
void x86vcpu__guest_cpuid_ref(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                              uint64_t guest_cr4, struct x86vcpu_cpuid_regs *r);
void x86vcpu__guest_cpuid_static(struct x86vcpu_vcpu *v, uint32_t leaf,
                                 struct x86vcpu_cpuid_regs *r);
void x86vcpu__cpuid_tbl_init(struct x86vcpu_vm *vm);
void x86vcpu__cpuid_join(struct x86vcpu_vcpu *v);
int x86vcpu__features_setup(struct x86vcpu_vcpu *v);
int x86vcpu__cpuid_msr_exit(struct x86vcpu_vcpu *v, uint32_t msr, int write, uint64_t val);
/* cr.c */
uint64_t x86vcpu__gpr_read(struct x86vcpu_vcpu *v, unsigned reg);
uint64_t x86vcpu__guest_cr0(struct x86vcpu_vcpu *v);
uint64_t x86vcpu__guest_cr4(struct x86vcpu_vcpu *v);
/* inject.c */
void x86vcpu__inject_exception(struct x86vcpu_vcpu *v, uint32_t vector, int has_err, uint32_t err);
/* Returns 1 when the events escalate to a triple fault (shutdown). */
int x86vcpu__deliver_events(struct x86vcpu_vcpu *v);
void x86vcpu__note_idt_vectoring(struct x86vcpu_vcpu *v);
void x86vcpu__set_intr_window(struct x86vcpu_vcpu *v, int on);
void x86vcpu__set_nmi_window(struct x86vcpu_vcpu *v, int on);
/* Before each entry when an INTR line is set, after x86vcpu__deliver_events
 * and before the virtual APIC's: ack and inject its vector, or arm the
 * interrupt window. */
void x86vcpu__intr_line_entry(struct x86vcpu_vcpu *v);
/* lapic.c (the virtual local APIC; each does nothing unless it is on):
 * the primary controls with it (setup), its VMCS fields, the work before
 * each VM entry (timer, TPR, interrupt delivery, preemption timer), the
 * preemption-timer exit (1: it was the APIC's), its MSRs (-1: not one),
 * an MMIO exit in its xAPIC page (1: handled, the guest goes on), its own
 * exit reasons 43, 44, 45, 56 (1 handled, 0 *e for the embedder or an
 * MMIO access for x86vcpu__lapic_mmio, -1 not its), its frames at destroy. */
uint32_t x86vcpu__lapic_proc(const struct x86vcpu_vcpu *v, uint32_t proc);
uint32_t x86vcpu__lapic_proc2_opt(const struct x86vcpu_vcpu *v);
int x86vcpu__lapic_vmcs_init(struct x86vcpu_vcpu *v);
int x86vcpu__lapic_entry(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);
/* INIT and SIPI (lapic.c): X86VCPU__MP_INIT the INIT's reset is still to
 * do, _WAIT the vCPU waits for a SIPI, _SIPI one came (start it). _mp
 * applies them on the bound vCPU outside the guest-state window of run:
 * the INIT's reset, then with start the SIPI's; 1 with *e the
 * X86VCPU_EXIT_WAIT_SIPI exit while it still waits (no VM entry then).
 * x86vcpu__lapic_entry returns 1 (*e that exit) when one arrived during
 * the run: run returns and applies it. */
#define X86VCPU__MP_INIT 1u
#define X86VCPU__MP_WAIT 2u
#define X86VCPU__MP_SIPI 4u
int x86vcpu__lapic_mp(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e, int start);
int x86vcpu__lapic_preempt_exit(struct x86vcpu_vcpu *v);
int x86vcpu__lapic_msr_exit(struct x86vcpu_vcpu *v, uint32_t msr, int write, uint64_t val);
int x86vcpu__lapic_mmio(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);
int x86vcpu__lapic_exit(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e, uint32_t reason);
void x86vcpu__lapic_destroy(struct x86vcpu_vcpu *v);
/* xstate.c */
int x86vcpu__xstate_alloc(struct x86vcpu_cpu *cpu);
void x86vcpu__xstate_guest_init(struct x86vcpu_vcpu *v);
void x86vcpu__xstate_enter(struct x86vcpu_vcpu *v);
void x86vcpu__xstate_exit(struct x86vcpu_vcpu *v);
void x86vcpu__xcr0_update(struct x86vcpu_vcpu *v);
/* dr.c: the guest's debug registers and CR2 at reset (setup), and the
 * writes of their switch at run() boundaries (xstate.c reads). */
void x86vcpu__dr_reset(struct x86vcpu_vcpu *v);
void x86vcpu__dbg_load_guest(struct x86vcpu_vcpu *v);
void x86vcpu__dbg_load_host(struct x86vcpu_vcpu *v);
/* ept.c */
int x86vcpu__invept(const struct x86vcpu_caps *caps, uint64_t eptp);
int x86vcpu__ept_is_mmio(const struct x86vcpu_ept *ept, uint64_t gpa);
/* Host pointer to the start of the 4 KiB guest-physical page holding gpa
 * when it is mapped with every right in `need` (X86VCPU_EPT_R/W/X); NULL
 * otherwise. *perms, *mt (if given): the entry's rights and memory type. */
void *x86vcpu__ept_page(const struct x86vcpu_ept *ept, uint64_t gpa, uint32_t need,
                        uint32_t *perms, uint32_t *mt);
/* gmem.c: every guest-memory access made on the guest's behalf (walker
 * A/D updates, MMIO fetch and operands, string I/O, PDPTE loads) goes
 * through these: EPT rights checked, page by page. Functions return 0, or
 * -1 with *f (zero it first; may be NULL for gpa_*) saying what the
 * guest gets: x86vcpu__gfault_raise. */
enum { GF_NONE, GF_PF, GF_GP, GF_SS, GF_RETRY, GF_EPT, GF_MMIO };
struct x86vcpu__gfault {
    int kind;          /* GF_* */
    uint32_t err;      /* GF_PF: error code; GF_EPT/GF_MMIO: access (X86VCPU_EPT_R/W/X) */
    uint32_t perms;    /* GF_EPT: the EPT entry's rights */
    int walk;          /* GF_EPT: a guest paging-structure access */
    uint64_t lin, gpa; /* CR2 / guest-linear address; GF_EPT/GF_MMIO: the address */
};
struct x86vcpu__gctx {             /* what a linear access needs, read once */
    struct x86vcpu_vcpu *v;
    struct x86vcpu_walk_ctx w;
    int mode;                       /* 16, 32 or 64 (CS.D/L, IA-32e) */
    int prot;                       /* protected mode (PE = 1, VM = 0) */
};
int x86vcpu__gpa_read(struct x86vcpu_vcpu *v, uint64_t gpa, void *buf, uint32_t len,
                      struct x86vcpu__gfault *f);
int x86vcpu__gpa_write(struct x86vcpu_vcpu *v, uint64_t gpa, const void *buf, uint32_t len,
                       struct x86vcpu__gfault *f);
void x86vcpu__gctx_init(struct x86vcpu_vcpu *v, struct x86vcpu__gctx *g);
/* Segment seg (0 ES .. 5 GS) at offset off for len bytes: linear address,
 * or #GP(0)/#SS(0) on a limit, type or canonical violation. */
int x86vcpu__seg_lin(struct x86vcpu__gctx *g, unsigned seg, uint64_t off, uint32_t len, int write,
                     uint64_t *lin, struct x86vcpu__gfault *f);
int x86vcpu__lin_xlate(struct x86vcpu__gctx *g, uint64_t lin, int access, uint64_t *gpa,
                       struct x86vcpu__gfault *f);
int x86vcpu__lin_read(struct x86vcpu__gctx *g, uint64_t lin, void *buf, uint32_t len, int access,
                      struct x86vcpu__gfault *f);
int x86vcpu__lin_write(struct x86vcpu__gctx *g, uint64_t lin, const void *buf, uint32_t len,
                       struct x86vcpu__gfault *f);
/* Queue the guest's #PF/#GP/#SS (or nothing: retry) and return 1; for an
 * EPT access fault fill *e as the EPT-violation exit and return 0. */
int x86vcpu__gfault_raise(struct x86vcpu_vcpu *v, const struct x86vcpu__gfault *f,
                          struct x86vcpu_exit *e);
/* tsc.c: controls to ask for, VMCS fields at setup, IA32_TSC/TSC_ADJUST
 * exits (-1 not theirs, 0 done, else a vector), intercepts forced, CPUID. */
uint32_t x86vcpu__tsc_proc_opt(const struct x86vcpu_vcpu *v);
uint32_t x86vcpu__tsc_proc2_opt(const struct x86vcpu_vcpu *v);
int x86vcpu__tsc_vmcs_init(struct x86vcpu_vcpu *v);
int x86vcpu__tsc_msr(struct x86vcpu_vcpu *v, uint32_t msr, int write, uint64_t *val);
void x86vcpu__tsc_intercept_filter(uint32_t msr, int *read, int *write);
void x86vcpu__tsc_cpuid_apply(struct x86vcpu_vcpu *v, uint32_t leaf, struct x86vcpu_cpuid_regs *r);
/* msr.c */
int x86vcpu__smsr_setup(struct x86vcpu_vcpu *v);
void x86vcpu__smsr_enter(struct x86vcpu_vcpu *v);
void x86vcpu__smsr_exit(struct x86vcpu_vcpu *v);
void x86vcpu__smsr_host_capture(struct x86vcpu_vcpu *v);
/* The MSR bitmap became shared (vcpu.c): reads of the switched MSRs exit. */
void x86vcpu__smsr_bitmap_shared(void *msr_bitmap);

/* Exits that can happen while the CPU delivers an event through the IDT
 * (SDM 28.2.4): only these carry IDT-vectoring information, so only these
 * pay for reading it (x86vcpu__note_idt_vectoring). Inline: every exit
 * asks. */
static inline int x86vcpu__exit_may_interrupt_delivery(uint32_t reason)
{
    switch (reason) {
    case X86VCPU_EXIT_REASON_EXCEPTION_NMI:
    case X86VCPU_EXIT_REASON_TRIPLE_FAULT:
    case X86VCPU_EXIT_REASON_TASK_SWITCH:
    case X86VCPU_EXIT_REASON_APIC_ACCESS:
    case X86VCPU_EXIT_REASON_EPT_VIOLATION:
    case X86VCPU_EXIT_REASON_EPT_MISCONFIG:
    case X86VCPU_EXIT_REASON_PML_FULL:
        return 1;
    default:
        return 0;
    }
}

/* An injecting VM entry must start from the active state unless the event
 * is an external interrupt, NMI, #DB or #MC (SDM 26.3.1.5); a vectoring
 * entry ends active anyway (SDM 26.6.2). One VMWRITE, only after
 * x86vcpu_halt. */
static inline void x86vcpu__wake(struct x86vcpu_vcpu *v)
{
    if (v->halt_armed) {
        VMWR(v, W32, GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
        v->halt_armed = 0;
    }
}

#endif

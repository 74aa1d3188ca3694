/* The run loop and VM-exit dispatch (DESIGN.md "One VM exit, end to end").
 * Each exit reads only the VMCS fields it needs; reads are counted in the
 * vCPU statistics. */
#include "vmx/vcpu.h"
#include "lib/bitmap.h"

/* Complete the exiting instruction: RIP += the length the CPU reported
 * (SDM 28.2.5), and end any STI/MOV-SS blocking, which lasts for one
 * instruction only (SDM 25.4.2). */
static void skip_instruction(struct x86vcpu_vcpu *v, uint64_t rip, uint32_t len)
{
    VMWR(v, WNAT, GUEST_RIP, rip + len);
    uint32_t intr = (uint32_t)VMRD(v, W32, GUEST_INTERRUPTIBILITY);
    if (intr & (INTR_BLOCK_STI | INTR_BLOCK_MOVSS))
        VMWR(v, W32, GUEST_INTERRUPTIBILITY, intr & ~(INTR_BLOCK_STI | INTR_BLOCK_MOVSS));
}

/* The guest's view of one CPUID leaf: the host's answer through the
 * vCPU's policy (VMX hidden, hypervisor leaves, OSXSAVE and leaf 0xD from
 * the guest's CR4 and XCR0, the embedder's overrides). */
void x86vcpu__guest_cpuid_cr4(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                              uint64_t guest_cr4, struct x86vcpu_cpuid_regs *r)
{
    struct hw_cpuid h = { 0, 0, 0, 0 };
    const struct x86vcpu_xstate_layout *layout = &v->xstate;
    if (leaf == 0xd && v->cpu->xsave_size && v->guest_xcr0 != v->loaded_xcr0) {
        /* Leaf 0xD describes the XCR0 in force: ask the CPU itself under
         * the guest's XCR0 (exact on any CPU), rather than computing it. */
        hw_xsetbv(0, v->guest_xcr0);
        h = hw_cpuid(leaf, subleaf);
        hw_xsetbv(0, v->loaded_xcr0);
        layout = 0;
    } else if (!x86vcpu_cpuid_is_hv_leaf(leaf)) {
        h = hw_cpuid(leaf, subleaf);
        if (leaf == 0xd && v->cpu->xsave_size)
            layout = 0; /* the guest's XCR0 is in force: the CPU's answer stands */
    }
    *r = (struct x86vcpu_cpuid_regs){ h.eax, h.ebx, h.ecx, h.edx };
    x86vcpu_cpuid_policy_apply(&v->cpuid, leaf, subleaf, guest_cr4, v->guest_xcr0,
                               v->smsr_guest[SMSR_XSS], layout, r);
    /* Intel reports SYSCALL/SYSRET (80000001H:EDX[11]) only to CPUID
     * executed in 64-bit mode; the host ran it in 64-bit mode. */
    if (leaf == 0x80000001u && (r->edx & (1u << 11)) &&
        !((VMRD(v, W64, GUEST_IA32_EFER) & EFER_LMA) && (VMRD(v, W32, GUEST_CS_AR) & AR_L)))
        r->edx &= ~(1u << 11);
}

void x86vcpu__guest_cpuid(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                          struct x86vcpu_cpuid_regs *r)
{
    /* Only leaves 1 (OSXSAVE) and 7 (OSPKE) depend on the guest's CR4. */
    uint64_t cr4 = (leaf == 1 || leaf == 7) ? x86vcpu__guest_cr4(v) : 0;
    x86vcpu__guest_cpuid_cr4(v, leaf, subleaf, cr4, r);
}

/* The guest-visible feature leaves before any guest state exists (setup):
 * guest CR4 and XCR0 at their reset values. */
void x86vcpu__guest_cpuid_static(struct x86vcpu_vcpu *v, uint32_t leaf,
                                 struct x86vcpu_cpuid_regs *r)
{
    struct hw_cpuid h = hw_cpuid(leaf, 0);
    *r = (struct x86vcpu_cpuid_regs){ h.eax, h.ebx, h.ecx, h.edx };
    x86vcpu_cpuid_policy_apply(&v->cpuid, leaf, 0, 0, 1, 0, &v->xstate, r);
}

static void handle_cpuid(struct x86vcpu_vcpu *v)
{
    uint64_t *g = v->regs.gpr;
    struct x86vcpu_cpuid_regs r;
    x86vcpu__guest_cpuid(v, (uint32_t)g[X86VCPU_RAX], (uint32_t)g[X86VCPU_RCX], &r);
    /* CPUID writes the 32-bit registers, zero-extending into RAX..RDX. */
    g[X86VCPU_RAX] = r.eax;
    g[X86VCPU_RBX] = r.ebx;
    g[X86VCPU_RCX] = r.ecx;
    g[X86VCPU_RDX] = r.edx;
}

/* Complete the instruction that exited, now. */
void x86vcpu__skip_current(struct x86vcpu_vcpu *v)
{
    uint64_t rip = VMRD(v, WNAT, GUEST_RIP);
    skip_instruction(v, rip, (uint32_t)VMRD(v, W32, EXIT_INSTR_LEN));
}

/* The instruction completes on the next run, after the embedder had its
 * say (an IN's value, a hypercall's result). */
static void defer_skip(struct x86vcpu_vcpu *v, const struct x86vcpu_exit *e)
{
    v->advance_rip = e->rip;
    v->advance_len = e->instr_len;
}

static void fill_common(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e, uint32_t reason,
                        int with_len)
{
    e->reason = reason;
    e->rip = VMRD(v, WNAT, GUEST_RIP);
    e->instr_len = with_len ? (uint32_t)VMRD(v, W32, EXIT_INSTR_LEN) : 0;
    e->qualification = 0;
}

static uint64_t addr_mask(unsigned bytes)
{
    return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

/* INS/OUTS (SDM 28.2.5 instruction information, Table 28-8; the guest-linear
 * address field holds the first element's address). */
static int string_io(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    struct x86vcpu_strio_info si = x86vcpu_decode_strio_info((uint32_t)VMRD(v, W32, EXIT_INSTR_INFO));
    uint64_t rflags = VMRD(v, WNAT, GUEST_RFLAGS);
    e->u.io.addr_size = si.addr_size_bytes ? si.addr_size_bytes : 2;
    e->u.io.seg = e->u.io.in ? 0 /* ES */ : si.seg;
    e->u.io.df = (rflags >> 10) & 1;
    e->u.io.gla = VMRD(v, WNAT, GUEST_LINEAR_ADDRESS);
    e->u.io.count = e->u.io.rep ? (uint32_t)(v->regs.gpr[X86VCPU_RCX] & addr_mask(e->u.io.addr_size))
                                : 1;
    if (e->u.io.count == 0) {
        /* REP with RCX = 0 moves nothing: the instruction is done. */
        skip_instruction(v, e->rip, e->instr_len);
        return 1;
    }
    v->strio.in = e->u.io.in;
    v->strio.rep = e->u.io.rep;
    v->strio.df = e->u.io.df;
    v->strio.addr_size = e->u.io.addr_size;
    v->strio.size = e->u.io.size;
    v->strio.count = e->u.io.count;
    v->pending = PENDING_STRING_IO;
    v->advance_rip = e->rip;
    v->advance_len = 0;
    v->pending_strio_len = e->instr_len;
    return 0;
}

/* Update a register used as an address or count under the address size:
 * a 16-bit update keeps bits 63:16, a 32-bit one zero-extends (SDM 3.3.7). */
static uint64_t addr_update(uint64_t old, uint64_t newval, unsigned bytes)
{
    if (bytes == 2)
        return (old & ~0xffffull) | (newval & 0xffff);
    return newval & addr_mask(bytes);
}

int x86vcpu_complete_string_io(struct x86vcpu_vcpu *v, uint32_t done)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (v->pending != PENDING_STRING_IO)
        return X86VCPU_ESTATE;
    if (done > v->strio.count)
        return X86VCPU_EINVAL;
    uint64_t *g = v->regs.gpr;
    unsigned idx = v->strio.in ? X86VCPU_RDI : X86VCPU_RSI, as = v->strio.addr_size;
    uint64_t delta = (uint64_t)done * v->strio.size;
    g[idx] = addr_update(g[idx], v->strio.df ? g[idx] - delta : g[idx] + delta, as);
    uint32_t left = v->strio.count - done;
    if (v->strio.rep)
        g[X86VCPU_RCX] = addr_update(g[X86VCPU_RCX], g[X86VCPU_RCX] - done, as);
    /* Done: complete the instruction on the next run. Otherwise leave RIP
     * on it: it runs again (and exits again) for the remaining elements. */
    if (left == 0)
        v->advance_len = (uint32_t)v->pending_strio_len;
    v->pending = PENDING_NONE;
    return X86VCPU_OK;
}

/* Returns 1 when the exit was handled here and the guest can go on. */
static int dispatch(struct x86vcpu_vcpu *v, uint32_t reason, struct x86vcpu_exit *e)
{
    uint64_t *g = v->regs.gpr;
    switch (reason) {
    case X86VCPU_EXIT_REASON_CPUID:
        handle_cpuid(v);
        x86vcpu__skip_current(v);
        return 1;

    case X86VCPU_EXIT_REASON_CR_ACCESS:
    case X86VCPU_EXIT_REASON_XSETBV:
        x86vcpu__handle_cr_exit(v, reason);
        return 1;

    case X86VCPU_EXIT_REASON_RDMSR:
    case X86VCPU_EXIT_REASON_WRMSR:
        e->reason = reason;
        e->qualification = 0;
        return x86vcpu__handle_msr_exit(v, reason, e);

    case X86VCPU_EXIT_REASON_EXCEPTION_NMI: {
        fill_common(v, e, reason, 0);
        uint32_t info = (uint32_t)VMRD(v, W32, EXIT_INTR_INFO);
        /* The exit came from an IRET that unblocked NMIs and then faulted:
         * NMI blocking comes back (SDM 28.2.3). */
        if ((info & (1u << 12)) && (v->ctl_pin & PIN_VIRTUAL_NMIS) && (info & 0xff) != 8)
            VMWR(v, W32, GUEST_INTERRUPTIBILITY,
                 VMRD(v, W32, GUEST_INTERRUPTIBILITY) | INTR_BLOCK_NMI);
        if (((info >> 8) & 7) == 2) {
            e->kind = X86VCPU_EXIT_NMI; /* the host's NMI (NMI exiting) */
            return 0;
        }
        e->kind = X86VCPU_EXIT_EXCEPTION;
        e->u.exception.vector = (uint8_t)info;
        e->u.exception.has_err = (info >> 11) & 1;
        e->u.exception.err = e->u.exception.has_err ? (uint32_t)VMRD(v, W32, EXIT_INTR_ERRCODE) : 0;
        /* #PF: the linear address; #DB: DR6-format bits (SDM Table 28-1). */
        if ((uint8_t)info == 14 || (uint8_t)info == 1)
            e->u.exception.info = e->qualification = VMRD(v, WNAT, EXIT_QUALIFICATION);
        else
            e->u.exception.info = 0;
        e->instr_len = (uint32_t)VMRD(v, W32, EXIT_INSTR_LEN);
        return 0;
    }

    case X86VCPU_EXIT_REASON_NMI_WINDOW:
        x86vcpu__set_nmi_window(v, 0);
        return 1;

    case X86VCPU_EXIT_REASON_INTERRUPT_WINDOW:
        /* The guest can take interrupts now: the next entry injects. */
        x86vcpu__set_intr_window(v, 0);
        return 1;

    case X86VCPU_EXIT_REASON_PREEMPTION_TIMER:
        /* The slice is over: re-arm for the next one (SDM 26.5.1). */
        fill_common(v, e, reason, 0);
        e->kind = X86VCPU_EXIT_TIME_SLICE;
        VMWR(v, W32, PREEMPTION_TIMER_VALUE, v->time_slice);
        return 0;

    case X86VCPU_EXIT_REASON_IO_INSTRUCTION: {
        fill_common(v, e, reason, 1);
        e->qualification = VMRD(v, WNAT, EXIT_QUALIFICATION);
        struct x86vcpu_io_qual q = x86vcpu_decode_io_qual(e->qualification);
        e->kind = X86VCPU_EXIT_IO;
        e->u.io.port = q.port;
        e->u.io.size = q.size;
        e->u.io.in = q.in;
        e->u.io.string = q.string;
        e->u.io.rep = q.rep;
        if (q.string)
            return string_io(v, e);
        e->u.io.value = q.in ? 0 : (uint32_t)g[X86VCPU_RAX] & (uint32_t)(0xffffffffull >> (32 - 8 * q.size));
        if (q.in) {
            v->pending = PENDING_IO_IN;
            v->pending_io_size = q.size;
        }
        defer_skip(v, e);
        return 0;
    }

    case X86VCPU_EXIT_REASON_VMCALL:
        fill_common(v, e, reason, 1);
        e->kind = X86VCPU_EXIT_HYPERCALL;
        e->u.hypercall.nr = g[X86VCPU_RAX];
        e->u.hypercall.args[0] = g[X86VCPU_RDI];
        e->u.hypercall.args[1] = g[X86VCPU_RSI];
        e->u.hypercall.args[2] = g[X86VCPU_RDX];
        e->u.hypercall.args[3] = g[X86VCPU_RCX];
        e->u.hypercall.args[4] = g[X86VCPU_R8];
        e->u.hypercall.args[5] = g[X86VCPU_R9];
        defer_skip(v, e);
        return 0;

    case X86VCPU_EXIT_REASON_HLT:
        fill_common(v, e, reason, 1);
        e->kind = X86VCPU_EXIT_HLT;
        defer_skip(v, e);
        return 0;

    case X86VCPU_EXIT_REASON_TRIPLE_FAULT:
        fill_common(v, e, reason, 0);
        e->kind = X86VCPU_EXIT_SHUTDOWN;
        return 0;

    case X86VCPU_EXIT_REASON_EXTERNAL_INTERRUPT: {
        fill_common(v, e, reason, 0);
        uint32_t info = (uint32_t)VMRD(v, W32, EXIT_INTR_INFO);
        e->kind = X86VCPU_EXIT_EXTINT;
        e->u.extint.valid = info >> 31;
        e->u.extint.vector = info & 0xff;
        return 0;
    }

    case X86VCPU_EXIT_REASON_EPT_MISCONFIG:
        /* An entry with a reserved or invalid setting (SDM 29.3.3.1): no
         * qualification, only the address. */
        fill_common(v, e, reason, 0);
        e->kind = X86VCPU_EXIT_EPT_VIOLATION;
        e->u.ept = (typeof(e->u.ept)){ 0 };
        e->u.ept.gpa = VMRD(v, W64, GUEST_PHYSICAL_ADDRESS);
        e->u.ept.misconfig = 1;
        return 0;

    case X86VCPU_EXIT_REASON_EPT_VIOLATION:
        fill_common(v, e, reason, 0);
        e->kind = X86VCPU_EXIT_EPT_VIOLATION;
        e->qualification = VMRD(v, WNAT, EXIT_QUALIFICATION);
        e->u.ept = (typeof(e->u.ept)){ 0 };
        e->u.ept.gpa = VMRD(v, W64, GUEST_PHYSICAL_ADDRESS);
        /* SDM Table 28-7: bits 2:0 the access (read, write, fetch), bits 5:3
         * what the entry allowed, bit 7 the guest-linear address is valid,
         * bit 8 (when bit 7 is set) the access was to the translated
         * address rather than to a guest paging-structure entry. */
        e->u.ept.access = e->qualification & 7;
        e->u.ept.entry_perms = (e->qualification >> 3) & 7;
        e->u.ept.gla_valid = (e->qualification >> 7) & 1;
        e->u.ept.paging_walk = e->u.ept.gla_valid && !((e->qualification >> 8) & 1);
        e->u.ept.gla = e->u.ept.gla_valid ? VMRD(v, WNAT, GUEST_LINEAR_ADDRESS) : 0;
        /* The faulting access belonged to an IRET that unblocked NMIs:
         * blocking comes back for the re-execution (SDM 28.2.3). */
        if ((e->qualification & (1u << 12)) && (v->ctl_pin & PIN_VIRTUAL_NMIS) && !v->reinject_info)
            VMWR(v, W32, GUEST_INTERRUPTIBILITY,
                 VMRD(v, W32, GUEST_INTERRUPTIBILITY) | INTR_BLOCK_NMI);
        if (v->setup.ept && x86vcpu__ept_is_mmio(v->setup.ept, e->u.ept.gpa))
            return x86vcpu__mmio_begin(v, e);
        return 0;

    default:
        fill_common(v, e, reason, 0);
        e->kind = X86VCPU_EXIT_OTHER;
        e->qualification = VMRD(v, WNAT, EXIT_QUALIFICATION);
        return 0;
    }
}

static int run_loop(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);

int x86vcpu_vcpu_run(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    if (!v || !e)
        return X86VCPU_EINVAL;
    if (!v->cpu || v->cpu->current != v || !v->have_setup || v->setup_dirty)
        return X86VCPU_ESTATE;
    if (v->pending == PENDING_IO_IN || v->pending == PENDING_STRING_IO ||
        v->pending == PENDING_MMIO)
        return X86VCPU_EPENDING;
    if (v->pending == PENDING_MMIO_WRITE)
        return x86vcpu__mmio_pending_write(v, e);
    if (v->pending != PENDING_NONE) {
        /* An MSR access nobody completed, or one the embedder refused,
         * faults as an unimplemented MSR does: #GP(0), RIP unchanged. */
        x86vcpu__inject_exception(v, X86VCPU_VEC_GP, 1, 0);
        v->pending = PENDING_NONE;
        v->advance_len = 0;
    }
    if (v->advance_len) {
        /* The exit already read RIP into advance_rip: no second VMREAD. */
        skip_instruction(v, v->advance_rip, v->advance_len);
        v->advance_len = 0;
    }
    x86vcpu__xstate_enter(v);
    x86vcpu__smsr_enter(v);
    int err = run_loop(v, e);
    x86vcpu__smsr_exit(v);
    x86vcpu__xstate_exit(v);
    return err;
}

/* Enter the guest until an exit needs the embedder. The guest's extended
 * state stays loaded throughout. */
static int run_loop(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    for (;;) {
        /* Most entries have nothing to deliver: one test, no call. */
        if ((v->evq_count | v->excq_count | v->nmi_pending | v->reinject_info) &&
            x86vcpu__deliver_events(v)) {
            /* A fault while delivering #DF: the CPU would shut down. */
            e->kind = X86VCPU_EXIT_SHUTDOWN;
            e->reason = X86VCPU_EXIT_REASON_TRIPLE_FAULT;
            e->qualification = 0;
            e->instr_len = 0;
            e->rip = VMRD(v, WNAT, GUEST_RIP);
            return X86VCPU_OK;
        }
        v->injected = 0;
        int st = x86vcpu__vmx_enter(&v->regs, v->launched);
        v->stats.entries++;
        v->stats.vmwrites += v->regs.host_rsp_writes;
        v->regs.host_rsp_writes = 0;
        if (st != HW_VM_OK)
            return x86vcpu__vmfail(v, st);

        uint32_t full = (uint32_t)VMRD(v, W32, EXIT_REASON);
        uint32_t reason = full & 0xffff;
        if (reason < X86VCPU_EXIT_REASON_MAX)
            v->stats.exits[reason]++;

        if (full & EXIT_REASON_ENTRY_FAIL) {
            /* SDM 27.8: VM entry failed while or after loading guest state;
             * the VMCS launch state is unchanged. */
            fill_common(v, e, reason, 0);
            e->kind = X86VCPU_EXIT_ENTRY_FAILED;
            e->qualification = VMRD(v, WNAT, EXIT_QUALIFICATION);
            e->u.entry_failed.reason = reason;
            e->u.entry_failed.qualification = e->qualification;
            e->u.entry_failed.reason_name = x86vcpu_exit_reason_name(reason);
            return X86VCPU_OK;
        }
        v->launched = 1;
        x86vcpu__note_idt_vectoring(v, reason);
        if (!dispatch(v, reason, e))
            return X86VCPU_OK;
    }
}

int x86vcpu_complete_io_in(struct x86vcpu_vcpu *v, uint32_t value)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (v->pending != PENDING_IO_IN)
        return X86VCPU_ESTATE;
    v->regs.gpr[X86VCPU_RAX] = x86vcpu_io_in_merge(v->regs.gpr[X86VCPU_RAX], value,
                                                   v->pending_io_size);
    v->pending = PENDING_NONE;
    return X86VCPU_OK;
}

int x86vcpu_set_hypercall_result(struct x86vcpu_vcpu *v, uint64_t value)
{
    if (!v)
        return X86VCPU_EINVAL;
    v->regs.gpr[X86VCPU_RAX] = value;
    return X86VCPU_OK;
}

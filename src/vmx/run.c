/* The run loop and VM-exit dispatch (docs/ARCHITECTURE.md, "One VM exit,
 * end to end"), with the handlers of the exits that go to the embedder as
 * they are, and the fast path entry.S calls for a CPUID exit
 * (x86vcpu__vmx_fast_exit, at the end). Each exit reads only the VMCS
 * fields it needs; reads are counted in the vCPU statistics. */
#include "vmx/vcpu.h"

static void fill_common(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e, uint32_t reason,
                        int with_len)
{
    e->reason = reason;
    e->rip = VMRD(v, WNAT, GUEST_RIP);
    e->instr_len = with_len ? (uint32_t)VMRD(v, W32, EXIT_INSTR_LEN) : 0;
    e->qualification = 0;
}

/* ------------------------------------------------------- exit handlers */

/* An exception in the exception bitmap, or the host's NMI (NMI exiting);
 * SDM 28.2.2 for the interruption information. */
static int exit_exception_nmi(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    fill_common(v, e, X86VCPU_EXIT_REASON_EXCEPTION_NMI, 0);
    uint32_t info = (uint32_t)VMRD(v, W32, EXIT_INTR_INFO);
    uint32_t vector = INTR_INFO_VECTOR(info);
    /* The exit came from an IRET that unblocked NMIs and then faulted:
     * NMI blocking comes back (SDM 28.2.3). */
    if ((info & INTR_INFO_NMI_UNBLOCK) && (v->ctl_pin & PIN_VIRTUAL_NMIS) &&
        vector != X86VCPU_VEC_DF)
        VMWR(v, W32, GUEST_INTERRUPTIBILITY,
             VMRD(v, W32, GUEST_INTERRUPTIBILITY) | INTR_BLOCK_NMI);
    if (INTR_INFO_TYPE(info) == INTR_TYPE_NMI) {
        e->kind = X86VCPU_EXIT_NMI;
        return 0;
    }
    e->kind = X86VCPU_EXIT_EXCEPTION;
    e->u.exception.vector = (uint8_t)vector;
    e->u.exception.has_err = (info & INTR_INFO_HAS_ERR) != 0;
    e->u.exception.err = e->u.exception.has_err ? (uint32_t)VMRD(v, W32, EXIT_INTR_ERRCODE) : 0;
    /* #PF: the linear address; #DB: DR6-format bits (SDM Table 28-1). */
    if (vector == X86VCPU_VEC_PF || vector == X86VCPU_VEC_DB)
        e->u.exception.info = e->qualification = VMRD(v, WNAT, EXIT_QUALIFICATION);
    else
        e->u.exception.info = 0;
    e->instr_len = (uint32_t)VMRD(v, W32, EXIT_INSTR_LEN);
    return 0;
}

/* With "acknowledge interrupt on exit" the vector comes along (28.2.2). */
static int exit_extint(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    fill_common(v, e, X86VCPU_EXIT_REASON_EXTERNAL_INTERRUPT, 0);
    uint32_t info = (uint32_t)VMRD(v, W32, EXIT_INTR_INFO);
    e->kind = X86VCPU_EXIT_EXTINT;
    e->u.extint.valid = (info & INTR_INFO_VALID) != 0;
    e->u.extint.vector = INTR_INFO_VECTOR(info);
    return 0;
}

static int exit_triple_fault(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    fill_common(v, e, X86VCPU_EXIT_REASON_TRIPLE_FAULT, 0);
    e->kind = X86VCPU_EXIT_SHUTDOWN;
    return 0;
}

/* The guest can take interrupts now: the next entry injects (a queued
 * vector, the INTR line's, the virtual APIC's). Never the embedder's: the
 * library arms this window only for its own events. */
static int exit_intr_window(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    (void)e;
    x86vcpu__set_intr_window(v, 0);
    return 1;
}

/* The CPU may take the NMI window as open inside an STI shadow (SDM
 * 26.7.6: blocking by STI may or may not hold it back). It then exits
 * before the guest runs one instruction, and the STI blocking is still
 * there: re-arming the window would loop in root mode without progress.
 * This CPU does not block NMIs by STI, so the shadow ends for the NMI, as
 * it would on bare metal, and the next entry injects it. */
static int exit_nmi_window(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    (void)e;
    x86vcpu__set_nmi_window(v, 0);
    uint32_t intr = (uint32_t)VMRD(v, W32, GUEST_INTERRUPTIBILITY);
    if ((intr & INTR_BLOCK_STI) && !(intr & (INTR_BLOCK_MOVSS | INTR_BLOCK_NMI)))
        VMWR(v, W32, GUEST_INTERRUPTIBILITY, intr & ~INTR_BLOCK_STI);
    return 1;
}

/* HLT and VMCALL complete on the next run: the embedder may keep the guest
 * halted (x86vcpu_halt) or set the hypercall's result first. */
static int exit_hlt(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    fill_common(v, e, X86VCPU_EXIT_REASON_HLT, 1);
    e->kind = X86VCPU_EXIT_HLT;
    x86vcpu__skip_on_next_run(v, e->rip, e->instr_len);
    return 0;
}

static int exit_vmcall(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    const uint64_t *g = v->regs.gpr;
    fill_common(v, e, X86VCPU_EXIT_REASON_VMCALL, 1);
    e->kind = X86VCPU_EXIT_HYPERCALL;
    e->u.hypercall.nr = g[X86VCPU_RAX];
    e->u.hypercall.args[0] = g[X86VCPU_RDI];
    e->u.hypercall.args[1] = g[X86VCPU_RSI];
    e->u.hypercall.args[2] = g[X86VCPU_RDX];
    e->u.hypercall.args[3] = g[X86VCPU_RCX];
    e->u.hypercall.args[4] = g[X86VCPU_R8];
    e->u.hypercall.args[5] = g[X86VCPU_R9];
    e->u.hypercall.cpl = AR_DPL((uint32_t)VMRD(v, W32, GUEST_SS_AR));
    x86vcpu__skip_on_next_run(v, e->rip, e->instr_len);
    return 0;
}

/* INVD exits unconditionally (SDM 26.1.2). The host never executes it:
 * INVD drops modified cache lines without writing them back, the host's
 * and other guests' with the guest's. That the guest's own data is lost
 * is nothing it may rely on (which lines are still modified is up to the
 * CPU), so the instruction completes as a no-op, as KVM does: the guest
 * sees memory as written, the outcome of a WBINVD (which it runs itself:
 * no WBINVD exiting) and of a CPU without caches, as Bochs is. RIP
 * advances by the length the exit reports. */
static int exit_invd(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    (void)e;
    x86vcpu__skip_current(v);
    return 1;
}

/* An EPT violation: to the embedder decoded, or MMIO emulation when the
 * address is in one of the EPT's MMIO ranges. */
static int exit_ept_violation(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    fill_common(v, e, X86VCPU_EXIT_REASON_EPT_VIOLATION, 0);
    e->kind = X86VCPU_EXIT_EPT_VIOLATION;
    uint64_t q = e->qualification = VMRD(v, WNAT, EXIT_QUALIFICATION);
    e->u.ept = (typeof(e->u.ept)){ 0 };
    e->u.ept.gpa = VMRD(v, W64, GUEST_PHYSICAL_ADDRESS);
    e->u.ept.access = EPT_QUAL_ACCESS(q);
    e->u.ept.entry_perms = EPT_QUAL_PERMS(q);
    e->u.ept.gla_valid = (q & EPT_QUAL_GLA_VALID) != 0;
    e->u.ept.paging_walk = e->u.ept.gla_valid && !(q & EPT_QUAL_GLA_FINAL);
    e->u.ept.gla = e->u.ept.gla_valid ? VMRD(v, WNAT, GUEST_LINEAR_ADDRESS) : 0;
    /* The faulting access belonged to an IRET that unblocked NMIs:
     * blocking comes back for the re-execution (SDM 28.2.3). */
    if ((q & EPT_QUAL_NMI_UNBLOCK) && (v->ctl_pin & PIN_VIRTUAL_NMIS) && !v->reinject_info)
        VMWR(v, W32, GUEST_INTERRUPTIBILITY,
             VMRD(v, W32, GUEST_INTERRUPTIBILITY) | INTR_BLOCK_NMI);
    if (v->setup.ept && x86vcpu__ept_is_mmio(v->setup.ept, e->u.ept.gpa))
        return x86vcpu__mmio_begin(v, e);
    return 0;
}

/* An entry with a reserved or invalid setting (SDM 29.3.3.1): no
 * qualification, only the address. */
static int exit_ept_misconfig(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    fill_common(v, e, X86VCPU_EXIT_REASON_EPT_MISCONFIG, 0);
    e->kind = X86VCPU_EXIT_EPT_VIOLATION;
    e->u.ept = (typeof(e->u.ept)){ 0 };
    e->u.ept.gpa = VMRD(v, W64, GUEST_PHYSICAL_ADDRESS);
    e->u.ept.misconfig = 1;
    return 0;
}

/* The slice is over: re-arm for the next one (SDM 26.5.1). */
static int exit_preemption_timer(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    if (x86vcpu__lapic_preempt_exit(v))
        return 1; /* the virtual APIC's deadline (lapic.c) */
    fill_common(v, e, X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0);
    e->kind = X86VCPU_EXIT_TIME_SLICE;
    VMWR(v, W32, PREEMPTION_TIMER_VALUE, v->time_slice);
    return 0;
}

/* Any other exit: the raw reason and qualification. */
static int exit_other(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e, uint32_t reason)
{
    fill_common(v, e, reason, 0);
    e->kind = X86VCPU_EXIT_OTHER;
    e->qualification = VMRD(v, WNAT, EXIT_QUALIFICATION);
    return 0;
}

/* ------------------------------------------------------------ dispatch
 * One handler per basic exit reason (SDM Appendix C). The contract of every
 * handler, int handler(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e):
 *  - returns 1 when the exit is handled inside the library and the guest
 *    goes on: the handler completed the instruction (x86vcpu__skip_current)
 *    or queued or injected the fault it raises instead; *e is not used;
 *  - returns 0 when *e is an exit for the embedder: kind, reason, rip,
 *    instr_len, qualification and the kind's fields of e->u filled; run
 *    returns it. An instruction the embedder finishes (an IN's value, a
 *    hypercall's result) completes at the next run
 *    (x86vcpu__skip_on_next_run), and one it must complete through an
 *    x86vcpu_complete_* call is marked in v->pending meanwhile;
 *  - reads only the VMCS fields it needs: the exit reason is read, and
 *    IDT-vectoring information noted, before dispatch.
 * A switch of direct calls: static handlers inline into the run loop. */
static int dispatch(struct x86vcpu_vcpu *v, uint32_t reason, struct x86vcpu_exit *e)
{
    switch (reason) {
    case X86VCPU_EXIT_REASON_EXCEPTION_NMI:      return exit_exception_nmi(v, e);
    case X86VCPU_EXIT_REASON_EXTERNAL_INTERRUPT: return exit_extint(v, e);
    case X86VCPU_EXIT_REASON_TRIPLE_FAULT:       return exit_triple_fault(v, e);
    case X86VCPU_EXIT_REASON_INTERRUPT_WINDOW:   return exit_intr_window(v, e);
    case X86VCPU_EXIT_REASON_NMI_WINDOW:         return exit_nmi_window(v, e);
    case X86VCPU_EXIT_REASON_CPUID:              return x86vcpu__exit_cpuid(v, e);
    case X86VCPU_EXIT_REASON_HLT:                return exit_hlt(v, e);
    case X86VCPU_EXIT_REASON_INVD:               return exit_invd(v, e);
    case X86VCPU_EXIT_REASON_VMCALL:             return exit_vmcall(v, e);
    case X86VCPU_EXIT_REASON_CR_ACCESS:          return x86vcpu__exit_cr_access(v, e);
    case X86VCPU_EXIT_REASON_IO_INSTRUCTION:     return x86vcpu__exit_io(v, e);
    case X86VCPU_EXIT_REASON_DR_ACCESS:          return x86vcpu__exit_dr_access(v, e);
    case X86VCPU_EXIT_REASON_TASK_SWITCH:        return x86vcpu__exit_task_switch(v, e);
    case X86VCPU_EXIT_REASON_RDMSR:              return x86vcpu__exit_rdmsr(v, e);
    case X86VCPU_EXIT_REASON_WRMSR:              return x86vcpu__exit_wrmsr(v, e);
    case X86VCPU_EXIT_REASON_EPT_VIOLATION:      return exit_ept_violation(v, e);
    case X86VCPU_EXIT_REASON_EPT_MISCONFIG:      return exit_ept_misconfig(v, e);
    case X86VCPU_EXIT_REASON_PREEMPTION_TIMER:   return exit_preemption_timer(v, e);
    case X86VCPU_EXIT_REASON_XSETBV:             return x86vcpu__exit_xsetbv(v, e);
    case X86VCPU_EXIT_REASON_RDRAND:
    case X86VCPU_EXIT_REASON_RDSEED:
    case X86VCPU_EXIT_REASON_MONITOR:
    case X86VCPU_EXIT_REASON_MWAIT:              return x86vcpu__exit_hidden_ud(v, e);
    case X86VCPU_EXIT_REASON_RDPMC:              return x86vcpu__exit_rdpmc(v, e);
    case X86VCPU_EXIT_REASON_TPR_BELOW_THRESHOLD:
    case X86VCPU_EXIT_REASON_APIC_ACCESS:
    case X86VCPU_EXIT_REASON_VIRTUALIZED_EOI:
    case X86VCPU_EXIT_REASON_APIC_WRITE: {
        int r = x86vcpu__lapic_exit(v, e, reason); /* the virtual APIC's (lapic.c) */
        return r >= 0 ? r : exit_other(v, e, reason);
    }
    default:                                     return exit_other(v, e, reason);
    }
}

/* ------------------------------------------------------------ run */

static int run_loop(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e);

int x86vcpu_vcpu_run(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    if (!v || !e)
        return X86VCPU_EINVAL;
    if (!v->cpu || v->cpu->current != v || !v->have_setup || v->setup_dirty)
        return X86VCPU_ESTATE;
    /* An INIT or SIPI of the virtual APIC (lapic.c): applied first (an
     * INIT drops an instruction in progress); waiting for a SIPI, no entry. */
    if (v->lapic.mp && x86vcpu__lapic_mp(v, e, 1))
        return X86VCPU_OK;
    if (__builtin_expect(v->pending != PENDING_NONE, 0)) { /* one test when none */
        if (v->pending == PENDING_IN_HANDLER)
            return X86VCPU_ESTATE; /* called from the port handler (io.c) */
        if (v->pending == PENDING_IO_IN || v->pending == PENDING_STRING_IO ||
            v->pending == PENDING_MMIO)
            return X86VCPU_EPENDING;
        if (v->pending == PENDING_MMIO_WRITE)
            return x86vcpu__mmio_pending_write(v, e);
        /* An MSR access nobody completed, or one the embedder refused,
         * faults as an unimplemented MSR does: #GP(0), RIP unchanged. */
        x86vcpu__inject_exception(v, X86VCPU_VEC_GP, 1, 0);
        v->pending = PENDING_NONE;
        v->advance_len = 0;
    }
    if (v->advance_len) {
        /* The exit's handler asked for it (x86vcpu__skip_on_next_run). */
        x86vcpu__skip_insn(v, v->advance_rip, v->advance_len);
        v->advance_len = 0;
    }
    x86vcpu__xstate_enter(v);
    x86vcpu__smsr_enter(v);
    int err = run_loop(v, e);
    x86vcpu__smsr_exit(v);
    x86vcpu__xstate_exit(v);
    if (v->mmio.xmm_fill)   /* an SSE store to MMIO: the XMM value is saved now */
        x86vcpu__mmio_xmm_fill(v, e);
    if (!err && e->kind == X86VCPU_EXIT_WAIT_SIPI)
        x86vcpu__lapic_mp(v, e, 0); /* an INIT came during the run: its reset, now */
    return err;
}

/* Enter the guest until an exit needs the embedder. The guest's extended
 * state stays loaded throughout. */
static int run_loop(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    /* Without "save VMX-preemption timer value" every VM entry restarts
     * the slice from the VMCS (SDM 26.7.4), so a guest whose exits are all
     * handled here would never see it end: bound those exits instead, so
     * the embedder's time slice still ends the run. */
    uint32_t slice_exits = (v->time_slice && !(v->ctl_exit & EXIT_SAVE_PREEMPT))
                               ? X86VCPU_SLICE_MAX_EXITS : 0;
    /* The fast path (x86vcpu__vmx_fast_exit) re-enters without coming back
     * here: only while none of the work of the loop's top is due before an
     * entry. The INTR line, the virtual APIC and the slice count are the
     * embedder's choice for the run (x86vcpu_set_intr_line,
     * x86vcpu_lapic_enable: between runs; the slice count only ends the
     * run); queued events are tested at each entry. */
    uint32_t fast_ok = (slice_exits | v->lapic.on) || v->intr_line.pending
                           ? 0
                           : ENTRY_FAST_CPUID | v->port_fast;
    for (;;) {
        /* Most entries have nothing to deliver: one test, no call. */
        v->regs.fast_ok = fast_ok;
        if ((v->evq_count | v->excq_count | v->nmi_pending | v->reinject_info) &&
            (v->regs.fast_ok = 0, x86vcpu__deliver_events(v))) {
            /* A fault while delivering #DF: the CPU would shut down. */
            e->kind = X86VCPU_EXIT_SHUTDOWN;
            e->reason = X86VCPU_EXIT_REASON_TRIPLE_FAULT;
            e->qualification = 0;
            e->instr_len = 0;
            e->rip = VMRD(v, WNAT, GUEST_RIP);
            return X86VCPU_OK;
        }
        if (v->intr_line.pending)
            x86vcpu__intr_line_entry(v); /* the embedder's INTR pin (inject.c) */
        if (v->lapic.on && x86vcpu__lapic_entry(v, e))
            return X86VCPU_OK; /* an INIT came (lapic.c): no entry */
        v->injected = 0;
        int st = x86vcpu__vmx_enter(&v->regs, v->launched);
        v->stats.entries++;
        v->stats.vmwrites += v->regs.host_rsp_writes;
        v->regs.host_rsp_writes = 0;
        if (st != HW_VM_OK)
            return x86vcpu__vmfail(v, st);

        uint32_t full = v->regs.exit_reason; /* read by entry.S */
        v->stats.vmreads++;
        uint32_t reason = full & X86VCPU_EXIT_REASON_BASIC_MASK;
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
        if (x86vcpu__exit_may_interrupt_delivery(reason))
            x86vcpu__note_idt_vectoring(v);
        if (!dispatch(v, reason, e) && !(v->lapic.on && x86vcpu__lapic_mmio(v, e)))
            return X86VCPU_OK;
        if (slice_exits && !--slice_exits) {
            fill_common(v, e, X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0);
            e->kind = X86VCPU_EXIT_TIME_SLICE;
            return X86VCPU_OK;
        }
    }
}

/* ------------------------------------------------------------ fast path */

/* The RIP advance when the common case does not hold: an advance that may
 * wrap, STI/MOV-SS blocking, or TF (x86vcpu__skip_insn's steps, with the
 * values the fast path read). Out of line: the fast paths stay short. */
__attribute__((noinline, cold)) struct x86vcpu_regs *
x86vcpu__fast_skip_rare(struct x86vcpu_vcpu *v, uint64_t rip, uint32_t len, uint32_t intr,
                        uint64_t rflags)
{
    VMWR(v, WNAT, GUEST_RIP, x86vcpu__next_rip(v, rip, len));
    if (intr & (INTR_BLOCK_STI | INTR_BLOCK_MOVSS))
        VMWR(v, W32, GUEST_INTERRUPTIBILITY, intr & ~(INTR_BLOCK_STI | INTR_BLOCK_MOVSS));
    x86vcpu__step_trap_rflags(v, rflags);
    return &v->regs;
}

/* A leaf whose answer is not in place: the dispatch's handler (it returns
 * 1, handled; *e is not used). Tail-called: the fast path keeps no frame. */
static __attribute__((noinline)) struct x86vcpu_regs *fast_cpuid_lookup(struct x86vcpu_vcpu *v)
{
    v->stats.vmreads++; /* entry.S's exit-reason read */
    x86vcpu__exit_cpuid(v, 0);
    return &v->regs;
}

/* Called by entry.S for a CPUID exit (the full exit reason 10) when the
 * run loop set regs->fast_ok, before the return to the run loop: an exit
 * it handles completely enters the guest again at once (it returns regs),
 * skipping x86vcpu__vmx_enter's return and call and the run loop (issue
 * 15: a CPUID exit at the floor). fast_ok means nothing queued to
 * deliver, no INTR line to poll, no virtual APIC, no slice count: the work
 * of the loop's top is then none, and a CPUID exit makes none (it queues
 * nothing, and the guest's CPUID does not change what the loop top
 * tests). What the run loop does after an exit, and a CPUID exit skips:
 *  - the entry-failure check: full == 10 has bit 31 clear (SDM 28.2.1);
 *  - IDT-vectoring information: CPUID is not an exit that can happen
 *    during event delivery (x86vcpu__exit_may_interrupt_delivery);
 *  - dispatch: x86vcpu__exit_cpuid, the same steps below (its table
 *    lookup when the answer is not in place);
 *  - x86vcpu__lapic_mmio: only for exits returned to the embedder.
 * The RIP advance keeps its STI/MOV-SS and TF (single-step) handling
 * (x86vcpu__fast_complete, vcpu.h): with the exit reason, 5 VMREADs (RIP,
 * length, interruptibility, RFLAGS for TF) and the RIP VMWRITE, as the
 * run loop's path. */
struct x86vcpu_regs *x86vcpu__vmx_fast_exit(struct x86vcpu_regs *regs)
{
    _Static_assert(offsetof(struct x86vcpu_vcpu, regs) == 0, "regs first in the vCPU");
    struct x86vcpu_vcpu *v = (struct x86vcpu_vcpu *)(void *)regs;
    /* The VMCS accesses are counted once below, entry.S's exit-reason
     * read with them (the statistics as VMRD and VMWR keep them, without
     * a store per access). */
    v->launched = 1;
    v->stats.entries++; /* the entry that ended here; the loop counts the last */
    v->stats.exits[X86VCPU_EXIT_REASON_CPUID]++;
    uint64_t *g = regs->gpr;
    const struct x86vcpu_cpuid_regs *a = x86vcpu__cpuid_fast(v, (uint32_t)g[X86VCPU_RAX]);
    if (__builtin_expect(!a, 0))
        return fast_cpuid_lookup(v);
    /* CPUID writes the 32-bit registers, zero-extending into RAX..RDX. */
    g[X86VCPU_RAX] = a->eax;
    g[X86VCPU_RBX] = a->ebx;
    g[X86VCPU_RCX] = a->ecx;
    g[X86VCPU_RDX] = a->edx;
    v->stats.vmreads++; /* entry.S's exit-reason read */
    return x86vcpu__fast_complete(v);
}

int x86vcpu_set_hypercall_result(struct x86vcpu_vcpu *v, uint64_t value)
{
    if (!v)
        return X86VCPU_EINVAL;
    v->regs.gpr[X86VCPU_RAX] = value;
    return X86VCPU_OK;
}

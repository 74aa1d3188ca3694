/* Event injection (SDM 26.6 "Event injection", 26.7.5/26.7.6 interrupt- and
 * NMI-window exiting, 28.2.4 IDT-vectoring information): queues of events
 * delivered when the guest can take them, in the SDM's priority order,
 * and nothing lost when a delivery is cut short by a VM exit; the
 * embedder's INTR line, acknowledged only when its vector is injected. */
#include "vmx/vcpu.h"
#include "lib/event_rules.h"

static int has_len(uint32_t info)
{
    uint32_t t = INTR_INFO_TYPE(info);
    return t == INTR_TYPE_SOFT_INTR || t == INTR_TYPE_PRIV_SOFT_EXC || t == INTR_TYPE_SOFT_EXC;
}

int x86vcpu_queue_interrupt(struct x86vcpu_vcpu *v, uint8_t vector)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (v->evq_count == X86VCPU_EVENT_QUEUE)
        return X86VCPU_EBUSY;
    v->evq[(v->evq_head + v->evq_count++) % X86VCPU_EVENT_QUEUE] = vector;
    return X86VCPU_OK;
}

int x86vcpu_queue_nmi(struct x86vcpu_vcpu *v)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (v->nmi_pending == X86VCPU_EVENT_QUEUE)
        return X86VCPU_EBUSY;
    v->nmi_pending++;
    return X86VCPU_OK;
}

static int queue_exc(struct x86vcpu_vcpu *v, uint32_t info, uint32_t err, uint32_t len, uint64_t cr2)
{
    const uint32_t n = sizeof v->excq / sizeof v->excq[0];
    if (v->excq_count == n)
        return X86VCPU_EBUSY;
    uint32_t i = (v->excq_head + v->excq_count++) % n;
    v->excq[i].info = info;
    v->excq[i].err = err;
    v->excq[i].len = len;
    v->excq[i].cr2 = cr2;
    return X86VCPU_OK;
}

int x86vcpu_queue_exception(struct x86vcpu_vcpu *v, uint8_t vector, int has_err, uint32_t err,
                            uint64_t cr2)
{
    /* An error code where the vector has none (or none where it has one)
     * would make every later VM entry fail (SDM 26.2.1.3). */
    if (!v || vector > 31 || vector == X86VCPU_VEC_NMI ||
        !has_err != !x86vcpu__exception_has_error_code(vector))
        return X86VCPU_EINVAL;
    uint32_t info = INTR_INFO(INTR_TYPE_HW_EXC, vector);
    if (has_err)
        info |= INTR_INFO_HAS_ERR;
    return queue_exc(v, info, err, 0, cr2);
}

int x86vcpu_queue_soft_interrupt(struct x86vcpu_vcpu *v, uint8_t vector, uint32_t instr_len)
{
    /* SDM 26.2.1.3: the instruction length must be 1-15. */
    if (!v || instr_len < 1 || instr_len > 15)
        return X86VCPU_EINVAL;
    return queue_exc(v, INTR_INFO(INTR_TYPE_SOFT_INTR, vector), 0, instr_len, 0);
}

int x86vcpu_queue_soft_exception(struct x86vcpu_vcpu *v, uint8_t vector, uint32_t instr_len)
{
    /* Only #BP and #OF come from instructions (SDM 25.8.3, type 6). */
    if (!v || (vector != X86VCPU_VEC_BP && vector != X86VCPU_VEC_OF) || instr_len < 1 ||
        instr_len > 15)
        return X86VCPU_EINVAL;
    return queue_exc(v, INTR_INFO(INTR_TYPE_SOFT_EXC, vector), 0, instr_len, 0);
}

int x86vcpu_set_intr_line(struct x86vcpu_vcpu *v, const struct x86vcpu_intr_line *l)
{
    if (!v || (l && (!l->pending || !l->ack)))
        return X86VCPU_EINVAL;
    /* A window armed for the old line exits once and is closed inside run
     * (exit_intr_window): nothing to undo here. */
    v->intr_line = l ? *l : (struct x86vcpu_intr_line){ 0 };
    return X86VCPU_OK;
}

uint32_t x86vcpu_pending_events(const struct x86vcpu_vcpu *v)
{
    return v ? v->evq_count + v->excq_count + v->nmi_pending + (v->reinject_info != 0) : 0;
}

int x86vcpu_set_exception_bitmap(struct x86vcpu_vcpu *v, uint32_t bitmap)
{
    if (!v || !v->cpu || v->cpu->current != v)
        return X86VCPU_ESTATE;
    return x86vcpu__vmwrite_checked(v, X86VCPU_VMCS_EXCEPTION_BITMAP, bitmap);
}

int x86vcpu_set_extint_exiting(struct x86vcpu_vcpu *v, int on)
{
    if (!v || !v->cpu || v->cpu->current != v || v->setup_dirty)
        return X86VCPU_ESTATE;
    const struct x86vcpu_caps *c = &v->owner->caps;
    /* Acknowledge-on-exit goes with it, so the exit carries the vector. */
    uint32_t pin = on ? v->ctl_pin | PIN_EXTINT_EXITING : v->ctl_pin & ~PIN_EXTINT_EXITING;
    uint32_t ex = on ? v->ctl_exit | EXIT_ACK_INTR : v->ctl_exit & ~EXIT_ACK_INTR;
    if (!x86vcpu__fixed_ok(pin, (uint32_t)c->pinbased, c->pinbased >> 32) ||
        !x86vcpu__fixed_ok(ex, (uint32_t)c->exit, c->exit >> 32))
        return X86VCPU_ECTLS;
    int err = x86vcpu__vmwrite_checked(v, X86VCPU_VMCS_PIN_BASED_CTLS, pin);
    if (!err)
        err = x86vcpu__vmwrite_checked(v, X86VCPU_VMCS_EXIT_CTLS, ex);
    if (err)
        return err;
    v->ctl_pin = pin;
    v->ctl_exit = ex;
    v->setup.flags = on ? v->setup.flags | X86VCPU_SETUP_EXIT_ON_EXTINT
                        : v->setup.flags & ~X86VCPU_SETUP_EXIT_ON_EXTINT;
    return X86VCPU_OK;
}

static void set_proc_bit(struct x86vcpu_vcpu *v, uint32_t bit, int on)
{
    uint32_t ctl = on ? v->ctl_proc | bit : v->ctl_proc & ~bit;
    if (ctl != v->ctl_proc) {
        v->ctl_proc = ctl;
        VMWR(v, W32, PROC_BASED_CTLS, ctl);
    }
}

void x86vcpu__set_intr_window(struct x86vcpu_vcpu *v, int on)
{
    set_proc_bit(v, PROC_INTR_WINDOW, on);
}

void x86vcpu__set_nmi_window(struct x86vcpu_vcpu *v, int on)
{
    set_proc_bit(v, PROC_NMI_WINDOW, on);
}

/* Called by the run loop after the exits that may interrupt an event's
 * delivery (x86vcpu__exit_may_interrupt_delivery). */
void x86vcpu__note_idt_vectoring(struct x86vcpu_vcpu *v)
{
    uint32_t info = (uint32_t)VMRD(v, W32, IDT_VECTORING_INFO);
    if (!(info & INTR_INFO_VALID))
        return;
    /* Bit 12 is undefined in IDT-vectoring information and must be 0 in
     * the entry field (SDM 25.8.3). */
    v->reinject_info = info & ~INTR_INFO_NMI_UNBLOCK;
    v->reinject_err = info & INTR_INFO_HAS_ERR ? (uint32_t)VMRD(v, W32, IDT_VECTORING_ERRCODE) : 0;
    /* Software interrupts and exceptions need their instruction length to
     * push the right return address (SDM 26.6.1.3). */
    v->reinject_len = has_len(info) ? (uint32_t)VMRD(v, W32, EXIT_INSTR_LEN) : 0;
}

static void inject(struct x86vcpu_vcpu *v, uint32_t info, uint32_t err, uint32_t len)
{
    x86vcpu__wake(v);
    VMWR(v, W32, ENTRY_INTR_INFO, info);
    if (info & INTR_INFO_HAS_ERR)
        VMWR(v, W32, ENTRY_EXCEPTION_ERRCODE, err);
    if (len)
        VMWR(v, W32, ENTRY_INSTR_LEN, len);
    v->injected = 1;
}

/* A new hardware exception about to be injected: the error code and RF
 * as the CPU would deliver it. In real mode no error code is pushed, and
 * VM entry rejects one (SDM 26.2.1.3). A fault pushes EFLAGS with RF = 1
 * (SDM 18.3.1.1), but VM entry's event injection pushes RFLAGS as loaded
 * from the guest-state area (SDM 26.6.1): set RF there, as the CPU would before the fault's
 * delivery, so the handler's IRET restarts the instruction without
 * hitting its instruction breakpoint again. Traps, aborts, #DB and
 * interrupts keep RF as it is; so does real mode, whose 16-bit FLAGS
 * image has no RF (it would stay set in the handler instead). Only the
 * exception paths pay: no VMCS access otherwise. */
static uint32_t exception_frame(struct x86vcpu_vcpu *v, uint32_t info)
{
    int fault = INTR_INFO_TYPE(info) == INTR_TYPE_HW_EXC &&
                x86vcpu__exception_is_fault(INTR_INFO_VECTOR(info));
    if (!(info & INTR_INFO_HAS_ERR) && !fault)
        return info;
    if (!(x86vcpu__guest_cr0(v) & CR0_PE))
        return info & ~INTR_INFO_HAS_ERR;
    if (fault)
        VMWR(v, WNAT, GUEST_RFLAGS, VMRD(v, WNAT, GUEST_RFLAGS) | RFLAGS_RF);
    return info;
}

/* Hardware exception to deliver on the next VM entry (SDM 25.8.3), raised
 * by the library's own emulation (a #GP from a CR write, ...). */
void x86vcpu__inject_exception(struct x86vcpu_vcpu *v, uint32_t vector, int has_err, uint32_t err)
{
    uint32_t info = INTR_INFO(INTR_TYPE_HW_EXC, vector);
    if (has_err)
        info |= INTR_INFO_HAS_ERR;
    inject(v, exception_frame(v, info), err, 0);
}

/* An interrupted external interrupt or NMI goes back to the front of its
 * queue when an exception must go first: handled serially, not lost. */
static void requeue(struct x86vcpu_vcpu *v, uint32_t info)
{
    if (INTR_INFO_TYPE(info) == INTR_TYPE_NMI) {
        v->nmi_pending++;
    } else if (INTR_INFO_TYPE(info) == INTR_TYPE_EXT_INTR && v->evq_count < X86VCPU_EVENT_QUEUE) {
        v->evq_head = (v->evq_head + X86VCPU_EVENT_QUEUE - 1) % X86VCPU_EVENT_QUEUE;
        v->evq[v->evq_head] = (uint8_t)INTR_INFO_VECTOR(info);
        v->evq_count++;
    }
}

/* Index (from the head) of the first queued interrupt whose priority
 * class is above the virtual TPR, or -1. */
static int first_unmasked(const struct x86vcpu_vcpu *v)
{
    for (uint32_t i = 0; i < v->evq_count; i++) {
        uint8_t vec = v->evq[(v->evq_head + i) % X86VCPU_EVENT_QUEUE];
        if (!v->cr8 || (uint64_t)(vec >> 4) > v->cr8)
            return (int)i;
    }
    return -1;
}

/* Remove the i-th queued interrupt, keeping the others' order. */
static uint8_t take_interrupt(struct x86vcpu_vcpu *v, uint32_t i)
{
    const uint32_t n = X86VCPU_EVENT_QUEUE;
    uint8_t vec = v->evq[(v->evq_head + i) % n];
    for (; i > 0; i--)
        v->evq[(v->evq_head + i) % n] = v->evq[(v->evq_head + i - 1) % n];
    v->evq_head = (v->evq_head + 1) % n;
    v->evq_count--;
    return vec;
}

int x86vcpu__deliver_events(struct x86vcpu_vcpu *v)
{
    if (v->injected)
        return 0; /* the library already injected a fault for this entry */
    const uint32_t nexc = sizeof v->excq / sizeof v->excq[0];

    if (v->excq_count) {
        uint32_t i = v->excq_head;
        uint32_t info = v->excq[i].info, err = v->excq[i].err;
        if (v->reinject_info) {
            uint32_t first = v->reinject_info;
            v->reinject_info = 0;
            if (INTR_INFO_TYPE(first) == INTR_TYPE_HW_EXC &&
                INTR_INFO_TYPE(info) == INTR_TYPE_HW_EXC) {
                /* An exception raised while delivering an exception. */
                uint32_t m = x86vcpu__exception_merge(INTR_INFO_VECTOR(first), INTR_INFO_VECTOR(info));
                if (m == X86VCPU_EXC_SHUTDOWN) {
                    v->excq_count = 0;
                    return 1;
                }
                if (m == X86VCPU_VEC_DF) {
                    info = INTR_INFO(INTR_TYPE_HW_EXC, X86VCPU_VEC_DF) | INTR_INFO_HAS_ERR;
                    err = 0;
                }
            } else {
                requeue(v, first);
            }
        }
        v->excq_head = (i + 1) % nexc;
        v->excq_count--;
        if (INTR_INFO_VECTOR(info) == X86VCPU_VEC_PF && INTR_INFO_TYPE(info) == INTR_TYPE_HW_EXC)
            hw_write_cr2(v->excq[i].cr2); /* CR2 is not in the VMCS (SDM 26.6.1.2) */
        /* A new exception: error code and RF as delivered (an event
         * re-injected below already has its frame). */
        inject(v, exception_frame(v, info), err, v->excq[i].len);
        return 0;
    }
    if (v->reinject_info) {
        /* The interrupted event goes first: the guest already accepted it. */
        inject(v, v->reinject_info, v->reinject_err, v->reinject_len);
        v->reinject_info = 0;
    }
    if (!v->nmi_pending && !v->evq_count)
        return 0;

    uint64_t rflags = VMRD(v, WNAT, GUEST_RFLAGS);
    uint32_t intr = (uint32_t)VMRD(v, W32, GUEST_INTERRUPTIBILITY);
    if (v->nmi_pending) {
        if (!v->injected && x86vcpu__can_inject(1, rflags, intr)) {
            v->nmi_pending--;
            inject(v, INTR_INFO(INTR_TYPE_NMI, X86VCPU_VEC_NMI), 0, 0);
        }
        /* Exit as soon as another NMI can be taken (virtual NMIs). */
        if (v->ctl_pin & PIN_VIRTUAL_NMIS)
            x86vcpu__set_nmi_window(v, v->nmi_pending != 0);
    }
    /* The first queued interrupt the virtual TPR lets through (CR8 =
     * TPR[7:4]: a priority class above it, SDM 10.8.3.1, 10.8.6.1). The
     * others wait; every MOV to CR8 exits, so a lower TPR is seen. */
    int slot = first_unmasked(v);
    if (slot >= 0 && !v->injected && x86vcpu__can_inject(0, rflags, intr)) {
        uint8_t vec = take_interrupt(v, (uint32_t)slot);
        inject(v, INTR_INFO(INTR_TYPE_EXT_INTR, vec), 0, 0);
        slot = first_unmasked(v);
    }
    /* Anything the TPR allows waits for the guest to open an interrupt
     * window; a window for a masked one would exit at once, forever. */
    x86vcpu__set_intr_window(v, slot >= 0);
    return 0;
}

/* The INTR pin (x86vcpu_set_intr_line), sampled as the CPU samples it at
 * an instruction boundary (SDM 6.8.1): below every event injected above
 * (SDM 6.9: re-injection, exceptions, NMI; the embedder's queue holds
 * vectors already acknowledged at their controller, so they go first),
 * above the virtual APIC's vectors (lapic.c runs after this; KVM's
 * kvm_cpu_get_interrupt also takes the ExtINT first). With a virtual APIC
 * the pin is LINT0: only in ExtINT mode, unmasked, or with the APIC
 * disabled (SDM 11.4.3, 11.5.1); an ExtINT bypasses IRR, ISR and the TPR.
 * The INTA cycle (ack) runs only when the vector is injected at this very
 * entry, as the CPU's does; else the interrupt window (SDM 26.7.5) exits
 * as soon as the guest can take it, and the next entry comes here again.
 * That exit needs the guest's IF = 1 and no blocking, so each window
 * either injects or finds the request gone: no loop without progress. */
void x86vcpu__intr_line_entry(struct x86vcpu_vcpu *v)
{
    const struct x86vcpu_intr_line *l = &v->intr_line;
    if (v->lapic.on && !x86vcpu__vlapic_accepts_extint(&v->lapic.m))
        return;
    if (!l->pending(l->ctx))
        return;
    if (!v->injected) {
        uint64_t rflags = VMRD(v, WNAT, GUEST_RFLAGS);
        uint32_t intr = (uint32_t)VMRD(v, W32, GUEST_INTERRUPTIBILITY);
        if (x86vcpu__can_inject(0, rflags, intr)) {
            int vec = l->ack(l->ctx);
            if (vec >= 0 && vec <= 0xff)
                inject(v, INTR_INFO(INTR_TYPE_EXT_INTR, (uint32_t)vec), 0, 0);
            return;
        }
    }
    x86vcpu__set_intr_window(v, 1);
}

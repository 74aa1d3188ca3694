/* Event injection (SDM 26.6 "Event injection", 26.7.5 interrupt-window
 * exiting): a queue of events delivered when the guest can take them. */
#include "vmx/vcpu.h"

int x86vcpu_queue_interrupt(struct x86vcpu_vcpu *v, uint8_t vector)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (v->evq_count == X86VCPU_EVENT_QUEUE)
        return X86VCPU_EBUSY;
    v->evq[(v->evq_head + v->evq_count++) % X86VCPU_EVENT_QUEUE] = vector;
    return X86VCPU_OK;
}

uint32_t x86vcpu_pending_events(const struct x86vcpu_vcpu *v)
{
    return v ? v->evq_count : 0;
}

void x86vcpu__set_intr_window(struct x86vcpu_vcpu *v, int on)
{
    uint32_t ctl = on ? v->ctl_proc | PROC_INTR_WINDOW : v->ctl_proc & ~PROC_INTR_WINDOW;
    if (ctl != v->ctl_proc) {
        v->ctl_proc = ctl;
        VMWR(v, W32, PROC_BASED_CTLS, ctl);
    }
}

/* Before an entry with events queued: inject the first one if the guest
 * can take it now (SDM 26.3.1.5: IF = 1 and no STI/MOV-SS blocking for an
 * external interrupt), otherwise exit as soon as it can (interrupt window).
 * Nothing is read from the VMCS when the queue is empty. */
/* Exits that can happen while the CPU delivers an event through the IDT
 * (SDM 28.2.4): only these carry IDT-vectoring information, so only these
 * pay for reading it. */
static int may_interrupt_delivery(uint32_t reason)
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

#define INTR_INFO_VALID     (1u << 31)
#define INTR_INFO_HAS_ERR   (1u << 11)
#define INTR_TYPE(info)     (((info) >> 8) & 7)
#define INTR_TYPE_SOFT_INTR 4
#define INTR_TYPE_PRIV_SOFT 5
#define INTR_TYPE_SOFT_EXC  6

void x86vcpu__note_idt_vectoring(struct x86vcpu_vcpu *v, uint32_t reason)
{
    if (!may_interrupt_delivery(reason))
        return;
    uint32_t info = (uint32_t)VMRD(v, W32, IDT_VECTORING_INFO);
    if (!(info & INTR_INFO_VALID))
        return;
    /* Bit 12 is undefined in IDT-vectoring information and must be 0 in
     * the entry field (SDM 25.8.3). */
    v->reinject_info = info & ~(1u << 12);
    v->reinject_err = info & INTR_INFO_HAS_ERR ? (uint32_t)VMRD(v, W32, IDT_VECTORING_ERRCODE) : 0;
    /* Software interrupts and exceptions need their instruction length to
     * push the right return address (SDM 26.6.1.3). */
    uint32_t type = INTR_TYPE(info);
    v->reinject_len = (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_PRIV_SOFT ||
                       type == INTR_TYPE_SOFT_EXC)
                          ? (uint32_t)VMRD(v, W32, EXIT_INSTR_LEN) : 0;
}

void x86vcpu__deliver_events(struct x86vcpu_vcpu *v)
{
    if (v->reinject_info && !v->injected) {
        /* The interrupted event goes first: it was already accepted by the
         * guest (its priority was decided when delivery started). */
        VMWR(v, W32, ENTRY_INTR_INFO, v->reinject_info);
        if (v->reinject_info & INTR_INFO_HAS_ERR)
            VMWR(v, W32, ENTRY_EXCEPTION_ERRCODE, v->reinject_err);
        if (v->reinject_len)
            VMWR(v, W32, ENTRY_INSTR_LEN, v->reinject_len);
        v->reinject_info = 0;
        v->injected = 1;
    }
    if (!v->evq_count || v->injected)
        return;
    uint64_t rflags = VMRD(v, WNAT, GUEST_RFLAGS);
    uint32_t intr = (uint32_t)VMRD(v, W32, GUEST_INTERRUPTIBILITY);
    if (!(rflags & RFLAGS_IF) || (intr & (INTR_BLOCK_STI | INTR_BLOCK_MOVSS))) {
        x86vcpu__set_intr_window(v, 1);
        return;
    }
    uint8_t vec = v->evq[v->evq_head];
    v->evq_head = (v->evq_head + 1) % X86VCPU_EVENT_QUEUE;
    v->evq_count--;
    VMWR(v, W32, ENTRY_INTR_INFO, (1u << 31) | (0u << 8) | vec); /* type 0: external */
    x86vcpu__set_intr_window(v, v->evq_count != 0);
}


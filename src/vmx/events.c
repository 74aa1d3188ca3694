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
void x86vcpu__deliver_events(struct x86vcpu_vcpu *v)
{
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


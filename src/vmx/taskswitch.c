/* Task switches (SDM Vol. 3A 7.3; Vol. 3C 26.4.2: every attempt exits,
 * reason 9, qualification Table 28-2): emulated for guests outside
 * IA-32e mode with 32-bit and 16-bit TSSs. Sources: CALL or JMP to a TSS
 * or task gate, IRET with NT = 1, and an event delivered through a task
 * gate in the IDT (the switch is that event's delivery: IDT-vectoring
 * information, SDM 28.2.4).
 *
 * Every TSS and descriptor access goes through gmem.c as a linear,
 * implicit-supervisor access under the guest's paging and EPT rights.
 * Faults detected before the commit point (the new TSS descriptor's
 * checks, reading the new TSS, writing the old one) leave the old task as
 * it was and are delivered there (merged with the interrupted event, SDM
 * Table 6-5); all writes of the switch are translated before the first
 * is made. Faults after it (the segment checks of Table 7-1 steps 5-17,
 * the error-code push) are delivered in the new task. The rules are pure
 * functions in src/lib/tss.c.
 *
 * Not emulated, returned to the embedder as X86VCPU_EXIT_TASK_SWITCH:
 * switches from or to a virtual-8086 task, and guests without the
 * library's EPT (no gmem.c path to their memory). In IA-32e mode the CPU
 * raises #GP(0) before any exit (26.4.2); should one arrive anyway, the
 * guest gets that #GP(0). */
#include "vmx/vcpu.h"
#include "lib/tss.h"
#include "lib/event_rules.h"

#define SEG_LDTR 6
#define SEG_TR   7
#define DESC_BUSY_BIT  (1ull << 41)     /* type bit 1 of a TSS descriptor */
#define DESC_ACCESSED  (1ull << 40)     /* type bit 0 of a code/data descriptor */

static uint64_t seg_rd(struct x86vcpu_vcpu *v, uint32_t base_field, unsigned seg)
{
    v->stats.vmreads++;
    return hw_vmread(base_field + 2u * seg);
}

static void seg_wr(struct x86vcpu_vcpu *v, uint32_t base_field, unsigned seg, uint64_t val)
{
    v->stats.vmwrites++;
    hw_vmwrite(base_field + 2u * seg, val);
}

/* Load segment register seg (0 ES .. 7 TR, the VMCS order) with a
 * selector and a descriptor (NULL: unusable, SDM 25.4.1). */
static void load_seg(struct x86vcpu_vcpu *v, unsigned seg, uint16_t sel,
                     const struct x86vcpu_desc *d)
{
    seg_wr(v, X86VCPU_VMCS_GUEST_ES_SELECTOR, seg, sel);
    seg_wr(v, X86VCPU_VMCS_GUEST_ES_BASE, seg, d ? d->base : 0);
    seg_wr(v, X86VCPU_VMCS_GUEST_ES_LIMIT, seg, d ? d->limit : 0);
    seg_wr(v, X86VCPU_VMCS_GUEST_ES_AR, seg, d ? d->ar : AR_UNUSABLE);
}

struct ts {
    struct x86vcpu_vcpu *v;
    struct x86vcpu__gctx g;
    struct x86vcpu__gfault f;
    uint64_t gdt_base, ldt_base;
    uint32_t gdt_limit, ldt_limit;
};

/* The descriptor a selector names in the GDT or the (new) LDT: 1 with
 * *raw when inside the table's limit, 0 when not (or null), -1 on a fault
 * reading it (ts->f). */
static int read_desc(struct ts *t, uint16_t sel, uint64_t *raw, uint64_t *lin)
{
    uint64_t base = (sel & 4) ? t->ldt_base : t->gdt_base;
    uint32_t limit = (sel & 4) ? t->ldt_limit : t->gdt_limit;
    *raw = 0;
    if (!(sel & 4) && !(sel & 0xfff8))
        return 0;
    if ((sel & 4) && t->ldt_limit == 0)
        return 0;                       /* LDTR null/unusable */
    if ((uint32_t)(sel & 0xfff8) + 7 > limit)
        return 0;
    *lin = (uint32_t)(base + (sel & 0xfff8));
    return x86vcpu__lin_read(&t->g, *lin, raw, 8, X86VCPU_ACC_READ, &t->f) ? -1 : 1;
}

/* Set the accessed bit of a descriptor being loaded, in memory as the CPU
 * does (SDM 3.4.5.1) and in the access rights (VM entry requires it of
 * usable segments, SDM 26.3.1.2). */
static void mark_accessed(struct ts *t, uint64_t lin, uint64_t raw, struct x86vcpu_desc *d)
{
    d->ar |= 1;
    if (!(raw & DESC_ACCESSED)) {
        uint8_t b = (uint8_t)(raw >> 40) | 1;
        struct x86vcpu__gfault f = { 0 };
        (void)x86vcpu__lin_write(&t->g, lin + 5, &b, 1, &f);
    }
}

/* After the commit point: load LDTR, SS, CS, then DS/ES/FS/GS, each
 * checked (Table 7-1 steps 5-17). Returns 0, 1 with *fault, or -1 on a
 * memory fault (t->f). A register that fails keeps its new selector and
 * its old cached descriptor (CS, SS: VM entry needs usable ones; the
 * fault is delivered at once) or becomes unusable (the others). */
static int load_segments(struct ts *t, const struct x86vcpu_tss_regs *r,
                         struct x86vcpu_ts_fault *fault)
{
    struct x86vcpu_vcpu *v = t->v;
    struct x86vcpu_desc d;
    uint64_t raw, lin = 0;
    for (unsigned s = 0; s < 6; s++)
        seg_wr(v, X86VCPU_VMCS_GUEST_ES_SELECTOR, s, r->sel[s]);
    /* LDT: the descriptor is in the GDT. */
    int in = read_desc(t, r->ldt & ~4u, &raw, &lin);
    if (in < 0)
        return -1;
    if ((r->ldt & 4) && (r->ldt & 0xfffc))
        in = 0;
    if (x86vcpu__ts_check_ldt(r->ldt, in, raw, fault)) {
        load_seg(v, SEG_LDTR, r->ldt, 0);
        t->ldt_limit = 0;
        return 1;
    }
    if (r->ldt & 0xfffc) {
        x86vcpu__desc_decode(raw, &d);
        load_seg(v, SEG_LDTR, r->ldt, &d);
        t->ldt_base = d.base;
        t->ldt_limit = d.limit;
    } else {
        load_seg(v, SEG_LDTR, r->ldt, 0);
        t->ldt_limit = 0;
    }
    uint32_t cpl = r->sel[X86VCPU_TS_CS] & 3u;
    static const unsigned order[] = { X86VCPU_TS_SS, X86VCPU_TS_CS, X86VCPU_TS_DS,
                                      X86VCPU_TS_ES, X86VCPU_TS_FS, X86VCPU_TS_GS };
    for (unsigned i = 0; i < 6; i++) {
        unsigned s = order[i];
        uint16_t sel = r->sel[s];
        in = read_desc(t, sel, &raw, &lin);
        if (in < 0)
            return -1;
        int bad = s == X86VCPU_TS_SS ? x86vcpu__ts_check_ss(sel, in, raw, cpl, fault)
                : s == X86VCPU_TS_CS ? x86vcpu__ts_check_cs(sel, in, raw, fault)
                : x86vcpu__ts_check_data(sel, in, raw, cpl, fault);
        if (bad) {
            /* This one and the ones after it stay unloaded. */
            for (unsigned j = i; j < 6; j++)
                if (order[j] != X86VCPU_TS_SS && order[j] != X86VCPU_TS_CS)
                    load_seg(v, order[j], r->sel[order[j]], 0);
            return 1;
        }
        if (!(sel & 0xfffc)) {
            load_seg(v, s, sel, 0);
            continue;
        }
        x86vcpu__desc_decode(raw, &d);
        mark_accessed(t, lin, raw, &d);
        load_seg(v, s, sel, &d);
    }
    return 0;
}

/* PAE paging outside IA-32e mode: the new CR3's PDPTEs go into the VMCS
 * (SDM 26.3.2.4; loaded at every CR3 load, 4.4.1). Returns 0, or -1 when
 * one is unreadable or has a reserved bit set (#GP, as MOV to CR3). */
static int load_pdptes(struct x86vcpu_vcpu *v, uint64_t cr3)
{
    uint64_t p[4];
    struct x86vcpu__gfault f = { 0 };
    if (x86vcpu__gpa_read(v, cr3 & 0xffffffe0u, p, sizeof p, &f))
        return -1;
    unsigned mpa = v->host_maxphyaddr;
    uint64_t rsvd = 0x1e6ull | (mpa && mpa < 64 ? ~0ull << mpa : ~0ull << 36);
    for (int i = 0; i < 4; i++)
        if ((p[i] & 1) && (p[i] & rsvd))
            return -1;
    VMWR(v, W64, GUEST_PDPTE0, p[0]);
    VMWR(v, W64, GUEST_PDPTE1, p[1]);
    VMWR(v, W64, GUEST_PDPTE2, p[2]);
    VMWR(v, W64, GUEST_PDPTE3, p[3]);
    return 0;
}

static int unsupported(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e, uint64_t q)
{
    e->kind = X86VCPU_EXIT_TASK_SWITCH;
    e->reason = X86VCPU_EXIT_REASON_TASK_SWITCH;
    e->qualification = q;
    e->rip = VMRD(v, WNAT, GUEST_RIP);
    e->instr_len = 0;
    return 0;
}

static int queue_fault(struct x86vcpu_vcpu *v, const struct x86vcpu_ts_fault *f)
{
    x86vcpu_queue_exception(v, (uint8_t)f->vector, x86vcpu__exception_has_error_code(f->vector),
                            f->err, 0);
    return 1;
}

int x86vcpu__exit_task_switch(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    uint64_t q = VMRD(v, WNAT, EXIT_QUALIFICATION);
    uint16_t sel = (uint16_t)q;
    int source = (int)((q >> 30) & 3);
    struct ts t = { .v = v };
    x86vcpu__gctx_init(v, &t.g);
    t.g.w.implicit_supervisor = 1;      /* TSS and descriptor tables: SDM 4.6 */
    if (t.g.w.efer & EFER_LMA) {
        /* SDM 26.4.2: the CPU faults before exiting; defend anyway. */
        x86vcpu_queue_exception(v, X86VCPU_VEC_GP, 1, 0, 0);
        return 1;
    }
    uint64_t rflags = t.g.w.rflags;
    if (!v->setup.ept || !t.g.prot || (rflags & X86VCPU_EFLAGS_VM))
        return unsupported(v, e, q);

    /* The event delivered through a task gate, if that is the source. */
    uint32_t ev = source == X86VCPU_TS_GATE ? v->reinject_info : 0;
    uint32_t ev_type = INTR_INFO_TYPE(ev);
    int ev_soft = ev && (ev_type == INTR_TYPE_SOFT_INTR || ev_type == INTR_TYPE_SOFT_EXC ||
                         ev_type == INTR_TYPE_PRIV_SOFT_EXC);

    t.gdt_base = VMRD(v, WNAT, GUEST_GDTR_BASE);
    t.gdt_limit = (uint32_t)VMRD(v, W32, GUEST_GDTR_LIMIT);
    t.ldt_base = VMRD(v, WNAT, GUEST_LDTR_BASE);
    t.ldt_limit = (VMRD(v, W32, GUEST_LDTR_AR) & AR_UNUSABLE) ? 0
                  : (uint32_t)VMRD(v, W32, GUEST_LDTR_LIMIT);

    /* ---- before the commit point: faults in the old task */
    struct x86vcpu_ts_fault fault;
    uint64_t new_raw = 0, new_lin = 0;
    int in = (sel & 4) ? 0 : read_desc(&t, sel, &new_raw, &new_lin);
    if (in < 0)
        return x86vcpu__gfault_raise(v, &t.f, e);
    int is32 = 0;
    if (x86vcpu__ts_check_tss(source, sel, new_raw, in && !(sel & 4), &is32, &fault))
        return queue_fault(v, &fault);
    struct x86vcpu_desc nd;
    x86vcpu__desc_decode(new_raw, &nd);

    uint16_t old_sel = (uint16_t)VMRD(v, W16, GUEST_TR_SELECTOR);
    uint64_t old_base = VMRD(v, WNAT, GUEST_TR_BASE);
    int old32 = (VMRD(v, W32, GUEST_TR_AR) & 8) != 0;

    uint8_t img[X86VCPU_TSS_IMAGE];
    if (x86vcpu__lin_read(&t.g, nd.base, img, is32 ? X86VCPU_TSS_IMAGE : 0x2c,
                          X86VCPU_ACC_READ, &t.f))
        return x86vcpu__gfault_raise(v, &t.f, e);
    uint32_t rsp = (uint32_t)VMRD(v, WNAT, GUEST_RSP);
    struct x86vcpu_tss_regs nr = { 0 };
    for (int i = 0; i < 8; i++)
        nr.gpr[i] = (uint32_t)v->regs.gpr[i];
    nr.gpr[X86VCPU_RSP] = rsp;
    nr.sel[X86VCPU_TS_FS] = (uint16_t)VMRD(v, W16, GUEST_FS_SELECTOR);
    nr.sel[X86VCPU_TS_GS] = (uint16_t)VMRD(v, W16, GUEST_GS_SELECTOR);
    x86vcpu__tss_load(img, is32, &nr);
    if (nr.eflags & X86VCPU_EFLAGS_VM)
        return unsupported(v, e, q);    /* a virtual-8086 task */

    /* The old task's state: EIP after the instruction for CALL/JMP/IRET
     * and software interrupts (SDM 7.3 step 6; the exit's instruction
     * length, 28.2.5), the current EIP for exceptions and interrupts. */
    struct x86vcpu_tss_regs orr = { 0 };
    uint64_t rip = VMRD(v, WNAT, GUEST_RIP);
    uint32_t len = source != X86VCPU_TS_GATE ? (uint32_t)VMRD(v, W32, EXIT_INSTR_LEN)
                   : ev_soft ? v->reinject_len : 0;
    orr.eip = (uint32_t)x86vcpu__next_rip(v, rip, len);
    orr.eflags = (uint32_t)rflags;
    struct x86vcpu_ts_plan plan;
    x86vcpu__ts_plan(source, &plan);
    if (plan.clear_old_nt)
        orr.eflags &= ~X86VCPU_EFLAGS_NT;
    for (int i = 0; i < 8; i++)
        orr.gpr[i] = (uint32_t)v->regs.gpr[i];
    orr.gpr[X86VCPU_RSP] = rsp;
    for (unsigned s = 0; s < 6; s++)
        orr.sel[s] = (uint16_t)seg_rd(v, X86VCPU_VMCS_GUEST_ES_SELECTOR, s);

    /* Every write of the switch translated first: the old TSS's dynamic
     * fields, the two busy bits, the back link. */
    uint8_t oimg[X86VCPU_TSS_IMAGE];
    uint32_t doff, dlen;
    x86vcpu__tss_dynamic(old32, &doff, &dlen);
    x86vcpu__tss_store(oimg, old32, &orr);
    uint64_t gpa, old_desc_lin = (uint32_t)(t.gdt_base + (old_sel & 0xfff8));
    if ((plan.clear_old_busy &&
         x86vcpu__lin_xlate(&t.g, old_desc_lin + 5, X86VCPU_ACC_WRITE, &gpa, &t.f)) ||
        (plan.set_new_busy &&
         x86vcpu__lin_xlate(&t.g, new_lin + 5, X86VCPU_ACC_WRITE, &gpa, &t.f)) ||
        (plan.nest && x86vcpu__lin_xlate(&t.g, nd.base, X86VCPU_ACC_WRITE, &gpa, &t.f)) ||
        x86vcpu__lin_write(&t.g, old_base + doff, oimg + doff, dlen, &t.f))
        return x86vcpu__gfault_raise(v, &t.f, e);

    /* ---- the commit point: the rest happens in the new task */
    if (source == X86VCPU_TS_GATE)
        v->reinject_info = 0;           /* the switch is the event's delivery */
    uint8_t b;
    if (plan.clear_old_busy && !x86vcpu__lin_read(&t.g, old_desc_lin + 5, &b, 1,
                                                  X86VCPU_ACC_READ, &t.f)) {
        b &= (uint8_t)~X86VCPU_DESC_BUSY;
        (void)x86vcpu__lin_write(&t.g, old_desc_lin + 5, &b, 1, &t.f);
    }
    if (plan.set_new_busy) {
        b = (uint8_t)(new_raw >> 40) | X86VCPU_DESC_BUSY;
        (void)x86vcpu__lin_write(&t.g, new_lin + 5, &b, 1, &t.f);
    }
    if (plan.nest)
        (void)x86vcpu__lin_write(&t.g, nd.base, &old_sel, 2, &t.f);
    nd.ar |= X86VCPU_DESC_BUSY;
    load_seg(v, SEG_TR, sel, &nd);

    /* CR0.TS (SDM 7.3 step 10; 2.5), as the guest sees CR0. */
    VMWR(v, WNAT, GUEST_CR0, VMRD(v, WNAT, GUEST_CR0) | CR0_TS);
    if (v->cr0_mask & CR0_TS)
        VMWR(v, WNAT, CR0_READ_SHADOW, VMRD(v, WNAT, CR0_READ_SHADOW) | CR0_TS);
    /* DR7: L0-L3 and LE are cleared by every task switch (SDM 18.2.4). */
    VMWR(v, WNAT, GUEST_DR7, VMRD(v, WNAT, GUEST_DR7) & ~(uint64_t)X86VCPU_DR7_LOCAL);

    /* Registers. */
    for (int i = 0; i < 8; i++)
        if (i != X86VCPU_RSP)
            v->regs.gpr[i] = nr.gpr[i];
    VMWR(v, WNAT, GUEST_RSP, nr.gpr[X86VCPU_RSP]);
    VMWR(v, WNAT, GUEST_RIP, nr.eip);
    VMWR(v, WNAT, GUEST_RFLAGS, x86vcpu__ts_new_eflags(source, nr.eflags));
    /* The switch completes the instruction: STI/MOV-SS blocking ends
     * (SDM 25.4.2); an NMI delivered through a task gate blocks NMIs
     * (SDM 6.7.1), and an IRET, a task return too, ends that blocking
     * (its exit came before the IRET completed). */
    uint32_t intr = (uint32_t)VMRD(v, W32, GUEST_INTERRUPTIBILITY);
    uint32_t nintr = intr & ~(INTR_BLOCK_STI | INTR_BLOCK_MOVSS);
    if (ev && ev_type == INTR_TYPE_NMI)
        nintr |= INTR_BLOCK_NMI;
    if (source == X86VCPU_TS_IRET)
        nintr &= ~INTR_BLOCK_NMI;
    if (nintr != intr)
        VMWR(v, W32, GUEST_INTERRUPTIBILITY, nintr);

    /* CR3 from a 32-bit TSS when paging is on (SDM 7.2.1): the TLB of the
     * guest's VPID forgets the old translations, as a CR3 load does. */
    if (is32 && (t.g.w.cr0 & CR0_PG)) {
        VMWR(v, WNAT, GUEST_CR3, nr.cr3);
        t.g.w.cr3 = nr.cr3;
        (void)x86vcpu_vcpu_flush_tlb(v);
        if ((t.g.w.cr4 & CR4_PAE) && load_pdptes(v, nr.cr3)) {
            x86vcpu_queue_exception(v, X86VCPU_VEC_GP, 1, 0, 0);
            return 1;
        }
    }

    int st = load_segments(&t, &nr, &fault);
    if (st < 0)
        return x86vcpu__gfault_raise(v, &t.f, e);
    if (st > 0)
        return queue_fault(v, &fault);

    /* An exception with an error code pushes it on the new task's stack
     * (SDM 7.3 step 13; 6.13): 4 bytes from a 32-bit TSS, else 2. */
    if (ev && ev_type == INTR_TYPE_HW_EXC && (ev & INTR_INFO_HAS_ERR)) {
        x86vcpu__gctx_init(v, &t.g);    /* the new task's CR3, CPL, segments */
        uint32_t n = is32 ? 4 : 2;
        uint32_t ss_ar = (uint32_t)VMRD(v, W32, GUEST_SS_AR);
        uint32_t esp = nr.gpr[X86VCPU_RSP] - n;
        if (!(ss_ar & AR_DB))
            esp = (nr.gpr[X86VCPU_RSP] & 0xffff0000u) | (uint16_t)esp;
        uint64_t lin;
        uint32_t err = v->reinject_err;
        t.f = (struct x86vcpu__gfault){ 0 };
        if (x86vcpu__seg_lin(&t.g, 2, (ss_ar & AR_DB) ? esp : (uint16_t)esp, n, 1, &lin, &t.f) ||
            x86vcpu__lin_write(&t.g, lin, &err, n, &t.f))
            return x86vcpu__gfault_raise(v, &t.f, e);
        VMWR(v, WNAT, GUEST_RSP, esp);
    }

    /* The new TSS's T flag: a debug trap before its first instruction,
     * DR6.BT set (SDM 18.3.1.5). */
    if (nr.trap) {
        hw_write_dr6(hw_read_dr6() | X86VCPU_DR6_BT);
        x86vcpu_queue_exception(v, X86VCPU_VEC_DB, 0, 0, 0);
    }
    return 1;
}

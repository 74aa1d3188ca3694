/* Task-switch rules: see tss.h. */
#include "lib/tss.h"

#define DESC_S    (1u << 4)
#define DESC_P    (1u << 7)
#define DESC_G    (1u << 15)
#define DESC_DPL(ar) (((ar) >> 5) & 3u)
#define TYPE_CODE 0x8u
#define TYPE_CONF 0x4u          /* code: conforming */
#define TYPE_RW   0x2u          /* code: readable; data: writable */

void x86vcpu__desc_decode(uint64_t raw, struct x86vcpu_desc *d)
{
    /* SDM 3.4.5, Figure 3-8. */
    d->base = (uint32_t)((raw >> 16) & 0xffffff) | (uint32_t)((raw >> 56) & 0xff) << 24;
    d->ar = (uint32_t)(raw >> 40) & 0xf0ff;
    uint32_t limit = (uint32_t)(raw & 0xffff) | (uint32_t)((raw >> 48) & 0xf) << 16;
    d->limit = (d->ar & DESC_G) ? limit << 12 | 0xfff : limit;
}

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v); wr16(p + 2, v >> 16); }

/* SDM Figure 7-2 (32-bit TSS) and Figure 7-11 (16-bit TSS). */
void x86vcpu__tss_dynamic(int is32, uint32_t *off, uint32_t *len)
{
    *off = is32 ? 0x20 : 0x0e;
    *len = is32 ? 0x60 - 0x20 : 0x2a - 0x0e;
}

void x86vcpu__tss_load(const uint8_t *img, int is32, struct x86vcpu_tss_regs *r)
{
    r->back_link = (uint16_t)rd16(img);
    if (is32) {
        r->cr3 = rd32(img + 0x1c);
        r->eip = rd32(img + 0x20);
        r->eflags = rd32(img + 0x24);
        for (int i = 0; i < 8; i++)
            r->gpr[i] = rd32(img + 0x28 + 4 * i);
        for (int i = 0; i < 6; i++)
            r->sel[i] = (uint16_t)rd16(img + 0x48 + 4 * i);
        r->ldt = (uint16_t)rd16(img + 0x60);
        r->trap = img[0x64] & 1;
        return;
    }
    r->eip = rd16(img + 0x0e);
    r->eflags = rd16(img + 0x10);
    for (int i = 0; i < 8; i++)
        r->gpr[i] = (r->gpr[i] & 0xffff0000u) | rd16(img + 0x12 + 2 * i);
    for (int i = 0; i < 4; i++)
        r->sel[i] = (uint16_t)rd16(img + 0x22 + 2 * i);
    r->ldt = (uint16_t)rd16(img + 0x2a);
    r->trap = 0;
}

void x86vcpu__tss_store(uint8_t *img, int is32, const struct x86vcpu_tss_regs *r)
{
    if (is32) {
        wr32(img + 0x20, r->eip);
        wr32(img + 0x24, r->eflags);
        for (int i = 0; i < 8; i++)
            wr32(img + 0x28 + 4 * i, r->gpr[i]);
        /* Selectors are 16 bits in 32-bit slots; the upper halves are
         * reserved and written as 0. */
        for (int i = 0; i < 6; i++)
            wr32(img + 0x48 + 4 * i, r->sel[i]);
        return;
    }
    wr16(img + 0x0e, r->eip);
    wr16(img + 0x10, r->eflags);
    for (int i = 0; i < 8; i++)
        wr16(img + 0x12 + 2 * i, r->gpr[i]);
    for (int i = 0; i < 4; i++)
        wr16(img + 0x22 + 2 * i, r->sel[i]);
}

static int fault(struct x86vcpu_ts_fault *f, uint32_t vector, uint16_t sel)
{
    f->vector = vector;
    f->err = sel & 0xfffcu;
    return 1;
}

int x86vcpu__ts_check_tss(int source, uint16_t sel, uint64_t raw, int in_gdt, int *is32,
                          struct x86vcpu_ts_fault *f)
{
    /* IRET reads the back link: its faults are #TS (SDM IRET operation,
     * TASK-RETURN); CALL/JMP/gates #GP (SDM CALL/JMP operation). */
    uint32_t bad = source == X86VCPU_TS_IRET ? X86VCPU_VEC_TS : 13;
    if ((sel & 4) || !(sel & 0xfff8) || !in_gdt)
        return fault(f, bad, sel);
    struct x86vcpu_desc d;
    x86vcpu__desc_decode(raw, &d);
    uint32_t type = d.ar & 0xf;
    if ((d.ar & DESC_S) || (type & 5) != 1)
        return fault(f, bad, sel);
    *is32 = (type & 8) != 0;
    if (!(d.ar & DESC_P))
        return fault(f, X86VCPU_VEC_NP, sel);
    /* IRET returns to a busy task; the others switch to an available one. */
    if (!(type & X86VCPU_DESC_BUSY) != (source != X86VCPU_TS_IRET))
        return fault(f, bad, sel);
    if (d.limit < (*is32 ? X86VCPU_TSS32_MIN_LIMIT : X86VCPU_TSS16_MIN_LIMIT))
        return fault(f, X86VCPU_VEC_TS, sel);
    return 0;
}

void x86vcpu__ts_plan(int source, struct x86vcpu_ts_plan *p)
{
    p->clear_old_busy = source == X86VCPU_TS_JMP || source == X86VCPU_TS_IRET;
    p->set_new_busy = source != X86VCPU_TS_IRET;
    p->clear_old_nt = source == X86VCPU_TS_IRET;
    p->nest = source == X86VCPU_TS_CALL || source == X86VCPU_TS_GATE;
}

uint32_t x86vcpu__ts_new_eflags(int source, uint32_t tss_eflags)
{
    uint32_t fl = (tss_eflags & X86VCPU_EFLAGS_DEFINED) | 2u;
    if (source == X86VCPU_TS_CALL || source == X86VCPU_TS_GATE)
        fl |= X86VCPU_EFLAGS_NT;
    return fl;
}

int x86vcpu__ts_check_ldt(uint16_t sel, int present, uint64_t raw, struct x86vcpu_ts_fault *f)
{
    if (!(sel & 0xfffc))
        return 0;
    struct x86vcpu_desc d;
    x86vcpu__desc_decode(raw, &d);
    if ((sel & 4) || !present || (d.ar & DESC_S) || (d.ar & 0xf) != X86VCPU_DESC_LDT ||
        !(d.ar & DESC_P))
        return fault(f, X86VCPU_VEC_TS, sel);
    return 0;
}

int x86vcpu__ts_check_ss(uint16_t sel, int present, uint64_t raw, uint32_t cpl,
                         struct x86vcpu_ts_fault *f)
{
    struct x86vcpu_desc d;
    x86vcpu__desc_decode(raw, &d);
    if (!(sel & 0xfffc) || !present || (sel & 3) != cpl || !(d.ar & DESC_S) ||
        (d.ar & TYPE_CODE) || !(d.ar & TYPE_RW) || DESC_DPL(d.ar) != cpl)
        return fault(f, X86VCPU_VEC_TS, sel);
    if (!(d.ar & DESC_P))
        return fault(f, X86VCPU_VEC_SS, sel);
    return 0;
}

int x86vcpu__ts_check_cs(uint16_t sel, int present, uint64_t raw, struct x86vcpu_ts_fault *f)
{
    struct x86vcpu_desc d;
    x86vcpu__desc_decode(raw, &d);
    uint32_t dpl = DESC_DPL(d.ar), rpl = sel & 3u;
    if (!(sel & 0xfffc) || !present || !(d.ar & DESC_S) || !(d.ar & TYPE_CODE) ||
        ((d.ar & TYPE_CONF) ? dpl > rpl : dpl != rpl))
        return fault(f, X86VCPU_VEC_TS, sel);
    if (!(d.ar & DESC_P))
        return fault(f, X86VCPU_VEC_NP, sel);
    return 0;
}

int x86vcpu__ts_check_data(uint16_t sel, int present, uint64_t raw, uint32_t cpl,
                           struct x86vcpu_ts_fault *f)
{
    if (!(sel & 0xfffc))
        return 0;
    struct x86vcpu_desc d;
    x86vcpu__desc_decode(raw, &d);
    uint32_t dpl = DESC_DPL(d.ar), rpl = sel & 3u;
    int code = (d.ar & TYPE_CODE) != 0;
    if (!present || !(d.ar & DESC_S) || (code && !(d.ar & TYPE_RW)) ||
        ((!code || !(d.ar & TYPE_CONF)) && (rpl > dpl || cpl > dpl)))
        return fault(f, X86VCPU_VEC_TS, sel);
    if (!(d.ar & DESC_P))
        return fault(f, X86VCPU_VEC_NP, sel);
    return 0;
}

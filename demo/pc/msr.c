/* demo/pc/msr.c — a PC's miscellaneous MSRs (see msr.h). Pure. */
#include <stdint.h>

#include "bus.h"
#include "vm.h"
#include "pc/msr.h"

#define MSR_FEATURE_CONTROL 0x3a
#define MSR_TSC_ADJUST      0x3b
#define MSR_PKG_CST_CONFIG  0xe2
#define MSR_MTRRCAP         0xfe
#define MSR_MTRR_DEF_TYPE   0x2ff
#define MSR_TSC_DEADLINE    0x6e0

/* Read from the hardware (no exit), writes exit and are dropped: the TSC
 * and a few identification MSRs. */
static const uint32_t read_only_msrs[] = { 0x10, 0x17, 0x8b, 0x179, 0x17a, 0x1a0 };

static int msr_read(void *dev, uint64_t msr, uint32_t size, uint64_t *val)
{
    struct pc_msrs *m = dev;
    (void)size;
    switch (msr) {
    case MSR_FEATURE_CONTROL: *val = 1; return BUS_OK;     /* lock bit only */
    case MSR_TSC_ADJUST: *val = m->tsc_adjust; return BUS_OK;
    case MSR_PKG_CST_CONFIG: *val = 0; return BUS_OK;
    case MSR_MTRRCAP: *val = 0; return BUS_OK;
    case MSR_MTRR_DEF_TYPE: *val = 0x806; return BUS_OK;  /* E | type 6 (WB) */
    default: return BUS_FAULT;
    }
}

static int msr_write(void *dev, uint64_t msr, uint32_t size, uint64_t val)
{
    struct pc_msrs *m = dev;
    (void)size;
    switch (msr) {
    case MSR_TSC_ADJUST:
        m->tsc_adjust = val;
        return BUS_OK;
    case MSR_FEATURE_CONTROL:   /* locked */
    case MSR_MTRRCAP:           /* read-only */
        return BUS_FAULT;
    default:                    /* dropped: the host's to keep */
        return BUS_OK;
    }
}

static const struct bus_ops msr_ops = { msr_read, msr_write };

int pc_msrs_attach(struct pc_msrs *m, struct vm *vm)
{
    static const uint32_t emulated[] = { MSR_FEATURE_CONTROL, MSR_TSC_ADJUST, MSR_PKG_CST_CONFIG,
                                         MSR_MTRRCAP, MSR_MTRR_DEF_TYPE };
    int err = 0;
    m->tsc_adjust = 0;
    for (unsigned i = 0; i < sizeof emulated / sizeof emulated[0]; i++)
        err |= bus_add(&vm->bus, BUS_MSR, emulated[i], 1, &msr_ops, m);
    for (unsigned i = 0; i < sizeof read_only_msrs / sizeof read_only_msrs[0]; i++) {
        err |= bus_add(&vm->bus, BUS_MSR, read_only_msrs[i], 1, &msr_ops, m);
        err |= bus_pass(&vm->bus, BUS_MSR, read_only_msrs[i], 1, BUS_PASS_READ);
    }
    err |= bus_pass(&vm->bus, BUS_MSR, MSR_TSC_DEADLINE, 1, BUS_PASS_READ | BUS_PASS_WRITE);
    return err ? -1 : 0;
}

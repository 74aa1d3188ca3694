/* demo/pc/msr.c — a PC's miscellaneous MSRs (see msr.h). Pure. */
#include <stdint.h>

#include "bus.h"
#include "vm.h"
#include "pc/msr.h"

#define MSR_PLATFORM_ID     0x17
#define MSR_FEATURE_CONTROL 0x3a
#define MSR_BIOS_SIGN_ID    0x8b
#define MSR_PKG_CST_CONFIG  0xe2

static int msr_read(void *dev, uint64_t msr, uint32_t size, uint64_t *val)
{
    (void)dev;
    (void)size;
    switch (msr) {
    case MSR_FEATURE_CONTROL: *val = 1; return BUS_OK;     /* lock bit only */
    case MSR_PLATFORM_ID:
    case MSR_BIOS_SIGN_ID:
    case MSR_PKG_CST_CONFIG: *val = 0; return BUS_OK;
    default: return BUS_FAULT;
    }
}

static int msr_write(void *dev, uint64_t msr, uint32_t size, uint64_t val)
{
    (void)dev;
    (void)size;
    (void)val;
    switch (msr) {
    case MSR_BIOS_SIGN_ID:      /* 0 before CPUID(1): update protocol */
    case MSR_PKG_CST_CONFIG:
        return BUS_OK;          /* dropped */
    default:                    /* FEATURE_CONTROL locked, PLATFORM_ID read-only */
        return BUS_FAULT;
    }
}

static const struct bus_ops msr_ops = { msr_read, msr_write };

int pc_msrs_attach(struct pc_msrs *m, struct vm *vm)
{
    static const uint32_t emulated[] = { MSR_PLATFORM_ID, MSR_FEATURE_CONTROL, MSR_BIOS_SIGN_ID,
                                         MSR_PKG_CST_CONFIG };
    int err = 0;
    m->attached = 1;
    for (unsigned i = 0; i < sizeof emulated / sizeof emulated[0]; i++)
        err |= bus_add(&vm->bus, BUS_MSR, emulated[i], 1, &msr_ops, m);
    return err ? -1 : 0;
}

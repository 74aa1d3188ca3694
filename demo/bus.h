/* demo/bus.h — how a device meets the guest: one interface for port I/O,
 * MMIO and MSRs.
 *
 * A device registers ranges of a space (ports, guest-physical bytes, MSR
 * indexes) with a read and a write handler; the run loop (vm.c) hands each
 * IN/OUT, INS/OUTS (element by element, through x86vcpu_string_io), MMIO
 * and RDMSR/WRMSR exit to the bus and completes it (x86vcpu_complete_*)
 * with what the handler answered. An access belongs
 * to the range its first byte (port, address, MSR) falls in; the handler
 * sees the access as the guest made it and may decline it. Where no
 * device answers: ports and MMIO read all-ones and ignore writes (an empty
 * PC bus), MSRs fault with #GP(0) (an unimplemented MSR).
 *
 * A device may also declare ranges the guest reaches directly (no exit):
 * bus_pass; the vCPU's intercept bitmaps are set from them.
 *
 * Pure logic (no hardware, no library calls): unit-tested on the host
 * (tests/unit/test_bus.c). */
#ifndef DEMO_BUS_H
#define DEMO_BUS_H

#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

enum bus_space { BUS_PIO, BUS_MMIO, BUS_MSR, BUS_SPACES };

/* What a handler returns. */
#define BUS_OK        0
#define BUS_FAULT     1   /* MSRs: the guest gets #GP(0) */
#define BUS_UNCLAIMED 2   /* not this device's access after all (say, one
                           * that runs past its registers): as if no device
                           * were there */

/* addr: the port, guest-physical address or MSR index of the access (not
 * an offset); size in bytes (MSRs: 8). A read stores the value in *val
 * (the low size bytes count). A NULL handler declines that direction. */
struct bus_ops {
    int (*read)(void *dev, uint64_t addr, uint32_t size, uint64_t *val);
    int (*write)(void *dev, uint64_t addr, uint32_t size, uint64_t val);
};

struct bus_range {
    uint64_t base, len;
    const struct bus_ops *ops;
    void *dev;
};

#define BUS_PASS_READ  1u
#define BUS_PASS_WRITE 2u
struct bus_pass {
    uint32_t space;     /* BUS_PIO or BUS_MSR */
    uint32_t flags;     /* BUS_PASS_*; ports: both or nothing */
    uint32_t base, len;
};

#define BUS_RANGES 32   /* per space */
#define BUS_PASSES 24
struct bus {
    struct bus_range r[BUS_SPACES][BUS_RANGES]; /* sorted by base, disjoint */
    uint32_t n[BUS_SPACES];
    struct bus_pass pass[BUS_PASSES];
    uint32_t npass;
};

/* Register [base, base + len) of a space for a device. Returns 0, or -1
 * when it overlaps a range already there, is empty or wraps, or the table
 * is full. Ranges may be added while the guest runs (before the next
 * access). */
int bus_add(struct bus *b, enum bus_space sp, uint64_t base, uint64_t len,
            const struct bus_ops *ops, void *dev);
/* Drop the range of that space starting at base (0 when it was there). */
int bus_remove(struct bus *b, enum bus_space sp, uint64_t base);
/* The guest reaches [base, base + len) of BUS_PIO / BUS_MSR directly in the
 * directions of flags. Returns 0 or -1 (full). */
int bus_pass(struct bus *b, enum bus_space sp, uint32_t base, uint32_t len, uint32_t flags);

/* The range holding addr, or NULL. Sorted ranges: the search stops at the
 * first one above addr (and the common unclaimed port, 0x80 for POST
 * codes, sits below the devices). Inline, as the routing below: this is
 * every I/O exit's path (the OUT benchmark of make bochs-test times it). */
static inline const struct bus_range *bus_find(const struct bus *b, enum bus_space sp,
                                               uint64_t addr)
{
    const struct bus_range *r = b->r[sp];
    for (uint32_t i = 0, n = b->n[sp]; i < n && r[i].base <= addr; i++)
        if (addr - r[i].base < r[i].len)
            return &r[i];
    return 0;
}

/* All-ones in the low size bytes (size 1..8). */
static inline uint64_t bus_ones(uint32_t size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* One access routed to its device. Returns BUS_OK, BUS_FAULT, or
 * BUS_UNCLAIMED when no device took it; a read then stores all-ones (ports,
 * MMIO) or 0 (MSRs) in *val. */
static inline int bus_read(const struct bus *b, enum bus_space sp, uint64_t addr, uint32_t size,
                           uint64_t *val)
{
    const struct bus_range *r = bus_find(b, sp, addr);
    if (r && r->ops->read) {
        int rc = r->ops->read(r->dev, addr, size, val);
        if (rc != BUS_UNCLAIMED)
            return rc;
    }
    *val = sp == BUS_MSR ? 0 : bus_ones(size);
    return BUS_UNCLAIMED;
}

static inline int bus_write(const struct bus *b, enum bus_space sp, uint64_t addr, uint32_t size,
                            uint64_t val)
{
    const struct bus_range *r = bus_find(b, sp, addr);
    if (r && r->ops->write)
        return r->ops->write(r->dev, addr, size, val);
    return BUS_UNCLAIMED;
}

/* One element of an INS/OUTS for x86vcpu_string_io (bus = the struct bus):
 * the library moves the elements through the guest's segments, page tables
 * and the EPT, and calls this once per element. Always 0 (go on). */
int bus_port_io(void *bus, uint16_t port, uint32_t size, int in, uint32_t *value);

#endif

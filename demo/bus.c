/* demo/bus.c — see bus.h. */
#include "bus.h"

int bus_add(struct bus *b, enum bus_space sp, uint64_t base, uint64_t len,
            const struct bus_ops *ops, void *dev)
{
    uint32_t n = b->n[sp], i;
    struct bus_range *r = b->r[sp];
    if (!len || base + len < base || n == BUS_RANGES)
        return -1;
    /* Sorted insertion: the first range above the new one must start at or
     * after its end, the one below must end at or before its base. */
    for (i = 0; i < n && r[i].base < base; i++)
        ;
    if ((i < n && r[i].base < base + len) || (i > 0 && r[i - 1].base + r[i - 1].len > base))
        return -1;
    for (uint32_t j = n; j > i; j--)
        r[j] = r[j - 1];
    r[i] = (struct bus_range){ base, len, ops, dev };
    b->n[sp] = n + 1;
    return 0;
}

int bus_remove(struct bus *b, enum bus_space sp, uint64_t base)
{
    struct bus_range *r = b->r[sp];
    for (uint32_t i = 0; i < b->n[sp]; i++) {
        if (r[i].base != base)
            continue;
        for (b->n[sp]--; i < b->n[sp]; i++)
            r[i] = r[i + 1];
        return 0;
    }
    return -1;
}

int bus_pass(struct bus *b, enum bus_space sp, uint32_t base, uint32_t len, uint32_t flags)
{
    if (b->npass == BUS_PASSES)
        return -1;
    b->pass[b->npass++] = (struct bus_pass){ sp, flags, base, len };
    return 0;
}

int bus_port_io(void *bus, uint16_t port, uint32_t size, int in, uint32_t *value)
{
    const struct bus *b = bus;
    if (in) {
        uint64_t val;
        bus_read(b, BUS_PIO, port, size, &val);
        *value = (uint32_t)val;
    } else {
        bus_write(b, BUS_PIO, port, size, *value);
    }
    return 0;
}

/* demo/strio.c — see strio.h. */
#include "strio.h"

void strio_serve(struct x86vcpu_vcpu *v, const struct x86vcpu_exit *e, uint8_t *ram,
                 uint64_t ram_size, strio_in_fn in, strio_out_fn out, void *ctx)
{
    uint32_t size = e->u.io.size, n;
    for (n = 0; n < e->u.io.count; n++) {
        uint64_t step = (uint64_t)n * size;
        uint64_t gpa = e->u.io.df ? e->u.io.gla - step : e->u.io.gla + step;
        if (gpa >= ram_size || ram_size - gpa < size)
            break;
        uint8_t *p = ram + gpa;
        if (e->u.io.in) {
            uint32_t val = in(ctx, e->u.io.port, size);
            for (uint32_t i = 0; i < size; i++)
                p[i] = (uint8_t)(val >> (8 * i));
        } else {
            uint32_t val = 0;
            for (uint32_t i = 0; i < size; i++)
                val |= (uint32_t)p[i] << (8 * i);
            out(ctx, e->u.io.port, size, val);
        }
    }
    x86vcpu_complete_string_io(v, n);
}

/* demo/strio.h — INS/OUTS exits served element by element through a
 * device's port callbacks, shared by the demo's guest runners. */
#ifndef DEMO_STRIO_H
#define DEMO_STRIO_H
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

typedef uint32_t (*strio_in_fn)(void *ctx, uint16_t port, uint32_t size);
typedef void (*strio_out_fn)(void *ctx, uint16_t port, uint32_t size, uint32_t val);

/* The guest-linear address is taken as guest-physical in [0, ram_size)
 * (the demo's guests use string I/O with paging off or identity-mapped);
 * stops at the first element outside and completes what was moved. */
void strio_serve(struct x86vcpu_vcpu *v, const struct x86vcpu_exit *e, uint8_t *ram,
                 uint64_t ram_size, strio_in_fn in, strio_out_fn out, void *ctx);
#endif

/* demo/hal.h — what x86vcpu asks of its embedder (struct x86vcpu_hal): 4 KiB
 * frames from the demo's allocator (frames.h), physical = virtual (boot.S
 * identity-maps the first 4 GiB), log lines on the console. */
#ifndef DEMO_HAL_H
#define DEMO_HAL_H

#include <x86vcpu/x86vcpu.h>

extern const struct x86vcpu_hal demo_hal;

#endif

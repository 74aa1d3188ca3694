/* demo/hal.c — see hal.h. */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

#include "console.h"
#include "frames.h"
#include "hal.h"

static uint64_t hal_alloc(void *ctx) { (void)ctx; return frames_alloc(); }
static void hal_free(void *ctx, uint64_t pa) { (void)ctx; frames_free(pa); }
static void *hal_p2v(void *ctx, uint64_t pa) { (void)ctx; return (void *)(uintptr_t)pa; }
static uint64_t hal_v2p(void *ctx, const void *va) { (void)ctx; return (uint64_t)(uintptr_t)va; }
static void hal_log(void *ctx, const char *line) { (void)ctx; con_printf("[x86vcpu] %s\n", line); }

const struct x86vcpu_hal demo_hal = {
    .ctx = 0, .alloc_frame = hal_alloc, .free_frame = hal_free,
    .phys_to_virt = hal_p2v, .virt_to_phys = hal_v2p, .log = hal_log,
};

/* demo/pc/tsc.c — the guest's TSC frequency (see tsc.h). */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

#include "arch.h"
#include "bus.h"
#include "cmdline.h"
#include "console.h"
#include "vm.h"
#include "pc/tsc.h"
#include "dev/pit8254.h"

#define PIT_CH2     0x42
#define PIT_CMD     0x43
#define PORT_B      0x61    /* bit 0: channel 2 gate, bit 1: speaker, bit 5: OUT2 */

uint32_t pc_tsc_calibrate(uint32_t ms)
{
    uint32_t latch = PIT8254_HZ / 1000 * ms;
    if (!latch || latch > 0xffff)
        return 0;
    uint8_t b = inb(PORT_B);
    /* Gate on, speaker off; channel 2, lobyte/hibyte, mode 0 (OUT2 goes
     * high at terminal count), binary. */
    outb(PORT_B, (uint8_t)((b & ~0x02) | 0x01));
    outb(PIT_CMD, 0xb0);
    outb(PIT_CH2, (uint8_t)latch);
    outb(PIT_CH2, (uint8_t)(latch >> 8));
    uint64_t t0 = rdtsc(), t1 = t0;
    int done = 0;
    /* Bounded: 2^26 polls are far more than 50 ms at any Bochs speed. */
    for (uint32_t i = 0; i < (1u << 26) && !done; i++)
        done = (inb(PORT_B) & 0x20) != 0;
    t1 = rdtsc();
    outb(PORT_B, b);
    if (!done)
        return 0;
    /* ticks / (latch / PIT8254_HZ s) / 1000 */
    return (uint32_t)((t1 - t0) * PIT8254_HZ / ((uint64_t)latch * 1000));
}

int pc_tsc_setup(struct vm *vm, uint32_t host, const char *demo_cmdline)
{
    uint64_t guest = 0;
    word_value(demo_cmdline, "tsc_khz", &guest);
    if (!host) {
        con_printf("x86vcpu demo: TSC calibration failed (PIT channel 2 never counted down)\n");
        return guest ? -1 : 0;
    }
    int err = x86vcpu_set_tsc_khz(vm->v, host, (uint32_t)guest);
    if (err) {
        con_printf("x86vcpu demo: guest TSC %lu kHz: %s\n", (unsigned long)guest,
                   x86vcpu_strerror(err));
        return -1;
    }
    uint32_t g = 0;
    x86vcpu_get_tsc_khz(vm->v, 0, &g);
    con_printf("x86vcpu demo: TSC %lu kHz (PIT-calibrated); the guest's %lu kHz\n",
               (unsigned long)host, (unsigned long)g);
    return 0;
}

/* tests/lib/pc.c — PC platform helpers: the 8259 pair, waiting for
 * interrupts, bounded spins, and the ways to end the machine. */
#include "libtest.h"

void pic_remap_mask(void)
{
    outb(0x21, 0xFF);                   /* mask everything first */
    outb(0xA1, 0xFF);
    outb(0x20, 0x11);                   /* ICW1: edge, cascade, ICW4 */
    outb(0xA0, 0x11);
    outb(0x21, PIC_VEC_BASE);           /* ICW2: vector bases */
    outb(0xA1, PIC_VEC_BASE + 8);
    outb(0x21, 0x04);                   /* ICW3: slave on IRQ2 */
    outb(0xA1, 0x02);
    outb(0x21, 0x01);                   /* ICW4: 8086 mode */
    outb(0xA1, 0x01);
    outb(0x21, 0xFF);                   /* OCW1: all masked */
    outb(0xA1, 0xFF);
}

void spin(u32 n)
{
    for (u32 i = 0; i < n; i++)
        cpu_pause();
}

#define POLL_MAX 20000000u

int wait_irqs(volatile u32 *cnt, u32 target, int (*armed)(void), u32 *hlts, u32 *spurious)
{
    *hlts = 0;
    *spurious = 0;
    cli();
    u32 start = *cnt;
    if (start < target) {
        /* Poll for the first: proves the interrupt is delivered at all. */
        sti();
        for (u32 i = 0; i < POLL_MAX && *cnt == start; i++)
            cpu_pause();
        cli();
        if (*cnt == start)
            return -1;
    }
    while (*cnt < target) {
        if (armed && !armed())
            return -2;
        u32 before = *cnt;
        __asm__ volatile("sti; hlt; cli" ::: "memory");
        (*hlts)++;
        if (*cnt == before)
            (*spurious)++;
        if (*hlts > 4 * target + 16)
            return -3;
    }
    return 0;
}

__attribute__((noreturn)) void bochs_shutdown(void)
{
    for (const char *s = "Shutdown"; *s; s++)
        outb(0x8900, (u8)*s);
    for (;;)
        __asm__ volatile("cli; hlt");
}

__attribute__((noreturn)) void qemu_exit(u32 v)
{
    outl(0xF4, v);                      /* QEMU isa-debug-exit: status (v << 1) | 1 */
    bochs_shutdown();
}

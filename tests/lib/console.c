/* tests/lib/console.c — the image's console: COM1 (115200 8N1, polled)
 * and/or port 0xE9, as the image was built (CONSOLE_COM1, CONSOLE_E9).
 * The multiboot kernels write COM1 only, so that a bare-Bochs run and a run
 * as a guest can be compared byte for byte; the flat guests and the
 * differential kernel write 0xE9 (Bochs' debug port; the hypervisor
 * forwards it). */
#include "libtest.h"

#if !defined(CONSOLE_COM1) && !defined(CONSOLE_E9)
#error "build with -DCONSOLE_COM1 and/or -DCONSOLE_E9"
#endif

#define COM1 0x3F8

void console_init(void)
{
#ifdef CONSOLE_COM1
    outb(COM1 + 1, 0x00);               /* IER: no interrupts */
    outb(COM1 + 3, 0x80);               /* LCR: DLAB */
    outb(COM1 + 0, 0x01);               /* divisor 1: 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);               /* 8N1, DLAB off */
    outb(COM1 + 2, 0xC7);               /* FIFO on, cleared, 14-byte trigger */
    outb(COM1 + 4, 0x03);               /* DTR, RTS (no OUT2: no IRQ) */
#endif
}

void console_putc(char c)
{
#ifdef CONSOLE_COM1
    /* LSR bit 5: THR empty. Bounded, so a missing UART cannot hang us. */
    for (u32 i = 0; i < 10000000u && !(inb(COM1 + 5) & 0x20); i++)
        cpu_pause();
    outb(COM1, (u8)c);
#endif
#ifdef CONSOLE_E9
    outb(0xE9, (u8)c);
#endif
}

void console_write(const char *s)
{
    while (*s)
        console_putc(*s++);
}

void console_flush(void)
{
#ifdef CONSOLE_COM1
    /* LSR bit 6 (TEMT): the last byte has left, before the machine ends. */
    for (u32 i = 0; i < 10000000u && !(inb(COM1 + 5) & 0x40); i++)
        cpu_pause();
#endif
}

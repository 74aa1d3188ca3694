/* demo/pc/uart.c — COM1 (see uart.h): the NS16550A model and its port
 * handlers. Pure: no hardware access, no libc, so the same file runs in
 * the demo kernel and in the host unit tests. */
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "vm.h"
#include "pc/uart.h"

/* Register and bit names after the NS16550A data sheet. */
#define UART_RBR_THR_DLL  0
#define UART_IER_DLM      1
#define UART_IIR_FCR      2
#define UART_LCR          3
#define UART_MCR          4
#define UART_LSR          5
#define UART_MSR          6
#define UART_SCR          7

#define IER_MASK      0x0f  /* bits 7:4 of IER are always 0 */
#define LCR_DLAB      0x80
#define MCR_DTR       0x01
#define MCR_RTS       0x02
#define MCR_OUT1      0x04
#define MCR_OUT2      0x08
#define MCR_LOOP      0x10
#define MCR_MASK      0x1f  /* bits 7:5 of MCR are always 0 */
#define LSR_DR        0x01
#define LSR_OE        0x02
#define LSR_THRE      0x20
#define LSR_TEMT      0x40
#define IIR_NO_INT    0x01
#define IIR_FIFOS_ON  0xc0
#define FCR_FE        0x01  /* FIFO enable */
#define FCR_RXCLR     0x02  /* receiver FIFO reset (self-clearing) */
#define FCR_TXCLR     0x04  /* transmitter FIFO reset (self-clearing) */
#define FCR_KEEP      0xc9  /* FE, DMA mode (3), RX trigger (7:6) are latched */
#define MSR_CTS       0x10
#define MSR_DSR       0x20
#define MSR_RI        0x40
#define MSR_DCD       0x80

/* Divisor latch at power-on. The data sheet leaves it undefined; QEMU's
 * serial model starts at 12 (9600 baud from the 1.8432 MHz clock), and a
 * guest reading it back before programming it sees the same as under QEMU. */
#define UART_RESET_DIVISOR 12

void uart_reset(struct uart16550 *u)
{
    /* Field by field: a struct copy may become a memset call, which the
     * freestanding kernel does not have to provide. Master-reset values from
     * the data sheet: IER, LCR, MCR, FCR 0; LSR THRE|TEMT; IIR 01h. */
    u->ier = 0;
    u->lcr = 0;
    u->mcr = 0;
    u->scr = 0;
    u->dll = UART_RESET_DIVISOR & 0xff;
    u->dlm = UART_RESET_DIVISOR >> 8;
    u->fcr = 0;
    u->rbr = 0;
    u->rx_full = 0;
    u->overrun = 0;
    u->irqs = 0;
    u->thr_ipending = 0;
    for (size_t i = 0; i < sizeof u->pad; i++)
        u->pad[i] = 0;
}

/* The receiver is one byte deep (the 16450 holding register) even with
 * FIFOs enabled: only loopback ever receives, one byte at a time. */
static void uart_receive(struct uart16550 *u, uint8_t byte)
{
    if (u->rx_full) {
        /* Data sheet, LSR bit 1: without FIFOs the next character overwrites
         * the unread one; with FIFOs the full FIFO keeps its contents and
         * the character in the shift register is lost. Either way OE. */
        u->overrun = 1;
        if (!(u->fcr & FCR_FE))
            u->rbr = byte;
        return;
    }
    u->rbr = byte;
    u->rx_full = 1;
}

void uart_enable_irqs(struct uart16550 *u)
{
    u->irqs = 1;
}

/* IIR bits 3:0, highest priority first (NS16550A data sheet, table 4). */
#define IIR_RLS  0x06
#define IIR_RDA  0x04
#define IIR_THRE 0x02
#define IER_ERBFI 0x01
#define IER_ETBEI 0x02
#define IER_ELSI  0x04
uint8_t uart_iir(const struct uart16550 *u)
{
    if (!u->irqs)
        return IIR_NO_INT;
    if ((u->ier & IER_ELSI) && u->overrun)
        return IIR_RLS;
    if ((u->ier & IER_ERBFI) && u->rx_full)
        return IIR_RDA;
    if ((u->ier & IER_ETBEI) && u->thr_ipending)
        return IIR_THRE;
    return IIR_NO_INT;
}

int uart_irq_line(const struct uart16550 *u)
{
    /* The PC's board connects INTRPT to the IRQ line through a gate that
     * MCR OUT2 opens (IBM AT serial adapter; Bochs does the same). */
    return uart_iir(u) != IIR_NO_INT && (u->mcr & MCR_OUT2);
}

uint8_t uart_read(struct uart16550 *u, unsigned off)
{
    int dlab = (u->lcr & LCR_DLAB) != 0;
    uint8_t v;

    switch (off) {
    case UART_RBR_THR_DLL:
        if (dlab)
            return u->dll;
        /* Reading RBR takes the byte: DR drops. Without a new byte the
         * holding register keeps returning the last one. */
        u->rx_full = 0;
        return u->rbr;
    case UART_IER_DLM:
        return dlab ? u->dlm : u->ier;
    case UART_IIR_FCR:
        /* Without a wired IRQ no interrupt is ever pending: the guest polls
         * LSR (IIR never reports THRE or received data, whatever IER
         * enables). Reading IIR when it reports THRE clears that interrupt
         * (data sheet, table 4). Bits 7:6 are set while FCR bit 0 has the
         * FIFOs enabled (data sheet, IIR bits 6 and 7). */
        v = uart_iir(u);
        if (v == IIR_THRE)
            u->thr_ipending = 0;
        return (uint8_t)(((u->fcr & FCR_FE) ? IIR_FIFOS_ON : 0) | v);
    case UART_LCR:
        return u->lcr;
    case UART_MCR:
        return u->mcr;
    case UART_LSR:
        /* The transmitter is always empty (THRE, TEMT). OE is cleared by
         * reading LSR (data sheet, LSR bit 1); DR only by reading RBR. */
        v = LSR_THRE | LSR_TEMT;
        if (u->rx_full)
            v |= LSR_DR;
        if (u->overrun)
            v |= LSR_OE;
        u->overrun = 0;
        return v;
    case UART_MSR:
        if (u->mcr & MCR_LOOP) {
            /* Loopback (data sheet, MCR bit 4): the modem inputs are wired
             * to the outputs RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD. */
            v = 0;
            if (u->mcr & MCR_RTS)
                v |= MSR_CTS;
            if (u->mcr & MCR_DTR)
                v |= MSR_DSR;
            if (u->mcr & MCR_OUT1)
                v |= MSR_RI;
            if (u->mcr & MCR_OUT2)
                v |= MSR_DCD;
            return v;
        }
        /* A terminal is attached and ready but not ringing: carrier, data
         * set ready, clear to send (QEMU's power-on MSR). The lines never
         * change, so the delta bits 3:0 stay 0 (as QEMU in loopback). */
        return MSR_DCD | MSR_DSR | MSR_CTS;
    case UART_SCR:
        return u->scr;
    default:
        return 0xff;  /* not a register of the chip: the bus floats */
    }
}

int uart_write(struct uart16550 *u, unsigned off, uint8_t val, uint8_t *tx)
{
    int dlab = (u->lcr & LCR_DLAB) != 0;

    switch (off) {
    case UART_RBR_THR_DLL:
        if (dlab) {
            u->dll = val;  /* divisor, not data: nothing is transmitted */
            return 0;
        }
        /* The byte leaves THR at once: THR is empty again, and the THRE
         * interrupt the write cleared is pending anew. */
        u->thr_ipending = u->irqs;
        if (u->mcr & MCR_LOOP) {
            /* Loopback: the serial output is looped to the input inside the
             * chip and the line stays idle. */
            uart_receive(u, val);
            return 0;
        }
        if (tx)
            *tx = val;
        return 1;
    case UART_IER_DLM:
        if (dlab)
            u->dlm = val;
        else {
            /* Enabling ETBEI with THR empty (it always is) raises THRE. */
            if ((val & ~u->ier & IER_ETBEI) && u->irqs)
                u->thr_ipending = 1;
            u->ier = val & IER_MASK;
        }
        return 0;
    case UART_IIR_FCR:
        /* Data sheet, FCR bit 0: changing it clears both FIFOs, and the
         * other bits are only programmed by a write that has it set. The
         * reset bits 1/2 clear themselves; the transmitter has nothing to
         * clear, the receiver loses a waiting looped-back byte. */
        if (((val ^ u->fcr) & FCR_FE) || ((val & FCR_FE) && (val & FCR_RXCLR)))
            u->rx_full = 0;
        u->fcr = (val & FCR_FE) ? (uint8_t)(val & FCR_KEEP) : 0;
        return 0;
    case UART_LCR:
        u->lcr = val;
        return 0;
    case UART_MCR:
        u->mcr = val & MCR_MASK;
        return 0;
    case UART_SCR:
        u->scr = val;
        return 0;
    default:
        /* LSR and MSR are status registers (the data sheet reserves writes
         * to them for factory test); other offsets are not the chip. */
        return 0;
    }
}

/* ---------------------------------------------------------------- device */
static void uart_update_irq(struct uart *u, int thr_written);

static int uart_io_read(void *dev, uint64_t port, uint32_t size, uint64_t *val)
{
    struct uart *u = dev;
    unsigned off = (unsigned)(port - u->base);
    if (off + size > 8)
        return BUS_UNCLAIMED;
    /* A wider access reads consecutive registers, low byte first. */
    *val = 0;
    for (uint32_t i = 0; i < size; i++)
        *val |= (uint64_t)uart_read(&u->chip, off + i) << (8 * i);
    uart_update_irq(u, 0);      /* RBR, IIR and LSR reads clear sources */
    return BUS_OK;
}

static int uart_io_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    struct uart *u = dev;
    unsigned off = (unsigned)(port - u->base);
    if (off + size > 8)
        return BUS_UNCLAIMED;
    for (uint32_t i = 0; i < size; i++) {
        uint8_t tx;
        if (uart_write(&u->chip, off + i, (uint8_t)(val >> (8 * i)), &tx))
            u->vm->console(u->vm, (char)tx);
        uart_update_irq(u, off + i == UART_RBR_THR_DLL && !(u->chip.lcr & LCR_DLAB));
    }
    return BUS_OK;
}

static const struct bus_ops uart_ops = { uart_io_read, uart_io_write };

/* The IRQ line after an access. A THR write lowers INTRPT for the moment
 * the byte is in THR (a new edge when THRE comes back), as the chip does. */
static void uart_update_irq(struct uart *u, int thr_written)
{
    if (!u->irq)
        return;
    int level = uart_irq_line(&u->chip);
    if (thr_written && u->level && level) {
        u->irq(u->irq_ctx, u->line, 0);
        u->level = 0;
    }
    if (level != u->level)
        u->irq(u->irq_ctx, u->line, level);
    u->level = level;
}

void uart_wire_irq(struct uart *u, unsigned line, void (*irq)(void *, unsigned, int), void *ctx)
{
    u->line = (uint8_t)line;
    u->level = 0;
    u->irq = irq;
    u->irq_ctx = ctx;
    uart_enable_irqs(&u->chip);
}

int uart_attach(struct uart *u, struct vm *vm, uint16_t base)
{
    uart_reset(&u->chip);
    u->vm = vm;
    u->base = base;
    u->line = 0;
    u->level = 0;
    u->irq = 0;
    u->irq_ctx = 0;
    return bus_add(&vm->bus, BUS_PIO, base, 8, &uart_ops, u);
}

/* demo/pc/uart.h — COM1: an idle 16550A.
 *
 * The model (uart_reset/read/write) is a pure state machine: the
 * transmitter is always empty (a written byte leaves at once), nothing is
 * ever received from outside, no interrupt is ever pending unless the
 * embedder wires an IRQ (uart_enable_irqs, below). DLAB (LCR
 * bit 7) switches offsets 0/1 to the divisor latch. Loopback (MCR bit 4)
 * works as on the chip: a transmitted byte is received instead of leaving,
 * and the modem status inputs follow MCR's outputs (NS16550A data sheet).
 * Outside loopback MSR reads DCD|DSR|CTS (an idle terminal attached). The
 * receiver is one byte deep even with FIFOs on. Divisor at reset: 12 (9600
 * baud, as QEMU). Offsets above 7 read 0xFF and ignore writes.
 * Unit-tested on the host (tests/unit/test_uart.c). */
#ifndef DEMO_PC_UART_H
#define DEMO_PC_UART_H

#include <stdint.h>

struct vm;

struct uart16550 {
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr, rbr;
    uint8_t rx_full;            /* a looped-back byte waits in RBR */
    uint8_t overrun;
    uint8_t irqs;               /* interrupts modelled (uart_enable_irqs) */
    uint8_t thr_ipending;       /* the THRE interrupt is pending */
    uint8_t pad[4];
};
void uart_reset(struct uart16550 *u);
/* With a wired IRQ (pic=virtual): IIR reports, by priority, receiver line
 * status (IER bit 2: OE, 06h), received data (bit 0: a byte in RBR, 04h),
 * transmitter holding register empty (bit 1, 02h: set when the bit is
 * enabled or a byte was sent, as the transmitter is always empty at once;
 * cleared by a THR write or by the IIR read that reports it) and modem
 * status (bit 3: never, the inputs do not change); the chip's INTRPT
 * output is uart_irq_line (the PC's board gates it with MCR OUT2; in
 * loopback too, as Bochs and QEMU do). Without
 * it (the default) no interrupt is ever pending and IIR reads 01h (C1h
 * with FIFOs): the guest polls. */
void uart_enable_irqs(struct uart16550 *u);
uint8_t uart_iir(const struct uart16550 *u);
int uart_irq_line(const struct uart16550 *u);
uint8_t uart_read(struct uart16550 *u, unsigned off);
/* 1 when the write sends *tx to the line (THR write, not in loopback). */
int uart_write(struct uart16550 *u, unsigned off, uint8_t val, uint8_t *tx);

/* The device: registers base..base+7 of a machine; what the guest
 * transmits goes to the machine's console. Accesses running past the last
 * register are not the UART's (all-ones / ignored). */
#define UART_COM1 0x3f8
struct uart {
    struct uart16550 chip;
    struct vm *vm;
    uint16_t base;
    uint8_t line;               /* ISA IRQ (COM1: 4) */
    int level;                  /* what was last driven */
    /* The IRQ router (pic=virtual: irq_line_cb of pc/irq.c), or 0: set it
     * with uart_wire_irq. */
    void (*irq)(void *ctx, unsigned line, int level);
    void *irq_ctx;
};
void uart_wire_irq(struct uart *u, unsigned line, void (*irq)(void *, unsigned, int), void *ctx);
int uart_attach(struct uart *u, struct vm *vm, uint16_t base);

#endif

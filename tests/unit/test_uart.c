/* Unit tests: COM1's 16550A model (demo/pc/uart.c). Expected values come
 * from the NS16550A data sheet (registers, bits, loopback, FIFO control),
 * spelled out here rather than taken from the implementation; then the
 * device on a machine's bus (ports 0x3F8-0x3FF, transmit to its console). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "pc/uart.h"
#include "vm_fixture.h"

/* ------------------------------------------------------------- 16550 UART */
/* Register offsets and bits, from the data sheet. */
enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2,
       LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
#define DLAB   0x80
#define LOOP   0x10
#define DR     0x01
#define OE     0x02
#define THRE   0x20
#define TEMT   0x40

/* A freshly reset UART, after filling the struct with garbage so that reset
 * must set every field. */
static void fresh(struct uart16550 *u)
{
    memset(u, 0xa5, sizeof *u);
    uart_reset(u);
}

/* A write that must not transmit. */
static void wr(struct uart16550 *u, unsigned off, uint8_t val)
{
    uint8_t tx = 0x5a;
    assert_int_equal(uart_write(u, off, val, &tx), 0);
    assert_int_equal(tx, 0x5a);
}

static void test_uart_reset_values(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    assert_int_equal(uart_read(&u, IER), 0x00);
    assert_int_equal(uart_read(&u, IIR), 0x01);   /* no interrupt, no FIFOs */
    assert_int_equal(uart_read(&u, LCR), 0x00);
    assert_int_equal(uart_read(&u, MCR), 0x00);
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT);
    assert_int_equal(uart_read(&u, MSR), 0xb0);   /* DCD|DSR|CTS */
    assert_int_equal(uart_read(&u, SCR), 0x00);
    assert_int_equal(u.rx_full, 0);
    assert_int_equal(u.overrun, 0);
    /* Divisor 12 (9600 baud), as QEMU. */
    wr(&u, LCR, DLAB);
    assert_int_equal(uart_read(&u, DLL), 12);
    assert_int_equal(uart_read(&u, DLM), 0);
}

static void test_uart_reset_clears_state(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    wr(&u, IER, 0x0f);
    wr(&u, FCR, 0x01);
    wr(&u, MCR, LOOP | 0x0f);
    wr(&u, THR, 1);
    wr(&u, THR, 2);             /* overrun */
    wr(&u, SCR, 0x77);
    wr(&u, LCR, DLAB | 0x03);
    wr(&u, DLL, 1);
    uart_reset(&u);
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT);
    assert_int_equal(uart_read(&u, IIR), 0x01);
    assert_int_equal(uart_read(&u, MSR), 0xb0);
    assert_int_equal(uart_read(&u, SCR), 0);
    assert_int_equal(uart_read(&u, IER), 0);
    assert_int_equal(uart_read(&u, LCR), 0);
}

static void test_uart_dlab_switching(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    wr(&u, IER, 0x05);
    wr(&u, LCR, DLAB | 0x03);
    wr(&u, DLL, 0x34);
    wr(&u, DLM, 0x12);
    assert_int_equal(uart_read(&u, DLL), 0x34);
    assert_int_equal(uart_read(&u, DLM), 0x12);
    assert_int_equal(uart_read(&u, LCR), DLAB | 0x03);
    /* DLAB=0: offsets 0/1 are RBR/IER again; the divisor did not touch them. */
    wr(&u, LCR, 0x03);
    assert_int_equal(uart_read(&u, IER), 0x05);
    assert_int_not_equal(uart_read(&u, RBR), 0x34);
    wr(&u, IER, 0x0a);
    /* Back to DLAB=1: the IER write did not touch the divisor. */
    wr(&u, LCR, DLAB);
    assert_int_equal(uart_read(&u, DLL), 0x34);
    assert_int_equal(uart_read(&u, DLM), 0x12);
    wr(&u, LCR, 0);
    assert_int_equal(uart_read(&u, IER), 0x0a);
}

static void test_uart_dlab_thr_does_not_transmit(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    wr(&u, LCR, DLAB);
    wr(&u, THR, 'x');           /* the divisor, not a byte to send */
    assert_int_equal(uart_read(&u, DLL), 'x');
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT);
    wr(&u, LCR, 0);
    uint8_t tx = 0;
    assert_int_equal(uart_write(&u, THR, 'y', &tx), 1);
    assert_int_equal(tx, 'y');
    /* The divisor kept its value. */
    wr(&u, LCR, DLAB);
    assert_int_equal(uart_read(&u, DLL), 'x');
}

static void test_uart_dlab_loopback_does_not_receive(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    wr(&u, MCR, LOOP);
    wr(&u, LCR, DLAB);
    wr(&u, THR, 0x42);
    wr(&u, LCR, 0);
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT);  /* no DR */
}

static void test_uart_ier_mask(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    wr(&u, IER, 0xff);
    assert_int_equal(uart_read(&u, IER), 0x0f);
    wr(&u, IER, 0xa5);
    assert_int_equal(uart_read(&u, IER), 0x05);
    wr(&u, IER, 0xf0);
    assert_int_equal(uart_read(&u, IER), 0x00);
}

static void test_uart_mcr_mask(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    wr(&u, MCR, 0xff);
    assert_int_equal(uart_read(&u, MCR), 0x1f);
    wr(&u, MCR, 0xe3);
    assert_int_equal(uart_read(&u, MCR), 0x03);
}

static void test_uart_lcr_scr_read_back(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    for (unsigned v = 0; v < 256; v++) {
        wr(&u, SCR, (uint8_t)v);
        assert_int_equal(uart_read(&u, SCR), v);
        wr(&u, LCR, (uint8_t)v);
        assert_int_equal(uart_read(&u, LCR), v);
    }
}

static void test_uart_transmit_every_byte(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    wr(&u, LCR, 0x03);          /* 8N1, DLAB=0 */
    for (unsigned v = 0; v < 256; v++) {
        uint8_t tx = (uint8_t)~v;
        assert_int_equal(uart_write(&u, THR, (uint8_t)v, &tx), 1);
        assert_int_equal(tx, v);
        /* The transmitter is empty again at once; nothing was received. */
        assert_int_equal(uart_read(&u, LSR), THRE | TEMT);
    }
}

static void test_uart_lsr_always_thre_temt(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    uint8_t tx;
    for (int i = 0; i < 100; i++) {
        uart_write(&u, THR, (uint8_t)i, &tx);
        uint8_t lsr = uart_read(&u, LSR);
        assert_int_equal(lsr & (THRE | TEMT), THRE | TEMT);
    }
    /* Also in loopback with a byte waiting and an overrun. */
    wr(&u, MCR, LOOP);
    wr(&u, THR, 1);
    wr(&u, THR, 2);
    assert_int_equal(uart_read(&u, LSR) & (THRE | TEMT), THRE | TEMT);
    /* Reading LSR changes neither bit. */
    assert_int_equal(uart_read(&u, LSR) & (THRE | TEMT), THRE | TEMT);
}

static void test_uart_loopback_echo(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    wr(&u, MCR, LOOP);
    wr(&u, THR, 'A');           /* received instead of sent: returns 0 */
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT | DR);
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT | DR);  /* LSR read keeps DR */
    assert_int_equal(uart_read(&u, RBR), 'A');
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT);       /* RBR read took it */
    wr(&u, THR, 'B');
    assert_int_equal(uart_read(&u, RBR), 'B');
    /* Without a new byte the holding register still reads the last one,
     * and DR stays clear. */
    assert_int_equal(uart_read(&u, RBR), 'B');
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT);
}

static void test_uart_loopback_every_byte(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    wr(&u, MCR, LOOP | 0x0b);
    for (unsigned v = 0; v < 256; v++) {
        wr(&u, THR, (uint8_t)v);
        assert_int_equal(uart_read(&u, LSR), THRE | TEMT | DR);
        assert_int_equal(uart_read(&u, RBR), v);
    }
}

static void test_uart_loopback_overrun(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    wr(&u, MCR, LOOP);
    wr(&u, THR, 0x11);
    wr(&u, THR, 0x22);          /* RBR was not read: overrun */
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT | DR | OE);
    /* Reading LSR cleared OE; DR stays until RBR is read. */
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT | DR);
    /* Without FIFOs the new character overwrote the unread one. */
    assert_int_equal(uart_read(&u, RBR), 0x22);
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT);
}

static void test_uart_loopback_overrun_fifo(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    wr(&u, FCR, 0x01);
    wr(&u, MCR, LOOP);
    wr(&u, THR, 0x11);
    wr(&u, THR, 0x22);
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT | DR | OE);
    /* With FIFOs the full FIFO keeps its byte and the new one is lost. */
    assert_int_equal(uart_read(&u, RBR), 0x11);
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT);
}

static void test_uart_rbr_read_keeps_oe(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    wr(&u, MCR, LOOP);
    wr(&u, THR, 1);
    wr(&u, THR, 2);
    uart_read(&u, RBR);
    /* Only an LSR read clears OE. */
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT | OE);
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT);
    /* A third byte after the RBR read is no overrun. */
    wr(&u, THR, 3);
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT | DR);
}

static void test_uart_leave_loopback_transmits(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    wr(&u, MCR, LOOP | 0x03);
    wr(&u, THR, 'L');
    wr(&u, MCR, 0x03);
    uint8_t tx = 0;
    assert_int_equal(uart_write(&u, THR, 'T', &tx), 1);
    assert_int_equal(tx, 'T');
    /* The looped-back byte is still waiting; the sent one did not land. */
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT | DR);
    assert_int_equal(uart_read(&u, RBR), 'L');
}

/* Loopback wiring (data sheet, MCR bit 4): RTS->CTS, DTR->DSR, OUT1->RI,
 * OUT2->DCD; MSR bits 4..7 = CTS, DSR, RI, DCD. */
static void test_uart_msr_loopback_mapping(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    for (unsigned m = 0; m < 16; m++) {
        unsigned dtr = m & 1, rts = (m >> 1) & 1, out1 = (m >> 2) & 1, out2 = (m >> 3) & 1;
        unsigned want = rts << 4 | dtr << 5 | out1 << 6 | out2 << 7;
        wr(&u, MCR, (uint8_t)(LOOP | m));
        assert_int_equal(uart_read(&u, MSR), want);
        assert_int_equal(uart_read(&u, MSR), want);  /* no delta bits appear */
    }
    /* The pairs one by one, so a swap cannot hide. */
    wr(&u, MCR, LOOP | 0x01);
    assert_int_equal(uart_read(&u, MSR), 0x20);
    wr(&u, MCR, LOOP | 0x02);
    assert_int_equal(uart_read(&u, MSR), 0x10);
    wr(&u, MCR, LOOP | 0x04);
    assert_int_equal(uart_read(&u, MSR), 0x40);
    wr(&u, MCR, LOOP | 0x08);
    assert_int_equal(uart_read(&u, MSR), 0x80);
    /* Linux's 8250 probe: MCR = LOOP|OUT2|RTS must read MSR[7:4] = 1001. */
    wr(&u, MCR, LOOP | 0x0a);
    assert_int_equal(uart_read(&u, MSR) & 0xf0, 0x90);
}

static void test_uart_msr_outside_loopback(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    for (unsigned m = 0; m < 16; m++) {
        wr(&u, MCR, (uint8_t)m);
        assert_int_equal(uart_read(&u, MSR), 0xb0);
    }
    /* Leaving loopback brings the idle terminal's lines back. */
    wr(&u, MCR, LOOP);
    assert_int_equal(uart_read(&u, MSR), 0x00);
    wr(&u, MCR, 0);
    assert_int_equal(uart_read(&u, MSR), 0xb0);
}

static void test_uart_fcr_iir(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    assert_int_equal(uart_read(&u, IIR), 0x01);
    wr(&u, FCR, 0x01);
    assert_int_equal(uart_read(&u, IIR), 0xc1);
    assert_int_equal(uart_read(&u, IIR), 0xc1);    /* reading has no effect */
    wr(&u, FCR, 0xc7);          /* trigger 14, clear both FIFOs */
    assert_int_equal(uart_read(&u, IIR), 0xc1);
    wr(&u, FCR, 0x00);
    assert_int_equal(uart_read(&u, IIR), 0x01);
    wr(&u, FCR, 0xc6);          /* bit 0 clear: FIFOs stay off */
    assert_int_equal(uart_read(&u, IIR), 0x01);
    /* IER enabling every source raises nothing (no serial IRQ): THRE is
     * empty and a byte waits, yet IIR says "none pending". */
    wr(&u, IER, 0x0f);
    wr(&u, MCR, LOOP);
    wr(&u, THR, 1);
    assert_int_equal(uart_read(&u, IIR), 0x01);
    wr(&u, FCR, 0x01);
    assert_int_equal(uart_read(&u, IIR), 0xc1);
    /* FCR is write-only: offset 2 with DLAB=1 still reads IIR. */
    wr(&u, LCR, DLAB);
    assert_int_equal(uart_read(&u, IIR), 0xc1);
}

static void test_uart_fcr_clears_rx(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    wr(&u, MCR, LOOP);
    wr(&u, FCR, 0x01);
    /* RX clear with FIFOs on drops the waiting byte. */
    wr(&u, THR, 1);
    wr(&u, FCR, 0x03);
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT);
    /* TX clear alone leaves the receiver alone. */
    wr(&u, THR, 2);
    wr(&u, FCR, 0x05);
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT | DR);
    /* Disabling the FIFOs clears them. */
    wr(&u, FCR, 0x00);
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT);
    /* With FIFOs off, bits 1/2 are not programmed without bit 0. */
    wr(&u, THR, 3);
    wr(&u, FCR, 0x06);
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT | DR);
    /* Enabling the FIFOs clears them too. */
    wr(&u, FCR, 0x01);
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT);
    /* Rewriting the same FE value without reset bits keeps the byte. */
    wr(&u, THR, 4);
    wr(&u, FCR, 0x01);
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT | DR);
    assert_int_equal(uart_read(&u, RBR), 4);
}

static void test_uart_status_writes_ignored(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    wr(&u, MCR, LOOP);
    wr(&u, THR, 9);
    wr(&u, LSR, 0x00);
    wr(&u, MSR, 0xff);
    assert_int_equal(uart_read(&u, LSR), THRE | TEMT | DR);
    assert_int_equal(uart_read(&u, MSR), 0x00);
    assert_int_equal(uart_read(&u, MCR), LOOP);
    assert_int_equal(uart_read(&u, RBR), 9);
}

static void test_uart_bad_offset(void **state)
{
    (void)state;
    struct uart16550 u, before;
    fresh(&u);
    wr(&u, SCR, 0x12);
    before = u;
    assert_int_equal(uart_read(&u, 8), 0xff);
    wr(&u, 8, 0x34);
    wr(&u, 0x3f8, 0x34);
    assert_memory_equal(&u, &before, sizeof u);
}

static void test_uart_null_tx(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    assert_int_equal(uart_write(&u, THR, 'z', NULL), 1);
}


/* ------------------------------------------------------------ on a machine */

static void test_uart_device_ports(void **state)
{
    (void)state;
    static struct uart u;
    fresh_vm();
    assert_int_equal(uart_attach(&u, &vm, UART_COM1), 0);
    /* Eight registers from 0x3F8: THR transmits to the machine's console. */
    wrp(0x3f8, 1, 'h');
    wrp(0x3f8, 1, 'i');
    assert_int_equal(ncon, 2);
    assert_memory_equal(con, "hi", 2);
    assert_int_equal(rd(0x3fd, 1), THRE | TEMT);
    /* A wider access covers consecutive registers, low byte first:
     * LSR then MSR. */
    assert_int_equal(rd(0x3fd, 2), (0xb0 << 8) | THRE | TEMT);
    /* Scratch register round trip through the port. */
    wrp(0x3ff, 1, 0x42);
    assert_int_equal(rd(0x3ff, 1), 0x42);
    /* Accesses running past 0x3FF are not the UART's: all-ones, and a
     * write changes nothing. */
    assert_int_equal(rd(0x3ff, 2), 0xffff);
    wrp(0x3fe, 4, 0x11111111);
    assert_int_equal(rd(0x3ff, 1), 0x42);
    assert_int_equal(rd(0x3f7, 1), 0xff);
    assert_int_equal(rd(0x400, 1), 0xff);
    /* A 16-bit write to THR transmits its low byte, then writes IER. */
    wrp(0x3f8, 2, 0x0f00 | 'x');
    assert_int_equal(ncon, 3);
    assert_int_equal(con[2], 'x');
    assert_int_equal(rd(0x3f9, 1), 0x0f);
}

static void test_uart_device_reset_on_attach(void **state)
{
    (void)state;
    static struct uart u;
    fresh_vm();
    memset(&u, 0xa5, sizeof u);
    assert_int_equal(uart_attach(&u, &vm, UART_COM1), 0);
    assert_ptr_equal(u.vm, &vm);
    assert_int_equal(rd(0x3fb, 1), 0);          /* LCR */
    assert_int_equal(rd(0x3fa, 1), 0x01);       /* IIR: no interrupt */
    /* The range is taken: a second COM1 does not fit. */
    assert_int_equal(uart_attach(&u, &vm, UART_COM1 + 4), -1);
}

/* With a wired IRQ (pic=virtual): IIR by priority (data sheet table 4),
 * THRE set by enabling ETBEI and by each transmission, cleared by the IIR
 * read reporting it; received data (loopback) above THRE; line status
 * (overrun) above both; the line gated by MCR OUT2; a THR write gives a
 * new edge. */
static struct { unsigned n; unsigned line; int level; } irqlog;
static void rec_irq(void *ctx, unsigned line, int level)
{
    (void)ctx;
    irqlog.n++;
    irqlog.line = line;
    irqlog.level = level;
}

static void test_uart_interrupts(void **state)
{
    (void)state;
    struct uart16550 u;
    fresh(&u);
    uart_enable_irqs(&u);
    assert_int_equal(uart_read(&u, IIR), 0x01);
    wr(&u, IER, 0x02);                          /* ETBEI: THR is empty */
    assert_int_equal(uart_iir(&u), 0x02);
    assert_int_equal(uart_irq_line(&u), 0);     /* OUT2 closed */
    wr(&u, MCR, 0x08);
    assert_int_equal(uart_irq_line(&u), 1);
    assert_int_equal(uart_read(&u, IIR), 0x02); /* reported: cleared */
    assert_int_equal(uart_read(&u, IIR), 0x01);
    assert_int_equal(uart_irq_line(&u), 0);
    uint8_t tx = 0;
    assert_int_equal(uart_write(&u, THR, 'a', &tx), 1);
    assert_int_equal(uart_read(&u, IIR), 0x02); /* sent: empty again */
    wr(&u, FCR, 0x01);
    assert_int_equal(uart_write(&u, THR, 'b', &tx), 1);
    assert_int_equal(uart_read(&u, IIR), 0xc2); /* FIFO bits too */
    /* Received data (loopback) ranks above THRE; reading RBR clears it. */
    wr(&u, FCR, 0x00);
    wr(&u, MCR, 0x18);
    wr(&u, IER, 0x07);
    wr(&u, THR, 'c');
    assert_int_equal(uart_iir(&u), 0x04);
    wr(&u, THR, 'd');                           /* overrun: line status first */
    assert_int_equal(uart_iir(&u), 0x06);
    assert_int_equal(uart_read(&u, LSR) & OE, OE);
    assert_int_equal(uart_iir(&u), 0x04);
    assert_int_equal(uart_read(&u, RBR), 'd');
    assert_int_equal(uart_iir(&u), 0x02);
    wr(&u, IER, 0x00);
    assert_int_equal(uart_iir(&u), 0x01);
    /* Without uart_enable_irqs nothing is ever pending. */
    fresh(&u);
    wr(&u, MCR, 0x18);
    wr(&u, IER, 0x0f);
    wr(&u, THR, 'e');
    assert_int_equal(uart_iir(&u), 0x01);
    assert_int_equal(uart_irq_line(&u), 0);

    /* The device drives its line through the router. */
    static struct uart d;
    fresh_vm();
    assert_int_equal(uart_attach(&d, &vm, UART_COM1), 0);
    memset(&irqlog, 0, sizeof irqlog);
    uart_wire_irq(&d, 4, rec_irq, 0);
    wrp(0x3fc, 1, 0x08);                        /* OUT2 */
    assert_int_equal(irqlog.n, 0);
    wrp(0x3f9, 1, 0x02);                        /* ETBEI: up */
    assert_int_equal(irqlog.n, 1);
    assert_int_equal(irqlog.line, 4);
    assert_int_equal(irqlog.level, 1);
    wrp(0x3f8, 1, 'x');                         /* a new edge: down, up */
    assert_int_equal(irqlog.n, 3);
    assert_int_equal(irqlog.level, 1);
    assert_int_equal(rd(0x3fa, 1), 0x02);       /* the IIR read lowers it */
    assert_int_equal(irqlog.n, 4);
    assert_int_equal(irqlog.level, 0);
    wrp(0x3fb, 1, 0x80);                        /* DLAB: a divisor write is no THR write */
    wrp(0x3f8, 1, 1);
    assert_int_equal(irqlog.n, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uart_interrupts),
        cmocka_unit_test(test_uart_reset_values),
        cmocka_unit_test(test_uart_reset_clears_state),
        cmocka_unit_test(test_uart_dlab_switching),
        cmocka_unit_test(test_uart_dlab_thr_does_not_transmit),
        cmocka_unit_test(test_uart_dlab_loopback_does_not_receive),
        cmocka_unit_test(test_uart_ier_mask),
        cmocka_unit_test(test_uart_mcr_mask),
        cmocka_unit_test(test_uart_lcr_scr_read_back),
        cmocka_unit_test(test_uart_transmit_every_byte),
        cmocka_unit_test(test_uart_lsr_always_thre_temt),
        cmocka_unit_test(test_uart_loopback_echo),
        cmocka_unit_test(test_uart_loopback_every_byte),
        cmocka_unit_test(test_uart_loopback_overrun),
        cmocka_unit_test(test_uart_loopback_overrun_fifo),
        cmocka_unit_test(test_uart_rbr_read_keeps_oe),
        cmocka_unit_test(test_uart_leave_loopback_transmits),
        cmocka_unit_test(test_uart_msr_loopback_mapping),
        cmocka_unit_test(test_uart_msr_outside_loopback),
        cmocka_unit_test(test_uart_fcr_iir),
        cmocka_unit_test(test_uart_fcr_clears_rx),
        cmocka_unit_test(test_uart_status_writes_ignored),
        cmocka_unit_test(test_uart_bad_offset),
        cmocka_unit_test(test_uart_null_tx),
        cmocka_unit_test(test_uart_device_ports),
        cmocka_unit_test(test_uart_device_reset_on_attach),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

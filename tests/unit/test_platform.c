/* Unit tests: the demo's PC platform device models (demo/lib/platform.c).
 * Expected values come from the sources the models follow, spelled out here
 * rather than taken from the implementation: the NS16550A data sheet (UART
 * registers), QEMU docs/specs/fw_cfg.rst (fw_cfg items), QEMU pc-testdev and
 * isa-debug-exit (latch, exit status), Bochs' shutdown port, and SDM Vol. 3A
 * 11.4.4 / 11.12 (IA32_APIC_BASE, x2APIC state transitions). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "lib/platform.h"

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

/* ----------------------------------------------------------------- fw_cfg */
static struct fwcfg fw(void)
{
    struct fwcfg f;
    memset(&f, 0xa5, sizeof f);
    fwcfg_init(&f, 0x0123456789abcdefull, 0x0102, 0x1234);
    return f;
}

/* Reads n bytes of `key` and then `zeros` bytes that must be 0. */
static void expect_item(struct fwcfg *f, uint16_t key, const uint8_t *bytes, unsigned n,
                        unsigned zeros)
{
    fwcfg_select(f, key);
    for (unsigned i = 0; i < n; i++)
        if (fwcfg_read(f) != bytes[i])
            fail_msg("key %#x byte %u: expected %#x", key, i, bytes[i]);
    for (unsigned i = 0; i < zeros; i++)
        if (fwcfg_read(f) != 0)
            fail_msg("key %#x: byte %u past the end is not 0", key, n + i);
}

static void test_fwcfg_signature(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    static const uint8_t sig[] = { 'Q', 'E', 'M', 'U' };
    expect_item(&f, FWCFG_SIGNATURE, sig, 4, 16);
}

static void test_fwcfg_initial_selection(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    /* QEMU selects key 0 at reset: data reads give the signature. */
    assert_int_equal(fwcfg_read(&f), 'Q');
    assert_int_equal(fwcfg_read(&f), 'E');
    assert_int_equal(fwcfg_read(&f), 'M');
    assert_int_equal(fwcfg_read(&f), 'U');
    assert_int_equal(fwcfg_read(&f), 0);
}

static void test_fwcfg_id(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    /* Bit 0: traditional interface; bit 1 (DMA) clear. */
    static const uint8_t id[] = { 0x01, 0x00, 0x00, 0x00 };
    expect_item(&f, FWCFG_ID, id, 4, 8);
}

static void test_fwcfg_ram_size(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    static const uint8_t le[] = { 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01 };
    expect_item(&f, FWCFG_RAM_SIZE, le, 8, 8);
}

static void test_fwcfg_max_ram(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    static const uint8_t le[] = { 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01 };
    expect_item(&f, FWCFG_MAX_RAM, le, 8, 8);
    /* A typical size: 128 MiB. */
    fwcfg_init(&f, 128ull << 20, 1, 1);
    static const uint8_t m128[] = { 0, 0, 0, 0x08, 0, 0, 0, 0 };
    expect_item(&f, FWCFG_MAX_RAM, m128, 8, 4);
    expect_item(&f, FWCFG_RAM_SIZE, m128, 8, 4);
}

static void test_fwcfg_cpus(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    static const uint8_t nb[] = { 0x02, 0x01 };
    static const uint8_t max[] = { 0x34, 0x12 };
    expect_item(&f, FWCFG_NB_CPUS, nb, 2, 8);
    expect_item(&f, FWCFG_MAX_CPUS, max, 2, 8);
}

static void test_fwcfg_reselect_resets_offset(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    fwcfg_select(&f, FWCFG_SIGNATURE);
    assert_int_equal(fwcfg_read(&f), 'Q');
    assert_int_equal(fwcfg_read(&f), 'E');
    fwcfg_select(&f, FWCFG_SIGNATURE);
    assert_int_equal(fwcfg_read(&f), 'Q');
    /* Switching items mid-read starts the new one at its first byte. */
    fwcfg_select(&f, FWCFG_NB_CPUS);
    assert_int_equal(fwcfg_read(&f), 0x02);
    fwcfg_select(&f, FWCFG_RAM_SIZE);
    assert_int_equal(fwcfg_read(&f), 0xef);
    /* Reselecting after reading past the end starts over too. */
    for (int i = 0; i < 20; i++)
        fwcfg_read(&f);
    fwcfg_select(&f, FWCFG_RAM_SIZE);
    assert_int_equal(fwcfg_read(&f), 0xef);
    assert_int_equal(fwcfg_read(&f), 0xcd);
}

static void test_fwcfg_unknown_keys(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    /* Other QEMU keys (UUID, NOGRAPHIC, KERNEL_*, FILE_DIR, files), the
     * write channel (bit 14) and arch-specific (bit 15) variants of the
     * known keys, and FW_CFG_INVALID: no item here. */
    static const uint16_t keys[] = {
        0x02, 0x04, 0x06, 0x0e, 0x10, 0x12, 0x19, 0x20, 0x3fff,
        0x4000, 0x4001, 0x4003, 0x4011, 0x8000, 0x8001, 0x8003, 0x8005,
        0x800f, 0x8011, 0xc000, 0xffff,
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        expect_item(&f, keys[i], NULL, 0, 16);
    /* And the known ones still work after them. */
    static const uint8_t id[] = { 1, 0, 0, 0 };
    expect_item(&f, FWCFG_ID, id, 4, 1);
}

static void test_fwcfg_past_end_stays(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    fwcfg_select(&f, FWCFG_NB_CPUS);
    for (int i = 0; i < 100000; i++)
        fwcfg_read(&f);
    /* The offset stops at the end of the item instead of running on. */
    assert_int_equal(f.off, 2);
    assert_int_equal(fwcfg_read(&f), 0);
    assert_int_equal(f.key, FWCFG_NB_CPUS);
}

static void test_fwcfg_values_from_init(void **state)
{
    (void)state;
    struct fwcfg f;
    fwcfg_init(&f, 0xffffffffffffffffull, 0xffff, 0);
    static const uint8_t ff8[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t z2[] = { 0, 0 };
    expect_item(&f, FWCFG_RAM_SIZE, ff8, 8, 2);
    expect_item(&f, FWCFG_NB_CPUS, ff8, 2, 2);
    expect_item(&f, FWCFG_MAX_CPUS, z2, 2, 2);
}

/* ------------------------------------------------------------- pc-testdev */
/* Reference: the latch as 4 bytes; an access covers bytes [off, off+size)
 * that exist. */
static uint32_t ref_write(uint32_t latch, unsigned off, unsigned size, uint32_t val)
{
    uint8_t b[4];
    for (unsigned i = 0; i < 4; i++)
        b[i] = (uint8_t)(latch >> (8 * i));
    for (unsigned i = 0; i < size && off + i < 4; i++)
        b[off + i] = (uint8_t)(val >> (8 * i));
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint32_t ref_read(uint32_t latch, unsigned off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size && off + i < 4; i++)
        v |= ((latch >> (8 * (off + i))) & 0xff) << (8 * i);
    return v;
}

static void test_latch_full_width(void **state)
{
    (void)state;
    uint32_t l = latch_write(0, 0, 4, 0xdeadbeef);
    assert_int_equal(l, 0xdeadbeef);
    assert_int_equal(latch_read(l, 0, 4), 0xdeadbeef);
    assert_int_equal(latch_read(l, 0, 2), 0xbeef);
    assert_int_equal(latch_read(l, 2, 2), 0xdead);
    assert_int_equal(latch_read(l, 0, 1), 0xef);
    assert_int_equal(latch_read(l, 1, 1), 0xbe);
    assert_int_equal(latch_read(l, 2, 1), 0xad);
    assert_int_equal(latch_read(l, 3, 1), 0xde);
}

static void test_latch_partial_writes(void **state)
{
    (void)state;
    uint32_t l = 0x11223344;
    assert_int_equal(latch_write(l, 0, 1, 0xaa), 0x112233aa);
    assert_int_equal(latch_write(l, 1, 1, 0xaa), 0x1122aa44);
    assert_int_equal(latch_write(l, 2, 1, 0xaa), 0x11aa3344);
    assert_int_equal(latch_write(l, 3, 1, 0xaa), 0xaa223344);
    assert_int_equal(latch_write(l, 0, 2, 0xbbaa), 0x1122bbaa);
    assert_int_equal(latch_write(l, 1, 2, 0xbbaa), 0x11bbaa44);
    assert_int_equal(latch_write(l, 2, 2, 0xbbaa), 0xbbaa3344);
    /* Bits of the value beyond the access size are not written. */
    assert_int_equal(latch_write(l, 0, 1, 0xffffffaa), 0x112233aa);
    assert_int_equal(latch_write(l, 1, 2, 0xffffbbaa), 0x11bbaa44);
}

static void test_latch_bytes_past_end_dropped(void **state)
{
    (void)state;
    uint32_t l = 0x11223344;
    /* Word at offset 3: its high byte has no latch byte. */
    assert_int_equal(latch_write(l, 3, 2, 0xbbaa), 0xaa223344);
    assert_int_equal(latch_read(l, 3, 2), 0x0011);
    /* Dwords at offsets 1..3. */
    assert_int_equal(latch_write(l, 1, 4, 0xddccbbaa), 0xccbbaa44);
    assert_int_equal(latch_write(l, 2, 4, 0xddccbbaa), 0xbbaa3344);
    assert_int_equal(latch_write(l, 3, 4, 0xddccbbaa), 0xaa223344);
    assert_int_equal(latch_read(l, 1, 4), 0x00112233);
    assert_int_equal(latch_read(l, 2, 4), 0x00001122);
    assert_int_equal(latch_read(l, 3, 4), 0x00000011);
}

static void test_latch_against_reference(void **state)
{
    (void)state;
    static const unsigned sizes[] = { 1, 2, 4 };
    static const uint32_t latches[] = { 0, 0xffffffff, 0x11223344, 0x80000001 };
    static const uint32_t vals[] = { 0, 0xffffffff, 0xa1b2c3d4, 0x00ff00ff };
    for (unsigned li = 0; li < 4; li++)
        for (unsigned off = 0; off < 4; off++)
            for (unsigned si = 0; si < 3; si++) {
                unsigned size = sizes[si];
                uint32_t latch = latches[li];
                if (latch_read(latch, off, size) != ref_read(latch, off, size))
                    fail_msg("read %#x off %u size %u", latch, off, size);
                for (unsigned vi = 0; vi < 4; vi++)
                    if (latch_write(latch, off, size, vals[vi]) !=
                        ref_write(latch, off, size, vals[vi]))
                        fail_msg("write %#x off %u size %u val %#x", latch, off,
                                 size, vals[vi]);
            }
}

static void test_latch_round_trip(void **state)
{
    (void)state;
    /* What a guest writes through one port reads back through it. */
    for (unsigned off = 0; off < 4; off++) {
        uint32_t l = latch_write(0x55555555, off, 1, 0xa0 + off);
        assert_int_equal(latch_read(l, off, 1), 0xa0 + off);
    }
    for (unsigned off = 0; off < 3; off++) {
        uint32_t l = latch_write(0x55555555, off, 2, 0xbeef);
        assert_int_equal(latch_read(l, off, 2), 0xbeef);
    }
}

/* --------------------------------------------------------- isa-debug-exit */
static void test_debug_exit_status(void **state)
{
    (void)state;
    assert_int_equal(debug_exit_status(0, 1), 1);
    assert_int_equal(debug_exit_status(0x7f, 1), 0xff);
    assert_int_equal(debug_exit_status(1, 1), 3);
    assert_int_equal(debug_exit_status(0xff, 1), 0x1ff);
    /* Only the written byte counts. */
    assert_int_equal(debug_exit_status(0x1ff, 1), 0x1ff);
    assert_int_equal(debug_exit_status(0xffffff00, 1), 1);
    assert_int_equal(debug_exit_status(0x1234, 2), 0x2469);
    assert_int_equal(debug_exit_status(0x12345678, 2), 0xacf1);
    assert_int_equal(debug_exit_status(0x12345678, 4), 0x2468acf1);
    assert_int_equal(debug_exit_status(0, 4), 1);
    /* 32-bit result: bit 31 of a dword shifts out. */
    assert_int_equal(debug_exit_status(0xffffffff, 4), 0xffffffff);
    assert_int_equal(debug_exit_status(0x80000000, 4), 1);
}

/* ---------------------------------------------------- Bochs shutdown port */
/* Feeds a string byte by byte; returns how many times the port fired. */
static int feed(struct shutdown_port *s, const char *str)
{
    int n = 0;
    for (size_t i = 0; str[i]; i++)
        n += shutdown_port_write(s, (uint8_t)str[i]);
    return n;
}

static void test_shutdown_word(void **state)
{
    (void)state;
    struct shutdown_port s = { 0 };
    const char *w = "Shutdown";
    for (int i = 0; i < 7; i++)
        assert_int_equal(shutdown_port_write(&s, (uint8_t)w[i]), 0);
    assert_int_equal(shutdown_port_write(&s, 'n'), 1);
    assert_int_equal(s.matched, 0);            /* reset after firing */
    /* After firing, a tail alone does not fire again. */
    assert_int_equal(feed(&s, "hutdown"), 0);
    assert_int_equal(feed(&s, "n"), 0);
    assert_int_equal(feed(&s, "ShutdownShutdown"), 2);
}

static void test_shutdown_restart_on_s(void **state)
{
    (void)state;
    struct shutdown_port s = { 0 };
    assert_int_equal(feed(&s, "SShutdown"), 1);
    assert_int_equal(feed(&s, "SSSSShutdown"), 1);
    assert_int_equal(feed(&s, "ShutShutdown"), 1);
    assert_int_equal(feed(&s, "ShutdowShutdown"), 1);
    s.matched = 0;
    /* 'S' mid-word restarts at 1, not 0. */
    feed(&s, "Shu");
    assert_int_equal(shutdown_port_write(&s, 'S'), 0);
    assert_int_equal(s.matched, 1);
}

static void test_shutdown_interrupted(void **state)
{
    (void)state;
    struct shutdown_port s = { 0 };
    assert_int_equal(feed(&s, "Shutdowxn"), 0);
    assert_int_equal(feed(&s, "ShutXdown"), 0);
    assert_int_equal(feed(&s, "Shutdow\nn"), 0);
    assert_int_equal(feed(&s, "shutdown"), 0);
    assert_int_equal(feed(&s, "SHUTDOWN"), 0);
    assert_int_equal(feed(&s, "Shutdwn"), 0);
    /* A wrong byte resets: the rest of the word alone does not complete. */
    feed(&s, "Shut");
    assert_int_equal(shutdown_port_write(&s, 0), 0);
    assert_int_equal(s.matched, 0);
    assert_int_equal(feed(&s, "down"), 0);
    /* An out-of-order letter of the word also resets. */
    feed(&s, "Shu");
    assert_int_equal(shutdown_port_write(&s, 'd'), 0);
    assert_int_equal(s.matched, 0);
    /* And a clean word after all that fires. */
    assert_int_equal(feed(&s, "Shutdown"), 1);
}

static void test_shutdown_corrupt_state(void **state)
{
    (void)state;
    struct shutdown_port s = { 1000 };
    assert_int_equal(shutdown_port_write(&s, 'n'), 0);
    assert_int_equal(feed(&s, "Shutdown"), 1);
}

/* --------------------------------------------------------- IA32_APIC_BASE */
#define BASE0   0xfee00000ull
#define BASE1   0xfed00000ull
#define EN      APICBASE_EN
#define EXTD    APICBASE_EXTD
#define BSP     APICBASE_BSP
#define SENT_V  0x5a5a5a5a5a5a5a5aull
#define SENT_A  0xa5a5u

enum st { DIS, XAPIC, X2APIC, INVALID };
static const uint64_t st_bits[] = { 0, EN, EN | EXTD, EXTD };
static const char *const st_name[] = { "disabled", "xAPIC", "x2APIC", "invalid" };

/* A write that must #GP and leave both outputs alone. */
static void expect_gp(uint64_t cur, uint64_t val, unsigned maxphy, int x2)
{
    uint64_t next = SENT_V;
    unsigned act = SENT_A;
    int rc = apicbase_write(cur, val, maxphy, x2, &next, &act);
    if (rc != -1)
        fail_msg("cur %#llx val %#llx maxphy %u x2 %d: rc %d, expected #GP",
                 (unsigned long long)cur, (unsigned long long)val, maxphy, x2, rc);
    assert_true(next == SENT_V);
    assert_int_equal(act, SENT_A);
}

static void expect_ok(uint64_t cur, uint64_t val, unsigned maxphy, int x2,
                      uint64_t want_next, unsigned want_act)
{
    uint64_t next = SENT_V;
    unsigned act = SENT_A;
    int rc = apicbase_write(cur, val, maxphy, x2, &next, &act);
    if (rc != 0)
        fail_msg("cur %#llx val %#llx maxphy %u x2 %d: #GP, expected success",
                 (unsigned long long)cur, (unsigned long long)val, maxphy, x2);
    if (next != want_next)
        fail_msg("cur %#llx val %#llx: next %#llx, expected %#llx",
                 (unsigned long long)cur, (unsigned long long)val,
                 (unsigned long long)next, (unsigned long long)want_next);
    if (act != want_act)
        fail_msg("cur %#llx val %#llx: actions %#x, expected %#x",
                 (unsigned long long)cur, (unsigned long long)val, act, want_act);
}

/* SDM 11.12.5 with x2APIC supported, base unchanged: each valid current
 * state against each written state. -1 is #GP. */
static void test_apicbase_transition_table(void **state)
{
    (void)state;
    static const int want[3][4] = {
        /*             to DIS               XAPIC                X2APIC            INVALID */
        [DIS]    = { 0,                  APICB_ACT_ENABLE,   -1,                  -1 },
        [XAPIC]  = { APICB_ACT_DISABLE,  0,                  APICB_ACT_X2APIC,    -1 },
        [X2APIC] = { APICB_ACT_DISABLE,  -1,                 0,                   -1 },
    };
    for (int bsp = 0; bsp < 2; bsp++)
        for (int from = DIS; from <= X2APIC; from++)
            for (int to = DIS; to <= INVALID; to++) {
                uint64_t b = bsp ? BSP : 0;
                uint64_t cur = BASE0 | st_bits[from] | b;
                uint64_t val = BASE0 | st_bits[to] | b;
                uint64_t next = SENT_V;
                unsigned act = SENT_A;
                int rc = apicbase_write(cur, val, 36, 1, &next, &act);
                if (want[from][to] < 0) {
                    if (rc != -1 || next != SENT_V || act != SENT_A)
                        fail_msg("%s -> %s: expected #GP", st_name[from], st_name[to]);
                } else {
                    if (rc != 0)
                        fail_msg("%s -> %s: unexpected #GP", st_name[from], st_name[to]);
                    if (next != val)
                        fail_msg("%s -> %s: next %#llx", st_name[from], st_name[to],
                                 (unsigned long long)next);
                    if (act != (unsigned)want[from][to])
                        fail_msg("%s -> %s: actions %#x, expected %#x", st_name[from],
                                 st_name[to], act, want[from][to]);
                }
            }
}

/* The same table when the write also moves the base: MOVE joins exactly
 * the writes that leave the APIC in xAPIC mode. */
static void test_apicbase_transition_table_moving(void **state)
{
    (void)state;
    enum { D = APICB_ACT_DISABLE, E = APICB_ACT_ENABLE, X = APICB_ACT_X2APIC,
           M = APICB_ACT_MOVE };
    static const int want[3][4] = {
        [DIS]    = { 0, E | M, -1, -1 },
        [XAPIC]  = { D, M,     X,  -1 },
        [X2APIC] = { D, -1,    0,  -1 },
    };
    for (int from = DIS; from <= X2APIC; from++)
        for (int to = DIS; to <= INVALID; to++) {
            uint64_t cur = BASE0 | st_bits[from];
            uint64_t val = BASE1 | st_bits[to];
            if (want[from][to] < 0)
                expect_gp(cur, val, 36, 1);
            else
                expect_ok(cur, val, 36, 1, val, (unsigned)want[from][to]);
        }
}

static void test_apicbase_no_x2apic_support(void **state)
{
    (void)state;
    /* EXTD is reserved without x2APIC: every write with it faults, even
     * from a state where it would be legal. */
    for (int from = DIS; from <= XAPIC; from++) {
        expect_gp(BASE0 | st_bits[from], BASE0 | EN | EXTD, 52, 0);
        expect_gp(BASE0 | st_bits[from], BASE0 | EXTD, 52, 0);
    }
    /* The xAPIC-only transitions still work. */
    expect_ok(BASE0 | EN, BASE0, 52, 0, BASE0, APICB_ACT_DISABLE);
    expect_ok(BASE0, BASE0 | EN, 52, 0, BASE0 | EN, APICB_ACT_ENABLE);
    expect_ok(BASE0 | EN, BASE0 | EN, 52, 0, BASE0 | EN, 0);
    expect_ok(BASE0 | EN, BASE1 | EN, 52, 0, BASE1 | EN, APICB_ACT_MOVE);
}

static void test_apicbase_reserved_low_bits(void **state)
{
    (void)state;
    static const uint64_t curs[] = { BASE0 | EN, BASE0, BASE0 | EN | EXTD };
    for (size_t c = 0; c < 3; c++)
        for (int bit = 0; bit <= 9; bit++) {
            if (bit == 8)
                continue;
            expect_gp(curs[c], curs[c] | (1ull << bit), 36, 1);
            expect_gp(curs[c], curs[c] | (1ull << bit), 52, 1);
        }
    /* All reserved low bits together, and bit 9 alone on the reset value. */
    expect_gp(APICBASE_RESET(1), APICBASE_RESET(1) | 0x2ff, 36, 1);
    expect_gp(APICBASE_RESET(0), APICBASE_RESET(0) | 0x200, 36, 1);
    /* Bit 8 is not reserved: written 1 on an AP it is ignored, no fault. */
    expect_ok(APICBASE_RESET(0), APICBASE_RESET(0) | BSP, 36, 1, APICBASE_RESET(0), 0);
}

static void test_apicbase_reserved_high_bits_36(void **state)
{
    (void)state;
    uint64_t cur = APICBASE_RESET(1);
    for (int bit = 12; bit < 64; bit++) {
        uint64_t val = (cur & ~0xfffff000ull) | (1ull << bit);
        if (bit >= 36)
            expect_gp(cur, val, 36, 1);
        else
            expect_ok(cur, val, 36, 1, val, APICB_ACT_MOVE);
    }
    expect_ok(cur, (cur & 0xfffull) | 0xffffff000ull, 36, 1,
              (cur & 0xfffull) | 0xffffff000ull, APICB_ACT_MOVE);
}

static void test_apicbase_reserved_high_bits_52(void **state)
{
    (void)state;
    uint64_t cur = APICBASE_RESET(0);
    for (int bit = 12; bit < 64; bit++) {
        uint64_t val = (cur & 0xfffull) | (1ull << bit);
        if (bit >= 52)
            expect_gp(cur, val, 52, 1);
        else
            expect_ok(cur, val, 52, 1, val, APICB_ACT_MOVE);
    }
    /* Bit 51 is an address bit at MAXPHYADDR 52 but reserved at 36. */
    expect_ok(cur, cur | (1ull << 51), 52, 1, cur | (1ull << 51), APICB_ACT_MOVE);
    expect_gp(cur, cur | (1ull << 51), 36, 1);
    /* Bit 36 is reserved at 36, an address bit at 37. */
    expect_gp(cur, cur | (1ull << 36), 36, 1);
    expect_ok(cur, cur | (1ull << 36), 37, 1, cur | (1ull << 36), APICB_ACT_MOVE);
}

static void test_apicbase_maxphyaddr_boundary(void **state)
{
    (void)state;
    uint64_t cur = APICBASE_RESET(1);
    for (unsigned m = 36; m <= 52; m++) {
        expect_ok(cur, cur | (1ull << (m - 1)), m, 1, cur | (1ull << (m - 1)),
                  APICB_ACT_MOVE);
        expect_gp(cur, cur | (1ull << m), m, 1);
        expect_gp(cur, cur | (1ull << 63), m, 1);
    }
    /* Out-of-range MAXPHYADDR values are clamped to 32..52. */
    expect_gp(cur, cur | (1ull << 52), 64, 1);
    expect_gp(cur, cur | (1ull << 52), 200, 1);
    expect_ok(cur, cur | (1ull << 51), 64, 1, cur | (1ull << 51), APICB_ACT_MOVE);
    expect_gp(cur, cur | (1ull << 32), 0, 1);
    expect_ok(0xfee00000ull | EN, 0xfec00000ull | EN, 0, 1, 0xfec00000ull | EN,
              APICB_ACT_MOVE);
}

static void test_apicbase_bsp_read_only(void **state)
{
    (void)state;
    /* BSP set stays set when written 0, in every valid transition. */
    expect_ok(BASE0 | EN | BSP, BASE0 | EN, 36, 1, BASE0 | EN | BSP, 0);
    expect_ok(BASE0 | EN | BSP, BASE0, 36, 1, BASE0 | BSP, APICB_ACT_DISABLE);
    expect_ok(BASE0 | EN | BSP, BASE0 | EN | EXTD, 36, 1, BASE0 | EN | EXTD | BSP,
              APICB_ACT_X2APIC);
    expect_ok(BASE0 | BSP, BASE1 | EN, 36, 1, BASE1 | EN | BSP,
              APICB_ACT_ENABLE | APICB_ACT_MOVE);
    /* BSP clear stays clear when written 1. */
    expect_ok(BASE0 | EN, BASE0 | EN | BSP, 36, 1, BASE0 | EN, 0);
    expect_ok(BASE0 | EN, BASE0 | BSP, 36, 1, BASE0, APICB_ACT_DISABLE);
    expect_ok(BASE0 | EN | EXTD, BASE0 | EN | EXTD | BSP, 36, 1, BASE0 | EN | EXTD, 0);
    expect_ok(BASE0, BASE0 | EN | BSP, 36, 1, BASE0 | EN, APICB_ACT_ENABLE);
    /* A failing write does not touch BSP either (outputs untouched). */
    expect_gp(BASE0 | EN | EXTD | BSP, BASE0 | EN, 36, 1);
}

static void test_apicbase_move(void **state)
{
    (void)state;
    /* Moving the visible xAPIC. */
    expect_ok(BASE0 | EN, BASE1 | EN, 36, 1, BASE1 | EN, APICB_ACT_MOVE);
    expect_ok(BASE1 | EN, BASE0 | EN, 36, 1, BASE0 | EN, APICB_ACT_MOVE);
    /* A different low base bit (bit 12) is a move too. */
    expect_ok(BASE0 | EN, BASE0 | EN | 0x1000, 36, 1, BASE0 | EN | 0x1000,
              APICB_ACT_MOVE);
    /* A base written while disabled is stored but moves nothing yet... */
    expect_ok(BASE0, BASE1, 36, 1, BASE1, 0);
    /* ...and enabling at the base already stored moves nothing either. */
    expect_ok(BASE1, BASE1 | EN, 36, 1, BASE1 | EN, APICB_ACT_ENABLE);
    /* In x2APIC mode the base is not used. */
    expect_ok(BASE0 | EN | EXTD, BASE1 | EN | EXTD, 36, 1, BASE1 | EN | EXTD, 0);
    /* Disabling at another base: only DISABLE. */
    expect_ok(BASE0 | EN, BASE1, 36, 1, BASE1, APICB_ACT_DISABLE);
    /* Entering x2APIC mode at another base: no MOVE. */
    expect_ok(BASE0 | EN, BASE1 | EN | EXTD, 36, 1, BASE1 | EN | EXTD, APICB_ACT_X2APIC);
}

static void test_apicbase_unchanged_no_actions(void **state)
{
    (void)state;
    for (int bsp = 0; bsp < 2; bsp++) {
        uint64_t r = APICBASE_RESET(bsp);
        expect_ok(r, r, 36, 1, r, 0);
        expect_ok(r, r, 52, 0, r, 0);
        expect_ok(r & ~EN, r & ~EN, 36, 1, r & ~EN, 0);
        expect_ok(r | EXTD, r | EXTD, 36, 1, r | EXTD, 0);
    }
    /* The reset value itself: 0xFEE00000 with EN, and BSP on the BSP. */
    assert_true(APICBASE_RESET(1) == 0xfee00900ull);
    assert_true(APICBASE_RESET(0) == 0xfee00800ull);
}

static void test_apicbase_x2apic_exit_path(void **state)
{
    (void)state;
    /* SDM 11.12.5: the way back from x2APIC to xAPIC is through disabled. */
    uint64_t cur = APICBASE_RESET(1);
    uint64_t next;
    unsigned act;
    assert_int_equal(apicbase_write(cur, BASE0 | EN | EXTD, 39, 1, &next, &act), 0);
    assert_int_equal(act, APICB_ACT_X2APIC);
    cur = next;
    expect_gp(cur, BASE0 | EN, 39, 1);
    assert_int_equal(apicbase_write(cur, BASE0, 39, 1, &next, &act), 0);
    assert_int_equal(act, APICB_ACT_DISABLE);
    cur = next;
    expect_gp(cur, BASE0 | EN | EXTD, 39, 1);
    assert_int_equal(apicbase_write(cur, BASE0 | EN, 39, 1, &next, &act), 0);
    assert_int_equal(act, APICB_ACT_ENABLE);
    assert_true(next == APICBASE_RESET(1));
    assert_int_equal(apicbase_write(next, BASE0 | EN | EXTD, 39, 1, &next, &act), 0);
    assert_int_equal(act, APICB_ACT_X2APIC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
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
        cmocka_unit_test(test_fwcfg_signature),
        cmocka_unit_test(test_fwcfg_initial_selection),
        cmocka_unit_test(test_fwcfg_id),
        cmocka_unit_test(test_fwcfg_ram_size),
        cmocka_unit_test(test_fwcfg_max_ram),
        cmocka_unit_test(test_fwcfg_cpus),
        cmocka_unit_test(test_fwcfg_reselect_resets_offset),
        cmocka_unit_test(test_fwcfg_unknown_keys),
        cmocka_unit_test(test_fwcfg_past_end_stays),
        cmocka_unit_test(test_fwcfg_values_from_init),
        cmocka_unit_test(test_latch_full_width),
        cmocka_unit_test(test_latch_partial_writes),
        cmocka_unit_test(test_latch_bytes_past_end_dropped),
        cmocka_unit_test(test_latch_against_reference),
        cmocka_unit_test(test_latch_round_trip),
        cmocka_unit_test(test_debug_exit_status),
        cmocka_unit_test(test_shutdown_word),
        cmocka_unit_test(test_shutdown_restart_on_s),
        cmocka_unit_test(test_shutdown_interrupted),
        cmocka_unit_test(test_shutdown_corrupt_state),
        cmocka_unit_test(test_apicbase_transition_table),
        cmocka_unit_test(test_apicbase_transition_table_moving),
        cmocka_unit_test(test_apicbase_no_x2apic_support),
        cmocka_unit_test(test_apicbase_reserved_low_bits),
        cmocka_unit_test(test_apicbase_reserved_high_bits_36),
        cmocka_unit_test(test_apicbase_reserved_high_bits_52),
        cmocka_unit_test(test_apicbase_maxphyaddr_boundary),
        cmocka_unit_test(test_apicbase_bsp_read_only),
        cmocka_unit_test(test_apicbase_move),
        cmocka_unit_test(test_apicbase_unchanged_no_actions),
        cmocka_unit_test(test_apicbase_x2apic_exit_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

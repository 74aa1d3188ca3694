/* demo/lib/platform.c — device models of the small PC platform the demo
 * gives QEMU-style guests (interfaces and sources in platform.h). Pure state
 * machines: no hardware access, no libc, no globals, so the same file runs in
 * the demo kernel and in the host unit tests (tests/unit/test_platform.c). */
#include <stddef.h>
#include <stdint.h>

#include "lib/platform.h"

/* ================================================================ 16550 UART
 * Register and bit names after the NS16550A data sheet. */
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
        /* No interrupt is ever pending: the demo wires no serial IRQ and
         * the guest polls LSR (so IIR never reports THRE or received data,
         * whatever IER enables). Bits 7:6 are set while FCR bit 0 has the
         * FIFOs enabled (data sheet, IIR bits 6 and 7). */
        return (u->fcr & FCR_FE) ? (IIR_FIFOS_ON | IIR_NO_INT) : IIR_NO_INT;
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
        else
            u->ier = val & IER_MASK;
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

/* ==================================================================== fw_cfg
 * QEMU docs/specs/fw_cfg.rst. Every item here is a little-endian integer of
 * at most 8 bytes, so an item is a (value, length) pair. */
#define FWCFG_ID_TRADITIONAL 0x1u  /* FW_CFG_ID bit 0; bit 1 (DMA) left clear */

void fwcfg_init(struct fwcfg *f, uint64_t ram_size, uint16_t nb_cpus, uint16_t max_cpus)
{
    f->ram_size = ram_size;
    f->nb_cpus = nb_cpus;
    f->max_cpus = max_cpus;
    f->pad = 0;
    f->pad2 = 0;
    /* QEMU selects key 0 (the signature) at reset. */
    f->key = FWCFG_SIGNATURE;
    f->off = 0;
}

void fwcfg_select(struct fwcfg *f, uint16_t key)
{
    /* All 16 bits are the key: bit 14 (write channel) and bit 15
     * (architecture-specific item) are kept, so 0x4000-0xffff select no item
     * of this model and read 0. The data port ignores writes here (the
     * traditional interface's writes are gone since QEMU 2.4). */
    f->key = key;
    f->off = 0;  /* fw_cfg.rst: setting the selector resets the offset */
}

static uint32_t fwcfg_item(const struct fwcfg *f, uint64_t *val)
{
    switch (f->key) {
    case FWCFG_SIGNATURE:
        /* The bytes "QEMU" in order, as a little-endian value. */
        *val = (uint64_t)'Q' | (uint64_t)'E' << 8 | (uint64_t)'M' << 16 |
               (uint64_t)'U' << 24;
        return 4;
    case FWCFG_ID:
        *val = FWCFG_ID_TRADITIONAL;
        return 4;
    case FWCFG_RAM_SIZE:
    case FWCFG_MAX_RAM:
        *val = f->ram_size;
        return 8;
    case FWCFG_NB_CPUS:
        *val = f->nb_cpus;
        return 2;
    case FWCFG_MAX_CPUS:
        *val = f->max_cpus;
        return 2;
    default:
        *val = 0;
        return 0;
    }
}

uint8_t fwcfg_read(struct fwcfg *f)
{
    uint64_t val;
    uint32_t len = fwcfg_item(f, &val);

    /* fw_cfg.rst: past the end of the item (and for a key with no item)
     * the data register reads 0. The offset stops at the end, so it cannot
     * wrap around however long the guest keeps reading. */
    if (f->off >= len)
        return 0;
    return (uint8_t)(val >> (8 * f->off++));
}

/* ================================================================ pc-testdev
 * QEMU hw/misc/pc-testdev.c, "ioport" at 0xE0: a 4-byte register; an access
 * of `size` bytes at offset `off` (the port's low two bits) covers bytes
 * off..off+size-1. Bytes past byte 3 fall outside the latch: a write drops
 * them, a read returns 0 for them. */
static uint32_t size_mask(unsigned size)
{
    return size >= 4 ? 0xffffffffu : (uint32_t)((1ull << (8 * size)) - 1);
}

uint32_t latch_read(uint32_t latch, unsigned off, unsigned size)
{
    return (latch >> (8 * (off & 3))) & size_mask(size);
}

uint32_t latch_write(uint32_t latch, unsigned off, unsigned size, uint32_t val)
{
    unsigned shift = 8 * (off & 3);
    /* 64-bit so that the shift is defined; the truncation drops the bytes
     * that would land past byte 3. */
    uint32_t mask = (uint32_t)((uint64_t)size_mask(size) << shift);
    uint32_t bits = (uint32_t)((uint64_t)(val & size_mask(size)) << shift);

    return (latch & ~mask) | bits;
}

/* ============================================================ isa-debug-exit
 * QEMU hw/misc/debugexit.c: a write of v exits with status (v << 1) | 1, v
 * being only the bytes the access wrote. Kept to 32 bits: a 4-byte v with
 * bit 31 set loses it (the host's exit status is 8 bits anyway). */
uint32_t debug_exit_status(uint32_t v, unsigned size)
{
    return ((v & size_mask(size)) << 1) | 1;
}

/* ======================================================= Bochs shutdown port
 * 'S' occurs only at the start of "Shutdown", so on a mismatch the longest
 * prefix that can still be completed is "S" if the byte is 'S', else
 * nothing: that is all the backtracking the matcher needs. */
int shutdown_port_write(struct shutdown_port *s, uint8_t byte)
{
    static const char word[8] = { 'S', 'h', 'u', 't', 'd', 'o', 'w', 'n' };

    if (s->matched >= sizeof word)  /* never left so; guards the index */
        s->matched = 0;
    if (byte == (uint8_t)word[s->matched]) {
        if (++s->matched == sizeof word) {
            s->matched = 0;
            return 1;
        }
        return 0;
    }
    s->matched = byte == (uint8_t)word[0];
    return 0;
}

/* ============================================================ IA32_APIC_BASE
 * SDM Vol. 3A 11.4.4 (Figure "IA32_APIC_BASE MSR Supporting x2APIC") and
 * 11.12.5 (x2APIC state transitions). */
#define APICBASE_BASE_MASK  (~0xfffull)
/* Reserved whatever MAXPHYADDR: bits 7:0 and 9. */
#define APICBASE_RSVD_LOW   (0xffull | (1ull << 9))

int apicbase_write(uint64_t cur, uint64_t val, unsigned maxphyaddr, int x2apic_supported,
                   uint64_t *next, unsigned *actions)
{
    /* MAXPHYADDR is 32 or 36 on processors without CPUID 80000008H and
     * at most 52 (SDM 4.1.4); clamping also keeps the shift defined. */
    if (maxphyaddr < 32)
        maxphyaddr = 32;
    if (maxphyaddr > 52)
        maxphyaddr = 52;
    uint64_t rsvd = APICBASE_RSVD_LOW | ~((1ull << maxphyaddr) - 1);
    /* Without x2APIC, EXTD is a reserved bit (SDM 11.12.1). */
    if (!x2apic_supported)
        rsvd |= APICBASE_EXTD;
    if (val & rsvd)
        return -1;

    int cur_en = (cur & APICBASE_EN) != 0, cur_x2 = (cur & APICBASE_EXTD) != 0;
    int new_en = (val & APICBASE_EN) != 0, new_x2 = (val & APICBASE_EXTD) != 0;

    /* SDM 11.12.5: EN=0 with EXTD=1 is the invalid state; x2APIC mode is
     * entered only from xAPIC mode (so not from disabled); x2APIC mode is
     * left only to disabled (so not to xAPIC). */
    if (new_x2 && !new_en)
        return -1;
    if (new_x2 && !cur_en)
        return -1;
    if (cur_en && cur_x2 && new_en && !new_x2)
        return -1;

    unsigned act = 0;
    if (cur_en && !new_en)
        act |= APICB_ACT_DISABLE;
    if (!cur_en && new_en)
        act |= APICB_ACT_ENABLE;
    if (!cur_x2 && new_x2)
        act |= APICB_ACT_X2APIC;
    /* The base matters only in xAPIC mode (x2APIC has no MMIO page); when
     * it changes while disabled or in x2APIC mode, the MOVE comes with the
     * later write that enables xAPIC mode, compared with the base then. */
    if (new_en && !new_x2 && ((cur ^ val) & APICBASE_BASE_MASK))
        act |= APICB_ACT_MOVE;

    /* BSP is set by the hardware at reset; WRMSR does not change it. */
    *next = (val & ~APICBASE_BSP) | (cur & APICBASE_BSP);
    *actions = act;
    return 0;
}

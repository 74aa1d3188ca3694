/* demo/lib/platform.h — the small PC platform the demo gives QEMU-style
 * guests: device models as pure state machines (no hardware access), so
 * they are unit-tested on the host (tests/unit/test_platform.c). The demo
 * wires them to the guest's port I/O and MSR exits. */
#ifndef DEMO_LIB_PLATFORM_H
#define DEMO_LIB_PLATFORM_H

#include <stdint.h>

/* ---------------------------------------------------------------- 16550 UART
 * An idle 16550A at COM1 (0x3F8, registers at offsets 0-7): the transmitter
 * is always empty (a written byte leaves at once), nothing is ever received
 * from outside, no interrupt is ever pending. DLAB (LCR bit 7) switches
 * offsets 0/1 to the divisor latch. Loopback (MCR bit 4) works as on the
 * chip: a transmitted byte is received instead of leaving, and the modem
 * status inputs follow MCR's outputs (NS16550A data sheet). Outside
 * loopback MSR reads DCD|DSR|CTS (an idle terminal attached). The receiver
 * is one byte deep even with FIFOs on. Divisor at reset: 12 (9600 baud, as
 * QEMU). Offsets above 7 read 0xFF and ignore writes. */
struct uart16550 {
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr, rbr;
    uint8_t rx_full;            /* a looped-back byte waits in RBR */
    uint8_t overrun;
    uint8_t pad[6];
};
void uart_reset(struct uart16550 *u);
uint8_t uart_read(struct uart16550 *u, unsigned off);
/* 1 when the write sends *tx to the line (THR write, not in loopback). */
int uart_write(struct uart16550 *u, unsigned off, uint8_t val, uint8_t *tx);

/* ------------------------------------------------------------------ fw_cfg
 * QEMU's firmware configuration device, traditional I/O interface:
 * selector at 0x510 (16-bit write), data at 0x511 (byte reads that advance
 * through the selected item; past its end, and for unknown keys, 0). */
#define FWCFG_PORT_SEL    0x510
#define FWCFG_PORT_DATA   0x511
#define FWCFG_SIGNATURE   0x00
#define FWCFG_ID          0x01
#define FWCFG_RAM_SIZE    0x03
#define FWCFG_NB_CPUS     0x05
#define FWCFG_MAX_CPUS    0x0f
#define FWCFG_MAX_RAM     0x11  /* as kvm-unit-tests reads it: end of RAM */
struct fwcfg {
    uint64_t ram_size;
    uint16_t nb_cpus, max_cpus;
    uint16_t key;
    uint16_t pad;
    uint32_t off;
    uint32_t pad2;
};
/* fwcfg_init selects key 0 (as QEMU at reset). All 16 selector bits form
 * the key: with bit 14 (write) or 15 (arch-specific) set, no item here. */
void fwcfg_init(struct fwcfg *f, uint64_t ram_size, uint16_t nb_cpus, uint16_t max_cpus);
void fwcfg_select(struct fwcfg *f, uint16_t key);
uint8_t fwcfg_read(struct fwcfg *f);

/* --------------------------------------------------------------- pc-testdev
 * Ports 0xE0-0xE3: a 32-bit latch; an access of `size` bytes at offset
 * `off` reads/writes those bytes of it (QEMU's pc-testdev "ioport");
 * bytes past byte 3 are dropped (read as 0). `off` is taken modulo 4. */
uint32_t latch_read(uint32_t latch, unsigned off, unsigned size);
uint32_t latch_write(uint32_t latch, unsigned off, unsigned size, uint32_t val);

/* ----------------------------------------------------------- isa-debug-exit
 * QEMU's isa-debug-exit at 0xF4: writing v ends the machine with exit
 * status (v << 1) | 1 (v as written, zero-extended from the access size). */
uint32_t debug_exit_status(uint32_t v, unsigned size);

/* ------------------------------------------------------ Bochs shutdown port
 * The bytes of "Shutdown" written one by one to 0x8900 (Bochs' BIOS
 * convention). Feed each byte; 1 when the word is complete (the match then
 * starts over). A wrong byte drops the partial match, except 'S', which
 * starts a new one. */
struct shutdown_port { uint32_t matched; };
int shutdown_port_write(struct shutdown_port *s, uint8_t byte);

/* --------------------------------------------------------- IA32_APIC_BASE
 * The guest's view of MSR 0x1B (SDM Vol. 3A 11.4.4 / 11.12.1): base (bits
 * MAXPHYADDR-1:12), EN (11), EXTD (10, x2APIC mode), BSP (8, read-only).
 * apicbase_write checks a WRMSR against the current value: reserved bits
 * set, or an invalid mode transition (SDM 11.12.5: x2APIC -> xAPIC,
 * disabled -> x2APIC, EN=0 with EXTD=1; EXTD without x2APIC support) fault
 * with #GP (returns -1, nothing changes). Otherwise it returns 0, the new
 * value (BSP kept as it was) and what the hypervisor must do. maxphyaddr
 * (CPUID 80000008H) is clamped to 32..52; `cur` is trusted to be valid. */
#define APICBASE_BSP   (1ull << 8)
#define APICBASE_EXTD  (1ull << 10)
#define APICBASE_EN    (1ull << 11)
#define APICBASE_RESET(bsp) (0xfee00000ull | APICBASE_EN | ((bsp) ? APICBASE_BSP : 0))
#define APICB_ACT_DISABLE  (1u << 0)  /* EN 1 -> 0: hide the APIC */
#define APICB_ACT_ENABLE   (1u << 1)  /* EN 0 -> 1: show it again, as after reset */
#define APICB_ACT_X2APIC   (1u << 2)  /* EXTD 0 -> 1 with EN: switch the hardware */
#define APICB_ACT_MOVE     (1u << 3)  /* the base changed while the xAPIC is visible */
int apicbase_write(uint64_t cur, uint64_t val, unsigned maxphyaddr, int x2apic_supported,
                   uint64_t *next, unsigned *actions);

#endif

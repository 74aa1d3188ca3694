/* demo/pc/testdev.h — the small devices test kernels use to talk to their
 * machine (as under QEMU and Bochs):
 *
 *   pc-testdev      QEMU's hw/misc/pc-testdev.c, as kvm-unit-tests use it:
 *     latch         ports 0xE0-0xE3 ("ioport"): a 32-bit register; an
 *                   access of `size` bytes at offset `off` reads/writes
 *                   those bytes of it; bytes past byte 3 are dropped (read
 *                   as 0). `off` is taken modulo 4. QEMU's second view of
 *                   it, "ioport-byte" at 0xE8-0xEB, is not provided: port
 *                   0xE9 is the debug console here (debugcon.c, Bochs'
 *                   port-E9 hack).
 *     page flush    port 0xE4, 32-bit writes of a guest-physical address:
 *                   QEMU drops and restores the host mapping of that page
 *                   (mprotect), so KVM's next access to it faults into the
 *                   hypervisor. Here: a RAM page's EPT mapping is removed
 *                   (the library's INVEPT drops cached translations); the
 *                   next access to it, the guest's or the library's, is an
 *                   EPT violation, which maps it back (latch->flush_faults
 *                   counts them). At most TESTDEV_FLUSH_MAX pages at a time
 *                   (the oldest is mapped back first); other addresses, and
 *                   other sizes, are ignored.
 *     iomem         guest-physical 0xFF000000-0xFF00FFFF: 64 KiB that read
 *                   back what was written, every access an MMIO exit through
 *                   the library's instruction emulation (test kernels use it
 *                   to make an instruction be emulated). Bytes past the end
 *                   are dropped / read 0.
 *     IRQ lines     ports 0x2000-0x2017: a write of v to 0x2000 + n sets
 *                   line n to level v != 0 (QEMU's test_irq_line_write:
 *                   qemu_set_irq), through latch->irq (pic=virtual: ISA
 *                   IRQ n of pc/irq.c; lines 16-23 reach only its I/O
 *                   APIC, wired with lapic=virtual, and are ignored
 *                   without it); without a router they
 *                   are taken and ignored. Counted in latch->irq_writes.
 *   isa-debug-exit  port 0xF4 (QEMU): writing v ends the machine with exit
 *                   status (v << 1) | 1 (v as written, zero-extended from
 *                   the access size).
 *   shutdown port   port 0x8900 (Bochs' BIOS): the bytes of "Shutdown"
 *                   written one by one power the machine off.
 *
 * Models and handlers are pure; the models are unit-tested on the host
 * (tests/unit/test_testdev.c). */
#ifndef DEMO_PC_TESTDEV_H
#define DEMO_PC_TESTDEV_H

#include <stdint.h>

struct vm;

#define LATCH_PORT          0xe0
#define FLUSH_PORT          0xe4
#define DEBUG_EXIT_PORT     0xf4
#define TESTDEV_IRQ_PORT    0x2000
#define TESTDEV_IRQ_LINES   24
#define TESTDEV_IOMEM       0xff000000u
#define TESTDEV_IOMEM_LEN   0x10000u
#define TESTDEV_FLUSH_MAX   8
#define SHUTDOWN_PORT       0x8900

uint32_t latch_read(uint32_t latch, unsigned off, unsigned size);
uint32_t latch_write(uint32_t latch, unsigned off, unsigned size, uint32_t val);
/* The iomem window's bytes: `size` (1..8) at offset off, little-endian. */
uint64_t testdev_iomem_read(const uint8_t *buf, uint64_t off, unsigned size);
void testdev_iomem_write(uint8_t *buf, uint64_t off, unsigned size, uint64_t val);

struct x86vcpu_exit;
/* The whole pc-testdev (the name stays: the latch came first). */
struct latch {
    uint32_t val;
    uint32_t nflushed;
    struct vm *vm;
    uint64_t flushed[TESTDEV_FLUSH_MAX];        /* pages unmapped by the flush port */
    uint64_t flushes, flush_faults, irq_writes;
    int (*next_on_exit)(struct vm *vm, const struct x86vcpu_exit *e);
    /* The IRQ lines' router (pic=virtual: irq_set of pc/irq.c), or 0. */
    void (*irq)(void *ctx, unsigned line, int level);
    void *irq_ctx;
    uint8_t iomem[TESTDEV_IOMEM_LEN];
};
/* Accesses that run past 0xE3 are not the latch's. Takes the vm's
 * on_exit (the EPT violations of flushed pages) and hands it every other
 * exit: attach after anything else that sets vm->on_exit. */
int latch_attach(struct latch *l, struct vm *vm);
/* The flush port's EPT violation: 1 when e was a flushed page's access
 * (mapped back, the guest runs it again). */
int testdev_flush_fault(struct latch *l, const struct x86vcpu_exit *e);

uint32_t debug_exit_status(uint32_t v, unsigned size);
/* A write of any size ends the run: vm_end(status, "isa-debug-exit"). */
int debug_exit_attach(struct vm *vm);

/* Feed each byte; 1 when the word is complete (the match then starts
 * over). A wrong byte drops the partial match, except 'S', which starts a
 * new one. */
struct shutdown_port {
    uint32_t matched;
    struct vm *vm;
};
int shutdown_port_write(struct shutdown_port *s, uint8_t byte);
/* Byte writes; "Shutdown" ends the run: vm_end(VM_OFF, "shutdown port 0x8900"). */
int shutdown_port_attach(struct shutdown_port *s, struct vm *vm);

#endif

/* demo/pc/testdev.h — the small devices test kernels use to talk to their
 * machine (as under QEMU and Bochs):
 *
 *   latch           ports 0xE0-0xE3: QEMU pc-testdev's "ioport", a 32-bit
 *                   register; an access of `size` bytes at offset `off`
 *                   reads/writes those bytes of it; bytes past byte 3 are
 *                   dropped (read as 0). `off` is taken modulo 4.
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
#define DEBUG_EXIT_PORT     0xf4
#define SHUTDOWN_PORT       0x8900

uint32_t latch_read(uint32_t latch, unsigned off, unsigned size);
uint32_t latch_write(uint32_t latch, unsigned off, unsigned size, uint32_t val);
struct latch { uint32_t val; };
/* Accesses that run past 0xE3 are not the latch's. */
int latch_attach(struct latch *l, struct vm *vm);

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

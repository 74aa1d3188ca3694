/* demo/dev/pit8254.h — a virtual 8254 PIT (ports 0x40-0x43) and the PC's
 * port 0x61 bits that belong to it (channel 2 gate, OUT2). A pure model.
 *
 * Time is an argument: "now" in the caller's unit, whose frequency (TSC
 * Hz, 1e9 for ns, ...) is given to pit8254_init; the counters run at
 * 1,193,182 Hz from the caller's time 0, scaled with integer math
 * (devclock.h). The model is lazy: counts and outputs are computed from
 * the time of the last load, so the caller only needs a timer for IRQ0:
 * pit8254_next_irq0() says when OUT0 next rises, pit8254_irq0_edges()
 * collects the rising edges up to now (pulse IRQ0 when it is not 0).
 *
 * Behaviour (Intel 82C54 data sheet):
 * - Control word: counter select, latch command (RW = 00), RW = LSB, MSB,
 *   LSB then MSB, modes 0-5 (6 and 7 are 2 and 3), BCD. A control word
 *   sets OUT low in mode 0, high in the others, and waits for a count.
 * - Read-back (11xxxxxx): latches count and/or status of any counters;
 *   status = OUT, NULL COUNT, the control word's bits 5:0; a status
 *   latched with a count reads first. A latched value holds until read.
 * - Modes: 0 OUT rises at terminal count (first byte of a 2-byte write
 *   stops counting); 1 one-shot, retriggered by a gate rise; 2 rate
 *   generator (OUT low for the last of N clocks); 3 square wave (high
 *   ceil(N/2), low floor(N/2)); 4 strobe (low for the one clock at TC);
 *   5 the strobe started by a gate rise. Modes 2 and 3 take a new count at
 *   the end of the current period; gate low stops modes 0/4 and holds OUT
 *   high in 2/3 (reload on rise). Count 0 = 65536 (10000 in BCD).
 * - Simplifications: a count is loaded at the write, not on the next CLK;
 *   the value read in mode 3 with an odd count is approximate (N - 2d mod N).
 * - Gates: channels 0 and 1 are tied high; channel 2's gate is port 0x61
 *   bit 0. Port 0x61 reads bits 3:0 as written, bit 4 the refresh toggle
 *   (every 18 PIT clocks, 15.09 us), bit 5 OUT2.
 * After init every counter is in mode 0 waiting for a count (OUT0 low):
 * the embedder programs what the guest's firmware would (say, counter 0 in
 * mode 3 with count 0, as a BIOS does) through pit8254_port_write. */
#ifndef DEMO_DEV_PIT8254_H
#define DEMO_DEV_PIT8254_H

#include <stdint.h>

#define PIT8254_HZ 1193182u

struct pit8254_counter {
    uint8_t mode, bcd, rw, ctrl;    /* from the control word; ctrl: bits 5:0 */
    uint8_t gate;
    uint8_t state;                  /* PIT_* in pit8254.c */
    uint8_t null_count;             /* CR written, not yet in the counter */
    uint8_t wmsb, rmsb;             /* RW = 3: the MSB comes next */
    uint8_t wlsb;                   /* the LSB written first */
    uint8_t latch_state;            /* count latch: 0 none, else bytes to read */
    uint8_t status_latched, status;
    uint16_t latch;
    uint32_t cr;                    /* count register, decoded: 1..65536 or 1..10000 */
    uint32_t n;                     /* count of the running cycle */
    uint64_t start;                 /* PIT tick of the current cycle's start */
    uint64_t paused_d;              /* ticks counted before the gate fell */
    uint64_t switch_tick;           /* modes 2, 3: where a new count takes over */
    uint64_t reported;              /* OUT rising edges counted in this cycle */
    uint32_t edges;                 /* rising edges not collected yet */
};

struct pit8254 {
    struct pit8254_counter c[3];
    uint64_t hz;                    /* the caller's time unit */
    uint8_t port61;                 /* bits 3:0 as written */
};

/* hz: the frequency of "now" (1 .. DEV_CLOCK_MAX_HZ). Returns 0 or -1. */
int pit8254_init(struct pit8254 *p, uint64_t hz);
/* Ports 0x40-0x43 and 0x61, byte accesses. Returns -1 for other ports
 * (reads 0xff). 0x43 is write-only: it reads 0xff. */
int pit8254_port_read(struct pit8254 *p, uint16_t port, uint64_t now, uint8_t *val);
int pit8254_port_write(struct pit8254 *p, uint16_t port, uint64_t now, uint8_t val);
/* The OUT pin of counter ch at now. */
int pit8254_out(struct pit8254 *p, unsigned ch, uint64_t now);
/* Rising edges of OUT0 since the last call (saturating); the caller pulses
 * IRQ0 once when it is not 0 (an edge-triggered line merges them). */
uint32_t pit8254_irq0_edges(struct pit8254 *p, uint64_t now);
/* The first time after now at which OUT0 rises, or UINT64_MAX: when to
 * call pit8254_irq0_edges next. */
uint64_t pit8254_next_irq0(struct pit8254 *p, uint64_t now);

#endif

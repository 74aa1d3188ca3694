/* demo/dev/rtc.h — a virtual MC146818 RTC with its 128 bytes of CMOS RAM
 * (index port 0x70, data port 0x71). A pure model: nothing reaches the
 * host's CMOS. The clock is the epoch given at init (seconds since
 * 1970-01-01 00:00:00 UTC) plus the time elapsed since, in the caller's
 * unit (frequency given at init), integer math only.
 *
 * Behaviour (MC146818A / DS12887 data sheets):
 * - Port 0x70: bits 6:0 select the register, bit 7 masks NMI (recorded:
 *   rtc_nmi_masked); it reads 0xff (write-only on a PC).
 * - Registers 0-9 and the PC's century byte 0x32: time, alarm, date, in
 *   BCD or binary (register B DM) and 12- or 24-hour (B 24/12; 12-hour
 *   hours carry PM in bit 7). Alarm bytes 11xxxxxx match anything.
 * - Register A: UIP (read-only) is set in the last 244 us before each
 *   update; DV2:0 = 010 runs the divider (other values stop the clock; the
 *   first update after a restart comes 500 ms later); RS3:0 the periodic
 *   rate (1, 2: 256, 128 Hz; 3..15: 32768 >> (RS - 1) Hz).
 * - Register B: SET stops updates (time bytes then read and take what is
 *   written; the clock restarts from them when SET clears) and clears
 *   UIE; PIE, AIE, UIE; SQWE and DSE are kept but have no effect.
 * - Register C: IRQF PF AF UF, set however the enables are, cleared by
 *   reading C; IRQF = PF.PIE + AF.AIE + UF.UIE is the IRQ8 line
 *   (rtc_irq). Register D: VRT (0x80), read-only.
 * - Years before 1970 are taken as 1970; the day of week (register 6) is
 *   computed from the date (a write to it is kept only while SET is on). */
#ifndef DEMO_DEV_RTC_H
#define DEMO_DEV_RTC_H

#include <stdint.h>

#define RTC_CENTURY 0x32        /* the century byte (ACPI FADT CENTURY) */

struct rtc {
    uint8_t ram[128];           /* time bytes hold their raw values while SET */
    uint8_t index;
    uint8_t nmi_masked;
    uint8_t running;            /* divider chain on (register A DV = 010) */
    uint8_t flags;              /* register C: PF, AF, UF */
    uint64_t hz;
    /* clock seconds = ref_secs + pos / hz, pos = ref_pos + (now - ref_time)
     * while running (the divider's position in the caller's unit) */
    uint64_t ref_time, ref_pos, ref_secs;
    uint64_t last_pos;          /* flags are computed up to here */
};

/* hz: the frequency of "now"; epoch: the clock at now. Register A = 0x26
 * (32.768 kHz, 1024 Hz), B = 0x02 (24-hour, BCD), NVRAM zero. */
int rtc_init(struct rtc *r, uint64_t hz, uint64_t epoch, uint64_t now);
/* Ports 0x70 and 0x71 (bytes); -1 for other ports (reads 0xff). */
int rtc_port_read(struct rtc *r, uint16_t port, uint64_t now, uint8_t *val);
int rtc_port_write(struct rtc *r, uint16_t port, uint64_t now, uint8_t val);
/* The embedder's setup of plain CMOS bytes (0x0e..0x7f but the century):
 * memory sizes, equipment, as firmware left them. */
void rtc_nvram_set(struct rtc *r, unsigned idx, uint8_t val);
int rtc_nmi_masked(const struct rtc *r);
/* The IRQ8 line at now (register C's IRQF). */
int rtc_irq(struct rtc *r, uint64_t now);
/* When the line may next rise, or UINT64_MAX (already up: it stays up
 * until register C is read; or nothing enabled). With AIE that is the
 * next update (one wake a second), not the alarm's own time. */
uint64_t rtc_next_event(struct rtc *r, uint64_t now);

#endif

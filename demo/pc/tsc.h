/* demo/pc/tsc.h — the guest's TSC frequency: the host's, calibrated
 * against the PIT, given to the library (x86vcpu_set_tsc_khz), and the
 * guest's own rate from the demo's command line (tsc_khz=N, make run
 * TSC_KHZ=N: TSC scaling). */
#ifndef DEMO_PC_TSC_H
#define DEMO_PC_TSC_H

#include <stdint.h>

struct vm;

/* Host TSC kHz measured over PIT channel 2 counting `ms` milliseconds
 * (the classic calibration: Linux's pit_calibrate_tsc); 0 if the PIT
 * never counted down. */
uint32_t pc_tsc_calibrate(uint32_t ms);
/* Give the bound vCPU the host's frequency (host kHz, from
 * pc_tsc_calibrate; 0: it failed) and the guest's. Returns 0, or -1
 * (printed why). */
int pc_tsc_setup(struct vm *vm, uint32_t host, const char *demo_cmdline);

#endif

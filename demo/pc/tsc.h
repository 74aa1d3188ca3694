/* demo/pc/tsc.h — the guest's TSC frequency: the host's, calibrated
 * against the PIT, given to the library (x86vcpu_set_tsc_khz), and the
 * guest's own rate from the demo's command line (tsc_khz=N, make run
 * TSC_KHZ=N: TSC scaling). */
#ifndef DEMO_PC_TSC_H
#define DEMO_PC_TSC_H

#include <stdint.h>

struct vm;

/* IA32_TSC_DEADLINE for the guest: the CPU compares the MSR with the
 * host's TSC, neither offset nor scaled, so a guest's deadline is turned
 * into the host TSC value at which the guest's TSC reaches it
 * (x86vcpu_guest_tsc_to_host, never early) and the host's MSR is armed
 * with that. Reads give the guest's value while armed, 0 once it fired
 * (the CPU clears the MSR, SDM 11.5.4.1; Bochs 2.7 keeps it: the demo
 * decides from the host TSC) or when the host's reads 0 (not in
 * TSC-deadline mode). */
struct pc_tsc_deadline {
    struct vm *vm;
    uint64_t guest;     /* the deadline as the guest wrote it */
    uint64_t host;      /* the host TSC it was armed at */
};
int pc_tsc_deadline_attach(struct pc_tsc_deadline *d, struct vm *vm);

/* Host TSC kHz measured over PIT channel 2 counting `ms` milliseconds
 * (the classic calibration: Linux's pit_calibrate_tsc); 0 if the PIT
 * never counted down. */
uint32_t pc_tsc_calibrate(uint32_t ms);
/* Give the bound vCPU the host's frequency (host kHz, from
 * pc_tsc_calibrate; 0: it failed) and the guest's. Returns 0, or -1
 * (printed why). */
int pc_tsc_setup(struct vm *vm, uint32_t host, const char *demo_cmdline);

#endif

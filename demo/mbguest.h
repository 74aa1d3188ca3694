/* demo/mbguest.h — run a multiboot v1 kernel written for QEMU as a guest. */
#ifndef DEMO_MBGUEST_H
#define DEMO_MBGUEST_H
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

/* The kernel, its names file and the optional initrd are modules of the
 * demo (strings "kernel", "names", "initrd"); "mem=N" on the demo's command
 * line gives the guest N MiB (default 128). Prints the guest's console live
 * and ends with "x86vcpu demo: guest exit status N (why)". */
void mbguest_main(struct x86vcpu_cpu *cpu, uint32_t mbinfo_phys, const char *cmdline);
#endif

#ifndef DEMO_HV_H
#define DEMO_HV_H
/* Runs the demo (greeting guest); with "test" on the command line the test
 * guests (prints "N passed, N failed"); with "diff" the differential
 * kernel; with "guest" a multiboot kernel given as a module (mbguest.h). */
#include <stdint.h>
void hv_main(const char *cmdline, uint32_t mbinfo_phys);
/* 1 when w is a space-separated word of s. */
int hv_has_word(const char *s, const char *w);
#endif

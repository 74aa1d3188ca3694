#ifndef DEMO_HV_H
#define DEMO_HV_H
/* Runs the demo (greeting guest) or, with "test" on the command line, the
 * test guests; prints "N passed, N failed" in test mode. */
void hv_main(const char *cmdline);
#endif

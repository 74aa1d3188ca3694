/* tests/lib/backend-hv.c — backend of the flat test guests run by the test
 * hypervisor: every verdict is a HC_CHECK hypercall (name, got, expected),
 * so the host compares and counts; the guest ends with HC_DONE. */
#include "hv.h"

void report_verdict(int ok, const char *name, u64 got, u64 exp, const char *got_text,
                    const char *exp_text)
{
    (void)ok;
    (void)got_text;
    (void)exp_text;
    /* The host reads the name at its guest-physical address: identity
     * mapped in every mode (segment 0 in real mode). */
    hypercall(HC_CHECK, (ulong)(uptr)name, (ulong)got, (ulong)exp, 0);
}

int report_summary(void)
{
    return checks_failed != 0;          /* the host has the count */
}

__attribute__((noreturn)) void exit(int code)
{
    (void)code;
    for (;;) {
        hypercall(HC_DONE, 0, 0, 0, 0);
        __asm__ volatile("cli; hlt");
    }
}

void trap_unexpected(struct trap_frame *f)
{
    check(0, "unexpected exception: vector %u error 0x%x ip 0x%lx", (u32)f->vec, (u32)f->err,
          (ulong)f->ip);
    exit(report_summary());
}

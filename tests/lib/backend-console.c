/* tests/lib/backend-console.c — backend of the multiboot kernels, the same
 * on bare Bochs and under any hypervisor: verdicts as console lines
 * "ok - <name>" / "not ok - <name>: got X expected Y", the summary
 * "<kernel>: N passed, M failed", and the exit through QEMU's
 * isa-debug-exit with the command line's status=N (0x7f when a check
 * failed), then Bochs' shutdown port. */
#include "libtest.h"

#define EXIT_FAILED 0x7f

void report_verdict(int ok, const char *name, u64 got, u64 exp, const char *got_text,
                    const char *exp_text)
{
    (void)got;
    (void)exp;
    if (ok)
        printf("ok - %s\n", name);
    else
        printf("not ok - %s: got %s expected %s\n", name, got_text, exp_text);
}

int report_summary(void)
{
    printf("%s: %u passed, %u failed\n", kernel_name(), checks_passed, checks_failed);
    return checks_failed ? EXIT_FAILED : (int)arg_u32("status", 0);
}

/* The cmdline's end=... picks another way to end, to test how the
 * hypervisor reports each: triple (fault), halt (cli; hlt), spin (never
 * ends), acpi (QEMU's ACPI power-off), reset (keyboard controller). */
static void end_other(void)
{
    const char *how = arg_get("end");
    static const struct { u16 limit; u32 base; } __attribute__((packed)) no_idt = { 0, 0 };
    if (!how)
        return;
    if (!strcmp(how, "triple"))
        __asm__ volatile("lidt %0; int3" : : "m"(no_idt));
    else if (!strcmp(how, "halt"))
        for (;;)
            __asm__ volatile("cli; hlt");
    else if (!strcmp(how, "spin"))
        for (;;)
            cpu_pause();
    else if (!strcmp(how, "acpi"))
        outw(0x604, 0x2000);
    else if (!strcmp(how, "reset"))
        outb(0x64, 0xfe);
}

__attribute__((noreturn)) void exit(int code)
{
    console_flush();
    end_other();
    qemu_exit((u32)code);
}

void trap_unexpected(struct trap_frame *f)
{
    checks_failed++;
    printf("not ok - unexpected exception: vector %u error 0x%x eip 0x%08x\n",
           (u32)f->vec, (u32)f->err, (u32)f->ip);
    exit(report_summary());
}

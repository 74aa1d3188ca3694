/* tests/harness/main.c — entry of the test image (build/test.elf) after the
 * demo's boot.S: the same start as the demo (demo/main.c), then by command
 * line
 *
 *   test   the test guests, a failed VM entry, API misuse and the exit
 *          benchmarks; ends with "N passed, N failed" (make bochs-test)
 *   diff   the differential kernel as a guest (make diff-test)
 */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

#include "arch.h"
#include "cmdline.h"
#include "console.h"
#include "harness.h"
#include "host.h"

void demo_main(uint32_t magic, uint32_t mbinfo_phys);

void demo_main(uint32_t magic, uint32_t mbinfo_phys)
{
    const struct host_mbi *mbi = (const struct host_mbi *)(uintptr_t)mbinfo_phys;
    const char *cmdline = magic == MB_LOADER_MAGIC ? host_cmdline(mbi) : "";
    int test_mode = has_word(cmdline, "test");
    con_init();
    if (host_memory(magic, mbinfo_phys, cmdline))
        return;
    static struct x86vcpu_cpu cpu;
    int err = host_vmx_on(&cpu);
    if (test_mode)
        result(!err, "cpu_enable (VMXON)");
    if (err)
        goto out;
    /* As in the demo: the host's IA32_FMASK equals a new vCPU's (0), so
     * runs switch no syscall MSRs unless a guest writes them. */
    wrmsr(0xc0000084u, 0);
    err = testvm_init(&cpu);
    if (test_mode)
        result(!err, "EPT built by the library for the guest's 16 MiB");
    if (err < 0) {
        con_printf("no memory for the guest\n");
        goto out;
    }
    if (err) {
        con_printf("EPT: %s\n", x86vcpu_strerror(err));
        goto out;
    }
    if (test_mode)
        run_tests(&cpu);
    else if (has_word(cmdline, "diff"))
        run_diff();
    err = x86vcpu_cpu_disable(&cpu);
    if (test_mode)
        result(!err, "cpu_disable (VMXOFF)");
out:
    if (test_mode)
        report_summary();
}

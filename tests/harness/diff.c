/* tests/harness/diff.c — the differential kernel (tests/diff) as a guest
 * of the test machine: loaded by the demo's multiboot loader as a boot
 * loader would (ELF segments at their physical addresses, 32-bit protected
 * mode, EAX = 0x2BADB002, EBX = the boot information); its "CASE ..." lines
 * on port 0xE9 are compared with a bare-Bochs run by tools/diff-compare.sh. */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

#include "console.h"
#include "harness.h"
#include "loader/multiboot.h"

extern const uint8_t guest_diffkernel_start[], guest_diffkernel_end[];

/* The test machine's 16 MiB as a PC's: RAM below 640 KiB and from 1 MiB. */
static const struct mb_range diff_map[] = {
    { 0, 0x9fc00, MB_MEM_AVAILABLE, 0 },
    { 0x9fc00, 0x400, MB_MEM_RESERVED, 0 },
    { 0x100000, TEST_RAM_SIZE - 0x100000, MB_MEM_AVAILABLE, 0 },
};

void run_diff(void)
{
    static const struct test_guest diffk = { "differential kernel", X86VCPU_MODE_PROT32,
                                             0, 0, 0, 0x80000, 0 };
    struct vm *vm = &tvm.vm;
    con_printf("x86vcpu demo: running the differential kernel as a guest\n");
    testvm_reset(&diffk, 0);
    const struct mb_layout lay = { diff_map, sizeof diff_map / sizeof diff_map[0], TEST_RAM_SIZE };
    const struct mb_boot boot = { "diffkernel", "x86vcpu test harness", 0, 0 };
    const uint8_t *img = guest_diffkernel_start;
    struct mb_image im;
    struct mb_result res;
    const char *why;
    if (mb_parse(img, (uint64_t)(guest_diffkernel_end - img), &lay, &im, &why) ||
        mb_build_info(&im, &boot, &lay, vm->ram, &res, &why)) {
        con_printf("diff: cannot load the kernel: %s\n", why);
        return;
    }
    mb_load(&im, img, vm->ram);
    struct x86vcpu_setup s = testvm_setup(&diffk);
    s.entry = im.entry;
    int err = vm_start_vcpu(vm, &s);
    if (err) {
        con_printf("diff: vCPU: %s\n", x86vcpu_strerror(err));
        return;
    }
    x86vcpu_set_gpr(vm->v, X86VCPU_RAX, MB_BOOT_MAGIC);
    x86vcpu_set_gpr(vm->v, X86VCPU_RBX, res.mbi);
    vm_run(vm);
    vm_console_flush(vm);
    con_printf("x86vcpu demo: differential kernel %s (%lu MSR exits to the demo)\n",
               vm->status == VM_OFF ? "ended" : "stopped unexpectedly",
               (unsigned long)vm->msr_exits);
    vm_print_stats(vm, "  exit statistics:");
    vm_stop_vcpu(vm);
}

/* tests/harness/tests.c — the test cases driven from the host: the test
 * guests in real, protected and long mode (their checks come back through
 * hypercall.c), a failed VM entry, and API misuse. */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>
#include <x86vcpu/exit_reasons.h>

#include "console.h"
#include "frames.h"
#include "hal.h"
#include "harness.h"
#include "proto.h"

static void test_basic(const struct test_guest *g, int rebind)
{
    struct vm *vm = &tvm.vm;
    con_printf("== guest: %s\n", g->name);
    uint64_t frames_before = frames_in_use() - x86vcpu_ept_table_frames(vm->ept);
    testvm_reset(g, 1);
    tvm.run.rebind_at_hlt = rebind;
    /* A time slice of 100000 timer ticks (TSC ticks on Bochs, MISC[4:0] = 0):
     * the guest's spin loop outlasts several. */
    int err = testvm_start(g, 100000);
    result(!err, "vCPU create/setup/bind");
    if (err)
        return;
    /* CPUID policy API: hypercall.c's cpuid_expected knows these. */
    static const uint32_t hvfeat[4] = { 0x5a5a, 0, 0, 0 }, cores_clear[4] = { 0xfc000000u, 0, 0, 0 };
    result(!x86vcpu_cpuid_set_vendor(vm->v, "x86vcpuTests") &&
               !x86vcpu_cpuid_override(vm->v, 0x40000001u, 0, hvfeat, 0) &&
               !x86vcpu_cpuid_override(vm->v, 4, X86VCPU_CPUID_ANY_SUBLEAF, 0, cores_clear),
           "cpuid: vendor and overrides set");
    tvm.run.overrides = 1;
    result(x86vcpu_msr_intercept(vm->v, GUEST_DEMO_MSR, 0, 0) == X86VCPU_EINVAL,
           "intercepts: an MSR outside the bitmap ranges always exits");
    vm_run(vm);
    result(vm->status == VM_OFF, "guest ran to completion");
    con_printf("     %lu time-slice exits, %lu string I/O exits, %u MMIO exits\n",
               (unsigned long)vm->time_slices, (unsigned long)vm->string_ios, tvm.run.mmio_exits);
    if (g->spins)
        result(vm->time_slices >= 2, "preemption timer: time slices end and re-arm");
    vm_print_stats(vm, "  exit statistics:");
    vm_stop_vcpu(vm);
    /* EPT tables split for the guest's requests stay with the EPT. */
    uint64_t frames_after = frames_in_use() - x86vcpu_ept_table_frames(vm->ept);
    result_val(frames_after == frames_before, "lifecycle: destroy returns every frame",
               frames_after, frames_before);
}

/* A guest state the SDM forbids must come back as a decoded VM-entry
 * failure (exit reason 33 with bit 31), and the host carries on. */
static void test_entry_failure(void)
{
    struct vm *vm = &tvm.vm;
    con_printf("== VM-entry failure: invalid guest state\n");
    testvm_reset(&guest_prot, 1);
    if (testvm_start(&guest_prot, 0)) {
        result(0, "vCPU for the entry-failure test");
        return;
    }
    struct x86vcpu_vcpu *v = vm->v;
    struct x86vcpu_exit e;
    /* SDM 26.3.1.4: RFLAGS bit 1 must be 1. */
    x86vcpu_vmcs_writenat(v, X86VCPU_VMCS_GUEST_RFLAGS, 0);
    int st = x86vcpu_vcpu_run(v, &e);
    result(st == X86VCPU_OK && e.kind == X86VCPU_EXIT_ENTRY_FAILED &&
               e.u.entry_failed.reason == X86VCPU_EXIT_REASON_ENTRY_FAIL_GUEST_STATE,
           "entry failure: RFLAGS[1]=0 -> reason 33 (invalid guest state)");
    if (st == X86VCPU_OK && e.kind == X86VCPU_EXIT_ENTRY_FAILED)
        con_printf("     decoded: reason %u %s, qualification %lu\n", e.u.entry_failed.reason,
                   e.u.entry_failed.reason_name, (unsigned long)e.u.entry_failed.qualification);
    x86vcpu_vmcs_writenat(v, X86VCPU_VMCS_GUEST_RFLAGS, 2);

    /* SDM 26.3.1.1: CR0.PG = 1 requires CR0.PE = 1 even for unrestricted guests. */
    uint64_t cr0;
    x86vcpu_vmcs_readnat(v, X86VCPU_VMCS_GUEST_CR0, &cr0);
    x86vcpu_vmcs_writenat(v, X86VCPU_VMCS_GUEST_CR0, (cr0 | (1ull << 31)) & ~1ull);
    st = x86vcpu_vcpu_run(v, &e);
    result(st == X86VCPU_OK && e.kind == X86VCPU_EXIT_ENTRY_FAILED &&
               e.u.entry_failed.reason == X86VCPU_EXIT_REASON_ENTRY_FAIL_GUEST_STATE,
           "entry failure: CR0.PG without CR0.PE -> reason 33");
    x86vcpu_vmcs_writenat(v, X86VCPU_VMCS_GUEST_CR0, cr0);

    /* A control the CPU does not allow is caught before guest state: the
     * VM entry fails as an instruction (VMfailValid, error 7). */
    uint64_t entry_ctls;
    x86vcpu_vmcs_read32(v, X86VCPU_VMCS_ENTRY_CTLS, &entry_ctls);
    x86vcpu_vmcs_write32(v, X86VCPU_VMCS_ENTRY_CTLS, entry_ctls | (1u << 31));
    st = x86vcpu_vcpu_run(v, &e);
    result_val(st == X86VCPU_EVMFAILVALID && x86vcpu_vcpu_vm_error(v) == 7,
               "VMfail: reserved VM-entry control -> VM-instruction error 7 decoded",
               x86vcpu_vcpu_vm_error(v), 7);
    con_printf("     decoded: %s / %s\n", x86vcpu_strerror(st),
               x86vcpu_vm_error_name(x86vcpu_vcpu_vm_error(v)));
    x86vcpu_vmcs_write32(v, X86VCPU_VMCS_ENTRY_CTLS, entry_ctls);

    /* The host carries on: the repaired vCPU runs its guest to the end. */
    vm_run(vm);
    result(vm->status == VM_OFF, "after the failures the repaired guest runs to completion");
    vm_stop_vcpu(vm);
}

static void test_api_misuse(struct x86vcpu_cpu *cpu)
{
    struct vm *vm = &tvm.vm;
    con_printf("== API misuse returns error codes\n");
    result(x86vcpu_cpu_enable(cpu, &demo_hal) == X86VCPU_EBUSY, "cpu_enable twice -> EBUSY");
    struct x86vcpu_vcpu *v;
    struct x86vcpu_exit e;
    int err = x86vcpu_vcpu_create(cpu, &v);
    result(!err, "create");
    if (err)
        return;
    result(x86vcpu_vcpu_run(v, &e) == X86VCPU_ESTATE, "run before setup/bind -> ESTATE");
    uint64_t rfl;
    result(x86vcpu_halt(v) == X86VCPU_ESTATE && x86vcpu_halt(0) == X86VCPU_EINVAL &&
               x86vcpu_get_rflags(v, &rfl) == X86VCPU_ESTATE,
           "halt / get_rflags before setup/bind -> ESTATE, NULL -> EINVAL");
    struct x86vcpu_setup s = testvm_setup(&guest_real);
    s.ept_root |= 0x10;
    result(x86vcpu_vcpu_setup(v, &s) == X86VCPU_EINVAL, "setup with unaligned EPT root -> EINVAL");
    s = testvm_setup(&guest_real);
    result(!x86vcpu_vcpu_setup(v, &s) && !x86vcpu_vcpu_bind(v, cpu), "setup + bind");
    result(x86vcpu_cpu_disable(cpu) == X86VCPU_EBUSY, "cpu_disable with a bound vCPU -> EBUSY");
    result(x86vcpu_vcpu_destroy(v) == X86VCPU_EBUSY, "destroy while bound -> EBUSY");
    result(x86vcpu_complete_io_in(v, 0) == X86VCPU_ESTATE, "complete_io_in with no IN -> ESTATE");
    /* Run until the guest's first IN, then run again without completing it. */
    testvm_reset(&guest_real, 0);
    vm->v = v;
    int got_in = 0;
    for (int i = 0; i < 100000 && !got_in; i++) {
        if (x86vcpu_vcpu_run(v, &e))
            break;
        if (e.kind == X86VCPU_EXIT_IO && e.u.io.in)
            got_in = 1;
        else if (e.kind == X86VCPU_EXIT_IO)
            vm_serve_io(vm, &e);
        else if (e.kind == X86VCPU_EXIT_HYPERCALL)
            x86vcpu_set_hypercall_result(v, 0);
        else if (e.kind != X86VCPU_EXIT_HLT)
            break;
    }
    result(got_in && x86vcpu_vcpu_run(v, &e) == X86VCPU_EPENDING,
           "run with an uncompleted IN -> EPENDING");
    vm_stop_vcpu(vm);
}

void run_tests(struct x86vcpu_cpu *cpu)
{
    test_basic(&guest_real, 0);
    test_basic(&guest_prot, 0);
    test_basic(&guest_long, 1);
    test_basic(&guest_events, 0);
    test_basic(&guest_dbgregs, 0);
    test_entry_failure();
    test_api_misuse(cpu);
    test_init_sipi(cpu);
}

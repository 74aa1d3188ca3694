/* tests/harness/hypercall.c — the test guests' VMCALLs (tests/lib/proto.h):
 * checks only the host can make, CPUID expectations, benchmarks, and
 * requests to change the guest's world (EPT, events, intercepts). */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>
#include <x86vcpu/exit_reasons.h>

#include "arch.h"
#include "bench_mem.h"
#include "console.h"
#include "harness.h"
#include "frames.h"
#include "proto.h"

#define TEST_VENDOR "x86vcpuTests"

static const char *guest_string(uint64_t gpa)
{
    const char *s = vm_gpa(&tvm.vm, gpa, 1);
    if (!s)
        return "(bad guest pointer)";
    for (uint64_t i = 0; i < 120; i++)
        if (!vm_gpa(&tvm.vm, gpa + i, 1) || s[i] == 0)
            return s;
    return "(unterminated guest string)";
}

/* What the guest must see for a leaf: bare Bochs' answer, except VMX
 * hidden, the hypervisor bit set, OSXSAVE following the guest's CR4 (our
 * guests do not set it), and the hypervisor leaves. */
static void cpuid_expected(uint32_t leaf, uint32_t sub, uint32_t mode, int overrides,
                           uint32_t out[4])
{
    if ((leaf & 0xf0000000u) == 0x40000000u) {
        out[0] = out[1] = out[2] = out[3] = 0;
        if (leaf == 0x40000000u) {
            out[0] = 0x40000001u;
            out[1] = 0x76363878u; /* "x86v" */
            out[2] = overrides ? 0x54757063u : 0x56757063u; /* "cpuT" : "cpuV" */
            out[3] = overrides ? 0x73747365u : 0x7668584du; /* "ests" : "MXhv" */
        }
        if (leaf == 0x40000001u && sub == 0 && overrides)
            out[0] = 0x5a5a;
        return;
    }
    if (leaf == 0xd) {
        /* Leaf 0xD describes the XCR0 in force: ask bare Bochs under the
         * guest's XCR0 (1, the reset value: the basic guests never XSETBV). */
        uint64_t xcr0 = xgetbv(0);
        xsetbv(0, 1);
        cpuid(leaf, sub, out);
        xsetbv(0, xcr0);
        /* No IA32_XSS (supervisor) component is virtualized: none is
         * reported (src/vmx/vcpu.h, X86VCPU_XSS_VIRTUALIZED). */
        if (sub == 1)
            out[2] = out[3] = 0;
        else if (sub >= 2 && (out[2] & 1))
            out[0] = out[1] = out[2] = out[3] = 0;
        return;
    }
    cpuid(leaf, sub, out);
    if (leaf == 4 && overrides)
        out[0] &= ~0xfc000000u;
    /* x86vcpu's default policy shows only what is virtualized. */
    cpuid_expect_policy(leaf, sub, out);
    /* SYSCALL/SYSRET is reported only to CPUID run in 64-bit mode. */
    if (leaf == 0x80000001u && mode != X86VCPU_MODE_LONG64)
        out[3] &= ~(1u << 11);
    if (leaf == 1)
        out[2] = (out[2] & ~((1u << 5) | (1u << 27))) | (1u << 31);
}

static void check_cpuid(struct test_run *r, const uint64_t *a)
{
    uint32_t leaf = (uint32_t)a[0], sub = (uint32_t)a[1], want[4];
    const uint32_t *got = vm_gpa(&tvm.vm, reg_mask(a[2]), 16);
    cpuid_expected(leaf, sub, r->g->mode, r->overrides, want);
    int ok = got && got[0] == want[0] && got[1] == want[1] && got[2] == want[2] &&
             got[3] == want[3];
    if (!r->test_mode)
        return;
    con_printf("%s cpuid %08x.%u\n", ok ? "PASS" : "FAIL", leaf, sub);
    result_count(ok);
    if (!ok && got)
        con_printf("     got %08x %08x %08x %08x, expected %08x %08x %08x %08x\n", got[0], got[1],
                   got[2], got[3], want[0], want[1], want[2], want[3]);
}

/* ------------------------------------------------------------ benchmarks */
/* Per BENCH_* kind (tests/lib/proto.h): its name, the exit reason counted,
 * and whether bare Bochs runs the same instruction (else the reference is
 * the NOP loop: the exit's cost over a one-tick instruction). */
static const struct bench_kind {
    const char *name;
    uint32_t reason;
    int bare;
} bench_kinds[BENCH_KINDS] = {
    [BENCH_CPUID] = { "CPUID", X86VCPU_EXIT_REASON_CPUID, 1 },
    [BENCH_OUT] = { "OUT", X86VCPU_EXIT_REASON_IO_INSTRUCTION, 1 },
    [BENCH_IN] = { "IN", X86VCPU_EXIT_REASON_IO_INSTRUCTION, 1 },
    [BENCH_RDMSR_EMB] = { "RDMSR (embedder)", X86VCPU_EXIT_REASON_RDMSR, 1 },
    [BENCH_WRMSR_EMB] = { "WRMSR (embedder)", X86VCPU_EXIT_REASON_WRMSR, 1 },
    [BENCH_RDMSR_LIB] = { "RDMSR (library)", X86VCPU_EXIT_REASON_RDMSR, 1 },
    [BENCH_WRMSR_LIB] = { "WRMSR (library)", X86VCPU_EXIT_REASON_WRMSR, 1 },
    [BENCH_HLT] = { "HLT", X86VCPU_EXIT_REASON_HLT, 0 },
    [BENCH_CR4] = { "MOV to CR4", X86VCPU_EXIT_REASON_CR_ACCESS, 1 },
    [BENCH_XSETBV] = { "XSETBV", X86VCPU_EXIT_REASON_XSETBV, 1 },
    [BENCH_MMIO] = { "MMIO read", X86VCPU_EXIT_REASON_EPT_VIOLATION, 1 },
    [BENCH_VMCALL] = { "VMCALL", X86VCPU_EXIT_REASON_VMCALL, 0 },
    [BENCH_HLT_WAKE] = { "HLT wake-up (with the guest's handler)", X86VCPU_EXIT_REASON_HLT, 0 },
    [BENCH_OUT_PORTFN] = { "OUT (port handler)", X86VCPU_EXIT_REASON_IO_INSTRUCTION, 1 },
    [BENCH_IN_PORTFN] = { "IN (port handler)", X86VCPU_EXIT_REASON_IO_INSTRUCTION, 1 },
    [BENCH_OUT_PORTFN_LOOP] = { "OUT (port handler, run loop)", X86VCPU_EXIT_REASON_IO_INSTRUCTION, 1 },
};

/* make exit-profile (tools/exit-profile.sh): Bochs' debugger stops at
 * these two (physical breakpoints), sets bench_profile_iters, and traces
 * the instructions between them: the few exits of one shortened loop. The
 * guest runs BENCH_ITERS iterations when bench_profile_iters is 0. */
volatile uint32_t bench_profile_iters;
__attribute__((noinline)) uint32_t bench_trace_on(uint64_t kind);
__attribute__((noinline)) void bench_trace_off(uint64_t kind);
__attribute__((noinline)) uint32_t bench_trace_on(uint64_t kind)
{
    __asm__ volatile("" : : "r"(kind) : "memory");
    return bench_profile_iters;
}
__attribute__((noinline)) void bench_trace_off(uint64_t kind)
{
    __asm__ volatile("" : : "r"(kind) : "memory");
}

/* An INTR line that never asserts (BENCH_OUT_PORTFN_LOOP): polled before
 * every entry, it keeps the run loop's top in the path, as the demo's
 * virtual LAPIC does. */
static int bench_line_pending(void *ctx)
{
    (void)ctx;
    return 0;
}
static int bench_line_ack(void *ctx)
{
    (void)ctx;
    return -1;
}
static const struct x86vcpu_intr_line bench_quiet_line = { bench_line_pending, bench_line_ack, 0 };

/* The HLT loop measures the exit, not the harness's unbind + bind at
 * every HLT of this guest (tests.c): off for the loop. */
static int bench_saved_rebind;

/* RAM the bare MMIO loop reads in place of the register file. */
static volatile uint32_t bench_ram;

/* The same loop in root mode: the MSR, address and XCR0 are the host's. */
static uint32_t bench_bare(uint32_t kind, uint32_t n)
{
    const struct bench_kind *k = &bench_kinds[kind];
    if (!k->bare)
        return bench_loop(BENCH_KINDS, n, 0); /* the NOP loop */
    uint64_t arg = 0, saved = 0;
    switch (kind) {
    case BENCH_RDMSR_EMB: case BENCH_WRMSR_EMB: case BENCH_RDMSR_LIB: case BENCH_WRMSR_LIB:
        arg = IA32_SYSENTER_CS;
        saved = rdmsr(IA32_SYSENTER_CS);
        break;
    case BENCH_XSETBV: arg = xgetbv(0); break;
    case BENCH_MMIO: arg = (uint64_t)(uintptr_t)&bench_ram; break;
    default: break;
    }
    uint32_t t = bench_loop(kind, n, arg);
    if (arg == IA32_SYSENTER_CS)
        wrmsr(IA32_SYSENTER_CS, saved);
    return t;
}

/* "BENCH vCPU memory": what a vCPU of a VM takes (a scratch VM and vCPU,
 * destroyed again: the demo's own VM keeps a private MSR bitmap), what
 * the VM shares among its vCPUs, and x86vcpu_vcpu_create's total (a vCPU
 * with a VM of its own). Records' sizes: bench_mem.c. */
static void bench_memory(void)
{
    struct x86vcpu_vm *vm = 0;
    struct x86vcpu_vcpu *v = 0;
    uint64_t f0 = frames_in_use();
    if (x86vcpu_vm_create(tvm.vm.cpu, &vm)) {
        con_printf("BENCH vCPU memory: x86vcpu_vm_create failed\n");
        return;
    }
    uint64_t f1 = frames_in_use();
    if (x86vcpu_vcpu_create_in(vm, tvm.vm.cpu, &v)) {
        x86vcpu_vm_destroy(vm);
        con_printf("BENCH vCPU memory: x86vcpu_vcpu_create_in failed\n");
        return;
    }
    uint64_t per_vcpu = frames_in_use() - f1, shared = f1 - f0;
    x86vcpu_vcpu_destroy(v);
    x86vcpu_vm_destroy(vm);
    con_printf("BENCH vCPU memory: %lu frames per vCPU (%lu KiB: %lu bytes record, VMCS, "
               "XSAVE area); VM shared by its vCPUs: %lu frames (%lu KiB: I/O and MSR bitmaps, "
               "%lu bytes VM record + CPUID table); x86vcpu_vcpu_create (own VM): %lu KiB\n",
               (unsigned long)per_vcpu, (unsigned long)per_vcpu * 4,
               (unsigned long)bench_vcpu_record_bytes(), (unsigned long)shared,
               (unsigned long)shared * 4, (unsigned long)bench_vm_record_bytes(),
               (unsigned long)(per_vcpu + shared) * 4);
}

/* The guest timed n exits of one kind (ticks: Bochs' TSC, which counts
 * instructions with `clock: sync=none`); the host runs the same loop bare
 * and reports the difference, and the VMCS accesses per exit. */
static void bench_report(struct test_run *r, const uint64_t *a)
{
    uint32_t kind = (uint32_t)a[0], n = (uint32_t)a[1], ticks = (uint32_t)a[2];
    if (kind >= BENCH_KINDS || !n) {
        result(0, "bench: a known kind and a loop count");
        return;
    }
    const struct bench_kind *k = &bench_kinds[kind];
    const struct x86vcpu_stats *st = x86vcpu_vcpu_stats(tvm.vm.v);
    uint64_t exits = st->exits[k->reason] - r->bench_exits;
    uint64_t reads = st->vmreads - r->bench_reads, writes = st->vmwrites - r->bench_writes;
    uint32_t bare = bench_bare(kind, n);
    /* Fixed point with one decimal (the library and the demo use no FP). */
    uint64_t g10 = (uint64_t)ticks * 10 / n, b10 = (uint64_t)bare * 10 / n;
    uint64_t d10 = g10 > b10 ? g10 - b10 : 0;
    con_printf("BENCH %s exit round trip: guest %lu.%lu ticks/iter, %s %lu.%lu, "
               "added by the exit %lu.%lu ticks (%u iterations, %lu exits)\n",
               k->name, g10 / 10, g10 % 10, k->bare ? "bare Bochs" : "bare Bochs NOP loop",
               b10 / 10, b10 % 10, d10 / 10, d10 % 10, n, (unsigned long)exits);
    /* The window includes the two benchmark hypercalls' own accesses. */
    uint64_t r100 = exits ? reads * 100 / exits : 0, w100 = exits ? writes * 100 / exits : 0;
    con_printf("BENCH %s VMCS accesses per exit: %lu.%02lu reads, %lu.%02lu writes\n", k->name,
               r100 / 100, r100 % 100, w100 / 100, w100 % 100);
    if (r->test_mode) {
        /* VMCALL: the END hypercall is one of that kind too. */
        char what[96];
        uint32_t at = 0;
        for (const char *p = "bench: one exit per iteration: "; *p; p++)
            what[at++] = *p;
        for (const char *p = k->name; *p && at < sizeof what - 1; p++)
            what[at++] = *p;
        what[at] = 0;
        result(exits >= n && exits <= n + 2, what);
    }
    if (kind == BENCH_CPUID)
        bench_memory();
}

static int inject(struct x86vcpu_vcpu *v, const uint64_t *a)
{
    switch (a[0]) {
    case INJ_EXTINT: return x86vcpu_queue_interrupt(v, (uint8_t)a[1]);
    case INJ_NMI: return x86vcpu_queue_nmi(v);
    case INJ_NMI2: {
        int err = x86vcpu_queue_nmi(v);
        return err ? err : x86vcpu_queue_nmi(v);
    }
    case INJ_EXCEPTION:
        return x86vcpu_queue_exception(v, (uint8_t)a[1], (int)a[3], (uint32_t)a[2], a[4]);
    case INJ_SOFTINT: return x86vcpu_queue_soft_interrupt(v, (uint8_t)a[1], (uint32_t)a[2]);
    case INJ_SOFTEXC: return x86vcpu_queue_soft_exception(v, (uint8_t)a[1], (uint32_t)a[2]);
    default: return X86VCPU_EINVAL;
    }
}

static void host_isolation_report(struct test_run *r)
{
    con_printf("     host YMM checked around %u runs\n", r->host_fpu_runs);
    result_val(r->host_fpu_bad == 0 && r->host_fpu_runs >= 2000,
               "xstate: host YMM0-15 intact around every run", r->host_fpu_bad, 0);
    result_val(r->host_msr_bad == 0 && r->host_fpu_runs >= 2000,
               "syscall MSRs: host STAR..TSC_AUX intact around every run", r->host_msr_bad, 0);
    result_val(r->host_dbg_bad == 0 && r->host_fpu_runs >= 2000,
               "debug registers: host DR0-3, DR6, DR7 and CR2 intact around every run",
               r->host_dbg_bad, 0);
    const struct x86vcpu_stats *st = x86vcpu_vcpu_stats(tvm.vm.v);
    con_printf("     MSR switches so far: %lu WRMSRs, XCR0 switches %lu\n",
               (unsigned long)st->msr_switches, (unsigned long)st->xcr0_switches);
}

/* A one-shot timer of the host's local APIC. */
static void lapic_timer_oneshot(uint8_t vector, uint32_t count)
{
    lapic_write(LAPIC_SVR, 0x1ff);          /* software-enable, spurious 0xff */
    lapic_write(LAPIC_TIMER_DCR, 0xb);      /* divide by 1 */
    lapic_write(LAPIC_LVT_TIMER, vector);   /* one-shot, unmasked */
    lapic_write(LAPIC_TIMER_ICR, count);    /* starts the timer */
}

void hypercall(struct testvm *t, const struct x86vcpu_exit *e)
{
    struct test_run *r = &t->run;
    struct x86vcpu_vcpu *v = t->vm.v;
    uint64_t nr = reg_mask(e->u.hypercall.nr);
    const uint64_t *a = e->u.hypercall.args;
    uint64_t ret = 0;
    switch (nr) {
    case HC_CHECK:
        if (r->test_mode)
            result_val(reg_mask(a[1]) == reg_mask(a[2]), guest_string(reg_mask(a[0])),
                       reg_mask(a[1]), reg_mask(a[2]));
        break;
    case HC_CPUID:
        check_cpuid(r, a);
        break;
    case HC_ARGS:
        for (int i = 0; i < 6; i++)
            ret += (uint64_t)(i + 1) * a[i];
        ret = reg_mask(ret);
        break;
    case HC_BENCH_BEGIN: {
        const struct x86vcpu_stats *st = x86vcpu_vcpu_stats(v);
        r->bench_exits = a[0] < BENCH_KINDS ? st->exits[bench_kinds[a[0]].reason] : 0;
        r->bench_reads = st->vmreads;
        r->bench_writes = st->vmwrites;
        if (a[0] == BENCH_HLT || a[0] == BENCH_HLT_WAKE) {
            bench_saved_rebind = r->rebind_at_hlt;
            r->rebind_at_hlt = 0;
            r->bench_wake = a[0] == BENCH_HLT_WAKE;
        }
        /* The harness uses no FP/SIMD between runs while it does not
         * check the host's registers around them: the guest's extended
         * state may stay loaded (x86vcpu_vcpu_keep_xstate, issue 15). */
        if (!tvm.vm.around_run)
            x86vcpu_vcpu_keep_xstate(v, 1);
        /* The port handler kinds: the bus served inside run() (demo/vm.c
         * vm_port_inline, as the demo's PC uses it). */
        if (a[0] == BENCH_OUT_PORTFN || a[0] == BENCH_IN_PORTFN || a[0] == BENCH_OUT_PORTFN_LOOP)
            x86vcpu_set_port_handler(v, vm_port_inline, &tvm.vm);
        if (a[0] == BENCH_OUT_PORTFN_LOOP)
            x86vcpu_set_intr_line(v, &bench_quiet_line);
        ret = bench_trace_on(a[0]); /* the loop count: 0 = BENCH_ITERS */
        break;
    }
    case HC_BENCH_END:
        bench_trace_off(a[0]);
        x86vcpu_set_port_handler(v, 0, 0);
        x86vcpu_set_intr_line(v, 0);
        x86vcpu_vcpu_keep_xstate(v, 0); /* the host's back: bench_bare runs XSETBV */
        if (a[0] == BENCH_HLT || a[0] == BENCH_HLT_WAKE) {
            r->rebind_at_hlt = bench_saved_rebind;
            r->bench_wake = 0;
        }
        bench_report(r, a);
        break;
    case HC_HLT_CHECK:
        if (r->test_mode)
            result_val(r->last_hlt_rip == reg_mask(a[0]),
                       "hlt: HLT exit at the guest's HLT, resumed after it", r->last_hlt_rip,
                       reg_mask(a[0]));
        break;
    case HC_DONE:
        vm_end(&t->vm, VM_OFF, "done");
        break;
    case HC_XCR0_SWITCHES:
        ret = reg_mask(x86vcpu_vcpu_stats(v)->xcr0_switches);
        break;
    case HC_UNMAP_PAGE0:
    case HC_UNMAP_GPA:
        r->unmapped_gpa = nr == HC_UNMAP_PAGE0 ? 0 : a[0] & ~0xfffull;
        r->fault_queue_gp = nr == HC_UNMAP_GPA && a[1];
        if (r->unmapped_gpa >= (2u << 20)) {
            ret = (uint64_t)-1;
            break;
        }
        /* The library invalidates cached translations (INVEPT) itself. */
        ret = (uint64_t)(int64_t)testvm_map_page(r->unmapped_gpa, 0);
        r->page_unmapped = 1;
        break;
    case HC_PROTECT: {
        r->protected_gpa = a[0] & ~0xfffull;
        uint32_t f0 = x86vcpu_ept_flushes(t->vm.ept);
        ret = (uint64_t)(int64_t)x86vcpu_ept_protect(t->vm.ept, r->protected_gpa, 4096,
                                                     (uint32_t)a[1]);
        if (r->test_mode)
            result(x86vcpu_ept_flushes(t->vm.ept) == f0 + 1, "ept: protect issued one INVEPT");
        break;
    }
    case HC_INJECT:
        ret = (uint64_t)(int64_t)inject(v, a);
        break;
    case HC_EXC_BITMAP:
        ret = (uint64_t)(int64_t)x86vcpu_set_exception_bitmap(v, (uint32_t)a[0]);
        break;
    case HC_LAST_EXCEPTION:
        ret = (uint64_t)(int64_t)r->last_exception;
        break;
    case HC_HOST_FPU:
        testvm_host_isolation((int)a[0]);
        if (!a[0] && r->test_mode)
            host_isolation_report(r);
        break;
    case HC_APIC_TIMER:
        ret = (uint64_t)(int64_t)x86vcpu_set_extint_exiting(v, (int)a[1]);
        r->extint_vector = 0;
        if (a[0])
            lapic_timer_oneshot((uint8_t)a[0], 20000);
        break;
    case HC_HALT_MODE:
        r->halt_waits = (int)a[0];
        r->forward_extint = (int)a[1];
        break;
    case HC_EXTINT_SEEN:
        ret = r->extint_vector;
        break;
    case HC_APIC_EOI:
        lapic_write(LAPIC_EOI, 0);
        break;
    case HC_EXPECT_SHUTDOWN:
        r->expect_shutdown = 1;
        break;
    case HC_EPT_FAULTS:
        ret = r->ept_faults_served;
        break;
    case HC_PROTECT_FAULTS:
        ret = r->protect_faults * 2 + (uint64_t)r->protect_decoded;
        break;
    case HC_QUEUE_IRQ:
        ret = (uint64_t)x86vcpu_queue_interrupt(v, (uint8_t)a[0]);
        break;
    case HC_EXIT_COUNT:
        ret = a[0] < X86VCPU_EXIT_REASON_MAX ? x86vcpu_vcpu_stats(v)->exits[a[0]] : 0;
        ret = reg_mask(ret);
        break;
    default:
        ret = (uint64_t)-1;
        break;
    }
    x86vcpu_set_hypercall_result(v, ret);
}

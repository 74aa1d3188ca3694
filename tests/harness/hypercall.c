/* tests/harness/hypercall.c — the test guests' VMCALLs (tests/lib/proto.h):
 * checks only the host can make, CPUID expectations, benchmarks, and
 * requests to change the guest's world (EPT, events, intercepts). */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>
#include <x86vcpu/exit_reasons.h>

#include "arch.h"
#include "console.h"
#include "harness.h"
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

static uint32_t bench_reason(uint64_t kind)
{
    return kind == BENCH_CPUID ? X86VCPU_EXIT_REASON_CPUID : X86VCPU_EXIT_REASON_IO_INSTRUCTION;
}

/* The guest timed n exits of one kind (ticks: Bochs' TSC, which counts
 * instructions with `clock: sync=none`); the host runs the same loop bare
 * and reports the difference, and the VMCS accesses per exit. */
static void bench_report(struct test_run *r, const uint64_t *a)
{
    uint32_t kind = (uint32_t)a[0], n = (uint32_t)a[1], ticks = (uint32_t)a[2];
    const struct x86vcpu_stats *st = x86vcpu_vcpu_stats(tvm.vm.v);
    uint64_t exits = st->exits[bench_reason(kind)] - r->bench_exits;
    uint64_t reads = st->vmreads - r->bench_reads, writes = st->vmwrites - r->bench_writes;
    uint32_t bare, nn = n;
    if (kind == BENCH_CPUID)
        BENCH_LOOP(BENCH_INSN_CPUID, nn, bare);
    else
        BENCH_LOOP(BENCH_INSN_OUT, nn, bare);
    const char *name = kind == BENCH_CPUID ? "CPUID" : "OUT";
    /* Fixed point with one decimal (the library and the demo use no FP). */
    uint64_t g10 = (uint64_t)ticks * 10 / n, b10 = (uint64_t)bare * 10 / n;
    uint64_t d10 = g10 > b10 ? g10 - b10 : 0;
    con_printf("BENCH %s exit round trip: guest %lu.%lu ticks/iter, bare Bochs %lu.%lu, "
               "added by the exit %lu.%lu ticks (%u iterations, %lu exits)\n",
               name, g10 / 10, g10 % 10, b10 / 10, b10 % 10, d10 / 10, d10 % 10, n,
               (unsigned long)exits);
    /* The window includes the two benchmark hypercalls' own accesses. */
    uint64_t r100 = exits ? reads * 100 / exits : 0, w100 = exits ? writes * 100 / exits : 0;
    con_printf("BENCH %s VMCS accesses per exit: %lu.%02lu reads, %lu.%02lu writes\n", name,
               r100 / 100, r100 % 100, w100 / 100, w100 % 100);
    if (r->test_mode)
        result(exits >= n && exits <= n + 2, kind == BENCH_CPUID
                                                 ? "bench: one CPUID exit per iteration"
                                                 : "bench: one OUT exit per iteration");
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
        r->bench_exits = st->exits[bench_reason(a[0])];
        r->bench_reads = st->vmreads;
        r->bench_writes = st->vmwrites;
        break;
    }
    case HC_BENCH_END:
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

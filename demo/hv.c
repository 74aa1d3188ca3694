/* The demo hypervisor: embeds x86vcpu, gives it a HAL over the frame
 * allocator, builds an EPT for each guest's memory, loads guests and serves
 * their exits (console port, a latch device, test hypercalls).
 *
 *   demo mode: runs the greeting guest and prints its exit statistics.
 *   test mode: runs the test guests in real, protected and long mode, the
 *              VM-entry-failure and VMfail cases and the exit benchmarks, and
 *              ends with "N passed, N failed".
 */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>
#include <x86vcpu/exit_reasons.h>
#include "console.h"
#include "pio.h"
#include "strio.h"
#include "frames.h"
#include "hv.h"
#include "mbguest.h"
#include "../tests/lib/proto.h"

/* ------------------------------------------------------------ results */
static unsigned n_passed, n_failed;

static void result(int ok, const char *what)
{
    if (ok)
        n_passed++;
    else
        n_failed++;
    con_printf("%s %s\n", ok ? "PASS" : "FAIL", what);
}

static void result_val(int ok, const char *what, uint64_t got, uint64_t expected)
{
    result(ok, what);
    if (!ok)
        con_printf("     got 0x%lx, expected 0x%lx\n", (unsigned long)got,
                   (unsigned long)expected);
}

/* ---------------------------------------------------------------- HAL */
static uint64_t hal_alloc(void *ctx) { (void)ctx; return frames_alloc(); }
static void hal_free(void *ctx, uint64_t pa) { (void)ctx; frames_free(pa); }
static void *hal_p2v(void *ctx, uint64_t pa) { (void)ctx; return (void *)(uintptr_t)pa; }
static uint64_t hal_v2p(void *ctx, const void *va) { (void)ctx; return (uint64_t)(uintptr_t)va; }
static void hal_log(void *ctx, const char *line) { (void)ctx; con_printf("[x86vcpu] %s\n", line); }

static const struct x86vcpu_hal hal = {
    .ctx = 0, .alloc_frame = hal_alloc, .free_frame = hal_free,
    .phys_to_virt = hal_p2v, .virt_to_phys = hal_v2p, .log = hal_log,
};

/* --------------------------------------------------------- guest memory */
#define GUEST_RAM_SIZE (16ull << 20)
#define GUEST_PT_BASE  0x1000ull   /* long-mode guest page tables: 0x1000-0x3fff */

static uint8_t *guest_ram;      /* host view of guest-physical 0 */
static uint64_t guest_ram_pa;
static struct x86vcpu_ept *ept;  /* the library's EPT for guest memory */
static uint8_t mmio_regs[4096];  /* the test device behind GUEST_MMIO_BASE */

/* Guest-physical [0, GUEST_RAM_SIZE) -> guest_ram, write-back. */
static int build_ept(struct x86vcpu_cpu *cpu)
{
    int err = x86vcpu_ept_create(cpu, X86VCPU_EPT_AD, &ept);
    if (!err)
        err = x86vcpu_ept_map(ept, 0, guest_ram_pa, GUEST_RAM_SIZE, X86VCPU_EPT_RWX, X86VCPU_MT_WB);
    if (!err)
        err = x86vcpu_ept_add_mmio(ept, GUEST_MMIO_BASE, 4096);
    return err;
}

/* Map or unmap one 4 KiB page of guest memory. */
static int ept_map_page(uint64_t gpa, int present)
{
    gpa &= ~0xfffull;
    return present ? x86vcpu_ept_map(ept, gpa, guest_ram_pa + gpa, 4096, X86VCPU_EPT_RWX, X86VCPU_MT_WB)
                   : x86vcpu_ept_unmap(ept, gpa, 4096);
}

static void *gpa_ptr(uint64_t gpa, uint64_t len)
{
    if (gpa >= GUEST_RAM_SIZE || len > GUEST_RAM_SIZE - gpa)
        return 0;
    return guest_ram + gpa;
}

/* Identity page tables for a long-mode guest: 1 GiB in 2 MiB pages. */
static void build_guest_page_tables(void)
{
    uint64_t *pml4 = gpa_ptr(GUEST_PT_BASE, 0x3000);
    uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024;
    pml4[0] = (GUEST_PT_BASE + 0x1000) | 3;
    pdpt[0] = (GUEST_PT_BASE + 0x2000) | 3;
    for (uint64_t i = 0; i < 512; i++)
        pd[i] = (i << 21) | 0x83;
}

/* ---------------------------------------------------------------- guests */
struct guest {
    const char *name;
    uint32_t mode;
    const uint8_t *start, *end;
    uint64_t load, rsp;
    int spins;              /* runs long enough for several time slices */
};

extern const uint8_t guest_basic_real_start[], guest_basic_real_end[];
extern const uint8_t guest_basic_prot32_start[], guest_basic_prot32_end[];
extern const uint8_t guest_basic_long64_start[], guest_basic_long64_end[];
extern const uint8_t guest_hello_real_start[], guest_hello_real_end[];
extern const uint8_t guest_events_long64_start[], guest_events_long64_end[];
extern const uint8_t guest_diffkernel_start[], guest_diffkernel_end[];

static const struct guest guest_hello = { "hello (real mode)", X86VCPU_MODE_REAL,
    guest_hello_real_start, guest_hello_real_end, 0x8000, 0x7000, 0 };
static const struct guest guest_real = { "basic real mode", X86VCPU_MODE_REAL,
    guest_basic_real_start, guest_basic_real_end, 0x8000, 0x7000, 1 };
static const struct guest guest_prot = { "basic 32-bit protected mode", X86VCPU_MODE_PROT32,
    guest_basic_prot32_start, guest_basic_prot32_end, 0x100000, 0x80000, 1 };
static const struct guest guest_events = { "events (64-bit, own IDT)", X86VCPU_MODE_LONG64,
    guest_events_long64_start, guest_events_long64_end, 0x100000, 0x80000, 0 };
static const struct guest guest_long = { "basic 64-bit long mode", X86VCPU_MODE_LONG64,
    guest_basic_long64_start, guest_basic_long64_end, 0x100000, 0x80000, 1 };

static void load_guest(const struct guest *g)
{
    for (unsigned i = 0; i < sizeof mmio_regs; i++)
        mmio_regs[i] = 0;
    for (uint64_t i = 0; i < GUEST_RAM_SIZE; i += 8)
        *(uint64_t *)(guest_ram + i) = 0;
    uint64_t len = (uint64_t)(g->end - g->start);
    uint8_t *dst = gpa_ptr(g->load, len);
    for (uint64_t i = 0; i < len; i++)
        dst[i] = g->start[i];
    if (g->mode == X86VCPU_MODE_LONG64)
        build_guest_page_tables();
}

static struct x86vcpu_setup setup_for(const struct guest *g)
{
    struct x86vcpu_setup s = { 0 };
    s.mode = g->mode;
    s.entry = g->load;
    s.rsp = g->rsp;
    s.cr3 = GUEST_PT_BASE;
    s.ept = ept;
    s.vpid = 1;
    return s;
}

/* ------------------------------------------------------------- running */
struct run {
    const struct guest *g;
    struct x86vcpu_vcpu *v;
    struct x86vcpu_cpu *cpu;
    int test_mode;          /* count checks as tests */
    int halt_ends;          /* HLT ends the guest (the greeting guest) */
    int rebind_at_hlt;      /* unbind + bind at the HLT exit: relaunch path */
    int done;
    uint32_t latch;
    uint64_t last_hlt_rip;
    char line[160];
    unsigned linelen;
    uint64_t snap_exits, snap_reads, snap_writes;
    unsigned shutdown_match;    /* bytes of "Shutdown" seen on port 0x8900 */
    unsigned msr_exits;
    unsigned string_ios;
    unsigned time_slices;
    unsigned mmio_exits;
    unsigned ept_faults_served;
    int page_unmapped;
    uint64_t unmapped_gpa;  /* page taken out of EPT by the guest's request */
    int fault_queue_gp;     /* on its EPT violation, also queue #GP(0) */
    int expect_shutdown;
    uint64_t protected_gpa;     /* page made read-only at the guest's request */
    unsigned protect_faults;
    int protect_decoded;
    int host_fpu;           /* fill/check the host's YMM around every run */
    unsigned host_fpu_runs, host_fpu_bad, host_msr_bad;
    uint32_t extint_vector;     /* last EXTINT exit's vector */
    int last_exception;
    int halt_waits;         /* HLT exit: resume the guest halted (x86vcpu_halt) */
    int forward_extint;     /* EXTINT exit: queue the vector to the guest */
    int overrides;          /* the test CPUID vendor and overrides are set */
    uint64_t demo_msr;
};

static uint64_t reg_mask(const struct run *r, uint64_t v)
{
    return r->g->mode == X86VCPU_MODE_LONG64 ? v : (uint32_t)v;
}

static void guest_putc(struct run *r, char c)
{
    if (c == '\n' || r->linelen == sizeof(r->line) - 1) {
        r->line[r->linelen] = 0;
        con_printf("  guest| %s\n", r->line);
        r->linelen = 0;
        if (c == '\n')
            return;
    }
    r->line[r->linelen++] = c;
}

static uint32_t port_in(struct run *r, uint16_t port, uint32_t size)
{
    if (port >= GUEST_PORT_LATCH && port + size <= GUEST_PORT_LATCH + 4) {
        /* pc-testdev-like latch: bytes [port-0xe0, +size) of a 32-bit register. */
        unsigned shift = 8 * (port - GUEST_PORT_LATCH);
        uint32_t mask = (uint32_t)(0xffffffffull >> (32 - 8 * size)) << shift;
        return (r->latch & mask) >> shift;
    }
    return 0xffffffffu; /* nothing there: floating bus */
}

static void port_out(struct run *r, uint16_t port, uint32_t size, uint32_t value)
{
    if (port >= GUEST_PORT_LATCH && port + size <= GUEST_PORT_LATCH + 4) {
        unsigned shift = 8 * (port - GUEST_PORT_LATCH);
        uint32_t mask = (uint32_t)(0xffffffffull >> (32 - 8 * size)) << shift;
        r->latch = (r->latch & ~mask) | ((value << shift) & mask);
    } else if (port == GUEST_PORT_CONSOLE) {
        guest_putc(r, (char)value);
    } else if (port == 0x8900) {
        /* Bochs' shutdown port: the guest ends itself the way it would on
         * bare Bochs. */
        static const char word[] = "Shutdown";
        char ch = (char)value;
        r->shutdown_match = ch == word[r->shutdown_match] ? r->shutdown_match + 1
                                                           : (ch == 'S' ? 1 : 0);
        if (r->shutdown_match == 8)
            r->done = 1;
    }
}

static uint32_t strio_in(void *ctx, uint16_t port, uint32_t size)
{
    return port_in(ctx, port, size);
}

static void strio_out(void *ctx, uint16_t port, uint32_t size, uint32_t val)
{
    port_out(ctx, port, size, val);
}

static void string_io(struct run *r, const struct x86vcpu_exit *e)
{
    strio_serve(r->v, e, guest_ram, GUEST_RAM_SIZE, strio_in, strio_out, r);
    r->string_ios++;
}

/* The host's local APIC (xAPIC, identity-mapped by boot.S). */
#define LAPIC_BASE 0xfee00000ul
static void lapic_write(uint32_t reg, uint32_t val)
{
    *(volatile uint32_t *)(LAPIC_BASE + reg) = val;
}

static void lapic_timer_oneshot(uint8_t vector, uint32_t count)
{
    lapic_write(0xf0, 0x1ff);        /* SVR: software-enable, spurious 0xff */
    lapic_write(0x3e0, 0xb);         /* divide by 1 */
    lapic_write(0x320, vector);      /* LVT timer: one-shot, unmasked */
    lapic_write(0x380, count);       /* initial count: starts the timer */
}

static void handle_io(struct run *r, const struct x86vcpu_exit *e)
{
    if (e->u.io.string)
        string_io(r, e);
    else if (e->u.io.in)
        x86vcpu_complete_io_in(r->v, port_in(r, e->u.io.port, e->u.io.size));
    else
        port_out(r, e->u.io.port, e->u.io.size, e->u.io.value);
}

/* MSRs the library leaves to the embedder. The demo passes through reads of
 * a few harmless ones; anything else faults as an unimplemented MSR. */
static void handle_msr(struct run *r, const struct x86vcpu_exit *e)
{
    r->msr_exits++;
    uint32_t msr = e->u.msr.index;
    if (msr == GUEST_DEMO_MSR) {
        if (e->kind == X86VCPU_EXIT_MSR_WRITE) {
            r->demo_msr = e->u.msr.value;
            x86vcpu_complete_msr_write(r->v);
        } else {
            x86vcpu_complete_msr_read(r->v, r->demo_msr);
        }
        return;
    }
    if (e->kind == X86VCPU_EXIT_MSR_READ && (msr == 0xc0000103u /* TSC_AUX */ || msr == 0x10 /* TSC */)) {
        uint32_t lo, hi;
        __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
        x86vcpu_complete_msr_read(r->v, ((uint64_t)hi << 32) | lo);
        return;
    }
    x86vcpu_complete_msr_fault(r->v);
}

static const char *guest_string(uint64_t gpa)
{
    const char *s = gpa_ptr(gpa, 1);
    if (!s)
        return "(bad guest pointer)";
    for (uint64_t i = 0; i < 120; i++)
        if (!gpa_ptr(gpa + i, 1) || s[i] == 0)
            return s;
    return "(unterminated guest string)";
}

/* What the guest must see for a leaf: bare Bochs' answer, except VMX hidden,
 * the hypervisor bit set, OSXSAVE following the guest's CR4 (our guests do
 * not set it), and the hypervisor leaves. */
#define TEST_VENDOR "x86vcpuTests"

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
        uint32_t lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        __asm__ volatile("xsetbv" : : "a"(1), "d"(0), "c"(0));
        cpuid_native(leaf, sub, out);
        __asm__ volatile("xsetbv" : : "a"(lo), "d"(hi), "c"(0));
        return;
    }
    cpuid_native(leaf, sub, out);
    if (leaf == 4 && overrides)
        out[0] &= ~0xfc000000u;
    /* x86vcpu's default policy hides WAITPKG and LA57. */
    if (leaf == 7 && sub == 0)
        out[2] &= ~((1u << 5) | (1u << 16));
    /* SYSCALL/SYSRET is reported only to CPUID run in 64-bit mode. */
    if (leaf == 0x80000001u && mode != X86VCPU_MODE_LONG64)
        out[3] &= ~(1u << 11);
    if (leaf == 1)
        out[2] = (out[2] & ~((1u << 5) | (1u << 27))) | (1u << 31);
}

static void bench_report(struct run *r, const struct x86vcpu_exit *e)
{
    uint32_t kind = (uint32_t)e->u.hypercall.args[0];
    uint32_t n = (uint32_t)e->u.hypercall.args[1];
    uint32_t ticks = (uint32_t)e->u.hypercall.args[2];
    const struct x86vcpu_stats *st = x86vcpu_vcpu_stats(r->v);
    uint32_t reason = kind == BENCH_CPUID ? X86VCPU_EXIT_REASON_CPUID
                                          : X86VCPU_EXIT_REASON_IO_INSTRUCTION;
    uint64_t exits = st->exits[reason] - r->snap_exits;
    uint64_t reads = st->vmreads - r->snap_reads, writes = st->vmwrites - r->snap_writes;
    uint32_t bare, nn = n;
    if (kind == BENCH_CPUID)
        BENCH_LOOP(BENCH_INSN_CPUID, nn, bare);
    else
        BENCH_LOOP(BENCH_INSN_OUT, nn, bare);
    /* Fixed point with one decimal (the library and the demo use no FP). */
    uint64_t g10 = (uint64_t)ticks * 10 / n, b10 = (uint64_t)bare * 10 / n;
    uint64_t d10 = g10 > b10 ? g10 - b10 : 0;
    con_printf("BENCH %s exit round trip: guest %lu.%lu ticks/iter, bare Bochs %lu.%lu, "
               "added by the exit %lu.%lu ticks (%u iterations, %lu exits)\n",
               kind == BENCH_CPUID ? "CPUID" : "OUT", g10 / 10, g10 % 10, b10 / 10, b10 % 10,
               d10 / 10, d10 % 10, n, (unsigned long)exits);
    /* The window includes the two benchmark hypercalls' own accesses. */
    uint64_t r100 = exits ? reads * 100 / exits : 0, w100 = exits ? writes * 100 / exits : 0;
    con_printf("BENCH %s VMCS accesses per exit: %lu.%02lu reads, %lu.%02lu writes\n",
               kind == BENCH_CPUID ? "CPUID" : "OUT", r100 / 100, r100 % 100, w100 / 100,
               w100 % 100);
    if (r->test_mode)
        result(exits >= n && exits <= n + 2, kind == BENCH_CPUID ? "bench: one CPUID exit per iteration"
                                                                  : "bench: one OUT exit per iteration");
}

static void handle_hypercall(struct run *r, const struct x86vcpu_exit *e)
{
    uint64_t nr = reg_mask(r, e->u.hypercall.nr);
    const uint64_t *a = e->u.hypercall.args;
    uint64_t ret = 0;
    switch (nr) {
    case HC_CHECK:
        if (r->test_mode)
            result_val(reg_mask(r, a[1]) == reg_mask(r, a[2]), guest_string(reg_mask(r, a[0])),
                       reg_mask(r, a[1]), reg_mask(r, a[2]));
        break;
    case HC_CPUID: {
        uint32_t leaf = (uint32_t)a[0], sub = (uint32_t)a[1], want[4];
        const uint32_t *got = gpa_ptr(reg_mask(r, a[2]), 16);
        cpuid_expected(leaf, sub, r->g->mode, r->overrides, want);
        int ok = got && got[0] == want[0] && got[1] == want[1] && got[2] == want[2] &&
                 got[3] == want[3];
        if (r->test_mode) {
            con_printf("%s cpuid %08x.%u\n", ok ? "PASS" : "FAIL", leaf, sub);
            ok ? n_passed++ : n_failed++;
            if (!ok && got)
                con_printf("     got %08x %08x %08x %08x, expected %08x %08x %08x %08x\n",
                           got[0], got[1], got[2], got[3], want[0], want[1], want[2], want[3]);
        }
        break;
    }
    case HC_ARGS:
        for (int i = 0; i < 6; i++)
            ret += (uint64_t)(i + 1) * a[i];
        ret = reg_mask(r, ret);
        break;
    case HC_BENCH_BEGIN: {
        const struct x86vcpu_stats *st = x86vcpu_vcpu_stats(r->v);
        r->snap_exits = st->exits[a[0] == BENCH_CPUID ? X86VCPU_EXIT_REASON_CPUID
                                                      : X86VCPU_EXIT_REASON_IO_INSTRUCTION];
        r->snap_reads = st->vmreads;
        r->snap_writes = st->vmwrites;
        break;
    }
    case HC_BENCH_END:
        bench_report(r, e);
        break;
    case HC_HLT_CHECK:
        if (r->test_mode)
            result_val(r->last_hlt_rip == reg_mask(r, a[0]),
                       "hlt: HLT exit at the guest's HLT, resumed after it", r->last_hlt_rip,
                       reg_mask(r, a[0]));
        break;
    case HC_DONE:
        r->done = 1;
        break;
    case HC_XCR0_SWITCHES:
        ret = reg_mask(r, x86vcpu_vcpu_stats(r->v)->xcr0_switches);
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
        ret = (uint64_t)(int64_t)ept_map_page(r->unmapped_gpa, 0);
        r->page_unmapped = 1;
        break;
    case HC_PROTECT: {
        r->protected_gpa = a[0] & ~0xfffull;
        uint32_t f0 = x86vcpu_ept_flushes(ept);
        ret = (uint64_t)(int64_t)x86vcpu_ept_protect(ept, r->protected_gpa, 4096, (uint32_t)a[1]);
        if (r->test_mode)
            result(x86vcpu_ept_flushes(ept) == f0 + 1, "ept: protect issued one INVEPT");
        break;
    }
    case HC_INJECT: {
        int err = X86VCPU_EINVAL;
        switch (a[0]) {
        case INJ_EXTINT: err = x86vcpu_queue_interrupt(r->v, (uint8_t)a[1]); break;
        case INJ_NMI: err = x86vcpu_queue_nmi(r->v); break;
        case INJ_NMI2:
            err = x86vcpu_queue_nmi(r->v);
            if (!err)
                err = x86vcpu_queue_nmi(r->v);
            break;
        case INJ_EXCEPTION:
            err = x86vcpu_queue_exception(r->v, (uint8_t)a[1], (int)a[3], (uint32_t)a[2], a[4]);
            break;
        case INJ_SOFTINT: err = x86vcpu_queue_soft_interrupt(r->v, (uint8_t)a[1], (uint32_t)a[2]); break;
        case INJ_SOFTEXC: err = x86vcpu_queue_soft_exception(r->v, (uint8_t)a[1], (uint32_t)a[2]); break;
        }
        ret = (uint64_t)(int64_t)err;
        break;
    }
    case HC_EXC_BITMAP:
        ret = (uint64_t)(int64_t)x86vcpu_set_exception_bitmap(r->v, (uint32_t)a[0]);
        break;
    case HC_LAST_EXCEPTION:
        ret = (uint64_t)(int64_t)r->last_exception;
        break;
    case HC_HOST_FPU:
        r->host_fpu = (int)a[0];
        if (!r->host_fpu && r->test_mode) {
            con_printf("     host YMM checked around %u runs\n", r->host_fpu_runs);
            result_val(r->host_fpu_bad == 0 && r->host_fpu_runs >= 2000,
                       "xstate: host YMM0-15 intact around every run", r->host_fpu_bad, 0);
            result_val(r->host_msr_bad == 0 && r->host_fpu_runs >= 2000,
                       "syscall MSRs: host STAR..TSC_AUX intact around every run",
                       r->host_msr_bad, 0);
            const struct x86vcpu_stats *st = x86vcpu_vcpu_stats(r->v);
            con_printf("     MSR switches so far: %lu WRMSRs, XCR0 switches %lu\n",
                       (unsigned long)st->msr_switches, (unsigned long)st->xcr0_switches);
        }
        break;
    case HC_APIC_TIMER:
        ret = (uint64_t)(int64_t)x86vcpu_set_extint_exiting(r->v, (int)a[1]);
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
        lapic_write(0xb0, 0);
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
        ret = (uint64_t)x86vcpu_queue_interrupt(r->v, (uint8_t)a[0]);
        break;
    case HC_EXIT_COUNT:
        ret = a[0] < X86VCPU_EXIT_REASON_MAX ? x86vcpu_vcpu_stats(r->v)->exits[a[0]] : 0;
        ret = reg_mask(r, ret);
        break;
    default:
        ret = (uint64_t)-1;
        break;
    }
    x86vcpu_set_hypercall_result(r->v, ret);
}

static void print_exit(const struct x86vcpu_exit *e)
{
    con_printf("  exit: reason %u (%s) qualification 0x%lx rip 0x%lx\n", e->reason,
               x86vcpu_exit_reason_name(e->reason), (unsigned long)e->qualification,
               (unsigned long)e->rip);
}

/* Returns 0 when the guest finished (HC_DONE, or HLT for the greeting
 * guest), 1 when it stopped on an exit the demo does not serve (in *last),
 * or a negative library error. */
static int run_guest(struct run *r, struct x86vcpu_exit *last)
{
    static uint8_t host_want[512], host_got[512];
    /* The host's own syscall MSR values while it checks isolation. */
    static const uint32_t smsr[6] = { 0xc0000081u, 0xc0000082u, 0xc0000083u, 0xc0000084u,
                                      0xc0000102u, 0xc0000103u };
    static const uint64_t smsr_host[6] = { 0x0010000800000000ull, 0xffff800000001000ull,
                                           0xffff800000002000ull, 0x700ull,
                                           0xffff800000003000ull, 7 };
    for (unsigned i = 0; i < 512; i++)
        host_want[i] = (uint8_t)(0x35 + i * 3);
    for (unsigned n = 0; n < 1000000 && !r->done; n++) {
        int fpu = r->host_fpu;
        if (fpu) {
            YMM_LOAD_ALL(host_want); /* the host uses its SIMD registers too */
            for (int i = 0; i < 6; i++)
                wrmsr64(smsr[i], smsr_host[i]);
        }
        int err = x86vcpu_vcpu_run(r->v, last);
        if (fpu) {
            YMM_STORE_ALL(host_got);
            r->host_fpu_runs++;
            for (unsigned i = 0; i < 512; i++)
                r->host_fpu_bad += host_got[i] != host_want[i];
            for (int i = 0; i < 6; i++)
                r->host_msr_bad += rdmsr64(smsr[i]) != smsr_host[i];
        }
        if (err) {
            con_printf("  run: %s", x86vcpu_strerror(err));
            if (err == X86VCPU_EVMFAILVALID)
                con_printf(" (VM-instruction error %u: %s)", x86vcpu_vcpu_vm_error(r->v),
                           x86vcpu_vm_error_name(x86vcpu_vcpu_vm_error(r->v)));
            con_printf("\n");
            return err;
        }
        switch (last->kind) {
        case X86VCPU_EXIT_IO:
            handle_io(r, last);
            break;
        case X86VCPU_EXIT_HYPERCALL:
            handle_hypercall(r, last);
            break;
        case X86VCPU_EXIT_MSR_READ:
        case X86VCPU_EXIT_MSR_WRITE:
            handle_msr(r, last);
            break;
        case X86VCPU_EXIT_TIME_SLICE:
            r->time_slices++;
            break;
        case X86VCPU_EXIT_EPT_VIOLATION:
            if (r->protected_gpa && (last->u.ept.gpa & ~0xfffull) == r->protected_gpa) {
                /* A write to the page made read-only: check the decoding,
                 * give write access back, let the write happen. */
                r->protect_faults++;
                r->protect_decoded = last->u.ept.access == X86VCPU_EPT_W &&
                                     last->u.ept.entry_perms == (X86VCPU_EPT_R | X86VCPU_EPT_X) &&
                                     last->u.ept.gla_valid && !last->u.ept.paging_walk &&
                                     last->u.ept.gla == last->u.ept.gpa && !last->u.ept.misconfig;
                x86vcpu_ept_protect(ept, r->protected_gpa, 4096, X86VCPU_EPT_RWX);
                r->protected_gpa = 0;
                break;
            }
            /* The page the demo took away at the guest's request: map it
             * again (and queue #GP if asked); anything else is a guest bug
             * and stops it. */
            if (!r->page_unmapped || (last->u.ept.gpa & ~0xfffull) != r->unmapped_gpa)
                return 1;
            ept_map_page(r->unmapped_gpa, 1);
            r->page_unmapped = 0;
            r->ept_faults_served++;
            if (r->fault_queue_gp)
                x86vcpu_queue_exception(r->v, 13, 1, 0, 0);
            break;
        case X86VCPU_EXIT_MMIO: {
            /* The register file: little-endian bytes at the offset. */
            uint64_t off = last->u.mmio.gpa - GUEST_MMIO_BASE, val = 0;
            uint32_t size = last->u.mmio.size;
            if (off + size > sizeof mmio_regs)
                return 1;
            r->mmio_exits++;
            for (uint32_t i = 0; i < size; i++) {
                if (last->u.mmio.write)
                    mmio_regs[off + i] = (uint8_t)(last->u.mmio.value >> (8 * i));
                else
                    val |= (uint64_t)mmio_regs[off + i] << (8 * i);
            }
            x86vcpu_complete_mmio(r->v, val);
            break;
        }
        case X86VCPU_EXIT_MMIO_UNSUPPORTED:
            con_printf("  MMIO at 0x%lx by an instruction the library cannot emulate (%d):",
                       (unsigned long)last->u.mmio.gpa, last->u.mmio.error);
            for (unsigned i = 0; i < last->u.mmio.insn_len; i++)
                con_printf(" %02x", last->u.mmio.insn[i]);
            con_printf("\n");
            return 1;
        case X86VCPU_EXIT_EXTINT:
            /* Acknowledged on exit: the demo is the interrupt's handler. */
            r->extint_vector = last->u.extint.valid ? last->u.extint.vector : 0xffffffffu;
            lapic_write(0xb0, 0);
            if (r->forward_extint && last->u.extint.valid)
                x86vcpu_queue_interrupt(r->v, (uint8_t)last->u.extint.vector);
            break;
        case X86VCPU_EXIT_EXCEPTION:
            /* Intercepted exceptions are reflected to the guest unchanged. */
            r->last_exception = last->u.exception.vector;
            x86vcpu_queue_exception(r->v, last->u.exception.vector, last->u.exception.has_err,
                                    last->u.exception.err, last->u.exception.info);
            break;
        case X86VCPU_EXIT_SHUTDOWN:
            if (!r->expect_shutdown)
                return 1;
            result(1, "escalation: a broken #DF ends in a shutdown exit");
            r->done = 1;
            break;
        case X86VCPU_EXIT_HLT:
            r->last_hlt_rip = last->rip;
            if (r->halt_waits) {
                /* Before the next run RIP is still the HLT's; RFLAGS.IF
                 * is set (the guest halts to wait for its interrupt). */
                uint64_t rip = 0, rflags = 0;
                int e1 = x86vcpu_get_rip(r->v, &rip), e2 = x86vcpu_get_rflags(r->v, &rflags);
                result(!e1 && !e2 && rip == last->rip && (rflags & (1u << 9)),
                       "halt: get_rip/get_rflags at the HLT exit (the HLT's RIP, IF set)");
                result(!x86vcpu_halt(r->v), "halt: x86vcpu_halt at the HLT exit");
            }
            if (r->halt_ends)
                r->done = 1;
            if (r->rebind_at_hlt) {
                /* Take the VMCS off this CPU and load it again: the next
                 * entry must be a VMLAUNCH (SDM 24.11.3). */
                int e1 = x86vcpu_vcpu_unbind(r->v), e2 = x86vcpu_vcpu_bind(r->v, r->cpu);
                result(!e1 && !e2, "lifecycle: unbind (VMCLEAR) and bind again mid-run");
            }
            break;
        default:
            return 1;
        }
    }
    return r->done ? 0 : 1;
}

static void print_stats(struct x86vcpu_vcpu *v)
{
    const struct x86vcpu_stats *st = x86vcpu_vcpu_stats(v);
    uint64_t total = 0;
    con_printf("  exit statistics:\n");
    for (uint32_t i = 0; i < X86VCPU_EXIT_REASON_MAX; i++) {
        if (!st->exits[i])
            continue;
        total += st->exits[i];
        con_printf("    %-28s %8lu\n", x86vcpu_exit_reason_name(i),
                   (unsigned long)st->exits[i]);
    }
    con_printf("    %-28s %8lu   (VM entries %lu, VMREADs %lu, VMWRITEs %lu)\n", "total",
               (unsigned long)total, (unsigned long)st->entries,
               (unsigned long)st->vmreads, (unsigned long)st->vmwrites);
    con_printf("    state switches: XCR0 %lu XSETBVs, syscall MSRs %lu WRMSRs\n",
               (unsigned long)st->xcr0_switches, (unsigned long)st->msr_switches);
}

static struct x86vcpu_vcpu *new_vcpu_slice(struct x86vcpu_cpu *cpu, const struct guest *g,
                                           uint32_t slice)
{
    struct x86vcpu_vcpu *v;
    int err = x86vcpu_vcpu_create(cpu, &v);
    struct x86vcpu_setup s = setup_for(g);
    s.time_slice = slice;
    if (!err)
        err = x86vcpu_vcpu_setup(v, &s);
    /* The demo's device policy: port 0xed and reads of the TSC MSR go
     * straight to the hardware (the test guests check they do not exit). */
    if (!err)
        err = x86vcpu_io_intercept(v, GUEST_PORT_PASS, 1, 0);
    if (!err)
        err = x86vcpu_msr_intercept(v, GUEST_MSR_PASS, 0, 1);
    if (!err)
        err = x86vcpu_vcpu_bind(v, cpu);
    if (err) {
        con_printf("vCPU for %s: %s\n", g->name, x86vcpu_strerror(err));
        return 0;
    }
    return v;
}

static struct x86vcpu_vcpu *new_vcpu(struct x86vcpu_cpu *cpu, const struct guest *g)
{
    return new_vcpu_slice(cpu, g, 0);
}

static void end_vcpu(struct x86vcpu_vcpu *v)
{
    x86vcpu_vcpu_unbind(v);
    x86vcpu_vcpu_destroy(v);
}

/* ---------------------------------------------------------------- demo */
static void run_demo(struct x86vcpu_cpu *cpu)
{
    con_printf("x86vcpu demo: running the greeting guest\n");
    load_guest(&guest_hello);
    struct run r = { .g = &guest_hello, .cpu = cpu, .halt_ends = 1 };
    r.v = new_vcpu(cpu, &guest_hello);
    if (!r.v)
        return;
    struct x86vcpu_exit e;
    int st = run_guest(&r, &e);
    if (st == 1)
        print_exit(&e);
    con_printf("x86vcpu demo: guest %s\n", st == 0 ? "halted" : "stopped unexpectedly");
    print_stats(r.v);
    end_vcpu(r.v);
}

/* ------------------------------------------------- differential kernel */
/* Load a multiboot v1 ELF32 kernel the way a multiboot loader would: its
 * PT_LOAD segments at their physical addresses; entry in 32-bit protected
 * mode with EAX = 0x2BADB002 and EBX = a (flags = 0) multiboot info. */
struct elf32_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version, entry, phoff, shoff, flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf32_phdr { uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align; };

static int load_elf32(const uint8_t *img, uint64_t len, uint64_t *entry)
{
    const struct elf32_ehdr *h = (const void *)img;
    if (len < sizeof *h || img[0] != 0x7f || img[1] != 'E' || img[2] != 'L' || img[3] != 'F' ||
        img[4] != 1 || h->machine != 3 || h->phentsize != sizeof(struct elf32_phdr) ||
        h->phoff + (uint64_t)h->phnum * sizeof(struct elf32_phdr) > len)
        return -1;
    const struct elf32_phdr *ph = (const void *)(img + h->phoff);
    for (unsigned i = 0; i < h->phnum; i++) {
        if (ph[i].type != 1)
            continue;
        uint8_t *dst = gpa_ptr(ph[i].paddr, ph[i].memsz);
        if (!dst || ph[i].filesz > ph[i].memsz || (uint64_t)ph[i].offset + ph[i].filesz > len)
            return -1;
        for (uint32_t j = 0; j < ph[i].memsz; j++)
            dst[j] = j < ph[i].filesz ? img[ph[i].offset + j] : 0;
    }
    *entry = h->entry;
    return 0;
}

static int read_gpa(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
    (void)ctx;
    const uint8_t *src = gpa_ptr(gpa, len);
    if (!src)
        return -1;
    for (uint32_t i = 0; i < len; i++)
        ((uint8_t *)buf)[i] = src[i];
    return 0;
}

static void run_diff(struct x86vcpu_cpu *cpu)
{
    static const struct guest diffk = { "differential kernel", X86VCPU_MODE_PROT32, 0, 0, 0, 0x80000, 0 };
    con_printf("x86vcpu demo: running the differential kernel as a guest\n");
    for (uint64_t i = 0; i < GUEST_RAM_SIZE; i += 8)
        *(uint64_t *)(guest_ram + i) = 0;
    uint64_t entry;
    if (load_elf32(guest_diffkernel_start, (uint64_t)(guest_diffkernel_end - guest_diffkernel_start),
                   &entry)) {
        con_printf("diff: not a loadable ELF32 image\n");
        return;
    }
    struct x86vcpu_vcpu *v;
    struct x86vcpu_setup s = setup_for(&diffk);
    s.entry = entry;
    s.read_gpa = read_gpa;
    int err = x86vcpu_vcpu_create(cpu, &v);
    if (!err)
        err = x86vcpu_vcpu_setup(v, &s);
    if (!err)
        err = x86vcpu_vcpu_bind(v, cpu);
    if (err) {
        con_printf("diff: vCPU: %s\n", x86vcpu_strerror(err));
        return;
    }
    x86vcpu_set_gpr(v, X86VCPU_RAX, 0x2badb002u);
    x86vcpu_set_gpr(v, X86VCPU_RBX, 0x9000); /* zeroed: flags = 0 */
    struct run r = { .g = &diffk, .v = v, .cpu = cpu };
    struct x86vcpu_exit e;
    int st = run_guest(&r, &e);
    if (st == 1)
        print_exit(&e);
    if (r.linelen)
        guest_putc(&r, '\n');
    con_printf("x86vcpu demo: differential kernel %s (%u MSR exits to the demo)\n",
               st == 0 ? "ended" : "stopped unexpectedly", r.msr_exits);
    print_stats(v);
    end_vcpu(v);
}

/* ---------------------------------------------------------------- tests */
static void test_basic(struct x86vcpu_cpu *cpu, const struct guest *g, int rebind)
{
    con_printf("== guest: %s\n", g->name);
    uint64_t frames_before = frames_in_use() - x86vcpu_ept_table_frames(ept);
    load_guest(g);
    struct run r = { .g = g, .cpu = cpu, .test_mode = 1, .rebind_at_hlt = rebind };
    /* A time slice of 100000 timer ticks (TSC ticks on Bochs, MISC[4:0] = 0):
     * the guest's spin loop outlasts several. */
    r.v = new_vcpu_slice(cpu, g, 100000);
    result(r.v != 0, "vCPU create/setup/bind");
    if (!r.v)
        return;
    /* CPUID policy API: cpuid_expected() knows these. */
    static const uint32_t hvfeat[4] = { 0x5a5a, 0, 0, 0 }, cores_clear[4] = { 0xfc000000u, 0, 0, 0 };
    result(!x86vcpu_cpuid_set_vendor(r.v, TEST_VENDOR) &&
               !x86vcpu_cpuid_override(r.v, 0x40000001u, 0, hvfeat, 0) &&
               !x86vcpu_cpuid_override(r.v, 4, X86VCPU_CPUID_ANY_SUBLEAF, 0, cores_clear),
           "cpuid: vendor and overrides set");
    r.overrides = 1;
    result(x86vcpu_msr_intercept(r.v, GUEST_DEMO_MSR, 0, 0) == X86VCPU_EINVAL,
           "intercepts: an MSR outside the bitmap ranges always exits");
    struct x86vcpu_exit e;
    int st = run_guest(&r, &e);
    if (st == 1)
        print_exit(&e);
    result(st == 0, "guest ran to completion");
    con_printf("     %u time-slice exits, %u string I/O exits, %u MMIO exits\n", r.time_slices,
               r.string_ios, r.mmio_exits);
    if (g->spins)
        result(r.time_slices >= 2, "preemption timer: time slices end and re-arm");
    print_stats(r.v);
    end_vcpu(r.v);
    /* EPT tables split for the guest's requests stay with the EPT. */
    uint64_t frames_after = frames_in_use() - x86vcpu_ept_table_frames(ept);
    result_val(frames_after == frames_before, "lifecycle: destroy returns every frame",
               frames_after, frames_before);
}

/* A guest state the SDM forbids must come back as a decoded VM-entry
 * failure (exit reason 33 with bit 31), and the host carries on. */
static void test_entry_failure(struct x86vcpu_cpu *cpu)
{
    con_printf("== VM-entry failure: invalid guest state\n");
    load_guest(&guest_prot);
    struct run r = { .g = &guest_prot, .cpu = cpu, .test_mode = 1 };
    r.v = new_vcpu(cpu, &guest_prot);
    if (!r.v) {
        result(0, "vCPU for the entry-failure test");
        return;
    }
    struct x86vcpu_exit e;
    /* SDM 26.3.1.4: RFLAGS bit 1 must be 1. */
    x86vcpu_vmcs_writenat(r.v, X86VCPU_VMCS_GUEST_RFLAGS, 0);
    int st = x86vcpu_vcpu_run(r.v, &e);
    result(st == X86VCPU_OK && e.kind == X86VCPU_EXIT_ENTRY_FAILED &&
               e.u.entry_failed.reason == X86VCPU_EXIT_REASON_ENTRY_FAIL_GUEST_STATE,
           "entry failure: RFLAGS[1]=0 -> reason 33 (invalid guest state)");
    if (st == X86VCPU_OK && e.kind == X86VCPU_EXIT_ENTRY_FAILED)
        con_printf("     decoded: reason %u %s, qualification %lu\n", e.u.entry_failed.reason,
                   e.u.entry_failed.reason_name, (unsigned long)e.u.entry_failed.qualification);
    x86vcpu_vmcs_writenat(r.v, X86VCPU_VMCS_GUEST_RFLAGS, 2);

    /* SDM 26.3.1.1: CR0.PG = 1 requires CR0.PE = 1 even for unrestricted guests. */
    uint64_t cr0;
    x86vcpu_vmcs_readnat(r.v, X86VCPU_VMCS_GUEST_CR0, &cr0);
    x86vcpu_vmcs_writenat(r.v, X86VCPU_VMCS_GUEST_CR0, (cr0 | (1ull << 31)) & ~1ull);
    st = x86vcpu_vcpu_run(r.v, &e);
    result(st == X86VCPU_OK && e.kind == X86VCPU_EXIT_ENTRY_FAILED &&
               e.u.entry_failed.reason == X86VCPU_EXIT_REASON_ENTRY_FAIL_GUEST_STATE,
           "entry failure: CR0.PG without CR0.PE -> reason 33");
    x86vcpu_vmcs_writenat(r.v, X86VCPU_VMCS_GUEST_CR0, cr0);

    /* A control the CPU does not allow is caught before guest state: the
     * VM entry fails as an instruction (VMfailValid, error 7). */
    uint64_t entry_ctls;
    x86vcpu_vmcs_read32(r.v, X86VCPU_VMCS_ENTRY_CTLS, &entry_ctls);
    x86vcpu_vmcs_write32(r.v, X86VCPU_VMCS_ENTRY_CTLS, entry_ctls | (1u << 31));
    st = x86vcpu_vcpu_run(r.v, &e);
    result_val(st == X86VCPU_EVMFAILVALID && x86vcpu_vcpu_vm_error(r.v) == 7,
               "VMfail: reserved VM-entry control -> VM-instruction error 7 decoded",
               x86vcpu_vcpu_vm_error(r.v), 7);
    con_printf("     decoded: %s / %s\n", x86vcpu_strerror(st),
               x86vcpu_vm_error_name(x86vcpu_vcpu_vm_error(r.v)));
    x86vcpu_vmcs_write32(r.v, X86VCPU_VMCS_ENTRY_CTLS, entry_ctls);

    /* The host carries on: the repaired vCPU runs its guest to the end. */
    st = run_guest(&r, &e);
    if (st == 1)
        print_exit(&e);
    result(st == 0, "after the failures the repaired guest runs to completion");
    end_vcpu(r.v);
}

static void test_api_misuse(struct x86vcpu_cpu *cpu)
{
    con_printf("== API misuse returns error codes\n");
    result(x86vcpu_cpu_enable(cpu, &hal) == X86VCPU_EBUSY, "cpu_enable twice -> EBUSY");
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
    struct x86vcpu_setup s = setup_for(&guest_real);
    s.ept_root |= 0x10;
    result(x86vcpu_vcpu_setup(v, &s) == X86VCPU_EINVAL, "setup with unaligned EPT root -> EINVAL");
    s = setup_for(&guest_real);
    result(!x86vcpu_vcpu_setup(v, &s) && !x86vcpu_vcpu_bind(v, cpu), "setup + bind");
    result(x86vcpu_cpu_disable(cpu) == X86VCPU_EBUSY, "cpu_disable with a bound vCPU -> EBUSY");
    result(x86vcpu_vcpu_destroy(v) == X86VCPU_EBUSY, "destroy while bound -> EBUSY");
    result(x86vcpu_complete_io_in(v, 0) == X86VCPU_ESTATE, "complete_io_in with no IN -> ESTATE");
    /* Run until the guest's first IN, then run again without completing it. */
    load_guest(&guest_real);
    struct run r = { .g = &guest_real, .v = v, .cpu = cpu };
    int got_in = 0;
    for (int i = 0; i < 100000 && !got_in; i++) {
        if (x86vcpu_vcpu_run(v, &e))
            break;
        if (e.kind == X86VCPU_EXIT_IO && e.u.io.in)
            got_in = 1;
        else if (e.kind == X86VCPU_EXIT_IO)
            handle_io(&r, &e);
        else if (e.kind == X86VCPU_EXIT_HYPERCALL)
            x86vcpu_set_hypercall_result(v, 0);
        else if (e.kind != X86VCPU_EXIT_HLT)
            break;
    }
    result(got_in && x86vcpu_vcpu_run(v, &e) == X86VCPU_EPENDING,
           "run with an uncompleted IN -> EPENDING");
    end_vcpu(v);
}

static void run_tests(struct x86vcpu_cpu *cpu)
{
    test_basic(cpu, &guest_real, 0);
    test_basic(cpu, &guest_prot, 0);
    test_basic(cpu, &guest_long, 1);
    test_basic(cpu, &guest_events, 0);
    test_entry_failure(cpu);
    test_api_misuse(cpu);
}

/* ---------------------------------------------------------------- main */
int hv_has_word(const char *s, const char *w)
{
    for (; s && *s; s++) {
        const char *a = s, *b = w;
        while (*b && *a == *b)
            a++, b++;
        if (!*b && (*a == 0 || *a == ' '))
            return 1;
    }
    return 0;
}

void hv_main(const char *cmdline, uint32_t mbinfo_phys)
{
    int test_mode = hv_has_word(cmdline, "test");
    static struct x86vcpu_cpu cpu; /* the demo's one per-CPU record */
    int err = x86vcpu_cpu_enable(&cpu, &hal);
    con_printf("x86vcpu: VMX on: %s (revision 0x%x)\n", x86vcpu_strerror(err),
               (unsigned)(cpu.caps.basic & 0x7fffffff));
    if (test_mode)
        result(!err, "cpu_enable (VMXON)");
    if (err) {
        if (hv_has_word(cmdline, "guest"))
            con_printf("x86vcpu demo: guest exit status 6 (no VMX)\n");
        goto out;
    }
    if (hv_has_word(cmdline, "guest")) {
        mbguest_main(&cpu, mbinfo_phys, cmdline);
        return; /* Bochs ends right after: no VMXOFF needed */
    }

    /* The demo never uses SYSCALL. Bochs resets IA32_FMASK to 0x20200; a
     * vCPU starts with 0 (x86vcpu keeps the guest's syscall MSRs apart).
     * Equal values mean no WRMSR at run() boundaries. */
    wrmsr64(0xc0000084u, 0);

    guest_ram_pa = frames_alloc_contig(GUEST_RAM_SIZE, 2ull << 20);
    guest_ram = (uint8_t *)(uintptr_t)guest_ram_pa;
    if (!guest_ram_pa) {
        con_printf("no memory for the guest\n");
        n_failed++;
        goto out;
    }
    err = build_ept(&cpu);
    if (test_mode)
        result(!err, "EPT built by the library for the guest's 16 MiB");
    if (err) {
        con_printf("EPT: %s\n", x86vcpu_strerror(err));
        goto out;
    }

    if (test_mode)
        run_tests(&cpu);
    else if (hv_has_word(cmdline, "diff"))
        run_diff(&cpu);
    else
        run_demo(&cpu);

    err = x86vcpu_cpu_disable(&cpu);
    if (test_mode)
        result(!err, "cpu_disable (VMXOFF)");
out:
    if (test_mode)
        con_printf("%u passed, %u failed\n", n_passed, n_failed);
}

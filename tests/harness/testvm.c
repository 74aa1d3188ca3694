/* tests/harness/testvm.c — the test machine: the demo's vm with the
 * devices and exits the test protocol (tests/lib/proto.h) relies on. */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

#include "arch.h"
#include "bus.h"
#include "console.h"
#include "harness.h"
#include "proto.h"
#include "pc/debugcon.h"
#include "pc/testdev.h"

struct testvm tvm;

extern const uint8_t guest_basic_real_start[], guest_basic_real_end[];
extern const uint8_t guest_basic_prot32_start[], guest_basic_prot32_end[];
extern const uint8_t guest_basic_long64_start[], guest_basic_long64_end[];
extern const uint8_t guest_events_long64_start[], guest_events_long64_end[];
extern const uint8_t guest_dbgregs_long64_start[], guest_dbgregs_long64_end[];

const struct test_guest guest_real = { "basic real mode", X86VCPU_MODE_REAL,
    guest_basic_real_start, guest_basic_real_end, 0x8000, 0x7000, 1 };
const struct test_guest guest_prot = { "basic 32-bit protected mode", X86VCPU_MODE_PROT32,
    guest_basic_prot32_start, guest_basic_prot32_end, 0x100000, 0x80000, 1 };
const struct test_guest guest_events = { "events (64-bit, own IDT)", X86VCPU_MODE_LONG64,
    guest_events_long64_start, guest_events_long64_end, 0x100000, 0x80000, 0 };
const struct test_guest guest_dbgregs = { "debug registers and CR2 (64-bit)",
    X86VCPU_MODE_LONG64, guest_dbgregs_long64_start, guest_dbgregs_long64_end, 0x100000, 0x80000, 0 };
const struct test_guest guest_long = { "basic 64-bit long mode", X86VCPU_MODE_LONG64,
    guest_basic_long64_start, guest_basic_long64_end, 0x100000, 0x80000, 1 };

/* ------------------------------------------------------------ devices */
/* The MMIO register file: little-endian bytes at the offset, read back as
 * written. An access past its end is a guest bug: the run stops. */
static int regs_access(uint64_t gpa, uint32_t size, uint64_t *val, int write)
{
    uint64_t off = gpa - GUEST_MMIO_BASE;
    if (off + size > sizeof tvm.mmio_regs) {
        vm_end(&tvm.vm, VM_STOPPED, "MMIO past the register file");
        return BUS_OK;
    }
    tvm.run.mmio_exits++;
    if (!write)
        *val = 0;
    for (uint32_t i = 0; i < size; i++) {
        if (write)
            tvm.mmio_regs[off + i] = (uint8_t)(*val >> (8 * i));
        else
            *val |= (uint64_t)tvm.mmio_regs[off + i] << (8 * i);
    }
    return BUS_OK;
}

static int regs_read(void *dev, uint64_t gpa, uint32_t size, uint64_t *val)
{
    (void)dev;
    return regs_access(gpa, size, val, 0);
}

static int regs_write(void *dev, uint64_t gpa, uint32_t size, uint64_t val)
{
    (void)dev;
    return regs_access(gpa, size, &val, 1);
}

static const struct bus_ops regs_ops = { regs_read, regs_write };

/* MSRs the library leaves to the embedder: a scratch register only the
 * demo implements, and reads of TSC / TSC_AUX from the hardware (TSC
 * reads normally pass through); anything else faults. */
#define MSR_TSC     0x10
#define MSR_TSC_AUX 0xc0000103u

static int msr_read(void *dev, uint64_t msr, uint32_t size, uint64_t *val)
{
    (void)dev;
    (void)size;
    *val = msr == GUEST_DEMO_MSR ? tvm.run.demo_msr : rdmsr((uint32_t)msr);
    return BUS_OK;
}

static int msr_write(void *dev, uint64_t msr, uint32_t size, uint64_t val)
{
    (void)dev;
    (void)size;
    if (msr != GUEST_DEMO_MSR)
        return BUS_FAULT;
    tvm.run.demo_msr = val;
    return BUS_OK;
}

static const struct bus_ops msr_ops = { msr_read, msr_write };

/* ------------------------------------------------------------ exits */
static int ept_violation(struct test_run *r, const struct x86vcpu_exit *e)
{
    uint64_t page = e->u.ept.gpa & ~0xfffull;
    if (r->protected_gpa && page == r->protected_gpa) {
        /* A write to the page made read-only: check the decoding, give
         * write access back, let the write happen. */
        r->protect_faults++;
        r->protect_decoded = e->u.ept.access == X86VCPU_EPT_W &&
                             e->u.ept.entry_perms == (X86VCPU_EPT_R | X86VCPU_EPT_X) &&
                             e->u.ept.gla_valid && !e->u.ept.paging_walk &&
                             e->u.ept.gla == e->u.ept.gpa && !e->u.ept.misconfig;
        x86vcpu_ept_protect(tvm.vm.ept, r->protected_gpa, 4096, X86VCPU_EPT_RWX);
        r->protected_gpa = 0;
        return 1;
    }
    /* The page the demo took away at the guest's request: map it again
     * (and queue #GP if asked); anything else is a guest bug. */
    if (!r->page_unmapped || page != r->unmapped_gpa)
        return 0;
    testvm_map_page(r->unmapped_gpa, 1);
    r->page_unmapped = 0;
    r->ept_faults_served++;
    if (r->fault_queue_gp)
        x86vcpu_queue_exception(tvm.vm.v, 13, 1, 0, 0);
    return 1;
}

static void hlt(struct test_run *r, const struct x86vcpu_exit *e)
{
    struct x86vcpu_vcpu *v = tvm.vm.v;
    r->last_hlt_rip = e->rip;
    if (r->bench_wake) /* the HLT wake-up benchmark: the interrupt comes at once */
        x86vcpu_queue_interrupt(v, BENCH_WAKE_VECTOR);
    if (r->halt_waits) {
        /* Before the next run RIP is still the HLT's; RFLAGS.IF is set
         * (the guest halts to wait for its interrupt). */
        uint64_t rip = 0, rflags = 0;
        int e1 = x86vcpu_get_rip(v, &rip), e2 = x86vcpu_get_rflags(v, &rflags);
        result(!e1 && !e2 && rip == e->rip && (rflags & (1u << 9)),
               "halt: get_rip/get_rflags at the HLT exit (the HLT's RIP, IF set)");
        result(!x86vcpu_halt(v), "halt: x86vcpu_halt at the HLT exit");
    }
    if (r->rebind_at_hlt) {
        /* Take the VMCS off this CPU and load it again: the next entry
         * must be a VMLAUNCH (SDM 24.11.3). */
        int e1 = x86vcpu_vcpu_unbind(v), e2 = x86vcpu_vcpu_bind(v, tvm.vm.cpu);
        result(!e1 && !e2, "lifecycle: unbind (VMCLEAR) and bind again mid-run");
    }
}

static int test_exit(struct vm *vm, const struct x86vcpu_exit *e)
{
    struct test_run *r = &tvm.run;
    switch (e->kind) {
    case X86VCPU_EXIT_HYPERCALL:
        hypercall(&tvm, e);
        return 1;
    case X86VCPU_EXIT_EPT_VIOLATION:
        return ept_violation(r, e);
    case X86VCPU_EXIT_EXTINT:
        /* Acknowledged on exit: the demo is the interrupt's handler. */
        r->extint_vector = e->u.extint.valid ? e->u.extint.vector : 0xffffffffu;
        lapic_write(LAPIC_EOI, 0);
        if (r->forward_extint && e->u.extint.valid)
            x86vcpu_queue_interrupt(vm->v, (uint8_t)e->u.extint.vector);
        return 1;
    case X86VCPU_EXIT_EXCEPTION:
        /* Intercepted exceptions are reflected to the guest unchanged. */
        r->last_exception = e->u.exception.vector;
        x86vcpu_queue_exception(vm->v, e->u.exception.vector, e->u.exception.has_err,
                                e->u.exception.err, e->u.exception.info);
        return 1;
    case X86VCPU_EXIT_SHUTDOWN:
        if (!r->expect_shutdown)
            return 0;
        result(1, "escalation: a broken #DF ends in a shutdown exit");
        vm_end(vm, VM_OFF, "expected shutdown");
        return 1;
    case X86VCPU_EXIT_HLT:
        hlt(r, e);
        return 1;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------ host isolation */
/* The host's own values while it checks that a run leaves its YMM
 * registers and syscall MSRs alone. */
static const uint32_t smsr[6] = { 0xc0000081u, 0xc0000082u, 0xc0000083u, 0xc0000084u,
                                  0xc0000102u, 0xc0000103u };
static const uint64_t smsr_host[6] = { 0x0010000800000000ull, 0xffff800000001000ull,
                                       0xffff800000002000ull, 0x700ull,
                                       0xffff800000003000ull, 7 };
static uint8_t host_want[512], host_got[512];
/* ... and its debug registers and CR2: addresses it never touches (DR7
 * arms DR0 as an execute breakpoint there), DR6 with B1 and BS set. */
static const uint64_t hdr[4] = { 0xffff8000dead0000ull, 0xffff8000dead1000ull,
                                 0xffff8000dead2000ull, 0xffff8000dead3000ull };
#define HOST_DR6 0xffff4ff2ull
#define HOST_DR7 0x401ull
#define HOST_CR2 0xffff8000cafe0000ull

static void host_dbg_set(void)
{
    write_dr(7, 0x400);
    write_dr(0, hdr[0]);
    write_dr(1, hdr[1]);
    write_dr(2, hdr[2]);
    write_dr(3, hdr[3]);
    write_dr(6, HOST_DR6);
    write_dr(7, HOST_DR7);
    write_cr2(HOST_CR2);
}

static unsigned host_dbg_bad(void)
{
    return (read_dr(0) != hdr[0]) + (read_dr(1) != hdr[1]) + (read_dr(2) != hdr[2]) +
           (read_dr(3) != hdr[3]) + (read_dr(6) != HOST_DR6) + (read_dr(7) != HOST_DR7) +
           (read_cr2() != HOST_CR2);
}

static void around_run(struct vm *vm, int after)
{
    struct test_run *r = &tvm.run;
    (void)vm;
    if (!after) {
        YMM_LOAD_ALL(host_want); /* the host uses its SIMD registers too */
        for (int i = 0; i < 6; i++)
            wrmsr(smsr[i], smsr_host[i]);
        /* Its own values changed: taken at bind otherwise (issue 15). */
        x86vcpu_vcpu_host_msrs_changed(vm->v);
        host_dbg_set();
        return;
    }
    YMM_STORE_ALL(host_got);
    r->host_fpu_runs++;
    for (unsigned i = 0; i < 512; i++)
        r->host_fpu_bad += host_got[i] != host_want[i];
    for (int i = 0; i < 6; i++)
        r->host_msr_bad += rdmsr(smsr[i]) != smsr_host[i];
    r->host_dbg_bad += host_dbg_bad();
}

void testvm_host_isolation(int on)
{
    tvm.vm.around_run = on ? around_run : 0;
    if (!on) {                  /* the demo's own: nothing armed */
        write_dr(7, 0x400);
        write_dr(0, 0);
        write_dr(1, 0);
        write_dr(2, 0);
        write_dr(3, 0);
    }
}

/* ------------------------------------------------------------ set-up */
int testvm_init(struct x86vcpu_cpu *cpu)
{
    struct vm *vm = &tvm.vm;
    int err = vm_init(vm, cpu, TEST_RAM_SIZE);
    if (!err)
        err = vm_map_ram(vm);
    if (!err)
        err = x86vcpu_ept_add_mmio(vm->ept, GUEST_MMIO_BASE, sizeof tvm.mmio_regs);
    if (err)
        return err;
    vm->console = vm_console_lines;
    vm->on_exit = test_exit;
    vm->max_runs = 1000000;
    for (unsigned i = 0; i < 512; i++)
        host_want[i] = (uint8_t)(0x35 + i * 3);
    /* The demo's device policy for the tests: port 0xed and reads of the
     * TSC MSR go straight to the hardware (the guests check they do not
     * exit). */
    err = latch_attach(&tvm.latch, vm);
    err |= debugcon_attach(vm);
    err |= shutdown_port_attach(&tvm.shutdown, vm);
    err |= bus_add(&vm->bus, BUS_MMIO, GUEST_MMIO_BASE, sizeof tvm.mmio_regs, &regs_ops, 0);
    err |= bus_add(&vm->bus, BUS_MSR, MSR_TSC, 1, &msr_ops, 0);
    err |= bus_add(&vm->bus, BUS_MSR, MSR_TSC_AUX, 1, &msr_ops, 0);
    err |= bus_add(&vm->bus, BUS_MSR, GUEST_DEMO_MSR, 1, &msr_ops, 0);
    err |= bus_pass(&vm->bus, BUS_PIO, GUEST_PORT_PASS, 1, BUS_PASS_READ | BUS_PASS_WRITE);
    err |= bus_pass(&vm->bus, BUS_MSR, GUEST_MSR_PASS, 1, BUS_PASS_READ);
    return err ? -1 : 0;
}

/* Identity page tables for a long-mode guest: 1 GiB in 2 MiB pages. */
static void build_guest_page_tables(void)
{
    uint64_t *pml4 = vm_gpa(&tvm.vm, TEST_PT_BASE, 0x3000);
    uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024;
    pml4[0] = (TEST_PT_BASE + 0x1000) | 3;
    pdpt[0] = (TEST_PT_BASE + 0x2000) | 3;
    for (uint64_t i = 0; i < 512; i++)
        pd[i] = (i << 21) | 0x83;
}

void testvm_reset(const struct test_guest *g, int test_mode)
{
    tvm.run = (struct test_run){ .g = g, .test_mode = test_mode };
    tvm.latch.val = 0;
    tvm.shutdown.matched = 0;
    tvm.vm.linelen = 0;
    testvm_host_isolation(0);
    for (unsigned i = 0; i < sizeof tvm.mmio_regs; i++)
        tvm.mmio_regs[i] = 0;
    for (uint64_t i = 0; i < TEST_RAM_SIZE; i += 8)
        *(uint64_t *)(tvm.vm.ram + i) = 0;
    if (!g || !g->start)
        return;
    uint64_t len = (uint64_t)(g->end - g->start);
    uint8_t *dst = vm_gpa(&tvm.vm, g->load, len);
    for (uint64_t i = 0; i < len; i++)
        dst[i] = g->start[i];
    if (g->mode == X86VCPU_MODE_LONG64)
        build_guest_page_tables();
}

struct x86vcpu_setup testvm_setup(const struct test_guest *g)
{
    struct x86vcpu_setup s = { 0 };
    s.mode = g->mode;
    s.entry = g->load;
    s.rsp = g->rsp;
    s.cr3 = TEST_PT_BASE;
    s.ept = tvm.vm.ept;
    s.vpid = 1;
    return s;
}

int testvm_start(const struct test_guest *g, uint32_t time_slice)
{
    struct x86vcpu_setup s = testvm_setup(g);
    s.time_slice = time_slice;
    int err = vm_start_vcpu(&tvm.vm, &s);
    if (err)
        con_printf("vCPU for %s: %s\n", g->name, x86vcpu_strerror(err));
    return err;
}

int testvm_map_page(uint64_t gpa, int present)
{
    gpa &= ~0xfffull;
    return present ? x86vcpu_ept_map(tvm.vm.ept, gpa, tvm.vm.ram_pa + gpa, 4096, X86VCPU_EPT_RWX,
                                     X86VCPU_MT_WB)
                   : x86vcpu_ept_unmap(tvm.vm.ept, gpa, 4096);
}

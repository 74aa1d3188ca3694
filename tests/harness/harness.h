/* tests/harness/harness.h — the Bochs integration tests: a second embedder
 * of x86vcpu, built from the demo's parts (vm.h, bus.h, pc/testdev.h, the
 * multiboot loader) plus the test protocol of tests/lib/proto.h, linked
 * into its own image (build/test.elf; make bochs-test, make diff-test).
 *
 *   main.c       entry: "test" runs the test guests, "diff" the
 *                differential kernel
 *   testvm.c     the test machine: 16 MiB RAM, the latch, console and
 *                shutdown ports, an MMIO register file, a scratch MSR, and
 *                the exits the protocol asks for (EPT violations,
 *                interrupts, exceptions, HLT, shutdown)
 *   hypercall.c  the guests' VMCALLs: checks, CPUID expectations,
 *                benchmarks, requests to the host
 *   tests.c      the test cases run from the host side
 *   initsipi.c   INIT and SIPI between two vCPUs of one VM (the virtual APIC)
 *   diff.c       the differential kernel as a guest
 *   report.c     PASS/FAIL lines and the "N passed, N failed" summary */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <stdint.h>
#include <x86vcpu/x86vcpu.h>
#include "vm.h"
#include "pc/testdev.h"

/* ------------------------------------------------------------ report.c */
void result(int ok, const char *what);
void result_val(int ok, const char *what, uint64_t got, uint64_t expected);
/* A result whose line the caller printed itself. */
void result_count(int ok);
void report_summary(void);

/* ------------------------------------------------------------ testvm.c */
#define TEST_RAM_SIZE (16ull << 20)
#define TEST_PT_BASE  0x1000ull     /* long-mode guest page tables: 0x1000-0x3fff */

struct test_guest {
    const char *name;
    uint32_t mode;              /* enum x86vcpu_mode */
    const uint8_t *start, *end; /* flat image */
    uint64_t load, rsp;
    int spins;                  /* runs long enough for several time slices */
};
extern const struct test_guest guest_real, guest_prot, guest_long, guest_events, guest_dbgregs;

/* What a run of the test machine keeps; zeroed for every guest. */
struct test_run {
    const struct test_guest *g;
    int test_mode;              /* count the protocol's checks as tests */
    int rebind_at_hlt;          /* unbind + bind at the HLT exit: relaunch path */
    int overrides;              /* the test CPUID vendor and overrides are set */
    uint64_t last_hlt_rip;
    uint64_t bench_exits, bench_reads, bench_writes;    /* at HC_BENCH_BEGIN */
    int page_unmapped;
    uint64_t unmapped_gpa;      /* page taken out of EPT at the guest's request */
    int fault_queue_gp;         /* on its EPT violation, also queue #GP(0) */
    unsigned ept_faults_served;
    uint64_t protected_gpa;     /* page made read-only at the guest's request */
    unsigned protect_faults;
    int protect_decoded;
    int expect_shutdown;
    unsigned host_fpu_runs, host_fpu_bad, host_msr_bad;
    unsigned host_dbg_bad;      /* host DR0-3, DR6, DR7, CR2 changed by a run */
    uint32_t extint_vector;     /* last EXTINT exit's vector */
    int last_exception;
    int halt_waits;             /* HLT exit: resume the guest halted (x86vcpu_halt) */
    int bench_wake;             /* HLT exit: queue BENCH_WAKE_VECTOR (hypercall.c) */
    int forward_extint;         /* EXTINT exit: queue the vector to the guest */
    unsigned mmio_exits;
    uint64_t demo_msr;          /* GUEST_DEMO_MSR */
};

struct testvm {
    struct vm vm;               /* first: on_exit gets the vm */
    struct test_run run;
    struct latch latch;
    struct shutdown_port shutdown;
    uint8_t mmio_regs[4096];    /* the register file at GUEST_MMIO_BASE */
};
extern struct testvm tvm;

/* RAM, EPT (RAM and the MMIO page) and the devices. Returns the x86vcpu
 * error, or -1 when memory is short. */
int testvm_init(struct x86vcpu_cpu *cpu);
/* Fresh RAM (zeroed) and devices for the next guest; g's image loaded
 * (NULL: none), page tables built for a long-mode one. */
void testvm_reset(const struct test_guest *g, int test_mode);
/* The vm_start_vcpu setup for g. */
struct x86vcpu_setup testvm_setup(const struct test_guest *g);
/* vm_start_vcpu with the test machine's setup and time slice. */
int testvm_start(const struct test_guest *g, uint32_t time_slice);
/* Map (present) or unmap one 4 KiB page of guest RAM. */
int testvm_map_page(uint64_t gpa, int present);
/* A register value at the running guest's width (32-bit outside long mode). */
static inline uint64_t reg_mask(uint64_t v)
{
    return tvm.run.g && tvm.run.g->mode == X86VCPU_MODE_LONG64 ? v : (uint32_t)v;
}
/* Host YMM and syscall MSRs checked around every run (HC_HOST_FPU). */
void testvm_host_isolation(int on);

/* ------------------------------------------------------------ hypercall.c */
void hypercall(struct testvm *t, const struct x86vcpu_exit *e);

/* ------------------------------------------------------------ tests.c, diff.c */
void run_tests(struct x86vcpu_cpu *cpu);
void run_diff(void);
/* initsipi.c: INIT and SIPI between two vCPUs run in turn (issue 13). */
void test_init_sipi(struct x86vcpu_cpu *cpu);
/* cpuid_expect.c: bare CPUID & what the default CPUID policy shows. */
void cpuid_expect_policy(uint32_t leaf, uint32_t sub, uint32_t out[4]);

#endif

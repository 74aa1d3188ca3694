/* tests/lib/proto.h — shared by the test guests (built -m16, -m32 and -m64) and the demo
 * hypervisor: the guest<->host protocol. Guests report over I/O ports and
 * VMCALL; the demo checks what it can only know on the host side. */
#ifndef X86VCPU_TEST_GUEST_H
#define X86VCPU_TEST_GUEST_H

#define GUEST_PORT_CONSOLE   0xe9    /* OUT: one character of guest output */
#define GUEST_PORT_LATCH     0xe0    /* 0xe0-0xe3: reads back what was written */
#define GUEST_PORT_BENCH     0x80    /* OUT: ignored (benchmark round trip) */

/* VMCALL numbers (RAX); arguments RDI, RSI, RDX, RCX, R8, R9. */
#define HC_CHECK      1   /* RDI=name (guest-linear = guest-physical), RSI=got, RDX=expected */
#define HC_CPUID      2   /* RDI=leaf, RSI=subleaf, RDX=ptr to {eax,ebx,ecx,edx} the guest got */
#define HC_ARGS       3   /* returns sum(i * arg_i), i = 1..6 */
#define HC_BENCH_BEGIN 4  /* RDI=kind: host snapshots its counters; returns the
                           * loop count (0: BENCH_ITERS) */
#define HC_BENCH_END  5   /* RDI=kind, RSI=iterations, RDX=ticks */
#define HC_HLT_CHECK  6   /* RDI=address of the HLT the guest just executed */
#define HC_DONE       7
#define HC_EXIT_COUNT 8   /* RDI=basic exit reason: returns how many so far */
#define HC_QUEUE_IRQ  9   /* RDI=vector: the demo queues an external interrupt */
#define HC_XCR0_SWITCHES 10 /* returns the vCPU's count of XCR0 switches */
#define HC_UNMAP_PAGE0 11 /* the demo removes guest-physical page 0 from EPT */
#define HC_EPT_FAULTS  12 /* returns how many EPT violations the demo served */
#define HC_INJECT      13 /* RDI=INJ_*, RSI=vector, RDX=error code or length, RCX=has_err, R8=CR2 */
#define HC_EXC_BITMAP  14 /* RDI=exception bitmap */
#define HC_LAST_EXCEPTION 15 /* returns the vector of the last exception exit */
#define HC_UNMAP_GPA   16 /* RDI=page, RSI=1: on its EPT violation also queue #GP(0) */
#define HC_EXPECT_SHUTDOWN 17
#define HC_HOST_FPU    18 /* RDI=1: the demo fills and checks its own YMM registers around every run */
#define HC_APIC_TIMER  19 /* RDI=vector, RSI=1: exit to the demo, 0: to the guest */
#define HC_EXTINT_SEEN 20 /* returns the vector of the last EXTINT exit */
#define HC_APIC_EOI    21 /* the demo EOIs its local APIC */
#define HC_PROTECT     22 /* RDI=page, RSI=EPT permissions: the demo changes them */
#define HC_PROTECT_FAULTS 23 /* returns 2 * write faults on that page + (decoding right) */
#define HC_HALT_MODE   24 /* RDI=1: at HLT exits the demo resumes the guest halted
                           * (x86vcpu_halt); RSI=1: EXTINT exits are queued to the guest */
#define GUEST_PORT_NOP 0xe8
/* A 4 KiB MMIO register file the demo emulates (reads return what was
 * written); below 64 KiB so real mode reaches it with DS = 0. */
#define GUEST_MMIO_BASE 0xe000 /* OUT: exits to the demo, which does nothing */

#define INJ_EXTINT    0
#define INJ_NMI       1
#define INJ_EXCEPTION 2
#define INJ_SOFTINT   3
#define INJ_NMI2      4   /* two NMIs at once */
#define INJ_SOFTEXC   5

#define GUEST_PORT_PASS 0xed      /* the demo passes this port through */
#define GUEST_MSR_PASS  0x10      /* ... and reads of this MSR (TSC) */
#define EXIT_REASON_IO    30
#define EXIT_REASON_RDMSR 31

/* An MSR only the demo implements (outside both MSR-bitmap ranges, so it
 * always exits): a scratch register. */
#define GUEST_DEMO_MSR 0x58563000u

/* Benchmark kinds (HC_BENCH_BEGIN/END RDI): one loop of 1000 exits of
 * each (BENCH_LOOP_KIND below). Parenthesized: what the bare-Bochs
 * reference loop runs in place of the exiting instruction. */
#define BENCH_CPUID      0   /* CPUID leaf 0, library-handled */
#define BENCH_OUT        1   /* OUT to GUEST_PORT_BENCH: embedder round trip */
#define BENCH_IN         2   /* IN from GUEST_PORT_LATCH: embedder, value completed */
#define BENCH_RDMSR_EMB  3   /* RDMSR GUEST_DEMO_MSR: embedder (bare: SYSENTER_CS) */
#define BENCH_WRMSR_EMB  4   /* WRMSR GUEST_DEMO_MSR: embedder (bare: SYSENTER_CS) */
#define BENCH_RDMSR_LIB  5   /* RDMSR IA32_SYSENTER_CS: the library's VMCS field */
#define BENCH_WRMSR_LIB  6   /* WRMSR IA32_SYSENTER_CS */
#define BENCH_HLT        7   /* HLT: exit to the embedder, resumed at once (bare: NOP) */
#define BENCH_CR4        8   /* MOV to CR4 toggling OSXSAVE (host-owned bit) */
#define BENCH_XSETBV     9   /* XSETBV XCR0 = the host's value (no XCR0 switch) */
#define BENCH_MMIO      10   /* 32-bit read of the MMIO register file: EPT
                              * violation, decode, embedder, completion
                              * (bare: a read of RAM) */
#define BENCH_VMCALL    11   /* VMCALL nr 0: embedder, result in RAX (bare: NOP) */
#define BENCH_HLT_WAKE  12   /* STI; HLT; CLI: at the HLT exit the embedder queues
                              * BENCH_WAKE_VECTOR, injected at the entry; the
                              * guest's handler runs (bare: NOP) */
#define BENCH_OUT_PORTFN 13  /* BENCH_OUT served by the embedder's port handler
                              * inside run() (x86vcpu_set_port_handler: the
                              * demo's vm_port_inline), no return from run() */
#define BENCH_IN_PORTFN 14   /* BENCH_IN likewise */
#define BENCH_OUT_PORTFN_LOOP 15 /* BENCH_OUT_PORTFN with an INTR line that never
                              * asserts: the run loop's top runs before each
                              * entry, so the handler is called from the loop
                              * (the demo's case: its virtual LAPIC does that) */
#define BENCH_KINDS     16
#define BENCH_WAKE_VECTOR 0x41
#define BENCH_ITERS   1000u  /* even: CR4 toggling ends where it started */
#define IA32_SYSENTER_CS 0x174u

/* YMM0-15 <-> 512 bytes of memory (AVX; the caller checks CPUID/XCR0). */
#define YMM_STORE_ALL(buf)                                                          \
    __asm__ volatile("vmovdqu %%ymm0, 0(%0)\n\tvmovdqu %%ymm1, 32(%0)\n\t"             \
                     "vmovdqu %%ymm2, 64(%0)\n\tvmovdqu %%ymm3, 96(%0)\n\t"            \
                     "vmovdqu %%ymm4, 128(%0)\n\tvmovdqu %%ymm5, 160(%0)\n\t"          \
                     "vmovdqu %%ymm6, 192(%0)\n\tvmovdqu %%ymm7, 224(%0)\n\t"          \
                     "vmovdqu %%ymm8, 256(%0)\n\tvmovdqu %%ymm9, 288(%0)\n\t"          \
                     "vmovdqu %%ymm10, 320(%0)\n\tvmovdqu %%ymm11, 352(%0)\n\t"        \
                     "vmovdqu %%ymm12, 384(%0)\n\tvmovdqu %%ymm13, 416(%0)\n\t"        \
                     "vmovdqu %%ymm14, 448(%0)\n\tvmovdqu %%ymm15, 480(%0)"              \
                     : : "r"(buf) : "memory")
#define YMM_LOAD_ALL(buf)                                                           \
    __asm__ volatile("vmovdqu 0(%0), %%ymm0\n\tvmovdqu 32(%0), %%ymm1\n\t"             \
                     "vmovdqu 64(%0), %%ymm2\n\tvmovdqu 96(%0), %%ymm3\n\t"            \
                     "vmovdqu 128(%0), %%ymm4\n\tvmovdqu 160(%0), %%ymm5\n\t"          \
                     "vmovdqu 192(%0), %%ymm6\n\tvmovdqu 224(%0), %%ymm7\n\t"          \
                     "vmovdqu 256(%0), %%ymm8\n\tvmovdqu 288(%0), %%ymm9\n\t"          \
                     "vmovdqu 320(%0), %%ymm10\n\tvmovdqu 352(%0), %%ymm11\n\t"        \
                     "vmovdqu 384(%0), %%ymm12\n\tvmovdqu 416(%0), %%ymm13\n\t"        \
                     "vmovdqu 448(%0), %%ymm14\n\tvmovdqu 480(%0), %%ymm15"              \
                     : : "r"(buf) : "memory")

/* Every loop is one asm block so the guest and bare Bochs (the demo host
 * in root mode) execute exactly the same instructions; with Bochs'
 * `clock: sync=none` the TSC counts instructions. `arg` goes in R8: the
 * MSR, address or XCR0 value, which differs between guest and bare.
 * 64-bit only. */
#define BENCH_LOOP_ARG(insn, n, ticks, arg)                                      \
    __asm__ volatile("mov %2, %%r8\n\trdtsc\n\tmov %%eax, %%esi\n\t"              \
                     "1: xor %%eax, %%eax\n\t" insn "\n\tdec %%edi\n\tjnz 1b\n\t" \
                     "rdtsc\n\tsub %%esi, %%eax"                                 \
                     : "=&a"(ticks), "+D"(n)                                     \
                     : "r"((unsigned long long)(arg))                            \
                     : "rbx", "rcx", "rdx", "rsi", "r8", "memory")
#define BENCH_LOOP(insn, n, ticks) BENCH_LOOP_ARG(insn, n, ticks, 0)
#define BENCH_INSN_CPUID "cpuid"
#define BENCH_INSN_OUT   "outb %%al, $0x80"

#if defined(__x86_64__)
/* One benchmark loop of `kind` (BENCH_*), n iterations; the TSC ticks it
 * took. `nop` runs the one-instruction NOP loop instead (the bare
 * reference of the kinds bare Bochs cannot run: HLT, VMCALL). */
static inline unsigned int bench_loop(unsigned int kind, unsigned int n,
                                      unsigned long long arg)
{
    unsigned int t = 0;
    switch (kind) {
    case BENCH_CPUID: BENCH_LOOP_ARG("cpuid", n, t, arg); break;
    case BENCH_OUT:
    case BENCH_OUT_PORTFN:
    case BENCH_OUT_PORTFN_LOOP: BENCH_LOOP_ARG("outb %%al, $0x80", n, t, arg); break;
    case BENCH_IN:
    case BENCH_IN_PORTFN: BENCH_LOOP_ARG("inb $0xe0, %%al", n, t, arg); break;
    case BENCH_RDMSR_EMB:
    case BENCH_RDMSR_LIB: BENCH_LOOP_ARG("mov %%r8d, %%ecx\n\trdmsr", n, t, arg); break;
    case BENCH_WRMSR_EMB:
    case BENCH_WRMSR_LIB:
        BENCH_LOOP_ARG("mov %%r8d, %%ecx\n\txor %%edx, %%edx\n\twrmsr", n, t, arg);
        break;
    case BENCH_HLT: BENCH_LOOP_ARG("hlt", n, t, arg); break;
    case BENCH_HLT_WAKE: BENCH_LOOP_ARG("sti\n\thlt\n\tcli", n, t, arg); break;
    case BENCH_CR4:
        BENCH_LOOP_ARG("mov %%cr4, %%rax\n\txor $0x40000, %%rax\n\tmov %%rax, %%cr4", n, t, arg);
        break;
    case BENCH_XSETBV:
        BENCH_LOOP_ARG("mov %%r8d, %%eax\n\txor %%ecx, %%ecx\n\txor %%edx, %%edx\n\txsetbv",
                       n, t, arg);
        break;
    case BENCH_MMIO: BENCH_LOOP_ARG("movl (%%r8), %%eax", n, t, arg); break;
    case BENCH_VMCALL: BENCH_LOOP_ARG("vmcall", n, t, arg); break;
    default: BENCH_LOOP_ARG("nop", n, t, arg); break;
    }
    return t;
}
#endif

#endif

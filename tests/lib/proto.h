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
#define HC_BENCH_BEGIN 4  /* RDI=kind: host snapshots its counters */
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

#define BENCH_CPUID 0
#define BENCH_OUT   1

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

/* Both loops are one asm block so the guest and bare Bochs (the demo host
 * in root mode) execute exactly the same instructions; with Bochs'
 * `clock: sync=none` the TSC counts instructions. 64-bit only. */
#define BENCH_LOOP(insn, n, ticks)                                              \
    __asm__ volatile("rdtsc\n\tmov %%eax, %%esi\n\t"                             \
                     "1: xor %%eax, %%eax\n\t" insn "\n\tdec %%edi\n\tjnz 1b\n\t" \
                     "rdtsc\n\tsub %%esi, %%eax"                                 \
                     : "=a"(ticks), "+D"(n)                                      \
                     : : "rbx", "rcx", "rdx", "rsi", "memory")
#define BENCH_INSN_CPUID "cpuid"
#define BENCH_INSN_OUT   "outb %%al, $0x80"

#endif

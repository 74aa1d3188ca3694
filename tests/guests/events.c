/* Event-injection test guest (64-bit long mode, the runtime's IDT). The
 * demo injects what the guest asks for through hypercalls; a handler on
 * every vector records vector, error code, return RIP, RFLAGS and CR2,
 * and the guest checks them. */
#include "hv.h"

volatile uint64_t ev_vector, ev_err, ev_rip, ev_rflags, ev_count, ev_cr2;

/* #UD skips the 2-byte UD2, so tests can raise it and go on. */
static void record(struct trap_frame *f)
{
    ev_vector = f->vec;
    ev_err = f->err;
    ev_rip = f->ip;
    ev_rflags = f->flags;
    ev_cr2 = read_cr2();
    ev_count++;
    if (f->vec == VEC_UD)
        f->ip += 2;
}

/* Ask for an injection; the event arrives at the entry that completes the
 * VMCALL, so the handler's return RIP is the label after it. */
#define INJECT(kind, vec, err, has_err, cr2, after)                                         \
    do {                                                                                      \
        r8 = (cr2);                                                                           \
        __asm__ volatile("vmcall\n1:\tlea 1b(%%rip), %0"                                      \
                         : "=r"(after)                                                        \
                         : "a"((ulong)HC_INJECT), "D"((ulong)(kind)), "S"((ulong)(vec)),      \
                           "d"((ulong)(err)), "c"((ulong)(has_err)), "r"(r8)                  \
                         : "memory");                                                         \
    } while (0)

int main(void)
{
    register ulong r8 __asm__("r8");
    ulong after;
    console_write("hello from the events guest (long mode, own IDT)\n");
    for (unsigned v = 0; v < 256; v++)
        trap_set_handler(v, record);
    __asm__ volatile("sti");

    /* External interrupt. */
    ev_count = 0;
    INJECT(INJ_EXTINT, 0x41, 0, 0, 0, after);
    check_eq(ev_vector, 0x41, "inject: external interrupt vector");
    check_eq(ev_rip, after, "inject: external interrupt return RIP");
    check_eq((ev_rflags >> 9) & 1, 1, "inject: external interrupt saw IF=1");
    check_eq(ev_count, 1, "inject: delivered once");

    /* Exceptions without and with error code, #PF with CR2. */
    INJECT(INJ_EXCEPTION, 6, 0, 0, 0, after);
    check_eq(ev_vector, 6, "inject: #UD vector");
    INJECT(INJ_EXCEPTION, 13, 0x18, 1, 0, after);
    check_eq(ev_vector, 13, "inject: #GP vector");
    check_eq(ev_err, 0x18, "inject: #GP error code");
    check_eq(ev_rip, after, "inject: #GP return RIP");
    INJECT(INJ_EXCEPTION, 14, 0x2, 1, 0xdead000, after);
    check_eq(ev_vector * 0x100 + ev_err, 14 * 0x100 + 2, "inject: #PF vector and error code");
    check_eq(ev_cr2, 0xdead000, "inject: #PF CR2");

    /* Software interrupt, as if a 2-byte INT 0x80 stood after the VMCALL:
     * the return address is past those 2 bytes. They hold a UD2, which
     * would raise #UD if the injection did not happen. */
    r8 = 0;
    __asm__ volatile("vmcall\n1:\tud2\n\tlea 1b(%%rip), %0"
                     : "=r"(after)
                     : "a"((ulong)HC_INJECT), "D"((ulong)INJ_SOFTINT), "S"(0x80ul), "d"(2ul),
                       "c"(0ul), "r"(r8)
                     : "memory");
    check_eq(ev_vector, 0x80, "inject: INT 0x80 vector");
    check_eq(ev_rip, after + 2, "inject: INT 0x80 return RIP past its 2 bytes");

    /* Software exception: INT3 (#BP) as if a 1-byte INT3 followed the
     * VMCALL; the byte there is a CLD, which raises nothing by itself. */
    ev_vector = 0;
    r8 = 0;
    __asm__ volatile("vmcall\n1:\tcld\n\tlea 1b(%%rip), %0"
                     : "=r"(after)
                     : "a"((ulong)HC_INJECT), "D"((ulong)INJ_SOFTEXC), "S"(3ul), "d"(1ul),
                       "c"(0ul), "r"(r8)
                     : "memory");
    check_eq(ev_vector, 3, "inject: INT3 (#BP) vector");
    check_eq(ev_rip, after + 1, "inject: INT3 return RIP past its byte");

    /* NMIs: two queued; the second waits for the first handler's IRET
     * (NMI window), then arrives. */
    ev_count = 0;
    INJECT(INJ_NMI, 2, 0, 0, 0, after);
    check_eq(ev_vector, 2, "inject: NMI vector");
    hypercall(HC_INJECT, INJ_NMI2, 0, 0, 0);
    check_eq(ev_count, 3, "inject: two NMIs both delivered (NMI window)");

    /* Interrupt window in long mode: queued while IF=0, delivered after STI. */
    __asm__ volatile("cli");
    ev_count = 0;
    hypercall(HC_INJECT, INJ_EXTINT, 0x42, 0, 0);
    check_eq(ev_count, 0, "inject: interrupt waits while IF=0");
    __asm__ volatile("sti\n\tnop\n1:\tlea 1b(%%rip), %0" : "=r"(after) : : "memory");
    check_eq(ev_rip, after, "inject: interrupt after STI shadow");

    /* Exception bitmap: #UD exits to the demo, which reflects it. */
    hypercall(HC_EXC_BITMAP, 1u << 6, 0, 0, 0);
    ev_count = 0;
    __asm__ volatile("ud2" : : : "memory");
    hypercall(HC_EXC_BITMAP, 0, 0, 0, 0);
    check_eq(hypercall(HC_LAST_EXCEPTION, 0, 0, 0, 0), 6, "exception bitmap: the demo saw #UD");
    check_eq(ev_vector * 0x100 + ev_count, 0x601,
             "exception bitmap: the reflected #UD reached the guest");

    /* Isolation: the guest's YMM registers survive 2000 exits to the demo,
     * which fills its own YMM registers with another pattern around every
     * run (and checks them). */
    {
        static uint8_t want[512], got[512];
        ulong cr4;
        __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
        __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | (1ul << 18)));
        __asm__ volatile("xsetbv" : : "c"(0), "a"(7), "d"(0)); /* x87|SSE|AVX */
        for (unsigned i = 0; i < 512; i++)
            want[i] = (uint8_t)(0xa0 + i * 7);
        YMM_LOAD_ALL(want);
        /* The syscall MSRs, with values of the guest's own. */
        static const uint32_t msr[6] = { 0xc0000081u, 0xc0000082u, 0xc0000083u, 0xc0000084u,
                                         0xc0000102u, 0xc0000103u };
        static const uint64_t val[6] = { 0x0023001000000000ull, 0xffffffff81000000ull,
                                         0xffffffff81000100ull, 0x47700ull,
                                         0x00007f0012340000ull, 0x2a };
        for (int i = 0; i < 6; i++)
            wrmsr(msr[i], val[i]);
        hypercall(HC_HOST_FPU, 1, 0, 0, 0);
        unsigned bad = 0, badmsr = 0;
        for (unsigned n = 0; n < 2000; n++) {
            outb(GUEST_PORT_NOP, 0);
            YMM_STORE_ALL(got);
            for (unsigned i = 0; i < 512; i++)
                bad += got[i] != want[i];
            for (int i = 0; i < 6; i++) {
                uint32_t lo, hi;
                __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr[i]));
                badmsr += (((uint64_t)hi << 32) | lo) != val[i];
            }
            uint32_t a, d, aux;
            __asm__ volatile("rdtscp" : "=a"(a), "=d"(d), "=c"(aux));
            badmsr += aux != 0x2a;
        }
        hypercall(HC_HOST_FPU, 0, 0, 0, 0);
        check_eq(bad, 0, "xstate: guest YMM0-15 intact across 2000 exits to the embedder");
        check_eq(badmsr, 0,
                 "syscall MSRs: guest STAR..TSC_AUX (RDMSR, RDTSCP) intact across 2000 exits");
    }

    /* SWAPGS changes KERNEL_GS_BASE without an exit (SDM Vol. 2 SWAPGS).
     * The guest's KERNEL_GS_BASE starts equal to the host's (nothing to
     * switch at entry); after SWAPGS and an exit to the embedder the guest
     * reads its new value and the host, checking its own around the run,
     * finds its value intact (was: the guest's value lost, and left in the
     * host's MSR). */
    {
        const uint64_t host_kgs = 0xffff800000003000ull, gs = 0x00007f0055550000ull;
        uint32_t lo, hi;
        wrmsr(0xc0000102u, host_kgs);
        wrmsr(0xc0000101u, gs);
        hypercall(HC_HOST_FPU, 1, 0, 0, 0);
        __asm__ volatile("swapgs");
        outb(GUEST_PORT_NOP, 0);
        __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000102u));
        uint64_t kgs = (uint64_t)hi << 32 | lo;
        __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000101u));
        uint64_t gsb = (uint64_t)hi << 32 | lo;
        __asm__ volatile("swapgs");
        hypercall(HC_HOST_FPU, 0, 0, 0, 0);
        check_eq(kgs == gs && gsb == host_kgs, 1,
                 "SWAPGS: KERNEL_GS_BASE and GS.base exchanged, kept across an exit to the embedder");
        wrmsr(0xc0000101u, 0);
    }

    /* External interrupts from the host's local APIC timer: first they
     * exit to the demo with the acknowledged vector, then (pass-through)
     * they arrive at the guest's IDT. */
    __asm__ volatile("sti");
    ev_vector = 0;
    hypercall(HC_APIC_TIMER, 0xe1, 1, 0, 0);
    for (volatile unsigned n = 0; n < 200000 && !hypercall(HC_EXTINT_SEEN, 0, 0, 0, 0); n++)
        ;
    check_eq(hypercall(HC_EXTINT_SEEN, 0, 0, 0, 0), 0xe1,
             "extint exiting: the demo got vector 0xe1 acknowledged");
    check_eq(ev_vector, 0, "extint exiting: the guest's IDT saw nothing");
    hypercall(HC_APIC_TIMER, 0xe2, 0, 0, 0);
    for (volatile unsigned n = 0; n < 2000000 && ev_vector != 0xe2; n++)
        ;
    hypercall(HC_APIC_EOI, 0, 0, 0, 0);
    check_eq(ev_vector, 0xe2, "extint pass-through: vector 0xe2 reached the guest's IDT");

    /* HLT waits for the next interrupt in the HLT activity state: one HLT
     * exit, then the CPU itself wakes the guest with the timer's interrupt
     * through its IDT, returning after the HLT. */
    hypercall(HC_HALT_MODE, 1, 0, 0, 0);
    uint64_t hlts = hypercall(HC_EXIT_COUNT, 12, 0, 0, 0);
    ev_vector = 0;
    hypercall(HC_APIC_TIMER, 0xe3, 0, 0, 0);
    __asm__ volatile("lea 1f(%%rip), %0\n  hlt\n1:" : "=r"(after) : : "memory");
    hypercall(HC_APIC_EOI, 0, 0, 0, 0);
    check_eq(ev_vector, 0xe3, "halt: the APIC timer woke the halted guest through its IDT");
    check_eq(ev_rip, after, "halt: the interrupt returns after the HLT");
    check_eq(hypercall(HC_EXIT_COUNT, 12, 0, 0, 0) - hlts, 1, "halt: one HLT exit, no spinning");
    /* The same with exiting interrupts: the demo queues the acknowledged
     * vector; injecting it takes the vCPU out of the HLT state. */
    hypercall(HC_HALT_MODE, 1, 1, 0, 0);
    ev_vector = 0;
    hypercall(HC_APIC_TIMER, 0xe4, 1, 0, 0);
    __asm__ volatile("lea 1f(%%rip), %0\n  hlt\n1:" : "=r"(after) : : "memory");
    check_eq(ev_vector, 0xe4, "halt: an injected interrupt wakes the halted guest");
    check_eq(ev_rip, after, "halt: the injected interrupt returns after the HLT");
    hypercall(HC_HALT_MODE, 0, 0, 0, 0);
    hypercall(HC_APIC_TIMER, 0, 0, 0, 0); /* back to pass-through (vector 0: no timer) */

    /* Escalation in the library: #PF whose delivery hits an EPT violation on
     * the IDT page; the demo maps the page back and queues #GP: #PF then #GP
     * is a double fault (SDM Table 6-5). */
    hypercall(HC_UNMAP_GPA, (ulong)idt, 1, 0, 0);
    INJECT(INJ_EXCEPTION, 14, 0, 1, 0x1000, after);
    check_eq(ev_vector, 8, "escalation: #PF + #GP during its delivery -> #DF");
    check_eq(ev_err, 0, "escalation: #DF error code 0");

    /* Escalation in the hardware: #GP through a not-present gate -> #NP ->
     * #DF. */
    idt_set_present(VEC_GP, 0);
    INJECT(INJ_EXCEPTION, 13, 0, 1, 0, after);
    check_eq(ev_vector, 8, "escalation: #GP through a missing gate arrives as #DF");

    /* A broken #DF: the CPU shuts down, the demo gets a shutdown exit. */
    console_write("events guest: breaking #DF, expect a shutdown\n");
    idt_set_present(VEC_DF, 0);
    hypercall(HC_EXPECT_SHUTDOWN, 0, 0, 0, 0);
    INJECT(INJ_EXCEPTION, 13, 0, 1, 0, after);
    console_write("events guest: still alive (wrong)\n");
    return 1;
}

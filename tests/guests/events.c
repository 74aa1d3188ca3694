/* Event-injection test guest (64-bit long mode, own IDT). The demo injects
 * what the guest asks for through hypercalls; the guest's handlers record
 * vector, error code, return RIP and RFLAGS, and the guest checks them. */
#include <stdint.h>
#include "proto.h"

typedef unsigned long ulong;

struct idt_gate { uint16_t off0, sel; uint8_t ist, type; uint16_t off1; uint32_t off2, rsvd; };
static struct idt_gate idt[256] __attribute__((aligned(4096)));
static struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr, gdtr;
/* Event delivery loads CS from the gate's selector: the guest needs a GDT
 * whose 0x08 is the 64-bit code segment it already runs in. */
static const uint64_t gdt[3] = { 0, 0x00af9b000000ffffull, 0x00cf93000000ffffull };

volatile uint64_t ev_vector, ev_err, ev_rip, ev_rflags, ev_count, ev_cr2;

/* Stubs: vectors with a CPU-pushed error code (8, 10-14, 17, 21) push only
 * the vector; the others push a zero first. #UD handlers skip the 2-byte
 * UD2 so tests can raise it and go on. */
__asm__(".text\n"
        "ev_common:\n"
        "  push %rax\n"
        "  mov 8(%rsp), %rax\n  mov %rax, ev_vector\n"
        "  mov 16(%rsp), %rax\n  mov %rax, ev_err\n"
        "  mov 24(%rsp), %rax\n  mov %rax, ev_rip\n"
        "  mov 40(%rsp), %rax\n  mov %rax, ev_rflags\n"
        "  mov %cr2, %rax\n  mov %rax, ev_cr2\n"
        "  incq ev_count\n"
        "  cmpq $6, 8(%rsp)\n  jne 1f\n  addq $2, 24(%rsp)\n"
        "1: pop %rax\n"
        "  add $16, %rsp\n"
        "  iretq\n"
        ".macro stub v\n"
        "ev_stub_\\v:\n"
        "  .if (\\v == 8) || (\\v >= 10 && \\v <= 14) || (\\v == 17) || (\\v == 21)\n"
        "  .else\n  push $0\n  .endif\n"
        "  push $\\v\n  jmp ev_common\n"
        ".endm\n"
        ".altmacro\n"
        ".set i, 0\n"
        ".rept 256\n  stub %i\n  .set i, i+1\n.endr\n"
        ".section .rodata\n"
        ".macro addr v\n  .quad ev_stub_\\v\n.endm\n"
        "ev_stubs:\n"
        ".set i, 0\n"
        ".rept 256\n  addr %i\n  .set i, i+1\n.endr\n"
        ".noaltmacro\n"
        ".text\n");
extern const uint64_t ev_stubs[256];

static void set_gate(unsigned v, int present)
{
    uint64_t a = ev_stubs[v];
    idt[v] = (struct idt_gate){ (uint16_t)a, 0x08, 0, present ? 0x8e : 0x0e, (uint16_t)(a >> 16),
                                (uint32_t)(a >> 32), 0 };
}

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }

static void puts_(const char *s)
{
    while (*s)
        outb(GUEST_PORT_CONSOLE, (uint8_t)*s++);
}

static ulong hc(ulong nr, ulong a0, ulong a1, ulong a2, ulong a3, ulong a4)
{
    ulong ret;
    register ulong r8 __asm__("r8") = a4;
    register ulong r9 __asm__("r9") = 0;
    __asm__ volatile("vmcall" : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "c"(a3), "r"(r8), "r"(r9) : "memory");
    return ret;
}

static void check(const char *name, ulong got, ulong expected)
{
    hc(HC_CHECK, (ulong)name, got, expected, 0, 0);
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

void guest_main(void);
void guest_main(void)
{
    register ulong r8 __asm__("r8");
    ulong after;
    puts_("hello from the events guest (long mode, own IDT)\n");
    for (unsigned v = 0; v < 256; v++)
        set_gate(v, 1);
    gdtr.limit = sizeof gdt - 1;
    gdtr.base = (uint64_t)gdt;
    __asm__ volatile("lgdt %0" : : "m"(gdtr));
    idtr.limit = sizeof idt - 1;
    idtr.base = (uint64_t)idt;
    __asm__ volatile("lidt %0" : : "m"(idtr));
    __asm__ volatile("sti");

    /* External interrupt. */
    ev_count = 0;
    INJECT(INJ_EXTINT, 0x41, 0, 0, 0, after);
    check("inject: external interrupt vector", ev_vector, 0x41);
    check("inject: external interrupt return RIP", ev_rip, after);
    check("inject: external interrupt saw IF=1", (ev_rflags >> 9) & 1, 1);
    check("inject: delivered once", ev_count, 1);

    /* Exceptions without and with error code, #PF with CR2. */
    INJECT(INJ_EXCEPTION, 6, 0, 0, 0, after);
    check("inject: #UD vector", ev_vector, 6);
    INJECT(INJ_EXCEPTION, 13, 0x18, 1, 0, after);
    check("inject: #GP vector", ev_vector, 13);
    check("inject: #GP error code", ev_err, 0x18);
    check("inject: #GP return RIP", ev_rip, after);
    INJECT(INJ_EXCEPTION, 14, 0x2, 1, 0xdead000, after);
    check("inject: #PF vector and error code", ev_vector * 0x100 + ev_err, 14 * 0x100 + 2);
    check("inject: #PF CR2", ev_cr2, 0xdead000);

    /* Software interrupt, as if a 2-byte INT 0x80 stood after the VMCALL:
     * the return address is past those 2 bytes. They hold a UD2, which
     * would raise #UD if the injection did not happen. */
    r8 = 0;
    __asm__ volatile("vmcall\n1:\tud2\n\tlea 1b(%%rip), %0"
                     : "=r"(after)
                     : "a"((ulong)HC_INJECT), "D"((ulong)INJ_SOFTINT), "S"(0x80ul), "d"(2ul),
                       "c"(0ul), "r"(r8)
                     : "memory");
    check("inject: INT 0x80 vector", ev_vector, 0x80);
    check("inject: INT 0x80 return RIP past its 2 bytes", ev_rip, after + 2);

    /* Software exception: INT3 (#BP) as if a 1-byte INT3 followed the
     * VMCALL; the byte there is a CLD, which raises nothing by itself. */
    ev_vector = 0;
    r8 = 0;
    __asm__ volatile("vmcall\n1:\tcld\n\tlea 1b(%%rip), %0"
                     : "=r"(after)
                     : "a"((ulong)HC_INJECT), "D"((ulong)INJ_SOFTEXC), "S"(3ul), "d"(1ul),
                       "c"(0ul), "r"(r8)
                     : "memory");
    check("inject: INT3 (#BP) vector", ev_vector, 3);
    check("inject: INT3 return RIP past its byte", ev_rip, after + 1);

    /* NMIs: two queued; the second waits for the first handler's IRET
     * (NMI window), then arrives. */
    ev_count = 0;
    INJECT(INJ_NMI, 2, 0, 0, 0, after);
    check("inject: NMI vector", ev_vector, 2);
    hc(HC_INJECT, INJ_NMI2, 0, 0, 0, 0);
    check("inject: two NMIs both delivered (NMI window)", ev_count, 3);

    /* Interrupt window in long mode: queued while IF=0, delivered after STI. */
    __asm__ volatile("cli");
    ev_count = 0;
    hc(HC_INJECT, INJ_EXTINT, 0x42, 0, 0, 0);
    check("inject: interrupt waits while IF=0", ev_count, 0);
    __asm__ volatile("sti\n\tnop\n1:\tlea 1b(%%rip), %0" : "=r"(after) : : "memory");
    check("inject: interrupt after STI shadow", ev_rip, after);

    /* Exception bitmap: #UD exits to the demo, which reflects it. */
    hc(HC_EXC_BITMAP, 1u << 6, 0, 0, 0, 0);
    ev_count = 0;
    __asm__ volatile("ud2" : : : "memory");
    hc(HC_EXC_BITMAP, 0, 0, 0, 0, 0);
    check("exception bitmap: the demo saw #UD", hc(HC_LAST_EXCEPTION, 0, 0, 0, 0, 0), 6);
    check("exception bitmap: the reflected #UD reached the guest", ev_vector * 0x100 + ev_count, 0x601);

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
            __asm__ volatile("wrmsr" : : "c"(msr[i]), "a"((uint32_t)val[i]), "d"((uint32_t)(val[i] >> 32)));
        hc(HC_HOST_FPU, 1, 0, 0, 0, 0);
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
        hc(HC_HOST_FPU, 0, 0, 0, 0, 0);
        check("xstate: guest YMM0-15 intact across 2000 exits to the embedder", bad, 0);
        check("syscall MSRs: guest STAR..TSC_AUX (RDMSR, RDTSCP) intact across 2000 exits", badmsr, 0);
    }

    /* External interrupts from the host's local APIC timer: first they
     * exit to the demo with the acknowledged vector, then (pass-through)
     * they arrive at the guest's IDT. */
    __asm__ volatile("sti");
    ev_vector = 0;
    hc(HC_APIC_TIMER, 0xe1, 1, 0, 0, 0);
    for (volatile unsigned n = 0; n < 200000 && !hc(HC_EXTINT_SEEN, 0, 0, 0, 0, 0); n++)
        ;
    check("extint exiting: the demo got vector 0xe1 acknowledged", hc(HC_EXTINT_SEEN, 0, 0, 0, 0, 0), 0xe1);
    check("extint exiting: the guest's IDT saw nothing", ev_vector, 0);
    hc(HC_APIC_TIMER, 0xe2, 0, 0, 0, 0);
    for (volatile unsigned n = 0; n < 2000000 && ev_vector != 0xe2; n++)
        ;
    hc(HC_APIC_EOI, 0, 0, 0, 0, 0);
    check("extint pass-through: vector 0xe2 reached the guest's IDT", ev_vector, 0xe2);

    /* HLT waits for the next interrupt in the HLT activity state: one HLT
     * exit, then the CPU itself wakes the guest with the timer's interrupt
     * through its IDT, returning after the HLT. */
    hc(HC_HALT_MODE, 1, 0, 0, 0, 0);
    uint64_t hlts = hc(HC_EXIT_COUNT, 12, 0, 0, 0, 0);
    ev_vector = 0;
    hc(HC_APIC_TIMER, 0xe3, 0, 0, 0, 0);
    __asm__ volatile("lea 1f(%%rip), %0\n  hlt\n1:" : "=r"(after) : : "memory");
    hc(HC_APIC_EOI, 0, 0, 0, 0, 0);
    check("halt: the APIC timer woke the halted guest through its IDT", ev_vector, 0xe3);
    check("halt: the interrupt returns after the HLT", ev_rip, after);
    check("halt: one HLT exit, no spinning", hc(HC_EXIT_COUNT, 12, 0, 0, 0, 0) - hlts, 1);
    /* The same with exiting interrupts: the demo queues the acknowledged
     * vector; injecting it takes the vCPU out of the HLT state. */
    hc(HC_HALT_MODE, 1, 1, 0, 0, 0);
    ev_vector = 0;
    hc(HC_APIC_TIMER, 0xe4, 1, 0, 0, 0);
    __asm__ volatile("lea 1f(%%rip), %0\n  hlt\n1:" : "=r"(after) : : "memory");
    check("halt: an injected interrupt wakes the halted guest", ev_vector, 0xe4);
    check("halt: the injected interrupt returns after the HLT", ev_rip, after);
    hc(HC_HALT_MODE, 0, 0, 0, 0, 0);
    hc(HC_APIC_TIMER, 0, 0, 0, 0, 0); /* back to pass-through (vector 0: no timer) */

    /* Escalation in the library: #PF whose delivery hits an EPT violation on
     * the IDT page; the demo maps the page back and queues #GP: #PF then #GP
     * is a double fault (SDM Table 6-5). */
    hc(HC_UNMAP_GPA, (ulong)idt, 1, 0, 0, 0);
    INJECT(INJ_EXCEPTION, 14, 0, 1, 0x1000, after);
    check("escalation: #PF + #GP during its delivery -> #DF", ev_vector, 8);
    check("escalation: #DF error code 0", ev_err, 0);

    /* Escalation in the hardware: #GP through a not-present gate -> #NP ->
     * #DF. */
    set_gate(13, 0);
    INJECT(INJ_EXCEPTION, 13, 0, 1, 0, after);
    check("escalation: #GP through a missing gate arrives as #DF", ev_vector, 8);

    /* A broken #DF: the CPU shuts down, the demo gets a shutdown exit. */
    puts_("events guest: breaking #DF, expect a shutdown\n");
    set_gate(8, 0);
    hc(HC_EXPECT_SHUTDOWN, 0, 0, 0, 0, 0);
    INJECT(INJ_EXCEPTION, 13, 0, 1, 0, after);
    puts_("events guest: still alive (wrong)\n");
}

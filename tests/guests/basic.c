/* The basic test guest: one body, built for real mode (-m16), 32-bit
 * protected mode (-m32) and 64-bit long mode (-m64). It checks CPUID, port
 * I/O round trips through the embedder, VMCALL arguments and return value
 * and HLT, and (64-bit) runs the exit benchmarks. */
#include <stdint.h>
#include "proto.h"

#ifndef GUEST_MODE
#error "GUEST_MODE must name the CPU mode"
#endif

typedef unsigned long ulong; /* register width: 32 or 64 bits */

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static ulong hypercall(ulong nr, ulong a0, ulong a1, ulong a2, ulong a3)
{
    ulong ret;
#if GUEST_BITS == 64
    /* Arguments 5 and 6 (R8, R9) are zero for this four-argument form. */
    register ulong r8 __asm__("r8") = 0;
    register ulong r9 __asm__("r9") = 0;
    __asm__ volatile("vmcall" : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "c"(a3), "r"(r8), "r"(r9) : "memory");
#else
    __asm__ volatile("vmcall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "c"(a3) : "memory");
#endif
    return ret;
}

static void puts_(const char *s)
{
    while (*s)
        outb(GUEST_PORT_CONSOLE, (uint8_t)*s++);
}

static void check(const char *name, ulong got, ulong expected)
{
    hypercall(HC_CHECK, (ulong)(uintptr_t)name, got, expected, 0);
}

static void report_cpuid(uint32_t leaf, uint32_t subleaf)
{
    static uint32_t r[4];
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(subleaf) : "memory");
    hypercall(HC_CPUID, leaf, subleaf, (ulong)(uintptr_t)r, 0);
}

static uint32_t cpuid_eax(uint32_t leaf)
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(0));
    return a;
}

static void test_cpuid(void)
{
    uint32_t max = cpuid_eax(0), maxext = cpuid_eax(0x80000000u);
    for (uint32_t leaf = 0; leaf <= max && leaf <= 0x20; leaf++) {
        /* Leaves with subleaves: report the first few of each. */
        uint32_t subs = (leaf == 4 || leaf == 7 || leaf == 0xb || leaf == 0xd) ? 4 : 1;
        for (uint32_t s = 0; s < subs; s++)
            report_cpuid(leaf, s);
    }
    for (uint32_t leaf = 0x80000000u; leaf <= maxext && leaf <= 0x80000008u; leaf++)
        report_cpuid(leaf, 0);
    report_cpuid(0x40000000u, 0);
    report_cpuid(0x40000001u, 0);
    report_cpuid(0x40000002u, 0);
    report_cpuid(0x4fffffffu, 0);
}

static void test_io(void)
{
    outl(GUEST_PORT_LATCH, 0);
    outb(GUEST_PORT_LATCH, 0x5a);
    check("io: outb/inb 0xe0", inb(GUEST_PORT_LATCH), 0x5a);
    outw(GUEST_PORT_LATCH + 2, 0x1234);
    check("io: outw 0xe2 then inl 0xe0", inl(GUEST_PORT_LATCH), 0x1234005au);
    outl(GUEST_PORT_LATCH, 0xdeadbeefu);
    check("io: outl then inw 0xe2", inw(GUEST_PORT_LATCH + 2), 0xdead);
    check("io: outl then inb 0xe1", inb(GUEST_PORT_LATCH + 1), 0xbe);
    /* IN AL/AX must leave the rest of EAX alone (SDM IN). */
    uint32_t eax = 0x11223344u;
    __asm__ volatile("inb %1, %%al" : "+a"(eax) : "Nd"((uint16_t)GUEST_PORT_LATCH));
    check("io: inb keeps EAX[31:8]", eax, 0x112233efu);
    eax = 0x11223344u;
    __asm__ volatile("inw %1, %%ax" : "+a"(eax) : "Nd"((uint16_t)GUEST_PORT_LATCH));
    check("io: inw keeps EAX[31:16]", eax, 0x1122beefu);
    /* An immediate-port form and a DX form of the same access. */
    uint8_t viadx;
    __asm__ volatile("inb %%dx, %%al" : "=a"(viadx) : "d"((uint16_t)(GUEST_PORT_LATCH + 3)));
    check("io: inb via DX", viadx, 0xde);
}

ulong guest_bp_in, guest_bp_out;

static void test_vmcall(void)
{
    ulong r = hypercall(HC_ARGS, 0x1001, 0x2002, 0x3003, 0x4004);
    check("vmcall: args RDI RSI RDX RCX and return RAX", r,
          1 * 0x1001 + 2 * 0x2002 + 3 * 0x3003 + 4 * 0x4004);
#if GUEST_BITS == 64
    ulong ret;
    register ulong r8 __asm__("r8") = 0x5005;
    register ulong r9 __asm__("r9") = 0x6006;
    __asm__ volatile("vmcall" : "=a"(ret)
                     : "a"((ulong)HC_ARGS), "D"(0x100000001ul), "S"(2ul), "d"(3ul), "c"(4ul),
                       "r"(r8), "r"(r9) : "memory");
    check("vmcall: six 64-bit args", ret,
          0x100000001ul + 2 * 2 + 3 * 3 + 4 * 4 + 5 * 0x5005 + 6 * 0x6006);
#endif
    /* The registers VMCALL does not return in must survive the exit. RBP
     * goes through globals: the stack moves while it is pushed. */
    ulong b = 0x0b0b, si = 0x5151, di = 0xd1d1, nr = HC_ARGS, zero = 0, zero2 = 0;
    guest_bp_in = 0xb9b9;
    __asm__ volatile("push %%" GUEST_BP "\n\tmov guest_bp_in, %%" GUEST_BP "\n\tvmcall\n\t"
                     "mov %%" GUEST_BP ", guest_bp_out\n\tpop %%" GUEST_BP
                     : "+b"(b), "+S"(si), "+D"(di), "+a"(nr), "+d"(zero), "+c"(zero2)
                     : : "memory");
    check("vmcall: RBX preserved", b, 0x0b0b);
    check("vmcall: RSI preserved", si, 0x5151);
    check("vmcall: RDI preserved", di, 0xd1d1);
    check("vmcall: RBP preserved", guest_bp_out, 0xb9b9);
}

static uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static void test_msr(void)
{
    /* Round trip through the embedder: WRMSR then RDMSR of the demo's MSR. */
    wrmsr(GUEST_DEMO_MSR, 0x1122334455667788ull);
    uint64_t v = rdmsr(GUEST_DEMO_MSR);
    check("msr: demo MSR low half via embedder", (uint32_t)v, 0x55667788u);
    check("msr: demo MSR high half via embedder", (uint32_t)(v >> 32), 0x11223344u);
    /* MSRs kept in the VMCS are handled by the library itself. */
    wrmsr(0x174 /* SYSENTER_CS */, 0x10);
    check("msr: SYSENTER_CS kept in the VMCS", (uint32_t)rdmsr(0x174), 0x10);
    check("msr: PAT reads the power-on value (low)", (uint32_t)rdmsr(0x277), 0x00070406u);
}

static void test_string_io(void)
{
    /* REP OUTSB to the console, through the embedder. */
    static const char msg[] = "rep outsb: string output through the embedder\n";
    const char *p = msg;
    ulong n = sizeof msg - 1;
    __asm__ volatile("cld; rep outsb" : "+S"(p), "+c"(n) : "d"((uint16_t)GUEST_PORT_CONSOLE) : "memory");
    check("strio: rep outsb leaves RCX = 0", n, 0);
    check("strio: rep outsb advances RSI by the count", (ulong)(p - msg), sizeof msg - 1);
    /* REP INSB from the latch into memory. */
    static uint8_t buf[8];
    uint8_t *d = buf + 1;
    outl(GUEST_PORT_LATCH, 0x44434241u);
    n = 4;
    __asm__ volatile("cld; rep insb" : "+D"(d), "+c"(n) : "d"((uint16_t)GUEST_PORT_LATCH) : "memory");
    check("strio: rep insb fills memory", buf[1] | buf[2] << 8 | buf[3] << 16 | (ulong)buf[4] << 24, 0x41414141u);
    check("strio: rep insb leaves the byte after alone", buf[5], 0);
    check("strio: rep insb advances RDI", (ulong)(d - buf), 5);
    /* OUTSW with DF = 1 walks downwards; the last word written stays. */
    static const uint16_t words[3] = { 0x1111, 0x2222, 0x3333 };
    const uint16_t *w = &words[2];
    n = 2;
    __asm__ volatile("std; rep outsw; cld" : "+S"(w), "+c"(n) : "d"((uint16_t)(GUEST_PORT_LATCH + 2)) : "memory");
    check("strio: rep outsw with DF=1 wrote downwards", inw(GUEST_PORT_LATCH + 2), 0x2222);
    check("strio: rep outsw with DF=1 moves RSI down", (ulong)(&words[2] - w), 2);
    /* A single OUTSB (no REP) moves one element. */
    p = "!";
    __asm__ volatile("outsb" : "+S"(p) : "d"((uint16_t)GUEST_PORT_LATCH) : "memory");
    check("strio: outsb without rep", inb(GUEST_PORT_LATCH), '!');
}

static void test_intercepts(void)
{
    /* The demo opened port 0xed and reads of MSR 0x10: no exits for them. */
    ulong io0 = hypercall(HC_EXIT_COUNT, EXIT_REASON_IO, 0, 0, 0);
    outb(GUEST_PORT_PASS, 0);
    (void)inb(GUEST_PORT_PASS);
    ulong io1 = hypercall(HC_EXIT_COUNT, EXIT_REASON_IO, 0, 0, 0);
    check("intercepts: a passed-through port does not exit", io1, io0);
    ulong rd0 = hypercall(HC_EXIT_COUNT, EXIT_REASON_RDMSR, 0, 0, 0);
    uint64_t t0 = rdmsr(GUEST_MSR_PASS), t1 = rdmsr(GUEST_MSR_PASS);
    ulong rd1 = hypercall(HC_EXIT_COUNT, EXIT_REASON_RDMSR, 0, 0, 0);
    check("intercepts: a passed-through MSR read does not exit", rd1, rd0);
    check("intercepts: the TSC read through RDMSR advances", t1 > t0, 1);
    (void)rdmsr(GUEST_DEMO_MSR);
    ulong rd2 = hypercall(HC_EXIT_COUNT, EXIT_REASON_RDMSR, 0, 0, 0);
    check("intercepts: an intercepted MSR read exits", rd2, rd1 + 1);
}

#if GUEST_BITS == 16
/* Real-mode handler for vector 0x40: counts and records the return IP. */
volatile uint16_t irq40_count, irq40_ret_ip;
void irq40_handler(void);
__asm__(".globl irq40_handler\n"
        "irq40_handler:\n"
        "  push %bx\n"
        "  mov %sp, %bx\n"
        "  mov %ss:2(%bx), %bx\n"
        "  mov %bx, irq40_ret_ip\n"
        "  incw irq40_count\n"
        "  pop %bx\n"
        "  iretw\n");

static void test_intr_window(void)
{
    uintptr_t ivt_addr = 0x40 * 4;
    __asm__("" : "+r"(ivt_addr)); /* a real address, not a constant to check */
    volatile uint16_t *ivt = (volatile uint16_t *)ivt_addr;
    ivt[0] = (uint16_t)(uintptr_t)irq40_handler;
    ivt[1] = 0;
    __asm__ volatile("cli");
    hypercall(HC_QUEUE_IRQ, 0x40, 0, 0, 0);
    outb(GUEST_PORT_LATCH, 0); /* more exits while IF = 0 */
    check("intr: a queued interrupt waits while IF = 0", irq40_count, 0);
    ulong after;
    __asm__ volatile("sti\n\tnop\n1:\tcli\n\tmovl $1b, %0" : "=r"(after) : : "memory");
    check("intr: delivered once after STI", irq40_count, 1);
    check("intr: delivered after the STI shadow, not inside it", irq40_ret_ip, after & 0xffff);

    /* Nothing lost: the IVT page is missing from EPT when the interrupt is
     * delivered. The delivery's EPT violation goes to the demo, which maps
     * the page again; the interrupted delivery is re-injected. */
    hypercall(HC_UNMAP_PAGE0, 0, 0, 0, 0);
    hypercall(HC_QUEUE_IRQ, 0x40, 0, 0, 0);
    __asm__ volatile("sti\n\tnop\n1:\tcli\n\tmovl $1b, %0" : "=r"(after) : : "memory");
    check("intr: EPT violation during delivery served by the embedder",
          hypercall(HC_EPT_FAULTS, 0, 0, 0, 0), 1);
    check("intr: the interrupted delivery is re-injected, exactly once", irq40_count, 2);
    check("intr: re-injected delivery returns to the same place", irq40_ret_ip, after & 0xffff);
}
#endif

static void xsetbv(uint32_t idx, uint64_t v)
{
    __asm__ volatile("xsetbv" : : "c"(idx), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static uint64_t xgetbv(uint32_t idx)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(idx));
    return ((uint64_t)hi << 32) | lo;
}

static void test_xcr0(void)
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    if (!(c & (1u << 26)))
        return; /* no XSAVE */
    ulong cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | (1ul << 18)));
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    check("xcr0: CPUID.1:ECX.OSXSAVE follows the guest's CR4", (c >> 27) & 1, 1);
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(0));
    uint64_t host_like = ((uint64_t)d << 32 | a) & 7; /* x87|SSE|AVX as the demo host */
    xsetbv(0, host_like);
    ulong s0 = hypercall(HC_XCR0_SWITCHES, 0, 0, 0, 0);
    outb(GUEST_PORT_LATCH, 1);
    outb(GUEST_PORT_LATCH, 2);
    ulong s1 = hypercall(HC_XCR0_SWITCHES, 0, 0, 0, 0);
    check("xcr0: guest XCR0 = host XCR0 -> no XSETBV around entries", s1, s0);
    xsetbv(0, 3);
    check("xcr0: XGETBV reads the guest's value", (ulong)xgetbv(0), 3);
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(0));
    check("xcr0: CPUID.0xD.0:EBX sized for the guest's XCR0 (x87|SSE)", b, 576);
    ulong s2 = hypercall(HC_XCR0_SWITCHES, 0, 0, 0, 0);
    check("xcr0: guest XCR0 != host XCR0 -> switched", s2 > s1, 1);
    xsetbv(0, 1);
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
    ulong s3 = hypercall(HC_XCR0_SWITCHES, 0, 0, 0, 0);
    outb(GUEST_PORT_LATCH, 3);
    ulong s4 = hypercall(HC_XCR0_SWITCHES, 0, 0, 0, 0);
    check("xcr0: CR4.OSXSAVE = 0 -> XCR0 not switched", s4, s3);
}

static void test_ept_protect(void)
{
    /* A page the guest has just written (its translation is cached) made
     * read-only through the library's EPT builder: the next write exits
     * (INVEPT really applied), the demo gives write access back, the
     * write completes. */
    static volatile uint32_t page[1024] __attribute__((aligned(4096)));
    page[5] = 1;
    hypercall(HC_PROTECT, (ulong)(uintptr_t)page, 5 /* R|X */, 0, 0);
    uint32_t before = page[5]; /* reads still work */
    page[5] = 2;
    check("ept: reads of a read-only page do not exit", before, 1);
    check("ept: a write to the read-only page exits once, decoded (write, entry R-X, GLA)",
          hypercall(HC_PROTECT_FAULTS, 0, 0, 0, 0), 3);
    check("ept: the write completes after the embedder restores access", page[5], 2);
}

/* MMIO through the library's decoder: every form against the demo's
 * register file; each access is an exit the demo completes. */
static void test_mmio(void)
{
    volatile uint8_t *m8 = (volatile uint8_t *)(uintptr_t)GUEST_MMIO_BASE;
    volatile uint16_t *m16 = (volatile uint16_t *)m8;
    volatile uint32_t *m32 = (volatile uint32_t *)m8;
    uint32_t x;
    uint16_t w;
    uint8_t f;

    __asm__ volatile("movl %1, %0" : "=m"(m32[0]) : "r"(0x12345678u));
    __asm__ volatile("movl %1, %0" : "=r"(x) : "m"(m32[0]));
    check("mmio: mov r32 -> mem, mem -> r32", x, 0x12345678u);
    __asm__ volatile("movl $0xcafebabe, %0" : "=m"(m32[1]));
    check("mmio: mov imm32 -> mem", m32[1], 0xcafebabeu);
    __asm__ volatile("movw %1, %0" : "=m"(m16[4]) : "r"((uint16_t)0xbeef));
    __asm__ volatile("movw %1, %0" : "=r"(w) : "m"(m16[4]));
    check("mmio: 16-bit (66 prefix) store and load", w, 0xbeef);
    __asm__ volatile("movb $0x80, %0" : "=m"(m8[12]));
    __asm__ volatile("movzbl %1, %0" : "=r"(x) : "m"(m8[12]));
    check("mmio: movzx byte", x, 0x80);
    __asm__ volatile("movsbl %1, %0" : "=r"(x) : "m"(m8[12]));
    check("mmio: movsx byte", x, 0xffffff80u);
    __asm__ volatile("movswl %1, %0" : "=r"(x) : "m"(m16[4]));
    check("mmio: movsx word", x, 0xffffbeefu);
    __asm__ volatile("movb %%ah, %0" : "=m"(m8[20]) : "a"(0x1234));
    check("mmio: mov AH -> mem", m8[20], 0x12);
    x = 0x11111111;
    __asm__ volatile("movb %1, %%ah" : "+a"(x) : "m"(m8[20]));
    check("mmio: mov mem -> AH keeps the rest", x, 0x11111211u);

    m32[3] = 0xf0f0;
    __asm__ volatile("orl $0x0f00, %0" : "+m"(m32[3]));
    check("mmio: or imm -> mem (read-modify-write)", m32[3], 0xfff0);
    __asm__ volatile("andl %1, %0" : "+m"(m32[3]) : "r"(0xff00u));
    check("mmio: and r -> mem", m32[3], 0xff00);
    __asm__ volatile("xorl $0xffff, %0" : "+m"(m32[3]));
    check("mmio: xor imm -> mem", m32[3], 0x00ff);
    __asm__ volatile("addl $1, %0" : "+m"(m32[3]));
    check("mmio: add imm -> mem", m32[3], 0x100);
    __asm__ volatile("subl %2, %0\n\tsetz %1" : "+m"(m32[3]), "=q"(f) : "r"(0x100u));
    check("mmio: sub r -> mem sets ZF", (ulong)f * 0x1000 + m32[3], 0x1000);
    x = 1;
    __asm__ volatile("addl %1, %0" : "+r"(x) : "m"(m32[0]));
    check("mmio: add mem -> r", x, 0x12345679u);
    __asm__ volatile("cmpl $0x12345678, %1\n\tsete %0" : "=q"(f) : "m"(m32[0]));
    check("mmio: cmp imm, mem", f, 1);
    __asm__ volatile("cmpl $0x12345679, %1\n\tsetb %0" : "=q"(f) : "m"(m32[0]));
    check("mmio: cmp sets CF (borrow)", f, 1);
    __asm__ volatile("testl $0x8, %1\n\tsetnz %0" : "=q"(f) : "m"(m32[0]));
    check("mmio: test imm, mem", f, 1);

    volatile uint8_t *d = m8 + 32;
    ulong n = 4;
    __asm__ volatile("cld\n\trep stosb" : "+D"(d), "+c"(n) : "a"(0x5a) : "memory");
    check("mmio: rep stosb fills the device", m32[8], 0x5a5a5a5au);
    check("mmio: rep stosb leaves RCX 0 and RDI past", (ulong)(d - m8) + n * 0x1000, 36);
    static uint8_t ram[8] = { 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H' }, back[8];
    const uint8_t *src = ram;
    d = m8 + 64;
    n = 8;
    __asm__ volatile("cld\n\trep movsb" : "+S"(src), "+D"(d), "+c"(n) : : "memory");
    check("mmio: rep movsb RAM -> MMIO", m32[17], 0x48474645u);
    const volatile uint8_t *msrc = m8 + 64;
    uint8_t *dst = back;
    n = 8;
    __asm__ volatile("cld\n\trep movsb" : "+S"(msrc), "+D"(dst), "+c"(n) : : "memory");
    check("mmio: rep movsb MMIO -> RAM", back[0] | back[7] << 8, 'A' | 'H' << 8);
    check("mmio: rep movsb advances both pointers", (ulong)(dst - back) + (ulong)(msrc - m8), 8 + 72);
#if GUEST_BITS == 64
    __asm__ volatile("movq %1, %0" : "=m"(*(volatile uint64_t *)(m8 + 96)) : "r"(0x1122334455667788ul));
    check("mmio: REX.W 64-bit store (high half)", m32[25], 0x11223344u);
    register uint32_t r9 __asm__("r9") = 0x99;
    __asm__ volatile("movl %1, %0" : "=m"(m32[26]) : "r"(r9));
    check("mmio: REX.R register r9d", m32[26], 0x99);
    __asm__ volatile("movl $0x77, mmio_base+0x80(%%rip)" : : : "memory");
    __asm__ volatile("movl mmio_base+0x80(%%rip), %0" : "=r"(x));
    check("mmio: RIP-relative store and load", x, 0x77);
#endif
}

/* Long enough for several VMX-preemption-timer time slices. */
static void spin(void)
{
    for (volatile uint32_t i = 0; i < 60000; i++)
        ;
}

static void test_hlt(void)
{
    ulong at;
    __asm__ volatile("mov $1f, %0\n1: hlt" : "=r"(at));
    hypercall(HC_HLT_CHECK, at, 0, 0, 0);
}

#if GUEST_BITS == 64
static void bench(void)
{
    uint32_t n = 1000, ticks;
    hypercall(HC_BENCH_BEGIN, BENCH_CPUID, 0, 0, 0);
    BENCH_LOOP(BENCH_INSN_CPUID, n, ticks);
    hypercall(HC_BENCH_END, BENCH_CPUID, 1000, ticks, 0);
    n = 1000;
    hypercall(HC_BENCH_BEGIN, BENCH_OUT, 0, 0, 0);
    BENCH_LOOP(BENCH_INSN_OUT, n, ticks);
    hypercall(HC_BENCH_END, BENCH_OUT, 1000, ticks, 0);
}
#endif

void guest_main(void);
void guest_main(void)
{
    puts_("hello from the " GUEST_MODE " guest\n");
    test_cpuid();
    test_io();
    test_vmcall();
    test_hlt();
    test_msr();
    test_string_io();
    test_intercepts();
    test_xcr0();
    test_ept_protect();
    test_mmio();
#if GUEST_BITS == 16
    test_intr_window();
#endif
    spin();
#if GUEST_BITS == 64
    bench();
#endif
    puts_(GUEST_MODE " guest done\n");
}

/* The guest's CPUID table (src/vmx/guest_cpuid.c, struct
 * x86vcpu_cpuid_table): every answer the CPUID exit gives from the table
 * must be the one the computation itself gives (x86vcpu__guest_cpuid_ref,
 * the reference), bit for bit: every leaf 0..max and past it, every
 * subleaf 0..63 and some beyond, the extended and hypervisor ranges, under
 * guest CR4/XCR0/IA32_XSS/mode combinations, with overrides, features,
 * vendor, TSC frequency, MISC_ENABLE[22] and the physical CPU changed. The
 * reference is computed inside run (the script plays the guest right
 * before each CPUID exit), where the hardware's XCR0 is what the exit
 * sees. Also: the table is built once, not per exit, and a CPUID exit of
 * a plain leaf runs no host CPUID and reads the VMCS 5 times. */
#include <stdio.h>
#include "host.h"
#include "lib/tsc.h"

/* ------------------------------------------------------------ the CPU */

/* A host like Bochs' corei7_skylake_x with XSAVE enabled (CR4.OSXSAVE):
 * XCR0 components x87 SSE AVX opmask ZMM_Hi256 Hi16_ZMM PKRU, PT state
 * as a supervisor component, and a PMU, PT, MONITOR, thermal bits for the
 * named features to show. Leaf 0DH EBX follows the hardware's XCR0 and
 * IA32_XSS (the hook), as a CPU's does. */
static const struct { uint32_t comp, size, offset, align; } comps[] = {
    { 2, 256, 576, 0 }, { 5, 64, 1088, 0 }, { 6, 512, 1152, 0 }, { 7, 1024, 1664, 0 },
    { 8, 128, 0, 1 }, /* PT: supervisor (ECX[0]) */
    { 9, 8, 2688, 1 },
};
static unsigned host_cpuid_calls;

static uint32_t std_size(uint64_t xcr0)
{
    uint32_t end = 576;
    for (unsigned i = 0; i < sizeof comps / sizeof comps[0]; i++)
        if (comps[i].offset && ((xcr0 >> comps[i].comp) & 1) &&
            comps[i].offset + comps[i].size > end)
            end = comps[i].offset + comps[i].size;
    return end;
}

static uint32_t compact_size(uint64_t mask)
{
    uint32_t end = 576;
    for (unsigned i = 0; i < sizeof comps / sizeof comps[0]; i++)
        if ((mask >> comps[i].comp) & 1) {
            if (comps[i].align)
                end = (end + 63) & ~63u;
            end += comps[i].size;
        }
    return end;
}

static uint32_t host_apic_id;

static void cpu_hook(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
    host_cpuid_calls++;
    /* 0BH past the last level: level type 0, ECX[7:0] the input, EDX the
     * x2APIC ID, as every subleaf (Vol. 2A CPUID). */
    if (leaf == 0xb && subleaf >= 2)
        r[0] = 0, r[1] = 0, r[2] = subleaf & 0xff, r[3] = host_apic_id;
    else if (leaf == 0xd && subleaf == 0)
        r[1] = std_size(mock.xcr0);
    else if (leaf == 0xd && subleaf == 1)
        r[1] = compact_size(mock.xcr0 | mock_msr(0xda0));
}

static void machine(uint32_t apic_id, int host_osxsave)
{
    mock_reset();
    mock.cpuid_hook = cpu_hook;
    host_apic_id = apic_id;
    if (host_osxsave)
        mock.cr[4] |= CR4_OSXSAVE;
    mock.xcr0 = 0x7;
    mock_set_cpuid(0, 0, 1, 0x16, 0x756e6547, 0x6c65746e, 0x49656e69);
    mock_set_cpuid(1, 0, 1, 0x00050654, 0x00010800 | apic_id << 24,
                   0x77faf3bf | CPUID1_ECX_OSXSAVE, 0xbfebfbff);
    mock_set_cpuid(2, 0, 1, 0x00feff01, 0x000000f0, 0, 0x00c30000);
    static const uint32_t l4[5][4] = {
        { 0x1c004121, 0x01c0003f, 0x3f, 0 }, { 0x1c004122, 0x01c0003f, 0x3f, 0 },
        { 0x1c004143, 0x03c0003f, 0x3ff, 0 }, { 0x1c03c163, 0x0280003f, 0x2fff, 6 },
        { 0, 0, 0, 0 } };
    for (uint32_t s = 0; s < 5; s++)
        mock_set_cpuid(4, s, 0, l4[s][0], l4[s][1], l4[s][2], l4[s][3]);
    mock_set_cpuid(5, 0, 1, 0x40, 0x40, 3, 0x11142120);
    mock_set_cpuid(6, 0, 1, 0x77, 2, 9, 0);
    mock_set_cpuid(7, 0, 0, 1, 0xd19f27eb | (1u << 25), 0x0040405e | (1u << 4), 0xbc000400);
    mock_set_cpuid(7, 1, 0, 0x30, 0, 0, 0);
    mock_set_cpuid(0xa, 0, 1, 0x07300404, 0, 0, 0x603);
    mock_set_cpuid(0xb, 0, 0, 1, 1, 0x100, apic_id);
    mock_set_cpuid(0xb, 1, 0, 4, 4, 0x201, apic_id);
    mock_set_cpuid(0xd, 0, 0, 0x2e7, 0 /* hook */, 2696, 0);
    mock_set_cpuid(0xd, 1, 0, 0xf, 0 /* hook */, 0x100, 0);
    for (unsigned i = 0; i < sizeof comps / sizeof comps[0]; i++)
        mock_set_cpuid(0xd, comps[i].comp, 0, comps[i].size, comps[i].offset,
                       (comps[i].offset ? 0 : 1) | comps[i].align << 1, 0);
    mock_set_cpuid(0x14, 0, 0, 1, 0xf, 7, 0);
    mock_set_cpuid(0x14, 1, 0, 0x02490002, 0x003f3fff, 0, 0);
    mock_set_cpuid(0x15, 0, 1, 2, 0xd0, 0x016e3600, 0);
    mock_set_cpuid(0x16, 0, 1, 0x1111, 0x2222, 0x3333, 0);
    mock_set_cpuid(0x80000000u, 0, 1, 0x80000008u, 0, 0, 0);
    mock_set_cpuid(0x80000001u, 0, 1, 0, 0, 0x121, 0x2c100800);
    mock_set_cpuid(0x80000002u, 0, 1, 0x65746e49, 0x2952286c, 0x726f4320, 0x4d542865);
    mock_set_cpuid(0x80000003u, 0, 1, 0x37692029, 0x55504320, 0x20202020, 0x20202020);
    mock_set_cpuid(0x80000004u, 0, 1, 0x20202020, 0x20202020, 0x20202020, 0x00202020);
    mock_set_cpuid(0x80000006u, 0, 1, 0, 0, 0x01006040, 0);
    mock_set_cpuid(0x80000007u, 0, 1, 0, 0, 0, 0x100);
    mock_set_cpuid(0x80000008u, 0, 1, 0x3028, 0x200, 0, 0);
    /* Secondary controls: the mock's plus RDRAND/RDSEED exiting, XSAVES,
     * TSC scaling (bit 25). */
    mock_set_msr(0x48b, (uint64_t)(2 | 8 | 32 | 128 | (1u << 11) | (1u << 12) | (1u << 16) |
                                   (1u << 20) | (1u << 25)) << 32);
}

static int setup(void **state)
{
    (void)state;
    machine(3, 1);
    return 0;
}

/* ---------------------------------------------------- the comparison */

struct query { uint32_t leaf, sub; };
#define MAXQ 6000
static struct query qs[MAXQ];
static unsigned nq;

static void add(uint32_t leaf, uint32_t sub)
{
    if (nq == MAXQ)
        fail_msg("too many queries");
    qs[nq++] = (struct query){ leaf, sub };
}

static void add_leaf(uint32_t leaf)
{
    static const uint32_t far[] = { 64, 100, 0x100, 0x12345678, 0xffffffffu };
    for (uint32_t s = 0; s < 64; s++)
        add(leaf, s);
    for (unsigned i = 0; i < sizeof far / sizeof far[0]; i++)
        add(leaf, far[i]);
}

/* Every leaf the table holds and past it, each with subleaves 0..63 and
 * some far ones. */
static void all_queries(void)
{
    static const uint32_t past[] = { 0x17, 0x18, 0x1f, 0x20, 0x3f, 0x40, 0x41, 0x1234,
                                     0x3fffffff, 0x50000000, 0x7fffffff, 0x40000011,
                                     0x40000012, 0x40000100, 0x4fffffff, 0x80000009,
                                     0x8000000a, 0x8000001f, 0x80000020, 0x80001234,
                                     0xffffffffu };
    nq = 0;
    for (uint32_t l = 0; l <= 0x16; l++)
        add_leaf(l);
    for (uint32_t l = 0; l <= 0x10; l++)
        add_leaf(X86VCPU_CPUID_HV_BASE + l);
    for (uint32_t l = 0; l <= 8; l++)
        add_leaf(0x80000000u + l);
    for (unsigned i = 0; i < sizeof past / sizeof past[0]; i++)
        add_leaf(past[i]);
}

struct cmp {
    struct x86vcpu_vcpu *v;
    unsigned next, pending, checked;
    struct x86vcpu_cpuid_regs want;
    const char *what;
};

static const int outregs[4] = { X86VCPU_RAX, X86VCPU_RBX, X86VCPU_RCX, X86VCPU_RDX };

/* Entry n: check the answer the last CPUID exit wrote, then play the next
 * CPUID (upper halves of RAX/RCX set: they must not matter) after
 * computing its reference here, inside run. */
static int cmp_script(struct x86vcpu_regs *regs, unsigned n, void *ctx)
{
    struct cmp *c = ctx;
    (void)n;
    if (c->pending) {
        const struct query *q = &qs[c->next - 1];
        const uint32_t *w = &c->want.eax;
        for (int i = 0; i < 4; i++)
            if (regs->gpr[outregs[i]] != w[i])
                fail_msg("%s: CPUID %#x.%#x reg %d: table %#llx, reference %#x", c->what, q->leaf,
                         q->sub, i, (unsigned long long)regs->gpr[outregs[i]], w[i]);
        c->pending = 0;
        c->checked++;
    }
    mock_clear_ops();
    if (c->next == nq) {
        mock_exit(X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0);
        return 0;
    }
    const struct query *q = &qs[c->next++];
    regs->gpr[X86VCPU_RAX] = q->leaf | 0xdead000000000000ull;
    regs->gpr[X86VCPU_RCX] = q->sub | 0xbeef000000000000ull;
    regs->gpr[X86VCPU_RBX] = regs->gpr[X86VCPU_RDX] = 0x5555555555555555ull;
    x86vcpu__guest_cpuid_ref(c->v, q->leaf, q->sub, x86vcpu__guest_cr4(c->v), &c->want);
    /* The table for a CR4 given (cr.c asks for the CR4 being written). */
    static const uint64_t cr4s[] = { 0, CR4_OSXSAVE, CR4_PKE, CR4_OSXSAVE | CR4_PKE };
    for (unsigned i = 0; i < 4; i++) {
        struct x86vcpu_cpuid_regs a, b;
        x86vcpu__guest_cpuid_ref(c->v, q->leaf, q->sub, cr4s[i], &a);
        x86vcpu__guest_cpuid_cr4(c->v, q->leaf, q->sub, cr4s[i], &b);
        if (memcmp(&a, &b, sizeof a))
            fail_msg("%s: CPUID %#x.%#x for CR4 %#llx: table %08x %08x %08x %08x, reference "
                     "%08x %08x %08x %08x", c->what, q->leaf, q->sub,
                     (unsigned long long)cr4s[i], b.eax, b.ebx, b.ecx, b.edx, a.eax, a.ebx,
                     a.ecx, a.edx);
    }
    c->pending = 1;
    mock_exit(X86VCPU_EXIT_REASON_CPUID, 0, 2);
    return 0;
}

/* Runs every query as a CPUID exit and compares. */
static void compare_all(struct host *h, const char *what)
{
    struct cmp c = { h->v, 0, 0, 0, { 0, 0, 0, 0 }, what };
    all_queries();
    for (int runs = 0; c.checked < nq; runs++) {
        if (runs > 100)
            fail_msg("%s: runs do not progress", what);
        mock.entries = 0;
        assert_int_equal(host_run(h, cmp_script, &c), X86VCPU_OK);
        assert_int_equal(h->e.kind, X86VCPU_EXIT_TIME_SLICE);
    }
    assert_int_equal(c.checked, nq);
}

/* The guest's state the dynamic bits follow. */
static void guest_state(struct host *h, uint64_t cr4, uint64_t xcr0, int osxsave, uint64_t xss,
                        int mode64)
{
    mock_set_vmcs(F(GUEST_CR4), cr4 | CR4_VMXE);
    mock_set_vmcs(F(CR4_READ_SHADOW), cr4);
    h->v->guest_xcr0 = xcr0;
    h->v->guest_osxsave = (uint32_t)osxsave;
    h->v->smsr_guest[SMSR_XSS] = xss;
    mock_set_vmcs(F(GUEST_IA32_EFER), mode64 ? EFER_LME | EFER_LMA : 0);
    mock_set_vmcs(F(GUEST_CS_AR), mode64 ? 0xa09b : 0xc09b);
}

/* Guest CR4, XCR0 (in the hardware or not: XSETBV around the 0DH answer),
 * IA32_XSS and mode combinations. */
static void compare_states(struct host *h, const char *what)
{
    static const struct { uint64_t cr4, xcr0; int osxsave; uint64_t xss; int m64; } st[] = {
        { 0, 1, 0, 0, 1 },
        { CR4_OSXSAVE | CR4_PKE, 0x7, 1, 0, 1 },        /* guest XCR0 loaded */
        { CR4_PKE, 0x2e7, 0, 0, 0 },                    /* XCR0 not loaded: XSETBV */
        { CR4_OSXSAVE, 0x2e7, 1, 0x100, 0 },            /* IA32_XSS (compacted size) */
        { CR4_OSXSAVE | CR4_PKE, 0x3, 0, 0x100, 1 },
    };
    char buf[128];
    for (unsigned i = 0; i < sizeof st / sizeof st[0]; i++) {
        guest_state(h, st[i].cr4, st[i].xcr0, st[i].osxsave, st[i].xss, st[i].m64);
        snprintf(buf, sizeof buf, "%s, state %u", what, i);
        compare_all(h, buf);
    }
}

static void override(struct host *h, uint32_t leaf, uint32_t sub, int reg, uint32_t set,
                     uint32_t clear)
{
    uint32_t s[4] = { 0, 0, 0, 0 }, c[4] = { 0, 0, 0, 0 };
    s[reg] = set;
    c[reg] = clear;
    assert_int_equal(x86vcpu_cpuid_override(h->v, leaf, sub, s, c), X86VCPU_OK);
}

/* ------------------------------------------------------------ tests */

/* The default policy on an XSAVE host, then with overrides on every kind
 * of leaf: dynamic bits fixed by an override or passed through, a
 * subleaf named on a leaf without subleaves, a subleaf past the table,
 * hypervisor leaves in and past it. */
static void test_table_matches_reference(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    compare_states(&h, "default");

    override(&h, 1, X86VCPU_CPUID_ANY_SUBLEAF, 2, 0, CPUID1_ECX_OSXSAVE); /* OSXSAVE fixed 0 */
    override(&h, 1, X86VCPU_CPUID_ANY_SUBLEAF, 3, 1u << 18, 0);
    override(&h, 7, 0, 2, 1u << 4, 0);                                   /* OSPKE fixed 1 */
    override(&h, 7, X86VCPU_CPUID_ANY_SUBLEAF, 1, 1u << 2, 0);           /* every subleaf */
    override(&h, 0xd, 0, 1, 0x10000, 0xff);                              /* EBX half fixed */
    override(&h, 0xd, 1, 0, 1u << 4, 0);
    override(&h, 0xd, 100, 3, 0x42, 0);                                  /* past the table */
    override(&h, 2, 5, 0, 0x99, 0);                                      /* no subleaves */
    override(&h, 0x40000000u, X86VCPU_CPUID_ANY_SUBLEAF, 0, 0x40000005u, 0);
    override(&h, 0x40000100u, X86VCPU_CPUID_ANY_SUBLEAF, 1, 0x1234, 0);  /* past the table */
    override(&h, 0x80000001u, X86VCPU_CPUID_ANY_SUBLEAF, 2, 1u << 6, 1u << 0);
    override(&h, 0x16, X86VCPU_CPUID_ANY_SUBLEAF, 2, 0x10000, 0);
    compare_states(&h, "overrides");

    /* Overrides fixing the other way: OSXSAVE 1, OSPKE 0, SYSCALL 1. */
    override(&h, 1, X86VCPU_CPUID_ANY_SUBLEAF, 2, CPUID1_ECX_OSXSAVE, 0);
    override(&h, 7, 0, 2, 0, 1u << 4);
    override(&h, 0x80000001u, X86VCPU_CPUID_ANY_SUBLEAF, 3, CPUID_80000001_EDX_SYSCALL, 0);
    override(&h, 0xd, 0, 1, 0, ~0u);
    compare_states(&h, "overrides 2");

    /* Removed again: the default view back. */
    uint32_t z[4] = { 0, 0, 0, 0 };
    static const uint32_t gone[][2] = {
        { 1, X86VCPU_CPUID_ANY_SUBLEAF }, { 7, 0 }, { 7, X86VCPU_CPUID_ANY_SUBLEAF }, { 0xd, 0 },
        { 0xd, 1 }, { 0xd, 100 }, { 2, 5 }, { 0x40000000u, X86VCPU_CPUID_ANY_SUBLEAF },
        { 0x40000100u, X86VCPU_CPUID_ANY_SUBLEAF }, { 0x80000001u, X86VCPU_CPUID_ANY_SUBLEAF },
        { 0x16, X86VCPU_CPUID_ANY_SUBLEAF } };
    for (unsigned i = 0; i < sizeof gone / sizeof gone[0]; i++)
        assert_int_equal(x86vcpu_cpuid_override(h.v, gone[i][0], gone[i][1], z, z), X86VCPU_OK);
    compare_states(&h, "overrides removed");
    host_stop(&h);
}

/* The named features change the view (before setup); vendor, TSC
 * frequency and MISC_ENABLE[22] after it. */
static void test_features_vendor_tsc_limit(void **state)
{
    (void)state;
    struct host h;
    host_init(&h, X86VCPU_MODE_LONG64);
    assert_int_equal(x86vcpu_cpuid_enable_feature(h.v, X86VCPU_FEAT_PMU), X86VCPU_OK);
    assert_int_equal(x86vcpu_cpuid_enable_feature(h.v, X86VCPU_FEAT_PT), X86VCPU_OK);
    assert_int_equal(x86vcpu_cpuid_enable_feature(h.v, X86VCPU_FEAT_MONITOR), X86VCPU_OK);
    assert_int_equal(x86vcpu_cpuid_enable_feature(h.v, X86VCPU_FEAT_THERMAL), X86VCPU_OK);
    assert_int_equal(x86vcpu_cpuid_disable_feature(h.v, X86VCPU_FEAT_XSAVES), X86VCPU_OK);
    assert_int_equal(x86vcpu_cpuid_disable_feature(h.v, X86VCPU_FEAT_RDTSCP), X86VCPU_OK);
    host_bind(&h);
    compare_states(&h, "features");

    assert_int_equal(x86vcpu_cpuid_set_vendor(h.v, "KVMKVMKVM\0\0\0"), X86VCPU_OK);
    guest_state(&h, 0, 1, 0, 0, 1);
    compare_all(&h, "vendor");

    /* TSC frequency: 0x15, 0x16, 0x40000000 and 0x40000010 change. */
    assert_int_equal(x86vcpu_set_tsc_khz(h.v, 2000000, 2000000), X86VCPU_OK);
    compare_all(&h, "tsc 2 GHz");
    assert_int_equal(x86vcpu_set_tsc_khz(h.v, 2000000, 1000000), X86VCPU_OK);
    compare_all(&h, "tsc 1 GHz");

    /* MISC_ENABLE[22], by the guest's own WRMSR: CPUID.0:EAX reads 2. */
    h.v->regs.gpr[X86VCPU_RCX] = 0x1a0;
    h.v->regs.gpr[X86VCPU_RAX] = 1u | (1u << 22);
    h.v->regs.gpr[X86VCPU_RDX] = 0;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_WRMSR, 0, 2, 0 });
    assert_int_equal(mock.entry_intr_info, 0);
    compare_all(&h, "limit CPUID");
    struct x86vcpu_cpuid_regs r;
    x86vcpu__guest_cpuid(h.v, 0, 0, &r);
    assert_int_equal(r.eax, 2);
    h.v->regs.gpr[X86VCPU_RCX] = 0x1a0;
    h.v->regs.gpr[X86VCPU_RAX] = 1u;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_WRMSR, 0, 2, 0 });
    compare_all(&h, "limit CPUID off");
    x86vcpu__guest_cpuid(h.v, 0, 0, &r);
    assert_int_equal(r.eax, 0x16);
    host_stop(&h);
}

/* A host whose XSAVE is not enabled (CR4.OSXSAVE 0): 0DH.0/1 EBX come
 * from the layout under the guest's XCR0; and a host without XSAVE. */
static void test_layout_sizes(void **state)
{
    (void)state;
    struct host h;
    machine(3, 0);
    host_start(&h, X86VCPU_MODE_PROT32);
    compare_states(&h, "layout");
    override(&h, 0xd, 1, 1, 0x3, 0x30);
    compare_states(&h, "layout, override");
    host_stop(&h);

    mock_reset();   /* the mock's own CPU: no XSAVE, max leaf 0xd */
    host_start(&h, X86VCPU_MODE_REAL);
    compare_states(&h, "no XSAVE");
    host_stop(&h);
}

/* Bound to another CPU (another APIC ID in leaves 1 and 0BH): the answers
 * are the new CPU's, without a rebuild (the APIC IDs are taken at bind). */
static void test_other_cpu(void **state)
{
    (void)state;
    struct host h;
    struct x86vcpu_cpu cpu2;
    host_start(&h, X86VCPU_MODE_LONG64);
    guest_state(&h, 0, 1, 0, 0, 1);
    compare_all(&h, "cpu 1");
    assert_int_equal(x86vcpu_vcpu_unbind(h.v), X86VCPU_OK);
    assert_int_equal(x86vcpu_cpu_disable(&h.cpu), X86VCPU_OK);
    mock_set_cpuid(1, 0, 1, 0x00050654, 0x00010800 | 7u << 24, 0x77faf3bf, 0xbfebfbff);
    mock_set_cpuid(0xb, 0, 0, 1, 1, 0x100, 7);
    mock_set_cpuid(0xb, 1, 0, 4, 4, 0x201, 7);
    host_apic_id = 7;
    memset(&cpu2, 0, sizeof cpu2);
    assert_int_equal(x86vcpu_cpu_enable(&cpu2, &mock_hal), X86VCPU_OK);
    unsigned builds = h.v->vm->tbl.builds;
    assert_int_equal(x86vcpu_vcpu_bind(h.v, &cpu2), X86VCPU_OK);
    compare_all(&h, "cpu 2");
    struct x86vcpu_cpuid_regs r;
    x86vcpu__guest_cpuid(h.v, 1, 0, &r);
    assert_int_equal(r.ebx >> 24, 7);
    x86vcpu__guest_cpuid(h.v, 0xb, 1, &r);
    assert_int_equal(r.edx, 7);
    assert_int_equal(h.v->vm->tbl.builds, builds);
    /* host_stop's teardown, on cpu2. */
    assert_int_equal(x86vcpu_vcpu_unbind(h.v), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_destroy(h.v), X86VCPU_OK);
    assert_int_equal(x86vcpu_cpu_disable(&cpu2), X86VCPU_OK);
    assert_int_equal(mock_frames_in_use(), 0);
    assert_int_equal(mock_hal_errors(), 0);
}

/* Built once at setup, not per exit: a loop of CPUID exits of leaf 0 (the
 * BENCH leaf) runs no host CPUID and reads the VMCS 5 times per exit
 * (exit reason, RIP, length, interruptibility, RFLAGS), writes it once
 * (RIP); leaf 1 and 7 add the CR4 reads only. */
static void cpuid_loop_script_fn(struct x86vcpu_regs *regs, unsigned n)
{
    (void)n;
    regs->gpr[X86VCPU_RAX] = 0;
}

static void test_built_once(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    const struct x86vcpu_cpuid_table *t = &h.v->vm->tbl;    /* the VM's */
    assert_ptr_equal(t->cpu, h.v->vm);  /* built at setup */
    unsigned builds = t->builds;
    print_message("CPUID table: %zu bytes (one frame), %u of %u answers used, built %u time(s)\n",
                  sizeof *t, t->used, X86VCPU_CPUID_TBL_ENTRIES, builds);
    host_cpuid_calls = 0;
    uint64_t rd = h.v->stats.vmreads, wr = h.v->stats.vmwrites;
    enum { N = 20 };
    struct step s[N + 1];
    for (int i = 0; i < N; i++)
        s[i] = (struct step){ X86VCPU_EXIT_REASON_CPUID, 0, 2, cpuid_loop_script_fn };
    s[N] = (struct step){ X86VCPU_EXIT_REASON_HLT, 0, 1, 0 };
    struct steps st = { s, N + 1 };
    mock.entries = 0;
    mock_set_vmcs(F(GUEST_RIP), 0x100000);
    assert_int_equal(host_run(&h, steps_script, &st), X86VCPU_OK);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_HLT);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x100000 + 2 * N);
    assert_int_equal(h.v->regs.gpr[X86VCPU_RAX], 0x16);
    assert_int_equal(host_cpuid_calls, 0);
    assert_int_equal(t->builds, builds);
    /* N CPUID exits and the HLT exit (reason, RIP, length). */
    assert_int_equal(h.v->stats.vmreads - rd, 5 * N + 3);
    assert_int_equal(h.v->stats.vmwrites - wr, N);
    /* Leaves 1 and 7 from the table too: only the guest's CR4 is read. */
    struct x86vcpu_cpuid_regs r;
    mock_set_vmcs(F(GUEST_CR4), CR4_OSXSAVE | CR4_PKE | CR4_VMXE);
    mock_set_vmcs(F(CR4_READ_SHADOW), CR4_OSXSAVE | CR4_PKE);
    x86vcpu__guest_cpuid(h.v, 1, 0, &r);
    assert_true(r.ecx & CPUID1_ECX_OSXSAVE);
    x86vcpu__guest_cpuid(h.v, 7, 0, &r);
    assert_true(r.ecx & (1u << 4));
    assert_int_equal(host_cpuid_calls, 0);
    /* A change of the policy makes it stale; the next CPUID rebuilds it. */
    assert_int_equal(x86vcpu_cpuid_set_vendor(h.v, "0123456789ab"), X86VCPU_OK);
    assert_null(t->cpu);
    x86vcpu__guest_cpuid(h.v, 0x40000000u, 0, &r);
    assert_int_equal(r.ecx, 0x37363534);
    assert_int_equal(t->builds, builds + 1);
    host_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_table_matches_reference, setup),
        cmocka_unit_test_setup(test_features_vendor_tsc_limit, setup),
        cmocka_unit_test_setup(test_layout_sizes, setup),
        cmocka_unit_test_setup(test_other_cpu, setup),
        cmocka_unit_test_setup(test_built_once, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

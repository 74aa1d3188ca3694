/* tests/diff/pm.c — protected-mode, PAE and ring-3 cases of the
 * differential test kernel, then the real-mode part (rm.c, run by
 * rm_run()); ends by entering long mode (lm.c). Entered through
 * tests/lib's multiboot entry: our GDT and IDT loaded, console on 0xE9. */
#include "diff.h"
#include "frames.h"
#include "proto.h"      /* GUEST_MMIO_BASE: the harness's MMIO register file (RAM bare) */

/* modes.S */
extern void run_cpl3(void (*fn)(void));
extern unsigned rm_run(void);
extern void enter_long(u32 pml4) __attribute__((noreturn));
extern void isr_cpl3_exit(void);
extern u8 ring0_stack_top[];
/* blobs.S: the real-mode part, linked for RM_BASE */
extern const u8 rm_blob_start[], rm_blob_end[];

static u32 tss[26] __attribute__((aligned(8)));

/* Paging: one page directory of 2 MiB pages maps 0-1 GiB; used by the PAE
 * PDPTs (legacy PAE) and by the 4-level tables of long mode. */
static u64 pd[512] __attribute__((aligned(4096)));
static u64 pml4[512] __attribute__((aligned(4096)));
static u64 pdpt_lm[512] __attribute__((aligned(4096)));
static u64 pdpt_pae[4] __attribute__((aligned(32)));
static u64 pdpt_pae2[4] __attribute__((aligned(32)));
static u64 pdpt_bad[4] __attribute__((aligned(32)));

static u32 cpuid1_ecx, cpuid7_ebx;

/* The runtime's answer to a fault no case guarded. */
void trap_unexpected(struct trap_frame *f)
{
    printf("\nUNEXPECTED ");
    put_fault(f->vec, f->err, 1);
    printf(" at eip %08x (mode %s, after %u cases)\n", f->ip, cur_mode, case_count);
    bochs_shutdown();
}

__attribute__((noreturn)) void exit(int code)
{
    (void)code;
    bochs_shutdown();
}

/* Ring 3 ends with INT 0x80 (a DPL-3 gate); ring 3 faults take the TSS's
 * ring-0 stack. */
static void setup_cpl3(void)
{
    idt_set_gate(0x80, (uptr)isr_cpl3_exit, 3);
    memset(tss, 0, sizeof(tss));
    tss[1] = (u32)(uptr)ring0_stack_top; /* ESP0 */
    tss[2] = GDT_DATA;                    /* SS0 */
    tss[25] = 104u << 16;                 /* I/O map base beyond the limit */
    u32 base = (u32)(uptr)tss, limit = 103;
    gdt[GDT_TSS / 8] = (u64)(limit & 0xffff) | ((u64)(base & 0xffffff) << 16) | (0x89ull << 40) |
                       ((u64)((limit >> 16) & 0xf) << 48) | ((u64)(base >> 24) << 56);
    __asm__ volatile("ltr %w0" : : "r"(GDT_TSS) : "memory");
}

static int t_lmsw(u16 v)
{
    fault_arm();
    __asm__ volatile(TRY_BEGIN "lmsw %w0" TRY_END : : "r"(v) : "memory");
    return fault_vec != NOFAULT;
}

static int t_smsw_r32(u32 *v)
{
    u32 x = 0;
    fault_arm();
    __asm__ volatile(TRY_BEGIN "smsw %0" TRY_END : "+r"(x) : : "memory");
    *v = x;
    return fault_vec != NOFAULT;
}

static int t_smsw_m16(u16 *v)
{
    fault_arm();
    __asm__ volatile(TRY_BEGIN "smsw %0" TRY_END : "=m"(*v) : : "memory");
    return fault_vec != NOFAULT;
}

static int t_hlt(void)
{
    fault_arm();
    __asm__ volatile(TRY_BEGIN "hlt" TRY_END : : : "memory");
    return fault_vec != NOFAULT;
}

/* MOV to CR0 of v; the record shows CR0 read back; CR0 restored. */
static void cr0_case(const char *name, u32 v)
{
    uptr old = read_cr0();
    u32 got = 0;
    if (!t_wr_cr0(v))
        got = (u32)read_cr0();
    rec32(name, got);
    write_cr0(old);
}

/* MOV to CR4 of v; the record shows CR4 read back. No restore. */
static int cr4_case(const char *name, u32 v)
{
    u32 got = 0;
    int f = t_wr_cr4(v);
    if (!f)
        got = (u32)read_cr4();
    rec32(name, got);
    return f;
}

/* ----------------------------------------------------------- CPUID */
static void cpuid_cases(void)
{
    u32 r[4];
    case_cpuid("cpuid.0", 0, 0);
    case_cpuid("cpuid.1", 1, 0);
    case_cpuid("cpuid.7.0", 7, 0);
    case_cpuid("cpuid.d.0", 0xd, 0);
    case_cpuid("cpuid.d.1", 0xd, 1);
    case_cpuid("cpuid.80000000", 0x80000000u, 0);
    case_cpuid("cpuid.80000001", 0x80000001u, 0);
    case_cpuid("cpuid.80000008", 0x80000008u, 0);
    cpuid2(1, 0, r);
    cpuid1_ecx = r[2];
    cpuid2(7, 0, r);
    cpuid7_ebx = r[1];
}

/* ------------------------------------------------------------- CR0 */
static void cr0_cases(void)
{
    const u32 b = CR0_BASE;
    u32 v = 0;
    u16 w = 0;

    cr0_case("mov-cr0-pg-without-pe", (b & ~CR0_PE) | CR0_PG);
    cr0_case("mov-cr0-nw-without-cd", b | CR0_NW);
    cr0_case("mov-cr0-cd-nw", b | CR0_CD | CR0_NW);
    cr0_case("mov-cr0-cd", b | CR0_CD);
    write_cr0(b);

    static const struct { u32 bit; const char *set, *clr; } bits[] = {
        { CR0_TS, "cr0-set-ts", "cr0-clear-ts" },
        { CR0_MP, "cr0-set-mp", "cr0-clear-mp" },
        { CR0_EM, "cr0-set-em", "cr0-clear-em" },
        { CR0_WP, "cr0-set-wp", "cr0-clear-wp" },
        { CR0_AM, "cr0-set-am", "cr0-clear-am" },
    };
    for (unsigned i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        int f = t_wr_cr0(b | bits[i].bit);
        rec32(bits[i].set, f ? 0 : (u32)read_cr0());
        f = t_wr_cr0(b);
        rec32(bits[i].clr, f ? 0 : (u32)read_cr0());
    }
    cr0_case("cr0-clear-ne", b & ~CR0_NE);
    cr0_case("cr0-clear-et", b & ~CR0_ET);              /* ET is fixed to 1 */
    cr0_case("cr0-reserved-bit6", b | (1u << 6));
    cr0_case("cr0-reserved-bit17", b | (1u << 17));
    cr0_case("cr0-reserved-bit28", b | (1u << 28));

    write_cr0(b | CR0_TS);
    t_clts();
    rec32("clts", (u32)read_cr0());
    write_cr0(b);

    write_cr0(b | CR0_MP | CR0_TS);
    v = 0;
    if (!t_lmsw(0))
        v = (u32)read_cr0();
    rec32("lmsw-0-keeps-pe", v);
    write_cr0(b);
    v = 0;
    if (!t_lmsw(0xe))
        v = (u32)read_cr0();
    rec32("lmsw-mp-em-ts", v);
    v = 0;
    if (!t_lmsw(0x1))
        v = (u32)read_cr0();
    rec32("lmsw-pe-only", v);
    write_cr0(b | CR0_MP | CR0_WP);
    t_smsw_m16(&w);
    rec32("smsw-m16", w);
    t_smsw_r32(&v);
    rec32("smsw-r32", v);
    write_cr0(b);
    note32("cr0-restored", (u32)read_cr0());
}

/* ------------------------------------------------------------- CR4 */
static const char *const cr4_names[32] = {
    "vme", "pvi", "tsd", "de", "pse", "pae", "mce", "pge", "pce", "osfxsr",
    "osxmmexcpt", "umip", "la57", "vmxe[hv-differs]", "smxe", 0, "fsgsbase",
    "pcide-outside-ia32e", "osxsave", 0, "smep", "smap", "pke", "cet", 0, 0,
    0, 0, 0, 0, 0, 0,
};

static void cr4_cases(void)
{
    const u32 b = 0;
    char n1[48], n2[48];

    write_cr4(b);
    for (int bit = 0; bit < 32; bit++) {
        const char *nm = cr4_names[bit];
        const char *s = mkname("cr4-set-bit", bit, nm ? "-" : "");
        int i = 0;
        while (s[i]) { n1[i] = s[i]; i++; }
        for (const char *q = nm; q && *q; q++) n1[i++] = *q;
        n1[i] = 0;
        s = mkname("cr4-clear-bit", bit, nm ? "-" : "");
        i = 0;
        while (s[i]) { n2[i] = s[i]; i++; }
        for (const char *q = nm; q && *q; q++) n2[i++] = *q;
        n2[i] = 0;

        /* The clear is recorded after a faulting set only for VMXE: under
         * the hypervisor the set #GPs, and the clear must still succeed
         * and read back 0 (the rule in tests/diff/hv-differs.rules). */
        if (!cr4_case(n1, b | (1u << bit)) || bit == 13)
            cr4_case(n2, b);
        write_cr4(b);
    }
    /* Combinations the OS uses. */
    if (!cr4_case("cr4-set-osfxsr-osxmmexcpt", b | (3u << 9)))
        cr4_case("cr4-clear-osfxsr-osxmmexcpt", b);
    if (!cr4_case("cr4-set-smep-smap", b | CR4_SMEP | CR4_SMAP))
        cr4_case("cr4-clear-smep-smap", b);
    write_cr4(b);
    /* CET needs CR0.WP=1 (#GP otherwise, or when CET is absent). */
    write_cr0(CR0_BASE | CR0_WP);
    if (!cr4_case("cr4-set-cet-with-wp", b | (1u << 23)))
        cr4_case("cr4-clear-cet-with-wp", b);
    write_cr4(b);
    write_cr0(CR0_BASE);
    note32("cr4-restored", (u32)read_cr4());
}

/* ------------------------------------------------------ CR3 (no paging) */
static void cr3_cases(void)
{
    static const u32 vals[] = { 0x12345000u, 0xfffff018u, 0xffffffffu, 0x00000fffu };
    static const char *const names[] = {
        "mov-cr3-12345000", "mov-cr3-fffff018", "mov-cr3-ffffffff", "mov-cr3-00000fff",
    };
    for (int i = 0; i < 4; i++) {
        u32 got = 0;
        if (!t_wr_cr3(vals[i]))
            got = (u32)read_cr3();
        rec32(names[i], got);
    }
    write_cr3(0);
    note32("mov-cr3-0", (u32)read_cr3());
}

/* ------------------------------------------------------------- MSRs */
static void msr_cases(void)
{
    u64 v = 0;
    t_rdmsr(0xc0011234u, &v);
    rec64("rdmsr-c0011234[msr]", v);
    t_wrmsr(0xc0011234u, 0);
    rec64("wrmsr-c0011234[msr]", 0);
    t_rdmsr(0xc0000103u, &v);
    rec64("rdmsr-tsc-aux[msr]", v);
    t_rdmsr(0x277, &v);
    rec64("rdmsr-pat[msr]", v);
    t_rdmsr(0xc0000080u, &v);
    rec64("rdmsr-efer[msr]", v);
    t_rdmsr(0x174, &v);
    rec64("rdmsr-sysenter-cs[msr]", v);
    t_wrmsr(0xc0000080u, 1u << 1);
    rec64("wrmsr-efer-reserved-bit1[msr]", 0);
    /* IA32_XSS (with XSAVES): 0 is always valid; an unsupported
     * supervisor component faults (SDM Vol. 1 13.3). */
    u32 d1[4];
    cpuid2(0xd, 1, d1);
    if (d1[0] & (1u << 3)) {
        if (!t_wrmsr(0xda0u, 0))
            t_rdmsr(0xda0u, &v);
        rec64("wrmsr-xss-0[msr]", v);
        t_wrmsr(0xda0u, 1ull << 63);
        rec64("wrmsr-xss-bit63[msr]", 0);
    }
    /* MOV CR0 setting PG with EFER.LME = 1 but CR4.PAE = 0: #GP(0). */
    {
        uptr cr4 = read_cr4();
        write_cr4(cr4 & ~(uptr)(1u << 5));
        if (!t_wrmsr(0xc0000080u, 1u << 8)) {
            cr0_case("mov-cr0-pg-lme-without-pae[msr]", CR0_BASE | CR0_PG);
            t_wrmsr(0xc0000080u, 0);
        }
        write_cr4(cr4);
    }
    t_wrmsr(0x277, 0x0007040600070402ull);
    rec64("wrmsr-pat-invalid-type2[msr]", 0);
    u64 pat = 0x0007040600070406ull;
    if (!t_wrmsr(0x277, 0x0106040600070406ull))
        t_rdmsr(0x277, &v);
    rec64("wrmsr-pat-roundtrip[msr]", v);
    t_wrmsr(0x277, pat);
    if (!t_wrmsr(0xc0000103u, 0x12345678u))
        t_rdmsr(0xc0000103u, &v);
    rec64("wrmsr-tsc-aux-roundtrip[msr]", v);
    t_wrmsr(0xc0000103u, 0);
}

/* ------------------------------------------------------- PAE paging */
static void build_page_tables(void)
{
    for (int i = 0; i < 512; i++)
        pd[i] = ((u64)i << 21) | 0x83; /* P, RW, PS */
    for (int i = 0; i < 4; i++)
        pdpt_pae[i] = pdpt_pae2[i] = pdpt_bad[i] = 0;
    pdpt_pae[0] = (u32)(uptr)pd | 1;
    pdpt_pae2[0] = (u32)(uptr)pd | 1;
    pdpt_bad[0] = (u32)(uptr)pd | 1;   /* the running code stays mapped */
    pml4[0] = (u32)(uptr)pdpt_lm | 3;
    pdpt_lm[0] = (u32)(uptr)pd | 3;
}

static void pae_cases(void)
{
    u32 got;
    write_cr4(CR4_PAE);
    write_cr3((u32)(uptr)pdpt_pae);
    got = 0;
    if (!t_wr_cr0(CR0_BASE | CR0_PG))
        got = (u32)read_cr0();
    rec32("enable-pae-paging", got);

    got = 0;
    if (!t_wr_cr3((u32)(uptr)pdpt_pae2))
        got = (u32)read_cr3();
    rec32("mov-cr3-valid-pdpt", got);
    write_cr3((u32)(uptr)pdpt_pae);

    /* PDPTEs are loaded and checked on MOV to CR3 with PAE paging. */
    pdpt_bad[3] = (u32)(uptr)pd | 1 | 2;   /* bit 1 reserved */
    t_wr_cr3((u32)(uptr)pdpt_bad);
    rec32("mov-cr3-pdpte-rsvd-bit1", 0);
    write_cr3((u32)(uptr)pdpt_pae);
    pdpt_bad[3] = (u32)(uptr)pd | 1 | (1u << 5);   /* bits 8:5 reserved */
    t_wr_cr3((u32)(uptr)pdpt_bad);
    rec32("mov-cr3-pdpte-rsvd-bit5", 0);
    write_cr3((u32)(uptr)pdpt_pae);
    pdpt_bad[3] = ((u32)(uptr)pd | 1) | (1ull << 62); /* above MAXPHYADDR */
    t_wr_cr3((u32)(uptr)pdpt_bad);
    rec32("mov-cr3-pdpte-rsvd-bit62", 0);
    write_cr3((u32)(uptr)pdpt_pae);
    pdpt_bad[3] = 0x6 | (1ull << 62);      /* not present: not checked */
    got = 0;
    if (!t_wr_cr3((u32)(uptr)pdpt_bad))
        got = (u32)read_cr3();
    rec32("mov-cr3-pdpte-notpresent-rsvd", got);
    write_cr3((u32)(uptr)pdpt_pae);

    /* CR0 / CR4 bits that matter with paging. */
    static const struct { int cr; u32 bit; const char *set, *clr; } t[] = {
        { 0, CR0_WP, "cr0-set-wp", "cr0-clear-wp" },
        { 4, CR4_PGE, "cr4-set-pge", "cr4-clear-pge" },
        { 4, CR4_PSE, "cr4-set-pse", "cr4-clear-pse" },
        { 4, CR4_SMEP, "cr4-set-smep", "cr4-clear-smep" },
        { 4, CR4_SMAP, "cr4-set-smap", "cr4-clear-smap" },
        { 4, 1u << 22, "cr4-set-pke", "cr4-clear-pke" },
        { 4, CR4_PCIDE, "cr4-set-pcide", "cr4-clear-pcide" },
        { 4, CR4_LA57, "cr4-set-la57", "cr4-clear-la57" },
    };
    for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        if (t[i].cr == 0) {
            uptr b = read_cr0();
            got = 0;
            if (!t_wr_cr0(b | t[i].bit)) {
                rec32(t[i].set, (u32)read_cr0());
                got = t_wr_cr0(b) ? 0 : (u32)read_cr0();
                rec32(t[i].clr, got);
            } else {
                rec32(t[i].set, 0);
            }
            write_cr0(b);
        } else {
            uptr b = read_cr4();
            if (!t_wr_cr4(b | t[i].bit)) {
                rec32(t[i].set, (u32)read_cr4());
                got = t_wr_cr4(b) ? 0 : (u32)read_cr4();
                rec32(t[i].clr, got);
            } else {
                rec32(t[i].set, 0);
            }
            write_cr4(b);
        }
    }

    /* INVLPG / CR3 reload with paging on. */
    fault_arm();
    __asm__ volatile(TRY_BEGIN "invlpg (%0)" TRY_END : : "r"(0x100000) : "memory");
    rec32("invlpg", 0);

    got = 0;
    if (!t_wr_cr0(CR0_BASE))
        got = (u32)read_cr0();
    rec32("disable-paging", got);

    /* Turning paging on checks the PDPTEs too. */
    pdpt_bad[3] = (u32)(uptr)pd | 1 | 2;
    write_cr3((u32)(uptr)pdpt_bad);
    got = 0;
    if (!t_wr_cr0(CR0_BASE | CR0_PG))
        got = (u32)read_cr0();
    rec32("enable-paging-pdpte-rsvd", got);
    write_cr0(CR0_BASE);
    pdpt_bad[3] = 0;

    /* PAE can be cleared while paging is off. */
    got = 0;
    if (!t_wr_cr4(0))
        got = (u32)read_cr4();
    rec32("clear-pae", got);
    write_cr3(0);
}

/* ------------------------------------------------------------ CPL 3 */
struct r3 {
    u32 vec, err;
    u32 v[4];
};
static struct r3 r3res[12];
static unsigned r3n;

static void r3_save(u32 a, u32 b, u32 c, u32 d)
{
    struct r3 *r = &r3res[r3n++];
    r->vec = fault_vec;
    r->err = fault_err;
    r->v[0] = a; r->v[1] = b; r->v[2] = c; r->v[3] = d;
}

static void cpl3_body(void)
{
    u32 r[4];
    u64 v = 0;
    uptr x = 0;
    u32 w = 0;

    t_cpuid(1, 0, r);
    r3_save(r[0], r[1], r[2], r[3]);
    t_xgetbv(0, &v);
    r3_save((u32)v, (u32)(v >> 32), 0, 0);
    t_xsetbv(0, 0x3);
    r3_save(0, 0, 0, 0);
    t_rd_cr0(&x);
    r3_save((u32)x, 0, 0, 0);
    t_wr_cr4(0);
    r3_save(0, 0, 0, 0);
    t_clts();
    r3_save(0, 0, 0, 0);
    t_rdmsr(0xc0000080u, &v);
    r3_save((u32)v, 0, 0, 0);
    t_hlt();
    r3_save(0, 0, 0, 0);
    t_smsw_r32(&w);
    r3_save(w, 0, 0, 0);
    t_lmsw(0x1);
    r3_save(0, 0, 0, 0);
    t_ud2();
    r3_save(0, 0, 0, 0);
    fault_arm();
    __asm__ volatile(TRY_BEGIN "outb %%al, $0xe9" TRY_END : : "a"(0) : "memory");
    r3_save(0, 0, 0, 0);
    __asm__ volatile("int $0x80");
    __builtin_unreachable();
}

static void cpl3_cases(void)
{
    static const struct { const char *name; int kind; } names[] = {
        { "cpuid.1", 4 }, { "xgetbv0", 2 }, { "xsetbv-xcr0-3", 1 },
        { "mov-from-cr0", 1 }, { "mov-to-cr4", 1 }, { "clts", 1 },
        { "rdmsr-efer", 1 }, { "hlt", 1 }, { "smsw-r32", 1 }, { "lmsw", 1 },
        { "ud2", 1 }, { "out-e9-iopl0", 1 },
    };
    u32 cr4 = (u32)read_cr4();
    if (cpuid1_ecx & (1u << 26))
        write_cr4(cr4 | CR4_OSXSAVE);
    r3n = 0;
    run_cpl3(cpl3_body);
    write_cr4(cr4);
    for (unsigned i = 0; i < r3n && i < sizeof(names) / sizeof(names[0]); i++) {
        struct r3 *r = &r3res[i];
        fault_vec = r->vec;
        fault_err = r->err;
        if (names[i].kind == 4)
            rec4(names[i].name, r->v[0], r->v[1], r->v[2], r->v[3]);
        else if (names[i].kind == 2)
            rec64(names[i].name, ((u64)r->v[1] << 32) | r->v[0]);
        else
            rec32(names[i].name, r->v[0]);
    }
    note32("back-at-cpl0-cs", ({ u32 cs; __asm__ volatile("mov %%cs, %0" : "=r"(cs)); cs; }));
}

/* ------------------------------------------------- fault frames
 * (frames.h) The library's paths in protected mode: MOV CR0/CR4 and XSETBV
 * checks (cr.c), WRMSR/RDMSR (msr.c, run.c), single-step after the
 * instructions it completes (CPUID, RDMSR, WRMSR, MMIO; vcpu.h
 * x86vcpu__step_trap), and MMIO emulation whose other operand faults (#PF
 * with CR2 and error code, #GP on the segment limit; mmio.c, gmem.c). The
 * DR cases are the CPU's own once the library handed DR0-3 over (dr.c). */
static u32 fr_buf[8];

static void fr_cr_cases(void)
{
    u32 cr4 = (u32)read_cr4(), a = cr4 | (1u << 25);
    fr_arm();
    __asm__ volatile(FR_ASM("", "mov %0, %%cr4") : : "r"(a) : "memory");
    fr_rec("gp-mov-cr4-reserved-bit25", 0, 0);
    write_cr4(cr4);
    a = CR0_BASE | CR0_NW;
    fr_arm();
    __asm__ volatile(FR_ASM("", "mov %0, %%cr0") : : "r"(a) : "memory");
    fr_rec("gp-mov-cr0-nw-without-cd", 0, 0);
    write_cr0(CR0_BASE);
    if (!(cpuid1_ecx & (1u << 26)))
        return;
    write_cr4(cr4 & ~CR4_OSXSAVE);
    fr_arm();
    __asm__ volatile(FR_ASM("", "xsetbv") : : "a"(1), "d"(0), "c"(0) : "memory");
    fr_rec("ud-xsetbv-osxsave-off", 0, 0);
    write_cr4(cr4 | CR4_OSXSAVE);
    fr_arm();
    __asm__ volatile(FR_ASM("", "xsetbv") : : "a"(0), "d"(0), "c"(0) : "memory");
    fr_rec("gp-xsetbv-xcr0-0", 0, 0);
    write_cr4(cr4);
}

static void fr_msr_cases(void)
{
    fr_arm();
    __asm__ volatile(FR_ASM("", "wrmsr") : : "c"(0xc0000080u), "a"(2), "d"(0) : "memory");
    fr_rec("gp-wrmsr-efer-reserved-bit1", 0, 0);
    fr_arm();
    __asm__ volatile(FR_ASM("", "wrmsr") : : "c"(0x277), "a"(0x00070402u), "d"(0x00070406u)
                     : "memory");
    fr_rec("gp-wrmsr-pat-type2", 0, 0);
    u32 lo = 0x1234, hi = 0x5678;
    fr_arm();
    __asm__ volatile(FR_ASM("", "rdmsr") : "+a"(lo), "+d"(hi) : "c"(0xc0011234u) : "memory");
    u32 r[2] = { lo, hi };
    fr_rec("gp-rdmsr-unimplemented-c0011234", 2, r);
}

/* TF = 1 before the instruction: #DB (DR6.BS) after it, EIP past it. */

static void fr_step_cases(void)
{
    u32 a = 0, b, c = 0, d;
    fr_arm();
    __asm__ volatile(FR_ASM(FR_TF_ON, "cpuid") : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "memory");
    fr_rec("db-single-step-cpuid", 0, 0);
    fr_arm();
    __asm__ volatile(FR_ASM(FR_TF_ON, "rdmsr") : "=a"(a), "=d"(d) : "c"(0xc0000080u) : "memory");
    fr_rec("db-single-step-rdmsr-efer", 0, 0);
    fr_arm();
    __asm__ volatile(FR_ASM(FR_TF_ON, "wrmsr") : : "c"(0xc0000103u), "a"(0), "d"(0) : "memory");
    fr_rec("db-single-step-wrmsr-tsc-aux", 0, 0);
    mmio_write32(GUEST_MMIO_BASE, 0x11223344u);
    fr_arm();
    __asm__ volatile(FR_ASM(FR_TF_ON, "movl (%1), %0") : "=r"(a) : "r"(GUEST_MMIO_BASE) : "memory");
    fr_rec("db-single-step-mmio-read", 1, &a);
    fr_arm();
    __asm__ volatile(FR_ASM(FR_TF_ON, "movl %0, 4(%1)") : : "r"(0x55667788u), "r"(GUEST_MMIO_BASE)
                     : "memory");
    a = mmio_read32(GUEST_MMIO_BASE + 4);
    fr_rec("db-single-step-mmio-write", 1, &a);
    /* A REP string instruction traps after each iteration (SDM 18.3.1.4). */
    u32 s = GUEST_MMIO_BASE, dst = (u32)(uptr)fr_buf, n = 3;
    fr_arm();
    __asm__ volatile(FR_ASM(FR_TF_ON, "rep movsl") : "+S"(s), "+D"(dst), "+c"(n) : : "memory");
    u32 r[3] = { s - GUEST_MMIO_BASE, dst - (u32)(uptr)fr_buf, n };
    fr_rec("db-single-step-rep-movs-mmio", 3, r);
}

/* PAE paging with 2 MiB pages: 0x600000 not present, 0x800000 read-only
 * (CR0.WP = 1), the rest as pd maps it. */
static u64 pd_fr[512] __attribute__((aligned(4096)));
static u64 pdpt_fr[4] __attribute__((aligned(32)));
#define FR_NP 0x600000u
#define FR_RO 0x800000u

static void fr_mmio_cases(void)
{
    for (int i = 0; i < 512; i++)
        pd_fr[i] = ((u64)i << 21) | 0x83;
    pd_fr[FR_NP >> 21] = 0;
    pd_fr[FR_RO >> 21] &= ~2ull;
    pdpt_fr[0] = (u32)(uptr)pd_fr | 1;
    for (int i = 1; i < 4; i++)
        pdpt_fr[i] = 0;
    for (u32 i = 0; i < 4; i++)
        mmio_write32(GUEST_MMIO_BASE + 4 * i, 0xa0a0a0a0u + i);
    write_cr4(CR4_PAE);
    write_cr3((u32)(uptr)pdpt_fr);
    write_cr0(CR0_BASE | CR0_PG | CR0_WP);

    /* MOVS from MMIO: the read exits, the library writes the destination. */
    u32 s = GUEST_MMIO_BASE, d = FR_NP, n;
    fr_arm();
    __asm__ volatile(FR_ASM("", "movsl") : "+S"(s), "+D"(d) : : "memory");
    u32 r[3] = { s - GUEST_MMIO_BASE, d - FR_NP, 0 };
    fr_rec("pf-movs-mmio-to-not-present", 2, r);
    /* REP: two elements land, the third faults: ECX/ESI/EDI say so. */
    s = GUEST_MMIO_BASE, d = FR_NP - 8;
    n = 4;
    fr_arm();
    __asm__ volatile(FR_ASM("", "rep movsl") : "+S"(s), "+D"(d), "+c"(n) : : "memory");
    r[0] = s - GUEST_MMIO_BASE, r[1] = FR_NP - d, r[2] = n;
    fr_rec("pf-rep-movs-mmio-into-not-present", 3, r);
    r[0] = *(volatile u32 *)(uptr)(FR_NP - 8), r[1] = *(volatile u32 *)(uptr)(FR_NP - 4);
    fr_hit = 0;
    fr_rec("pf-rep-movs-mmio-elements-before", 2, r);
    s = GUEST_MMIO_BASE, d = FR_RO;
    fr_arm();
    __asm__ volatile(FR_ASM("", "movsl") : "+S"(s), "+D"(d) : : "memory");
    r[0] = s - GUEST_MMIO_BASE, r[1] = d - FR_RO;
    fr_rec("pf-movs-mmio-to-read-only", 2, r);
    /* REP INSD whose first element runs from the read-only page into the
     * next, writable one: #PF(3) on the first page, and the next page's
     * PDE keeps A and D clear: it was never used (SDM 4.8; the guest
     * fuzzer's seed 14 program 24474). */
    u32 nx = (FR_RO >> 21) + 1;
    pd_fr[nx] &= ~0x60ull;
    __asm__ volatile("invlpg (%0)" : : "r"((uptr)(nx << 21)) : "memory");
    d = (nx << 21) - 3, n = 2;
    fr_arm();
    __asm__ volatile(FR_ASM("", "rep insl") : "+D"(d), "+c"(n) : "d"(0x80) : "memory");
    r[0] = (nx << 21) - d, r[1] = n, r[2] = (u32)pd_fr[nx] & 0x60;
    fr_rec("pf-rep-ins-split-read-only-first-next-page-ad", 3, r);
    /* LODS is no fault; STOS to MMIO through a not-present page is the
     * CPU's own #PF: the same record either way. */
    d = FR_NP + 0x10;
    fr_arm();
    __asm__ volatile(FR_ASM("", "stosl") : "+D"(d) : "a"(0) : "memory");
    r[0] = d - FR_NP;
    fr_rec("pf-stos-not-present", 1, r);

    write_cr0(CR0_BASE);
    write_cr4(0);

    /* ES = GDT_DATA16 (limit 0xffff): the MMIO read exits, the write's
     * segment check is the library's: #GP(0), nothing written. */
    s = GUEST_MMIO_BASE, d = 0x10000;
    fr_arm();
    __asm__ volatile(FR_ASM("movw %w2, %%es", "movsl") "movw %w3, %%es"
                     : "+S"(s), "+D"(d) : "r"(GDT_DATA16), "r"(GDT_DATA) : "memory");
    r[0] = s - GUEST_MMIO_BASE, r[1] = d - 0x10000;
    fr_rec("gp-movs-mmio-es-limit", 2, r);
}

/* The CPU's own #DB (DR7.GD, DR6.BD) and #UD (DR4 with CR4.DE) once the
 * guest owns its debug registers. */
static void fr_dr_cases(void)
{
    u32 a = 0;
    fr_arm();
    __asm__ volatile(FR_ASM("mov %1, %%dr7", "mov %%dr0, %0") : "+r"(a) : "r"(0x2400u) : "memory");
    fr_rec("db-dr7-gd-mov-dr0", 0, 0);
    fr_wr_dr7(0x400);
    u32 cr4 = (u32)read_cr4();
    write_cr4(cr4 | (1u << 3));
    fr_arm();
    __asm__ volatile(FR_ASM("", "mov %%dr4, %0") : "+r"(a) : : "memory");
    fr_rec("ud-mov-dr4-cr4-de", 0, 0);
    write_cr4(cr4);
}

static void frame_cases(void)
{
    fr_install(1);
    fr_cr_cases();
    fr_msr_cases();
    fr_step_cases();
    fr_mmio_cases();
    fr_dr_cases();
    fr_install(0);
}

/* -------------------------------------------------------- real mode */
/* The real-mode part prints its own records (mode "rm"). */
static void rm_cases(void)
{
    memcpy((void *)(uptr)RM_BASE, rm_blob_start, (size_t)(rm_blob_end - rm_blob_start));
    u32 cr4 = (u32)read_cr4();
    if (cpuid1_ecx & (1u << 26))
        write_cr4(cr4 | CR4_OSXSAVE);
    case_count += rm_run();
    write_cr4(cr4);
    note32("back-in-pm-cr0", (u32)read_cr0());
}

/* ------------------------------------------------------------- main */
int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    setup_cpl3();
    cur_mode = "pm";
    printf("diffkernel: start\n");
    note32("boot-magic", mb_magic);

    /* A known baseline, whatever the loader left. */
    write_cr0(CR0_BASE);
    write_cr4(0);
    write_cr3(0);
    note32("cr0-baseline", (u32)read_cr0());
    note32("cr4-baseline", (u32)read_cr4());

    cpuid_cases();
    cr0_cases();
    cr4_cases();
    cr3_cases();
    xsetbv_cases();
    msr_cases();

    cur_mode = "frame";
    frame_cases();

    cur_mode = "pae";
    build_page_tables();
    pae_cases();

    cur_mode = "cpl3";
    cpl3_cases();

    cur_mode = "rm";
    rm_cases();

    cur_mode = "lm";
    write_cr0(CR0_BASE);
    write_cr4(0);
    printf("diffkernel: %u cases before long mode\n", case_count);
    enter_long((u32)(uptr)pml4);
}

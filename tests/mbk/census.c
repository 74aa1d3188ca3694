/* census.elf — every CPUID feature bit the guest sees, and the MSRs and
 * instructions each one implies (issue 12, docs/CPUID.md). For each
 * feature one line:
 *     ok - <feature>: shown, works
 *     ok - <feature>: hidden, #GP as absent     (or #UD)
 * A shown feature must raise no fault in any of its probes; a hidden one
 * must fault in every probe, with the fault the SDM gives an absent
 * feature. Under a hypervisor (CPUID.1:ECX[31]) the kernel asserts this.
 * On bare Bochs (no hypervisor bit) it reports instead: "# <feature>:
 * shown, faults (#GP)" lines list what bare Bochs shows but lacks, the
 * reason those features are hidden by default; the run is a smoke run.
 * 32-bit protected mode without paging: features needing IA-32e mode
 * (FSGSBASE instructions, PCID, SYSCALL, LM) are named and skipped. */
#include "libtest.h"

static int strict;                  /* hypervisor present: assert */
static u32 c1, d1, b7, c7, d7, a7_1;    /* leaf 1 ECX/EDX, 7.0 EBX/ECX/EDX, 7.1 EAX */
static u32 max_basic, max_ext;
static u32 reported_faults;

/* ------------------------------------------------------------ one feature */
static const char *f_name;
static int f_shown, f_first;        /* first fault of its probes, or NOFAULT */
static int f_all_faulted;

static void begin(const char *name, int shown)
{
    f_name = name;
    f_shown = shown;
    f_first = NOFAULT;
    f_all_faulted = 1;
}

/* One probe's result: NOFAULT or a vector. */
static void probe(int vec)
{
    if (vec == NOFAULT)
        f_all_faulted = 0;
    else if (f_first == NOFAULT)
        f_first = vec;
}

/* absent: the fault an absent feature's probes raise (#GP for MSRs and CR4
 * bits, #UD for instructions). */
static void end(int absent)
{
    if (!strict) {
        if (f_shown && f_first != NOFAULT) {
            note("%s: shown, faults (%s)", f_name, fault_name(f_first));
            reported_faults++;
        } else if (f_shown) {
            note("%s: shown, works", f_name);
        } else {
            note("%s: hidden, %s", f_name,
                 f_all_faulted ? fault_name(f_first) : "but does not fault");
        }
        return;
    }
    if (f_shown)
        check_fault(f_first, NOFAULT, "%s: shown, works", f_name);
    else
        check_fault(f_all_faulted ? f_first : NOFAULT, absent, "%s: hidden, %s as absent", f_name,
                    fault_name(absent));
}

/* ------------------------------------------------------------ probes */
static int rd(u32 msr)
{
    u64 v;
    return rdmsr_safe(msr, &v);
}

/* Read, then write the value read back (when the read worked). */
static int rdwr(u32 msr)
{
    u64 v = 0;
    int r = rdmsr_safe(msr, &v);
    int w = wrmsr_safe(msr, r == NOFAULT ? v : 0);
    return r != NOFAULT ? r : w;
}

static int cr4_bit(unsigned bit)
{
    uptr cr4 = read_cr4();
    fault_arm();
    __asm__ volatile(TRY_BEGIN "mov %0, %%cr4" TRY_END : : "r"(cr4 | (1u << bit)) : "memory");
    int v = fault_vec;
    write_cr4(cr4);
    return v;
}

#define INSN(text, ...)                                                          \
    ({                                                                            \
        fault_arm();                                                              \
        __asm__ volatile(TRY_BEGIN text TRY_END __VA_ARGS__);                     \
        fault_vec;                                                                \
    })

static u8 xarea[4096] __attribute__((aligned(64)));
static u8 line[64] __attribute__((aligned(64)));
static u32 invpcid_desc[4] __attribute__((aligned(16)));

static int bit(u32 r, unsigned n) { return (r >> n) & 1; }

/* -------------------------------------------------------- leaf 1 EDX */
static void leaf1_edx(void)
{
    begin("TSC (1:EDX[4]) rdtsc", bit(d1, 4));
    probe(INSN("rdtsc", : : : "eax", "edx", "memory"));
    end(VEC_UD);
    begin("MSR (1:EDX[5]) rdmsr IA32_TSC", bit(d1, 5));
    probe(rd(0x10));
    end(VEC_UD);
    begin("MCE (1:EDX[7]) CR4.MCE", bit(d1, 7));
    probe(cr4_bit(6));
    end(VEC_GP);
    begin("APIC (1:EDX[9]) IA32_APIC_BASE", bit(d1, 9));
    probe(rd(0x1b));
    end(VEC_GP);
    begin("SEP (1:EDX[11]) SYSENTER_CS/ESP/EIP", bit(d1, 11));
    probe(rdwr(0x174));
    probe(rdwr(0x175));
    probe(rdwr(0x176));
    end(VEC_GP);
    begin("MTRR (1:EDX[12]) MTRRCAP, MTRRdefType", bit(d1, 12));
    probe(rd(0xfe));
    probe(rdwr(0x2ff));
    end(VEC_GP);
    begin("MCA (1:EDX[14]) MCG_CAP, MCG_STATUS", bit(d1, 14));
    probe(rd(0x179));
    probe(rdwr(0x17a));
    end(VEC_GP);
    begin("PAT (1:EDX[16]) IA32_PAT", bit(d1, 16));
    probe(rdwr(0x277));
    end(VEC_GP);
    begin("CLFSH (1:EDX[19]) clflush", bit(d1, 19));
    probe(INSN("clflush %0", : "+m"(line[0]) : : "memory"));
    end(VEC_UD);
    begin("DS (1:EDX[21]) IA32_DS_AREA", bit(d1, 21));
    probe(rd(0x600));
    end(VEC_GP);
    begin("ACPI (1:EDX[22]) CLOCK_MODULATION, THERM_INTERRUPT/STATUS", bit(d1, 22));
    probe(rd(0x19a));
    probe(rd(0x19b));
    probe(rd(0x19c));
    end(VEC_GP);
    begin("TM (1:EDX[29]) IA32_THERM_STATUS", bit(d1, 29));
    probe(rd(0x19c));
    end(VEC_GP);
}

/* -------------------------------------------------------- leaf 1 ECX */
static void leaf1_ecx(void)
{
    begin("DTES64/DS-CPL (1:ECX[2,4]) IA32_DS_AREA", bit(c1, 2) || bit(c1, 4));
    probe(rd(0x600));
    end(VEC_GP);
    /* MWAIT is not executed where shown: with interrupts off it could
     * sleep; MONITOR alone shows the instruction pair is there. */
    begin("MONITOR (1:ECX[3]) monitor, mwait", bit(c1, 3));
    probe(INSN("monitor", : : "a"(line), "c"(0), "d"(0) : "memory"));
    if (!bit(c1, 3))
        probe(INSN("mwait", : : "a"(0), "c"(0) : "memory"));
    end(VEC_UD);
    begin("VMX (1:ECX[5]) IA32_VMX_BASIC, CR4.VMXE", bit(c1, 5));
    probe(rd(0x480));
    probe(cr4_bit(13));
    end(VEC_GP);
    begin("SMX (1:ECX[6]) CR4.SMXE", bit(c1, 6));
    probe(cr4_bit(14));
    end(VEC_GP);
    begin("EST (1:ECX[7]) IA32_PERF_STATUS/CTL", bit(c1, 7));
    probe(rd(0x198));
    probe(rd(0x199));
    end(VEC_GP);
    begin("SDBG (1:ECX[11]) IA32_DEBUG_INTERFACE", bit(c1, 11));
    probe(rd(0xc80));
    end(VEC_GP);
    begin("PDCM (1:ECX[15]) IA32_PERF_CAPABILITIES", bit(c1, 15));
    probe(rd(0x345));
    end(VEC_GP);
    note("PCID (1:ECX[17]) %s: CR4.PCIDE needs IA-32e mode, not probed",
         bit(c1, 17) ? "shown" : "hidden");
    begin("TSC-deadline (1:ECX[24]) IA32_TSC_DEADLINE", bit(c1, 24));
    probe(rd(0x6e0));
    end(VEC_GP);
    begin("RDRAND (1:ECX[30]) rdrand", bit(c1, 30));
    u32 r;
    probe(INSN("rdrand %0", : "=r"(r) : : "memory", "cc"));
    end(VEC_UD);
}

/* ------------------------------------------------------------ XSAVE */
static void xsave_family(void)
{
    u32 a, b, c, d, d1a = 0;
    if (max_basic >= 0xd)
        cpuid(0xd, 1, &d1a, &b, &c, &d);
    int xsave = bit(c1, 26);
    begin("XSAVE (1:ECX[26]) CR4.OSXSAVE, xgetbv, xsetbv, xsave", xsave);
    probe(cr4_bit(18));
    if (xsave)
        write_cr4(read_cr4() | (1u << 18));
    probe(INSN("xgetbv", : "=a"(a), "=d"(d) : "c"(0) : "memory"));
    probe(INSN("xsetbv", : : "a"(3), "d"(0), "c"(0) : "memory"));
    probe(INSN("xsave %0", : "+m"(xarea) : "a"(3), "d"(0) : "memory"));
    end(VEC_UD);
    cpuid(1, 0, &a, &b, &c, &d);
    if (xsave)
        check(bit(c, 27), "OSXSAVE (1:ECX[27]) follows CR4.OSXSAVE = 1");
    /* The 0xD.1 instructions need CR4.OSXSAVE: absent XSAVE, skip them. */
    if (!xsave)
        return;
    begin("XSAVEOPT (0xD.1:EAX[0]) xsaveopt", bit(d1a, 0));
    probe(INSN("xsaveopt %0", : "+m"(xarea) : "a"(3), "d"(0) : "memory"));
    end(VEC_UD);
    begin("XSAVEC (0xD.1:EAX[1]) xsavec", bit(d1a, 1));
    probe(INSN("xsavec %0", : "+m"(xarea) : "a"(3), "d"(0) : "memory"));
    end(VEC_UD);
    begin("XGETBV1 (0xD.1:EAX[2]) xgetbv ecx=1", bit(d1a, 2));
    probe(INSN("xgetbv", : "=a"(a), "=d"(d) : "c"(1) : "memory"));
    end(VEC_GP);
    begin("XSAVES (0xD.1:EAX[3]) xsaves, xrstors, IA32_XSS", bit(d1a, 3));
    probe(INSN("xsaves %0", : "+m"(xarea) : "a"(3), "d"(0) : "memory"));
    probe(INSN("xrstors %0", : "+m"(xarea) : "a"(3), "d"(0) : "memory"));
    probe(rdwr(0xda0));
    end(VEC_UD);
}

/* ------------------------------------------------------------ leaf 7 */
static void leaf7(void)
{
    begin("FSGSBASE (7:EBX[0]) CR4.FSGSBASE (the instructions need 64-bit mode)", bit(b7, 0));
    probe(cr4_bit(16));
    end(VEC_GP);
    begin("TSC_ADJUST (7:EBX[1]) IA32_TSC_ADJUST", bit(b7, 1));
    probe(rd(0x3b));
    end(VEC_GP);
    begin("SMEP (7:EBX[7]) CR4.SMEP", bit(b7, 7));
    probe(cr4_bit(20));
    end(VEC_GP);
    begin("INVPCID (7:EBX[10]) invpcid type 2", bit(b7, 10));
    probe(INSN("invpcid %0, %1", : : "m"(invpcid_desc), "r"(2) : "memory"));
    end(VEC_UD);
    begin("RDSEED (7:EBX[18]) rdseed", bit(b7, 18));
    u32 r;
    probe(INSN("rdseed %0", : "=r"(r) : : "memory", "cc"));
    end(VEC_UD);
    begin("SMAP (7:EBX[20]) CR4.SMAP", bit(b7, 20));
    probe(cr4_bit(21));
    end(VEC_GP);
    begin("CLFLUSHOPT (7:EBX[23]) clflushopt", bit(b7, 23));
    probe(INSN("clflushopt %0", : "+m"(line[0]) : : "memory"));
    end(VEC_UD);
    begin("CLWB (7:EBX[24]) clwb", bit(b7, 24));
    probe(INSN("clwb %0", : "+m"(line[0]) : : "memory"));
    end(VEC_UD);
    begin("Intel PT (7:EBX[25]) IA32_RTIT_CTL/STATUS", bit(b7, 25));
    probe(rd(0x570));
    probe(rd(0x571));
    end(VEC_GP);
    begin("UMIP (7:ECX[2]) CR4.UMIP", bit(c7, 2));
    probe(cr4_bit(11));
    end(VEC_GP);
    begin("PKU (7:ECX[3]) CR4.PKE", bit(c7, 3));
    probe(cr4_bit(22));
    end(VEC_GP);
    begin("WAITPKG (7:ECX[5]) umonitor", bit(c7, 5));
    probe(INSN("umonitor %0", : : "r"(line) : "memory"));
    end(VEC_UD);
    begin("LA57 (7:ECX[16]) CR4.LA57", bit(c7, 16));
    probe(cr4_bit(12));
    end(VEC_GP);
    begin("RDPID (7:ECX[22]) rdpid", bit(c7, 22));
    u32 p;
    probe(INSN("rdpid %0", : "=r"(p) : : "memory"));
    end(VEC_UD);
    begin("IBRS/IBPB (7:EDX[26]) IA32_SPEC_CTRL, IA32_PRED_CMD", bit(d7, 26));
    probe(rd(0x48));
    probe(wrmsr_safe(0x49, 0));
    end(VEC_GP);
    begin("ARCH_CAPABILITIES (7:EDX[29]) IA32_ARCH_CAPABILITIES", bit(d7, 29));
    probe(rd(0x10a));
    end(VEC_GP);
    begin("CORE_CAPABILITIES (7:EDX[30]) IA32_CORE_CAPABILITIES", bit(d7, 30));
    probe(rd(0xcf));
    end(VEC_GP);
    begin("LASS (7.1:EAX[6]) CR4.LASS", bit(a7_1, 6));
    probe(cr4_bit(27));
    end(VEC_GP);
    begin("LAM (7.1:EAX[26]) CR4.LAM_SUP", bit(a7_1, 26));
    probe(cr4_bit(28));
    end(VEC_GP);
}

/* ------------------------------------------------------- PMU, thermal */
static void pmu(void)
{
    u32 a = 0, b, c, d;
    if (max_basic >= 0xa)
        cpuid(0xa, 0, &a, &b, &c, &d);
    u32 version = a & 0xff, gp = (a >> 8) & 0xff;
    begin("PMU (leaf 0xA) PERFEVTSEL0, PMC0, rdpmc", version != 0);
    probe(rdwr(0x186));
    probe(rdwr(0xc1));
    u32 lo, hi;
    probe(INSN("rdpmc", : "=a"(lo), "=d"(hi) : "c"(0) : "memory"));
    end(VEC_GP);
    if (version && !gp)
        note("PMU: version %u with no general-purpose counters", version);
    begin("PMU v2 (leaf 0xA) FIXED_CTR_CTRL, PERF_GLOBAL_CTRL/STATUS", version >= 2);
    probe(rdwr(0x38d));
    probe(rdwr(0x38f));
    probe(rd(0x38e));
    end(VEC_GP);
    begin("PEBS (MISC_ENABLE[12] = 0) IA32_PEBS_ENABLE", 0);
    u64 me = 0;
    if (rdmsr_safe(0x1a0, &me) == NOFAULT && !(me & (1u << 12)))
        f_shown = 1;
    probe(rd(0x3f1));
    end(VEC_GP);
}

static void thermal(void)
{
    u32 a = 0, b = 0, c = 0, d = 0;
    if (max_basic >= 6)
        cpuid(6, 0, &a, &b, &c, &d);
    begin("DTS (6:EAX[0]) IA32_THERM_STATUS", bit(a, 0));
    probe(rd(0x19c));
    end(VEC_GP);
    begin("PTM (6:EAX[6]) IA32_PACKAGE_THERM_STATUS", bit(a, 6));
    probe(rd(0x1b1));
    end(VEC_GP);
    begin("HWP (6:EAX[7]) IA32_PM_ENABLE, HWP_CAPABILITIES", bit(a, 7));
    probe(rd(0x770));
    probe(rd(0x771));
    end(VEC_GP);
    begin("APERF/MPERF (6:ECX[0])", bit(c, 0));
    probe(rd(0xe7));
    probe(rd(0xe8));
    end(VEC_GP);
    begin("EPB (6:ECX[3]) IA32_ENERGY_PERF_BIAS", bit(c, 3));
    probe(rd(0x1b0));
    end(VEC_GP);
    note("ARAT (6:EAX[2]) %s: no MSR, not probed", bit(a, 2) ? "shown" : "hidden");
}

/* ------------------------------------------------------- extended leaves */
static void extended(void)
{
    u32 a, b, c = 0, d = 0;
    if (max_ext >= 0x80000001u)
        cpuid(0x80000001u, 0, &a, &b, &c, &d);
    begin("RDTSCP (80000001H:EDX[27]) rdtscp, IA32_TSC_AUX", bit(d, 27));
    u32 lo, hi, aux;
    probe(INSN("rdtscp", : "=a"(lo), "=d"(hi), "=c"(aux) : : "memory"));
    probe(rdwr(0xc0000103u));
    end(VEC_UD);
    begin("NX (80000001H:EDX[20]) IA32_EFER.NXE", bit(d, 20));
    u64 efer = 0;
    int r = rdmsr_safe(0xc0000080u, &efer);
    probe(r != NOFAULT ? r : wrmsr_safe(0xc0000080u, efer | (1u << 11)));
    if (r == NOFAULT)
        wrmsr_safe(0xc0000080u, efer);
    end(VEC_GP);
    note("SYSCALL, LM, 1 GiB pages (80000001H:EDX[11,29,26]): need IA-32e mode, not probed");
}

/* ------------------------------------------------- the MSRs a PC has */
static void pc_msrs(void)
{
    u64 me = 0, cap = 0, v = 0;
    u32 a, b, c, d;
    /* IA32_MISC_ENABLE is architectural on every CPU with CPUID; its
     * read-only bits must agree with CPUID (SDM Vol. 4 Table 2-2). */
    int r = rdmsr_safe(0x1a0, &me);
    u32 pmu_version = 0;
    if (max_basic >= 0xa) {
        cpuid(0xa, 0, &a, &b, &c, &d);
        pmu_version = a & 0xff;
    }
    if (strict) {
        check_fault(r, NOFAULT, "IA32_MISC_ENABLE: readable");
        check_eq((me >> 7) & 1, pmu_version != 0, "MISC_ENABLE[7] (perfmon available) = PMU shown");
        check_eq((me >> 11) & 1, !bit(d1, 21), "MISC_ENABLE[11] (BTS unavailable) = DS hidden");
        check_eq((me >> 18) & 1, bit(c1, 3), "MISC_ENABLE[18] (MONITOR) = 1:ECX[3]");
        check_eq((me >> 34) & 1, 0, "MISC_ENABLE[34] (XD disable) = 0");
        /* Limit CPUID maxval (bit 22): CPUID.0:EAX reads 2 while set. */
        int w = wrmsr_safe(0x1a0, me | (1u << 22));
        cpuid(0, 0, &a, &b, &c, &d);
        wrmsr_safe(0x1a0, me);
        check(w == NOFAULT && a == 2, "MISC_ENABLE[22] set: CPUID.0:EAX = 2 (got %u)", a);
        cpuid(0, 0, &a, &b, &c, &d);
        check_eq(a, max_basic, "MISC_ENABLE[22] clear: CPUID.0:EAX back");
        check_fault(wrmsr_safe(0x1a0, me | (1ull << 34)), VEC_GP,
                    "MISC_ENABLE[34] (XD disable) write: #GP, NX cannot go");
    } else {
        note("IA32_MISC_ENABLE: %s, %08x%08x", fault_name(r), (u32)(me >> 32), (u32)me);
    }
    /* MTRRs consistent with MTRRCAP: VCNT variable pairs, fixed ranges if
     * FIX, a written range reads back, reserved bits #GP (SDM 12.11). */
    if (!bit(d1, 12))
        return;
    r = rdmsr_safe(0xfe, &cap);
    u32 vcnt = (u32)cap & 0xff;
    int fails = 0;
    for (u32 i = 0; i < 2 * vcnt && r == NOFAULT; i++)
        fails += rdmsr_safe(0x200 + i, &v) != NOFAULT;
    u32 maxphy = 36;
    if (max_ext >= 0x80000008u) {
        cpuid(0x80000008u, 0, &a, &b, &c, &d);
        maxphy = a & 0xff;
    }
    u32 last = vcnt ? 0x200 + 2 * (vcnt - 1) : 0x200;   /* the last PhysBase */
    u64 old = 0;
    rdmsr_safe(last, &old);
    u64 base = (1ull << (maxphy - 1)) | 0x6;        /* WB at the top half */
    int w = wrmsr_safe(last, base);
    u64 rb = 0;
    rdmsr_safe(last, &rb);
    int rsv = wrmsr_safe(last, (1ull << maxphy) | 0x6);
    int badtype = wrmsr_safe(0x2ff, 0x802);
    wrmsr_safe(last, old);
    if (cap & (1u << 8)) {
        static const u32 fixed[] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b,
                                     0x26c, 0x26d, 0x26e, 0x26f };
        for (u32 i = 0; i < 11; i++)
            fails += rdmsr_safe(fixed[i], &v) != NOFAULT;
    }
    if (strict) {
        check(r == NOFAULT && vcnt > 0, "MTRRCAP: %u variable ranges, fixed %u, WC %u", vcnt,
              (u32)(cap >> 8) & 1, (u32)(cap >> 10) & 1);
        check_eq(fails, 0, "MTRR PhysBase/PhysMask 0..VCNT-1 and fixed ranges readable");
        check(w == NOFAULT && rb == base, "MTRR PhysBase%u written reads back", vcnt - 1);
        check_fault(rsv, VEC_GP, "MTRR PhysBase bit MAXPHYADDR (%u): #GP", maxphy);
        check_fault(badtype, VEC_GP, "MTRRdefType type 2 (reserved): #GP");
        check_fault(rd(0x200 + 2 * vcnt), VEC_GP, "MTRR PhysBase%u (past VCNT): #GP", vcnt);
    } else {
        note("MTRRCAP %x: %u ranges unreadable, roundtrip %s, reserved %s, type 2 %s", (u32)cap,
             fails, w == NOFAULT && rb == base ? "ok" : "differs", fault_name(rsv),
             fault_name(badtype));
    }
    /* Machine-check banks: MCG_CAP.Count of them (SDM 16.3). */
    u64 mcg = 0;
    if (bit(d1, 14) && rdmsr_safe(0x179, &mcg) == NOFAULT) {
        u32 banks = (u32)mcg & 0xff;
        begin("MCA banks (MCG_CAP.Count) MC0_CTL", banks > 0);
        probe(rd(0x400));
        end(VEC_GP);
    }
}

/* Last: x2APIC mode stays on (leaving it means disabling the APIC). */
static void x2apic(void)
{
    u64 base = 0;
    begin("x2APIC (1:ECX[21]) x2APIC mode, APIC ID MSR", bit(c1, 21));
    int r = rdmsr_safe(0x1b, &base);
    probe(r != NOFAULT ? r : wrmsr_safe(0x1b, base | (1u << 10) | (1u << 11)));
    probe(rd(0x802));
    end(VEC_GP);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    u32 a, b, c, d;
    cpuid(0, 0, &max_basic, &b, &c, &d);
    cpuid(0x80000000u, 0, &max_ext, &b, &c, &d);
    cpuid(1, 0, &a, &b, &c1, &d1);
    if (max_basic >= 7) {
        cpuid(7, 0, &a, &b7, &c7, &d7);
        if (a >= 1)
            cpuid(7, 1, &a7_1, &b, &c, &d);
    }
    strict = bit(c1, 31);
    note("mode: %s", strict ? "hypervisor, every feature asserted"
                           : "bare (no hypervisor bit): report only");
    note("CPUID 1: %08x %08x  7.0: %08x %08x %08x  max %x %x", c1, d1, b7, c7, d7, max_basic,
         max_ext);
    leaf1_edx();
    leaf1_ecx();
    xsave_family();
    leaf7();
    pmu();
    thermal();
    extended();
    pc_msrs();
    x2apic();
    if (!strict)
        note("bare: %u shown features fault", reported_faults);
    return report_summary();
}

/* tests/diff/lm.c — long-mode (64-bit) cases of the differential test
 * kernel, linked on its own for LM_BASE (tests/lib/boot/flat.ld) and
 * entered from modes.S's enter_long() through lm64.S, with paging on
 * (PML4 -> 1 GiB of 2 MiB identity pages), EFER.LME|LMA, CR4.PAE. Prints
 * DONE and ends Bochs. */
#include "diff.h"
#include "frames.h"
#include "proto.h"      /* GUEST_MMIO_BASE: the harness's MMIO register file (RAM bare) */

void lm_main(void);

void trap_unexpected(struct trap_frame *f)
{
    printf("\nUNEXPECTED ");
    put_fault((u32)f->vec, (u32)f->err, 1);
    printf(" at rip %016llx (mode %s, after %u cases)\n", (unsigned long long)f->ip, cur_mode,
           case_count);
    bochs_shutdown();
}

static int t_wr_cr8(u64 v)
{
    fault_arm();
    __asm__ volatile(TRY_BEGIN "mov %0, %%cr8" TRY_END : : "r"(v) : "memory");
    return fault_vec != NOFAULT;
}

static u64 rd_cr8(void)
{
    u64 v;
    __asm__ volatile("mov %%cr8, %0" : "=r"(v));
    return v;
}

/* MOV to CRn (0, 3, 4) of v; record the read-back; restore. */
static void cr_case(int cr, const char *name, u64 v)
{
    u64 old, got = 0;
    int f;
    if (cr == 0) {
        old = read_cr0();
        f = t_wr_cr0(v);
        if (!f) { got = read_cr0(); t_wr_cr0(old); }
    } else if (cr == 3) {
        old = read_cr3();
        f = t_wr_cr3(v);
        if (!f) { got = read_cr3(); t_wr_cr3(old); }
    } else {
        old = read_cr4();
        f = t_wr_cr4(v);
        if (!f) { got = read_cr4(); t_wr_cr4(old); }
    }
    /* the restore may have cleared fault_vec: it was not faulting */
    if (f == 0)
        fault_vec = NOFAULT;
    rec64(name, got);
}

/* ------------------------------------------------- fault frames
 * (frames.h) in 64-bit mode: the pushed RIP, CS and RFLAGS of the faults
 * the library raises: MOV CR4 reserved bit (cr.c), WRMSR of a
 * non-canonical LSTAR (msr.c), the single-step after CPUID, MOVS from
 * MMIO into a not-present page (#PF, CR2, error code) and to a
 * non-canonical address (#GP(0)): mmio.c, gmem.c. */
static u64 lm_pml4_fr[512] __attribute__((aligned(4096)));
static u64 lm_pdpt_fr[512] __attribute__((aligned(4096)));
static u64 lm_pd_fr[512] __attribute__((aligned(4096)));
#define LM_FR_NP 0x600000ull

static void lm_frame_cases(void)
{
    fr_install(1);
    u64 cr4 = read_cr4(), a = cr4 | (1ull << 63);
    fr_arm();
    __asm__ volatile(FR_ASM("", "mov %0, %%cr4") : : "r"(a) : "memory");
    fr_rec("gp-mov-cr4-bit63", 0, 0);
    fr_arm();
    __asm__ volatile(FR_ASM("", "wrmsr") : : "c"(0xc0000082u), "a"(0), "d"(1u << 18) : "memory");
    fr_rec("gp-wrmsr-lstar-noncanonical", 0, 0);
    u32 ra = 0, rb, rc = 0, rd;
    fr_arm();
    __asm__ volatile(FR_ASM(FR_TF_ON, "cpuid") : "+a"(ra), "=b"(rb), "+c"(rc), "=d"(rd) : : "memory");
    fr_rec("db-single-step-cpuid", 0, 0);

    for (u64 i = 0; i < 512; i++)
        lm_pd_fr[i] = (i << 21) | 0x83;
    lm_pd_fr[LM_FR_NP >> 21] = 0;
    lm_pdpt_fr[0] = (u64)(uptr)lm_pd_fr | 3;
    lm_pml4_fr[0] = (u64)(uptr)lm_pdpt_fr | 3;
    u64 cr3 = read_cr3();
    write_cr3((u64)(uptr)lm_pml4_fr);
    mmio_write32(GUEST_MMIO_BASE, 0xb0b0b0b0u);
    u64 s = GUEST_MMIO_BASE, d = LM_FR_NP + 0x20;
    fr_arm();
    __asm__ volatile(FR_ASM("", "movsq") : "+S"(s), "+D"(d) : : "memory");
    u32 r[2] = { (u32)(s - GUEST_MMIO_BASE), (u32)(d - LM_FR_NP) };
    fr_rec("pf-movs-mmio-to-not-present", 2, r);
    s = GUEST_MMIO_BASE, d = 0x0000800000000000ull;
    fr_arm();
    __asm__ volatile(FR_ASM("", "movsl") : "+S"(s), "+D"(d) : : "memory");
    r[0] = (u32)(s - GUEST_MMIO_BASE), r[1] = (u32)(d >> 32);
    fr_rec("gp-movs-mmio-to-noncanonical", 2, r);
    write_cr3(cr3);
    fr_install(0);
}

/* CMPXCHG16B (64-bit only) on the MMIO register file (RAM bare; as a guest
 * mmio.c emulates it as four 8-byte accesses): a compare that succeeds
 * (ZF = 1, RCX:RBX stored) then one that fails (ZF = 0, RDX:RAX loaded,
 * memory unchanged). The register file reads back what was written. */
static void lm_cmpxchg16b_cases(void)
{
    u64 *m = (u64 *)(uptr)(GUEST_MMIO_BASE + 0x40);    /* 16-byte aligned */
    for (int k = 0; k < 2; k++) {
        if (!k) {
            m[0] = 0x1111111111111111ull;
            m[1] = 0x2222222222222222ull;
        }
        u64 a = 0x1111111111111111ull, d = 0x2222222222222222ull;
        u8 zf;
        __asm__ volatile("lock cmpxchg16b %[m]\n\tsetz %[z]"
                         : "+a"(a), "+d"(d), [m] "+m"(*(u64(*)[2])m), [z] "=q"(zf)
                         : "b"(0x3333333333333333ull), "c"(0x4444444444444444ull)
                         : "memory", "cc");
        const char *w = k ? "cmpxchg16b-mmio-unequal" : "cmpxchg16b-mmio-equal";
        rec64(mkname(w, -1, "-zf"), zf);
        rec64(mkname(w, -1, "-rax"), a);
        rec64(mkname(w, -1, "-rdx"), d);
        rec64(mkname(w, -1, "-mem-lo"), m[0]);
        rec64(mkname(w, -1, "-mem-hi"), m[1]);
    }
}

void lm_main(void)
{
    u32 r[4];
    u64 v = 0;

    trap_init();
    cur_mode = "lm";
    u16 cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    note32("cs", cs);

    case_cpuid("cpuid.1", 1, 0);
    case_cpuid("cpuid.80000001", 0x80000001u, 0);
    cpuid2(1, 0, r);
    u32 ecx1 = r[2];
    cpuid2(0x80000008u, 0, r);
    int maxphy = r[0] & 0xff;

    t_rdmsr(0xc0000080u, &v);
    rec64("rdmsr-efer[msr]", v);
    u64 efer = v;
    t_wrmsr(0xc0000080u, efer & ~(1ull << 8));
    rec64("wrmsr-efer-clear-lme-paging[msr]", 0);
    t_wrmsr(0xc0000080u, efer | (1ull << 1));
    rec64("wrmsr-efer-reserved-bit1[msr]", 0);
    /* Syscall MSRs: values the CPU refuses (reserved or non-canonical).
     * Bochs ignores reserved bits 63:32 of IA32_FMASK and IA32_TSC_AUX;
     * the SDM's WRMSR rule (reserved bits set: #GP) is what x86vcpu
     * follows, so that it never hands the host CPU a faulting WRMSR. */
    t_wrmsr(0xc0000084u, 1ull << 40);
    rec64("wrmsr-sfmask-bit40[msr][hv-differs]", 0);
    t_wrmsr(0xc0000082u, 1ull << 50);
    rec64("wrmsr-lstar-noncanonical[msr]", 0);
    t_wrmsr(0xc0000103u, 1ull << 33);
    rec64("wrmsr-tsc-aux-bit33[msr][hv-differs]", 0);
    /* VMX is hidden from the guest (CPUID.1:ECX[5] = 0), and with it the
     * capability MSRs that exist only when it is reported. */
    v = 0;
    t_rdmsr(0x480u, &v);
    rec64("rdmsr-vmx-basic[msr][hv-differs]", v);
    v = 0;
    if (!t_wrmsr(0xc0000084u, 0x4700))
        t_rdmsr(0xc0000084u, &v);
    rec64("wrmsr-sfmask-roundtrip[msr]", v);

    u64 cr0 = read_cr0(), cr3 = read_cr3(), cr4 = read_cr4();
    note64("cr0", cr0);
    note64("cr3", cr3);
    note64("cr4", cr4);

    /* CR0 */
    cr_case(0, "mov-cr0-bit32", cr0 | (1ull << 32));
    cr_case(0, "mov-cr0-bit63", cr0 | (1ull << 63));
    cr_case(0, "mov-cr0-clear-pg", cr0 & ~(u64)CR0_PG);
    cr_case(0, "mov-cr0-clear-pe", cr0 & ~(u64)CR0_PE);
    cr_case(0, "mov-cr0-nw-without-cd", cr0 | CR0_NW);
    cr_case(0, "mov-cr0-cd-nw", cr0 | CR0_CD | CR0_NW);
    cr_case(0, "mov-cr0-set-ts", cr0 | CR0_TS);
    cr_case(0, "mov-cr0-set-wp", cr0 | CR0_WP);

    /* CR4 */
    cr_case(4, "mov-cr4-clear-pae", cr4 & ~(u64)CR4_PAE);
    cr_case(4, "mov-cr4-set-la57", cr4 | CR4_LA57);
    cr_case(4, "mov-cr4-bit15", cr4 | (1ull << 15));
    cr_case(4, "mov-cr4-bit32", cr4 | (1ull << 32));
    cr_case(4, "mov-cr4-bit40", cr4 | (1ull << 40));
    cr_case(4, "mov-cr4-bit63", cr4 | (1ull << 63));
    cr_case(4, "mov-cr4-set-vmxe[hv-differs]", cr4 | CR4_VMXE);
    cr_case(4, "mov-cr4-set-pge", cr4 | CR4_PGE);
    cr_case(4, "mov-cr4-set-osfxsr", cr4 | (1u << 9));
    cr_case(4, "mov-cr4-set-fsgsbase", cr4 | (1u << 16));
    cr_case(4, "mov-cr4-set-smep", cr4 | CR4_SMEP);

    /* CR3 */
    if (maxphy > 0 && maxphy < 52)
        cr_case(3, mkname("mov-cr3-bit", maxphy, "-maxphyaddr"), cr3 | (1ull << maxphy));
    cr_case(3, "mov-cr3-bit63-pcide0", cr3 | (1ull << 63));
    cr_case(3, "mov-cr3-pwt-pcd", cr3 | 0x18);
    cr_case(3, "mov-cr3-low-ignored-bits", cr3 | 0xfe7);

    /* CR8 */
    v = 0;
    if (!t_wr_cr8(5))
        v = rd_cr8();
    rec64("mov-cr8-5", v);
    v = 0;
    if (!t_wr_cr8(0xf))
        v = rd_cr8();
    rec64("mov-cr8-f", v);
    t_wr_cr8(0x10);
    rec64("mov-cr8-bit4", 0);
    t_wr_cr8(1ull << 63);
    rec64("mov-cr8-bit63", 0);
    t_wr_cr8(0);
    rec64("mov-cr8-0", rd_cr8());

    /* PCIDE: needs CR3[11:0] = 0 when set. */
    write_cr3(cr3 | 0x8);
    t_wr_cr4(cr4 | CR4_PCIDE);
    rec64("pcide-set-cr3-pwt", 0);
    write_cr4(cr4);
    write_cr3(cr3);
    v = 0;
    if (!t_wr_cr4(cr4 | CR4_PCIDE))
        v = read_cr4();
    rec64(ecx1 & (1u << 17) ? "pcide-set" : "pcide-set-no-pcid", v);
    if (read_cr4() & CR4_PCIDE) {
        v = 0;
        if (!t_wr_cr3(cr3 | 5))
            v = read_cr3();
        rec64("pcid-mov-cr3-pcid5", v);
        v = 0;
        if (!t_wr_cr3(cr3 | 6 | (1ull << 63)))
            v = read_cr3();
        rec64("pcid-mov-cr3-noflush-bit63", v);
        write_cr3(cr3);
        cr_case(4, "pcid-mov-cr4-clear-pcide", cr4);
        v = 0;
        if (!t_wr_cr4(cr4))
            v = read_cr4();
        rec64("pcide-clear", v);
    }
    write_cr4(cr4);
    write_cr3(cr3);

    /* XSETBV / XGETBV */
    xsetbv_cases();

    /* MSRs */
    t_rdmsr(0xc0011234u, &v);
    rec64("rdmsr-c0011234[msr]", v);
    t_rdmsr(0x277, &v);
    rec64("rdmsr-pat[msr]", v);

    lm_cmpxchg16b_cases();

    cur_mode = "lmframe";
    lm_frame_cases();
    cur_mode = "lm";

    note64("cr0-final", read_cr0());
    note64("cr4-final", read_cr4());
    printf("diffkernel: %u cases in long mode\n", case_count);
    printf("DONE\n");
    bochs_shutdown();
}

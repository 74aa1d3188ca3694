/* tests/diff/rm.c — real-mode cases of the differential test kernel,
 * built -m16 and linked on its own for RM_BASE (tests/lib/boot/flat.ld):
 * pm.c copies it there and rm_run() (modes.S) enters rm16.S, which leaves
 * protected mode and calls rm_main(). Runs at CS = DS = SS = 0 with the
 * runtime's IVT (tests/lib/trap16.S); prints its own records. */
#include "diff.h"

unsigned rm_main(void);

void trap_unexpected(struct trap_frame *f)
{
    printf("UNEXPECTED real-mode ");
    put_fault(f->vec, 0, 0);
    printf(" at ip %04x\n", f->ip);
    bochs_shutdown();
}

/* MOV to CR0 of v: the record shows v (what the old real-mode code showed: EAX). */
static void cr0_fault_case(const char *name, u32 v)
{
    t_wr_cr0(v);
    rec32(name, v);
}

/* MOV to CR4 of v: the record shows v. */
static void cr4_fault_case(const char *name, u32 v)
{
    t_wr_cr4(v);
    rec32(name, v);
}

/* XSETBV(0 or 1, v): the record shows v. */
static void xsetbv_case(const char *name, u32 idx, u32 v)
{
    t_xsetbv(idx, v);
    rec64(name, v);
}

unsigned rm_main(void)
{
    u32 old, v = 0;
    u64 v64 = 0;

    trap_init();
    cur_mode = "rm";

    case_cpuid("cpuid.0", 0, 0);
    case_cpuid("cpuid.1", 1, 0);
    cr0_fault_case("mov-cr0-pg-without-pe", (u32)read_cr0() | CR0_PG);
    cr0_fault_case("mov-cr0-nw-without-cd", ((u32)read_cr0() & ~CR0_CD) | CR0_NW);
    old = (u32)read_cr0();
    if (!t_wr_cr0(old | CR0_CD | CR0_NW)) {
        v = (u32)read_cr0();
        write_cr0(old);
    }
    rec32("mov-cr0-cd-nw", v);
    cr4_fault_case("mov-cr4-bit15", (u32)read_cr4() | (1u << 15));
    cr4_fault_case("mov-cr4-pcide", (u32)read_cr4() | CR4_PCIDE);
    note32("mov-from-cr4", (u32)read_cr4());
    xsetbv_case("xsetbv-ecx1", 1, 3);
    xsetbv_case("xsetbv-xcr0-5-avx-no-sse", 0, 5);
    v64 = 3;
    if (!t_xsetbv(0, 3))
        t_xgetbv(0, &v64);
    rec64("xsetbv-xcr0-3", v64);
    xsetbv_case("xsetbv-xcr0-0", 0, 0);
    t_ud2();
    rec32("ud2", 0);
    v64 = 0;
    t_rdmsr(0xc0011234u, &v64);
    rec64("rdmsr-c0011234[msr]", v64);
    t_smsw_r16(&v);
    rec32("smsw-r16", v);
    old = (u32)read_cr3();
    v = 0;
    if (!t_wr_cr3(0x12345018u)) {
        v = (u32)read_cr3();
        write_cr3(old);
    }
    rec32("mov-cr3-12345018", v);
    write_cr0(read_cr0() | CR0_TS);
    t_clts();
    rec32("clts", (u32)read_cr0());
    v64 = 0;
    t_rdmsr(0x277, &v64);
    rec64("rdmsr-pat[msr]", v64);
    return case_count;
}

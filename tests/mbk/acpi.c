/* tests/mbk/acpi.c — the firmware the demo builds for its virtual PC
 * (issues 13, 14: ACPI tables describing the virtual machine, nothing of
 * the host's). Hypervisor only: bare Bochs has its own BIOS's tables.
 *
 *   RSDP found as Linux finds it (the EBDA's first KiB, then 0xE0000-
 *     0xFFFFF on 16-byte boundaries), revision 2, both checksums;
 *   RSDT and XSDT: checksums, the same tables (FADT, MADT), no HPET table;
 *   FADT: the PM1a event/control and PM timer ports (legacy and X_ fields
 *     agree), SCI 9, SMI_CMD 0, the reset register (I/O 0xCF9 <- 6), a
 *     24-bit timer, DSDT/X_DSDT and the FACS (in writable memory);
 *   DSDT: \_S5's SLP_TYP parsed from its AML;
 *   MADT: local APIC address, PCAT_COMPAT, one enabled processor, the I/O
 *     APIC (ID 0, 0xFEC00000, GSI 0), ISA IRQ0 -> GSI 2, SCI IRQ 9 -> GSI
 *     9 level/high, LINT1 NMI for all processors;
 *   the fixed hardware: SCI_EN reads 1, PM1 enable read-back, status
 *     write-1-to-clear; the PM timer counts at 3.579545 MHz against the
 *     TSC (its kHz from CPUID 0x40000010), within 10% (both come from the
 *     guest's TSC: the bound only catches a wrong rate);
 *   no HPET: 0xFED00000 reads all-ones, as does the ROM window 0xFFFC0000;
 *   writes to the tables (RSDP, RSDT, FADT) are dropped;
 *   the BIOS data area: COM1 at 0x400, EBDA segment at 0x40E, base memory
 *     KiB at 0x413, the EBDA's size word; the IVT's vectors -> an IRET;
 * then, after its "N passed, M failed" line and only with no failure, it
 * powers off through PM1a_CNT with \_S5's SLP_TYP (exit status 0).
 * Command line: status=N (the exit value when it does not power off). */
#include "libtest.h"

/* Physical addresses (paging off); laundered, as gcc takes a constant
 * address below 4 KiB for a null-pointer offset (-Warray-bounds). */
static uptr phys(u32 a)
{
    uptr p = a;
    __asm__("" : "+r"(p));
    return p;
}
static u8 rd8(u32 a) { return *(const volatile u8 *)phys(a); }
static u16 rd16(u32 a) { return *(const volatile u16 *)phys(a); }
static u32 rd32(u32 a) { return *(const volatile u32 *)phys(a); }
static u64 rd64(u32 a) { return rd32(a) | (u64)rd32(a + 4) << 32; }

static u8 sum8(u32 a, u32 n)
{
    u8 s = 0;
    for (u32 i = 0; i < n; i++)
        s = (u8)(s + rd8(a + i));
    return s;
}

static int sig(u32 a, const char *s, u32 n)
{
    return memcmp((const void *)(uptr)a, s, n) == 0;
}

static inline u64 rdtsc(void)
{
    u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return lo | (u64)hi << 32;
}

/* ACPI 6.5 5.2.5.1: the first KiB of the EBDA, then the BIOS area. */
static u32 find_rsdp(u32 from, u32 to)
{
    for (u32 a = from; a < to; a += 16)
        if (sig(a, "RSD PTR ", 8) && sum8(a, 20) == 0)
            return a;
    return 0;
}

static u32 rsdp, rsdt, xsdt, fadt, madt, dsdt;
static u16 pm1a_evt, pm1a_cnt, pm_tmr;
static int s5_typ = -1;

static void test_bda(void)
{
    check_eq(rd16(0x400), 0x3f8, "BDA 0x400: COM1 at 0x3F8");
    check_eq(rd16(0x402), 0, "BDA 0x402: no COM2");
    check_eq(rd16(0x40e), 0x9fc0, "BDA 0x40E: EBDA segment 0x9FC0");
    check_eq(rd16(0x413), 639, "BDA 0x413: 639 KiB of base memory");
    check_eq(rd16(0x9fc00), 1, "EBDA size word: 1 KiB (up to 640 KiB)");
    u32 bad = 0;
    for (u32 v = 0; v < 256; v++)
        bad += rd32(4 * v) != 0xf000ff53u;
    check_eq(bad, 0, "IVT: every vector -> F000:FF53");
    check_eq(rd8(0xfff53), 0xcf, "F000:FF53 holds an IRET");
}

static void test_roots(void)
{
    u32 ebda = (u32)rd16(0x40e) << 4;
    u32 in_ebda = ebda ? find_rsdp(ebda, ebda + 1024) : 0;
    rsdp = in_ebda ? in_ebda : find_rsdp(0xe0000, 0x100000);
    check_eq(in_ebda, 0, "no RSDP in the EBDA's first KiB");
    if (!check(rsdp != 0, "RSDP in 0xE0000-0xFFFFF (signature, checksum of 20 bytes)"))
        return;
    check_eq(rd8(rsdp + 15), 2, "RSDP revision 2");
    check_eq(rd32(rsdp + 20), 36, "RSDP length 36");
    check_eq(sum8(rsdp, 36), 0, "RSDP extended checksum");
    check(sig(rsdp + 9, "X86VCP", 6), "RSDP OEM ID X86VCP");
    rsdt = rd32(rsdp + 16);
    xsdt = (u32)rd64(rsdp + 24);
    check_eq(rd64(rsdp + 24) >> 32, 0, "XSDT below 4 GiB");
    u32 rlen = rsdt ? rd32(rsdt + 4) : 0, xlen = xsdt ? rd32(xsdt + 4) : 0;
    if (!check(rsdt && sig(rsdt, "RSDT", 4) && rlen >= 36 && rlen < 0x1000 &&
                   sum8(rsdt, rlen) == 0, "RSDT (signature, checksum)") ||
        !check(xsdt && sig(xsdt, "XSDT", 4) && xlen >= 36 && xlen < 0x1000 &&
                   sum8(xsdt, xlen) == 0, "XSDT (signature, checksum)"))
        return;
    u32 n = (rlen - 36) / 4;
    check_eq((xlen - 36) / 8, n, "XSDT and RSDT: as many tables");
    u32 same = 0, hpet = 0, others = 0, bad_sum = 0;
    for (u32 i = 0; i < n; i++) {
        u32 t = rd32(rsdt + 36 + 4 * i);
        same += rd64(xsdt + 36 + 8 * i) == t;
        bad_sum += sum8(t, rd32(t + 4)) != 0;
        if (sig(t, "FACP", 4))
            fadt = t;
        else if (sig(t, "APIC", 4))
            madt = t;
        else if (sig(t, "HPET", 4))
            hpet++;
        else
            others++;
    }
    check_eq(same, n, "XSDT and RSDT name the same tables");
    check_eq(bad_sum, 0, "every table's checksum");
    check(fadt != 0, "FADT listed");
    check(madt != 0, "MADT listed");
    check_eq(hpet, 0, "no HPET table");
    check_eq(others, 0, "no other table");
}

/* A Generic Address Structure naming an I/O block (ACPI 6.5 5.2.3.2). */
static int gas_io(u32 a, u32 port, u32 bits)
{
    return rd8(a) == 1 && rd8(a + 1) == bits && rd64(a + 4) == port;
}

static void test_fadt(void)
{
    if (!fadt)
        return;
    check(rd32(fadt + 4) >= 244 && rd8(fadt + 8) >= 3, "FADT revision >= 3 layout");
    pm1a_evt = (u16)rd32(fadt + 56);
    pm1a_cnt = (u16)rd32(fadt + 64);
    pm_tmr = (u16)rd32(fadt + 76);
    check_eq(pm1a_evt, 0x600, "FADT PM1a_EVT_BLK 0x600");
    check_eq(pm1a_cnt, 0x604, "FADT PM1a_CNT_BLK 0x604");
    check_eq(pm_tmr, 0x608, "FADT PM_TMR_BLK 0x608");
    check(rd8(fadt + 88) == 4 && rd8(fadt + 89) == 2 && rd8(fadt + 91) == 4,
          "FADT PM1_EVT_LEN 4, PM1_CNT_LEN 2, PM_TMR_LEN 4");
    check(gas_io(fadt + 148, 0x600, 32) && gas_io(fadt + 172, 0x604, 16) &&
              gas_io(fadt + 208, 0x608, 32), "FADT X_PM1a_EVT/CNT, X_PM_TMR agree");
    check_eq(rd16(fadt + 46), 9, "FADT SCI_INT 9");
    check_eq(rd32(fadt + 48), 0, "FADT SMI_CMD 0 (always in ACPI mode)");
    u32 flags = rd32(fadt + 112);
    check_eq(flags & (1u << 8), 0, "FADT TMR_VAL_EXT clear: 24-bit PM timer");
    check(flags & (1u << 10), "FADT RESET_REG_SUP");
    check(gas_io(fadt + 116, 0xcf9, 8) && rd8(fadt + 128) == 6, "FADT RESET_REG: I/O 0xCF9 <- 6");
    check_eq(rd16(fadt + 109) & 2, 0, "FADT IAPC_BOOT_ARCH: no 8042");
    dsdt = rd32(fadt + 40);
    check(dsdt && rd64(fadt + 140) == dsdt, "FADT DSDT and X_DSDT agree");
    u32 facs = rd32(fadt + 36);
    check_eq(rd64(fadt + 132), facs, "FADT FIRMWARE_CTRL and X_FIRMWARE_CTRL agree");
    check(facs && !(facs & 63) && sig(facs, "FACS", 4) && rd32(facs + 4) == 64,
          "FACS: 64 bytes, 64-byte aligned");
    /* 5.2.10: read/write memory (the OS writes its waking vector). */
    if (facs) {
        volatile u32 *wake = (volatile u32 *)phys(facs + 12);
        *wake = 0x1234;
        check_eq(*wake, 0x1234, "FACS writable (firmware waking vector)");
        *wake = 0;
    }
    check(dsdt && sig(dsdt, "DSDT", 4) && sum8(dsdt, rd32(dsdt + 4)) == 0,
          "DSDT (signature, checksum)");
}

/* An AML integer: ZeroOp, OneOp, BytePrefix (ACPI 6.5 20.2.3). */
static int aml_int(u32 a, u32 *len)
{
    u8 op = rd8(a);
    if (op <= 1) {
        *len = 1;
        return op;
    }
    if (op == 0x0a) {
        *len = 2;
        return rd8(a + 1);
    }
    return -1;
}

static void test_dsdt(void)
{
    if (!dsdt)
        return;
    u32 end = dsdt + rd32(dsdt + 4);
    for (u32 a = dsdt + 36; a + 8 <= end; a++)
        if (rd8(a) == 0x08 && sig(a + 1, "_S5_", 4) && rd8(a + 5) == 0x12 &&
            !(rd8(a + 6) & 0xc0) && rd8(a + 7) >= 2) {
            u32 l;
            s5_typ = aml_int(a + 8, &l);
            break;
        }
    check(s5_typ >= 0 && s5_typ <= 7, "DSDT: Name (_S5, Package { SLP_TYPa, ... })");
    note("\\_S5 SLP_TYP %d", s5_typ);
}

static void test_madt(void)
{
    if (!madt)
        return;
    u32 len = rd32(madt + 4);
    check_eq(rd32(madt + 36), 0xfee00000u, "MADT local APIC address");
    check_eq(rd32(madt + 40) & 1, 1, "MADT PCAT_COMPAT");
    u32 cpus = 0, ioapic = 0, irq0 = 0, sci = 0, nmi = 0, unknown = 0;
    u32 o = 44;
    while (o + 2 <= len) {
        u32 e = madt + o, l = rd8(e + 1);
        if (l < 2)
            break;
        switch (rd8(e)) {
        case 0:
            cpus += rd8(e + 3) == 0 && (rd32(e + 4) & 1);
            break;
        case 1:
            ioapic += rd8(e + 2) == 0 && rd32(e + 4) == 0xfec00000u && rd32(e + 8) == 0;
            break;
        case 2:
            irq0 += rd8(e + 2) == 0 && rd8(e + 3) == 0 && rd32(e + 4) == 2;
            sci += rd8(e + 2) == 0 && rd8(e + 3) == 9 && rd32(e + 4) == 9 && rd16(e + 8) == 0x0d;
            break;
        case 4:
            nmi += rd8(e + 2) == 0xff && rd8(e + 5) == 1;
            break;
        default:
            unknown++;
        }
        o += l;
    }
    check_eq(o, len, "MADT entries fill the table");
    check_eq(cpus, 1, "MADT: one processor, APIC ID 0, enabled");
    check_eq(ioapic, 1, "MADT: I/O APIC ID 0 at 0xFEC00000, GSI base 0");
    check_eq(irq0, 1, "MADT: ISA IRQ0 -> GSI 2");
    check_eq(sci, 1, "MADT: SCI IRQ 9 -> GSI 9, level, active high");
    check_eq(nmi, 1, "MADT: LINT1 NMI for all processors");
    check_eq(unknown, 0, "MADT: no other entry");
}

static void test_fixed_hw(void)
{
    if (!pm1a_cnt || !pm1a_evt)
        return;
    check_eq(inw(pm1a_cnt) & 1, 1, "PM1a_CNT.SCI_EN reads 1");
    outw(pm1a_cnt, 0);
    check_eq(inw(pm1a_cnt) & 1, 1, "SCI_EN stays 1 after a write of 0");
    outw((u16)(pm1a_evt + 2), 0x0121);      /* PWRBTN_EN, GBL_EN, TMR_EN */
    check_eq(inw((u16)(pm1a_evt + 2)), 0x0121, "PM1a_EN reads back");
    outw((u16)(pm1a_evt + 2), 0);
    outw(pm1a_evt, 0xffff);                 /* write 1 to clear all */
    check_eq(inw(pm1a_evt), 0, "PM1a_STS clear");
}

static void test_pm_timer(void)
{
    if (!pm_tmr)
        return;
    u32 a, b, c, d, khz = 0;
    cpuid(0x40000000, 0, &a, &b, &c, &d);
    if (a >= 0x40000010) {
        cpuid(0x40000010, 0, &a, &b, &c, &d);
        khz = a;
    }
    if (!check(khz != 0, "CPUID 0x40000010: the TSC's kHz"))
        return;
    /* 35795 PM ticks (10 ms) against the TSC. */
    u32 p0 = inl(pm_tmr) & 0xffffff, p = p0, back = 0;
    u64 t0 = rdtsc();
    for (u32 i = 0; i < 50000000u; i++) {
        u32 q = inl(pm_tmr) & 0xffffff;
        back += ((q - p) & 0xffffff) > 0x800000;
        p = q;
        if (((p - p0) & 0xffffff) >= 35795)
            break;
    }
    u64 t1 = rdtsc();
    u64 ticks = (p - p0) & 0xffffff, tsc = t1 - t0;
    check_eq(back, 0, "PM timer never goes back");
    check(ticks >= 35795, "PM timer reached 10 ms");
    /* tsc / ticks = kHz * 1000 / 3579545, within 10%. */
    u64 lhs = tsc * 3579545ull, rhs = ticks * khz * 1000ull;
    check(lhs * 10 >= rhs * 9 && lhs * 10 <= rhs * 11,
          "PM timer at 3.579545 MHz against the TSC (within 10%%)");
}

static void test_nothing_of_the_host(void)
{
    check_eq(rd32(0xfed00000u), 0xffffffffu, "0xFED00000 (HPET) reads all-ones");
    check_eq(rd32(0xfed000f0u), 0xffffffffu, "HPET main counter reads all-ones");
    check_eq(rd32(0xfffc0000u), 0xffffffffu, "0xFFFC0000 (ROM window) reads all-ones");
}

static void test_writes_dropped(void)
{
    if (!rsdp || !rsdt || !fadt)
        return;
    u32 targets[3] = { rsdp + 9, rsdt + 10, fadt + 64 };
    u32 changed = 0;
    for (u32 i = 0; i < 3; i++) {
        u32 before = rd32(targets[i]);
        *(volatile u32 *)(uptr)targets[i] = ~before;
        *(volatile u8 *)(uptr)(targets[i] + 1) = 0x5a;
        changed += rd32(targets[i]) != before;
    }
    check_eq(changed, 0, "writes to the RSDP, RSDT, FADT dropped");
    check(sum8(rsdp, 36) == 0 && sum8(rsdt, rd32(rsdt + 4)) == 0 && sum8(fadt, rd32(fadt + 4)) == 0,
          "checksums still 0");
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    note("%s: multiboot test kernel", kernel_name());
    test_bda();
    test_roots();
    test_fadt();
    test_dsdt();
    test_madt();
    test_fixed_hw();
    test_pm_timer();
    test_nothing_of_the_host();
    test_writes_dropped();
    int rc = report_summary();
    if (checks_failed == 0 && pm1a_cnt && s5_typ >= 0) {
        console_flush();
        outw(pm1a_cnt, (u16)((s5_typ << 10) | (1u << 13)));    /* SLP_TYP, SLP_EN */
        printf("acpi: still running after the S5 write\n");
        return 0x7f;
    }
    return rc;
}

/* tests/mbk/hostile.c — a hostile guest (issue 11): string instructions
 * aimed at what the library touches for the guest. Hypervisor only (the
 * attacks on the tables are no-ops on bare Bochs, but the MMIO hole
 * and the demo's devices are the demo's).
 *
 *   MOVS/STOS from an unassigned MMIO address (reads all-ones) into the
 *     ACPI RSDT and the BIOS area, which the demo maps read-only (its own
 *     firmware, once the host's): the tables must stay as they were
 *     (the guest re-reads them; before the fix the library wrote them);
 *   with paging on, a window whose two pages are not neighbours in RAM:
 *     MOVS MMIO -> RAM across its page boundary lands in both pages and not
 *     in the frame after the first; REP INSB the same through the demo's
 *     string I/O, which must walk the guest's page tables;
 *   REP INSB into a not-present page: #PF (W, not present) with CR2, after
 *     the elements before it, ECX/EDI telling how far it got;
 *   REP INSB with ECX = 0xFFFFFFFF: bounded work per exit, the #PF at the
 *     end of the window after exactly two pages;
 *   the HPET page: no HPET, the host's does not show through: all-ones,
 *     FSB_EN and an FSB route written by the guest go nowhere;
 *   a VMCALL nobody implements: an error in EAX, the guest goes on.
 * Command line: status=N (exit value). */
#include "libtest.h"

#define HOLE    0xc0000000u     /* in the MMIO hole above RAM, no device */
#define WIN     0x40000000u     /* linear window: PDE 256 */
#define LATCH   0xe0            /* pc-testdev: reads back what was written */

/* Page-aligned by hand (the runtime's linker script wants the BSS right
 * after the loaded part, without alignment padding). */
static u8 pool[6 * 4096];
static u8 (*page)[4096];        /* 0, [1 = the frame after 0], 2 */
static u32 *pd, *pt;

static u8 sum8(uptr a, u32 n)
{
    u8 s = 0;
    for (u32 i = 0; i < n; i++)
        s = (u8)(s + *(const volatile u8 *)(a + i));
    return s;
}

static void movs_from_hole(uptr dst, u32 n)
{
    uptr s = HOLE;
    __asm__ volatile("cld; rep movsb" : "+S"(s), "+D"(dst), "+c"(n) : : "memory");
}

/* The read-only tables through MOVS/STOS. */
static void test_read_only_tables(void)
{
    uptr rsdp = 0;
    for (uptr a = 0xe0000; a < 0x100000; a += 16)
        if (memcmp((const void *)a, "RSD PTR ", 8) == 0 && sum8(a, 20) == 0) {
            rsdp = a;
            break;
        }
    check(rsdp != 0, "RSDP found");
    if (!rsdp)
        return;
    uptr rsdt = *(const volatile u32 *)(rsdp + 16);
    u32 len = *(const volatile u32 *)(rsdt + 4);
    static u8 before[64], bios[64];
    if (len > sizeof before)
        len = sizeof before;
    memcpy(before, (const void *)rsdt, len);
    memcpy(bios, (const void *)(rsdp & ~0xfffu), sizeof bios);

    movs_from_hole(rsdt, 16);
    check(memcmp(before, (const void *)rsdt, len) == 0,
          "MOVS MMIO -> the read-only RSDT changes nothing");
    uptr d = rsdt + 8, n = 8;
    __asm__ volatile("cld; rep stosb" : "+D"(d), "+c"(n) : "a"(0) : "memory");
    check(memcmp(before, (const void *)rsdt, len) == 0, "REP STOSB -> RSDT changes nothing");
    static const u8 junk[16] = { 0xde, 0xad, 0xbe, 0xef };
    uptr s = (uptr)junk;
    d = rsdt;
    n = 16;
    __asm__ volatile("cld; rep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
    check(memcmp(before, (const void *)rsdt, len) == 0, "MOVS RAM -> RSDT changes nothing");
    check_eq(n, 0, "... and completes (RCX = 0)");
    check_eq(sum8(rsdt, *(const volatile u32 *)(rsdt + 4)), 0, "RSDT checksum still 0");

    movs_from_hole(rsdp & ~0xfffu, 32);
    check(memcmp(bios, (const void *)(rsdp & ~0xfffu), sizeof bios) == 0,
          "MOVS MMIO -> the BIOS area changes nothing");
}

static void paging_on(void)
{
    uptr base = ((uptr)pool + 4095) & ~4095u;
    page = (u8 (*)[4096])base;
    pd = (u32 *)(base + 3 * 4096);
    pt = (u32 *)(base + 4 * 4096);
    for (u32 i = 0; i < 1024; i++)
        pd[i] = (i << 22) | 0x83;               /* 4 MiB identity, P RW PS */
    pd[WIN >> 22] = (u32)(uptr)pt | 3;
    pt[0] = (u32)(uptr)page[0] | 3;
    pt[1] = (u32)(uptr)page[2] | 3;             /* not page[0]'s neighbour */
    write_cr4(read_cr4() | (1u << 4));          /* PSE */
    write_cr3((uptr)pd);
    write_cr0(read_cr0() | 0x80000000u);
}

static void paging_off(void)
{
    write_cr0(read_cr0() & ~0x80000000u);
}

static u32 split_word(void)
{
    return page[0][0xffe] | page[0][0xfff] << 8 | (u32)page[2][0] << 16 | (u32)page[2][1] << 24;
}

static void test_paging(void)
{
    paging_on();
    memset(page, 0x11, 3 * 4096);
    uptr s = HOLE, d = WIN + 0xffe;
    __asm__ volatile("cld; movsl" : "+S"(s), "+D"(d) : : "memory");
    check_eq(split_word(), 0xffffffffu, "MOVS MMIO -> RAM across the window's pages");
    check_eq(page[1][0] | page[1][1] << 8, 0x1111, "... not into the frame after the first");

    memset(page, 0x11, 3 * 4096);
    outb(LATCH, 0x5a);
    d = WIN + 0xffe;
    uptr n = 4;
    __asm__ volatile("cld; rep insb" : "+D"(d), "+c"(n) : "d"((u16)LATCH) : "memory");
    check_eq(split_word(), 0x5a5a5a5au, "REP INSB through the guest's page tables");
    check_eq(page[1][0], 0x11, "... not into the frame after the first");
    check_eq(n, 0, "... completes");

    d = WIN + 0x1ffe;
    n = 4;
    fault_arm();
    __asm__ volatile(TRY_BEGIN "cld; rep insb" TRY_END
                     : "+D"(d), "+c"(n) : "d"((u16)LATCH) : "memory");
    check_eq(fault_vec, VEC_PF, "REP INSB into a not-present page: #PF");
    check_eq(fault_err, 2, "... error code: write, not present");
    check_eq(read_cr2(), WIN + 0x2000, "... CR2");
    check_eq(n, 2, "... ECX = what is left");
    check_eq(d, WIN + 0x2000, "... EDI at the faulting element");

    outb(LATCH, 0x77);
    d = WIN;
    n = 0xffffffffu;
    fault_arm();
    __asm__ volatile(TRY_BEGIN "cld; rep insb" TRY_END
                     : "+D"(d), "+c"(n) : "d"((u16)LATCH) : "memory");
    check_eq(fault_vec, VEC_PF, "REP INSB with ECX = 2^32 - 1: #PF at the window's end");
    check_eq(n, 0xffffffffu - 8192, "... after exactly its two pages");
    check_eq(page[2][4095] | page[0][0] << 8, 0x7777, "... which it filled");
    check_eq(page[1][0], 0x11, "... and nothing else");
    paging_off();
}

/* The HPET: the demo's PC has none (issue 13), and the host's must not
 * show through: its page reads all-ones, and what a guest writes there
 * (timer 0's FSB_EN and FSB route, which on the host's HPET would send an
 * MSI to any CPU: issue 11, defect 11) goes nowhere. */
#define HPET     0xfed00000u
#define T0_CFG   (HPET + 0x100)
#define T0_FSB   (HPET + 0x110)
static void test_hpet(void)
{
    volatile u32 *cfg = (volatile u32 *)T0_CFG, *fsb = (volatile u32 *)T0_FSB;
    check_eq(*(volatile u32 *)HPET, 0xffffffffu, "HPET capabilities read all-ones: no HPET");
    *cfg = 1u << 14;
    check_eq(*cfg, 0xffffffffu, "HPET timer 0 FSB_EN write goes nowhere");
    fsb[0] = 0x500u;               /* an INIT in the MSI data */
    check_eq(fsb[0], 0xffffffffu, "HPET timer 0 FSB route write goes nowhere");
}

/* A hypercall the platform does not implement (a guest written for KVM
 * probes this way): VMCALL returns -1000 (-KVM_ENOSYS) in EAX and the
 * guest goes on (was: the demo ended the guest, "unhandled exit VMCALL"). */
static void test_unknown_hypercall(void)
{
    u32 a = 0x12345678u, b = 0xbbbbbbbbu;
    __asm__ volatile("vmcall" : "+a"(a) : "b"(b) : "memory");
    check_eq(a, (u32)-1000, "VMCALL with an unknown number: EAX = -KVM_ENOSYS, the guest goes on");
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    test_read_only_tables();
    test_paging();
    test_hpet();
    test_unknown_hypercall();
    return report_summary();
}

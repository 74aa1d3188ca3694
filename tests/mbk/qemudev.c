/* tests/mbk/qemudev.c — the QEMU devices a `-kernel` test kernel relies on,
 * as the hypervisor provides them (hypervisor only: bare Bochs has none of
 * fw_cfg / pc-testdev, its checks fail there):
 *   fw_cfg (0x510 selector, 0x511 data): signature, ID, RAM_SIZE (0x03),
 *     NB_CPUS (0x05), MAX_CPUS (0x0f), key 0x11 (end of RAM), unknown keys,
 *     reading past an item, re-selecting;
 *   pc-testdev latch (0xE0-0xE3) at every width and offset;
 *   COM1 as an idle 16550 (LSR, IIR, scratch, divisor latch, loopback, MSR);
 *   unused ports read all-ones;
 *   MSRs (feature control locked without VMX, unimplemented ones #GP);
 *   the BIOS area read-only, VGA text memory, nothing above RAM.
 * Command line: status=N (exit value), mem=N (MiB the hypervisor gives:
 * RAM_SIZE must be N MiB). */
#include "multiboot.h"

/* ---------------------------------------------------------------- fw_cfg */
#define FW_SEL  0x510
#define FW_DATA 0x511

static void fw_select(u16 key) { outw(FW_SEL, key); }

static u64 fw_read_le(u32 n)
{
    u64 v = 0;
    for (u32 i = 0; i < n; i++)
        v |= (u64)inb(FW_DATA) << (8 * i);
    return v;
}

static u64 fw_item(u16 key, u32 n)
{
    fw_select(key);
    return fw_read_le(n);
}

static u64 mmap_top(void)
{
    const struct mb_info *mbi = (const struct mb_info *)(uintptr_t)mb_info_addr;
    u64 top = 0;
    if (mb_magic != MB_BOOT_MAGIC || !(mbi->flags & MBI_MMAP))
        return 0;
    for (u32 off = 0; off + 24 <= mbi->mmap_length;) {
        const struct mb_mmap *e = (const struct mb_mmap *)(uintptr_t)(mbi->mmap_addr + off);
        if (e->size < 20)
            break;
        if (e->type == 1 && e->base + e->len > top)
            top = e->base + e->len;
        off += e->size + 4;
    }
    return top;
}

static void test_fwcfg(void)
{
    char sig[5] = { 0 };
    fw_select(0x0000);
    for (int i = 0; i < 4; i++)
        sig[i] = (char)inb(FW_DATA);
    check_str(sig, "QEMU", "fw_cfg signature");
    check_eq(fw_read_le(4), 0, "fw_cfg reads past the signature are 0");

    fw_select(0x0000);
    fw_read_le(2);
    fw_select(0x0000);
    for (int i = 0; i < 4; i++)
        sig[i] = (char)inb(FW_DATA);
    check_str(sig, "QEMU", "fw_cfg re-selecting restarts at byte 0");

    u64 id = fw_item(0x01, 4);
    check(id & 1, "fw_cfg ID bit 0 (traditional interface)");

    u64 ram = fw_item(0x03, 8);
    u64 top = mmap_top();
    check(top != 0, "multiboot memory map present");
    check_eq(ram, top, "fw_cfg RAM_SIZE == end of the highest available range");
    u32 mem_mib;
    if (parse_u32(arg_get("mem"), &mem_mib))
        check_eq(ram, (u64)mem_mib << 20, "fw_cfg RAM_SIZE == mem= MiB");
    check_eq(fw_item(0x11, 8), ram, "fw_cfg key 0x11 (end of RAM) == RAM_SIZE");

    u64 nb = fw_item(0x05, 2), max = fw_item(0x0f, 2);
    check_eq(nb, 1, "fw_cfg NB_CPUS");
    check(max >= nb && max != 0xFFFF, "fw_cfg MAX_CPUS >= NB_CPUS");
    check_eq(max, 1, "fw_cfg MAX_CPUS");
    check_eq(fw_item(0x1234, 8), 0, "fw_cfg unknown key 0x1234 reads 0");
    check_eq(fw_item(0x05, 2), 1, "fw_cfg NB_CPUS again after an unknown key");
}

/* ------------------------------------------------------------ pc-testdev */
static void test_latch(void)
{
    /* Naturally aligned accesses only, as kvm-unit-tests makes them: QEMU
     * ignores a 16-bit access at offset 1 or 3 (reads 0, writes dropped). */
    outl(0xE0, 0x12345678u);
    check_eq(inl(0xE0), 0x12345678u, "pc-testdev: 32-bit write/read");
    static const u8 bytes[4] = { 0x78, 0x56, 0x34, 0x12 };
    for (u32 i = 0; i < 4; i++)
        check_eq(inb((u16)(0xE0 + i)), bytes[i], "pc-testdev: 8-bit read at offset %u", i);
    check_eq(inw(0xE0), 0x5678, "pc-testdev: 16-bit read at offset 0");
    check_eq(inw(0xE2), 0x1234, "pc-testdev: 16-bit read at offset 2");
    outb(0xE2, 0xAB);
    check_eq(inl(0xE0), 0x12AB5678u, "pc-testdev: 8-bit write at offset 2");
    outb(0xE1, 0xEF);
    check_eq(inl(0xE0), 0x12ABEF78u, "pc-testdev: 8-bit write at offset 1");
    outw(0xE2, 0xCDEF);
    check_eq(inl(0xE0), 0xCDEFEF78u, "pc-testdev: 16-bit write at offset 2");
    outb(0xE3, 0x9A);
    check_eq(inw(0xE2), 0x9AEF, "pc-testdev: 8-bit write at offset 3, 16-bit read at 2");
    outw(0xE0, 0x0102);
    check_eq(inl(0xE0), 0x9AEF0102u, "pc-testdev: 16-bit write at offset 0");
    check_eq(inb(0xE1), 0x01, "pc-testdev: 8-bit read at offset 1 after it");
}

/* ------------------------------------------------------------------ COM1 */
#define COM1 0x3F8

static void test_com1(void)
{
    /* Everything is measured first and printed after COM1 is restored:
     * nothing may be printed in DLAB or loopback mode. */
    u32 i;
    for (i = 0; i < 10000000u && (inb(COM1 + 5) & 0x60) != 0x60; i++)
        cpu_pause();
    u8 lsr = inb(COM1 + 5);
    u8 iir = inb(COM1 + 2);
    u8 ier = inb(COM1 + 1);
    outb(COM1 + 7, 0x5A);
    u8 scr1 = inb(COM1 + 7);
    outb(COM1 + 7, 0xA5);
    u8 scr2 = inb(COM1 + 7);

    outb(COM1 + 3, 0x83);               /* DLAB */
    outb(COM1 + 0, 0x34);
    outb(COM1 + 1, 0x12);
    u8 dll = inb(COM1 + 0), dlm = inb(COM1 + 1), lcr_dlab = inb(COM1 + 3);
    outb(COM1 + 0, 0x01);               /* back to 115200 8N1 */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);
    u8 lcr = inb(COM1 + 3);
    u8 ier2 = inb(COM1 + 1);            /* offset 1 is IER again */

    for (i = 0; i < 64 && (inb(COM1 + 5) & 1); i++)
        inb(COM1);                      /* drain */
    outb(COM1 + 4, 0x1F);               /* loopback, DTR RTS OUT1 OUT2 */
    u8 msr_all = inb(COM1 + 6) & 0xF0;
    outb(COM1 + 4, 0x12);               /* loopback, RTS */
    u8 msr_rts = inb(COM1 + 6) & 0xF0;
    outb(COM1 + 4, 0x18);               /* loopback, OUT2 */
    u8 msr_out2 = inb(COM1 + 6) & 0xF0;
    outb(COM1 + 4, 0x13);               /* loopback, DTR RTS */
    u8 dr_before = inb(COM1 + 5) & 1;
    outb(COM1, 0x42);
    for (i = 0; i < 10000000u && !(inb(COM1 + 5) & 1); i++)
        cpu_pause();
    u8 dr = inb(COM1 + 5) & 1;
    u8 rx = inb(COM1);
    u8 dr_after = inb(COM1 + 5) & 1;
    outb(COM1 + 4, 0x03);               /* loopback off */
    u8 mcr = inb(COM1 + 4);

    check_eq(lsr, 0x60, "COM1 LSR idle (THRE|TEMT)");
    check(iir & 1, "COM1 IIR: no interrupt pending");
    check_eq(ier, 0, "COM1 IER reads back 0");
    check_eq(scr1, 0x5A, "COM1 scratch register 0x5A");
    check_eq(scr2, 0xA5, "COM1 scratch register 0xA5");
    check_eq(dll | dlm << 8, 0x1234, "COM1 divisor latch round trip");
    check_eq(lcr_dlab, 0x83, "COM1 LCR with DLAB");
    check_eq(lcr, 0x03, "COM1 LCR restored (8N1)");
    check_eq(ier2, 0, "COM1 offset 1 is IER again without DLAB");
    check_eq(msr_all, 0xF0, "COM1 loopback: MSR follows MCR (all)");
    check_eq(msr_rts, 0x10, "COM1 loopback: RTS -> CTS");
    check_eq(msr_out2, 0x80, "COM1 loopback: OUT2 -> DCD");
    check_eq(dr_before, 0, "COM1 loopback: no data before the write");
    check_eq(dr, 1, "COM1 loopback: LSR.DR after a write");
    check_eq(rx, 0x42, "COM1 loopback: the byte comes back");
    check_eq(dr_after, 0, "COM1 loopback: LSR.DR clear after the read");
    check_eq(mcr, 0x03, "COM1 MCR restored");
}

/* ----------------------------------------------------------- unused ports */
static void test_unused(void)
{
    static const u16 ports[2] = { 0x1234, 0x2F0 };
    for (u32 i = 0; i < 2; i++) {
        u16 p = ports[i];
        check_eq(inb(p), 0xFF, "unused port 0x%x reads 0xff (8-bit)", p);
        check_eq(inw(p), 0xFFFF, "unused port 0x%x reads 0xffff (16-bit)", p);
        check_eq(inl(p), 0xFFFFFFFFu, "unused port 0x%x reads 0xffffffff (32-bit)", p);
    }
}

/* MSRs the way a PC without VMX for its guest answers them: the feature
 * control MSR locked with VMX off, unimplemented MSRs #GP, a TSC write
 * accepted. */
static void test_msrs(void)
{
    u64 v = 0;
    check_fault(rdmsr_safe(0x3a, &v), NOFAULT, "IA32_FEATURE_CONTROL readable");
    check_eq(v & 7, 1, "IA32_FEATURE_CONTROL: locked, VMX off");
    check_fault(rdmsr_safe(0x12345, &v), VEC_GP, "RDMSR of an unimplemented MSR #GPs");
    check_fault(wrmsr_safe(0x12345, 0), VEC_GP, "WRMSR of an unimplemented MSR #GPs");
    check_fault(rdmsr_safe(0x10, &v), NOFAULT, "RDMSR TSC");
    check_fault(wrmsr_safe(0x10, v), NOFAULT, "WRMSR TSC does not fault");
}

/* The BIOS area is the machine's, read-only; VGA text memory is the
 * machine's VGA. */
static void test_memory(void)
{
    volatile u8 *rom = (volatile u8 *)0xffff0;   /* the reset vector */
    u8 before = *rom;
    *rom = (u8)~before;
    check_eq(*rom, before, "BIOS area 0xFFFF0: a write is dropped");
    volatile u16 *vga = (volatile u16 *)0xb8000 + 80 * 24;  /* last text row */
    u16 old = *vga;
    *vga = 0x1f41;
    check_eq(*vga, 0x1f41, "VGA text memory at 0xB8000 reads back");
    *vga = old;
    /* Above the guest's RAM there is nothing (the host's memory is
     * never mapped): the bus answers all-ones. */
    u32 top = arg_u32("mem", 128) << 20, x = 0;
    check_fault(read32_safe(top, &x), NOFAULT, "read at the end of RAM does not fault");
    check_eq(x, 0xffffffffu, "the first byte above RAM reads all-ones");
    check_fault(read32_safe(top + (64u << 20), &x), NOFAULT, "read 64 MiB above RAM");
    check_eq(x, 0xffffffffu, "64 MiB above RAM reads all-ones (no host memory)");
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    note("%s: multiboot test kernel", kernel_name());
    test_fwcfg();
    test_latch();
    test_com1();
    test_unused();
    test_msrs();
    test_memory();
    return report_summary();
}

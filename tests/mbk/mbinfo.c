/* tests/mbk/mbinfo.c — what a multiboot v1 loader hands over: EAX magic,
 * the info structure (memory sizes, E820 map, command line, modules, boot
 * loader name), a zeroed BSS; and that the runtime works (stack, software
 * interrupt, exception recovery). Portable: the same lines on bare Bochs
 * (GRUB) and under the hypervisor. Built as mbinfo.elf (ELF32),
 * mbinfo64.elf (ELF64 container) and mbinfo.bin (flat binary, a.out kludge).
 *
 * Command line: name=<file name of this kernel> (argv[0]'s basename must
 * match), hello=world, status=N (exit value). Module 0: initrd.img, made by
 * tests/mbk/mbktool.c: "MBKINITRD <total length> <fnv1a32 of the rest>\n"
 * then pseudo-random bytes. */
#include "multiboot.h"

/* The BSS probe: first in the BSS (tests/lib/boot/multiboot.ld), never
 * written. In the flat binary the file goes on past load_end_addr with 0xA5
 * bytes over it: a loader that loads beyond load_end_addr or does not zero
 * the BSS fails. */
static u8 bss_probe[4096] __attribute__((section(".bss.probe"), used, aligned(16)));

static const struct mb_info *mbi;

/* ----------------------------------------------------------- memory map */
struct range { u64 base, end; };
#define MAX_RANGES 64
static struct range avail[MAX_RANGES];
static u32 n_avail;

static int in_available(u64 base, u64 end)
{
    for (u32 i = 0; i < n_avail; i++)
        if (base >= avail[i].base && end <= avail[i].end)
            return 1;
    return 0;
}

static int overlaps(u64 a0, u64 a1, u64 b0, u64 b1)
{
    return a0 < b1 && b0 < a1;
}

static void check_memory(void)
{
    check(mbi->flags & MBI_MEM, "info flag 0 (mem_lower/mem_upper)");
    check(mbi->flags & MBI_MMAP, "info flag 6 (memory map)");
    check(mbi->mem_lower >= 600 && mbi->mem_lower <= 640, "mem_lower in [600, 640] KiB");

    int wellformed = (mbi->flags & MBI_MMAP) && mbi->mmap_length >= 24;
    u32 off = 0, entries = 0;
    n_avail = 0;
    while (wellformed && off < mbi->mmap_length) {
        const struct mb_mmap *e = (const struct mb_mmap *)(uintptr_t)(mbi->mmap_addr + off);
        if (e->size < 20 || off + e->size + 4 > mbi->mmap_length) {
            wellformed = 0;
            break;
        }
        entries++;
        if (e->type == 1 && e->len && n_avail < MAX_RANGES) {
            avail[n_avail].base = e->base;
            avail[n_avail].end = e->base + e->len;
            n_avail++;
        }
        off += e->size + 4;
    }
    check(wellformed && entries > 0 && off == mbi->mmap_length,
          "memory map entries well-formed (size >= 20, exact total length)");

    const struct range *hi = NULL;
    for (u32 i = 0; i < n_avail; i++)
        if (avail[i].base == 0x100000)
            hi = &avail[i];
    check(hi != NULL, "available range starting at 1 MiB");
    u64 upper_end = 0x100000ull + (u64)mbi->mem_upper * 1024;
    check(hi && (upper_end == hi->end || (hi->end > 0x100000000ull && upper_end <= hi->end)),
          "1 MiB + mem_upper KiB == end of that range");

    int low_hole = 1;
    for (u32 i = 0; i < n_avail; i++)
        if (overlaps(avail[i].base, avail[i].end, 0xA0000, 0x100000))
            low_hole = 0;
    check(low_hole, "no available range overlaps [0xA0000, 0x100000)");

    u64 k0 = (u32)(uintptr_t)__kernel_start, k1 = (u32)(uintptr_t)__bss_end;
    check(in_available(k0, k1), "kernel image [start, end of bss) in available memory");
    check(in_available(mb_info_addr, (u64)mb_info_addr + sizeof *mbi) &&
          !overlaps(mb_info_addr, (u64)mb_info_addr + sizeof *mbi, k0, k1),
          "info structure in available memory, outside the kernel");
}

/* ---------------------------------------------------------- command line */
static void check_cmdline(int argc, char **argv)
{
    check(mbi->flags & MBI_CMDLINE, "info flag 2 (cmdline)");
    check(argc >= 1, "cmdline has argv[0]");
    const char *name = arg_get("name");
    check(name != NULL, "cmdline has name=");
    check_str(argc >= 1 ? basename(argv[0]) : NULL, name,
              "basename(argv[0]) is the kernel's file name (name=)");
    check_str(arg_get("hello"), "world", "cmdline key hello");
    u32 st;
    check(parse_u32(arg_get("status"), &st), "cmdline key status is a number");
    check(arg_get("nosuchkey") == NULL, "cmdline: absent key not found");
}

/* --------------------------------------------------------------- modules */
static u32 fnv1a(const u8 *p, u32 n)
{
    u32 h = 0x811c9dc5u;
    for (u32 i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x01000193u;
    }
    return h;
}

static void check_modules(void)
{
    check(mbi->flags & MBI_MODS, "info flag 3 (modules)");
    check_eq(mbi->mods_count, 1, "mods_count");
    if (!(mbi->flags & MBI_MODS) || mbi->mods_count < 1)
        return;
    const struct mb_mod *m = (const struct mb_mod *)(uintptr_t)mbi->mods_addr;
    u64 k0 = (u32)(uintptr_t)__kernel_start, k1 = (u32)(uintptr_t)__bss_end;
    check_eq(m->mod_start & 0xfff, 0, "module 0 page-aligned (header flag 0)");
    check(m->mod_end > m->mod_start && in_available(m->mod_start, m->mod_end),
          "module 0 in available memory");
    check(!overlaps(m->mod_start, m->mod_end, k0, k1), "module 0 does not overlap the kernel");
    check_str(m->string ? basename((const char *)(uintptr_t)m->string) : NULL, "initrd.img",
              "module 0 string's basename");

    const char *p = (const char *)(uintptr_t)m->mod_start;
    u32 size = m->mod_end - m->mod_start;
    u32 len = 0, sum = 0, hdr = 0;
    int ok = size > 16 && memcmp(p, "MBKINITRD ", 10) == 0;
    if (ok) {
        char f1[16], f2[16];
        u32 i = 10, n = 0;
        while (i < size && i < 64 && p[i] != ' ' && n < 15) f1[n++] = p[i++];
        f1[n] = '\0';
        i++;
        n = 0;
        while (i < size && i < 64 && p[i] != '\n' && n < 15) f2[n++] = p[i++];
        f2[n] = '\0';
        hdr = i + 1;
        ok = i < size && p[i] == '\n' && parse_u32(f1, &len) && f2[0] == '0' &&
             parse_u32(f2, &sum);
    }
    check(ok, "initrd header line");
    check_eq(size, ok ? len : 0, "initrd length (mod_end - mod_start)");
    check_eq(ok && hdr <= size ? fnv1a((const u8 *)p + hdr, size - hdr) : 0, ok ? sum : 1,
             "initrd checksum");
}

/* ------------------------------------------------------------ the rest */
static void check_loader_name(void)
{
    check(mbi->flags & MBI_LOADER_NAME, "info flag 9 (boot loader name)");
    const char *n = (mbi->flags & MBI_LOADER_NAME)
                  ? (const char *)(uintptr_t)mbi->boot_loader_name : NULL;
    check(n && n[0], "boot loader name present and non-empty");
}

static void check_bss(void)
{
    u32 nz = 0;
    for (u32 i = 0; i < sizeof bss_probe; i++)
        nz += bss_probe[i] != 0;
    check_eq(nz, 0, "BSS zeroed by the loader (non-zero probe bytes)");
}

static u32 __attribute__((noinline)) recurse(u32 n, volatile u32 *depth_sp)
{
    volatile u32 pad[8];
    u32 sp;
    __asm__ volatile("mov %%esp, %0" : "=r"(sp));
    if (sp < *depth_sp)
        *depth_sp = sp;
    for (u32 i = 0; i < 8; i++)
        pad[i] = n + i;
    return n ? pad[1] + recurse(n - 1, depth_sp) - 1 : 0;
}

static void check_stack(void)
{
    u32 sp;
    __asm__ volatile("mov %%esp, %0" : "=r"(sp));
    check(sp > (u32)(uintptr_t)stack_bottom && sp <= (u32)(uintptr_t)stack_top,
          "ESP inside the kernel's stack");
    volatile u32 low = sp;
    check_eq(recurse(100, &low), 5050, "recursion 100 deep");
    check(low > (u32)(uintptr_t)stack_bottom && low < sp, "deep stack stays inside the stack");
}

static volatile u32 swint_count, swint_eax;
static void swint_handler(struct trap_frame *f)
{
    swint_count++;
    swint_eax = f->eax;
    f->eax = f->eax + 1;
}

static void check_interrupts(void)
{
    trap_set_handler(0x30, swint_handler);
    u32 r;
    __asm__ volatile("int $0x30" : "=a"(r) : "a"(0x1234u) : "memory");
    check_eq(swint_count, 1, "software INT 0x30 reaches its IDT handler");
    check_eq(r, 0x1235, "INT 0x30 handler sees and returns EAX");
    check_fault(ud2_safe(), VEC_UD, "UD2 raises #UD, recovered");
    u64 v;
    check_fault(rdmsr_safe(0xC0000080u, &v), NOFAULT, "RDMSR EFER does not fault");
}

int main(int argc, char **argv)
{
    note("%s: multiboot test kernel", kernel_name());
    mbi = (const struct mb_info *)(uintptr_t)mb_info_addr;
    check_bss();                        /* before anything else could */
    check_eq(mb_magic, MB_BOOT_MAGIC, "EAX magic at entry");
    if (mb_magic != MB_BOOT_MAGIC)
        return report_summary();
    check_memory();
    check_cmdline(argc, argv);
    check_modules();
    check_loader_name();
    check_stack();
    check_interrupts();
    return report_summary();
}

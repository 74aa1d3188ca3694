/* demo/loader/multiboot.c — Multiboot v1 (spec 0.6.96) loader logic: find the
 * header, plan the load (ELF32, ELF64 or the a.out-kludge address fields),
 * copy the segments, build the boot information. See multiboot.h.
 *
 * The image is untrusted: every offset and size read from it is checked with
 * 64-bit arithmetic that cannot wrap (values from the file are at most 64
 * bits, so each check is written as "a > limit - b" after "b <= limit")
 * before anything is read at it. mb_parse writes only *out; mb_build_info
 * computes the whole placement and checks it before its first write to ram.
 *
 * Reasons given in *why are static strings (no mutable state, no formatting
 * in a freestanding library), so they name the problem, not the numbers. */
#include <stddef.h>
#include <stdint.h>

#include "loader/bytes.h"

#include "loader/multiboot.h"

#define KIB       1024ull
#define MIB       (1024ull * KIB)
#define LIMIT_4G  0x100000000ull     /* the kernel runs in 32-bit protected mode */
#define PAGE      4096ull

/* Header fields (spec 3.1.2 "The layout of Multiboot header"). */
#define MBH_FLAGS_OFF     4
#define MBH_CHECKSUM_OFF  8
#define MBH_SIZE          12u        /* magic, flags, checksum */
#define MBH_AOUT_SIZE     32u        /* + header_addr .. entry_addr (3.1.3) */

/* Header flags (spec 3.1.2 "The flags field of Multiboot header"). */
#define MBF_PAGE_ALIGN    (1u << 0)  /* modules page-aligned: we always do */
#define MBF_MEMORY_INFO   (1u << 1)  /* mem_* required: we always give it */
#define MBF_VIDEO_MODE    (1u << 2)  /* video mode wanted: accepted, ignored as QEMU does */
#define MBF_AOUT_KLUDGE   (1u << 16) /* use the address fields of 3.1.3 */
#define MBF_REQUIRED_MASK 0xffffu    /* bits 0-15: must be understood */
#define MBF_UNDERSTOOD    (MBF_PAGE_ALIGN | MBF_MEMORY_INFO | MBF_VIDEO_MODE)

/* Boot information (spec 3.3 "Boot information format"). */
#define MBI_SIZE          116u       /* up to and including the framebuffer fields */
#define MBI_FLAGS         0
#define MBI_MEM_LOWER     4
#define MBI_MEM_UPPER     8
#define MBI_CMDLINE       16
#define MBI_MODS_COUNT    20
#define MBI_MODS_ADDR     24
#define MBI_MMAP_LENGTH   44
#define MBI_MMAP_ADDR     48
#define MBI_LOADER_NAME   64
#define MBI_F_MEM         (1u << 0)
#define MBI_F_CMDLINE     (1u << 2)
#define MBI_F_MODS        (1u << 3)
#define MBI_F_MMAP        (1u << 6)
#define MBI_F_LOADER_NAME (1u << 9)
#define MB_MOD_SIZE       16u        /* mod_start, mod_end, string, reserved */
#define MB_MMAP_SIZE      24u        /* size (= 20, not counting itself), base, length, type */

/* ELF (System V gABI; x86 psABIs). */
#define EI_CLASS       4
#define EI_DATA        5
#define EI_VERSION     6
#define ELFCLASS32     1
#define ELFCLASS64     2
#define ELFDATA2LSB    1
#define EV_CURRENT     1
#define ET_EXEC        2
#define EM_386         3
#define EM_X86_64      62
#define PT_LOAD        1
#define ELF32_EHSIZE   52u
#define ELF64_EHSIZE   64u
#define ELF32_PHSIZE   32u
#define ELF64_PHSIZE   56u

/* ------------------------------------------------------------ helpers */


/* [off, off + size) lies within [0, len), without wrapping. */
static int in_file(uint64_t off, uint64_t size, uint64_t len)
{
    return off <= len && size <= len - off;
}

/* End of the available memory that contains addr: the available range
 * holding it, extended over available ranges that follow it without a gap
 * (they are one piece of RAM even if listed in two entries). 0 when addr is
 * not in available memory. Not capped by ram_size or 4 GiB. */
static uint64_t avail_end(const struct mb_layout *lay, uint64_t addr)
{
    uint64_t end = 0;
    for (uint32_t i = 0; i < lay->n; i++) {
        const struct mb_range *r = &lay->r[i];
        if (r->type != MB_MEM_AVAILABLE || r->len == 0)
            continue;
        if (end == 0) {
            if (addr >= r->base && addr - r->base < r->len)
                end = mb_range_end(r);
        } else if (r->base == end) {
            end = mb_range_end(r);
        } else if (r->base > end) {
            break;                   /* sorted: nothing further continues it */
        }
    }
    return end;
}

/* [base, base + size) (size > 0) lies in available memory of the layout,
 * below ram_size (the host buffer) and below 4 GiB (32-bit addresses). */
int mb_placeable(const struct mb_layout *lay, uint64_t base, uint64_t size)
{
    uint64_t top = lay->ram_size < LIMIT_4G ? lay->ram_size : LIMIT_4G;
    if (size == 0 || base >= top || size > top - base)
        return 0;
    return base + size <= avail_end(lay, base);
}

static int overlaps(const struct mb_seg *a, const struct mb_seg *b)
{
    /* Both lie below 4 GiB (checked before), so the sums cannot wrap. */
    return a->paddr < b->paddr + b->memsz && b->paddr < a->paddr + a->memsz;
}


/* ------------------------------------------------------------ header */

/* Spec 3.1.1: the header lies wholly within the first 8192 bytes, 32-bit
 * aligned. The first one whose checksum is right is taken (as GRUB and QEMU
 * do); a magic with a wrong checksum is only reported when no good header
 * follows it. */
static int find_header(const uint8_t *img, uint64_t len, uint32_t *off, const char **why)
{
    uint64_t lim = len < MB_SEARCH_BYTES ? len : MB_SEARCH_BYTES;
    int bad_sum = 0;
    for (uint64_t o = 0; o + MBH_SIZE <= lim; o += 4) {
        uint32_t magic = get32(img + o);
        if (magic != MB_HEADER_MAGIC)
            continue;
        /* 3.1.2: magic + flags + checksum == 0 (mod 2^32). */
        if ((uint32_t)(magic + get32(img + o + MBH_FLAGS_OFF) + get32(img + o + MBH_CHECKSUM_OFF)) == 0) {
            *off = (uint32_t)o;
            return 0;
        }
        bad_sum = 1;
    }
    return loader_fail(why, bad_sum ? "multiboot header checksum is wrong"
                             : "no multiboot header in the first 8 KiB");
}

/* ------------------------------------------------------------ a.out kludge */

/* Spec 3.1.3: header_addr is where the header's magic is loaded, so the load
 * starts header_addr - load_addr bytes before the header in the file;
 * load_end_addr 0 = to the end of the file; bss_end_addr 0 = no bss. */
static int parse_aout(const uint8_t *img, uint64_t len, const struct mb_layout *lay,
                      struct mb_image *out, const char **why)
{
    const uint8_t *h = img + out->header_off;
    uint32_t header_addr = get32(h + 12), load_addr = get32(h + 16);
    uint32_t load_end_addr = get32(h + 20), bss_end_addr = get32(h + 24);
    uint32_t entry_addr = get32(h + 28);

    if (load_addr > header_addr)
        return loader_fail(why, "a.out kludge: load_addr is above header_addr");
    uint32_t before = header_addr - load_addr;
    if (before > out->header_off)
        return loader_fail(why, "a.out kludge: load_addr is before the start of the file");
    uint64_t file_off = out->header_off - before;

    uint64_t filesz;
    if (load_end_addr == 0) {
        filesz = len - file_off;
    } else {
        if (load_end_addr < load_addr)
            return loader_fail(why, "a.out kludge: load_end_addr is below load_addr");
        filesz = (uint64_t)load_end_addr - load_addr;
        if (!in_file(file_off, filesz, len))
            return loader_fail(why, "a.out kludge: load_end_addr is beyond the end of the file");
    }
    uint64_t load_end = (uint64_t)load_addr + filesz;   /* may pass 4 GiB: checked below */

    uint64_t memsz = filesz;
    if (bss_end_addr != 0) {
        if (bss_end_addr < load_end)
            return loader_fail(why, "a.out kludge: bss_end_addr is below load_end_addr");
        memsz = (uint64_t)bss_end_addr - load_addr;
    }
    if (memsz == 0)
        return loader_fail(why, "a.out kludge: nothing to load (load_end_addr = load_addr)");
    if (!mb_placeable(lay, load_addr, memsz))
        return loader_fail(why, "a.out kludge: load range [load_addr, bss_end) is outside available guest RAM");
    if (entry_addr < load_addr || entry_addr - load_addr >= memsz)
        return loader_fail(why, "a.out kludge: entry_addr is outside the loaded image");

    out->format = MB_FMT_AOUT_KLUDGE;
    out->entry = entry_addr;
    out->nsegs = 1;
    out->seg[0] = (struct mb_seg){ .file_off = file_off, .filesz = filesz,
                                   .paddr = load_addr, .memsz = memsz };
    return 0;
}

/* ------------------------------------------------------------ ELF */

static int parse_elf(const uint8_t *img, uint64_t len, const struct mb_layout *lay,
                     struct mb_image *out, const char **why)
{
    if (len < 16 || img[0] != 0x7f || img[1] != 'E' || img[2] != 'L' || img[3] != 'F')
        return loader_fail(why, "not ELF and no a.out kludge (header flag 16)");
    int is64;
    if (img[EI_CLASS] == ELFCLASS32)
        is64 = 0;
    else if (img[EI_CLASS] == ELFCLASS64)
        is64 = 1;
    else
        return loader_fail(why, "ELF class is neither 32- nor 64-bit");
    if (img[EI_DATA] != ELFDATA2LSB)
        return loader_fail(why, "ELF is not little-endian");
    if (len < (is64 ? ELF64_EHSIZE : ELF32_EHSIZE))
        return loader_fail(why, "ELF header is truncated");
    if (img[EI_VERSION] != EV_CURRENT || get32(img + 20) != EV_CURRENT)
        return loader_fail(why, "ELF version is not 1 (EV_CURRENT)");
    if (get16(img + 16) != ET_EXEC)
        return loader_fail(why, "ELF type is not an executable (ET_EXEC)");
    uint16_t machine = get16(img + 18);
    if (machine != (is64 ? EM_X86_64 : EM_386))
        return loader_fail(why, is64 ? "ELF machine is not x86-64 (ELF64 needs EM_X86_64)"
                              : "ELF machine is not i386 (ELF32 needs EM_386)");

    uint64_t entry, phoff;
    uint16_t phentsize, phnum;
    if (is64) {
        entry = get64(img + 24);
        phoff = get64(img + 32);
        phentsize = get16(img + 54);
        phnum = get16(img + 56);
    } else {
        entry = get32(img + 24);
        phoff = get32(img + 28);
        phentsize = get16(img + 42);
        phnum = get16(img + 44);
    }
    if (phentsize < (is64 ? ELF64_PHSIZE : ELF32_PHSIZE))
        return loader_fail(why, "ELF program header entry size is too small");
    if (!in_file(phoff, (uint64_t)phnum * phentsize, len))
        return loader_fail(why, "ELF program headers are beyond the end of the file");

    uint32_t n = 0;
    uint64_t vaddr[MB_MAX_SEGS];
    for (uint32_t i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
        if (get32(ph) != PT_LOAD)
            continue;
        struct mb_seg s;
        uint64_t va;
        if (is64) {
            s.file_off = get64(ph + 8);
            va = get64(ph + 16);
            s.paddr = get64(ph + 24);
            s.filesz = get64(ph + 32);
            s.memsz = get64(ph + 40);
        } else {
            s.file_off = get32(ph + 4);
            va = get32(ph + 8);
            s.paddr = get32(ph + 12);
            s.filesz = get32(ph + 16);
            s.memsz = get32(ph + 20);
        }
        if (s.memsz == 0)
            continue;                /* occupies no memory: nothing to load */
        if (s.filesz > s.memsz)
            return loader_fail(why, "ELF segment has p_filesz > p_memsz");
        if (!in_file(s.file_off, s.filesz, len))
            return loader_fail(why, "ELF segment's file range is beyond the end of the file");
        /* Loaded by physical address: the kernel starts with paging off (3.2). */
        if (!mb_placeable(lay, s.paddr, s.memsz))
            return loader_fail(why, "ELF segment (by p_paddr) is outside available guest RAM");
        if (n == MB_MAX_SEGS)
            return loader_fail(why, "ELF has more than 16 loadable segments");
        for (uint32_t j = 0; j < n; j++)
            if (overlaps(&s, &out->seg[j]))
                return loader_fail(why, "ELF segments overlap in physical memory");
        vaddr[n] = va;
        out->seg[n++] = s;
        out->nsegs = n;
    }
    if (n == 0)
        return loader_fail(why, "ELF has no loadable segment");

    /* Higher-half kernels link at a virtual address: an entry inside the
     * first segment whose virtual range holds it is translated to its
     * physical address, as GRUB does (paging is off at entry, 3.2). */
    uint64_t pentry = entry;
    for (uint32_t j = 0; j < n; j++) {
        if (entry >= vaddr[j] && entry - vaddr[j] < out->seg[j].memsz) {
            pentry = out->seg[j].paddr + (entry - vaddr[j]);   /* inside it: < 4 GiB */
            break;
        }
    }
    int inside = 0;
    for (uint32_t j = 0; j < n; j++)
        if (pentry >= out->seg[j].paddr && pentry - out->seg[j].paddr < out->seg[j].memsz)
            inside = 1;
    if (!inside)
        return loader_fail(why, "ELF entry point is not inside a loaded segment");

    out->format = is64 ? MB_FMT_ELF64 : MB_FMT_ELF32;
    out->entry = (uint32_t)pentry;          /* < 4 GiB: inside a segment */
    return 0;
}

/* ------------------------------------------------------------ API */

int mb_parse(const uint8_t *img, uint64_t len, const struct mb_layout *lay,
             struct mb_image *out, const char **why)
{
    *out = (struct mb_image){ 0 };
    if (!img)
        len = 0;

    uint32_t off;
    if (find_header(img, len, &off, why))
        return -1;
    uint32_t flags = get32(img + off + MBH_FLAGS_OFF);
    out->header_off = off;
    out->header_flags = flags;

    /* 3.1.2: a boot loader that does not understand a requirement in bits
     * 0-15 must fail; bits 16-31 are optional and may be ignored. */
    uint32_t unknown = flags & MBF_REQUIRED_MASK & ~MBF_UNDERSTOOD;
    if (unknown) {
        static const char *const bit_reason[16] = {
            [3] = "kernel requires unsupported multiboot feature (header flag bit 3)",
            [4] = "kernel requires unsupported multiboot feature (header flag bit 4)",
            [5] = "kernel requires unsupported multiboot feature (header flag bit 5)",
            [6] = "kernel requires unsupported multiboot feature (header flag bit 6)",
            [7] = "kernel requires unsupported multiboot feature (header flag bit 7)",
            [8] = "kernel requires unsupported multiboot feature (header flag bit 8)",
            [9] = "kernel requires unsupported multiboot feature (header flag bit 9)",
            [10] = "kernel requires unsupported multiboot feature (header flag bit 10)",
            [11] = "kernel requires unsupported multiboot feature (header flag bit 11)",
            [12] = "kernel requires unsupported multiboot feature (header flag bit 12)",
            [13] = "kernel requires unsupported multiboot feature (header flag bit 13)",
            [14] = "kernel requires unsupported multiboot feature (header flag bit 14)",
            [15] = "kernel requires unsupported multiboot feature (header flag bit 15)",
        };
        uint32_t bit = 0;
        while (!(unknown & (1u << bit)))
            bit++;
        return loader_fail(why, bit_reason[bit]);
    }

    int rc;
    if (flags & MBF_AOUT_KLUDGE) {
        /* The address fields are part of the header: they too must be in
         * the file and in the first 8 KiB (3.1.1). They win over ELF
         * program headers, as in GRUB and QEMU. */
        if ((uint64_t)off + MBH_AOUT_SIZE > len)
            return loader_fail(why, "multiboot header address fields (flag 16) are beyond the end of the file");
        if ((uint64_t)off + MBH_AOUT_SIZE > MB_SEARCH_BYTES)
            return loader_fail(why, "multiboot header address fields (flag 16) are beyond the first 8 KiB");
        rc = parse_aout(img, len, lay, out, why);
    } else {
        rc = parse_elf(img, len, lay, out, why);
    }
    if (rc)
        return rc;

    out->load_lo = UINT64_MAX;
    out->load_hi = 0;
    for (uint32_t i = 0; i < out->nsegs; i++) {
        const struct mb_seg *s = &out->seg[i];
        if (s->paddr < out->load_lo)
            out->load_lo = s->paddr;
        if (s->paddr + s->memsz > out->load_hi)
            out->load_hi = s->paddr + s->memsz;
    }
    return 0;
}

void mb_load(const struct mb_image *im, const uint8_t *img, uint8_t *ram)
{
    for (uint32_t i = 0; i < im->nsegs; i++) {
        const struct mb_seg *s = &im->seg[i];
        copy_bytes(ram + s->paddr, img + s->file_off, s->filesz);
        zero_bytes(ram + s->paddr + s->filesz, s->memsz - s->filesz);
    }
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);   /* v < 2^33 here: cannot wrap */
}

int mb_build_info(const struct mb_image *im, const struct mb_boot *b, const struct mb_layout *lay,
                  uint8_t *ram, struct mb_result *res, const char **why)
{
    static const char too_big[] = "modules and boot information do not fit in available guest RAM after the kernel";
    const uint32_t nmods = b->nmods;
    if (nmods && !b->mods)
        return loader_fail(why, "modules counted but no module array given");

    /* Plan. Every address is kept <= 4 GiB, checking each step before
     * adding, so no sum below can wrap. Modules are page-aligned whether
     * or not header flag 0 asks (3.1.2 bit 0): QEMU and GRUB do the same. */
    if (im->load_hi > LIMIT_4G)
        return loader_fail(why, too_big);
    const uint64_t start = align_up(im->load_hi, PAGE);
    uint64_t cur = start;
    for (uint32_t i = 0; i < nmods; i++) {
        cur = align_up(cur, PAGE);
        /* mod_end is exclusive and stored in 32 bits: keep it < 4 GiB. */
        if (cur >= LIMIT_4G || b->mods[i].len >= LIMIT_4G - cur)
            return loader_fail(why, too_big);
        cur += b->mods[i].len;
    }
    const uint64_t mbi = align_up(cur, 8);
    const uint64_t mods_addr = mbi + MBI_SIZE;
    const uint64_t mmap_addr = mods_addr + (uint64_t)MB_MOD_SIZE * nmods;
    const uint64_t mmap_len = (uint64_t)MB_MMAP_SIZE * lay->n;
    const uint64_t cmdline = mmap_addr + mmap_len;            /* < 2^33 + 2^36 + 2^37 */
    uint64_t strings = cmdline + str_len(b->cmdline) + 1;
    for (uint32_t i = 0; i < nmods; i++) {
        strings += str_len(b->mods[i].string) + 1;
        if (strings > LIMIT_4G)
            return loader_fail(why, too_big);
    }
    const uint64_t loader = strings;
    const uint64_t end = loader + str_len(b->loader_name) + 1;
    if (end > LIMIT_4G || !mb_placeable(lay, start, end - start))
        return loader_fail(why, too_big);

    /* Memory sizes (3.3): mem_lower from the RAM at 0 (at most 640 KiB),
     * mem_upper from the RAM at 1 MiB up to its first hole, in KiB, kept
     * below 4 GiB (the field is 32-bit and the kernel's view is 32-bit). */
    uint64_t lo_end = avail_end(lay, 0);
    if (lo_end > 640 * KIB)
        lo_end = 640 * KIB;
    uint64_t hi_end = avail_end(lay, MIB);
    if (hi_end > LIMIT_4G)
        hi_end = LIMIT_4G;
    const uint32_t mem_lower = (uint32_t)(lo_end / KIB);
    const uint32_t mem_upper = hi_end > MIB ? (uint32_t)((hi_end - MIB) / KIB) : 0;

    /* Write. */
    uint64_t m = start, s = cmdline + str_len(b->cmdline) + 1;
    for (uint32_t i = 0; i < nmods; i++) {
        const struct mb_module *md = &b->mods[i];
        m = align_up(m, PAGE);
        if (md->len)
            copy_bytes(ram + m, md->data, md->len);
        uint64_t sl = str_len(md->string);
        uint8_t *e = ram + mods_addr + (uint64_t)MB_MOD_SIZE * i;
        put32(e + 0, (uint32_t)m);
        put32(e + 4, (uint32_t)(m + md->len));
        put32(e + 8, (uint32_t)s);
        put32(e + 12, 0);
        if (sl)
            copy_bytes(ram + s, (const uint8_t *)md->string, sl);
        ram[s + sl] = 0;
        s += sl + 1;
        m += md->len;
    }

    uint64_t cl = str_len(b->cmdline);
    if (cl)
        copy_bytes(ram + cmdline, (const uint8_t *)b->cmdline, cl);
    ram[cmdline + cl] = 0;
    uint64_t ll = str_len(b->loader_name);
    if (ll)
        copy_bytes(ram + loader, (const uint8_t *)b->loader_name, ll);
    ram[loader + ll] = 0;

    /* 3.3 "mmap_addr": size (20: the entry without the size field),
     * base_addr, length, type; one entry per layout range, as given. */
    for (uint32_t i = 0; i < lay->n; i++) {
        uint8_t *e = ram + mmap_addr + (uint64_t)MB_MMAP_SIZE * i;
        put32(e + 0, MB_MMAP_SIZE - 4);
        put64(e + 4, lay->r[i].base);
        put64(e + 12, lay->r[i].len);
        put32(e + 20, lay->r[i].type);
    }

    uint8_t *info = ram + mbi;
    zero_bytes(info, MBI_SIZE);
    put32(info + MBI_FLAGS, MBI_F_MEM | MBI_F_CMDLINE | MBI_F_MODS | MBI_F_MMAP | MBI_F_LOADER_NAME);
    put32(info + MBI_MEM_LOWER, mem_lower);
    put32(info + MBI_MEM_UPPER, mem_upper);
    put32(info + MBI_CMDLINE, (uint32_t)cmdline);
    put32(info + MBI_MODS_COUNT, nmods);
    put32(info + MBI_MODS_ADDR, (uint32_t)mods_addr);
    put32(info + MBI_MMAP_LENGTH, (uint32_t)mmap_len);
    put32(info + MBI_MMAP_ADDR, (uint32_t)mmap_addr);
    put32(info + MBI_LOADER_NAME, (uint32_t)loader);

    res->mbi = (uint32_t)mbi;
    res->mods_start = nmods ? (uint32_t)start : 0;
    res->end = end;
    return 0;
}

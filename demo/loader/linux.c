/* demo/loader/linux.c — the Linux/x86 boot protocol loader logic: check
 * the setup header, plan the load, write the kernel, initrd, command line,
 * zero page, GDT and page tables. See linux.h. Section names below are
 * those of the kernel's Documentation/arch/x86/boot.rst ("boot.rst") and
 * zero-page.rst.
 *
 * The image is untrusted: every field is range-checked with 64-bit
 * arithmetic before it is used as an offset or an address (values from the
 * file are at most 32 bits wide but for pref_address, which is checked
 * against 4 GiB first, so no sum below can wrap). lx_parse and lx_place
 * write only their output structure; lx_load writes ram and cannot fail. */
#include <stddef.h>
#include <stdint.h>

#include "loader/bytes.h"

#include "loader/linux.h"

#define MIB       0x100000ull
#define LIMIT_4G  LOADER_LIMIT_4G
#define PAGE      4096ull

/* Setup header fields (boot.rst "The real-mode kernel header"): offsets in
 * the image and in the zero page alike. */
#define HDR_START           0x1f1u
#define HDR_SETUP_SECTS     0x1f1u   /* 1 byte; 0 means 4 */
#define HDR_SYSSIZE         0x1f4u   /* 4: protected-mode code in 16-byte paragraphs (2.04+) */
#define HDR_BOOT_FLAG       0x1feu   /* 2: 0xAA55 */
#define HDR_JUMP            0x200u   /* 2: the byte at 0x201 gives the header's end */
#define HDR_MAGIC           0x202u   /* 4: "HdrS" */
#define HDR_VERSION         0x206u   /* 2 */
#define HDR_TYPE_OF_LOADER  0x210u   /* 1 */
#define HDR_LOADFLAGS       0x211u   /* 1 */
#define HDR_CODE32_START    0x214u   /* 4 */
#define HDR_RAMDISK_IMAGE   0x218u   /* 4 */
#define HDR_RAMDISK_SIZE    0x21cu   /* 4 */
#define HDR_CMD_LINE_PTR    0x228u   /* 4 (2.02+) */
#define HDR_INITRD_ADDR_MAX 0x22cu   /* 4 (2.03+) */
#define HDR_KERNEL_ALIGN    0x230u   /* 4 (2.05+) */
#define HDR_RELOCATABLE     0x234u   /* 1 (2.05+) */
#define HDR_XLOADFLAGS      0x236u   /* 2 (2.12+) */
#define HDR_CMDLINE_SIZE    0x238u   /* 4 (2.06+) */
#define HDR_PREF_ADDRESS    0x258u   /* 8 (2.10+) */
#define HDR_INIT_SIZE       0x260u   /* 4 (2.10+) */
#define HDR_END_2_06        0x23cu   /* the header through cmdline_size */
#define HDR_END_2_10        0x264u   /* ... through init_size */

#define LOADED_HIGH         0x01u    /* loadflags bit 0: a bzImage, kernel at 1 MiB and up */
#define XLF_KERNEL_64       0x01u    /* xloadflags bit 0: the 64-bit entry at load + 0x200 */
#define LOADER_UNDEFINED    0xffu    /* type_of_loader: "undefined" (no assigned ID) */
#define ENTRY64_OFFSET      0x200u   /* boot.rst "64-bit BOOT PROTOCOL" */

/* Zero page fields (zero-page.rst). */
#define ZP_EXT_RAMDISK_IMAGE 0x0c0u
#define ZP_EXT_RAMDISK_SIZE  0x0c4u
#define ZP_EXT_CMD_LINE_PTR  0x0c8u
#define ZP_E820_ENTRIES      0x1e8u
#define ZP_EDD_MBR_SIG_BUF   0x290u  /* the first field after the setup header's room */
#define ZP_E820_TABLE        0x2d0u  /* 128 entries of 20 bytes: addr, size, type */
#define ZP_E820_ENTRY_SIZE   20u

/* Descriptors (SDM Vol. 3A 3.4.5 "Segment Descriptors"): base 0, limit
 * 0xfffff with G = 1 (4 GiB), present, DPL 0, S = 1; code execute/read
 * accessed (type 0xb), data read/write accessed (type 0x3); L = 1 for the
 * 64-bit entry's code segment (D must then be 0, SDM 5.2.1), D = 1 for
 * 32-bit. */
#define GDT_CODE64 0x00af9b000000ffffull
#define GDT_CODE32 0x00cf9b000000ffffull
#define GDT_DATA   0x00cf93000000ffffull

/* Paging entries (SDM Vol. 3A 4.5, Tables 4-15, 4-17, 4-18): present,
 * writable; PS in a PD entry maps a 2 MiB page. */
#define PTE_P      0x001ull
#define PTE_RW     0x002ull
#define PTE_PS     0x080ull

/* ------------------------------------------------------------ helpers */

/* Both ranges lie below 2^34 here: the sums cannot wrap. */
static int overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);   /* v <= 4 GiB, a <= 2 GiB: cannot wrap */
}

/* ------------------------------------------------------------ parse */

int lx_is_bzimage(const uint8_t *img, uint64_t len)
{
    return img && len >= HDR_MAGIC + 4 && get32(img + HDR_MAGIC) == LX_HDR_MAGIC;
}

int lx_parse(const uint8_t *img, uint64_t len, struct lx_image *out, const char **why)
{
    *out = (struct lx_image){ 0 };
    if (!lx_is_bzimage(img, len))
        return loader_fail(why, "no Linux setup header (HdrS magic at 0x202)");
    if (len < HDR_END_2_06)
        return loader_fail(why, "Linux setup header is beyond the end of the file");
    if (get16(img + HDR_BOOT_FLAG) != 0xaa55)
        return loader_fail(why, "Linux setup header: boot_flag is not 0xAA55");
    uint16_t version = get16(img + HDR_VERSION);
    if (version < LX_MIN_VERSION)
        return loader_fail(why, "Linux boot protocol older than 2.06 is not supported");

    /* 64-bit BOOT PROTOCOL: the header ends at 0x202 + the byte at 0x201. It
     * must hold every field its version defines, and end before the zero
     * page's next field (edd_mbr_sig_buffer) so that copying it clobbers
     * nothing. */
    uint32_t hdr_end = HDR_MAGIC + img[HDR_JUMP + 1];
    uint32_t need = version >= 0x020a ? HDR_END_2_10 : HDR_END_2_06;
    if (hdr_end < need)
        return loader_fail(why, "Linux setup header is shorter than its protocol version needs");
    if (hdr_end > ZP_EDD_MBR_SIG_BUF)
        return loader_fail(why, "Linux setup header runs past its room in the zero page");
    if (len < hdr_end)
        return loader_fail(why, "Linux setup header is beyond the end of the file");

    uint8_t loadflags = img[HDR_LOADFLAGS];
    if (!(loadflags & LOADED_HIGH))
        return loader_fail(why, "zImage (loadflags without LOADED_HIGH) is not supported: a bzImage is needed");

    /* "Loading The Rest of The Kernel": the real-mode code is
     * (setup_sects + 1) sectors, setup_sects 0 meaning 4; the
     * protected-mode kernel follows, syssize paragraphs long. */
    uint32_t sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4u;
    uint64_t setup_size = (uint64_t)(sects + 1) * 512;
    if (setup_size > len)
        return loader_fail(why, "Linux setup code (setup_sects) is beyond the end of the file");
    uint64_t ksize = (uint64_t)get32(img + HDR_SYSSIZE) * 16;
    if (ksize == 0)
        return loader_fail(why, "Linux kernel is empty (syssize 0)");
    if (ksize > len - setup_size)
        return loader_fail(why, "Linux kernel (syssize) is beyond the end of the file");

    uint8_t reloc = img[HDR_RELOCATABLE];
    uint32_t align = get32(img + HDR_KERNEL_ALIGN);
    /* A relocatable kernel aligns its runtime address to kernel_alignment
     * (boot.rst, init_size): it must be a power of two. */
    if (reloc && (align == 0 || (align & (align - 1))))
        return loader_fail(why, "Linux kernel_alignment is not a power of two");

    out->version = version;
    out->loadflags = loadflags;
    out->relocatable = reloc ? 1 : 0;
    out->xloadflags = version >= 0x020c ? get16(img + HDR_XLOADFLAGS) : 0;
    out->hdr_end = hdr_end;
    out->setup_size = (uint32_t)setup_size;
    out->kernel_size = ksize;
    out->code32_start = get32(img + HDR_CODE32_START);
    out->kernel_alignment = align;
    out->cmdline_size = get32(img + HDR_CMDLINE_SIZE);
    out->initrd_addr_max = get32(img + HDR_INITRD_ADDR_MAX);
    if (version >= 0x020a) {
        out->pref_address = get64(img + HDR_PREF_ADDRESS);
        out->init_size = get32(img + HDR_INIT_SIZE);
    } else {
        /* Before 2.10 neither is given: such kernels ran from 1 MiB, and
         * only the loaded size is known to be theirs. */
        out->pref_address = MIB;
        out->init_size = ksize;
    }
    if (out->pref_address >= LIMIT_4G)
        return loader_fail(why, "Linux pref_address is above 4 GiB");
    return 0;
}

/* ------------------------------------------------------------ place */

/* The highest page-aligned base for the initrd: ending at or below limit,
 * in available memory, from 1 MiB up, clear of the kernel's two ranges.
 * The best end is one of the candidate tops: an available range's end, the
 * limit, or the start of a kernel range. 0 when none fits. */
static uint64_t place_initrd(const struct mb_layout *lay, uint64_t len, uint64_t limit,
                             const struct lx_plan *p, uint64_t ksize, uint64_t init_size)
{
    uint64_t best = 0;
    for (uint32_t i = 0; i <= lay->n + 2; i++) {
        uint64_t top;
        if (i < lay->n) {
            if (lay->r[i].type != MB_MEM_AVAILABLE)
                continue;
            top = mb_range_end(&lay->r[i]);
        } else if (i == lay->n) {
            top = limit;
        } else if (i == lay->n + 1) {
            top = p->load;
        } else {
            top = p->runtime_start;
        }
        if (top > limit)
            top = limit;
        if (top < len)
            continue;
        uint64_t base = (top - len) & ~(PAGE - 1);
        if (base < MIB || base <= best || !mb_placeable(lay, base, len))
            continue;
        if (overlap(base, len, p->load, ksize) || overlap(base, len, p->runtime_start, init_size))
            continue;
        best = base;
    }
    return best;
}

int lx_place(const struct lx_image *im, const struct lx_boot *b, const struct mb_layout *lay,
             struct lx_plan *p, const char **why)
{
    *p = (struct lx_plan){ 0 };
    if (lay->n > LX_E820_MAX)
        return loader_fail(why, "memory map has more entries than the zero page's e820 table (128)");

    /* The entry: 64-bit when asked or by default when the kernel has one. */
    int has64 = (im->xloadflags & XLF_KERNEL_64) != 0;
    if (b->entry == LX_ENTRY_64 && !has64)
        return loader_fail(why, "Linux kernel has no 64-bit entry (xloadflags XLF_KERNEL_64)");
    p->long_mode = b->entry == LX_ENTRY_64 || (b->entry == LX_ENTRY_AUTO && has64);

    /* "Loading The Rest of The Kernel": a bzImage's protected-mode kernel
     * goes to 1 MiB; a relocatable one may go anywhere aligned to
     * kernel_alignment, and pref_address is where it wants to be. The
     * runtime start follows boot.rst (init_size): a relocatable kernel
     * runs at its load address, moved up to pref_address, aligned; any
     * other at pref_address. */
    uint64_t load;
    uint64_t pref = im->pref_address;
    if (im->relocatable) {
        load = align_up(pref > MIB ? pref : MIB, im->kernel_alignment);
        uint64_t rt = load < pref ? pref : load;
        p->runtime_start = align_up(rt, im->kernel_alignment);
    } else {
        load = MIB;
        p->runtime_start = pref;
    }
    p->load = load;
    if (p->runtime_start < MIB)
        return loader_fail(why, "Linux kernel would run below 1 MiB (pref_address)");
    if (!mb_placeable(lay, load, im->kernel_size))
        return loader_fail(why, "Linux kernel does not fit in available guest RAM at its load address");
    if (!mb_placeable(lay, p->runtime_start, im->init_size))
        return loader_fail(why, "Linux kernel's init_size does not fit in available guest RAM (MEM=...)");
    p->entry = p->long_mode ? load + ENTRY64_OFFSET : load;

    /* The boot data in conventional memory. */
    uint64_t cl = str_len(b->cmdline);
    if (cl > im->cmdline_size)
        return loader_fail(why, "command line is longer than the kernel's cmdline_size");
    if (cl + 1 > LX_CMDLINE_MAX)
        return loader_fail(why, "command line does not fit in its room below 640 KiB");
    p->gdt = LX_GDT_ADDR;
    p->stack = LX_STACK_TOP;
    p->zero_page = LX_ZERO_PAGE_ADDR;
    p->cmdline = LX_CMDLINE_ADDR;
    p->cmdline_len = cl;
    p->pml4 = p->long_mode ? LX_PML4_ADDR : 0;
    if (!mb_placeable(lay, LX_GDT_ADDR, LX_STACK_TOP - LX_GDT_ADDR) ||
        !mb_placeable(lay, LX_ZERO_PAGE_ADDR, LX_ZERO_PAGE_SIZE) ||
        !mb_placeable(lay, LX_CMDLINE_ADDR, cl + 1) ||
        (p->long_mode && !mb_placeable(lay, LX_PML4_ADDR, LX_PT_PAGES * PAGE)))
        return loader_fail(why, "no available conventional memory for the zero page, command line and GDT");

    /* boot.rst "initrd_addr_max": the highest address the initrd may
     * occupy; and below RAM top and 4 GiB (32-bit ramdisk_image). */
    if (b->initrd_len) {
        if (!b->initrd)
            return loader_fail(why, "initrd length given without its data");
        uint64_t limit = (uint64_t)im->initrd_addr_max + 1;
        if (limit > lay->ram_size)
            limit = lay->ram_size;
        if (limit > LIMIT_4G)
            limit = LIMIT_4G;
        uint64_t at = place_initrd(lay, b->initrd_len, limit, p, im->kernel_size, im->init_size);
        if (!at)
            return loader_fail(why, "initrd does not fit in available guest RAM below initrd_addr_max beside the kernel");
        p->initrd = at;
        p->initrd_len = b->initrd_len;
    }
    return 0;
}

/* ------------------------------------------------------------ load */

void lx_load(const struct lx_image *im, const struct lx_boot *b, const struct mb_layout *lay,
             const struct lx_plan *p, const uint8_t *img, uint8_t *ram)
{
    copy_bytes(ram + p->load, img + im->setup_size, im->kernel_size);
    if (p->initrd_len)
        copy_bytes(ram + p->initrd, b->initrd, p->initrd_len);
    if (p->cmdline_len)
        copy_bytes(ram + p->cmdline, (const uint8_t *)b->cmdline, p->cmdline_len);
    ram[p->cmdline + p->cmdline_len] = 0;

    /* The zero page: all zero (so sentinel, acpi_rsdp_addr and screen_info
     * are 0: no boot-time video, the kernel finds the RSDP itself), the
     * image's setup header, then what "Details of Header Fields" says a
     * boot loader writes. */
    uint8_t *zp = ram + p->zero_page;
    zero_bytes(zp, LX_ZERO_PAGE_SIZE);
    copy_bytes(zp + HDR_START, img + HDR_START, im->hdr_end - HDR_START);
    zp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
    /* code32_start: a loader that places a relocatable kernel elsewhere
     * than its default must point it at the load address. */
    put32(zp + HDR_CODE32_START, (uint32_t)p->load);
    put32(zp + HDR_CMD_LINE_PTR, (uint32_t)p->cmdline);
    put32(zp + ZP_EXT_CMD_LINE_PTR, (uint32_t)(p->cmdline >> 32));
    put32(zp + HDR_RAMDISK_IMAGE, (uint32_t)p->initrd);
    put32(zp + HDR_RAMDISK_SIZE, (uint32_t)p->initrd_len);
    put32(zp + ZP_EXT_RAMDISK_IMAGE, (uint32_t)(p->initrd >> 32));
    put32(zp + ZP_EXT_RAMDISK_SIZE, (uint32_t)(p->initrd_len >> 32));
    zp[ZP_E820_ENTRIES] = (uint8_t)lay->n;
    for (uint32_t i = 0; i < lay->n; i++) {
        uint8_t *e = zp + ZP_E820_TABLE + ZP_E820_ENTRY_SIZE * i;
        put64(e, lay->r[i].base);
        put64(e + 8, lay->r[i].len);
        put32(e + 16, lay->r[i].type);
    }

    /* GDT: __BOOT_CS and __BOOT_DS, flat 4 GiB (32-bit and 64-bit BOOT
     * PROTOCOL). */
    uint8_t *gdt = ram + p->gdt;
    zero_bytes(gdt, LX_GDT_LIMIT + 1);
    put64(gdt + LX_BOOT_CS, p->long_mode ? GDT_CODE64 : GDT_CODE32);
    put64(gdt + LX_BOOT_DS, GDT_DATA);

    /* 64-bit BOOT PROTOCOL: an identity map of the kernel, zero page and
     * command line; the first 4 GiB with 2 MiB pages covers everything
     * placed (4-level paging, SDM 4.5). */
    if (p->long_mode) {
        uint8_t *pt = ram + p->pml4;
        zero_bytes(pt, LX_PT_PAGES * PAGE);
        uint64_t pdpt = p->pml4 + PAGE, pd = p->pml4 + 2 * PAGE;
        put64(pt, pdpt | PTE_P | PTE_RW);
        for (uint64_t i = 0; i < 4; i++) {
            put64(pt + PAGE + 8 * i, (pd + i * PAGE) | PTE_P | PTE_RW);
            for (uint64_t j = 0; j < 512; j++)
                put64(pt + 2 * PAGE + i * PAGE + 8 * j,
                      (i << 30 | j << 21) | PTE_P | PTE_RW | PTE_PS);
        }
    }
}

/* demo/loader/multiboot.h — Multiboot v1 (spec 0.6.96) image loading and boot
 * information, as a boot loader does it for a guest kernel. Pure functions
 * of byte buffers: no hardware access, unit-tested on the host
 * (tests/unit/test_multiboot.c).
 *
 * Guest memory is described by a layout (an E820-style list). "ram" is the
 * host view of guest-physical [0, ram_size): every address the functions
 * write lies in an available (type 1) range of the layout below ram_size.
 * Parsing validates everything before anything is written, so an image is
 * either loaded whole or refused with a reason. */
#ifndef DEMO_LOADER_MULTIBOOT_H
#define DEMO_LOADER_MULTIBOOT_H

#include <stdint.h>

#define MB_HEADER_MAGIC  0x1BADB002u   /* in the kernel image */
#define MB_BOOT_MAGIC    0x2BADB002u   /* in EAX at the kernel's entry */
#define MB_SEARCH_BYTES  8192u         /* header within the first 8 KiB */

/* E820 types (ACPI spec, "Address Range Types"). */
#define MB_MEM_AVAILABLE 1u
#define MB_MEM_RESERVED  2u
#define MB_MEM_ACPI      3u
#define MB_MEM_NVS       4u

struct mb_range {
    uint64_t base, len;
    uint32_t type;              /* MB_MEM_* */
    uint32_t pad;
};

struct mb_layout {
    const struct mb_range *r;   /* sorted by base, not overlapping */
    uint32_t n;
    uint64_t ram_size;          /* size of the "ram" buffer (guest RAM top) */
};

enum mb_format { MB_FMT_ELF32 = 1, MB_FMT_ELF64, MB_FMT_AOUT_KLUDGE };

#define MB_MAX_SEGS 16
struct mb_seg {
    uint64_t file_off, filesz;  /* bytes copied from the image */
    uint64_t paddr, memsz;      /* [paddr, paddr + memsz) in guest memory; tail zeroed */
};

struct mb_image {
    uint32_t format;            /* enum mb_format */
    uint32_t header_off;        /* offset of the multiboot header in the file */
    uint32_t header_flags;
    uint32_t entry;             /* guest-physical entry point (EIP) */
    uint32_t nsegs;
    uint32_t pad;
    struct mb_seg seg[MB_MAX_SEGS];
    uint64_t load_lo, load_hi;  /* lowest paddr, end of the highest segment */
};

/* Find and check the multiboot header, then the load plan: the a.out-kludge
 * address fields when header flag 16 is set (they take precedence, as in
 * GRUB and QEMU), else the ELF32/ELF64 program headers (PT_LOAD, by
 * physical address; an entry point inside a segment's virtual range is
 * translated to its physical address, as GRUB does). Every segment must lie
 * in available memory of the layout. Returns 0, or -1 with *why set to a
 * one-line reason (never NULL then). */
int mb_parse(const uint8_t *img, uint64_t len, const struct mb_layout *lay,
             struct mb_image *out, const char **why);

/* Copy the segments of a parsed image into ram (zeroing the BSS parts). */
void mb_load(const struct mb_image *im, const uint8_t *img, uint8_t *ram);

struct mb_module {
    const uint8_t *data;
    uint64_t len;
    const char *string;         /* the module's command line (its name) */
};

struct mb_boot {
    const char *cmdline;        /* the kernel's command line */
    const char *loader_name;
    const struct mb_module *mods;
    uint32_t nmods;
};

struct mb_result {
    uint32_t mbi;               /* guest-physical address of the info (EBX) */
    uint32_t mods_start;        /* where module 0 went (0 when none) */
    uint64_t end;               /* first byte after everything placed */
};

/* Place the modules (page-aligned when header flag 0 asks, always 4-byte
 * aligned) after the kernel's last segment, then the info structure, the
 * module list, the memory map and the strings, and write them into ram.
 * The info carries flags 0 (mem_lower/mem_upper from the layout's available
 * ranges at 0 and at 1 MiB), 2 (cmdline), 3 (modules), 6 (memory map: the
 * layout's ranges as given) and 9 (boot loader name). Returns 0, or -1 with
 * *why when it does not fit in available memory (nothing written then). */
int mb_build_info(const struct mb_image *im, const struct mb_boot *b, const struct mb_layout *lay,
                  uint8_t *ram, struct mb_result *res, const char **why);

/* [base, base + size) (size > 0) lies in available memory of the layout
 * (adjacent available ranges count as one), below ram_size and below
 * 4 GiB: where a loader may put something (linux.c uses it too). */
int mb_placeable(const struct mb_layout *lay, uint64_t base, uint64_t size);
/* The end of a range, saturated at 2^64 - 1. */
static inline uint64_t mb_range_end(const struct mb_range *r)
{
    return r->len > UINT64_MAX - r->base ? UINT64_MAX : r->base + r->len;
}

#endif

/* demo/loader/linux.h — the Linux/x86 boot protocol (the kernel's
 * Documentation/arch/x86/boot.rst, "The Linux/x86 Boot Protocol", and
 * zero-page.rst), as a boot loader does it for a bzImage guest: the
 * protected-mode kernel, the zero page (struct boot_params), the command
 * line, the initrd, and the CPU state of the 32-bit or 64-bit entry. Pure
 * functions of byte buffers, unit-tested on the host
 * (tests/unit/test_linux.c).
 *
 * Three steps, as the multiboot loader beside it: lx_parse checks the
 * image, lx_place plans every address and checks that it fits the layout
 * (writing nothing), lx_load writes it all into guest RAM and cannot fail.
 * So an image is either loaded whole or refused with a reason.
 *
 * Guest memory is an E820-style layout (struct mb_layout of multiboot.h):
 * everything placed lies in its available ranges below ram_size and 4 GiB
 * (32-bit pointers in the zero page; the 64-bit entry's page tables map
 * the first 4 GiB). */
#ifndef DEMO_LOADER_LINUX_H
#define DEMO_LOADER_LINUX_H

#include <stdint.h>
#include "loader/multiboot.h"

#define LX_HDR_MAGIC      0x53726448u  /* "HdrS" at 0x202 */
#define LX_MIN_VERSION    0x0206u      /* cmdline_size exists from 2.06 */
#define LX_ZERO_PAGE_SIZE 4096u
#define LX_E820_MAX       128u         /* entries of boot_params.e820_table */
#define LX_BOOT_CS        0x10u        /* __BOOT_CS, __BOOT_DS: boot.rst "32-bit/64-bit BOOT PROTOCOL" */
#define LX_BOOT_DS        0x18u
#define LX_GDT_LIMIT      (4u * 8u - 1u) /* null, unused, __BOOT_CS, __BOOT_DS */

/* Fixed addresses of what the loader puts in conventional memory (below
 * 640 KiB, above the real-mode IVT and BIOS data area): each must lie in
 * available memory of the layout. The kernel copies the zero page and the
 * command line before it reuses this memory, and builds its own GDT and
 * page tables. */
#define LX_GDT_ADDR       0x5000u
#define LX_STACK_TOP      0x7000u      /* a page of stack below the zero page */
#define LX_ZERO_PAGE_ADDR 0x7000u
#define LX_PML4_ADDR      0x9000u      /* PML4, PDPT, 4 PDs: 4 GiB of 2 MiB pages */
#define LX_PT_PAGES       6u
#define LX_CMDLINE_ADDR   0x20000u
#define LX_CMDLINE_MAX    0x60000u     /* room at LX_CMDLINE_ADDR, up to 0x80000 */

enum lx_entry { LX_ENTRY_AUTO = 0, LX_ENTRY_32, LX_ENTRY_64 };

/* What lx_parse found in the setup header (boot.rst "The real-mode kernel
 * header"), with the protocol's defaults for fields its version lacks. */
struct lx_image {
    uint16_t version;           /* 0x206: protocol, e.g. 0x020f */
    uint8_t loadflags, relocatable;
    uint16_t xloadflags;        /* 0 before 2.12 */
    uint16_t pad;
    uint32_t hdr_end;           /* 0x202 + the byte at 0x201: copied to the zero page up to here */
    uint32_t setup_size;        /* (setup_sects, 0 = 4, + 1) * 512: file offset of the kernel */
    uint64_t kernel_size;       /* syssize * 16: the protected-mode kernel's bytes */
    uint32_t code32_start;
    uint32_t kernel_alignment;  /* a power of two when relocatable */
    uint64_t pref_address;      /* 2.10+; else 1 MiB */
    uint64_t init_size;         /* 2.10+; else kernel_size */
    uint32_t cmdline_size;      /* the longest command line, without its NUL */
    uint32_t initrd_addr_max;   /* the highest address the initrd may occupy */
};

struct lx_boot {
    const char *cmdline;        /* NULL: empty */
    const uint8_t *initrd;
    uint64_t initrd_len;        /* 0: no initrd */
    uint32_t entry;             /* enum lx_entry; AUTO = 64-bit when the kernel has it */
};

/* Where everything goes, and how the vCPU starts. */
struct lx_plan {
    uint64_t load;              /* the protected-mode kernel: [load, load + kernel_size) */
    uint64_t runtime_start;     /* [runtime_start, + init_size): the kernel's working memory */
    uint64_t initrd, initrd_len;
    uint64_t zero_page, cmdline, cmdline_len, gdt, pml4, stack;
    uint64_t entry;             /* 64-bit: load + 0x200; 32-bit: load (code32_start) */
    uint32_t long_mode;         /* 1: 64-bit entry (CR3 = pml4, RSI = zero page) */
    uint32_t pad;
};

/* 1 when img carries the setup header's magic (HdrS at 0x202): a Linux
 * kernel for this loader, to be parsed (and maybe refused) by lx_parse. */
int lx_is_bzimage(const uint8_t *img, uint64_t len);

/* Check the setup header: boot_flag 0xAA55, HdrS, protocol >= 2.06, a
 * bzImage (LOADED_HIGH), the setup and kernel within the file, the header
 * as long as its version needs, a power-of-two kernel_alignment for a
 * relocatable kernel. Returns 0, or -1 with *why (a static string). */
int lx_parse(const uint8_t *img, uint64_t len, struct lx_image *out, const char **why);

/* Plan the load (boot.rst "Loading The Rest of The Kernel", init_size):
 * the kernel at pref_address (relocatable: aligned up to
 * kernel_alignment) or at 1 MiB, its runtime range
 * [runtime_start, + init_size) computed as boot.rst says; the initrd at the
 * highest page-aligned address below initrd_addr_max and RAM top, above
 * 1 MiB, clear of both kernel ranges; the zero page, command line, GDT,
 * stack and page tables at the fixed low addresses above. Returns 0, or -1
 * with *why when something does not fit (nothing written). */
int lx_place(const struct lx_image *im, const struct lx_boot *b, const struct mb_layout *lay,
             struct lx_plan *p, const char **why);

/* Write a planned load into ram: the kernel, the initrd, the command line,
 * the zero page (the image's setup header with type_of_loader, code32_start,
 * cmd_line_ptr, ramdisk_image/size filled in, the layout as its e820
 * table), the GDT, and for a 64-bit entry the page tables. */
void lx_load(const struct lx_image *im, const struct lx_boot *b, const struct mb_layout *lay,
             const struct lx_plan *p, const uint8_t *img, uint8_t *ram);

#endif

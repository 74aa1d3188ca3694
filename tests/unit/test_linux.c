/* Linux/x86 boot protocol loader (demo/loader/linux.c): synthetic bzImages
 * built here against a PC-like layout of 64 MiB. Rules from the kernel's
 * Documentation/arch/x86/boot.rst ("boot.rst": the setup header, "Loading
 * The Rest of The Kernel", init_size, "32-bit/64-bit BOOT PROTOCOL") and
 * zero-page.rst.
 *
 * Every image handed to lx_parse is an exact-size heap copy, so ASan
 * reports any read past its end; the truncation loop leans on that. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "loader/linux.h"

#define MIB       0x100000ull
#define RAM_SIZE  (64 * MIB)
#define FILL      0xCCu           /* ram before a test: untouched bytes keep it */
#define PAGE      4096ull

static const struct mb_range pc_ranges[] = {
    { 0x0,      0x9fc00,             MB_MEM_AVAILABLE, 0 },
    { 0x9fc00,  0x400,               MB_MEM_RESERVED,  0 },   /* EBDA */
    { 0xe0000,  0x20000,             MB_MEM_RESERVED,  0 },   /* BIOS */
    { 0x100000, RAM_SIZE - 0x100000, MB_MEM_AVAILABLE, 0 },
    { 0xfec00000, 0x1000,            MB_MEM_RESERVED,  0 },   /* I/O APIC */
};
static const struct mb_layout pc = { pc_ranges, 5, RAM_SIZE };

static uint8_t *ram;

/* ------------------------------------------------------------ helpers */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

/* File bytes: a position-dependent pattern with no zero bytes. */
static uint8_t pat(uint64_t i) { return (uint8_t)(((i * 131u) ^ (i >> 8)) % 255u + 1u); }

/* The fields of a synthetic setup header (a 2.15 x86-64 kernel like
 * Debian's by default, scaled down: 16 KiB of kernel, 24 MiB init_size). */
struct tk {
    uint8_t setup_sects, jump, loadflags, reloc;
    uint16_t boot_flag, version, xlf;
    uint32_t magic, syssize, code32, initrd_max, align, cmdline_size, init_size;
    uint64_t pref;
    uint64_t extra;             /* file bytes after the kernel (a signature) */
};

static struct tk tk64(void)
{
    return (struct tk){ .setup_sects = 7, .jump = 0x6a, .loadflags = 0x01, .reloc = 1,
                        .boot_flag = 0xaa55, .version = 0x020f, .xlf = 0x7f,
                        .magic = LX_HDR_MAGIC, .syssize = 0x4000 / 16, .code32 = 0x100000,
                        .initrd_max = 0x7fffffff, .align = 0x200000, .cmdline_size = 0x7ff,
                        .init_size = 24 * MIB, .pref = 16 * MIB, .extra = 100 };
}

static uint64_t setup_size(const struct tk *t)
{
    return ((uint64_t)(t->setup_sects ? t->setup_sects : 4) + 1) * 512;
}

static uint64_t img_len(const struct tk *t)
{
    return setup_size(t) + (uint64_t)t->syssize * 16 + t->extra;
}

/* The image in a fresh heap block of exactly len bytes (which may be
 * shorter or longer than the header says). */
static uint8_t *build(const struct tk *t, uint64_t len)
{
    uint8_t h[0x300];
    for (uint32_t i = 0; i < sizeof h; i++)
        h[i] = pat(i);
    memset(h + 0x1f1, 0, sizeof h - 0x1f1);
    h[0x1f1] = t->setup_sects;
    put32(h + 0x1f4, t->syssize);
    put16(h + 0x1fe, t->boot_flag);
    h[0x200] = 0xeb;
    h[0x201] = t->jump;
    put32(h + 0x202, t->magic);
    put16(h + 0x206, t->version);
    h[0x211] = t->loadflags;
    put32(h + 0x214, t->code32);
    put32(h + 0x22c, t->initrd_max);
    put32(h + 0x230, t->align);
    h[0x234] = t->reloc;
    h[0x235] = 21;
    put16(h + 0x236, t->xlf);
    put32(h + 0x238, t->cmdline_size);
    put64(h + 0x258, t->pref);
    put32(h + 0x260, t->init_size);
    uint8_t *b = malloc(len ? len : 1);
    assert_non_null(b);
    for (uint64_t i = 0; i < len; i++)
        b[i] = i < sizeof h ? h[i] : pat(i);
    return b;
}

static int parse_len(const struct tk *t, uint64_t len, struct lx_image *im, const char **why)
{
    uint8_t *b = build(t, len);
    *why = NULL;
    int r = lx_parse(b, len, im, why);
    free(b);
    return r;
}

static void parse_ok(const struct tk *t, struct lx_image *im)
{
    const char *why;
    if (parse_len(t, img_len(t), im, &why))
        fail_msg("refused: %s", why ? why : "(no reason)");
}

static void expect_why(int r, const char *why, const char *part)
{
    if (r != -1)
        fail_msg("accepted, expected a refusal containing '%s'", part);
    assert_non_null(why);
    if (!strstr(why, part))
        fail_msg("reason '%s' does not contain '%s'", why, part);
}

static void parse_refused(const struct tk *t, const char *part)
{
    struct lx_image im;
    const char *why;
    int r_ = parse_len(t, img_len(t), &im, &why);
    expect_why(r_, why, part);
}

static uint8_t initrd_buf[16 * MIB + 1];
static const char cmdline[] = "console=ttyS0 quiet";

static struct lx_boot boot(uint64_t initrd_len, uint32_t entry)
{
    for (uint64_t i = 0; i < initrd_len && i < 4096; i++)
        initrd_buf[i] = (uint8_t)(pat(i) ^ 0x5a);
    return (struct lx_boot){ cmdline, initrd_buf, initrd_len, entry };
}

static void place_ok(const struct lx_image *im, const struct lx_boot *b, const struct mb_layout *lay,
                     struct lx_plan *p)
{
    const char *why = NULL;
    if (lx_place(im, b, lay, p, &why))
        fail_msg("placement refused: %s", why ? why : "(no reason)");
}

static void place_refused(const struct lx_image *im, const struct lx_boot *b,
                          const struct mb_layout *lay, const char *part)
{
    struct lx_plan p;
    const char *why = NULL;
    int r = lx_place(im, b, lay, &p, &why);
    expect_why(r, why, part);
}

static int reset(void **state) { (void)state; memset(ram, FILL, RAM_SIZE); return 0; }

static int ovl(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
    return an && bn && a < b + bn && b < a + an;
}

/* The placement rules every accepted plan keeps. */
static void check_plan(const struct lx_image *im, const struct lx_plan *p, const struct mb_layout *lay)
{
    if (im->relocatable)
        assert_int_equal(p->load % im->kernel_alignment, 0);
    assert_true(p->load >= MIB && p->load + im->kernel_size <= lay->ram_size);
    assert_true(p->runtime_start + im->init_size <= lay->ram_size);
    if (p->initrd_len) {
        assert_int_equal(p->initrd % PAGE, 0);
        assert_true(p->initrd >= MIB);
        assert_true(p->initrd + p->initrd_len - 1 <= im->initrd_addr_max);
        assert_true(p->initrd + p->initrd_len <= lay->ram_size);
        assert_false(ovl(p->initrd, p->initrd_len, p->load, im->kernel_size));
        assert_false(ovl(p->initrd, p->initrd_len, p->runtime_start, im->init_size));
    }
    assert_true(p->cmdline + p->cmdline_len < 0xa0000);
    assert_true(p->zero_page + LX_ZERO_PAGE_SIZE <= 0x9fc00);
    assert_false(ovl(p->zero_page, LX_ZERO_PAGE_SIZE, p->cmdline, p->cmdline_len + 1));
    assert_false(ovl(p->zero_page, LX_ZERO_PAGE_SIZE, p->gdt, LX_GDT_LIMIT + 1));
    assert_false(ovl(p->gdt, LX_GDT_LIMIT + 1, p->stack - 16, 16));
    if (p->long_mode) {
        assert_false(ovl(p->pml4, LX_PT_PAGES * PAGE, p->zero_page, LX_ZERO_PAGE_SIZE));
        assert_false(ovl(p->pml4, LX_PT_PAGES * PAGE, p->cmdline, p->cmdline_len + 1));
    }
}

/* Translate a linear address through the 4-level tables written in ram
 * (SDM 4.5): -1 when not present. */
static uint64_t walk(uint64_t cr3, uint64_t la)
{
    uint64_t e = get64(ram + cr3 + 8 * ((la >> 39) & 511));
    if (!(e & 1))
        return ~0ull;
    e = get64(ram + (e & ~0xfffull) + 8 * ((la >> 30) & 511));
    if (!(e & 1))
        return ~0ull;
    if (e & 0x80)
        return (e & ~0x3fffffffull) + (la & 0x3fffffff);
    e = get64(ram + (e & ~0xfffull) + 8 * ((la >> 21) & 511));
    if (!(e & 1))
        return ~0ull;
    assert_true(e & 0x80);     /* the loader maps 2 MiB pages */
    assert_true(e & 2);        /* writable */
    return (e & 0xfffffffffe00000ull) + (la & 0x1fffff);
}

/* Load, then check every byte the protocol defines. */
static void load_and_check(const struct tk *t, const struct lx_boot *b, struct lx_plan *p)
{
    struct lx_image im;
    uint64_t len = img_len(t);
    uint8_t *img = build(t, len);
    const char *why = NULL;
    if (lx_parse(img, len, &im, &why))
        fail_msg("refused: %s", why);
    place_ok(&im, b, &pc, p);
    check_plan(&im, p, &pc);
    lx_load(&im, b, &pc, p, img, ram);

    /* The kernel: the file's bytes after the setup, syssize * 16 of them;
     * nothing after (the signature is not loaded). */
    assert_memory_equal(ram + p->load, img + setup_size(t), im.kernel_size);
    assert_int_equal(ram[p->load + im.kernel_size], FILL);
    if (!p->initrd_len || p->initrd + p->initrd_len != p->load)   /* the initrd may end there */
        assert_int_equal(ram[p->load - 1], FILL);
    if (p->initrd_len) {
        assert_memory_equal(ram + p->initrd, b->initrd, p->initrd_len);
        assert_int_equal(ram[p->initrd - 1], FILL);
    }
    assert_string_equal((const char *)ram + p->cmdline, b->cmdline);

    /* The zero page. */
    const uint8_t *zp = ram + p->zero_page;
    assert_int_equal(get32(zp + 0x202), LX_HDR_MAGIC);
    assert_int_equal(get16(zp + 0x206), t->version);
    assert_int_equal(zp[0x1f1], t->setup_sects);
    assert_int_equal(get32(zp + 0x238), t->cmdline_size);
    assert_int_equal(zp[0x210], 0xff);                        /* type_of_loader */
    assert_int_equal(zp[0x211], t->loadflags);
    assert_int_equal(get32(zp + 0x214), p->load);             /* code32_start */
    assert_int_equal(get32(zp + 0x228), p->cmdline);          /* cmd_line_ptr */
    assert_int_equal(get32(zp + 0x218), p->initrd);           /* ramdisk_image */
    assert_int_equal(get32(zp + 0x21c), p->initrd_len);       /* ramdisk_size */
    assert_int_equal(get32(zp + 0xc0), 0);                    /* ext_ramdisk_image */
    assert_int_equal(get32(zp + 0xc4), 0);
    assert_int_equal(get32(zp + 0xc8), 0);                    /* ext_cmd_line_ptr */
    assert_int_equal(get64(zp + 0x70), 0);                    /* acpi_rsdp_addr: the kernel scans */
    assert_int_equal(zp[0x1ef], 0);                           /* sentinel */
    for (uint32_t i = 0; i < 0x1f1; i++)                      /* screen_info .. : zero */
        if (i != 0x1e8 && zp[i])
            fail_msg("zero page byte 0x%x is 0x%x", i, zp[i]);
    for (uint32_t i = 0x26c; i < 0x2d0; i++)                  /* after the 2.15 header */
        if (zp[i])
            fail_msg("zero page byte 0x%x is 0x%x", i, zp[i]);
    assert_int_equal(zp[0x1e8], pc.n);                        /* e820_entries */
    for (uint32_t i = 0; i < pc.n; i++) {
        const uint8_t *e = zp + 0x2d0 + 20 * i;
        assert_int_equal(get64(e), pc.r[i].base);
        assert_int_equal(get64(e + 8), pc.r[i].len);
        assert_int_equal(get32(e + 16), pc.r[i].type);
    }
    assert_int_equal(zp[0x2d0 + 20 * pc.n], 0);

    /* GDT: null, null, __BOOT_CS, __BOOT_DS. */
    const uint8_t *g = ram + p->gdt;
    assert_int_equal(get64(g), 0);
    assert_int_equal(get64(g + 8), 0);
    uint64_t cs = get64(g + LX_BOOT_CS), ds = get64(g + LX_BOOT_DS);
    assert_int_equal(cs & 0xffff, 0xffff);                    /* limit 15:0 */
    assert_int_equal((cs >> 48) & 0xf, 0xf);                  /* limit 19:16 */
    assert_int_equal((cs >> 16) & 0xffffff, 0);               /* base 23:0 */
    assert_int_equal(cs >> 56, 0);                            /* base 31:24 */
    assert_int_equal((cs >> 40) & 0xff, 0x9b);                /* P, DPL 0, S, code exec/read */
    assert_int_equal((cs >> 55) & 1, 1);                      /* G */
    assert_int_equal((cs >> 53) & 1, p->long_mode);           /* L */
    assert_int_equal((cs >> 54) & 1, !p->long_mode);          /* D */
    assert_int_equal(ds, 0x00cf93000000ffffull);
    free(img);
}

/* ------------------------------------------------------------ tests */

/* The 64-bit entry of a relocatable 2.15 kernel: at pref_address + 0x200,
 * initrd at the top of RAM, an identity map covering everything placed. */
static void test_valid_64bit(void **state)
{
    (void)state;
    struct tk t = tk64();
    struct lx_boot b = boot(3 * MIB + 123, LX_ENTRY_AUTO);
    struct lx_plan p;
    load_and_check(&t, &b, &p);
    assert_int_equal(p.long_mode, 1);
    assert_int_equal(p.load, 16 * MIB);
    assert_int_equal(p.runtime_start, 16 * MIB);
    assert_int_equal(p.entry, 16 * MIB + 0x200);
    /* Highest page-aligned spot below RAM top. */
    assert_int_equal(p.initrd, (RAM_SIZE - (3 * MIB + 123)) & ~(PAGE - 1));
    assert_int_not_equal(p.pml4, 0);
    uint64_t addrs[] = { p.load, p.load + t.syssize * 16 - 1, p.runtime_start + t.init_size - 1,
                         p.zero_page, p.cmdline, p.initrd, p.initrd + p.initrd_len - 1, p.gdt,
                         p.stack - 8, RAM_SIZE - 1, 0xfec00000, 0xffffffff };
    for (unsigned i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
        assert_int_equal(walk(p.pml4, addrs[i]), addrs[i]);
    assert_int_equal(walk(p.pml4, 0x100000000ull), ~0ull);   /* 4 GiB: not mapped */
}

/* A kernel without XLF_KERNEL_64 (a 32-bit one): the 32-bit entry at the
 * load address; asking for the 64-bit entry is refused; no page tables. */
static void test_valid_32bit_only(void **state)
{
    (void)state;
    struct tk t = tk64();
    t.xlf = 0;
    struct lx_boot b = boot(MIB, LX_ENTRY_AUTO);
    struct lx_plan p;
    load_and_check(&t, &b, &p);
    assert_int_equal(p.long_mode, 0);
    assert_int_equal(p.entry, p.load);
    assert_int_equal(p.pml4, 0);
    assert_int_equal(ram[LX_PML4_ADDR], FILL);               /* no page tables written */

    struct lx_image im;
    parse_ok(&t, &im);
    b.entry = LX_ENTRY_64;
    place_refused(&im, &b, &pc, "no 64-bit entry");
}

/* linux_entry=32 on a 64-bit kernel: its startup_32, flat 32-bit code. */
static void test_32bit_entry_of_64bit_kernel(void **state)
{
    (void)state;
    struct tk t = tk64();
    struct lx_boot b = boot(0, LX_ENTRY_32);
    struct lx_plan p;
    load_and_check(&t, &b, &p);
    assert_int_equal(p.long_mode, 0);
    assert_int_equal(p.entry, 16 * MIB);
    assert_int_equal(p.initrd, 0);
    assert_int_equal(p.initrd_len, 0);
    b.entry = LX_ENTRY_64;
    load_and_check(&t, &b, &p);
    assert_int_equal(p.long_mode, 1);
}

/* Protocol 2.12 gives xloadflags, 2.11 does not: the same bits read as 0. */
static void test_xloadflags_by_version(void **state)
{
    (void)state;
    struct tk t = tk64();
    struct lx_image im;
    t.version = 0x020c;
    parse_ok(&t, &im);
    assert_int_equal(im.xloadflags, 0x7f);
    t.version = 0x020b;
    parse_ok(&t, &im);
    assert_int_equal(im.xloadflags, 0);
}

static void test_old_protocol_refused(void **state)
{
    (void)state;
    struct tk t = tk64();
    t.version = 0x0205;
    parse_refused(&t, "older than 2.06");
    t.version = 0x0206;
    t.jump = 0x3a;                  /* header through cmdline_size */
    struct lx_image im;
    parse_ok(&t, &im);
    /* Before 2.10: no pref_address or init_size, the kernel at 1 MiB
     * aligned to kernel_alignment. */
    assert_int_equal(im.pref_address, MIB);
    assert_int_equal(im.init_size, im.kernel_size);
    struct lx_boot b = boot(MIB, LX_ENTRY_32);
    struct lx_plan p;
    place_ok(&im, &b, &pc, &p);
    assert_int_equal(p.load, 2 * MIB);
    check_plan(&im, &p, &pc);
}

static void test_bad_magic(void **state)
{
    (void)state;
    struct tk t = tk64();
    t.magic = 0x53726449;
    uint8_t *b = build(&t, img_len(&t));
    assert_false(lx_is_bzimage(b, img_len(&t)));
    assert_false(lx_is_bzimage(b, 0x205));
    free(b);
    parse_refused(&t, "HdrS");
    t = tk64();
    b = build(&t, img_len(&t));
    assert_true(lx_is_bzimage(b, img_len(&t)));
    assert_false(lx_is_bzimage(NULL, 0));
    free(b);
    t.boot_flag = 0x55aa;
    parse_refused(&t, "boot_flag");
}

static void test_setup_sects(void **state)
{
    (void)state;
    struct tk t = tk64();
    t.setup_sects = 255;            /* 128 KiB of setup: past this 16 KiB file */
    t.syssize = 0x2000 / 16;
    t.extra = 0;
    struct lx_image im;
    const char *why;
    int r_ = parse_len(&t, 0x4000, &im, &why);
    expect_why(r_, why, "setup_sects");
    /* setup_sects 0 means 4: the kernel starts at 5 * 512. */
    t = tk64();
    t.setup_sects = 0;
    parse_ok(&t, &im);
    assert_int_equal(im.setup_size, 5 * 512);
    struct lx_boot b = boot(0, LX_ENTRY_AUTO);
    struct lx_plan p;
    load_and_check(&t, &b, &p);
}

static void test_syssize_past_file(void **state)
{
    (void)state;
    struct tk t = tk64();
    t.extra = 0;
    struct lx_image im;
    const char *why;
    parse_ok(&t, &im);              /* exactly to the end: fine */
    int r_ = parse_len(&t, img_len(&t) - 1, &im, &why);
    expect_why(r_, why, "syssize");
    t.syssize = 0xffffffff;         /* 64 GiB of kernel in a 32 KiB file */
    r_ = parse_len(&t, 0x8000, &im, &why);
    expect_why(r_, why, "syssize");
    t.syssize = 0;
    parse_refused(&t, "syssize 0");
}

/* Every prefix of a valid image: refused (short ones) or parsed alike, and
 * ASan sees no read past the end. */
static void test_truncations(void **state)
{
    (void)state;
    struct tk t = tk64();
    t.extra = 0;
    uint64_t full = img_len(&t);
    uint8_t *img = build(&t, full);
    for (uint64_t len = 0; len <= full; len++) {
        uint8_t *c = malloc(len ? len : 1);
        assert_non_null(c);
        memcpy(c, img, len);
        struct lx_image im;
        const char *why = NULL;
        int r = lx_parse(c, len, &im, &why);
        free(c);
        assert_int_equal(r, len == full ? 0 : -1);
        if (r)
            assert_non_null(why);
    }
    free(img);
}

static void test_header_length(void **state)
{
    (void)state;
    struct tk t = tk64();
    t.jump = 0x61;                  /* ends at 0x263: before init_size ends */
    parse_refused(&t, "shorter than its protocol version needs");
    t.jump = 0x8f;                  /* ends at 0x291: into edd_mbr_sig_buffer */
    parse_refused(&t, "past its room");
    t.jump = 0x8e;
    struct lx_image im;
    parse_ok(&t, &im);
    assert_int_equal(im.hdr_end, 0x290);
}

static void test_zimage_refused(void **state)
{
    (void)state;
    struct tk t = tk64();
    t.loadflags = 0;
    parse_refused(&t, "LOADED_HIGH");
}

static void test_init_size_past_ram(void **state)
{
    (void)state;
    struct tk t = tk64();
    t.init_size = (uint32_t)(RAM_SIZE - 16 * MIB + PAGE);
    struct lx_image im;
    parse_ok(&t, &im);
    struct lx_boot b = boot(0, LX_ENTRY_AUTO);
    place_refused(&im, &b, &pc, "init_size");
    t.init_size = (uint32_t)(RAM_SIZE - 16 * MIB);   /* exactly to RAM top, no initrd: fits */
    parse_ok(&t, &im);
    struct lx_plan p;
    place_ok(&im, &b, &pc, &p);
    /* ... but then there is no room above it for an initrd of 16 MiB - 4 KiB,
     * and below the kernel only 15 MiB: refused. */
    b = boot(16 * MIB - PAGE, LX_ENTRY_AUTO);
    place_refused(&im, &b, &pc, "initrd");
    /* 14 MiB fits below the kernel, in [2 MiB, 16 MiB). */
    b = boot(14 * MIB, LX_ENTRY_AUTO);
    place_ok(&im, &b, &pc, &p);
    assert_int_equal(p.initrd, 2 * MIB);
    check_plan(&im, &p, &pc);
    /* pref_address past RAM top; above 4 GiB. */
    t = tk64();
    t.pref = RAM_SIZE;
    parse_ok(&t, &im);
    place_refused(&im, &b, &pc, "does not fit");
    t.pref = 0x100000000ull;
    parse_refused(&t, "above 4 GiB");
}

/* The initrd goes below the kernel's runtime range when it does not fit
 * above it, and never into it. */
static void test_initrd_avoids_kernel(void **state)
{
    (void)state;
    struct tk t = tk64();
    t.init_size = 40 * MIB;         /* runtime [16, 56) MiB: 8 MiB free above */
    struct lx_boot b = boot(12 * MIB, LX_ENTRY_AUTO);
    struct lx_plan p;
    load_and_check(&t, &b, &p);
    assert_int_equal(p.initrd, 4 * MIB);
    b = boot(8 * MIB, LX_ENTRY_AUTO);
    reset(NULL);
    load_and_check(&t, &b, &p);
    assert_int_equal(p.initrd, 56 * MIB);
}

static void test_initrd_too_big(void **state)
{
    (void)state;
    struct tk t = tk64();
    struct lx_image im;
    parse_ok(&t, &im);
    struct lx_boot b = boot(RAM_SIZE, LX_ENTRY_AUTO);
    place_refused(&im, &b, &pc, "initrd does not fit");
    b.initrd_len = 0xffffffffffffffffull;
    place_refused(&im, &b, &pc, "initrd does not fit");
    b = boot(15 * MIB, LX_ENTRY_AUTO);   /* above the runtime range [16, 40) MiB */
    struct lx_plan p;
    place_ok(&im, &b, &pc, &p);
    assert_int_equal(p.initrd, RAM_SIZE - 15 * MIB);
    t.init_size = (uint32_t)(RAM_SIZE - 16 * MIB);   /* now only [1, 16) MiB is left */
    parse_ok(&t, &im);
    place_ok(&im, &b, &pc, &p);
    assert_int_equal(p.initrd, MIB);
    check_plan(&im, &p, &pc);
    b = boot(15 * MIB + 1, LX_ENTRY_AUTO);
    place_refused(&im, &b, &pc, "initrd does not fit");
}

static void test_cmdline_size(void **state)
{
    (void)state;
    struct tk t = tk64();
    t.cmdline_size = (uint32_t)strlen(cmdline);
    struct lx_image im;
    parse_ok(&t, &im);
    struct lx_boot b = boot(0, LX_ENTRY_AUTO);
    struct lx_plan p;
    place_ok(&im, &b, &pc, &p);                /* exactly cmdline_size: fits */
    assert_int_equal(p.cmdline_len, strlen(cmdline));
    t.cmdline_size--;
    parse_ok(&t, &im);
    place_refused(&im, &b, &pc, "cmdline_size");
    b.cmdline = NULL;                          /* no command line: an empty one */
    place_ok(&im, &b, &pc, &p);
    assert_int_equal(p.cmdline_len, 0);
}

/* initrd_addr_max below the kernel: the initrd must go below it, or is
 * refused. */
static void test_initrd_addr_max_below_kernel(void **state)
{
    (void)state;
    struct tk t = tk64();
    t.initrd_max = 8 * MIB - 1;
    struct lx_boot b = boot(2 * MIB + 5, LX_ENTRY_AUTO);
    struct lx_plan p;
    load_and_check(&t, &b, &p);
    assert_true(p.initrd + p.initrd_len <= 8 * MIB);
    assert_int_equal(p.initrd, (8 * MIB - (2 * MIB + 5)) & ~(PAGE - 1));
    struct lx_image im;
    parse_ok(&t, &im);
    b = boot(7 * MIB + 1, LX_ENTRY_AUTO);      /* [1, 8) MiB is 7 MiB */
    place_refused(&im, &b, &pc, "initrd_addr_max");
    t.initrd_max = MIB;                        /* nothing above 1 MiB */
    parse_ok(&t, &im);
    b = boot(PAGE, LX_ENTRY_AUTO);
    place_refused(&im, &b, &pc, "initrd_addr_max");
}

static void test_kernel_alignment(void **state)
{
    (void)state;
    struct tk t = tk64();
    t.align = 0x300000;
    parse_refused(&t, "power of two");
    t.align = 0;
    parse_refused(&t, "power of two");
    /* Not relocatable: kernel_alignment is not used; loaded at 1 MiB and
     * run at pref_address. */
    t.reloc = 0;
    struct lx_image im;
    parse_ok(&t, &im);
    struct lx_boot b = boot(MIB, LX_ENTRY_AUTO);
    struct lx_plan p;
    place_ok(&im, &b, &pc, &p);
    assert_int_equal(p.load, MIB);
    assert_int_equal(p.runtime_start, 16 * MIB);
    assert_int_equal(p.entry, MIB + 0x200);
    /* Relocatable with an unaligned pref_address: aligned up. */
    t = tk64();
    t.pref = 16 * MIB + 0x1000;
    t.align = 0x400000;
    parse_ok(&t, &im);
    place_ok(&im, &b, &pc, &p);
    assert_int_equal(p.load, 20 * MIB);
    assert_int_equal(p.runtime_start, 20 * MIB);
    check_plan(&im, &p, &pc);
    /* A non-relocatable kernel whose pref_address is below 1 MiB. */
    t = tk64();
    t.reloc = 0;
    t.pref = 0x8000;
    parse_ok(&t, &im);
    place_refused(&im, &b, &pc, "below 1 MiB");
}

/* The zero page's e820 table holds 128 entries. */
static void test_e820_full(void **state)
{
    (void)state;
    static struct mb_range r[LX_E820_MAX + 1];
    r[0] = (struct mb_range){ 0, 0x9fc00, MB_MEM_AVAILABLE, 0 };
    r[1] = (struct mb_range){ MIB, RAM_SIZE - MIB, MB_MEM_AVAILABLE, 0 };
    for (uint32_t i = 2; i <= LX_E820_MAX; i++)
        r[i] = (struct mb_range){ 0xf0000000ull + PAGE * i, PAGE, MB_MEM_RESERVED, 0 };
    struct mb_layout lay = { r, LX_E820_MAX + 1, RAM_SIZE };
    struct tk t = tk64();
    struct lx_image im;
    parse_ok(&t, &im);
    struct lx_boot b = boot(MIB, LX_ENTRY_AUTO);
    place_refused(&im, &b, &lay, "e820");
    lay.n = LX_E820_MAX;
    struct lx_plan p;
    place_ok(&im, &b, &lay, &p);
    uint8_t *img = build(&t, img_len(&t));
    lx_load(&im, &b, &lay, &p, img, ram);
    free(img);
    assert_int_equal(ram[p.zero_page + 0x1e8], LX_E820_MAX);
    const uint8_t *last = ram + p.zero_page + 0x2d0 + 20 * (LX_E820_MAX - 1);
    assert_int_equal(get64(last), r[LX_E820_MAX - 1].base);
    assert_int_equal(get32(last + 16), MB_MEM_RESERVED);
    assert_int_equal(ram[p.zero_page + 0x2d0 + 20 * LX_E820_MAX], 0);   /* eddbuf: untouched 0 */
}

/* No available conventional memory (the boot data's home): refused. */
static void test_no_low_memory(void **state)
{
    (void)state;
    static const struct mb_range r[] = {
        { 0, 0x100000, MB_MEM_RESERVED, 0 },
        { MIB, RAM_SIZE - MIB, MB_MEM_AVAILABLE, 0 },
    };
    struct mb_layout lay = { r, 2, RAM_SIZE };
    struct tk t = tk64();
    struct lx_image im;
    parse_ok(&t, &im);
    struct lx_boot b = boot(0, LX_ENTRY_AUTO);
    place_refused(&im, &b, &lay, "conventional memory");
}

int main(void)
{
    ram = malloc(RAM_SIZE);
    assert_non_null(ram);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_valid_64bit, reset),
        cmocka_unit_test_setup(test_valid_32bit_only, reset),
        cmocka_unit_test_setup(test_32bit_entry_of_64bit_kernel, reset),
        cmocka_unit_test_setup(test_xloadflags_by_version, reset),
        cmocka_unit_test_setup(test_old_protocol_refused, reset),
        cmocka_unit_test_setup(test_bad_magic, reset),
        cmocka_unit_test_setup(test_setup_sects, reset),
        cmocka_unit_test_setup(test_syssize_past_file, reset),
        cmocka_unit_test_setup(test_truncations, reset),
        cmocka_unit_test_setup(test_header_length, reset),
        cmocka_unit_test_setup(test_zimage_refused, reset),
        cmocka_unit_test_setup(test_init_size_past_ram, reset),
        cmocka_unit_test_setup(test_initrd_avoids_kernel, reset),
        cmocka_unit_test_setup(test_initrd_too_big, reset),
        cmocka_unit_test_setup(test_cmdline_size, reset),
        cmocka_unit_test_setup(test_initrd_addr_max_below_kernel, reset),
        cmocka_unit_test_setup(test_kernel_alignment, reset),
        cmocka_unit_test_setup(test_e820_full, reset),
        cmocka_unit_test_setup(test_no_low_memory, reset),
    };
    int r = cmocka_run_group_tests_name("linux", tests, NULL, NULL);
    free(ram);
    return r;
}

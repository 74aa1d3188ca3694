/* Multiboot v1 loader (demo/loader/multiboot.c): synthetic ELF32, ELF64 and
 * a.out-kludge images against a PC-like layout, 8 MiB of guest RAM. Rules
 * from the Multiboot spec 0.6.96 (3.1.1 header location, 3.1.2 flags and
 * checksum, 3.1.3 address fields, 3.3 boot information).
 *
 * Every image handed to mb_parse is an exact-size heap copy, so ASan reports
 * any read past its end; the truncation and byte-flip loops lean on that. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "loader/multiboot.h"

#define RAM_SIZE  (8u << 20)
#define MIB       0x100000u
#define FILL      0xCCu           /* ram before a test: untouched bytes keep it */

static const struct mb_range pc_ranges[] = {
    { 0x0,      0x9fc00,             MB_MEM_AVAILABLE, 0 },
    { 0x9fc00,  0x400,               MB_MEM_RESERVED,  0 },   /* EBDA */
    { 0xf0000,  0x10000,             MB_MEM_RESERVED,  0 },   /* BIOS */
    { 0x100000, RAM_SIZE - 0x100000, MB_MEM_AVAILABLE, 0 },
};
static const struct mb_layout pc = { pc_ranges, 4, RAM_SIZE };

static uint8_t *ram;

/* ------------------------------------------------------------ helpers */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

/* File contents not written by a header: a position-dependent pattern with
 * no zero bytes, so a copy from the wrong offset or a missed BSS shows. */
static uint8_t pat(uint64_t i) { return (uint8_t)(((i * 131u) ^ (i >> 8)) % 255u + 1u); }

struct tph { uint32_t type; uint64_t off, vaddr, paddr, filesz, memsz; };

#define MAXPH 24
#define PHOFF 64u
struct timg {
    int cls;                    /* 1 ELF32, 2 ELF64, 0 no ELF header */
    uint16_t machine, etype;
    uint64_t entry;
    uint32_t nph;
    struct tph ph[MAXPH];
    uint32_t mb_off, mb_flags;
    int mb_bad_sum, no_mbh;
    uint32_t aout[5];           /* header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr */
    size_t len;
};

static uint32_t ph_pos(const struct timg *t, uint32_t i)
{
    return PHOFF + i * (t->cls == 2 ? 56u : 32u);
}

static void write_mbh(uint8_t *b, uint32_t off, uint32_t flags, int bad, const uint32_t aout[5])
{
    put32(b + off, MB_HEADER_MAGIC);
    put32(b + off + 4, flags);
    put32(b + off + 8, (uint32_t)(0u - MB_HEADER_MAGIC - flags + (bad ? 1u : 0u)));
    if (aout && (flags & 0x10000u))
        for (int i = 0; i < 5; i++)
            put32(b + off + 12 + 4 * i, aout[i]);
}

#define SCRATCH 0x10000u
/* The image in a fresh heap block of exactly t->len bytes. */
static uint8_t *build(const struct timg *t)
{
    static uint8_t s[SCRATCH];
    assert_true(t->len <= SCRATCH);
    for (uint32_t i = 0; i < SCRATCH; i++)
        s[i] = pat(i);
    if (t->cls) {
        memset(s, 0, 64);
        s[0] = 0x7f; s[1] = 'E'; s[2] = 'L'; s[3] = 'F';
        s[4] = (uint8_t)t->cls; s[5] = 1; s[6] = 1;
        put16(s + 16, t->etype);
        put16(s + 18, t->machine);
        put32(s + 20, 1);
        if (t->cls == 1) {
            put32(s + 24, (uint32_t)t->entry);
            put32(s + 28, PHOFF);
            put16(s + 40, 52);
            put16(s + 42, 32);
            put16(s + 44, (uint16_t)t->nph);
        } else {
            put64(s + 24, t->entry);
            put64(s + 32, PHOFF);
            put16(s + 52, 64);
            put16(s + 54, 56);
            put16(s + 56, (uint16_t)t->nph);
        }
        for (uint32_t i = 0; i < t->nph; i++) {
            uint8_t *p = s + ph_pos(t, i);
            const struct tph *h = &t->ph[i];
            if (t->cls == 1) {
                put32(p, h->type); put32(p + 4, (uint32_t)h->off);
                put32(p + 8, (uint32_t)h->vaddr); put32(p + 12, (uint32_t)h->paddr);
                put32(p + 16, (uint32_t)h->filesz); put32(p + 20, (uint32_t)h->memsz);
                put32(p + 24, 7); put32(p + 28, 0x1000);
            } else {
                put32(p, h->type); put32(p + 4, 7); put64(p + 8, h->off);
                put64(p + 16, h->vaddr); put64(p + 24, h->paddr);
                put64(p + 32, h->filesz); put64(p + 40, h->memsz); put64(p + 48, 0x1000);
            }
        }
    }
    if (!t->no_mbh)
        write_mbh(s, t->mb_off, t->mb_flags, t->mb_bad_sum, t->aout);
    uint8_t *b = malloc(t->len ? t->len : 1);
    assert_non_null(b);
    memcpy(b, s, t->len);
    return b;
}

/* ELF32: two loadable segments (one with BSS), a PT_NOTE and an empty
 * PT_LOAD that must be skipped; all file data inside the first 8 KiB. */
static struct timg t_elf32(void)
{
    struct timg t = { .cls = 1, .machine = 3, .etype = 2, .entry = 0x100010, .nph = 4,
                      .mb_off = 0x800, .mb_flags = 0x3, .len = 0x2000 };
    t.ph[0] = (struct tph){ 1, 0x1000, 0x100000, 0x100000, 0x800, 0x1000 };
    t.ph[1] = (struct tph){ 4, 0x100, 0, 0, 0x10, 0x10 };
    t.ph[2] = (struct tph){ 1, 0x1800, 0x102000, 0x102000, 0x400, 0x2000 };
    t.ph[3] = (struct tph){ 1, 0xffffffff, 0xffff0000, 0xffff0000, 0, 0 };
    return t;
}

static struct timg t_elf64(void)
{
    struct timg t = t_elf32();
    t.cls = 2;
    t.machine = 62;
    return t;
}

/* a.out kludge (3.1.3): file [0, 0x1800) at 1 MiB, BSS to 1 MiB + 0x3000. */
static struct timg t_aout(void)
{
    struct timg t = { .cls = 0, .mb_off = 0x40, .mb_flags = 0x10003, .len = 0x2000,
                      .aout = { 0x100040, 0x100000, 0x101800, 0x103000, 0x100020 } };
    return t;
}

static int parse_len(const struct timg *t, size_t len, struct mb_image *im, const char **why)
{
    struct timg u = *t;
    uint8_t *full = build(&u);
    uint8_t *c = malloc(len ? len : 1);
    assert_non_null(c);
    memcpy(c, full, len);
    *why = NULL;
    int r = mb_parse(c, len, &pc, im, why);
    free(c);
    free(full);
    return r;
}

static void ok(const struct timg *t, struct mb_image *im)
{
    const char *why;
    if (parse_len(t, t->len, im, &why) != 0)
        fail_msg("refused: %s", why ? why : "(no reason)");
}

static void refused(const struct timg *t, const char *part)
{
    struct mb_image im;
    const char *why;
    int r = parse_len(t, t->len, &im, &why);
    if (r != -1)
        fail_msg("accepted, expected a refusal containing '%s'", part);
    assert_non_null(why);
    if (!strstr(why, part))
        fail_msg("reason '%s' does not contain '%s'", why, part);
}

static void reset_ram(void) { memset(ram, FILL, RAM_SIZE); }

static int reset(void **state) { (void)state; reset_ram(); return 0; }

/* Parse, load into ram and check: every byte of a segment is the file's or
 * zero (BSS), bytes around the load are untouched. */
static void load_and_check(const struct timg *t, struct mb_image *im)
{
    ok(t, im);
    uint8_t *img = build(t);
    reset_ram();
    mb_load(im, img, ram);
    for (uint32_t s = 0; s < im->nsegs; s++) {
        const struct mb_seg *g = &im->seg[s];
        for (uint64_t i = 0; i < g->memsz; i++) {
            uint8_t want = i < g->filesz ? img[g->file_off + i] : 0;
            if (ram[g->paddr + i] != want)
                fail_msg("seg %u byte %#llx: %#x, want %#x", s, (unsigned long long)i,
                         ram[g->paddr + i], want);
        }
    }
    for (uint64_t a = im->load_lo - 0x1000; a < im->load_hi + 0x1000; a++) {
        int in = 0;
        for (uint32_t s = 0; s < im->nsegs; s++)
            in |= a >= im->seg[s].paddr && a < im->seg[s].paddr + im->seg[s].memsz;
        if (!in && ram[a] != FILL)
            fail_msg("byte %#llx outside the segments was written", (unsigned long long)a);
    }
    free(img);
}

static void assert_seg(const struct mb_seg *s, uint64_t off, uint64_t filesz, uint64_t paddr, uint64_t memsz)
{
    assert_int_equal(s->file_off, off);
    assert_int_equal(s->filesz, filesz);
    assert_int_equal(s->paddr, paddr);
    assert_int_equal(s->memsz, memsz);
}

/* ------------------------------------------------------------ ELF */

static void test_elf32_loads(void **state)
{
    (void)state;
    struct timg t = t_elf32();
    struct mb_image im;
    load_and_check(&t, &im);
    assert_int_equal(im.format, MB_FMT_ELF32);
    assert_int_equal(im.header_off, 0x800);
    assert_int_equal(im.header_flags, 0x3);
    assert_int_equal(im.nsegs, 2);      /* PT_NOTE and memsz-0 PT_LOAD skipped */
    assert_seg(&im.seg[0], 0x1000, 0x800, 0x100000, 0x1000);
    assert_seg(&im.seg[1], 0x1800, 0x400, 0x102000, 0x2000);
    assert_int_equal(im.entry, 0x100010);
    assert_int_equal(im.load_lo, 0x100000);
    assert_int_equal(im.load_hi, 0x104000);
    /* Spot checks independent of the helper: first byte, BSS, gap. */
    assert_int_equal(ram[0x100000], pat(0x1000));
    assert_int_equal(ram[0x1007ff], pat(0x17ff));
    assert_int_equal(ram[0x100800], 0);
    assert_int_equal(ram[0x100fff], 0);
    assert_int_equal(ram[0x101000], FILL);
    assert_int_equal(ram[0x102000], pat(0x1800));
    assert_int_equal(ram[0x103fff], 0);
}

static void test_elf64_loads(void **state)
{
    (void)state;
    struct timg t = t_elf64();
    struct mb_image im;
    load_and_check(&t, &im);
    assert_int_equal(im.format, MB_FMT_ELF64);
    assert_int_equal(im.nsegs, 2);
    assert_seg(&im.seg[0], 0x1000, 0x800, 0x100000, 0x1000);
    assert_seg(&im.seg[1], 0x1800, 0x400, 0x102000, 0x2000);
    assert_int_equal(im.entry, 0x100010);
    assert_int_equal(im.load_hi, 0x104000);
}

static void test_elf_low_memory_segment(void **state)
{
    (void)state;
    struct timg t = t_elf32();
    t.ph[0].paddr = t.ph[0].vaddr = 0x8000;
    t.entry = 0x8004;
    struct mb_image im;
    load_and_check(&t, &im);
    assert_int_equal(im.load_lo, 0x8000);
    assert_int_equal(im.load_hi, 0x104000);
    assert_int_equal(im.entry, 0x8004);
}

/* Higher-half kernels: the entry is a virtual address inside a segment's
 * [p_vaddr, p_vaddr + p_memsz) and becomes p_paddr + offset (as GRUB). */
static void test_higher_half_entry(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_elf64();
    t.ph[0].vaddr = 0xffffffff80100000ull;
    t.ph[2].vaddr = 0xffffffff80102000ull;
    t.entry = 0xffffffff80100010ull;
    load_and_check(&t, &im);
    assert_int_equal(im.entry, 0x100010);
    assert_seg(&im.seg[0], 0x1000, 0x800, 0x100000, 0x1000);   /* by paddr */
    t.entry = 0xffffffff80103ffeull;                            /* in seg 2's BSS */
    ok(&t, &im);
    assert_int_equal(im.entry, 0x103ffe);

    t = t_elf32();
    t.ph[0].vaddr = 0xc0100000;
    t.ph[2].vaddr = 0xc0200000;                 /* vaddr gap differs from paddr gap */
    t.entry = 0xc0200100;
    ok(&t, &im);
    assert_int_equal(im.entry, 0x102100);
    /* An entry that is already physical (outside every vaddr range) is
     * used as is when it is inside a loaded segment... */
    t.entry = 0x100020;
    ok(&t, &im);
    assert_int_equal(im.entry, 0x100020);
    /* ...and refused when it is not. */
    t.entry = 0x101000;                         /* just past seg 0 */
    refused(&t, "entry");
    t.entry = 0xc0101000;                       /* vaddr just past seg 0 */
    refused(&t, "entry");
}

static void test_entry_outside_refused(void **state)
{
    (void)state;
    struct timg t = t_elf32();
    t.entry = 0x200000;
    refused(&t, "entry point");
    t.entry = 0x101fff;                         /* gap between the segments */
    refused(&t, "entry point");
    t.entry = 0x104000;                         /* end of the last segment */
    refused(&t, "entry point");
    t.entry = 0x103fff;
    struct mb_image im;
    ok(&t, &im);
    t = t_elf64();
    t.entry = 0x100000100010ull;                /* above 4 GiB, no vaddr match */
    refused(&t, "entry point");
}

static void test_not_elf(void **state)
{
    (void)state;
    struct timg t = t_elf32();
    t.cls = 0;                                  /* no ELF header, no flag 16 */
    refused(&t, "not ELF and no a.out kludge");
}

static void test_elf_header_checks(void **state)
{
    (void)state;
    struct timg t = t_elf32();
    t.machine = 62;                             /* ELF32 must be EM_386 */
    refused(&t, "machine");
    t.machine = 40;                             /* ARM */
    refused(&t, "machine");
    t = t_elf64();
    t.machine = 3;                              /* ELF64 must be EM_X86_64 */
    refused(&t, "machine");
    t = t_elf32();
    t.etype = 3;                                /* ET_DYN */
    refused(&t, "ET_EXEC");

    /* Byte pokes: class, data encoding, version. */
    struct mb_image im;
    const char *why;
    t = t_elf32();
    uint8_t *b = build(&t);
    b[4] = 3;
    assert_int_equal(mb_parse(b, 0x2000, &pc, &im, &why), -1);
    assert_non_null(strstr(why, "class"));
    b[4] = 1; b[5] = 2;                         /* big-endian */
    assert_int_equal(mb_parse(b, 0x2000, &pc, &im, &why), -1);
    assert_non_null(strstr(why, "little-endian"));
    b[5] = 1; b[6] = 0;
    assert_int_equal(mb_parse(b, 0x2000, &pc, &im, &why), -1);
    assert_non_null(strstr(why, "version"));
    b[6] = 1;
    assert_int_equal(mb_parse(b, 0x2000, &pc, &im, &why), 0);
    free(b);
}

static void test_no_loadable_segment(void **state)
{
    (void)state;
    struct timg t = t_elf32();
    t.ph[0].type = 6;                           /* PT_PHDR */
    t.ph[2].type = 0;                           /* PT_NULL */
    refused(&t, "no loadable segment");
    t = t_elf32();
    t.ph[0].memsz = t.ph[0].filesz = 0;
    t.ph[2].memsz = t.ph[2].filesz = 0;
    refused(&t, "no loadable segment");
    t = t_elf32();
    t.nph = 0;
    refused(&t, "no loadable segment");
}

static void test_segment_outside_ram(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_elf32();
    /* Last page of RAM: fits exactly. */
    t.ph[2].paddr = RAM_SIZE - 0x2000;
    ok(&t, &im);
    assert_int_equal(im.load_hi, RAM_SIZE);
    t.ph[2].paddr = RAM_SIZE - 0x1fff;          /* one byte past the top */
    refused(&t, "outside available guest RAM");
    t.ph[2].paddr = RAM_SIZE;
    refused(&t, "outside available guest RAM");
    t.ph[2].paddr = 0x40000000;
    refused(&t, "outside available guest RAM");
}

static void test_segment_in_holes(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_elf32();
    t.ph[2].paddr = 0x9fc00 - 0x2000;           /* ends exactly at the EBDA */
    ok(&t, &im);
    t.ph[2].paddr = 0x9fc00 - 0x1fff;           /* one byte into the EBDA */
    refused(&t, "outside available");
    t.ph[2].paddr = 0xa0000;                    /* VGA: in no range at all */
    refused(&t, "outside available");
    t.ph[2].paddr = 0xb8000;
    refused(&t, "outside available");
    t.ph[2].paddr = 0xf0000;                    /* BIOS, reserved */
    refused(&t, "outside available");
    t.ph[2].paddr = 0xff000;                    /* starts reserved, ends in RAM */
    refused(&t, "outside available");
    t.ph[2].paddr = 0x9f000;                    /* spans the whole hole */
    t.ph[2].memsz = 0x62000;
    refused(&t, "outside available");
}

static void test_segment_overlap(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_elf32();
    t.ph[0].paddr = t.ph[0].vaddr = 0x200000;   /* seg 0: [0x200000, 0x201000) */
    t.entry = 0x200010;
    t.ph[2].paddr = 0x200fff;                   /* starts on its last BSS byte */
    refused(&t, "overlap");
    t.ph[2].paddr = 0x1ff000;                   /* [0x1ff000, 0x201000): covers its start */
    refused(&t, "overlap");
    t.ph[2].paddr = 0x1fe000;                   /* adjacent below: fine */
    ok(&t, &im);
    assert_int_equal(im.load_lo, 0x1fe000);
    assert_int_equal(im.load_hi, 0x201000);
    t.ph[2].paddr = 0x201000;                   /* adjacent above: fine */
    ok(&t, &im);
    assert_int_equal(im.load_lo, 0x200000);
    assert_int_equal(im.load_hi, 0x203000);
    t.ph[2].paddr = 0x1f0000;                   /* containing it */
    t.ph[2].memsz = 0x20000;
    refused(&t, "overlap");
    t.ph[2].paddr = 0x200400;                   /* contained in it */
    t.ph[2].memsz = 0x100;
    t.ph[2].filesz = 0x100;
    refused(&t, "overlap");
}

static void test_file_range(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_elf32();
    t.ph[2].filesz = 0x2000 - 0x1800;           /* to the last byte of the file */
    ok(&t, &im);
    t.ph[2].filesz++;
    refused(&t, "file range");
    t = t_elf32();
    t.ph[2].off = 0x2000;                       /* at the end, filesz > 0 */
    refused(&t, "file range");
    t.ph[2].filesz = 0;                         /* at the end, nothing read: fine */
    ok(&t, &im);
    t.ph[2].off = 0x2001;                       /* past the end, nothing read */
    refused(&t, "file range");
}

static void test_filesz_gt_memsz(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_elf32();
    t.ph[0].filesz = 0x1001;
    refused(&t, "p_filesz > p_memsz");
    t.ph[0].filesz = 0x1000;                    /* equal: no BSS */
    ok(&t, &im);
    t.ph[0].filesz = 0x800;
    t.ph[0].memsz = 0x7ff;
    refused(&t, "p_filesz > p_memsz");
}

static void test_segment_count(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_elf32();
    t.nph = MB_MAX_SEGS + 2;
    /* A PT_NOTE first, then MB_MAX_SEGS loadable pages, then one more. */
    t.ph[0] = (struct tph){ 4, 0, 0, 0, 0x10, 0x10 };
    for (uint32_t i = 1; i < t.nph; i++)
        t.ph[i] = (struct tph){ 1, 0x1000 + i * 0x40, 0x200000 + i * 0x1000, 0x200000 + i * 0x1000, 0x40, 0x1000 };
    t.entry = 0x201000;
    refused(&t, "more than 16");
    t.ph[MB_MAX_SEGS + 1].type = 4;             /* exactly MB_MAX_SEGS loadable */
    load_and_check(&t, &im);
    assert_int_equal(im.nsegs, MB_MAX_SEGS);
    assert_int_equal(im.load_lo, 0x201000);
    assert_int_equal(im.load_hi, 0x211000);
    t.ph[MB_MAX_SEGS + 1].type = 1;             /* a 17th with memsz 0 does not count */
    t.ph[MB_MAX_SEGS + 1].memsz = 0;
    t.ph[MB_MAX_SEGS + 1].filesz = 0;
    ok(&t, &im);
}

static void test_program_headers(void **state)
{
    (void)state;
    struct mb_image im;
    const char *why;
    struct timg t = t_elf32();
    uint8_t *b = build(&t);
    put16(b + 42, 31);                          /* e_phentsize too small */
    assert_int_equal(mb_parse(b, t.len, &pc, &im, &why), -1);
    assert_non_null(strstr(why, "entry size"));
    put16(b + 42, 32);
    put32(b + 28, 0x2000 - 4 * 32 + 1);         /* phdrs end one byte past the file */
    assert_int_equal(mb_parse(b, t.len, &pc, &im, &why), -1);
    assert_non_null(strstr(why, "program headers"));
    put32(b + 28, 0xffffffff);
    assert_int_equal(mb_parse(b, t.len, &pc, &im, &why), -1);
    assert_non_null(strstr(why, "program headers"));
    put32(b + 28, 64);
    put16(b + 44, 0xffff);                      /* e_phnum far too large */
    assert_int_equal(mb_parse(b, t.len, &pc, &im, &why), -1);
    assert_non_null(strstr(why, "program headers"));
    put16(b + 44, 4);
    assert_int_equal(mb_parse(b, t.len, &pc, &im, &why), 0);
    free(b);

    /* Larger e_phentsize is fine (entries are read at their stride). */
    t = t_elf64();
    b = build(&t);
    uint8_t *b2 = malloc(t.len);
    memcpy(b2, b, t.len);
    put16(b2 + 54, 64);
    for (uint32_t i = 0; i < 4; i++)
        memcpy(b2 + 64 + i * 64, b + 64 + i * 56, 56);
    assert_int_equal(mb_parse(b2, t.len, &pc, &im, &why), 0);
    assert_int_equal(im.nsegs, 2);
    assert_seg(&im.seg[1], 0x1800, 0x400, 0x102000, 0x2000);
    free(b2);
    /* ELF64 phoff above 4 GiB. */
    put64(b + 32, 0x100000040ull);
    assert_int_equal(mb_parse(b, t.len, &pc, &im, &why), -1);
    put64(b + 32, 0xffffffffffffffc0ull);
    assert_int_equal(mb_parse(b, t.len, &pc, &im, &why), -1);
    assert_non_null(strstr(why, "program headers"));
    free(b);
}

/* Values chosen so that 32- or 64-bit sums wrap: a loader adding without
 * checks would accept them. */
static void test_integer_overflow(void **state)
{
    (void)state;
    struct timg t = t_elf32();
    t.ph[2].off = 0xffffffff;                   /* off + filesz wraps 32-bit */
    t.ph[2].filesz = 2;
    refused(&t, "file range");
    t = t_elf32();
    t.ph[2].paddr = 0xfffff000;                 /* paddr + memsz wraps to 0x1000 */
    refused(&t, "outside available");
    t = t_elf32();
    t.ph[2].paddr = 0xffffffff;
    t.ph[2].memsz = 0xffffffff;
    t.ph[2].filesz = 0;
    refused(&t, "outside available");

    t = t_elf64();
    t.ph[2].off = 0xffffffffffffffffull;
    t.ph[2].filesz = 2;
    refused(&t, "file range");
    t = t_elf64();
    t.ph[2].off = 0x10;
    t.ph[2].filesz = 0xfffffffffffffff8ull;     /* off + filesz wraps 64-bit */
    t.ph[2].memsz = 0xfffffffffffffff8ull;
    refused(&t, "file range");
    t = t_elf64();
    t.ph[2].paddr = 0xfffffffffffff000ull;      /* wraps 64-bit to 0x1000 */
    refused(&t, "outside available");
    t = t_elf64();
    t.ph[2].paddr = 0x100102000ull;             /* above 4 GiB, low bits in RAM */
    refused(&t, "outside available");
    t = t_elf64();
    t.ph[2].memsz = 0x100000000ull + 0x2000;    /* memsz truncated to 32 bits would fit */
    refused(&t, "outside available");
    /* Entry translation: vaddr near the top of the address space; entry
     * below it must not "match" through wrapped subtraction. */
    t = t_elf64();
    t.ph[0].vaddr = 0xfffffffffffff800ull;
    t.entry = 0x10;                             /* 0x10 - vaddr wraps to 0x810 */
    refused(&t, "entry point");
    t.entry = 0xfffffffffffff810ull;
    struct mb_image im;
    ok(&t, &im);
    assert_int_equal(im.entry, 0x100010);
}

/* ------------------------------------------------------------ header */

/* 3.1.1: 32-bit aligned, wholly within the first 8192 bytes. */
static void test_header_position(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_aout();
    /* a.out at offsets 0 and 4: load_addr = header_addr - offset. */
    t.mb_off = 0;
    t.aout[0] = 0x100000;
    ok(&t, &im);
    assert_int_equal(im.header_off, 0);
    assert_int_equal(im.seg[0].file_off, 0);
    t.mb_off = 4;
    t.aout[0] = 0x100004;
    ok(&t, &im);
    assert_int_equal(im.header_off, 4);
    assert_int_equal(im.seg[0].file_off, 0);

    /* ELF with the header at the last places. The file is 8 KiB + 64. */
    t = t_elf32();
    t.len = 0x2040;
    t.mb_off = 8180;                            /* 12 bytes end at 8192: found */
    ok(&t, &im);
    assert_int_equal(im.header_off, 8180);
    t.mb_off = 8184;                            /* would end at 8196 */
    refused(&t, "no multiboot header in the first 8 KiB");
    t.mb_off = 8188;
    refused(&t, "no multiboot header in the first 8 KiB");
    t.mb_off = 8192;
    refused(&t, "no multiboot header in the first 8 KiB");
    t.mb_off = 0x802;                           /* not 4-byte aligned */
    refused(&t, "no multiboot header");
    /* File of exactly 8192 bytes: a header in its last 12 bytes is found,
     * one that would need the 8193rd byte is not (a shorter file). */
    t = t_elf32();
    t.mb_off = 8180;
    ok(&t, &im);
    const char *why;
    assert_int_equal(parse_len(&t, 8191, &im, &why), -1);
    assert_non_null(strstr(why, "no multiboot header"));
    t.no_mbh = 1;
    refused(&t, "no multiboot header");
}

static void test_checksum(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_elf32();
    t.mb_bad_sum = 1;
    refused(&t, "checksum is wrong");
    /* A magic with a bad checksum before a good header: the good one wins
     * (GRUB and QEMU keep searching). */
    t.mb_bad_sum = 0;
    uint8_t *b = build(&t);
    write_mbh(b, 0x400, 0x3, 1, NULL);
    const char *why;
    assert_int_equal(mb_parse(b, t.len, &pc, &im, &why), 0);
    assert_int_equal(im.header_off, 0x800);
    /* Two good ones: the first. */
    write_mbh(b, 0x400, 0x1, 0, NULL);
    assert_int_equal(mb_parse(b, t.len, &pc, &im, &why), 0);
    assert_int_equal(im.header_off, 0x400);
    assert_int_equal(im.header_flags, 0x1);
    free(b);
}

static void test_header_flags(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_elf32();
    /* 3.1.2: bits 0-15 are requirements; unknown ones make the load fail. */
    for (uint32_t bit = 3; bit < 16; bit++) {
        char part[64];
        snprintf(part, sizeof part, "header flag bit %u)", bit);
        t.mb_flags = 0x3 | (1u << bit);
        refused(&t, part);
        t.mb_flags = 0x7 | (1u << bit) | 0xffff0000u;
        refused(&t, "unsupported multiboot feature");
    }
    /* Bits 0, 1, 2 (video mode: accepted and ignored) in any combination. */
    for (uint32_t f = 0; f < 8; f++) {
        t.mb_flags = f;
        ok(&t, &im);
        assert_int_equal(im.header_flags, f);
        assert_int_equal(im.format, MB_FMT_ELF32);
    }
    /* Bits 17-31: optional, ignored. */
    t.mb_flags = 0xfffe0003u;
    ok(&t, &im);
    assert_int_equal(im.format, MB_FMT_ELF32);
}

/* ------------------------------------------------------------ a.out kludge */

static void test_aout_loads(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_aout();
    load_and_check(&t, &im);
    assert_int_equal(im.format, MB_FMT_AOUT_KLUDGE);
    assert_int_equal(im.nsegs, 1);
    assert_seg(&im.seg[0], 0, 0x1800, 0x100000, 0x3000);
    assert_int_equal(im.entry, 0x100020);
    assert_int_equal(im.load_lo, 0x100000);
    assert_int_equal(im.load_hi, 0x103000);
    /* The header itself lands at header_addr. */
    assert_int_equal(get32(ram + 0x100040), MB_HEADER_MAGIC);
    assert_int_equal(ram[0x1017ff], pat(0x17ff));
    assert_int_equal(ram[0x101800], 0);
    assert_int_equal(ram[0x102fff], 0);
    assert_int_equal(ram[0x103000], FILL);
}

static void test_aout_file_offset(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_aout();
    /* Header at 0x1040, 0x40 bytes after load_addr: load from file 0x1000. */
    t.mb_off = 0x1040;
    t.aout[2] = 0x100800;
    load_and_check(&t, &im);
    assert_seg(&im.seg[0], 0x1000, 0x800, 0x100000, 0x3000);
    assert_int_equal(ram[0x100000], pat(0x1000));
    /* header_addr - load_addr larger than the header's offset: the load
     * would start before the file. */
    t.aout[0] = 0x101041;
    refused(&t, "before the start of the file");
    t.aout[0] = 0x101040;                       /* exactly file offset 0 */
    t.aout[4] = 0x100000;
    ok(&t, &im);
    assert_int_equal(im.seg[0].file_off, 0);
}

static void test_aout_load_end_zero(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_aout();
    t.aout[2] = 0;                              /* load to the end of the file */
    t.aout[3] = 0x104000;
    load_and_check(&t, &im);
    assert_seg(&im.seg[0], 0, 0x2000, 0x100000, 0x4000);
    /* With bss_end below the implied end of the load: refused. */
    t.aout[3] = 0x101fff;
    refused(&t, "bss_end_addr is below load_end_addr");
    t.aout[3] = 0x102000;                       /* equal: no BSS */
    ok(&t, &im);
    assert_seg(&im.seg[0], 0, 0x2000, 0x100000, 0x2000);
    /* From a header at 0x1040 (load from 0x1000) to the end of the file. */
    t = t_aout();
    t.mb_off = 0x1040;
    t.aout[2] = 0;
    t.aout[3] = 0;
    ok(&t, &im);
    assert_seg(&im.seg[0], 0x1000, 0x1000, 0x100000, 0x1000);
}

static void test_aout_bss_end(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_aout();
    t.aout[3] = 0;                              /* no BSS */
    load_and_check(&t, &im);
    assert_seg(&im.seg[0], 0, 0x1800, 0x100000, 0x1800);
    assert_int_equal(im.load_hi, 0x101800);
    assert_int_equal(ram[0x101800], FILL);
    t.aout[3] = 0x1017ff;                       /* below load_end_addr */
    refused(&t, "bss_end_addr is below load_end_addr");
    t.aout[3] = 0x101800;                       /* equal */
    ok(&t, &im);
    assert_int_equal(im.seg[0].memsz, 0x1800);
}

static void test_aout_bad_addresses(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_aout();
    t.aout[1] = 0x100041;                       /* load_addr above header_addr */
    refused(&t, "load_addr is above header_addr");
    t = t_aout();
    t.aout[2] = 0x101fff + 2;                   /* load_end one past the file */
    refused(&t, "beyond the end of the file");
    t.aout[2] = 0x102000;                       /* exactly the file */
    ok(&t, &im);
    t.aout[2] = 0x0fffff;                       /* load_end below load_addr */
    refused(&t, "load_end_addr is below load_addr");
    t.aout[2] = 0x100000;                       /* nothing to load and no BSS */
    t.aout[3] = 0;
    refused(&t, "nothing to load");
    t = t_aout();
    t.aout[4] = 0x103000;                       /* entry at bss_end */
    refused(&t, "entry_addr is outside");
    t.aout[4] = 0x0fffff;
    refused(&t, "entry_addr is outside");
    t.aout[4] = 0x102fff;                       /* last BSS byte: inside */
    ok(&t, &im);
}

static void test_aout_placement(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_aout();
    /* In the VGA hole. */
    t.aout[0] = 0xa0040; t.aout[1] = 0xa0000; t.aout[2] = 0xa1800; t.aout[3] = 0xa3000; t.aout[4] = 0xa0020;
    refused(&t, "outside available guest RAM");
    /* BSS running past the top of RAM. */
    t.aout[0] = RAM_SIZE - 0x2000 + 0x40; t.aout[1] = RAM_SIZE - 0x2000;
    t.aout[2] = RAM_SIZE - 0x800; t.aout[3] = RAM_SIZE + 1; t.aout[4] = RAM_SIZE - 0x2000;
    refused(&t, "outside available guest RAM");
    t.aout[3] = RAM_SIZE;                       /* ends exactly at the top */
    ok(&t, &im);
    assert_int_equal(im.load_hi, RAM_SIZE);
    /* 32-bit wrap: load near 4 GiB with bss_end at the top. */
    t.aout[0] = 0xfffff040; t.aout[1] = 0xfffff000; t.aout[2] = 0xfffff800;
    t.aout[3] = 0xffffffff; t.aout[4] = 0xfffff000;
    refused(&t, "outside available guest RAM");
    /* load_end 0 with a load address where the file runs past 4 GiB. */
    t.aout[0] = 0xffffff40; t.aout[1] = 0xffffff00; t.aout[2] = 0; t.aout[3] = 0;
    t.aout[4] = 0xffffff00;
    refused(&t, "outside available guest RAM");
}

/* 3.1.3 and GRUB/QEMU: with flag 16 the address fields are used even for an
 * ELF file, whose program headers are then not looked at. */
static void test_aout_wins_over_elf(void **state)
{
    (void)state;
    struct mb_image im;
    struct timg t = t_elf32();
    t.machine = 40;                             /* would be refused as ELF */
    t.mb_flags = 0x10003;
    t.aout[0] = 0x200800; t.aout[1] = 0x200000; t.aout[2] = 0x202000; t.aout[3] = 0x205000;
    t.aout[4] = 0x200000;
    load_and_check(&t, &im);
    assert_int_equal(im.format, MB_FMT_AOUT_KLUDGE);
    assert_seg(&im.seg[0], 0, 0x2000, 0x200000, 0x5000);
    assert_int_equal(ram[0x200000], 0x7f);      /* the ELF header too */
}

/* The address fields are part of the header: they must be in the file and
 * in the first 8 KiB. */
static void test_aout_header_fields_bounds(void **state)
{
    (void)state;
    struct mb_image im;
    const char *why;
    struct timg t = t_aout();
    assert_int_equal(parse_len(&t, 0x40 + 31, &im, &why), -1);
    assert_non_null(strstr(why, "beyond the end of the file"));
    t.len = 0x60;                               /* header + fields end the file */
    t.aout[2] = 0;
    t.aout[3] = 0x101000;
    ok(&t, &im);
    assert_seg(&im.seg[0], 0, 0x60, 0x100000, 0x1000);
    t = t_aout();
    t.len = 0x2100;
    t.mb_off = 8180;                            /* magic fits, fields do not */
    t.aout[0] = 0x100000 + 8180;
    t.aout[2] = 0;
    t.aout[3] = 0;
    refused(&t, "beyond the first 8 KiB");
    t.mb_off = 8160;                            /* fields end at 8192 */
    t.aout[0] = 0x100000 + 8160;
    ok(&t, &im);
    assert_seg(&im.seg[0], 0, 0x2100, 0x100000, 0x2100);
}

/* ------------------------------------------------------------ truncation, fuzz */

static int seg_placed_ok(const struct mb_seg *s)
{
    uint64_t e = s->paddr + s->memsz;
    return s->memsz > 0 && e > s->paddr &&
           ((s->paddr < 0x9fc00 && e <= 0x9fc00) || (s->paddr >= 0x100000 && e <= RAM_SIZE));
}

/* Everything an accepted image promises; then load it (ASan watches). */
static void check_accepted(const struct mb_image *im, const uint8_t *img, uint64_t len)
{
    assert_true(im->nsegs >= 1 && im->nsegs <= MB_MAX_SEGS);
    int entry_in = 0;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (uint32_t i = 0; i < im->nsegs; i++) {
        const struct mb_seg *s = &im->seg[i];
        assert_true(seg_placed_ok(s));
        assert_true(s->filesz <= s->memsz);
        assert_true(s->file_off <= len && s->filesz <= len - s->file_off);
        for (uint32_t j = 0; j < i; j++) {
            const struct mb_seg *o = &im->seg[j];
            assert_false(s->paddr < o->paddr + o->memsz && o->paddr < s->paddr + s->memsz);
        }
        entry_in |= im->entry >= s->paddr && im->entry < s->paddr + s->memsz;
        if (s->paddr < lo) lo = s->paddr;
        if (s->paddr + s->memsz > hi) hi = s->paddr + s->memsz;
    }
    assert_true(entry_in);
    assert_int_equal(im->load_lo, lo);
    assert_int_equal(im->load_hi, hi);
    assert_true(im->header_off % 4 == 0 && im->header_off + 12 <= len && im->header_off + 12 <= 8192);
    mb_load(im, img, ram);
}

static void test_truncation(void **state)
{
    (void)state;
    struct timg ts[3] = { t_elf32(), t_elf64(), t_aout() };
    ts[2].aout[2] = 0;                          /* load_end 0: accepted at many lengths */
    for (int k = 0; k < 3; k++) {
        uint8_t *full = build(&ts[k]);
        unsigned accepted = 0;
        for (size_t len = 0; len <= ts[k].len; len++) {
            uint8_t *c = malloc(len ? len : 1);
            memcpy(c, full, len);
            struct mb_image im;
            const char *why = NULL;
            int r = mb_parse(c, len, &pc, &im, &why);
            if (r == 0) {
                check_accepted(&im, c, len);
                accepted++;
            } else {
                assert_int_equal(r, -1);
                assert_non_null(why);
                assert_true(strlen(why) > 10);
            }
            free(c);
        }
        /* ELF: every length holding the last segment's data (it ends at
         * 0x1c00); a.out with load_end 0: every length from the header's
         * end up. */
        if (k < 2)
            assert_int_equal(accepted, ts[k].len - 0x1c00 + 1);
        else
            assert_int_equal(accepted, ts[k].len - (0x40 + 32) + 1);
        free(full);
    }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static void test_fuzz_byte_flips(void **state)
{
    (void)state;
    struct timg ts[3] = { t_elf32(), t_elf64(), t_aout() };
    uint8_t *base[3];
    for (int k = 0; k < 3; k++)
        base[k] = build(&ts[k]);
    unsigned accepted = 0, built = 0;
    const uint64_t interesting[] = { 0, 1, 0xff, 0x7f, 0x80, 0x10, 0x20, 0xfe };
    for (int it = 0; it < 6000; it++) {
        int k = it % 3;
        size_t len = ts[k].len;
        if (rnd() % 8 == 0)
            len = rnd() % (len + 1);
        uint8_t *c = malloc(len ? len : 1);
        memcpy(c, base[k], len);
        int flips = 1 + rnd() % 4;
        for (int f = 0; f < flips && len; f++) {
            uint32_t where = rnd() % 4, pos;
            if (where == 0)
                pos = rnd() % 64;                           /* ELF header */
            else if (where == 1)
                pos = PHOFF + rnd() % (4 * 56);             /* program headers */
            else if (where == 2)
                pos = ts[k].mb_off + rnd() % 32;            /* multiboot header */
            else
                pos = rnd();
            pos %= len;
            c[pos] = rnd() % 2 ? (uint8_t)rnd() : (uint8_t)interesting[rnd() % 8];
        }
        /* Mostly keep the checksum right so flags and fields get through. */
        uint32_t mo = ts[k].mb_off;
        if (rnd() % 4 != 0 && len >= mo + 12 && get32(c + mo) == MB_HEADER_MAGIC)
            put32(c + mo + 8, (uint32_t)(0u - MB_HEADER_MAGIC - get32(c + mo + 4)));
        struct mb_image im;
        const char *why = NULL;
        int r = mb_parse(c, len, &pc, &im, &why);
        if (r == 0) {
            accepted++;
            check_accepted(&im, c, len);
            uint8_t data[9] = "fuzzdata";
            struct mb_module m = { data, sizeof data, "m" };
            struct mb_boot b = { "c", "l", &m, 1 };
            struct mb_result res;
            if (mb_build_info(&im, &b, &pc, ram, &res, &why) == 0) {
                built++;
                assert_true(res.mods_start >= im.load_hi && res.end <= RAM_SIZE);
                assert_memory_equal(ram + res.mods_start, data, sizeof data);
            } else {
                assert_non_null(why);
            }
        } else {
            assert_int_equal(r, -1);
            assert_non_null(why);
        }
        free(c);
    }
    /* The loop must have exercised both outcomes. */
    assert_true(accepted > 300);
    assert_true(built > 300);
    for (int k = 0; k < 3; k++)
        free(base[k]);
}

/* ------------------------------------------------------------ boot info */

#define MBI_FLAGS_WANT 0x24du   /* bits 0, 2, 3, 6, 9 */

static struct mb_image kernel_at(uint64_t lo, uint64_t hi, uint32_t hflags)
{
    struct mb_image im = { .format = MB_FMT_ELF32, .header_flags = hflags, .entry = (uint32_t)lo,
                           .nsegs = 1, .load_lo = lo, .load_hi = hi };
    im.seg[0] = (struct mb_seg){ 0, 0, lo, hi - lo };
    return im;
}

static const char *str_at(uint32_t a) { return (const char *)ram + a; }

/* [a, a + n) within [lo, hi) and not overlapping the others seen so far. */
struct piece { uint64_t a, n; };
static void check_pieces(const struct piece *p, int n, uint64_t lo, uint64_t hi)
{
    for (int i = 0; i < n; i++) {
        assert_true(p[i].a >= lo && p[i].a + p[i].n <= hi);
        for (int j = 0; j < i; j++)
            assert_false(p[i].a < p[j].a + p[j].n && p[j].a < p[i].a + p[i].n);
    }
}

static void test_info_fields(void **state)
{
    (void)state;
    static uint8_t big[4097];
    for (unsigned i = 0; i < sizeof big; i++)
        big[i] = pat(i + 7);
    const uint8_t small[5] = { 'h', 'e', 'l', 'l', 'o' };
    struct mb_module mods[2] = { { small, 5, "mod0 arg" }, { big, sizeof big, "second" } };
    struct mb_boot b = { "console=ttyS0 foo", "x86vcpu demo", mods, 2 };
    struct mb_image im = kernel_at(0x100000, 0x104321, 0x3);
    struct mb_result res;
    const char *why = NULL;
    assert_int_equal(mb_build_info(&im, &b, &pc, ram, &res, &why), 0);

    /* Modules: from the first page boundary after the kernel. */
    assert_int_equal(res.mods_start, 0x105000);
    const uint8_t *info = ram + res.mbi;
    assert_int_equal(res.mbi % 4, 0);
    assert_int_equal(get32(info + 0), MBI_FLAGS_WANT);
    assert_int_equal(get32(info + 4), 639);                     /* 0x9fc00 / 1024 */
    assert_int_equal(get32(info + 8), (RAM_SIZE - MIB) / 1024); /* 7168 */
    assert_int_equal(get32(info + 12), 0);                      /* boot_device: flag 1 clear */
    assert_string_equal(str_at(get32(info + 16)), "console=ttyS0 foo");
    assert_int_equal(get32(info + 20), 2);
    uint32_t mods_addr = get32(info + 24);
    for (unsigned o = 28; o < 44; o++)                          /* syms: flags 4/5 clear */
        assert_int_equal(info[o], 0);
    assert_int_equal(get32(info + 44), 4 * 24);
    uint32_t mmap_addr = get32(info + 48);
    for (unsigned o = 52; o < 64; o++)                          /* drives, config table */
        assert_int_equal(info[o], 0);
    assert_string_equal(str_at(get32(info + 64)), "x86vcpu demo");
    for (unsigned o = 68; o < 116; o++)                         /* APM, VBE, framebuffer */
        assert_int_equal(info[o], 0);

    /* Module list (3.3): start, end (exclusive), string, reserved. */
    const uint8_t *m0 = ram + mods_addr, *m1 = m0 + 16;
    assert_int_equal(get32(m0 + 0), 0x105000);
    assert_int_equal(get32(m0 + 4), 0x105005);
    assert_string_equal(str_at(get32(m0 + 8)), "mod0 arg");
    assert_int_equal(get32(m0 + 12), 0);
    assert_int_equal(get32(m1 + 0), 0x106000);                  /* header flag 0: page-aligned */
    assert_int_equal(get32(m1 + 4), 0x106000 + sizeof big);
    assert_string_equal(str_at(get32(m1 + 8)), "second");
    assert_int_equal(get32(m1 + 12), 0);
    assert_memory_equal(ram + 0x105000, small, 5);
    assert_memory_equal(ram + 0x106000, big, sizeof big);

    /* Memory map: the layout exactly, entries of size 20. */
    for (unsigned i = 0; i < 4; i++) {
        const uint8_t *e = ram + mmap_addr + 24 * i;
        assert_int_equal(get32(e), 20);
        assert_int_equal(get64(e + 4), pc_ranges[i].base);
        assert_int_equal(get64(e + 12), pc_ranges[i].len);
        assert_int_equal(get32(e + 20), pc_ranges[i].type);
    }

    /* Everything after the modules, disjoint, inside [mods_start, end). */
    struct piece p[] = {
        { 0x105000, 5 }, { 0x106000, sizeof big }, { res.mbi, 116 }, { mods_addr, 32 },
        { mmap_addr, 96 }, { get32(info + 16), sizeof "console=ttyS0 foo" },
        { get32(m0 + 8), sizeof "mod0 arg" }, { get32(m1 + 8), sizeof "second" },
        { get32(info + 64), sizeof "x86vcpu demo" },
    };
    check_pieces(p, 9, res.mods_start, res.end);
    assert_true(res.mbi >= 0x106000 + sizeof big);
    /* res.end is the first byte after everything: one of the pieces ends there. */
    int ends = 0;
    for (unsigned i = 0; i < 9; i++)
        ends |= p[i].a + p[i].n == res.end;
    assert_true(ends);
    /* Nothing written outside [mods_start, end). */
    for (uint64_t a = 0x100000; a < 0x105000; a++)
        assert_int_equal(ram[a], FILL);
    for (uint64_t a = res.end; a < res.end + 0x2000; a++)
        assert_int_equal(ram[a], FILL);
}

/* Without header flag 0 modules are still page-aligned (this loader always
 * page-aligns, like QEMU and GRUB); at the least 4-byte aligned. */
static void test_info_alignment_without_flag0(void **state)
{
    (void)state;
    const uint8_t d[3] = { 1, 2, 3 };
    struct mb_module mods[3] = { { d, 3, "a" }, { d, 1, "b" }, { d, 2, "c" } };
    struct mb_boot b = { "", "", mods, 3 };
    struct mb_image im = kernel_at(0x100000, 0x101000, 0x2);   /* already aligned */
    struct mb_result res;
    const char *why;
    assert_int_equal(mb_build_info(&im, &b, &pc, ram, &res, &why), 0);
    assert_int_equal(res.mods_start, 0x101000);
    const uint8_t *list = ram + get32(ram + res.mbi + 24);
    uint32_t prev_end = 0;
    for (int i = 0; i < 3; i++) {
        uint32_t s = get32(list + 16 * i), e = get32(list + 16 * i + 4);
        assert_int_equal(s % 4, 0);
        assert_int_equal(s % 4096, 0);
        assert_true(s >= prev_end);
        assert_int_equal(e - s, mods[i].len);
        assert_memory_equal(ram + s, d, mods[i].len);
        prev_end = e;
    }
}

static void test_info_no_modules(void **state)
{
    (void)state;
    struct mb_boot b = { "x", "y", NULL, 0 };
    struct mb_image im = kernel_at(0x100000, 0x103001, 0x3);
    struct mb_result res;
    const char *why;
    assert_int_equal(mb_build_info(&im, &b, &pc, ram, &res, &why), 0);
    assert_int_equal(res.mods_start, 0);
    assert_true(res.mbi >= 0x104000);                   /* after the kernel's last page */
    assert_true(res.mbi < 0x105000);
    const uint8_t *info = ram + res.mbi;
    assert_int_equal(get32(info), MBI_FLAGS_WANT);      /* bit 3 set even with 0 modules */
    assert_int_equal(get32(info + 20), 0);
    assert_string_equal(str_at(get32(info + 16)), "x");
    assert_string_equal(str_at(get32(info + 64)), "y");
    assert_true(res.end > res.mbi + 116);
    assert_true(res.end <= 0x105000);
    for (uint64_t a = 0x100000; a < 0x104000; a++)
        assert_int_equal(ram[a], FILL);
}

static void test_info_null_strings(void **state)
{
    (void)state;
    struct mb_module m = { (const uint8_t *)"abcd", 4, NULL };
    struct mb_boot b = { NULL, NULL, &m, 1 };
    struct mb_image im = kernel_at(0x100000, 0x101000, 0x3);
    struct mb_result res;
    const char *why;
    assert_int_equal(mb_build_info(&im, &b, &pc, ram, &res, &why), 0);
    const uint8_t *info = ram + res.mbi;
    assert_int_equal(get32(info), MBI_FLAGS_WANT);
    uint32_t cl = get32(info + 16), ln = get32(info + 64);
    uint32_t ms = get32(ram + get32(info + 24) + 8);
    assert_true(cl >= res.mbi && cl < res.end);
    assert_true(ln >= res.mbi && ln < res.end);
    assert_true(ms >= res.mbi && ms < res.end);
    assert_string_equal(str_at(cl), "");
    assert_string_equal(str_at(ln), "");
    assert_string_equal(str_at(ms), "");
    assert_memory_equal(ram + res.mods_start, "abcd", 4);
}

static void test_info_does_not_fit(void **state)
{
    (void)state;
    uint8_t *copy = malloc(RAM_SIZE);
    memcpy(copy, ram, RAM_SIZE);
    static uint8_t blob[0x10000];
    struct mb_module m = { blob, RAM_SIZE, "huge" };
    struct mb_boot b = { "cmd", "ldr", &m, 1 };
    struct mb_image im = kernel_at(0x100000, 0x104000, 0x3);
    struct mb_result res = { 0x11111111, 0x22222222, 0x33333333 };
    const char *why = NULL;
    assert_int_equal(mb_build_info(&im, &b, &pc, ram, &res, &why), -1);
    assert_non_null(why);
    assert_memory_equal(ram, copy, RAM_SIZE);

    /* The boundary: 111 modules of 64 KiB after the kernel, then a last one
     * grown until the strings at the very end reach the top of RAM. The
     * largest accepted size ends everything within alignment (8) of the
     * top; one byte more is refused and leaves ram as it was. */
    static struct mb_module many[112];
    uint32_t n;
    for (n = 0; n < 111; n++)
        many[n] = (struct mb_module){ blob, sizeof blob, "m" };
    many[n++] = (struct mb_module){ blob, 0, "last" };
    b.mods = many;
    b.nmods = n;
    assert_int_equal(mb_build_info(&im, &b, &pc, ram, &res, &why), 0);
    assert_int_equal(res.mods_start, 0x104000);
    uint64_t tail = RAM_SIZE - res.end;
    assert_true(tail > 16 && tail < sizeof blob);
    uint64_t best = 0;
    for (uint64_t l = tail - 16; l <= tail + 16; l++) {
        memcpy(ram, copy, RAM_SIZE);
        many[n - 1].len = l;
        why = NULL;
        if (mb_build_info(&im, &b, &pc, ram, &res, &why) == 0) {
            assert_true(res.end <= RAM_SIZE);
            assert_int_equal(best + 1 == l || best == 0, 1);   /* accepted sizes are contiguous */
            best = l;
        } else {
            assert_non_null(why);
            assert_memory_equal(ram, copy, RAM_SIZE);
        }
    }
    assert_true(best >= tail - 8 && best <= tail);
    memcpy(ram, copy, RAM_SIZE);
    many[n - 1].len = best;
    assert_int_equal(mb_build_info(&im, &b, &pc, ram, &res, &why), 0);
    assert_true(res.end > RAM_SIZE - 8 && res.end <= RAM_SIZE);
    memcpy(ram, copy, RAM_SIZE);
    many[n - 1].len = best + 1;
    assert_int_equal(mb_build_info(&im, &b, &pc, ram, &res, &why), -1);
    assert_memory_equal(ram, copy, RAM_SIZE);
    free(copy);
}

/* Kernel in low memory: what follows it must fit below the EBDA. */
static void test_info_low_kernel_hole(void **state)
{
    (void)state;
    uint8_t *copy = malloc(RAM_SIZE);
    memcpy(copy, ram, RAM_SIZE);
    static uint8_t blob[0x4000];
    struct mb_module m = { blob, 0x2000, "m" };
    struct mb_boot b = { "", "", &m, 1 };
    struct mb_image im = kernel_at(0x90000, 0x9c000, 0x3);
    struct mb_result res;
    const char *why = NULL;
    assert_int_equal(mb_build_info(&im, &b, &pc, ram, &res, &why), 0);
    assert_int_equal(res.mods_start, 0x9c000);
    assert_true(res.end <= 0x9fc00);
    memcpy(ram, copy, RAM_SIZE);
    m.len = 0x3bf0;                             /* ends at 0x9fbf0: the info crosses 0x9fc00 */
    assert_int_equal(mb_build_info(&im, &b, &pc, ram, &res, &why), -1);
    assert_non_null(why);
    assert_memory_equal(ram, copy, RAM_SIZE);
    /* A module of 2^32 - 1 bytes: the sums must not wrap. */
    m.len = 0xffffffffull;
    assert_int_equal(mb_build_info(&im, &b, &pc, ram, &res, &why), -1);
    m.len = UINT64_MAX;
    assert_int_equal(mb_build_info(&im, &b, &pc, ram, &res, &why), -1);
    assert_memory_equal(ram, copy, RAM_SIZE);
    free(copy);
}

/* mem_lower / mem_upper (3.3) from other layouts; mmap as given. */
static void test_info_memory_sizes(void **state)
{
    (void)state;
    struct mb_boot b = { "", "", NULL, 0 };
    struct mb_image im = kernel_at(0x100000, 0x101000, 0x3);
    struct mb_result res;
    const char *why;

    /* One flat range from 0 reaching past 4 GiB (ram buffer smaller):
     * mem_lower capped at 640, mem_upper at 4 GiB - 1 MiB. */
    const struct mb_range flat[] = { { 0, 0x200000000ull, MB_MEM_AVAILABLE, 0 } };
    struct mb_layout l1 = { flat, 1, RAM_SIZE };
    assert_int_equal(mb_build_info(&im, &b, &l1, ram, &res, &why), 0);
    const uint8_t *info = ram + res.mbi;
    assert_int_equal(get32(info + 4), 640);
    assert_int_equal(get32(info + 8), (0x100000000ull - MIB) / 1024);
    assert_int_equal(get32(info + 44), 24);
    const uint8_t *e = ram + get32(info + 48);
    assert_int_equal(get32(e), 20);
    assert_int_equal(get64(e + 4), 0);
    assert_int_equal(get64(e + 12), 0x200000000ull);
    assert_int_equal(get32(e + 20), 1);

    /* No RAM at 0; upper RAM stops at an ACPI range, then more RAM. */
    const struct mb_range odd[] = {
        { 0x0,      0x1000,   MB_MEM_RESERVED,  0 },
        { 0x1000,   0x9e000,  MB_MEM_AVAILABLE, 0 },
        { 0x100000, 0x300000, MB_MEM_AVAILABLE, 0 },
        { 0x400000, 0x10000,  MB_MEM_ACPI,      0 },
        { 0x410000, 0x3f0000, MB_MEM_AVAILABLE, 0 },
    };
    struct mb_layout l2 = { odd, 5, RAM_SIZE };
    reset_ram();
    assert_int_equal(mb_build_info(&im, &b, &l2, ram, &res, &why), 0);
    info = ram + res.mbi;
    assert_int_equal(get32(info + 4), 0);
    assert_int_equal(get32(info + 8), 0x300000 / 1024);
    assert_int_equal(get32(info + 44), 5 * 24);
    e = ram + get32(info + 48);
    for (unsigned i = 0; i < 5; i++, e += 24) {
        assert_int_equal(get64(e + 4), odd[i].base);
        assert_int_equal(get64(e + 12), odd[i].len);
        assert_int_equal(get32(e + 20), odd[i].type);
    }

    /* Low RAM a little over 640 KiB: capped at 640. */
    const struct mb_range low768[] = {
        { 0,        0xc0000,  MB_MEM_AVAILABLE, 0 },
        { 0x100000, 0x100000, MB_MEM_AVAILABLE, 0 },
    };
    struct mb_layout l4 = { low768, 2, RAM_SIZE };
    assert_int_equal(mb_build_info(&im, &b, &l4, ram, &res, &why), 0);
    info = ram + res.mbi;
    assert_int_equal(get32(info + 4), 640);
    assert_int_equal(get32(info + 8), 1024);

    /* No RAM at 1 MiB. */
    const struct mb_range lowonly[] = { { 0, 0x9fc00, MB_MEM_AVAILABLE, 0 } };
    struct mb_layout l3 = { lowonly, 1, RAM_SIZE };
    struct mb_image lowk = kernel_at(0x10000, 0x11000, 0x3);
    assert_int_equal(mb_build_info(&lowk, &b, &l3, ram, &res, &why), 0);
    info = ram + res.mbi;
    assert_int_equal(get32(info + 4), 639);
    assert_int_equal(get32(info + 8), 0);
    assert_true(res.end <= 0x9fc00);
}

/* Available memory listed as two adjacent ranges is one piece of RAM:
 * segments, mem_upper and the info may run across the seam. */
static void test_adjacent_available_ranges(void **state)
{
    (void)state;
    const struct mb_range split[] = {
        { 0x0,      0x9fc00,             MB_MEM_AVAILABLE, 0 },
        { 0x100000, 0x100000,            MB_MEM_AVAILABLE, 0 },
        { 0x200000, RAM_SIZE - 0x200000, MB_MEM_AVAILABLE, 0 },
    };
    struct mb_layout l = { split, 3, RAM_SIZE };
    struct timg t = t_elf32();
    t.ph[2].paddr = 0x1ff000;                   /* [0x1ff000, 0x201000) */
    uint8_t *img = build(&t);
    struct mb_image im;
    const char *why;
    assert_int_equal(mb_parse(img, t.len, &l, &im, &why), 0);
    assert_int_equal(im.load_hi, 0x201000);
    /* ...but not a range whose RAM buffer ends earlier. */
    struct mb_layout l_small = { split, 3, 0x200800 };
    assert_int_equal(mb_parse(img, t.len, &l_small, &im, &why), -1);
    free(img);
    struct mb_boot b = { "", "", NULL, 0 };
    struct mb_image k = kernel_at(0x100000, 0x1fffff, 0x3);
    struct mb_result res;
    assert_int_equal(mb_build_info(&k, &b, &l, ram, &res, &why), 0);
    assert_int_equal(res.mbi, 0x200000);
    assert_int_equal(get32(ram + res.mbi + 8), (RAM_SIZE - MIB) / 1024);
}

static void test_info_after_parse(void **state)
{
    (void)state;
    /* End to end: parse, load, build; nothing overlaps the kernel. */
    struct timg t = t_elf32();
    struct mb_image im;
    load_and_check(&t, &im);
    const uint8_t d[6] = "initrd";
    struct mb_module m = { d, 6, "initrd" };
    struct mb_boot b = { "quiet", "x86vcpu", &m, 1 };
    struct mb_result res;
    const char *why;
    assert_int_equal(mb_build_info(&im, &b, &pc, ram, &res, &why), 0);
    assert_int_equal(res.mods_start, 0x104000);
    assert_memory_equal(ram + 0x104000, d, 6);
    assert_int_equal(ram[0x103fff], 0);         /* kernel BSS untouched */
    assert_int_equal(ram[0x100000], pat(0x1000));
}

int main(void)
{
    ram = malloc(RAM_SIZE);
    if (!ram)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_elf32_loads, reset),
        cmocka_unit_test_setup(test_elf64_loads, reset),
        cmocka_unit_test_setup(test_elf_low_memory_segment, reset),
        cmocka_unit_test_setup(test_higher_half_entry, reset),
        cmocka_unit_test_setup(test_entry_outside_refused, reset),
        cmocka_unit_test_setup(test_not_elf, reset),
        cmocka_unit_test_setup(test_elf_header_checks, reset),
        cmocka_unit_test_setup(test_no_loadable_segment, reset),
        cmocka_unit_test_setup(test_segment_outside_ram, reset),
        cmocka_unit_test_setup(test_segment_in_holes, reset),
        cmocka_unit_test_setup(test_segment_overlap, reset),
        cmocka_unit_test_setup(test_file_range, reset),
        cmocka_unit_test_setup(test_filesz_gt_memsz, reset),
        cmocka_unit_test_setup(test_segment_count, reset),
        cmocka_unit_test_setup(test_program_headers, reset),
        cmocka_unit_test_setup(test_integer_overflow, reset),
        cmocka_unit_test_setup(test_header_position, reset),
        cmocka_unit_test_setup(test_checksum, reset),
        cmocka_unit_test_setup(test_header_flags, reset),
        cmocka_unit_test_setup(test_aout_loads, reset),
        cmocka_unit_test_setup(test_aout_file_offset, reset),
        cmocka_unit_test_setup(test_aout_load_end_zero, reset),
        cmocka_unit_test_setup(test_aout_bss_end, reset),
        cmocka_unit_test_setup(test_aout_bad_addresses, reset),
        cmocka_unit_test_setup(test_aout_placement, reset),
        cmocka_unit_test_setup(test_aout_wins_over_elf, reset),
        cmocka_unit_test_setup(test_aout_header_fields_bounds, reset),
        cmocka_unit_test_setup(test_truncation, reset),
        cmocka_unit_test_setup(test_fuzz_byte_flips, reset),
        cmocka_unit_test_setup(test_info_fields, reset),
        cmocka_unit_test_setup(test_info_alignment_without_flag0, reset),
        cmocka_unit_test_setup(test_info_no_modules, reset),
        cmocka_unit_test_setup(test_info_null_strings, reset),
        cmocka_unit_test_setup(test_info_does_not_fit, reset),
        cmocka_unit_test_setup(test_info_low_kernel_hole, reset),
        cmocka_unit_test_setup(test_info_memory_sizes, reset),
        cmocka_unit_test_setup(test_adjacent_available_ranges, reset),
        cmocka_unit_test_setup(test_info_after_parse, reset),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    free(ram);
    return r;
}

/* tests/mbk/mbktool.c — host helper for the multiboot test kernels.
 *
 *   mbktool initrd OUT SIZE SEED
 *       writes OUT: "MBKINITRD <SIZE> 0x<fnv1a32 of the rest>\n" followed by
 *       pseudo-random bytes (xorshift32 from SEED), SIZE bytes in all.
 *   mbktool header FILE
 *       finds the multiboot v1 header in FILE's first 8 KiB (4-byte aligned,
 *       checksum), and prints what a loader would load, one item per line:
 *         header flags 0x...
 *         entry 0x...
 *         load 0x<paddr> filesz 0x... memsz 0x...     (one per segment)
 *       from the a.out-kludge fields when flag 16 is set (checked against
 *       the file), else from the ELF32/ELF64 program headers (PT_LOAD).
 *       Exit status 1 with a message on stderr when anything is wrong.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *file, const char *why)
{
    fprintf(stderr, "mbktool: %s: %s\n", file, why);
    return 1;
}

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static int cmd_initrd(const char *out, long size, unsigned long seed)
{
    char hdr[64];
    if (size < 64 || size > (64l << 20))
        return fail(out, "size out of range");
    uint8_t *buf = malloc((size_t)size);
    if (!buf)
        return fail(out, "out of memory");
    /* The header's length is fixed (decimal SIZE, 8 hex digits): generate
     * the body first, then the checksum. */
    int hl = snprintf(hdr, sizeof hdr, "MBKINITRD %ld 0x%08x\n", size, 0u);
    uint32_t x = (uint32_t)seed ? (uint32_t)seed : 1u, h = 0x811c9dc5u;
    for (long i = hl; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)(x >> 11);
        h ^= buf[i];
        h *= 0x01000193u;
    }
    snprintf(hdr, sizeof hdr, "MBKINITRD %ld 0x%08x\n", size, h);
    memcpy(buf, hdr, (size_t)hl);
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(buf, 1, (size_t)size, f) != (size_t)size || fclose(f) != 0)
        return fail(out, "cannot write");
    free(buf);
    return 0;
}

static int cmd_header(const char *file)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        return fail(file, "cannot open");
    static uint8_t img[16 << 20];
    size_t len = fread(img, 1, sizeof img, f);
    fclose(f);
    long off = -1;
    for (size_t o = 0; o + 12 <= len && o < 8192; o += 4)
        if (rd32(img + o) == 0x1BADB002u &&
            (uint32_t)(rd32(img + o) + rd32(img + o + 4) + rd32(img + o + 8)) == 0) {
            off = (long)o;
            break;
        }
    if (off < 0)
        return fail(file, "no multiboot header (magic + checksum) in the first 8 KiB");
    uint32_t flags = rd32(img + off + 4);
    printf("header flags 0x%x\n", flags);
    if (flags & 0x10000) {
        if ((size_t)off + 32 > len)
            return fail(file, "truncated a.out-kludge header");
        uint32_t header_addr = rd32(img + off + 12), load_addr = rd32(img + off + 16);
        uint32_t load_end = rd32(img + off + 20), bss_end = rd32(img + off + 24);
        uint32_t entry = rd32(img + off + 28);
        if (load_addr > header_addr || header_addr - load_addr != (uint32_t)off)
            return fail(file, "header_addr - load_addr is not the header's file offset");
        if (load_end <= load_addr || (size_t)(load_end - load_addr) > len)
            return fail(file, "load_end_addr outside the file");
        if (bss_end && bss_end < load_end)
            return fail(file, "bss_end_addr below load_end_addr");
        if (entry < load_addr || entry >= load_end)
            return fail(file, "entry_addr outside the loaded part");
        printf("entry 0x%x\n", entry);
        printf("load 0x%x filesz 0x%x memsz 0x%x\n", load_addr, load_end - load_addr,
               (bss_end ? bss_end : load_end) - load_addr);
        return 0;
    }
    if (len < 64 || memcmp(img, "\177ELF", 4) != 0)
        return fail(file, "no a.out kludge and not ELF");
    int is64 = img[4] == 2;
    uint64_t entry = is64 ? rd64(img + 24) : rd32(img + 24);
    uint64_t phoff = is64 ? rd64(img + 32) : rd32(img + 28);
    unsigned phentsize = rd16(img + (is64 ? 54 : 42)), phnum = rd16(img + (is64 ? 56 : 44));
    printf("entry 0x%llx\n", (unsigned long long)entry);
    int loads = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
        if (ph + (is64 ? 56 : 32) > img + len)
            return fail(file, "program headers outside the file");
        if (rd32(ph) != 1)
            continue;
        uint64_t paddr = is64 ? rd64(ph + 24) : rd32(ph + 12);
        uint64_t filesz = is64 ? rd64(ph + 32) : rd32(ph + 16);
        uint64_t memsz = is64 ? rd64(ph + 40) : rd32(ph + 20);
        printf("load 0x%llx filesz 0x%llx memsz 0x%llx\n", (unsigned long long)paddr,
               (unsigned long long)filesz, (unsigned long long)memsz);
        loads++;
    }
    if (!loads)
        return fail(file, "no PT_LOAD segment");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "initrd") == 0)
        return cmd_initrd(argv[2], strtol(argv[3], NULL, 0), strtoul(argv[4], NULL, 0));
    if (argc == 3 && strcmp(argv[1], "header") == 0)
        return cmd_header(argv[2]);
    fprintf(stderr, "usage: mbktool initrd OUT SIZE SEED | mbktool header FILE\n");
    return 2;
}

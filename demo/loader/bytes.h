/* demo/loader/bytes.h — byte access for the guest loaders (multiboot.c,
 * linux.c): little-endian loads and stores (the guest is x86 whatever the
 * host is, and addresses in an image or in guest RAM need not be
 * aligned), copies without libc, a bounded string length. Pure. */
#ifndef DEMO_LOADER_BYTES_H
#define DEMO_LOADER_BYTES_H

#include <stdint.h>

#define LOADER_LIMIT_4G 0x100000000ull

static inline uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static inline void copy_bytes(uint8_t *dst, const uint8_t *src, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        dst[i] = src[i];
}

static inline void zero_bytes(uint8_t *dst, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        dst[i] = 0;
}

/* Length of a host string, bounded so that later sums cannot wrap (such a
 * string could never fit below 4 GiB anyway). NULL is the empty string. */
static inline uint64_t str_len(const char *s)
{
    uint64_t n = 0;
    if (!s)
        return 0;
    while (s[n] && n < LOADER_LIMIT_4G)
        n++;
    return n;
}

static inline int loader_fail(const char **why, const char *reason)
{
    *why = reason;
    return -1;
}

#endif

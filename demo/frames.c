/* demo/frames.c — 4 KiB frame allocator over one physical range.
 *
 * [start, end) is split as:  start ... bump ->   free   <- top ... end
 * frames_alloc takes from the free list (freed frames, linked through their
 * first 8 bytes) and otherwise advances `bump`; frames_alloc_contig lowers
 * `top`. Physical = virtual. */
#include <stdint.h>
#include <stddef.h>
#include "frames.h"
#include "host.h"

extern char __kernel_start[], __kernel_end[];

static uint64_t range_start, range_end;
static uint64_t bump, top;
static uint64_t free_head;              /* physical address, 0 = empty */
static uint64_t in_use;

#define ALIGN_UP(x, a)   (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))

void frames_init(uint64_t start, uint64_t end)
{
    start = ALIGN_UP(start, FRAME_SIZE);
    end = ALIGN_DOWN(end, FRAME_SIZE);
    if (start == 0)                     /* 0 is the "no frame" value */
        start = FRAME_SIZE;
    if (end < start)
        end = start;
    range_start = bump = start;
    range_end = top = end;
    free_head = 0;
    in_use = 0;
}

uint64_t frames_range_start(void) { return range_start; }
uint64_t frames_range_end(void) { return range_end; }

uint64_t frames_alloc(void)
{
    uint64_t pa;
    if (free_head) {
        pa = free_head;
        free_head = *(volatile uint64_t *)(uintptr_t)pa;
    } else if (top - bump >= FRAME_SIZE) {
        pa = bump;
        bump += FRAME_SIZE;
    } else {
        return 0;
    }
    memset((void *)(uintptr_t)pa, 0, FRAME_SIZE);
    in_use++;
    return pa;
}

void frames_free(uint64_t pa)
{
    if (pa == 0 || (pa & (FRAME_SIZE - 1)) || pa < range_start || pa >= range_end)
        return;                         /* not ours: ignore */
    *(volatile uint64_t *)(uintptr_t)pa = free_head;
    free_head = pa;
    in_use--;
}

uint64_t frames_alloc_contig(uint64_t bytes, uint64_t align)
{
    if (bytes == 0)
        return 0;
    if (align < FRAME_SIZE)
        align = FRAME_SIZE;
    if (align & (align - 1))
        return 0;
    bytes = ALIGN_UP(bytes, FRAME_SIZE);
    if (bytes > top - bump)
        return 0;
    uint64_t pa = ALIGN_DOWN(top - bytes, align);
    if (pa < bump || pa == 0)
        return 0;
    top = pa;
    memset((void *)(uintptr_t)pa, 0, bytes);
    in_use += bytes / FRAME_SIZE;
    return pa;
}

uint64_t frames_in_use(void)
{
    return in_use;
}

/* ------------------------------------------------------------ multiboot */
#define FOUR_GIB (1ull << 32)

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static uint64_t str_end(uint32_t pa)
{
    const char *s = (const char *)(uintptr_t)pa;
    uint64_t n = 0;
    while (s[n])
        n++;
    return (uint64_t)pa + n + 1;
}

uint64_t frames_init_multiboot(uint32_t magic, uint32_t mbinfo_phys)
{
    if (magic != MB_LOADER_MAGIC || mbinfo_phys == 0)
        return 0;
    const struct host_mbi *mbi = (const struct host_mbi *)(uintptr_t)mbinfo_phys;

    uint64_t lo = (uint64_t)(uintptr_t)__kernel_end;
    uint64_t end = 0;

    lo = max_u64(lo, (uint64_t)mbinfo_phys + sizeof *mbi);
    if (mbi->flags & MBI_FLAG_CMDLINE)
        lo = max_u64(lo, str_end(mbi->cmdline));
    if (mbi->flags & MBI_FLAG_MODS) {
        const struct host_mod *m = (const struct host_mod *)(uintptr_t)mbi->mods_addr;
        lo = max_u64(lo, (uint64_t)mbi->mods_addr + mbi->mods_count * sizeof *m);
        for (uint32_t i = 0; i < mbi->mods_count; i++) {
            lo = max_u64(lo, m[i].mod_end);
            if (m[i].string)
                lo = max_u64(lo, str_end(m[i].string));
        }
    }
    if (mbi->flags & MBI_FLAG_MMAP) {
        lo = max_u64(lo, (uint64_t)mbi->mmap_addr + mbi->mmap_length);
        uint64_t off = 0;
        while (off + sizeof(struct host_mmap) <= mbi->mmap_length) {
            const struct host_mmap *e =
                (const struct host_mmap *)(uintptr_t)(mbi->mmap_addr + off);
            if (e->type == 1 && e->base <= 0x100000 && e->base + e->len > 0x100000)
                end = e->base + e->len;
            off += (uint64_t)e->size + 4;
        }
    }
    if (end == 0 && (mbi->flags & MBI_FLAG_MEM))
        end = 0x100000ull + (uint64_t)mbi->mem_upper * 1024;
    if (end == 0)
        return 0;
    if (end > FOUR_GIB)
        end = FOUR_GIB;
    frames_init(lo, end);
    return range_end - range_start;
}

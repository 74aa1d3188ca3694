/* demo/frames.h — 4 KiB physical frame allocator of the demo hypervisor.
 * Physical = virtual in the demo (identity map of the first 4 GiB). */
#ifndef DEMO_FRAMES_H
#define DEMO_FRAMES_H

#include <stdint.h>
#include <stddef.h>

#define FRAME_SIZE 4096ull

/* Manage [start, end) (rounded inward to 4 KiB). Single frames come from the
 * bottom (then from the free list), contiguous chunks from the top. */
void frames_init(uint64_t start, uint64_t end);

/* Pick the free range from the multiboot info: the usable RAM region that
 * holds 1 MiB (memory map, else mem_upper), capped at 4 GiB, starting above
 * the kernel image (__kernel_end), the multiboot info, the memory map and any
 * modules. Calls frames_init and returns the range's size in bytes (0 when
 * magic is wrong or no memory information was given). */
uint64_t frames_init_multiboot(uint32_t magic, uint32_t mbinfo_phys);

/* One zeroed 4 KiB frame; 0 when exhausted. */
uint64_t frames_alloc(void);
/* Return a frame from frames_alloc (or any 4 KiB page in the range). */
void frames_free(uint64_t pa);
/* A zeroed contiguous chunk of `bytes` (rounded up to 4 KiB) aligned to
 * `align` (a power of two, at least 4 KiB is used), carved from the top of
 * the range; never freed. 0 when it does not fit. */
uint64_t frames_alloc_contig(uint64_t bytes, uint64_t align);
/* Frames currently handed out (single frames plus contiguous chunks). */
uint64_t frames_in_use(void);
/* Bounds of the managed range, as set by frames_init. */
uint64_t frames_range_start(void);
uint64_t frames_range_end(void);

/* demo/mem.c */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif

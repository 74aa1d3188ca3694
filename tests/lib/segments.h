/* tests/lib/segments.h — selectors of the one GDT (boot/gdt.S) of every
 * 32/64-bit image; for C and assembly. */
#ifndef LIBTEST_SEGMENTS_H
#define LIBTEST_SEGMENTS_H

#define GDT_CODE32   0x08
#define GDT_DATA     0x10
#define GDT_CODE16   0x18       /* limit 64 KiB: on the way to real mode */
#define GDT_DATA16   0x20
#define GDT_CODE64   0x28
#define GDT_TSS      0x30       /* empty: an image with ring 3 fills it */
#define GDT_UCODE32  0x3b       /* 0x38, DPL 3 */
#define GDT_UDATA32  0x43       /* 0x40, DPL 3 */
#define GDT_ENTRIES  9

#endif

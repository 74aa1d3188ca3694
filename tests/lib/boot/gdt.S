/* tests/lib/boot/gdt.S — the one GDT of the 32/64-bit images (selectors in
 * segments.h): flat 32-bit code and data, 16-bit code and data (the way
 * back to real mode), 64-bit code, a TSS slot and ring-3 code and data. */
#include "segments.h"

        .data
        .balign 8
        .globl gdt
gdt:
        .quad   0
        .quad   0x00cf9a000000ffff      /* GDT_CODE32 */
        .quad   0x00cf92000000ffff      /* GDT_DATA */
        .quad   0x00009a000000ffff      /* GDT_CODE16, limit 64 KiB */
        .quad   0x000092000000ffff      /* GDT_DATA16, limit 64 KiB */
        .quad   0x00af9a000000ffff      /* GDT_CODE64 */
        .quad   0                       /* GDT_TSS */
        .quad   0x00cffa000000ffff      /* GDT_UCODE32 */
        .quad   0x00cff2000000ffff      /* GDT_UDATA32 */
gdt_end:
        .if     (gdt_end - gdt) != GDT_ENTRIES * 8
        .error  "GDT_ENTRIES (segments.h) does not match the table"
        .endif

        .balign 4
        .word   0
        .globl  gdt_desc
gdt_desc:                               /* for LGDT */
        .word   gdt_end - gdt - 1
#ifdef __x86_64__
        .quad   gdt
#else
        .long   gdt
#endif

        .section .note.GNU-stack, "", @progbits

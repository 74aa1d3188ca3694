/* tests/lib/boot/multiboot.S — entry of a multiboot v1 kernel.
 *
 * Entered per the specification: 32-bit protected mode, flat CS/DS,
 * paging and interrupts off, EAX = 0x2BADB002, EBX = the information
 * structure; GDTR and IDTR are undefined, so our own GDT (boot/gdt.S) is
 * loaded first. The BSS is NOT zeroed here: the loader must do it (the
 * mbinfo kernel checks that it did).
 *
 * Header flags: bit 0 (page-align modules), bit 1 (memory information);
 * built with -DMB_AOUT also bit 16 and the a.out-kludge address fields
 * (from boot/multiboot.ld), for a flat-binary kernel.
 */
#include "segments.h"

#define MB_MAGIC 0x1BADB002
#ifdef MB_AOUT
#define MB_FLAGS 0x00010003
#else
#define MB_FLAGS 0x00000003
#endif

        .section .multiboot, "a"
        .balign 4
        .globl mb_header
mb_header:
        .long   MB_MAGIC
        .long   MB_FLAGS
        .long   -(MB_MAGIC + MB_FLAGS)
#ifdef MB_AOUT
        .long   mb_header               /* header_addr */
        .long   __kernel_start          /* load_addr */
        .long   __load_end              /* load_end_addr */
        .long   __bss_end               /* bss_end_addr */
        .long   _start                  /* entry_addr */
#endif

        .text
        .code32
        .globl _start
_start:
        cli
        cld
        lgdt    gdt_desc
        ljmp    $GDT_CODE32, $1f
1:      mov     $GDT_DATA, %ecx         /* EAX, EBX: still the loader's */
        mov     %ecx, %ds
        mov     %ecx, %es
        mov     %ecx, %fs
        mov     %ecx, %gs
        mov     %ecx, %ss
        mov     $stack_top, %esp
        xor     %ebp, %ebp
        pushl   $0x2                    /* EFLAGS: IF=0, DF=0, AC=0 */
        popfl
        push    %ebx
        push    %eax
        call    mb_start                /* multiboot.c: does not return */
2:      cli
        hlt
        jmp     2b

        .section .bss.stack, "aw", @nobits
        .balign 16
        .globl stack_bottom, stack_top
stack_bottom:
        .skip   16384
stack_top:

        .section .note.GNU-stack, "", @progbits

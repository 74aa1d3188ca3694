/* tests/lib/multiboot.h — the multiboot v1 information structure a loader
 * hands over in EBX (Multiboot Specification 0.6.96, 3.3). */
#ifndef LIBTEST_MULTIBOOT_H
#define LIBTEST_MULTIBOOT_H

#include "libtest.h"

#define MB_BOOT_MAGIC     0x2BADB002u
#define MBI_MEM           (1u << 0)
#define MBI_BOOTDEV       (1u << 1)
#define MBI_CMDLINE       (1u << 2)
#define MBI_MODS          (1u << 3)
#define MBI_MMAP          (1u << 6)
#define MBI_LOADER_NAME   (1u << 9)

struct mb_info {
    u32 flags;
    u32 mem_lower, mem_upper;
    u32 boot_device;
    u32 cmdline;
    u32 mods_count, mods_addr;
    u32 syms[4];
    u32 mmap_length, mmap_addr;
    u32 drives_length, drives_addr;
    u32 config_table;
    u32 boot_loader_name;
    u32 apm_table;
} __attribute__((packed));

struct mb_mmap {                /* `size` does not count itself */
    u32 size;
    u64 base, len;
    u32 type;
} __attribute__((packed));

struct mb_mod {
    u32 mod_start, mod_end, string, reserved;
} __attribute__((packed));

/* boot/multiboot.ld: the loaded part [__kernel_start, __load_end), then the
 * BSS [__bss_start, __bss_end) starting with the probe area that nothing
 * writes; boot/multiboot.S: the stack. */
extern char __kernel_start[], __load_end[], __bss_start[], __bss_end[];
extern char __probe_start[], __probe_end[];
extern char stack_bottom[], stack_top[];

#endif

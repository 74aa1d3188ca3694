/* demo/host.h — the machine the demo runs on, as GRUB hands it over
 * (Multiboot spec 0.6.96, 3.3 "Boot information format"), and the start
 * of a hypervisor on it: memory for frames, VMX on. */
#ifndef DEMO_HOST_H
#define DEMO_HOST_H

#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

#define MB_LOADER_MAGIC  0x2BADB002u   /* EAX at the demo's entry */
#define MBI_FLAG_MEM     (1u << 0)
#define MBI_FLAG_CMDLINE (1u << 2)
#define MBI_FLAG_MODS    (1u << 3)
#define MBI_FLAG_MMAP    (1u << 6)

struct host_mbi {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;      /* MBI_FLAG_MEM, KiB */
    uint32_t boot_device;
    uint32_t cmdline;                   /* MBI_FLAG_CMDLINE */
    uint32_t mods_count, mods_addr;     /* MBI_FLAG_MODS */
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;    /* MBI_FLAG_MMAP */
};
struct host_mod { uint32_t mod_start, mod_end, string, reserved; };
struct host_mmap {
    uint32_t size;                      /* of the rest of the entry */
    uint64_t base, len;
    uint32_t type;                      /* 1 = available RAM */
} __attribute__((packed));

/* The demo's command line ("" when none). */
const char *host_cmdline(const struct host_mbi *mbi);
/* The module GRUB loaded with that string (`module /boot/x x`), or NULL. */
const struct host_mod *host_module(const struct host_mbi *mbi, const char *name);

/* Frames from GRUB's memory information and the banner line. Returns 0, or
 * -1 after saying why. */
int host_memory(uint32_t magic, uint32_t mbinfo_phys, const char *cmdline);
/* VMX on with the demo's HAL; prints "x86vcpu: VMX on: ...". Returns the
 * x86vcpu error. */
int host_vmx_on(struct x86vcpu_cpu *cpu);

#endif

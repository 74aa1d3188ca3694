/* demo/host.c — see host.h. */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

#include "cmdline.h"
#include "console.h"
#include "frames.h"
#include "hal.h"
#include "host.h"

const char *host_cmdline(const struct host_mbi *mbi)
{
    return (mbi->flags & MBI_FLAG_CMDLINE) ? (const char *)(uintptr_t)mbi->cmdline : "";
}

const struct host_mod *host_module(const struct host_mbi *mbi, const char *name)
{
    if (!(mbi->flags & MBI_FLAG_MODS))
        return 0;
    const struct host_mod *mods = (const void *)(uintptr_t)mbi->mods_addr;
    for (uint32_t i = 0; i < mbi->mods_count; i++)
        if (mods[i].string && str_eq((const char *)(uintptr_t)mods[i].string, name))
            return &mods[i];
    return 0;
}

int host_memory(uint32_t magic, uint32_t mbinfo_phys, const char *cmdline)
{
    if (magic != MB_LOADER_MAGIC) {
        con_printf("demo: not booted by a multiboot loader (magic 0x%x)\n", magic);
        return -1;
    }
    uint64_t bytes = frames_init_multiboot(magic, mbinfo_phys);
    if (!bytes) {
        con_printf("demo: no memory information from the boot loader\n");
        return -1;
    }
    con_printf("x86vcpu demo hypervisor: %lu MiB free for frames, command line \"%s\"\n",
               (unsigned long)(bytes >> 20), cmdline);
    return 0;
}

int host_vmx_on(struct x86vcpu_cpu *cpu)
{
    int err = x86vcpu_cpu_enable(cpu, &demo_hal);
    con_printf("x86vcpu: VMX on: %s (revision 0x%x)\n", x86vcpu_strerror(err),
               (unsigned)(cpu->caps.basic & 0x7fffffff));
    return err;
}

/* demo/main.c — entry of the demo hypervisor after boot.S (64-bit, identity
 * mapped, TSS loaded, interrupts off). */
#include <stdint.h>
#include "console.h"
#include "frames.h"
#include "hv.h"

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
#define MBI_FLAG_CMDLINE (1u << 2)

void demo_main(uint32_t magic, uint32_t mbinfo_phys);

void demo_main(uint32_t magic, uint32_t mbinfo_phys)
{
    con_init();
    /* A guest run: COM1 carries the guest's console alone. */
    const uint32_t *mb = (const uint32_t *)(uintptr_t)mbinfo_phys;
    if (magic == MULTIBOOT_BOOTLOADER_MAGIC && (mb[0] & MBI_FLAG_CMDLINE) &&
        hv_has_word((const char *)(uintptr_t)mb[4], "guest"))
        con_set_serial(0);
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        con_printf("demo: not booted by a multiboot loader (magic 0x%x)\n", magic);
        return;
    }
    uint64_t bytes = frames_init_multiboot(magic, mbinfo_phys);
    if (!bytes) {
        con_printf("demo: no memory information from the boot loader\n");
        return;
    }
    /* Multiboot info (spec 3.3): flags at 0, cmdline (physical) at 16. */
    const uint32_t *mbi = (const uint32_t *)(uintptr_t)mbinfo_phys;
    const char *cmdline = (mbi[0] & MBI_FLAG_CMDLINE) ? (const char *)(uintptr_t)mbi[4] : "";
    con_printf("x86vcpu demo hypervisor: %lu MiB free for frames, command line \"%s\"\n",
               (unsigned long)(bytes >> 20), cmdline);
    hv_main(cmdline, mbinfo_phys);
}

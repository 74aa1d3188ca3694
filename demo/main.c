/* demo/main.c — entry of the demo hypervisor after boot.S (64-bit, identity
 * mapped, TSS loaded, interrupts off): console, frames, VMX on, then the
 * guest its command line asks for:
 *
 *   (nothing)          the greeting guest (greeting.c)
 *   guest [mem=N]      a multiboot kernel given as GRUB modules, on the PC
 *                      platform (pc/pc.c): make run GUEST=kernel.elf
 */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

#include "cmdline.h"
#include "console.h"
#include "greeting.h"
#include "host.h"
#include "pc/pc.h"

void demo_main(uint32_t magic, uint32_t mbinfo_phys);

void demo_main(uint32_t magic, uint32_t mbinfo_phys)
{
    const struct host_mbi *mbi = (const struct host_mbi *)(uintptr_t)mbinfo_phys;
    const char *cmdline = magic == MB_LOADER_MAGIC ? host_cmdline(mbi) : "";
    int guest = has_word(cmdline, "guest");
    con_init();
    /* A guest run: COM1 carries the guest's console alone. */
    if (guest)
        con_set_serial(0);
    if (host_memory(magic, mbinfo_phys, cmdline))
        return;
    static struct x86vcpu_cpu cpu;  /* the demo's one per-CPU record */
    int err = host_vmx_on(&cpu);
    if (err) {
        if (guest)
            con_printf("x86vcpu demo: guest exit status 6 (no VMX)\n");
        return;
    }
    if (guest) {
        pc_main(&cpu, mbi, cmdline);
        return;                     /* Bochs ends right after: no VMXOFF needed */
    }
    greeting_main(&cpu);
    x86vcpu_cpu_disable(&cpu);
}

/* demo/pc/memmap.c — the PC's physical address space: the E820 map the
 * guest is told about and the EPT that makes it so. Guest RAM, the VGA
 * window (the host's display, the only host memory a guest reaches) and
 * the BIOS area holding the demo's own firmware (firmware.c); everything
 * else above RAM up to 4 GiB is MMIO: a device's, or all-ones. */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

#include "host.h"
#include "pc/pc.h"

#define GIB (1ull << 30)

static void add_range(struct pc *pc, uint64_t base, uint64_t len, uint32_t type)
{
    if (pc->nmap < PC_MAP_MAX && len)
        pc->map[pc->nmap++] = (struct mb_range){ base, len, type, 0 };
}

/* RAM below 640 KiB but its last KiB, and from 1 MiB; that KiB (the EBDA),
 * the BIOS area (which holds the demo's ACPI tables: firmware.c), the
 * I/O APIC and local APIC pages and the BIOS ROM window below 4 GiB as
 * reserved, as a PC's firmware reports them. Nothing of the host's map:
 * mbi is not read. The ROM window 0xFFFC0000 holds nothing (it reads
 * all-ones): reserved so that no OS puts a device there. */
void pc_build_map(struct pc *pc, const struct host_mbi *mbi)
{
    uint64_t ram = pc->vm.ram_size;
    (void)mbi;
    add_range(pc, 0, 0x9fc00, MB_MEM_AVAILABLE);
    add_range(pc, 0x9fc00, 0x400, MB_MEM_RESERVED);
    add_range(pc, 0xe0000, 0x20000, MB_MEM_RESERVED);
    add_range(pc, 0x100000, ram - 0x100000, MB_MEM_AVAILABLE);
    add_range(pc, PC_IOAPIC, 0x1000, MB_MEM_RESERVED);
    add_range(pc, PC_LAPIC, 0x1000, MB_MEM_RESERVED);
    add_range(pc, 0xfffc0000, 0x40000, MB_MEM_RESERVED);
}

/* What guest-physical page gpa is when no device sits on it: RAM; the VGA
 * window 0xA0000-0xBFFFF, the one host range a guest reaches (the host's
 * VGA: a display the demo gives, uncached); the option-ROM area (RAM); the
 * BIOS area (RAM holding the demo's firmware, read and execute only:
 * writes exit to firmware.c and are dropped); or nothing: MMIO exits that
 * the bus answers with all-ones, or the device there (the HPET page
 * 0xFED00000 and the ROM window 0xFFFC0000 are nothing: no HPET, no
 * ROM). */
int pc_map_page(struct pc *pc, uint64_t gpa)
{
    struct x86vcpu_ept *ept = pc->vm.ept;
    uint64_t ram_pa = pc->vm.ram_pa;
    gpa &= ~0xfffull;
    if (gpa < pc->vm.ram_size && !(gpa >= 0xa0000 && gpa < 0x100000))
        return x86vcpu_ept_map(ept, gpa, ram_pa + gpa, 4096, X86VCPU_EPT_RWX, X86VCPU_MT_WB);
    if (gpa >= 0xa0000 && gpa < 0xc0000)
        return x86vcpu_ept_map(ept, gpa, gpa, 4096, X86VCPU_EPT_RWX, X86VCPU_MT_UC);
    if (gpa >= 0xc0000 && gpa < 0xe0000)
        return x86vcpu_ept_map(ept, gpa, ram_pa + gpa, 4096, X86VCPU_EPT_RWX, X86VCPU_MT_WB);
    if (gpa >= 0xe0000 && gpa < 0x100000)
        return x86vcpu_ept_map(ept, gpa, ram_pa + gpa, 4096, X86VCPU_EPT_R | X86VCPU_EPT_X,
                               X86VCPU_MT_WB);
    return x86vcpu_ept_unmap(ept, gpa, 4096);
}

int pc_map_memory(struct pc *pc)
{
    struct x86vcpu_ept *ept = pc->vm.ept;
    uint64_t ram = pc->vm.ram_size, ram_pa = pc->vm.ram_pa;
    /* Emulated ranges first (that unmaps them): what is mapped read-only
     * inside them exits only for writes, which are dropped, and anything
     * unmapped reads all-ones as on a PC's bus. */
    int err = x86vcpu_ept_add_mmio(ept, 0xe0000, 0x20000);
    if (!err)
        err = x86vcpu_ept_add_mmio(ept, ram, 4 * GIB - ram);
    if (!err)
        err = x86vcpu_ept_map(ept, 0, ram_pa, 0xa0000, X86VCPU_EPT_RWX, X86VCPU_MT_WB);
    if (!err)
        err = x86vcpu_ept_map(ept, 0xa0000, 0xa0000, 0x20000, X86VCPU_EPT_RWX, X86VCPU_MT_UC);
    if (!err)
        err = x86vcpu_ept_map(ept, 0xc0000, ram_pa + 0xc0000, 0x20000, X86VCPU_EPT_RWX,
                              X86VCPU_MT_WB);
    if (!err)
        err = x86vcpu_ept_map(ept, 0xe0000, ram_pa + 0xe0000, 0x20000,
                              X86VCPU_EPT_R | X86VCPU_EPT_X, X86VCPU_MT_WB);
    if (!err)
        err = x86vcpu_ept_map(ept, 0x100000, ram_pa + 0x100000, ram - 0x100000, X86VCPU_EPT_RWX,
                              X86VCPU_MT_WB);
    if (!err)
        err = pc_map_page(pc, PC_IOAPIC);
    return err;
}

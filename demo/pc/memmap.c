/* demo/pc/memmap.c — the PC's physical address space: the E820 map the
 * guest is told about and the EPT that makes it so. */
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

/* RAM below 640 KiB and from 1 MiB, the BIOS area, the firmware's ACPI
 * ranges where the machine has them (above the guest's RAM, 4 KiB aligned:
 * they are mapped, read-only, at the same address), the APICs and the BIOS
 * ROM as reserved (as a PC's firmware reports them). */
void pc_build_map(struct pc *pc, const struct host_mbi *mbi)
{
    uint64_t ram = pc->vm.ram_size;
    add_range(pc, 0, 0x9fc00, MB_MEM_AVAILABLE);
    add_range(pc, 0x9fc00, 0x400, MB_MEM_RESERVED);
    add_range(pc, 0xe0000, 0x20000, MB_MEM_RESERVED);
    add_range(pc, 0x100000, ram - 0x100000, MB_MEM_AVAILABLE);
    if (mbi->flags & MBI_FLAG_MMAP) {
        for (uint64_t off = 0; off + sizeof(struct host_mmap) <= mbi->mmap_length;) {
            const struct host_mmap *e = (const void *)(uintptr_t)(mbi->mmap_addr + off);
            off += (uint64_t)e->size + 4;
            if ((e->type == MB_MEM_ACPI || e->type == MB_MEM_NVS) && e->base >= ram &&
                e->base + e->len <= PC_IOAPIC && !(e->base & 0xfff) && pc->nacpi < PC_ACPI_MAX) {
                pc->acpi[pc->nacpi++] = (struct mb_range){ e->base, (e->len + 0xfff) & ~0xfffull,
                                                           e->type, 0 };
                add_range(pc, e->base, e->len, e->type);
            }
        }
    }
    add_range(pc, PC_IOAPIC, 0x1000, MB_MEM_RESERVED);
    add_range(pc, PC_LAPIC, 0x1000, MB_MEM_RESERVED);
    add_range(pc, 0xfffc0000, 0x40000, MB_MEM_RESERVED);
}

/* What guest-physical page gpa is when no device sits on it: RAM, the VGA
 * window (uncached), the option-ROM area (RAM), the BIOS area and ACPI
 * tables (the machine's, read-only), the HPET (the machine's, read-only:
 * writes go through hpet.c), or nothing
 * (MMIO exits: all-ones, or the device there, as the I/O APIC). */
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
        return x86vcpu_ept_map(ept, gpa, gpa, 4096, X86VCPU_EPT_R | X86VCPU_EPT_X, X86VCPU_MT_WB);
    if (gpa == PC_HPET)     /* read-only: writes exit to hpet.c's filter */
        return x86vcpu_ept_map(ept, gpa, gpa, 4096, X86VCPU_EPT_R, X86VCPU_MT_UC);
    for (uint32_t i = 0; i < pc->nacpi; i++)
        if (gpa - pc->acpi[i].base < pc->acpi[i].len)
            return x86vcpu_ept_map(ept, gpa, gpa, 4096, X86VCPU_EPT_R, X86VCPU_MT_WB);
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
        err = x86vcpu_ept_map(ept, 0xe0000, 0xe0000, 0x20000, X86VCPU_EPT_R | X86VCPU_EPT_X,
                              X86VCPU_MT_WB);
    if (!err)
        err = x86vcpu_ept_map(ept, 0x100000, ram_pa + 0x100000, ram - 0x100000, X86VCPU_EPT_RWX,
                              X86VCPU_MT_WB);
    for (uint32_t i = 0; !err && i < pc->nacpi; i++)
        err = x86vcpu_ept_map(ept, pc->acpi[i].base, pc->acpi[i].base, pc->acpi[i].len,
                              X86VCPU_EPT_R, X86VCPU_MT_WB);
    if (!err)
        err = pc_map_page(pc, PC_IOAPIC);
    if (!err)
        err = pc_map_page(pc, PC_HPET);
    return err;
}

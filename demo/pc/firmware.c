/* demo/pc/firmware.c — the firmware the guest finds, the demo's own (issue
 * 13: nothing of the host's firmware reaches the guest):
 *
 *   0xE0000  the ACPI tables (pc/acpi.c) describing the virtual PC: RSDP,
 *            DSDT, FADT, MADT, RSDT, XSDT; no HPET table
 *   0xFFF53  an IRET, where every real-mode interrupt vector points
 *            (F000:FF53, the IBM PC BIOS's dummy handler address)
 *   0xFFFF0  the reset vector: CLI; HLT (nothing to reboot into)
 *   0x0      the IVT: 256 vectors -> F000:FF53
 *   0x400    the BIOS data area: COM1's port at 0x400 (no COM2-4, no
 *            LPT), the EBDA's segment at 0x40E, the base memory size in
 *            KiB at 0x413 (639)
 *   0x9FC00  the EBDA, 1 KiB: its first word is its size in KiB; the
 *            FACS at 0x9FC40 (ACPI 6.5 5.2.10: read/write memory, which
 *            the BIOS area is not; reserved in E820 with the EBDA)
 *
 * The BIOS area 0xE0000-0xFFFFF is guest RAM (the vm's backing at the same
 * offset, as 0xC0000-0xDFFFF), mapped read and execute only (memmap.c):
 * writes exit here, are dropped and counted in pc->rom_writes, as a ROM
 * ignores them. The rest is plain guest RAM, reported in E820 as a PC's
 * firmware reports it (memmap.c). The ACPI fixed hardware the FADT names
 * is pc/pm.c's. */
#include <stdint.h>

#include "bus.h"
#include "vm.h"
#include "pc/acpi.h"
#include "pc/pc.h"

#define BIOS_AREA     0xe0000ull
#define BIOS_AREA_END 0x100000ull
#define ACPI_AREA_LEN 0x10000u      /* 0xE0000-0xEFFFF for the tables */
#define IRET_STUB     0xfff53ull
#define RESET_VECTOR  0xffff0ull
#define EBDA          0x9fc00u
#define EBDA_KIB      1u
#define FACS          (EBDA + 0x40)     /* 64-byte aligned (5.2.10) */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* The virtual PC as the tables tell it (pc.h, pc/pm.h). */
static const struct acpi_config pc_acpi = {
    .pm1a_evt = PM_PM1A_EVT,
    .pm1a_cnt = PM_PM1A_CNT,
    .pm_tmr = PM_PM_TMR,
    .pm_tmr_32 = 0,                 /* dev/pmtimer.c runs 24-bit here */
    .sci_irq = PM_SCI_IRQ,
    .s5_slp_typ = PM_S5_SLP_TYP,
    .century = 0x32,                /* the RTC's century byte (pc/irq.c, legacy.c) */
    .reset_port = PM_RESET_PORT,
    .reset_value = PM_RESET_VAL,
    /* IAPC_BOOT_ARCH (ACPI 6.5 5.2.9.3): COM1 is an ISA device no bus
     * enumerates; no 8042 (0x64 takes only the reset command); VGA is
     * there (the host's, passed through: legacy.c, memmap.c); the PCI bus
     * holds a host bridge only (pci.h), no MSI-capable device, so no MSI;
     * the CMOS RTC is there. */
    .boot_arch = ACPI_BOOT_LEGACY_DEVICES | ACPI_BOOT_NO_MSI,
    .lapic_addr = (uint32_t)PC_LAPIC,
    .lapic_id = 0,
    .ioapic_id = 0,
    .ioapic_addr = (uint32_t)PC_IOAPIC,
    .ioapic_gsi_base = 0,
    .facs = FACS,
};

int pc_firmware_build(struct pc *pc)
{
    uint8_t *ram = pc->vm.ram;
    struct acpi_tables t;
    pc->pm1a_cnt = PM_PM1A_CNT;
    pc->pm_tmr = PM_PM_TMR;
    if (acpi_build_facs(ram + FACS, 0xa0000 - FACS, FACS) ||
        acpi_build(ram + BIOS_AREA, ACPI_AREA_LEN, BIOS_AREA, &pc_acpi, &t))
        return -1;
    ram[IRET_STUB] = 0xcf;                          /* IRET */
    ram[RESET_VECTOR] = 0xfa;                       /* CLI */
    ram[RESET_VECTOR + 1] = 0xf4;                   /* HLT */
    for (uint32_t v = 0; v < 256; v++) {            /* IVT: offset, segment */
        put16(ram + 4 * v, (uint16_t)IRET_STUB);
        put16(ram + 4 * v + 2, 0xf000);
    }
    put16(ram + 0x400, 0x3f8);                      /* COM1 */
    put16(ram + 0x40e, EBDA >> 4);                  /* EBDA segment */
    put16(ram + 0x413, EBDA >> 10);                 /* base memory, KiB */
    put16(ram + EBDA, EBDA_KIB);                    /* EBDA size, KiB */
    return 0;
}

/* ------------------------------------------------------------ the ROM */
static int inside(uint64_t gpa, uint32_t size)
{
    return gpa >= BIOS_AREA && gpa + size <= BIOS_AREA_END;
}

/* Reads exit only when the library emulates an instruction whose other
 * operand is MMIO (a string move): the area's bytes. */
static int rom_read(void *dev, uint64_t gpa, uint32_t size, uint64_t *val)
{
    const struct pc *pc = dev;
    if (!inside(gpa, size))
        return BUS_UNCLAIMED;
    *val = 0;
    for (uint32_t i = 0; i < size; i++)
        *val |= (uint64_t)pc->vm.ram[gpa + i] << (8 * i);
    return BUS_OK;
}

static int rom_write(void *dev, uint64_t gpa, uint32_t size, uint64_t val)
{
    struct pc *pc = dev;
    (void)val;
    if (!inside(gpa, size))
        return BUS_UNCLAIMED;
    pc->rom_writes++;
    return BUS_OK;
}

static const struct bus_ops rom_ops = { rom_read, rom_write };

int firmware_attach(struct pc *pc)
{
    return bus_add(&pc->vm.bus, BUS_MMIO, BIOS_AREA, BIOS_AREA_END - BIOS_AREA, &rom_ops, pc)
               ? -1 : 0;
}

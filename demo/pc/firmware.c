/* demo/pc/firmware.c — the machine's firmware as the guest sees it: the
 * BIOS area 0xE0000-0xFFFFF and the ACPI tables are the machine's own,
 * mapped read-only (writes exit here and are dropped); low memory starts
 * as the firmware left the machine's; the ACPI ports come from its FADT. */
#include <stdint.h>

#include "bus.h"
#include "vm.h"
#include "pc/pc.h"

#define BIOS_AREA     0xe0000ull
#define BIOS_AREA_END 0x100000ull

/* ------------------------------------------------------------ ACPI */
static int acpi_sum_ok(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return s == 0;
}

static int sig_is(const uint8_t *p, const char *sig, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)sig[i])
            return 0;
    return 1;
}

/* The PM timer and PM1a control ports from the FADT (ACPI 1.0 layout:
 * PM1a_CNT_BLK at 64, PM_TMR_BLK at 76), found through the RSDP in the
 * BIOS area (ACPI 5.2.5.1: on a 16-byte boundary) and the RSDT. */
void pc_find_acpi_ports(struct pc *pc)
{
    for (uint64_t a = BIOS_AREA; a < BIOS_AREA_END; a += 16) {
        const uint8_t *p = (const uint8_t *)(uintptr_t)a;
        if (!sig_is(p, "RSD PTR ", 8) || !acpi_sum_ok(p, 20))
            continue;
        uint32_t rsdt = *(const uint32_t *)(p + 16);
        const uint8_t *t = (const uint8_t *)(uintptr_t)rsdt;
        if (!rsdt || !sig_is(t, "RSDT", 4))
            return;
        uint32_t len = *(const uint32_t *)(t + 4);
        for (uint32_t off = 36; off + 4 <= len; off += 4) {
            const uint8_t *f = (const uint8_t *)(uintptr_t)*(const uint32_t *)(t + off);
            if (sig_is(f, "FACP", 4) && *(const uint32_t *)(f + 4) >= 80) {
                pc->pm1a_cnt = (uint16_t)*(const uint32_t *)(f + 64);
                pc->pm_tmr = (uint16_t)*(const uint32_t *)(f + 76);
            }
        }
        return;
    }
}

/* ------------------------------------------------------------ low memory */
/* The real-mode IVT and the BIOS data area (base memory size at 0x413,
 * EBDA segment at 0x40E, COM port addresses, ...) and the EBDA, copied
 * from the machine's: boot code such as Xen's reads them. */
void pc_copy_low_memory(struct pc *pc)
{
    uint8_t *ram = pc->vm.ram;
    for (uint64_t a = 0; a < 0x500; a++)
        ram[a] = *(const volatile uint8_t *)(uintptr_t)a;
    for (uint64_t a = 0x9fc00; a < 0xa0000; a++)
        ram[a] = *(const volatile uint8_t *)(uintptr_t)a;
}

/* ------------------------------------------------------------ read-only ranges */
/* Only accesses wholly inside a range: the machine's memory next to it is
 * the hypervisor's. */
static int inside(const struct pc *pc, uint64_t gpa, uint32_t size)
{
    if (gpa >= BIOS_AREA && gpa + size <= BIOS_AREA_END)
        return 1;
    for (uint32_t i = 0; i < pc->nacpi; i++)
        if (gpa >= pc->acpi[i].base && gpa + size <= pc->acpi[i].base + pc->acpi[i].len)
            return 1;
    return 0;
}

/* Reads exit where the EPT does not map the range (never, as things are);
 * they read the machine's bytes. */
static int rom_read(void *dev, uint64_t gpa, uint32_t size, uint64_t *val)
{
    if (!inside(dev, gpa, size))
        return BUS_UNCLAIMED;
    *val = 0;
    for (uint32_t i = 0; i < size; i++)
        *val |= (uint64_t)*(const volatile uint8_t *)(uintptr_t)(gpa + i) << (8 * i);
    return BUS_OK;
}

static int rom_write(void *dev, uint64_t gpa, uint32_t size, uint64_t val)
{
    struct pc *pc = dev;
    (void)val;
    if (!inside(pc, gpa, size))
        return BUS_UNCLAIMED;
    pc->rom_writes++;
    return BUS_OK;
}

static const struct bus_ops rom_ops = { rom_read, rom_write };

int firmware_attach(struct pc *pc)
{
    int err = bus_add(&pc->vm.bus, BUS_MMIO, BIOS_AREA, BIOS_AREA_END - BIOS_AREA, &rom_ops, pc);
    for (uint32_t i = 0; i < pc->nacpi; i++)
        err |= bus_add(&pc->vm.bus, BUS_MMIO, pc->acpi[i].base, pc->acpi[i].len, &rom_ops, pc);
    return err ? -1 : 0;
}

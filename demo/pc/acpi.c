/* demo/pc/acpi.c — the virtual PC's ACPI tables (see acpi.h). Pure: writes
 * bytes into the caller's buffer, little-endian, every field explicit. */
#include <stdint.h>

#include "pc/acpi.h"

static void put8(uint8_t *p, uint32_t off, uint8_t v)
{
    p[off] = v;
}

static void put16(uint8_t *p, uint32_t off, uint16_t v)
{
    p[off] = (uint8_t)v;
    p[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t off, uint32_t v)
{
    put16(p, off, (uint16_t)v);
    put16(p, off + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint32_t off, uint64_t v)
{
    put32(p, off, (uint32_t)v);
    put32(p, off + 4, (uint32_t)(v >> 32));
}

static void put_str(uint8_t *p, uint32_t off, const char *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        p[off + i] = (uint8_t)s[i];
}

uint8_t acpi_sum(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

/* The byte at off that makes the len bytes sum to 0. */
static void fix_sum(uint8_t *p, uint32_t len, uint32_t off)
{
    p[off] = 0;
    p[off] = (uint8_t)-acpi_sum(p, len);
}

/* System Description Table Header (ACPI 6.5 5.2.6); the checksum (byte 9)
 * is set once the table is complete. */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
    put_str(t, 0, sig, 4);
    put32(t, 4, len);
    put8(t, 8, rev);
    put_str(t, 10, ACPI_OEM_ID, 6);
    put_str(t, 16, ACPI_OEM_TABLE_ID, 8);
    put32(t, 24, 1);                    /* OEM revision */
    put_str(t, 28, ACPI_CREATOR_ID, 4);
    put32(t, 32, 1);                    /* creator revision */
}

/* Generic Address Structure (ACPI 6.5 5.2.3.2): an I/O port block of
 * `bits` bits accessed `access` at a time (1 byte, 2 word, 3 dword). */
static void gas_io(uint8_t *p, uint32_t off, uint8_t bits, uint8_t access, uint16_t port)
{
    put8(p, off, 1);                    /* address space: System I/O */
    put8(p, off + 1, bits);
    put8(p, off + 2, 0);                /* bit offset */
    put8(p, off + 3, access);
    put64(p, off + 4, port);
}

/* An AML integer constant (ACPI 6.5 20.2.3): ZeroOp, OneOp or BytePrefix. */
static uint32_t aml_int(uint8_t *p, uint32_t off, uint8_t v)
{
    if (v <= 1) {
        p[off] = v;                     /* ZeroOp 0x00, OneOp 0x01 */
        return 1;
    }
    p[off] = 0x0a;                      /* BytePrefix */
    p[off + 1] = v;
    return 2;
}

/* The DSDT's AML (ACPI 6.5 20.2.5.1 DefName, 20.2.5.4 DefPackage):
 *   08                 NameOp
 *   5F 53 35 5F        NameSeg "_S5_"
 *   12                 PackageOp
 *   nn                 PkgLength (one byte, < 64: itself and what follows)
 *   04                 NumElements
 *   t  t  00 00        SLP_TYPa, SLP_TYPb (PM1b: none, the same value),
 *                      two reserved (7.4.2: \_Sx package layout)
 * For SLP_TYP 0: 08 5F 53 35 5F 12 06 04 00 00 00 00. Returns its length. */
static uint32_t dsdt_aml(uint8_t *p, uint8_t slp_typ)
{
    uint32_t n = 0;
    p[n++] = 0x08;
    put_str(p, n, "_S5_", 4);
    n += 4;
    p[n++] = 0x12;
    uint32_t len_at = n++;
    p[n++] = 4;
    n += aml_int(p, n, slp_typ);
    n += aml_int(p, n, slp_typ);
    n += aml_int(p, n, 0);
    n += aml_int(p, n, 0);
    p[len_at] = (uint8_t)(n - len_at);
    return n;
}

#define DSDT_AML_MAX 16     /* 12 bytes, 14 for SLP_TYP > 1 */
#define MADT_LEN     (44 + 8 + 12 + 10 + 10 + 6)

static uint32_t align_up(uint32_t v, uint32_t a)
{
    return (v + a - 1) & ~(a - 1);
}

int acpi_build_facs(uint8_t *buf, uint32_t size, uint64_t base)
{
    if (!buf || size < ACPI_FACS_LEN || (base & 63) || base + ACPI_FACS_LEN > (1ull << 32))
        return -1;
    for (uint32_t i = 0; i < ACPI_FACS_LEN; i++)
        buf[i] = 0;
    put_str(buf, 0, "FACS", 4);
    put32(buf, 4, ACPI_FACS_LEN);
    put8(buf, 32, 2);                   /* version (ACPI 6.5) */
    return 0;
}

int acpi_build(uint8_t *buf, uint32_t size, uint64_t base, const struct acpi_config *c,
               struct acpi_tables *out)
{
    if (!buf || !c || !out || (base & 15) || c->s5_slp_typ > 7 || !c->facs || (c->facs & 63))
        return -1;
    /* The layout first, so that nothing is written when it does not fit. */
    uint32_t dsdt = align_up(ACPI_RSDP_LEN, 16);
    uint32_t fadt = align_up(dsdt + ACPI_HDR_LEN + DSDT_AML_MAX, 16);
    uint32_t madt = align_up(fadt + ACPI_FADT_LEN, 16);
    uint32_t rsdt = align_up(madt + MADT_LEN, 16);
    uint32_t xsdt = align_up(rsdt + ACPI_HDR_LEN + 2 * 4, 16);
    uint32_t end = xsdt + ACPI_HDR_LEN + 2 * 8;
    if (size < end || base + end > (1ull << 32))
        return -1;
    for (uint32_t i = 0; i < end; i++)
        buf[i] = 0;
    uint32_t b = (uint32_t)base;
    *out = (struct acpi_tables){ b, b + dsdt, b + fadt, b + madt, b + rsdt, b + xsdt, b + end };

    /* DSDT (5.2.11.1): revision 2, integers are 64-bit. */
    uint8_t *t = buf + dsdt;
    uint32_t dlen = ACPI_HDR_LEN + dsdt_aml(t + ACPI_HDR_LEN, c->s5_slp_typ);
    header(t, "DSDT", dlen, 2);
    fix_sum(t, dlen, 9);

    /* FADT (5.2.9, Table 5.9). SMI_CMD 0: the machine is always in ACPI
     * mode (4.8.2.1: SCI_EN reads 1, nothing to hand over); C2/C3 not
     * supported (latencies above 100 / 1000, 5.2.9); no PM1b, PM2, GPE
     * blocks; DAY/MON_ALRM 0: no RTC alarm fields. */
    t = buf + fadt;
    header(t, "FACP", ACPI_FADT_LEN, 6);
    put32(t, FADT_FIRMWARE_CTRL, c->facs);
    put32(t, FADT_DSDT, out->dsdt);
    put8(t, FADT_PM_PROFILE, 0);        /* unspecified */
    put16(t, FADT_SCI_INT, c->sci_irq);
    put32(t, FADT_SMI_CMD, 0);
    put32(t, FADT_PM1A_EVT_BLK, c->pm1a_evt);
    put32(t, FADT_PM1A_CNT_BLK, c->pm1a_cnt);
    put32(t, FADT_PM_TMR_BLK, c->pm_tmr);
    put8(t, FADT_PM1_EVT_LEN, 4);
    put8(t, FADT_PM1_CNT_LEN, 2);
    put8(t, FADT_PM_TMR_LEN, 4);
    put16(t, FADT_P_LVL2_LAT, 101);
    put16(t, FADT_P_LVL3_LAT, 1001);
    put8(t, FADT_CENTURY, c->century);
    put16(t, FADT_IAPC_BOOT_ARCH, c->boot_arch);
    put32(t, FADT_FLAGS, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON |
                             FADT_F_SLP_BUTTON | FADT_F_FIX_RTC |
                             (c->pm_tmr_32 ? FADT_F_TMR_VAL_EXT : 0) |
                             (c->reset_port ? FADT_F_RESET_REG_SUP : 0));
    if (c->reset_port) {
        gas_io(t, FADT_RESET_REG, 8, 1, c->reset_port);
        put8(t, FADT_RESET_VALUE, c->reset_value);
    }
    put8(t, FADT_MINOR_VERSION, 5);     /* 6.5 */
    /* The 64-bit pointers repeat the 32-bit ones (5.2.9: an OSPM that
     * can use X_FIRMWARE_CTRL / X_DSDT ignores the 32-bit field); an X_
     * field of 0 next to a set 32-bit one draws ACPICA's "32/64X FACS
     * address mismatch" warning in older OSes (Xen 4.17). */
    put64(t, FADT_X_FIRMWARE_CTRL, c->facs);
    put64(t, FADT_X_DSDT, out->dsdt);
    gas_io(t, FADT_X_PM1A_EVT_BLK, 32, 2, c->pm1a_evt);  /* two 16-bit registers */
    gas_io(t, FADT_X_PM1A_CNT_BLK, 16, 2, c->pm1a_cnt);
    gas_io(t, FADT_X_PM_TMR_BLK, 32, 3, c->pm_tmr);
    put_str(t, 268, "X86VCPU ", 8);     /* hypervisor vendor identity (6.0+) */
    fix_sum(t, ACPI_FADT_LEN, 9);

    /* MADT (5.2.12). */
    t = buf + madt;
    header(t, "APIC", MADT_LEN, 6);
    put32(t, 36, c->lapic_addr);
    put32(t, 40, 1);                    /* PCAT_COMPAT: 8259s present (to be masked) */
    uint32_t o = 44;
    /* Processor Local APIC (5.2.12.2): ACPI UID 0, enabled. */
    put8(t, o, MADT_LAPIC), put8(t, o + 1, 8), put8(t, o + 2, 0), put8(t, o + 3, c->lapic_id);
    put32(t, o + 4, 1);
    o += 8;
    /* I/O APIC (5.2.12.3). */
    put8(t, o, MADT_IOAPIC), put8(t, o + 1, 12), put8(t, o + 2, c->ioapic_id);
    put32(t, o + 4, c->ioapic_addr);
    put32(t, o + 8, c->ioapic_gsi_base);
    o += 12;
    /* Interrupt Source Overrides (5.2.12.5), bus 0 = ISA. IRQ0 (the PIT)
     * on GSI 2, flags 0: conforms to ISA (edge, active high). */
    put8(t, o, MADT_OVERRIDE), put8(t, o + 1, 10), put8(t, o + 2, 0), put8(t, o + 3, 0);
    put32(t, o + 4, 2);
    put16(t, o + 8, 0);
    o += 10;
    /* The SCI (5.2.9: level-triggered, shareable): level, active high
     * (MPS INTI flags: polarity 01, trigger 11 = 0x000D), as QEMU's. */
    put8(t, o, MADT_OVERRIDE), put8(t, o + 1, 10), put8(t, o + 2, 0),
        put8(t, o + 3, c->sci_irq);
    put32(t, o + 4, c->sci_irq);
    put16(t, o + 8, 0x000d);
    o += 10;
    /* Local APIC NMI (5.2.12.7): all processors (UID 0xFF), LINT1, flags
     * 0: conforms (edge, active high, as a PC wires NMI). */
    put8(t, o, MADT_LAPIC_NMI), put8(t, o + 1, 6), put8(t, o + 2, 0xff);
    put16(t, o + 3, 0);
    put8(t, o + 5, 1);
    fix_sum(t, MADT_LEN, 9);

    /* RSDT and XSDT (5.2.7, 5.2.8): FADT first, as tools expect. */
    t = buf + rsdt;
    header(t, "RSDT", ACPI_HDR_LEN + 8, 1);
    put32(t, 36, out->fadt);
    put32(t, 40, out->madt);
    fix_sum(t, ACPI_HDR_LEN + 8, 9);
    t = buf + xsdt;
    header(t, "XSDT", ACPI_HDR_LEN + 16, 1);
    put64(t, 36, out->fadt);
    put64(t, 44, out->madt);
    fix_sum(t, ACPI_HDR_LEN + 16, 9);

    /* RSDP (5.2.5.3): the first checksum covers the ACPI 1.0 part (20
     * bytes), the extended one all 36. */
    t = buf;
    put_str(t, 0, "RSD PTR ", 8);
    put_str(t, 9, ACPI_OEM_ID, 6);
    put8(t, 15, 2);
    put32(t, 16, out->rsdt);
    put32(t, 20, ACPI_RSDP_LEN);
    put64(t, 24, out->xsdt);
    fix_sum(t, 20, 8);
    fix_sum(t, ACPI_RSDP_LEN, 32);
    return 0;
}

/* demo/pc/acpi.h — the ACPI tables of the demo's virtual PC, built by the
 * demo to describe its own machine (issue 13: never the host's firmware).
 *
 * A pure builder: acpi_build writes the tables into a byte buffer that the
 * guest will see at guest-physical address `base` (the pointers inside are
 * guest-physical), from the values in struct acpi_config. No hardware, no
 * globals: unit-tested on the host (tests/unit/test_acpi.c).
 *
 * The FACS lives apart: 5.2.10 puts it in read/write memory (the OS
 * writes its waking vector and global lock), where the other tables may be
 * read-only. acpi_build_facs writes it; acpi_build points at it.
 *
 * What acpi_build writes, in this order from base (ACPI 6.5 chapter 5):
 *   RSDP  revision 2, 36 bytes, both checksums (5.2.5.3); base must be
 *         16-byte aligned (5.2.5.1: the OS scans 16-byte boundaries)
 *   DSDT  revision 2; its AML is \_S5 only: Name (_S5, Package (4)
 *         { s5_slp_typ, s5_slp_typ, 0, 0 }) (5.2.11.1, 7.4.2.6)
 *   FADT  revision 6.5, 276 bytes (5.2.9): 32- and 64-bit DSDT and FACS
 *         pointers (equal), PM1a event/control and PM timer blocks in
 *         I/O space (legacy fields and X_ Generic Address Structures),
 *         SCI, reset register, IAPC_BOOT_ARCH, the fixed feature flags
 *   MADT  revision 6 (5.2.12): local APIC address, PCAT_COMPAT; one
 *         Processor Local APIC, one I/O APIC, the ISA overrides IRQ0 ->
 *         GSI 2 and SCI -> GSI sci_irq (level, active high), Local APIC
 *         NMI on LINT1 for all processors
 *   RSDT  revision 1, and XSDT revision 1: the same two tables (FADT,
 *         MADT) with 32- and 64-bit pointers (5.2.7, 5.2.8)
 * No HPET table: the demo's PC has no HPET. */
#ifndef DEMO_PC_ACPI_H
#define DEMO_PC_ACPI_H

#include <stdint.h>

#define ACPI_OEM_ID       "X86VCP"      /* 6 bytes */
#define ACPI_OEM_TABLE_ID "X86VCPU "    /* 8 bytes */
#define ACPI_CREATOR_ID   "X86V"        /* 4 bytes */

/* Sizes (ACPI 6.5 5.2.5.3, 5.2.9, 5.2.10, 5.2.6). */
#define ACPI_RSDP_LEN   36
#define ACPI_FACS_LEN   64
#define ACPI_FADT_LEN   276
#define ACPI_HDR_LEN    36

/* FADT offsets (ACPI 6.5 Table 5.9). */
#define FADT_FIRMWARE_CTRL  36
#define FADT_DSDT           40
#define FADT_PM_PROFILE     45
#define FADT_SCI_INT        46
#define FADT_SMI_CMD        48
#define FADT_PM1A_EVT_BLK   56
#define FADT_PM1A_CNT_BLK   64
#define FADT_PM_TMR_BLK     76
#define FADT_PM1_EVT_LEN    88
#define FADT_PM1_CNT_LEN    89
#define FADT_PM_TMR_LEN     91
#define FADT_P_LVL2_LAT     96
#define FADT_P_LVL3_LAT     98
#define FADT_CENTURY        108
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS          112
#define FADT_RESET_REG      116
#define FADT_RESET_VALUE    128
#define FADT_MINOR_VERSION  131
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_X_DSDT         140
#define FADT_X_PM1A_EVT_BLK 148
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_X_PM_TMR_BLK   208

/* FADT fixed feature flags (ACPI 6.5 Table 5.10). */
#define FADT_F_WBINVD        (1u << 0)
#define FADT_F_PROC_C1       (1u << 2)
#define FADT_F_PWR_BUTTON    (1u << 4)  /* 1: no fixed-feature power button */
#define FADT_F_SLP_BUTTON    (1u << 5)  /* 1: no fixed-feature sleep button */
#define FADT_F_FIX_RTC       (1u << 6)  /* 1: no RTC wake status in PM1 */
#define FADT_F_TMR_VAL_EXT   (1u << 8)  /* 1: 32-bit PM timer */
#define FADT_F_RESET_REG_SUP (1u << 10)

/* IAPC_BOOT_ARCH (ACPI 6.5 5.2.9.3, Table 5.11). */
#define ACPI_BOOT_LEGACY_DEVICES (1u << 0)  /* ISA devices (COM1) not enumerable */
#define ACPI_BOOT_8042           (1u << 1)  /* a keyboard controller at 0x60/0x64 */
#define ACPI_BOOT_NO_VGA         (1u << 2)
#define ACPI_BOOT_NO_MSI         (1u << 3)
#define ACPI_BOOT_NO_ASPM        (1u << 4)
#define ACPI_BOOT_NO_CMOS_RTC    (1u << 5)

/* MADT interrupt controller structure types (ACPI 6.5 5.2.12). */
#define MADT_LAPIC     0
#define MADT_IOAPIC    1
#define MADT_OVERRIDE  2
#define MADT_LAPIC_NMI 4

/* The machine the tables describe. */
struct acpi_config {
    uint16_t pm1a_evt;          /* PM1a event block: status, enable (4 ports) */
    uint16_t pm1a_cnt;          /* PM1a control (2 ports) */
    uint16_t pm_tmr;            /* PM timer (4 ports), 24-bit unless pm_tmr_32 */
    uint8_t pm_tmr_32;
    uint8_t sci_irq;            /* ISA IRQ of the SCI, identity-mapped to its GSI */
    uint8_t s5_slp_typ;         /* SLP_TYP of \_S5 (0..7) */
    uint8_t century;            /* CMOS index of the RTC's century byte, or 0 */
    uint16_t reset_port;        /* I/O port of the reset register, or 0: none */
    uint8_t reset_value;
    uint16_t boot_arch;         /* ACPI_BOOT_* */
    uint32_t lapic_addr;
    uint8_t lapic_id;           /* the one processor's APIC ID (ACPI UID 0) */
    uint8_t ioapic_id;
    uint32_t ioapic_addr, ioapic_gsi_base;
    uint32_t facs;              /* where acpi_build_facs put the FACS */
};

/* Guest-physical addresses of what acpi_build wrote; end: the first byte
 * after the last table. */
struct acpi_tables {
    uint32_t rsdp, dsdt, fadt, madt, rsdt, xsdt, end;
};

/* The FACS (5.2.10: 64 bytes, version 2, no checksum; waking vectors 0:
 * no sleep state to wake from) into buf[0, size) for guest-physical base.
 * Returns 0, or -1 (buf untouched) when size < 64, base is not 64-byte
 * aligned or not below 4 GiB (FIRMWARE_CTRL is 32-bit), or buf is NULL. */
int acpi_build_facs(uint8_t *buf, uint32_t size, uint64_t base);

/* Build the tables into buf[0, size) for guest-physical base. Returns 0,
 * or -1 (buf untouched) when base is not 16-byte aligned, the tables do
 * not fit in size bytes or would end above 4 GiB (the RSDT's and the
 * 32-bit FADT fields' pointers), c->facs is 0 or not 64-byte aligned, an
 * SLP_TYP is above 7, or a pointer is NULL. */
int acpi_build(uint8_t *buf, uint32_t size, uint64_t base, const struct acpi_config *c,
               struct acpi_tables *out);

/* The 8-bit sum of len bytes (0 for a valid ACPI table, ACPI 6.5 5.2.6). */
uint8_t acpi_sum(const uint8_t *p, uint32_t len);

#endif

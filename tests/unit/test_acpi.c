/* Unit tests: the virtual PC's ACPI tables (demo/pc/acpi.c), parsed back
 * the way an OS reads them (ACPI 6.5 chapter 5): the RSDP's two checksums
 * and every table's, RSDT and XSDT naming the same tables, the FADT's
 * fields (ports, SCI, reset register, flags, boot architecture, the
 * 32/64-bit pointers), the MADT's entries, the DSDT's \_S5 AML bytes, the
 * FACS (built apart, for read/write memory), and the builders' refusals
 * (buffer too small, misaligned base, past 4 GiB, a bad SLP_TYP or FACS). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "pc/acpi.h"

#define BASE 0xe0000u
#define SIZE 0x10000u

static uint8_t buf[SIZE];

/* The demo's PC (as demo/pc/firmware.c fills it). */
static const struct acpi_config pc = {
    .pm1a_evt = 0x600, .pm1a_cnt = 0x604, .pm_tmr = 0x608, .pm_tmr_32 = 0,
    .sci_irq = 9, .s5_slp_typ = 0, .century = 0x32,
    .reset_port = 0xcf9, .reset_value = 0x06,
    .boot_arch = ACPI_BOOT_LEGACY_DEVICES | ACPI_BOOT_NO_MSI,
    .lapic_addr = 0xfee00000u, .lapic_id = 0,
    .ioapic_id = 0, .ioapic_addr = 0xfec00000u, .ioapic_gsi_base = 0,
    .facs = 0x9fc40,
};

static uint8_t r8(uint32_t gpa) { return buf[gpa - BASE]; }
static uint16_t r16(uint32_t gpa) { return (uint16_t)(r8(gpa) | r8(gpa + 1) << 8); }
static uint32_t r32(uint32_t gpa) { return r16(gpa) | (uint32_t)r16(gpa + 2) << 16; }
static uint64_t r64(uint32_t gpa) { return r32(gpa) | (uint64_t)r32(gpa + 4) << 32; }
static const uint8_t *at(uint32_t gpa) { return buf + (gpa - BASE); }

static struct acpi_tables build(const struct acpi_config *c)
{
    struct acpi_tables t;
    memset(buf, 0xa5, sizeof buf);
    assert_int_equal(acpi_build(buf, SIZE, BASE, c, &t), 0);
    return t;
}

/* A table at gpa: signature, its length's bytes summing to 0, revision. */
static uint32_t table(uint32_t gpa, const char *sig, uint8_t rev)
{
    assert_memory_equal(at(gpa), sig, 4);
    uint32_t len = r32(gpa + 4);
    assert_true(len >= ACPI_HDR_LEN && gpa + len <= BASE + SIZE);
    assert_int_equal(acpi_sum(at(gpa), len), 0);
    assert_int_equal(r8(gpa + 8), rev);
    assert_memory_equal(at(gpa + 10), "X86VCP", 6);
    assert_memory_equal(at(gpa + 16), "X86VCPU ", 8);
    return len;
}

static void test_checksums(void **state)
{
    (void)state;
    struct acpi_tables t = build(&pc);
    /* RSDP (5.2.5.3): at base, 16-byte aligned, ACPI 1.0 part and all. */
    assert_int_equal(t.rsdp, BASE);
    assert_memory_equal(at(t.rsdp), "RSD PTR ", 8);
    assert_int_equal(acpi_sum(at(t.rsdp), 20), 0);
    assert_int_equal(acpi_sum(at(t.rsdp), 36), 0);
    assert_int_equal(r8(t.rsdp + 15), 2);
    assert_int_equal(r32(t.rsdp + 20), 36);
    assert_memory_equal(at(t.rsdp + 9), "X86VCP", 6);
    /* Both checksums are needed: break one byte of each part. */
    buf[t.rsdp - BASE + 16] ^= 1;
    assert_int_not_equal(acpi_sum(at(t.rsdp), 20), 0);
    buf[t.rsdp - BASE + 16] ^= 1;
    buf[t.rsdp - BASE + 24] ^= 1;
    assert_int_equal(acpi_sum(at(t.rsdp), 20), 0);
    assert_int_not_equal(acpi_sum(at(t.rsdp), 36), 0);
    buf[t.rsdp - BASE + 24] ^= 1;

    assert_int_equal(table(t.rsdt, "RSDT", 1), 44);
    assert_int_equal(table(t.xsdt, "XSDT", 1), 52);
    assert_int_equal(table(t.fadt, "FACP", 6), ACPI_FADT_LEN);
    assert_int_equal(table(t.madt, "APIC", 6), 90);
    table(t.dsdt, "DSDT", 2);
    /* Everything lies inside [rsdp, end), disjoint and in order. */
    assert_true(t.rsdp < t.dsdt && t.dsdt < t.fadt && t.fadt < t.madt &&
                t.madt < t.rsdt && t.rsdt < t.xsdt && t.xsdt + 52 == t.end);
    assert_true(t.rsdp + 36 <= t.dsdt && t.dsdt + r32(t.dsdt + 4) <= t.fadt &&
                t.fadt + ACPI_FADT_LEN <= t.madt && t.madt + 90 <= t.rsdt && t.rsdt + 44 <= t.xsdt);
    /* Nothing written past end. */
    for (uint32_t a = t.end; a < BASE + SIZE; a++)
        if (r8(a) != 0xa5)
            fail_msg("byte at %#x written", a);
}

static void test_roots_agree(void **state)
{
    (void)state;
    struct acpi_tables t = build(&pc);
    assert_int_equal(r32(t.rsdp + 16), t.rsdt);
    assert_int_equal(r64(t.rsdp + 24), t.xsdt);
    uint32_t n = (r32(t.rsdt + 4) - 36) / 4;
    assert_int_equal(n, 2);
    assert_int_equal((r32(t.xsdt + 4) - 36) / 8, n);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(r32(t.rsdt + 36 + 4 * i), r64(t.xsdt + 36 + 8 * i));
    assert_int_equal(r32(t.rsdt + 36), t.fadt);
    assert_int_equal(r32(t.rsdt + 40), t.madt);
    /* No HPET (or any other) table. */
    for (uint32_t i = 0; i < n; i++)
        assert_memory_not_equal(at(r32(t.rsdt + 36 + 4 * i)), "HPET", 4);
}

/* A Generic Address Structure in System I/O (5.2.3.2). */
static void gas_is(uint32_t gpa, uint8_t bits, uint8_t access, uint64_t port)
{
    assert_int_equal(r8(gpa), 1);
    assert_int_equal(r8(gpa + 1), bits);
    assert_int_equal(r8(gpa + 2), 0);
    assert_int_equal(r8(gpa + 3), access);
    assert_int_equal(r64(gpa + 4), port);
}

static void test_fadt_fields(void **state)
{
    (void)state;
    struct acpi_tables t = build(&pc);
    uint32_t f = t.fadt;
    assert_int_equal(r32(f + FADT_FIRMWARE_CTRL), 0x9fc40);
    assert_int_equal(r64(f + FADT_X_FIRMWARE_CTRL), 0x9fc40);
    assert_int_equal(r32(f + FADT_DSDT), t.dsdt);
    assert_int_equal(r64(f + FADT_X_DSDT), t.dsdt);
    assert_int_equal(r16(f + FADT_SCI_INT), 9);
    assert_int_equal(r32(f + FADT_SMI_CMD), 0);             /* always in ACPI mode */
    assert_int_equal(r32(f + FADT_PM1A_EVT_BLK), 0x600);
    assert_int_equal(r32(f + 60), 0);                       /* no PM1b */
    assert_int_equal(r32(f + FADT_PM1A_CNT_BLK), 0x604);
    assert_int_equal(r32(f + 68), 0);
    assert_int_equal(r32(f + 72), 0);                       /* no PM2 */
    assert_int_equal(r32(f + FADT_PM_TMR_BLK), 0x608);
    assert_int_equal(r32(f + 80), 0);                       /* no GPE blocks */
    assert_int_equal(r32(f + 84), 0);
    assert_int_equal(r8(f + FADT_PM1_EVT_LEN), 4);
    assert_int_equal(r8(f + FADT_PM1_CNT_LEN), 2);
    assert_int_equal(r8(f + 90), 0);
    assert_int_equal(r8(f + FADT_PM_TMR_LEN), 4);
    assert_true(r16(f + FADT_P_LVL2_LAT) > 100);            /* no C2 */
    assert_true(r16(f + FADT_P_LVL3_LAT) > 1000);           /* no C3 */
    assert_int_equal(r8(f + FADT_CENTURY), 0x32);
    assert_int_equal(r16(f + FADT_IAPC_BOOT_ARCH), ACPI_BOOT_LEGACY_DEVICES | ACPI_BOOT_NO_MSI);
    uint32_t flags = r32(f + FADT_FLAGS);
    assert_int_equal(flags & FADT_F_TMR_VAL_EXT, 0);        /* 24-bit timer */
    assert_int_equal(flags & FADT_F_RESET_REG_SUP, FADT_F_RESET_REG_SUP);
    assert_int_equal(flags & (FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON),
                     FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON);
    assert_int_equal(flags & (1u << 20), 0);                /* not HW-reduced */
    gas_is(f + FADT_RESET_REG, 8, 1, 0xcf9);
    assert_int_equal(r8(f + FADT_RESET_VALUE), 0x06);
    assert_int_equal(r8(f + FADT_MINOR_VERSION), 5);
    gas_is(f + FADT_X_PM1A_EVT_BLK, 32, 2, 0x600);
    gas_is(f + FADT_X_PM1A_CNT_BLK, 16, 2, 0x604);
    gas_is(f + FADT_X_PM_TMR_BLK, 32, 3, 0x608);
    for (uint32_t o = 160; o < 208; o++)                    /* X_PM1b_*, X_PM2 */
        if (o < FADT_X_PM1A_CNT_BLK || o >= FADT_X_PM1A_CNT_BLK + 12)
            assert_int_equal(r8(f + o), 0);
    for (uint32_t o = 220; o < 268; o++)                    /* X_GPE*, SLEEP_* */
        assert_int_equal(r8(f + o), 0);

    /* A 32-bit timer and no reset register. */
    struct acpi_config c = pc;
    c.pm_tmr_32 = 1;
    c.reset_port = 0;
    t = build(&c);
    flags = r32(t.fadt + FADT_FLAGS);
    assert_int_equal(flags & FADT_F_TMR_VAL_EXT, FADT_F_TMR_VAL_EXT);
    assert_int_equal(flags & FADT_F_RESET_REG_SUP, 0);
    for (uint32_t o = FADT_RESET_REG; o <= FADT_RESET_VALUE; o++)
        assert_int_equal(r8(t.fadt + o), 0);
    assert_int_equal(acpi_sum(at(t.fadt), ACPI_FADT_LEN), 0);
}

static void test_madt_entries(void **state)
{
    (void)state;
    struct acpi_tables t = build(&pc);
    uint32_t m = t.madt, len = r32(m + 4);
    assert_int_equal(r32(m + 36), 0xfee00000u);
    assert_int_equal(r32(m + 40), 1);                       /* PCAT_COMPAT */
    unsigned lapics = 0, ioapics = 0, overrides = 0, nmis = 0;
    uint32_t o = m + 44;
    while (o < m + len) {
        uint8_t type = r8(o), l = r8(o + 1);
        assert_true(l >= 2 && o + l <= m + len);
        switch (type) {
        case MADT_LAPIC:
            assert_int_equal(l, 8);
            assert_int_equal(r8(o + 2), 0);                 /* ACPI UID */
            assert_int_equal(r8(o + 3), 0);                 /* APIC ID */
            assert_int_equal(r32(o + 4), 1);                /* enabled */
            lapics++;
            break;
        case MADT_IOAPIC:
            assert_int_equal(l, 12);
            assert_int_equal(r8(o + 2), 0);
            assert_int_equal(r8(o + 3), 0);
            assert_int_equal(r32(o + 4), 0xfec00000u);
            assert_int_equal(r32(o + 8), 0);
            ioapics++;
            break;
        case MADT_OVERRIDE:
            assert_int_equal(l, 10);
            assert_int_equal(r8(o + 2), 0);                 /* ISA */
            if (r8(o + 3) == 0) {
                assert_int_equal(r32(o + 4), 2);
                assert_int_equal(r16(o + 8), 0);            /* conforms: edge, high */
            } else {
                assert_int_equal(r8(o + 3), 9);
                assert_int_equal(r32(o + 4), 9);
                assert_int_equal(r16(o + 8), 0x0d);         /* level, active high */
            }
            overrides |= 1u << r8(o + 3);
            break;
        case MADT_LAPIC_NMI:
            assert_int_equal(l, 6);
            assert_int_equal(r8(o + 2), 0xff);              /* all processors */
            assert_int_equal(r16(o + 3), 0);
            assert_int_equal(r8(o + 5), 1);                 /* LINT1 */
            nmis++;
            break;
        default:
            fail_msg("MADT entry type %u", type);
        }
        o += l;
    }
    assert_int_equal(o, m + len);
    assert_int_equal(lapics, 1);
    assert_int_equal(ioapics, 1);
    assert_int_equal(overrides, (1u << 0) | (1u << 9));
    assert_int_equal(nmis, 1);
}

static void test_dsdt_s5(void **state)
{
    (void)state;
    /* Name (_S5, Package (4) { 0, 0, 0, 0 }): NameOp, "_S5_", PackageOp,
     * PkgLength 6, 4 elements, ZeroOp x 4. */
    static const uint8_t s5_0[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0 };
    struct acpi_tables t = build(&pc);
    assert_int_equal(r32(t.dsdt + 4), 36 + sizeof s5_0);
    assert_memory_equal(at(t.dsdt + 36), s5_0, sizeof s5_0);
    /* SLP_TYP 1: OneOp; 5: BytePrefix 0x0A 05 (PkgLength 8). */
    struct acpi_config c = pc;
    c.s5_slp_typ = 1;
    static const uint8_t s5_1[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 1, 1, 0, 0 };
    t = build(&c);
    assert_int_equal(r32(t.dsdt + 4), 36 + sizeof s5_1);
    assert_memory_equal(at(t.dsdt + 36), s5_1, sizeof s5_1);
    assert_int_equal(acpi_sum(at(t.dsdt), r32(t.dsdt + 4)), 0);
    c.s5_slp_typ = 5;
    static const uint8_t s5_5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
                                    0x0a, 5, 0x0a, 5, 0, 0 };
    t = build(&c);
    assert_int_equal(r32(t.dsdt + 4), 36 + sizeof s5_5);
    assert_memory_equal(at(t.dsdt + 36), s5_5, sizeof s5_5);
    assert_int_equal(acpi_sum(at(t.dsdt), r32(t.dsdt + 4)), 0);
}

static void test_facs(void **state)
{
    (void)state;
    /* 5.2.10: 64 bytes, 64-byte aligned, version 2, no checksum. */
    uint8_t f[80];
    memset(f, 0xa5, sizeof f);
    assert_int_equal(acpi_build_facs(f, sizeof f, 0x9fc40), 0);
    assert_memory_equal(f, "FACS", 4);
    assert_int_equal(f[4] | f[5] << 8 | f[6] << 16 | f[7] << 24, 64);
    assert_int_equal(f[32], 2);
    for (unsigned i = 8; i < 64; i++)
        if (i != 32 && f[i])
            fail_msg("FACS byte %u is %#x", i, f[i]);      /* waking vectors, lock: 0 */
    for (unsigned i = 64; i < sizeof f; i++)
        assert_int_equal(f[i], 0xa5);
    /* Refusals, nothing written. */
    memset(f, 0xa5, sizeof f);
    assert_int_equal(acpi_build_facs(f, 63, 0x9fc40), -1);
    assert_int_equal(acpi_build_facs(f, sizeof f, 0x9fc20), -1);     /* not 64-aligned */
    assert_int_equal(acpi_build_facs(f, sizeof f, 1ull << 32), -1);
    assert_int_equal(acpi_build_facs(NULL, sizeof f, 0x9fc40), -1);
    for (unsigned i = 0; i < sizeof f; i++)
        assert_int_equal(f[i], 0xa5);
    assert_int_equal(acpi_build_facs(f, sizeof f, (1ull << 32) - 64), 0);
}

static void test_other_base(void **state)
{
    (void)state;
    /* Every pointer follows the base: built at 0xF0000, same tables. */
    struct acpi_tables t;
    static uint8_t b2[SIZE];
    assert_int_equal(acpi_build(b2, SIZE, 0xf0000, &pc, &t), 0);
    assert_int_equal(t.rsdp, 0xf0000);
    struct acpi_tables u = build(&pc);
    assert_int_equal(t.end - t.rsdp, u.end - u.rsdp);
    assert_int_equal(t.fadt - u.fadt, 0x10000);
    uint32_t rsdt = b2[16] | b2[17] << 8 | b2[18] << 16 | (uint32_t)b2[19] << 24;
    assert_int_equal(rsdt, t.rsdt);
    assert_int_equal(acpi_sum(b2, 36), 0);
}

static void test_refusals(void **state)
{
    (void)state;
    struct acpi_tables t = build(&pc);
    uint32_t need = t.end - t.rsdp;
    /* Too small by one byte, or much: -1, nothing written. */
    static const uint32_t sizes[] = { 0, 1, 20, 36, 100 };
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0] + 1; i++) {
        uint32_t n = i < sizeof sizes / sizeof sizes[0] ? sizes[i] : need - 1;
        memset(buf, 0xa5, sizeof buf);
        assert_int_equal(acpi_build(buf, n, BASE, &pc, &t), -1);
        for (uint32_t a = 0; a < SIZE; a++)
            if (buf[a] != 0xa5)
                fail_msg("size %u: byte %u written", n, a);
    }
    memset(buf, 0, sizeof buf);
    assert_int_equal(acpi_build(buf, need, BASE, &pc, &t), 0);      /* exactly enough */
    assert_int_equal(acpi_build(buf, SIZE, BASE + 8, &pc, &t), -1); /* RSDP not 16-aligned */
    assert_int_equal(acpi_build(buf, SIZE, BASE + 1, &pc, &t), -1);
    /* Past 4 GiB: the 32-bit pointers could not name the tables. */
    assert_int_equal(acpi_build(buf, SIZE, (1ull << 32) - 16, &pc, &t), -1);
    assert_int_equal(acpi_build(buf, SIZE, ((1ull << 32) - need + 15) & ~15ull, &pc, &t), -1);
    assert_int_equal(acpi_build(buf, SIZE, ((1ull << 32) - need) & ~15ull, &pc, &t), 0);
    assert_int_equal(acpi_build(buf, SIZE, 1ull << 40, &pc, &t), -1);
    struct acpi_config c = pc;
    c.s5_slp_typ = 8;                   /* SLP_TYP is 3 bits */
    assert_int_equal(acpi_build(buf, SIZE, BASE, &c, &t), -1);
    c = pc;
    c.facs = 0;                         /* no FACS */
    assert_int_equal(acpi_build(buf, SIZE, BASE, &c, &t), -1);
    c.facs = 0x9fc20;                   /* not 64-byte aligned */
    assert_int_equal(acpi_build(buf, SIZE, BASE, &c, &t), -1);
    assert_int_equal(acpi_build(NULL, SIZE, BASE, &pc, &t), -1);
    assert_int_equal(acpi_build(buf, SIZE, BASE, NULL, &t), -1);
    assert_int_equal(acpi_build(buf, SIZE, BASE, &pc, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksums),
        cmocka_unit_test(test_roots_agree),
        cmocka_unit_test(test_fadt_fields),
        cmocka_unit_test(test_madt_entries),
        cmocka_unit_test(test_dsdt_s5),
        cmocka_unit_test(test_facs),
        cmocka_unit_test(test_other_base),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

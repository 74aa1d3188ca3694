/* Unit tests: VMCS field encodings, exit-reason and VM-error names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <x86vcpu/x86vcpu.h>
#include <x86vcpu/exit_reasons.h>
#include "lib/names.h"

/* ---------------------------------------------------------------- fields */

struct field { const char *name; uint32_t enc; };
#define FIELD_ENTRY(n, e) { #n, (e) },
static const struct field fields[] = { X86VCPU_VMCS_FIELDS(FIELD_ENTRY) };
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* The check macro is an integer constant expression usable anywhere. */
_Static_assert(X86VCPU_VMCS_CHECK(X86VCPU_VMCS_GUEST_RIP, X86VCPU_VMCS_WNAT) == 0x681E,
               "GUEST_RIP");
_Static_assert(X86VCPU_VMCS_CHECK(X86VCPU_VMCS_VMCS_LINK_POINTER, X86VCPU_VMCS_W64) == 0x2800,
               "VMCS_LINK_POINTER");
_Static_assert(X86VCPU_VMCS_CHECK(X86VCPU_VMCS_GUEST_ES_SELECTOR, X86VCPU_VMCS_W16) == 0x0800,
               "GUEST_ES_SELECTOR");
_Static_assert(X86VCPU_VMCS_CHECK(X86VCPU_VMCS_EXIT_REASON, X86VCPU_VMCS_W32) == 0x4402,
               "EXIT_REASON");

static void test_field_list_matches_library(void **state)
{
    (void)state;
    assert_int_equal(x86vcpu__vmcs_field_count(), NFIELDS);
    for (uint32_t i = 0; i < NFIELDS; i++)
        assert_int_equal(x86vcpu__vmcs_field_at(i), fields[i].enc);
    assert_int_equal(x86vcpu__vmcs_field_at((uint32_t)NFIELDS), X86VCPU_VMCS_FIELD_NONE);
    assert_int_equal(x86vcpu__vmcs_field_at(UINT32_MAX), X86VCPU_VMCS_FIELD_NONE);
    /* Appendix B has well over 150 full-form fields today. */
    assert_true(NFIELDS >= 150);
}

static void test_field_encodings_unique(void **state)
{
    (void)state;
    for (size_t i = 0; i < NFIELDS; i++)
        for (size_t j = i + 1; j < NFIELDS; j++) {
            if (fields[i].enc == fields[j].enc)
                fail_msg("%s and %s share encoding %#x", fields[i].name, fields[j].name,
                         fields[i].enc);
            if (strcmp(fields[i].name, fields[j].name) == 0)
                fail_msg("name %s listed twice", fields[i].name);
        }
}

static void test_field_encoding_bits(void **state)
{
    (void)state;
    for (size_t i = 0; i < NFIELDS; i++) {
        uint32_t e = fields[i].enc;
        if (e & 1u)
            fail_msg("%s: access type (bit 0) is high", fields[i].name);
        if (e & 0xFFFF8000u)
            fail_msg("%s: bits 31:15 not zero (%#x)", fields[i].name, e);
        if (e & (1u << 12))
            fail_msg("%s: reserved bit 12 set (%#x)", fields[i].name, e);
        /* Type host/guest/... must agree with the name's prefix where it has one. */
        if (strncmp(fields[i].name, "HOST_", 5) == 0 &&
            X86VCPU_VMCS_TYPE(e) != X86VCPU_VMCS_THOST)
            fail_msg("%s: not in the host-state area (%#x)", fields[i].name, e);
        if (strncmp(fields[i].name, "GUEST_", 6) == 0 &&
            X86VCPU_VMCS_TYPE(e) != X86VCPU_VMCS_TGUEST &&
            e != X86VCPU_VMCS_GUEST_PHYSICAL_ADDRESS && e != X86VCPU_VMCS_GUEST_LINEAR_ADDRESS)
            fail_msg("%s: not in the guest-state area (%#x)", fields[i].name, e);
    }
}

struct spot { const char *name; uint32_t enc; uint32_t expect; uint32_t width; uint32_t type; };
#define SPOT(n, v, w, t) { #n, X86VCPU_VMCS_##n, (v), X86VCPU_VMCS_##w, X86VCPU_VMCS_##t }
static const struct spot spots[] = {
    SPOT(VPID,                        0x0000, W16,  TCONTROL),
    SPOT(POSTED_INTR_NV,              0x0002, W16,  TCONTROL),
    SPOT(EPTP_INDEX,                  0x0004, W16,  TCONTROL),
    SPOT(GUEST_ES_SELECTOR,           0x0800, W16,  TGUEST),
    SPOT(GUEST_TR_SELECTOR,           0x080E, W16,  TGUEST),
    SPOT(PML_INDEX,                   0x0812, W16,  TGUEST),
    SPOT(HOST_ES_SELECTOR,            0x0C00, W16,  THOST),
    SPOT(HOST_TR_SELECTOR,            0x0C0C, W16,  THOST),
    SPOT(IO_BITMAP_A,                 0x2000, W64,  TCONTROL),
    SPOT(IO_BITMAP_B,                 0x2002, W64,  TCONTROL),
    SPOT(MSR_BITMAP,                  0x2004, W64,  TCONTROL),
    SPOT(TSC_OFFSET,                  0x2010, W64,  TCONTROL),
    SPOT(EPT_POINTER,                 0x201A, W64,  TCONTROL),
    SPOT(XSS_EXITING_BITMAP,          0x202C, W64,  TCONTROL),
    SPOT(TSC_MULTIPLIER,              0x2032, W64,  TCONTROL),
    SPOT(PROC_BASED_CTLS3,            0x2034, W64,  TCONTROL),
    SPOT(GUEST_PHYSICAL_ADDRESS,      0x2400, W64,  TRDONLY),
    SPOT(VMCS_LINK_POINTER,           0x2800, W64,  TGUEST),
    SPOT(GUEST_IA32_EFER,             0x2806, W64,  TGUEST),
    SPOT(GUEST_PDPTE3,                0x2810, W64,  TGUEST),
    SPOT(HOST_IA32_PAT,               0x2C00, W64,  THOST),
    SPOT(HOST_IA32_EFER,              0x2C02, W64,  THOST),
    SPOT(PIN_BASED_CTLS,              0x4000, W32,  TCONTROL),
    SPOT(PROC_BASED_CTLS,             0x4002, W32,  TCONTROL),
    SPOT(EXCEPTION_BITMAP,            0x4004, W32,  TCONTROL),
    SPOT(EXIT_CTLS,                   0x400C, W32,  TCONTROL),
    SPOT(ENTRY_CTLS,                  0x4012, W32,  TCONTROL),
    SPOT(PROC_BASED_CTLS2,            0x401E, W32,  TCONTROL),
    SPOT(VM_INSTRUCTION_ERROR,        0x4400, W32,  TRDONLY),
    SPOT(EXIT_REASON,                 0x4402, W32,  TRDONLY),
    SPOT(EXIT_INSTR_LEN,              0x440C, W32,  TRDONLY),
    SPOT(GUEST_ES_LIMIT,              0x4800, W32,  TGUEST),
    SPOT(GUEST_CS_AR,                 0x4816, W32,  TGUEST),
    SPOT(GUEST_TR_AR,                 0x4822, W32,  TGUEST),
    SPOT(GUEST_INTERRUPTIBILITY,      0x4824, W32,  TGUEST),
    SPOT(GUEST_ACTIVITY_STATE,        0x4826, W32,  TGUEST),
    SPOT(GUEST_SYSENTER_CS,           0x482A, W32,  TGUEST),
    SPOT(PREEMPTION_TIMER_VALUE,      0x482E, W32,  TGUEST),
    SPOT(HOST_SYSENTER_CS,            0x4C00, W32,  THOST),
    SPOT(CR0_GUEST_HOST_MASK,         0x6000, WNAT, TCONTROL),
    SPOT(CR4_READ_SHADOW,             0x6006, WNAT, TCONTROL),
    SPOT(EXIT_QUALIFICATION,          0x6400, WNAT, TRDONLY),
    SPOT(GUEST_LINEAR_ADDRESS,        0x640A, WNAT, TRDONLY),
    SPOT(GUEST_CR0,                   0x6800, WNAT, TGUEST),
    SPOT(GUEST_ES_BASE,               0x6806, WNAT, TGUEST),
    SPOT(GUEST_RSP,                   0x681C, WNAT, TGUEST),
    SPOT(GUEST_RIP,                   0x681E, WNAT, TGUEST),
    SPOT(GUEST_RFLAGS,                0x6820, WNAT, TGUEST),
    SPOT(GUEST_INTR_SSP_TABLE_ADDR,   0x682C, WNAT, TGUEST),
    SPOT(HOST_CR0,                    0x6C00, WNAT, THOST),
    SPOT(HOST_TR_BASE,                0x6C0A, WNAT, THOST),
    SPOT(HOST_RSP,                    0x6C14, WNAT, THOST),
    SPOT(HOST_RIP,                    0x6C16, WNAT, THOST),
    SPOT(HOST_INTR_SSP_TABLE_ADDR,    0x6C1C, WNAT, THOST),
};

static void test_field_spot_checks(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
        const struct spot *s = &spots[i];
        if (s->enc != s->expect)
            fail_msg("%s = %#x, SDM says %#x", s->name, s->enc, s->expect);
        if ((uint32_t)X86VCPU_VMCS_WIDTH(s->enc) != s->width)
            fail_msg("%s: width %u, expected %u", s->name,
                     (unsigned)X86VCPU_VMCS_WIDTH(s->enc), s->width);
        if ((uint32_t)X86VCPU_VMCS_TYPE(s->enc) != s->type)
            fail_msg("%s: type %u, expected %u", s->name,
                     (unsigned)X86VCPU_VMCS_TYPE(s->enc), s->type);
        assert_string_equal(x86vcpu__vmcs_field_name(s->enc), s->name);
    }
    /* Guest segment groups follow the SDM's ES CS SS DS FS GS LDTR TR order. */
    assert_int_equal(X86VCPU_VMCS_GUEST_GS_SELECTOR - X86VCPU_VMCS_GUEST_ES_SELECTOR, 10);
    assert_int_equal(X86VCPU_VMCS_GUEST_TR_LIMIT - X86VCPU_VMCS_GUEST_ES_LIMIT, 14);
    assert_int_equal(X86VCPU_VMCS_GUEST_TR_AR - X86VCPU_VMCS_GUEST_ES_AR, 14);
    assert_int_equal(X86VCPU_VMCS_GUEST_TR_BASE - X86VCPU_VMCS_GUEST_ES_BASE, 14);
}

static void test_field_width_macro(void **state)
{
    (void)state;
    assert_int_equal(X86VCPU_VMCS_W16, 0);
    assert_int_equal(X86VCPU_VMCS_W64, 1);
    assert_int_equal(X86VCPU_VMCS_W32, 2);
    assert_int_equal(X86VCPU_VMCS_WNAT, 3);
    assert_int_equal(X86VCPU_VMCS_WIDTH(0x0000u), X86VCPU_VMCS_W16);
    assert_int_equal(X86VCPU_VMCS_WIDTH(0x2001u), X86VCPU_VMCS_W64);
    assert_int_equal(X86VCPU_VMCS_WIDTH(0x4C00u), X86VCPU_VMCS_W32);
    assert_int_equal(X86VCPU_VMCS_WIDTH(0x6C16u), X86VCPU_VMCS_WNAT);
    /* The macro's value is the encoding. */
    assert_int_equal(X86VCPU_VMCS_CHECK(X86VCPU_VMCS_HOST_RIP, X86VCPU_VMCS_WNAT), 0x6C16);
    assert_int_equal(X86VCPU_VMCS_CHECK(X86VCPU_VMCS_VPID, X86VCPU_VMCS_W16), 0);
}

static void test_field_name_roundtrip(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < x86vcpu__vmcs_field_count(); i++) {
        const char *n = x86vcpu__vmcs_field_name(x86vcpu__vmcs_field_at(i));
        assert_non_null(n);
        assert_string_equal(n, fields[i].name);
    }
    assert_string_equal(x86vcpu__vmcs_field_name(X86VCPU_VMCS_GUEST_RIP), "GUEST_RIP");
    assert_string_equal(x86vcpu__vmcs_field_name(0x4402), "EXIT_REASON");
    assert_string_equal(x86vcpu__vmcs_field_name(0x0000), "VPID");
    assert_null(x86vcpu__vmcs_field_name(0x2001));       /* high form: not listed */
    assert_null(x86vcpu__vmcs_field_name(0x0001));
    assert_null(x86vcpu__vmcs_field_name(0x482C));       /* unused index */
    assert_null(x86vcpu__vmcs_field_name(0x1000));       /* bit 12 */
    assert_null(x86vcpu__vmcs_field_name(0x1681E));      /* bits above 14 */
    assert_null(x86vcpu__vmcs_field_name(0xFFFFFFFFu));
}

/* ------------------------------------------------------------- VM errors */

static void test_vm_error_names(void **state)
{
    (void)state;
    const char *names[29];
    assert_string_equal(x86vcpu_vm_error_name(0), "no error");
    for (uint32_t e = 1; e <= 28; e++) {
        names[e] = x86vcpu_vm_error_name(e);
        assert_non_null(names[e]);
        assert_true(strlen(names[e]) > 0);
        assert_true(strncmp(names[e], "unknown", 7) != 0);
        for (uint32_t f = 1; f < e; f++)
            if (strcmp(names[e], names[f]) == 0)
                fail_msg("VM errors %u and %u share the name \"%s\"", f, e, names[e]);
    }
    assert_string_equal(x86vcpu_vm_error_name(7), "VM entry with invalid control field(s)");
    assert_string_equal(x86vcpu_vm_error_name(8), "VM entry with invalid host-state field(s)");
    assert_string_equal(x86vcpu_vm_error_name(9), "VMPTRLD with invalid physical address");
    assert_non_null(strstr(x86vcpu_vm_error_name(4), "VMLAUNCH"));
    assert_non_null(strstr(x86vcpu_vm_error_name(5), "VMRESUME"));
    assert_non_null(strstr(x86vcpu_vm_error_name(12), "unsupported VMCS component"));
    assert_non_null(strstr(x86vcpu_vm_error_name(26), "MOV SS"));
    assert_non_null(strstr(x86vcpu_vm_error_name(28), "INVEPT/INVVPID"));
    assert_string_equal(x86vcpu_vm_error_name(29), "unknown VM-instruction error");
    assert_string_equal(x86vcpu_vm_error_name(1000), "unknown VM-instruction error");
    assert_string_equal(x86vcpu_vm_error_name(UINT32_MAX), "unknown VM-instruction error");
}

/* ---------------------------------------------------------- exit reasons */

struct reason { const char *name; uint32_t nr; };
#define REASON_ENTRY(n, v) { #n, (v) },
static const struct reason reasons[] = { X86VCPU_EXIT_REASONS(REASON_ENTRY) };
#define NREASONS (sizeof(reasons) / sizeof(reasons[0]))

static void test_exit_reason_constants(void **state)
{
    (void)state;
    assert_int_equal(X86VCPU_EXIT_REASON_EXCEPTION_NMI, 0);
    assert_int_equal(X86VCPU_EXIT_REASON_EXTERNAL_INTERRUPT, 1);
    assert_int_equal(X86VCPU_EXIT_REASON_TRIPLE_FAULT, 2);
    assert_int_equal(X86VCPU_EXIT_REASON_INTERRUPT_WINDOW, 7);
    assert_int_equal(X86VCPU_EXIT_REASON_CPUID, 10);
    assert_int_equal(X86VCPU_EXIT_REASON_HLT, 12);
    assert_int_equal(X86VCPU_EXIT_REASON_VMCALL, 18);
    assert_int_equal(X86VCPU_EXIT_REASON_CR_ACCESS, 28);
    assert_int_equal(X86VCPU_EXIT_REASON_IO_INSTRUCTION, 30);
    assert_int_equal(X86VCPU_EXIT_REASON_RDMSR, 31);
    assert_int_equal(X86VCPU_EXIT_REASON_WRMSR, 32);
    assert_int_equal(X86VCPU_EXIT_REASON_ENTRY_FAIL_GUEST_STATE, 33);
    assert_int_equal(X86VCPU_EXIT_REASON_ENTRY_FAIL_MSR_LOAD, 34);
    assert_int_equal(X86VCPU_EXIT_REASON_MWAIT, 36);
    assert_int_equal(X86VCPU_EXIT_REASON_ENTRY_FAIL_MACHINE_CHECK, 41);
    assert_int_equal(X86VCPU_EXIT_REASON_EPT_VIOLATION, 48);
    assert_int_equal(X86VCPU_EXIT_REASON_EPT_MISCONFIG, 49);
    assert_int_equal(X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 52);
    assert_int_equal(X86VCPU_EXIT_REASON_XSETBV, 55);
    assert_int_equal(X86VCPU_EXIT_REASON_XRSTORS, 64);
    assert_int_equal(X86VCPU_EXIT_REASON_BUS_LOCK, 74);
    assert_int_equal(X86VCPU_EXIT_REASON_TDCALL, 77);
}

static void test_exit_reason_list(void **state)
{
    (void)state;
    uint8_t seen[X86VCPU_EXIT_REASON_MAX] = { 0 };
    for (size_t i = 0; i < NREASONS; i++) {
        if (reasons[i].nr >= X86VCPU_EXIT_REASON_MAX)
            fail_msg("%s = %u does not fit the stats array", reasons[i].name, reasons[i].nr);
        if (seen[reasons[i].nr]++)
            fail_msg("exit reason %u listed twice", reasons[i].nr);
        assert_string_equal(x86vcpu_exit_reason_name(reasons[i].nr), reasons[i].name);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(reasons[i].name, reasons[j].name);
    }
    /* Every SDM reason 0..77 except the unused 35, 38, 42, 71 is named. */
    for (uint32_t nr = 0; nr <= 77; nr++) {
        int unused = nr == 35 || nr == 38 || nr == 42 || nr == 71;
        if (unused != !seen[nr])
            fail_msg("exit reason %u: listed=%d, expected %d", nr, seen[nr], !unused);
    }
}

static void test_exit_reason_names(void **state)
{
    (void)state;
    assert_string_equal(x86vcpu_exit_reason_name(0), "EXCEPTION_NMI");
    assert_string_equal(x86vcpu_exit_reason_name(1), "EXTERNAL_INTERRUPT");
    assert_string_equal(x86vcpu_exit_reason_name(2), "TRIPLE_FAULT");
    assert_string_equal(x86vcpu_exit_reason_name(10), "CPUID");
    assert_string_equal(x86vcpu_exit_reason_name(12), "HLT");
    assert_string_equal(x86vcpu_exit_reason_name(18), "VMCALL");
    assert_string_equal(x86vcpu_exit_reason_name(28), "CR_ACCESS");
    assert_string_equal(x86vcpu_exit_reason_name(30), "IO_INSTRUCTION");
    assert_string_equal(x86vcpu_exit_reason_name(31), "RDMSR");
    assert_string_equal(x86vcpu_exit_reason_name(32), "WRMSR");
    assert_string_equal(x86vcpu_exit_reason_name(33), "ENTRY_FAIL_GUEST_STATE");
    assert_string_equal(x86vcpu_exit_reason_name(34), "ENTRY_FAIL_MSR_LOAD");
    assert_string_equal(x86vcpu_exit_reason_name(36), "MWAIT");
    assert_string_equal(x86vcpu_exit_reason_name(41), "ENTRY_FAIL_MACHINE_CHECK");
    assert_string_equal(x86vcpu_exit_reason_name(48), "EPT_VIOLATION");
    assert_string_equal(x86vcpu_exit_reason_name(49), "EPT_MISCONFIG");
    assert_string_equal(x86vcpu_exit_reason_name(52), "PREEMPTION_TIMER");
    assert_string_equal(x86vcpu_exit_reason_name(55), "XSETBV");
    /* Only bits 15:0 count: bit 31 (entry failure) and others are ignored. */
    assert_string_equal(x86vcpu_exit_reason_name(0x80000021u), "ENTRY_FAIL_GUEST_STATE");
    assert_string_equal(x86vcpu_exit_reason_name(0x0001000Cu), "HLT");
    assert_string_equal(x86vcpu_exit_reason_name(35), "UNKNOWN");
    assert_string_equal(x86vcpu_exit_reason_name(38), "UNKNOWN");
    assert_string_equal(x86vcpu_exit_reason_name(42), "UNKNOWN");
    assert_string_equal(x86vcpu_exit_reason_name(71), "UNKNOWN");
    assert_string_equal(x86vcpu_exit_reason_name(0xFFFF), "UNKNOWN");
    assert_string_equal(x86vcpu_exit_reason_name(UINT32_MAX), "UNKNOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_list_matches_library),
        cmocka_unit_test(test_field_encodings_unique),
        cmocka_unit_test(test_field_encoding_bits),
        cmocka_unit_test(test_field_spot_checks),
        cmocka_unit_test(test_field_width_macro),
        cmocka_unit_test(test_field_name_roundtrip),
        cmocka_unit_test(test_vm_error_names),
        cmocka_unit_test(test_exit_reason_constants),
        cmocka_unit_test(test_exit_reason_list),
        cmocka_unit_test(test_exit_reason_names),
    };
    return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}

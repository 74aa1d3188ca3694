/* The modelled CPU, the scripted VM entry and the leak-tracking HAL of the
 * host harness (mock.h). Any operation the model cannot honour fails the
 * current cmocka test with a message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hw/hw.h"
#include "mock.h"
#include "vmx/entry.h"

struct mock mock;

static void record(enum mock_op_kind kind, uint64_t a, uint64_t b, uint64_t c)
{
    if (mock.nops == MOCK_MAX_OPS)
        fail_msg("mock: operation log full");
    mock.ops[mock.nops++] = (struct mock_op){ kind, a, b, c };
}

/* ------------------------------------------------------------- machine */

void mock_set_msr(uint32_t index, uint64_t value)
{
    for (unsigned i = 0; i < mock.nmsr; i++)
        if (mock.msr[i].index == index) {
            mock.msr[i].value = value;
            return;
        }
    if (mock.nmsr == MOCK_MAX_MSRS)
        fail_msg("mock: MSR table full");
    mock.msr[mock.nmsr].index = index;
    mock.msr[mock.nmsr++].value = value;
}

uint64_t mock_msr(uint32_t index)
{
    for (unsigned i = 0; i < mock.nmsr; i++)
        if (mock.msr[i].index == index)
            return mock.msr[i].value;
    fail_msg("mock: RDMSR of unmodelled MSR %#x (#GP on hardware)", index);
    return 0;
}

void mock_set_cpuid(uint32_t leaf, uint32_t subleaf, int any_subleaf, uint32_t eax, uint32_t ebx,
                    uint32_t ecx, uint32_t edx)
{
    for (unsigned i = 0; i < mock.ncpuid; i++) {
        struct mock_cpuid *c = &mock.cpuid[i];
        if (c->leaf == leaf && c->subleaf == subleaf && c->any_subleaf == any_subleaf) {
            c->r[0] = eax, c->r[1] = ebx, c->r[2] = ecx, c->r[3] = edx;
            return;
        }
    }
    if (mock.ncpuid == MOCK_MAX_CPUID)
        fail_msg("mock: CPUID table full");
    mock.cpuid[mock.ncpuid++] = (struct mock_cpuid){ leaf, subleaf, any_subleaf,
                                                    { eax, ebx, ecx, edx } };
}

static void hal_reset(void);

void mock_reset(void)
{
    hal_reset(); /* frames a failed test left behind */
    memset(&mock, 0, sizeof mock);
    mock.max_entries = 10000;
    mock.cr[0] = 0x80050033;        /* PG WP NE ET MP PE */
    mock.cr[4] = 0x20;              /* PAE */
    mock.cr[3] = 0x1000;
    mock.xcr0 = 1;
    mock.dr[6] = 0xffff0ff0;
    mock.dr[7] = 0x400;
    /* TSS descriptor at GDT offset 0x40. */
    mock_set_cpuid(0, 0, 1, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69);
    mock_set_cpuid(1, 0, 1, 0x000306a9, 0, 1u << 5 /* VMX */, 0x178bfbff);
    mock_set_cpuid(0x80000000u, 0, 1, 0x80000008u, 0, 0, 0);
    mock_set_cpuid(0x80000001u, 0, 1, 0, 0, 1, (1u << 11) | (1u << 20) | (1u << 29));
    mock_set_cpuid(0x80000008u, 0, 1, 0x3028, 0, 0, 0);
    mock_set_msr(0x3a, 0x5);                         /* FEATURE_CONTROL: locked, VMX */
    mock_set_msr(0x480, (1ull << 55) | (6ull << 50) | (4096ull << 32) | 1); /* BASIC */
    /* TRUE controls: allowed-0 (low) and allowed-1 (high). */
    mock_set_msr(0x48d, (0x16ull) | (0x7full << 32));
    mock_set_msr(0x48e, (0x04006172ull) | (0xfff9fffeull << 32));
    mock_set_msr(0x48f, (0x00036dfbull) | (0x007fffffull << 32));
    mock_set_msr(0x490, (0x000011fbull) | (0x0000ffffull << 32));
    mock_set_msr(0x481, (0x16ull) | (0x7full << 32));
    mock_set_msr(0x482, (0x0401e172ull) | (0xfff9fffeull << 32));
    mock_set_msr(0x483, (0x00036dffull) | (0x007fffffull << 32));
    mock_set_msr(0x484, (0x000011ffull) | (0x0000ffffull << 32));
    mock_set_msr(0x485, (1ull << 5) | (1ull << 6) | 5);   /* MISC: LMA saved, HLT state */
    mock_set_msr(0x486, 0x80000021ull);                   /* CR0 fixed0: PG NE PE */
    mock_set_msr(0x487, 0xffffffffull);
    mock_set_msr(0x488, 0x2000ull);                       /* CR4 fixed0: VMXE */
    mock_set_msr(0x489, 0x3767ffull);
    mock_set_msr(0x48b, (0ull) | ((uint64_t)(2 | 8 | 32 | 128 | (1u << 12) | (1u << 20)) << 32));
    mock_set_msr(0x48c, (1ull << 6) | (1ull << 14) | (1ull << 16) | (1ull << 17) | (1ull << 20) |
                            (1ull << 25) | (1ull << 26) | (1ull << 32) | (1ull << 41) |
                            (1ull << 42));
    mock_set_msr(0x174, 0x10);
    mock_set_msr(0x175, 0xffff800000001000ull);
    mock_set_msr(0x176, 0xffff800000002000ull);
    mock_set_msr(0x277, 0x0007040600070406ull);
    mock_set_msr(0xc0000080u, 0xd01);                      /* EFER: SCE LME LMA NXE */
    mock_set_msr(0xc0000081u, 0x0023001000000000ull);     /* host STAR */
    mock_set_msr(0xc0000082u, 0xffffffff81000000ull);     /* host LSTAR */
    mock_set_msr(0xc0000083u, 0xffffffff81000100ull);
    mock_set_msr(0xc0000084u, 0x47700);
    mock_set_msr(0xc0000100u, 0);
    mock_set_msr(0xc0000101u, 0xffff888000000000ull);
    mock_set_msr(0xc0000102u, 0);
    mock_set_msr(0xc0000103u, 0);
    mock_set_msr(0xda0, 0);
    mock_set_msr(0x10, 0);                                /* the TSC (hw_rdtsc) */
}

struct hw_cpuid hw_cpuid(uint32_t leaf, uint32_t subleaf)
{
    uint32_t r[4] = { 0, 0, 0, 0 };
    for (unsigned i = 0; i < mock.ncpuid; i++) {
        const struct mock_cpuid *c = &mock.cpuid[i];
        if (c->leaf == leaf && (c->any_subleaf || c->subleaf == subleaf)) {
            memcpy(r, c->r, sizeof r);
            break;
        }
    }
    if (mock.cpuid_hook)
        mock.cpuid_hook(leaf, subleaf, r);
    return (struct hw_cpuid){ r[0], r[1], r[2], r[3] };
}

uint64_t hw_rdmsr(uint32_t msr) { return mock_msr(msr); }

void hw_wrmsr(uint32_t msr, uint64_t val)
{
    record(OP_WRMSR, msr, val, 0);
    (void)mock_msr(msr); /* must exist */
    mock_set_msr(msr, val);
}

/* The TSC is modelled as MSR 0x10: a test sets it with mock_set_msr. */
uint64_t hw_rdtsc(void) { return mock_msr(0x10); }

uint64_t hw_xgetbv(uint32_t idx)
{
    if (idx != 0)
        fail_msg("mock: XGETBV(%u)", idx);
    return mock.xcr0;
}

void hw_xsetbv(uint32_t idx, uint64_t val)
{
    record(OP_XSETBV, idx, val, 0);
    if (idx != 0 || !(val & 1))
        fail_msg("mock: XSETBV(%u, %#llx) faults", idx, (unsigned long long)val);
    mock.xcr0 = val;
}

#define CR(n)                                                                   \
    uint64_t hw_read_cr##n(void) { return mock.cr[n]; }                         \
    void hw_write_cr##n(uint64_t v) { record(OP_WRCR, n, v, 0); mock.cr[n] = v; }
CR(0)
CR(2)
CR(3)
CR(4)
#undef CR
#define DR(n)                                                                   \
    uint64_t hw_read_dr##n(void) { return mock.dr[n]; }                         \
    void hw_write_dr##n(uint64_t v) { record(OP_WRDR, n, v, 0); mock.dr[n] = v; }
DR(0)
DR(1)
DR(2)
DR(3)
DR(6)
DR(7)
#undef DR

struct hw_dtr hw_sgdt(void) { return (struct hw_dtr){ 0xfff, (uint64_t)(uintptr_t)mock.gdt }; }
struct hw_dtr hw_sidt(void) { return (struct hw_dtr){ 0xfff, 0xffff800000100000ull }; }
uint16_t hw_read_cs(void) { return 0x08; }
uint16_t hw_read_ss(void) { return 0x10; }
uint16_t hw_read_ds(void) { return 0x10; }
uint16_t hw_read_es(void) { return 0x10; }
uint16_t hw_read_fs(void) { return 0; }
uint16_t hw_read_gs(void) { return 0; }
uint16_t hw_read_tr(void) { return 0x40; }

/* Extended state: the areas must be frames the library owns (ASan checks
 * the accesses); the register contents are not modelled. */
/* The XMM registers only (SDM Vol. 1 10.5.1: XMMn at byte 160 + 16n;
 * XSAVE sets XSTATE_BV[1], byte 512, for them). */
void hw_xsave(void *area, uint64_t mask)
{
    memset(area, 0, 576);
    if (mask & mock.xcr0 & 2) {         /* RFBM = XCR0 AND EDX:EAX (SDM Vol. 1 13.8) */
        memcpy((char *)area + 160, mock.xmm, sizeof mock.xmm);
        ((unsigned char *)area)[512] = 2;
    }
}
void hw_xrstor(const void *area, uint64_t mask)
{
    if (mask & mock.xcr0 & 2) {
        if (((const unsigned char *)area)[512] & 2)
            memcpy(mock.xmm, (const char *)area + 160, sizeof mock.xmm);
        else
            memset(mock.xmm, 0, sizeof mock.xmm);
    }
}
void hw_fxsave(void *area) { memset(area, 0, 512); memcpy((char *)area + 160, mock.xmm, sizeof mock.xmm); }
void hw_fxrstor(const void *area) { memcpy(mock.xmm, (const char *)area + 160, sizeof mock.xmm); }

/* ------------------------------------------------------------- VMX */

int hw_vmxon(uint64_t pa) { record(OP_VMXON, pa, 0, 0); mock.vmx_on = 1; return HW_VM_OK; }
int hw_vmxoff(void)
{
    if (!mock.vmx_on)
        fail_msg("mock: VMXOFF outside VMX operation (#UD)");
    record(OP_VMXOFF, 0, 0, 0);
    mock.vmx_on = 0;
    mock.current_vmcs = 0;
    return HW_VM_OK;
}

int hw_vmclear(uint64_t pa)
{
    if (!mock.vmx_on)
        fail_msg("mock: VMCLEAR outside VMX operation (#UD)");
    record(OP_VMCLEAR, pa, 0, 0);
    if (mock.current_vmcs == pa)
        mock.current_vmcs = 0;
    return HW_VM_OK;
}

int hw_vmptrld(uint64_t pa)
{
    record(OP_VMPTRLD, pa, 0, 0);
    if (!mock.vmx_on)
        fail_msg("mock: VMPTRLD outside VMX operation");
    mock.current_vmcs = pa;
    return HW_VM_OK;
}

static uint64_t width_mask(uint32_t field)
{
    switch ((field >> 13) & 3) {
    case 0: return 0xffff;
    case 2: return 0xffffffff;
    default: return ~0ull;
    }
}

static void check_field(uint32_t field, const char *what)
{
    if (!mock.vmx_on)
        fail_msg("mock: %s outside VMX operation (#UD)", what);
    if (!mock.current_vmcs)
        fail_msg("mock: %s %#x without a current VMCS", what, field);
    if (field >= 0x8000 || (field & 1 && ((field >> 13) & 3) != 1))
        fail_msg("mock: %s of bad field %#x", what, field);
}

uint64_t hw_vmread(uint32_t field)
{
    check_field(field, "VMREAD");
    return mock.vmcs[field] & width_mask(field);
}

void hw_vmwrite(uint32_t field, uint64_t val)
{
    check_field(field, "VMWRITE");
    record(OP_VMWRITE, field, val, 0);
    mock.vmcs[field] = val;
    mock.vmcs_written[field] = 1;
}

int hw_vmread_checked(uint32_t field, uint64_t *out)
{
    *out = hw_vmread(field);
    return HW_VM_OK;
}

int hw_vmwrite_checked(uint32_t field, uint64_t val)
{
    hw_vmwrite(field, val);
    return HW_VM_OK;
}

/* VMX instructions #UD outside VMX operation: a host crash. */
static void need_vmx(const char *what)
{
    if (!mock.vmx_on)
        fail_msg("mock: %s outside VMX operation (#UD)", what);
}

int hw_invept(uint64_t type, uint64_t eptp)
{
    need_vmx("INVEPT");
    record(OP_INVEPT, type, eptp, 0);
    return type == 1 || type == 2 ? HW_VM_OK : HW_VM_FAIL_VALID;
}

int hw_invvpid(uint64_t type, uint16_t vpid, uint64_t gla)
{
    need_vmx("INVVPID");
    record(OP_INVVPID, type, vpid, gla);
    return type <= 3 ? HW_VM_OK : HW_VM_FAIL_VALID;
}

uint64_t mock_vmcs(uint32_t field) { return mock.vmcs[field & 0x7fff]; }
void mock_set_vmcs(uint32_t field, uint64_t value) { mock.vmcs[field & 0x7fff] = value; }

unsigned mock_count(enum mock_op_kind kind)
{
    unsigned n = 0;
    for (unsigned i = 0; i < mock.nops; i++)
        n += mock.ops[i].kind == kind;
    return n;
}

unsigned mock_count_a(enum mock_op_kind kind, uint64_t a)
{
    unsigned n = 0;
    for (unsigned i = 0; i < mock.nops; i++)
        n += mock.ops[i].kind == kind && mock.ops[i].a == a;
    return n;
}

const struct mock_op *mock_first(enum mock_op_kind kind, int match_a, uint64_t a)
{
    for (unsigned i = 0; i < mock.nops; i++)
        if (mock.ops[i].kind == kind && (!match_a || mock.ops[i].a == a))
            return &mock.ops[i];
    return NULL;
}

const struct mock_op *mock_last(enum mock_op_kind kind, int match_a, uint64_t a)
{
    for (unsigned i = mock.nops; i-- > 0;)
        if (mock.ops[i].kind == kind && (!match_a || mock.ops[i].a == a))
            return &mock.ops[i];
    return NULL;
}

void mock_clear_ops(void) { mock.nops = 0; }

/* ------------------------------------------------------------- VM entry */

void mock_exit(uint32_t reason, uint64_t qual, uint32_t instr_len)
{
    mock.vmcs[X86VCPU_VMCS_EXIT_REASON] = reason;
    mock.vmcs[X86VCPU_VMCS_EXIT_QUALIFICATION] = qual;
    mock.vmcs[X86VCPU_VMCS_EXIT_INSTR_LEN] = instr_len;
}

/* Stands in for entry.S. The injection field is consumed as a real entry
 * does (SDM 27.3.3: the valid bit is cleared on the VM exit). After each
 * exit, as entry.S: the exit reason into regs, and for a CPUID or IN/OUT
 * exit the run loop allows, x86vcpu__vmx_fast_exit or _fast_io: an exit
 * either handles is followed
 * by the next entry (VMRESUME) at once. */
static int mock_enter_one(struct x86vcpu_regs *regs, uint32_t launched);
int x86vcpu__vmx_enter(struct x86vcpu_regs *regs, uint32_t launched)
{
    for (;;) {
        int st = mock_enter_one(regs, launched);
        if (st != HW_VM_OK)
            return st;
        regs->exit_reason = (uint32_t)mock.vmcs[X86VCPU_VMCS_EXIT_REASON];
        struct x86vcpu_regs *again = 0;
        if (regs->exit_reason == ENTRY_FAST_REASON && (regs->fast_ok & ENTRY_FAST_CPUID))
            again = x86vcpu__vmx_fast_exit(regs);
        else if (regs->exit_reason == ENTRY_FAST_REASON_IO && (regs->fast_ok & ENTRY_FAST_IO))
            again = x86vcpu__vmx_fast_io(regs);
        if (again != regs)
            return st;
        mock.fast_exits++;
        launched = 1;
    }
}

static int mock_enter_one(struct x86vcpu_regs *regs, uint32_t launched)
{
    record(OP_ENTRY, launched, 0, 0);
    if (!mock.current_vmcs)
        return HW_VM_FAIL_INVALID;
    if (!mock.script)
        fail_msg("mock: VM entry without a script");
    if (mock.entries >= mock.max_entries)
        fail_msg("mock: %u VM entries in one test: the run loop does not end", mock.entries);
    /* What this entry delivers, for the test to see. */
    uint64_t info = mock.vmcs[X86VCPU_VMCS_ENTRY_INTR_INFO];
    mock.entry_intr_info = (info & 0x80000000u) ? (uint32_t)info : 0;
    mock.entry_errcode = (uint32_t)mock.vmcs[X86VCPU_VMCS_ENTRY_EXCEPTION_ERRCODE];
    mock.entry_interruptibility = (uint32_t)mock.vmcs[X86VCPU_VMCS_GUEST_INTERRUPTIBILITY];
    if (info & 0x80000000u)
        mock.injections++;
    /* Only an exit during event delivery sets IDT-vectoring information. */
    mock.vmcs[X86VCPU_VMCS_IDT_VECTORING_INFO] = 0;
    int st = mock.script(regs, mock.entries++, mock.script_ctx);
    if (st == HW_VM_OK)
        mock.vmcs[X86VCPU_VMCS_ENTRY_INTR_INFO] &= ~0x80000000ull;
    return st;
}

void x86vcpu__vmx_exit(void)
{
}

/* ------------------------------------------------------------- HAL */

static struct {
    void *va[MOCK_FRAMES];
    int errors;
} hal_state;

static void hal_reset(void)
{
    for (unsigned i = 0; i < MOCK_FRAMES; i++) {
        free(hal_state.va[i]);
        hal_state.va[i] = NULL;
    }
    hal_state.errors = 0;
}

static uint64_t pa_of(unsigned i) { return 0x100000000ull + ((uint64_t)i << 12); }

static uint64_t m_alloc(void *ctx)
{
    (void)ctx;
    for (unsigned i = 0; i < MOCK_FRAMES; i++) {
        if (!hal_state.va[i]) {
            hal_state.va[i] = aligned_alloc(4096, 4096);
            memset(hal_state.va[i], 0, 4096);
            return pa_of(i);
        }
    }
    return 0;
}

static int index_of(uint64_t pa)
{
    if (pa < 0x100000000ull || (pa & 0xfff))
        return -1;
    uint64_t i = (pa - 0x100000000ull) >> 12;
    return i < MOCK_FRAMES && hal_state.va[i] ? (int)i : -1;
}

static void m_free(void *ctx, uint64_t pa)
{
    (void)ctx;
    int i = index_of(pa);
    if (i < 0) {
        hal_state.errors++;
        fail_msg("mock HAL: free of %#llx, not an allocated frame", (unsigned long long)pa);
    }
    free(hal_state.va[i]);
    hal_state.va[i] = NULL;
}

static void *m_p2v(void *ctx, uint64_t pa)
{
    (void)ctx;
    int i = index_of(pa & ~0xfffull);
    if (i < 0) {
        hal_state.errors++;
        fail_msg("mock HAL: phys_to_virt(%#llx), not an allocated frame", (unsigned long long)pa);
    }
    return (char *)hal_state.va[i] + (pa & 0xfff);
}

static uint64_t m_v2p(void *ctx, const void *va)
{
    (void)ctx;
    for (unsigned i = 0; i < MOCK_FRAMES; i++) {
        const char *f = hal_state.va[i];
        if (f && (const char *)va >= f && (const char *)va < f + 4096)
            return pa_of(i) + (uint64_t)((const char *)va - f);
    }
    hal_state.errors++;
    fail_msg("mock HAL: virt_to_phys(%p), not in a frame", va);
    return 0;
}

const struct x86vcpu_hal mock_hal = { NULL, m_alloc, m_free, m_p2v, m_v2p, NULL };

unsigned mock_frames_in_use(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < MOCK_FRAMES; i++)
        n += hal_state.va[i] != NULL;
    return n;
}

int mock_hal_errors(void) { return hal_state.errors; }

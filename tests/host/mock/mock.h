/* The modelled CPU behind tests/host/mock/hw/hw.h, the scripted VM entry and
 * a leak-tracking HAL (see tests/host/README). One global `mock`, reset by
 * mock_reset() at the start of every test. */
#ifndef X86VCPU_HOST_MOCK_H
#define X86VCPU_HOST_MOCK_H

#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

struct x86vcpu_regs;

/* A privileged operation the library issued, in order. */
enum mock_op_kind {
    OP_VMWRITE = 1,  /* a = field, b = value */
    OP_INVEPT,       /* a = type, b = EPTP */
    OP_INVVPID,      /* a = type, b = VPID, c = linear address */
    OP_WRMSR,        /* a = MSR, b = value */
    OP_XSETBV,       /* a = XCR, b = value */
    OP_WRCR,         /* a = CR number, b = value */
    OP_WRDR,         /* a = DR number, b = value */
    OP_VMXON, OP_VMXOFF, OP_VMCLEAR, OP_VMPTRLD, /* a = physical address */
    OP_ENTRY,        /* a = launched argument */
};
struct mock_op { enum mock_op_kind kind; uint64_t a, b, c; };

#define MOCK_MAX_OPS   8192
#define MOCK_MAX_MSRS  128
#define MOCK_MAX_CPUID 64
#define MOCK_FRAMES    256

struct mock_cpuid { uint32_t leaf, subleaf; int any_subleaf; uint32_t r[4]; };

/* Called at each VM entry instead of VMLAUNCH/VMRESUME: plays the guest and
 * the CPU's exit (mock_exit()...). Returns 0 (a VM exit), or an HW_VM_FAIL_*
 * status. n counts entries from 0. */
typedef int (*mock_script_fn)(struct x86vcpu_regs *regs, unsigned n, void *ctx);

struct mock {
    uint64_t vmcs[0x8000];          /* the current VMCS, by field encoding */
    uint8_t vmcs_written[0x8000];
    uint64_t current_vmcs;          /* VMPTRLD address, 0 none */
    struct { uint32_t index; uint64_t value; } msr[MOCK_MAX_MSRS];
    unsigned nmsr;
    struct mock_cpuid cpuid[MOCK_MAX_CPUID];
    unsigned ncpuid;
    uint64_t cr[5], dr[8], xcr0;
    uint64_t xmm[16][2];            /* XMM0-15: FXSAVE/XSAVE store them at byte 160,
                                     * FXRSTOR/XRSTOR (RFBM[1]) load them */
    int vmx_on;
    struct mock_op ops[MOCK_MAX_OPS];
    unsigned nops;
    mock_script_fn script;
    void *script_ctx;
    unsigned entries;
    /* At the last VM entry: the event injected (0 none), its error code,
     * the guest's interruptibility state; and events injected so far. */
    uint32_t entry_intr_info, entry_errcode, entry_interruptibility;
    unsigned injections;
    unsigned fast_exits;            /* exits x86vcpu__vmx_fast_exit handled */
    unsigned max_entries;           /* a script that never stops: test fails */
    /* When set, sees every CPUID answer (r: EAX..EDX from the table) and
     * may change it: a CPU whose answers depend on its state (XCR0). */
    void (*cpuid_hook)(uint32_t leaf, uint32_t subleaf, uint32_t r[4]);
    uint8_t gdt[4096] __attribute__((aligned(16)));
};
extern struct mock mock;

/* The default machine: VMX with EPT, VPID, unrestricted guest, preemption
 * timer, no XSAVE; host CR0/CR4 in long mode. */
void mock_reset(void);
void mock_set_msr(uint32_t index, uint64_t value);
uint64_t mock_msr(uint32_t index);
/* any_subleaf: the answer for every subleaf of the leaf. */
void mock_set_cpuid(uint32_t leaf, uint32_t subleaf, int any_subleaf, uint32_t eax, uint32_t ebx,
                    uint32_t ecx, uint32_t edx);

uint64_t mock_vmcs(uint32_t field);
void mock_set_vmcs(uint32_t field, uint64_t value);

/* Script helpers: make this entry end in a VM exit with the given basic
 * reason, qualification and instruction length (IDT-vectoring information
 * is 0 unless the script sets it after this). */
void mock_exit(uint32_t reason, uint64_t qual, uint32_t instr_len);

/* Recorded operations. */
unsigned mock_count(enum mock_op_kind kind);
unsigned mock_count_a(enum mock_op_kind kind, uint64_t a);
/* The last recorded op of this kind (and a, when match_a), or NULL. */
const struct mock_op *mock_last(enum mock_op_kind kind, int match_a, uint64_t a);
const struct mock_op *mock_first(enum mock_op_kind kind, int match_a, uint64_t a);
void mock_clear_ops(void);

/* The HAL: frames tracked, double frees and leaks are test failures. */
extern const struct x86vcpu_hal mock_hal;
unsigned mock_frames_in_use(void);
int mock_hal_errors(void);

#endif

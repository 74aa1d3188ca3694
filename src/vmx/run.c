/* The run loop and VM-exit dispatch (DESIGN.md "One VM exit, end to end").
 * Each exit reads only the VMCS fields it needs; reads are counted in the
 * vCPU statistics. */
#include "vmx/vcpu.h"

/* Complete the exiting instruction: RIP += the length the CPU reported
 * (SDM 28.2.5), and end any STI/MOV-SS blocking, which lasts for one
 * instruction only (SDM 25.4.2). */
static void skip_instruction(struct x86vcpu_vcpu *v, uint64_t rip, uint32_t len)
{
    VMWR(v, WNAT, GUEST_RIP, rip + len);
    uint32_t intr = (uint32_t)VMRD(v, W32, GUEST_INTERRUPTIBILITY);
    if (intr & (INTR_BLOCK_STI | INTR_BLOCK_MOVSS))
        VMWR(v, W32, GUEST_INTERRUPTIBILITY, intr & ~(INTR_BLOCK_STI | INTR_BLOCK_MOVSS));
}

static void handle_cpuid(struct x86vcpu_vcpu *v)
{
    uint64_t *g = v->regs.gpr;
    uint32_t leaf = (uint32_t)g[X86VCPU_RAX], subleaf = (uint32_t)g[X86VCPU_RCX];
    struct x86vcpu_cpuid_regs r;
    if (x86vcpu_cpuid_is_hv_leaf(leaf)) {
        x86vcpu_cpuid_hv_leaf(leaf, v->cpuid_vendor, &r);
    } else {
        struct hw_cpuid h = hw_cpuid(leaf, subleaf);
        r = (struct x86vcpu_cpuid_regs){ h.eax, h.ebx, h.ecx, h.edx };
        /* Only leaf 1 depends on guest state (CR4.OSXSAVE via the shadow,
         * since the bit is guest-owned when unmasked: read the real CR4). */
        uint64_t cr4 = leaf == 1 ? VMRD(v, WNAT, GUEST_CR4) : 0;
        x86vcpu_cpuid_filter(leaf, subleaf, cr4, &r);
    }
    /* CPUID writes the 32-bit registers, zero-extending into RAX..RDX. */
    g[X86VCPU_RAX] = r.eax;
    g[X86VCPU_RBX] = r.ebx;
    g[X86VCPU_RCX] = r.ecx;
    g[X86VCPU_RDX] = r.edx;
}

/* The instruction completes on the next run, after the embedder had its
 * say (an IN's value, a hypercall's result). */
static void defer_skip(struct x86vcpu_vcpu *v, const struct x86vcpu_exit *e)
{
    v->advance_rip = e->rip;
    v->advance_len = e->instr_len;
}

static void fill_common(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e, uint32_t reason,
                        int with_len)
{
    e->reason = reason;
    e->rip = VMRD(v, WNAT, GUEST_RIP);
    e->instr_len = with_len ? (uint32_t)VMRD(v, W32, EXIT_INSTR_LEN) : 0;
    e->qualification = 0;
}

/* Returns 1 when the exit was handled here and the guest can go on. */
static int dispatch(struct x86vcpu_vcpu *v, uint32_t reason, struct x86vcpu_exit *e)
{
    uint64_t *g = v->regs.gpr;
    switch (reason) {
    case X86VCPU_EXIT_REASON_CPUID:
        handle_cpuid(v);
    {
        uint64_t rip = VMRD(v, WNAT, GUEST_RIP);
        skip_instruction(v, rip, (uint32_t)VMRD(v, W32, EXIT_INSTR_LEN));
    }
        return 1;

    case X86VCPU_EXIT_REASON_IO_INSTRUCTION: {
        fill_common(v, e, reason, 1);
        e->qualification = VMRD(v, WNAT, EXIT_QUALIFICATION);
        struct x86vcpu_io_qual q = x86vcpu_decode_io_qual(e->qualification);
        if (q.string) {
            e->kind = X86VCPU_EXIT_OTHER; /* INS/OUTS: decoded but not completed here */
            return 0;
        }
        e->kind = X86VCPU_EXIT_IO;
        e->u.io.port = q.port;
        e->u.io.size = q.size;
        e->u.io.in = q.in;
        e->u.io.value = q.in ? 0 : (uint32_t)g[X86VCPU_RAX] & (uint32_t)(0xffffffffull >> (32 - 8 * q.size));
        if (q.in) {
            v->pending = PENDING_IO_IN;
            v->pending_io_size = q.size;
        }
        defer_skip(v, e);
        return 0;
    }

    case X86VCPU_EXIT_REASON_VMCALL:
        fill_common(v, e, reason, 1);
        e->kind = X86VCPU_EXIT_HYPERCALL;
        e->u.hypercall.nr = g[X86VCPU_RAX];
        e->u.hypercall.args[0] = g[X86VCPU_RDI];
        e->u.hypercall.args[1] = g[X86VCPU_RSI];
        e->u.hypercall.args[2] = g[X86VCPU_RDX];
        e->u.hypercall.args[3] = g[X86VCPU_RCX];
        e->u.hypercall.args[4] = g[X86VCPU_R8];
        e->u.hypercall.args[5] = g[X86VCPU_R9];
        defer_skip(v, e);
        return 0;

    case X86VCPU_EXIT_REASON_HLT:
        fill_common(v, e, reason, 1);
        e->kind = X86VCPU_EXIT_HLT;
        defer_skip(v, e);
        return 0;

    case X86VCPU_EXIT_REASON_TRIPLE_FAULT:
        fill_common(v, e, reason, 0);
        e->kind = X86VCPU_EXIT_SHUTDOWN;
        return 0;

    case X86VCPU_EXIT_REASON_EXTERNAL_INTERRUPT: {
        fill_common(v, e, reason, 0);
        uint32_t info = (uint32_t)VMRD(v, W32, EXIT_INTR_INFO);
        e->kind = X86VCPU_EXIT_EXTINT;
        e->u.extint.valid = info >> 31;
        e->u.extint.vector = info & 0xff;
        return 0;
    }

    case X86VCPU_EXIT_REASON_EPT_VIOLATION:
        fill_common(v, e, reason, 0);
        e->kind = X86VCPU_EXIT_EPT_VIOLATION;
        e->qualification = VMRD(v, WNAT, EXIT_QUALIFICATION);
        e->u.ept.gpa = VMRD(v, W64, GUEST_PHYSICAL_ADDRESS);
        /* SDM Table 28-7: bit 7 says the guest-linear address field is valid. */
        e->u.ept.gla_valid = (e->qualification >> 7) & 1;
        e->u.ept.gla = e->u.ept.gla_valid ? VMRD(v, WNAT, GUEST_LINEAR_ADDRESS) : 0;
        return 0;

    default:
        fill_common(v, e, reason, 0);
        e->kind = X86VCPU_EXIT_OTHER;
        e->qualification = VMRD(v, WNAT, EXIT_QUALIFICATION);
        return 0;
    }
}

int x86vcpu_vcpu_run(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    if (!v || !e)
        return X86VCPU_EINVAL;
    if (!v->cpu || v->cpu->current != v || !v->have_setup || v->setup_dirty)
        return X86VCPU_ESTATE;
    if (v->pending != PENDING_NONE)
        return X86VCPU_EPENDING;
    if (v->advance_len) {
        /* The exit already read RIP into advance_rip: no second VMREAD. */
        skip_instruction(v, v->advance_rip, v->advance_len);
        v->advance_len = 0;
    }
    for (;;) {
        int st = x86vcpu__vmx_enter(&v->regs, v->launched);
        v->stats.entries++;
        v->stats.vmwrites += v->regs.host_rsp_writes;
        v->regs.host_rsp_writes = 0;
        if (st != HW_VM_OK)
            return x86vcpu__vmfail(v, st);

        uint32_t full = (uint32_t)VMRD(v, W32, EXIT_REASON);
        uint32_t reason = full & 0xffff;
        if (reason < X86VCPU_EXIT_REASON_MAX)
            v->stats.exits[reason]++;

        if (full & EXIT_REASON_ENTRY_FAIL) {
            /* SDM 27.8: VM entry failed while or after loading guest state;
             * the VMCS launch state is unchanged. */
            fill_common(v, e, reason, 0);
            e->kind = X86VCPU_EXIT_ENTRY_FAILED;
            e->qualification = VMRD(v, WNAT, EXIT_QUALIFICATION);
            e->u.entry_failed.reason = reason;
            e->u.entry_failed.qualification = e->qualification;
            e->u.entry_failed.reason_name = x86vcpu_exit_reason_name(reason);
            return X86VCPU_OK;
        }
        v->launched = 1;
        if (!dispatch(v, reason, e))
            return X86VCPU_OK;
    }
}

int x86vcpu_complete_io_in(struct x86vcpu_vcpu *v, uint32_t value)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (v->pending != PENDING_IO_IN)
        return X86VCPU_ESTATE;
    v->regs.gpr[X86VCPU_RAX] = x86vcpu_io_in_merge(v->regs.gpr[X86VCPU_RAX], value,
                                                   v->pending_io_size);
    v->pending = PENDING_NONE;
    return X86VCPU_OK;
}

int x86vcpu_set_hypercall_result(struct x86vcpu_vcpu *v, uint64_t value)
{
    if (!v)
        return X86VCPU_EINVAL;
    v->regs.gpr[X86VCPU_RAX] = value;
    return X86VCPU_OK;
}

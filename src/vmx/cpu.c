/* Per-CPU VMX enable/disable (SDM 24.7 "Enabling and entering VMX operation"). */
#include "vmx/vcpu.h"

static void log_line(const struct x86vcpu_hal *hal, const char *s)
{
    if (hal && hal->log)
        hal->log(hal->ctx, s);
}

static void read_caps(struct x86vcpu_caps *c)
{
    int true_ctls = (c->basic & X86VCPU_BASIC_TRUE_CTLS) != 0;
    /* The TRUE_* MSRs (A.3.1) may allow some default-1 controls to be 0,
     * e.g. CR3-load/store exiting, which EPT guests do not need. */
    c->pinbased = hw_rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED : MSR_IA32_VMX_PINBASED);
    c->procbased = hw_rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED : MSR_IA32_VMX_PROCBASED);
    c->exit = hw_rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_EXIT : MSR_IA32_VMX_EXIT);
    c->entry = hw_rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY : MSR_IA32_VMX_ENTRY);
    c->misc = hw_rdmsr(MSR_IA32_VMX_MISC);
    c->cr0_fixed0 = hw_rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    c->cr0_fixed1 = hw_rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    c->cr4_fixed0 = hw_rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    c->cr4_fixed1 = hw_rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    /* A.3.3: the secondary-controls MSR exists only if the primary
     * controls allow "activate secondary controls" to be 1. */
    c->procbased2 = (c->procbased >> 32) & PROC_SECONDARY ? hw_rdmsr(MSR_IA32_VMX_PROCBASED2) : 0;
    /* A.10: EPT/VPID capabilities exist if EPT or VPID may be enabled. */
    c->ept_vpid = (c->procbased2 >> 32) & (PROC2_EPT | PROC2_VPID)
                      ? hw_rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) : 0;
}

int x86vcpu_cpu_enable(struct x86vcpu_cpu *cpu, const struct x86vcpu_hal *hal)
{
    if (!cpu || !hal || !hal->alloc_frame || !hal->free_frame || !hal->phys_to_virt ||
        !hal->virt_to_phys)
        return X86VCPU_EINVAL;
    if (cpu->enabled)
        return X86VCPU_EBUSY;

    if (!(hw_cpuid(1, 0).ecx & CPUID1_ECX_VMX)) {
        log_line(hal, "x86vcpu: CPUID.1:ECX.VMX = 0");
        return X86VCPU_ENOVMX;
    }

    /* SDM 24.7: VMXON faults unless IA32_FEATURE_CONTROL is locked with
     * "enable VMX outside SMX". If firmware left it unlocked, set and lock. */
    uint64_t fc = hw_rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (fc & FEATURE_CONTROL_LOCK) {
        if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
            log_line(hal, "x86vcpu: IA32_FEATURE_CONTROL locked with VMX disabled");
            return X86VCPU_EVMXLOCKED;
        }
    } else {
        hw_wrmsr(MSR_IA32_FEATURE_CONTROL,
                 fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
    }

    struct x86vcpu_caps caps;
    caps.basic = hw_rdmsr(MSR_IA32_VMX_BASIC);
    int err = x86vcpu__basic_check(caps.basic);
    if (err) {
        log_line(hal, "x86vcpu: IA32_VMX_BASIC unusable");
        return err;
    }
    read_caps(&caps);

    /* SDM 24.8: CR0 and CR4 must honour the fixed bits in VMX operation;
     * CR4.VMXE is among CR4's fixed-1 bits. Apply them, and refuse when they
     * contradict each other instead of running with a wrong value. */
    uint64_t cr0 = hw_read_cr0(), cr4 = hw_read_cr4(), ncr0, ncr4;
    if ((err = x86vcpu__fixed_apply(cr0, caps.cr0_fixed0, caps.cr0_fixed1, &ncr0)) ||
        (err = x86vcpu__fixed_apply(cr4 | CR4_VMXE, caps.cr4_fixed0, caps.cr4_fixed1, &ncr4)))
        return err;
    /* The host must not lose paging or protection to a fixed-0 bit. */
    if ((ncr0 & (CR0_PE | CR0_PG)) != (cr0 & (CR0_PE | CR0_PG)) || !(ncr4 & CR4_VMXE))
        return X86VCPU_EFIXEDCR;

    uint64_t pa = hal->alloc_frame(hal->ctx);
    if (!pa)
        return X86VCPU_ENOMEM;
    if ((caps.basic & X86VCPU_BASIC_32BIT_ADDR) && (pa >> 32)) {
        hal->free_frame(hal->ctx, pa);
        return X86VCPU_EVMXBASIC;
    }
    *(volatile uint32_t *)hal->phys_to_virt(hal->ctx, pa) = X86VCPU_BASIC_REVISION(caps.basic);

    hw_write_cr0(ncr0);
    hw_write_cr4(ncr4);
    int st = hw_vmxon(pa);
    if (st != HW_VM_OK) {
        hw_write_cr4(cr4);
        hw_write_cr0(cr0);
        hal->free_frame(hal->ctx, pa);
        log_line(hal, "x86vcpu: VMXON failed");
        return st == HW_VM_FAIL_INVALID ? X86VCPU_EVMFAILINVALID : X86VCPU_EVMFAILVALID;
    }

    cpu->hal = hal;
    cpu->caps = caps;
    cpu->vmxon_pa = pa;
    cpu->saved_cr0 = cr0;
    cpu->saved_cr4 = cr4;
    cpu->current = 0;
    cpu->vm_error = 0;
    cpu->enabled = 1;
    if ((err = x86vcpu__xstate_alloc(cpu))) {
        hw_vmxoff();
        hw_write_cr4(cr4);
        hw_write_cr0(cr0);
        hal->free_frame(hal->ctx, pa);
        cpu->enabled = 0;
        return err;
    }
    /* Start from clean EPT translations on this CPU (SDM 29.4.3.1). */
    if ((caps.ept_vpid & EPTCAP_INVEPT) && (caps.ept_vpid & EPTCAP_INVEPT_ALL))
        hw_invept(2, 0);
    return X86VCPU_OK;
}

int x86vcpu_cpu_disable(struct x86vcpu_cpu *cpu)
{
    if (!cpu)
        return X86VCPU_EINVAL;
    if (!cpu->enabled)
        return X86VCPU_ESTATE;
    if (cpu->current)
        return X86VCPU_EBUSY; /* unbind the vCPU first: its VMCS must be cleared */
    int st = hw_vmxoff();
    if (st != HW_VM_OK)
        return st == HW_VM_FAIL_INVALID ? X86VCPU_EVMFAILINVALID : X86VCPU_EVMFAILVALID;
    hw_write_cr4(cpu->saved_cr4);
    hw_write_cr0(cpu->saved_cr0);
    cpu->hal->free_frame(cpu->hal->ctx, cpu->vmxon_pa);
    cpu->hal->free_frame(cpu->hal->ctx, cpu->host_fpu_pa);
    cpu->vmxon_pa = 0;
    cpu->enabled = 0;
    return X86VCPU_OK;
}

#include <x86vcpu/x86vcpu.h>

const char *x86vcpu_strerror(int err)
{
    switch (err) {
    case X86VCPU_OK: return "OK";
    case X86VCPU_EINVAL: return "EINVAL: invalid argument";
    case X86VCPU_ESTATE: return "ESTATE: call not valid in this state";
    case X86VCPU_ENOMEM: return "ENOMEM: HAL has no free frame";
    case X86VCPU_ENOVMX: return "ENOVMX: CPU has no VMX (CPUID.1:ECX[5]=0)";
    case X86VCPU_EVMXLOCKED: return "EVMXLOCKED: IA32_FEATURE_CONTROL locked with VMX off";
    case X86VCPU_EVMXBASIC: return "EVMXBASIC: IA32_VMX_BASIC unusable (region size/memory type)";
    case X86VCPU_EFIXEDCR: return "EFIXEDCR: CR0/CR4 cannot meet the VMX fixed bits";
    case X86VCPU_EVMFAILINVALID: return "EVMFAILINVALID: VMX instruction failed (no current VMCS)";
    case X86VCPU_EVMFAILVALID: return "EVMFAILVALID: VMX instruction failed (see VM-instruction error)";
    case X86VCPU_ECTLS: return "ECTLS: a required VMX control is not supported";
    case X86VCPU_EHOSTSTATE: return "EHOSTSTATE: host state unusable for VM exits";
    case X86VCPU_EPENDING: return "EPENDING: an exit awaits completion";
    case X86VCPU_EBUSY: return "EBUSY: already active";
    case X86VCPU_ENOTSUP: return "ENOTSUP: CPU lacks a needed feature";
    default: return "unknown x86vcpu error";
    }
}

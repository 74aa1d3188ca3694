/* Names for VMX numbers (see names.h). Freestanding: no libc. */
#include <stddef.h>
#include <x86vcpu/x86vcpu.h>
#include "lib/names.h"

const char *x86vcpu_vm_error_name(uint32_t err)
{
    /* SDM Vol. 3C, 31.4 "VM Instruction Error Numbers". */
    switch (err) {
    case 0:  return "no error";
    case 1:  return "VMCALL executed in VMX root operation";
    case 2:  return "VMCLEAR with invalid physical address";
    case 3:  return "VMCLEAR with VMXON pointer";
    case 4:  return "VMLAUNCH with non-clear VMCS";
    case 5:  return "VMRESUME with non-launched VMCS";
    case 6:  return "VMRESUME after VMXOFF";
    case 7:  return "VM entry with invalid control field(s)";
    case 8:  return "VM entry with invalid host-state field(s)";
    case 9:  return "VMPTRLD with invalid physical address";
    case 10: return "VMPTRLD with VMXON pointer";
    case 11: return "VMPTRLD with incorrect VMCS revision identifier";
    case 12: return "VMREAD/VMWRITE from/to unsupported VMCS component";
    case 13: return "VMWRITE to read-only VMCS component";
    case 14: return "reserved VM-instruction error 14";
    case 15: return "VMXON executed in VMX root operation";
    case 16: return "VM entry with invalid executive-VMCS pointer";
    case 17: return "VM entry with non-launched executive VMCS";
    case 18: return "VM entry with executive-VMCS pointer not VMXON pointer";
    case 19: return "VMCALL with non-clear VMCS";
    case 20: return "VMCALL with invalid VM-exit control fields";
    case 21: return "reserved VM-instruction error 21";
    case 22: return "VMCALL with incorrect MSEG revision identifier";
    case 23: return "VMXOFF under dual-monitor treatment of SMIs and SMM";
    case 24: return "VMCALL with invalid SMM-monitor features";
    case 25: return "VM entry with invalid VM-execution control fields in executive VMCS";
    case 26: return "VM entry with events blocked by MOV SS";
    case 27: return "reserved VM-instruction error 27";
    case 28: return "invalid operand to INVEPT/INVVPID";
    default: return "unknown VM-instruction error";
    }
}

/* The switches below also make the lists' numbers unique at compile time:
 * a duplicate case value does not compile. */
#define X86VCPU_NAME_CASE_(name, nr) case (nr): return #name;

const char *x86vcpu_exit_reason_name(uint32_t reason)
{
    switch (reason & X86VCPU_EXIT_REASON_BASIC_MASK) {
    X86VCPU_EXIT_REASONS(X86VCPU_NAME_CASE_)
    default: return "UNKNOWN";
    }
}

const char *x86vcpu__vmcs_field_name(uint32_t enc)
{
    switch (enc) {
    X86VCPU_VMCS_FIELDS(X86VCPU_NAME_CASE_)
    default: return NULL;
    }
}

#define X86VCPU_FIELD_ENC_(name, enc) (enc),
static const uint16_t x86vcpu_vmcs_field_list[] = {
    X86VCPU_VMCS_FIELDS(X86VCPU_FIELD_ENC_)
};

uint32_t x86vcpu__vmcs_field_count(void)
{
    return (uint32_t)(sizeof(x86vcpu_vmcs_field_list) / sizeof(x86vcpu_vmcs_field_list[0]));
}

uint32_t x86vcpu__vmcs_field_at(uint32_t i)
{
    if (i >= x86vcpu__vmcs_field_count())
        return X86VCPU_VMCS_FIELD_NONE;
    return x86vcpu_vmcs_field_list[i];
}

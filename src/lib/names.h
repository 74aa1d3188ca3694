/* Names for VMX numbers: VM-instruction errors, exit reasons, VMCS fields.
 * Private to the library. Pure functions, no libc; every string returned is
 * a static constant. The field and exit-reason tables come from the X-macro
 * lists in <x86vcpu/vmcs_fields.h> and <x86vcpu/exit_reasons.h>. */
#ifndef X86VCPU_SRC_LIB_NAMES_H
#define X86VCPU_SRC_LIB_NAMES_H

#include <stdint.h>
#include <x86vcpu/vmcs_fields.h>
#include <x86vcpu/exit_reasons.h>

/* SDM 31.4 VM-instruction error number -> description. 0 -> "no error",
 * numbers with no meaning -> "unknown VM-instruction error". Never NULL. */
const char *x86vcpu_vm_error_name(uint32_t err);

/* Basic exit reason (only bits 15:0 of `reason` count) -> "CPUID", ...;
 * "UNKNOWN" for numbers the SDM does not define. Never NULL. */
const char *x86vcpu_exit_reason_name(uint32_t reason);

/* VMCS field encoding -> its name in X86VCPU_VMCS_FIELDS ("GUEST_RIP"),
 * or NULL when `enc` is not a listed (full) encoding. */
const char *x86vcpu_vmcs_field_name(uint32_t enc);

/* Number of fields in X86VCPU_VMCS_FIELDS, and the encoding of the i-th one
 * in list order; X86VCPU_VMCS_FIELD_NONE when i >= the count. */
#define X86VCPU_VMCS_FIELD_NONE 0xFFFFFFFFu
uint32_t x86vcpu_vmcs_field_count(void);
uint32_t x86vcpu_vmcs_field_at(uint32_t i);

#endif

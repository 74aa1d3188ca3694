/* Names for VMX numbers: VM-instruction errors, exit reasons, VMCS fields.
 * Pure functions, no libc; every string returned is a static constant. The
 * field and exit-reason tables come from the X-macro lists in
 * <x86vcpu/vmcs_fields.h> and <x86vcpu/exit_reasons.h>. */
#ifndef X86VCPU_SRC_LIB_NAMES_H
#define X86VCPU_SRC_LIB_NAMES_H

#include <stdint.h>
#include <x86vcpu/x86vcpu.h>
#include <x86vcpu/exit_reasons.h>

/* Public, declared in <x86vcpu/x86vcpu.h> (one declaration, the exported
 * one):
 * x86vcpu_vm_error_name: SDM 31.4 VM-instruction error number ->
 *   description. 0 -> "no error", numbers with no meaning -> "unknown
 *   VM-instruction error". Never NULL.
 * x86vcpu_exit_reason_name: basic exit reason (only bits 15:0 of `reason`
 *   count) -> "CPUID", ...; "UNKNOWN" for numbers the SDM does not define.
 *   Never NULL. */

/* VMCS field encoding -> its name in X86VCPU_VMCS_FIELDS ("GUEST_RIP"),
 * or NULL when `enc` is not a listed (full) encoding. */
const char *x86vcpu__vmcs_field_name(uint32_t enc);

/* Number of fields in X86VCPU_VMCS_FIELDS, and the encoding of the i-th one
 * in list order; X86VCPU_VMCS_FIELD_NONE when i >= the count. */
#define X86VCPU_VMCS_FIELD_NONE 0xFFFFFFFFu
uint32_t x86vcpu__vmcs_field_count(void);
uint32_t x86vcpu__vmcs_field_at(uint32_t i);

#endif

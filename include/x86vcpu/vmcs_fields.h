/* x86vcpu — VMCS field encodings (Intel SDM Vol. 3, Appendix B).
 *
 * X86VCPU_VMCS_FIELDS(F) is the single list of every field: F(NAME, ENCODING)
 * for each one. Only the "full" encodings are listed; the "high" half of a
 * 64-bit field is the full encoding + 1 (access type, bit 0).
 *
 * Encoding layout (SDM 25.11.2):
 *   bit 0      access type (0 full, 1 high; 64-bit fields only)
 *   bits 9:1   index
 *   bits 11:10 type (0 control, 1 VM-exit information (read-only),
 *                    2 guest state, 3 host state)
 *   bit 12     reserved (0)
 *   bits 14:13 width (0 16-bit, 1 64-bit, 2 32-bit, 3 natural width)
 *   bits 31:15 reserved (0)
 *
 * The enum gives X86VCPU_VMCS_<NAME> = encoding. X86VCPU_VMCS_CHECK(f, w)
 * yields (uint32_t)f and refuses to compile unless f is an integer constant
 * expression whose width bits equal w (one of X86VCPU_VMCS_W*).
 */
#ifndef X86VCPU_VMCS_FIELDS_H
#define X86VCPU_VMCS_FIELDS_H

#include <stdint.h>

#define X86VCPU_VMCS_FIELDS(F) \
    /* ---- 16-bit control fields (0x0000) ---- */ \
    F(VPID,                              0x0000) \
    F(POSTED_INTR_NV,                    0x0002) \
    F(EPTP_INDEX,                        0x0004) \
    F(HLAT_PREFIX_SIZE,                  0x0006) \
    F(LAST_PID_POINTER_INDEX,            0x0008) \
    /* ---- 16-bit guest-state fields (0x0800) ---- */ \
    F(GUEST_ES_SELECTOR,                 0x0800) \
    F(GUEST_CS_SELECTOR,                 0x0802) \
    F(GUEST_SS_SELECTOR,                 0x0804) \
    F(GUEST_DS_SELECTOR,                 0x0806) \
    F(GUEST_FS_SELECTOR,                 0x0808) \
    F(GUEST_GS_SELECTOR,                 0x080A) \
    F(GUEST_LDTR_SELECTOR,               0x080C) \
    F(GUEST_TR_SELECTOR,                 0x080E) \
    F(GUEST_INTR_STATUS,                 0x0810) \
    F(PML_INDEX,                         0x0812) \
    F(GUEST_UINV,                        0x0814) \
    /* ---- 16-bit host-state fields (0x0C00) ---- */ \
    F(HOST_ES_SELECTOR,                  0x0C00) \
    F(HOST_CS_SELECTOR,                  0x0C02) \
    F(HOST_SS_SELECTOR,                  0x0C04) \
    F(HOST_DS_SELECTOR,                  0x0C06) \
    F(HOST_FS_SELECTOR,                  0x0C08) \
    F(HOST_GS_SELECTOR,                  0x0C0A) \
    F(HOST_TR_SELECTOR,                  0x0C0C) \
    /* ---- 64-bit control fields (0x2000), full forms ---- */ \
    F(IO_BITMAP_A,                       0x2000) \
    F(IO_BITMAP_B,                       0x2002) \
    F(MSR_BITMAP,                        0x2004) \
    F(EXIT_MSR_STORE_ADDR,               0x2006) \
    F(EXIT_MSR_LOAD_ADDR,                0x2008) \
    F(ENTRY_MSR_LOAD_ADDR,               0x200A) \
    F(EXECUTIVE_VMCS_POINTER,            0x200C) \
    F(PML_ADDRESS,                       0x200E) \
    F(TSC_OFFSET,                        0x2010) \
    F(VIRTUAL_APIC_PAGE_ADDR,            0x2012) \
    F(APIC_ACCESS_ADDR,                  0x2014) \
    F(POSTED_INTR_DESC_ADDR,             0x2016) \
    F(VM_FUNCTION_CTLS,                  0x2018) \
    F(EPT_POINTER,                       0x201A) \
    F(EOI_EXIT_BITMAP0,                  0x201C) \
    F(EOI_EXIT_BITMAP1,                  0x201E) \
    F(EOI_EXIT_BITMAP2,                  0x2020) \
    F(EOI_EXIT_BITMAP3,                  0x2022) \
    F(EPTP_LIST_ADDR,                    0x2024) \
    F(VMREAD_BITMAP,                     0x2026) \
    F(VMWRITE_BITMAP,                    0x2028) \
    F(VE_INFO_ADDR,                      0x202A) \
    F(XSS_EXITING_BITMAP,                0x202C) \
    F(ENCLS_EXITING_BITMAP,              0x202E) \
    F(SPP_TABLE_POINTER,                 0x2030) \
    F(TSC_MULTIPLIER,                    0x2032) \
    F(PROC_BASED_CTLS3,                  0x2034) \
    F(ENCLV_EXITING_BITMAP,              0x2036) \
    F(LOW_PASID_DIR_ADDR,                0x2038) \
    F(HIGH_PASID_DIR_ADDR,               0x203A) \
    F(SHARED_EPT_POINTER,                0x203C) \
    F(PCONFIG_EXITING_BITMAP,            0x203E) \
    F(HLAT_POINTER,                      0x2040) \
    F(PID_POINTER_TABLE_ADDR,            0x2042) \
    F(EXIT_CTLS2,                        0x2044) \
    F(SPEC_CTRL_MASK,                    0x204A) \
    F(SPEC_CTRL_SHADOW,                  0x204C) \
    F(INJECTED_EVENT_DATA,               0x2052) \
    /* ---- 64-bit read-only data fields (0x2400) ---- */ \
    F(GUEST_PHYSICAL_ADDRESS,            0x2400) \
    F(ORIGINAL_EVENT_DATA,               0x2404) \
    /* ---- 64-bit guest-state fields (0x2800) ---- */ \
    F(VMCS_LINK_POINTER,                 0x2800) \
    F(GUEST_IA32_DEBUGCTL,               0x2802) \
    F(GUEST_IA32_PAT,                    0x2804) \
    F(GUEST_IA32_EFER,                   0x2806) \
    F(GUEST_IA32_PERF_GLOBAL_CTRL,       0x2808) \
    F(GUEST_PDPTE0,                      0x280A) \
    F(GUEST_PDPTE1,                      0x280C) \
    F(GUEST_PDPTE2,                      0x280E) \
    F(GUEST_PDPTE3,                      0x2810) \
    F(GUEST_IA32_BNDCFGS,                0x2812) \
    F(GUEST_IA32_RTIT_CTL,               0x2814) \
    F(GUEST_IA32_LBR_CTL,                0x2816) \
    F(GUEST_IA32_PKRS,                   0x2818) \
    F(GUEST_IA32_FRED_CONFIG,            0x281A) \
    F(GUEST_IA32_FRED_RSP1,              0x281C) \
    F(GUEST_IA32_FRED_RSP2,              0x281E) \
    F(GUEST_IA32_FRED_RSP3,              0x2820) \
    F(GUEST_IA32_FRED_STKLVLS,           0x2822) \
    F(GUEST_IA32_FRED_SSP1,              0x2824) \
    F(GUEST_IA32_FRED_SSP2,              0x2826) \
    F(GUEST_IA32_FRED_SSP3,              0x2828) \
    /* ---- 64-bit host-state fields (0x2C00) ---- */ \
    F(HOST_IA32_PAT,                     0x2C00) \
    F(HOST_IA32_EFER,                    0x2C02) \
    F(HOST_IA32_PERF_GLOBAL_CTRL,        0x2C04) \
    F(HOST_IA32_PKRS,                    0x2C06) \
    F(HOST_IA32_FRED_CONFIG,             0x2C08) \
    F(HOST_IA32_FRED_RSP1,               0x2C0A) \
    F(HOST_IA32_FRED_RSP2,               0x2C0C) \
    F(HOST_IA32_FRED_RSP3,               0x2C0E) \
    F(HOST_IA32_FRED_STKLVLS,            0x2C10) \
    F(HOST_IA32_FRED_SSP1,               0x2C12) \
    F(HOST_IA32_FRED_SSP2,               0x2C14) \
    F(HOST_IA32_FRED_SSP3,               0x2C16) \
    /* ---- 32-bit control fields (0x4000) ---- */ \
    F(PIN_BASED_CTLS,                    0x4000) \
    F(PROC_BASED_CTLS,                   0x4002) \
    F(EXCEPTION_BITMAP,                  0x4004) \
    F(PAGE_FAULT_ERRCODE_MASK,           0x4006) \
    F(PAGE_FAULT_ERRCODE_MATCH,          0x4008) \
    F(CR3_TARGET_COUNT,                  0x400A) \
    F(EXIT_CTLS,                         0x400C) \
    F(EXIT_MSR_STORE_COUNT,              0x400E) \
    F(EXIT_MSR_LOAD_COUNT,               0x4010) \
    F(ENTRY_CTLS,                        0x4012) \
    F(ENTRY_MSR_LOAD_COUNT,              0x4014) \
    F(ENTRY_INTR_INFO,                   0x4016) \
    F(ENTRY_EXCEPTION_ERRCODE,           0x4018) \
    F(ENTRY_INSTR_LEN,                   0x401A) \
    F(TPR_THRESHOLD,                     0x401C) \
    F(PROC_BASED_CTLS2,                  0x401E) \
    F(PLE_GAP,                           0x4020) \
    F(PLE_WINDOW,                        0x4022) \
    F(INSTR_TIMEOUT_CTL,                 0x4024) \
    /* ---- 32-bit read-only data fields (0x4400) ---- */ \
    F(VM_INSTRUCTION_ERROR,              0x4400) \
    F(EXIT_REASON,                       0x4402) \
    F(EXIT_INTR_INFO,                    0x4404) \
    F(EXIT_INTR_ERRCODE,                 0x4406) \
    F(IDT_VECTORING_INFO,                0x4408) \
    F(IDT_VECTORING_ERRCODE,             0x440A) \
    F(EXIT_INSTR_LEN,                    0x440C) \
    F(EXIT_INSTR_INFO,                   0x440E) \
    /* ---- 32-bit guest-state fields (0x4800) ---- */ \
    F(GUEST_ES_LIMIT,                    0x4800) \
    F(GUEST_CS_LIMIT,                    0x4802) \
    F(GUEST_SS_LIMIT,                    0x4804) \
    F(GUEST_DS_LIMIT,                    0x4806) \
    F(GUEST_FS_LIMIT,                    0x4808) \
    F(GUEST_GS_LIMIT,                    0x480A) \
    F(GUEST_LDTR_LIMIT,                  0x480C) \
    F(GUEST_TR_LIMIT,                    0x480E) \
    F(GUEST_GDTR_LIMIT,                  0x4810) \
    F(GUEST_IDTR_LIMIT,                  0x4812) \
    F(GUEST_ES_AR,                       0x4814) \
    F(GUEST_CS_AR,                       0x4816) \
    F(GUEST_SS_AR,                       0x4818) \
    F(GUEST_DS_AR,                       0x481A) \
    F(GUEST_FS_AR,                       0x481C) \
    F(GUEST_GS_AR,                       0x481E) \
    F(GUEST_LDTR_AR,                     0x4820) \
    F(GUEST_TR_AR,                       0x4822) \
    F(GUEST_INTERRUPTIBILITY,            0x4824) \
    F(GUEST_ACTIVITY_STATE,              0x4826) \
    F(GUEST_SMBASE,                      0x4828) \
    F(GUEST_SYSENTER_CS,                 0x482A) \
    F(PREEMPTION_TIMER_VALUE,            0x482E) \
    /* ---- 32-bit host-state field (0x4C00) ---- */ \
    F(HOST_SYSENTER_CS,                  0x4C00) \
    /* ---- natural-width control fields (0x6000) ---- */ \
    F(CR0_GUEST_HOST_MASK,               0x6000) \
    F(CR4_GUEST_HOST_MASK,               0x6002) \
    F(CR0_READ_SHADOW,                   0x6004) \
    F(CR4_READ_SHADOW,                   0x6006) \
    F(CR3_TARGET_VALUE0,                 0x6008) \
    F(CR3_TARGET_VALUE1,                 0x600A) \
    F(CR3_TARGET_VALUE2,                 0x600C) \
    F(CR3_TARGET_VALUE3,                 0x600E) \
    /* ---- natural-width read-only data fields (0x6400) ---- */ \
    F(EXIT_QUALIFICATION,                0x6400) \
    F(IO_RCX,                            0x6402) \
    F(IO_RSI,                            0x6404) \
    F(IO_RDI,                            0x6406) \
    F(IO_RIP,                            0x6408) \
    F(GUEST_LINEAR_ADDRESS,              0x640A) \
    /* ---- natural-width guest-state fields (0x6800) ---- */ \
    F(GUEST_CR0,                         0x6800) \
    F(GUEST_CR3,                         0x6802) \
    F(GUEST_CR4,                         0x6804) \
    F(GUEST_ES_BASE,                     0x6806) \
    F(GUEST_CS_BASE,                     0x6808) \
    F(GUEST_SS_BASE,                     0x680A) \
    F(GUEST_DS_BASE,                     0x680C) \
    F(GUEST_FS_BASE,                     0x680E) \
    F(GUEST_GS_BASE,                     0x6810) \
    F(GUEST_LDTR_BASE,                   0x6812) \
    F(GUEST_TR_BASE,                     0x6814) \
    F(GUEST_GDTR_BASE,                   0x6816) \
    F(GUEST_IDTR_BASE,                   0x6818) \
    F(GUEST_DR7,                         0x681A) \
    F(GUEST_RSP,                         0x681C) \
    F(GUEST_RIP,                         0x681E) \
    F(GUEST_RFLAGS,                      0x6820) \
    F(GUEST_PENDING_DBG_EXCEPTIONS,      0x6822) \
    F(GUEST_SYSENTER_ESP,                0x6824) \
    F(GUEST_SYSENTER_EIP,                0x6826) \
    F(GUEST_S_CET,                       0x6828) \
    F(GUEST_SSP,                         0x682A) \
    F(GUEST_INTR_SSP_TABLE_ADDR,         0x682C) \
    /* ---- natural-width host-state fields (0x6C00) ---- */ \
    F(HOST_CR0,                          0x6C00) \
    F(HOST_CR3,                          0x6C02) \
    F(HOST_CR4,                          0x6C04) \
    F(HOST_FS_BASE,                      0x6C06) \
    F(HOST_GS_BASE,                      0x6C08) \
    F(HOST_TR_BASE,                      0x6C0A) \
    F(HOST_GDTR_BASE,                    0x6C0C) \
    F(HOST_IDTR_BASE,                    0x6C0E) \
    F(HOST_SYSENTER_ESP,                 0x6C10) \
    F(HOST_SYSENTER_EIP,                 0x6C12) \
    F(HOST_RSP,                          0x6C14) \
    F(HOST_RIP,                          0x6C16) \
    F(HOST_S_CET,                        0x6C18) \
    F(HOST_SSP,                          0x6C1A) \
    F(HOST_INTR_SSP_TABLE_ADDR,          0x6C1C)

#define X86VCPU_VMCS_ENUM_ENTRY_(name, enc) X86VCPU_VMCS_##name = (enc),
enum x86vcpu_vmcs_field {
    X86VCPU_VMCS_FIELDS(X86VCPU_VMCS_ENUM_ENTRY_)
};
#undef X86VCPU_VMCS_ENUM_ENTRY_

/* Width codes: encoding bits 14:13. */
#define X86VCPU_VMCS_W16  0
#define X86VCPU_VMCS_W64  1
#define X86VCPU_VMCS_W32  2
#define X86VCPU_VMCS_WNAT 3
#define X86VCPU_VMCS_WIDTH(enc) (((enc) >> 13) & 3)

/* Type codes: encoding bits 11:10. */
#define X86VCPU_VMCS_TCONTROL 0
#define X86VCPU_VMCS_TRDONLY  1
#define X86VCPU_VMCS_TGUEST   2
#define X86VCPU_VMCS_THOST    3
#define X86VCPU_VMCS_TYPE(enc) (((enc) >> 10) & 3)

/* X86VCPU_VMCS_CHECK(f, w): (uint32_t)(f), but a compile error when f is not
 * an integer constant expression or when its width bits are not w.
 *
 * C: a bit-field of width -1 is a constraint violation. The width also
 * requires f to be an integer constant expression: (void *)((long)(f) * 0l)
 * is a null pointer constant only then, making the conditional's type int *
 * (sizeof *... == sizeof(int)); otherwise it is void *. This rejects even a
 * const-qualified object that a compiler could fold, not just run-time
 * values. The whole macro is itself an integer constant expression.
 * C++: types cannot be declared in sizeof; an incomplete specialisation
 * does the same job and the template argument must be a constant. */
#ifdef __cplusplus
extern "C++" {
template <bool x86vcpu_ok_> struct x86vcpu_vmcs_check_;
template <> struct x86vcpu_vmcs_check_<true> { char x86vcpu_c_; };
}
#define X86VCPU_VMCS_CHECK(f, w) \
    ((uint32_t)(f) + 0u * (uint32_t)sizeof(x86vcpu_vmcs_check_<(X86VCPU_VMCS_WIDTH(f) == (w))>))
#else
#define X86VCPU_VMCS_IS_ICE_(x) \
    (sizeof(int) == sizeof(*(1 ? (void *)((long)(x) * 0l) : (int *)1)))
#define X86VCPU_VMCS_CHECK(f, w) \
    ((uint32_t)(f) + 0u * (uint32_t)sizeof(struct { \
        int x86vcpu_vmcs_check_ : \
            (X86VCPU_VMCS_IS_ICE_(f) && X86VCPU_VMCS_WIDTH(f) == (w)) ? 1 : -1; }))
#endif

#endif

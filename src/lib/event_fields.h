/* Bit layouts of the VMCS event fields, named once for src/vmx (through
 * vmx_defs.h) and the pure event rules of src/lib:
 *  - interruption information, one format for the VM-entry interruption
 *    information (SDM Vol. 3C 25.8.3 "VM-Entry Controls for Event
 *    Injection"), the VM-exit interruption information (25.9.2 "Information
 *    for VM Exits Due to Vectored Events") and the IDT-vectoring information
 *    (25.9.3 "Information for VM Exits That Occur During Event Delivery");
 *    24.8.3, 24.9.2 and 24.9.3 in older editions of the SDM;
 *  - guest interruptibility state (25.4.2, Table 25-3). */
#ifndef X86VCPU_LIB_EVENT_FIELDS_H
#define X86VCPU_LIB_EVENT_FIELDS_H

#include <stdint.h>

/* Interruption information. */
#define INTR_INFO_VECTOR_MASK  0xffu        /* bits 7:0 */
#define INTR_INFO_TYPE_SHIFT   8            /* bits 10:8, INTR_TYPE_* */
#define INTR_INFO_HAS_ERR      (1u << 11)   /* deliver (exit: delivered) an error code */
/* VM-exit interruption information: the exit came from an IRET that had
 * unblocked NMIs and then faulted (SDM 28.2.3); undefined in IDT-vectoring
 * information, reserved (0) in the VM-entry field. */
#define INTR_INFO_NMI_UNBLOCK  (1u << 12)
#define INTR_INFO_VALID        (1u << 31)
#define INTR_INFO_VECTOR(info) ((info) & INTR_INFO_VECTOR_MASK)
#define INTR_INFO_TYPE(info)   (((info) >> INTR_INFO_TYPE_SHIFT) & 7u)
/* A valid event of this type and vector (no error code). */
#define INTR_INFO(type, vector) \
    (INTR_INFO_VALID | ((uint32_t)(type) << INTR_INFO_TYPE_SHIFT) | (uint32_t)(vector))

/* Interruption types. */
#define INTR_TYPE_EXT_INTR     0
#define INTR_TYPE_NMI          2
#define INTR_TYPE_HW_EXC       3
#define INTR_TYPE_SOFT_INTR    4            /* INT n */
#define INTR_TYPE_PRIV_SOFT_EXC 5           /* INT1 (ICEBP) */
#define INTR_TYPE_SOFT_EXC     6            /* INT3, INTO */
#define INTR_TYPE_OTHER        7

/* Guest interruptibility state. */
#define INTR_BLOCK_STI         (1u << 0)
#define INTR_BLOCK_MOVSS       (1u << 1)
#define INTR_BLOCK_NMI         (1u << 3)

#endif

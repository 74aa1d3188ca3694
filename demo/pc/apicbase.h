/* demo/pc/apicbase.h — the rules of IA32_APIC_BASE (MSR 0x1B, SDM Vol. 3A
 * 11.4.4 / 11.12.1): base (bits MAXPHYADDR-1:12), EN (11), EXTD (10,
 * x2APIC mode), BSP (8, read-only).
 *
 * apicbase_write checks a WRMSR against the current value: reserved bits
 * set, or an invalid mode transition (SDM 11.12.5: x2APIC -> xAPIC,
 * disabled -> x2APIC, EN=0 with EXTD=1; EXTD without x2APIC support) fault
 * with #GP (returns -1, nothing changes). Otherwise it returns 0, the new
 * value (BSP kept as it was) and what the hypervisor must do. maxphyaddr
 * (CPUID 80000008H) is clamped to 32..52; `cur` is trusted to be valid.
 * Pure; unit-tested on the host (tests/unit/test_apicbase.c). The device
 * that acts on it is apic.c. */
#ifndef DEMO_PC_APICBASE_H
#define DEMO_PC_APICBASE_H

#include <stdint.h>

#define APICBASE_BSP   (1ull << 8)
#define APICBASE_EXTD  (1ull << 10)
#define APICBASE_EN    (1ull << 11)
#define APICBASE_RESET(bsp) (0xfee00000ull | APICBASE_EN | ((bsp) ? APICBASE_BSP : 0))
#define APICB_ACT_DISABLE  (1u << 0)  /* EN 1 -> 0: hide the APIC */
#define APICB_ACT_ENABLE   (1u << 1)  /* EN 0 -> 1: show it again, as after reset */
#define APICB_ACT_X2APIC   (1u << 2)  /* EXTD 0 -> 1 with EN: switch the hardware */
#define APICB_ACT_MOVE     (1u << 3)  /* the base changed while the xAPIC is visible */
int apicbase_write(uint64_t cur, uint64_t val, unsigned maxphyaddr, int x2apic_supported,
                   uint64_t *next, unsigned *actions);

/* What becomes of an IPI the guest writes to its ICR (SDM 11.6.1; x2APIC
 * layout, 11.12.9: destination in bits 63:32; xAPIC: bits 63:56). The
 * guest's machine has one CPU, this one, and the hardware APIC is the
 * host's: an IPI that includes this CPU (self shorthand, all including
 * self, physical destination self_id or broadcast) with fixed delivery
 * reaches the hardware as a fixed IPI to this CPU only (APIC_ICR_SEND);
 * an NMI that includes it is the guest's NMI (APIC_ICR_SELF_NMI: queued to
 * the vCPU, as a real one would reach the host's handler in root mode).
 * A logical destination includes it when it matches the guest's logical
 * ID self_ldr (SDM 11.6.2.2: xAPIC flat model, bits 31:24 of the LDR ANDed
 * with the 8-bit destination; x2APIC, 11.12.10.2: same cluster in 31:16,
 * a common bit in 15:0).
 * Everything else is dropped: IPIs to other CPUs only, and INIT, SIPI,
 * SMI, lowest priority and
 * reserved delivery modes whatever the destination (INIT and SIPI would
 * reset or start host CPUs, SMI enters SMM). */
#define APIC_ICR_DROP     0
#define APIC_ICR_SEND     1
#define APIC_ICR_SELF_NMI 2
int apic_icr_check(uint64_t icr, uint32_t self_id, uint32_t self_ldr, int x2apic);

/* The I/O APIC redirection table entry (82093AA datasheet 3.2.4: vector
 * 7:0, delivery mode 10:8, destination mode 11, mask 16, destination
 * 63:56) the hardware gets for the one the guest wrote. The guest's machine
 * has one CPU: a fixed, lowest-priority or ExtINT interrupt whose
 * destination includes it (physical self_id or broadcast; logical: a bit
 * in common with self_ldr, the guest's flat-model logical ID) goes to this
 * CPU alone (physical self_id); everything else (NMI, SMI, INIT, reserved
 * modes, other CPUs) is written masked (vector kept, destination self). A
 * masked entry stays masked, aimed at this CPU. */
#define IOAPIC_RTE_MASK (1ull << 16)
uint64_t ioapic_rte_filter(uint64_t rte, uint32_t self_id, uint32_t self_ldr);

#endif

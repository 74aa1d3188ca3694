/* Pure event logic: exception classes and double-fault escalation (SDM Vol.
 * 3A 6.15, Table 6-4 "Interrupt and Exception Classes" and Table 6-5
 * "Conditions for Generating a Double Fault"), and the injection decision. */
#ifndef X86VCPU_LIB_EVENT_RULES_H
#define X86VCPU_LIB_EVENT_RULES_H

#include <stdint.h>
#include "lib/arch.h"         /* X86VCPU_VEC_*, RFLAGS_IF */
#include "lib/event_fields.h" /* INTR_BLOCK_* */
/* x86vcpu__exception_merge result: the CPU would shut down (triple fault). */
#define X86VCPU_EXC_SHUTDOWN 0x100

enum x86vcpu_exc_class { X86VCPU_EXC_BENIGN, X86VCPU_EXC_CONTRIBUTORY, X86VCPU_EXC_PAGE_FAULT,
                         X86VCPU_EXC_DOUBLE_FAULT };
enum x86vcpu_exc_class x86vcpu__exception_class(uint32_t vector);

/* A second exception `second` arises while delivering `first`: the vector
 * to deliver (second, handled serially), X86VCPU_VEC_DF, or
 * X86VCPU_EXC_SHUTDOWN. */
uint32_t x86vcpu__exception_merge(uint32_t first, uint32_t second);

/* Whether an event can be injected at this VM entry (SDM 26.3.1.5 checks
 * on the interruptibility state, 26.6): kind 0 = external interrupt
 * (needs RFLAGS.IF and no STI/MOV-SS blocking), 1 = NMI (no MOV-SS or STI
 * blocking, no NMI blocking). Exceptions can always be injected. */
int x86vcpu__can_inject(int kind, uint64_t rflags, uint32_t interruptibility);

/* Whether exception `vector` pushes an error code (SDM 6.13, Table 6-1:
 * #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP). VM entry requires the injected
 * event to say exactly this in protected mode (SDM 26.2.1.3). */
int x86vcpu__exception_has_error_code(uint32_t vector);

/* Whether hardware exception `vector` is a fault (SDM 6.5, Table 6-1): the
 * CPU then pushes EFLAGS with RF = 1 (SDM 18.3.1.1), so the faulting
 * instruction, restarted by IRET, does not hit its instruction breakpoint
 * again. Not faults: #DB (a fault only for an instruction breakpoint,
 * which pushes RF = 0; else a trap), NMI, the traps #BP and #OF, the
 * aborts #DF and #MC, and the reserved vectors 15 and 22-31. */
int x86vcpu__exception_is_fault(uint32_t vector);

#endif

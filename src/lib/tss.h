/* Pure task-switch rules (SDM Vol. 3A 7.2 "Task management data
 * structures", 7.3 "Task switching", Table 7-1 "Exception conditions
 * checked during a task switch"; Vol. 3C 26.4.2 "Treatment of task
 * switches", Table 28-2 exit qualification): TSS layouts, the checks of
 * the new TSS descriptor and of the segments the new task loads, with the
 * exception and error code of each failure, and what each source of a
 * switch (CALL, JMP, IRET, IDT task gate) does to busy bits, EFLAGS.NT and
 * the back link. Functions of values; src/vmx/taskswitch.c does the
 * memory and VMCS work. */
#ifndef X86VCPU_LIB_TSS_H
#define X86VCPU_LIB_TSS_H

#include <stdint.h>

/* Source of a task switch: exit qualification bits 31:30 (SDM Table 28-2). */
enum { X86VCPU_TS_CALL = 0, X86VCPU_TS_IRET = 1, X86VCPU_TS_JMP = 2, X86VCPU_TS_GATE = 3 };

/* Exception vectors the checks raise (SDM Table 6-1). */
#define X86VCPU_VEC_TS 10
#define X86VCPU_VEC_NP 11
#define X86VCPU_VEC_SS 12

/* System descriptor types (SDM Table 3-2). */
#define X86VCPU_DESC_LDT       0x2
#define X86VCPU_DESC_TSS16     0x1
#define X86VCPU_DESC_TSS16_BSY 0x3
#define X86VCPU_DESC_TSS32     0x9
#define X86VCPU_DESC_TSS32_BSY 0xb
#define X86VCPU_DESC_BUSY      0x2          /* the busy bit of a TSS type */

/* Minimum limits of a TSS (SDM 7.2.2, Table 7-1 step 3). */
#define X86VCPU_TSS32_MIN_LIMIT 0x67
#define X86VCPU_TSS16_MIN_LIMIT 0x2b

/* EFLAGS bits the switch touches (SDM Vol. 1 3.4.3). */
#define X86VCPU_EFLAGS_NT (1u << 14)
#define X86VCPU_EFLAGS_VM (1u << 17)
/* Bits of an EFLAGS image that exist (others read 0, bit 1 reads 1). */
#define X86VCPU_EFLAGS_DEFINED 0x003f7fd5u

/* DR7 bits cleared by every task switch: L0-L3 and LE (SDM 18.2.4). */
#define X86VCPU_DR7_LOCAL 0x155u

/* DR6.BT: a debug trap from the new TSS's T flag (SDM 18.2.3). */
#define X86VCPU_DR6_BT (1u << 15)

/* A fault the switch raises. */
struct x86vcpu_ts_fault {
    uint32_t vector;
    uint32_t err;
};

/* A segment descriptor in the VMCS access-rights format (SDM 25.4.1):
 * type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15; limit scaled
 * by G. */
struct x86vcpu_desc {
    uint32_t base, limit, ar;
};
void x86vcpu__desc_decode(uint64_t raw, struct x86vcpu_desc *d);

/* The registers a TSS holds (its dynamic fields, SDM Figures 7-2, 7-11),
 * in the 32-bit view. gpr[] in the TSS's order: EAX ECX EDX EBX ESP EBP
 * ESI EDI (the encoding order). sel[] ES CS SS DS FS GS. */
struct x86vcpu_tss_regs {
    uint32_t eip, eflags;
    uint32_t gpr[8];
    uint16_t sel[6];
    uint16_t ldt;               /* static: loaded, never saved */
    uint16_t back_link;
    uint32_t cr3;               /* 32-bit TSS only */
    uint8_t trap;               /* T flag, 32-bit TSS only */
};
enum { X86VCPU_TS_ES, X86VCPU_TS_CS, X86VCPU_TS_SS, X86VCPU_TS_DS, X86VCPU_TS_FS, X86VCPU_TS_GS };

/* Bytes of a TSS the switch reads (the whole minimum TSS). */
#define X86VCPU_TSS_IMAGE 0x68
/* The range a switch writes into the old TSS (EIP..GS; IP..DS). */
void x86vcpu__tss_dynamic(int is32, uint32_t *off, uint32_t *len);
/* Load the new task's registers from a TSS image. A 16-bit TSS holds the
 * low 16 bits of the GPRs, EIP and EFLAGS: the upper halves of r's GPRs
 * are kept (the SDM leaves them undefined), as are FS and GS, which it
 * does not hold; EIP and EFLAGS are zero-extended. */
void x86vcpu__tss_load(const uint8_t *img, int is32, struct x86vcpu_tss_regs *r);
/* Save the old task's dynamic fields into its TSS image. */
void x86vcpu__tss_store(uint8_t *img, int is32, const struct x86vcpu_tss_regs *r);

/* Checks of the new TSS descriptor (SDM 26.4.2 steps 2-4, Table 7-1 steps
 * 1-3): `sel` the TSS selector, `raw` its descriptor, `in_gdt` whether the
 * selector names an entry inside the GDT limit. The CPU makes these before
 * the VM exit; the library makes them again, as the guest may change its
 * GDT meanwhile. Privilege checks are the CPU's alone (on the task gate or
 * the TSS descriptor: the exit does not tell which was used). Returns 0
 * (*is32 = 32-bit TSS) or 1 with *f: #GP(sel) for CALL/JMP/gate (#TS for
 * IRET) when the selector is in the LDT, outside the GDT, or the
 * descriptor is no TSS or has the wrong busy state; #NP(sel) when not
 * present; #TS(sel) when the limit is too small. */
int x86vcpu__ts_check_tss(int source, uint16_t sel, uint64_t raw, int in_gdt, int *is32,
                          struct x86vcpu_ts_fault *f);

/* What the source does (SDM 7.3 steps 7-11, Table 7-2). */
struct x86vcpu_ts_plan {
    uint8_t clear_old_busy;     /* JMP, IRET */
    uint8_t set_new_busy;       /* CALL, JMP, gate (IRET: already busy) */
    uint8_t clear_old_nt;       /* IRET: the saved EFLAGS image has NT = 0 */
    uint8_t nest;               /* CALL, gate: NT = 1 and back link = old TR */
};
void x86vcpu__ts_plan(int source, struct x86vcpu_ts_plan *p);
/* EFLAGS of the new task from its TSS image: defined bits only, bit 1
 * set, NT set when nesting. */
uint32_t x86vcpu__ts_new_eflags(int source, uint32_t tss_eflags);

/* Segment checks in the new task, in the order of SDM Table 7-1 as the
 * CPU makes them (LDT, SS, CS, data segments). `present` says that the
 * selector names an entry inside its table (GDT or the new LDT) and raw
 * is that entry. Each returns 0 or 1 with *f. The error code is the
 * selector with RPL cleared. */
/* LDT selector (steps 5, 10): null is allowed (LDTR unusable); else in
 * the GDT, an LDT descriptor, present: else #TS. */
int x86vcpu__ts_check_ldt(uint16_t sel, int present, uint64_t raw, struct x86vcpu_ts_fault *f);
/* SS (steps 7-9, 13) against the new CPL (CS.RPL): not null, a writable
 * data segment, RPL = DPL = CPL: else #TS; not present #SS. */
int x86vcpu__ts_check_ss(uint16_t sel, int present, uint64_t raw, uint32_t cpl,
                         struct x86vcpu_ts_fault *f);
/* CS (steps 6, 11, 12): not null, a code segment, DPL = RPL (conforming:
 * DPL <= RPL): else #TS; not present #NP. */
int x86vcpu__ts_check_cs(uint16_t sel, int present, uint64_t raw, struct x86vcpu_ts_fault *f);
/* DS, ES, FS, GS (steps 14-17): null is allowed (unusable); else data or
 * readable code, DPL >= CPL and RPL (not for conforming code): else #TS;
 * not present #NP. */
int x86vcpu__ts_check_data(uint16_t sel, int present, uint64_t raw, uint32_t cpl,
                           struct x86vcpu_ts_fault *f);

#endif

/* tests/diff/frames.h — fault-frame records of the differential kernel
 * (issue 12 item 2), for its 32-bit (pm.c) and 64-bit (lm.c) parts.
 *
 * A fault the library raises by emulation must reach the guest exactly as
 * the CPU's own: vector, error code, the pushed EIP/RIP, CS and EFLAGS
 * (RF = 1 for faults, SDM 18.3.1.1; a TF single-step traps after the
 * instruction, SDM 18.3.1.4), CR2 (#PF) and DR6 (#DB) at the handler, and
 * the registers a string instruction had advanced. A case runs one
 * instruction (label 8, right after `pre`) with fr_handler on the vectors
 * below: it records the frame and resumes at label 9. CR2 and DR6 are set
 * to markers first, so a fault that must not touch them shows the marker.
 * Record:
 *   CASE <mode> <name>: #<vec>[(<err>)] eip+<pushed IP - insn> cs=<cs>
 *                       efl=<pushed EFLAGS> cr2=<CR2> dr6=<DR6> [regs...]
 *   or "no event" when nothing was raised.
 * Include after diff.h, from one C file per image (its state is static). */
#ifndef DIFF_FRAMES_H
#define DIFF_FRAMES_H

#include "diff.h"

static volatile uptr fr_insn, fr_resume, fr_ip;
static volatile u32 fr_vec, fr_err, fr_cs, fr_fl, fr_cr2, fr_dr6, fr_hit;
static const u8 fr_vectors[] = { 0, 1, 3, 6, 12, 13, 14, 17 };
#define FR_CR2_MARK 0x5a5a5000u
#define FR_DR6_INIT 0xffff0ff0u
#define EFL_TF (1u << 8)
#define EFL_RF (1u << 16)

static inline u32 fr_rd_dr6(void) { uptr v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return (u32)v; }
static inline void fr_wr_dr6(uptr v) { __asm__ volatile("mov %0, %%dr6" : : "r"(v)); }
static inline void fr_wr_dr7(uptr v) { __asm__ volatile("mov %0, %%dr7" : : "r"(v)); }
static inline void fr_wr_cr2(uptr v) { __asm__ volatile("mov %0, %%cr2" : : "r"(v)); }

static void fr_handler(struct trap_frame *f)
{
    if (!fr_resume) {
        trap_unexpected(f);
        return;
    }
    fr_hit = 1;
    fr_vec = (u32)f->vec;
    fr_err = (u32)f->err;
    fr_ip = (uptr)f->ip;
    fr_cs = (u32)f->cs;
    fr_fl = (u32)f->flags;
    fr_cr2 = (u32)read_cr2();
    fr_dr6 = fr_rd_dr6();          /* #DB cleared DR7.GD: no #DB here */
    f->ip = fr_resume;
    f->flags &= ~(EFL_TF | EFL_RF);
    fr_resume = 0;
}

static void fr_install(int on)
{
    for (unsigned i = 0; i < sizeof fr_vectors; i++)
        trap_set_handler(fr_vectors[i], on ? fr_handler : 0);
    if (!on) {
        fr_wr_cr2(0);
        fr_wr_dr6(FR_DR6_INIT);
    }
}

static void fr_arm(void)
{
    fr_hit = 0;
    fr_wr_cr2(FR_CR2_MARK);
    fr_wr_dr6(FR_DR6_INIT);
}

/* The record: the event, then the frame relative to the instruction. */
static void fr_rec(const char *name, u32 n, const u32 *regs)
{
    rec_head(name);
    if (!fr_hit) {
        printf("no event");
    } else {
        put_fault(fr_vec, fr_err, 1);
        u32 off = (u32)(fr_ip >= fr_insn ? fr_ip - fr_insn : fr_insn - fr_ip);
        printf(" eip%c%x cs=%04x efl=%08x cr2=%08x dr6=%08x", fr_ip >= fr_insn ? '+' : '-', off,
               fr_cs & 0xffff, fr_fl, fr_cr2, fr_dr6);
    }
    for (u32 i = 0; i < n; i++)
        printf(" %08x", regs[i]);
    console_putc('\n');
}

/* `pre` runs right before the instruction at label 8 (its address is
 * fr_insn: a TF set by pre's POPF traps after it); a handled event
 * resumes at 9. Both parts are linked below 2 GiB: absolute immediates. */
#if RT_BITS == 64
#define FR_MOVP "movq"
#define FR_TF_ON "pushfq\n\torq $0x100, (%%rsp)\n\tpopfq"
#else
#define FR_MOVP "movl"
#define FR_TF_ON "pushfl\n\torl $0x100, (%%esp)\n\tpopfl"
#endif
#define FR_ASM(pre, insn) \
    FR_MOVP " $8f, fr_insn\n\t" FR_MOVP " $9f, fr_resume\n\t" pre "\n8:\t" insn "\n9:\n\t"

#endif

/* tests/fuzzguest/fuzzguest.h — the fuzzer's fixed low-memory layout and
 * CPU modes, shared by fuzz.c and enter.S.
 *
 * Everything a program can reach lies below 64 KiB, so that real mode and
 * 16-bit protected mode reach it with segment base 0; the same physical
 * (= linear) addresses serve every mode:
 *   0x1000  the control block (LCB_*): registers in and out, saved control
 *           registers, fault records, instruction boundaries
 *   0x1c00  the real-mode IVT (LIDT: the BIOS IVT at 0 is not touched)
 *   0x2000  the 16-bit stubs (enter.S fz_blob, copied here): real-mode and
 *           16-bit protected-mode entry and exit, real-mode fault handlers
 *   0x3000  the program's code
 *   0x4000  scratch pages 0..8 (page 0: the stack; 1..7 filled from the
 *           seed; 8 zero, reached through segment bases)
 *   0xd000  instruction index of every code byte (for the asm handlers)
 * Nothing else below 1 MiB is used, and programs write only the scratch
 * pages (and the window, whose pages are scratch pages). */
#ifndef FUZZGUEST_H
#define FUZZGUEST_H

#define M_REAL   0      /* real mode, CS=DS=ES=SS=0, IVT handlers */
#define M_PM16   1      /* 16-bit code segment, flat data, 32-bit paging */
#define M_PM32   2      /* 32-bit protected mode, 32-bit paging */
#define M_PM32NP 3      /* 32-bit protected mode, paging off */
#define M_PAE    4      /* 32-bit protected mode, PAE paging */
#define M_LONG   5      /* IA-32e, 64-bit code segment, 64-bit IDT */
#define M_COMPAT 6      /* IA-32e, 32-bit code segment (compatibility mode) */
#define M_COUNT  7

#define LCB          0x1000
#define LCB_IN       (LCB + 0x000)  /* 16 x 8: rax rcx rdx rbx rsp rbp rsi rdi r8..r15 */
#define LCB_IN_FL    (LCB + 0x080)
#define LCB_OUT      (LCB + 0x090)  /* 16 x 8, same order */
#define LCB_OUT_FL   (LCB + 0x110)
#define LCB_OUT_FS   (LCB + 0x118)
#define LCB_OUT_GS   (LCB + 0x11c)
#define LCB_CR0      (LCB + 0x120)
#define LCB_CR2      (LCB + 0x124)
#define LCB_CR2HI    (LCB + 0x128)
#define LCB_CR3      (LCB + 0x12c)
#define LCB_CR4      (LCB + 0x130)
#define LCB_DR6      (LCB + 0x134)
#define LCB_DR7      (LCB + 0x138)
#define LCB_EFER     (LCB + 0x13c)  /* 8 */
#define LCB_CR8      (LCB + 0x144)
#define LCB_TARGET   (LCB + 0x148)  /* 8: the program's first byte (jmp *) */
#define LCB_LEN      (LCB + 0x150)  /* code bytes */
#define LCB_EXIT     (LCB + 0x154)  /* the mode's exit stub (MAX_FAULTS, fatal) */
#define LCB_NORF     (LCB + 0x158)
#define LCB_NF       (LCB + 0x15c)  /* faults so far */
#define LCB_FATAL    (LCB + 0x160)  /* vector + 1 of a fault outside the program */
#define LCB_FATALIP  (LCB + 0x164)
#define LCB_KSTACK   (LCB + 0x168)  /* the kernel's ESP in fuzz_enter */
#define LCB_IVTDESC  (LCB + 0x16e)  /* limit (2) + base (4) for LIDT */
#define LCB_FAULTS   (LCB + 0x180)  /* MAX_FAULTS x 24: vec err insn extra extra_hi flags */
#define LCB_STARTS   (LCB + 0x300)  /* u16 per instruction: offset of its first byte */
#define LCB_END      (LCB + 0x480)

#define LOW_IVT      0x1c00
#define LOW_BLOB     0x2000
#define CODE_VA      0x3000
#define SCRATCH_VA   0x4000
#define SCRATCH_PAGES 9
#define IDX_VA       0xd000
#define STACK_TOP    (SCRATCH_VA + 0x800)

#define MAX_FAULTS   16
#define MAX_INSNS    160
#define CODE_SIZE    4096
#define FREC_SIZE    24

#endif

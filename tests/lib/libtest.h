/* tests/lib/libtest.h — the guest-side runtime of every test image: the
 * flat test guests (tests/guests), the multiboot kernels (tests/mbk) and the
 * differential kernel (tests/diff). Freestanding, built per image in the
 * image's CPU mode (-m16 real mode, -m32, -m64; see tests/lib/lib.mk).
 *
 *   boot      boot/flat{16,32,64}.S: flat binaries entered in that mode,
 *             then main(void); boot/multiboot.S: multiboot v1 kernels,
 *             then main(argc, argv) with the command line. Both load the
 *             GDT of boot/gdt.S (32/64-bit), fill the IDT (IVT in real
 *             mode) and init the console first.
 *   console   COM1 (polled 16550) and/or port 0xE9, chosen per image at
 *             build time (CONSOLE_COM1, CONSOLE_E9); printf() on top.
 *   faults    one IDT, 256 stubs, one C dispatcher (trap.c) per mode:
 *             guarded instructions (TRY_BEGIN/TRY_END, the *_safe helpers)
 *             resume after a fault with the vector in fault_vec; handlers
 *             per vector; anything else goes to the backend's
 *             trap_unexpected().
 *   report    check*() and note(); the verdicts go to the image's backend:
 *             backend-console.c prints "ok - ..." / "not ok - ..." and the
 *             "<kernel>: N passed, M failed" summary (multiboot kernels),
 *             backend-hv.c sends HC_CHECK to the test hypervisor, which
 *             counts (flat guests). An image without checks (the
 *             differential kernel) provides exit() and trap_unexpected().
 */
#ifndef LIBTEST_H
#define LIBTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;     /* %llx in every mode */
typedef unsigned long ulong;        /* register width (32 bits in real mode too) */
typedef unsigned long uptr;

/* gcc has no macro for -m16: the build says RT_REAL_MODE. */
#if defined(__x86_64__)
#define RT_BITS 64
#elif defined(RT_REAL_MODE)
#define RT_BITS 16
#else
#define RT_BITS 32
#endif

#include "segments.h"
#include "x86.h"

/* ---------------------------------------------------------------- string */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
const char *basename(const char *path);

/* --------------------------------------------------------------- console */
void console_init(void);
void console_putc(char c);
void console_write(const char *s);
void console_flush(void);       /* until COM1 has sent its last byte */

/* printf: %s %c %d %u %x with '0' flag, width and l/ll; %% */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---------------------------------------------------------------- report */
/* Each returns whether the check passed. */
int check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int check_eq(u64 got, u64 exp, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int check_str(const char *got, const char *exp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* got/exp: NOFAULT or a vector, shown as "no fault" / "#GP" ... */
int check_fault(int got, int exp, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "# ..." line: information, not a check. */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *fault_name(int vec);
extern u32 checks_passed, checks_failed;

/* The backend (one per image): where verdicts go and how the image ends.
 * got/exp are the values compared (for check(): the condition and 1);
 * got_text/exp_text are set only when ok is 0. */
void report_verdict(int ok, const char *name, u64 got, u64 exp, const char *got_text,
                    const char *exp_text);
/* Ends the report; returns the value for exit(). */
int report_summary(void);
__attribute__((noreturn)) void exit(int code);

/* ---------------------------------------------------------------- faults */
extern u64 gdt[GDT_ENTRIES];          /* boot/gdt.S */

#define VEC_DE  0
#define VEC_BP  3
#define VEC_UD  6
#define VEC_DF  8
#define VEC_GP  13
#define VEC_PF  14

struct trap_frame {
#if RT_BITS == 64
    u64 r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    u64 vec, err;
    u64 ip, cs, flags, sp, ss;
#elif RT_BITS == 32
    u32 edi, esi, ebp, esp_pushed, ebx, edx, ecx, eax;     /* pushal */
    u32 vec, err;
    u32 ip, cs, flags;
#else
    u32 edi, esi, ebp, esp_pushed, ebx, edx, ecx, eax;     /* pushal */
    u16 vec, err;                                           /* err: always 0 */
    u16 ip, cs, flags;
#endif
} __attribute__((packed));
typedef void (*trap_fn)(struct trap_frame *f);

void trap_init(void);                   /* done by the boot stubs */
/* Handler for one vector; it does its own EOI. A fault under TRY goes to
 * the recovery first. Unhandled vectors >= 32 count in stray_irqs. */
void trap_set_handler(unsigned vec, trap_fn fn);
extern volatile u32 stray_irqs, stray_last_vec;
/* The backend's (or the image's) answer to an exception nobody expected. */
void trap_unexpected(struct trap_frame *f);
#if RT_BITS != 16
/* Gate vec to target (0: the runtime's own stub) with the given DPL. */
void idt_set_gate(unsigned vec, uptr target, unsigned dpl);
void idt_set_present(unsigned vec, int present);
extern u8 idt[];                        /* the table (64-bit: one whole page) */
#endif

/* Multiboot kernels (boot/multiboot.S, multiboot.c). */
extern u32 mb_magic, mb_info_addr;      /* EAX, EBX at entry */
extern int rt_argc;
extern char *rt_argv[];
const char *arg_get(const char *key);           /* value of key=value, or NULL */
u32 arg_u32(const char *key, u32 dflt);         /* decimal or 0x hex */
int parse_u32(const char *s, u32 *out);         /* 1 when s is a whole number */
const char *kernel_name(void);                  /* basename of argv[0] */

/* PC platform helpers (pc.c). */
#define PIC_VEC_BASE 0x20
void pic_remap_mask(void);      /* 8259 pair at 0x20-0x2F, all lines masked */
void spin(u32 n);               /* about n PAUSE iterations */
/* Waits with interrupts enabled until *cnt reaches target. The first
 * interrupt is awaited by polling (bounded: proves delivery without risking
 * a hang), each further one with `sti; hlt` after armed() (may be NULL)
 * said an interrupt is on its way. Returns 0, or -1 when the first
 * interrupt did not come, -2 when armed() said none would, -3 when HLT
 * kept waking without it. *hlts counts the HLTs executed, *spurious those
 * that woke without *cnt moving. Interrupts are off again on return. */
int wait_irqs(volatile u32 *cnt, u32 target, int (*armed)(void), u32 *hlts, u32 *spurious);

/* Ways to end the machine: QEMU's isa-debug-exit (0xF4) then Bochs'
 * shutdown port (0x8900); Bochs alone. */
__attribute__((noreturn)) void qemu_exit(u32 v);
__attribute__((noreturn)) void bochs_shutdown(void);

#endif

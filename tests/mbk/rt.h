/* tests/mbk/rt.h — the tiny runtime shared by the multiboot test kernels.
 *
 * A kernel provides `void mbk_main(void)`; the runtime (rt_entry.S, rt.c)
 * enters it with its own GDT and IDT loaded, COM1 initialised (115200 8N1,
 * polled), the command line split into argv, interrupts off. Output goes to
 * COM1 only (never port 0xE9), so the serial output of a bare Bochs run and
 * of a run under the hypervisor can be compared byte for byte: print only
 * values that do not depend on the boot loader.
 *
 * Results: check*() print "ok - <name>" or "not ok - <name>: got X expected Y".
 * After mbk_main returns, the runtime prints "<kernel>: N passed, M failed"
 * (kernel = basename of argv[0]) and exits: v = the cmdline's status=N
 * (default 0) when nothing failed, else 0x7f; out v (32-bit) to port 0xF4
 * (QEMU isa-debug-exit), the bytes of "Shutdown" to 0x8900 (Bochs), then
 * cli;hlt forever.
 */
#ifndef MBK_RT_H
#define MBK_RT_H

#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define MBK_EXIT_FAIL 0x7f
#define NOFAULT       (-1)      /* *_safe(): no exception happened */
#define VEC_UD        6
#define VEC_GP        13

/* ------------------------------------------------------------- multiboot */
#define MB_BOOT_MAGIC     0x2BADB002u
#define MBI_MEM           (1u << 0)
#define MBI_BOOTDEV       (1u << 1)
#define MBI_CMDLINE       (1u << 2)
#define MBI_MODS          (1u << 3)
#define MBI_MMAP          (1u << 6)
#define MBI_LOADER_NAME   (1u << 9)

struct mb_info {
    u32 flags;
    u32 mem_lower, mem_upper;
    u32 boot_device;
    u32 cmdline;
    u32 mods_count, mods_addr;
    u32 syms[4];
    u32 mmap_length, mmap_addr;
    u32 drives_length, drives_addr;
    u32 config_table;
    u32 boot_loader_name;
    u32 apm_table;
} __attribute__((packed));

struct mb_mmap {                /* `size` does not count itself */
    u32 size;
    u64 base, len;
    u32 type;
} __attribute__((packed));

struct mb_mod {
    u32 mod_start, mod_end, string, reserved;
} __attribute__((packed));

extern u32 mb_magic;            /* EAX at entry */
extern u32 mb_info_addr;        /* EBX at entry */

/* Linker-script symbols (tests/mbk/kernel.ld). */
extern char __kernel_start[], __load_end[], __bss_start[], __bss_end[];
extern char __probe_start[], __probe_end[];
extern char stack_bottom[], stack_top[];

/* ------------------------------------------------------------- the kernel */
void mbk_main(void);

/* ------------------------------------------------------------------- I/O */
static inline void outb(u16 p, u8 v)  { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(p)); }
static inline void outw(u16 p, u16 v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(p)); }
static inline void outl(u16 p, u32 v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(p)); }
static inline u8  inb(u16 p) { u8 v;  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline u16 inw(u16 p) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline u32 inl(u16 p) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }

static inline u32 mmio_read32(u32 a) { return *(volatile u32 *)(uintptr_t)a; }
static inline void mmio_write32(u32 a, u32 v) { *(volatile u32 *)(uintptr_t)a = v; }

static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cpu_pause(void) { __asm__ volatile("pause" ::: "memory"); }

/* Exception-safe accesses (rt_entry.S): return NOFAULT, or the vector of
 * the exception the instruction raised (e.g. VEC_GP); *val untouched then. */
int rdmsr_safe(u32 msr, u64 *val);
int wrmsr_safe(u32 msr, u64 val);
int read32_safe(u32 addr, u32 *val);
int write32_safe(u32 addr, u32 val);
int ud2_safe(void);
extern volatile u32 fault_err;  /* error code of the last recovered exception */

/* ------------------------------------------------------------ interrupts */
struct trap_frame {
    u32 edi, esi, ebp, esp_dummy, ebx, edx, ecx, eax;   /* pushal */
    u32 vec, err;
    u32 eip, cs, eflags;
};
typedef void (*irq_fn)(struct trap_frame *f);
/* Handler for vector vec (32-255); it does its own EOI. Unregistered
 * vectors count in stray_irqs. */
void irq_register(u8 vec, irq_fn fn);
extern volatile u32 stray_irqs;
extern volatile u32 stray_last_vec;

/* 8259 pair remapped to vectors 0x20-0x2F (ICW1-4), all lines masked. */
#define PIC_VEC_BASE 0x20
void pic_remap_mask(void);

/* Waits with interrupts enabled until *cnt reaches target. The first
 * interrupt is awaited by polling (bounded: proves delivery without risking
 * a hang), each further one with `sti; hlt` after armed() (may be NULL)
 * said an interrupt is on its way. Returns 0, or -1 when the first
 * interrupt did not come, -2 when armed() said none would. *hlts counts the
 * HLTs executed, *spurious those that woke without *cnt moving.
 * Interrupts are off again on return. */
int wait_irqs(volatile u32 *cnt, u32 target, int (*armed)(void), u32 *hlts, u32 *spurious);
/* Bounded busy wait (about n PAUSE iterations). */
void spin(u32 n);

/* ---------------------------------------------------------- output, misc */
void com1_init(void);
void com1_putc(char c);
int vsnprintf_(char *buf, u32 size, const char *fmt, va_list ap);
void printf_(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));
#define printf printf_
/* "# ..." line: information that must be the same on every loader. */
void note(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));

int check(int cond, const char *fmt, ...) __attribute__((format(__printf__, 2, 3)));
int check_eq(u64 got, u64 exp, const char *fmt, ...) __attribute__((format(__printf__, 3, 4)));
int check_str(const char *got, const char *exp, const char *fmt, ...)
    __attribute__((format(__printf__, 3, 4)));
/* got/exp: NOFAULT or a vector; printed as "no fault" / "#GP" ... */
int check_fault(int got, int exp, const char *fmt, ...) __attribute__((format(__printf__, 3, 4)));
extern u32 checks_passed, checks_failed;

/* Command line: argv[0] = first word (the kernel as the loader names it). */
extern int mbk_argc;
extern char *mbk_argv[];
const char *arg_get(const char *key);           /* value of key=value, or NULL */
u32 arg_u32(const char *key, u32 dflt);         /* decimal or 0x hex */
int parse_u32(const char *s, u32 *out);         /* 1 when s is a whole number */
const char *basename_(const char *path);
const char *kernel_name(void);

u32 strlen_(const char *s);
int strcmp_(const char *a, const char *b);
int memcmp_(const void *a, const void *b, u32 n);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

__attribute__((noreturn)) void mbk_exit(u32 v);
__attribute__((noreturn)) void rt_finish(void);

#endif

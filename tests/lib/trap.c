/* tests/lib/trap.c — the IDT (the IVT in real mode) and the one C
 * dispatcher behind the stubs of trap16.S / trap32.S / trap64.S. Order: a
 * fault (vector < 32) under TRY resumes at recover_ip; else the vector's
 * handler; else an interrupt counts as stray and an exception goes to
 * trap_unexpected(). */
#include "libtest.h"

volatile uptr recover_ip;
volatile int fault_vec = NOFAULT;
volatile u32 fault_err;
volatile u32 stray_irqs, stray_last_vec;
static trap_fn handlers[256];

void trap_set_handler(unsigned vec, trap_fn fn)
{
    handlers[vec & 255] = fn;
}

void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
    unsigned vec = (unsigned)f->vec;
    if (vec < 32 && recover_ip) {
        fault_vec = (int)vec;
        fault_err = (u32)f->err;
        f->ip = recover_ip;
        recover_ip = 0;
    } else if (handlers[vec]) {
        handlers[vec](f);
    } else if (vec >= 32) {
        stray_irqs++;
        stray_last_vec = vec;
    } else {
        trap_unexpected(f);
    }
}

#if RT_BITS == 16
extern const u16 trap_stubs[256];

void trap_init(void)
{
    /* The IVT is at address 0: an opaque pointer, not a null one. */
    volatile u32 *ivt;
    __asm__("" : "=r"(ivt) : "0"(0));
    for (unsigned v = 0; v < 256; v++)
        ivt[v] = trap_stubs[v];         /* segment 0 */
}
#else
extern const uptr trap_stubs[256];

#if RT_BITS == 64
#define GATE_SIZE 16
#define GATE_CS   GDT_CODE64
#else
#define GATE_SIZE 8
#define GATE_CS   GDT_CODE32
#endif
/* 64-bit: exactly one page, which the events guest has the hypervisor
 * unmap. */
u8 idt[256 * GATE_SIZE] __attribute__((aligned(RT_BITS == 64 ? 4096 : 8)));
/* The pseudo-descriptor for LIDT (asm that left the IDT: `lidt idt_desc`). */
struct __attribute__((packed)) {
    u16 limit;
    uptr base;
} idt_desc = { sizeof idt - 1, 0 };

void idt_set_gate(unsigned vec, uptr target, unsigned dpl)
{
    u8 *g = idt + (vec & 255) * GATE_SIZE;
    uptr a = target ? target : trap_stubs[vec & 255];
    memset(g, 0, GATE_SIZE);
    g[0] = (u8)a;
    g[1] = (u8)(a >> 8);
    g[2] = (u8)GATE_CS;
    g[3] = (u8)(GATE_CS >> 8);
    g[5] = (u8)(0x8E | (dpl & 3) << 5);  /* present, interrupt gate */
    g[6] = (u8)(a >> 16);
    g[7] = (u8)(a >> 24);
#if RT_BITS == 64
    for (unsigned i = 0; i < 4; i++)
        g[8 + i] = (u8)(a >> (32 + 8 * i));
#endif
}

void idt_set_present(unsigned vec, int present)
{
    u8 *type = idt + (vec & 255) * GATE_SIZE + 5;
    *type = present ? (*type | 0x80) : (*type & 0x7F);
}

void trap_init(void)
{
    for (unsigned v = 0; v < 256; v++)
        idt_set_gate(v, 0, 0);
    idt_desc.base = (uptr)idt;
    __asm__ volatile("lidt %0" : : "m"(idt_desc) : "memory");
}
#endif

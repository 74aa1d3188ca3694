/* demo/console.h — the demo hypervisor's console and trap reporting.
 *
 * Every byte goes to port 0xE9 (Bochs' e9 hack: Bochs' stdout) and to COM1
 * (0x3F8, 115200 8N1, polled). The UART is initialised on first use.
 */
#ifndef DEMO_CONSOLE_H
#define DEMO_CONSOLE_H

#include <stdint.h>

void con_init(void);
void con_putc(char c);
void con_puts(const char *s);
/* %s %c %d %i %u %x %X %p %%, length modifiers l ll z, field width,
 * flags '0' and '-'. */
void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whether the demo's own output also goes to COM1 (default: yes). A guest
 * run turns it off so that COM1 carries the guest's console alone. */
void con_set_serial(int on);
/* One byte of the guest's console: to port 0xE9 and COM1. */
void con_guest_putc(char c);
/* Wait until COM1 has shifted out everything (before Bochs ends). */
void con_guest_flush(void);

/* Ends Bochs: writes "Shutdown" to port 0x8900, then cli; hlt forever. */
void bochs_shutdown(void) __attribute__((noreturn));

/* Register frame built by the interrupt stubs in boot.S (lowest address
 * first). */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;      /* pushed by the CPU */
};

/* Optional hook, tried first for every vector. Return nonzero when the
 * event was handled: the stub then returns to the interrupted code (IRETQ).
 * Otherwise (or with no hook) trap_dispatch prints
 * "EXCEPTION vec=.. err=.. rip=.. cr2=.." (or "INTERRUPT vec=..") with the
 * registers and shuts Bochs down. */
extern int (*trap_hook)(struct trap_frame *f);

/* Called from boot.S. */
void trap_dispatch(struct trap_frame *f);

#endif

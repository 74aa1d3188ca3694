/* demo/console.c — port 0xE9 + COM1 console, tiny printf, trap reporting. */
#include <stdint.h>
#include <stddef.h>
#include "console.h"
#include "arch.h"

#define E9_PORT     0xE9
#define COM1        0x3F8
#define UART_THR    0       /* transmit holding (DLAB=0) */
#define UART_DLL    0       /* divisor low (DLAB=1) */
#define UART_IER    1
#define UART_DLH    1       /* divisor high (DLAB=1) */
#define UART_FCR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define LSR_THRE    0x20    /* transmit holding register (FIFO) empty */
#define LSR_TEMT    0x40    /* transmitter completely idle */

static int con_ready;
static int con_serial = 1;

void con_init(void)
{
    outb(COM1 + UART_IER, 0x00);        /* no interrupts */
    outb(COM1 + UART_LCR, 0x80);        /* DLAB */
    outb(COM1 + UART_DLL, 0x01);        /* 115200 = 115200 / 1 */
    outb(COM1 + UART_DLH, 0x00);
    outb(COM1 + UART_LCR, 0x03);        /* 8N1, DLAB off */
    outb(COM1 + UART_FCR, 0xC7);        /* FIFO on, clear, 14-byte threshold */
    outb(COM1 + UART_MCR, 0x03);        /* DTR | RTS */
    con_ready = 1;
}

static void serial_putc(char c)
{
    /* Bounded wait: a missing UART reads 0xFF (THRE set) anyway. */
    for (unsigned i = 0; i < 1000000u; i++)
        if (inb(COM1 + UART_LSR) & LSR_THRE)
            break;
    outb(COM1 + UART_THR, (uint8_t)c);
}

void con_putc(char c)
{
    if (!con_ready)
        con_init();
    if (con_serial)
        serial_putc(c);
    outb(E9_PORT, (uint8_t)c);
}

void con_set_serial(int on)
{
    con_serial = on;
}

void con_guest_putc(char c)
{
    if (!con_ready)
        con_init();
    serial_putc(c);
    outb(E9_PORT, (uint8_t)c);
}

void con_guest_flush(void)
{
    for (unsigned i = 0; i < 1000000u; i++)
        if (inb(COM1 + UART_LSR) & LSR_TEMT)
            break;
}

void con_puts(const char *s)
{
    while (*s)
        con_putc(*s++);
}

/* ------------------------------------------------------------- printf */
static void put_padded(const char *s, size_t len, int width, int left, char pad)
{
    int fill = width > (int)len ? width - (int)len : 0;
    if (!left) {
        /* zero padding goes after a sign */
        if (pad == '0' && len > 0 && s[0] == '-') {
            con_putc('-');
            s++;
            len--;
        }
        while (fill-- > 0)
            con_putc(pad);
    }
    for (size_t i = 0; i < len; i++)
        con_putc(s[i]);
    if (left)
        while (fill-- > 0)
            con_putc(' ');
}

static size_t fmt_u64(char *buf, uint64_t v, unsigned base, int upper, int neg)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    size_t n = 0, len = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (neg)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    return len;
}

void con_printf(const char *fmt, ...)
{
    __builtin_va_list ap;
    __builtin_va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            con_putc(*p);
            continue;
        }
        p++;
        int left = 0;
        char pad = ' ';
        for (;; p++) {
            if (*p == '-')
                left = 1;
            else if (*p == '0')
                pad = '0';
            else
                break;
        }
        if (left)
            pad = ' ';
        int width = 0;
        while (*p >= '0' && *p <= '9')
            width = width * 10 + (*p++ - '0');
        int lng = 0;                    /* 0: int, 1: long, 2: long long */
        if (*p == 'l') {
            lng = 1;
            p++;
            if (*p == 'l') {
                lng = 2;
                p++;
            }
        } else if (*p == 'z') {
            lng = 1;
            p++;
        }

        char buf[32];
        size_t len;
        switch (*p) {
        case 'd':
        case 'i': {
            int64_t v;
            if (lng == 2)
                v = __builtin_va_arg(ap, long long);
            else if (lng == 1)
                v = __builtin_va_arg(ap, long);
            else
                v = __builtin_va_arg(ap, int);
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            len = fmt_u64(buf, mag, 10, 0, v < 0);
            put_padded(buf, len, width, left, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v;
            if (lng == 2)
                v = __builtin_va_arg(ap, unsigned long long);
            else if (lng == 1)
                v = __builtin_va_arg(ap, unsigned long);
            else
                v = __builtin_va_arg(ap, unsigned int);
            len = fmt_u64(buf, v, *p == 'u' ? 10 : 16, *p == 'X', 0);
            put_padded(buf, len, width, left, pad);
            break;
        }
        case 'p': {
            uint64_t v = (uint64_t)(uintptr_t)__builtin_va_arg(ap, void *);
            buf[0] = '0';
            buf[1] = 'x';
            len = 2 + fmt_u64(buf + 2, v, 16, 0, 0);
            put_padded(buf, len, width, left, ' ');
            break;
        }
        case 's': {
            const char *s = __builtin_va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            size_t n = 0;
            while (s[n])
                n++;
            put_padded(s, n, width, left, ' ');
            break;
        }
        case 'c':
            buf[0] = (char)__builtin_va_arg(ap, int);
            put_padded(buf, 1, width, left, ' ');
            break;
        case '%':
            con_putc('%');
            break;
        case '\0':
            p--;                        /* lone '%' at the end */
            break;
        default:                        /* unknown: print it verbatim */
            con_putc('%');
            con_putc(*p);
            break;
        }
    }
    __builtin_va_end(ap);
}

/* ------------------------------------------------------------ shutdown */
void bochs_shutdown(void)
{
    static const char s[] = "Shutdown";
    /* Let the UART finish shifting out the last bytes (LSR.TEMT): Bochs
     * writes a byte to its COM1 file only when the transmission completes. */
    for (unsigned i = 0; i < 1000000u; i++)
        if (inb(COM1 + UART_LSR) & LSR_TEMT)
            break;
    for (const char *p = s; *p; p++)
        outb(0x8900, (uint8_t)*p);
    for (;;)
        cli_hlt();
}

/* --------------------------------------------------------------- traps */
int (*trap_hook)(struct trap_frame *f);

static const char *const exc_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
    "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "(15)",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "(22)", "(23)",
    "(24)", "(25)", "(26)", "(27)", "#HV", "#VC", "#SX", "(31)",
};

void trap_dispatch(struct trap_frame *f)
{
    if (trap_hook && trap_hook(f))
        return;

    uint64_t cr2 = read_cr2();
    if (f->vector < 32)
        con_printf("\nEXCEPTION vec=%llu (%s) err=0x%llx rip=0x%llx cr2=0x%llx\n",
                   (unsigned long long)f->vector, exc_names[f->vector],
                   (unsigned long long)f->error_code, (unsigned long long)f->rip,
                   (unsigned long long)cr2);
    else
        con_printf("\nINTERRUPT vec=%llu rip=0x%llx (unexpected)\n",
                   (unsigned long long)f->vector, (unsigned long long)f->rip);
    con_printf("  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n",
               (unsigned long long)f->rax, (unsigned long long)f->rbx,
               (unsigned long long)f->rcx, (unsigned long long)f->rdx);
    con_printf("  rsi=%016llx rdi=%016llx rbp=%016llx rsp=%016llx\n",
               (unsigned long long)f->rsi, (unsigned long long)f->rdi,
               (unsigned long long)f->rbp, (unsigned long long)f->rsp);
    con_printf("  r8 =%016llx r9 =%016llx r10=%016llx r11=%016llx\n",
               (unsigned long long)f->r8, (unsigned long long)f->r9,
               (unsigned long long)f->r10, (unsigned long long)f->r11);
    con_printf("  r12=%016llx r13=%016llx r14=%016llx r15=%016llx\n",
               (unsigned long long)f->r12, (unsigned long long)f->r13,
               (unsigned long long)f->r14, (unsigned long long)f->r15);
    con_printf("  cs=%llx ss=%llx rflags=%llx\n", (unsigned long long)f->cs,
               (unsigned long long)f->ss, (unsigned long long)f->rflags);
    bochs_shutdown();
}

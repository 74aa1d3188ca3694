/* tests/mbk/rt.c — runtime of the multiboot test kernels: COM1, printf,
 * checks, command line, IDT and interrupts, exit. See rt.h. */
#include "rt.h"

/* ------------------------------------------------------------------ COM1 */
#define COM1 0x3F8

void com1_init(void)
{
    outb(COM1 + 1, 0x00);               /* IER: no interrupts */
    outb(COM1 + 3, 0x80);               /* LCR: DLAB */
    outb(COM1 + 0, 0x01);               /* divisor 1: 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);               /* 8N1, DLAB off */
    outb(COM1 + 2, 0xC7);               /* FIFO on, cleared, 14-byte trigger */
    outb(COM1 + 4, 0x03);               /* DTR, RTS (no OUT2: no IRQ) */
}

void com1_putc(char c)
{
    /* LSR bit 5: THR empty. Bounded, so a missing UART cannot hang us. */
    for (u32 i = 0; i < 10000000u && !(inb(COM1 + 5) & 0x20); i++)
        cpu_pause();
    outb(COM1, (u8)c);
}

static void puts_(const char *s)
{
    while (*s)
        com1_putc(*s++);
}

/* ---------------------------------------------------------------- printf */
struct out { char *buf; u32 size, len; };

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_num(struct out *o, u64 v, unsigned base, int width, char pad, int neg)
{
    char tmp[24];
    int n = 0;
    if (base == 10) {
        u32 w = (u32)v;                 /* 32-bit decimal only (no libgcc) */
        do { tmp[n++] = (char)('0' + w % 10); w /= 10; } while (w);
    } else {
        do { tmp[n++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
    }
    if (neg)
        tmp[n++] = '-';
    while (n < width)
        tmp[n++] = pad;
    while (n)
        put(o, tmp[--n]);
}

int vsnprintf_(char *buf, u32 size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, longs = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            longs++;
            fmt++;
        }
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int l = (int)strlen_(s);
            for (; l < width; l++)
                put(&o, ' ');
            while (*s)
                put(&o, *s++);
            break;
        }
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case 'd': {
            int v = va_arg(ap, int);
            put_num(&o, v < 0 ? (u32)-(u32)v : (u32)v, 10, width, pad, v < 0);
            break;
        }
        case 'u':
            put_num(&o, va_arg(ap, u32), 10, width, pad, 0);
            break;
        case 'x':
            put_num(&o, longs >= 2 ? va_arg(ap, u64) : va_arg(ap, u32), 16, width, pad, 0);
            break;
        case '%':
            put(&o, '%');
            break;
        case '\0':
            fmt--;
            break;
        default:
            put(&o, '%');
            put(&o, *fmt);
            break;
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

void printf_(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf_(buf, sizeof buf, fmt, ap);
    va_end(ap);
    puts_(buf);
}

void note(const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf_(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("# %s\n", buf);
}

/* ---------------------------------------------------------------- checks */
u32 checks_passed, checks_failed;

static int verdict(int ok, const char *name, const char *got, const char *exp)
{
    if (ok) {
        checks_passed++;
        printf("ok - %s\n", name);
    } else {
        checks_failed++;
        printf("not ok - %s: got %s expected %s\n", name, got, exp);
    }
    return ok;
}

int check(int cond, const char *fmt, ...)
{
    char name[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf_(name, sizeof name, fmt, ap);
    va_end(ap);
    return verdict(cond != 0, name, "false", "true");
}

int check_eq(u64 got, u64 exp, const char *fmt, ...)
{
    char name[200], g[24], e[24];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf_(name, sizeof name, fmt, ap);
    va_end(ap);
    /* Hex; small values also fit the reader as decimal. */
    struct out og = { g, sizeof g, 0 }, oe = { e, sizeof e, 0 };
    put(&og, '0'); put(&og, 'x'); put_num(&og, got, 16, 0, ' ', 0); g[og.len] = '\0';
    put(&oe, '0'); put(&oe, 'x'); put_num(&oe, exp, 16, 0, ' ', 0); e[oe.len] = '\0';
    return verdict(got == exp, name, g, e);
}

/* "text" with non-printable bytes as \xNN (so the output stays text), or (none). */
static void quote(char *buf, u32 size, const char *s)
{
    struct out o = { buf, size, 0 };
    const char *p;
    if (!s) {
        for (p = "(none)"; *p; p++)
            put(&o, *p);
    } else {
        put(&o, '"');
        for (p = s; *p && o.len < 64; p++) {
            u8 c = (u8)*p;
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                put(&o, (char)c);
            } else {
                put(&o, '\\');
                put(&o, 'x');
                put_num(&o, c, 16, 2, '0', 0);
            }
        }
        if (*p)
            for (const char *e = "..."; *e; e++)
                put(&o, *e);
        put(&o, '"');
    }
    buf[o.len < size ? o.len : size - 1] = '\0';
}

int check_str(const char *got, const char *exp, const char *fmt, ...)
{
    char name[200], g[300], e[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf_(name, sizeof name, fmt, ap);
    va_end(ap);
    int ok = got && exp && strcmp_(got, exp) == 0;
    quote(g, sizeof g, got);
    quote(e, sizeof e, exp);
    return verdict(ok, name, g, e);
}

static const char *fault_name(int v)
{
    static const char *const names[32] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS", "#NP",
        "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    };
    if (v == NOFAULT)
        return "no fault";
    return v >= 0 && v < 32 && names[v] ? names[v] : "#?";
}

int check_fault(int got, int exp, const char *fmt, ...)
{
    char name[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf_(name, sizeof name, fmt, ap);
    va_end(ap);
    return verdict(got == exp, name, fault_name(got), fault_name(exp));
}

/* --------------------------------------------------------------- strings */
u32 strlen_(const char *s)
{
    u32 n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp_(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (u8)*a - (u8)*b;
}

int memcmp_(const void *a, const void *b, u32 n)
{
    const u8 *x = a, *y = b;
    for (u32 i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] - y[i];
    return 0;
}

void *memset(void *d, int c, size_t n)
{
    u8 *p = d;
    while (n--)
        *p++ = (u8)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    u8 *p = d;
    const u8 *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

const char *basename_(const char *path)
{
    const char *b = path;
    for (const char *p = path; *p; p++)
        if (*p == '/')
            b = p + 1;
    return b;
}

/* ---------------------------------------------------------- command line */
#define MAX_ARGS 32
int mbk_argc;
char *mbk_argv[MAX_ARGS + 1];
static char cmdline_copy[1024];

static void parse_cmdline(const char *s)
{
    u32 n = 0;
    while (*s && n + 1 < sizeof cmdline_copy)
        cmdline_copy[n++] = *s++;
    cmdline_copy[n] = '\0';
    char *p = cmdline_copy;
    while (*p && mbk_argc < MAX_ARGS) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        mbk_argv[mbk_argc++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    mbk_argv[mbk_argc] = NULL;
}

const char *arg_get(const char *key)
{
    u32 kl = strlen_(key);
    for (int i = 1; i < mbk_argc; i++)
        if (memcmp_(mbk_argv[i], key, kl) == 0 && mbk_argv[i][kl] == '=')
            return mbk_argv[i] + kl + 1;
    return NULL;
}

int parse_u32(const char *s, u32 *out)
{
    u32 v = 0, base = 10;
    if (!s || !*s)
        return 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!*s)
            return 0;
    }
    for (; *s; s++) {
        u32 d;
        if (*s >= '0' && *s <= '9') d = (u32)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f') d = (u32)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F') d = (u32)(*s - 'A' + 10);
        else return 0;
        v = v * base + d;
    }
    *out = v;
    return 1;
}

u32 arg_u32(const char *key, u32 dflt)
{
    u32 v;
    return parse_u32(arg_get(key), &v) ? v : dflt;
}

const char *kernel_name(void)
{
    return mbk_argc > 0 ? basename_(mbk_argv[0]) : "mbk";
}

/* ------------------------------------------------------------------ exit */
/* The cmdline's end=... picks another way to end, to test how the
 * hypervisor reports each: triple (fault), halt (cli; hlt), spin (never
 * ends), acpi (QEMU's ACPI power-off), reset (keyboard controller). */
static void end_other(void)
{
    const char *how = arg_get("end");
    static const struct { u16 limit; u32 base; } __attribute__((packed)) no_idt = { 0, 0 };
    if (!how)
        return;
    if (!strcmp_(how, "triple"))
        __asm__ volatile("lidt %0; int3" : : "m"(no_idt));
    else if (!strcmp_(how, "halt"))
        for (;;)
            __asm__ volatile("cli; hlt");
    else if (!strcmp_(how, "spin"))
        for (;;)
            cpu_pause();
    else if (!strcmp_(how, "acpi"))
        outw(0x604, 0x2000);
    else if (!strcmp_(how, "reset"))
        outb(0x64, 0xfe);
}

__attribute__((noreturn)) void mbk_exit(u32 v)
{
    end_other();
    outl(0xF4, v);                      /* QEMU isa-debug-exit */
    for (const char *s = "Shutdown"; *s; s++)
        outb(0x8900, (u8)*s);           /* Bochs */
    for (;;)
        __asm__ volatile("cli; hlt");
}

__attribute__((noreturn)) void rt_finish(void)
{
    u32 v = checks_failed ? MBK_EXIT_FAIL : arg_u32("status", 0);
    printf("%s: %u passed, %u failed\n", kernel_name(), checks_passed, checks_failed);
    /* Let the last byte leave the UART (TEMT) before the machine ends. */
    for (u32 i = 0; i < 10000000u && !(inb(COM1 + 5) & 0x40); i++)
        cpu_pause();
    mbk_exit(v);
}

/* ------------------------------------------------------------ interrupts */
struct idt_gate { u16 off_lo, sel; u8 zero, type; u16 off_hi; } __attribute__((packed));
static struct idt_gate idt[256];
static struct { u16 limit; u32 base; } __attribute__((packed)) idt_ptr;
extern const u32 idt_stubs[256];
extern volatile u32 recover_ip;
extern volatile int fault_vec;
volatile u32 fault_err;
static irq_fn irq_handlers[256];
volatile u32 stray_irqs, stray_last_vec;

static void idt_init(void)
{
    for (int v = 0; v < 256; v++) {
        u32 a = idt_stubs[v];
        idt[v].off_lo = (u16)a;
        idt[v].sel = 0x08;
        idt[v].zero = 0;
        idt[v].type = 0x8E;             /* present, DPL 0, 32-bit interrupt gate */
        idt[v].off_hi = (u16)(a >> 16);
    }
    idt_ptr.limit = sizeof idt - 1;
    idt_ptr.base = (u32)(uintptr_t)idt;
    __asm__ volatile("lidt %0" :: "m"(idt_ptr));
}

void irq_register(u8 vec, irq_fn fn)
{
    irq_handlers[vec] = fn;
}

void rt_trap(struct trap_frame *f);
void rt_trap(struct trap_frame *f)
{
    if (f->vec < 32 && recover_ip) {
        fault_vec = (int)f->vec;
        fault_err = f->err;
        f->eip = recover_ip;
        recover_ip = 0;
        return;
    }
    if (irq_handlers[f->vec]) {
        irq_handlers[f->vec](f);
        return;
    }
    if (f->vec >= 32) {
        stray_irqs++;
        stray_last_vec = f->vec;
        return;
    }
    checks_failed++;
    printf("not ok - unexpected exception: vector %u error 0x%x eip 0x%08x\n",
           f->vec, f->err, f->eip);
    rt_finish();
}

void pic_remap_mask(void)
{
    outb(0x21, 0xFF);                   /* mask everything first */
    outb(0xA1, 0xFF);
    outb(0x20, 0x11);                   /* ICW1: edge, cascade, ICW4 */
    outb(0xA0, 0x11);
    outb(0x21, PIC_VEC_BASE);           /* ICW2: vector bases */
    outb(0xA1, PIC_VEC_BASE + 8);
    outb(0x21, 0x04);                   /* ICW3: slave on IRQ2 */
    outb(0xA1, 0x02);
    outb(0x21, 0x01);                   /* ICW4: 8086 mode */
    outb(0xA1, 0x01);
    outb(0x21, 0xFF);                   /* OCW1: all masked */
    outb(0xA1, 0xFF);
}

void spin(u32 n)
{
    for (u32 i = 0; i < n; i++)
        cpu_pause();
}

#define POLL_MAX 20000000u

int wait_irqs(volatile u32 *cnt, u32 target, int (*armed)(void), u32 *hlts, u32 *spurious)
{
    *hlts = 0;
    *spurious = 0;
    cli();
    u32 start = *cnt;
    if (start < target) {
        /* Poll for the first: proves the interrupt is delivered at all. */
        sti();
        for (u32 i = 0; i < POLL_MAX && *cnt == start; i++)
            cpu_pause();
        cli();
        if (*cnt == start)
            return -1;
    }
    while (*cnt < target) {
        if (armed && !armed())
            return -2;
        u32 before = *cnt;
        __asm__ volatile("sti; hlt; cli" ::: "memory");
        (*hlts)++;
        if (*cnt == before)
            (*spurious)++;
        if (*hlts > 4 * target + 16)
            return -3;
    }
    return 0;
}

/* ----------------------------------------------------------------- start */
void rt_start(void);
void rt_start(void)
{
    com1_init();
    idt_init();
    const struct mb_info *mbi = (const struct mb_info *)(uintptr_t)mb_info_addr;
    if (mb_magic == MB_BOOT_MAGIC && (mbi->flags & MBI_CMDLINE) && mbi->cmdline)
        parse_cmdline((const char *)(uintptr_t)mbi->cmdline);
    note("%s: multiboot test kernel", kernel_name());
    mbk_main();
    rt_finish();
}

/* tests/lib/printf.c — vsnprintf/snprintf/printf: %s %c %d %u %x, the '0'
 * flag, a width, l and ll; %%. No libgcc: 64-bit decimal divides by 10
 * with shifts on 32-bit targets. */
#include "libtest.h"

struct out {
    char *buf;          /* NULL: straight to the console */
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (!o->buf)
        console_putc(c);
    else if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static u64 div10(u64 n, unsigned *rem)
{
#if RT_BITS == 64
    *rem = (unsigned)(n % 10);
    return n / 10;
#else
    /* Hacker's Delight 10-17: q = n / 10 from shifts and adds. */
    u64 q = (n >> 1) + (n >> 2);
    q += q >> 4;
    q += q >> 8;
    q += q >> 16;
    q += q >> 32;
    q >>= 3;
    u64 r = n - ((q << 3) + (q << 1));
    if (r > 9) {
        q++;
        r -= 10;
    }
    *rem = (unsigned)r;
    return q;
#endif
}

static void put_num(struct out *o, u64 v, unsigned base, int width, char pad, int neg)
{
    char tmp[24];
    int n = 0;
    do {
        unsigned d;
        if (base == 10) {
            v = div10(v, &d);
        } else {
            d = (unsigned)(v & 15);
            v >>= 4;
        }
        tmp[n++] = "0123456789abcdef"[d];
    } while (v);
    if (neg)
        tmp[n++] = '-';
    while (n < width && n < (int)sizeof tmp)
        tmp[n++] = pad;
    while (n)
        put(o, tmp[--n]);
}

static void format(struct out *o, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(o, *fmt);
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
            for (int l = (int)strlen(s); l < width; l++)
                put(o, ' ');
            while (*s)
                put(o, *s++);
            break;
        }
        case 'c':
            put(o, (char)va_arg(ap, int));
            break;
        case 'd': {
            long long v = longs >= 2 ? va_arg(ap, long long)
                        : longs ? va_arg(ap, long) : va_arg(ap, int);
            put_num(o, v < 0 ? -(u64)v : (u64)v, 10, width, pad, v < 0);
            break;
        }
        case 'u':
        case 'x': {
            u64 v = longs >= 2 ? va_arg(ap, unsigned long long)
                  : longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            put_num(o, v, *fmt == 'u' ? 10 : 16, width, pad, 0);
            break;
        }
        case '%':
            put(o, '%');
            break;
        case '\0':
            fmt--;
            break;
        default:
            put(o, '%');
            put(o, *fmt);
            break;
        }
    }
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    format(&o, fmt, ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int printf(const char *fmt, ...)
{
    struct out o = { NULL, 0, 0 };
    va_list ap;
    va_start(ap, fmt);
    format(&o, fmt, ap);
    va_end(ap);
    return (int)o.len;
}

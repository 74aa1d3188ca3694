/* tests/linux/pcicfg.c — pcicfg: prints the PCI configuration header words
 * of 00:00.0 and 00:01.0 as configuration mechanism #1 (ports 0xCF8/0xCFC,
 * PCI Local Bus Specification 3.0, 3.2.2.3.2) returns them, straight from
 * user space (ioperm), whatever the kernel enumerated:
 *   "BB:DD.F VVVV:DDDD class CCCCCC rev RR header HH"
 * An absent function reads all-ones. Static, no libc: raw x86-64 syscalls
 * (ioperm 173, write 1, exit 60). */
static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static void outl(unsigned v, unsigned short p)
{
    __asm__ volatile("outl %0,%1" ::"a"(v), "Nd"(p));
}

static unsigned inl(unsigned short p)
{
    unsigned v;
    __asm__ volatile("inl %1,%0" : "=a"(v) : "Nd"(p));
    return v;
}

static unsigned cfg(unsigned dev, unsigned reg)
{
    outl(0x80000000u | (dev << 11) | reg, 0xcf8);
    return inl(0xcfc);
}

static char *hex(char *o, unsigned v, int digits)
{
    while (digits--)
        *o++ = "0123456789abcdef"[(v >> (4 * digits)) & 15];
    return o;
}

static char *str(char *o, const char *s)
{
    while (*s)
        *o++ = *s++;
    return o;
}

void start_c(void);
void start_c(void)
{
    char buf[160], *o = buf;
    if (sys3(173, 0xcf8, 8, 1) != 0) {
        o = str(o, "pcicfg: ioperm failed\n");
    } else {
        for (unsigned dev = 0; dev < 2; dev++) {
            unsigned id = cfg(dev, 0), cr = cfg(dev, 8), hd = cfg(dev, 0xc);
            o = str(o, "00:");
            o = hex(o, dev, 2);
            o = str(o, ".0 ");
            o = hex(o, id & 0xffff, 4);
            o = str(o, ":");
            o = hex(o, id >> 16, 4);
            o = str(o, " class ");
            o = hex(o, cr >> 8, 6);
            o = str(o, " rev ");
            o = hex(o, cr & 0xff, 2);
            o = str(o, " header ");
            o = hex(o, (hd >> 16) & 0xff, 2);
            o = str(o, "\n");
        }
        outl(0, 0xcf8);
    }
    sys3(1, 1, (long)buf, o - buf);
    sys3(60, 0, 0, 0);
    for (;;)
        ;
}
__asm__(".globl _start\n_start:\n and $-16,%rsp\n call start_c\n");

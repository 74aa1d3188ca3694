/* tests/linux/bxmark.c — bxmark TEXT: writes TEXT and a newline to port
 * 0xE9 (the demo's debug console; Bochs' port_e9_hack on bare Bochs), then
 * runs xchg %bx,%bx, the Bochs magic breakpoint: with magic_break enabled
 * the debugger stops and prints "Next at t=TICKS", which times the mark.
 * Static, no libc: raw x86-64 syscalls (ioperm 173, exit 60). */
static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static void outb(unsigned char v, unsigned short p)
{
    __asm__ volatile("outb %0,%1" ::"a"(v), "Nd"(p));
}

void start_c(long *sp);
void start_c(long *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    if (sys3(173, 0xe9, 1, 1) == 0) {
        const char *s = argc > 1 ? argv[1] : "MARK";
        while (*s)
            outb((unsigned char)*s++, 0xe9);
        outb('\n', 0xe9);
    }
    __asm__ volatile("xchg %%bx,%%bx" ::: "memory");
    sys3(60, 0, 0, 0);
    for (;;)
        ;
}
__asm__(".globl _start\n_start:\n mov %rsp,%rdi\n and $-16,%rsp\n call start_c\n");

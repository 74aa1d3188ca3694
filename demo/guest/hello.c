/* demo/guest/hello.c — the greeting guest of `make run`: prints through the
 * debug console port 0xE9, which the demo forwards to its console, asks
 * CPUID who its hypervisor is, and halts. Built for real mode (gcc -m16:
 * 32-bit code with operand-size prefixes) and loaded at 0x8000. */
#include <stdint.h>

#define DEBUGCON_PORT 0xe9

static void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }

static void puts_(const char *s)
{
    while (*s)
        outb(DEBUGCON_PORT, (uint8_t)*s++);
}

void hello_main(void);
void hello_main(void)
{
    uint32_t a, sig[4];
    /* Leaf 0x40000000: the hypervisor's vendor in EBX, ECX, EDX. */
    __asm__ volatile("cpuid" : "=a"(a), "=b"(sig[0]), "=c"(sig[1]), "=d"(sig[2]) : "a"(0x40000000u), "c"(0));
    sig[3] = 0;
    /* Leaf 1: ECX[31] hypervisor present, ECX[5] VMX. */
    uint32_t c1, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(d), "=c"(c1), "=d"(d) : "a"(1), "c"(0));
    puts_("Hello from a real-mode guest of x86vcpu!\n");
    puts_("CPUID says: hypervisor present = ");
    puts_(c1 & (1u << 31) ? "yes" : "no");
    puts_(", vendor \"");
    puts_((const char *)sig);
    puts_("\", VMX visible = ");
    puts_(c1 & (1u << 5) ? "yes" : "no");
    puts_("\nGoodbye: halting.\n");
    __asm__ volatile("cli; hlt");
}

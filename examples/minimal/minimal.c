/* examples/minimal/minimal.c — the smallest useful embedding of x86vcpu.
 *
 * A hypervisor kernel running in ring 0 on a CPU with VMX calls
 * minimal_main(): it turns VMX on, gives a real-mode guest 64 KiB of RAM
 * through the library's EPT, runs it until it halts, and prints what the
 * guest wrote to port 0xE9 and how many exits it took. Everything the
 * library needs from the kernel is the HAL: 4 KiB frames and the mapping
 * between physical and virtual addresses. Here the kernel is assumed to map
 * memory 1:1 (as many small hypervisors do); a kernel with another mapping
 * changes phys_to_virt/virt_to_phys and nothing else.
 *
 * The demo in the x86vcpu tree (demo/) is the complete example: a PC
 * platform, multiboot and Linux loaders, statistics. */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

#if X86VCPU_VERSION_NUMBER < 0x000900
#error "this example needs x86vcpu 0.9 or later"
#endif

/* ------------------------------------------------------------------ HAL */
#define POOL_FRAMES 64
static uint8_t pool[POOL_FRAMES][4096] __attribute__((aligned(4096)));
static uint64_t pool_used; /* bit i: frame i handed out */

static uint64_t hal_alloc(void *ctx)
{
    (void)ctx;
    for (unsigned i = 0; i < POOL_FRAMES; i++) {
        if (pool_used & (1ull << i))
            continue;
        pool_used |= 1ull << i;
        for (unsigned j = 0; j < 4096; j++) /* the HAL's contract: zeroed */
            pool[i][j] = 0;
        return (uint64_t)(uintptr_t)pool[i];
    }
    return 0;
}

static void hal_free(void *ctx, uint64_t pa)
{
    (void)ctx;
    pool_used &= ~(1ull << ((pa - (uint64_t)(uintptr_t)pool) / 4096));
}

static void *hal_p2v(void *ctx, uint64_t pa) { (void)ctx; return (void *)(uintptr_t)pa; }
static uint64_t hal_v2p(void *ctx, const void *va) { (void)ctx; return (uint64_t)(uintptr_t)va; }

static const struct x86vcpu_hal hal = {
    .alloc_frame = hal_alloc, .free_frame = hal_free,
    .phys_to_virt = hal_p2v, .virt_to_phys = hal_v2p,
};

/* -------------------------------------------------------------- console */
static void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static void puts_(const char *s) { while (*s) outb(0xe9, (uint8_t)*s++); }
static void putu(uint64_t v)
{
    char b[21];
    int i = 20;
    b[i] = 0;
    do b[--i] = (char)('0' + v % 10); while ((v /= 10) && i);
    puts_(b + i);
}

/* ---------------------------------------------------------------- guest */
/* Real mode at 0x1000: print the string at 0x1100 on port 0xE9, then HLT.
 *   mov si,0x1100 / lodsb / test al,al / jz +4 / out 0xe9,al / jmp -9 / hlt */
static const uint8_t guest_code[] = { 0xbe, 0x00, 0x11, 0xac, 0x84, 0xc0, 0x74, 0x04,
                                      0xe6, 0xe9, 0xeb, 0xf7, 0xf4 };
static const char guest_msg[] = "hello from a guest\n";
static uint8_t guest_ram[64 * 1024] __attribute__((aligned(4096)));

int minimal_main(void);
int minimal_main(void)
{
    static struct x86vcpu_cpu cpu; /* one per physical CPU */
    struct x86vcpu_ept *ept;
    struct x86vcpu_vcpu *v;
    for (unsigned i = 0; i < sizeof guest_code; i++)
        guest_ram[0x1000 + i] = guest_code[i];
    for (unsigned i = 0; i < sizeof guest_msg; i++)
        guest_ram[0x1100 + i] = (uint8_t)guest_msg[i];

    int err = x86vcpu_cpu_enable(&cpu, &hal);
    if (!err)
        err = x86vcpu_ept_create(&cpu, X86VCPU_EPT_AD, &ept);
    if (!err)
        err = x86vcpu_ept_map(ept, 0, hal_v2p(0, guest_ram), sizeof guest_ram, X86VCPU_EPT_RWX,
                              X86VCPU_MT_WB);
    if (!err)
        err = x86vcpu_vcpu_create(&cpu, &v);
    if (err) {
        puts_("minimal: ");
        puts_(x86vcpu_strerror(err));
        puts_("\n");
        return err;
    }
    struct x86vcpu_setup s = { .mode = X86VCPU_MODE_REAL, .entry = 0x1000, .rsp = 0x800,
                               .ept = ept, .vpid = 1 };
    if (!(err = x86vcpu_vcpu_setup(v, &s)))
        err = x86vcpu_vcpu_bind(v, &cpu);
    /* Port 0xE9 is the guest's console: let it reach the host's directly
     * (the one port this embedder passes through; all others exit). */
    if (!err)
        err = x86vcpu_io_intercept(v, 0xe9, 1, 0);
    struct x86vcpu_exit e = { 0 };
    while (!err) {
        err = x86vcpu_vcpu_run(v, &e);
        if (err || e.kind == X86VCPU_EXIT_HLT)
            break;
        if (e.kind == X86VCPU_EXIT_IO && e.u.io.in)
            err = x86vcpu_complete_io_in(v, 0xffffffffu); /* nothing there */
        else if (e.kind != X86VCPU_EXIT_IO)
            break; /* anything else: this embedder stops the guest */
    }
    const struct x86vcpu_stats *st = x86vcpu_vcpu_stats(v);
    puts_(err ? "minimal: run failed: " : "minimal: guest stopped, ");
    puts_(err ? x86vcpu_strerror(err) : x86vcpu_exit_reason_name(e.reason));
    puts_(", VM entries: ");
    putu(st->entries);
    puts_("\n");
    x86vcpu_vcpu_unbind(v);
    x86vcpu_vcpu_destroy(v);
    x86vcpu_ept_destroy(ept);
    x86vcpu_cpu_disable(&cpu);
    return err;
}

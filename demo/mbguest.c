/* demo/mbguest.c — runs an unmodified multiboot v1 kernel written for
 * QEMU's -kernel as a guest, on a small PC platform:
 *
 *   memory   MEM MiB of RAM through EPT; the VGA window, the BIOS area
 *            0xE0000-0xFFFFF and the firmware's ACPI tables of the real
 *            machine (read-only: writes are dropped), the I/O APIC, HPET and
 *            local APIC pass through; every other address reads all-ones.
 *            Low memory holds a copy of the machine's IVT, BIOS data area
 *            and EBDA, as firmware leaves them.
 *   devices  COM1 (an idle 16550 whose output is the console), QEMU's
 *            isa-debug-exit (0xF4), fw_cfg (0x510/0x511), pc-testdev's
 *            latch (0xE0-0xE3), Bochs' shutdown port (0x8900) and e9 port;
 *            PIC, PIT, CMOS, port 0x80, VGA and the ACPI PM timer pass
 *            through; other ports read all-ones. CPUID hides MONITOR/MWAIT.
 *   APIC     IA32_APIC_BASE is virtual (Bochs, like some CPUs, cannot
 *            re-enable an APIC once its enable bit was cleared); x2APIC
 *            MSRs and TSC_DEADLINE pass through. Back in xAPIC mode after
 *            x2APIC, the xAPIC page is emulated over the x2APIC MSRs.
 *   HLT      waits in the HLT activity state; interrupts go straight to
 *            the guest's IDT.
 *
 * The run ends with a line "x86vcpu demo: guest exit status N (why)":
 * odd N = (v << 1) | 1 for an isa-debug-exit write of v (the guest's own
 * choice, as under QEMU); 0 = the guest powered the machine off (0x8900,
 * ACPI) or asked for a reset; 2 = triple fault; 4 = HLT with interrupts
 * off (nothing can wake it); 6 = the hypervisor stopped it (bad image,
 * unhandled exit). */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>
#include <x86vcpu/exit_reasons.h>
#include "console.h"
#include "pio.h"
#include "strio.h"
#include "frames.h"
#include "mbguest.h"
#include "lib/multiboot.h"
#include "lib/platform.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define LAPIC_HPA  0xfee00000ull
#define IOAPIC_HPA 0xfec00000ull
#define HPET_HPA   0xfed00000ull

enum { ST_OFF = 0, ST_TRIPLE = 2, ST_HALTED = 4, ST_STOPPED = 6 };

/* The multiboot info GRUB gave the demo (spec 3.3). */
struct host_mbi {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
};
struct host_mod { uint32_t mod_start, mod_end, string, reserved; };
struct host_mmap { uint32_t size; uint64_t base, len; uint32_t type; } __attribute__((packed));

/* ---------------------------------------------------------------- machine */
#define MAX_RANGES 24
struct machine {
    struct x86vcpu_cpu *cpu;
    struct x86vcpu_vcpu *v;
    struct x86vcpu_ept *ept;
    uint8_t *ram;
    uint64_t ram_pa, ram_size;
    struct mb_range map[MAX_RANGES];    /* the guest's E820 map */
    uint32_t nmap;
    struct mb_range acpi[8];            /* the firmware's ACPI ranges shown read-only */
    uint32_t nacpi;
    uint16_t pm_tmr_port, pm1a_cnt_port;

    uint64_t apic_base;                 /* the guest's IA32_APIC_BASE */
    int hw_x2apic;                      /* the hardware APIC is in x2APIC mode */
    uint32_t xicr_hi, xldr, xdfr;       /* xAPIC-only registers, emulated (apic_xmmio) */
    int x2apic_cap;
    unsigned maxphyaddr;

    struct uart16550 uart;
    struct fwcfg fw;
    struct shutdown_port sd;
    uint32_t latch;
    uint64_t tsc_adjust;                /* the guest's IA32_TSC_ADJUST */

    int done;
    uint32_t status;
    const char *why;
    uint64_t unassigned;                /* accesses to nothing (all-ones reads) */
    uint64_t rom_writes;
    uint64_t hlt_waits;
};

static void finish(struct machine *m, uint32_t status, const char *why)
{
    if (!m->done) {
        m->done = 1;
        m->status = status;
        m->why = why;
    }
}

/* ------------------------------------------------------------ arguments */
/* The decimal value of "key=N" among the space-separated words of s. */
static int word_value(const char *s, const char *key, uint64_t *val)
{
    while (s && *s) {
        while (*s == ' ')
            s++;
        const char *a = s, *k = key;
        while (*k && *a == *k)
            a++, k++;
        if (!*k && *a == '=') {
            uint64_t v = 0;
            int any = 0;
            for (a++; *a >= '0' && *a <= '9' && v < (1ull << 40); a++, any = 1)
                v = v * 10 + (uint64_t)(*a - '0');
            if (any && (*a == 0 || *a == ' ')) {
                *val = v;
                return 1;
            }
        }
        while (*s && *s != ' ')
            s++;
    }
    return 0;
}

static uint64_t str_len(const char *s)
{
    uint64_t n = 0;
    while (s[n])
        n++;
    return n;
}

static int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* ------------------------------------------------------------ host ACPI */
static int acpi_sum_ok(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return s == 0;
}

/* The PM timer and PM1a control ports from the FADT (ACPI 1.0 layout:
 * PM1a_CNT_BLK at 64, PM_TMR_BLK at 76), found through the RSDP in the
 * BIOS area and the RSDT. */
static void find_acpi_ports(struct machine *m)
{
    for (uint64_t a = 0xe0000; a < 0x100000; a += 16) {
        const uint8_t *p = (const uint8_t *)(uintptr_t)a;
        if (p[0] != 'R' || p[1] != 'S' || p[2] != 'D' || p[3] != ' ' || p[4] != 'P' ||
            p[5] != 'T' || p[6] != 'R' || p[7] != ' ' || !acpi_sum_ok(p, 20))
            continue;
        uint32_t rsdt = *(const uint32_t *)(p + 16);
        const uint8_t *t = (const uint8_t *)(uintptr_t)rsdt;
        if (!rsdt || t[0] != 'R' || t[1] != 'S' || t[2] != 'D' || t[3] != 'T')
            return;
        uint32_t len = *(const uint32_t *)(t + 4);
        for (uint32_t off = 36; off + 4 <= len; off += 4) {
            const uint8_t *f = (const uint8_t *)(uintptr_t)*(const uint32_t *)(t + off);
            if (f[0] == 'F' && f[1] == 'A' && f[2] == 'C' && f[3] == 'P' &&
                *(const uint32_t *)(f + 4) >= 80) {
                m->pm1a_cnt_port = (uint16_t)*(const uint32_t *)(f + 64);
                m->pm_tmr_port = (uint16_t)*(const uint32_t *)(f + 76);
            }
        }
        return;
    }
}

/* ------------------------------------------------------------ guest memory */
static void add_range(struct machine *m, uint64_t base, uint64_t len, uint32_t type)
{
    if (m->nmap < MAX_RANGES && len)
        m->map[m->nmap++] = (struct mb_range){ base, len, type, 0 };
}

/* The guest's E820 map: RAM below 640 KiB and from 1 MiB, the BIOS area,
 * the firmware's ACPI ranges where the machine has them, the APICs and
 * the BIOS ROM as reserved (as a PC's firmware reports them). */
static void build_map(struct machine *m, const struct host_mbi *mbi)
{
    add_range(m, 0, 0x9fc00, MB_MEM_AVAILABLE);
    add_range(m, 0x9fc00, 0x400, MB_MEM_RESERVED);
    add_range(m, 0xe0000, 0x20000, MB_MEM_RESERVED);
    add_range(m, 0x100000, m->ram_size - 0x100000, MB_MEM_AVAILABLE);
    if (mbi->flags & (1u << 6)) {
        for (uint64_t off = 0; off + sizeof(struct host_mmap) <= mbi->mmap_length;) {
            const struct host_mmap *e = (const void *)(uintptr_t)(mbi->mmap_addr + off);
            off += (uint64_t)e->size + 4;
            if ((e->type == MB_MEM_ACPI || e->type == MB_MEM_NVS) && e->base >= m->ram_size &&
                e->base + e->len <= IOAPIC_HPA && !(e->base & 0xfff) && m->nacpi < 8) {
                m->acpi[m->nacpi++] = (struct mb_range){ e->base, (e->len + 0xfff) & ~0xfffull,
                                                         e->type, 0 };
                add_range(m, e->base, e->len, e->type);
            }
        }
    }
    add_range(m, IOAPIC_HPA, 0x1000, MB_MEM_RESERVED);
    add_range(m, LAPIC_HPA, 0x1000, MB_MEM_RESERVED);
    add_range(m, 0xfffc0000, 0x40000, MB_MEM_RESERVED);
}

/* What guest-physical page gpa is when nothing special sits on it. */
static int map_default(struct machine *m, uint64_t gpa)
{
    gpa &= ~0xfffull;
    if (gpa < m->ram_size && !(gpa >= 0xa0000 && gpa < 0x100000))
        return x86vcpu_ept_map(m->ept, gpa, m->ram_pa + gpa, 4096, X86VCPU_EPT_RWX, X86VCPU_MT_WB);
    if (gpa >= 0xa0000 && gpa < 0xc0000)
        return x86vcpu_ept_map(m->ept, gpa, gpa, 4096, X86VCPU_EPT_RWX, X86VCPU_MT_UC);
    if (gpa >= 0xc0000 && gpa < 0xe0000)
        return x86vcpu_ept_map(m->ept, gpa, m->ram_pa + gpa, 4096, X86VCPU_EPT_RWX, X86VCPU_MT_WB);
    if (gpa >= 0xe0000 && gpa < 0x100000)
        return x86vcpu_ept_map(m->ept, gpa, gpa, 4096, X86VCPU_EPT_R | X86VCPU_EPT_X, X86VCPU_MT_WB);
    if (gpa == IOAPIC_HPA || gpa == HPET_HPA)
        return x86vcpu_ept_map(m->ept, gpa, gpa, 4096, X86VCPU_EPT_R | X86VCPU_EPT_W, X86VCPU_MT_UC);
    for (uint32_t i = 0; i < m->nacpi; i++)
        if (gpa - m->acpi[i].base < m->acpi[i].len)
            return x86vcpu_ept_map(m->ept, gpa, gpa, 4096, X86VCPU_EPT_R, X86VCPU_MT_WB);
    return x86vcpu_ept_unmap(m->ept, gpa, 4096);
}

static int build_ept(struct machine *m)
{
    int err = x86vcpu_ept_create(m->cpu, X86VCPU_EPT_AD, &m->ept);
    /* Emulated ranges first (that unmaps them): what is mapped read-only
     * inside them exits only for writes, which are dropped, and anything
     * unmapped reads all-ones as on a PC's bus. */
    if (!err)
        err = x86vcpu_ept_add_mmio(m->ept, 0xe0000, 0x20000);
    if (!err)
        err = x86vcpu_ept_add_mmio(m->ept, m->ram_size, 4 * GIB - m->ram_size);
    if (!err)
        err = x86vcpu_ept_map(m->ept, 0, m->ram_pa, 0xa0000, X86VCPU_EPT_RWX, X86VCPU_MT_WB);
    if (!err)
        err = x86vcpu_ept_map(m->ept, 0xa0000, 0xa0000, 0x20000, X86VCPU_EPT_RWX, X86VCPU_MT_UC);
    if (!err)
        err = x86vcpu_ept_map(m->ept, 0xc0000, m->ram_pa + 0xc0000, 0x20000, X86VCPU_EPT_RWX,
                              X86VCPU_MT_WB);
    if (!err)
        err = x86vcpu_ept_map(m->ept, 0xe0000, 0xe0000, 0x20000, X86VCPU_EPT_R | X86VCPU_EPT_X,
                              X86VCPU_MT_WB);
    if (!err)
        err = x86vcpu_ept_map(m->ept, 0x100000, m->ram_pa + 0x100000, m->ram_size - 0x100000,
                              X86VCPU_EPT_RWX, X86VCPU_MT_WB);
    for (uint32_t i = 0; !err && i < m->nacpi; i++)
        err = x86vcpu_ept_map(m->ept, m->acpi[i].base, m->acpi[i].base, m->acpi[i].len,
                              X86VCPU_EPT_R, X86VCPU_MT_WB);
    if (!err)
        err = map_default(m, IOAPIC_HPA);
    if (!err)
        err = map_default(m, HPET_HPA);
    return err;
}

/* ------------------------------------------------------------ local APIC */
static uint32_t hwapic_read(struct machine *m, uint32_t reg)
{
    if (m->hw_x2apic)
        return (uint32_t)rdmsr64(0x800 + (reg >> 4));
    return *(volatile uint32_t *)(uintptr_t)(LAPIC_HPA + reg);
}

static void hwapic_write(struct machine *m, uint32_t reg, uint32_t val)
{
    if (m->hw_x2apic)
        wrmsr64(0x800 + (reg >> 4), val);
    else
        *(volatile uint32_t *)(uintptr_t)(LAPIC_HPA + reg) = val;
}

#define APIC_TPR 0x80
#define APIC_EOI 0xb0
#define APIC_LDR 0xd0
#define APIC_DFR 0xe0
#define APIC_SVR 0xf0
#define APIC_ISR 0x100
#define APIC_ESR 0x280
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_ICR 0x380
#define APIC_TIMER_DCR 0x3e0
#define LVT_MASKED 0x10000u

/* In-service vectors would block lower-priority ones for good: end them. */
static void hwapic_eoi_all(struct machine *m)
{
    for (int n = 0; n < 256; n++) {
        uint32_t any = 0;
        for (uint32_t i = 0; i < 8; i++)
            any |= hwapic_read(m, APIC_ISR + 0x10 * i);
        if (!any)
            break;
        hwapic_write(m, APIC_EOI, 0);
    }
}

/* The state after the enable bit comes back (SDM 11.4.7.1 power-up/reset
 * values, except the ID): software-disabled, every LVT masked. */
static void hwapic_reset(struct machine *m)
{
    hwapic_write(m, APIC_TIMER_ICR, 0);
    hwapic_eoi_all(m);
    hwapic_write(m, APIC_SVR, 0xff);
    for (uint32_t reg = APIC_LVT_TIMER; reg <= APIC_LVT_ERROR; reg += 0x10)
        hwapic_write(m, reg, LVT_MASKED);
    hwapic_write(m, APIC_TPR, 0);
    hwapic_write(m, APIC_TIMER_DCR, 0);
    if (!m->hw_x2apic) {            /* no DFR, read-only LDR in x2APIC mode */
        hwapic_write(m, APIC_DFR, 0xffffffffu);
        hwapic_write(m, APIC_LDR, 0);
    }
    m->xicr_hi = 0;
    m->xldr = 0;
    m->xdfr = 0xffffffffu;
    hwapic_write(m, APIC_ESR, 0);
}

/* A globally disabled APIC hands the PIC's INTR and NMI straight to the
 * CPU (SDM 11.4.3): the closest the hardware gets without clearing its
 * enable bit is "virtual wire" — LINT0 ExtINT, LINT1 NMI, the rest masked,
 * the timer stopped. */
static void hwapic_virtual_wire(struct machine *m)
{
    hwapic_write(m, APIC_TIMER_ICR, 0);
    hwapic_eoi_all(m);
    hwapic_write(m, APIC_SVR, 0x1ff);
    hwapic_write(m, APIC_LVT_TIMER, LVT_MASKED);
    hwapic_write(m, 0x330, LVT_MASKED);
    hwapic_write(m, 0x340, LVT_MASKED);
    hwapic_write(m, APIC_LVT_ERROR, LVT_MASKED);
    hwapic_write(m, APIC_LVT_LINT0, 0x700);
    hwapic_write(m, APIC_LVT_LINT1, 0x400);
    hwapic_write(m, APIC_TPR, 0);
}

static uint64_t apic_page(const struct machine *m)
{
    return m->apic_base & ~0xfffull & ((1ull << m->maxphyaddr) - 1);
}

static int apic_mmio_visible(const struct machine *m)
{
    return (m->apic_base & APICBASE_EN) && !(m->apic_base & APICBASE_EXTD);
}

static void set_apic_visible(struct machine *m, int on)
{
    /* CPUID.1:EDX[9] follows the enable bit (SDM 11.4.3). MONITOR/MWAIT
     * (ECX[3]) is hidden, as KVM does: idle drivers that see it program
     * model-specific C-state MSRs a guest has no business with. */
    static const uint32_t none[4] = { 0, 0, 0, 0 }, off[4] = { 0, 0, 1u << 3, 1u << 9 },
                          mwait[4] = { 0, 0, 1u << 3, 0 };
    x86vcpu_cpuid_override(m->v, 1, X86VCPU_CPUID_ANY_SUBLEAF, none, on ? mwait : off);
    /* x2APIC MSRs: the hardware's while the APIC is on (RDMSR/WRMSR fault
     * there by themselves outside x2APIC mode); #GP while it is off. */
    for (uint32_t msr = 0x800; msr < 0x900; msr++)
        x86vcpu_msr_intercept(m->v, msr, !on, !on);
}

static void apicbase_wrmsr(struct machine *m, uint64_t val)
{
    uint64_t next;
    unsigned act;
    if (apicbase_write(m->apic_base, val, m->maxphyaddr, m->x2apic_cap, &next, &act)) {
        x86vcpu_complete_msr_fault(m->v);
        return;
    }
    uint64_t old_page = apic_page(m);
    int was_visible = apic_mmio_visible(m);
    m->apic_base = next;
    if (act & APICB_ACT_DISABLE) {
        hwapic_virtual_wire(m);
        set_apic_visible(m, 0);
    }
    if (act & APICB_ACT_ENABLE) {
        hwapic_reset(m);
        set_apic_visible(m, 1);
    }
    if ((act & APICB_ACT_X2APIC) && !m->hw_x2apic) {
        /* Only this transition reaches the hardware's MSR: its base and
         * enable bit never change. */
        wrmsr64(0x1b, rdmsr64(0x1b) | APICBASE_EN | APICBASE_EXTD);
        m->hw_x2apic = 1;
    }
    if (was_visible && (!apic_mmio_visible(m) || apic_page(m) != old_page))
        map_default(m, old_page);
    /* Back in xAPIC mode after x2APIC, the hardware cannot follow (it
     * would have to be disabled, for good on Bochs): its page stays
     * unmapped and apic_xmmio serves it through the x2APIC MSRs. */
    if (apic_mmio_visible(m) && !m->hw_x2apic)
        x86vcpu_ept_map(m->ept, apic_page(m), LAPIC_HPA, 4096, X86VCPU_EPT_R | X86VCPU_EPT_W,
                        X86VCPU_MT_UC);
    x86vcpu_complete_msr_write(m->v);
}

/* ------------------------------------------------------------ port I/O */
static int in_range(uint16_t port, uint32_t size, uint16_t base, uint16_t n)
{
    return port >= base && port + size <= (uint32_t)base + n;
}

static uint32_t pio_read(struct machine *m, uint16_t port, uint32_t size)
{
    uint32_t ones = (uint32_t)(0xffffffffull >> (32 - 8 * size));
    if (in_range(port, size, 0x3f8, 8)) {
        uint32_t v = 0;
        for (uint32_t i = 0; i < size; i++)
            v |= (uint32_t)uart_read(&m->uart, port - 0x3f8 + i) << (8 * i);
        return v;
    }
    if (in_range(port, size, 0xe0, 4))
        return latch_read(m->latch, port - 0xe0, size);
    if (port == FWCFG_PORT_DATA) {
        uint32_t v = fwcfg_read(&m->fw);
        return size == 1 ? v : (v | (ones & ~0xffu)); /* 0x512.. : nothing */
    }
    if (port == 0xe9 && size == 1)
        return 0xe9; /* Bochs' e9 port identifies itself */
    return ones;
}

static void pio_write(struct machine *m, uint16_t port, uint32_t size, uint32_t val)
{
    if (in_range(port, size, 0x3f8, 8)) {
        for (uint32_t i = 0; i < size; i++) {
            uint8_t tx;
            if (uart_write(&m->uart, port - 0x3f8 + i, (uint8_t)(val >> (8 * i)), &tx))
                con_guest_putc((char)tx);
        }
    } else if (in_range(port, size, 0xe0, 4)) {
        m->latch = latch_write(m->latch, port - 0xe0, size, val);
    } else if (port == 0xf4) {
        finish(m, debug_exit_status(val, size), "isa-debug-exit");
    } else if (port == FWCFG_PORT_SEL && size >= 2) {
        fwcfg_select(&m->fw, (uint16_t)val);
    } else if (port == 0xe9) {
        con_guest_putc((char)val);
    } else if (port == 0x8900 && size == 1) {
        if (shutdown_port_write(&m->sd, (uint8_t)val))
            finish(m, ST_OFF, "shutdown port 0x8900");
    } else if ((port == m->pm1a_cnt_port || port == 0x604) && size >= 2 && (val & (1u << 13))) {
        /* SLP_EN (ACPI PM1 control): QEMU's power-off, or the firmware's. */
        finish(m, ST_OFF, "ACPI power-off");
    } else if ((port == 0x64 && size == 1 && (val & 0xff) == 0xfe) ||
               (port == 0xcf9 && size == 1 && (val & 4)) || (port == 0x92 && size == 1 && (val & 1))) {
        finish(m, ST_OFF, "reset requested (ended, as QEMU -no-reboot)");
    }
}

static uint32_t strio_in(void *ctx, uint16_t port, uint32_t size)
{
    return pio_read(ctx, port, size);
}

static void strio_out(void *ctx, uint16_t port, uint32_t size, uint32_t val)
{
    pio_write(ctx, port, size, val);
}

/* Hardware the guest drives itself (the host keeps none of it): 8259 PICs
 * and ELCR, 8254 PIT and port B, CMOS/RTC, the POST port, VGA, the ACPI PM
 * timer. */
static int pass_ports(struct machine *m)
{
    static const uint16_t ranges[][2] = {
        { 0x20, 2 }, { 0xa0, 2 }, { 0x4d0, 2 }, { 0x40, 4 }, { 0x61, 1 },
        { 0x70, 2 }, { 0x80, 1 }, { 0x3b0, 0x30 },
    };
    int err = 0;
    for (unsigned i = 0; !err && i < sizeof ranges / sizeof ranges[0]; i++)
        err = x86vcpu_io_intercept(m->v, ranges[i][0], ranges[i][1], 0);
    if (!err && m->pm_tmr_port)
        err = x86vcpu_io_intercept(m->v, m->pm_tmr_port, 4, 0);
    return err;
}

/* ------------------------------------------------------------ MSRs */
/* Read from the hardware, writes exit and are dropped: the TSC and a few
 * identification MSRs. */
static const uint32_t read_only_msrs[] = { 0x10, 0x17, 0x8b, 0x179, 0x17a, 0x1a0 };

static int pass_msrs(struct machine *m)
{
    /* TSC deadline (the local APIC's) passes through. */
    int err = x86vcpu_msr_intercept(m->v, 0x6e0, 0, 0);
    for (unsigned i = 0; !err && i < sizeof read_only_msrs / sizeof read_only_msrs[0]; i++)
        err = x86vcpu_msr_intercept(m->v, read_only_msrs[i], 0, 1);
    return err;
}

static void handle_msr(struct machine *m, const struct x86vcpu_exit *e)
{
    uint32_t msr = e->u.msr.index;
    int rd = e->kind == X86VCPU_EXIT_MSR_READ;
    switch (msr) {
    case 0x1b: /* IA32_APIC_BASE */
        if (rd)
            x86vcpu_complete_msr_read(m->v, m->apic_base);
        else
            apicbase_wrmsr(m, e->u.msr.value);
        return;
    case 0x3a: /* IA32_FEATURE_CONTROL: locked, VMX off */
        if (rd)
            x86vcpu_complete_msr_read(m->v, 1);
        else
            x86vcpu_complete_msr_fault(m->v);
        return;
    case 0x3b: /* IA32_TSC_ADJUST (CPUID.7.0:EBX[1]): kept, not applied,
                * like TSC writes (the TSC is the machine's) */
        if (rd)
            x86vcpu_complete_msr_read(m->v, m->tsc_adjust);
        else {
            m->tsc_adjust = e->u.msr.value;
            x86vcpu_complete_msr_write(m->v);
        }
        return;
    case 0xe2: /* MSR_PKG_CST_CONFIG_CONTROL (model-specific; read by C-state
                * code for the model CPUID reports): no package C-states */
        if (rd)
            x86vcpu_complete_msr_read(m->v, 0);
        else
            x86vcpu_complete_msr_write(m->v);
        return;
    case 0xfe: /* MTRRcap: no variable or fixed ranges (EPT decides types) */
        if (rd)
            x86vcpu_complete_msr_read(m->v, 0);
        else
            x86vcpu_complete_msr_fault(m->v);
        return;
    case 0x2ff: /* MTRRdefType: enabled, write-back */
        if (rd)
            x86vcpu_complete_msr_read(m->v, 0x806);
        else
            x86vcpu_complete_msr_write(m->v);
        return;
    default:
        for (unsigned i = 0; !rd && i < sizeof read_only_msrs / sizeof read_only_msrs[0]; i++)
            if (read_only_msrs[i] == msr) {
                x86vcpu_complete_msr_write(m->v); /* dropped: the host's to keep */
                return;
            }
        break;
    }
    x86vcpu_complete_msr_fault(m->v); /* not implemented: #GP(0) */
}

/* ------------------------------------------------------------ MMIO */
/* The guest's xAPIC page while the hardware is in x2APIC mode: register
 * offset / 16 + 0x800 is the MSR (SDM 11.12.1.2). ID moves to bits 31:24;
 * ICR is one 64-bit MSR with the destination in bits 63:32; DFR and the
 * xAPIC LDR have no x2APIC counterpart and are kept here. Only MSRs every
 * x2APIC has are touched (no CMCI LVT): a missing one would #GP the host. */
static uint32_t apic_xmmio_read(struct machine *m, uint32_t reg)
{
    switch (reg) {
    case 0x20: return (uint32_t)rdmsr64(0x802) << 24;
    case APIC_EOI: return 0;
    case APIC_LDR: return m->xldr;
    case APIC_DFR: return m->xdfr;
    case 0x300: return (uint32_t)rdmsr64(0x830);
    case 0x310: return m->xicr_hi;
    default:
        if (reg == 0x30 || (reg >= APIC_TPR && reg <= APIC_SVR && reg != 0x90 && reg != 0xc0) ||
            (reg >= APIC_ISR && reg <= APIC_ESR) || (reg >= APIC_LVT_TIMER && reg <= 0x390) ||
            reg == APIC_TIMER_DCR)
            return (uint32_t)rdmsr64(0x800 + (reg >> 4));
        return 0;
    }
}

/* Writable bits of the xAPIC registers written through (SDM Figures 11-8,
 * 11-12, 11-14, 11-18, 11-23): the xAPIC ignores writes to reserved bits,
 * but an x2APIC WRMSR with one set faults (SDM 11.12.1.2) -- in the host. */
static const struct { uint16_t reg; uint32_t mask; } apic_wr[] = {
    { APIC_TPR, 0xff },          { APIC_SVR, 0x1ff },          { APIC_ESR, 0 },
    { APIC_LVT_TIMER, 0x700ff }, { 0x330, 0x107ff },           { 0x340, 0x107ff },
    { APIC_LVT_LINT0, 0x1a7ff }, { APIC_LVT_LINT1, 0x1a7ff },  { APIC_LVT_ERROR, 0x100ff },
    { APIC_TIMER_ICR, 0xffffffffu }, { APIC_TIMER_DCR, 0xb },
};

static void apic_xmmio_write(struct machine *m, uint32_t reg, uint32_t val)
{
    switch (reg) {
    case APIC_EOI: wrmsr64(0x80b, 0); break;
    case APIC_LDR: m->xldr = val & 0xff000000u; break;
    case APIC_DFR: m->xdfr = val | 0x0fffffffu; break;
    /* ICR: vector, delivery and destination mode, level, trigger, shorthand */
    case 0x300: wrmsr64(0x830, ((uint64_t)(m->xicr_hi >> 24) << 32) | (val & 0xccfffu)); break;
    case 0x310: m->xicr_hi = val & 0xff000000u; break;
    default:
        for (unsigned i = 0; i < sizeof apic_wr / sizeof apic_wr[0]; i++)
            if (apic_wr[i].reg == reg)
                wrmsr64(0x800 + (reg >> 4), val & apic_wr[i].mask);
        break; /* read-only or reserved: ignored, as the xAPIC does */
    }
}

static void handle_mmio(struct machine *m, const struct x86vcpu_exit *e)
{
    uint64_t gpa = e->u.mmio.gpa, val = 0;
    uint32_t size = e->u.mmio.size;
    int rom = gpa >= 0xe0000 && gpa + size <= 0x100000;
    for (uint32_t i = 0; i < m->nacpi; i++)
        rom |= gpa >= m->acpi[i].base && gpa + size <= m->acpi[i].base + m->acpi[i].len;
    if (apic_mmio_visible(m) && m->hw_x2apic && (gpa & ~0xfffull) == apic_page(m)) {
        uint32_t off = (uint32_t)(gpa & 0xfff), reg = off & ~0xfu, sh = 8 * (off & 3);
        if (e->u.mmio.write) {
            if (size == 4 && !(off & 3))
                apic_xmmio_write(m, reg, (uint32_t)e->u.mmio.value);
        } else {
            val = apic_xmmio_read(m, reg) >> sh;
        }
        x86vcpu_complete_mmio(m->v, val);
        return;
    }
    if (e->u.mmio.write) {
        if (rom)
            m->rom_writes++;
        else
            m->unassigned++;
    } else if (rom) {
        for (uint32_t i = 0; i < size; i++)
            val |= (uint64_t)*(const volatile uint8_t *)(uintptr_t)(gpa + i) << (8 * i);
    } else {
        val = ~0ull;
        /* Worth a note, except the APIC page the guest disabled itself. */
        if (m->unassigned++ < 4 && (gpa & ~0xfffull) != apic_page(m))
            con_printf("x86vcpu demo: guest read unassigned physical address 0x%lx\n",
                       (unsigned long)gpa);
    }
    x86vcpu_complete_mmio(m->v, val);
}

/* ------------------------------------------------------------ the run */
static void run(struct machine *m)
{
    struct x86vcpu_exit e;
    while (!m->done) {
        int err = x86vcpu_vcpu_run(m->v, &e);
        if (err) {
            con_printf("x86vcpu demo: run: %s", x86vcpu_strerror(err));
            if (err == X86VCPU_EVMFAILVALID)
                con_printf(" (VM-instruction error %u: %s)", x86vcpu_vcpu_vm_error(m->v),
                           x86vcpu_vm_error_name(x86vcpu_vcpu_vm_error(m->v)));
            con_printf("\n");
            finish(m, ST_STOPPED, "library error");
            return;
        }
        switch (e.kind) {
        case X86VCPU_EXIT_IO:
            if (e.u.io.string)
                strio_serve(m->v, &e, m->ram, m->ram_size, strio_in, strio_out, m);
            else if (e.u.io.in)
                x86vcpu_complete_io_in(m->v, pio_read(m, e.u.io.port, e.u.io.size));
            else
                pio_write(m, e.u.io.port, e.u.io.size, e.u.io.value);
            break;
        case X86VCPU_EXIT_MSR_READ:
        case X86VCPU_EXIT_MSR_WRITE:
            handle_msr(m, &e);
            break;
        case X86VCPU_EXIT_MMIO:
            handle_mmio(m, &e);
            break;
        case X86VCPU_EXIT_HLT: {
            /* A PC waits for the next interrupt; with IF clear nothing but
             * an NMI could come, and none will. */
            uint64_t rflags = 0;
            x86vcpu_get_rflags(m->v, &rflags);
            if (!(rflags & (1u << 9)) && !x86vcpu_pending_events(m->v)) {
                con_printf("x86vcpu demo: HLT with interrupts disabled at 0x%lx\n",
                           (unsigned long)e.rip);
                finish(m, ST_HALTED, "halted with interrupts off");
                break;
            }
            m->hlt_waits++;
            if (x86vcpu_halt(m->v))
                finish(m, ST_STOPPED, "x86vcpu_halt failed");
            break;
        }
        case X86VCPU_EXIT_NMI:
            /* The platform's NMI is the guest's; this CPU must IRET before
             * it can take another one. */
            nmi_unblock();
            x86vcpu_queue_nmi(m->v);
            break;
        case X86VCPU_EXIT_SHUTDOWN:
            con_printf("x86vcpu demo: the guest triple-faulted at 0x%lx\n", (unsigned long)e.rip);
            finish(m, ST_TRIPLE, "triple fault (shutdown)");
            break;
        case X86VCPU_EXIT_TIME_SLICE:
            break;
        case X86VCPU_EXIT_MMIO_UNSUPPORTED:
            con_printf("x86vcpu demo: MMIO at 0x%lx by an instruction the library cannot "
                       "emulate:", (unsigned long)e.u.mmio.gpa);
            for (unsigned i = 0; i < e.u.mmio.insn_len; i++)
                con_printf(" %02x", e.u.mmio.insn[i]);
            con_printf("\n");
            finish(m, ST_STOPPED, "unsupported MMIO instruction");
            break;
        case X86VCPU_EXIT_ENTRY_FAILED:
            con_printf("x86vcpu demo: VM entry failed: %s, qualification 0x%lx\n",
                       e.u.entry_failed.reason_name,
                       (unsigned long)e.u.entry_failed.qualification);
            finish(m, ST_STOPPED, "VM entry failed");
            break;
        default:
            con_printf("x86vcpu demo: unhandled exit %s (qualification 0x%lx) at 0x%lx\n",
                       x86vcpu_exit_reason_name(e.reason), (unsigned long)e.qualification,
                       (unsigned long)e.rip);
            if (e.kind == X86VCPU_EXIT_EPT_VIOLATION)
                con_printf("  guest-physical 0x%lx\n", (unsigned long)e.u.ept.gpa);
            finish(m, ST_STOPPED, "unhandled exit");
            break;
        }
    }
}

static void print_stats(const struct machine *m, uint64_t ticks)
{
    const struct x86vcpu_stats *st = x86vcpu_vcpu_stats(m->v);
    uint64_t total = 0;
    con_printf("x86vcpu demo: exit statistics:\n");
    for (uint32_t i = 0; i < X86VCPU_EXIT_REASON_MAX; i++) {
        if (!st->exits[i])
            continue;
        total += st->exits[i];
        con_printf("    %-28s %8lu\n", x86vcpu_exit_reason_name(i), (unsigned long)st->exits[i]);
    }
    con_printf("    %-28s %8lu   (VM entries %lu, VMREADs %lu, VMWRITEs %lu)\n", "total",
               (unsigned long)total, (unsigned long)st->entries, (unsigned long)st->vmreads,
               (unsigned long)st->vmwrites);
    con_printf("    HLT waits %lu, all-ones/ignored accesses %lu, ROM writes dropped %lu\n",
               (unsigned long)m->hlt_waits, (unsigned long)m->unassigned,
               (unsigned long)m->rom_writes);
    con_printf("x86vcpu demo: guest ran %lu ticks from entry to exit\n", (unsigned long)ticks);
}

/* ------------------------------------------------------------ entry */
static const struct host_mod *find_module(const struct host_mbi *mbi, const char *name)
{
    if (!(mbi->flags & (1u << 3)))
        return 0;
    const struct host_mod *mods = (const void *)(uintptr_t)mbi->mods_addr;
    for (uint32_t i = 0; i < mbi->mods_count; i++)
        if (mods[i].string && str_eq((const char *)(uintptr_t)mods[i].string, name))
            return &mods[i];
    return 0;
}

static int read_gpa(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
    struct machine *m = ctx;
    if (gpa >= m->ram_size || m->ram_size - gpa < len)
        return -1;
    for (uint32_t i = 0; i < len; i++)
        ((uint8_t *)buf)[i] = m->ram[gpa + i];
    return 0;
}

/* The names file (module "names"): line 1 the kernel's name, line 2 the
 * initrd's (may be empty), then the command line as given. */
static char *next_line(char *s)
{
    while (*s && *s != '\n')
        s++;
    if (*s)
        *s++ = 0;
    return s;
}

static int setup(struct machine *m, const struct host_mbi *mbi, const char *demo_cmdline)
{
    uint64_t mem = 128;
    word_value(demo_cmdline, "mem", &mem);
    if (mem < 2 || mem > 3072) {
        con_printf("x86vcpu demo: MEM=%lu MiB is out of range (2-3072)\n", (unsigned long)mem);
        return -1;
    }
    const struct host_mod *kmod = find_module(mbi, "kernel"), *nmod = find_module(mbi, "names");
    const struct host_mod *imod = find_module(mbi, "initrd");
    if (!kmod || !nmod) {
        con_printf("x86vcpu demo: no guest kernel module (make run GUEST=...)\n");
        return -1;
    }
    /* A copy of the names file, NUL-terminated. */
    static char names[4096];
    uint64_t nlen = nmod->mod_end - nmod->mod_start;
    if (nlen >= sizeof names) {
        con_printf("x86vcpu demo: command line too long\n");
        return -1;
    }
    for (uint64_t i = 0; i < nlen; i++)
        names[i] = ((const char *)(uintptr_t)nmod->mod_start)[i];
    names[nlen] = 0;
    char *kname = names, *iname = next_line(kname), *args = next_line(iname);
    uint64_t alen = str_len(args);
    while (alen && args[alen - 1] == '\n')
        args[--alen] = 0;

    m->ram_size = mem * MIB;
    m->ram_pa = frames_alloc_contig(m->ram_size, 2 * MIB);
    if (!m->ram_pa) {
        con_printf("x86vcpu demo: not enough host memory for MEM=%lu MiB\n", (unsigned long)mem);
        return -1;
    }
    m->ram = (uint8_t *)(uintptr_t)m->ram_pa;
    build_map(m, mbi);
    find_acpi_ports(m);

    struct mb_layout lay = { m->map, m->nmap, m->ram_size };
    struct mb_image im;
    const char *why = 0;
    const uint8_t *kimg = (const uint8_t *)(uintptr_t)kmod->mod_start;
    if (mb_parse(kimg, kmod->mod_end - kmod->mod_start, &lay, &im, &why)) {
        con_printf("x86vcpu demo: cannot boot %s: %s\n", kname, why);
        return -1;
    }
    /* QEMU's multiboot command line: the kernel's file name, a space, the
     * -append text. */
    static char cmdline[4200];
    uint64_t n = 0;
    for (const char *p = kname; *p && n < sizeof cmdline - 2; p++)
        cmdline[n++] = *p;
    cmdline[n++] = ' ';
    for (const char *p = args; *p && n < sizeof cmdline - 1; p++)
        cmdline[n++] = *p;
    cmdline[n] = 0;
    struct mb_module mod = { 0, 0, iname };
    if (imod) {
        mod.data = (const uint8_t *)(uintptr_t)imod->mod_start;
        mod.len = imod->mod_end - imod->mod_start;
    }
    struct mb_boot boot = { cmdline, "x86vcpu demo", &mod, imod ? 1u : 0u };
    struct mb_result res;
    if (mb_build_info(&im, &boot, &lay, m->ram, &res, &why)) {
        con_printf("x86vcpu demo: cannot boot %s: %s\n", kname, why);
        return -1;
    }
    /* Low memory as the firmware leaves it on a PC: the real-mode IVT and
     * the BIOS data area (base memory size at 0x413, EBDA segment at
     * 0x40E, COM port addresses, ...) and the EBDA, copied from the
     * machine's; boot code such as Xen's reads them. */
    for (uint64_t a = 0; a < 0x500; a++)
        m->ram[a] = *(const volatile uint8_t *)(uintptr_t)a;
    for (uint64_t a = 0x9fc00; a < 0xa0000; a++)
        m->ram[a] = *(const volatile uint8_t *)(uintptr_t)a;
    mb_load(&im, kimg, m->ram);
    con_printf("x86vcpu demo: %s: %s kernel, %u segment(s) at 0x%lx-0x%lx, entry 0x%x; "
               "%lu MiB RAM; command line \"%s\"%s%s\n",
               kname, im.format == MB_FMT_ELF32 ? "ELF32" : im.format == MB_FMT_ELF64 ? "ELF64"
                                                                                   : "a.out-kludge",
               im.nsegs, (unsigned long)im.load_lo, (unsigned long)im.load_hi, im.entry,
               (unsigned long)mem, cmdline, imod ? "; initrd " : "", imod ? iname : "");

    int err = build_ept(m);
    if (err) {
        con_printf("x86vcpu demo: EPT: %s\n", x86vcpu_strerror(err));
        return -1;
    }
    struct x86vcpu_setup s = { 0 };
    s.mode = X86VCPU_MODE_PROT32;
    s.entry = im.entry;
    s.ept = m->ept;
    s.vpid = 1;
    s.read_gpa = read_gpa;
    s.read_gpa_ctx = m;
    err = x86vcpu_vcpu_create(m->cpu, &m->v);
    if (!err)
        err = x86vcpu_vcpu_setup(m->v, &s);
    if (!err)
        err = x86vcpu_vcpu_bind(m->v, m->cpu);
    if (!err)
        err = pass_ports(m);
    if (!err)
        err = pass_msrs(m);
    if (err) {
        con_printf("x86vcpu demo: vCPU: %s\n", x86vcpu_strerror(err));
        return -1;
    }
    /* Multiboot spec 3.2: EAX magic, EBX the info, flat segments, paging
     * and interrupts off. */
    x86vcpu_set_gpr(m->v, X86VCPU_RAX, MB_BOOT_MAGIC);
    x86vcpu_set_gpr(m->v, X86VCPU_RBX, res.mbi);

    uint32_t r[4];
    cpuid_native(0x80000008u, 0, r);
    m->maxphyaddr = r[0] & 0xff;
    cpuid_native(1, 0, r);
    m->x2apic_cap = (r[2] >> 21) & 1;
    uint64_t hw = rdmsr64(0x1b);
    m->hw_x2apic = (hw & APICBASE_EXTD) != 0;
    m->apic_base = APICBASE_RESET(hw & APICBASE_BSP);
    if (m->hw_x2apic)
        m->apic_base |= APICBASE_EXTD;
    set_apic_visible(m, 1);
    if (!m->hw_x2apic)
        x86vcpu_ept_map(m->ept, LAPIC_HPA, LAPIC_HPA, 4096, X86VCPU_EPT_R | X86VCPU_EPT_W,
                        X86VCPU_MT_UC);
    uart_reset(&m->uart);
    fwcfg_init(&m->fw, m->ram_size, 1, 1);
    return 0;
}

void mbguest_main(struct x86vcpu_cpu *cpu, uint32_t mbinfo_phys, const char *cmdline)
{
    static struct machine mach;
    struct machine *m = &mach;
    m->cpu = cpu;
    const struct host_mbi *mbi = (const void *)(uintptr_t)mbinfo_phys;
    uint64_t t0 = 0, t1 = 0;
    if (setup(m, mbi, cmdline)) {
        finish(m, ST_STOPPED, "the guest could not be started");
    } else {
        t0 = rdtsc64();
        run(m);
        t1 = rdtsc64();
        con_guest_flush();
        print_stats(m, t1 - t0);
    }
    con_printf("x86vcpu demo: guest exit status %u (%s)\n", m->status, m->why);
}

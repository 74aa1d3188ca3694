/* demo/pc/pc.c — the PC machine (see pc.h): its memory and devices put
 * together, the guest kernel loaded from the demo's GRUB modules, the run
 * and the report. */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

#include "arch.h"
#include "cmdline.h"
#include "console.h"
#include "host.h"
#include "vm.h"
#include "loader/linux.h"
#include "pc/debugcon.h"
#include "pc/legacy.h"
#include "pc/pc.h"
#include "pc/pci.h"
#include "pc/tsc.h"

#define MIB (1ull << 20)

/* The names file (module "names", written by make run): line 1 the
 * kernel's name, line 2 the initrd's (may be empty), then the command line
 * as given. Split in place; returns what follows line 1 / line 2. */
static char *next_line(char *s)
{
    while (*s && *s != '\n')
        s++;
    if (*s)
        *s++ = 0;
    return s;
}

struct guest_files {
    const struct host_mod *kernel, *initrd;
    char *kname, *iname, *args;
    const char *demo_args;          /* the demo's own command line (linux_entry=) */
};

static int find_guest(const struct host_mbi *mbi, struct guest_files *g)
{
    const struct host_mod *names = host_module(mbi, "names");
    g->kernel = host_module(mbi, "kernel");
    g->initrd = host_module(mbi, "initrd");
    g->demo_args = host_cmdline(mbi);
    if (!g->kernel || !names) {
        con_printf("x86vcpu demo: no guest kernel module (make run GUEST=...)\n");
        return -1;
    }
    static char text[4096];         /* a NUL-terminated copy of the names file */
    uint64_t len = names->mod_end - names->mod_start;
    if (len >= sizeof text) {
        con_printf("x86vcpu demo: command line too long\n");
        return -1;
    }
    for (uint64_t i = 0; i < len; i++)
        text[i] = ((const char *)(uintptr_t)names->mod_start)[i];
    text[len] = 0;
    g->kname = text;
    g->iname = next_line(g->kname);
    g->args = next_line(g->iname);
    uint64_t alen = str_len(g->args);
    while (alen && g->args[alen - 1] == '\n')
        g->args[--alen] = 0;
    return 0;
}

/* The guest's memory into the EPT, the TSC calibrated (once: the slice and
 * the guest's TSC), the vCPU started as s says. */
static int start_guest(struct pc *pc, struct x86vcpu_setup *s)
{
    int err = pc_map_memory(pc);
    if (err) {
        con_printf("x86vcpu demo: EPT: %s\n", x86vcpu_strerror(err));
        return -1;
    }
    pc->host_tsc_khz = pc_tsc_calibrate(10);
    /* Exits that bring the devices' interrupts (pc/irq.h). */
    s->time_slice = irq_time_slice(pc->host_tsc_khz, pc->slice_us) >>
                    (rdmsr(0x485) & 31);   /* IA32_VMX_MISC[4:0]: the timer's rate (SDM 25.5.1) */
    /* lapic=virtual-vid: external-interrupt exiting from setup on, so the
     * virtual LAPIC takes the CPU's virtual-interrupt delivery too (SDM
     * 26.2.1.1). Not the default: with it an x2APIC SELF IPI write of an
     * illegal vector is virtualized without the ESR error a real APIC
     * reports (SDM 30.5; KVM's APICv alike), which lapic.elf checks. */
    if (pc->vid)
        s->flags |= X86VCPU_SETUP_EXIT_ON_EXTINT;
    pc->irq.slice_ticks = s->time_slice;
    pc->irq.slice_on = 1;

    err = vm_start_vcpu(&pc->vm, s);
    if (err) {
        con_printf("x86vcpu demo: vCPU: %s\n", x86vcpu_strerror(err));
        return -1;
    }
    return 0;
}

/* A Linux bzImage (loader/linux.h): its 64-bit entry when it has one, else
 * (or with linux_entry=32 on the demo's command line) the 32-bit one.
 * boot.rst "32-bit/64-bit BOOT PROTOCOL": CS = __BOOT_CS, DS = ES = SS =
 * __BOOT_DS of a loaded GDT, flat; ESI/RSI the zero page; EBP, EDI, EBX 0;
 * interrupts off (the library's start state). */
static int load_linux(struct pc *pc, const struct guest_files *g, uint64_t mem)
{
    struct vm *vm = &pc->vm;
    struct mb_layout lay = { pc->map, pc->nmap, vm->ram_size };
    const uint8_t *kimg = (const uint8_t *)(uintptr_t)g->kernel->mod_start;
    uint64_t klen = g->kernel->mod_end - g->kernel->mod_start, want = 0;
    struct lx_boot b = { .cmdline = g->args, .entry = LX_ENTRY_AUTO };
    if (word_value(g->demo_args, "linux_entry", &want))
        b.entry = want == 32 ? LX_ENTRY_32 : want == 64 ? LX_ENTRY_64 : LX_ENTRY_AUTO;
    if (g->initrd) {
        b.initrd = (const uint8_t *)(uintptr_t)g->initrd->mod_start;
        b.initrd_len = g->initrd->mod_end - g->initrd->mod_start;
    }
    struct lx_image im;
    struct lx_plan p;
    const char *why = 0;
    if (lx_parse(kimg, klen, &im, &why) || lx_place(&im, &b, &lay, &p, &why)) {
        con_printf("x86vcpu demo: cannot boot %s: %s\n", g->kname, why);
        return -1;
    }
    lx_load(&im, &b, &lay, &p, kimg, vm->ram);
    con_printf("x86vcpu demo: %s: Linux boot protocol %u.%02u, %lu KiB kernel at 0x%lx "
               "(runs at 0x%lx, init_size 0x%lx), %s entry 0x%lx; %lu MiB RAM; "
               "initrd %s%s%lu bytes at 0x%lx; command line \"%s\"\n",
               g->kname, im.version >> 8, im.version & 0xff, (unsigned long)(im.kernel_size >> 10),
               (unsigned long)p.load, (unsigned long)p.runtime_start, (unsigned long)im.init_size,
               p.long_mode ? "64-bit" : "32-bit", (unsigned long)p.entry, (unsigned long)mem,
               g->initrd ? g->iname : "(none)", g->initrd ? ", " : ": ",
               (unsigned long)p.initrd_len, (unsigned long)p.initrd, g->args);

    struct x86vcpu_setup s = { .mode = p.long_mode ? X86VCPU_MODE_LONG64 : X86VCPU_MODE_PROT32,
                               .entry = p.entry, .rsp = p.stack, .cr3 = p.pml4 };
    if (start_guest(pc, &s))
        return -1;
    struct x86vcpu_vcpu *v = vm->v;
    int err = x86vcpu_vmcs_writenat(v, X86VCPU_VMCS_GUEST_GDTR_BASE, p.gdt);
    err |= x86vcpu_vmcs_write32(v, X86VCPU_VMCS_GUEST_GDTR_LIMIT, LX_GDT_LIMIT);
    err |= x86vcpu_vmcs_write16(v, X86VCPU_VMCS_GUEST_CS_SELECTOR, LX_BOOT_CS);
    err |= x86vcpu_vmcs_write16(v, X86VCPU_VMCS_GUEST_DS_SELECTOR, LX_BOOT_DS);
    err |= x86vcpu_vmcs_write16(v, X86VCPU_VMCS_GUEST_ES_SELECTOR, LX_BOOT_DS);
    err |= x86vcpu_vmcs_write16(v, X86VCPU_VMCS_GUEST_SS_SELECTOR, LX_BOOT_DS);
    err |= x86vcpu_vmcs_write16(v, X86VCPU_VMCS_GUEST_FS_SELECTOR, LX_BOOT_DS);
    err |= x86vcpu_vmcs_write16(v, X86VCPU_VMCS_GUEST_GS_SELECTOR, LX_BOOT_DS);
    if (err) {
        con_printf("x86vcpu demo: VMCS: %s\n", x86vcpu_strerror(err));
        return -1;
    }
    x86vcpu_set_gpr(v, X86VCPU_RSI, p.zero_page);
    x86vcpu_set_gpr(v, X86VCPU_RBP, 0);
    x86vcpu_set_gpr(v, X86VCPU_RDI, 0);
    x86vcpu_set_gpr(v, X86VCPU_RBX, 0);
    /* make linux-test times /init from here (tests/linux/check.sh). */
    con_printf("x86vcpu demo: Linux hand-off at host TSC %lu\n", (unsigned long)rdtsc());
    return 0;
}

/* Load the kernel: a Linux bzImage by its boot protocol (load_linux), any
 * other as a multiboot v1 loader does (QEMU's command line: the kernel's
 * file name, a space, the -append text; the initrd as module 0), and start
 * the vCPU at its entry. */
static int load_guest(struct pc *pc, const struct guest_files *g, uint64_t mem)
{
    struct vm *vm = &pc->vm;
    struct mb_layout lay = { pc->map, pc->nmap, vm->ram_size };
    struct mb_image im;
    const char *why = 0;
    const uint8_t *kimg = (const uint8_t *)(uintptr_t)g->kernel->mod_start;
    if (lx_is_bzimage(kimg, g->kernel->mod_end - g->kernel->mod_start))
        return load_linux(pc, g, mem);      /* a Linux setup header: the boot protocol */
    if (mb_parse(kimg, g->kernel->mod_end - g->kernel->mod_start, &lay, &im, &why)) {
        con_printf("x86vcpu demo: cannot boot %s: %s\n", g->kname, why);
        return -1;
    }
    static char cmdline[4200];
    uint64_t n = 0;
    for (const char *p = g->kname; *p && n < sizeof cmdline - 2; p++)
        cmdline[n++] = *p;
    cmdline[n++] = ' ';
    for (const char *p = g->args; *p && n < sizeof cmdline - 1; p++)
        cmdline[n++] = *p;
    cmdline[n] = 0;
    struct mb_module mod = { 0, 0, g->iname };
    if (g->initrd) {
        mod.data = (const uint8_t *)(uintptr_t)g->initrd->mod_start;
        mod.len = g->initrd->mod_end - g->initrd->mod_start;
    }
    struct mb_boot boot = { cmdline, "x86vcpu demo", &mod, g->initrd ? 1u : 0u };
    struct mb_result res;
    if (mb_build_info(&im, &boot, &lay, vm->ram, &res, &why)) {
        con_printf("x86vcpu demo: cannot boot %s: %s\n", g->kname, why);
        return -1;
    }
    mb_load(&im, kimg, vm->ram);
    con_printf("x86vcpu demo: %s: %s kernel, %u segment(s) at 0x%lx-0x%lx, entry 0x%x; "
               "%lu MiB RAM; command line \"%s\"%s%s\n",
               g->kname, im.format == MB_FMT_ELF32 ? "ELF32" : im.format == MB_FMT_ELF64 ? "ELF64"
                                                                                     : "a.out-kludge",
               im.nsegs, (unsigned long)im.load_lo, (unsigned long)im.load_hi, im.entry,
               (unsigned long)mem, cmdline, g->initrd ? "; initrd " : "", g->initrd ? g->iname : "");

    struct x86vcpu_setup s = { .mode = X86VCPU_MODE_PROT32, .entry = im.entry };
    if (start_guest(pc, &s))
        return -1;
    /* Multiboot spec 3.2: EAX magic, EBX the info, flat segments, paging
     * and interrupts off. */
    x86vcpu_set_gpr(vm->v, X86VCPU_RAX, MB_BOOT_MAGIC);
    x86vcpu_set_gpr(vm->v, X86VCPU_RBX, res.mbi);
    return 0;
}

/* The machine's CMOS register reg (SDM-less: the MC146818's index/data
 * pair). Bit 7 of the index stays 0: NMIs enabled, as the host wants. */
static uint8_t cmos_hw_read(uint8_t reg)
{
    outb(0x70, reg & 0x7f);
    return inb(0x71);
}

/* The RTC's epoch from one read of the machine's clock
 * (MC146818: wait for UIP to clear, then the BCD or binary bytes), or
 * rtc_epoch=N seconds from the command line. */
static uint64_t host_rtc_epoch(const char *demo_cmdline)
{
    uint64_t epoch = 0;
    if (word_value(demo_cmdline, "rtc_epoch", &epoch))
        return epoch;
    for (unsigned i = 0; i < 100000 && (cmos_hw_read(0x0a) & 0x80); i++)
        ;
    uint8_t b = cmos_hw_read(0x0b), r[7];
    static const uint8_t reg[7] = { 0, 2, 4, 7, 8, 9, 0x32 };
    for (unsigned i = 0; i < 7; i++) {
        r[i] = cmos_hw_read(reg[i]);
        uint8_t v = i == 2 ? r[i] & 0x7f : r[i];
        if (!(b & 4))
            v = (uint8_t)((v >> 4) * 10 + (v & 15));
        r[i] = i == 2 ? (uint8_t)(v | (r[i] & 0x80)) : v;
    }
    unsigned hour = r[2] & 0x7f;
    if (!(b & 2))               /* 12-hour: 12 AM is 0, PM adds 12 */
        hour = hour % 12 + ((r[2] & 0x80) ? 12 : 0);
    uint64_t cent = r[6] >= 19 && r[6] <= 21 ? r[6] : 20;   /* no century byte: 20xx */
    uint64_t days = irq_days_from_civil(cent * 100 + r[5], r[4], r[3]);
    return days * 86400 + hour * 3600 + (uint64_t)r[1] * 60 + r[0];
}

/* The guest's own PIC, PIT, RTC, PM timer and I/O APIC (pc/irq.c), the
 * PIC's masks as the machine's firmware left them; then the machine's
 * 8259s are masked: the guest's interrupts are all the demo's. */
static int virtual_platform(struct pc *pc, const char *demo_cmdline)
{
    uint32_t khz = 0;
    x86vcpu_get_tsc_khz(pc->vm.v, 0, &khz);
    if (!khz) {
        con_printf("x86vcpu demo: the virtual platform needs the guest's TSC frequency\n");
        return -1;
    }
    uint8_t m = inb(0x21), s = inb(0xa1);
    int err = irq_attach(&pc->irq, &pc->vm, (uint64_t)khz * 1000, host_rtc_epoch(demo_cmdline),
                         pc->vm.ram_size, pc->pm_tmr, m, s);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    pc->latch.irq = irq_line_cb;      /* pc-testdev's IRQ lines */
    pc->latch.irq_ctx = &pc->irq;
    uart_wire_irq(&pc->com1, 4, irq_line_cb, &pc->irq);    /* COM1 on IRQ4 */
    con_printf("x86vcpu demo: virtual platform: 8259 pair, 8254 PIT, RTC/CMOS, PM timer "
               "(port 0x%x), I/O APIC, %s local APIC; time slice %u us\n", pc->pm_tmr,
               pc->vm.lapic->flags & X86VCPU_LAPIC_SOFT ? "software" : "assisted", pc->slice_us);
    return err;
}

/* The devices (each registers its ports, MMIO ranges and MSRs on the bus). */
static int attach_devices(struct pc *pc)
{
    struct vm *vm = &pc->vm;
    int err = uart_attach(&pc->com1, vm, UART_COM1);
    err |= latch_attach(&pc->latch, vm);
    err |= debug_exit_attach(vm);
    err |= shutdown_port_attach(&pc->shutdown, vm);
    err |= fwcfg_attach(&pc->fwcfg, vm);
    err |= debugcon_attach(vm);
    err |= legacy_attach(&pc->legacy, vm);
    err |= pc_msrs_attach(&pc->msrs, vm);
    err |= firmware_attach(pc);
    err |= pm_attach(&pc->pm, vm, 0);   /* the PM timer is pc/irq.c's */
    err |= pci_attach(vm);              /* a host bridge only (pci.h) */
    return err ? -1 : 0;
}

static void pc_ipi(void *ctx, struct x86vcpu_vcpu *from, const struct x86vcpu_lapic_ipi *ipi);

static void pc_eoi(void *ctx, struct x86vcpu_vcpu *v, uint8_t vector)
{
    irq_lapic_eoi(&((struct pc *)ctx)->irq, v, vector);
}

static int setup(struct pc *pc, const struct host_mbi *mbi, const char *demo_cmdline)
{
    struct vm *vm = &pc->vm;
    uint64_t mem = 128;
    word_value(demo_cmdline, "mem", &mem);
    if (mem < 2 || mem > 3072) {
        con_printf("x86vcpu demo: MEM=%lu MiB is out of range (2-3072)\n", (unsigned long)mem);
        return -1;
    }
    struct guest_files g;
    if (find_guest(mbi, &g))
        return -1;
    int err = vm_init(vm, vm->cpu, mem * MIB);
    if (err) {
        if (err < 0)
            con_printf("x86vcpu demo: not enough host memory for MEM=%lu MiB\n",
                       (unsigned long)mem);
        else
            con_printf("x86vcpu demo: EPT: %s\n", x86vcpu_strerror(err));
        return -1;
    }
    vm->console = vm_console_raw;
    uint64_t us = IRQ_SLICE_US;
    word_value(demo_cmdline, "pic_slice_us", &us);
    pc->slice_us = us && us < 1000000 ? (uint32_t)us : IRQ_SLICE_US;
    pc_build_map(pc, mbi);
    if (pc_firmware_build(pc)) {     /* ACPI tables, IVT, BDA, EBDA (firmware.c) */
        con_printf("x86vcpu demo: the ACPI tables do not fit\n");
        return -1;
    }
    if (attach_devices(pc)) {
        con_printf("x86vcpu demo: device ranges overlap\n");
        return -1;
    }
    /* The library's virtual local APIC, with the CPU's APIC assists
     * (lapic=virtual-soft: its software path); LINT0 in ExtINT mode as a
     * PC BIOS leaves it (the virtual wire: the PIC's INTR line passes it). */
    static struct x86vcpu_lapic_config lapic;
    lapic.flags = X86VCPU_LAPIC_BSP | X86VCPU_LAPIC_VIRTUAL_WIRE |
                  (has_word(demo_cmdline, "lapic=virtual-soft") ? X86VCPU_LAPIC_SOFT : 0);
    pc->vid = has_word(demo_cmdline, "lapic=virtual-vid");
    lapic.eoi = pc_eoi;             /* level EOIs to the virtual I/O APIC (pc/irq.h) */
    lapic.ctx = pc;
    lapic.ipi = pc_ipi;
    vm->lapic = &lapic;
    /* Port I/O served inside run() by the library's port handler (vm.c
     * vm_port_inline), as KVM serves its in-kernel devices; io=exit sends
     * every port exit back to vm_run instead, as before. */
    vm->inline_io = !has_word(demo_cmdline, "io=exit");
    if (load_guest(pc, &g, mem))
        return -1;
    if (pc_tsc_setup(vm, pc->host_tsc_khz, demo_cmdline))   /* the guest's TSC frequency (pc/tsc.c) */
        return -1;
    if (virtual_platform(pc, demo_cmdline))
        return -1;
    /* Nothing of the machine's interrupt hardware is the guest's: its
     * external interrupts exit to the demo (vm.c). Turned on after setup
     * (but with lapic=virtual-vid), so the virtual LAPIC does not take the
     * CPU's virtual-interrupt delivery (see start_guest). */
    err = x86vcpu_set_extint_exiting(vm->v, 1);
    pc->ept_frames_start = x86vcpu_ept_table_frames(vm->ept);
    hostaudit_take(&pc->host_before);
    return err;
}

/* The virtual LAPIC's IPIs: the demo's VM has one vCPU, the BSP; what
 * names no vCPU of it (another APIC ID) or what the library leaves to the
 * embedder (an INIT to the BSP, which would be a reset; SMI) goes nowhere,
 * counted. */
static void pc_ipi(void *ctx, struct x86vcpu_vcpu *from, const struct x86vcpu_lapic_ipi *ipi)
{
    struct pc *pc = ctx;
    if (x86vcpu_lapic_ipi_match(from, from, ipi) && !x86vcpu_lapic_ipi_deliver(from, ipi))
        pc->ipis_delivered++;
    else
        pc->ipis_nowhere++;
}

void pc_main(struct x86vcpu_cpu *cpu, const struct host_mbi *mbi, const char *cmdline)
{
    static struct pc pc;
    struct vm *vm = &pc.vm;
    vm->cpu = cpu;
    if (setup(&pc, mbi, cmdline)) {
        vm_end(vm, VM_STOPPED, "the guest could not be started");
    } else {
        uint64_t t0 = rdtsc();
        vm_run(vm);
        uint64_t t1 = rdtsc();
        con_guest_flush();
        vm_print_stats(vm, "x86vcpu demo: exit statistics:");
        con_printf("    HLT waits %lu, all-ones/ignored accesses %lu, ROM writes dropped %lu, "
                   "hypercalls refused %lu\n",
                   (unsigned long)vm->hlt_waits, (unsigned long)vm->unassigned,
                   (unsigned long)pc.rom_writes, (unsigned long)vm->hypercalls_refused);
        con_printf("x86vcpu demo: guest ran %lu ticks from entry to exit\n",
                   (unsigned long)(t1 - t0));
        /* What the guest's interrupt hardware did, that the machine's
         * is as it was, and what the EPT tables grew by (APIC moves must
         * not make them grow). */
        struct hostaudit after;
        hostaudit_take(&after);
        uint32_t changed = hostaudit_diff(&pc.host_before, &after);
        uint32_t frames = x86vcpu_ept_table_frames(vm->ept);
        con_printf("x86vcpu demo: interrupts: %lu from the 8259, %lu from the I/O APIC "
                   "(%lu to no vCPU, %lu INIT/SMI dropped); IPIs: %lu delivered, %lu to no "
                   "vCPU; host exits for external interrupts %lu; time slices %lu\n",
                   (unsigned long)pc.irq.injected, (unsigned long)pc.irq.ioapic_sent,
                   (unsigned long)pc.irq.ioapic_missed, (unsigned long)pc.irq.ioapic_dropped,
                   (unsigned long)pc.ipis_delivered, (unsigned long)pc.ipis_nowhere,
                   (unsigned long)vm->host_irqs, (unsigned long)vm->time_slices);
        con_printf("x86vcpu demo: host interrupt hardware, HPET and CMOS: %s%s%s%s%s%s; "
                   "EPT tables grew by %d frames during the run (%u at the start)\n",
                   changed ? "CHANGED:" : "unchanged", changed & HOSTAUDIT_PIC ? " 8259" : "",
                   changed & HOSTAUDIT_IOAPIC ? " I/O-APIC" : "",
                   changed & HOSTAUDIT_LAPIC_BIT ? " LAPIC" : "",
                   changed & HOSTAUDIT_HPET_BIT ? " HPET" : "", changed & HOSTAUDIT_CMOS ? " CMOS" : "",
                   (int)(frames - pc.ept_frames_start), pc.ept_frames_start);
    }
    con_printf("x86vcpu demo: guest exit status %u (%s)\n", vm->status, vm->why);
}

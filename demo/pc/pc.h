/* demo/pc/pc.h — the PC the demo gives a multiboot kernel written for
 * QEMU's -kernel (make run GUEST=...): a vm (vm.h) with
 *
 *   memory   MEM MiB of RAM through EPT; the VGA window is the machine's
 *            (a display, with the VGA ports: legacy.c); every other
 *            address reads all-ones, the HPET's 0xFED00000 too: there is
 *            no HPET (memmap.c).
 *   firmware the demo's own, nothing of the machine's (firmware.c): the
 *            BIOS area 0xE0000-0xFFFFF is RAM mapped read/execute-only
 *            (writes are dropped) holding ACPI tables that describe this
 *            PC (acpi.c: RSDP, RSDT/XSDT, FADT, DSDT with \_S5, MADT);
 *            low memory a synthetic IVT, BIOS data area and EBDA, which
 *            holds the FACS (read/write memory, as ACPI wants).
 *   devices  COM1 with IRQ4 (uart.c), QEMU's isa-debug-exit, pc-testdev's
 *            latch, IRQ lines and iomem window, Bochs' shutdown port
 *            (testdev.c), fw_cfg (fwcfg.c), port 0xE9 (debugcon.c), the
 *            ACPI PM1a block at 0x600 (power-off) and reset (pm.c), MSRs
 *            (msr.c), a PCI bus with a host bridge only (pci.c: ports
 *            0xCF8/0xCFC); port 0x80 a byte latch (legacy.c); other ports read all-ones.
 *   interrupts all the guest's own (irq.c, irq.h): 8259 pair (the vCPU's
 *            INTR line), 8254 PIT and port 0x61, RTC/CMOS, PM timer at
 *            0x608, I/O APIC (ID 0, version 0x11, ISA IRQ0 on GSI 2), and
 *            the library's virtual local APIC (lapic=virtual-soft: its
 *            software path). The machine's 8259s are masked and its
 *            external interrupts exit to the demo; hostaudit.c checks at
 *            the end that the machine's interrupt hardware, HPET and CMOS
 *            are as they were. CPUID hides MONITOR/MWAIT.
 *   HLT      waits in the HLT activity state.
 *   VMCALL   no hypercall is implemented: RAX = -1000 (-KVM_ENOSYS), or
 *            -1 (-KVM_EPERM) from CPL > 0, as KVM answers (vm.c).
 *
 * The run ends with a line "x86vcpu demo: guest exit status N (why)": odd
 * N = (v << 1) | 1 for an isa-debug-exit write of v; 0 = power-off or
 * reset; 2 = triple fault; 4 = HLT with interrupts off; 6 = the hypervisor
 * stopped it (bad image, unhandled exit) — enum vm_status. */
#ifndef DEMO_PC_PC_H
#define DEMO_PC_PC_H

#include <stdint.h>
#include <x86vcpu/x86vcpu.h>
#include "vm.h"
#include "host.h"
#include "loader/multiboot.h"
#include "pc/hostaudit.h"
#include "pc/irq.h"
#include "pc/legacy.h"
#include "pc/fwcfg.h"
#include "pc/msr.h"
#include "pc/tsc.h"
#include "pc/pm.h"
#include "pc/testdev.h"
#include "pc/uart.h"

#define PC_IOAPIC 0xfec00000ull
#define PC_HPET   0xfed00000ull
#define PC_LAPIC  0xfee00000ull

#define PC_MAP_MAX  24
struct pc {
    struct vm vm;
    struct mb_range map[PC_MAP_MAX];    /* the guest's E820 map */
    uint32_t nmap;
    uint16_t pm1a_cnt, pm_tmr;          /* the demo's FADT's ports (pm.h) */
    uint64_t rom_writes;                /* writes to the BIOS area (ACPI tables) dropped */

    struct uart com1;
    struct fwcfg fwcfg;
    struct latch latch;
    struct shutdown_port shutdown;
    struct pm pm;
    struct pc_msrs msrs;
    struct legacy legacy;
    uint32_t host_tsc_khz;              /* PIT-calibrated once (pc/tsc.c) */
    struct hostaudit host_before;       /* the machine's interrupt hardware before the run */
    uint64_t ipis_delivered, ipis_nowhere;
    int vid;                            /* lapic=virtual-vid (pc.c start_guest) */
    struct irq irq;                     /* pic=virtual: the guest's own PIC, PIT, RTC, PM timer */
    uint32_t slice_us;                  /* its time slice (pic_slice_us=) */
    uint32_t ept_frames_start;          /* EPT table frames when the guest started */
};

/* Runs the kernel given as GRUB modules of the demo ("kernel", "names",
 * "initrd"; make run GUEST=...) with "mem=N" MiB from the demo's command
 * line (default 128); prints the guest's console live, the exit
 * statistics and the exit status line. */
void pc_main(struct x86vcpu_cpu *cpu, const struct host_mbi *mbi, const char *cmdline);

/* memmap.c: the guest's E820 map (RAM, the EBDA, the BIOS area, APICs,
 * BIOS ROM window), the EPT for it, and what one page is when no device
 * sits on it. */
void pc_build_map(struct pc *pc, const struct host_mbi *mbi);
int pc_map_memory(struct pc *pc);
int pc_map_page(struct pc *pc, uint64_t gpa);

/* firmware.c: the demo's firmware in guest RAM (ACPI tables in the BIOS
 * area, IVT, BIOS data area, EBDA; sets pm1a_cnt and pm_tmr): 0 or -1;
 * firmware_attach: the BIOS area's writes dropped and counted. */
int pc_firmware_build(struct pc *pc);
int firmware_attach(struct pc *pc);

#endif

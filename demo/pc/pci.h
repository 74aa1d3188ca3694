/* demo/pc/pci.h — the guest's PCI bus: a host bridge and nothing else.
 *
 * Configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2):
 *   CONFIG_ADDRESS  port 0xCF8, 32-bit accesses only: bit 31 enable, bits
 *                   23:16 bus, 15:11 device, 10:8 function, 7:2 register.
 *                   Bits 30:24 and 1:0 are reserved and read 0. Narrower
 *                   accesses to 0xCF8-0xCFB are ordinary I/O (the spec: they
 *                   "have no effect on CONFIG_ADDRESS"): they read all-ones
 *                   here, and 0xCF9 is the reset control register of pm.c.
 *   CONFIG_DATA     ports 0xCFC-0xCFF, 1, 2 or 4 bytes: the bytes of the
 *                   selected dword from (port & 3) on. With the enable bit
 *                   clear, or an access running past 0xCFF, the ports are
 *                   ordinary I/O (all-ones).
 *
 * Bus 0, device 0, function 0 is a host bridge with the IDs of the Intel
 * 82441FX (440FX PMC, 8086:1237, class 06 00 00, header type 0, revision
 * 00), as bare Bochs shows it, so Linux applies the same quirks in both
 * runs (tests/linux/init.sh reads it on both). Only its type-0 header is modelled: PCICMD 0006h
 * (memory and bus master, hardwired) with SERR#/parity enables writable,
 * PCISTS 0280h (no error is ever latched: its write-1-to-clear bits stay
 * 0), the latency timer's bits 7:3 writable; no BARs, no interrupt pin, no
 * capabilities. The chipset registers (0x40-0xFF: PAM, DRAM rows, SMRAM)
 * are not: they read 0 and writes are dropped, since the demo's memory map
 * (memmap.c) is fixed. Every other bus/device/function is absent: reads
 * all-ones (a master abort), writes are dropped. There are no MSI-capable
 * devices: the FADT keeps IAPC_BOOT_ARCH "MSI not supported" (firmware.c).
 *
 * Pure logic; tests/unit/test_pci.c. */
#ifndef DEMO_PC_PCI_H
#define DEMO_PC_PCI_H

#include <stdint.h>

struct vm;

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA    0xcfc
#define PCI_ADDR_ENABLE    0x80000000u
#define PCI_ADDR_MASK      0x80fffffcu  /* what CONFIG_ADDRESS keeps */

#define PCI_HB_VENDOR      0x8086
#define PCI_HB_DEVICE      0x1237
#define PCI_HB_REVISION    0x00         /* as Bochs' 440FX model reads */
#define PCI_HB_CLASS       0x060000u    /* bridge, host bridge, prog-if 0 */

struct pci_host {
    uint32_t addr;                      /* CONFIG_ADDRESS */
    uint8_t cfg[256];                   /* bus 0 device 0 function 0 */
    uint64_t absent_reads;              /* config reads of an absent function */
};

void pci_host_init(struct pci_host *h);
/* CONFIG_ADDRESS, as a 32-bit access sees it. */
void pci_host_set_addr(struct pci_host *h, uint32_t val);
/* The configuration space of bus/dev/fn at byte reg, size 1, 2 or 4 bytes
 * within one dword: all-ones for a function that is not there. */
uint32_t pci_host_cfg_read(struct pci_host *h, uint32_t bdf, uint32_t reg, uint32_t size);
void pci_host_cfg_write(struct pci_host *h, uint32_t bdf, uint32_t reg, uint32_t size,
                        uint32_t val);
#define PCI_BDF(bus, dev, fn) (((uint32_t)(bus) << 8) | ((uint32_t)(dev) << 3) | (uint32_t)(fn))

/* Ports 0xCF8 (one byte: a dword access starts there) and 0xCFC-0xCFF on
 * the machine's bus. */
int pci_host_attach(struct pci_host *h, struct vm *vm);
/* The demo's one PC: its host bridge, static in pci.c. */
int pci_attach(struct vm *vm);

#endif

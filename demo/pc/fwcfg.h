/* demo/pc/fwcfg.h — QEMU's firmware configuration device, traditional I/O
 * interface: selector at 0x510 (16-bit write), data at 0x511 (byte reads
 * that advance through the selected item; past its end, and for unknown
 * keys, 0). Items: signature, ID, RAM size, CPU counts, maximum RAM
 * address. The model is pure; unit-tested on the host
 * (tests/unit/test_fwcfg.c). */
#ifndef DEMO_PC_FWCFG_H
#define DEMO_PC_FWCFG_H

#include <stdint.h>

struct vm;

#define FWCFG_PORT_SEL    0x510
#define FWCFG_PORT_DATA   0x511
#define FWCFG_SIGNATURE   0x00
#define FWCFG_ID          0x01
#define FWCFG_RAM_SIZE    0x03
#define FWCFG_NB_CPUS     0x05
#define FWCFG_MAX_CPUS    0x0f
#define FWCFG_MAX_RAM     0x11  /* as kvm-unit-tests reads it: end of RAM */
struct fwcfg {
    uint64_t ram_size;
    uint16_t nb_cpus, max_cpus;
    uint16_t key;
    uint16_t pad;
    uint32_t off;
    uint32_t pad2;
};
/* fwcfg_init selects key 0 (as QEMU at reset). All 16 selector bits form
 * the key: with bit 14 (write) or 15 (arch-specific) set, no item here. */
void fwcfg_init(struct fwcfg *f, uint64_t ram_size, uint16_t nb_cpus, uint16_t max_cpus);
void fwcfg_select(struct fwcfg *f, uint16_t key);
uint8_t fwcfg_read(struct fwcfg *f);

/* The device on a machine with one CPU and the vm's RAM: a 16- or 32-bit
 * write to 0x510 selects, a read of 0x511 returns the next byte (wider
 * reads: the byte, all-ones above it, as nothing answers at 0x512..). */
int fwcfg_attach(struct fwcfg *f, struct vm *vm);

#endif

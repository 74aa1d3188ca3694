/* demo/vm.h — one virtual machine of the demo: guest RAM behind an EPT, a
 * bus of devices, one vCPU, and the run loop that serves its exits.
 *
 * A machine (the greeting guest in greeting.c, the PC in pc/, the test
 * harness's machine) fills in a struct vm: vm_init for RAM and EPT, its
 * devices on vm->bus (bus.h), then vm_start_vcpu and vm_run. The loop
 * serves I/O, MMIO and MSR exits through the bus, counts time slices, and
 * gives every other exit to the machine's on_exit first, then to the PC
 * defaults (HLT waits, NMIs go to the guest, a triple fault or an exit
 * nobody serves ends the run). The run ends when something calls vm_end. */
#ifndef DEMO_VM_H
#define DEMO_VM_H

#include <stdint.h>
#include <x86vcpu/x86vcpu.h>
#include "bus.h"

/* How a run ended: the status the demo reports ("guest exit status N");
 * odd values are the guest's own (isa-debug-exit). */
enum vm_status {
    VM_OFF = 0,         /* the guest ended itself: power-off, reset, done */
    VM_TRIPLE = 2,      /* triple fault */
    VM_HALTED = 4,      /* HLT that nothing can wake (or halt_ends) */
    VM_STOPPED = 6,     /* the hypervisor stopped it (bad image, unserved exit, error) */
};

struct vm {
    /* The machine: set before the run. */
    struct x86vcpu_cpu *cpu;
    struct x86vcpu_ept *ept;
    uint8_t *ram;               /* host view of guest-physical [0, ram_size) */
    uint64_t ram_pa, ram_size;
    struct bus bus;
    /* The guest's console bytes (debug port, COM1): vm_console_raw or
     * vm_console_lines. */
    void (*console)(struct vm *vm, char c);
    int halt_ends;              /* HLT ends the run (a guest that halts is done) */
    uint64_t max_runs;          /* stop after this many VM entries (0: no limit) */
    /* Exits the loop does not serve itself; returns 1 when it served e. */
    int (*on_exit)(struct vm *vm, const struct x86vcpu_exit *e);
    /* Called before (after = 0) and after (1) every x86vcpu_vcpu_run. */
    void (*around_run)(struct vm *vm, int after);
    /* The library's virtual local APIC for the vCPU (lapic=virtual), or 0:
     * the machine's own passed through (pc/apic.c). */
    const struct x86vcpu_lapic_config *lapic;
    /* Port I/O served inside run() (vm_port_inline through
     * x86vcpu_set_port_handler) instead of returning to vm_run; and the
     * devices' share of around_run for it, called after each such access
     * as around_run would be before the next entry: it brings the devices
     * up to now and returns 1 when around_run itself must run before the
     * guest goes on (a timer to arm): run() then returns. */
    int inline_io;
    int (*inline_sync)(struct vm *vm);

    /* The run: reset by vm_start_vcpu. */
    struct x86vcpu_vcpu *v;
    struct x86vcpu_exit exit;   /* the last exit */
    int done;
    uint32_t status;            /* enum vm_status or the guest's own */
    const char *why;
    uint64_t unassigned;        /* accesses to nothing: all-ones reads, ignored writes */
    uint64_t hlt_waits, string_ios, msr_exits, time_slices;
    uint64_t host_irqs;         /* the machine's interrupts taken while the guest ran */
    uint64_t inline_returns;    /* port accesses served inside run() that ended it */
    uint64_t runs;              /* x86vcpu_vcpu_run calls: exits the loop saw */
    uint64_t hypercalls_refused; /* VMCALLs answered -KVM_ENOSYS / -KVM_EPERM */
    char line[160];             /* vm_console_lines: the line being collected */
    uint32_t linelen;
};

/* End the run (the first reason given stays). */
static inline void vm_end(struct vm *vm, uint32_t status, const char *why)
{
    if (!vm->done) {
        vm->done = 1;
        vm->status = status;
        vm->why = why;
    }
}

/* Guest RAM of ram_size bytes (zeroed, 2 MiB aligned, from the frame
 * allocator) and an empty EPT (accessed/dirty flags on). Returns 0, -1 when
 * memory is short, or an x86vcpu error. */
int vm_init(struct vm *vm, struct x86vcpu_cpu *cpu, uint64_t ram_size);
/* Guest-physical [0, ram_size) -> RAM, write-back, RWX. */
int vm_map_ram(struct vm *vm);
/* Host pointer to guest-physical [gpa, gpa + len) of RAM, or NULL. */
void *vm_gpa(const struct vm *vm, uint64_t gpa, uint64_t len);

/* Create, set up (with the vm's EPT, VPID 1) and bind a vCPU,
 * open the bus's pass-through ranges, reset the run. Returns 0 or an
 * x86vcpu error (no vCPU left then). */
int vm_start_vcpu(struct vm *vm, struct x86vcpu_setup *s);
void vm_stop_vcpu(struct vm *vm);

/* Run until vm_end. */
void vm_run(struct vm *vm);
/* The port handler vm_start_vcpu gives the vCPU when vm->inline_io
 * (x86vcpu_port_fn, ctx = the vm): the access goes to the bus as vm_run
 * would send it; the VM's end or inline_sync make run() return. */
int vm_port_inline(void *vm, uint16_t port, uint32_t size, int in, uint32_t *value);
/* Serve one IN/OUT or INS/OUTS exit through the bus. */
void vm_serve_io(struct vm *vm, struct x86vcpu_exit *e);

/* The exit statistics of the vCPU, under a title line. */
void vm_print_stats(const struct vm *vm, const char *title);

/* Console sinks: raw bytes to the host console's guest channel (a PC
 * guest's serial output), or lines printed as "  guest| text". */
void vm_console_raw(struct vm *vm, char c);
void vm_console_lines(struct vm *vm, char c);
/* Print a collected partial line. */
void vm_console_flush(struct vm *vm);

#endif

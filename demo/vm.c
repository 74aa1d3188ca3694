/* demo/vm.c — see vm.h. */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>
#include <x86vcpu/exit_reasons.h>
#include "arch.h"
#include "console.h"
#include "frames.h"
#include "vm.h"

#define RFLAGS_IF (1u << 9)

int vm_init(struct vm *vm, struct x86vcpu_cpu *cpu, uint64_t ram_size)
{
    vm->cpu = cpu;
    vm->ram_size = ram_size;
    /* 2 MiB aligned so that the EPT can map it with large pages. */
    vm->ram_pa = frames_alloc_contig(ram_size, 2ull << 20);
    if (!vm->ram_pa)
        return -1;
    vm->ram = (uint8_t *)(uintptr_t)vm->ram_pa;
    return x86vcpu_ept_create(cpu, X86VCPU_EPT_AD, &vm->ept);
}

int vm_map_ram(struct vm *vm)
{
    return x86vcpu_ept_map(vm->ept, 0, vm->ram_pa, vm->ram_size, X86VCPU_EPT_RWX, X86VCPU_MT_WB);
}

void *vm_gpa(const struct vm *vm, uint64_t gpa, uint64_t len)
{
    if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
        return 0;
    return vm->ram + gpa;
}

/* The bus's pass-through ranges into the vCPU's intercept bitmaps (every
 * port and MSR exits until opened). */
static int open_passes(struct vm *vm)
{
    int err = 0;
    for (uint32_t i = 0; !err && i < vm->bus.npass; i++) {
        const struct bus_pass *p = &vm->bus.pass[i];
        if (p->space == BUS_PIO) {
            err = x86vcpu_io_intercept(vm->v, (uint16_t)p->base, p->len, 0);
            continue;
        }
        for (uint32_t k = 0; !err && k < p->len; k++)
            err = x86vcpu_msr_intercept(vm->v, p->base + k, !(p->flags & BUS_PASS_READ),
                                        !(p->flags & BUS_PASS_WRITE));
    }
    return err;
}

int vm_start_vcpu(struct vm *vm, struct x86vcpu_setup *s)
{
    s->ept = vm->ept;
    s->vpid = 1;
    vm->done = 0;
    vm->status = 0;
    vm->why = 0;
    vm->unassigned = vm->hlt_waits = vm->string_ios = vm->msr_exits = 0;
    vm->time_slices = vm->host_irqs = vm->inline_returns = vm->runs = 0;
    vm->linelen = 0;
    int err = x86vcpu_vcpu_create(vm->cpu, &vm->v);
    if (err) {
        vm->v = 0;
        return err;
    }
    err = vm->lapic ? x86vcpu_lapic_enable(vm->v, vm->lapic) : 0;
    if (!err && vm->inline_io)
        err = x86vcpu_set_port_handler(vm->v, vm_port_inline, vm);
    if (!err)
        err = x86vcpu_vcpu_setup(vm->v, s);
    if (!err)
        err = open_passes(vm);
    if (!err)
        err = x86vcpu_vcpu_bind(vm->v, vm->cpu);
    if (err) {
        x86vcpu_vcpu_destroy(vm->v);
        vm->v = 0;
    }
    return err;
}

void vm_stop_vcpu(struct vm *vm)
{
    x86vcpu_vcpu_unbind(vm->v);
    x86vcpu_vcpu_destroy(vm->v);
    vm->v = 0;
}

/* ------------------------------------------------------------ exits */
static void serve_other(struct vm *vm, const struct x86vcpu_exit *e);

/* INS/OUTS go through the library, which reaches guest memory as the CPU
 * would (segments, paging, EPT rights; faults to the guest), a page at most
 * per exit; an element outside RAM comes back as the EPT violation it is.
 * Out of line: the OUT path below stays short. */
static void serve_mmio(struct vm *vm, const struct x86vcpu_exit *e);

static __attribute__((noinline)) void serve_string_io(struct vm *vm, struct x86vcpu_exit *e)
{
    vm->string_ios++;
    if (x86vcpu_string_io(vm->v, e, bus_port_io, &vm->bus) != 1)
        return;
    /* An element whose memory is MMIO comes back as an MMIO exit. */
    if (e->kind == X86VCPU_EXIT_MMIO)
        serve_mmio(vm, e);
    else if (!vm->on_exit || !vm->on_exit(vm, e))
        serve_other(vm, e);
}

/* A port the guest reaches directly (a bus pass range) can still exit:
 * an INS/OUTS whose memory is MMIO comes back from the library as a plain
 * IN/OUT of the element, with reason EPT_VIOLATION (a port exit proper is
 * never a passed port: the unclaimed OUT path stays a compare). Do what
 * the guest's own instruction would have done: the hardware access.
 * Returns 0 when the port is not passed. */
static __attribute__((noinline)) int pass_io(struct vm *vm, const struct x86vcpu_exit *e,
                                             uint64_t *val)
{
    uint32_t port = e->u.io.port, size = e->u.io.size;
    for (uint32_t i = 0; i < vm->bus.npass; i++) {
        const struct bus_pass *p = &vm->bus.pass[i];
        if (p->space != BUS_PIO || port < p->base || port + size > p->base + p->len)
            continue;
        if (e->u.io.in)
            *val = size == 1 ? inb((uint16_t)port) : size == 2 ? inw((uint16_t)port)
                                                               : inl((uint16_t)port);
        else if (size == 1)
            outb((uint16_t)port, (uint8_t)e->u.io.value);
        else if (size == 2)
            outw((uint16_t)port, (uint16_t)e->u.io.value);
        else
            outl((uint16_t)port, e->u.io.value);
        return 1;
    }
    return 0;
}

/* Inlined into the run loop: the path of every port exit. */
static inline __attribute__((always_inline)) void serve_io(struct vm *vm, struct x86vcpu_exit *e)
{
    uint64_t val;
    if (e->u.io.string) {
        serve_string_io(vm, e);
    } else if (e->u.io.in) {
        if (bus_read(&vm->bus, BUS_PIO, e->u.io.port, e->u.io.size, &val) == BUS_UNCLAIMED &&
            e->reason != X86VCPU_EXIT_REASON_IO_INSTRUCTION)
            pass_io(vm, e, &val);
        x86vcpu_complete_io_in(vm->v, (uint32_t)val);
    } else if (bus_write(&vm->bus, BUS_PIO, e->u.io.port, e->u.io.size, e->u.io.value) ==
                   BUS_UNCLAIMED &&
               e->reason != X86VCPU_EXIT_REASON_IO_INSTRUCTION) {
        pass_io(vm, e, &val);
    }
}

void vm_serve_io(struct vm *vm, struct x86vcpu_exit *e)
{
    serve_io(vm, e);
}

/* An IN/OUT inside run(): what serve_io does with a port exit proper (an
 * unclaimed port reads all-ones and drops writes; pass_io is only for
 * elements of INS/OUTS, which never come here). Then what around_run
 * would do before the next entry (inline_sync). Served; the guest goes on
 * unless the VM ended or around_run itself is due: then run() returns the
 * access served, and vm_run does that work. */
int vm_port_inline(void *ctx, uint16_t port, uint32_t size, int in, uint32_t *value)
{
    struct vm *vm = ctx;
    if (in) {
        uint64_t val;
        bus_read(&vm->bus, BUS_PIO, port, size, &val);
        *value = (uint32_t)val;
    } else {
        bus_write(&vm->bus, BUS_PIO, port, size, *value);
    }
    if (vm->done || (vm->inline_sync && vm->inline_sync(vm))) {
        vm->inline_returns++;
        return X86VCPU_PORT_SERVED_RETURN;
    }
    return X86VCPU_PORT_SERVED;
}

static void serve_mmio(struct vm *vm, const struct x86vcpu_exit *e)
{
    uint64_t val = 0;
    int rc = e->u.mmio.write
                 ? bus_write(&vm->bus, BUS_MMIO, e->u.mmio.gpa, e->u.mmio.size, e->u.mmio.value)
                 : bus_read(&vm->bus, BUS_MMIO, e->u.mmio.gpa, e->u.mmio.size, &val);
    /* Nothing there: all-ones, as on a PC's bus; the first few reads are
     * worth a note. */
    if (rc == BUS_UNCLAIMED && vm->unassigned++ < 4 && !e->u.mmio.write)
        con_printf("x86vcpu demo: guest read unassigned physical address 0x%lx\n",
                   (unsigned long)e->u.mmio.gpa);
    x86vcpu_complete_mmio(vm->v, val);
}

/* RDMSR/WRMSR the library left to us: a device's, or #GP(0). */
static void serve_msr(struct vm *vm, const struct x86vcpu_exit *e)
{
    uint64_t val;
    vm->msr_exits++;
    if (e->kind == X86VCPU_EXIT_MSR_READ) {
        if (bus_read(&vm->bus, BUS_MSR, e->u.msr.index, 8, &val) == BUS_OK)
            x86vcpu_complete_msr_read(vm->v, val);
        else
            x86vcpu_complete_msr_fault(vm->v);
    } else if (bus_write(&vm->bus, BUS_MSR, e->u.msr.index, 8, e->u.msr.value) == BUS_OK) {
        x86vcpu_complete_msr_write(vm->v);
    } else {
        x86vcpu_complete_msr_fault(vm->v);
    }
}

static void serve_hlt(struct vm *vm, const struct x86vcpu_exit *e)
{
    if (vm->halt_ends) {
        vm_end(vm, VM_HALTED, "halted");
        return;
    }
    /* A PC waits for the next interrupt; with IF clear nothing but an NMI
     * could come, and none will. */
    uint64_t rflags = 0;
    x86vcpu_get_rflags(vm->v, &rflags);
    if (!(rflags & RFLAGS_IF) && !x86vcpu_pending_events(vm->v)) {
        con_printf("x86vcpu demo: HLT with interrupts disabled at 0x%lx\n", (unsigned long)e->rip);
        vm_end(vm, VM_HALTED, "halted with interrupts off");
        return;
    }
    /* The next entry leaves the vCPU in the HLT activity state: the CPU
     * waits in VMX non-root operation until an interrupt wakes it. */
    vm->hlt_waits++;
    if (x86vcpu_halt(vm->v))
        vm_end(vm, VM_STOPPED, "x86vcpu_halt failed");
}

/* KVM's hypercall error numbers (include/uapi/linux/kvm_para.h): a guest
 * written for KVM probes with VMCALL and goes on when it gets one. */
#define KVM_ENOSYS 1000
#define KVM_EPERM  1

static void serve_other(struct vm *vm, const struct x86vcpu_exit *e)
{
    switch (e->kind) {
    case X86VCPU_EXIT_HLT:
        serve_hlt(vm, e);
        break;
    case X86VCPU_EXIT_HYPERCALL:
        /* The demo's PC implements no hypercall (the test image's harness
         * does, in its on_exit hook): -KVM_ENOSYS in RAX, -KVM_EPERM from
         * CPL > 0 (only the guest's kernel may call), as KVM answers. */
        vm->hypercalls_refused++;
        x86vcpu_set_hypercall_result(vm->v, e->u.hypercall.cpl ? (uint64_t)-KVM_EPERM
                                                                : (uint64_t)-KVM_ENOSYS);
        break;
    case X86VCPU_EXIT_NMI:
        /* The platform's NMI is the guest's; this CPU must IRET before it
         * can take another one. */
        nmi_unblock();
        x86vcpu_queue_nmi(vm->v);
        break;
    case X86VCPU_EXIT_EXTINT:
        /* One of the machine's interrupts (with external-interrupt
         * exiting on): acknowledged by the exit, so it is in service in
         * the host's LAPIC until EOI (SDM 27.2.2); a spurious vector is
         * never in service (SDM 11.9). None is the guest's. */
        vm->host_irqs++;
        if (e->u.extint.valid && e->u.extint.vector != (lapic_read(0xf0) & 0xff))
            lapic_write(0xb0, 0);
        break;
    case X86VCPU_EXIT_SHUTDOWN:
        con_printf("x86vcpu demo: the guest triple-faulted at 0x%lx\n", (unsigned long)e->rip);
        vm_end(vm, VM_TRIPLE, "triple fault (shutdown)");
        break;
    case X86VCPU_EXIT_MMIO_UNSUPPORTED:
        con_printf("x86vcpu demo: MMIO at 0x%lx by an instruction the library cannot emulate:",
                   (unsigned long)e->u.mmio.gpa);
        for (unsigned i = 0; i < e->u.mmio.insn_len; i++)
            con_printf(" %02x", e->u.mmio.insn[i]);
        con_printf("\n");
        vm_end(vm, VM_STOPPED, "unsupported MMIO instruction");
        break;
    case X86VCPU_EXIT_ENTRY_FAILED:
        con_printf("x86vcpu demo: VM entry failed: %s, qualification 0x%lx\n",
                   e->u.entry_failed.reason_name, (unsigned long)e->u.entry_failed.qualification);
        vm_end(vm, VM_STOPPED, "VM entry failed");
        break;
    default:
        con_printf("x86vcpu demo: unhandled exit %s (qualification 0x%lx) at 0x%lx\n",
                   x86vcpu_exit_reason_name(e->reason), (unsigned long)e->qualification,
                   (unsigned long)e->rip);
        if (e->kind == X86VCPU_EXIT_EPT_VIOLATION)
            con_printf("  guest-physical 0x%lx\n", (unsigned long)e->u.ept.gpa);
        vm_end(vm, VM_STOPPED, "unhandled exit");
        break;
    }
}

void vm_run(struct vm *vm)
{
    struct x86vcpu_exit *e = &vm->exit;
    uint64_t left = vm->max_runs ? vm->max_runs : ~0ull;
    while (!vm->done) {
        if (left-- == 0) {
            con_printf("x86vcpu demo: the guest is still running after %lu entries\n",
                       (unsigned long)vm->max_runs);
            vm_end(vm, VM_STOPPED, "too many VM entries");
            break;
        }
        /* The hook as it was before the run: on_exit may change it. */
        void (*around)(struct vm *, int) = vm->around_run;
        if (around)
            around(vm, 0);
        int err = x86vcpu_vcpu_run(vm->v, e);
        vm->runs++;
        if (around)
            around(vm, 1);
        if (err) {
            con_printf("x86vcpu demo: run: %s", x86vcpu_strerror(err));
            if (err == X86VCPU_EVMFAILVALID)
                con_printf(" (VM-instruction error %u: %s)", x86vcpu_vcpu_vm_error(vm->v),
                           x86vcpu_vm_error_name(x86vcpu_vcpu_vm_error(vm->v)));
            con_printf("\n");
            vm_end(vm, VM_STOPPED, "library error");
            break;
        }
        switch (e->kind) {
        case X86VCPU_EXIT_IO:
            if (!e->u.io.served) /* else vm_port_inline served it */
                serve_io(vm, e);
            break;
        case X86VCPU_EXIT_MMIO:
            serve_mmio(vm, e);
            break;
        case X86VCPU_EXIT_MSR_READ:
        case X86VCPU_EXIT_MSR_WRITE:
            serve_msr(vm, e);
            break;
        case X86VCPU_EXIT_TIME_SLICE:
            vm->time_slices++;
            break;
        default:
            if (!vm->on_exit || !vm->on_exit(vm, e))
                serve_other(vm, e);
            break;
        }
    }
}

/* ------------------------------------------------------------ output */
void vm_print_stats(const struct vm *vm, const char *title)
{
    const struct x86vcpu_stats *st = x86vcpu_vcpu_stats(vm->v);
    uint64_t total = 0;
    con_printf("%s\n", title);
    for (uint32_t i = 0; i < X86VCPU_EXIT_REASON_MAX; i++) {
        if (!st->exits[i])
            continue;
        total += st->exits[i];
        con_printf("    %-28s %8lu\n", x86vcpu_exit_reason_name(i), (unsigned long)st->exits[i]);
    }
    con_printf("    %-28s %8lu   (VM entries %lu, VMREADs %lu, VMWRITEs %lu)\n", "total",
               (unsigned long)total, (unsigned long)st->entries, (unsigned long)st->vmreads,
               (unsigned long)st->vmwrites);
    con_printf("    state switches: XCR0 %lu XSETBVs, syscall MSRs %lu WRMSRs\n",
               (unsigned long)st->xcr0_switches, (unsigned long)st->msr_switches);
    con_printf("    calls of run(): %lu", (unsigned long)vm->runs);
    if (vm->inline_io)
        con_printf("; port I/O served inside run(): %lu (%lu of them returned)",
                   (unsigned long)st->port_served, (unsigned long)vm->inline_returns);
    con_printf("\n");
}

void vm_console_raw(struct vm *vm, char c)
{
    (void)vm;
    con_guest_putc(c);
}

void vm_console_lines(struct vm *vm, char c)
{
    if (c == '\n' || vm->linelen == sizeof vm->line - 1) {
        vm->line[vm->linelen] = 0;
        con_printf("  guest| %s\n", vm->line);
        vm->linelen = 0;
        if (c == '\n')
            return;
    }
    vm->line[vm->linelen++] = c;
}

void vm_console_flush(struct vm *vm)
{
    if (vm->linelen)
        vm_console_lines(vm, '\n');
}

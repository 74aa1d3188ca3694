/* demo/greeting.c — the guest of `make run`: a real-mode program
 * (demo/guest/hello.c) in 16 MiB of RAM, whose only device is the debug
 * console port 0xE9. It greets, asks CPUID about its hypervisor, and halts;
 * then the exit statistics show what the library did for it. */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

#include "arch.h"
#include "console.h"
#include "greeting.h"
#include "vm.h"
#include "pc/debugcon.h"

#define GUEST_RAM   (16ull << 20)
#define HELLO_LOAD  0x8000      /* demo/guest/guest.ld */
#define HELLO_STACK 0x7000

extern const uint8_t hello_guest_start[], hello_guest_end[];

void greeting_main(struct x86vcpu_cpu *cpu)
{
    static struct vm vm;
    /* The demo never uses SYSCALL. Bochs resets IA32_FMASK to 0x20200; a
     * vCPU starts with 0 (x86vcpu keeps the guest's syscall MSRs apart).
     * Equal values mean no WRMSR at run() boundaries. */
    wrmsr(0xc0000084u, 0);
    int err = vm_init(&vm, cpu, GUEST_RAM);
    if (err < 0) {
        con_printf("no memory for the guest\n");
        return;
    }
    if (!err)
        err = vm_map_ram(&vm);
    if (err) {
        con_printf("EPT: %s\n", x86vcpu_strerror(err));
        return;
    }
    vm.console = vm_console_lines;
    vm.halt_ends = 1;               /* it halts when it is done */
    vm.inline_io = 1;               /* its port output served inside run() */
    debugcon_attach(&vm);

    con_printf("x86vcpu demo: running the greeting guest\n");
    uint64_t len = (uint64_t)(hello_guest_end - hello_guest_start);
    uint8_t *dst = vm_gpa(&vm, HELLO_LOAD, len);
    for (uint64_t i = 0; i < len; i++)
        dst[i] = hello_guest_start[i];
    struct x86vcpu_setup s = { .mode = X86VCPU_MODE_REAL, .entry = HELLO_LOAD, .rsp = HELLO_STACK };
    err = vm_start_vcpu(&vm, &s);
    if (err) {
        con_printf("vCPU for the greeting guest: %s\n", x86vcpu_strerror(err));
        return;
    }
    vm_run(&vm);
    vm_console_flush(&vm);
    con_printf("x86vcpu demo: guest %s\n",
               vm.status == VM_HALTED ? "halted" : "stopped unexpectedly");
    vm_print_stats(&vm, "  exit statistics:");
    vm_stop_vcpu(&vm);
}

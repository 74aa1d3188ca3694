/* tests/harness/initsipi.c — INIT and SIPI on the real thing (issue 13,
 * src/vmx/lapic.c): two vCPUs of one VM, each with the library's virtual
 * local APIC (software path: they share one EPT), run in turn on the one
 * CPU (bind, run, unbind). vCPU 0, the BSP, a 32-bit guest, writes its
 * xAPIC ICR: INIT to APIC ID 1, HLT, then SIPI with vector 08H, HLT. The
 * ipi callback routes as an embedder does (x86vcpu_lapic_ipi_match /
 * _ipi_deliver). vCPU 1, the AP, waits for the SIPI without a VM entry
 * (X86VCPU_EXIT_WAIT_SIPI), then runs the real-mode trampoline at 8000H
 * (SDM 9.4.4: CS = 0800H, IP 0): DS = CS, a marker byte to DS:0100H
 * (linear 8100H: CS's base is vector << 12), VMCALL. Its own EPT over the
 * test machine's RAM, destroyed after, so the APIC page's MMIO range does
 * not stay in the machine's. */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>
#include <x86vcpu/exit_reasons.h>

#include "arch.h"
#include "console.h"
#include "harness.h"

#define BSP_CODE   0x10000u
#define SIPI_VEC   0x08u
#define MARKER_GPA 0x8100u
#define MARKER     0x5au

static struct x86vcpu_vcpu *ms_v[2];
static int ms_rc[2];

static void ms_route(void *ctx, struct x86vcpu_vcpu *from, const struct x86vcpu_lapic_ipi *ipi)
{
    (void)ctx;
    for (int i = 0; i < 2; i++)
        if (x86vcpu_lapic_ipi_match(ms_v[i], from, ipi))
            ms_rc[i] = x86vcpu_lapic_ipi_deliver(ms_v[i], ipi);
}

/* Bind vCPU i, run it to an exit that is not a time slice, unbind. */
static int ms_run(struct x86vcpu_cpu *cpu, int i, struct x86vcpu_exit *e)
{
    int err = x86vcpu_vcpu_bind(ms_v[i], cpu);
    for (int n = 0; !err && n < 1000; n++) {
        err = x86vcpu_vcpu_run(ms_v[i], e);
        if (err || e->kind != X86VCPU_EXIT_TIME_SLICE)
            break;
    }
    int uerr = x86vcpu_vcpu_unbind(ms_v[i]);
    return err ? err : uerr;
}

static void put(uint8_t *p, const uint8_t *code, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = code[i];
}

void test_init_sipi(struct x86vcpu_cpu *cpu)
{
    con_printf("== INIT and SIPI: two vCPUs of one VM on one CPU, xAPIC ICR\n");
    testvm_reset(0, 0);
    struct x86vcpu_vm *vm = 0;
    struct x86vcpu_ept *ept = 0;
    ms_v[0] = ms_v[1] = 0;
    ms_rc[0] = ms_rc[1] = -100;
    int err = x86vcpu_vm_create(cpu, &vm);
    if (!err)
        err = x86vcpu_ept_create(cpu, 0, &ept);
    if (!err)
        err = x86vcpu_ept_map(ept, 0, tvm.vm.ram_pa, 1u << 20, X86VCPU_EPT_RWX, X86VCPU_MT_WB);
    for (int i = 0; i < 2 && !err; i++) {
        err = x86vcpu_vcpu_create_in(vm, cpu, &ms_v[i]);
        struct x86vcpu_lapic_config c = { .apic_id = (uint32_t)i,
                                          .flags = X86VCPU_LAPIC_SOFT |
                                                   (i == 0 ? X86VCPU_LAPIC_BSP : 0),
                                          .ipi = ms_route };
        if (!err)
            err = x86vcpu_lapic_enable(ms_v[i], &c);
        struct x86vcpu_setup s = { .mode = X86VCPU_MODE_PROT32, .entry = BSP_CODE,
                                   .rsp = 0x9000, .ept = ept };
        if (!err)
            err = x86vcpu_vcpu_setup(ms_v[i], &s);
    }
    result(!err, "INIT/SIPI: VM, EPT, two vCPUs with virtual APICs");
    if (err) {
        con_printf("     %s\n", x86vcpu_strerror(err));
        goto out;
    }
    /* vCPU 0: mov dword [FEE00310H], 01000000H (ICR high: APIC ID 1);
     * mov dword [FEE00300H], 4500H (INIT, assert); hlt;
     * mov dword [FEE00300H], 4608H (SIPI, vector 08H); hlt. */
    static const uint8_t bsp[] = {
        0xc7, 0x05, 0x10, 0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x01,
        0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x45, 0x00, 0x00,
        0xf4,
        0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, SIPI_VEC, 0x46, 0x00, 0x00,
        0xf4, 0xf4,
    };
    /* The AP at 0800:0000: mov ax,cs; mov ds,ax; mov byte [0100H],5AH;
     * vmcall; hlt. */
    static const uint8_t ap[] = { 0x8c, 0xc8, 0x8e, 0xd8, 0xc6, 0x06, 0x00, 0x01, MARKER,
                                  0x0f, 0x01, 0xc1, 0xf4 };
    put(tvm.vm.ram + BSP_CODE, bsp, sizeof bsp);
    put(tvm.vm.ram + ((uint32_t)SIPI_VEC << 12), ap, sizeof ap);

    struct x86vcpu_exit e;
    err = ms_run(cpu, 0, &e);
    result_val(!err && e.kind == X86VCPU_EXIT_HLT && ms_rc[1] == 0,
               "INIT/SIPI: vCPU 0's ICR write delivers INIT to vCPU 1 (0)", (uint64_t)ms_rc[1], 0);
    result(ms_rc[0] == -100 && x86vcpu_lapic_waiting_sipi(ms_v[1]) &&
               !x86vcpu_lapic_waiting_sipi(ms_v[0]),
           "INIT/SIPI: vCPU 1 waits for a SIPI, vCPU 0 not a destination");

    uint64_t entries = x86vcpu_vcpu_stats(ms_v[1])->entries;
    err = ms_run(cpu, 1, &e);
    result(!err && e.kind == X86VCPU_EXIT_WAIT_SIPI && e.rip == 0xfff0 &&
               x86vcpu_vcpu_stats(ms_v[1])->entries == entries,
           "INIT/SIPI: vCPU 1's run returns WAIT_SIPI at FFF0H without a VM entry");

    err = ms_run(cpu, 0, &e);
    result(!err && e.kind == X86VCPU_EXIT_HLT && ms_rc[1] == 0 &&
               !x86vcpu_lapic_waiting_sipi(ms_v[1]),
           "INIT/SIPI: vCPU 0 sends the SIPI (vector 08H)");

    err = ms_run(cpu, 1, &e);
    uint64_t cs = 0, cs_base = 0;
    if (!x86vcpu_vcpu_bind(ms_v[1], cpu)) {
        x86vcpu_vmcs_read16(ms_v[1], X86VCPU_VMCS_GUEST_CS_SELECTOR, &cs);
        x86vcpu_vmcs_readnat(ms_v[1], X86VCPU_VMCS_GUEST_CS_BASE, &cs_base);
        x86vcpu_vcpu_unbind(ms_v[1]);
    }
    uint32_t sig[4];
    cpuid(1, 0, sig);
    int ok = !err && e.kind == X86VCPU_EXIT_HYPERCALL && e.rip == 9 &&
             tvm.vm.ram[MARKER_GPA] == MARKER && cs == SIPI_VEC << 8 &&
             cs_base == (uint64_t)SIPI_VEC << 12;
    result(ok, "INIT/SIPI: vCPU 1 runs the real-mode trampoline at 0800:0000, marker at 8100H, "
               "VMCALL");
    if (!ok)
        con_printf("     err %d kind %u rip %lx marker %x cs %lx base %lx\n", err, e.kind,
                   (unsigned long)e.rip, tvm.vm.ram[MARKER_GPA], (unsigned long)cs,
                   (unsigned long)cs_base);
    /* RDX after INIT: the processor signature (SDM Table 9-1), the
     * guest's CPUID.1:EAX (the host's here). */
    result_val(e.kind == X86VCPU_EXIT_HYPERCALL && e.u.hypercall.args[2] == sig[0],
               "INIT/SIPI: RDX after INIT holds the processor signature", e.u.hypercall.args[2],
               sig[0]);
out:
    for (int i = 0; i < 2; i++)
        if (ms_v[i])
            x86vcpu_vcpu_destroy(ms_v[i]);
    if (ept)
        x86vcpu_ept_destroy(ept);
    if (vm)
        x86vcpu_vm_destroy(vm);
}

/* Issue 15 (memory per vCPU): the VM object (src/vmx/vcpu.c). Its vCPUs
 * share the I/O and MSR bitmaps and the CPUID table; a vCPU takes three
 * frames (record, VMCS, XSAVE area), the VM four; x86vcpu_vcpu_create
 * still makes a vCPU with a VM of its own. Frames are counted through a
 * HAL that wraps the mock's and can refuse the n-th allocation. */
#include "host.h"
#include "lib/bitmap.h"

/* ------------------------------------------------ the counting HAL */
static struct {
    int budget;         /* allocations left before one fails; < 0: no limit */
    unsigned allocs, frees;
} ch;

static uint64_t c_alloc(void *ctx)
{
    (void)ctx;
    if (ch.budget == 0)
        return 0;
    if (ch.budget > 0)
        ch.budget--;
    uint64_t pa = mock_hal.alloc_frame(mock_hal.ctx);
    if (pa)
        ch.allocs++;
    return pa;
}

static void c_free(void *ctx, uint64_t pa)
{
    (void)ctx;
    ch.frees++;
    mock_hal.free_frame(mock_hal.ctx, pa);
}

static void *c_p2v(void *ctx, uint64_t pa)
{
    (void)ctx;
    return mock_hal.phys_to_virt(mock_hal.ctx, pa);
}

static uint64_t c_v2p(void *ctx, const void *va)
{
    (void)ctx;
    return mock_hal.virt_to_phys(mock_hal.ctx, va);
}

static const struct x86vcpu_hal counting_hal = { NULL, c_alloc, c_free, c_p2v, c_v2p, NULL };

/* Frames the HAL has handed out and not got back. */
static unsigned live(void)
{
    return ch.allocs - ch.frees;
}

static int setup(void **state)
{
    (void)state;
    mock_reset();
    memset(&ch, 0, sizeof ch);
    ch.budget = -1;
    return 0;
}

static void cpu_on(struct x86vcpu_cpu *cpu)
{
    memset(cpu, 0, sizeof *cpu);
    assert_int_equal(x86vcpu_cpu_enable(cpu, &counting_hal), X86VCPU_OK);
}

static void cpu_off(struct x86vcpu_cpu *cpu)
{
    assert_int_equal(x86vcpu_cpu_disable(cpu), X86VCPU_OK);
    assert_int_equal(live(), 0);
    assert_int_equal(mock_frames_in_use(), 0);
    assert_int_equal(mock_hal_errors(), 0);
}

static void setup_of(struct x86vcpu_setup *s)
{
    memset(s, 0, sizeof *s);
    s->mode = X86VCPU_MODE_LONG64;
    s->entry = 0x100000;
    s->rsp = 0x8000;
    s->cr3 = 0x200000;
    s->ept_root = 0x300000;
    s->vpid = 1;
}

/* Bit of `msr` in an MSR bitmap (SDM 25.6.9): read-low, read-high,
 * write-low, write-high quarters. */
static int msr_bit(const struct x86vcpu_vm *vm, uint32_t msr, int write)
{
    const uint8_t *bm = counting_hal.phys_to_virt(0, vm->msr_bitmap_pa);
    unsigned base = (write ? 2048 : 0) + (msr >= 0xc0000000u ? 1024 : 0);
    unsigned b = msr & 0x1fff;
    return (bm[base + b / 8] >> (b % 8)) & 1;
}

static int io_bit(uint64_t bitmap_pa, uint16_t port)
{
    const uint8_t *bm = counting_hal.phys_to_virt(0, bitmap_pa);
    unsigned b = port & 0x7fff;
    return (bm[b / 8] >> (b % 8)) & 1;
}

/* ------------------------------------------------------------- tests */

/* Two vCPUs of one VM: one set of bitmaps, in both VMCSs; an intercept
 * opened through either is the other's too. */
static void test_shared_bitmaps(void **state)
{
    (void)state;
    struct x86vcpu_cpu cpu;
    struct x86vcpu_vm *vm;
    struct x86vcpu_vcpu *a, *b;
    struct x86vcpu_setup s;
    cpu_on(&cpu);
    assert_int_equal(x86vcpu_vm_create(&cpu, &vm), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_create_in(vm, &cpu, &a), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_create_in(vm, &cpu, &b), X86VCPU_OK);
    assert_ptr_equal(x86vcpu_vcpu_vm(a), vm);
    assert_ptr_equal(x86vcpu_vcpu_vm(b), vm);
    assert_int_equal(vm->nvcpus, 2);
    /* Everything exits at first. */
    assert_int_equal(msr_bit(vm, 0x174, 0), 1);
    assert_int_equal(io_bit(vm->io_bitmap_a_pa, 0x3f8), 1);
    assert_int_equal(x86vcpu_msr_intercept(b, 0x174, 0, 0), X86VCPU_OK);   /* SYSENTER_CS */
    assert_int_equal(x86vcpu_io_intercept(a, 0x3f8, 8, 0), X86VCPU_OK);
    assert_int_equal(x86vcpu_io_intercept(b, 0x8000, 1, 0), X86VCPU_OK);   /* bitmap B */
    assert_int_equal(msr_bit(vm, 0x174, 0), 0);
    assert_int_equal(msr_bit(vm, 0x174, 1), 0);
    assert_int_equal(io_bit(vm->io_bitmap_a_pa, 0x3f8), 0);
    assert_int_equal(io_bit(vm->io_bitmap_a_pa, 0x3f7), 1);
    assert_int_equal(io_bit(vm->io_bitmap_b_pa, 0x8000), 0);

    setup_of(&s);
    assert_int_equal(x86vcpu_vcpu_setup(a, &s), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_setup(b, &s), X86VCPU_OK);
    struct x86vcpu_vcpu *both[2] = { a, b };
    for (int i = 0; i < 2; i++) {
        mock_set_vmcs(F(MSR_BITMAP), 0);
        mock_set_vmcs(F(IO_BITMAP_A), 0);
        mock_set_vmcs(F(IO_BITMAP_B), 0);
        assert_int_equal(x86vcpu_vcpu_bind(both[i], &cpu), X86VCPU_OK);
        assert_int_equal(mock_vmcs(F(MSR_BITMAP)), vm->msr_bitmap_pa);
        assert_int_equal(mock_vmcs(F(IO_BITMAP_A)), vm->io_bitmap_a_pa);
        assert_int_equal(mock_vmcs(F(IO_BITMAP_B)), vm->io_bitmap_b_pa);
        assert_int_equal(x86vcpu_vcpu_unbind(both[i]), X86VCPU_OK);
    }
    /* The setups kept what was opened. */
    assert_int_equal(msr_bit(vm, 0x174, 0), 0);
    assert_int_equal(io_bit(vm->io_bitmap_a_pa, 0x3f8), 0);
    assert_int_equal(x86vcpu_vcpu_destroy(a), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_destroy(b), X86VCPU_OK);
    assert_int_equal(x86vcpu_vm_destroy(vm), X86VCPU_OK);
    cpu_off(&cpu);
}

/* Frames: the VM 4 (its record with the CPUID table, I/O A and B, MSR
 * bitmap), each vCPU 3 (record, VMCS, XSAVE area); x86vcpu_vcpu_create
 * 7; all back at destroy. */
static void test_frames(void **state)
{
    (void)state;
    struct x86vcpu_cpu cpu;
    struct x86vcpu_vm *vm;
    struct x86vcpu_vcpu *v[3], *p;
    cpu_on(&cpu);
    unsigned base = live();
    assert_int_equal(x86vcpu_vm_create(&cpu, &vm), X86VCPU_OK);
    assert_int_equal(live() - base, 4);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(x86vcpu_vcpu_create_in(vm, &cpu, &v[i]), X86VCPU_OK);
        assert_int_equal(live() - base, 4 + 3 * (unsigned)(i + 1));
    }
    print_message("VM: %u frames, vCPU: 3 frames (record %zu bytes, VM record + CPUID table "
                  "%zu bytes)\n", 4u, sizeof(struct x86vcpu_vcpu), sizeof(struct x86vcpu_vm));
    assert_int_equal(x86vcpu_vcpu_create(&cpu, &p), X86VCPU_OK);
    assert_int_equal(live() - base, 4 + 9 + 7);
    assert_ptr_not_equal(x86vcpu_vcpu_vm(p), vm);
    assert_int_equal(x86vcpu_vcpu_destroy(p), X86VCPU_OK);
    assert_int_equal(live() - base, 4 + 9);
    for (int i = 0; i < 3; i++)
        assert_int_equal(x86vcpu_vcpu_destroy(v[i]), X86VCPU_OK);
    assert_int_equal(live() - base, 4);
    assert_int_equal(x86vcpu_vm_destroy(vm), X86VCPU_OK);
    assert_int_equal(live(), base);
    cpu_off(&cpu);
}

/* A vCPU keeps its VM: destroying the VM first is refused; vCPUs go in
 * any order; bad arguments. */
static void test_destroy_order(void **state)
{
    (void)state;
    struct x86vcpu_cpu cpu, other;
    struct x86vcpu_vm *vm;
    struct x86vcpu_vcpu *a, *b, *c;
    cpu_on(&cpu);
    assert_int_equal(x86vcpu_vm_create(&cpu, &vm), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_create_in(vm, &cpu, &a), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_create_in(vm, &cpu, &b), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_create_in(vm, &cpu, &c), X86VCPU_OK);
    assert_int_equal(x86vcpu_vm_destroy(vm), X86VCPU_EBUSY);
    assert_int_equal(x86vcpu_vcpu_destroy(b), X86VCPU_OK);       /* the middle of the list */
    assert_int_equal(vm->nvcpus, 2);
    assert_ptr_equal(vm->vcpus, c);
    assert_ptr_equal(c->vm_next, a);
    assert_null(a->vm_next);
    assert_int_equal(x86vcpu_vm_destroy(vm), X86VCPU_EBUSY);
    /* Bound: the vCPU is refused, so the VM stays busy. */
    struct x86vcpu_setup s;
    setup_of(&s);
    assert_int_equal(x86vcpu_vcpu_setup(a, &s), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_bind(a, &cpu), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_destroy(a), X86VCPU_EBUSY);
    assert_int_equal(x86vcpu_vcpu_unbind(a), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_destroy(a), X86VCPU_OK);
    assert_int_equal(x86vcpu_vm_destroy(vm), X86VCPU_EBUSY);
    assert_int_equal(x86vcpu_vcpu_destroy(c), X86VCPU_OK);
    assert_int_equal(vm->nvcpus, 0);
    assert_int_equal(x86vcpu_vm_destroy(vm), X86VCPU_OK);

    assert_int_equal(x86vcpu_vm_destroy(0), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu_vm_create(0, &vm), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu_vm_create(&cpu, 0), X86VCPU_EINVAL);
    assert_null(x86vcpu_vcpu_vm(0));
    /* Another HAL than the VM's; a CPU not enabled. */
    assert_int_equal(x86vcpu_vm_create(&cpu, &vm), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_create_in(0, &cpu, &a), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu_vcpu_create_in(vm, 0, &a), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu_vcpu_create_in(vm, &cpu, 0), X86VCPU_EINVAL);
    memset(&other, 0, sizeof other);
    other.hal = &mock_hal;
    assert_int_equal(x86vcpu_vcpu_create_in(vm, &other, &a), X86VCPU_EINVAL);
    other.hal = &counting_hal;
    assert_int_equal(x86vcpu_vcpu_create_in(vm, &other, &a), X86VCPU_ESTATE);
    assert_int_equal(x86vcpu_vm_create(&other, &vm), X86VCPU_ESTATE);
    assert_int_equal(x86vcpu_vm_destroy(vm), X86VCPU_OK);
    cpu_off(&cpu);
}

/* x86vcpu_vcpu_create: a private VM, its own bitmaps, freed with the vCPU
 * (x86vcpu_vm_destroy of it is refused meanwhile). */
static void test_private_vm(void **state)
{
    (void)state;
    struct x86vcpu_cpu cpu;
    struct x86vcpu_vcpu *a, *b;
    cpu_on(&cpu);
    unsigned base = live();
    assert_int_equal(x86vcpu_vcpu_create(&cpu, &a), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_create(&cpu, &b), X86VCPU_OK);
    struct x86vcpu_vm *va = x86vcpu_vcpu_vm(a), *vb = x86vcpu_vcpu_vm(b);
    assert_non_null(va);
    assert_ptr_not_equal(va, vb);
    assert_int_equal(va->nvcpus, 1);
    assert_true(va->is_private);
    assert_int_not_equal(va->msr_bitmap_pa, vb->msr_bitmap_pa);
    assert_int_equal(a->msr_bitmap_pa, va->msr_bitmap_pa);
    assert_int_equal(x86vcpu_msr_intercept(a, 0x174, 0, 0), X86VCPU_OK);
    assert_int_equal(msr_bit(va, 0x174, 0), 0);
    assert_int_equal(msr_bit(vb, 0x174, 0), 1);
    assert_int_equal(x86vcpu_vm_destroy(va), X86VCPU_EBUSY);
    struct x86vcpu_vcpu *c;
    assert_int_equal(x86vcpu_vcpu_create_in(va, &cpu, &c), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu_vcpu_destroy(a), X86VCPU_OK);
    assert_int_equal(live() - base, 7);
    assert_int_equal(x86vcpu_vcpu_destroy(b), X86VCPU_OK);
    assert_int_equal(live(), base);
    cpu_off(&cpu);
}

/* Every allocation failing in turn: X86VCPU_ENOMEM and nothing kept. */
static void test_alloc_failure(void **state)
{
    (void)state;
    struct x86vcpu_cpu cpu;
    struct x86vcpu_vm *vm;
    struct x86vcpu_vcpu *v;
    cpu_on(&cpu);
    unsigned base = live();
    unsigned fails = 0;
    for (int k = 0; k < 4; k++) {       /* x86vcpu_vm_create */
        ch.budget = k;
        assert_int_equal(x86vcpu_vm_create(&cpu, &vm), X86VCPU_ENOMEM);
        assert_int_equal(live(), base);
        fails++;
    }
    ch.budget = -1;
    assert_int_equal(x86vcpu_vm_create(&cpu, &vm), X86VCPU_OK);
    unsigned with_vm = live();
    for (int k = 0; k < 3; k++) {       /* x86vcpu_vcpu_create_in */
        ch.budget = k;
        assert_int_equal(x86vcpu_vcpu_create_in(vm, &cpu, &v), X86VCPU_ENOMEM);
        assert_int_equal(live(), with_vm);
        assert_int_equal(vm->nvcpus, 0);
        fails++;
    }
    ch.budget = 3;
    assert_int_equal(x86vcpu_vcpu_create_in(vm, &cpu, &v), X86VCPU_OK);
    ch.budget = -1;
    assert_int_equal(x86vcpu_vcpu_destroy(v), X86VCPU_OK);
    assert_int_equal(x86vcpu_vm_destroy(vm), X86VCPU_OK);
    for (int k = 0; k < 7; k++) {       /* x86vcpu_vcpu_create: VM, then vCPU */
        ch.budget = k;
        assert_int_equal(x86vcpu_vcpu_create(&cpu, &v), X86VCPU_ENOMEM);
        assert_int_equal(live(), base);
        fails++;
    }
    ch.budget = 7;
    assert_int_equal(x86vcpu_vcpu_create(&cpu, &v), X86VCPU_OK);
    ch.budget = -1;
    assert_int_equal(x86vcpu_vcpu_destroy(v), X86VCPU_OK);
    assert_int_equal(fails, 14);
    cpu_off(&cpu);
}

/* A second vCPU makes the MSR bitmap shared: the switched MSRs' reads,
 * opened for the first vCPU alone, exit again, and a setup no longer
 * opens them (msr.c answers from the vCPU's own values). */
static void test_shared_closes_private_bits(void **state)
{
    (void)state;
    struct x86vcpu_cpu cpu;
    struct x86vcpu_vm *vm;
    struct x86vcpu_vcpu *a, *b;
    struct x86vcpu_setup s;
    cpu_on(&cpu);
    setup_of(&s);
    assert_int_equal(x86vcpu_vm_create(&cpu, &vm), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_create_in(vm, &cpu, &a), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_setup(a, &s), X86VCPU_OK);
    assert_int_equal(msr_bit(vm, 0xc0000082u, 0), 0);    /* LSTAR reads: the hardware's */
    assert_int_equal(msr_bit(vm, 0xc0000082u, 1), 1);
    assert_int_equal(x86vcpu_vcpu_create_in(vm, &cpu, &b), X86VCPU_OK);
    assert_int_equal(msr_bit(vm, 0xc0000082u, 0), 1);
    assert_int_equal(x86vcpu_vcpu_setup(b, &s), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_setup(a, &s), X86VCPU_OK);
    assert_int_equal(msr_bit(vm, 0xc0000082u, 0), 1);
    /* ... and a read exit is answered from the vCPU's own value. */
    assert_int_equal(x86vcpu_vcpu_bind(a, &cpu), X86VCPU_OK);
    a->smsr_guest[1] = 0xffffffff81000000ull;
    struct x86vcpu_exit e;
    mock.script = steps_script;
    struct step st[] = { { X86VCPU_EXIT_REASON_RDMSR, 0, 2, 0 },
                         { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 } };
    struct steps ss = { st, 2 };
    mock.script_ctx = &ss;
    a->regs.gpr[X86VCPU_RCX] = 0xc0000082u;
    assert_int_equal(x86vcpu_vcpu_run(a, &e), X86VCPU_OK);
    assert_int_equal(e.kind, X86VCPU_EXIT_HLT);
    assert_int_equal(a->regs.gpr[X86VCPU_RAX], 0x81000000u);
    assert_int_equal(a->regs.gpr[X86VCPU_RDX], 0xffffffffu);
    assert_int_equal(x86vcpu_vcpu_unbind(a), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_destroy(a), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_destroy(b), X86VCPU_OK);
    assert_int_equal(x86vcpu_vm_destroy(vm), X86VCPU_OK);
    cpu_off(&cpu);
}

/* The CPUID policy is the VM's (an override, the vendor, a feature made
 * through one vCPU is every vCPU's, later ones too); the table is built
 * once for the VM, and what is a vCPU's own (its LAPIC's APIC ID and APIC
 * bit, IA32_MISC_ENABLE[22]) stays its own. */
static void test_cpuid_per_vm(void **state)
{
    (void)state;
    struct x86vcpu_cpu cpu;
    struct x86vcpu_vm *vm;
    struct x86vcpu_vcpu *a, *b, *c;
    struct x86vcpu_setup s;
    struct x86vcpu_cpuid_regs r;
    cpu_on(&cpu);
    setup_of(&s);
    assert_int_equal(x86vcpu_vm_create(&cpu, &vm), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_create_in(vm, &cpu, &a), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_create_in(vm, &cpu, &b), X86VCPU_OK);
    assert_int_equal(x86vcpu_cpuid_enable_feature(a, X86VCPU_FEAT_PMU), X86VCPU_OK);
    assert_true(b->cpuid.features & (1u << X86VCPU_FEAT_PMU));
    assert_int_equal(x86vcpu_cpuid_set_vendor(b, "0123456789ab"), X86VCPU_OK);
    static const uint32_t set[4] = { 0, 0, 0, 0x5a5a }, clr[4] = { 0, 0, 0, 0xffff };
    assert_int_equal(x86vcpu_cpuid_override(a, 0x80000006u, X86VCPU_CPUID_ANY_SUBLEAF, set, clr),
                     X86VCPU_OK);
    /* A vCPU created now gets the VM's policy. */
    assert_int_equal(x86vcpu_vcpu_create_in(vm, &cpu, &c), X86VCPU_OK);
    assert_true(c->cpuid.features & (1u << X86VCPU_FEAT_PMU));
    struct x86vcpu_lapic_config lc = { .apic_id = 1, .tsc_khz = 1000, .flags = X86VCPU_LAPIC_SOFT };
    assert_int_equal(x86vcpu_lapic_enable(a, &lc), X86VCPU_OK);
    lc.apic_id = 2;
    assert_int_equal(x86vcpu_lapic_enable(b, &lc), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_setup(a, &s), X86VCPU_OK);
    /* After a setup, features are fixed for the whole VM. */
    assert_int_equal(x86vcpu_cpuid_disable_feature(c, X86VCPU_FEAT_PMU), X86VCPU_ESTATE);
    assert_int_equal(x86vcpu_vcpu_setup(b, &s), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_setup(c, &s), X86VCPU_OK);

    /* a's guest disables its APIC (IA32_APIC_BASE.EN = 0, SDM 11.4.3). */
    struct x86vcpu_exit e;
    struct step st[] = { { X86VCPU_EXIT_REASON_WRMSR, 0, 2, 0 },
                         { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 } };
    struct steps ss = { st, 2 };
    assert_int_equal(x86vcpu_vcpu_bind(a, &cpu), X86VCPU_OK);
    mock.script = steps_script;
    mock.script_ctx = &ss;
    a->regs.gpr[X86VCPU_RCX] = 0x1b;
    a->regs.gpr[X86VCPU_RAX] = 0xfee00000u;
    a->regs.gpr[X86VCPU_RDX] = 0;
    assert_int_equal(x86vcpu_vcpu_run(a, &e), X86VCPU_OK);
    assert_int_equal(e.kind, X86VCPU_EXIT_HLT);
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(x86vcpu_vcpu_unbind(a), X86VCPU_OK);

    unsigned builds = 0;
    struct x86vcpu_vcpu *all[3] = { a, b, c };
    const uint32_t ids[3] = { 1, 2, hw_cpuid(1, 0).ebx >> 24 /* no LAPIC: the host's */ };
    for (int i = 0; i < 3; i++) {
        assert_int_equal(x86vcpu_vcpu_bind(all[i], &cpu), X86VCPU_OK);
        x86vcpu__guest_cpuid(all[i], 0x40000000u, 0, &r);
        assert_int_equal(r.ebx, 0x33323130);
        x86vcpu__guest_cpuid(all[i], 0x80000006u, 0, &r);
        assert_int_equal(r.edx & 0xffff, 0x5a5a);
        x86vcpu__guest_cpuid(all[i], 1, 0, &r);
        assert_int_equal(r.ebx >> 24, ids[i]);
        /* The APIC bit: the LAPIC's IA32_APIC_BASE.EN (a's is off, by its
         * guest's WRMSR), else the host's through the policy. */
        assert_int_equal((r.edx >> 9) & 1, i != 0);
        x86vcpu__guest_cpuid(all[i], 0xb, 0, &r);
        assert_int_equal(r.edx, all[i]->lapic.on ? ids[i] : all[i]->host_x2apic_id);
        if (i == 0)
            builds = vm->tbl.builds;
        assert_int_equal(vm->tbl.builds, builds);   /* one table, not rebuilt per vCPU */
        assert_int_equal(x86vcpu_vcpu_unbind(all[i]), X86VCPU_OK);
    }
    assert_int_equal(builds, 1);
    /* IA32_MISC_ENABLE[22] of one vCPU: CPUID.0:EAX reads 2 for it only. */
    assert_int_equal(x86vcpu_vcpu_bind(b, &cpu), X86VCPU_OK);
    ss.n = 2;
    mock.entries = 0;
    mock.script = steps_script;
    mock.script_ctx = &ss;
    b->regs.gpr[X86VCPU_RCX] = 0x1a0;
    b->regs.gpr[X86VCPU_RAX] = 1u | (1u << 22);
    b->regs.gpr[X86VCPU_RDX] = 0;
    assert_int_equal(x86vcpu_vcpu_run(b, &e), X86VCPU_OK);
    assert_int_equal(e.kind, X86VCPU_EXIT_HLT);
    assert_int_equal(mock.entry_intr_info, 0);
    x86vcpu__guest_cpuid(b, 0, 0, &r);
    assert_int_equal(r.eax, 2);
    assert_int_equal(x86vcpu_vcpu_unbind(b), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_bind(a, &cpu), X86VCPU_OK);
    x86vcpu__guest_cpuid(a, 0, 0, &r);
    assert_int_not_equal(r.eax, 2);
    assert_int_equal(x86vcpu_vcpu_unbind(a), X86VCPU_OK);
    assert_int_equal(vm->tbl.builds, builds);
    for (int i = 0; i < 3; i++)
        assert_int_equal(x86vcpu_vcpu_destroy(all[i]), X86VCPU_OK);
    assert_int_equal(x86vcpu_vm_destroy(vm), X86VCPU_OK);
    cpu_off(&cpu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_shared_bitmaps, setup),
        cmocka_unit_test_setup(test_frames, setup),
        cmocka_unit_test_setup(test_destroy_order, setup),
        cmocka_unit_test_setup(test_private_vm, setup),
        cmocka_unit_test_setup(test_alloc_failure, setup),
        cmocka_unit_test_setup(test_shared_closes_private_bits, setup),
        cmocka_unit_test_setup(test_cpuid_per_vm, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

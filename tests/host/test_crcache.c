/* Host harness: the CR exits' view of the guest's CPUID is kept per vCPU
 * (cr.c cr_cpuid, issue 15) and must follow every change of it: a MOV to
 * CR4 setting a bit whose feature the guest's CPUID shows is taken, and
 * #GP(0) right after the embedder hides the feature (an override rebuilds
 * the VM's table), also when made through another vCPU of the VM, taken
 * again when the override goes; the guest's IA32_MISC_ENABLE[22] (a new
 * key) changes nothing of it. The host's MAXPHYADDR is taken at bind. */
#include "host.h"

#define CR4_FSGSBASE_BIT (1ull << 16)
#define GP_INFO (INTR_INFO_VALID | (3u << 8) | (1u << 11) | 13)

static int setup(void **state)
{
    (void)state;
    mock_reset();
    /* Leaf 7.0 EBX: FSGSBASE (bit 0), shown by the default policy. */
    mock_set_cpuid(7, 0, 0, 0, 1u << 0, 0, 0);
    return 0;
}

/* The guest's CPUID leaf 7 (rebuilding the VM's table when stale), then
 * MOV to CR4 from RAX at 0x3000 (3 bytes): 1 when it was taken, 0 when it
 * faulted with #GP(0) and changed nothing. The CPUID first: a view kept
 * from before a rebuild must not pass for current. */
static uint64_t cr4_val;
static void leaf7(struct x86vcpu_regs *regs, unsigned n)
{
    (void)n;
    regs->gpr[X86VCPU_RAX] = 7;
    regs->gpr[X86VCPU_RCX] = 0;
}
static void rax_cr4(struct x86vcpu_regs *regs, unsigned n)
{
    (void)n;
    regs->gpr[X86VCPU_RAX] = cr4_val;
    mock_set_vmcs(F(GUEST_RIP), 0x3000);
}

static int mov_cr4(struct host *h, uint64_t val)
{
    uint64_t before = mock_vmcs(F(CR4_READ_SHADOW));
    cr4_val = val;
    RUN_STEPS(h, { X86VCPU_EXIT_REASON_CPUID, 0, 2, leaf7 },
              { X86VCPU_EXIT_REASON_CR_ACCESS, QUAL_CR(4, 0, 0), 3, rax_cr4 },
              { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 });
    if (mock.entry_intr_info == GP_INFO) {
        assert_int_equal(mock_vmcs(F(CR4_READ_SHADOW)), before);
        return 0;
    }
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(mock_vmcs(F(CR4_READ_SHADOW)), val);
    return 1;
}

static void misc_enable(struct host *h, uint32_t val)
{
    h->v->regs.gpr[X86VCPU_RCX] = 0x1a0;
    h->v->regs.gpr[X86VCPU_RAX] = val;
    h->v->regs.gpr[X86VCPU_RDX] = 0;
    RUN_STEPS(h, { X86VCPU_EXIT_REASON_WRMSR, 0, 2, 0 });
    assert_int_equal(mock.entry_intr_info, 0);
}

static void test_cr4_follows_the_cpuid_view(void **st)
{
    (void)st;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    uint64_t base = mock_vmcs(F(CR4_READ_SHADOW)) & ~CR4_FSGSBASE_BIT;
    assert_int_equal(mov_cr4(&h, base | CR4_FSGSBASE_BIT), 1);
    assert_int_equal(mov_cr4(&h, base), 1);

    /* Hidden by an override: #GP from the next exit on. */
    uint32_t z[4] = { 0, 0, 0, 0 }, clear[4] = { 0, 1u << 0, 0, 0 };
    assert_int_equal(x86vcpu_cpuid_override(h.v, 7, 0, z, clear), X86VCPU_OK);
    assert_int_equal(mov_cr4(&h, base | CR4_FSGSBASE_BIT), 0);
    assert_int_equal(mov_cr4(&h, base | CR4_FSGSBASE_BIT), 0);
    /* The override removed: shown again. */
    assert_int_equal(x86vcpu_cpuid_override(h.v, 7, 0, z, z), X86VCPU_OK);
    assert_int_equal(mov_cr4(&h, base | CR4_FSGSBASE_BIT), 1);
    assert_int_equal(mov_cr4(&h, base), 1);

    /* IA32_MISC_ENABLE[22] limits what CPUID reports (0:EAX reads 2), not
     * what the CPU has (SDM Vol. 4, Table 2-2): the bit stays allowed,
     * with the view taken again under the new key. */
    misc_enable(&h, 1u | (1u << 22));
    assert_int_equal(mov_cr4(&h, base | CR4_FSGSBASE_BIT), 1);
    assert_int_equal(x86vcpu_cpuid_override(h.v, 7, 0, z, clear), X86VCPU_OK);
    assert_int_equal(mov_cr4(&h, base | CR4_FSGSBASE_BIT), 0);
    misc_enable(&h, 1u);
    assert_int_equal(mov_cr4(&h, base | CR4_FSGSBASE_BIT), 0);
    assert_int_equal(x86vcpu_cpuid_override(h.v, 7, 0, z, z), X86VCPU_OK);
    assert_int_equal(mov_cr4(&h, base | CR4_FSGSBASE_BIT), 1);
    host_stop(&h);
}

/* Two vCPUs of one VM: a policy change made through the other (not
 * bound, never run) reaches this one's kept view. */
static void test_cr4_policy_through_another_vcpu(void **st)
{
    (void)st;
    struct host h;
    struct x86vcpu_vm *vm;
    struct x86vcpu_vcpu *w;
    memset(&h, 0, sizeof h);
    assert_int_equal(x86vcpu_cpu_enable(&h.cpu, &mock_hal), X86VCPU_OK);
    assert_int_equal(x86vcpu_vm_create(&h.cpu, &vm), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_create_in(vm, &h.cpu, &h.v), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_create_in(vm, &h.cpu, &w), X86VCPU_OK);
    h.setup.mode = X86VCPU_MODE_LONG64;
    h.setup.entry = 0x100000;
    h.setup.rsp = 0x8000;
    h.setup.cr3 = 0x200000;
    h.setup.ept_root = 0x300000;
    h.setup.vpid = 1;
    host_bind(&h);
    uint64_t base = mock_vmcs(F(CR4_READ_SHADOW)) & ~CR4_FSGSBASE_BIT;
    assert_int_equal(mov_cr4(&h, base | CR4_FSGSBASE_BIT), 1);
    uint32_t z[4] = { 0, 0, 0, 0 }, clear[4] = { 0, 1u << 0, 0, 0 };
    assert_int_equal(x86vcpu_cpuid_override(w, 7, 0, z, clear), X86VCPU_OK);
    assert_int_equal(mov_cr4(&h, base), 1);
    assert_int_equal(mov_cr4(&h, base | CR4_FSGSBASE_BIT), 0);
    assert_int_equal(x86vcpu_vcpu_unbind(h.v), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_destroy(h.v), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_destroy(w), X86VCPU_OK);
    assert_int_equal(x86vcpu_vm_destroy(vm), X86VCPU_OK);
    assert_int_equal(x86vcpu_cpu_disable(&h.cpu), X86VCPU_OK);
    assert_int_equal(mock_frames_in_use(), 0);
}

/* The last MSR exit's "hidden" answer is kept (guest_cpuid.c msr_hidden):
 * alternating an MSR always hidden (0x480, IA32_VMX_BASIC: VMX is hidden)
 * and an MSR nobody hides, each is answered as its own, twice in a row
 * and after the other. */
static int rdmsr(struct host *h, uint32_t msr)
{
    h->v->regs.gpr[X86VCPU_RCX] = msr;
    mock_set_vmcs(F(GUEST_RIP), 0x4000);
    RUN_STEPS(h, { X86VCPU_EXIT_REASON_RDMSR, 0, 2, 0 }, { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 });
    if (h->e.kind == X86VCPU_EXIT_MSR_READ) {
        assert_int_equal(h->e.u.msr.index, msr);
        assert_int_equal(x86vcpu_complete_msr_read(h->v, 0), X86VCPU_OK);
        return 1; /* the embedder's */
    }
    assert_int_equal(h->e.kind, X86VCPU_EXIT_HLT);
    assert_int_equal(mock.entry_intr_info, GP_INFO);
    return 0;     /* #GP(0) */
}

static void test_msr_hidden_kept(void **st)
{
    (void)st;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    static const uint32_t seq[][2] = { { 0x480, 0 }, { 0x480, 0 }, { 0x12345, 1 },
                                       { 0x12345, 1 }, { 0x480, 0 }, { 0x12345, 1 } };
    for (unsigned i = 0; i < sizeof seq / sizeof seq[0]; i++)
        assert_int_equal(rdmsr(&h, seq[i][0]), (int)seq[i][1]);
    host_stop(&h);
}

/* The host's MAXPHYADDR is the CPU's at bind (80000008H:EAX[7:0]). */
static void test_maxphyaddr_at_bind(void **st)
{
    (void)st;
    struct host h;
    mock_set_cpuid(0x80000008u, 0, 1, 0x3027, 0, 0, 0);
    host_start(&h, X86VCPU_MODE_LONG64);
    assert_int_equal(h.v->host_maxphyaddr, 0x27);
    host_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_cr4_follows_the_cpuid_view, setup),
        cmocka_unit_test_setup(test_cr4_policy_through_another_vcpu, setup),
        cmocka_unit_test_setup(test_msr_hidden_kept, setup),
        cmocka_unit_test_setup(test_maxphyaddr_at_bind, setup),
    };
    return cmocka_run_group_tests_name("crcache", tests, NULL, NULL);
}

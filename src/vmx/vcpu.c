/* VM and vCPU lifecycle: a VM (the bitmaps and CPUID table its vCPUs
 * share: struct x86vcpu_vm, vcpu.h), vCPU create, setup, bind, unbind,
 * destroy (SDM 24.11, 26.2, 26.3), TLB flushes and accessors. What goes
 * into the VMCS: vmcs_setup.c. */
#include "vmx/vcpu.h"
#include "lib/bitmap.h"

static void *va(const struct x86vcpu_hal *hal, uint64_t pa)
{
    return hal->phys_to_virt(hal->ctx, pa);
}

static void fill_frame(const struct x86vcpu_hal *hal, uint64_t pa, uint8_t byte)
{
    uint64_t pattern = byte * 0x0101010101010101ull;
    volatile uint64_t *p = va(hal, pa);
    for (int i = 0; i < 512; i++)
        p[i] = pattern;
}

int x86vcpu__vmfail(struct x86vcpu_vcpu *v, int status)
{
    if (status == HW_VM_FAIL_VALID) {
        uint64_t e = 0;
        hw_vmread_checked(X86VCPU_VMCS_VM_INSTRUCTION_ERROR, &e);
        v->vm_error = (uint32_t)e;
        return X86VCPU_EVMFAILVALID;
    }
    return status == HW_VM_FAIL_INVALID ? X86VCPU_EVMFAILINVALID : X86VCPU_OK;
}

int x86vcpu__vmwrite_checked(struct x86vcpu_vcpu *v, uint32_t field, uint64_t val)
{
    v->stats.vmwrites++;
    int st = hw_vmwrite_checked(field, val);
    return st ? x86vcpu__vmfail(v, st) : X86VCPU_OK;
}

/* ------------------------------------------------------------ VM */

/* The VM's record shares a frame with its CPUID table (the table leaves
 * room for it: struct x86vcpu_vm, vcpu.h), so a VM costs the three bitmap
 * frames and one: x86vcpu_vcpu_create's private VM adds no frame to what
 * a vCPU took before VMs existed (seven). */
int x86vcpu_vm_create(struct x86vcpu_cpu *cpu, struct x86vcpu_vm **out)
{
    if (!cpu || !out)
        return X86VCPU_EINVAL;
    if (!cpu->enabled)
        return X86VCPU_ESTATE;
    const struct x86vcpu_hal *hal = cpu->hal;
    uint64_t pa[4] = { 0 };
    for (int i = 0; i < 4; i++) {
        pa[i] = hal->alloc_frame(hal->ctx);
        if (!pa[i]) {
            while (i--)
                hal->free_frame(hal->ctx, pa[i]);
            return X86VCPU_ENOMEM;
        }
    }
    struct x86vcpu_vm *vm = va(hal, pa[0]);
    vm->hal = hal;
    vm->owner = cpu;
    vm->self_pa = pa[0];
    vm->io_bitmap_a_pa = pa[1];
    vm->io_bitmap_b_pa = pa[2];
    vm->msr_bitmap_pa = pa[3];
    vm->vcpus = 0;
    vm->nvcpus = 0;
    vm->is_private = 0;
    /* Until the embedder opens ports and MSRs, every access exits: the
     * guest never touches real devices or host MSRs by default. */
    fill_frame(hal, vm->io_bitmap_a_pa, 0xff);
    fill_frame(hal, vm->io_bitmap_b_pa, 0xff);
    fill_frame(hal, vm->msr_bitmap_pa, 0xff);
    x86vcpu__cpuid_tbl_init(vm);
    *out = vm;
    return X86VCPU_OK;
}

int x86vcpu_vm_destroy(struct x86vcpu_vm *vm)
{
    if (!vm)
        return X86VCPU_EINVAL;
    if (vm->nvcpus)
        return X86VCPU_EBUSY;
    const struct x86vcpu_hal *hal = vm->hal;
    uint64_t pa[4] = { vm->msr_bitmap_pa, vm->io_bitmap_b_pa, vm->io_bitmap_a_pa, vm->self_pa };
    for (int i = 0; i < 4; i++)
        hal->free_frame(hal->ctx, pa[i]);
    return X86VCPU_OK;
}

struct x86vcpu_vm *x86vcpu_vcpu_vm(const struct x86vcpu_vcpu *v)
{
    return v ? v->vm : 0;
}

/* A second vCPU makes the MSR bitmap shared: what the library opened in it
 * for the first one's state alone exits again (x86vcpu__msr_bitmap_private):
 * reads of the MSRs switched at run() (msr.c answers them from the vCPU's
 * own values) and, with the virtual LAPIC, the x2APIC range (lapic.c's
 * model answers; SDM 30.5: only "virtualize x2APIC mode" makes passing
 * them through safe, and that control is per vCPU). */
static void msr_bitmap_share(struct x86vcpu_vm *vm, struct x86vcpu_vcpu *first)
{
    void *bm = va(vm->hal, vm->msr_bitmap_pa);
    x86vcpu__smsr_bitmap_shared(bm);
    if (first->lapic.on)
        for (uint32_t m = VLAPIC_MSR_X2APIC_FIRST; m <= VLAPIC_MSR_X2APIC_LAST; m++)
            x86vcpu__msr_bitmap_set(bm, m, 1, 1);
}

int x86vcpu_vcpu_create_in(struct x86vcpu_vm *vm, struct x86vcpu_cpu *cpu,
                           struct x86vcpu_vcpu **out)
{
    /* A private VM (x86vcpu_vcpu_create) is its vCPU's alone: it goes
     * with it. */
    if (!vm || !cpu || !out || cpu->hal != vm->hal || vm->is_private)
        return X86VCPU_EINVAL;
    if (!cpu->enabled)
        return X86VCPU_ESTATE;
    const struct x86vcpu_hal *hal = cpu->hal;
    uint64_t pa[3] = { 0 };
    for (int i = 0; i < 3; i++) {
        pa[i] = hal->alloc_frame(hal->ctx);
        if (!pa[i]) {
            while (i--)
                hal->free_frame(hal->ctx, pa[i]);
            return X86VCPU_ENOMEM;
        }
    }
    struct x86vcpu_vcpu *v = va(hal, pa[0]);
    v->self_pa = pa[0];
    v->vmcs_pa = pa[1];
    v->guest_fpu_pa = pa[2];
    v->vm = vm;
    v->io_bitmap_a_pa = vm->io_bitmap_a_pa;
    v->io_bitmap_b_pa = vm->io_bitmap_b_pa;
    v->msr_bitmap_pa = vm->msr_bitmap_pa;
    v->owner = cpu;
    v->hal = hal;
    x86vcpu__xstate_guest_init(v);
    x86vcpu__xstate_layout_init(&v->xstate);
    /* XSAVE layout and supported XCR0 bits (SDM 13.2, CPUID leaf 0xD). */
    if (hw_cpuid(1, 0).ecx & CPUID1_ECX_XSAVE) {
        struct hw_cpuid d0 = hw_cpuid(0xd, 0);
        v->supported_xcr0 = ((uint64_t)d0.edx << 32) | d0.eax;
        for (uint32_t i = 2; i < 63; i++) {
            if (!(v->supported_xcr0 & (1ull << i)))
                continue;
            struct hw_cpuid d = hw_cpuid(0xd, i);
            x86vcpu__xstate_layout_add(&v->xstate, i, d.ebx, d.eax, (d.ecx >> 1) & 1);
        }
    }
    /* SDM 25.2: the VMCS region starts with the revision identifier. */
    *(volatile uint32_t *)va(hal, v->vmcs_pa) = X86VCPU_BASIC_REVISION(cpu->caps.basic);
    /* The VM's CPUID policy (guest_cpuid.c), before v is on its list. */
    x86vcpu__cpuid_join(v);
    if (vm->vcpus && !vm->vcpus->vm_next)
        msr_bitmap_share(vm, vm->vcpus);
    v->vm_next = vm->vcpus;
    vm->vcpus = v;
    vm->nvcpus++;
    *out = v;
    return X86VCPU_OK;
}

int x86vcpu_vcpu_create(struct x86vcpu_cpu *cpu, struct x86vcpu_vcpu **out)
{
    if (!cpu || !out)
        return X86VCPU_EINVAL;
    struct x86vcpu_vm *vm;
    int err = x86vcpu_vm_create(cpu, &vm);
    if (err)
        return err;
    err = x86vcpu_vcpu_create_in(vm, cpu, out);
    if (err) {
        x86vcpu_vm_destroy(vm);
        return err;
    }
    vm->is_private = 1;
    return X86VCPU_OK;
}

int x86vcpu_vcpu_destroy(struct x86vcpu_vcpu *v)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (v->pending == PENDING_IN_HANDLER)
        return X86VCPU_ESTATE;
    if (v->cpu)
        return X86VCPU_EBUSY;
    const struct x86vcpu_hal *hal = v->hal;
    struct x86vcpu_vm *vm = v->vm;
    x86vcpu__lapic_destroy(v);
    for (struct x86vcpu_vcpu **p = &vm->vcpus; *p; p = &(*p)->vm_next) {
        if (*p == v) {
            *p = v->vm_next;
            break;
        }
    }
    vm->nvcpus--;
    uint64_t pa[3] = { v->guest_fpu_pa, v->vmcs_pa, v->self_pa };
    for (int i = 0; i < 3; i++)
        hal->free_frame(hal->ctx, pa[i]);
    if (vm->is_private)
        x86vcpu_vm_destroy(vm);
    return X86VCPU_OK;
}

int x86vcpu_vcpu_setup(struct x86vcpu_vcpu *v, const struct x86vcpu_setup *s)
{
    if (!v || !s || s->mode > X86VCPU_MODE_LONG64 || (s->ept_root & 0xfff) ||
        (!s->ept_root && !s->ept))
        return X86VCPU_EINVAL;
    if (v->pending == PENDING_IN_HANDLER)
        return X86VCPU_ESTATE;
    v->setup = *s;
    int err = x86vcpu__smsr_setup(v);
    if (err)
        return err;
    v->have_setup = 1;
    v->setup_dirty = 1;
    v->launched = 0;
    v->pending = PENDING_NONE;
    v->advance_len = 0;
    for (int i = 0; i < 16; i++)
        v->regs.gpr[i] = 0;
    return v->cpu ? x86vcpu__vmcs_sync(v) : X86VCPU_OK;
}

int x86vcpu_vcpu_bind(struct x86vcpu_vcpu *v, struct x86vcpu_cpu *cpu)
{
    if (!v || !cpu)
        return X86VCPU_EINVAL;
    if (!cpu->enabled || v->pending == PENDING_IN_HANDLER)
        return X86VCPU_ESTATE;
    if (v->cpu)
        return v->cpu == cpu ? X86VCPU_OK : X86VCPU_EBUSY;
    if (cpu->current)
        return X86VCPU_EBUSY;
    int st = hw_vmptrld(v->vmcs_pa);
    if (st)
        return x86vcpu__vmfail(v, st);
    v->cpu = cpu;
    cpu->current = v;
    x86vcpu__smsr_host_capture(v); /* the host's syscall MSRs (msr.c) */
    /* This CPU's APIC IDs, for the guest's CPUID (guest_cpuid.c): the
     * initial APIC ID (1:EBX[31:24]) and the x2APIC ID (0BH:EDX, when the
     * leaf exists; SDM Vol. 2A CPUID). */
    v->host_apic_id = hw_cpuid(1, 0).ebx >> 24;
    v->host_maxphyaddr = hw_cpuid(0x80000008u, 0).eax & 0xff;
    v->host_x2apic_id = hw_cpuid(0, 0).eax >= 0xb ? hw_cpuid(0xb, 0).edx : v->host_apic_id;
    int err = v->have_setup ? x86vcpu__vmcs_sync(v) : X86VCPU_OK;
    /* This VPID may have run here before (migration): its cached
     * translations are stale (SDM 29.4.3.3). */
    if (!err)
        err = x86vcpu_vcpu_flush_tlb(v);
    if (err) {
        hw_vmclear(v->vmcs_pa);
        v->launched = 0;
        cpu->current = 0;
        v->cpu = 0;
    }
    return err;
}

int x86vcpu_vcpu_unbind(struct x86vcpu_vcpu *v)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (!v->cpu || v->pending == PENDING_IN_HANDLER)
        return X86VCPU_ESTATE;
    if (v->cpu->current != v)
        return X86VCPU_ESTATE;
    x86vcpu_vcpu_put(v); /* the host's extended state back (xstate.c) */
    /* SDM 24.11.3: VMCLEAR writes the VMCS back to memory and makes it
     * "clear", so it can be loaded on another CPU (then VMLAUNCH again). */
    int st = hw_vmclear(v->vmcs_pa);
    if (st)
        return x86vcpu__vmfail(v, st);
    v->launched = 0;
    v->cpu->current = 0;
    v->cpu = 0;
    return X86VCPU_OK;
}

/* ------------------------------------------------------------ EPT */

/* INVEPT and INVVPID #UD outside VMX operation: the CPU the vCPU is bound
 * to (or was created on) must still be enabled. */
static int vmx_on(const struct x86vcpu_vcpu *v)
{
    return (v->cpu ? v->cpu : v->owner)->enabled;
}

int x86vcpu_vcpu_flush_ept(struct x86vcpu_vcpu *v)
{
    if (!v || !v->have_setup)
        return X86VCPU_EINVAL;
    if (!vmx_on(v))
        return X86VCPU_ESTATE;
    return x86vcpu__invept(&v->owner->caps, v->eptp);
}

int x86vcpu_vcpu_flush_tlb(struct x86vcpu_vcpu *v)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (!vmx_on(v))
        return X86VCPU_ESTATE;
    if (!v->vpid)
        return X86VCPU_OK;
    uint64_t cap = v->owner->caps.ept_vpid;
    int st = (cap & VPIDCAP_SINGLE) ? hw_invvpid(1, v->vpid, 0) : hw_invvpid(2, 0, 0);
    return st ? X86VCPU_EVMFAILVALID : X86VCPU_OK;
}

/* ------------------------------------------------------------ accessors */

/* RSP lives in the VMCS: only the current VMCS of the CPU the vCPU is
 * bound to holds it (another vCPU's may be current there). */
uint64_t x86vcpu_get_gpr(const struct x86vcpu_vcpu *v, enum x86vcpu_gpr r)
{
    if (!v)
        return 0;
    if (r == X86VCPU_RSP)
        return x86vcpu__bound_here(v) ? hw_vmread(X86VCPU_VMCS_GUEST_RSP) : 0;
    return (unsigned)r < 16 ? v->regs.gpr[r] : 0;
}

void x86vcpu_set_gpr(struct x86vcpu_vcpu *v, enum x86vcpu_gpr r, uint64_t val)
{
    if (!v)
        return;
    if (r == X86VCPU_RSP) {
        if (x86vcpu__bound_here(v))
            VMWR(v, WNAT, GUEST_RSP, val);
        return;
    }
    if ((unsigned)r < 16)
        v->regs.gpr[r] = val;
}

uint32_t x86vcpu_vcpu_vm_error(const struct x86vcpu_vcpu *v)
{
    return v ? v->vm_error : 0;
}

const struct x86vcpu_stats *x86vcpu_vcpu_stats(const struct x86vcpu_vcpu *v)
{
    return v ? &v->stats : 0;
}

static int bound_here(struct x86vcpu_vcpu *v)
{
    return x86vcpu__bound_here(v);
}

int x86vcpu__vmcs_read(struct x86vcpu_vcpu *v, uint32_t field, uint64_t *val)
{
    if (!bound_here(v) || !val)
        return X86VCPU_ESTATE;
    v->stats.vmreads++;
    int st = hw_vmread_checked(field, val);
    return st ? x86vcpu__vmfail(v, st) : X86VCPU_OK;
}

int x86vcpu__vmcs_write(struct x86vcpu_vcpu *v, uint32_t field, uint64_t val)
{
    if (!bound_here(v))
        return X86VCPU_ESTATE;
    return x86vcpu__vmwrite_checked(v, field, val);
}

/* Bound here with its guest state in the VMCS: guest fields can be read
 * and written. */
static int runnable_here(struct x86vcpu_vcpu *v)
{
    return bound_here(v) && v->have_setup && !v->setup_dirty;
}

/* HLT activity state (SDM 25.4.2): the CPU itself waits for a wake-up
 * event in VMX non-root operation; the host neither spins nor halts.
 * Entry requires SS.DPL = 0 (SDM 26.3.1.5), which a guest that executed
 * HLT satisfies; IA32_VMX_MISC[6] says the state is supported. */
int x86vcpu_halt(struct x86vcpu_vcpu *v)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (!runnable_here(v))
        return X86VCPU_ESTATE;
    if (!(v->owner->caps.misc & MISC_ACTIVITY_HLT))
        return X86VCPU_ENOTSUP;
    if (AR_DPL((uint32_t)VMRD(v, W32, GUEST_SS_AR)))
        return X86VCPU_ESTATE;
    VMWR(v, W32, GUEST_ACTIVITY_STATE, ACTIVITY_HLT);
    v->halt_armed = 1;
    return X86VCPU_OK;
}

int x86vcpu_get_rip(struct x86vcpu_vcpu *v, uint64_t *rip)
{
    if (!v || !rip)
        return X86VCPU_EINVAL;
    if (!runnable_here(v))
        return X86VCPU_ESTATE;
    *rip = VMRD(v, WNAT, GUEST_RIP);
    return X86VCPU_OK;
}

int x86vcpu_get_rflags(struct x86vcpu_vcpu *v, uint64_t *rflags)
{
    if (!v || !rflags)
        return X86VCPU_EINVAL;
    if (!runnable_here(v))
        return X86VCPU_ESTATE;
    *rflags = VMRD(v, WNAT, GUEST_RFLAGS);
    return X86VCPU_OK;
}

int x86vcpu_set_time_slice(struct x86vcpu_vcpu *v, uint32_t ticks)
{
    if (!v || !v->cpu || v->cpu->current != v || v->setup_dirty ||
        !(v->ctl_pin & PIN_PREEMPT_TIMER))
        return X86VCPU_ESTATE;
    /* Without the virtual LAPIC to take the expiries, a slice of 0 would
     * re-arm the timer at 0: an exit at every entry. */
    if (!ticks && !v->lapic.on)
        return X86VCPU_EINVAL;
    if (ticks == v->time_slice)
        return X86VCPU_OK;
    /* The timer restarts from the VMCS value at each entry unless exits
     * save it (SDM 26.7.4): writing it here starts the new slice; with no
     * slice it holds the maximum until the virtual LAPIC's next deadline
     * (lapic.c re-arms from this state at the next entry). */
    int err = x86vcpu__vmwrite_checked(v, X86VCPU_VMCS_PREEMPTION_TIMER_VALUE,
                                       ticks ? ticks : 0xffffffffu);
    if (err)
        return err;
    v->time_slice = ticks;
    v->lapic.tmr_owned = 0;
    v->lapic.slice_rest = 0;
    v->lapic.tmr_idle = 0;
    return X86VCPU_OK;
}

/* The guest's time-stamp counter (SDM Vol. 3 17.17, 26.3 "TSC offsetting
 * and TSC scaling", 25.6.5): per vCPU an offset and a multiplier the CPU
 * applies to RDTSC, RDTSCP and RDMSR of IA32_TSC without an exit; guest
 * writes of IA32_TSC and IA32_TSC_ADJUST (SDM 17.17.3) move the offset;
 * the frequency the embedder gives reaches the guest's CPUID (lib/tsc.c). */
#include "vmx/vcpu.h"
#include "lib/tsc.h"
#include "lib/bitmap.h"

#define MSR_IA32_TSC        0x10u
#define MSR_IA32_TSC_ADJUST 0x3bu
#define PROC2_TSC_SCALING   (1u << 25)  /* SDM 25.6.2, Table 25-7 */
#define CPUID7_EBX_TSC_ADJUST (1u << 1)

static uint64_t mult(const struct x86vcpu_vcpu *v)
{
    return v->tsc_mult ? v->tsc_mult : X86VCPU_TSC_MULT_ONE;
}

static int can_offset(const struct x86vcpu_vcpu *v)
{
    return (v->owner->caps.procbased >> 32) & PROC_TSC_OFFSET;
}

static int can_scale(const struct x86vcpu_vcpu *v)
{
    return (v->owner->caps.procbased2 >> 32) & PROC2_TSC_SCALING;
}

uint32_t x86vcpu__tsc_proc_opt(const struct x86vcpu_vcpu *v)
{
    (void)v;
    return PROC_TSC_OFFSET;
}

/* "Use TSC scaling" only for a multiplier other than 1.0: with 1.0 the
 * product is the TSC itself, one field less to load. */
uint32_t x86vcpu__tsc_proc2_opt(const struct x86vcpu_vcpu *v)
{
    return mult(v) != X86VCPU_TSC_MULT_ONE ? PROC2_TSC_SCALING : 0;
}

/* Offset and multiplier into the current VMCS (setup, or a setter on a
 * bound vCPU). Reads of IA32_TSC pass through: with the controls on, RDMSR
 * of it returns the offset (and scaled) value exactly as RDTSC does (SDM
 * 26.3, RDMSR); writes exit (msr.c -> x86vcpu__tsc_msr). */
int x86vcpu__tsc_vmcs_init(struct x86vcpu_vcpu *v)
{
    int err = VMWR_CHK(v, W64, TSC_OFFSET, v->tsc_offset);
    if (v->ctl_proc2 & PROC2_TSC_SCALING)
        err |= VMWR_CHK(v, W64, TSC_MULTIPLIER, mult(v));
    if (v->ctl_proc & PROC_TSC_OFFSET) {
        uint8_t *bm = v->hal->phys_to_virt(v->hal->ctx, v->msr_bitmap_pa);
        err |= x86vcpu__msr_bitmap_set(bm, MSR_IA32_TSC, 0, 1);
    }
    return err;
}

/* TSC writes and every TSC_ADJUST access always exit, whatever the
 * embedder opens: a guest must never write the host's TSC or see the
 * host's TSC_ADJUST. Reads of IA32_TSC may pass (offset and scaled). */
void x86vcpu__tsc_intercept_filter(uint32_t msr, int *read, int *write)
{
    if (msr == MSR_IA32_TSC)
        *write = 1;
    else if (msr == MSR_IA32_TSC_ADJUST)
        *read = *write = 1;
}

/* The setters change the VMCS only on a vCPU bound here with its set-up
 * written; before setup they set the record, which setup writes. */
static int tsc_writable(struct x86vcpu_vcpu *v)
{
    if (!v->have_setup || v->setup_dirty)
        return 1;
    return x86vcpu__bound_here(v) ? 2 : 0;
}

static void apply(struct x86vcpu_vcpu *v)
{
    uint32_t p2 = (v->ctl_proc2 & ~PROC2_TSC_SCALING) | x86vcpu__tsc_proc2_opt(v);
    if (p2 != v->ctl_proc2) {
        v->ctl_proc2 = p2;
        VMWR(v, W32, PROC_BASED_CTLS2, p2);
    }
    if (p2 & PROC2_TSC_SCALING)
        VMWR(v, W64, TSC_MULTIPLIER, mult(v));
    VMWR(v, W64, TSC_OFFSET, v->tsc_offset);
}

static int set_offset(struct x86vcpu_vcpu *v, uint64_t offset)
{
    int w = tsc_writable(v);
    if (!w)
        return X86VCPU_ESTATE;
    if (!can_offset(v))
        return X86VCPU_ENOTSUP;
    v->tsc_offset = offset;
    if (w == 2)
        apply(v);
    return X86VCPU_OK;
}

int x86vcpu_set_tsc_offset(struct x86vcpu_vcpu *v, uint64_t offset)
{
    return v ? set_offset(v, offset) : X86VCPU_EINVAL;
}

int x86vcpu_get_tsc_offset(const struct x86vcpu_vcpu *v, uint64_t *offset)
{
    if (!v || !offset)
        return X86VCPU_EINVAL;
    *offset = v->tsc_offset;
    return X86VCPU_OK;
}

/* The guest's TSC now: what its RDTSC would read. */
static uint64_t guest_now(const struct x86vcpu_vcpu *v)
{
    return x86vcpu__tsc_guest(hw_rdtsc(), mult(v), v->tsc_offset);
}

int x86vcpu_get_guest_tsc(const struct x86vcpu_vcpu *v, uint64_t *tsc)
{
    if (!v || !tsc)
        return X86VCPU_EINVAL;
    *tsc = guest_now(v);
    return X86VCPU_OK;
}

int x86vcpu_set_guest_tsc(struct x86vcpu_vcpu *v, uint64_t tsc)
{
    if (!v)
        return X86VCPU_EINVAL;
    return set_offset(v, x86vcpu__tsc_offset_for(hw_rdtsc(), mult(v), tsc));
}

int x86vcpu_set_tsc_khz(struct x86vcpu_vcpu *v, uint32_t host_khz, uint32_t guest_khz)
{
    uint64_t m;
    if (!v || !host_khz)
        return X86VCPU_EINVAL;
    if (!guest_khz)
        guest_khz = host_khz;
    if (x86vcpu__tsc_multiplier(host_khz, guest_khz, &m))
        return X86VCPU_EINVAL;
    int w = tsc_writable(v);
    if (!w)
        return X86VCPU_ESTATE;
    if (guest_khz != host_khz && !(can_scale(v) && can_offset(v) &&
                                   (v->owner->caps.procbased >> 32) & PROC_SECONDARY))
        return X86VCPU_ENOTSUP;
    if (guest_khz == host_khz)
        m = X86VCPU_TSC_MULT_ONE;
    /* The guest's TSC goes on from where it is, at the new rate. */
    uint64_t h = hw_rdtsc();
    uint64_t g = x86vcpu__tsc_guest(h, mult(v), v->tsc_offset);
    v->tsc_mult = m;
    v->tsc_offset = x86vcpu__tsc_offset_for(h, m, g);
    v->tsc_host_khz = host_khz;
    v->tsc_guest_khz = guest_khz;
    if (w == 2)
        apply(v);
    return X86VCPU_OK;
}

int x86vcpu_get_tsc_khz(const struct x86vcpu_vcpu *v, uint32_t *host_khz, uint32_t *guest_khz)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (host_khz)
        *host_khz = v->tsc_host_khz;
    if (guest_khz)
        *guest_khz = v->tsc_guest_khz;
    return X86VCPU_OK;
}

int x86vcpu_get_tsc_multiplier(const struct x86vcpu_vcpu *v, uint64_t *multiplier)
{
    if (!v || !multiplier)
        return X86VCPU_EINVAL;
    *multiplier = mult(v);
    return X86VCPU_OK;
}

int x86vcpu_guest_tsc_to_host(const struct x86vcpu_vcpu *v, uint64_t guest_tsc,
                              uint64_t *host_tsc)
{
    if (!v || !host_tsc)
        return X86VCPU_EINVAL;
    /* Relative to now: a deadline in the guest's past is due at once, and
     * floor(a) + floor(b) <= floor(a + b) keeps the answer from being early. */
    uint64_t h = hw_rdtsc();
    uint64_t g = x86vcpu__tsc_guest(h, mult(v), v->tsc_offset);
    if ((int64_t)(guest_tsc - g) <= 0) {
        *host_tsc = h;
        return X86VCPU_OK;
    }
    uint64_t d = x86vcpu__tsc_host_delta(guest_tsc - g, mult(v));
    *host_tsc = d > ~0ull - h ? ~0ull : h + d;
    return X86VCPU_OK;
}

/* CPUID.(7,0):EBX[1] as the guest sees it: IA32_TSC_ADJUST exists. */
static int guest_has_tsc_adjust(struct x86vcpu_vcpu *v)
{
    struct x86vcpu_cpuid_regs r0, r7;
    x86vcpu__guest_cpuid_static(v, 0, &r0);
    if (r0.eax < 7)
        return 0;
    x86vcpu__guest_cpuid_static(v, 7, &r7);
    return (r7.ebx & CPUID7_EBX_TSC_ADJUST) != 0;
}

/* RDMSR/WRMSR of IA32_TSC and IA32_TSC_ADJUST: -1 when the MSR is not one
 * of these, 0 when done (*val holds a read's value), or the vector to
 * inject. SDM 17.17.3: WRMSR of the TSC adds its change to TSC_ADJUST;
 * WRMSR of TSC_ADJUST adds its change to the TSC. Neither touches the
 * host's MSRs: both move the guest's offset. */
int x86vcpu__tsc_msr(struct x86vcpu_vcpu *v, uint32_t msr, int write, uint64_t *val)
{
    if (msr != MSR_IA32_TSC && msr != MSR_IA32_TSC_ADJUST)
        return -1;
    if (msr == MSR_IA32_TSC_ADJUST && !guest_has_tsc_adjust(v))
        return X86VCPU_VEC_GP;      /* an MSR the guest's CPU lacks (Vol. 2B RDMSR) */
    if (!write) {
        *val = msr == MSR_IA32_TSC ? guest_now(v) : v->tsc_adjust;
        return 0;
    }
    /* Without "use TSC offsetting" the guest's TSC is the host's: its
     * writes are dropped rather than reaching the host's counter. */
    if (!(v->ctl_proc & PROC_TSC_OFFSET))
        return 0;
    uint64_t delta = msr == MSR_IA32_TSC ? *val - guest_now(v) : *val - v->tsc_adjust;
    v->tsc_offset += delta;
    v->tsc_adjust += delta;
    VMWR(v, W64, TSC_OFFSET, v->tsc_offset);
    return 0;
}

/* The guest's TSC-frequency CPUID leaves (lib/tsc.c), once the embedder
 * gave a frequency. */
void x86vcpu__tsc_cpuid_apply(struct x86vcpu_vcpu *v, uint32_t leaf, struct x86vcpu_cpuid_regs *r)
{
    if (!v->tsc_guest_khz || (leaf != 0x15 && leaf != 0x16 && leaf != X86VCPU_CPUID_HV_BASE &&
                              leaf != X86VCPU_CPUID_HV_TIMING))
        return;
    uint32_t max_basic = 0;
    if (leaf == 0x15 || leaf == 0x16) {
        struct x86vcpu_cpuid_regs r0;
        x86vcpu__guest_cpuid_static(v, 0, &r0);
        max_basic = r0.eax;
    }
    x86vcpu__tsc_cpuid(leaf, max_basic, v->tsc_guest_khz, 0, r);
}

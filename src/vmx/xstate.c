/* The guest's x87/SSE/AVX/... state is its own (SDM Vol. 1 ch. 13), and
 * so are CR2 and its debug registers (see dr.c).
 *
 * run() saves the host's state and loads the guest's on the way in, and
 * does the reverse on the way out to the embedder, unless the embedder
 * asked to keep the guest's loaded between runs (x86vcpu_vcpu_keep_xstate:
 * then x86vcpu_vcpu_put, or unbind, does the way out). Built-in exits inside
 * run() keep the guest's state loaded: the library is built without
 * FP/SIMD, so it never touches these registers. XCR0 follows: while the
 * guest's state is loaded the hardware holds the guest's XCR0 if the guest
 * can see it (CR4.OSXSAVE), else the host's; XSETBV only when that value
 * differs from what the hardware holds. */
#include "vmx/vcpu.h"

#define MXCSR_OFFSET 24
#define MXCSR_RESET  0x1f80u   /* SDM Vol. 1 10.2.3.1 */
#define XSTATE_BV_OFFSET 512

int x86vcpu__xstate_alloc(struct x86vcpu_cpu *cpu)
{
    const struct x86vcpu_hal *hal = cpu->hal;
    cpu->xsave_size = 0;
    if ((hw_cpuid(1, 0).ecx & CPUID1_ECX_XSAVE) && (hw_read_cr4() & CR4_OSXSAVE)) {
        /* CPUID.(0DH,0):ECX: size for every feature the CPU supports. A
         * frame is 4 KiB; larger areas (AMX) would need contiguous frames. */
        cpu->xsave_size = hw_cpuid(0xd, 0).ecx;
        if (cpu->xsave_size > 4096)
            return X86VCPU_ENOTSUP;
    }
    cpu->host_fpu_pa = hal->alloc_frame(hal->ctx);
    if (!cpu->host_fpu_pa)
        return X86VCPU_ENOMEM;
    cpu->host_fpu = hal->phys_to_virt(hal->ctx, cpu->host_fpu_pa);
    return X86VCPU_OK;
}

void x86vcpu__xstate_guest_init(struct x86vcpu_vcpu *v)
{
    /* An all-zero XSAVE header restores every component to its initial
     * state, except MXCSR, which XRSTOR/FXRSTOR always load from memory. */
    uint8_t *a = v->guest_fpu = v->hal->phys_to_virt(v->hal->ctx, v->guest_fpu_pa);
    *(volatile uint32_t *)(a + MXCSR_OFFSET) = MXCSR_RESET;
    /* FXRSTOR also loads FCW from memory: the FINIT value 0x37f. */
    *(volatile uint16_t *)a = 0x37f;
}

static inline uint64_t wanted_xcr0(const struct x86vcpu_vcpu *v)
{
    return v->guest_osxsave ? v->guest_xcr0 : v->host_xcr0;
}

/* CR2, DR6 and DR7 (dr.c for why): the guest's CR2 and DR6 in, the host's
 * DR7 noted (the first VM exit leaves 400H there), and back. Three reads
 * in, two out and one test each way when nothing differs (the usual run:
 * both sides hold the reset DR6 and the same CR2); the writes are in dr.c.
 * Last in enter and exit, so those calls are tail calls. */
static inline void dbg_enter(struct x86vcpu_vcpu *v)
{
    uint64_t cr2 = v->host_cr2 = hw_read_cr2();
    uint64_t dr6 = v->host_dr6 = hw_read_dr6();
    v->host_dr7 = hw_read_dr7();
    if ((cr2 ^ v->guest_cr2) | (dr6 ^ v->guest_dr6) | v->dr_loaded)
        x86vcpu__dbg_load_guest(v);
}

static inline void dbg_exit(struct x86vcpu_vcpu *v)
{
    uint64_t cr2 = v->guest_cr2 = hw_read_cr2();
    uint64_t dr6 = v->guest_dr6 = hw_read_dr6();
    if ((cr2 ^ v->host_cr2) | (dr6 ^ v->host_dr6) | (v->host_dr7 ^ DR7_RESET) | v->dr_loaded)
        x86vcpu__dbg_load_host(v);
}

static void fpu_enter(struct x86vcpu_vcpu *v)
{
    void *host = v->cpu->host_fpu, *guest = v->guest_fpu;
    if (!v->cpu->xsave_size) {
        hw_fxsave(host);
        hw_fxrstor(guest);
        return;
    }
    /* The host may have changed XCR0 since the last run. */
    v->host_xcr0 = hw_xgetbv(0);
    hw_xsave(host, v->host_xcr0);
    v->loaded_xcr0 = wanted_xcr0(v);
    if (v->loaded_xcr0 != v->host_xcr0) {
        hw_xsetbv(0, v->loaded_xcr0);
        v->stats.xcr0_switches++;
    }
    /* XSAVE writes only the XSTATE_BV bits of its mask: a component saved
     * under a larger XCR0 would make XRSTOR fault now (SDM Vol. 1 13.8.1). */
    *(volatile uint64_t *)((uint8_t *)guest + XSTATE_BV_OFFSET) &= v->loaded_xcr0;
    hw_xrstor(guest, v->loaded_xcr0);
    /* The guest's XCR0 may leave SSE out (XCR0 = 1 is legal, 13.3), yet
     * SSE instructions need only CR4.OSFXSR: XMM0-15 and MXCSR are still
     * the guest's, and XSAVE/XRSTOR under its XCR0 skip them (RFBM = XCR0
     * AND mask, 13.8). FXSAVE/FXRSTOR carry them in the legacy region. */
    if (!(v->loaded_xcr0 & XCR0_SSE))
        hw_fxrstor(guest);
}

static void fpu_exit(struct x86vcpu_vcpu *v)
{
    void *host = v->cpu->host_fpu, *guest = v->guest_fpu;
    if (!v->cpu->xsave_size) {
        hw_fxsave(guest);
        hw_fxrstor(host);
        return;
    }
    hw_xsave(guest, v->loaded_xcr0);
    if (!(v->loaded_xcr0 & XCR0_SSE))
        hw_fxsave(guest);   /* the SSE state XSAVE left out (fpu_enter) */
    if (v->loaded_xcr0 != v->host_xcr0)
        hw_xsetbv(0, v->host_xcr0);
    hw_xrstor(host, v->host_xcr0);
}

/* Kept loaded since the last run (x86vcpu_vcpu_keep_xstate): nothing to
 * load but XCR0, when what the guest may see changed in between (setup,
 * an INIT: x86vcpu__xcr0_update compares). */
void x86vcpu__xstate_enter(struct x86vcpu_vcpu *v)
{
    if (v->xstate_kept) {
        v->xstate_kept = 0;
        if (__builtin_expect(wanted_xcr0(v) != v->loaded_xcr0, 0))
            x86vcpu__xcr0_update(v);
    } else {
        fpu_enter(v);
    }
    dbg_enter(v);
}

void x86vcpu__xstate_exit(struct x86vcpu_vcpu *v)
{
    if (v->xstate_keep)
        v->xstate_kept = 1;
    else
        fpu_exit(v);
    dbg_exit(v);
}

/* The host's extended state back, when run() left the guest's loaded
 * (issue 15: the XSAVE/XRSTOR pair both ways, XGETBV and XSETBV cost 52
 * of an embedder round trip's instructions in Bochs, and far more on
 * hardware). KVM keeps a guest's FPU state loaded likewise until the
 * host needs its own (kernel_fpu_begin, return to user space). CR2 and
 * the debug registers are still switched at every run() boundary: a host
 * page fault changes CR2 without notice. */
int x86vcpu_vcpu_put(struct x86vcpu_vcpu *v)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (v->pending == PENDING_IN_HANDLER) /* inside run(): the guest's state is the live one */
        return X86VCPU_ESTATE;
    if (v->xstate_kept) {
        v->xstate_kept = 0;
        fpu_exit(v);
    }
    return X86VCPU_OK;
}

int x86vcpu_vcpu_keep_xstate(struct x86vcpu_vcpu *v, int on)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (v->pending == PENDING_IN_HANDLER)
        return X86VCPU_ESTATE;
    v->xstate_keep = on != 0;
    return on ? X86VCPU_OK : x86vcpu_vcpu_put(v);
}

/* The guest changed XCR0 or CR4.OSXSAVE while its state is loaded: do to
 * the hardware what its XSETBV would have done. */
void x86vcpu__xcr0_update(struct x86vcpu_vcpu *v)
{
    uint64_t want = wanted_xcr0(v);
    if (v->cpu->xsave_size && want != v->loaded_xcr0) {
        hw_xsetbv(0, want);
        v->loaded_xcr0 = want;
        v->stats.xcr0_switches++;
    }
}

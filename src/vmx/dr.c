/* The guest's debug registers (SDM Vol. 3 ch. 18) are its own, as KVM
 * keeps them:
 *  - DR7 and IA32_DEBUGCTL are in the VMCS ("load/save debug controls",
 *    SDM 25.7.1, 25.8.1). A VM exit leaves DR7 = 400H and DEBUGCTL = 0
 *    (SDM 28.5.1): run() puts the host's DR7 back (xstate.c).
 *  - DR6 (and CR2, SDM 4.7) are written by the CPU when the guest takes a
 *    #DB (#PF) without an exit, so the hardware holds the guest's from the
 *    start of run() to its end; each switch writes only when the values
 *    differ (xstate.c).
 *  - DR0-DR3 lazily: MOV DR exits (MOV-DR exiting) until the guest first
 *    executes one. Then its values are loaded, MOV DR stops exiting and the
 *    instruction runs again, natively (the CPU does every check of SDM
 *    "MOV - Move to/from Debug Registers"); from then on run() switches
 *    DR0-3 too. Until then the guest's DR7 is its reset value (only MOV DR
 *    changes it), so no breakpoint is enabled and the host's addresses in
 *    DR0-3 can neither fire nor be read in the guest. */
#include "vmx/vcpu.h"

void x86vcpu__dr_reset(struct x86vcpu_vcpu *v)
{
    for (int i = 0; i < 4; i++)
        v->guest_dr[i] = 0;
    v->guest_dr6 = DR6_RESET;
    v->guest_cr2 = 0;
    /* Without MOV-DR exiting the guest reaches the registers at once. */
    v->dr_loaded = !(v->ctl_proc & PROC_MOV_DR_EXITING);
}

/* Save the host's DR0-3 and load the guest's. DR7 must enable nothing
 * meanwhile: the guest's addresses would fire in the host. */
static void load_guest_dr03(struct x86vcpu_vcpu *v)
{
    uint64_t *h = v->host_dr;
    const uint64_t *g = v->guest_dr;
    if (v->host_dr7 & DR7_ENABLES)
        hw_write_dr7(DR7_RESET);
    h[0] = hw_read_dr0();
    h[1] = hw_read_dr1();
    h[2] = hw_read_dr2();
    h[3] = hw_read_dr3();
    if (g[0] != h[0]) hw_write_dr0(g[0]);
    if (g[1] != h[1]) hw_write_dr1(g[1]);
    if (g[2] != h[2]) hw_write_dr2(g[2]);
    if (g[3] != h[3]) hw_write_dr3(g[3]);
}

/* run() starts (xstate.c has read the host's CR2, DR6, DR7): the guest's
 * values where they differ. */
void x86vcpu__dbg_load_guest(struct x86vcpu_vcpu *v)
{
    if (v->guest_cr2 != v->host_cr2)
        hw_write_cr2(v->guest_cr2);
    if (v->guest_dr6 != v->host_dr6)
        hw_write_dr6(v->guest_dr6);
    if (v->dr_loaded)
        load_guest_dr03(v);
}

/* run() ends (xstate.c has saved the guest's CR2 and DR6): the host's
 * back, DR7 last. */
void x86vcpu__dbg_load_host(struct x86vcpu_vcpu *v)
{
    if (v->guest_cr2 != v->host_cr2)
        hw_write_cr2(v->host_cr2);
    if (v->guest_dr6 != v->host_dr6)
        hw_write_dr6(v->host_dr6);
    if (v->dr_loaded) {
        const uint64_t *h = v->host_dr;
        uint64_t *g = v->guest_dr;
        g[0] = hw_read_dr0();
        g[1] = hw_read_dr1();
        g[2] = hw_read_dr2();
        g[3] = hw_read_dr3();
        if (g[0] != h[0]) hw_write_dr0(h[0]);
        if (g[1] != h[1]) hw_write_dr1(h[1]);
        if (g[2] != h[2]) hw_write_dr2(h[2]);
        if (g[3] != h[3]) hw_write_dr3(h[3]);
    }
    if (v->host_dr7 != DR7_RESET)
        hw_write_dr7(v->host_dr7);
}

/* MOV DR exit (SDM 28.2.1, Table 28-3): the guest's first use of a debug
 * register. Hand the registers over and let the instruction run again
 * (not completed: RIP stays). Inside run() the hardware DR7 is 400H (the
 * exit set it), so loading the guest's addresses is safe here. */
int x86vcpu__exit_dr_access(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    (void)e;
    if (!v->dr_loaded) {
        load_guest_dr03(v);
        v->dr_loaded = 1;
    }
    v->ctl_proc &= ~PROC_MOV_DR_EXITING;
    VMWR(v, W32, PROC_BASED_CTLS, v->ctl_proc);
    return 1;
}

/* Fixture of the host-side VMX harness (tests/host/README): an enabled CPU
 * and a bound vCPU on the mock machine, plus script helpers. */
#ifndef X86VCPU_HOST_FIXTURE_H
#define X86VCPU_HOST_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mock.h"
#include "vmx/vcpu.h"
#include "lib/event_rules.h"

#define F(name) X86VCPU_VMCS_##name

struct host {
    struct x86vcpu_cpu cpu;
    struct x86vcpu_vcpu *v;
    struct x86vcpu_setup setup;
    struct x86vcpu_exit e;
};

/* CPU enabled, vCPU created, h->setup filled with defaults for the mode:
 * adjust it, then host_bind(). mock_reset() (and any change to the mock
 * machine) comes first. */
static inline void host_init(struct host *h, enum x86vcpu_mode mode)
{
    memset(h, 0, sizeof *h);
    assert_int_equal(x86vcpu_cpu_enable(&h->cpu, &mock_hal), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_create(&h->cpu, &h->v), X86VCPU_OK);
    h->setup.mode = mode;
    h->setup.entry = mode == X86VCPU_MODE_REAL ? 0x7c00 : 0x100000;
    h->setup.rsp = 0x8000;
    h->setup.cr3 = 0x200000;
    h->setup.ept_root = 0x300000;
    h->setup.vpid = 1;
}

static inline void host_bind(struct host *h)
{
    assert_int_equal(x86vcpu_vcpu_setup(h->v, &h->setup), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_bind(h->v, &h->cpu), X86VCPU_OK);
    mock_clear_ops();
}

static inline void host_start(struct host *h, enum x86vcpu_mode mode)
{
    host_init(h, mode);
    host_bind(h);
}

/* host_start with the guest at 0x1000, RFLAGS 2 (IF = 0, TF = 0), no
 * interrupt blocking and no pending debug exception: the tests of one
 * exit's completion start here. */
static inline void host_start_at_1000(struct host *h, enum x86vcpu_mode mode)
{
    host_start(h, mode);
    mock_set_vmcs(F(GUEST_RIP), 0x1000);
    mock_set_vmcs(F(GUEST_RFLAGS), 0x2);
    mock_set_vmcs(F(GUEST_INTERRUPTIBILITY), 0);
    mock_set_vmcs(F(GUEST_PENDING_DBG_EXCEPTIONS), 0);
}

/* Unbind, destroy, disable: every frame back, no HAL misuse. */
static inline void host_stop(struct host *h)
{
    assert_int_equal(x86vcpu_vcpu_unbind(h->v), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_destroy(h->v), X86VCPU_OK);
    assert_int_equal(x86vcpu_cpu_disable(&h->cpu), X86VCPU_OK);
    assert_int_equal(mock_frames_in_use(), 0);
    assert_int_equal(mock_hal_errors(), 0);
}

/* host_stop for a vCPU on the library's EPT (setup.ept) with n RAM frames
 * of the test's own: the vCPU, the EPT, the frames; nothing left over. */
static inline void host_stop_ept(struct host *h, struct x86vcpu_ept *ept, const uint64_t *pa,
                                 int n)
{
    assert_int_equal(x86vcpu_vcpu_unbind(h->v), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_destroy(h->v), X86VCPU_OK);
    assert_int_equal(x86vcpu_ept_destroy(ept), X86VCPU_OK);
    for (int i = 0; i < n; i++)
        mock_hal.free_frame(mock_hal.ctx, pa[i]);
    assert_int_equal(x86vcpu_cpu_disable(&h->cpu), X86VCPU_OK);
    assert_int_equal(mock_frames_in_use(), 0);
    assert_int_equal(mock_hal_errors(), 0);
}

/* Run once with this script; the exit must reach the embedder. */
static inline int host_run(struct host *h, mock_script_fn fn, void *ctx)
{
    mock.script = fn;
    mock.script_ctx = ctx;
    return x86vcpu_vcpu_run(h->v, &h->e);
}

/* A script that is a list of exits: entry n gets steps[n]; past the end
 * every entry ends in a VMX-preemption timer exit (the time slice). A
 * step's fn, when set, plays the guest first (changes registers/VMCS). */
struct step {
    uint32_t reason;
    uint64_t qual;
    uint32_t len;
    void (*fn)(struct x86vcpu_regs *regs, unsigned n);
};
struct steps { const struct step *s; unsigned n; };

static inline int steps_script(struct x86vcpu_regs *regs, unsigned n, void *ctx)
{
    const struct steps *st = ctx;
    if (n >= st->n) {
        mock_exit(X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0);
        return 0;
    }
    if (st->s[n].fn)
        st->s[n].fn(regs, n);
    mock_exit(st->s[n].reason, st->s[n].qual, st->s[n].len);
    return 0;
}

#define RUN_STEPS(h, ...)                                                            \
    ({                                                                               \
        const struct step s_[] = { __VA_ARGS__ };                                    \
        struct steps st_ = { s_, sizeof s_ / sizeof s_[0] };                          \
        mock.entries = 0;                                                            \
        host_run((h), steps_script, &st_);                                           \
    })

/* Exit qualifications the tests script (SDM 28.2.1: EPT violation,
 * Table 28-5 I/O instruction, Table 28-3 control-register access). */
#define QUAL_R   1u
#define QUAL_W   2u
#define QUAL_X   4u
#define QUAL_GLA 0x80u          /* bit 7: guest-linear address valid */
#define QUAL_FIN 0x100u         /* bit 8: access to the translated address */
#define QUAL_IO(port, size, in, str, rep) \
    (((uint64_t)(port) << 16) | ((size) - 1) | ((in) << 3) | ((str) << 4) | ((rep) << 5))
#define QUAL_CR(cr, type, reg) ((cr) | ((type) << 4) | ((reg) << 8))

/* What a port callback of x86vcpu_string_io saw: calls, the next value. */
struct port_log { unsigned calls; uint32_t next; };

/* An INTR line that never asserts (x86vcpu_set_intr_line { host_line_pending,
 * host_line_ack }): its polls counted. With it the run loop's top runs
 * before every entry, so the fast paths stay off. */
static unsigned host_line_polls __attribute__((unused));
static inline int host_line_pending(void *ctx)
{
    (void)ctx;
    host_line_polls++;
    return 0;
}
static inline int host_line_ack(void *ctx)
{
    (void)ctx;
    return -1;
}

#endif

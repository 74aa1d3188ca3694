/* Issue 13: the embedder's INTR line (x86vcpu_set_intr_line, inject.c),
 * the CPU's INTR pin sampled at each VM entry (SDM 6.8.1): acknowledged
 * (the INTA cycle) and injected at the entry where the guest can take it,
 * else an interrupt window whose exit is handled inside run; after the
 * events that go first (re-injection, exceptions, NMIs, queued vectors:
 * SDM 6.9) and before the virtual APIC's own vectors; with a virtual
 * APIC only through LINT0 in ExtINT mode or with the APIC disabled (SDM
 * 11.4.3, 11.5.1). Each runs without a virtual APIC, with one on the
 * software path and with the CPU's assists (virtual wire: LINT0 ExtINT
 * from setup), where the APIC changes the path.
 *
 * The machine: a 32-bit protected-mode guest; each run plays its steps
 * and ends in an intercepted #UD (an exit for the embedder). */
#include "host.h"

#define VALID   0x80000000u
#define EXTINT(vec) (VALID | (vec))                      /* type 0: external interrupt */
#define UD_EXIT { X86VCPU_EXIT_REASON_EXCEPTION_NMI, 0, 0, 0, 0, 0 }

/* ---------------------------------------------------------- the line */
/* An 8259 as far as the CPU sees it: `requests` waiting, each acked once;
 * `gone`: the request vanished before INTA (ack -1). */
static struct {
    unsigned requests, pendings, acks;
    int vector, gone;
} pic;

static int pic_pending(void *ctx)
{
    assert_ptr_equal(ctx, &pic);
    pic.pendings++;
    return pic.requests != 0;
}

static int pic_ack(void *ctx)
{
    assert_ptr_equal(ctx, &pic);
    pic.acks++;
    if (pic.gone) {
        pic.requests = 0;
        return -1;
    }
    pic.requests--;
    return pic.vector;
}

static const struct x86vcpu_intr_line line = { pic_pending, pic_ack, &pic };

/* ---------------------------------------------------------- the vCPU */
enum apic_mode { NO_APIC, APIC_SOFT, APIC_ASSISTS };
static const char *const mode_name[] = { "no APIC", "APIC soft", "APIC assists" };

/* lapic_flags beyond BSP (and SOFT for APIC_SOFT); setup_flags for setup. */
static void start(struct host *h, enum apic_mode m, uint32_t lapic_flags, uint32_t setup_flags)
{
    mock_reset();
    memset(&pic, 0, sizeof pic);
    pic.vector = 0x30;
    if (m == APIC_ASSISTS) {
        /* The secondary controls of APIC virtualization (SDM A.3.3). */
        uint64_t p2 = mock_msr(0x48b);
        mock_set_msr(0x48b, p2 | ((uint64_t)(1u | 16u | 256u | 512u) << 32));
    }
    host_init(h, X86VCPU_MODE_PROT32);
    if (m != NO_APIC) {
        struct x86vcpu_lapic_config c = {
            .apic_id = 0, .tsc_khz = 1000, .bus_khz = 1000,
            .flags = X86VCPU_LAPIC_BSP | lapic_flags | (m == APIC_SOFT ? X86VCPU_LAPIC_SOFT : 0),
        };
        assert_int_equal(x86vcpu_lapic_enable(h->v, &c), X86VCPU_OK);
    }
    h->setup.flags |= setup_flags;
    mock_set_msr(0x10, 1000);           /* the TSC */
    host_bind(h);
    mock_set_vmcs(F(GUEST_RIP), 0x1000);
    mock_set_vmcs(F(GUEST_RFLAGS), 0x202);
    assert_int_equal(x86vcpu_set_intr_line(h->v, &line), X86VCPU_OK);
}

/* ---------------------------------------------------------- scripting */
/* At the exit of its entry the guest has these RFLAGS / interruptibility
 * (nonzero rflags: set; intr is always written), and `raise` more requests
 * come up at the 8259. */
struct istep {
    uint32_t reason;
    uint64_t rflags;
    uint32_t intr;
    unsigned raise;
    uint32_t msr;       /* WRMSR: ECX, EDX:EAX = val */
    uint64_t val;
};
struct isteps { const struct istep *s; unsigned n; };

/* What each entry of the last run delivered, and whether the interrupt
 * window was armed for it. */
#define MAX_SEEN 16
static uint32_t seen[MAX_SEEN];
static int window_at[MAX_SEEN];
static unsigned acks_at[MAX_SEEN];      /* INTA cycles up to this entry's */
static uint32_t activity_at[MAX_SEEN];

static int iscript(struct x86vcpu_regs *regs, unsigned n, void *ctx)
{
    const struct isteps *st = ctx;
    if (n < MAX_SEEN) {
        seen[n] = mock.entry_intr_info;
        window_at[n] = (mock_vmcs(F(PROC_BASED_CTLS)) & PROC_INTR_WINDOW) != 0;
        acks_at[n] = pic.acks;
        activity_at[n] = (uint32_t)mock_vmcs(F(GUEST_ACTIVITY_STATE));
    }
    if (n >= st->n) {
        mock_exit(X86VCPU_EXIT_REASON_EXCEPTION_NMI, 0, 0);
        mock_set_vmcs(F(EXIT_INTR_INFO), VALID | (3u << 8) | 6);    /* #UD, intercepted */
        return 0;
    }
    const struct istep *s = &st->s[n];
    if (s->rflags)
        mock_set_vmcs(F(GUEST_RFLAGS), s->rflags);
    mock_set_vmcs(F(GUEST_INTERRUPTIBILITY), s->intr);
    pic.requests += s->raise;
    if (s->reason == X86VCPU_EXIT_REASON_WRMSR) {
        regs->gpr[X86VCPU_RCX] = s->msr;
        regs->gpr[X86VCPU_RAX] = (uint32_t)s->val;
        regs->gpr[X86VCPU_RDX] = s->val >> 32;
    }
    if (s->reason == X86VCPU_EXIT_REASON_EXCEPTION_NMI)
        mock_set_vmcs(F(EXIT_INTR_INFO), VALID | (3u << 8) | 6);
    mock_exit(s->reason, 0, s->reason == X86VCPU_EXIT_REASON_WRMSR ? 2 : 0);
    return 0;
}

/* One run of these steps: it must end at the final #UD (every other exit
 * handled inside), and *entries is how many VM entries it made. */
#define IRUN(h, ...)                                                                 \
    ({                                                                               \
        const struct istep s_[] = { __VA_ARGS__ };                                   \
        struct isteps st_ = { s_, sizeof s_ / sizeof s_[0] };                         \
        memset(seen, 0, sizeof seen);                                                \
        memset(window_at, 0, sizeof window_at);                                      \
        mock.entries = 0;                                                            \
        assert_int_equal(host_run((h), iscript, &st_), X86VCPU_OK);                  \
        assert_int_equal((h)->e.kind, X86VCPU_EXIT_EXCEPTION);                       \
        assert_int_equal((h)->e.u.exception.vector, 6);                              \
        mock.entries;                                                                \
    })
#define WINDOW_EXIT(rfl, intr) { X86VCPU_EXIT_REASON_INTERRUPT_WINDOW, (rfl), (intr), 0, 0, 0 }
#define CPUID_EXIT(raise)      { X86VCPU_EXIT_REASON_CPUID, 0, 0, (raise), 0, 0 }
#define WRMSR_EXIT(m, v)       { X86VCPU_EXIT_REASON_WRMSR, 0, 0, 0, (m), (v) }

static int window_armed(void)
{
    return (mock_vmcs(F(PROC_BASED_CTLS)) & PROC_INTR_WINDOW) != 0;
}

static int apic_isr_has(struct host *h, uint8_t vec)
{
    uint32_t val = 0;
    assert_int_equal(x86vcpu_lapic_read(h->v, 0x100 + (vec / 32) * 0x10, &val), X86VCPU_OK);
    return (val >> (vec % 32)) & 1;
}

/* ---------------------------------------------------------- tests */

/* IF = 1, nothing blocking: INTA and injection at this very entry; the
 * ExtINT bypasses the virtual APIC (not in its ISR). */
static void if1_injected(enum apic_mode m)
{
    struct host h;
    print_message("  %s\n", mode_name[m]);
    start(&h, m, X86VCPU_LAPIC_VIRTUAL_WIRE, 0);
    pic.requests = 1;
    IRUN(&h, UD_EXIT);
    assert_int_equal(seen[0], EXTINT(0x30));
    assert_int_equal(pic.acks, 1);
    assert_int_equal(mock.injections, 1);
    assert_false(window_armed());
    if (m != NO_APIC)
        assert_false(apic_isr_has(&h, 0x30));
    /* No request: pending is asked, nothing acked or injected. */
    unsigned asked = pic.pendings;
    IRUN(&h, UD_EXIT);
    assert_int_equal(pic.pendings, asked + 1);
    assert_int_equal(pic.acks, 1);
    assert_int_equal(mock.injections, 1);
    assert_false(window_armed());
    host_stop(&h);
}
static void test_if1_injected(void **state)
{
    (void)state;
    for (int m = NO_APIC; m <= APIC_ASSISTS; m++)
        if1_injected((enum apic_mode)m);
}

/* IF = 0: no INTA, the interrupt window is armed; the request stays at
 * the 8259. The window's exit (the guest's STI took effect) is handled
 * inside run: acked and injected at the next entry, window closed. */
static void if0_window(enum apic_mode m)
{
    struct host h;
    print_message("  %s\n", mode_name[m]);
    start(&h, m, X86VCPU_LAPIC_VIRTUAL_WIRE, 0);
    mock_set_vmcs(F(GUEST_RFLAGS), 0x2);
    pic.requests = 1;
    IRUN(&h, UD_EXIT);
    assert_int_equal(seen[0], 0);
    assert_int_equal(pic.acks, 0);
    assert_int_equal(pic.requests, 1);
    assert_true(window_at[0]);
    assert_true(window_armed());
    /* sti; nop: the window exits at the boundary after the shadow. */
    unsigned n = IRUN(&h, WINDOW_EXIT(0x202, 0), UD_EXIT);
    assert_int_equal(n, 2);                     /* the window exit did not end the run */
    assert_int_equal(seen[1], EXTINT(0x30));
    assert_int_equal(pic.acks, 1);
    assert_false(window_at[1]);
    assert_false(window_armed());
    host_stop(&h);
}
static void test_if0_window(void **state)
{
    (void)state;
    for (int m = NO_APIC; m <= APIC_ASSISTS; m++)
        if0_window((enum apic_mode)m);
}

/* IF = 1 in an STI or MOV-SS shadow (interruptibility bits 0, 1; SDM
 * 25.4.2): the window, no INTA; it exits once the shadow ends. Raised at
 * an exit in the shadow: the same. */
static void sti_blocking(enum apic_mode m)
{
    struct host h;
    print_message("  %s\n", mode_name[m]);
    start(&h, m, X86VCPU_LAPIC_VIRTUAL_WIRE, 0);
    for (uint32_t block = 1; block <= 2; block++) {
        unsigned acks = pic.acks;
        /* IF = 1 in the shadow: the window. */
        mock_set_vmcs(F(GUEST_INTERRUPTIBILITY), block);
        pic.requests = 1;
        IRUN(&h, UD_EXIT);
        assert_int_equal(seen[0], 0);
        assert_int_equal(pic.acks, acks);
        assert_true(window_at[0]);
        /* Still in it at the next entry (say, a #UD exit while the
         * shadow lasts): still the window; its exit after the shadow:
         * acked and injected. */
        mock_set_vmcs(F(GUEST_INTERRUPTIBILITY), block);
        unsigned n = IRUN(&h, WINDOW_EXIT(0, 0), UD_EXIT);
        assert_int_equal(n, 2);
        assert_int_equal(seen[0], 0);
        assert_int_equal(acks_at[0], acks);       /* no INTA at the blocked entry */
        assert_int_equal(seen[1], EXTINT(0x30));
        assert_int_equal(pic.acks, acks + 1);
        assert_false(window_armed());
    }
    host_stop(&h);
}
static void test_sti_blocking(void **state)
{
    (void)state;
    for (int m = NO_APIC; m <= APIC_ASSISTS; m++)
        sti_blocking((enum apic_mode)m);
}

/* SDM 6.9: an exception, an NMI and a vector the embedder queued go
 * before INTR; the line is acked only at the entry that injects it (the
 * window opens meanwhile). */
static void others_first(enum apic_mode m)
{
    struct host h;
    print_message("  %s\n", mode_name[m]);
    start(&h, m, X86VCPU_LAPIC_VIRTUAL_WIRE, 0);
    pic.requests = 1;
    assert_int_equal(x86vcpu_queue_exception(h.v, X86VCPU_VEC_GP, 1, 0, 0), X86VCPU_OK);
    IRUN(&h, WINDOW_EXIT(0x202, 0), UD_EXIT);
    assert_int_equal(seen[0], VALID | (3u << 8) | (1u << 11) | 13);    /* #GP, error code */
    assert_int_equal(acks_at[0], 0);            /* no INTA at the #GP's entry */
    assert_int_equal(seen[1], EXTINT(0x30));
    assert_int_equal(pic.acks, 1);

    pic.requests = 1;
    assert_int_equal(x86vcpu_queue_nmi(h.v), X86VCPU_OK);
    IRUN(&h, WINDOW_EXIT(0x202, 0), UD_EXIT);
    assert_int_equal(seen[0], VALID | (2u << 8) | 2);                  /* NMI */
    assert_int_equal(acks_at[0], 1);
    assert_int_equal(seen[1], EXTINT(0x30));
    assert_int_equal(pic.acks, 2);

    pic.requests = 1;
    assert_int_equal(x86vcpu_queue_interrupt(h.v, 0x41), X86VCPU_OK);
    IRUN(&h, WINDOW_EXIT(0x202, 0), UD_EXIT);
    assert_int_equal(seen[0], EXTINT(0x41));
    assert_int_equal(acks_at[0], 2);
    assert_int_equal(seen[1], EXTINT(0x30));
    assert_int_equal(pic.acks, 3);
    assert_int_equal(x86vcpu_pending_events(h.v), 0);
    host_stop(&h);
}
static void test_others_first(void **state)
{
    (void)state;
    for (int m = NO_APIC; m <= APIC_ASSISTS; m++)
        others_first((enum apic_mode)m);
}

/* The virtual APIC's gate (SDM 11.4.3, 11.5.1): LINT0 masked at power-up
 * (no virtual wire): the line is not taken, neither acked nor windowed,
 * even with IF = 0. LINT0 unmasked in ExtINT mode: taken. Before the
 * APIC's own pending vector (KVM's order), which follows through the
 * window. LINT0 fixed mode: not the 8259's path. APIC globally
 * disabled: LINT0 is INTR itself. */
static void apic_gate(enum apic_mode m, uint32_t setup_flags)
{
    struct host h;
    print_message("  %s%s\n", mode_name[m], setup_flags ? " + virtual-interrupt delivery" : "");
    start(&h, m, 0, setup_flags);
    assert_false(x86vcpu_lapic_accepts_extint(h.v));
    pic.requests = 1;
    IRUN(&h, UD_EXIT);
    assert_int_equal(seen[0], 0);
    assert_int_equal(pic.acks, 0);
    assert_false(window_armed());
    mock_set_vmcs(F(GUEST_RFLAGS), 0x2);
    IRUN(&h, UD_EXIT);
    assert_int_equal(pic.acks, 0);
    assert_false(window_armed());
    mock_set_vmcs(F(GUEST_RFLAGS), 0x202);

    /* x2APIC mode, software-enabled; LINT0 fixed vector 0x60: still not
     * the 8259's. Then ExtINT: taken at the next entry, before the
     * APIC's 0x50. */
    IRUN(&h, WRMSR_EXIT(0x1b, 0xfee00000u | (1u << 11) | (1u << 10) | (1u << 8)),
         WRMSR_EXIT(0x80f, 0x1ff), WRMSR_EXIT(0x835, 0x60));
    assert_int_equal(pic.acks, 0);
    assert_int_equal(x86vcpu_lapic_set_irq(h.v, 0x50, 0), X86VCPU_OK);
    IRUN(&h, WRMSR_EXIT(0x835, 0x700), WINDOW_EXIT(0x202, 0));
    /* entry 0: the APIC's 0x50 (the gate was still closed); entry 1:
     * after the WRMSR, the ExtINT (0x50 in service by then). */
    if (setup_flags) {
        /* Virtual-interrupt delivery: the CPU takes 0x50 from RVI. */
        assert_int_equal(seen[0], 0);
        assert_int_equal(mock_vmcs(F(GUEST_INTR_STATUS)) & 0xff, 0x50);
    } else {
        assert_int_equal(seen[0], EXTINT(0x50));
        assert_true(apic_isr_has(&h, 0x50));
    }
    assert_int_equal(seen[1], EXTINT(0x30));
    assert_int_equal(pic.acks, 1);
    assert_false(apic_isr_has(&h, 0x30));

    /* Both pending at one entry: the ExtINT first, the APIC's after the
     * window. */
    pic.requests = 1;
    assert_int_equal(x86vcpu_lapic_set_irq(h.v, 0x70, 0), X86VCPU_OK);
    IRUN(&h, WINDOW_EXIT(0x202, 0), UD_EXIT);
    assert_int_equal(seen[0], EXTINT(0x30));
    assert_int_equal(pic.acks, 2);
    if (!setup_flags) {
        assert_int_equal(seen[1], EXTINT(0x70));
        assert_true(apic_isr_has(&h, 0x70));
    }

    /* Masked again, then the APIC globally disabled (IA32_APIC_BASE.EN =
     * 0): INTR reaches the CPU directly. */
    IRUN(&h, WRMSR_EXIT(0x835, 0x10700));
    pic.requests = 1;
    IRUN(&h, UD_EXIT);
    assert_int_equal(pic.acks, 2);
    assert_false(window_armed());
    IRUN(&h, WRMSR_EXIT(0x1b, 0));
    assert_true(x86vcpu_lapic_accepts_extint(h.v));
    assert_int_equal(seen[1], EXTINT(0x30));
    assert_int_equal(pic.acks, 3);
    host_stop(&h);
}
static void test_apic_gate(void **state)
{
    (void)state;
    apic_gate(APIC_SOFT, 0);
    apic_gate(APIC_ASSISTS, 0);
    apic_gate(APIC_ASSISTS, X86VCPU_SETUP_EXIT_ON_EXTINT);
}

/* X86VCPU_LAPIC_VIRTUAL_WIRE: LINT0 = ExtINT, unmasked, from setup. */
static void test_virtual_wire(void **state)
{
    (void)state;
    struct host h;
    start(&h, APIC_SOFT, X86VCPU_LAPIC_VIRTUAL_WIRE, 0);
    uint32_t lint0 = 0xdead;
    assert_int_equal(x86vcpu_lapic_read(h.v, 0x350, &lint0), X86VCPU_OK);
    assert_int_equal(lint0, 0x700);
    assert_true(x86vcpu_lapic_accepts_extint(h.v));
    host_stop(&h);
    start(&h, APIC_SOFT, 0, 0);
    assert_int_equal(x86vcpu_lapic_read(h.v, 0x350, &lint0), X86VCPU_OK);
    assert_int_equal(lint0, 0x10000);
    host_stop(&h);
}

/* The request went away before INTA (ack -1): nothing injected, no
 * window; the run goes on to the guest's next exit (no loop). */
static void ack_gone(enum apic_mode m)
{
    struct host h;
    print_message("  %s\n", mode_name[m]);
    start(&h, m, X86VCPU_LAPIC_VIRTUAL_WIRE, 0);
    pic.requests = 1;
    pic.gone = 1;
    unsigned n = IRUN(&h, CPUID_EXIT(1), UD_EXIT);
    assert_int_equal(n, 2);
    assert_int_equal(seen[0], 0);
    assert_int_equal(seen[1], 0);
    assert_int_equal(pic.acks, 2);
    assert_int_equal(mock.injections, 0);
    assert_false(window_armed());
    /* Ack outside 0-255: the same. */
    pic.gone = 0;
    pic.vector = 0x100;
    pic.requests = 1;
    IRUN(&h, UD_EXIT);
    assert_int_equal(pic.acks, 3);
    assert_int_equal(mock.injections, 0);
    assert_false(window_armed());
    host_stop(&h);
}
static void test_ack_gone(void **state)
{
    (void)state;
    for (int m = NO_APIC; m <= APIC_ASSISTS; m++)
        ack_gone((enum apic_mode)m);
}

/* Removed (NULL): never asked again; a window armed for it exits once and
 * is closed inside run. Callbacks are required. */
static void test_line_removed(void **state)
{
    (void)state;
    struct host h;
    start(&h, NO_APIC, 0, 0);
    struct x86vcpu_intr_line bad = { pic_pending, 0, &pic };
    assert_int_equal(x86vcpu_set_intr_line(h.v, &bad), X86VCPU_EINVAL);
    bad = (struct x86vcpu_intr_line){ 0, pic_ack, &pic };
    assert_int_equal(x86vcpu_set_intr_line(h.v, &bad), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu_set_intr_line(0, &line), X86VCPU_EINVAL);
    mock_set_vmcs(F(GUEST_RFLAGS), 0x2);
    pic.requests = 1;
    IRUN(&h, UD_EXIT);
    assert_true(window_armed());
    assert_int_equal(x86vcpu_set_intr_line(h.v, NULL), X86VCPU_OK);
    unsigned asked = pic.pendings;
    unsigned n = IRUN(&h, WINDOW_EXIT(0x202, 0), UD_EXIT);
    assert_int_equal(n, 2);
    assert_int_equal(pic.pendings, asked);
    assert_int_equal(pic.acks, 0);
    assert_int_equal(mock.injections, 0);
    assert_false(window_armed());
    host_stop(&h);
}

/* A guest halted by x86vcpu_halt (HLT activity state) wakes with the
 * ExtINT injected: the entry leaves the HLT state (SDM 26.6.2). */
static void test_hlt_wakes(void **state)
{
    (void)state;
    struct host h;
    start(&h, NO_APIC, 0, 0);
    const struct istep hlt[] = { { X86VCPU_EXIT_REASON_HLT, 0, 0, 0, 0, 0 } };
    struct isteps st = { hlt, 1 };
    mock.entries = 0;
    assert_int_equal(host_run(&h, iscript, &st), X86VCPU_OK);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_HLT);
    assert_int_equal(x86vcpu_halt(h.v), X86VCPU_OK);
    /* Nothing pending: the entry stays in the HLT state. */
    IRUN(&h, UD_EXIT);
    assert_int_equal(activity_at[0], ACTIVITY_HLT);
    /* INTR: the injecting entry is an active one. */
    pic.requests = 1;
    IRUN(&h, UD_EXIT);
    assert_int_equal(seen[0], EXTINT(0x30));
    assert_int_equal(activity_at[0], ACTIVITY_ACTIVE);
    host_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_if1_injected),
        cmocka_unit_test(test_if0_window),
        cmocka_unit_test(test_sti_blocking),
        cmocka_unit_test(test_others_first),
        cmocka_unit_test(test_apic_gate),
        cmocka_unit_test(test_virtual_wire),
        cmocka_unit_test(test_ack_gone),
        cmocka_unit_test(test_line_removed),
        cmocka_unit_test(test_hlt_wakes),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}

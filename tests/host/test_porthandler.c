/* Host harness: the embedder's port handler inside run()
 * (x86vcpu_set_port_handler; io.c x86vcpu__port_call, run.c fast_io).
 * Checked: an IN/OUT it serves completes as the instruction would (the
 * IN's value merged into RAX by size, RIP advanced, STI blocking ended,
 * TF's single-step trap) without run() returning, on the fast path and in
 * the run loop; the counters (6 VMREADs, 1 VMWRITE per served exit, as the
 * slow path's); a declined exit reaches the embedder once, the handler
 * asked once; SERVED_RETURN returns it served with nothing to complete;
 * INS/OUTS never reach the handler; an event the handler queues is
 * delivered at the next entry; the calls that must not run inside it
 * return ESTATE; a CR2 the handler clobbers is the guest's again. STI
 * blocking and TF on the fast path: test_fastpath.c. */
#include "host.h"

struct plog {
    unsigned calls;
    uint16_t port[8];
    uint32_t size[8], in[8], value[8];
    uint32_t answer;        /* what an IN gets */
    int ret;                /* X86VCPU_PORT_* */
    void (*also)(struct plog *l);
    struct x86vcpu_vcpu *v;
};
static struct plog plog;

static int handler(void *ctx, uint16_t port, uint32_t size, int in, uint32_t *value)
{
    struct plog *l = ctx;
    unsigned i = l->calls++ & 7;
    l->port[i] = port;
    l->size[i] = size;
    l->in[i] = (uint32_t)in;
    l->value[i] = *value;
    if (in)
        *value = l->answer;
    if (l->also)
        l->also(l);
    return l->ret;
}

static int setup(void **state)
{
    (void)state;
    mock_reset();
    memset(&plog, 0, sizeof plog);
    return 0;
}

static void start(struct host *h, enum x86vcpu_mode mode)
{
    host_start_at_1000(h, mode);
    plog.v = h->v;
    assert_int_equal(x86vcpu_set_port_handler(h->v, handler, &plog), X86VCPU_OK);
}

static void rax_out(struct x86vcpu_regs *regs, unsigned n)
{
    regs->gpr[X86VCPU_RAX] = 0xffffffff00000041ull + ((uint64_t)n << 8);
}

/* Three OUTs served on the fast path, then a HLT: run returns the HLT. */
static void test_out_served_fast(void **st)
{
    (void)st;
    struct host h;
    start(&h, X86VCPU_MODE_LONG64);
    struct x86vcpu_stats before = *x86vcpu_vcpu_stats(h.v);
    int err = RUN_STEPS(&h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION, QUAL_IO(0x3f8, 1, 0, 0, 0), 1, rax_out },
                        { X86VCPU_EXIT_REASON_IO_INSTRUCTION, QUAL_IO(0x402, 2, 0, 0, 0), 2, rax_out },
                        { X86VCPU_EXIT_REASON_IO_INSTRUCTION, QUAL_IO(0xcfc, 4, 0, 0, 0), 3, rax_out },
                        { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 });
    assert_int_equal(err, X86VCPU_OK);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_HLT);
    assert_int_equal(mock.fast_exits, 3);
    assert_int_equal(plog.calls, 3);
    assert_int_equal(plog.port[0], 0x3f8);
    assert_int_equal(plog.size[0], 1);
    assert_int_equal(plog.in[0], 0);
    assert_int_equal(plog.value[0], 0x41);          /* AL only */
    assert_int_equal(plog.port[1], 0x402);
    assert_int_equal(plog.value[1], 0x141);         /* AX */
    assert_int_equal(plog.port[2], 0xcfc);
    assert_int_equal(plog.value[2], 0x00000241);    /* EAX */
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1006);
    const struct x86vcpu_stats *s = x86vcpu_vcpu_stats(h.v);
    assert_int_equal(s->port_served - before.port_served, 3);
    assert_int_equal(s->exits[X86VCPU_EXIT_REASON_IO_INSTRUCTION] -
                         before.exits[X86VCPU_EXIT_REASON_IO_INSTRUCTION], 3);
    assert_int_equal(s->entries - before.entries, 4);
    /* 6 reads and 1 write per served OUT; the HLT: reason, RIP, length. */
    assert_int_equal(s->vmreads - before.vmreads, 3 * 6 + 3);
    assert_int_equal(s->vmwrites - before.vmwrites, 3);
    host_stop(&h);
}

/* IN of each size: the value goes to AL/AX (the rest of RAX kept) or EAX
 * (zero-extended into RAX), as the instruction writes it. */
static void rax_pattern(struct x86vcpu_regs *regs, unsigned n)
{
    (void)n;
    regs->gpr[X86VCPU_RAX] = 0x1122334455667788ull;
}

static void in_size(uint32_t size, uint64_t want)
{
    struct host h;
    mock_reset();
    memset(&plog, 0, sizeof plog);
    start(&h, X86VCPU_MODE_LONG64);
    plog.answer = 0xaabbccdd;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION, QUAL_IO(0x60, size, 1, 0, 0), 2, rax_pattern },
              { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 });
    assert_int_equal(h.e.kind, X86VCPU_EXIT_HLT);
    assert_int_equal(plog.calls, 1);
    assert_int_equal(plog.in[0], 1);
    assert_int_equal(plog.size[0], size);
    assert_int_equal(h.v->regs.gpr[X86VCPU_RAX], want);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1002);
    host_stop(&h);
}

static void test_in_served_sizes(void **st)
{
    (void)st;
    in_size(1, 0x11223344556677ddull);
    in_size(2, 0x112233445566ccddull);
    in_size(4, 0x00000000aabbccddull);
}

/* Declined: run returns the OUT as without a handler, the handler asked
 * once (not again by the run loop), and the next run completes it. */
static void test_declined(void **st)
{
    (void)st;
    struct host h;
    start(&h, X86VCPU_MODE_LONG64);
    plog.ret = X86VCPU_PORT_DECLINED;
    int err = RUN_STEPS(&h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION, QUAL_IO(0x80, 1, 0, 0, 0), 2, rax_out });
    assert_int_equal(err, X86VCPU_OK);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_IO);
    assert_int_equal(h.e.u.io.port, 0x80);
    assert_int_equal(h.e.u.io.value, 0x41);
    assert_int_equal(h.e.u.io.served, 0);
    assert_int_equal(plog.calls, 1);
    assert_int_equal(mock.fast_exits, 0);
    assert_int_equal(x86vcpu_vcpu_stats(h.v)->port_served, 0);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 });
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1002);
    assert_int_equal(plog.calls, 1);
    host_stop(&h);
}

/* A declined IN is the embedder's to complete, as before. */
static void test_declined_in(void **st)
{
    (void)st;
    struct host h;
    start(&h, X86VCPU_MODE_LONG64);
    plog.ret = 7; /* any value but SERVED and SERVED_RETURN declines */
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION, QUAL_IO(0x71, 1, 1, 0, 0), 2, rax_pattern });
    assert_int_equal(h.e.kind, X86VCPU_EXIT_IO);
    assert_int_equal(h.e.u.io.in, 1);
    assert_int_equal(plog.calls, 1);
    assert_int_equal(h.v->regs.gpr[X86VCPU_RAX], 0x1122334455667788ull);
    assert_int_equal(x86vcpu_complete_io_in(h.v, 0x5a), X86VCPU_OK);
    assert_int_equal(h.v->regs.gpr[X86VCPU_RAX], 0x112233445566775aull);
    host_stop(&h);
}

/* SERVED_RETURN: run returns the IN served (its value in the record and in
 * RAX), nothing to complete; the next run advances RIP, handler not asked
 * again. */
static void test_served_return(void **st)
{
    (void)st;
    struct host h;
    start(&h, X86VCPU_MODE_LONG64);
    plog.ret = X86VCPU_PORT_SERVED_RETURN;
    plog.answer = 0xbeef;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION, QUAL_IO(0xb004, 2, 1, 0, 0), 2, rax_pattern });
    assert_int_equal(h.e.kind, X86VCPU_EXIT_IO);
    assert_int_equal(h.e.u.io.served, 1);
    assert_int_equal(h.e.u.io.in, 1);
    assert_int_equal(h.e.u.io.value, 0xbeef);
    assert_int_equal(h.v->regs.gpr[X86VCPU_RAX], 0x112233445566beefull);
    assert_int_equal(x86vcpu_complete_io_in(h.v, 1), X86VCPU_ESTATE);
    assert_int_equal(x86vcpu_vcpu_stats(h.v)->port_served, 1);
    plog.ret = X86VCPU_PORT_SERVED;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 });
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1002);
    assert_int_equal(plog.calls, 1);
    host_stop(&h);
}

/* INS/OUTS (and REP) stay the embedder's exit: the handler is not asked. */
static void test_string_not_handled(void **st)
{
    (void)st;
    struct host h;
    start(&h, X86VCPU_MODE_LONG64);
    mock_set_vmcs(F(EXIT_INSTR_INFO), 0);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION, QUAL_IO(0x3f8, 1, 0, 1, 0), 1, 0 });
    assert_int_equal(h.e.kind, X86VCPU_EXIT_IO);
    assert_int_equal(h.e.u.io.string, 1);
    assert_int_equal(plog.calls, 0);
    host_stop(&h);
}

/* With the INTR line (no fast path) the run loop asks the handler: served
 * there, run goes on to the HLT. */
static void test_served_in_loop(void **st)
{
    (void)st;
    struct host h;
    start(&h, X86VCPU_MODE_LONG64);
    const struct x86vcpu_intr_line line = { host_line_pending, host_line_ack, 0 };
    assert_int_equal(x86vcpu_set_intr_line(h.v, &line), X86VCPU_OK);
    plog.answer = 0x12;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION, QUAL_IO(0x21, 1, 1, 0, 0), 2, rax_pattern },
              { X86VCPU_EXIT_REASON_IO_INSTRUCTION, QUAL_IO(0x20, 1, 0, 0, 0), 1, 0 },
              { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 });
    assert_int_equal(h.e.kind, X86VCPU_EXIT_HLT);
    assert_int_equal(mock.fast_exits, 0);
    assert_int_equal(plog.calls, 2);
    assert_int_equal(plog.value[1], 0x12); /* the OUT wrote what the IN read */
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1003);
    assert_int_equal(x86vcpu_vcpu_stats(h.v)->port_served, 2);
    host_stop(&h);
}

/* The handler queues an interrupt (a device raising its line): the entry
 * right after the OUT injects it, although the OUT was on the fast path. */
static void queue_irq(struct plog *l)
{
    assert_int_equal(x86vcpu_queue_interrupt(l->v, 0x30), X86VCPU_OK);
}

static uint32_t injected_at_2;
static void see_injection(struct x86vcpu_regs *regs, unsigned n)
{
    (void)regs;
    (void)n;
    injected_at_2 = mock.entry_intr_info;
}

static void if_on(struct x86vcpu_regs *regs, unsigned n)
{
    rax_out(regs, n);
    mock_set_vmcs(F(GUEST_RFLAGS), 0x202);
}

static void test_handler_queues_interrupt(void **st)
{
    (void)st;
    struct host h;
    start(&h, X86VCPU_MODE_LONG64);
    plog.also = queue_irq;
    injected_at_2 = 0;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION, QUAL_IO(0x3f8, 1, 0, 0, 0), 1, if_on },
              { X86VCPU_EXIT_REASON_HLT, 0, 1, see_injection });
    assert_int_equal(h.e.kind, X86VCPU_EXIT_HLT);
    assert_int_equal(plog.calls, 1);
    assert_int_equal(injected_at_2, 0x80000030u);
    assert_int_equal(x86vcpu_pending_events(h.v), 0);
    const struct x86vcpu_stats *s = x86vcpu_vcpu_stats(h.v);
    assert_int_equal(s->exits[X86VCPU_EXIT_REASON_IO_INSTRUCTION], 1);
    host_stop(&h);
}

/* Inside the handler: the calls that would pull run()'s ground away
 * refuse (ESTATE); a page fault's CR2 is put back for the guest. */
static int inner[8];
static void reenter(struct plog *l)
{
    struct x86vcpu_exit e;
    struct x86vcpu_setup s = { 0 };
    s.ept_root = 0x1000;
    inner[0] = x86vcpu_vcpu_run(l->v, &e);
    inner[1] = x86vcpu_vcpu_unbind(l->v);
    inner[2] = x86vcpu_vcpu_destroy(l->v);
    inner[3] = x86vcpu_vcpu_setup(l->v, &s);
    inner[4] = x86vcpu_vcpu_put(l->v);
    inner[5] = x86vcpu_vcpu_keep_xstate(l->v, 1);
    inner[6] = x86vcpu_set_port_handler(l->v, 0, 0);
    hw_write_cr2(0xdead0000); /* the host's page fault */
}

static void guest_cr2(struct x86vcpu_regs *regs, unsigned n)
{
    rax_out(regs, n);
    mock.cr[2] = 0x7000; /* the guest's last #PF address */
}

static void test_inside_refused(void **st)
{
    (void)st;
    struct host h;
    start(&h, X86VCPU_MODE_LONG64);
    plog.also = reenter;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION, QUAL_IO(0x3f8, 1, 0, 0, 0), 1, guest_cr2 },
              { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 });
    assert_int_equal(h.e.kind, X86VCPU_EXIT_HLT);
    for (int i = 0; i < 7; i++)
        assert_int_equal(inner[i], X86VCPU_ESTATE);
    assert_int_equal(h.v->guest_cr2, 0x7000);
    assert_ptr_equal(h.v->port_fn, handler); /* not removed from inside */
    assert_int_equal(h.v->pending, PENDING_NONE);
    host_stop(&h);
}

/* Removed (fn NULL): exits go to the embedder again. */
static void test_removed(void **st)
{
    (void)st;
    struct host h;
    start(&h, X86VCPU_MODE_LONG64);
    assert_int_equal(x86vcpu_set_port_handler(0, handler, 0), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu_set_port_handler(h.v, 0, &plog), X86VCPU_OK);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION, QUAL_IO(0x3f8, 1, 0, 0, 0), 1, rax_out });
    assert_int_equal(h.e.kind, X86VCPU_EXIT_IO);
    assert_int_equal(plog.calls, 0);
    host_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_out_served_fast, setup),
        cmocka_unit_test_setup(test_in_served_sizes, setup),
        cmocka_unit_test_setup(test_declined, setup),
        cmocka_unit_test_setup(test_declined_in, setup),
        cmocka_unit_test_setup(test_served_return, setup),
        cmocka_unit_test_setup(test_string_not_handled, setup),
        cmocka_unit_test_setup(test_served_in_loop, setup),
        cmocka_unit_test_setup(test_handler_queues_interrupt, setup),
        cmocka_unit_test_setup(test_inside_refused, setup),
        cmocka_unit_test_setup(test_removed, setup),
    };
    return cmocka_run_group_tests_name("porthandler", tests, NULL, NULL);
}

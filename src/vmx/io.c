/* Port I/O exits: IN/OUT and INS/OUTS (SDM 26.1.3, exit qualification
 * Table 28-5, instruction information 28.2.5) become X86VCPU_EXIT_IO for the
 * embedder, who completes them (an IN's value, the elements a string
 * instruction moved); the I/O bitmaps decide which ports exit. */
#include "vmx/vcpu.h"
#include "lib/bitmap.h"

/* INS/OUTS (SDM 28.2.5 instruction information, Table 28-8; the guest-linear
 * address field holds the first element's address). */
static int string_io(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    struct x86vcpu_strio_info si =
        x86vcpu__decode_strio_info((uint32_t)VMRD(v, W32, EXIT_INSTR_INFO));
    uint64_t rflags = VMRD(v, WNAT, GUEST_RFLAGS);
    e->u.io.addr_size = si.addr_size_bytes ? si.addr_size_bytes : 2;
    e->u.io.seg = e->u.io.in ? 0 /* ES */ : si.seg;
    e->u.io.df = (rflags & RFLAGS_DF) != 0;
    e->u.io.gla = VMRD(v, WNAT, GUEST_LINEAR_ADDRESS);
    /* REP: RCX under the address size, 64 bits in 64-bit mode. The
     * embedder is offered at most 2^32 - 1 elements an exit; the instruction
     * is done only when all of RCX is (SDM Vol. 2 REP). */
    uint64_t total = e->u.io.rep ? v->regs.gpr[X86VCPU_RCX] & x86vcpu__size_mask(e->u.io.addr_size) : 1;
    e->u.io.count = total > 0xffffffffu ? 0xffffffffu : (uint32_t)total;
    if (total == 0) {
        /* REP with RCX = 0 moves nothing: the instruction is done. */
        x86vcpu__skip_insn(v, e->rip, e->instr_len);
        return 1;
    }
    v->strio.in = e->u.io.in;
    v->strio.rep = e->u.io.rep;
    v->strio.df = e->u.io.df;
    v->strio.addr_size = e->u.io.addr_size;
    v->strio.size = e->u.io.size;
    v->strio.count = e->u.io.count;
    v->strio.total = total;
    /* Completed (or not: elements left) by x86vcpu_complete_string_io. */
    v->strio.rip = e->rip;
    v->strio.len = e->instr_len;
    v->pending = PENDING_STRING_IO;
    return 0;
}

/* The embedder's port handler (x86vcpu_set_port_handler) for one IN/OUT,
 * inside run(): its answer (X86VCPU_PORT_*). Served, an IN's value is in
 * RAX as the instruction puts it; the caller completes the instruction.
 * CR2 is the guest's while run() goes on (xstate.c): a page fault taken by
 * the handler would leave the host's there, so it is put back (KVM saves
 * the guest's CR2 at the exit for the same reason). */
static inline __attribute__((always_inline)) int port_call(struct x86vcpu_vcpu *v, uint16_t port,
                                                           uint32_t size, uint32_t in)
{
    /* x86vcpu__size_mask by a table: 2 instructions on the fast path, the
     * sizes 1, 2 and 4 alone (SDM Table 28-5). */
    static const uint32_t mask[5] = { 0, 0xff, 0xffff, 0, 0xffffffffu };
    uint32_t value = in ? 0 : (uint32_t)v->regs.gpr[X86VCPU_RAX] & mask[size];
    uint64_t cr2 = hw_read_cr2();
    v->pending = PENDING_IN_HANDLER;
    int r = v->port_fn(v->port_ctx, port, size, (int)in, &value);
    v->pending = PENDING_NONE;
    if (__builtin_expect(hw_read_cr2() != cr2, 0))
        hw_write_cr2(cr2);
    if (r != X86VCPU_PORT_SERVED && r != X86VCPU_PORT_SERVED_RETURN)
        return X86VCPU_PORT_DECLINED;
    if (in)
        v->regs.gpr[X86VCPU_RAX] = x86vcpu__io_in_merge(v->regs.gpr[X86VCPU_RAX], value, size);
    v->stats.port_served++;
    return r;
}

/* Called by entry.S for an IN/OUT exit while the run loop allows it
 * (regs->fast_ok has ENTRY_FAST_IO: a port handler, and nothing for the
 * loop's top to do; run.c run_loop), before the return to the run loop.
 * Served by the handler, the guest is entered again at once, as for
 * CPUID (run.c x86vcpu__vmx_fast_exit, whose list of what the loop does
 * and a fast path skips holds here too; an I/O instruction's exit is not
 * one during event delivery, so no IDT-vectoring check). NULL: the run
 * loop takes the exit: INS/OUTS; or the handler's answer, kept in
 * port_answer for exit_io, is to return it; or it queued an event or
 * raised the INTR line, and the loop's top must run before the next
 * entry (exit_io then completes the instruction). 6 VMREADs (reason,
 * qualification, the 4 of the advance) and 1 VMWRITE, as the slow path's
 * exit to the embedder. */
struct x86vcpu_regs *x86vcpu__vmx_fast_io(struct x86vcpu_regs *regs)
{
    struct x86vcpu_vcpu *v = (struct x86vcpu_vcpu *)(void *)regs; /* regs first (run.c) */
    uint64_t q = hw_vmread(X86VCPU_VMCS_CHECK(X86VCPU_VMCS_EXIT_QUALIFICATION, X86VCPU_VMCS_WNAT));
    /* String or REP (SDM Table 28-5 bits 4, 5): the loop's (string_io). */
    if (q & 0x30) {
        v->stats.vmreads++;
        return NULL;
    }
    /* Bits 2:0 size - 1 (0, 1, 3), bit 3 IN, bits 31:16 the port. */
    int r = port_call(v, (uint16_t)(q >> 16), (uint32_t)(q & 7) + 1, (uint32_t)(q >> 3) & 1);
    if (__builtin_expect(r != X86VCPU_PORT_SERVED ||
                             (v->evq_count | v->excq_count | v->nmi_pending) ||
                             v->intr_line.pending, 0)) {
        v->stats.vmreads++;
        v->port_answer = (uint8_t)(r + 1);
        return NULL;
    }
    v->launched = 1;
    v->stats.exits[X86VCPU_EXIT_REASON_IO_INSTRUCTION]++;
    v->stats.entries++;  /* the entry that ended here; the loop counts the last */
    v->stats.vmreads += 2; /* the qualification and entry.S's exit-reason read */
    return x86vcpu__fast_complete(v);
}

/* An IN/OUT for the embedder: an IN's value comes with
 * x86vcpu_complete_io_in; the instruction completes on the next run. */
static inline int io_to_embedder(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    if (e->u.io.in) {
        v->pending = PENDING_IO_IN;
        v->pending_io_size = e->u.io.size;
    }
    x86vcpu__skip_on_next_run(v, e->rip, e->instr_len);
    return 0;
}

/* exit_io with a port handler: asked on the fast path already (its answer
 * in port_answer), or now. Served, the guest goes on (1); to return
 * (SERVED_RETURN) or declined, *e is for the embedder (0). Tail-called:
 * the exit without a handler stays as short as it was. */
static __attribute__((noinline)) int exit_io_handler(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    int r = v->port_answer ? v->port_answer - 1 : port_call(v, e->u.io.port, e->u.io.size, e->u.io.in);
    v->port_answer = 0;
    if (r == X86VCPU_PORT_SERVED) {
        x86vcpu__skip_insn(v, e->rip, e->instr_len);
        return 1;
    }
    if (r != X86VCPU_PORT_SERVED_RETURN)
        return io_to_embedder(v, e);
    e->u.io.served = 1;
    if (e->u.io.in) /* what the IN gave: RAX holds it now */
        e->u.io.value = (uint32_t)(v->regs.gpr[X86VCPU_RAX] & x86vcpu__size_mask(e->u.io.size));
    x86vcpu__skip_on_next_run(v, e->rip, e->instr_len);
    return 0;
}

int x86vcpu_set_port_handler(struct x86vcpu_vcpu *v, x86vcpu_port_fn fn, void *ctx)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (v->pending == PENDING_IN_HANDLER)
        return X86VCPU_ESTATE;
    v->port_fn = fn;
    v->port_ctx = fn ? ctx : 0;
    v->port_fast = fn ? ENTRY_FAST_IO : 0;
    return X86VCPU_OK;
}

int x86vcpu__exit_io(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    e->reason = X86VCPU_EXIT_REASON_IO_INSTRUCTION;
    e->rip = VMRD(v, WNAT, GUEST_RIP);
    e->instr_len = (uint32_t)VMRD(v, W32, EXIT_INSTR_LEN);
    e->qualification = VMRD(v, WNAT, EXIT_QUALIFICATION);
    struct x86vcpu_io_qual q = x86vcpu__decode_io_qual(e->qualification);
    e->kind = X86VCPU_EXIT_IO;
    e->u.io.port = q.port;
    e->u.io.size = q.size;
    e->u.io.in = q.in;
    e->u.io.string = q.string;
    e->u.io.rep = q.rep;
    e->u.io.served = 0;
    if (q.string)
        return string_io(v, e);
    e->u.io.value = q.in ? 0 : (uint32_t)v->regs.gpr[X86VCPU_RAX] &
                                    (uint32_t)(0xffffffffull >> (32 - 8 * q.size));
    if (v->port_fn)
        return exit_io_handler(v, e);
    return io_to_embedder(v, e);
}

int x86vcpu_complete_io_in(struct x86vcpu_vcpu *v, uint32_t value)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (v->pending != PENDING_IO_IN)
        return X86VCPU_ESTATE;
    if (v->mmio.ins) {
        /* INS into MMIO (mmio.c): the port's value goes to the device as
         * the next run's MMIO write exit. */
        v->mmio.ins = 0;
        v->mmio.write_value = value & (0xffffffffu >> (32 - 8 * v->pending_io_size));
        v->pending = PENDING_MMIO_WRITE;
        return X86VCPU_OK;
    }
    v->regs.gpr[X86VCPU_RAX] = x86vcpu__io_in_merge(v->regs.gpr[X86VCPU_RAX], value,
                                                    v->pending_io_size);
    v->pending = PENDING_NONE;
    return X86VCPU_OK;
}

int x86vcpu_complete_string_io(struct x86vcpu_vcpu *v, uint32_t done)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (v->pending != PENDING_STRING_IO)
        return X86VCPU_ESTATE;
    if (done > v->strio.count)
        return X86VCPU_EINVAL;
    x86vcpu__string_advance(v, v->strio.addr_size, v->strio.df, v->strio.size, done,
                            !v->strio.in, v->strio.in, v->strio.rep);
    uint64_t left = v->strio.total - done;
    /* Done: complete the instruction on the next run. Otherwise leave RIP
     * on it: it runs again (and exits again) for the remaining elements. */
    if (left == 0)
        x86vcpu__skip_on_next_run(v, v->strio.rip, v->strio.len);
    v->pending = PENDING_NONE;
    return X86VCPU_OK;
}

int x86vcpu_io_intercept(struct x86vcpu_vcpu *v, uint16_t port, uint32_t count, int intercept)
{
    if (!v)
        return X86VCPU_EINVAL;
    x86vcpu__io_bitmap_set(v->hal->phys_to_virt(v->hal->ctx, v->io_bitmap_a_pa),
                           v->hal->phys_to_virt(v->hal->ctx, v->io_bitmap_b_pa), port, count,
                           intercept);
    return X86VCPU_OK;
}

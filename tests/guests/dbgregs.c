/* Debug registers and CR2 are the guest's own (issue 11, defect 4; SDM
 * Vol. 3 ch. 18 and 4.7): 64-bit guest. While it runs, the demo puts its
 * own values in DR0-3, DR6, DR7 and CR2 around every run (HC_HOST_FPU) and
 * checks them after each: neither side may see or change the other's. */
#include "hv.h"

#define RD_DR(n)                                                               \
    ({                                                                         \
        u64 v_;                                                                \
        __asm__ volatile("mov %%db" #n ", %0" : "=r"(v_));                     \
        v_;                                                                    \
    })
#define WR_DR(n, x) __asm__ volatile("mov %0, %%db" #n : : "r"((u64)(x)) : "memory")
#define EXIT_REASON_DR_ACCESS 29
#define VEC_DB 1

static volatile u32 watched;

static inline void write_cr2(u64 v)
{
    __asm__ volatile("mov %0, %%cr2" : : "r"(v) : "memory");
}

/* One exit to the embedder and back: a run() boundary, around which the
 * demo loads its own debug registers and CR2. */
static inline void exit_to_host(void)
{
    outb(GUEST_PORT_NOP, 0);
}

static const u64 gdr[4] = { 0x1000, 0x7fff12345000ull, 0xffff800000400000ull, 0x40 };
#define GUEST_DR6 0xffff0ff5ull     /* B0 and B2 */
#define GUEST_CR2 0x5a5a5000ull

static unsigned guest_dbg_bad(void)
{
    return (RD_DR(0) != gdr[0]) + (RD_DR(1) != gdr[1]) + (RD_DR(2) != gdr[2]) +
           (RD_DR(3) != gdr[3]) + (RD_DR(6) != GUEST_DR6) + (RD_DR(7) != 0x400) +
           (read_cr2() != GUEST_CR2);
}

int main(void)
{
    console_write("hello from the debug-register guest (long mode)\n");
    hypercall(HC_HOST_FPU, 1, 0, 0, 0);

    /* The registers at reset (SDM Vol. 3 Table 10-1), not the host's. */
    check_eq(RD_DR(0), 0, "dr: DR0 starts at 0, not the host's");
    check_eq(RD_DR(1), 0, "dr: DR1 starts at 0");
    check_eq(RD_DR(2), 0, "dr: DR2 starts at 0");
    check_eq(RD_DR(3), 0, "dr: DR3 starts at 0");
    check_eq(RD_DR(6), 0xffff0ff0ull, "dr: DR6 starts at FFFF0FF0H, not the host's");
    check_eq(RD_DR(7), 0x400, "dr: DR7 starts at 400H, not the host's");

    /* The guest's values survive exits to the embedder, which loads its
     * own around each. */
    WR_DR(0, gdr[0]);
    WR_DR(1, gdr[1]);
    WR_DR(2, gdr[2]);
    WR_DR(3, gdr[3]);
    WR_DR(6, GUEST_DR6);
    write_cr2(GUEST_CR2);
    unsigned bad = 0;
    for (unsigned n = 0; n < 2000; n++) {
        exit_to_host();
        bad += guest_dbg_bad();
    }
    check_eq(bad, 0, "dr: guest DR0-3, DR6, DR7, CR2 intact across 2000 exits to the embedder");

    /* A #PF's CR2 survives an exit between the fault and its handler's
     * read: nothing maps 1 GiB and above (the demo's page tables). */
    u64 addr = 0x40001234ull;
    u32 val;
    int vec = read32_safe(addr, &val);
    check_fault(vec, VEC_PF, "cr2: read of an unmapped address faults");
    exit_to_host();
    check_eq(read_cr2(), addr, "cr2: the #PF's address survives an exit to the embedder");

    /* A data breakpoint the guest sets fires in the guest, after an exit
     * between arming and the access: DR0 = &watched, DR7 L0, R/W0 = 01
     * (writes), LEN0 = 11 (4 bytes) (SDM 18.2.4). */
    WR_DR(6, 0xffff0ff0ull);
    WR_DR(0, (uptr)&watched);
    WR_DR(7, 0x400 | 1 | (1u << 16) | (3u << 18));
    exit_to_host();
    fault_arm();
    __asm__ volatile(TRY_BEGIN "movl $1, (%0)" TRY_END : : "r"(&watched) : "memory");
    check_fault(fault_vec, VEC_DB, "dr: a write breakpoint in DR0/DR7 raises #DB in the guest");
    exit_to_host();
    check_eq(RD_DR(6) & 0xf, 1, "dr: DR6.B0 reports it, across an exit");
    fault_arm();
    __asm__ volatile(TRY_BEGIN "movl (%0), %%eax" TRY_END : : "r"(&watched) : "eax", "memory");
    check_fault(fault_vec, NOFAULT, "dr: a read does not match a write breakpoint");
    WR_DR(7, 0x400);
    fault_arm();
    __asm__ volatile(TRY_BEGIN "movl $2, (%0)" TRY_END : : "r"(&watched) : "memory");
    check_fault(fault_vec, NOFAULT, "dr: with DR7 cleared the write goes through");
    check_eq(watched, 2, "dr: the guarded writes happened");

    /* Lazy switching: only the first MOV DR exited; then they ran in the
     * guest. */
    check_eq(hypercall(HC_EXIT_COUNT, EXIT_REASON_DR_ACCESS, 0, 0, 0), 1,
             "dr: one MOV-DR exit, then the registers are the guest's");
    hypercall(HC_HOST_FPU, 0, 0, 0, 0);
    return 0;
}

/* tests/fuzzguest/fuzz.c — the guest fuzzer: a multiboot kernel that
 * generates random ring-0 instruction streams from a seed and runs each
 * under its own fault handler, then prints a hash of each program's
 * architectural outcome. It boots the same on bare Bochs and as a guest of
 * the demo hypervisor; tools/fuzz-guest.sh compares the two outputs.
 *
 * Command line: seed=N start=N count=N [verbose=1] [dump=1] [batch=N] [mmio=1]
 *   [noinvd=1] (WBINVD instead of INVD: quarantine while the demo ends a
 *   guest at INVD), [nostrio=1] (IN/OUT instead of INS/OUTS: quarantine
 *   while the demo's string I/O is wrong, issue 11 item 8), [nopgoff=1]
 *   (CR0 writes keep PG: without paging the window addresses are unbacked
 *   physical memory, which the demo serves as MMIO through its decoder),
 *   [norf=1] (EFLAGS.RF cleared in exception frames before they are
 *   recorded: the library does not set RF when it injects a fault),
 *   [nocd=1] (CR0 writes never set CD: the library cannot clear it again),
 *   [nofmaskhi=1] (IA32_FMASK written with bits 63:32 clear: bare Bochs
 *   takes them, the library answers #GP)
 *   (mmio=1: window pages may also map unbacked physical memory, which
 *   bare Bochs reads as all-ones but the demo's PC does not serve)
 *   Program i (start <= i < start+count) depends only on (seed, i): it can
 *   be rerun alone with start=i count=1 verbose=1 dump=1.
 * Output (COM1): "B <first> <hash>" per batch of programs (default 64),
 *   with verbose=1 also "P <i> ..." per program (registers, flags, control
 *   registers, faults, memory checksum), with dump=1 "C <i> <hex bytes>"
 *   (the program's code, at address "at"), and last
 *   "fuzzguest: done seed=S start=N count=N hash=H".
 *
 * The sandbox (why nothing outside it can be written): programs use the
 * general registers but ESP; memory operands are absolute addresses in
 * the scratch pages 1..7 (identity mapped) or in the window (16 pages at
 * WINDOW_VA whose PTEs are random per program: scratch pages with random
 * R/W/U/PWT/PCD/A/D/G bits, the window's own page table read-only, an
 * unbacked physical range (MMIO that nobody claims: reads all-ones on bare
 * Bochs and through the demo), or not present). CR0.WP stays set, so
 * read-only PTEs hold at CPL0. String instructions get their ESI/EDI/ECX
 * set right before them, with a margin larger than the longest run.
 * Control values keep the kernel alive: CR0.PE and WP stay set, CR4.PAE and
 * CR3's table never change, EFLAGS.IF/TF/NT stay clear. Every program
 * ends with a forward jump to fuzz_exit (no backward jumps), a fault
 * resumes at the next instruction, and after MAX_FAULTS faults the program
 * is ended: every program terminates.
 * After each program the kernel restores CR0, CR2, CR3, CR4, XCR0, DR0-7,
 * the MSRs programs may write and FS/GS, so a program's outcome depends on
 * nothing run before it. */
#include "libtest.h"

#define SCRATCH_PAGES 8
#define WINDOW_VA     0x40000000u
#define WINDOW_PAGES  16
#define MMIO_PA       0xd0000000u   /* nothing there on bare Bochs nor in the demo's PC */
#define STACK_TOP_OFF 0x800         /* ESP at start: middle of scratch page 0 */
#define MAX_FAULTS    16
#define MAX_INSNS     160
#define CODE_SIZE     4096

/* Page-aligned areas carved from one pool at start (multiboot.ld wants
 * no alignment gap before the BSS). */
#define POOL_PAGES (SCRATCH_PAGES + 1 + 1 + 4 + 1)
static u8 pool[(POOL_PAGES + 1) * 4096];
static u8 *scratch, *code;
static u32 *pd, (*ident_pt)[1024], *window_pt;    /* ident: 0..16 MiB */

extern u32 fz_in[9], fz_out[11];
void fuzz_enter(const void *code);
extern u8 fuzz_exit[];

/* ------------------------------------------------------------------ PRNG */
static u64 rng_state;
static u64 splitmix(u64 *s)
{
    u64 z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static u32 rnd(void) { return (u32)(splitmix(&rng_state) >> 32); }
static u32 below(u32 n) { return (u32)(((u64)rnd() * n) >> 32); }
static int chance(u32 pct) { return below(100) < pct; }

/* ----------------------------------------------------------------- hash */
static u32 fnv(u32 h, u32 v)
{
    for (int i = 0; i < 4; i++) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= 16777619u;
    }
    return h;
}

/* -------------------------------------------------------------- emitter */
static u32 pc_off;                  /* next byte of code[] */
static u16 starts[MAX_INSNS + 2];   /* instruction boundaries */
static u32 ninsn;
static int pushes;                  /* net pushes so far (bounded) */

static void e8(u32 b) { if (pc_off < CODE_SIZE) code[pc_off++] = (u8)b; }
static void e16(u32 v) { e8(v); e8(v >> 8); }
static void e32(u32 v) { e16(v); e16(v >> 16); }
static int osz16;                   /* 0x66 emitted: imm32 operands are imm16 */
static void p66(void) { e8(0x66); osz16 = 1; }
static void eimm(u32 v) { if (osz16) e16(v); else e32(v); }
static void begin(void)
{
    osz16 = 0;
    if (ninsn < MAX_INSNS)
        starts[ninsn++] = (u16)pc_off;
}
static void modrm(u32 mod, u32 reg, u32 rm) { e8(mod << 6 | (reg & 7) << 3 | (rm & 7)); }

/* A general register other than ESP. */
static u32 R(void)
{
    static const u8 regs[] = { 0, 1, 2, 3, 5, 6, 7 };
    return regs[below(sizeof regs)];
}

/* An address programs may touch with up to `margin` bytes either side. */
static u32 rand_addr(u32 margin)
{
    u32 r = below(100);
    if (r < 55)
        return (u32)(uptr)scratch + 4096 + margin + below((SCRATCH_PAGES - 1) * 4096 - 2 * margin);
    if (r < 95)
        return WINDOW_VA + below(WINDOW_PAGES * 4096);
    return WINDOW_VA + WINDOW_PAGES * 4096 + below(4096);   /* not present */
}

static void mov_imm(u32 reg, u32 v) { begin(); e8(0xb8 + reg); e32(v); }
static void mem_abs(u32 reg, u32 addr) { modrm(0, reg, 5); e32(addr); }

static void maybe_prefixes(int seg_ok)
{
    if (chance(10))
        p66();
    if (seg_ok && chance(15))
        e8(below(2) ? 0x64 : 0x65);
    if (chance(3))
        e8(0xf0);                   /* LOCK: #UD where not allowed */
}

static void t_alu_rr(void)
{
    static const u8 ops[] = { 0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x11, 0x12,
                              0x13, 0x18, 0x19, 0x1a, 0x1b, 0x20, 0x21, 0x22, 0x23, 0x28, 0x29,
                              0x2a, 0x2b, 0x30, 0x31, 0x32, 0x33, 0x38, 0x39, 0x3a, 0x3b, 0x84,
                              0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b };
    u32 op = ops[below(sizeof ops)];
    begin();
    int wide = op & 1;
    if (wide && chance(15))
        e8(0x66);
    e8(op);
    modrm(3, wide ? R() : below(8), wide ? R() : below(8));
}

static void t_alu_ri(void)
{
    u32 k = below(12);
    begin();
    if (chance(10))
        p66();
    switch (k) {
    case 0: e8(0x81); modrm(3, below(8), R()); eimm(rnd()); break;
    case 1: e8(0x83); modrm(3, below(8), R()); e8(rnd()); break;
    case 2: e8(0x80); modrm(3, below(8), below(8)); e8(rnd()); break;
    case 3: e8(0xc1); modrm(3, below(8), R()); e8(below(40)); break;
    case 4: e8(0xd1 + 2 * below(2)); modrm(3, below(8), R()); break;     /* by 1 / by CL */
    case 5: e8(0xd0 + 2 * below(2)); modrm(3, below(8), below(8)); break;
    case 6: e8(0xf7); modrm(3, 2 + below(6), R()); break;   /* not neg mul imul div idiv */
    case 7: e8(0xf6); modrm(3, 2 + below(6), below(8)); break;
    case 8: e8(0xb8 + R()); eimm(chance(30) ? below(64) : rnd()); break;
    case 9: e8(0x69); modrm(3, R(), R()); eimm(rnd()); break;
    case 10: e8(0x6b); modrm(3, R(), R()); e8(rnd()); break;
    default: e8(0xc0); modrm(3, below(8), below(8)); e8(below(20)); break;
    }
}

static void t_0f(void)
{
    static const u8 rr[] = { 0xaf, 0xbc, 0xbd, 0xa3, 0xab, 0xb3, 0xbb, 0xb1, 0xc1, 0xa5, 0xad,
                             0xb7, 0xbf, 0x40, 0x42, 0x44, 0x45, 0x47, 0x48, 0x4c, 0x4f };
    u32 k = below(8);
    begin();
    switch (k) {
    case 0: case 1:
        if (chance(10))
            e8(0x66);
        e8(0x0f); e8(rr[below(sizeof rr)]); modrm(3, R(), R()); break;
    case 2: e8(0x0f); e8(0xba); modrm(3, 4 + below(4), R()); e8(rnd()); break;
    case 3: e8(0x0f); e8(0xc8 + R()); break;
    case 4: e8(0x0f); e8(0xa4 + 8 * below(2)); modrm(3, R(), R()); e8(below(40)); break;
    case 5: e8(0x0f); e8(0x90 + below(16)); modrm(3, 0, below(8)); break;
    case 6: e8(0x0f); e8(below(2) ? 0xb6 : 0xbe); modrm(3, R(), below(8)); break;
    default: {                      /* popcnt / tzcnt / lzcnt */
        static const u8 f3[] = { 0xb8, 0xbc, 0xbd };
        e8(0xf3); e8(0x0f); e8(f3[below(3)]); modrm(3, R(), R()); break;
    }
    }
}

static void t_misc(void)
{
    static const u8 one[] = { 0x98, 0x99, 0x9e, 0x9f, 0xf5, 0xf8, 0xf9, 0xfc, 0xfd, 0x27, 0x2f,
                              0x37, 0x3f, 0x90, 0xcc, 0xce, 0x9c, 0xd6 };
    u32 k = below(6);
    begin();
    switch (k) {
    case 0: case 1: {
        u8 b = one[below(sizeof one)];
        if (b == 0x9c) {
            if (pushes >= 48)
                b = 0x90;
            else
                pushes++;
        }
        e8(b);
        break;
    }
    case 2: e8(0xd4 + below(2)); e8(chance(20) ? 0 : rnd()); break;      /* aam/aad: #DE on 0 */
    case 3: e8(0x0f); e8(0x0b); break;                                   /* ud2 */
    case 4: {                                                            /* invalid opcodes */
        static const u8 bad[] = { 0x04, 0x0a, 0x0c, 0x0e, 0x24, 0x25, 0x26, 0x27, 0x36, 0x37, 0xff, 0xb9 };
        e8(0x0f); e8(bad[below(sizeof bad)]); modrm(3, 0, 0); break;
    }
    default:                                                             /* lea with SIB */
        e8(0x8d); modrm(2, R(), 4);
        e8(below(4) << 6 | (below(8) & 7) << 3 | below(8)); e32(rnd()); break;
    }
}

static void t_stack(void)
{
    u32 k = below(4);
    if (pushes >= 48)
        k = 1;
    switch (k) {
    case 0: begin(); e8(0x50 + below(8)); pushes++; break;
    case 1: begin(); e8(0x58 + R()); pushes--; break;
    case 2: begin(); e8(0x6a); e8(rnd()); pushes++; break;
    default:                    /* POPF of a random value without IF, TF, NT */
        begin(); e8(0x68); e32(rnd() & ~0x4300u); begin(); e8(0x9d); break;
    }
}

static void t_mem(void)
{
    static const u8 rm_ops[] = { 0x01, 0x03, 0x09, 0x0b, 0x11, 0x13, 0x19, 0x1b, 0x21, 0x23,
                                 0x29, 0x2b, 0x31, 0x33, 0x39, 0x3b, 0x85, 0x87, 0x89, 0x8b,
                                 0x00, 0x02, 0x20, 0x30, 0x86, 0x88, 0x8a, 0x38 };
    u32 addr = rand_addr(16);
    u32 k = below(12);
    begin();
    maybe_prefixes(1);
    switch (k) {
    case 0: case 1: case 2: {
        u8 op = rm_ops[below(sizeof rm_ops)];
        e8(op); mem_abs((op & 1) ? R() : below(8), addr); break;
    }
    case 3: e8(0xc7); mem_abs(0, addr); eimm(rnd()); break;
    case 4: e8(0xc6); mem_abs(0, addr); e8(rnd()); break;
    case 5:
        if (chance(50)) {
            e8(0x81); mem_abs(below(8), addr); eimm(rnd());
        } else {
            e8(0x83); mem_abs(below(8), addr); e8(rnd());
        }
        break;
    case 6: e8(0xf7 - below(2)); mem_abs(2 + below(6), addr); break;
    case 7: e8(0xff - below(2)); mem_abs(below(2), addr); break;
    case 8: e8(0xc1); mem_abs(below(8), addr); e8(below(40)); break;
    case 9: e8(0x0f); e8(0xba); mem_abs(4 + below(4), addr); e8(rnd()); break;
    case 10: {
        static const u8 ops0f[] = { 0xb1, 0xc1, 0xb6, 0xb7, 0xbe, 0xbf, 0xaf, 0xb0, 0xc0 };
        e8(0x0f); e8(ops0f[below(sizeof ops0f)]); mem_abs(R(), addr); break;
    }
    default: e8(0x0f); e8(0xc7); mem_abs(1, addr); break;               /* cmpxchg8b */
    }
}

static void t_string(void)
{
    static const u8 ops[] = { 0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };
    mov_imm(6, rand_addr(300));
    mov_imm(7, rand_addr(300));
    mov_imm(1, below(100) < 80 ? below(34) : below(65));
    begin();
    if (chance(20))
        e8(0x66);
    if (chance(20))
        e8(0x64 + below(2));
    if (chance(70))
        e8(0xf3 - below(2));
    e8(ops[below(sizeof ops)]);
}

/* Ports that answer the same on bare Bochs and through the demo: 0x80
 * (POST, passed through) and ports nothing claims (all-ones, writes
 * dropped on both). */
static u32 rand_port(void)
{
    static const u16 ports[] = { 0x80, 0x80, 0x190, 0x1234, 0xfe00 };
    return ports[below(sizeof ports / sizeof ports[0])];
}

static int no_strio;

static void t_io(void)
{
    u32 k = below(4);
    if (k == 0) {
        begin();
        if (chance(30))
            e8(0x66);
        e8(0xe4 + below(4));        /* in/out al|eax, imm8 */
        e8(0x80);
        return;
    }
    mov_imm(2, rand_port());
    if (k == 1) {
        begin();
        if (chance(30))
            e8(0x66);
        e8(0xec + below(4));
        return;
    }
    if (no_strio) {
        begin(); e8(0xec + below(4));
        return;
    }
    mov_imm(6, rand_addr(300));
    mov_imm(7, rand_addr(300));
    mov_imm(1, below(34));
    begin();
    if (chance(25))
        e8(0x66);
    if (chance(20))
        e8(0x64 + below(2));
    if (chance(75))
        e8(0xf3);
    e8(0x6c + below(4));
}

static int no_invd, no_pgoff, no_rf, no_cd, no_fmaskhi;

static u32 rand_cr0(void)
{
    static const u32 bits[] = { 0x2, 0x4, 0x8, 0x20, 0x40000, 0x20000000, 0x40000000, 0x80000000,
                                0x10000, 0x1000, 0x100 };
    u32 v = 0x80010033u;    /* PG WP NE ET MP PE */
    for (u32 n = below(4); n; n--)
        v ^= bits[below(sizeof bits / 4)];
    v |= 0x10000 | 1;       /* WP and PE stay: the sandbox depends on them */
    if (no_pgoff)
        v |= 0x80000000u;
    if (no_cd)
        v &= ~0x40000000u;
    return v;
}

static u32 base_cr4;
static u32 rand_cr4(void)
{
    static const u32 bits[] = { 0x1, 0x2, 0x4, 0x8, 0x10, 0x40, 0x80, 0x100, 0x200, 0x400,
                                0x800, 0x1000, 0x4000, 0x10000, 0x20000, 0x40000, 0x100000,
                                0x200000, 0x400000, 0x800000, 0x1000000, 0x80000000 };
    u32 v = base_cr4;
    for (u32 n = 1 + below(3); n; n--)
        v ^= bits[below(sizeof bits / 4)];
    return v & ~0x2020u;    /* never PAE (the tables) nor VMXE (intended difference) */
}

/* Data addresses for DR0-3: the scratch pages and the window, not page 0
 * where the handler's frames go. */
static u32 rand_dr(u32 n)
{
    if (n < 4)
        return chance(80) ? rand_addr(16) : (chance(50) ? 0x80 : rnd());
    if (n == 6)
        return rnd();
    /* DR7: some of L0-3/G0-3, R/W and LEN random, sometimes GD or junk */
    u32 v = (rnd() & 0xffff00ffu & ~0x2000u) | below(256);
    if (chance(10))
        v |= 0x2000;
    if (chance(30))
        v = 0x400 | below(256);
    return v;
}

/* MSRs with the same meaning on bare Bochs and for the demo's guests
 * (VMCS-held or plain state) and indices nobody implements. */
static const u32 msrs_rw[] = { 0x174, 0x175, 0x176, 0x277, 0xc0000080, 0xc0000081, 0xc0000082,
                               0xc0000083, 0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102 };
#define NMSR_RW (sizeof msrs_rw / sizeof msrs_rw[0])
static u64 msr_base[NMSR_RW];
static u8 msr_ok[NMSR_RW];

static u32 rand_msr(void)
{
    u32 r = below(100);
    if (r < 80)
        return msrs_rw[below(NMSR_RW)];
    if (r < 85)
        return 0xda0;               /* IA32_XSS */
    if (r < 90)
        return 0x1000 + below(0x1000);
    return 0x50000000 + rnd() % 0x60000000;
}

static void t_priv(void)
{
    u32 k = below(16);
    switch (k) {
    case 0: case 1:                 /* MOV CR0 / CR4 */
        mov_imm(0, k ? rand_cr4() : rand_cr0());
        begin(); e8(0x0f); e8(0x22); modrm(3, k ? 4 : 0, 0);
        break;
    case 2: {                       /* MOV from CRn (1,5,6,7,8: #UD) */
        static const u8 crs[] = { 0, 2, 3, 4, 0, 4, 1, 5, 8 };
        begin(); e8(0x0f); e8(0x20); modrm(3, crs[below(sizeof crs)], R());
        break;
    }
    case 3:                         /* CR3 again, with PWT/PCD/ignored bits */
        begin(); e8(0x0f); e8(0x20); modrm(3, 3, 0);
        begin(); e8(0x83); modrm(3, 1, 0); e8(below(256) & 0x18);
        begin(); e8(0x0f); e8(0x22); modrm(3, 3, 0);
        break;
    case 4: {                       /* MOV DRn, r / r, DRn */
        u32 n = below(8);
        if (chance(60)) {
            mov_imm(0, rand_dr(n));
            begin(); e8(0x0f); e8(0x23); modrm(3, n, 0);
        } else {
            begin(); e8(0x0f); e8(0x21); modrm(3, n, R());
        }
        break;
    }
    case 5: case 6:                 /* RDMSR / WRMSR */
        mov_imm(1, rand_msr());
        if (k == 6) {
            u32 msr = *(u32 *)(code + pc_off - 4);
            u32 lo = rnd(), hi = chance(60) ? 0 : rnd();
            if (chance(40))
                lo &= 0xfff;
            if (msr == 0xc0000084 && no_fmaskhi)
                hi = 0;
            if (msr == 0xc0000100 || msr == 0xc0000101) {
                /* Only 0 or a non-canonical value (#GP). Intended
                 * difference: bare Bochs keeps addressing a flat FS/GS
                 * with base 0 after WRMSR outside 64-bit mode (its
                 * flat-segment fast path is not recomputed), while a VM
                 * entry reloads the segment with the new base. */
                lo = rnd();
                hi = chance(50) ? 0 : 0x8000u << below(16);
                if (!hi)
                    lo = 0;
            }
            mov_imm(0, lo);
            mov_imm(2, hi);
        }
        begin(); e8(0x0f); e8(k == 5 ? 0x32 : 0x30);
        break;
    case 7: {                       /* XSETBV / XGETBV */
        static const u32 xcr0s[] = { 1, 3, 7, 0, 2, 5, 0xe7, 0x207, 0x107, 0x80000003u, 0x1f };
        int set = chance(70);
        u32 ecx = chance(85) ? 0 : below(3);
        if (!set && ecx == 1)
            ecx = 2;    /* XGETBV(1) is XINUSE: may differ after any XRSTOR (SDM 13.6) */
        mov_imm(1, ecx);
        mov_imm(0, xcr0s[below(sizeof xcr0s / 4)]);
        mov_imm(2, chance(90) ? 0 : 1u << below(32));
        begin(); e8(0x0f); e8(0x01); e8(set ? 0xd1 : 0xd0);
        break;
    }
    case 8: {                       /* CPUID: results masked where a guest differs */
        static const u32 leaves[] = { 0, 1, 1, 7, 0xd, 0x80000000u, 0x80000001u, 0x80000008u, 6, 0x14, 0x80000006u };
        u32 leaf = leaves[below(sizeof leaves / 4)];
        mov_imm(0, leaf);
        mov_imm(1, below(3));
        begin(); e8(0x0f); e8(0xa2);
        if (leaf == 1) {            /* MONITOR (ECX 3), VMX (ECX 5), hypervisor (ECX 31) */
            begin(); e8(0x81); modrm(3, 4, 1); e32(~((1u << 3) | (1u << 5) | (1u << 31)));
        }
        break;
    }
    case 9:                         /* INVLPG */
        begin(); e8(0x0f); e8(0x01); mem_abs(7, rand_addr(0));
        break;
    case 10:                        /* CLTS / WBINVD / INVD */
        begin(); e8(0x0f); e8(below(3) == 0 ? 0x06 : (chance(50) || no_invd ? 0x09 : 0x08));
        break;
    case 11:                        /* LMSW r / SMSW r */
        if (chance(60)) {
            mov_imm(0, rnd() & 0xffff);
            begin(); e8(0x0f); e8(0x01); modrm(3, 6, 0);
        } else {
            begin(); e8(0x0f); e8(0x01); modrm(3, 4, R());
        }
        break;
    case 12: {                      /* FS / GS loads and reads */
        static const u16 sels[] = { 0x10, 0x10, 0x20, 0x43, 0x08, 0x18, 0x28, 0x30, 0x48, 0x1000, 0, 3, 0x13, 0x23 };
        mov_imm(0, sels[below(sizeof sels / 2)]);
        begin(); e8(0x8e); modrm(3, 4 + below(2), 0);
        break;
    }
    case 13:
        begin(); e8(0x8c); modrm(3, below(6), R());
        break;
    default:
        t_io();
        break;
    }
}

/* One instruction (or a short group) of a random kind. */
static void gen_one(void)
{
    u32 r = below(100);
    if (r < 18) t_alu_rr();
    else if (r < 30) t_alu_ri();
    else if (r < 38) t_0f();
    else if (r < 45) t_misc();
    else if (r < 50) t_stack();
    else if (r < 66) t_mem();
    else if (r < 72) t_string();
    else if (r < 78) t_io();
    else t_priv();
}

static void gen_program(void)
{
    pc_off = 0;
    ninsn = 0;
    pushes = 0;
    u32 n = 4 + below(24);
    for (u32 i = 0; i < n && pc_off < CODE_SIZE - 256 && ninsn < MAX_INSNS - 16; i++) {
        if (chance(6)) {            /* Jcc over the next instruction */
            u32 at = pc_off;
            begin(); e8(0x70 + below(16)); e8(0);
            gen_one();
            code[at + 1] = (u8)(pc_off - at - 2);
        } else {
            gen_one();
        }
    }
    begin();
    starts[ninsn] = (u16)pc_off;    /* the final jump, counted as a boundary */
    e8(0xe9);
    e32((u32)(uptr)fuzz_exit - ((u32)(uptr)code + pc_off + 4));
}

/* ------------------------------------------------------------- running */
struct fault_rec { u32 vec, err, insn, extra, flags; };   /* flags: pushed EFLAGS (RF!) */
static struct fault_rec faults[MAX_FAULTS];
static volatile u32 nfaults;
static volatile int fz_active;

static u32 insn_index(u32 off)
{
    u32 i = 0;
    while (i + 1 < ninsn && starts[i + 1] <= off)
        i++;
    return i;
}

static void fuzz_trap(struct trap_frame *f)
{
    u32 ip = f->ip, base = (u32)(uptr)code;
    if (f->vec == 1 && (!fz_active || ip < base || ip > base + pc_off))
        return;     /* the kernel hit a program's breakpoint (or GD): go on */
    if (!fz_active) {
        printf("FATAL: vector %u error 0x%x at 0x%08x outside a program\n", (u32)f->vec,
               (u32)f->err, ip);
        exit(0x7e);
    }
    if (ip < base || ip > base + pc_off) {
        printf("FATAL: vector %u error 0x%x at 0x%08x outside the program\n", (u32)f->vec,
               (u32)f->err, ip);
        exit(0x7e);
    }
    u32 off = ip - base, extra = 0;
    int trap = f->vec == 3 || f->vec == 4;
    if (f->vec == 14) {
        extra = (u32)read_cr2();
    } else if (f->vec == 1) {
        uptr dr6;
        __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
        extra = (u32)dr6;
        trap = !(dr6 & 0x2000);     /* BD (general detect) is a fault */
        __asm__ volatile("mov %0, %%dr6" : : "r"((uptr)0xffff0ff0));
    }
    if (no_rf)
        f->flags &= ~0x10000u;      /* quarantine: frames compared without RF */
    if (nfaults < MAX_FAULTS)
        faults[nfaults] = (struct fault_rec){ (u32)f->vec, (u32)f->err, insn_index(off), extra,
                                              (u32)f->flags };
    if (++nfaults >= MAX_FAULTS) {
        f->ip = (uptr)fuzz_exit;
        return;
    }
    if (trap)
        return;
    u32 i = insn_index(off) + 1;
    f->ip = base + (i <= ninsn ? starts[i] : pc_off - 5);
}

static u32 base_cr0, base_cr3, base_xcr0;
static int have_xsave;

static u32 xgetbv0(void)
{
    u32 lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return lo;
}

static int use_mmio;

static void set_window(void)
{
    for (u32 i = 0; i < WINDOW_PAGES; i++) {
        u32 r = below(100), flags = rnd() & 0x17e;     /* RW US PWT PCD A D G (PAT bit 7) */
        u32 pa;
        if (r < 70)
            pa = (u32)(uptr)scratch + 4096 * (1 + below(SCRATCH_PAGES - 1));
        else if (r < 78)
            pa = (u32)(uptr)window_pt, flags &= ~2u;   /* read-only view of the PTEs */
        else if (r < 88 && use_mmio)
            pa = MMIO_PA + 4096 * below(4);
        else
            pa = rnd() & ~1u, flags = 0;               /* not present */
        window_pt[i] = flags ? (pa & ~0xfffu) | flags | 1 : pa;
    }
}

static void restore_state(void)
{
    write_cr0(base_cr0);
    __asm__ volatile("mov %0, %%cr2" : : "r"((uptr)0));     /* no #PF address carried over */
    write_cr4(base_cr4);
    write_cr3(base_cr3);
    if (have_xsave)
        __asm__ volatile("xsetbv" : : "c"(0), "a"(base_xcr0), "d"(0));
    uptr z = 0, d6 = 0xffff0ff0, d7 = 0x400;
    __asm__ volatile("mov %0, %%dr7; mov %0, %%dr0; mov %0, %%dr1; mov %0, %%dr2; mov %0, %%dr3; mov %1, %%dr6"
                     : : "r"(z), "r"(d6));
    __asm__ volatile("mov %0, %%dr7" : : "r"(d7));
    for (u32 i = 0; i < NMSR_RW; i++)
        if (msr_ok[i])
            wrmsr_safe(msrs_rw[i], msr_base[i]);
}

static int verbose, dump;

/* Runs program `idx`; returns its outcome hash. */
static u32 run_program(u32 seed, u32 idx)
{
    rng_state = ((u64)seed << 32) ^ (idx * 0x9e3779b97f4a7c15ull) ^ 0x5eed;
    splitmix(&rng_state);
    u32 *w = (u32 *)scratch;
    for (u32 i = 0; i < 1024; i++)
        w[i] = 0;
    for (u32 i = 1024; i < SCRATCH_PAGES * 1024; i++)
        w[i] = rnd();
    set_window();
    write_cr3(base_cr3);
    for (u32 i = 0; i < 8; i++)
        fz_in[i] = chance(20) ? below(64) : rnd();
    fz_in[4] = (u32)(uptr)scratch + STACK_TOP_OFF;
    fz_in[8] = (rnd() & 0x8d5u) | 2;    /* CF PF AF ZF SF DF OF */
    gen_program();
    if (dump) {     /* before it runs: a program that kills the machine is shown too */
        printf("C %u at=%08x ", idx, (u32)(uptr)code);
        for (u32 i = 0; i < pc_off; i++)
            printf("%02x", code[i]);
        printf("\n");
    }

    nfaults = 0;
    fz_active = 1;
    fuzz_enter(code);
    fz_active = 0;

    u32 cr0 = (u32)read_cr0(), cr2 = (u32)read_cr2(), cr4 = (u32)read_cr4();
    uptr dr6, dr7;
    __asm__ volatile("mov %%dr6, %0; mov %%dr7, %1" : "=r"(dr6), "=r"(dr7));
    /* the program's breakpoints off before the kernel reads the scratch */
    __asm__ volatile("mov %0, %%dr7" : : "r"((uptr)0x400));
    u64 mv[NMSR_RW];
    u32 mh = 2166136261u;
    for (u32 i = 0; i < NMSR_RW; i++) {
        mv[i] = 0;
        if (msr_ok[i])
            rdmsr_safe(msrs_rw[i], &mv[i]);
        mh = fnv(fnv(mh, (u32)mv[i]), (u32)(mv[i] >> 32));
    }
    u32 xcr0 = have_xsave && (cr4 & 0x40000) ? xgetbv0() : 0;
    restore_state();

    u32 mem = 2166136261u;
    for (u32 i = 0; i < SCRATCH_PAGES * 1024; i++)
        mem = fnv(mem, w[i]);
    u32 h = 2166136261u;
    for (u32 i = 0; i < 11; i++)
        h = fnv(h, fz_out[i]);
    h = fnv(fnv(fnv(fnv(fnv(fnv(h, cr0), cr2), cr4), (u32)dr6), (u32)dr7), xcr0);
    h = fnv(fnv(fnv(h, mh), mem), nfaults);
    for (u32 i = 0; i < nfaults && i < MAX_FAULTS; i++)
        h = fnv(fnv(fnv(fnv(fnv(h, faults[i].vec), faults[i].err), faults[i].insn), faults[i].extra),
                faults[i].flags);

    if (verbose) {
        printf("P %u h=%08x a=%08x c=%08x d=%08x b=%08x sp=%08x bp=%08x si=%08x di=%08x "
               "fl=%08x fs=%x gs=%x cr0=%08x cr2=%08x cr4=%08x dr6=%08x dr7=%08x xcr0=%x "
               "msr=%08x mem=%08x nf=%u", idx, h, fz_out[0], fz_out[1], fz_out[2], fz_out[3],
               fz_out[4], fz_out[5], fz_out[6], fz_out[7], fz_out[8], fz_out[9], fz_out[10],
               cr0, cr2, cr4, (u32)dr6, (u32)dr7, xcr0, mh, mem, nfaults);
        for (u32 i = 0; i < nfaults && i < MAX_FAULTS; i++)
            printf(" %u:%x@%u/%x/%x", faults[i].vec, faults[i].err, faults[i].insn, faults[i].extra,
                   faults[i].flags);
        printf("\n");
        printf("S %u", idx);     /* the stack around the start ESP: frames, pushes */
        for (u32 i = (STACK_TOP_OFF - 0x80) / 4; i < (STACK_TOP_OFF + 0x20) / 4; i++)
            printf(" %x", w[i]);
        printf("\n");
        printf("H %u", idx);
        for (u32 pg = 0; pg < SCRATCH_PAGES; pg++) {
            u32 ph = 2166136261u;
            for (u32 i = 0; i < 1024; i++)
                ph = fnv(ph, w[pg * 1024 + i]);
            printf(" %08x", ph);
        }
        printf("\n");
        for (u32 i = 0; i < NMSR_RW; i++)
            if (msr_ok[i])
                printf("M %u %x=%llx\n", idx, msrs_rw[i], mv[i]);
    }
    return h;
}

static void setup(void)
{
    u8 *p = (u8 *)(((uptr)pool + 4095) & ~(uptr)4095);
    scratch = p, p += SCRATCH_PAGES * 4096;
    code = p, p += 4096;
    pd = (u32 *)p, p += 4096;
    ident_pt = (u32 (*)[1024])p, p += 4 * 4096;
    window_pt = (u32 *)p;
    for (u32 t = 0; t < 4; t++)
        for (u32 i = 0; i < 1024; i++)
            ident_pt[t][i] = (t * 0x400000 + i * 0x1000) | 3;
    for (u32 t = 0; t < 4; t++)
        pd[t] = (u32)(uptr)ident_pt[t] | 3;
    pd[WINDOW_VA >> 22] = (u32)(uptr)window_pt | 7;
    u32 a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    have_xsave = (c >> 26) & 1;
    base_cr4 = 0x600 | (have_xsave ? 0x40000 : 0);      /* OSFXSR OSXMMEXCPT [OSXSAVE] */
    base_cr3 = (u32)(uptr)pd;
    base_cr0 = 0x80010033u;
    write_cr4(base_cr4);
    write_cr3(base_cr3);
    write_cr0(base_cr0);
    if (have_xsave) {
        __asm__ volatile("xsetbv" : : "c"(0), "a"(3), "d"(0));
        base_xcr0 = 3;
    }
    uptr d7 = 0x400;
    __asm__ volatile("mov %0, %%dr7" : : "r"(d7));
    /* The same start on both sides whatever the loader left: PAT at its
     * reset value, the others 0. */
    for (u32 i = 0; i < NMSR_RW; i++) {
        msr_base[i] = msrs_rw[i] == 0x277 ? 0x0007040600070406ull : 0;
        msr_ok[i] = wrmsr_safe(msrs_rw[i], msr_base[i]) == NOFAULT;
    }
    for (u32 v = 0; v < 32; v++)
        trap_set_handler(v, fuzz_trap);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    u32 seed = arg_u32("seed", 1), start = arg_u32("start", 0), count = arg_u32("count", 64);
    u32 batch = arg_u32("batch", 64);
    verbose = (int)arg_u32("verbose", 0);
    dump = (int)arg_u32("dump", 0);
    use_mmio = (int)arg_u32("mmio", 0);
    no_invd = (int)arg_u32("noinvd", 0);
    no_pgoff = (int)arg_u32("nopgoff", 0);
    no_rf = (int)arg_u32("norf", 0);
    no_cd = (int)arg_u32("nocd", 0);
    no_fmaskhi = (int)arg_u32("nofmaskhi", 0);
    no_strio = (int)arg_u32("nostrio", 0);
    if (!batch)
        batch = 64;
    setup();
    printf("fuzzguest: seed=%u start=%u count=%u\n", seed, start, count);
    u32 all = 2166136261u, bh = 2166136261u;
    for (u32 i = 0; i < count; i++) {
        u32 h = run_program(seed, start + i);
        bh = fnv(bh, h);
        all = fnv(all, h);
        if ((i + 1) % batch == 0 || i + 1 == count) {
            printf("B %u %08x\n", start + i - (i % batch), bh);
            bh = 2166136261u;
        }
    }
    printf("fuzzguest: done seed=%u start=%u count=%u hash=%08x\n", seed, start, count, all);
    return 0;
}

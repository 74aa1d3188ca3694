/* tests/fuzzguest/fuzz.c — the guest fuzzer: a multiboot kernel that
 * generates random ring-0 instruction streams from a seed, in every CPU
 * mode (real, 16-bit protected, 32-bit protected with and without paging,
 * PAE paging, 64-bit and compatibility mode), runs each under its own fault
 * handler and prints a hash of each program's architectural outcome. It
 * boots the same on bare Bochs and as a guest of the demo hypervisor;
 * tools/fuzz-guest.sh compares the two outputs. README.md says what a
 * program is, what is compared and what is left out on purpose.
 *
 * Command line: seed=N start=N count=N [verbose=1] [dump=1] [batch=N]
 *   [modes=real,pm16,pm32,pm32np,pae,long,compat] (the modes programs are
 *   drawn from; default all) [mmio=1] and the quarantine switches:
 *   [noinvd=1] (WBINVD instead of INVD: the demo ends a guest at INVD),
 *   [nostrio=1] (IN/OUT instead of INS/OUTS), [nopgoff=1] (no access to
 *   unbacked physical memory: CR0 writes keep PG, pm32np and window PTEs
 *   never reach it; the demo serves it as MMIO through its decoder),
 *   [norf=1] (EFLAGS.RF cleared in exception frames before they are
 *   recorded: the library does not set RF when it injects a fault),
 *   [nocd=1] (CR0 writes never set CD: the library cannot clear it again),
 *   [nostrmmio=1] (string instructions never reach unbacked memory: the
 *   demo ends the guest at a REPNE CMPS there, or at an INS element across
 *   two unbacked pages), [noswapgs=1] (a NOP instead of SWAPGS: the
 *   library loses the KERNEL_GS_BASE a guest's SWAPGS leaves),
 *   [noxforms=1] (no MOVBE/SSE moves: the program stream of before),
 *   [nowidesplit=1] (an SSE or CMPXCHG16B operand never runs from a window
 *   page into the next when one of the two maps unbacked memory: the
 *   library leaves such an operand to the embedder, MMIO_UNSUPPORTED)
 *   (mmio=1: 32-bit window pages may also map 0xd0000000, which bare Bochs
 *   reads as all-ones but the demo's PC does not serve)
 *   Program i (start <= i < start+count) depends only on (seed, i): it can
 *   be rerun alone with start=i count=1 verbose=1 dump=1.
 * Output (COM1): "B <first> <hash>" per batch of programs (default 64),
 *   with verbose=1 also "P <i> h=<hash> m=<mode> ..." per program
 *   (registers, flags, control registers, faults, memory checksum), with
 *   dump=1 "C <i> at=<addr> <hex bytes> <mode>", then
 *   "fuzzguest: modes real=N pm16=N ..." and last
 *   "fuzzguest: done seed=S start=N count=N hash=H".
 *
 * The sandbox (why nothing outside it can be written): everything a
 * program reaches lies below 64 KiB (fuzzguest.h). Programs use the
 * general registers but (E/R)SP; memory operands are absolute (or
 * RIP-relative) addresses in the scratch pages 1..7 or in the window (16
 * pages at WINDOW_VA whose PTEs are random per program: scratch pages with
 * random flags, paging structures and the code page read-only, reserved
 * bits, unbacked physical memory, not present). CR0.WP stays set in
 * protected mode, so read-only PTEs hold at CPL0. String instructions get
 * their (E/R)SI/(E/R)DI/(E/R)CX set right before them, with a margin larger
 * than the longest run. Segment bases programs can load are 0 or reach at
 * most scratch page 8. Control values keep the kernel alive: CR0.PE stays
 * as the mode has it, PG too where clearing it would leave IA-32e mode,
 * CR4.PAE and CR3's tables never change in a paged mode, EFLAGS.IF/TF/NT
 * stay clear. Every program ends with a forward jump to its mode's exit (no
 * backward jumps), a fault resumes at the next instruction, and after
 * MAX_FAULTS faults the program is ended: every program terminates.
 * After each program the kernel restores CR0, CR2, CR3, CR4, EFER, XCR0,
 * DR0-7, the MSRs programs may write and FS/GS, so a program's outcome
 * depends on nothing run before it. */
#include "libtest.h"
#include "fuzzguest.h"

#define WINDOW_VA     0x40000000u
#define WINDOW_PAGES  16
#define MMIO_PA       0xd0000000u   /* nothing there on bare Bochs nor in the demo's PC */
#define UNBACKED_PA   0x40000000u   /* above the RAM of both: MMIO exits in the demo */

typedef long long s64;

/* Page-aligned areas carved from one pool at start (multiboot.ld wants
 * no alignment gap before the BSS). */
#define POOL_PAGES (1 + 4 + 1 + 6)
static u8 pool[(POOL_PAGES + 1) * 4096];
static u32 *pd, (*ident_pt)[1024], *window_pt;    /* 32-bit paging; ident: 0..16 MiB */
static u64 *pae_pdpt, *l4, *l3, *pd0, *pd1, *window_pt64;   /* PAE and 4-level */
static u8 idt64[256 * 16] __attribute__((aligned(16)));

#define LCB32(off) (*(volatile u32 *)(uptr)(off))
#define LCB64(off) (*(volatile u64 *)(uptr)(off))
static u8 *const code = (u8 *)CODE_VA;
static u16 *const starts = (u16 *)LCB_STARTS;
static u8 *const idxtab = (u8 *)IDX_VA;

void fuzz_enter(u32 mode);
extern u8 fz_exit32[], fz_exit64[], fz_blob[], fz_blob_end[];
extern const u16 fz_rm_stubs[], rm_exit_at[], pm16_exit_at[];
extern const u32 fz_stubs64[33];
extern u32 fz_base_cr0, fz_base_cr3, fz_base_cr4, fz_pae_cr3, fz_long_cr3;
extern struct __attribute__((packed)) { u16 limit; u32 base; } fz_idt64_desc;

static const char *const mode_names[M_COUNT] = { "real", "pm16", "pm32", "pm32np", "pae", "long",
                                                  "compat" };

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
static u64 rnd64(void) { return splitmix(&rng_state); }
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
static u32 fnv64(u32 h, u64 v) { return fnv(fnv(h, (u32)v), (u32)(v >> 32)); }

/* -------------------------------------------------------------- emitter */
static int no_invd, no_pgoff, no_rf, no_cd, no_strio, no_strmmio, no_swapgs, use_mmio;  /* switches */
static int no_widesplit;
static u8 win_unbacked[WINDOW_PAGES];   /* window pages that map unbacked memory */
static u32 mode, bits;              /* the program's mode; 16, 32 or 64 */
static u32 pc_off;                  /* next byte of code[] */
static u32 ninsn;
static int pushes;                  /* net pushes so far (bounded) */
static int osz;                     /* immediate size of this instruction: 2 or 4 */
static u32 asz;                     /* address size of this instruction: 16, 32, 64 */
static int rexw;
static int fix_at = -1;             /* RIP-relative displacement to patch */
static u32 fix_target;

static void e8(u32 b) { if (pc_off < CODE_SIZE) code[pc_off++] = (u8)b; }
static void e16(u32 v) { e8(v); e8(v >> 8); }
static void e32(u32 v) { e16(v); e16(v >> 16); }
static void eimm(u32 v) { if (osz == 2) e16(v); else e32(v); }

/* The end of an instruction: its RIP-relative displacement is known. */
static void end_insn(void)
{
    if (fix_at >= 0) {
        u32 d = fix_target - (CODE_VA + pc_off);
        for (int i = 0; i < 4; i++)
            code[fix_at + i] = (u8)(d >> (8 * i));
        fix_at = -1;
    }
}
static void begin(void)
{
    end_insn();
    osz = bits == 16 ? 2 : 4;
    asz = bits;
    rexw = 0;
    if (ninsn < MAX_INSNS)
        starts[ninsn++] = (u16)pc_off;
}
static void p66(void) { e8(0x66); if (!rexw) osz = osz == 2 ? 4 : 2; }
static void p67(void) { e8(0x67); asz = bits == 32 ? 16 : 32; }
/* A REX prefix (64-bit mode), right before the opcode. For memory forms
 * REX.X stays 0: the absolute SIB form would get an index register. */
static void rex(int mem)
{
    if (bits != 64 || !chance(50))
        return;
    u32 w = chance(40);
    e8(0x40 | w << 3 | below(2) << 2 | (mem ? 0 : below(2) << 1) | below(2));
    if (w) {
        rexw = 1;
        osz = 4;
    }
}
/* In 16-bit code: a 0x66 so that the instruction takes 32-bit operands. */
static void op32(void) { if (bits == 16) p66(); }
static void modrm(u32 mod, u32 reg, u32 rm) { e8(mod << 6 | (reg & 7) << 3 | (rm & 7)); }

/* A general register other than (E/R)SP. */
static u32 R(void)
{
    static const u8 regs[] = { 0, 1, 2, 3, 5, 6, 7 };
    return regs[below(sizeof regs)];
}

/* Whether window addresses are reachable with address size a. */
static int window_ok(u32 a)
{
    if (a == 16 || mode == M_REAL)
        return 0;
    if (mode == M_PM32NP)
        return !no_pgoff;
    return 1;
}

/* An address programs may touch with up to `margin` bytes either side. */
static u32 rand_addr(u32 margin, int win)
{
    u32 r = below(100);
    if (!win || r < 55)
        return SCRATCH_VA + 4096 + margin + below(7 * 4096 - 2 * margin);
    if (r < 95)
        return WINDOW_VA + below(WINDOW_PAGES * 4096);
    if (bits == 64 && r < 97)
        return 0x80000000u + below(0x10000000);     /* sign-extended: high half, unmapped */
    return WINDOW_VA + WINDOW_PAGES * 4096 + below(4096);   /* not present */
}

/* nowidesplit: a 16-byte operand at a that would cover a backed and an
 * unbacked window page stays in its first page (the same draws, so the
 * rest of the program is the same). Paging off, the window is all
 * unbacked: MMIO on both sides, which the library serves. */
static u32 wide_addr(u32 a)
{
    u32 pg = (a - WINDOW_VA) >> 12, pg2 = (a + 15 - WINDOW_VA) >> 12;
    if (!no_widesplit || a < WINDOW_VA || pg >= WINDOW_PAGES || pg == pg2)
        return a;
    int u1 = win_unbacked[pg], u2 = pg2 < WINDOW_PAGES && win_unbacked[pg2];
    return u1 != u2 ? (a & ~0xfffu) | 0xff0u : a;
}

static void mov_imm(u32 reg, u32 v) { begin(); op32(); e8(0xb8 + reg); e32(v); }
/* 64-bit mode: sometimes RAX gets bits 63:32 too (OR with a sign-extended
 * imm32), for MOV CR/DR and WRMSR-like users of RAX. */
static void maybe_hi_rax(void)
{
    if (bits == 64 && chance(10)) {
        begin(); e8(0x48); e8(0x0d); e32(0x80000000u | rnd());
    }
}

static void mem_abs(u32 reg, u32 addr)
{
    if (asz == 16) {
        modrm(0, reg, 6); e16(addr);
    } else if (bits == 64 && asz == 64 && addr < 0x40100000u && chance(40)) {
        modrm(0, reg, 5);           /* RIP-relative */
        fix_at = (int)pc_off;
        fix_target = addr;
        e32(0);
    } else if (bits == 64) {
        modrm(0, reg, 4); e8(0x25); e32(addr);
    } else {
        modrm(0, reg, 5); e32(addr);
    }
}


static void maybe_prefixes(int seg_ok)
{
    if (chance(10))
        p66();
    if (seg_ok && chance(15))
        e8(below(2) ? 0x64 : 0x65);
    if (chance(bits == 16 ? 35 : 8))
        p67();
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
        p66();
    rex(0);
    e8(op);
    modrm(3, wide ? R() : below(8), wide ? R() : below(8));
}

static void t_alu_ri(void)
{
    u32 k = below(13);
    begin();
    if (chance(10))
        p66();
    rex(0);
    switch (k) {
    case 0: e8(0x81); modrm(3, below(8), R()); eimm(rnd()); break;
    case 1: e8(0x83); modrm(3, below(8), R()); e8(rnd()); break;
    case 2: e8(0x80); modrm(3, below(8), below(8)); e8(rnd()); break;
    case 3: e8(0xc1); modrm(3, below(8), R()); e8(below(70)); break;
    case 4: e8(0xd1 + 2 * below(2)); modrm(3, below(8), R()); break;     /* by 1 / by CL */
    case 5: e8(0xd0 + 2 * below(2)); modrm(3, below(8), below(8)); break;
    case 6: e8(0xf7); modrm(3, 2 + below(6), R()); break;   /* not neg mul imul div idiv */
    case 7: e8(0xf6); modrm(3, 2 + below(6), below(8)); break;
    case 8:
        e8(0xb8 + R());
        if (rexw) {
            e32(rnd()); e32(rnd());                         /* mov r64, imm64 */
        } else {
            eimm(chance(30) ? below(64) : rnd());
        }
        break;
    case 9: e8(0x69); modrm(3, R(), R()); eimm(rnd()); break;
    case 10: e8(0x6b); modrm(3, R(), R()); e8(rnd()); break;
    case 11: e8(0x63); modrm(3, R(), R()); break;          /* ARPL / MOVSXD (#UD in real mode) */
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
            p66();
        rex(0);
        e8(0x0f); e8(rr[below(sizeof rr)]); modrm(3, R(), R()); break;
    case 2: rex(0); e8(0x0f); e8(0xba); modrm(3, 4 + below(4), R()); e8(rnd()); break;
    case 3: rex(0); e8(0x0f); e8(0xc8 + R()); break;
    case 4: rex(0); e8(0x0f); e8(0xa4 + 8 * below(2)); modrm(3, R(), R()); e8(below(70)); break;
    case 5: rex(0); e8(0x0f); e8(0x90 + below(16)); modrm(3, 0, below(8)); break;
    case 6: rex(0); e8(0x0f); e8(below(2) ? 0xb6 : 0xbe); modrm(3, R(), below(8)); break;
    default: {                      /* popcnt / tzcnt / lzcnt */
        static const u8 f3[] = { 0xb8, 0xbc, 0xbd };
        e8(0xf3); rex(0); e8(0x0f); e8(f3[below(3)]); modrm(3, R(), R()); break;
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
        if (b == 0x98 || b == 0x99)
            rex(0);                 /* CDQE / CQO */
        e8(b);
        break;
    }
    case 2: e8(0xd4 + below(2)); e8(chance(20) ? 0 : rnd()); break;      /* aam/aad: #DE on 0 */
    case 3: e8(0x0f); e8(0x0b); break;                                   /* ud2 */
    case 4: {                                                            /* invalid opcodes */
        static const u8 bad[] = { 0x04, 0x0a, 0x0c, 0x0e, 0x24, 0x25, 0x26, 0x27, 0x36, 0x37, 0xff, 0xb9 };
        e8(0x0f); e8(bad[below(sizeof bad)]); modrm(3, 0, 0); break;
    }
    default:                                                             /* lea */
        if (bits == 16 && chance(50)) {
            e8(0x8d); modrm(2, R(), below(8)); e16(rnd());
            break;
        }
        if (bits == 16)
            p67();
        rex(0);
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
    case 0: begin(); rex(0); e8(0x50 + below(8)); pushes++; break;
    case 1: begin(); e8(0x58 + R()); pushes--; break;
    case 2: begin(); e8(0x6a); e8(rnd()); pushes++; break;
    default:                    /* POPF of a random value without IF, TF, NT */
        begin(); e8(0x68); eimm(rnd() & ~0x4300u); begin(); e8(0x9d); break;
    }
}

static void t_mem(void)
{
    static const u8 rm_ops[] = { 0x01, 0x03, 0x09, 0x0b, 0x11, 0x13, 0x19, 0x1b, 0x21, 0x23,
                                 0x29, 0x2b, 0x31, 0x33, 0x39, 0x3b, 0x85, 0x87, 0x89, 0x8b,
                                 0x00, 0x02, 0x20, 0x30, 0x86, 0x88, 0x8a, 0x38 };
    u32 k = below(12);
    begin();
    maybe_prefixes(1);
    rex(1);
    u32 addr = rand_addr(16, window_ok(asz));
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
    case 8: e8(0xc1); mem_abs(below(8), addr); e8(below(70)); break;
    case 9: e8(0x0f); e8(0xba); mem_abs(4 + below(4), addr); e8(rnd()); break;
    case 10: {
        static const u8 ops0f[] = { 0xb1, 0xc1, 0xb6, 0xb7, 0xbe, 0xbf, 0xaf, 0xb0, 0xc0 };
        e8(0x0f); e8(ops0f[below(sizeof ops0f)]); mem_abs(R(), addr); break;
    }
    default: e8(0x0f); e8(0xc7); mem_abs(1, wide_addr(addr)); break;   /* cmpxchg8b/16b */
    }
}

/* The MMIO forms of issue 12 item 7 (noxforms=1: none, and the random
 * stream of every other kind as before): MOVBE loads and stores,
 * BSF/BSR/TZCNT/LZCNT/POPCNT with a memory source, and the
 * SSE moves between XMM0-7 and memory (MOVUPS/UPD/SS/SD, MOVAPS/APD,
 * MOVDQA/DQU, MOVD/MOVQ). The XMM registers are not in the hash: a load is
 * followed by MOVD and PMOVMSKB into general registers; a store's register
 * is first made from a general register (PXOR, MOVD, PSLLDQ), so that
 * nothing depends on what the XMM registers held before the program. */
static int no_xforms;
static void t_xforms(void)
{
    static const struct { u8 pfx, op, load; } f[] = {
        { 0, 0x10, 1 }, { 0, 0x11, 0 }, { 0x66, 0x10, 1 }, { 0x66, 0x11, 0 }, { 0xf3, 0x10, 1 },
        { 0xf3, 0x11, 0 }, { 0xf2, 0x10, 1 }, { 0xf2, 0x11, 0 }, { 0, 0x28, 1 }, { 0, 0x29, 0 },
        { 0x66, 0x28, 1 }, { 0x66, 0x6f, 1 }, { 0x66, 0x7f, 0 }, { 0xf3, 0x6f, 1 },
        { 0xf3, 0x7f, 0 }, { 0x66, 0x6e, 1 }, { 0x66, 0x7e, 0 }, { 0xf3, 0x7e, 1 },
        { 0x66, 0xd6, 0 },
    };
    if (chance(35)) {                   /* MOVBE r, m / m, r; BSF BSR TZCNT LZCNT POPCNT r, m */
        static const u8 bs[] = { 0xbc, 0xbd, 0xb8 };
        int movbe = chance(50);
        u8 op = bs[below(3)];
        begin();
        maybe_prefixes(1);
        if (!movbe && (op == 0xb8 || chance(50)))
            e8(0xf3);
        rex(1);
        u32 addr = rand_addr(16, window_ok(asz));
        e8(0x0f);
        if (movbe) {
            e8(0x38); e8(0xf0 + below(2));
        } else {
            e8(op);
        }
        mem_abs(R(), addr);
        return;
    }
    u32 k = below(sizeof f / sizeof f[0]), n = below(8);
    if (!f[k].load) {
        begin(); e8(0x66); e8(0x0f); e8(0xef); modrm(3, n, n);              /* pxor */
        begin(); e8(0x66); e8(0x0f); e8(0x6e); modrm(3, n, R());            /* movd xmm, r32 */
        begin(); e8(0x66); e8(0x0f); e8(0x73); modrm(3, 7, n); e8(below(13)); /* pslldq */
    }
    begin();
    if (chance(bits == 16 ? 35 : 8))
        p67();
    if (chance(15))
        e8(below(2) ? 0x64 : 0x65);
    if (chance(3))
        e8(0xf0);                       /* #UD */
    if (f[k].pfx)
        e8(f[k].pfx);
    u32 addr = wide_addr(rand_addr(16, window_ok(asz)));
    e8(0x0f); e8(f[k].op); mem_abs(n, addr);
    if (f[k].load) {
        begin(); e8(0x66); e8(0x0f); e8(0x7e); modrm(3, n, R());            /* movd r32, xmm */
        begin(); e8(0x66); e8(0x0f); e8(0xd7); modrm(3, R(), n);            /* pmovmskb r32, xmm */
    }
}

/* A string operand's address. nostrmmio: none that reaches unbacked
 * memory (window pages mapping it, or the window with paging off), 600
 * bytes either side included. */
static u32 string_addr(int win)
{
    if (no_strmmio && mode == M_PM32NP)
        win = 0;
    u32 a = rand_addr(600, win);
    if (no_strmmio && a >= WINDOW_VA && a < WINDOW_VA + WINDOW_PAGES * 4096) {
        u32 pg = (a - WINDOW_VA) >> 12;
        if (win_unbacked[pg] || (pg && win_unbacked[pg - 1]) ||
            (pg + 1 < WINDOW_PAGES && win_unbacked[pg + 1]))
            a = SCRATCH_VA + 4096 + 600 + (a & 0x3fff);
    }
    return a;
}

/* Sets (E/R)SI, (E/R)DI, (E/R)CX for a string instruction; returns 1 when
 * it gets a 0x67 prefix. */
static int string_regs(void)
{
    int a67 = chance(20);
    u32 a = a67 ? (bits == 32 ? 16 : 32) : bits;
    int win = window_ok(a);
    mov_imm(6, string_addr(win));
    mov_imm(7, string_addr(win));
    mov_imm(1, below(100) < 80 ? below(34) : below(65));
    return a67;
}

static void t_string(void)
{
    static const u8 ops[] = { 0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };
    int a67 = string_regs();
    begin();
    if (a67)
        p67();
    if (chance(20))
        p66();
    if (chance(20))
        e8(0x64 + below(2));
    if (chance(70))
        e8(0xf3 - below(2));
    rex(0);
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

static void t_io(void)
{
    u32 k = below(4);
    if (k == 0) {
        begin();
        if (chance(30))
            p66();
        e8(0xe4 + below(4));        /* in/out al|eax, imm8 */
        e8(0x80);
        return;
    }
    mov_imm(2, rand_port());
    if (k == 1) {
        begin();
        if (chance(30))
            p66();
        e8(0xec + below(4));
        return;
    }
    if (no_strio) {
        begin(); e8(0xec + below(4));
        return;
    }
    int a67 = string_regs();
    begin();
    if (a67)
        p67();
    if (chance(25))
        p66();
    if (chance(20))
        e8(0x64 + below(2));
    if (chance(75))
        e8(0xf3);
    rex(0);
    e8(0x6c + below(4));
}

/* CR0 values. PE as the mode has it (real mode: 0; PG without PE #GPs);
 * WP stays set in protected mode (read-only PTEs); PG stays where clearing
 * it would leave IA-32e mode (compatibility mode; 64-bit mode: #GP). */
static u32 rand_cr0(void)
{
    static const u32 bits_[] = { 0x2, 0x4, 0x8, 0x20, 0x40000, 0x20000000, 0x40000000, 0x80000000,
                                 0x10000, 0x1000, 0x100 };
    u32 v = 0x80010033u;    /* PG WP NE ET MP PE */
    if (mode == M_REAL)
        v = 0x30;
    else if (mode == M_PM32NP)
        v = 0x10033u;
    for (u32 n = below(4); n; n--)
        v ^= bits_[below(sizeof bits_ / 4)];
    if (mode == M_REAL) {
        v &= ~1u;
        if (!chance(10))
            v &= ~0x80000000u;
    } else {
        v |= 0x10000 | 1;   /* WP and PE stay: the sandbox depends on them */
        if (no_pgoff && mode != M_PM32NP)
            v |= 0x80000000u;
        if (mode == M_COMPAT || (mode == M_LONG && !chance(10)))
            v |= 0x80000000u;
    }
    if (no_cd)
        v &= ~0x40000000u;
    return v;
}

static u32 base_cr4;
/* CR4: never VMXE (intended difference); PAE as the mode's tables want it
 * in the legacy paged modes; free in real mode (no paging there) and in
 * IA-32e mode (clearing it #GPs). */
static u32 rand_cr4(void)
{
    static const u32 bits_[] = { 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400,
                                 0x800, 0x1000, 0x4000, 0x10000, 0x20000, 0x40000, 0x100000,
                                 0x200000, 0x400000, 0x800000, 0x1000000, 0x80000000 };
    u32 v = base_cr4;
    if (mode == M_PAE || mode == M_LONG || mode == M_COMPAT)
        v |= 0x20;
    for (u32 n = 1 + below(3); n; n--)
        v ^= bits_[below(sizeof bits_ / 4)];
    v &= ~0x2000u;
    if (mode == M_PAE)
        v |= 0x20;
    else if (mode == M_PM16 || mode == M_PM32 || mode == M_PM32NP)
        v &= ~0x20u;
    return v;
}

/* Data addresses for DR0-3: the scratch pages and the window, not the
 * kernel's memory; random ones lie above 16 MiB, where nothing runs. */
static u32 rand_dr(u32 n)
{
    if (n < 4)
        return chance(80) ? rand_addr(16, window_ok(32)) : (chance(50) ? 0x80 : rnd() | 0x01000000u);
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

static void t_wrmsr(int write)
{
    u32 msr = rand_msr();
    mov_imm(1, msr);
    if (write) {
        u32 lo = rnd(), hi = chance(60) ? 0 : rnd();
        if (chance(40))
            lo &= 0xfff;
        if (msr == 0xc0000084)
            hi = 0;     /* intended difference: FMASK 63:32 (README) */
        if (msr == 0xc0000080 && mode == M_PAE)
            lo &= ~0x100u;  /* LME with PAE tables would enter IA-32e mode */
        if (msr == 0xc0000100 || msr == 0xc0000101 || msr == 0xc0000102) {
            /* Only 0 or a non-canonical value (#GP), and in 64-bit mode
             * also bases that keep FS:/GS: addresses in the scratch pages
             * (SWAPGS swaps KERNEL_GS_BASE in). Intended difference: bare
             * Bochs keeps addressing a flat FS/GS with base 0 after WRMSR
             * outside 64-bit mode (its flat-segment fast path is not
             * recomputed), while a VM entry reloads the segment with the
             * new base. */
            hi = chance(50) ? 0 : 0x8000u << below(16);
            lo = hi ? rnd() : 0;
            if (!hi && mode == M_LONG && chance(50))
                lo = chance(50) ? 0x100 : 0x800;
        }
        mov_imm(0, lo);
        mov_imm(2, hi);
    }
    begin(); e8(0x0f); e8(write ? 0x30 : 0x32);
}

static void t_priv(void)
{
    u32 k = below(18);
    switch (k) {
    case 0: case 1:                 /* MOV CR0 / CR4 */
        mov_imm(0, k ? rand_cr4() : rand_cr0());
        maybe_hi_rax();
        begin(); e8(0x0f); e8(0x22); modrm(3, k ? 4 : 0, 0);
        break;
    case 2: {                       /* MOV from CRn (1,5,6,7: #UD; 8: #UD outside 64-bit mode) */
        static const u8 crs[] = { 0, 2, 3, 4, 0, 4, 1, 5, 8 };
        begin(); e8(0x0f); e8(0x20); modrm(3, crs[below(sizeof crs)], R());
        break;
    }
    case 3:                         /* CR3 again, with PWT/PCD/ignored bits */
        if (mode == M_REAL && chance(50)) {
            mov_imm(0, rnd());      /* no paging in real mode: any value */
        } else {
            begin(); e8(0x0f); e8(0x20); modrm(3, 3, 0);
            begin(); op32(); e8(0x83); modrm(3, 1, 0); e8(below(256) & 0x18);
        }
        begin(); e8(0x0f); e8(0x22); modrm(3, 3, 0);
        break;
    case 4: {                       /* MOV DRn, r / r, DRn */
        u32 n = below(8);
        if (chance(60)) {
            mov_imm(0, rand_dr(n));
            maybe_hi_rax();
            begin(); e8(0x0f); e8(0x23); modrm(3, n, 0);
        } else {
            begin(); e8(0x0f); e8(0x21); modrm(3, n, R());
        }
        break;
    }
    case 5: case 6:                 /* RDMSR / WRMSR */
        t_wrmsr(k == 6);
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
            begin(); op32(); e8(0x81); modrm(3, 4, 1); e32(~((1u << 3) | (1u << 5) | (1u << 31)));
            /* and what the default CPUID policy hides (docs/CPUID.md):
             * ECX DTES64 DS-CPL EST TM2 xTPR PDCM, EDX DS ACPI TM PBE */
            begin(); op32(); e8(0x81); modrm(3, 4, 1); e32(0x7ffa3203u);
            begin(); op32(); e8(0x81); modrm(3, 4, 2); e32(0x1f8bfbffu);
        } else if (leaf == 6) {     /* thermal/power hidden: ARAT (EAX 2) only */
            begin(); op32(); e8(0x81); modrm(3, 4, 0); e32(1u << 2);
            for (int r = 1; r < 4; r++) {
                begin(); op32(); e8(0x81); modrm(3, 4, r); e32(0);
            }
        }
        break;
    }
    case 9:                         /* INVLPG */
        begin(); e8(0x0f); e8(0x01); mem_abs(7, rand_addr(0, window_ok(asz)));
        break;
    case 10:                        /* CLTS / WBINVD / INVD */
        begin(); e8(0x0f); e8(below(3) == 0 ? 0x06 : (chance(50) || no_invd ? 0x09 : 0x08));
        break;
    case 11:                        /* LMSW r / SMSW r */
        if (chance(60)) {
            mov_imm(0, rnd() & (mode == M_REAL ? 0xfffe : 0xffff));  /* real mode: not PE */
            begin(); e8(0x0f); e8(0x01); modrm(3, 6, 0);
        } else {
            begin(); rex(0); e8(0x0f); e8(0x01); modrm(3, 4, R());
        }
        break;
    case 12: {                      /* FS / GS loads and reads */
        static const u16 sels[] = { 0x10, 0x10, 0x20, 0x43, 0x08, 0x18, 0x28, 0x30, 0x48, 0x1000, 0, 3, 0x13, 0x23 };
        static const u16 rsegs[] = { 0, 0x10, 0x40, 0x100 };    /* real mode: bases up to 0x1000 */
        mov_imm(0, mode == M_REAL ? rsegs[below(4)] : sels[below(sizeof sels / 2)]);
        begin(); e8(0x8e); modrm(3, 4 + below(2), 0);
        break;
    }
    case 13:
        begin(); e8(0x8c); modrm(3, below(6), R());
        break;
    case 14:                        /* SWAPGS: 64-bit mode only (noswapgs: a NOP) */
        begin();
        if (no_swapgs) {
            e8(0x90);
        } else {
            e8(0x0f); e8(0x01); e8(0xf8);
        }
        break;
    case 15:                        /* MOV CR8 (TPR): 64-bit mode only, #UD elsewhere */
        if (bits == 64) {
            if (chance(60)) {
                mov_imm(0, chance(70) ? below(16) : rnd());
                maybe_hi_rax();
                begin(); e8(0x44); e8(0x0f); e8(0x22); modrm(3, 0, 0);
            } else {
                begin(); e8(0x44); e8(0x0f); e8(0x20); modrm(3, 0, R());
            }
            break;
        }
        t_io();
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
    else if (r < 66) { if (!no_xforms && chance(15)) t_xforms(); else t_mem(); }
    else if (r < 72) t_string();
    else if (r < 78) t_io();
    else t_priv();
}

static u32 exit_ip;                 /* the mode's exit stub */

static void gen_program(void)
{
    pc_off = 0;
    ninsn = 0;
    pushes = 0;
    fix_at = -1;
    u32 n = 4 + below(24);
    for (u32 i = 0; i < n && pc_off < CODE_SIZE - 256 && ninsn < MAX_INSNS - 16; i++) {
        if (chance(6)) {            /* Jcc over the next instruction */
            u32 at = pc_off;
            begin(); e8(0x70 + below(16)); e8(0);
            gen_one();
            end_insn();
            code[at + 1] = (u8)(pc_off - at - 2);
        } else {
            gen_one();
        }
    }
    begin();
    ninsn--;                        /* the final jump: a boundary, not counted */
    e8(0xe9);
    if (bits == 16)
        e16(exit_ip - (CODE_VA + pc_off + 2));
    else
        e32(exit_ip - (CODE_VA + pc_off + 4));
    /* the instruction index of every code byte, for the asm handlers */
    for (u32 i = 0, b = 0; b < CODE_SIZE; b++) {
        while (i < ninsn && b >= starts[i + 1])
            i++;
        idxtab[b] = (u8)i;
    }
}

/* ------------------------------------------------------------- running */
struct fault_rec { u32 vec, err, insn, extra, extra_hi, flags; };  /* flags: pushed EFLAGS (RF!) */
#define FAULTS ((volatile struct fault_rec *)LCB_FAULTS)
static volatile int fz_active;

static u32 insn_index(u32 off)
{
    u32 i = 0;
    while (i < ninsn && starts[i + 1] <= off)
        i++;
    return i;
}

/* Faults of the modes that run on the kernel's IDT (pm16, pm32, pm32np,
 * pae); the same as common64 and rm_common in enter.S. */
static void fuzz_trap(struct trap_frame *f)
{
    u32 ip = f->ip, base = CODE_VA;
    if (f->vec == 1 && (!fz_active || ip < base || ip > base + pc_off))
        return;     /* the kernel hit a program's breakpoint (or GD): go on */
    if (!fz_active || ip < base || ip > base + pc_off) {
        printf("FATAL: vector %u error 0x%x at 0x%08x outside %s\n", (u32)f->vec,
               (u32)f->err, ip, fz_active ? "the program" : "a program");
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
    u32 nf = LCB32(LCB_NF);
    if (nf < MAX_FAULTS)
        FAULTS[nf] = (struct fault_rec){ (u32)f->vec, (u32)f->err, insn_index(off), extra, 0,
                                         (u32)f->flags };
    LCB32(LCB_NF) = ++nf;
    if (nf >= MAX_FAULTS) {
        f->ip = exit_ip;
        return;
    }
    if (trap)
        return;
    f->ip = base + starts[insn_index(off) + 1];
}

static u32 base_cr0, base_cr3, base_xcr0;
static int have_xsave;

static u32 xgetbv0(void)
{
    u32 lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return lo;
}

/* The window's PTEs, new for each program. 32-bit paging (pm16, pm32,
 * pm32np with PG set again): scratch pages with random R/W U/S PWT PCD A D
 * G, the window's own table read-only, unbacked memory, not present. */
static void set_window32(void)
{
    for (u32 i = 0; i < WINDOW_PAGES; i++) {
        u32 r = below(100), flags = rnd() & 0x17e;
        u32 pa;
        if (r < 70)
            pa = SCRATCH_VA + 4096 * (1 + below(SCRATCH_PAGES - 1));
        else if (r < 78)
            pa = (u32)(uptr)window_pt, flags &= ~2u;   /* read-only view of the PTEs */
        else if (r < 84 && use_mmio)
            pa = MMIO_PA + 4096 * below(4);
        else if (r < 88 && !no_pgoff)
            pa = UNBACKED_PA + 4096 * below(16), win_unbacked[i] = 1;
        else
            pa = rnd() & ~1u, flags = 0;               /* not present */
        window_pt[i] = flags ? (pa & ~0xfffu) | flags | 1 : pa;
    }
}

/* PAE and 4-level paging: scratch pages (flags, PAT, NX at random), the
 * paging structures and the code page read-only, entries with reserved
 * bits (#PF RSVD), unbacked memory, not present; the window's second 2 MiB
 * is a large page with reserved address bits. */
static void set_window64(void)
{
    for (u32 i = 0; i < WINDOW_PAGES; i++) {
        u32 r = below(100);
        u64 flags = (rnd() & 0x1fe) | 1, pa;
        if (chance(15))
            flags |= 1ull << 63;                        /* NX (reserved without EFER.NXE) */
        if (r < 58) {
            pa = SCRATCH_VA + 4096 * (1 + below(SCRATCH_PAGES - 1));
        } else {
            flags &= ~2ull;                             /* read-only from here on */
            if (r < 64)
                pa = (u32)(uptr)window_pt64;
            else if (r < 68)
                pa = (u32)(uptr)pd1;
            else if (r < 71)
                pa = mode == M_PAE ? (u32)(uptr)pae_pdpt : (u32)(uptr)l4;
            else if (r < 74)
                pa = CODE_VA;
            else if (r < 82) {
                pa = SCRATCH_VA + 4096 * (1 + below(SCRATCH_PAGES - 1));
                pa |= 1ull << (40 + below(12));         /* bits 51:40: reserved (MAXPHYADDR 40) */
            } else if (r < 88 && !no_pgoff) {
                pa = UNBACKED_PA + 4096 * below(16);
                win_unbacked[i] = 1;
            } else {
                pa = rnd64() & ~1ull;                   /* not present */
                flags = 0;
            }
        }
        window_pt64[i] = flags ? (pa & ~0xfffull) | flags : pa;
    }
    pd1[1] = 0x200000ull | 0x183 | (u64)(1 + below(255)) << 13;   /* PS, reserved 20:13 */
}

/* XMM0-7 (what programs use, t_xforms) zeroed before each program: a
 * load that faults leaves its register as it was, and the program then
 * reads it; at the first program it would be what the loader left. */
static void xmm_zero(void)
{
    __asm__ volatile("pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\tpxor %%xmm2, %%xmm2\n\t"
                     "pxor %%xmm3, %%xmm3\n\tpxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
                     "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7" ::: "memory");
}

static void restore_state(void)
{
    write_cr0(base_cr0);
    __asm__ volatile("mov %0, %%cr2" : : "r"((uptr)0));     /* no #PF address carried over */
    write_cr4(base_cr4);
    write_cr3(base_cr3);
    if (have_xsave)
        __asm__ volatile("xsetbv" : : "c"(0), "a"(base_xcr0), "d"(0));
    xmm_zero();
    uptr z = 0, d6 = 0xffff0ff0, d7 = 0x400;
    __asm__ volatile("mov %0, %%dr7; mov %0, %%dr0; mov %0, %%dr1; mov %0, %%dr2; mov %0, %%dr3; mov %1, %%dr6"
                     : : "r"(z), "r"(d6));
    __asm__ volatile("mov %0, %%dr7" : : "r"(d7));
    for (u32 i = 0; i < NMSR_RW; i++)
        if (msr_ok[i])
            wrmsr_safe(msrs_rw[i], msr_base[i]);
}

static int verbose, dump;
static u32 mode_mask = (1u << M_COUNT) - 1, mode_count[M_COUNT];

static u32 pick_mode(void)
{
    u32 n = 0, list[M_COUNT];
    for (u32 m = 0; m < M_COUNT; m++)
        if (mode_mask & (1u << m))
            list[n++] = m;
    return list[below(n)];
}

/* Runs program `idx`; returns its outcome hash. */
static u32 run_program(u32 seed, u32 idx)
{
    rng_state = ((u64)seed << 32) ^ (idx * 0x9e3779b97f4a7c15ull) ^ 0x5eed;
    splitmix(&rng_state);
    mode = pick_mode();
    bits = mode == M_REAL || mode == M_PM16 ? 16 : mode == M_LONG ? 64 : 32;
    exit_ip = mode == M_REAL ? rm_exit_at[0] : mode == M_PM16 ? pm16_exit_at[0]
            : mode == M_LONG ? (u32)(uptr)fz_exit64 : (u32)(uptr)fz_exit32;
    mode_count[mode]++;

    u32 *w = (u32 *)SCRATCH_VA;
    for (u32 i = 0; i < 1024; i++)
        w[i] = 0;
    u32 x = rnd() | 1;              /* xorshift32: cheaper than rnd() per word */
    for (u32 i = 1024; i < (SCRATCH_PAGES - 1) * 1024; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        w[i] = x;
    }
    for (u32 i = (SCRATCH_PAGES - 1) * 1024; i < SCRATCH_PAGES * 1024; i++)
        w[i] = 0;
    memset(win_unbacked, 0, sizeof win_unbacked);
    if (mode == M_PAE || mode == M_LONG || mode == M_COMPAT)
        set_window64();
    else
        set_window32();
    write_cr3(base_cr3);
    memset((void *)LCB, 0, LCB_STARTS - LCB);
    for (u32 i = 0; i < 16; i++) {
        u64 v = chance(20) ? below(64) : rnd();
        if (bits == 64)
            v |= chance(50) ? (u64)rnd() << 32 : 0;
        LCB64(LCB_IN + 8 * i) = v;
    }
    LCB64(LCB_IN + 32) = STACK_TOP;
    LCB64(LCB_IN_FL) = (rnd() & 0x8d5u) | 2;    /* CF PF AF ZF SF DF OF */
    LCB64(LCB_TARGET) = CODE_VA;
    LCB32(LCB_NORF) = (u32)no_rf;
    LCB32(LCB_EXIT) = exit_ip;
    *(volatile u16 *)(uptr)LCB_IVTDESC = 0x3ff;
    LCB32(LCB_IVTDESC + 2) = LOW_IVT;
    memset(code, 0xcc, CODE_SIZE);
    outb(0x80, 0);                  /* port 0x80 reads back the last write: none carried over */
    gen_program();
    LCB32(LCB_LEN) = pc_off;
    if (dump) {     /* before it runs: a program that kills the machine is shown too */
        printf("C %u at=%08x ", idx, CODE_VA);
        for (u32 i = 0; i < pc_off; i++)
            printf("%02x", code[i]);
        printf(" %s\n", mode_names[mode]);
    }

    xmm_zero();
    fz_active = 1;
    fuzz_enter(mode);
    fz_active = 0;
    if (LCB32(LCB_FATAL)) {
        printf("FATAL: vector %u at 0x%08x outside the program (seed %u program %u, %s)\n",
               LCB32(LCB_FATAL) - 1, LCB32(LCB_FATALIP), seed, idx, mode_names[mode]);
        exit(0x7e);
    }

    u32 p80 = inb(0x80);            /* the last byte written there */
    u32 cr0 = LCB32(LCB_CR0), cr2 = LCB32(LCB_CR2), cr4 = LCB32(LCB_CR4);
    u32 dr6 = LCB32(LCB_DR6), dr7 = LCB32(LCB_DR7);
    u64 cr2full = (u64)LCB32(LCB_CR2HI) << 32 | cr2;
    u64 mv[NMSR_RW];
    u32 mh = 2166136261u;
    for (u32 i = 0; i < NMSR_RW; i++) {
        mv[i] = 0;
        if (msrs_rw[i] == 0xc0000080)
            mv[i] = LCB64(LCB_EFER);        /* as the program left it */
        else if (msr_ok[i])
            rdmsr_safe(msrs_rw[i], &mv[i]);
        mh = fnv64(mh, mv[i]);
    }
    u32 xcr0 = have_xsave && (cr4 & 0x40000) ? xgetbv0() : 0;
    restore_state();

    u32 nf = LCB32(LCB_NF);
    u32 mem = 2166136261u;          /* FNV-1a a word at a time */
    for (u32 i = 0; i < SCRATCH_PAGES * 1024; i++)
        mem = (mem ^ w[i]) * 16777619u;
    if (mode == M_PAE || mode == M_LONG || mode == M_COMPAT)
        for (u32 i = 0; i < WINDOW_PAGES; i++)
            mem = fnv64(mem, window_pt64[i]);       /* A/D bits */
    else
        for (u32 i = 0; i < WINDOW_PAGES; i++)
            mem = fnv(mem, window_pt[i]);
    u32 h = fnv(2166136261u, mode);
    u32 nregs = bits == 64 ? 16 : 8;
    for (u32 i = 0; i < nregs; i++)
        h = fnv64(h, LCB64(LCB_OUT + 8 * i));
    u64 rfl = LCB64(LCB_OUT_FL);
    u32 fs = LCB32(LCB_OUT_FS) & 0xffff, gs = LCB32(LCB_OUT_GS) & 0xffff, cr8 = LCB32(LCB_CR8);
    h = fnv(fnv(fnv64(h, rfl), fs), gs);
    h = fnv(fnv(fnv64(fnv(fnv(fnv(fnv(h, cr0), cr4), dr6), dr7), cr2full), xcr0), cr8);
    h = fnv(fnv(fnv(fnv(h, mh), mem), nf), p80);
    for (u32 i = 0; i < nf && i < MAX_FAULTS; i++)
        h = fnv(fnv(fnv(fnv(fnv(fnv(h, FAULTS[i].vec), FAULTS[i].err), FAULTS[i].insn),
                        FAULTS[i].extra), FAULTS[i].extra_hi), FAULTS[i].flags);

    if (verbose) {
        static const char *const rn[16] = { "a", "c", "d", "b", "sp", "bp", "si", "di", "r8", "r9",
                                            "r10", "r11", "r12", "r13", "r14", "r15" };
        printf("P %u h=%08x m=%s", idx, h, mode_names[mode]);
        for (u32 i = 0; i < nregs; i++)
            printf(" %s=%llx", rn[i], LCB64(LCB_OUT + 8 * i));
        printf(" fl=%llx fs=%x gs=%x cr0=%08x cr2=%llx cr4=%08x dr6=%08x dr7=%08x xcr0=%x cr8=%x "
               "p80=%x msr=%08x mem=%08x nf=%u", rfl, fs, gs, cr0, cr2full, cr4, dr6, dr7, xcr0, cr8,
               p80, mh, mem, nf);
        for (u32 i = 0; i < nf && i < MAX_FAULTS; i++) {
            printf(" %u:%x@%u/", FAULTS[i].vec, FAULTS[i].err, FAULTS[i].insn);
            if (FAULTS[i].extra_hi)
                printf("%x", FAULTS[i].extra_hi);
            printf("%x/%x", FAULTS[i].extra, FAULTS[i].flags);
        }
        printf("\n");
        printf("S %u", idx);     /* the stack around the start ESP: frames, pushes */
        for (u32 i = (STACK_TOP - SCRATCH_VA - 0x80) / 4; i < (STACK_TOP - SCRATCH_VA + 0x20) / 4; i++)
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
        printf("W %u", idx);     /* the window's PTEs as the program left them (A/D bits) */
        for (u32 i = 0; i < WINDOW_PAGES; i++)
            printf(" %llx", mode == M_PAE || mode == M_LONG || mode == M_COMPAT
                                ? window_pt64[i] : (u64)window_pt[i]);
        printf("\n");
        for (u32 i = 0; i < NMSR_RW; i++)
            if (msr_ok[i])
                printf("M %u %x=%llx\n", idx, msrs_rw[i], mv[i]);
    }
    return h;
}

static u64 *page64(u8 **p)
{
    u64 *t = (u64 *)*p;
    *p += 4096;
    return t;
}

static void setup(void)
{
    u8 *p = (u8 *)(((uptr)pool + 4095) & ~(uptr)4095);
    pd = (u32 *)p, p += 4096;
    ident_pt = (u32 (*)[1024])p, p += 4 * 4096;
    window_pt = (u32 *)p, p += 4096;
    pae_pdpt = page64(&p), l4 = page64(&p), l3 = page64(&p), pd0 = page64(&p);
    pd1 = page64(&p), window_pt64 = page64(&p);
    for (u32 t = 0; t < 4; t++)
        for (u32 i = 0; i < 1024; i++)
            ident_pt[t][i] = (t * 0x400000 + i * 0x1000) | 3;
    for (u32 t = 0; t < 4; t++)
        pd[t] = (u32)(uptr)ident_pt[t] | 3;
    pd[WINDOW_VA >> 22] = (u32)(uptr)window_pt | 7;
    /* PAE and 4-level: 0..16 MiB identity in 2 MiB pages, the window at
     * 1 GiB (user-accessible down to its PTEs) */
    memset(pae_pdpt, 0, 6 * 4096);
    for (u32 i = 0; i < 8; i++)
        pd0[i] = (u64)i * 0x200000 | 0x83;
    pd1[0] = (u32)(uptr)window_pt64 | 7;
    pae_pdpt[0] = (u32)(uptr)pd0 | 1;
    pae_pdpt[1] = (u32)(uptr)pd1 | 1;
    l3[0] = (u32)(uptr)pd0 | 3;
    l3[1] = (u32)(uptr)pd1 | 7;
    l4[0] = (u32)(uptr)l3 | 7;
    fz_pae_cr3 = (u32)(uptr)pae_pdpt;
    fz_long_cr3 = (u32)(uptr)l4;

    /* the low area: 16-bit stubs, real-mode IVT, 64-bit IDT */
    memset((void *)LCB, 0, SCRATCH_VA - LCB);
    memcpy((void *)LOW_BLOB, fz_blob, (size_t)(fz_blob_end - fz_blob));
    if (fz_blob_end - fz_blob > CODE_VA - LOW_BLOB) {
        printf("FATAL: the 16-bit blob is too large\n");
        exit(0x7e);
    }
    u32 *ivt = (u32 *)LOW_IVT;
    for (u32 v = 0; v < 256; v++)
        ivt[v] = (u32)fz_rm_stubs[0] + 5 * (v < 32 ? v : 32);      /* segment 0 */
    for (u32 v = 0; v < 256; v++) {
        u32 a = fz_stubs64[v < 32 ? v : 32];
        u8 *g = idt64 + 16 * v;
        memset(g, 0, 16);
        g[0] = (u8)a; g[1] = (u8)(a >> 8);
        g[2] = GDT_CODE64; g[3] = 0;
        g[5] = 0x8e;
        g[6] = (u8)(a >> 16); g[7] = (u8)(a >> 24);
    }
    fz_idt64_desc.base = (u32)(uptr)idt64;

    u32 a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    have_xsave = (c >> 26) & 1;
    base_cr4 = 0x600 | (have_xsave ? 0x40000 : 0);      /* OSFXSR OSXMMEXCPT [OSXSAVE] */
    base_cr3 = (u32)(uptr)pd;
    base_cr0 = 0x80010033u;
    fz_base_cr0 = base_cr0, fz_base_cr3 = base_cr3, fz_base_cr4 = base_cr4;
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

/* modes=a,b,...: the modes programs are drawn from. */
static void parse_modes(void)
{
    const char *s = arg_get("modes");
    if (!s || !*s)
        return;
    u32 m = 0;
    while (*s) {
        u32 n = 0;
        while (s[n] && s[n] != ',')
            n++;
        for (u32 k = 0; k < M_COUNT; k++)
            if (strlen(mode_names[k]) == n && !memcmp(s, mode_names[k], n))
                m |= 1u << k;
        s += n;
        if (*s == ',')
            s++;
    }
    if (m)
        mode_mask = m;
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
    no_strio = (int)arg_u32("nostrio", 0);
    no_strmmio = (int)arg_u32("nostrmmio", 0);
    no_widesplit = (int)arg_u32("nowidesplit", 0);
    no_swapgs = (int)arg_u32("noswapgs", 0);
    no_xforms = (int)arg_u32("noxforms", 0);
    parse_modes();
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
    printf("fuzzguest: modes");
    for (u32 m = 0; m < M_COUNT; m++)
        printf(" %s=%u", mode_names[m], mode_count[m]);
    printf("\n");
    printf("fuzzguest: done seed=%u start=%u count=%u hash=%08x\n", seed, start, count, all);
    return 0;
}

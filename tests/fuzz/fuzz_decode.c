/* libFuzzer target for the MMIO instruction decoder (src/lib/decode.c).
 * Input: one byte choosing the mode (0: 16, 1: 32, 2: 64, others: an invalid
 * mode), then the instruction bytes, as many as the input has (often more
 * or fewer than the instruction needs). The decoder must never read past
 * n (ASan), never hit undefined behaviour (UBSan), and what it returns must
 * hold together; any violation aborts.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *         tests/fuzz/fuzz_decode.c src/lib/decode.c */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/decode.h"
#include "lib/alu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NONE X86VCPU_INSN_NONE

#define CHECK(cond) do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz_decode: invariant violated: %s (line %d)\n", #cond, __LINE__); \
            abort(); \
        } \
    } while (0)

static uint64_t mask_of(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static int is_size(unsigned s)
{
    return s == 1 || s == 2 || s == 4 || s == 8;
}

/* Decode from a heap copy of exactly n bytes: ASan reports any read past n. */
static int decode_copy(const uint8_t *b, uint32_t n, int mode, struct x86vcpu_insn *o)
{
    uint8_t *copy = malloc(n);                 /* ASan: even 0 bytes are checked */
    if (!copy && n)
        abort();
    if (n)
        memcpy(copy, b, n);
    int r = x86vcpu__decode(copy, n, mode, o);
    free(copy);
    return r;
}

static void check_fields(const struct x86vcpu_insn *o, int mode, uint32_t n)
{
    CHECK(o->len >= 1 && o->len <= n && o->len <= X86VCPU_INSN_MAX_LEN);
    CHECK(o->op < X86VCPU_MMIO_OP_COUNT);
    int sse = o->op == X86VCPU_MMIO_SSE_LOAD || o->op == X86VCPU_MMIO_SSE_STORE;
    if (sse) {
        /* An XMM register and 4, 8 or 16 bytes of memory; alignment
         * required only of 16-byte forms (MOVAPS/MOVAPD/MOVDQA). */
        CHECK(o->reg_size == 16 && (o->mem_size == 4 || o->mem_size == 8 || o->mem_size == 16));
        CHECK(o->sub <= 1 && (!o->sub || o->mem_size == 16));
        CHECK(o->reg != NONE && !o->lock);
        CHECK(o->mem_is_dest == (o->op == X86VCPU_MMIO_SSE_STORE));
    } else if (o->op == X86VCPU_MMIO_CMPXCHG16B) {
        CHECK(mode == 64 && o->mem_size == 16 && o->reg_size == 16 && o->reg == NONE && o->mem_is_dest);
    } else {
        CHECK(is_size(o->mem_size) && is_size(o->reg_size));
    }
    if (o->op == X86VCPU_MMIO_MOVBE_LOAD || o->op == X86VCPU_MMIO_MOVBE_STORE)
        CHECK(o->mem_size >= 2 && o->reg != NONE && !o->reg_high8 && !o->lock &&
              o->mem_is_dest == (o->op == X86VCPU_MMIO_MOVBE_STORE));
    if (sse || o->op == X86VCPU_MMIO_CMPXCHG16B)
        ;
    else if (o->op == X86VCPU_MMIO_MOVZX || o->op == X86VCPU_MMIO_MOVSX)
        CHECK(o->reg_size >= o->mem_size && o->reg_size >= 2 && o->mem_size <= 4);
    else
        CHECK(o->reg_size == o->mem_size);
    CHECK(o->reg == NONE || o->reg < (mode == 64 ? 16 : 8));
    CHECK(o->reg_high8 <= 1);
    if (o->reg_high8)
        CHECK(o->reg >= 4 && o->reg <= 7 && o->reg_size == 1);
    if (mode == 64)
        CHECK(o->addr_size == 8 || o->addr_size == 4);
    else
        CHECK(o->addr_size == 4 || o->addr_size == 2);
    CHECK(o->seg <= 5);
    if (mode == 64)
        CHECK(o->seg >= 4 || o->seg == 0 || o->seg == 2 || o->seg == 3);
    CHECK(o->rep == 0 || o->rep == 0xf2 || o->rep == 0xf3);
    if (o->rep)
        CHECK(o->op == X86VCPU_MMIO_STOS || o->op == X86VCPU_MMIO_MOVS ||
              o->op == X86VCPU_MMIO_LODS || o->op == X86VCPU_MMIO_SCAS ||
              o->op == X86VCPU_MMIO_CMPS || o->op == X86VCPU_MMIO_INS ||
              o->op == X86VCPU_MMIO_OUTS);
    CHECK(o->op < X86VCPU_MMIO_OP_COUNT);
    CHECK(o->mem_is_dest <= 1 && o->mem_is_first <= 1 && o->has_imm <= 1 && o->lock <= 1 &&
          o->rip_relative <= 1);
    if (o->mem_is_dest)
        CHECK(o->mem_is_first && o->op != X86VCPU_MMIO_CMP && o->op != X86VCPU_MMIO_TEST);
    if (o->lock) /* Vol. 2 "LOCK": these, with a memory destination */
        CHECK(o->mem_is_dest &&
              ((o->op >= X86VCPU_MMIO_AND && o->op <= X86VCPU_MMIO_SUB) ||
               o->op == X86VCPU_MMIO_ADC || o->op == X86VCPU_MMIO_SBB ||
               o->op == X86VCPU_MMIO_NOT || o->op == X86VCPU_MMIO_NEG ||
               o->op == X86VCPU_MMIO_INC || o->op == X86VCPU_MMIO_DEC ||
               o->op == X86VCPU_MMIO_BT || o->op == X86VCPU_MMIO_XCHG ||
               o->op == X86VCPU_MMIO_CMPXCHG || o->op == X86VCPU_MMIO_XADD ||
               o->op == X86VCPU_MMIO_CMPXCHG8B || o->op == X86VCPU_MMIO_CMPXCHG16B));
    CHECK(o->base == NONE || o->base < (mode == 64 ? 16 : 8));
    CHECK(o->index == NONE || (o->index < (mode == 64 ? 16 : 8) && o->index != 4));
    CHECK(o->scale == 1 || o->scale == 2 || o->scale == 4 || o->scale == 8);
    if (o->index == NONE)
        CHECK(o->scale == 1);
    if (o->rip_relative)
        CHECK(mode == 64 && o->base == NONE && o->index == NONE);
    if (o->addr_size == 2) {
        /* 16-bit forms: BX/BP/SI/DI only, index SI/DI (Vol. 2 Table 2-1) */
        CHECK(o->base == NONE || o->base == 3 || o->base == 5 || o->base == 6 || o->base == 7);
        CHECK(o->index == NONE || o->index == 6 || o->index == 7);
        CHECK(o->scale == 1 && o->disp >= -0x8000 && o->disp <= 0xffff);
    }
    if (o->has_imm) {
        CHECK((o->imm & ~mask_of(o->mem_size)) == 0);
        CHECK(o->reg == NONE || o->op == X86VCPU_MMIO_IMUL);   /* IMUL r, r/m, imm */
    } else {
        CHECK(o->imm == 0);
    }
    if (o->op == X86VCPU_MMIO_STOS)
        CHECK(o->seg == 0 && o->base == 7 && o->reg == 0);
    if (o->op == X86VCPU_MMIO_MOVS)
        CHECK(o->base == 6 && o->reg == NONE);
    for (unsigned k = 0; k < sizeof o->pad; k++)
        CHECK(o->pad[k] == 0);
}

/* The helpers on values taken from the input. */
static void check_helpers(const struct x86vcpu_insn *o, const uint8_t *data, size_t size)
{
    uint64_t v[20];
    for (unsigned k = 0; k < 20; k++) {
        uint64_t x = 0x9e3779b97f4a7c15ull * (k + 1);
        for (unsigned j = 0; j < 8; j++)
            x ^= (uint64_t)(size ? data[(k * 8 + j) % size] : 0) << (8 * j);
        v[k] = x;
    }
    uint64_t ea = x86vcpu__insn_ea(o, v, v[16]);
    CHECK((ea & ~mask_of(o->addr_size)) == 0);

    uint64_t old = v[17], loaded = v[18], m = x86vcpu__insn_merge_reg(o, old, loaded);
    switch (o->reg_size) {
    case 1:
        CHECK((m & ~(o->reg_high8 ? 0xff00ull : 0xffull)) == (old & ~(o->reg_high8 ? 0xff00ull : 0xffull)));
        break;
    case 2:
        CHECK((m & ~0xffffull) == (old & ~0xffffull));
        break;
    case 4:
        CHECK((m >> 32) == 0);
        break;
    }
    if (o->op == X86VCPU_MMIO_MOVZX)
        CHECK((m & mask_of(o->reg_size)) == (loaded & mask_of(o->mem_size)));

    if (o->op == X86VCPU_MMIO_SSE_LOAD || o->op == X86VCPU_MMIO_SSE_STORE) {
        /* A load zero-extends into the register; a store writes only
         * mem_size bytes; storing what was loaded gives the bytes back. */
        uint64_t mem[2] = { v[0], v[1] }, x[2], back[2];
        x86vcpu__sse_load(o, mem, x);
        x86vcpu__sse_store(o, x, back);
        CHECK(back[0] == (mem[0] & mask_of(o->mem_size)));
        CHECK(back[1] == (o->mem_size == 16 ? mem[1] : 0) && x[1] == back[1]);
    }
    if (o->op == X86VCPU_MMIO_MOVBE_LOAD || o->op == X86VCPU_MMIO_MOVBE_STORE) {
        uint64_t sw = x86vcpu__bswap(v[2], o->mem_size);
        CHECK((sw & ~mask_of(o->mem_size)) == 0);
        CHECK(x86vcpu__bswap(sw, o->mem_size) == (v[2] & mask_of(o->mem_size)));
        CHECK((sw & 0xff) == ((v[2] >> (8 * (o->mem_size - 1))) & 0xff));
    }
    uint64_t rflags = (v[19] & 0x3f7fd7ull) | 2, nf;
    uint64_t r = x86vcpu__insn_alu(o, v[18], v[17], rflags, &nf);
    const uint64_t status = 0x8d5;                 /* CF PF AF ZF SF OF */
    CHECK((nf & ~status) == (rflags & ~status));
    if (o->op >= X86VCPU_MMIO_AND && o->op <= X86VCPU_MMIO_TEST) {
        CHECK((r & ~mask_of(o->mem_size)) == 0);
        CHECK(!!(nf & 0x40) == (r == 0));          /* ZF */
    } else {
        CHECK(nf == rflags && r == v[18]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int modes[] = { 16, 32, 64 };
    if (size < 1)
        return 0;
    int mode = data[0] < 0xfc ? modes[data[0] % 3] : (int)data[0] - 0xfc; /* 0..3: invalid */
    const uint8_t *b = data + 1;
    uint32_t n = (uint32_t)(size - 1 > 64 ? 64 : size - 1);
    struct x86vcpu_insn o;
    int r = decode_copy(b, n, mode, &o);

    CHECK(r == 0 || r == X86VCPU_DECODE_UNSUPPORTED || r == X86VCPU_DECODE_TRUNCATED ||
          r == X86VCPU_DECODE_INVALID);
    if (r != 0) {
        /* TRUNCATED only when fewer than 15 bytes were given; INVALID for
         * length only past 15 bytes. Nothing else is left in *out. */
        if (r == X86VCPU_DECODE_TRUNCATED)
            CHECK(n < X86VCPU_INSN_MAX_LEN);
        CHECK(o.len <= X86VCPU_INSN_MAX_LEN && o.len <= n);
        CHECK(o.reg == NONE && o.base == NONE && o.index == NONE && o.has_imm == 0 && o.imm == 0);
        return 0;
    }
    CHECK(mode == 16 || mode == 32 || mode == 64);
    check_fields(&o, mode, n);

    /* Same answer from exactly len bytes; every shorter prefix needs more. */
    struct x86vcpu_insn t;
    CHECK(decode_copy(b, o.len, mode, &t) == 0 && memcmp(&t, &o, sizeof t) == 0);
    for (uint32_t k = 0; k < o.len; k++)
        CHECK(decode_copy(b, k, mode, &t) == X86VCPU_DECODE_TRUNCATED);

    check_helpers(&o, data, size);
    return 0;
}

/* tests/mbk/taskswitch.c — 32-bit hardware task switches (SDM Vol. 3A 7.3),
 * issue 12 item 3. Portable: the same COM1 bytes on bare Bochs and as a
 * guest (every attempt at a task switch exits in VMX non-root operation,
 * SDM 26.4.2, and the library emulates it).
 *
 *   JMP to a TSS and back (busy bits from the GDT, no back link, NT clear);
 *   CALL to a TSS and IRET back (NT, back link, busy bits, the saved EIP,
 *     NT cleared in the saved image, LDT load through the new TSS);
 *   CALL through a task gate in the GDT; INT n through an IDT task gate;
 *   #GP through an IDT task gate: its error code on the new task's stack,
 *     the faulting EIP saved, IRET back to a fixed-up EIP; a #DF task
 *     (#GP meeting a not-present #GP gate), error code 0;
 *   CR3 switched between tasks with different page tables (4 MiB pages);
 *   CR0.TS set; DR7 L0-L3/LE cleared, G0 kept; the T flag's #DB (DR6.BT);
 *   failures: CALL to a busy TSS (#GP), a not-present TSS (#NP), a too
 *     short TSS (#TS), a task whose SS or CS is bad (#TS with that
 *     selector, delivered in the new task, through a #TS task gate).
 * Command line: status=N (exit value). */
#include "libtest.h"

/* GDT slots of this kernel, after the runtime's 9. */
#define SEL_MAIN   0x50
#define SEL_A      0x58         /* JMP target */
#define SEL_B      0x60         /* CALL target, with an LDT */
#define SEL_C      0x68         /* behind the task gate SEL_GATE */
#define SEL_GATE   0x70         /* task gate -> SEL_C */
#define SEL_G      0x78         /* #GP task */
#define SEL_H      0x80         /* #TS task */
#define SEL_NP     0x88         /* not present */
#define SEL_SHORT  0x90         /* limit 0x66 */
#define SEL_BADSS  0x98         /* SS = a code segment */
#define SEL_BADCS  0xa0         /* CS = a data segment */
#define SEL_LDT    0xa8         /* B's LDT */
#define SEL_P      0xb0         /* other page tables */
#define SEL_I      0xb8         /* INT 0x41's task */
#define SEL_T      0xc0         /* T flag set */
#define SEL_D      0xc8         /* #DF task, as i386 kernels have */
#define NGDT       26
#define LDT_FS     0x0c         /* LDT entry 1, TI = 1 */
#define VEC_TASK   0x41
#define WIN        0x40000000u  /* PDE 256: another frame per page directory */
#define WIN_MAIN   0x01000000u
#define WIN_P      0x01400000u

#define STR_(x) #x
#define STR(x) STR_(x)

struct tss32 {
    u16 link, r0;
    u32 esp0;
    u16 ss0, r1;
    u32 esp1;
    u16 ss1, r2;
    u32 esp2;
    u16 ss2, r3;
    u32 cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    u16 es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10, trap, iomap;
} __attribute__((packed));

_Static_assert(sizeof(struct tss32) == 0x68, "32-bit TSS is 104 bytes");

static u64 ngdt[NGDT] __attribute__((aligned(8)));
static u64 ldt[2] __attribute__((aligned(8)));
static u32 ldt_data[4] = { 0x1d7da7a0u };
struct tss32 tss_main, tss_a, tss_b, tss_c, tss_g, tss_h, tss_np, tss_short, tss_badss,
    tss_badcs, tss_p, tss_i, tss_t, tss_d;
static u8 stacks[12][1024] __attribute__((aligned(16)));
/* Page directories, page-aligned by hand (the runtime's linker script
 * wants the BSS right after the loaded part, without padding). */
static u8 pool[3 * 4096];
static u32 *pd_main, *pd_p;

/* What the tasks saw. */
volatile u32 a_runs, a_tr, a_eflags, a_main_busy, a_self_busy;
volatile u32 b_runs, b_tr, b_eflags, b_link, b_main_busy, b_self_busy, b_main_eip, b_fs0,
    b_ldtr, b_dr7, b_cr0;
volatile u32 c_runs, c_tr, c_link;
volatile u32 i_runs, i_tr, i_eflags, i_main_eip;
volatile u32 g_runs, g_err, g_link, g_main_eip, g_esp_delta;
volatile u32 gp_fault_eip, gp_recover;
volatile u32 h_runs, h_err;
volatile u32 p_runs, p_win, p_cr3;
volatile u32 t_runs, t_db, t_dr6;
volatile u32 d_runs, d_err, d_link, d_main_eip, d_recover, d_fault_eip;

void task_a_entry(void), task_b_entry(void), task_c_entry(void), task_g_entry(void),
    task_h_entry(void), task_p_entry(void), task_i_entry(void), task_t_entry(void),
    task_bad_entry(void), task_d_entry(void);
void task_a_body(void), task_b_body(void), task_c_body(void), task_g_body(u32 esp, u32 err),
    task_p_body(void), task_i_body(void), task_t_body(void), task_d_body(u32 esp, u32 err);

/* Each task loops: its body, then back to who started it (IRET for a
 * nested task, JMP to the main task otherwise); the next switch to it
 * resumes after that instruction. */
__asm__(".text\n"
        "task_a_entry: call task_a_body\n ljmp $" STR(SEL_MAIN) ", $0\n jmp task_a_entry\n"
        "task_b_entry: call task_b_body\n iret\n jmp task_b_entry\n"
        "task_c_entry: call task_c_body\n iret\n jmp task_c_entry\n"
        "task_i_entry: call task_i_body\n iret\n jmp task_i_entry\n"
        "task_p_entry: call task_p_body\n iret\n jmp task_p_entry\n"
        "task_t_entry: call task_t_body\n iret\n jmp task_t_entry\n"
        /* #GP task: the error code is on its stack. */
        "task_g_entry: pushl %esp\n call task_g_body\n addl $8, %esp\n iret\n jmp task_g_entry\n"
        /* #TS task: the task that faulted cannot go on: back to main. */
        "task_h_entry: popl h_err\n incl h_runs\n ljmp $" STR(SEL_MAIN) ", $0\n jmp task_h_entry\n"
        "task_d_entry: pushl %esp\n call task_d_body\n addl $8, %esp\n iret\n jmp task_d_entry\n"
        "task_bad_entry: jmp task_bad_entry\n");

static u64 mkdesc(u32 base, u32 limit, u32 access, u32 flags)
{
    return (limit & 0xffff) | (u64)(base & 0xffffff) << 16 | (u64)(access & 0xff) << 40 |
           (u64)((limit >> 16) & 0xf) << 48 | (u64)(flags & 0xf) << 52 | (u64)(base >> 24) << 56;
}

static u64 task_gate(u16 tss_sel)
{
    return (u64)tss_sel << 16 | (u64)0x85 << 40;    /* P, DPL 0, type 5 */
}

static void idt_task_gate(unsigned vec, u16 tss_sel)
{
    u64 g = task_gate(tss_sel);
    memcpy(idt + vec * 8, &g, 8);
}

static u32 busy(u16 sel)
{
    return (u32)(ngdt[sel >> 3] >> 41) & 1;
}

static void set_tss_desc(u16 sel, struct tss32 *t, u32 limit, u32 access)
{
    ngdt[sel >> 3] = mkdesc((u32)t, limit, access, 0);
}

static u32 stack_i;
static void task_init(struct tss32 *t, void (*entry)(void), u32 cr3)
{
    memset(t, 0, sizeof *t);
    t->cr3 = cr3;
    t->eip = (u32)entry;
    t->eflags = 2;
    t->esp = (u32)stacks[stack_i++] + sizeof stacks[0];
    t->cs = GDT_CODE32;
    t->ss = t->ds = t->es = t->fs = t->gs = GDT_DATA;
    t->iomap = sizeof *t;
}

static u32 str(void) { u32 v; __asm__ volatile("str %0" : "=r"(v)); return v & 0xffff; }
static u32 sldt(void) { u32 v; __asm__ volatile("sldt %0" : "=r"(v)); return v & 0xffff; }
static u32 eflags(void) { u32 v; __asm__ volatile("pushfl; popl %0" : "=r"(v)); return v; }
static u32 read_dr7(void) { u32 v; __asm__ volatile("mov %%dr7, %0" : "=r"(v)); return v; }
static void write_dr7(u32 v) { __asm__ volatile("mov %0, %%dr7" : : "r"(v)); }
static u32 read_dr6(void) { u32 v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static void write_dr6(u32 v) { __asm__ volatile("mov %0, %%dr6" : : "r"(v)); }
static void clts(void) { __asm__ volatile("clts"); }

void task_a_body(void)
{
    a_runs++;
    a_tr = str();
    a_eflags = eflags();
    a_main_busy = busy(SEL_MAIN);
    a_self_busy = busy(SEL_A);
}

void task_b_body(void)
{
    b_runs++;
    b_tr = str();
    b_eflags = eflags();
    b_link = tss_b.link;
    b_main_busy = busy(SEL_MAIN);
    b_self_busy = busy(SEL_B);
    b_main_eip = tss_main.eip;
    b_ldtr = sldt();
    u32 v;
    __asm__ volatile("movl %%fs:0, %0" : "=r"(v));
    b_fs0 = v;
    b_dr7 = read_dr7();
    b_cr0 = (u32)read_cr0();
}

void task_c_body(void)
{
    c_runs++;
    c_tr = str();
    c_link = tss_c.link;
}

void task_i_body(void)
{
    i_runs++;
    i_tr = str();
    i_eflags = eflags();
    i_main_eip = tss_main.eip;
}

/* Fix the faulting instruction up: main resumes at gp_recover. */
void task_g_body(u32 esp, u32 err)
{
    g_runs++;
    g_err = err;
    g_esp_delta = tss_g.esp - esp;      /* the push below the ESP the TSS gave */
    g_link = tss_g.link;
    g_main_eip = tss_main.eip;
    tss_main.eip = gp_recover;
}

void task_d_body(u32 esp, u32 err)
{
    (void)esp;
    d_runs++;
    d_err = err;
    d_link = tss_d.link;
    d_main_eip = tss_main.eip;
    tss_main.eip = d_recover;
}

void task_p_body(void)
{
    p_runs++;
    p_win = *(volatile u32 *)WIN;
    p_cr3 = (u32)read_cr3();
}

void task_t_body(void)
{
    t_runs++;
}

static void db_handler(struct trap_frame *f)
{
    (void)f;
    t_db++;
    t_dr6 = read_dr6() & 0xe00f;        /* BT, BS, BD, B0-B3 */
    write_dr6(0xffff0ff0u);
}

struct farptr { u32 off; u16 sel; } __attribute__((packed));

static int far_call(u16 sel)
{
    static struct farptr fp;
    fp.off = 0;
    fp.sel = sel;
    fault_arm();
    __asm__ volatile(TRY_BEGIN "lcall *%0" TRY_END : : "m"(fp) : "memory");
    return fault_vec;
}

static int far_jmp(u16 sel)
{
    static struct farptr jp;
    jp.off = 0;
    jp.sel = sel;
    fault_arm();
    __asm__ volatile(TRY_BEGIN "ljmp *%0" TRY_END : : "m"(jp) : "memory");
    return fault_vec;
}

static void setup(void)
{
    memcpy(ngdt, gdt, sizeof(u64) * GDT_ENTRIES);
    pd_main = (u32 *)(((uptr)pool + 4095) & ~4095u);
    pd_p = pd_main + 1024;
    /* Paging: 4 MiB identity pages for the first 32 MiB; the window at
     * WIN is another frame in each page directory. */
    for (u32 i = 0; i < 8; i++)
        pd_main[i] = pd_p[i] = (i << 22) | 0x83;    /* P, RW, PS */
    pd_main[WIN >> 22] = WIN_MAIN | 0x83;
    pd_p[WIN >> 22] = WIN_P | 0x83;
    *(volatile u32 *)WIN_MAIN = 0x3a1a3a1au;
    *(volatile u32 *)WIN_P = 0x9a9e9a9eu;
    u32 cr3 = (u32)pd_main;

    task_init(&tss_main, 0, cr3);
    task_init(&tss_a, task_a_entry, cr3);
    tss_a.link = 0x1234;                /* JMP writes no back link */
    task_init(&tss_b, task_b_entry, cr3);
    tss_b.ldt = SEL_LDT;
    tss_b.fs = LDT_FS;
    task_init(&tss_c, task_c_entry, cr3);
    task_init(&tss_g, task_g_entry, cr3);
    task_init(&tss_h, task_h_entry, cr3);
    task_init(&tss_p, task_p_entry, (u32)pd_p);
    task_init(&tss_i, task_i_entry, cr3);
    task_init(&tss_t, task_t_entry, cr3);
    task_init(&tss_d, task_d_entry, cr3);
    tss_t.trap = 1;
    tss_np = tss_short = tss_a;
    tss_badss = tss_badcs = tss_a;
    tss_badss.eip = tss_badcs.eip = (u32)task_bad_entry;
    tss_badss.ss = GDT_CODE32;          /* not a writable data segment */
    tss_badcs.cs = GDT_DATA;            /* not a code segment */

    set_tss_desc(SEL_MAIN, &tss_main, 0x67, 0x89);
    set_tss_desc(SEL_A, &tss_a, 0x67, 0x89);
    set_tss_desc(SEL_B, &tss_b, 0x67, 0x89);
    set_tss_desc(SEL_C, &tss_c, 0x67, 0x89);
    ngdt[SEL_GATE >> 3] = task_gate(SEL_C);
    set_tss_desc(SEL_G, &tss_g, 0x67, 0x89);
    set_tss_desc(SEL_H, &tss_h, 0x67, 0x89);
    set_tss_desc(SEL_NP, &tss_np, 0x67, 0x09);     /* P = 0 */
    set_tss_desc(SEL_SHORT, &tss_short, 0x66, 0x89);
    set_tss_desc(SEL_BADSS, &tss_badss, 0x67, 0x89);
    set_tss_desc(SEL_BADCS, &tss_badcs, 0x67, 0x89);
    ngdt[SEL_LDT >> 3] = mkdesc((u32)ldt, sizeof ldt - 1, 0x82, 0);
    ldt[1] = mkdesc((u32)ldt_data, sizeof ldt_data - 1, 0x93, 0x4);
    set_tss_desc(SEL_P, &tss_p, 0x67, 0x89);
    set_tss_desc(SEL_I, &tss_i, 0x67, 0x89);
    set_tss_desc(SEL_T, &tss_t, 0x67, 0x89);
    set_tss_desc(SEL_D, &tss_d, 0x67, 0x89);

    static struct __attribute__((packed)) { u16 limit; u32 base; } gd;
    gd.limit = sizeof ngdt - 1;
    gd.base = (u32)ngdt;
    __asm__ volatile("lgdt %0\n ltr %w1" : : "m"(gd), "r"(SEL_MAIN) : "memory");
    write_cr4(read_cr4() | 0x10);       /* PSE */
    write_cr3(cr3);
    write_cr0(read_cr0() | 0x80000000u);
    idt_task_gate(VEC_TASK, SEL_I);
}

static void test_jmp(void)
{
    check_eq(far_jmp(SEL_A), NOFAULT, "JMP to a TSS and JMP back: no fault");
    check_eq(a_runs, 1, "JMP: the task ran once");
    check_eq(a_tr, SEL_A, "JMP: TR = the new TSS");
    check_eq(a_eflags & 0x4000, 0, "JMP: NT clear in the new task");
    check_eq(a_main_busy, 0, "JMP: the old TSS is available again (GDT)");
    check_eq(a_self_busy, 1, "JMP: the new TSS is busy (GDT)");
    check_eq(tss_a.link, 0x1234, "JMP: no back link written");
    check_eq(busy(SEL_A), 0, "JMP back: the TSS left is available");
    check_eq(busy(SEL_MAIN), 1, "JMP back: main busy again");
    check_eq(str(), SEL_MAIN, "JMP back: TR = main");
    check_eq(read_cr0() & 8, 8, "CR0.TS set by the switch");
    clts();
}

static void test_call_iret(void)
{
    write_dr7(0x157);                   /* L0 G0 L1 L2 L3 LE (DR0-3 = 0) */
    u32 ret;
    fault_arm();
    __asm__ volatile("lcall $" STR(SEL_B) ", $0\n1: movl $1b, %0" : "=r"(ret) : : "memory");
    u32 dr7 = read_dr7();
    write_dr7(0x400);
    check_eq(b_runs, 1, "CALL: the task ran");
    check_eq(b_tr, SEL_B, "CALL: TR = the new TSS");
    check_eq(b_eflags & 0x4000, 0x4000, "CALL: NT set in the new task");
    check_eq(b_link, SEL_MAIN, "CALL: back link = the old TSS");
    check_eq(b_main_busy, 1, "CALL: the old TSS stays busy");
    check_eq(b_self_busy, 1, "CALL: the new TSS is busy");
    check_eq(b_main_eip, ret, "CALL: the saved EIP is the next instruction");
    check_eq(b_ldtr, SEL_LDT, "CALL: LDTR from the new TSS");
    check_eq(b_fs0, 0x1d7da7a0u, "CALL: FS through the new LDT");
    check_eq(b_dr7 & 0x3ff, 0x002, "DR7: L0-L3 and LE cleared, G0 kept");
    check_eq(b_cr0 & 8, 8, "CR0.TS set in the new task");
    check_eq(dr7 & 0x3ff, 0x002, "IRET: DR7 still without local enables");
    check_eq(busy(SEL_B), 0, "IRET: the task left is available");
    check_eq(busy(SEL_MAIN), 1, "IRET: main stays busy");
    check_eq(eflags() & 0x4000, 0, "IRET: NT clear again in main");
    check_eq(tss_b.eflags & 0x4000, 0, "IRET: NT clear in the image saved for the task left");
    check_eq(sldt(), 0, "IRET: main's LDTR (null) back");
    check_eq(str(), SEL_MAIN, "IRET: TR = main");
    clts();
    /* The task resumes after its IRET the next time. */
    __asm__ volatile("lcall $" STR(SEL_B) ", $0" : : : "memory");
    check_eq(b_runs, 2, "CALL again: the task resumed after its IRET");
    clts();
}

static void test_gates(void)
{
    __asm__ volatile("lcall $" STR(SEL_GATE) ", $0" : : : "memory");
    check_eq(c_runs, 1, "CALL through a task gate: the task ran");
    check_eq(c_tr, SEL_C, "task gate: TR = the gate's TSS");
    check_eq(c_link, SEL_MAIN, "task gate: back link = main");
    check_eq(busy(SEL_C), 0, "task gate: available again after IRET");

    u32 ret;
    __asm__ volatile("int $" STR(VEC_TASK) "\n1: movl $1b, %0" : "=r"(ret) : : "memory");
    check_eq(i_runs, 1, "INT n through an IDT task gate: the task ran");
    check_eq(i_tr, SEL_I, "INT n: TR = the gate's TSS");
    check_eq(i_eflags & 0x4000, 0x4000, "INT n: NT set");
    check_eq(i_main_eip, ret, "INT n: the saved EIP is the next instruction");
    check_eq(busy(SEL_I), 0, "INT n: available again after IRET");

    /* #GP(0x58): DS loaded with a TSS selector, through a #GP task gate. */
    idt_task_gate(13, SEL_G);
    __asm__ volatile("movl $3f, gp_recover\n"
                     "movl $2f, gp_fault_eip\n"
                     "movw $" STR(SEL_A) " + 3, %%ax\n"
                     "2: movw %%ax, %%ds\n"
                     "3:\n" : : : "eax", "memory");
    idt_set_gate(13, 0, 0);
    check_eq(g_runs, 1, "#GP through an IDT task gate: the task ran");
    check_eq(g_err, SEL_A, "#GP task: error code on the new task's stack");
    check_eq(g_esp_delta, 4, "#GP task: pushed as 4 bytes (32-bit TSS)");
    check_eq(g_link, SEL_MAIN, "#GP task: back link = main");
    check_eq(g_main_eip, gp_fault_eip, "#GP task: the saved EIP is the faulting instruction");
    check_eq(busy(SEL_G), 0, "#GP task: available again after IRET");

    /* #DF through a task gate: #GP whose gate is not present (#NP while
     * delivering #GP: a double fault, SDM Table 6-5). */
    idt_task_gate(8, SEL_D);
    idt_set_present(13, 0);
    __asm__ volatile("movl $3f, d_recover\n"
                     "movl $2f, d_fault_eip\n"
                     "movw $" STR(SEL_A) " + 3, %%ax\n"
                     "2: movw %%ax, %%ds\n"
                     "3:\n" : : : "eax", "memory");
    idt_set_present(13, 1);
    idt_set_gate(8, 0, 0);
    check_eq(d_runs, 1, "#DF through an IDT task gate: the task ran");
    check_eq(d_err, 0, "#DF task: error code 0 on the new task's stack");
    check_eq(d_link, SEL_MAIN, "#DF task: back link = main");
    check_eq(d_main_eip, d_fault_eip, "#DF task: the saved EIP is the faulting instruction");
    check_eq(busy(SEL_D), 0, "#DF task: available again after IRET");
    clts();
}

static void test_cr3_and_trap(void)
{
    /* Main's translation of the window is in the TLB now: the switch's
     * CR3 load must make the new task walk its own tables. */
    check_eq(*(volatile u32 *)WIN, 0x3a1a3a1au, "CR3: main sees its mapping before the switch");
    __asm__ volatile("lcall $" STR(SEL_P) ", $0" : : : "memory");
    check_eq(p_runs, 1, "CR3: the task ran");
    check_eq(p_cr3, (u32)pd_p, "CR3: loaded from the new TSS");
    check_eq(p_win, 0x9a9e9a9eu, "CR3: the new task sees its own mapping");
    check_eq(read_cr3(), (u32)pd_main, "CR3: main's back after IRET");
    check_eq(*(volatile u32 *)WIN, 0x3a1a3a1au, "CR3: main sees its own mapping again");

    trap_set_handler(1, db_handler);
    __asm__ volatile("lcall $" STR(SEL_T) ", $0" : : : "memory");
    trap_set_handler(1, 0);
    check_eq(t_db, 1, "T flag: #DB in the new task");
    check_eq(t_dr6, 0x8000, "T flag: DR6.BT");
    check_eq(t_runs, 1, "T flag: the task ran after the #DB");
    clts();
}

static void test_failures(void)
{
    check_fault(far_call(SEL_MAIN), VEC_GP, "CALL to a busy TSS");
    check_eq(fault_err, SEL_MAIN, "... error code = its selector");
    check_fault(far_call(SEL_NP), 11, "CALL to a not-present TSS: #NP");
    check_eq(fault_err, SEL_NP, "... error code = its selector");
    check_fault(far_call(SEL_SHORT), 10, "CALL to a TSS with limit 0x66: #TS");
    check_eq(fault_err, SEL_SHORT, "... error code = its selector");
    check_eq(busy(SEL_SHORT), 0, "... the TSS stays available");
    check_eq(str(), SEL_MAIN, "... TR unchanged");
    check_eq(b_runs + a_runs, 3, "... no task ran");

    /* Faults after the commit point: in the new task, through #TS's task
     * gate, whose task jumps back to main. */
    idt_task_gate(10, SEL_H);
    check_eq(far_jmp(SEL_BADSS), NOFAULT, "JMP to a task with a code segment in SS");
    check_eq(h_runs, 1, "... #TS in the new task");
    check_eq(h_err, GDT_CODE32, "... error code = the SS selector");
    check_eq(tss_h.link, SEL_BADSS, "... delivered from the new task (back link)");
    check_eq(busy(SEL_BADSS), 1, "... the new task was committed (busy)");
    ngdt[SEL_BADSS >> 3] &= ~(1ull << 41);
    check_eq(far_jmp(SEL_BADCS), NOFAULT, "JMP to a task with a data segment in CS");
    check_eq(h_runs, 2, "... #TS in the new task");
    check_eq(h_err, GDT_DATA, "... error code = the CS selector");
    check_eq(tss_h.link, SEL_BADCS, "... delivered from the new task (back link)");
    ngdt[SEL_BADCS >> 3] &= ~(1ull << 41);
    idt_set_gate(10, 0, 0);
    check_eq(str(), SEL_MAIN, "TR = main at the end");
    clts();
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    setup();
    test_jmp();
    test_call_iret();
    test_gates();
    test_cr3_and_trap();
    test_failures();
    return report_summary();
}

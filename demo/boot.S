/* demo/boot.S — Multiboot v1 entry for the demo hypervisor.
 *
 * GRUB (`multiboot /boot/demo.elf`) enters _start in 32-bit protected mode,
 * paging off, EAX = 0x2BADB002, EBX = physical address of the multiboot info.
 * We then:
 *   - check the magic (on mismatch: message on port 0xE9, Bochs shutdown);
 *   - zero .bss, take a 64 KiB stack;
 *   - identity-map 0..4 GiB with 2 MiB pages (present, RW);
 *   - CR4.PAE, EFER.LME (+ NXE when CPUID has it), CR3, CR0.PG|WP|NE|MP|PE;
 *   - load the 64-bit GDT and far-jump to 64-bit code:
 *       0x00 null, 0x08 64-bit kernel code, 0x10 kernel data,
 *       0x18 64-bit TSS (16-byte descriptor; TR = 0x18 after LTR);
 *   - DS/ES/SS/FS/GS = 0x10, LTR 0x18, 256-entry IDT (vectors 0-31 are the
 *     exceptions) whose stubs call trap_dispatch() in C (console.c);
 *   - 8259 PICs remapped to 0x20-0x2F and fully masked; interrupts stay off;
 *   - FPU/SSE usable: CR0.MP, CR4.OSFXSR|OSXMMEXCPT, and when CPUID has XSAVE
 *     CR4.OSXSAVE with XCR0 = x87|SSE[|AVX];
 *   - call demo_main(magic, mbinfo_phys) on a 16-byte aligned stack;
 *     if it returns, bochs_shutdown().
 *
 * Exported for the hypervisor's host-state setup:
 *   gdt64 / gdt64_ptr, idt64 / idt64_ptr, tss64 (104 bytes), and
 *   boot_stack_top, ist_stack_top (IST1, used by #NMI, #DF and #MC).
 */

#define MB_MAGIC        0x1BADB002
#define MB_FLAGS        0x00000003      /* bit0: page-align modules, bit1: memory info */
#define MB_BOOT_MAGIC   0x2BADB002

#define KCODE   0x08
#define KDATA   0x10
#define KTSS    0x18

#define STACK_SIZE      0x10000
#define IST_STACK_SIZE  0x4000

/* ------------------------------------------------------------ multiboot */
        .section .multiboot, "a"
        .balign 4
multiboot_header:
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)

/* ------------------------------------------------------ 32-bit entry */
        .section .text.boot, "ax"
        .code32
        .globl _start
        .type _start, @function
_start:
        cli
        cld
        mov     %eax, %esi              /* multiboot magic */
        mov     %ebx, %edi              /* multiboot info (physical) */

        cmp     $MB_BOOT_MAGIC, %eax
        je      1f
        mov     $msg_badmagic, %ebx
        jmp     fail32
1:
        /* Zero .bss (GRUB does it too; do not rely on it). The stack, the
         * page tables and the TSS all live in .bss. */
        mov     $__bss_start, %edi
        mov     $__bss_end, %ecx
        sub     %edi, %ecx
        xor     %eax, %eax
        rep stosb
        mov     %ebx, %edi              /* restore mbinfo (rep stosb used EDI) */

        mov     $boot_stack_top, %esp

        /* Long mode present? CPUID.80000001h:EDX[29]. Remember NX (bit 20). */
        mov     $0x80000000, %eax
        cpuid
        cmp     $0x80000001, %eax
        jb      no_lm
        mov     $0x80000001, %eax
        cpuid
        bt      $29, %edx
        jnc     no_lm
        mov     %edx, %ebp              /* keep extended feature bits */

        /* Page tables: PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3;
         * PDn[i] = (n << 30 | i << 21) | PS | RW | P. */
        mov     $pdpt, %eax
        or      $0x3, %eax
        mov     %eax, pml4
        movl    $0, pml4 + 4

        mov     $pd, %eax
        or      $0x3, %eax
        xor     %ecx, %ecx
2:      mov     %eax, pdpt(,%ecx,8)
        movl    $0, pdpt + 4(,%ecx,8)
        add     $0x1000, %eax
        inc     %ecx
        cmp     $4, %ecx
        jb      2b

        mov     $0x83, %eax             /* PS | RW | P, address 0 */
        xor     %ecx, %ecx
3:      mov     %eax, pd(,%ecx,8)
        mov     %ecx, %edx              /* high dword: (ecx * 2 MiB) >> 32 */
        shr     $11, %edx
        mov     %edx, pd + 4(,%ecx,8)
        add     $0x200000, %eax         /* wraps at 4 GiB: low dword only */
        inc     %ecx
        cmp     $2048, %ecx
        jb      3b

        /* CR4.PAE */
        mov     %cr4, %eax
        or      $(1 << 5), %eax
        mov     %eax, %cr4

        mov     $pml4, %eax
        mov     %eax, %cr3

        /* EFER.LME (bit 8), EFER.NXE (bit 11) when supported. */
        mov     $0xC0000080, %ecx
        rdmsr
        or      $(1 << 8), %eax
        bt      $20, %ebp
        jnc     4f
        or      $(1 << 11), %eax
4:      wrmsr

        /* CR0: PG | WP | NE | ET | MP | PE; clear EM, TS, CD, NW. */
        mov     %cr0, %eax
        and     $~((1 << 2) | (1 << 3) | (1 << 29) | (1 << 30)), %eax
        or      $((1 << 31) | (1 << 16) | (1 << 5) | (1 << 4) | (1 << 1) | (1 << 0)), %eax
        mov     %eax, %cr0

        lgdt    gdt64_ptr32
        ljmp    $KCODE, $long_mode

no_lm:
        mov     $msg_nolm, %ebx
        /* fall through */

/* Print the NUL-terminated string at EBX on port 0xE9, then shut down. */
fail32:
        mov     $0xE9, %dx
1:      movb    (%ebx), %al
        test    %al, %al
        jz      2f
        outb    %al, %dx
        inc     %ebx
        jmp     1b
2:      mov     $0x8900, %dx
        mov     $msg_shutdown, %ebx
3:      movb    (%ebx), %al
        test    %al, %al
        jz      4f
        outb    %al, %dx
        inc     %ebx
        jmp     3b
4:      hlt
        jmp     4b

/* ------------------------------------------------------ 64-bit entry */
        .code64
long_mode:
        mov     $KDATA, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     %eax, %fs
        mov     %eax, %gs

        /* ESI/EDI still hold magic / mbinfo; zero-extend. */
        mov     %esi, %esi
        mov     %edi, %edi
        mov     $boot_stack_top, %esp   /* zero-extends into RSP */

        /* Reload the GDTR with a 64-bit base (same table). */
        lgdt    gdt64_ptr(%rip)

        /* TSS descriptor (16 bytes) at gdt64 + KTSS. */
        lea     tss64(%rip), %rax
        lea     gdt64 + KTSS(%rip), %rbx
        movq    $(104 - 1), %rcx        /* limit 15:0 */
        mov     %rax, %rdx
        and     $0xFFFFFF, %rdx         /* base 23:0 -> bits 16..39 */
        shl     $16, %rdx
        or      %rdx, %rcx
        mov     $0x89, %rdx             /* P=1, DPL=0, type 9 (available 64-bit TSS) */
        shl     $40, %rdx
        or      %rdx, %rcx
        mov     %rax, %rdx
        shr     $24, %rdx
        and     $0xFF, %rdx             /* base 31:24 -> bits 56..63 */
        shl     $56, %rdx
        or      %rdx, %rcx
        mov     %rcx, (%rbx)
        mov     %rax, %rdx
        shr     $32, %rdx               /* base 63:32 */
        mov     %rdx, 8(%rbx)

        /* TSS contents: RSP0 = boot stack top, IST1 = ist stack top,
         * I/O map base = 104 (beyond the limit: no I/O bitmap). */
        lea     boot_stack_top(%rip), %rax
        mov     %rax, tss64 + 4(%rip)
        lea     ist_stack_top(%rip), %rax
        mov     %rax, tss64 + 36(%rip)
        movw    $104, tss64 + 102(%rip)

        mov     $KTSS, %ax
        ltr     %ax

        /* IDT: 256 interrupt gates, target isr_stubs + 16*vector.
         * IST1 for NMI (2), #DF (8), #MC (18). */
        lea     idt64(%rip), %rbx
        lea     isr_stubs(%rip), %rax
        xor     %ecx, %ecx
5:      mov     %rax, %rdx
        and     $0xFFFF, %rdx           /* offset 15:0 */
        mov     $KCODE, %r8
        shl     $16, %r8
        or      %r8, %rdx
        xor     %r8, %r8
        cmp     $2, %ecx
        je      6f
        cmp     $8, %ecx
        je      6f
        cmp     $18, %ecx
        jne     7f
6:      mov     $1, %r8                 /* IST index 1 */
7:      shl     $32, %r8
        or      %r8, %rdx
        mov     $0x8E, %r8              /* P=1, DPL=0, type 0xE (64-bit interrupt gate) */
        shl     $40, %r8
        or      %r8, %rdx
        mov     %rax, %r8
        shr     $16, %r8
        and     $0xFFFF, %r8            /* offset 31:16 */
        shl     $48, %r8
        or      %r8, %rdx
        mov     %rdx, (%rbx)
        mov     %rax, %rdx
        shr     $32, %rdx               /* offset 63:32 */
        mov     %rdx, 8(%rbx)
        add     $16, %rbx
        add     $16, %rax
        inc     %ecx
        cmp     $256, %ecx
        jb      5b
        lidt    idt64_ptr(%rip)

        /* Legacy 8259 PICs: remap to vectors 0x20-0x2F (the BIOS leaves IRQ0
         * on vector 8, #DF) and mask every line. RFLAGS.IF stays 0. */
        mov     $0x11, %al              /* ICW1: edge, cascade, ICW4 */
        outb    %al, $0x20
        outb    %al, $0xA0
        mov     $0x20, %al              /* ICW2: vector bases */
        outb    %al, $0x21
        mov     $0x28, %al
        outb    %al, $0xA1
        mov     $0x04, %al              /* ICW3: slave on IRQ2 */
        outb    %al, $0x21
        mov     $0x02, %al
        outb    %al, $0xA1
        mov     $0x01, %al              /* ICW4: 8086 mode */
        outb    %al, $0x21
        outb    %al, $0xA1
        mov     $0xFF, %al              /* OCW1: mask all */
        outb    %al, $0x21
        outb    %al, $0xA1

        /* FPU / SSE. CR0.MP set and EM/TS clear above. */
        fninit
        mov     %cr4, %rax
        or      $((1 << 9) | (1 << 10)), %rax   /* OSFXSR | OSXMMEXCPT */
        mov     %rax, %cr4

        /* XSAVE: CPUID.1:ECX[26]; AVX: CPUID.1:ECX[28]. */
        mov     %esi, %r12d
        mov     %edi, %r13d
        mov     $1, %eax
        cpuid
        bt      $26, %ecx
        jnc     8f
        mov     %ecx, %r14d
        mov     %cr4, %rax
        or      $(1 << 18), %rax                /* OSXSAVE */
        mov     %rax, %cr4
        mov     $0xD, %eax                      /* supported XCR0 bits */
        xor     %ecx, %ecx
        cpuid
        mov     %eax, %r15d
        mov     $3, %eax                        /* x87 | SSE */
        bt      $28, %r14d
        jnc     9f
        bt      $2, %r15d
        jnc     9f
        or      $4, %eax                        /* AVX */
9:      xor     %edx, %edx
        xor     %ecx, %ecx
        xsetbv
8:
        mov     %r12d, %edi                     /* arg0: magic */
        mov     %r13d, %esi                     /* arg1: mbinfo_phys */
        xor     %ebp, %ebp                      /* end of frame chain */
        call    demo_main
        call    bochs_shutdown
10:     cli
        hlt
        jmp     10b
        .size _start, . - _start

/* --------------------------------------------------- interrupt stubs */
/* One 16-byte stub per vector. Vectors with a CPU-pushed error code:
 * 8, 10-14, 17, 21, 29, 30. The others push a 0 so the frame is uniform. */
        .balign 16
        .globl isr_stubs
isr_stubs:
        .set vec, 0
        .rept 256
        .balign 16
        .if !((vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30))
        pushq   $0
        .endif
        pushq   $vec
        jmp     isr_common
        .set vec, vec + 1
        .endr

/* Frame (struct trap_frame in console.h), lowest address first:
 *   r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax
 *   vector error_code rip cs rflags rsp ss                           */
isr_common:
        push    %rax
        push    %rbx
        push    %rcx
        push    %rdx
        push    %rsi
        push    %rdi
        push    %rbp
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        cld
        mov     %rsp, %rdi
        mov     %rsp, %rbx                      /* callee-saved */
        and     $~0xF, %rsp                     /* SysV: 16-byte aligned at call */
        call    trap_dispatch
        mov     %rbx, %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rbp
        pop     %rdi
        pop     %rsi
        pop     %rdx
        pop     %rcx
        pop     %rbx
        pop     %rax
        add     $16, %rsp                       /* vector, error code */
        iretq

/* ----------------------------------------------------------- data */
        .section .rodata
msg_badmagic:   .asciz "boot: bad multiboot magic (not loaded by a multiboot loader)\n"
msg_nolm:       .asciz "boot: CPU has no long mode\n"
msg_shutdown:   .asciz "Shutdown"

        .section .data
        .balign 16
        .globl gdt64
gdt64:
        .quad 0                                 /* 0x00 null */
        .quad 0x00AF9A000000FFFF                /* 0x08 64-bit code, DPL0 */
        .quad 0x00CF92000000FFFF                /* 0x10 data, DPL0 */
        .quad 0, 0                              /* 0x18 TSS (filled at boot) */
gdt64_end:

        .balign 16
        .word 0                                 /* align the base field */
gdt64_ptr32:                                    /* used from 32-bit code */
        .word gdt64_end - gdt64 - 1
        .long gdt64

        .balign 16
        .word 0, 0, 0
        .globl gdt64_ptr
gdt64_ptr:
        .word gdt64_end - gdt64 - 1
        .quad gdt64

        .balign 16
        .word 0, 0, 0
        .globl idt64_ptr
idt64_ptr:
        .word 256 * 16 - 1
        .quad idt64

        .section .bss
        .balign 4096
pml4:   .skip 4096
pdpt:   .skip 4096
pd:     .skip 4 * 4096

        .balign 16
        .globl idt64
idt64:  .skip 256 * 16

        .balign 16
        .globl tss64
tss64:  .skip 104

        .balign 16
        .globl ist_stack_top
ist_stack:
        .skip IST_STACK_SIZE
ist_stack_top:

        .balign 16
        .globl boot_stack_top
boot_stack:
        .skip STACK_SIZE
boot_stack_top:

        .section .note.GNU-stack, "", @progbits

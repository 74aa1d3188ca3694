/* tests/diff/boot32.S — 32-bit side of the differential test kernel.
 *
 * Entered per multiboot v1 (GRUB, or the hypervisor's loader): 32-bit
 * protected mode, CS/DS/ES/SS flat, paging and interrupts off, EAX =
 * 0x2BADB002, EBX = multiboot info. GDTR/IDTR are not usable: the first
 * thing done is loading our own GDT; pm_main() loads the IDT.
 *
 * Also here:
 *   - the exception stubs (vectors 0-31) implementing the "try" mechanism
 *     (see common.h), and the DPL-3 gate 0x80 that ends a ring-3 run;
 *   - run_cpl3(fn): IRET to fn at CPL 3 (fn ends with INT 0x80);
 *   - the real-mode blob: copied to RM_BASE by pm_main, entered through a
 *     16-bit code segment, PE cleared, runs its cases with its own IVT
 *     handlers (real mode pushes no error code), and returns to PM;
 *   - enter_long(pml4): CR4.PAE, CR3, EFER.LME, CR0.PG, far jump to the
 *     64-bit blob (lm_blob_start, linked at LM_BASE).
 *
 * GDT: 0x08 code32, 0x10 data32, 0x18 code16, 0x20 data16, 0x28 code64,
 *      0x30 TSS (filled by pm_main), 0x38 user code32 (0x3b),
 *      0x40 user data32 (0x43).
 */

#define MB_MAGIC  0x1BADB002
#define MB_FLAGS  0x00000000

#define RM_BASE   0x8000
#define RM_STACK  0x7000
#define RMA(x)    (RM_BASE + ((x) - rm_blob_start))

/* ------------------------------------------------------------ multiboot */
        .section .multiboot, "a"
        .balign 4
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)

/* ---------------------------------------------------------------- entry */
        .text
        .code32
        .globl _start
_start:
        cli
        cld
        mov     %eax, %esi
        mov     %ebx, %edi
        lgdt    gdt_ptr
        ljmp    $0x08, $1f
1:      mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %fs
        mov     %eax, %gs
        mov     %eax, %ss
        /* Zero .bss ourselves (a loader may not); the stack is in it. */
        mov     %edi, %ebp
        mov     $__bss_start, %edi
        mov     $__bss_end, %ecx
        sub     %edi, %ecx
        xor     %eax, %eax
        rep stosb
        mov     $stack_top, %esp
        push    %ebp                    /* mbi */
        push    %esi                    /* magic */
        call    pm_main
2:      cli
        hlt
        jmp     2b

/* ------------------------------------------------------- exception stubs */
.macro ISR_NOERR n
isr\n:  pushl   $0
        pushl   $\n
        jmp     isr_common
.endm
.macro ISR_ERR n
isr\n:  pushl   $\n
        jmp     isr_common
.endm

        ISR_NOERR 0
        ISR_NOERR 1
        ISR_NOERR 2
        ISR_NOERR 3
        ISR_NOERR 4
        ISR_NOERR 5
        ISR_NOERR 6
        ISR_NOERR 7
        ISR_ERR   8
        ISR_NOERR 9
        ISR_ERR   10
        ISR_ERR   11
        ISR_ERR   12
        ISR_ERR   13
        ISR_ERR   14
        ISR_NOERR 15
        ISR_NOERR 16
        ISR_ERR   17
        ISR_NOERR 18
        ISR_NOERR 19
        ISR_NOERR 20
        ISR_ERR   21
        ISR_NOERR 22
        ISR_NOERR 23
        ISR_NOERR 24
        ISR_NOERR 25
        ISR_NOERR 26
        ISR_NOERR 27
        ISR_NOERR 28
        ISR_ERR   29
        ISR_ERR   30
        ISR_NOERR 31

/* Stack: vector, error code, EIP, CS, EFLAGS [, ESP, SS]. */
isr_common:
        push    %eax
        mov     4(%esp), %eax
        mov     %eax, fault_vec
        mov     8(%esp), %eax
        mov     %eax, fault_err
        mov     recover_ip, %eax
        test    %eax, %eax
        jz      1f
        mov     %eax, 12(%esp)          /* resume at the recovery address */
        movl    $0, recover_ip
        pop     %eax
        add     $8, %esp
        iret
1:      mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        push    12(%esp)                /* EIP */
        push    12(%esp)                /* error code */
        push    12(%esp)                /* vector */
        call    unexpected_fault        /* does not return */
2:      cli
        hlt
        jmp     2b

/* ------------------------------------------------------------- ring 3 */
/* void run_cpl3(void (*fn)(void)): fn runs at CPL 3 (IOPL 0) on
 * user_stack and ends with INT 0x80, which lands in isr_cpl3_exit. */
        .globl run_cpl3
run_cpl3:
        pushal
        mov     %esp, cpl3_saved_esp
        mov     36(%esp), %ecx
        mov     $0x43, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %fs
        mov     %eax, %gs
        pushl   $0x43                   /* SS */
        pushl   $user_stack_top - 4     /* ESP (as after a CALL) */
        pushl   $0x2                    /* EFLAGS: IF=0, IOPL=0 */
        pushl   $0x3b                   /* CS */
        pushl   %ecx                    /* EIP */
        iret

        .globl isr_cpl3_exit
isr_cpl3_exit:
        mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %fs
        mov     %eax, %gs
        mov     cpl3_saved_esp, %esp
        popal
        ret

/* ------------------------------------------------------------ long mode */
/* void enter_long(u32 pml4): does not return. */
        .globl enter_long
enter_long:
        mov     4(%esp), %ebx
        mov     %cr4, %eax
        or      $0x20, %eax             /* PAE */
        mov     %eax, %cr4
        mov     %ebx, %cr3
        mov     $0xc0000080, %ecx       /* EFER.LME */
        rdmsr
        or      $0x100, %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80000000, %eax       /* PG: IA-32e mode active */
        mov     %eax, %cr0
        ljmp    $0x28, $lm_blob_start

/* ------------------------------------------------------------ real mode */
/* void rm_run(void): pm_main copied the blob to RM_BASE and filled the IVT. */
        .globl rm_run
rm_run:
        pushal
        mov     %esp, rm_saved_esp
        lidt    rm_idtr
        ljmp    $0x18, $RMA(rm16_pm)

rm_back32:
        mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %fs
        mov     %eax, %gs
        mov     %eax, %ss
        mov     rm_saved_esp, %esp
        lidt    idt_ptr
        popal
        ret

/* Everything from rm_blob_start to rm_blob_end runs at RM_BASE (CS = 0). */
        .code16
        .balign 16
        .globl rm_blob_start
rm_blob_start:
rm16_pm:                                /* 16-bit protected mode, CS = 0x18 */
        mov     $0x20, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %fs
        mov     %ax, %gs
        mov     %ax, %ss
        mov     %cr0, %eax
        and     $0xfffffffe, %eax
        mov     %eax, %cr0
        ljmp    $0, $RMA(rm_real)
rm_real:                                /* real mode */
        xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %fs
        mov     %ax, %gs
        mov     %ax, %ss
        mov     $RM_STACK, %sp

/* Case i: registers EAX, EBX, ECX, EDX and the vector (-1: none) go to
 * rm_res[i] = { vec, eax, ebx, ecx, edx }. */
.macro RMC_BEGIN i
        movl    $0xffffffff, RMA(rm_vec)
        movw    $RMA(.Lrm_after\i), RMA(rm_recover)
.endm
.macro RMC_END i
.Lrm_after\i:
        movw    $0, RMA(rm_recover)
        mov     %eax, RMA(rm_res) + \i * 20 + 4
        mov     %ebx, RMA(rm_res) + \i * 20 + 8
        mov     %ecx, RMA(rm_res) + \i * 20 + 12
        mov     %edx, RMA(rm_res) + \i * 20 + 16
        mov     RMA(rm_vec), %eax
        mov     %eax, RMA(rm_res) + \i * 20
.endm

        /* 0: CPUID 0 */
        RMC_BEGIN 0
        xor     %eax, %eax
        xor     %ecx, %ecx
        cpuid
        RMC_END 0
        /* 1: CPUID 1 */
        RMC_BEGIN 1
        mov     $1, %eax
        xor     %ecx, %ecx
        cpuid
        RMC_END 1
        /* 2: MOV CR0 with PG=1, PE=0 -> #GP */
        RMC_BEGIN 2
        mov     %cr0, %eax
        or      $0x80000000, %eax
        mov     %eax, %cr0
        RMC_END 2
        /* 3: MOV CR0 with NW=1, CD=0 -> #GP */
        RMC_BEGIN 3
        mov     %cr0, %eax
        and     $0xbfffffff, %eax
        or      $0x20000000, %eax
        mov     %eax, %cr0
        RMC_END 3
        /* 4: MOV CR0 with CD=1, NW=1 -> ok, read back, restore */
        RMC_BEGIN 4
        mov     %cr0, %ebx
        mov     %ebx, %eax
        or      $0x60000000, %eax
        mov     %eax, %cr0
        mov     %cr0, %eax
        mov     %ebx, %cr0
        RMC_END 4
        /* 5: MOV CR4 with reserved bit 15 -> #GP */
        RMC_BEGIN 5
        mov     %cr4, %eax
        or      $0x8000, %eax
        mov     %eax, %cr4
        RMC_END 5
        /* 6: MOV CR4 with PCIDE (not IA-32e) -> #GP */
        RMC_BEGIN 6
        mov     %cr4, %eax
        or      $0x20000, %eax
        mov     %eax, %cr4
        RMC_END 6
        /* 7: MOV from CR4 */
        RMC_BEGIN 7
        mov     %cr4, %eax
        RMC_END 7
        /* 8: XSETBV ECX=1 -> #GP */
        RMC_BEGIN 8
        mov     $1, %ecx
        mov     $3, %eax
        xor     %edx, %edx
        xsetbv
        RMC_END 8
        /* 9: XSETBV XCR0=5 (AVX without SSE) -> #GP */
        RMC_BEGIN 9
        xor     %ecx, %ecx
        mov     $5, %eax
        xor     %edx, %edx
        xsetbv
        RMC_END 9
        /* 10: XSETBV XCR0=3 -> ok, XGETBV(0) */
        RMC_BEGIN 10
        xor     %ecx, %ecx
        mov     $3, %eax
        xor     %edx, %edx
        xsetbv
        xor     %ecx, %ecx
        xgetbv
        RMC_END 10
        /* 11: XSETBV XCR0=0 -> #GP */
        RMC_BEGIN 11
        xor     %ecx, %ecx
        xor     %eax, %eax
        xor     %edx, %edx
        xsetbv
        RMC_END 11
        /* 12: UD2 -> #UD */
        RMC_BEGIN 12
        ud2
        RMC_END 12
        /* 13: RDMSR of an unimplemented MSR -> #GP */
        RMC_BEGIN 13
        mov     $0xc0011234, %ecx
        xor     %eax, %eax
        xor     %edx, %edx
        rdmsr
        RMC_END 13
        /* 14: SMSW r16 (upper half of EAX stays 0) */
        RMC_BEGIN 14
        xor     %eax, %eax
        smsw    %ax
        RMC_END 14
        /* 15: CR3 write / read back, restore */
        RMC_BEGIN 15
        mov     %cr3, %ebx
        mov     $0x12345018, %eax
        mov     %eax, %cr3
        mov     %cr3, %eax
        mov     %ebx, %cr3
        RMC_END 15
        /* 16: CLTS after setting TS -> ok, CR0 read back */
        RMC_BEGIN 16
        mov     %cr0, %eax
        or      $8, %eax
        mov     %eax, %cr0
        clts
        mov     %cr0, %eax
        RMC_END 16
        /* 17: RDMSR IA32_PAT */
        RMC_BEGIN 17
        mov     $0x277, %ecx
        rdmsr
        RMC_END 17

rm_exit:
        cli
        mov     %cr0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        ljmpl   $0x08, $rm_back32

/* Real-mode exception stubs: FLAGS, CS, IP on the stack, no error code. */
.macro RM_ISR n
rm_isr\n:
        movl    $\n, RMA(rm_vec)
        jmp     rm_isr_common
.endm
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        RM_ISR \n
        .endr

rm_isr_common:
        push    %bp
        mov     %sp, %bp
        push    %ax
        mov     RMA(rm_recover), %ax
        test    %ax, %ax
        jz      1f
        mov     %ax, 2(%bp)             /* IP */
        movw    $0, RMA(rm_recover)
        pop     %ax
        pop     %bp
        iret
1:      mov     RMA(rm_vec), %eax       /* unexpected: report and leave */
        mov     %eax, RMA(rm_unexp_vec)
        mov     2(%bp), %ax
        mov     %ax, RMA(rm_unexp_ip)
        jmp     rm_exit

        .balign 4
        .globl rm_stub_offs
rm_stub_offs:
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .word   RMA(rm_isr\n)
        .endr
        .globl rm_vec, rm_recover, rm_unexp_vec, rm_unexp_ip, rm_res
rm_vec:         .long 0
rm_unexp_vec:   .long 0xffffffff
rm_recover:     .word 0
rm_unexp_ip:    .word 0
        .balign 4
rm_res:         .fill 18 * 20, 1, 0
        .globl rm_blob_end
rm_blob_end:
        .code32

/* ----------------------------------------------------------------- data */
        .data
        .balign 8
        .globl gdt
gdt:
        .quad   0
        .quad   0x00cf9a000000ffff      /* 0x08 code32 */
        .quad   0x00cf92000000ffff      /* 0x10 data32 */
        .quad   0x00009a000000ffff      /* 0x18 code16, limit 64 KiB */
        .quad   0x000092000000ffff      /* 0x20 data16, limit 64 KiB */
        .quad   0x00af9a000000ffff      /* 0x28 code64 */
        .quad   0                       /* 0x30 TSS (pm_main) */
        .quad   0x00cffa000000ffff      /* 0x38 user code32 */
        .quad   0x00cff2000000ffff      /* 0x40 user data32 */
gdt_end:
        .balign 4
        .word   0
gdt_ptr:
        .word   gdt_end - gdt - 1
        .long   gdt
        .word   0
        .globl idt_ptr
idt_ptr:
        .word   256 * 8 - 1
        .long   idt
        .word   0
rm_idtr:
        .word   0x3ff
        .long   0

        .balign 4
        .globl recover_ip, fault_vec, fault_err, isr_table
recover_ip:     .long 0
fault_vec:      .long 0xffffffff
fault_err:      .long 0
cpl3_saved_esp: .long 0
rm_saved_esp:   .long 0
isr_table:
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .long   isr\n
        .endr

        .bss
        .balign 16
        .space  0x4000
stack_top:
        .globl ring0_stack_top
        .space  0x1000
ring0_stack_top:
        .space  0x1000
user_stack_top:

        .section .note.GNU-stack, "", @progbits

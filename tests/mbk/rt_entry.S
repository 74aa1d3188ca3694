/* tests/mbk/rt_entry.S — entry, GDT, IDT stubs and exception-safe
 * accessors of the multiboot test kernels.
 *
 * Entered per multiboot v1: 32-bit protected mode, flat CS/DS, paging and
 * interrupts off, EAX = 0x2BADB002, EBX = the info structure; GDTR and IDTR
 * are undefined, so our own GDT is loaded first. The BSS is NOT zeroed here:
 * the loader must do it (mbinfo checks that it did).
 *
 * Header flags: bit 0 (page-align modules), bit 1 (memory information);
 * built with -DMBK_AOUT also bit 16 and the a.out-kludge address fields
 * (from the linker script), for the flat-binary kernel.
 *
 * GDT: 0x08 code32, 0x10 data32.
 */

#define MB_MAGIC 0x1BADB002
#ifdef MBK_AOUT
#define MB_FLAGS 0x00010003
#else
#define MB_FLAGS 0x00000003
#endif

        .section .multiboot, "a"
        .balign 4
        .globl mb_header
mb_header:
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)
#ifdef MBK_AOUT
        .long mb_header                 /* header_addr */
        .long __kernel_start            /* load_addr */
        .long __load_end                /* load_end_addr */
        .long __bss_end                 /* bss_end_addr */
        .long _start                    /* entry_addr */
#endif

        .text
        .code32
        .globl _start
_start:
        cli
        cld
        mov     %eax, mb_magic
        mov     %ebx, mb_info_addr
        lgdt    gdt_ptr
        ljmp    $0x08, $1f
1:      mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %fs
        mov     %eax, %gs
        mov     %eax, %ss
        mov     $stack_top, %esp
        xor     %ebp, %ebp
        pushl   $0x2                    /* EFLAGS: IF=0, DF=0, AC=0 */
        popfl
        call    rt_start                /* does not return */
2:      cli
        hlt
        jmp     2b

/* ------------------------------------------------------------ IDT stubs */
/* Every vector gets a stub pushing (error code or 0) and the vector; the
 * addresses are collected in idt_stubs[256] for rt.c. */
.macro STUB n
        .balign 4
1:
.if (\n == 8) || (\n == 10) || (\n == 11) || (\n == 12) || (\n == 13) || (\n == 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
        pushl   $\n
.else
        pushl   $0
        pushl   $\n
.endif
        jmp     trap_common
        .pushsection .rodata.idt_stubs, "a"
        .long   1b
        .popsection
.endm

        .pushsection .rodata.idt_stubs, "a"
        .balign 4
        .globl idt_stubs
idt_stubs:
        .popsection

.altmacro
.macro STUBS from, to
        STUB    %from
.if \to-\from
        STUBS   %(from+1), \to
.endif
.endm
        STUBS   0, 63
        STUBS   64, 127
        STUBS   128, 191
        STUBS   192, 255
.noaltmacro

/* Stack at trap_common: vector, error, EIP, CS, EFLAGS. */
trap_common:
        pushal
        cld
        push    %esp                    /* struct trap_frame * */
        call    rt_trap
        add     $4, %esp
        popal
        add     $8, %esp
        iret

/* ------------------------------------------------ exception-safe accesses */
/* The trap handler sees recover_ip != 0 on an exception (vectors 0-31),
 * stores the vector in fault_vec and resumes at recover_ip. */
#define TRY(label)      movl $NOFAULT_V, fault_vec; movl $label, recover_ip
#define NOFAULT_V       -1

/* int rdmsr_safe(u32 msr, u64 *val) */
        .globl rdmsr_safe
rdmsr_safe:
        mov     4(%esp), %ecx
        TRY(1f)
        rdmsr
        movl    $0, recover_ip
        mov     8(%esp), %ecx
        mov     %eax, (%ecx)
        mov     %edx, 4(%ecx)
1:      mov     fault_vec, %eax
        ret

/* int wrmsr_safe(u32 msr, u64 val) */
        .globl wrmsr_safe
wrmsr_safe:
        mov     4(%esp), %ecx
        mov     8(%esp), %eax
        mov     12(%esp), %edx
        TRY(1f)
        wrmsr
        movl    $0, recover_ip
1:      mov     fault_vec, %eax
        ret

/* int read32_safe(u32 addr, u32 *val) */
        .globl read32_safe
read32_safe:
        mov     4(%esp), %ecx
        TRY(1f)
        mov     (%ecx), %eax
        movl    $0, recover_ip
        mov     8(%esp), %ecx
        mov     %eax, (%ecx)
1:      mov     fault_vec, %eax
        ret

/* int write32_safe(u32 addr, u32 val) */
        .globl write32_safe
write32_safe:
        mov     4(%esp), %ecx
        mov     8(%esp), %eax
        TRY(1f)
        mov     %eax, (%ecx)
        movl    $0, recover_ip
1:      mov     fault_vec, %eax
        ret

/* int ud2_safe(void): the runtime's own recovery self-test. */
        .globl ud2_safe
ud2_safe:
        TRY(1f)
        ud2
        movl    $0, recover_ip
1:      mov     fault_vec, %eax
        ret

/* ------------------------------------------------------------------ data */
        .data
        .balign 8
gdt:    .quad   0
        .quad   0x00cf9a000000ffff      /* 0x08: code32, flat */
        .quad   0x00cf92000000ffff      /* 0x10: data32, flat */
gdt_end:
        .balign 4
        .word   0
gdt_ptr:
        .word   gdt_end - gdt - 1
        .long   gdt

        /* Saved in .data, not .bss: the BSS is checked to be zero. */
        .globl mb_magic, mb_info_addr, recover_ip, fault_vec
        .balign 4
mb_magic:       .long 0
mb_info_addr:   .long 0
recover_ip:     .long 0
fault_vec:      .long -1

        .section .bss.stack, "aw", @nobits
        .balign 16
        .globl stack_bottom, stack_top
stack_bottom:
        .skip   16384
stack_top:

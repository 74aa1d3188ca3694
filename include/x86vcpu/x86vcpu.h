/* x86vcpu — Intel VMX virtual CPUs for an embedding hypervisor.
 *
 * Public API. Every exported symbol starts with x86vcpu_ (types, functions)
 * or X86VCPU_ (constants); the functions are marked X86VCPU_API. Names with
 * a double underscore (x86vcpu__) are the library's own, except the two raw
 * VMCS accessors behind the x86vcpu_vmcs_read and _write macros below. The
 * library is freestanding: it allocates only through the HAL below and keeps
 * no global mutable state; per-CPU state lives in an x86vcpu_cpu record the
 * embedder owns.
 *
 * Life of a vCPU:
 *   x86vcpu_cpu_enable(cpu, hal)            once per physical CPU (VMXON)
 *   x86vcpu_vcpu_create(cpu, &vcpu)         VMCS, bitmaps, record (a VM of its own)
 *     or x86vcpu_vm_create(cpu, &vm) once, then x86vcpu_vcpu_create_in(vm, cpu, &vcpu)
 *   x86vcpu_vcpu_setup(vcpu, &setup)        guest start state, EPT root, entry
 *   x86vcpu_vcpu_bind(vcpu, cpu)            VMPTRLD + host state on this CPU
 *   x86vcpu_vcpu_run(vcpu, &exit) ...       VMLAUNCH/VMRESUME until an exit for
 *                                           the embedder; call again to go on
 *   x86vcpu_vcpu_unbind(vcpu)               VMCLEAR (then bind elsewhere: migration)
 *   x86vcpu_vcpu_destroy(vcpu)
 *   x86vcpu_cpu_disable(cpu)                VMXOFF
 */
#ifndef X86VCPU_X86VCPU_H
#define X86VCPU_X86VCPU_H

#include <stdint.h>
#include <stddef.h>
#include <x86vcpu/version.h>
#include <x86vcpu/vmcs_fields.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the library's API: built with -fvisibility=hidden, the archive
 * exports these functions and nothing else (tools/check-lib.sh). */
#if defined(__GNUC__) || defined(__clang__)
#define X86VCPU_API __attribute__((visibility("default")))
#else
#define X86VCPU_API
#endif

/* ---------------------------------------------------------------- errors */
enum x86vcpu_error {
    X86VCPU_OK = 0,
    X86VCPU_EINVAL = -1,        /* bad argument */
    X86VCPU_ESTATE = -2,        /* call not valid in the object's current state */
    X86VCPU_ENOMEM = -3,        /* the HAL had no frame */
    X86VCPU_ENOVMX = -4,        /* CPUID.1:ECX.VMX[5] = 0 */
    X86VCPU_EVMXLOCKED = -5,    /* IA32_FEATURE_CONTROL locked with VMX-outside-SMX off */
    X86VCPU_EVMXBASIC = -6,     /* IA32_VMX_BASIC: region size/type/width unusable */
    X86VCPU_EFIXEDCR = -7,      /* CR0/CR4 cannot satisfy the VMX fixed bits */
    X86VCPU_EVMFAILINVALID = -8,/* VMX instruction failed, no current VMCS */
    X86VCPU_EVMFAILVALID = -9,  /* VMX instruction failed: see x86vcpu_vcpu_vm_error() */
    X86VCPU_ECTLS = -10,        /* a required VMX control is not supported */
    X86VCPU_EHOSTSTATE = -11,   /* host state unusable for VM exits (e.g. TR = 0) */
    X86VCPU_EPENDING = -12,     /* an exit awaits completion (e.g. an IN's value) */
    X86VCPU_EBUSY = -13,        /* VMX already on / vCPU bound elsewhere */
    X86VCPU_ENOTSUP = -14,      /* the CPU lacks a needed feature */
};
/* Name of an x86vcpu_error ("EINVAL", ...); never NULL. */
X86VCPU_API const char *x86vcpu_strerror(int err);

/* -------------------------------------------------------------------- HAL */
/* Supplied by the embedder. All callbacks get `ctx` back. */
struct x86vcpu_hal {
    void *ctx;
    /* Allocate one zeroed, 4 KiB-aligned 4 KiB frame; return its physical
     * address, or 0 when out of memory. */
    uint64_t (*alloc_frame)(void *ctx);
    void (*free_frame)(void *ctx, uint64_t pa);
    void *(*phys_to_virt)(void *ctx, uint64_t pa);
    uint64_t (*virt_to_phys)(void *ctx, const void *va);
    /* Optional log sink (may be NULL): one NUL-terminated line, no newline. */
    void (*log)(void *ctx, const char *line);
};

/* --------------------------------------------------------- per-CPU record */
/* VMX capabilities as read from the capability MSRs (SDM Appendix A). */
struct x86vcpu_caps {
    uint64_t basic;                     /* IA32_VMX_BASIC */
    uint64_t pinbased, procbased, exit, entry; /* TRUE_* when BASIC[55] */
    uint64_t procbased2;                /* 0 when secondary controls are absent */
    uint64_t misc;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t ept_vpid;                  /* 0 when neither EPT nor VPID */
};

/* Owned by the embedder, one per physical CPU; fields are private. */
struct x86vcpu_cpu {
    const struct x86vcpu_hal *hal;
    struct x86vcpu_caps caps;
    uint64_t vmxon_pa;
    uint64_t saved_cr0, saved_cr4;      /* restored by disable */
    struct x86vcpu_vcpu *current;       /* vCPU whose VMCS is current here */
    uint32_t enabled;
    uint32_t vm_error;                  /* last VM-instruction error */
    uint64_t host_fpu_pa;               /* the host's x87/SSE/AVX... while a guest's is loaded */
    void *host_fpu;                     /* its virtual address */
    uint32_t xsave_size;                /* bytes of an XSAVE area for all host features; 0: FXSAVE */
    uint32_t pad;
};

X86VCPU_API int x86vcpu_cpu_enable(struct x86vcpu_cpu *cpu, const struct x86vcpu_hal *hal);
X86VCPU_API int x86vcpu_cpu_disable(struct x86vcpu_cpu *cpu);

/* ------------------------------------------------------------------- vCPU */
struct x86vcpu_vcpu; /* opaque; lives in one HAL frame */

enum x86vcpu_mode {
    X86VCPU_MODE_REAL = 0,  /* CR0.PE = 0 (needs unrestricted guest); CS:IP from entry */
    X86VCPU_MODE_PROT32,    /* CR0.PE = 1, paging off, flat 4 GiB segments */
    X86VCPU_MODE_LONG64,    /* CR0.PG, CR4.PAE, EFER.LME/LMA, flat; cr3 from setup */
};

/* Setup flags. */
#define X86VCPU_SETUP_EXIT_ON_EXTINT   (1u << 0) /* external interrupts exit (acknowledged) */
#define X86VCPU_SETUP_NO_VPID          (1u << 1)
/* The syscall MSRs (STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE, TSC_AUX)
 * are the guest's own by default, switched at run() entry and return when
 * guest and host values differ. With this flag they are left alone: their
 * RDMSR/WRMSR exits go to the embedder like any other MSR. */
#define X86VCPU_SETUP_SHARE_SYSCALL_MSRS (1u << 2)

/* ------------------------------------------------------------------ EPT */
/* A guest-physical address space built by the library (SDM 29.3): tables
 * from HAL frames, 1 GiB / 2 MiB / 4 KiB pages chosen by alignment, large
 * pages split when a change cuts through one. Changes that remove or
 * reduce access invalidate this CPU's cached translations (INVEPT); other
 * CPUs running the same EPT must be told by the embedder. */
#define X86VCPU_EPT_R 1u
#define X86VCPU_EPT_W 2u
#define X86VCPU_EPT_X 4u
#define X86VCPU_EPT_RWX 7u
/* Memory types (SDM 12.3, 29.3.7). */
#define X86VCPU_MT_UC 0u
#define X86VCPU_MT_WC 1u
#define X86VCPU_MT_WT 4u
#define X86VCPU_MT_WP 5u
#define X86VCPU_MT_WB 6u
#define X86VCPU_EPT_AD (1u << 0)   /* create: use accessed/dirty flags if the CPU has them */
struct x86vcpu_ept; /* opaque; lives in one HAL frame */
X86VCPU_API int x86vcpu_ept_create(struct x86vcpu_cpu *cpu, uint32_t flags,
                                   struct x86vcpu_ept **out);
/* The permissions bind the library too: what it reads or writes for the
 * guest (MMIO instruction fetch and MOVS operands, string I/O, the A/D
 * flags of the guest's page walks) needs R, W or X as the CPU's access
 * would, or becomes that access's EPT violation (in an MMIO range: an MMIO
 * access). Memory mapped with a type other than WB (a device) gets one
 * access of the element's width from it, never a byte copy.
 * X86VCPU_EINVAL for what would be an EPT misconfiguration: write without
 * read, execute-only without the CPU's support, memory type 2, 3 or 7;
 * and for a host range that wraps around. */
X86VCPU_API int x86vcpu_ept_map(struct x86vcpu_ept *ept, uint64_t gpa, uint64_t hpa, uint64_t size,
                                uint32_t perms, uint32_t memtype);
/* Tables left mapping nothing are freed: moving a mapping around does not
 * grow them. */
X86VCPU_API int x86vcpu_ept_unmap(struct x86vcpu_ept *ept, uint64_t gpa, uint64_t size);
X86VCPU_API int x86vcpu_ept_protect(struct x86vcpu_ept *ept, uint64_t gpa, uint64_t size,
                                    uint32_t perms);
/* 0 with the host-physical address and permissions, or X86VCPU_EINVAL. */
X86VCPU_API int x86vcpu_ept_translate(const struct x86vcpu_ept *ept, uint64_t gpa, uint64_t *hpa,
                                      uint32_t *perms);
/* The EPT pointer to run guests on it (walk length, WB, A/D as created). */
X86VCPU_API uint64_t x86vcpu_ept_pointer(const struct x86vcpu_ept *ept);
/* Frames holding tables right now (root included). */
X86VCPU_API uint32_t x86vcpu_ept_table_frames(const struct x86vcpu_ept *ept);
/* INVEPTs issued for this EPT so far. */
X86VCPU_API uint32_t x86vcpu_ept_flushes(const struct x86vcpu_ept *ept);
X86VCPU_API int x86vcpu_ept_destroy(struct x86vcpu_ept *ept);
/* Make [gpa, gpa + size) MMIO: unmapped, and guest accesses there come
 * back from run as X86VCPU_EXIT_MMIO (the instruction decoded by the
 * library) for vCPUs set up with this EPT. Up to 16 ranges. */
#define X86VCPU_MMIO_RANGES 16
X86VCPU_API int x86vcpu_ept_add_mmio(struct x86vcpu_ept *ept, uint64_t gpa, uint64_t size);

struct x86vcpu_setup {
    uint32_t mode;          /* enum x86vcpu_mode */
    uint32_t flags;         /* X86VCPU_SETUP_* */
    uint64_t entry;         /* guest RIP (real mode: linear address < 1 MiB) */
    uint64_t rsp;
    uint64_t cr3;           /* LONG64 only: guest-physical PML4 */
    uint64_t ept_root;      /* host-physical EPT PML4 built by the embedder, or 0 with ept */
    struct x86vcpu_ept *ept;/* the library's EPT (takes precedence over ept_root) */
    uint16_t vpid;          /* nonzero: tag this vCPU's TLB entries (if the CPU has VPID) */
    uint16_t pad16[3];
    /* VMX-preemption timer: run returns X86VCPU_EXIT_TIME_SLICE after this
     * many timer ticks (TSC >> IA32_VMX_MISC[4:0]) of guest execution, then
     * re-arms. 0 = no time slice. On a CPU whose exits cannot save the
     * timer, a slice also ends after 1024 exits handled inside one run. */
    uint32_t time_slice;
    uint32_t pad;
    /* Optional, for vCPUs on an embedder-built EPT (ept_root): read
     * guest-physical memory (PAE PDPTEs when the library emulates a CR
     * write that loads them). Returns 0 on success; without it, or when it
     * fails, such a CR write gets #GP. With the library's EPT (ept) the
     * library reads them itself, through the EPT with its rights. */
    int (*read_gpa)(void *ctx, uint64_t gpa, void *buf, uint32_t len);
    void *read_gpa_ctx;
};

enum x86vcpu_gpr {
    X86VCPU_RAX, X86VCPU_RCX, X86VCPU_RDX, X86VCPU_RBX,
    X86VCPU_RSP, X86VCPU_RBP, X86VCPU_RSI, X86VCPU_RDI,
    X86VCPU_R8, X86VCPU_R9, X86VCPU_R10, X86VCPU_R11,
    X86VCPU_R12, X86VCPU_R13, X86VCPU_R14, X86VCPU_R15,
};

/* What x86vcpu_vcpu_run returns to the embedder. */
enum x86vcpu_exit_kind {
    X86VCPU_EXIT_NONE = 0,
    X86VCPU_EXIT_HYPERCALL,     /* VMCALL: nr = RAX, args RDI RSI RDX RCX R8 R9 */
    X86VCPU_EXIT_IO,            /* IN/OUT (non-string); reason EPT_VIOLATION when it is
                                 * the port half of an INS/OUTS on a port the guest
                                 * reaches directly, whose memory is MMIO */
    X86VCPU_EXIT_HLT,
    X86VCPU_EXIT_SHUTDOWN,      /* triple fault */
    X86VCPU_EXIT_ENTRY_FAILED,  /* VM entry failed: reason + qualification */
    X86VCPU_EXIT_EXTINT,        /* external interrupt (vector when acknowledged) */
    X86VCPU_EXIT_EPT_VIOLATION,
    X86VCPU_EXIT_MSR_READ,      /* RDMSR: complete with x86vcpu_complete_msr_read or _fault */
    X86VCPU_EXIT_MSR_WRITE,     /* WRMSR: complete with x86vcpu_complete_msr_write or _fault */
    X86VCPU_EXIT_TIME_SLICE,    /* the VMX-preemption timer expired; re-armed */
    X86VCPU_EXIT_EXCEPTION,     /* an exception in the exception bitmap */
    X86VCPU_EXIT_MMIO,          /* a read or write of an MMIO range: x86vcpu_complete_mmio */
    X86VCPU_EXIT_MMIO_UNSUPPORTED, /* an MMIO access by an instruction the library cannot emulate */
    X86VCPU_EXIT_NMI,           /* an NMI arrived for the host while the guest ran;
                                 * NMIs stay blocked on this CPU until the
                                 * embedder executes IRET (e.g. INT 2 to its
                                 * NMI handler) */
    X86VCPU_EXIT_OTHER,         /* any exit the library does not handle: raw reason */
    X86VCPU_EXIT_TASK_SWITCH,   /* a task switch the library does not emulate (to or from a
                                 * virtual-8086 task, or no library EPT): reason 9, the
                                 * qualification (SDM Table 28-2); RIP unchanged */
    X86VCPU_EXIT_WAIT_SIPI,     /* the virtual APIC took an INIT (an AP): the vCPU is in
                                 * its INIT state and waits for a SIPI; run returns this
                                 * at once, without entering the guest, until one comes
                                 * (x86vcpu_lapic_ipi_deliver). Reason 3 (INIT signal) */
};

struct x86vcpu_exit {
    uint32_t kind;              /* enum x86vcpu_exit_kind */
    uint32_t reason;            /* basic exit reason (bits 15:0), SDM Appendix C */
    uint64_t qualification;
    uint64_t rip;               /* guest RIP of the exiting instruction */
    uint32_t instr_len;         /* as the CPU reported it (0 when not given) */
    uint32_t pad;
    union {
        struct {
            uint64_t nr;        /* RAX */
            uint64_t args[6];   /* RDI RSI RDX RCX R8 R9 */
            uint32_t cpl;       /* the caller's privilege level (SS.DPL, SDM 5.5):
                                 * VMCALL exits at any CPL (SDM 26.1.2) */
        } hypercall;
        struct {
            uint16_t port;
            uint8_t size;       /* 1, 2 or 4 */
            uint8_t in;         /* 1 = IN: complete with x86vcpu_complete_io_in */
            uint32_t value;     /* OUT: the value written (low `size` bytes) */
            /* INS/OUTS: complete with x86vcpu_complete_string_io. */
            uint8_t string, rep;
            uint8_t df;         /* RFLAGS.DF: elements go downwards */
            uint8_t addr_size;  /* 2, 4 or 8 bytes */
            uint8_t seg;        /* 0 ES .. 5 GS (INS: always ES) */
            /* IN/OUT the port handler served and asked run() to return
             * (X86VCPU_PORT_SERVED_RETURN): done, nothing to complete. */
            uint8_t served;
            uint8_t pad2[2];
            uint32_t count;     /* elements to move now (REP: RCX under the address
                                 * size, at most 2^32 - 1; the rest exits again) */
            uint64_t gla;       /* guest-linear address of the first element */
        } io;
        struct {
            uint32_t reason;    /* basic reason: 33 guest state, 34 MSR load, 41 MCE */
            uint32_t pad;
            uint64_t qualification;
            const char *reason_name;
        } entry_failed;
        struct { uint32_t vector; uint32_t valid; } extint;
        struct {
            uint64_t gpa;
            uint64_t gla;           /* valid when gla_valid */
            uint8_t gla_valid;
            uint8_t access;         /* X86VCPU_EPT_R/W/X: what the guest tried */
            uint8_t entry_perms;    /* what the EPT entry allowed (R/W/X) */
            uint8_t paging_walk;    /* the access was to a guest paging-structure entry */
            uint8_t misconfig;      /* EPT misconfiguration (kind EPT_VIOLATION too) */
            uint8_t pad[3];
        } ept;
        struct { uint32_t index; uint32_t pad; uint64_t value; /* WRMSR: EDX:EAX */ } msr;
        struct {
            uint64_t gpa;
            uint64_t value;     /* write: the value (low `size` bytes) */
            uint8_t size;       /* 1, 2, 4 or 8 */
            uint8_t write;
            uint8_t insn_len;   /* MMIO_UNSUPPORTED: bytes fetched into insn */
            uint8_t insn[15];   /* MMIO_UNSUPPORTED: the instruction bytes */
            int32_t error;      /* MMIO_UNSUPPORTED: why (decoder/fetch code) */
        } mmio;
        struct {
            uint8_t vector;
            uint8_t has_err;
            uint16_t pad;
            uint32_t err;
            uint64_t info;      /* #PF: the faulting address (CR2); #DB: DR6 bits */
        } exception;
    } u;
};

/* A VM: what its vCPUs share (three HAL frames: the I/O bitmaps A and B
 * and the MSR bitmap; and one for the VM's record with its CPUID table).
 * Intercepts (x86vcpu_io_intercept, x86vcpu_msr_intercept) and the CPUID
 * policy (x86vcpu_cpuid_override, _set_vendor, _enable_feature,
 * _disable_feature) are the VM's: made through one vCPU, they apply to
 * all of its vCPUs, those created later included. What CPUID shows of one
 * vCPU's own state stays its own (APIC IDs, the APIC bit, OSXSAVE/OSPKE,
 * the XSAVE sizes, IA32_MISC_ENABLE[22], its TSC frequency). The embedder
 * makes these changes while no vCPU of the VM runs on another CPU.
 * x86vcpu_vcpu_create_in takes three frames (record, VMCS, XSAVE area);
 * x86vcpu_vcpu_create makes a VM for that vCPU alone (its bitmaps are its
 * own: seven frames), destroyed with it. A vCPU keeps its VM alive:
 * x86vcpu_vm_destroy returns X86VCPU_EBUSY while the VM has vCPUs. The
 * vCPUs of a VM are created with the same HAL, and not in the VM of an
 * x86vcpu_vcpu_create (else X86VCPU_EINVAL). */
struct x86vcpu_vm; /* opaque; lives in one HAL frame */
X86VCPU_API int x86vcpu_vm_create(struct x86vcpu_cpu *cpu, struct x86vcpu_vm **out);
X86VCPU_API int x86vcpu_vm_destroy(struct x86vcpu_vm *vm);
X86VCPU_API int x86vcpu_vcpu_create_in(struct x86vcpu_vm *vm, struct x86vcpu_cpu *cpu,
                                       struct x86vcpu_vcpu **out);
/* The VM a vCPU belongs to. */
X86VCPU_API struct x86vcpu_vm *x86vcpu_vcpu_vm(const struct x86vcpu_vcpu *v);
X86VCPU_API int x86vcpu_vcpu_create(struct x86vcpu_cpu *cpu, struct x86vcpu_vcpu **out);
X86VCPU_API int x86vcpu_vcpu_setup(struct x86vcpu_vcpu *v, const struct x86vcpu_setup *setup);
/* Bind also takes the host's syscall MSRs (STAR, LSTAR, CSTAR, FMASK,
 * TSC_AUX, XSS) as they are now on this CPU: run() restores those values,
 * without reading them again (KERNEL_GS_BASE, which the host's SWAPGS
 * changes, is read at every run()). An embedder that changes one of them
 * while bound calls x86vcpu_vcpu_host_msrs_changed (EINVAL/ESTATE: no
 * vCPU / not bound). */
X86VCPU_API int x86vcpu_vcpu_bind(struct x86vcpu_vcpu *v, struct x86vcpu_cpu *cpu);
X86VCPU_API int x86vcpu_vcpu_host_msrs_changed(struct x86vcpu_vcpu *v);
X86VCPU_API int x86vcpu_vcpu_unbind(struct x86vcpu_vcpu *v);
X86VCPU_API int x86vcpu_vcpu_destroy(struct x86vcpu_vcpu *v);
/* The guest's extended state (x87, SSE, AVX..., XCR0) is its own: by
 * default run() loads it on entry and puts the host's back before it
 * returns. With keep_xstate on, run() returns with the guest's still in
 * the registers and the next run() finds it there (no XSAVE/XRSTOR,
 * XGETBV, XSETBV per round trip). The embedder then must not execute
 * x87/SSE/AVX instructions, XSAVE, XRSTOR or XSETBV, nor rely on XCR0,
 * until x86vcpu_vcpu_put(v), which saves the guest's state and restores
 * the host's (a no-op when nothing is kept; unbind and keep_xstate(v, 0)
 * call it). Off by default. EINVAL: no vCPU. */
X86VCPU_API int x86vcpu_vcpu_keep_xstate(struct x86vcpu_vcpu *v, int on);
X86VCPU_API int x86vcpu_vcpu_put(struct x86vcpu_vcpu *v);

/* Enter the guest and handle built-in exits until one needs the embedder.
 * Returns X86VCPU_OK with *exit filled, or a negative error (VMfail: see
 * x86vcpu_vcpu_vm_error). The instruction of a HYPERCALL, IO or HLT exit is
 * completed (RIP advanced by the reported length) on the next run. */
X86VCPU_API int x86vcpu_vcpu_run(struct x86vcpu_vcpu *v, struct x86vcpu_exit *exit);

/* Complete an IN exit: the value goes to AL/AX/EAX as the instruction would. */
X86VCPU_API int x86vcpu_complete_io_in(struct x86vcpu_vcpu *v, uint32_t value);
/* Complete an MSR exit. An MSR exit left uncompleted when run is called
 * again gets #GP(0), as an MSR nobody implements would (SDM RDMSR/WRMSR). */
X86VCPU_API int x86vcpu_complete_msr_read(struct x86vcpu_vcpu *v, uint64_t value);
X86VCPU_API int x86vcpu_complete_msr_write(struct x86vcpu_vcpu *v);
X86VCPU_API int x86vcpu_complete_msr_fault(struct x86vcpu_vcpu *v);

/* Intercepts. By default every port and every MSR exits. Passing an MSR
 * through is only allowed for MSRs in the bitmap's two ranges
 * (0-0x1fff, 0xc0000000-0xc0001fff); others always exit (X86VCPU_EINVAL).
 * The bitmaps are the VM's: a change applies to every vCPU of the VM. */
X86VCPU_API int x86vcpu_io_intercept(struct x86vcpu_vcpu *v, uint16_t port, uint32_t count,
                                     int intercept);
X86VCPU_API int x86vcpu_msr_intercept(struct x86vcpu_vcpu *v, uint32_t msr, int read, int write);

/* Complete an INS/OUTS exit after moving `done` (<= count) elements
 * between the port and guest memory at io.gla: RSI/RDI (and RCX for REP)
 * advance as the CPU would. The instruction completes when nothing is left;
 * otherwise it executes again for the rest (SDM 26.1.3, REP semantics). */
X86VCPU_API int x86vcpu_complete_string_io(struct x86vcpu_vcpu *v, uint32_t done);

/* Or let the library serve an INS/OUTS exit (instead of
 * x86vcpu_complete_string_io): it moves the elements between guest memory
 * and the port, calling port(ctx, port, size, in, &value) once per element
 * (IN: store the value read; OUT: value holds the element; return 0, or
 * nonzero to stop before this element). Guest memory is reached as the CPU
 * would: the instruction's segment (limit and rights: #GP(0)/#SS(0)), the
 * guest's page tables (#PF with error code and CR2, A/D flags set) and the
 * EPT with its permissions. One call moves at most the elements that start
 * in one page, and at most X86VCPU_STRING_IO_MAX; RSI/RDI/RCX advance by
 * what moved and the instruction runs again for the rest (REP semantics,
 * SDM 26.1.3). Returns X86VCPU_OK; or 1 when an element lies in
 * guest-physical memory that is not RAM with the needed rights (unmapped,
 * read-only for INS): *exit then holds that EPT violation, as the CPU's own
 * access would have exited, for the embedder to handle. An element in an
 * MMIO range (within one page) returns 1 with *exit an X86VCPU_EXIT_MMIO of
 * that element, completed with x86vcpu_complete_mmio like any: INS has read
 * the port already (the exit writes its value to the device); OUTS reads
 * the device, and the next run returns the element as a plain OUT
 * X86VCPU_EXIT_IO (u.io.string = 0) without entering the guest. */
#define X86VCPU_STRING_IO_MAX 4096
typedef int (*x86vcpu_port_fn)(void *ctx, uint16_t port, uint32_t size, int in,
                               uint32_t *value);
X86VCPU_API int x86vcpu_string_io(struct x86vcpu_vcpu *v, struct x86vcpu_exit *exit,
                                  x86vcpu_port_fn port, void *ctx);

/* A port handler inside run(), as KVM's in-kernel devices: an IN/OUT exit
 * (not INS/OUTS) of a port the I/O bitmap intercepts calls
 * fn(ctx, port, size, in, &value) (OUT: value holds the low size bytes
 * written; IN: store what the port gives) before run() would return. It
 * returns one of:
 *  - X86VCPU_PORT_SERVED: done; an IN's value goes to AL/AX/EAX as the
 *    instruction would put it, RIP advances, and the guest goes on without
 *    run() returning (no extended-state or MSR switch: docs/PERF.md);
 *  - X86VCPU_PORT_DECLINED (any other value): run() returns the exit as
 *    X86VCPU_EXIT_IO, as without a handler; the handler is not called for
 *    it again;
 *  - X86VCPU_PORT_SERVED_RETURN: done as SERVED, and run() returns it as
 *    X86VCPU_EXIT_IO with u.io.served = 1 (nothing to complete): for a
 *    device that needs the embedder's loop next (the VM ended, a timer to
 *    arm).
 * The handler runs in root mode inside run(): the guest's extended state,
 * XCR0, syscall MSRs and debug registers are loaded (no x87/SSE/AVX,
 * XSAVE, XSETBV, SYSCALL or SWAPGS in it; a page fault's CR2 is put back
 * for the guest), and host interrupts may be masked. It may queue events
 * (x86vcpu_queue_*, x86vcpu_lapic_set_irq), read and write the guest's
 * registers, and change the EPT; run, setup, bind, unbind, destroy, put
 * and keep_xstate return X86VCPU_ESTATE from inside it. fn NULL removes
 * it. EINVAL: no vCPU; ESTATE: called from inside a handler. */
#define X86VCPU_PORT_SERVED        0
#define X86VCPU_PORT_DECLINED      1
#define X86VCPU_PORT_SERVED_RETURN 2
X86VCPU_API int x86vcpu_set_port_handler(struct x86vcpu_vcpu *v, x86vcpu_port_fn fn, void *ctx);

/* Invalidate the vCPU's cached linear translations (INVVPID single-context,
 * or all-context when that is the only type; nothing to do without VPID,
 * every VM entry and exit then flushes them). */
X86VCPU_API int x86vcpu_vcpu_flush_tlb(struct x86vcpu_vcpu *v);

/* After the embedder removed or restricted EPT mappings: invalidate the
 * vCPU's cached guest-physical translations (INVEPT single-context, or
 * all-context when that is the only type the CPU has; SDM 29.4.3.1). */
X86VCPU_API int x86vcpu_vcpu_flush_ept(struct x86vcpu_vcpu *v);

/* CPUID policy. An override changes one leaf (subleaf, or
 * X86VCPU_CPUID_ANY_SUBLEAF for all) after the built-in adjustments:
 * reg = (reg & ~clear[i]) | set[i] for EAX, EBX, ECX, EDX. It wins over
 * everything else; set and clear all zero removes it. There are no
 * default entries: what is hidden is the allow-list's (docs/CPUID.md), and
 * an override can show a bit it hides. X86VCPU_ENOMEM when the table is
 * full. The policy is the VM's (overrides, vendor, features): a change
 * applies to every vCPU of the VM. */
#define X86VCPU_CPUID_ANY_SUBLEAF 0xffffffffu
X86VCPU_API int x86vcpu_cpuid_override(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                                       const uint32_t set[4], const uint32_t clear[4]);
/* The 12-byte signature of CPUID leaf 0x40000000 (EBX, ECX, EDX). */
X86VCPU_API int x86vcpu_cpuid_set_vendor(struct x86vcpu_vcpu *v, const char vendor[12]);

/* Named CPUID features (docs/CPUID.md has every bit). By default a guest
 * sees only what the library virtualizes; a hidden feature is absent: its
 * CPUID bits read 0, its MSRs #GP (the library answers them) and its
 * instructions #UD wherever a VMX control allows. An embedder that backs
 * one (say, passes the perf MSRs through) turns it on by name. Call before
 * x86vcpu_vcpu_setup (the VMX controls follow the set then): afterwards
 * X86VCPU_ESTATE (after any vCPU of the VM was set up); X86VCPU_EINVAL
 * for an unknown feature. The host must
 * have the feature for its CPUID bits to show. */
enum x86vcpu_feature {
    X86VCPU_FEAT_PMU = 0,       /* architectural PMU: leaf 0xA, PDCM, RDPMC, perf MSRs (off) */
    X86VCPU_FEAT_DS,            /* debug store, DTES64, DS-CPL, BTS/PEBS, IA32_DS_AREA (off) */
    X86VCPU_FEAT_PT,            /* Intel PT: 7.0:EBX[25], leaf 0x14, RTIT MSRs (off) */
    X86VCPU_FEAT_THERMAL,       /* leaf 6 (but ARAT), ACPI, TM, TM2, EST, PBE, their MSRs (off) */
    X86VCPU_FEAT_MONITOR,       /* MONITOR/MWAIT, leaf 5: run natively when on (off) */
    X86VCPU_FEAT_RDTSCP,        /* RDTSCP, RDPID, IA32_TSC_AUX (on) */
    X86VCPU_FEAT_INVPCID,       /* INVPCID (on) */
    X86VCPU_FEAT_XSAVES,        /* XSAVES/XRSTORS, IA32_XSS (on) */
    X86VCPU_FEAT_RDRAND,        /* RDRAND (on) */
    X86VCPU_FEAT_RDSEED,        /* RDSEED (on) */
    X86VCPU_FEAT_APIC,          /* the embedder's local APIC, IA32_APIC_BASE (on) */
    X86VCPU_FEAT_X2APIC,        /* x2APIC MSRs 0x800-0x8ff (on) */
    X86VCPU_FEAT_TSC_DEADLINE,  /* IA32_TSC_DEADLINE (on) */
    X86VCPU_FEAT_COUNT
};
X86VCPU_API int x86vcpu_cpuid_enable_feature(struct x86vcpu_vcpu *v, enum x86vcpu_feature f);
X86VCPU_API int x86vcpu_cpuid_disable_feature(struct x86vcpu_vcpu *v, enum x86vcpu_feature f);

/* Event injection. Events are delivered at VM entries in the SDM's priority
 * order: an event whose delivery was interrupted by the last VM exit (IDT-
 * vectoring information) first, then exceptions (queue order), then NMIs,
 * then external interrupts (queue order), then the INTR line's
 * (x86vcpu_set_intr_line), then the virtual local APIC's.
 *  - An external interrupt waits for RFLAGS.IF = 1 and no STI/MOV-SS
 *    blocking (interrupt-window exiting, SDM 26.7.5).
 *  - An NMI waits for no NMI/STI/MOV-SS blocking (NMI-window exiting, with
 *    virtual NMIs).
 *  - An exception queued while an exception's delivery was interrupted is
 *    combined per SDM Table 6-5: #DF, or a triple fault (run returns
 *    X86VCPU_EXIT_SHUTDOWN).
 * X86VCPU_EBUSY when a queue is full. */
#define X86VCPU_EVENT_QUEUE 16
X86VCPU_API int x86vcpu_queue_interrupt(struct x86vcpu_vcpu *v, uint8_t vector);
X86VCPU_API int x86vcpu_queue_nmi(struct x86vcpu_vcpu *v);
/* Hardware exception; has_err selects whether err is pushed (ignored in
 * real mode, where no error code is pushed) and must be 1 exactly for the
 * vectors that have one (#DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP; SDM 6.13),
 * else X86VCPU_EINVAL. For #PF give the faulting address in cr2 (loaded
 * into CR2 before the entry); 0 otherwise. */
X86VCPU_API int x86vcpu_queue_exception(struct x86vcpu_vcpu *v, uint8_t vector, int has_err,
                                        uint32_t err, uint64_t cr2);
/* INT n (software interrupt) as if executed by an instruction of
 * instr_len bytes at the current RIP: the pushed return address is past it. */
X86VCPU_API int x86vcpu_queue_soft_interrupt(struct x86vcpu_vcpu *v, uint8_t vector,
                                             uint32_t instr_len);
/* INT3 (#BP, vector 3) or INTO (#OF, vector 4) the same way. */
X86VCPU_API int x86vcpu_queue_soft_exception(struct x86vcpu_vcpu *v, uint8_t vector,
                                             uint32_t instr_len);
/* Events queued and not yet delivered. */
X86VCPU_API uint32_t x86vcpu_pending_events(const struct x86vcpu_vcpu *v);

/* The CPU's INTR pin, driven by the embedder's external interrupt
 * controller (an 8259 pair): the CPU samples it at instruction boundaries
 * and runs the INTA cycle only when it takes the interrupt (SDM 6.8.1,
 * 11.5.1 ExtINT). At each VM entry, when no other event is injected
 * (re-injection, exceptions, NMIs and x86vcpu_queue_interrupt's vectors
 * come first, SDM 6.9) and pending(ctx) says the line is up:
 *  - with RFLAGS.IF = 1 and no STI/MOV-SS blocking, ack(ctx) is called
 *    (the INTA cycle: the vector 0-255, or -1 when the request went away:
 *    nothing is injected) and the vector injected at this entry;
 *  - otherwise interrupt-window exiting is armed and its exit handled
 *    inside run (ack and inject then; never returned to the embedder), so
 *    a guest's "sti; nop; cli" takes it as a CPU would.
 * With the virtual local APIC (x86vcpu_lapic_enable) the line reaches the
 * CPU only through LINT0 in ExtINT mode or with the APIC disabled
 * (x86vcpu_lapic_accepts_extint); the ExtINT then goes before the APIC's
 * own vectors, bypassing its IRR, ISR and TPR (as KVM's
 * kvm_cpu_get_interrupt). pending is asked once per entry; the run loop
 * never waits on it. l = NULL removes the line. X86VCPU_EINVAL without
 * pending or ack. */
struct x86vcpu_intr_line {
    int (*pending)(void *ctx);  /* nonzero: INTR is asserted now */
    int (*ack)(void *ctx);      /* INTA: the vector, or -1 */
    void *ctx;
};
X86VCPU_API int x86vcpu_set_intr_line(struct x86vcpu_vcpu *v, const struct x86vcpu_intr_line *l);

/* External interrupts arriving while the guest runs: exit to the embedder
 * with the vector acknowledged (X86VCPU_EXIT_EXTINT; the embedder handles
 * it and EOIs) when on, or go straight to the guest's IDT when off. The
 * initial choice is X86VCPU_SETUP_EXIT_ON_EXTINT. */
X86VCPU_API int x86vcpu_set_extint_exiting(struct x86vcpu_vcpu *v, int on);

/* Change the time slice (setup.time_slice, in VMX-preemption timer ticks;
 * 0 = none) from the next entry on, e.g. to have exits only while an
 * emulated device has a timed event coming. The vCPU must be bound here,
 * and the preemption timer in use since setup (a time slice or the virtual
 * LAPIC), else X86VCPU_ESTATE; 0 needs the virtual LAPIC (X86VCPU_EINVAL).
 * A new slice starts in full. */
X86VCPU_API int x86vcpu_set_time_slice(struct x86vcpu_vcpu *v, uint32_t ticks);

/* Exceptions whose vector bit is set exit to the embedder
 * (X86VCPU_EXIT_EXCEPTION) instead of reaching the guest's IDT. */
X86VCPU_API int x86vcpu_set_exception_bitmap(struct x86vcpu_vcpu *v, uint32_t bitmap);

/* Complete an MMIO exit: for a read, the value read from the device (low
 * `size` bytes). The library finishes the instruction as the CPU would
 * (zero/sign extension, flags, string registers); a read-modify-write
 * instruction then comes back as an MMIO write exit on the next run. */
X86VCPU_API int x86vcpu_complete_mmio(struct x86vcpu_vcpu *v, uint64_t read_value);

/* Complete a hypercall: the value goes to RAX. */
X86VCPU_API int x86vcpu_set_hypercall_result(struct x86vcpu_vcpu *v, uint64_t value);

/* Resume the guest halted: the next VM entry leaves it in the HLT activity
 * state, so the CPU waits in VMX non-root operation for what wakes a halted
 * processor (an unmasked external interrupt, through the guest's IDT when
 * external interrupts do not exit; an NMI; ...), while the preemption timer
 * keeps counting. Call it at an HLT exit (RIP still moves past the HLT) to
 * let the guest wait "the way a PC would". An event the library injects
 * wakes it. X86VCPU_ENOTSUP without the HLT state (IA32_VMX_MISC[6]). */
X86VCPU_API int x86vcpu_halt(struct x86vcpu_vcpu *v);

/* The guest's RIP and RFLAGS (the vCPU must be bound to this CPU). */
X86VCPU_API int x86vcpu_get_rip(struct x86vcpu_vcpu *v, uint64_t *rip);
X86VCPU_API int x86vcpu_get_rflags(struct x86vcpu_vcpu *v, uint64_t *rflags);

X86VCPU_API uint64_t x86vcpu_get_gpr(const struct x86vcpu_vcpu *v, enum x86vcpu_gpr r);
X86VCPU_API void x86vcpu_set_gpr(struct x86vcpu_vcpu *v, enum x86vcpu_gpr r, uint64_t val);

/* Last VM-instruction error number (SDM 31.4) and its name. */
X86VCPU_API uint32_t x86vcpu_vcpu_vm_error(const struct x86vcpu_vcpu *v);
X86VCPU_API const char *x86vcpu_vm_error_name(uint32_t err);
X86VCPU_API const char *x86vcpu_exit_reason_name(uint32_t reason);

/* Time (SDM 17.17, 26.3). The guest's TSC is the host's, scaled by a
 * multiplier ("use TSC scaling", only when it is not 1.0) plus an offset
 * ("use TSC offsetting"): RDTSC, RDTSCP and RDMSR of IA32_TSC do not exit.
 * Guest WRMSR of IA32_TSC sets the guest's TSC and moves its
 * IA32_TSC_ADJUST by the same amount, WRMSR of IA32_TSC_ADJUST moves the
 * TSC (SDM 17.17.3); TSC_ADJUST #GPs unless the guest's CPUID.(7,0):EBX[1]
 * shows it. The host's TSC and TSC_ADJUST are never written; writes of
 * IA32_TSC and all TSC_ADJUST accesses exit whatever x86vcpu_msr_intercept
 * says. These calls work before setup (the values are written then) or on
 * a vCPU bound to this CPU (X86VCPU_ESTATE otherwise); X86VCPU_ENOTSUP when
 * the CPU lacks the control needed.
 * - set/get_guest_tsc: what the guest's RDTSC reads now (moves the offset;
 *   the guest's TSC_ADJUST stays, as for KVM's host-initiated writes).
 * - set/get_tsc_offset: the raw offset.
 * - set_tsc_khz: the host's TSC frequency (the library cannot measure
 *   time: the embedder calibrates it, or knows it) and the guest's (0: the
 *   host's). A different guest frequency uses TSC scaling; the guest's TSC
 *   goes on from its current value at the new rate. Once given, the guest
 *   finds its frequency in CPUID 0x15 (EAX = 1, EBX = kHz, ECX = 1000:
 *   ECX * EBX / EAX Hz) and 0x16 (MHz) where its CPUID reaches them, and in
 *   the timing leaf 0x40000010 (EAX = TSC kHz, EBX = 0: APIC bus unknown),
 *   VMware's and KVM's convention. get_tsc_khz gives 0s before. */
X86VCPU_API int x86vcpu_set_guest_tsc(struct x86vcpu_vcpu *v, uint64_t tsc);
X86VCPU_API int x86vcpu_get_guest_tsc(const struct x86vcpu_vcpu *v, uint64_t *tsc);
X86VCPU_API int x86vcpu_set_tsc_offset(struct x86vcpu_vcpu *v, uint64_t offset);
X86VCPU_API int x86vcpu_get_tsc_offset(const struct x86vcpu_vcpu *v, uint64_t *offset);
X86VCPU_API int x86vcpu_set_tsc_khz(struct x86vcpu_vcpu *v, uint32_t host_khz, uint32_t guest_khz);
X86VCPU_API int x86vcpu_get_tsc_khz(const struct x86vcpu_vcpu *v, uint32_t *host_khz,
                                    uint32_t *guest_khz);
/* The multiplier in use: fixed point, 48 fractional bits (1 << 48 = 1.0). */
X86VCPU_API int x86vcpu_get_tsc_multiplier(const struct x86vcpu_vcpu *v, uint64_t *multiplier);
/* The host TSC value at which the guest's TSC reaches guest_tsc (never
 * earlier; the host's TSC now when it already has): for an embedder that
 * arms a host timer for the guest's IA32_TSC_DEADLINE, which the CPU
 * compares with the host's TSC, neither offset nor scaled. ~0 beyond 2^64. */
X86VCPU_API int x86vcpu_guest_tsc_to_host(const struct x86vcpu_vcpu *v, uint64_t guest_tsc,
                                          uint64_t *host_tsc);

/* Virtual local APIC (docs/VLAPIC.md; src/vmx/lapic.c), off by default.
 * x86vcpu_lapic_enable, before x86vcpu_vcpu_setup, gives the vCPU its own
 * APIC: a HAL frame for its registers (also the VMCS virtual-APIC page)
 * and, unless X86VCPU_LAPIC_SOFT, one for the APIC-access page. Its MSRs
 * (IA32_APIC_BASE, IA32_TSC_DEADLINE, 800H-8FFH) are its own:
 * x86vcpu_msr_intercept refuses to open them. The xAPIC page lives in the
 * library's EPT (setup.ept): an MMIO range handled inside run, or, with
 * the CPU's assists, the APIC-access page ("virtualize APIC accesses",
 * APIC-register virtualization); in x2APIC mode "virtualize x2APIC mode".
 * CR8 is its TPR (the TPR shadow where the CPU has it). Its timer runs on
 * the VMX-preemption timer (required: X86VCPU_ECTLS without it), the
 * earlier of it and the time slice. Interrupts are injected when the guest
 * can take them (interrupt window otherwise), after the exceptions and
 * NMIs of the event queues; with external-interrupt exiting the CPU's
 * virtual-interrupt delivery does it. X86VCPU_LAPIC_SOFT forces the
 * software path (no assist but the VMX-preemption timer). */
struct x86vcpu_lapic_ipi {
    uint32_t dest;      /* x2APIC sender: 32 bits; xAPIC: ICR[63:56] */
    uint8_t vector;
    uint8_t mode;       /* 0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 6 SIPI */
    uint8_t shorthand;  /* 0 none, 1 self, 2 all including self, 3 all excluding self */
    uint8_t logical;    /* destination mode: 1 logical */
    uint8_t level;      /* 1 assert */
    uint8_t trigger;    /* 1 level-triggered */
    uint8_t x2apic;     /* sent in x2APIC mode */
    uint8_t pad;
};
#define X86VCPU_LAPIC_SOFT (1u << 0) /* no APIC assist of the CPU: the software path */
#define X86VCPU_LAPIC_BSP  (1u << 1) /* IA32_APIC_BASE.BSP */
/* At setup LINT0 is unmasked in ExtINT mode, the "virtual wire" a PC BIOS
 * leaves on the BSP (MP spec 1.4 3.6.2.2; QEMU's APIC reset and KVM's
 * LINT0_REENABLED quirk do the same), so the INTR line
 * (x86vcpu_set_intr_line) reaches a guest that never programs LINT0. */
#define X86VCPU_LAPIC_VIRTUAL_WIRE (1u << 2)
struct x86vcpu_lapic_config {
    uint32_t apic_id;   /* initial x2APIC ID (the xAPIC ID is its low 8 bits) */
    uint32_t tsc_khz;   /* guest TSC kHz; 0: x86vcpu_set_tsc_khz's, followed */
    uint32_t bus_khz;   /* the timer's input clock; 0: the TSC's */
    uint32_t flags;     /* X86VCPU_LAPIC_* */
    /* An ICR / SELF IPI write: route it (x86vcpu_lapic_ipi_match and
     * _ipi_deliver on each vCPU of the VM). NULL: the vCPU is alone, the
     * library delivers to itself what matches it. */
    void (*ipi)(void *ctx, struct x86vcpu_vcpu *from, const struct x86vcpu_lapic_ipi *ipi);
    /* EOI of a level-triggered vector (not suppressed): tell the I/O
     * APICs (SDM 11.8.5). May be NULL. */
    void (*eoi)(void *ctx, struct x86vcpu_vcpu *v, uint8_t vector);
    void *ctx;
};
X86VCPU_API int x86vcpu_lapic_enable(struct x86vcpu_vcpu *v, const struct x86vcpu_lapic_config *c);
/* An interrupt message (I/O APIC, MSI): fixed delivery of vector, edge
 * (level_trigger 0) or level. X86VCPU_ESTATE without a virtual APIC;
 * 1 when the APIC refused it (disabled, vector < 16). */
X86VCPU_API int x86vcpu_lapic_set_irq(struct x86vcpu_vcpu *v, uint8_t vector, int level_trigger);
/* The LINT0 (pin 0) or LINT1 (pin 1) pin asserts, through its LVT
 * (1: an ExtINT or SMI the embedder must do itself, or an INIT that
 * x86vcpu_lapic_ipi_deliver leaves to it). */
X86VCPU_API int x86vcpu_lapic_lint(struct x86vcpu_vcpu *v, unsigned pin);
/* Would the 8259's INTR be taken now (the APIC disabled, or LINT0
 * unmasked in ExtINT mode; SDM 11.4.3, 11.5.1)? The INTR line
 * (x86vcpu_set_intr_line) asks it at each entry. 0 without a virtual APIC. */
X86VCPU_API int x86vcpu_lapic_accepts_extint(const struct x86vcpu_vcpu *v);
/* For an ipi callback: is target a destination (from: the sender), and
 * deliver it there. The target need not be bound (it may be the sender,
 * or another vCPU of the VM); one running on another CPU must be kicked
 * by the embedder to see it. Returns:
 *  0  delivered: fixed / lowest priority into IRR (or refused by a
 *     disabled APIC), NMI queued; INIT to an AP: its next run applies
 *     the INIT state of SDM Table 9-1 (real mode, CS F000H base
 *     FFFF0000H, IP FFF0H, CR0 10H with CD/NW kept, EFER 0, the APIC
 *     reset but its ID and base, MSRs and x87/SSE state kept) and returns
 *     X86VCPU_EXIT_WAIT_SIPI until a SIPI comes; SIPI to a vCPU waiting
 *     for one: it starts at CS = vector << 8 (base vector << 12), IP 0 at
 *     its next run; SIPI to any other: ignored (SDM 9.4.4); INIT level
 *     de-assert: ignored (SDM 11.6.1);
 *  1  left to the embedder: SMI; an INIT to the BSP (a reset to the
 *     firmware's F000:FFF0, e.g. x86vcpu_vcpu_setup again); an INIT when
 *     the vCPU has no unrestricted guest (no real-mode start); an NMI the
 *     full queue refused;
 *  X86VCPU_EINVAL (NULL), X86VCPU_ESTATE (no virtual APIC, or not set up). */
X86VCPU_API int x86vcpu_lapic_ipi_match(const struct x86vcpu_vcpu *target,
                                        const struct x86vcpu_vcpu *from,
                                        const struct x86vcpu_lapic_ipi *ipi);
X86VCPU_API int x86vcpu_lapic_ipi_deliver(struct x86vcpu_vcpu *target,
                                          const struct x86vcpu_lapic_ipi *ipi);
/* 1 while the vCPU waits for a SIPI (after an INIT, before a SIPI): its
 * run would return X86VCPU_EXIT_WAIT_SIPI; a scheduler skips it. */
X86VCPU_API int x86vcpu_lapic_waiting_sipi(const struct x86vcpu_vcpu *v);
/* A register of the page (xAPIC offset, e.g. 0x80 TPR, 0x200 IRR) and
 * IA32_APIC_BASE, for tests and migration. */
X86VCPU_API int x86vcpu_lapic_read(const struct x86vcpu_vcpu *v, uint32_t offset, uint32_t *val);
X86VCPU_API int x86vcpu_lapic_get_base(const struct x86vcpu_vcpu *v, uint64_t *base);
/* Which assists are in use (X86VCPU_LAPIC_HW_*), after setup. */
#define X86VCPU_LAPIC_HW_TPR_SHADOW (1u << 0) /* MOV CR8 without exits */
#define X86VCPU_LAPIC_HW_APIC_ACCESS (1u << 1) /* "virtualize APIC accesses" (xAPIC mode now) */
#define X86VCPU_LAPIC_HW_REG_VIRT   (1u << 2) /* APIC-register virtualization */
#define X86VCPU_LAPIC_HW_X2APIC     (1u << 3) /* "virtualize x2APIC mode" (x2APIC mode now) */
#define X86VCPU_LAPIC_HW_VID        (1u << 4) /* virtual-interrupt delivery (needs
                                               * external-interrupt exiting) */
X86VCPU_API uint32_t x86vcpu_lapic_assists(const struct x86vcpu_vcpu *v);

/* Statistics. */
#define X86VCPU_EXIT_REASON_MAX 80
struct x86vcpu_stats {
    uint64_t exits[X86VCPU_EXIT_REASON_MAX]; /* by basic exit reason */
    uint64_t vmreads, vmwrites;              /* VMCS accesses made by the library */
    uint64_t entries;
    uint64_t xcr0_switches;                  /* XSETBVs made to switch XCR0 */
    uint64_t msr_switches;                   /* WRMSRs made to switch syscall MSRs */
    uint64_t port_served;                    /* IN/OUT the port handler served inside run() */
};
X86VCPU_API const struct x86vcpu_stats *x86vcpu_vcpu_stats(const struct x86vcpu_vcpu *v);

/* Raw VMCS access to the vCPU's VMCS (it must be bound on this CPU). The
 * field's width is checked at compile time: x86vcpu_vmcs_read16 on a 32-bit
 * field does not compile. Return X86VCPU_OK or an error. */
X86VCPU_API int x86vcpu__vmcs_read(struct x86vcpu_vcpu *v, uint32_t field, uint64_t *val);
X86VCPU_API int x86vcpu__vmcs_write(struct x86vcpu_vcpu *v, uint32_t field, uint64_t val);
#define x86vcpu_vmcs_read16(v, f, p)  x86vcpu__vmcs_read((v), X86VCPU_VMCS_CHECK((f), X86VCPU_VMCS_W16), (p))
#define x86vcpu_vmcs_read32(v, f, p)  x86vcpu__vmcs_read((v), X86VCPU_VMCS_CHECK((f), X86VCPU_VMCS_W32), (p))
#define x86vcpu_vmcs_read64(v, f, p)  x86vcpu__vmcs_read((v), X86VCPU_VMCS_CHECK((f), X86VCPU_VMCS_W64), (p))
#define x86vcpu_vmcs_readnat(v, f, p) x86vcpu__vmcs_read((v), X86VCPU_VMCS_CHECK((f), X86VCPU_VMCS_WNAT), (p))
#define x86vcpu_vmcs_write16(v, f, x)  x86vcpu__vmcs_write((v), X86VCPU_VMCS_CHECK((f), X86VCPU_VMCS_W16), (uint16_t)(x))
#define x86vcpu_vmcs_write32(v, f, x)  x86vcpu__vmcs_write((v), X86VCPU_VMCS_CHECK((f), X86VCPU_VMCS_W32), (uint32_t)(x))
#define x86vcpu_vmcs_write64(v, f, x)  x86vcpu__vmcs_write((v), X86VCPU_VMCS_CHECK((f), X86VCPU_VMCS_W64), (uint64_t)(x))
#define x86vcpu_vmcs_writenat(v, f, x) x86vcpu__vmcs_write((v), X86VCPU_VMCS_CHECK((f), X86VCPU_VMCS_WNAT), (uint64_t)(x))

#ifdef __cplusplus
}
#endif
#endif

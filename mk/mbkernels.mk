# mk/mbkernels.mk — multiboot v1 test kernels (tests/mbk/) for the
# hypervisor's QEMU-style `-kernel` guest mode, and their bare-Bochs runs.
# Small 32-bit kernels at 1 MiB on the guest-side runtime (tests/lib:
# boot/multiboot.S, backend-console.c): all output on COM1 only
# ("ok - <name>" / "not ok - <name>: got X expected Y" lines, "# ..." notes,
# last "<kernel>: N passed, M failed"); they end with out v to port 0xF4
# (isa-debug-exit: v = the cmdline's status=N, 0x7f when a check failed),
# "Shutdown" to port 0x8900, cli;hlt. The portable ones print the same
# bytes on bare Bochs (GRUB) and as guests: compare the serial files.
#
#   make mbkernels       $(MBK_DIR)/{mbinfo.elf,mbinfo64.elf,mbinfo.bin,apic.elf,
#                        qemudev.elf,apicbase.elf,initrd.img}
#   make mbk-bare        each $(MBK_PORTABLE) kernel booted by GRUB on bare Bochs
#                        ($(MBK_DIR)/bare/<k>.iso); COM1 output in
#                        $(MBK_DIR)/bare/<k>.out.serial. Fails unless every run
#                        ended by the kernel's shutdown with "N passed, 0 failed".
#   make mbk-bare-smoke  the same for $(MBK_HVONLY) (QEMU devices / APIC
#                        re-enable: failures are expected on bare Bochs); fails
#                        only when a run hangs or does not reach its last line.
#   make mbk-bare-<k>    one kernel (e.g. mbk-bare-apic.elf)
#
# Kernels:
#   mbinfo.elf     ELF32: multiboot magic/info, memory map, cmdline, initrd
#                  module, loader name, BSS zeroed, stack, INT n
#   mbinfo64.elf   the same kernel in an ELF64 container (objcopy; entry and
#                  physical addresses checked against mbinfo.elf with readelf)
#   mbinfo.bin     the same code as a flat binary: header flag 16 with the
#                  a.out-kludge fields; the file goes on past load_end_addr
#                  with 0xA5 bytes over the start of the BSS, which the loader
#                  must not load and must zero
#   apic.elf       LAPIC (xAPIC + x2APIC timer, self-IPI), PIT + 8259, RTC,
#                  ACPI (RSDP/RSDT/FADT PM timer, MADT IOAPIC) -- portable
#   qemudev.elf    fw_cfg, pc-testdev latch, COM1 as idle 16550, unused ports
#                  -- hypervisor only
#   apicbase.elf   IA32_APIC_BASE disable/re-enable/x2APIC rules -- hypervisor
#                  only (bare Bochs cannot re-enable a disabled APIC)
#   mmioforms.elf  every MMIO form the library emulates, on RAM and on
#                  pc-testdev's iomem window: same results; the page-flush
#                  port -- hypervisor only (issue 12 items 6, 7)
#   census.elf     every CPUID feature bit: a shown feature's MSRs and
#                  instructions work, a hidden one's #GP/#UD (docs/CPUID.md)
#                  -- asserted as a guest; bare it reports (smoke)
#   tsc.elf        the TSC (issue 12): RDTSC/RDMSR/RDTSCP without exits, WRMSR
#                  of IA32_TSC and IA32_TSC_ADJUST (SDM 17.17.3), the rate
#                  against a loop of instructions -- portable
#   hostile.elf    a hostile guest (issue 11): MOVS/STOS into the
#                  read-only ACPI/BIOS tables, MOVS and REP INS across pages
#                  through paging, #PF and huge ECX for string I/O --
#                  hypervisor only
#   taskswitch.elf 32-bit task switches (issue 12): JMP/CALL/IRET, GDT and
#                  IDT task gates, #GP/#DF tasks with their error codes,
#                  CR3/LDT loads, T flag, busy/not-present/short TSS, bad
#                  SS/CS in the new task -- portable
#   pic.elf        8259 pair, 8254 PIT and port 0x61, RTC/CMOS, PM timer
#                  (issue 13; as a guest: the demo's own
#                  models) -- portable; testdev=1: pc-testdev IRQ 11 (hypervisor)
#   ioapic.elf     I/O APIC with the xAPIC (issue 13): registers, the PIT edge
#                  on GSI 2, the RTC level on GSI 8, masking, destinations
#                  -- portable (as a guest: the virtual platform);
#                  strict=1: remote IRR and what bare Bochs lacks; testdev=1:
#                  pc-testdev GSIs 16-23, NMI/ExtINT/INIT modes (hypervisor)
#   lapic.elf      the local APIC (issue 13), xAPIC and x2APIC: timer modes
#                  (one-shot, periodic, masked, divider, TSC-deadline),
#                  TPR/PPR/ISR/IRR priorities, self-IPIs and ESR, CR8 from
#                  64-bit mode, x2APIC MSR #GPs -- portable; strict=1: the
#                  SDM rules bare Bochs lacks; bench=1: BENCH notes
#   acpi.elf       the demo's own firmware (issues 13, 14): RSDP/RSDT/XSDT,
#                  FADT ports, DSDT \_S5, MADT entries, no HPET, the PM1
#                  registers, PM timer vs TSC, tables read-only, BDA/EBDA/
#                  IVT; ends by ACPI S5 power-off -- hypervisor only
#
# How each kernel runs (command line, initrd, exit status, bare or not) is
# in tests/unittests.cfg: a kernel's run named after its file gives the
# command line of its bare-Bochs boot too, and the runs with bare = yes are
# $(MBK_PORTABLE). The mbinfo kernels require INITRD=$(MBK_INITRD) (module
# 0; its string's basename must be initrd.img); the others ignore modules.
include tests/lib/lib.mk

MBK_DIR      := $(BUILD)/mbk
MBK_SRC      := tests/mbk
MBK_OBJ      := $(MBK_DIR)/obj
MBK_KERNELS  := mbinfo.elf mbinfo64.elf mbinfo.bin apic.elf qemudev.elf apicbase.elf hostile.elf \
                tsc.elf taskswitch.elf mmioforms.elf census.elf pic.elf ioapic.elf lapic.elf \
                acpi.elf
MBK_PORTABLE := $(shell tools/run-tests.sh --bare-list)
MBK_HVONLY   := $(filter-out $(MBK_PORTABLE),$(MBK_KERNELS))
MBK_INITRD   := $(MBK_DIR)/initrd.img
MBK_INITRD_SIZE := 13522
MBK_TIMEOUT  ?= 120
mbk_args = $(shell tools/run-tests.sh -b $(BUILD) --get $(1) cmdline)

MBK_CC      ?= gcc
MBK_HOSTCC  ?= gcc
MBK_CFLAGS  := -m32 -std=gnu11 -ffreestanding -fno-pic -fno-pie -nostdlib -fno-builtin \
    -mno-sse -mgeneral-regs-only -O2 -fno-stack-protector -fno-asynchronous-unwind-tables \
    -fno-delete-null-pointer-checks -Wall -Wextra -Werror -I$(MBK_SRC) -I$(TESTLIB) \
    -DCONSOLE_COM1
MBK_LDFLAGS := -m elf_i386 --no-warn-rwx-segments -z max-page-size=0x1000 --build-id=none \
    -z noexecstack -T $(TESTLIB)/boot/multiboot.ld
MBK_HDRS    := $(MBK_SRC)/apicregs.h $(TESTLIB_HDRS)
MBK_TOOL    := $(MBK_DIR)/mbktool
$(eval $(call testlib,mbk,32,MBK_CC,MBK_CFLAGS))
# The runtime of every kernel: entry, backend, library (in link order).
MBK_BOOT    := $(TESTLIB_mbk_DIR)/boot/multiboot.S.o
MBK_RT      := $(TESTLIB_mbk_DIR)/backend-console.c.o $(TESTLIB_mbk)

$(MBK_OBJ)/%.o: $(MBK_SRC)/%.c $(MBK_HDRS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(MBK_CC) $(MBK_CFLAGS) -c $< -o $@
$(TESTLIB_mbk_DIR)/boot/multiboot-aout.o: $(TESTLIB)/boot/multiboot.S $(TESTLIB_HDRS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $< (a.out kludge)")
	$(Q)$(MBK_CC) $(MBK_CFLAGS) -DMB_AOUT -c $< -o $@

$(MBK_TOOL): $(MBK_SRC)/mbktool.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $<")
	$(Q)$(MBK_HOSTCC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

# ELF32 kernels: <k>.c + the runtime. The header must be found (mbktool).
$(MBK_DIR)/%.elf: $(MBK_BOOT) $(MBK_OBJ)/%.o $(MBK_RT) $(TESTLIB)/boot/multiboot.ld $(MBK_TOOL)
	@$(if $(Q),echo "  LD      $@")
	$(Q)ld $(MBK_LDFLAGS) -o $@ $(MBK_BOOT) $(MBK_OBJ)/$*.o $(MBK_RT)
	@if readelf -r $@ | grep -q 'Relocation section'; then \
	    echo "mbk: $@ has relocations" >&2; rm -f $@; exit 1; fi
	@$(MBK_TOOL) header $@ >$(MBK_OBJ)/$*.elf.hdr || { rm -f $@; exit 1; }

# The same kernel in an ELF64 container. Its entry point and PT_LOAD
# segments (addresses, sizes, flags) must be those of the ELF32 kernel, and
# the multiboot header must still be found.
$(MBK_DIR)/mbinfo64.elf: $(MBK_DIR)/mbinfo.elf $(MBK_TOOL)
	@$(if $(Q),echo "  OBJCOPY $@")
	$(Q)objcopy -O elf64-x86-64 $< $@
	@readelf -hW $@ | grep -q 'Class: *ELF64' || { echo "mbk: $@ is not ELF64" >&2; rm -f $@; exit 1; }
	@norm() { readelf -hlW "$$1" | sed -E 's/0x0+([0-9a-f])/0x\1/g' | awk \
	    '/Entry point address/ {print "entry", $$NF} $$1 == "LOAD" {print "load", $$3, $$4, $$5, $$6, $$7}'; }; \
	  norm $< > $(MBK_OBJ)/mbinfo64.readelf32; norm $@ > $(MBK_OBJ)/mbinfo64.readelf64; \
	  cmp -s $(MBK_OBJ)/mbinfo64.readelf32 $(MBK_OBJ)/mbinfo64.readelf64 && \
	  grep -q '^load' $(MBK_OBJ)/mbinfo64.readelf64 || { \
	    echo "mbk: $@ does not keep the entry/segments of $<:" >&2; \
	    diff $(MBK_OBJ)/mbinfo64.readelf32 $(MBK_OBJ)/mbinfo64.readelf64 >&2; rm -f $@; exit 1; }
	@$(MBK_TOOL) header $@ >$(MBK_OBJ)/mbinfo64.elf.hdr || { rm -f $@; exit 1; }
	@sed 1d $(MBK_OBJ)/mbinfo64.elf.hdr > $(MBK_OBJ)/mbinfo64.elf.hdr.tail; \
	  sed 1d $(MBK_OBJ)/mbinfo.elf.hdr | cmp -s - $(MBK_OBJ)/mbinfo64.elf.hdr.tail || { \
	    echo "mbk: $@ loads differently from $< (mbktool header)" >&2; rm -f $@; exit 1; }

# Flat binary with the a.out kludge: the loaded part [load_addr,
# load_end_addr) followed by 0xA5 bytes over the BSS probe (see mbinfo.c).
$(MBK_OBJ)/mbinfo-aout.elf: $(TESTLIB_mbk_DIR)/boot/multiboot-aout.o $(MBK_OBJ)/mbinfo.o $(MBK_RT) \
    $(TESTLIB)/boot/multiboot.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)ld $(MBK_LDFLAGS) -o $@ $(TESTLIB_mbk_DIR)/boot/multiboot-aout.o $(MBK_OBJ)/mbinfo.o $(MBK_RT)
$(MBK_DIR)/mbinfo.bin: $(MBK_OBJ)/mbinfo-aout.elf $(MBK_TOOL)
	@$(if $(Q),echo "  OBJCOPY $@")
	$(Q)objcopy -O binary $< $@.tmp
	@sym() { nm $< | sed -n "s/^\([0-9a-f]*\) . $$1\$$/\1/p"; }; \
	  start=$$((0x$$(sym __kernel_start))); lend=$$((0x$$(sym __load_end))); \
	  pend=$$((0x$$(sym __probe_end))); size=$$(stat -c %s $@.tmp); \
	  if [ "$$size" != $$((lend - start)) ]; then \
	    echo "mbk: $@: flat image is $$size bytes, load_end - load_addr is $$((lend - start))" >&2; \
	    rm -f $@.tmp; exit 1; fi; \
	  head -c $$((pend - lend)) /dev/zero | tr '\000' '\245' >> $@.tmp
	@$(MBK_TOOL) header $@.tmp >$(MBK_OBJ)/mbinfo.bin.hdr || { rm -f $@.tmp; exit 1; }
	@grep -q '^header flags 0x10003$$' $(MBK_OBJ)/mbinfo.bin.hdr || { \
	    echo "mbk: $@: header flags not 0x10003" >&2; rm -f $@.tmp; exit 1; }
	mv $@.tmp $@

$(MBK_INITRD): $(MBK_TOOL)
	$(MBK_TOOL) initrd $@ $(MBK_INITRD_SIZE) 0x2545F491

MBK_FILES := $(addprefix $(MBK_DIR)/,$(MBK_KERNELS)) $(MBK_INITRD)
mbkernels: $(MBK_FILES)

# ---------------------------------------------------------- bare Bochs runs
# GRUB's multiboot command leaves the file name out of the command line, so
# it is repeated as the first word (the hypervisor passes "<path> <args>").
# The arguments are those of the kernel's run in tests/unittests.cfg.
mbk_grub_cfg = set timeout=0\nset default=0\nmenuentry "mbk $(1)" {\n  multiboot /boot/$(1) $(1) $(call mbk_args,$(1))\n  module /boot/initrd.img initrd.img\n  boot\n}\n

# grub.cfg rewritten only when its text changes.
$(MBK_DIR)/bare/%/boot/grub/grub.cfg: mbk-force
	@mkdir -p $(dir $@)
	@printf '%b' '$(call mbk_grub_cfg,$*)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(MBK_DIR)/bare/%.iso: $(MBK_DIR)/% $(MBK_INITRD) $(MBK_DIR)/bare/%/boot/grub/grub.cfg | deps
	cp $(MBK_DIR)/$* $(MBK_INITRD) $(MBK_DIR)/bare/$*/boot/
	grub-mkrescue -o $@ $(MBK_DIR)/bare/$* \
	    --install-modules="multiboot normal configfile echo boot test" \
	    --locales= --fonts= --themes= --compress=no >$(MBK_DIR)/bare/$*.mkrescue.log 2>&1 \
	  || { cat $(MBK_DIR)/bare/$*.mkrescue.log; exit 1; }

# One run: tests/mbk/bare-run.sh prints "mbk-bare: <k>: ..." (time, result).
$(addprefix mbk-bare-,$(MBK_KERNELS)): mbk-bare-%: $(MBK_DIR)/bare/%.iso
	@MEGS=$(MEGS) tests/mbk/bare-run.sh $< $(MBK_DIR)/bare/$*.out $* $(MBK_TIMEOUT) \
	    $(if $(filter $*,$(MBK_PORTABLE)),strict,smoke)

# census.elf reports what bare Bochs shows but lacks: unknown MSRs must #GP
# there (Bochs' default ignore_bad_msrs=1 reads them as 0), docs/CPUID.md.
mbk-bare-census.elf: export BOCHS_EXTRA = cpu: ignore_bad_msrs=0

mbk-bare: $(addprefix mbk-bare-,$(MBK_PORTABLE))
mbk-bare-smoke: $(addprefix mbk-bare-,$(MBK_HVONLY))

# Keep what the pattern rules make (not intermediate files to delete).
.SECONDARY: $(patsubst %.elf,$(MBK_OBJ)/%.o,$(filter-out mbinfo64.elf,$(filter %.elf,$(MBK_KERNELS)))) \
    $(foreach k,$(MBK_KERNELS),$(MBK_DIR)/bare/$(k).iso $(MBK_DIR)/bare/$(k)/boot/grub/grub.cfg)

mbk-force:
.PHONY: mbkernels mbk-bare mbk-bare-smoke mbk-force $(addprefix mbk-bare-,$(MBK_KERNELS))

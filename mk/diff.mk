# mk/diff.mk — the differential test kernel (tests/diff/): one multiboot v1
# ELF32 kernel at 1 MiB on the guest-side runtime (tests/lib) that runs
# architectural test cases in protected mode, PAE paging, ring 3, real mode
# and long mode, printing one "CASE <mode> <name>: <result>" line per case
# on port 0xE9, then DONE.
# It is booted on bare Bochs (diff-bare) and as a guest of the hypervisor;
# tools/diff-compare.sh compares the two outputs.
#
#   make diff-kernel     $(BUILD)/diff/diffkernel.elf
#   make diff-iso        $(BUILD)/diff/diff.iso (GRUB rescue ISO)
#   make diff-bare       boots the ISO on Bochs: records in $(BUILD)/diff/bare.out
#   make diff-compare-selftest   checks tools/diff-compare.sh on made-up outputs
#
# Layout: the 32-bit part (tests/lib's multiboot entry, modes.S, pm.c) is
# linked at 0x100000; the 64-bit part (lm64.S, lm.c) is linked on its own
# at DIFF_LM_BASE and the real-mode part (rm16.S, rm.c, -m16) at
# DIFF_RM_BASE, each on tests/lib and turned into a flat binary
# (tests/lib/boot/flat.ld); blobs.S puts the 64-bit one at exactly
# DIFF_LM_BASE in the kernel and carries the real-mode one, which pm.c
# copies to DIFF_RM_BASE.
include tests/lib/lib.mk

DIFF_DIR     := $(BUILD)/diff
DIFF_SRC     := tests/diff
DIFF_ELF     := $(DIFF_DIR)/diffkernel.elf
DIFF_ISO     := $(DIFF_DIR)/diff.iso
DIFF_BARE_OUT := $(DIFF_DIR)/bare.out
DIFF_TIMEOUT ?= 120
DIFF_LM_BASE := 0x120000
DIFF_RM_BASE := 0x8000
# Bochs otherwise answers RDMSR/WRMSR of unknown MSRs with 0 / ignores them
# instead of #GP(0): make the bare run architectural. (A hypervisor run in
# Bochs may want the same line: BOCHS_EXTRA="$(DIFF_BOCHS_EXTRA)".)
DIFF_BOCHS_EXTRA ?= cpu: ignore_bad_msrs=0

DIFF_CC      ?= gcc
DIFF_COMMON_CFLAGS := -std=gnu11 -ffreestanding -fno-pic -fno-pie -nostdlib -fno-builtin \
    -mno-sse -mgeneral-regs-only -O2 -fno-stack-protector -fno-asynchronous-unwind-tables \
    -fno-delete-null-pointer-checks -Wall -Wextra -Werror -I$(DIFF_SRC) -I$(TESTLIB) \
    -DCONSOLE_E9 -DRM_BASE=$(DIFF_RM_BASE)
DIFF_CFLAGS32 := -m32 $(DIFF_COMMON_CFLAGS)
DIFF_CFLAGS64 := -m64 -mno-red-zone -mcmodel=small $(DIFF_COMMON_CFLAGS)
DIFF_CFLAGS16 := -m16 -DRT_REAL_MODE $(DIFF_COMMON_CFLAGS)
DIFF_LDFLAGS  := --no-warn-rwx-segments -z max-page-size=0x1000 --build-id=none -z noexecstack
DIFF_HDRS     := $(DIFF_SRC)/diff.h $(DIFF_SRC)/frames.h $(TESTLIB_HDRS)
$(eval $(call testlib,diff32,32,DIFF_CC,DIFF_CFLAGS32))
$(eval $(call testlib,diff64,64,DIFF_CC,DIFF_CFLAGS64))
$(eval $(call testlib,diff16,16,DIFF_CC,DIFF_CFLAGS16))

# $(call diff_obj,PART,SOURCE,CFLAGS_VAR): $(DIFF_DIR)/PART.o
define diff_obj
$(DIFF_DIR)/$(1).o: $(DIFF_SRC)/$(2) $(DIFF_HDRS)
	@mkdir -p $(DIFF_DIR)
	@$$(if $$(Q),echo "  CC      $$<")
	$$(Q)$$(DIFF_CC) $$($(3)) -c $$< -o $$@
endef
$(eval $(call diff_obj,lm64,lm64.S,DIFF_CFLAGS64))
$(eval $(call diff_obj,lm,lm.c,DIFF_CFLAGS64))
$(eval $(call diff_obj,rm16,rm16.S,DIFF_CFLAGS16))
$(eval $(call diff_obj,rm,rm.c,DIFF_CFLAGS16))
$(eval $(call diff_obj,modes,modes.S,DIFF_CFLAGS32))
$(eval $(call diff_obj,pm,pm.c,DIFF_CFLAGS32))

# The 64-bit and real-mode parts: flat binaries, their entry first.
$(DIFF_DIR)/lm.elf: $(DIFF_DIR)/lm64.o $(DIFF_DIR)/lm.o $(TESTLIB_diff64) $(TESTLIB)/boot/flat.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)ld -m elf_x86_64 $(DIFF_LDFLAGS) --defsym=LOAD_ADDR=$(DIFF_LM_BASE) \
	    -T $(TESTLIB)/boot/flat.ld -o $@ $(DIFF_DIR)/lm64.o $(DIFF_DIR)/lm.o $(TESTLIB_diff64)
$(DIFF_DIR)/rm.elf: $(DIFF_DIR)/rm16.o $(DIFF_DIR)/rm.o $(TESTLIB_diff16) $(TESTLIB)/boot/flat.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)ld -m elf_i386 $(DIFF_LDFLAGS) --defsym=LOAD_ADDR=$(DIFF_RM_BASE) \
	    -T $(TESTLIB)/boot/flat.ld -o $@ $(DIFF_DIR)/rm16.o $(DIFF_DIR)/rm.o $(TESTLIB_diff16)
$(DIFF_DIR)/%.bin: $(DIFF_DIR)/%.elf
	@$(if $(Q),echo "  OBJCOPY $@")
	$(Q)$(TESTLIB_FLAT_BIN) $< $@

# 32-bit part
$(DIFF_DIR)/blobs.o: $(DIFF_SRC)/blobs.S $(DIFF_DIR)/lm.bin $(DIFF_DIR)/rm.bin
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(DIFF_CC) $(DIFF_CFLAGS32) -DLM_BIN='"$(DIFF_DIR)/lm.bin"' -DRM_BIN='"$(DIFF_DIR)/rm.bin"' \
	    -c $< -o $@

DIFF_OBJS32 := $(TESTLIB_diff32_DIR)/boot/multiboot.S.o $(DIFF_DIR)/modes.o $(DIFF_DIR)/pm.o \
    $(DIFF_DIR)/blobs.o $(TESTLIB_diff32)
$(DIFF_ELF): $(DIFF_OBJS32) $(DIFF_SRC)/kernel.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)ld -m elf_i386 $(DIFF_LDFLAGS) --defsym=LM_BASE=$(DIFF_LM_BASE) -T $(DIFF_SRC)/kernel.ld \
	    -o $@ $(DIFF_OBJS32)
	@if readelf -r $@ | grep -q 'Relocation section'; then \
	    echo "diff: $@ has relocations" >&2; exit 1; fi
	@test "$$(nm $@ | sed -n 's/^0*\([0-9a-f]*\) . lm_blob_start$$/\1/p')" = "$$(printf '%x' $(DIFF_LM_BASE))" \
	  || { echo "diff: lm_blob_start is not at $(DIFF_LM_BASE)" >&2; exit 1; }

# GRUB ISO, own staging directory.
$(DIFF_DIR)/iso/boot/grub/grub.cfg: mk/diff.mk
	@mkdir -p $(dir $@)
	@printf '%b' 'set timeout=0\nset default=0\nmenuentry "x86vcpu diff" {\n  multiboot /boot/diffkernel.elf\n  boot\n}\n' > $@

$(DIFF_ISO): $(DIFF_ELF) $(DIFF_DIR)/iso/boot/grub/grub.cfg | deps
	cp $(DIFF_ELF) $(DIFF_DIR)/iso/boot/diffkernel.elf
	grub-mkrescue -o $@ $(DIFF_DIR)/iso \
	    --install-modules="multiboot normal configfile echo boot test" \
	    --locales= --fonts= --themes= --compress=no >$(DIFF_DIR)/grub-mkrescue.log 2>&1 \
	  || { cat $(DIFF_DIR)/grub-mkrescue.log; exit 1; }

diff-kernel: $(DIFF_ELF)
diff-iso: $(DIFF_ISO)

# Fails unless Bochs ended by the guest's shutdown and the output has DONE.
diff-bare: $(DIFF_ISO)
	MEGS=$(MEGS) BOCHS_EXTRA="$(DIFF_BOCHS_EXTRA)" tools/run-bochs.sh $(DIFF_ISO) $(DIFF_BARE_OUT) $(DIFF_TIMEOUT)
	@grep -q '^DONE' $(DIFF_BARE_OUT) || { echo "diff-bare: no DONE in $(DIFF_BARE_OUT)" >&2; exit 1; }
	@echo "diff-bare: $$(grep -c '^CASE ' $(DIFF_BARE_OUT)) cases in $(DIFF_BARE_OUT)"

diff-compare-selftest:
	tools/diff-compare.sh --selftest

.PHONY: diff-kernel diff-iso diff-bare diff-compare-selftest

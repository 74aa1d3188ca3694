# mk/diff.mk — the differential test kernel (tests/diff/): one multiboot v1
# ELF32 kernel at 1 MiB that runs architectural test cases in protected mode,
# PAE paging, ring 3, real mode and long mode, printing one
# "CASE <mode> <name>: <result>" line per case on port 0xE9, then DONE.
# It is booted on bare Bochs (diff-bare) and as a guest of the hypervisor;
# tools/diff-compare.sh compares the two outputs.
#
#   make diff-kernel     $(BUILD)/diff/diffkernel.elf
#   make diff-iso        $(BUILD)/diff/diff.iso (GRUB rescue ISO)
#   make diff-bare       boots the ISO on Bochs: records in $(BUILD)/diff/bare.out
#   make diff-compare-selftest   checks tools/diff-compare.sh on made-up outputs
#
# Layout: the 32-bit part (boot32.S, pm.c) is linked at 0x100000; the 64-bit
# part (lm64.S, lm.c) is linked on its own at DIFF_LM_BASE, turned into a
# flat binary and placed at exactly that address in the kernel (lmblob.S).

DIFF_DIR     := $(BUILD)/diff
DIFF_SRC     := tests/diff
DIFF_ELF     := $(DIFF_DIR)/diffkernel.elf
DIFF_ISO     := $(DIFF_DIR)/diff.iso
DIFF_BARE_OUT := $(DIFF_DIR)/bare.out
DIFF_TIMEOUT ?= 120
DIFF_LM_BASE := 0x120000
# Bochs otherwise answers RDMSR/WRMSR of unknown MSRs with 0 / ignores them
# instead of #GP(0): make the bare run architectural. (A hypervisor run in
# Bochs may want the same line: BOCHS_EXTRA="$(DIFF_BOCHS_EXTRA)".)
DIFF_BOCHS_EXTRA ?= cpu: ignore_bad_msrs=0

DIFF_CC      ?= gcc
DIFF_COMMON_CFLAGS := -std=gnu11 -ffreestanding -fno-pic -fno-pie -nostdlib -fno-builtin \
    -mno-sse -mgeneral-regs-only -O2 -fno-stack-protector -fno-asynchronous-unwind-tables \
    -fno-delete-null-pointer-checks -Wall -Wextra -Werror -I$(DIFF_SRC)
DIFF_CFLAGS32 := -m32 $(DIFF_COMMON_CFLAGS)
DIFF_CFLAGS64 := -m64 -mno-red-zone -mcmodel=small $(DIFF_COMMON_CFLAGS)
DIFF_LDFLAGS  := --no-warn-rwx-segments -z max-page-size=0x1000 --build-id=none \
    -z noexecstack --defsym=LM_BASE=$(DIFF_LM_BASE)
DIFF_HDRS     := $(DIFF_SRC)/common.h

# 64-bit part
$(DIFF_DIR)/lm64.o: $(DIFF_SRC)/lm64.S
	@mkdir -p $(DIFF_DIR)
	$(DIFF_CC) $(DIFF_CFLAGS64) -c $< -o $@
$(DIFF_DIR)/lm.o: $(DIFF_SRC)/lm.c $(DIFF_HDRS)
	@mkdir -p $(DIFF_DIR)
	$(DIFF_CC) $(DIFF_CFLAGS64) -c $< -o $@
$(DIFF_DIR)/lm.elf: $(DIFF_DIR)/lm64.o $(DIFF_DIR)/lm.o $(DIFF_SRC)/lm.ld
	ld -m elf_x86_64 $(DIFF_LDFLAGS) -T $(DIFF_SRC)/lm.ld -o $@ $(DIFF_DIR)/lm64.o $(DIFF_DIR)/lm.o
$(DIFF_DIR)/lm.bin: $(DIFF_DIR)/lm.elf
	objcopy -O binary $< $@

# 32-bit part
$(DIFF_DIR)/boot32.o: $(DIFF_SRC)/boot32.S
	@mkdir -p $(DIFF_DIR)
	$(DIFF_CC) $(DIFF_CFLAGS32) -c $< -o $@
$(DIFF_DIR)/pm.o: $(DIFF_SRC)/pm.c $(DIFF_HDRS)
	@mkdir -p $(DIFF_DIR)
	$(DIFF_CC) $(DIFF_CFLAGS32) -c $< -o $@
$(DIFF_DIR)/lmblob.o: $(DIFF_SRC)/lmblob.S $(DIFF_DIR)/lm.bin
	$(DIFF_CC) $(DIFF_CFLAGS32) -DLM_BIN='"$(DIFF_DIR)/lm.bin"' -c $< -o $@

$(DIFF_ELF): $(DIFF_DIR)/boot32.o $(DIFF_DIR)/pm.o $(DIFF_DIR)/lmblob.o $(DIFF_SRC)/kernel.ld
	ld -m elf_i386 $(DIFF_LDFLAGS) -T $(DIFF_SRC)/kernel.ld -o $@ \
	    $(DIFF_DIR)/boot32.o $(DIFF_DIR)/pm.o $(DIFF_DIR)/lmblob.o
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

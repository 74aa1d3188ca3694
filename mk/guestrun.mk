# mk/guestrun.mk — the multiboot test kernels (mk/mbkernels.mk) as guests of
# the demo hypervisor, run the way a user runs them: make run GUEST=...
#
#   make guest-test   every kernel of $(MBK_KERNELS) as a guest: exit status,
#                     the kernel's own "N passed, 0 failed", and for the
#                     portable ones COM1 output identical to the bare-Bochs run
#                     (make mbk-bare); plus the platform's edge cases: a
#                     smaller MEM, each way a guest can end (triple fault,
#                     cli;hlt, ACPI power-off, reset, timeout), images
#                     refused, the differential kernel through the generic
#                     loader. Last line of
#                     $(GUEST_TEST_LOG): "guests: N passed, M failed".
GUEST_TEST_DIR  := $(BUILD)/guest-test
GUEST_TEST_SPEC := $(GUEST_TEST_DIR)/spec
GUEST_TEST_LOG  := $(BUILD)/guest-test.log

# One run per line: kernel | initrd | status | bare serial | expected text |
# MEM | timeout | cmdline (tools/guest-test.sh).
guest_spec = $(MBK_DIR)/$(1)|$(MBK_INITRD)|$(MBK_STATUS_$(1))|$(if $(filter $(1),$(MBK_PORTABLE)),$(MBK_DIR)/bare/$(1).out.serial)||||$(MBK_ARGS_$(1))
define guest_line
	@printf '%s\n' '$(1)' >> $(GUEST_TEST_SPEC)

endef

guest-test: deps mbkernels mbk-bare $(DIFF_ELF) $(DEMO_ELF)
	@mkdir -p $(GUEST_TEST_DIR)
	@rm -f $(GUEST_TEST_SPEC)
	@head -c 8000 $(MBK_DIR)/mbinfo.elf > $(GUEST_TEST_DIR)/truncated.elf
	$(foreach k,$(MBK_KERNELS),$(call guest_line,$(call guest_spec,$(k))))
	$(call guest_line,$(MBK_DIR)/qemudev.elf||15|||64||status=7 mem=64)
	$(call guest_line,$(MBK_DIR)/qemudev.elf||2||triple fault (shutdown)|||status=7 end=triple)
	$(call guest_line,$(MBK_DIR)/qemudev.elf||4||halted with interrupts off|||status=7 end=halt)
	$(call guest_line,$(MBK_DIR)/qemudev.elf||0||ACPI power-off|||status=7 end=acpi)
	$(call guest_line,$(MBK_DIR)/qemudev.elf||0||reset requested|||status=7 end=reset)
	$(call guest_line,$(MBK_DIR)/qemudev.elf||124||TIMEOUT||15|status=7 end=spin)
	$(call guest_line,$(DIFF_ELF)||0||DONE|||)
	$(call guest_line,README.md||6||cannot boot README.md: no multiboot header in the first 8 KiB|||)
	$(call guest_line,$(GUEST_TEST_DIR)/truncated.elf||6||cannot boot $(GUEST_TEST_DIR)/truncated.elf: ELF segment|||)
	@tools/guest-test.sh $(GUEST_TEST_SPEC) $(GUEST_TEST_DIR)

.PHONY: guest-test

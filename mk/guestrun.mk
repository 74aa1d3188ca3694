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

comma := ,

# Xen 4.17 from Debian (multiboot v1, ELF32): fetched with apt-get download
# and unpacked, never installed.
XEN_DEB_PKG := xen-hypervisor-4.17-amd64
XEN_DIR     := $(BUILD)/xen
XEN_ELF     := $(XEN_DIR)/xen.elf
$(XEN_ELF):
	@mkdir -p $(XEN_DIR)
	@cd $(XEN_DIR) && rm -f *.deb && { apt-get download $(XEN_DEB_PKG) >download.log 2>&1 || \
	  { apt-get update >>download.log 2>&1 && apt-get download $(XEN_DEB_PKG) >>download.log 2>&1; } || \
	  { cat download.log; echo "guest-test: cannot fetch the Debian package $(XEN_DEB_PKG)" >&2; exit 1; }; }
	@rm -rf $(XEN_DIR)/x && dpkg-deb -x $(XEN_DIR)/$(XEN_DEB_PKG)_*.deb $(XEN_DIR)/x
	@zcat $(XEN_DIR)/x/boot/xen-*-amd64.gz > $@.tmp && mv $@.tmp $@

guest-test: deps mbkernels mbk-bare $(DIFF_ELF) $(DEMO_ELF) $(XEN_ELF)
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
	$(call guest_line,$(XEN_ELF)|$(MBK_INITRD)|4||Could not construct domain 0|1024|120|com1=115200$(comma)8n1 console=com1 noreboot no-real-mode)
	$(call guest_line,README.md||6||cannot boot README.md: no multiboot header in the first 8 KiB|||)
	$(call guest_line,$(GUEST_TEST_DIR)/truncated.elf||6||cannot boot $(GUEST_TEST_DIR)/truncated.elf: ELF segment|||)
	@tools/guest-test.sh $(GUEST_TEST_SPEC) $(GUEST_TEST_DIR)

.PHONY: guest-test

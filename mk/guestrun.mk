# mk/guestrun.mk — the kernels of tests/unittests.cfg as guests of the demo
# hypervisor, run the way a user runs them (make run GUEST=...) by
# tools/run-tests.sh:
#
#   make guest-test   every run of tests/unittests.cfg: the multiboot test
#                     kernels (exit status, their own "N passed, 0 failed",
#                     COM1 output identical to their bare-Bochs boot for the
#                     portable ones, make mbk-bare), a smaller MEM, each way a
#                     guest can end (triple fault, cli;hlt, ACPI power-off,
#                     reset, timeout), images refused, the differential kernel
#                     through the generic loader, Xen. Last line of
#                     $(GUEST_TEST_LOG): "guests: N passed, M failed".
#                     GUEST_TEST_ARGS='-g GROUP ... | NAME ...' picks runs.
#                     Then tools/census-compare.sh: every feature the CPUID
#                     census finds shown but missing on bare Bochs
#                     (mbk-bare-census.elf) is hidden or backed as a guest.
GUEST_TEST_DIR  := $(BUILD)/guest-test
GUEST_TEST_LOG  := $(BUILD)/guest-test.log
GUEST_TEST_ARGS ?=

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

# A kernel cut short: the loader must refuse it (tests/unittests.cfg).
# (mk/mbkernels.mk, which names MBK_DIR, is read after this file.)
$(GUEST_TEST_DIR)/truncated.elf: $(BUILD)/mbk/mbinfo.elf
	@mkdir -p $(GUEST_TEST_DIR)
	@head -c 8000 $< > $@

guest-test: deps mbkernels mbk-bare mbk-bare-census.elf $(DIFF_ELF) $(DEMO_ELF) $(XEN_ELF) \
    $(GUEST_TEST_DIR)/truncated.elf
	@rm -f $(GUEST_TEST_DIR)/census.elf.serial
	@tools/run-tests.sh -b $(BUILD) -o $(GUEST_TEST_DIR) $(GUEST_TEST_ARGS)
	@tools/census-compare.sh $(BUILD)/mbk/bare/census.elf.out.serial $(GUEST_TEST_DIR)/census.elf.serial

.PHONY: guest-test

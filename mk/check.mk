# make check: host unit tests, the host-side VMX harness (mk/host.mk), the
# installed library built into an out-of-tree example (mk/install.mk), the
# Bochs integration run, the differential kernel, QEMU-style kernels as
# guests (mk/guestrun.mk), a short guest-fuzzer campaign against bare
# Bochs (mk/fuzzguest.mk), then Debian's cloud kernel as a guest and on
# bare Bochs (make linux-test, mk/linux.mk; its checks count in the total).
#
#   make test-kernel     $(BUILD)/test.elf: the test image, the demo's parts
#                        (mk/demo.mk's DEMO_CORE_OBJS) with the test harness
#                        of tests/harness and the test guests; bochs-test and
#                        diff-test boot it ($(BUILD)/demo.elf holds no test code)
#   make diff-run        the differential kernel as its guest, on the console

# Other fragments (mk/demo.mk, mk/guests.mk) are read after this one: the
# test image's prerequisite lists are expanded late.
.SECONDEXPANSION:
TEST_ELF       := $(BUILD)/test.elf
HARNESS_SRCS   := $(sort $(wildcard tests/harness/*.c))
HARNESS_OBJS   := $(patsubst %,$(BUILD)/%.o,$(HARNESS_SRCS))

$(BUILD)/tests/harness/%.c.o: tests/harness/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(DEMO_CFLAGS) -Itests/harness -Itests/lib -MMD -MP -c $< -o $@

-include $(HARNESS_OBJS:.o=.d)

$(TEST_ELF): $$(DEMO_CORE_OBJS) $(HARNESS_OBJS) $$(TEST_GUEST_OBJS) $$(DEMO_LIB) demo/linker.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(DEMO_CFLAGS) $(DEMO_LDFLAGS) -o $@ $(DEMO_CORE_OBJS) $(HARNESS_OBJS) \
	    $(TEST_GUEST_OBJS) $(DEMO_LIB)

test-kernel: $(TEST_ELF)

TEST_ISO := $(BUILD)/test.iso
TEST_OUT := $(BUILD)/test.out
TEST_TIMEOUT ?= 600

# Everything a fresh machine needs for `make check` and `make run`.
CHECK_DEB_PKGS := gcc clang make binutils libcmocka-dev libclang-rt-14-dev pkg-config
deps-all: deps linux-deps
	@missing=""; for p in $(CHECK_DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: missing:$$missing -- installing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive $(APT_GET) update && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y --no-install-recommends $(CHECK_DEB_PKGS); \
	fi

# The test image with "test" on its command line runs the test guests.
bochs-test: deps
	$(MAKE) --no-print-directory iso DEMO_IMAGE=$(TEST_ELF) DEMO_CMDLINE=test DEMO_ISO=$(TEST_ISO)
	@MEGS=$(MEGS) BOCHS_LOG=$(BUILD)/bochs-test.log tools/run-bochs.sh $(TEST_ISO) $(TEST_OUT) $(TEST_TIMEOUT); \
	st=$$?; tools/check-result.sh $(TEST_OUT) $$st

# Differential: the same kernel on bare Bochs and as an x86vcpu guest must
# print the same records (tools/diff-compare.sh knows the intended
# differences: CPUID's VMX and hypervisor bits, CR4.VMXE).
DIFF_HV_ISO := $(BUILD)/diff-hv.iso
DIFF_HV_OUT := $(BUILD)/diff/hv.out
diff-test: deps diff-bare
	$(MAKE) --no-print-directory iso DEMO_IMAGE=$(TEST_ELF) DEMO_CMDLINE=diff DEMO_ISO=$(DIFF_HV_ISO)
	MEGS=$(MEGS) BOCHS_EXTRA="$(DIFF_BOCHS_EXTRA)" BOCHS_LOG=$(BUILD)/bochs-diff.log \
	  tools/run-bochs.sh $(DIFF_HV_ISO) $(DIFF_HV_OUT) $(TEST_TIMEOUT)
	tools/diff-compare.sh $(BUILD)/diff/bare.out $(DIFF_HV_OUT)

# The differential kernel as a guest, its records on the console.
diff-run: deps
	$(MAKE) --no-print-directory iso DEMO_IMAGE=$(TEST_ELF) DEMO_CMDLINE=diff DEMO_ISO=$(DIFF_HV_ISO)
	MEGS=$(MEGS) BOCHS_LOG=$(BUILD)/bochs-diff.log tools/run-bochs.sh $(DIFF_HV_ISO) $(DIFF_HV_OUT) $(TEST_TIMEOUT)

check: deps-all
	@mkdir -p $(BUILD)
	@{ $(MAKE) --no-print-directory unit; echo $$? > $(BUILD)/unit.rc; } | tee $(BUILD)/unit.log; \
	  exit $$(cat $(BUILD)/unit.rc)
	@{ $(MAKE) --no-print-directory host-test; echo $$? > $(BUILD)/host.rc; } | tee $(BUILD)/host.log; \
	  exit $$(cat $(BUILD)/host.rc)
	$(MAKE) --no-print-directory example-check
	$(MAKE) --no-print-directory decode-objdump-check
	$(MAKE) --no-print-directory fuzz-decode FUZZ_TIME=20
	$(MAKE) --no-print-directory bochs-test
	@{ $(MAKE) --no-print-directory diff-test; echo $$? > $(BUILD)/diff.rc; } | tee $(BUILD)/diff.log; \
	  exit $$(cat $(BUILD)/diff.rc)
	@{ $(MAKE) --no-print-directory guest-test; echo $$? > $(BUILD)/guest-test.rc; } | tee $(GUEST_TEST_LOG); \
	  exit $$(cat $(BUILD)/guest-test.rc)
	@{ $(MAKE) --no-print-directory fuzz-guest; echo $$? > $(BUILD)/fuzz-guest.rc; } | tee $(BUILD)/fuzz-guest.log; \
	  exit $$(cat $(BUILD)/fuzz-guest.rc)
	@{ $(MAKE) --no-print-directory linux-test; echo $$? > $(BUILD)/linux-test.rc; } | tee $(BUILD)/linux-test.log; \
	  exit $$(cat $(BUILD)/linux-test.rc)
	@tools/check-summary.sh $(BUILD)/unit.log $(BUILD)/host.log $(TEST_OUT) $(BUILD)/diff.log \
	  $(GUEST_TEST_LOG) $(BUILD)/fuzz-guest.log $(BUILD)/linux-test.log

.PHONY: check bochs-test deps-all diff-test diff-run test-kernel

# make exit-profile: the root-mode instructions of one VM exit of each kind,
# by function (tools/exit-profile.sh; docs/PERF.md). Bochs' debugger traces
# the test image running the basic 64-bit guest's benchmark loops.
#
# Also: the harness's one file that sees the library's private headers
# (tests/harness/bench_mem.c, the vCPU record's size for "BENCH vCPU memory").
$(BUILD)/tests/harness/bench_mem.c.o: DEMO_CFLAGS += -Isrc

PROFILE_DIR := $(BUILD)/profile
exit-profile: deps
	@mkdir -p $(PROFILE_DIR)
	$(MAKE) --no-print-directory iso DEMO_IMAGE=$(TEST_ELF) DEMO_CMDLINE=test \
	    DEMO_ISO=$(PROFILE_DIR)/test.iso
	@MEGS=$(MEGS) tools/exit-profile.sh $(TEST_ELF) $(PROFILE_DIR)/test.iso $(PROFILE_DIR)

.PHONY: exit-profile

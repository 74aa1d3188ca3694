# Host-side VMX harness (tests/host, see tests/host/README): src/vmx and
# src/lib built for the host with ASan/UBSan against a mock of src/hw/hw.h
# (tests/host/mock/hw/hw.h, first on the include path) and a scripted VM
# entry in place of entry.S.
#   make host-test                 build and run every tests/host/test_*.c
#   make host-test HOSTCC=clang    same with another host compiler
# Last line printed: "host: N passed, M failed" (exit status 1 on failure).

HOSTCC      ?= $(CC)
HOST_DIR    := $(BUILD)/host
HOST_CFLAGS := -std=gnu11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
               -Wall -Wextra -Werror -Itests/host/mock -Itests/host -Iinclude -Isrc
HOST_LIBS   := -lcmocka

HOST_TEST_SRCS := $(wildcard tests/host/test_*.c)
HOST_TEST_BINS := $(patsubst tests/host/%.c,$(HOST_DIR)/%,$(HOST_TEST_SRCS))
HOST_LIB_SRCS  := $(wildcard src/lib/*.c) $(wildcard src/vmx/*.c) tests/host/mock/mock.c
HOST_LIB_OBJS  := $(patsubst %.c,$(HOST_DIR)/obj/%.o,$(HOST_LIB_SRCS))
HOST_HDRS       = $(wildcard include/x86vcpu/*.h) $(wildcard src/*/*.h) \
                  $(wildcard tests/host/*.h tests/host/mock/*.h tests/host/mock/hw/*.h)

# Objects of one compiler are not linked by another (see mk/unit.mk).
HOST_STAMP  := $(HOST_DIR)/.config
HOST_CONFIG := $(HOSTCC) $(HOST_CFLAGS)
ifeq ($(filter clean,$(MAKECMDGOALS)),)
$(shell mkdir -p '$(HOST_DIR)' && \
        if [ "`cat '$(HOST_STAMP)' 2>/dev/null`" != '$(HOST_CONFIG)' ]; then \
            printf '%s\n' '$(HOST_CONFIG)' > '$(HOST_STAMP)'; fi)
endif

$(HOST_DIR)/obj/%.o: %.c $(HOST_HDRS) $(HOST_STAMP)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

$(HOST_DIR)/test_%: tests/host/test_%.c $(HOST_LIB_OBJS) $(HOST_HDRS) $(HOST_STAMP)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) $< $(HOST_LIB_OBJS) $(HOST_LIBS) -o $@

# Run every binary (tools/run-cmocka.sh sums cmocka's counts).
host-test: $(HOST_TEST_BINS)
	@tools/run-cmocka.sh host $(HOST_TEST_BINS)

# Keep the objects: every test binary links them all.
.SECONDARY: $(HOST_LIB_OBJS)
.PHONY: host-test

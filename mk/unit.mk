# Host unit tests (cmocka, ASan/UBSan).
#   make unit                 build and run every tests/unit/test_*.c
#   make unit HOSTCC=clang    same with another host compiler
# Each tests/unit/test_X.c becomes $(BUILD)/unit/test_X, linked with all of
# src/lib/*.c and the demo's files without hardware access ($(DEMO_HOST_SRCS),
# mk/demo.mk) built for the host (pure logic, no privileged instructions).
# tests/unit/compile_fail.sh checks that misuse of the VMCS width check does
# not compile. Last line printed: "unit: N passed, N failed".

HOSTCC      ?= $(CC)
UNIT_DIR    := $(BUILD)/unit
UNIT_CFLAGS := -std=gnu11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
               -Wall -Wextra -Werror -Iinclude -Isrc -Idemo
UNIT_LIBS   := -lcmocka

UNIT_SRCS     := $(wildcard tests/unit/test_*.c)
UNIT_BINS     := $(patsubst tests/unit/%.c,$(UNIT_DIR)/%,$(UNIT_SRCS))
UNIT_LIB_SRCS := $(wildcard src/lib/*.c)
UNIT_LIB_OBJS := $(patsubst src/lib/%.c,$(UNIT_DIR)/obj/%.o,$(UNIT_LIB_SRCS)) \
                 $(foreach f,$(DEMO_HOST_SRCS),$(UNIT_DIR)/obj/demo_$(notdir $(f:.c=.o)))
UNIT_LIB      := $(UNIT_DIR)/libx86vcpu-host.a
UNIT_HDRS      = $(wildcard include/x86vcpu/*.h) $(wildcard src/*/*.h) $(wildcard demo/*.h demo/*/*.h) $(wildcard tests/unit/*.h)

# Objects built by one compiler must not be linked by another (the sanitizer
# runtimes differ): a stamp holding the compiler and flags changes whenever
# they do, and everything below depends on it.
UNIT_STAMP  := $(UNIT_DIR)/.config
UNIT_CONFIG := $(HOSTCC) $(UNIT_CFLAGS)
ifeq ($(filter clean,$(MAKECMDGOALS)),)
$(shell mkdir -p '$(UNIT_DIR)' && \
        if [ "`cat '$(UNIT_STAMP)' 2>/dev/null`" != '$(UNIT_CONFIG)' ]; then \
            printf '%s\n' '$(UNIT_CONFIG)' > '$(UNIT_STAMP)'; fi)
endif
$(UNIT_STAMP):
	@mkdir -p $(dir $@)
	@printf '%s\n' '$(UNIT_CONFIG)' > $@

$(UNIT_DIR)/obj/%.o: src/lib/%.c $(UNIT_HDRS) $(UNIT_STAMP)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_CFLAGS) -c $< -o $@

# demo_NAME.o from the one host-buildable demo file NAME.c (names are unique).
demo_host_src = $(foreach f,$(DEMO_HOST_SRCS),$(if $(filter $(1).c,$(notdir $(f))),$(f)))
.SECONDEXPANSION:
$(UNIT_DIR)/obj/demo_%.o: $$(call demo_host_src,$$*) $(UNIT_HDRS) $(UNIT_STAMP)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_CFLAGS) -c $< -o $@

$(UNIT_LIB): $(UNIT_LIB_OBJS) $(UNIT_STAMP)
	@rm -f $@
	ar rcs $@ $(UNIT_LIB_OBJS)

$(UNIT_DIR)/test_%: tests/unit/test_%.c $(UNIT_LIB) $(UNIT_HDRS) $(UNIT_STAMP)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_CFLAGS) $< $(UNIT_LIB) $(UNIT_LIBS) -o $@

# Run each binary (tools/run-cmocka.sh: stop at the first failing one), then
# the compile-failure script; "unit: N passed, N failed" sums cmocka's counts
# and the script's "compile_fail: N passed, N failed" line.
unit: $(UNIT_BINS)
	@RUN_CMOCKA_NO_TOTAL=1 RUN_CMOCKA_COUNTS=$(UNIT_DIR)/counts \
	    tools/run-cmocka.sh unit --stop $(UNIT_BINS); status=$$?; \
	set -- `cat $(UNIT_DIR)/counts`; pass=$$1; fail=$$2; \
	if [ $$status -eq 0 ]; then \
	    echo "== tests/unit/compile_fail.sh"; \
	    out=`CC='$(HOSTCC)' sh tests/unit/compile_fail.sh 2>&1`; rc=$$?; \
	    printf '%s\n' "$$out"; \
	    line=`printf '%s\n' "$$out" | grep '^compile_fail: [0-9]* passed, [0-9]* failed$$' | tail -n 1`; \
	    if [ -n "$$line" ]; then \
	        p=`echo "$$line" | sed 's/^compile_fail: \([0-9]*\) passed.*/\1/'`; \
	        f=`echo "$$line" | sed 's/.* passed, \([0-9]*\) failed$$/\1/'`; \
	    else p=0; f=0; fi; \
	    if [ $$rc -ne 0 ] && [ $$f -eq 0 ]; then f=1; fi; \
	    pass=$$((pass + p)); fail=$$((fail + f)); \
	    if [ $$rc -ne 0 ] || [ $$f -ne 0 ]; then status=1; fi; \
	fi; \
	echo "unit: $$pass passed, $$fail failed"; \
	exit $$status

.PHONY: unit

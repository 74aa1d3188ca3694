# x86vcpu — GNU make build.
#   make            freestanding static library build/libx86vcpu.a
#   make run        demo hypervisor booted in Bochs (installs packages if needed)
#   make check      unit tests (ASan/UBSan) + Bochs integration run
CC      ?= gcc
ifeq ($(origin CC),default)
CC      := gcc
endif
BUILD   ?= build
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# Freestanding: no libc, no FP/SIMD (the library may run with the guest's
# FPU state loaded), no red zone (the host may take interrupts on its stack).
KFLAGS  := -std=gnu11 -ffreestanding -fno-builtin -nostdlib -mno-red-zone \
           -mno-mmx -mno-sse -mno-sse2 -mno-80387 -msoft-float \
           -fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
           -fno-omit-frame-pointer -O2 -g $(WARN)
# Hidden by default: only what include/x86vcpu/x86vcpu.h marks X86VCPU_API
# is exported (see $(LIB) below).
LIB_CFLAGS := $(KFLAGS) -fvisibility=hidden -Iinclude -Isrc $(EXTRA_CFLAGS)
LD      ?= ld
OBJCOPY ?= objcopy

LIB_SRCS := $(wildcard src/lib/*.c) $(wildcard src/vmx/*.c) $(wildcard src/vmx/*.S)
LIB_OBJS := $(patsubst %,$(BUILD)/%.o,$(LIB_SRCS))
LIB      := $(BUILD)/libx86vcpu.a

all: $(LIB)

# V=1 shows the full commands.
Q := $(if $(V),,@)

$(BUILD)/src/%.c.o: src/%.c $(wildcard include/x86vcpu/*.h) $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(LIB_CFLAGS) -c $< -o $@

$(BUILD)/src/%.S.o: src/%.S $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(LIB_CFLAGS) -c $< -o $@

# The archive holds one object: all of the library linked together (ld -r)
# with its hidden symbols made local, so the public API is all it exports;
# tools/check-lib.sh checks that, and that nothing is left undefined.
$(LIB): $(LIB_OBJS)
	@rm -f $@ $(LIB:.a=.o)
	@$(if $(Q),echo "  LD      $(LIB:.a=.o)")
	$(Q)$(LD) -r -o $(LIB:.a=.o) $^
	$(Q)$(OBJCOPY) --localize-hidden $(LIB:.a=.o)
	@$(if $(Q),echo "  AR      $@")
	$(Q)ar rcs $@ $(LIB:.a=.o)
	@CC='$(CC)' tools/check-lib.sh $@ include || { rm -f $@; exit 1; }

-include mk/*.mk

.PHONY: all clean
clean:
	rm -rf $(BUILD)

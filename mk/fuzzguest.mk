# mk/fuzzguest.mk — the guest fuzzer (tests/fuzzguest): one multiboot ELF32
# kernel on tests/lib that runs random programs from a seed, in every CPU
# mode (real, 16-bit PM, 32-bit PM with and without paging, PAE, 64-bit,
# compatibility), and prints the hash of their outcomes. tools/fuzz-guest.sh
# boots it on bare Bochs (GRUB) and as a guest of the demo (make run
# GUEST=...) and compares the two.
#
#   make fuzz-guest         short campaign for make check (FUZZ_SEED,
#                           FUZZ_COUNT, default 4096 programs); last lines
#                           "fuzz-guest: programs per mode: real=N ... compat=N"
#                           "fuzz-guest: N programs, D divergences, H host faults/hangs"
#                           (FUZZ_ARGS="... modes=long,compat" restricts the modes)
#   make fuzz-guest-long FUZZ_SEED=S FUZZ_COUNT=100000 [FUZZ_START=I] [FUZZ_CHUNK=N]
#                           the same in chunks of FUZZ_CHUNK programs; progress
#                           in $(BUILD)/fuzzguest/long-S.progress, rerunning
#                           resumes after the last finished chunk
#   make fuzz-guest-kernel  $(BUILD)/fuzzguest/fuzzguest.elf
# Reproduce one program: tools/fuzz-guest.sh show SEED INDEX (both sides,
# outcome lines and the disassembly in the program's mode).
include tests/lib/lib.mk

FUZZG_DIR  := $(BUILD)/fuzzguest
FUZZG_SRC  := tests/fuzzguest
FUZZG_ELF  := $(FUZZG_DIR)/fuzzguest.elf
FUZZ_SEED  ?= 1
FUZZ_COUNT ?= 4096
FUZZ_START ?= 0
FUZZ_CHUNK ?= 2048
# Extra kernel arguments on both sides: the quarantine switches of
# tests/fuzzguest/README.md. The default keeps string elements away from
# the edges of unbacked pages: a CMPS/MOVS element split between RAM and
# MMIO is still MMIO_UNSUPPORTED (seed 13, programs 10404 and 17401), and
# so is an SSE/CMPXCHG16B operand split between RAM and MMIO (nowidesplit:
# seed 15, program 2653). FUZZ_ARGS= runs everything. (IA32_FMASK bits 63:32 are an intended
# difference, never written: no switch.)
FUZZ_ARGS  ?= nostrmmio=1 nowidesplit=1
FUZZG_CC   ?= gcc
FUZZG_CFLAGS := -m32 -std=gnu11 -ffreestanding -fno-pic -fno-pie -nostdlib -fno-builtin \
    -mno-sse -mgeneral-regs-only -O2 -fno-stack-protector -fno-asynchronous-unwind-tables \
    -fno-delete-null-pointer-checks -Wall -Wextra -Werror -I$(FUZZG_SRC) -I$(TESTLIB) \
    -DCONSOLE_COM1
FUZZG_LDFLAGS := -m elf_i386 --no-warn-rwx-segments -z max-page-size=0x1000 --build-id=none \
    -z noexecstack -T $(TESTLIB)/boot/multiboot.ld
$(eval $(call testlib,fuzzg,32,FUZZG_CC,FUZZG_CFLAGS))

$(FUZZG_DIR)/%.o: $(FUZZG_SRC)/% $(TESTLIB_HDRS) $(FUZZG_SRC)/fuzzguest.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(FUZZG_CC) $(FUZZG_CFLAGS) -c $< -o $@

FUZZG_OBJS := $(TESTLIB_fuzzg_DIR)/boot/multiboot.S.o $(FUZZG_DIR)/fuzz.c.o $(FUZZG_DIR)/enter.S.o \
    $(TESTLIB_fuzzg_DIR)/backend-console.c.o $(TESTLIB_fuzzg)
$(FUZZG_ELF): $(FUZZG_OBJS) $(TESTLIB)/boot/multiboot.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)ld $(FUZZG_LDFLAGS) -o $@ $(FUZZG_OBJS)

fuzz-guest-kernel: $(FUZZG_ELF)

# The demo image (make run GUEST=...) is built by the script's make calls.
fuzz-guest: $(FUZZG_ELF) | deps
	@BUILD=$(BUILD) FUZZ_ARGS='$(FUZZ_ARGS)' tools/fuzz-guest.sh run $(FUZZ_SEED) $(FUZZ_START) $(FUZZ_COUNT)

fuzz-guest-long: $(FUZZG_ELF) | deps
	@BUILD=$(BUILD) FUZZ_ARGS='$(FUZZ_ARGS)' tools/fuzz-guest.sh long $(FUZZ_SEED) $(FUZZ_START) $(FUZZ_COUNT) $(FUZZ_CHUNK)

.SECONDARY: $(FUZZG_DIR)/fuzz.c.o $(FUZZG_DIR)/enter.S.o
.PHONY: fuzz-guest fuzz-guest-long fuzz-guest-kernel

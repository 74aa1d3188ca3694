# Test guests: tests/guests/PROG.c built for a CPU mode on the guest-side
# runtime (tests/lib: boot/flat*.S, backend-hv.c) into flat binaries that
# the test hypervisor embeds; their checks are HC_CHECK hypercalls.
include tests/lib/lib.mk

GUEST_CC    ?= gcc
GUEST_CFLAGS := -std=gnu11 -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie \
    -fno-stack-protector -fno-asynchronous-unwind-tables -mno-sse -mno-mmx -mno-80387 \
    -mno-red-zone -Os -ffunction-sections -fdata-sections -Wall -Wextra -Werror \
    -Itests/guests -Itests/lib -DCONSOLE_E9
# (Not GUEST_DIR: mk/demo.mk's GUEST_DIR is where make run stages GUEST=.)
TEST_GUEST_DIR := $(BUILD)/guests

# mode    compiler flags, load address (the hypervisor loads and enters there)
GUEST_real_CFLAGS   := $(GUEST_CFLAGS) -m16 -DRT_REAL_MODE
GUEST_real_BITS     := 16
GUEST_real_LD       := -m elf_i386 --defsym=LOAD_ADDR=0x8000
GUEST_prot32_CFLAGS := $(GUEST_CFLAGS) -m32
GUEST_prot32_BITS   := 32
GUEST_prot32_LD     := -m elf_i386 --defsym=LOAD_ADDR=0x100000
GUEST_long64_CFLAGS := $(GUEST_CFLAGS) -m64
GUEST_long64_BITS   := 64
GUEST_long64_LD     := -m elf_x86_64 --defsym=LOAD_ADDR=0x100000
# basic.c's RIP-relative MMIO forms: GUEST_MMIO_BASE of tests/lib/proto.h.
GUEST_LD := --defsym=mmio_base=0xe000
GUEST_MODES := real prot32 long64
$(foreach m,$(GUEST_MODES),$(eval \
    $(call testlib,guest-$(m),$(GUEST_$(m)_BITS),GUEST_CC,GUEST_$(m)_CFLAGS)))
# The runtime of a guest in MODE: entry, backend, library (boot/flat.ld puts
# the entry first, whatever the order).
guest_rt = $(TESTLIB_guest-$(1)_DIR)/boot/flat$(GUEST_$(1)_BITS).S.o \
    $(TESTLIB_guest-$(1)_DIR)/backend-hv.c.o $(TESTLIB_guest-$(1))

# A guest program is tests/guests/PROG.c built for MODE into PROG-MODE.bin.
GUEST_PROGS := basic-real basic-prot32 basic-long64 events-long64 dbgregs-long64

# $(call guest_rules,PROG,MODE)
define guest_rules
$(TEST_GUEST_DIR)/$(1)-$(2).o: tests/guests/$(1).c $(TESTLIB_HDRS)
	@mkdir -p $(TEST_GUEST_DIR)
	@$$(if $$(Q),echo "  CC      $$< ($(2))")
	$$(Q)$$(GUEST_CC) $$(GUEST_$(2)_CFLAGS) -c $$< -o $$@
$(TEST_GUEST_DIR)/$(1)-$(2).elf: $(TEST_GUEST_DIR)/$(1)-$(2).o $(call guest_rt,$(2)) $(TESTLIB)/boot/flat.ld
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)ld --no-warn-rwx-segments --gc-sections $$(GUEST_LD) $$(GUEST_$(2)_LD) \
	    -T $(TESTLIB)/boot/flat.ld -o $$@ $$< $(call guest_rt,$(2))
endef
guest_prog = $(word 1,$(subst -, ,$(1)))
guest_mode = $(word 2,$(subst -, ,$(1)))
$(foreach g,$(GUEST_PROGS),$(eval $(call guest_rules,$(call guest_prog,$(g)),$(call guest_mode,$(g)))))

$(TEST_GUEST_DIR)/%.bin: $(TEST_GUEST_DIR)/%.elf
	@$(if $(Q),echo "  OBJCOPY $@")
	$(Q)$(TESTLIB_FLAT_BIN) $< $@

GUEST_BINS := $(foreach p,$(GUEST_PROGS),$(TEST_GUEST_DIR)/$(p).bin)

# One object embedding every guest image for the test image.
# The differential kernel (mk/diff.mk) rides along as an ELF for its
# multiboot loader.
$(TEST_GUEST_DIR)/blobs.o: $(GUEST_BINS) $(BUILD)/diff/diffkernel.elf
	@mkdir -p $(TEST_GUEST_DIR)
	@{ echo '.section .rodata'; \
	  for p in $(GUEST_PROGS); do s=$$(echo $$p | tr - _); \
	    echo ".balign 16"; echo ".globl guest_$${s}_start, guest_$${s}_end"; \
	    echo "guest_$${s}_start: .incbin \"$(TEST_GUEST_DIR)/$$p.bin\""; \
	    echo "guest_$${s}_end:"; \
	  done; \
	  echo ".balign 16"; echo ".globl guest_diffkernel_start, guest_diffkernel_end"; \
	  echo "guest_diffkernel_start: .incbin \"$(BUILD)/diff/diffkernel.elf\""; \
	  echo "guest_diffkernel_end:"; \
	  echo '.section .note.GNU-stack,"",@progbits'; } > $(TEST_GUEST_DIR)/blobs.S
	$(CC) -c $(TEST_GUEST_DIR)/blobs.S -o $@

# Linked into the test image only (mk/check.mk).
TEST_GUEST_OBJS := $(TEST_GUEST_DIR)/blobs.o
guests: $(GUEST_BINS)
.PHONY: guests
.SECONDARY:

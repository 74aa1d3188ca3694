# Test guests: tests/guests/basic.c built for three CPU modes into flat
# binaries that the demo hypervisor embeds (and that can boot on bare Bochs).
GUEST_CC    ?= gcc
GUEST_CFLAGS := -std=gnu11 -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie \
    -fno-stack-protector -fno-asynchronous-unwind-tables -mno-sse -mno-mmx -mno-80387 \
    -mno-red-zone -Os -Wall -Wextra -Werror -Itests/guests -Itests/lib
GUEST_DIR   := $(BUILD)/guests

# mode  cflags            start stub  load address
GUEST_real_FLAGS   := -m16 -DGUEST_MODE='"real-mode"' -DGUEST_BITS=16 -DGUEST_BP='"ebp"'
GUEST_real_LD      := -m elf_i386 --defsym=LOAD_ADDR=0x8000
GUEST_real_START   := tests/guests/start16.S
GUEST_prot32_FLAGS := -m32 -DGUEST_MODE='"protected-mode"' -DGUEST_BITS=32 -DGUEST_BP='"ebp"'
GUEST_prot32_LD    := -m elf_i386 --defsym=LOAD_ADDR=0x100000
GUEST_prot32_START := tests/guests/start32.S
GUEST_long64_FLAGS := -m64 -DGUEST_MODE='"long-mode"' -DGUEST_BITS=64 -DGUEST_BP='"rbp"'
GUEST_long64_LD    := -m elf_x86_64 --defsym=LOAD_ADDR=0x100000
GUEST_long64_START := tests/guests/start64.S

# A guest program is tests/guests/PROG.c built for MODE into PROG-MODE.bin.
GUEST_PROGS := basic-real basic-prot32 basic-long64 events-long64
guest_prog = $(word 1,$(subst -, ,$(1)))
guest_mode = $(word 2,$(subst -, ,$(1)))

$(GUEST_DIR)/%.elf: tests/lib/proto.h tests/guests/guest.ld tests/guests/start16.S tests/guests/start32.S tests/guests/start64.S tests/guests/basic.c tests/guests/events.c
	@mkdir -p $(GUEST_DIR)
	$(eval P := $(call guest_prog,$*))
	$(eval M := $(call guest_mode,$*))
	$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_$(M)_FLAGS) -c $(GUEST_$(M)_START) -o $(GUEST_DIR)/start-$*.o
	$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_$(M)_FLAGS) -c tests/guests/$(P).c -o $(GUEST_DIR)/$*.o
	ld --no-warn-rwx-segments $(GUEST_$(M)_LD) -T tests/guests/guest.ld -o $@ $(GUEST_DIR)/start-$*.o $(GUEST_DIR)/$*.o

$(GUEST_DIR)/%.bin: $(GUEST_DIR)/%.elf
	objcopy -O binary $< $@

GUEST_BINS := $(foreach p,$(GUEST_PROGS),$(GUEST_DIR)/$(p).bin)

# One object embedding every guest image for the demo.
# The differential kernel (mk/diff.mk) rides along as an ELF for the demo's
# multiboot loader.
$(GUEST_DIR)/blobs.o: $(GUEST_BINS) $(BUILD)/diff/diffkernel.elf
	@mkdir -p $(GUEST_DIR)
	@{ echo '.section .rodata'; \
	  for p in $(GUEST_PROGS); do s=$$(echo $$p | tr - _); \
	    echo ".balign 16"; echo ".globl guest_$${s}_start, guest_$${s}_end"; \
	    echo "guest_$${s}_start: .incbin \"$(GUEST_DIR)/$$p.bin\""; \
	    echo "guest_$${s}_end:"; \
	  done; \
	  echo ".balign 16"; echo ".globl guest_diffkernel_start, guest_diffkernel_end"; \
	  echo "guest_diffkernel_start: .incbin \"$(BUILD)/diff/diffkernel.elf\""; \
	  echo "guest_diffkernel_end:"; \
	  echo '.section .note.GNU-stack,"",@progbits'; } > $(GUEST_DIR)/blobs.S
	$(CC) -c $(GUEST_DIR)/blobs.S -o $@

# Linked into the test image only (mk/check.mk).
TEST_GUEST_OBJS := $(GUEST_DIR)/blobs.o
guests: $(GUEST_BINS)
.PHONY: guests
.SECONDARY:

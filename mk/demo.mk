# mk/demo.mk — the demo hypervisor kernel, its GRUB boot ISO, and Bochs runs.
# Included by the top-level Makefile (uses CC, BUILD, KFLAGS, LIB from it).
#
#   make demo-kernel     $(BUILD)/demo.elf (multiboot v1 kernel at 1 MiB)
#   make iso             $(BUILD)/demo.iso (GRUB rescue ISO booting demo.elf)
#   make run             ISO in Bochs; console on the terminal and in
#                        $(BUILD)/demo.out; fails on timeout
#   make run GUEST=kernel.elf [CMDLINE='...'] [INITRD=file] [MEM=MiB]
#                        runs a multiboot v1 kernel written for QEMU's -kernel,
#                        or a Linux bzImage (the boot protocol, 64-bit entry;
#                        LINUX_ENTRY=32 for the 32-bit one: demo/loader/linux.h),
#                        as the demo's guest (demo/pc/); the guest's
#                        console on the terminal and in $(BUILD)/guest.out
#                        (its COM1 bytes alone in $(BUILD)/guest.out.serial);
#                        exits with the guest's exit status (tools/run-guest.sh)
#   make deps            install the Debian packages (only what is missing)
#
# Knobs:
#   DEMO_EXTRA_OBJS      extra objects linked into the kernel
#   DEMO_LIB             library linked in (default $(LIB); empty: none)
#   DEMO_IMAGE           the kernel the ISO boots (default $(BUILD)/demo.elf;
#                        mk/check.mk's test image is another)
#   DEMO_MODULES         files loaded by GRUB as multiboot modules
#                        (`module /boot/<name> <name>`, in order)
#   DEMO_CMDLINE         kernel command line
#   DEMO_GRUB_MODULES    extra GRUB modules preloaded into the ISO's core
#                        (grub-mkrescue --modules)
#   RUN_TIMEOUT          seconds before Bochs is killed (default 120)
#   MEGS                 guest-visible RAM of the Bochs machine (default 512)
#   BOCHS_LOG            Bochs' own log (default $(BUILD)/bochs.log)

# The demo: demo/*.c, demo/pc/ (the PC platform), demo/loader/ (guest
# loaders). demo/guest/ is the greeting guest, built for the guest below.
DEMO_SRCS        := $(sort $(wildcard demo/*.c) $(wildcard demo/*.S) $(wildcard demo/pc/*.c) \
                           $(wildcard demo/loader/*.c) $(wildcard demo/dev/*.c))
DEMO_OBJS        := $(patsubst %,$(BUILD)/%.o,$(DEMO_SRCS))
# What another embedder built from the demo's parts (the test image of
# mk/check.mk) links: everything but the demo's entry and its guest.
DEMO_CORE_OBJS   := $(filter-out $(BUILD)/demo/main.c.o $(BUILD)/demo/greeting.c.o,$(DEMO_OBJS))
# The files with no hardware access, also built for the host unit tests
# (mk/unit.mk).
DEMO_HOST_SRCS   := demo/bus.c demo/cmdline.c demo/loader/multiboot.c demo/loader/linux.c \
                    demo/pc/debugcon.c demo/pc/fwcfg.c demo/pc/legacy.c demo/pc/msr.c \
                    demo/pc/pm.c demo/pc/testdev.c demo/pc/uart.c demo/pc/irq.c \
                    demo/dev/pic8259.c demo/dev/pit8254.c demo/dev/vioapic.c demo/dev/rtc.c \
                    demo/dev/pmtimer.c demo/pc/acpi.c demo/pc/hostaudit.c demo/pc/pci.c
DEMO_EXTRA_OBJS  ?=
DEMO_LIB         ?= $(LIB)
DEMO_MODULES     ?=
DEMO_CMDLINE     ?=
DEMO_GRUB_MODULES ?=
RUN_TIMEOUT      ?= 120
MEGS             ?= 512
BOCHS_LOG        ?= $(BUILD)/bochs.log
DEMO_CFLAGS      := $(KFLAGS) -Iinclude -Idemo $(EXTRA_CFLAGS)
DEMO_LDFLAGS     := -nostdlib -static -Wl,-T,demo/linker.ld \
                    -Wl,-z,max-page-size=0x1000 -Wl,--build-id=none \
                    -Wl,-z,noexecstack

DEMO_ELF := $(BUILD)/demo.elf
DEMO_IMAGE ?= $(DEMO_ELF)
DEMO_ISO := $(BUILD)/demo.iso
DEMO_OUT := $(BUILD)/demo.out

# A guest kernel run: the kernel, a names file (kernel name, initrd name,
# command line: exact bytes, no shell or GRUB quoting involved) and the
# initrd become modules "kernel", "names", "initrd"; Bochs gets MEM + 256 MiB.
GUEST   ?=
CMDLINE ?=
INITRD  ?=
MEM     ?= 128
TSC_KHZ ?=
LAPIC   ?=
# IO=exit: every port exit returns to the demo's loop (default: served
# inside run() by the port handler, demo/vm.c vm_port_inline).
IO      ?=
LINUX_ENTRY ?=
GUEST_DIR := $(BUILD)/guest
ifneq ($(GUEST),)
DEMO_CMDLINE := guest mem=$(MEM)$(if $(TSC_KHZ), tsc_khz=$(TSC_KHZ))$(if $(LAPIC), lapic=$(LAPIC))$(if $(IO), io=$(IO))$(if $(LINUX_ENTRY), linux_entry=$(LINUX_ENTRY))
DEMO_MODULES := $(GUEST_DIR)/kernel $(GUEST_DIR)/names $(if $(INITRD),$(GUEST_DIR)/initrd)
DEMO_ISO     := $(BUILD)/guest.iso
DEMO_OUT     := $(BUILD)/guest.out
MEGS         := $(shell expr '$(MEM)' + 256 2>/dev/null | awk '{ print ($$1 > 512 ? $$1 : 512) }')
endif
define newline


endef
$(GUEST_DIR)/kernel: FORCE
	@mkdir -p $(dir $@)
	@test -f '$(GUEST)' || { echo "make run: GUEST=$(GUEST): no such file" >&2; exit 2; }
	@cmp -s '$(GUEST)' $@ || cp '$(GUEST)' $@
$(GUEST_DIR)/initrd: FORCE
	@mkdir -p $(dir $@)
	@test -f '$(INITRD)' || { echo "make run: INITRD=$(INITRD): no such file" >&2; exit 2; }
	@cmp -s '$(INITRD)' $@ || cp '$(INITRD)' $@
$(GUEST_DIR)/names: FORCE
	@mkdir -p $(dir $@)
	$(file >$@.tmp,$(GUEST)$(newline)$(INITRD)$(newline)$(CMDLINE))
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/demo/%.c.o: demo/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(DEMO_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/demo/%.S.o: demo/%.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(DEMO_CFLAGS) -MMD -MP -c $< -o $@

-include $(DEMO_OBJS:.o=.d)

# The greeting guest (demo/guest/): real-mode code (gcc -m16) linked at
# 0x8000, a flat image, embedded in the kernel as hello_guest_start/_end.
DEMO_GUEST_CC     ?= gcc
DEMO_GUEST_CFLAGS := -std=gnu11 -m16 -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie \
    -fno-stack-protector -fno-asynchronous-unwind-tables -mno-sse -mno-mmx -mno-80387 \
    -mno-red-zone -Os -Wall -Wextra -Werror
HELLO_DIR := $(BUILD)/demo/guest
$(HELLO_DIR)/hello.elf: demo/guest/start16.S demo/guest/hello.c demo/guest/guest.ld
	@mkdir -p $(HELLO_DIR)
	@$(if $(Q),echo "  CC      demo/guest (real mode)")
	$(Q)$(DEMO_GUEST_CC) $(DEMO_GUEST_CFLAGS) -c demo/guest/start16.S -o $(HELLO_DIR)/start16.o
	$(Q)$(DEMO_GUEST_CC) $(DEMO_GUEST_CFLAGS) -c demo/guest/hello.c -o $(HELLO_DIR)/hello.o
	$(Q)ld --no-warn-rwx-segments -m elf_i386 -T demo/guest/guest.ld -o $@ \
	    $(HELLO_DIR)/start16.o $(HELLO_DIR)/hello.o
$(HELLO_DIR)/hello.bin: $(HELLO_DIR)/hello.elf
	$(Q)objcopy -O binary $< $@
$(HELLO_DIR)/blob.o: demo/guest/blob.S $(HELLO_DIR)/hello.bin
	$(Q)$(CC) $(DEMO_CFLAGS) -DHELLO_BIN='"$(HELLO_DIR)/hello.bin"' -c $< -o $@

# Other fragments (mk/guests.mk, ...) are read after this one and append to
# DEMO_EXTRA_OBJS / DEMO_MODULES: expand those prerequisite lists late.
.SECONDEXPANSION:
$(DEMO_ELF): $(DEMO_OBJS) $(HELLO_DIR)/blob.o $$(DEMO_EXTRA_OBJS) $$(DEMO_LIB) demo/linker.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(DEMO_CFLAGS) $(DEMO_LDFLAGS) -o $@ $(DEMO_OBJS) $(HELLO_DIR)/blob.o \
	    $(DEMO_EXTRA_OBJS) $(DEMO_LIB)

# grub.cfg is rewritten only when its text changes (so the ISO is rebuilt
# when a knob changes, and not otherwise).
DEMO_GRUB_CFG_TEXT = set timeout=0\nset default=0\nmenuentry "x86vcpu demo" {\n  multiboot /boot/$(notdir $(DEMO_IMAGE)) $(DEMO_CMDLINE)\n$(foreach m,$(DEMO_MODULES),  module /boot/$(notdir $(m)) $(notdir $(m))\n)  boot\n}\n
$(BUILD)/iso/boot/grub/grub.cfg: FORCE
	@mkdir -p $(dir $@)
	@printf '%b' '$(DEMO_GRUB_CFG_TEXT)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(DEMO_ISO): $(DEMO_IMAGE) $$(DEMO_MODULES) $(BUILD)/iso/boot/grub/grub.cfg | deps
	@mkdir -p $(BUILD)/iso/boot
	@find $(BUILD)/iso/boot -maxdepth 1 -type f -delete
	cp $(DEMO_IMAGE) $(BUILD)/iso/boot/$(notdir $(DEMO_IMAGE))
	$(if $(DEMO_MODULES),cp $(DEMO_MODULES) $(BUILD)/iso/boot/)
	grub-mkrescue -o $@ $(BUILD)/iso \
	    --install-modules="multiboot normal configfile echo boot test $(DEMO_GRUB_MODULES)" \
	    $(if $(DEMO_GRUB_MODULES),--modules="$(DEMO_GRUB_MODULES)") \
	    --locales= --fonts= --themes= --compress=no >$(BUILD)/grub-mkrescue.log 2>&1 \
	  || { cat $(BUILD)/grub-mkrescue.log; exit 1; }

demo-kernel: $(DEMO_ELF)
iso: $(DEMO_ISO)

run: $(DEMO_ISO)
	$(if $(GUEST),@MEGS=$(MEGS) BOCHS_LOG=$(BUILD)/bochs-guest.log tools/run-guest.sh $(DEMO_ISO) $(DEMO_OUT) $(RUN_TIMEOUT),MEGS=$(MEGS) BOCHS_LOG=$(BOCHS_LOG) tools/run-bochs.sh $(DEMO_ISO) $(DEMO_OUT) $(RUN_TIMEOUT))

# Debian packages for the Bochs runs; installs only when something is missing.
DEMO_DEB_PKGS := bochs bochsbios vgabios grub-pc-bin grub-common xorriso mtools
APT_GET ?= apt-get
deps:
	@missing=""; \
	for p in $(DEMO_DEB_PKGS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	for c in bochs grub-mkrescue xorriso mformat; do \
	  command -v $$c >/dev/null 2>&1 || missing="$$missing (command $$c)"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: missing:$$missing -- installing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive $(APT_GET) update && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y --no-install-recommends $(DEMO_DEB_PKGS); \
	fi

FORCE:
.PHONY: demo-kernel iso run deps FORCE

# mk/linux.mk — a stock Debian Linux kernel as the demo's guest (issue 14).
#
#   make linux-test   fetches Debian's linux-image-6.1.0-56-cloud-amd64 with
#                     apt-get download (never installed: tests/linux/
#                     fetch-kernel.sh), builds the busybox initramfs of
#                     tests/linux/ (its /init, init.sh, checks uname, the
#                     hypervisor flag and no vmx in /proc/cpuinfo, timer
#                     and serial interrupts counting up, a tmpfs file, then
#                     powers off), boots both as the demo's guest (make run
#                     through the Linux boot protocol, demo/loader/linux.h),
#                     then the same kernel, initramfs and command line on
#                     bare Bochs through GRUB's `linux` command
#                     (tests/linux/bare.sh; cached by kernel, initrd and
#                     command line in $(BUILD)/linux/bare-KEY), and judges
#                     (tests/linux/check.sh): exit status 0, every /init
#                     check, the bare run reached /init, /proc/cpuinfo's
#                     flags differ from bare only in the intended bits and
#                     dmesg has no warning/error the bare run lacks
#                     (tests/linux/compare.sh); prints BENCH figures (ticks
#                     from the kernel's first instruction to /init and the
#                     uptime at /init, guest vs bare; exits by reason).
#                     Last line "linux: N passed, M failed". Part of make
#                     check. About 1 minute of Bochs, 1.5 with the bare run
#                     (plus the download once).
#
# Knobs: LINUX_FLAVOR (cloud, or amd64: the generic XZ kernel, much slower),
# LINUX_MEM (MiB, 256), LINUX_CMDLINE, LINUX_ENTRY (32: the 32-bit entry),
# LINUX_TIMEOUT (s, 900), LINUX_PLATFORM (the demo's knobs for the run),
# LINUX_BARE (1; 0: no bare-Bochs run or comparison).
LINUX_DIR      := $(BUILD)/linux
LINUX_FLAVOR   ?= cloud
LINUX_MEM      ?= 256
LINUX_CMDLINE  ?= console=ttyS0 quiet cryptomgr.notests
LINUX_TIMEOUT  ?= 900
LINUX_PLATFORM ?=
LINUX_BARE     ?= 1
LINUX_KERNEL   := $(LINUX_DIR)/vmlinuz-$(LINUX_FLAVOR)
LINUX_INITRD   := $(LINUX_DIR)/initrd.img
LINUX_DEB_PKGS := busybox-static cpio

# Installs only what is missing (as make deps does).
linux-deps:
	@missing=""; \
	for p in $(LINUX_DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "linux-deps: missing:$$missing -- installing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive $(APT_GET) update && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y --no-install-recommends $(LINUX_DEB_PKGS); \
	fi

$(LINUX_KERNEL): tests/linux/fetch-kernel.sh
	@mkdir -p $(LINUX_DIR)
	@k=`tests/linux/fetch-kernel.sh $(LINUX_FLAVOR) $(LINUX_DIR)/deb-$(LINUX_FLAVOR)` && cp "$$k" $@

$(LINUX_INITRD): tests/linux/build_initrd.sh tests/linux/init.sh tests/linux/bxmark.c \
                 tests/linux/pcicfg.c | linux-deps
	@mkdir -p $(LINUX_DIR)
	@tests/linux/build_initrd.sh $@

# The Bochs debugger's commands: continue at the start and at each of
# bxmark's magic breakpoints.
$(LINUX_DIR)/continue.rc:
	@mkdir -p $(LINUX_DIR)
	@for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do echo c; done > $@

linux-test: deps linux-deps $(LINUX_KERNEL) $(LINUX_INITRD) $(LINUX_DIR)/continue.rc
	-@BOCHS_EXTRA="magic_break: enabled=1" BOCHS_DBG_RC=$(abspath $(LINUX_DIR)/continue.rc) \
	  $(MAKE) --no-print-directory run BUILD=$(BUILD) GUEST=$(LINUX_KERNEL) INITRD=$(LINUX_INITRD) \
	    MEM=$(LINUX_MEM) $(LINUX_PLATFORM) CMDLINE='$(LINUX_CMDLINE)' RUN_TIMEOUT=$(LINUX_TIMEOUT) \
	    $(if $(LINUX_ENTRY),LINUX_ENTRY=$(LINUX_ENTRY)) >$(LINUX_DIR)/run.log 2>&1
ifneq ($(LINUX_BARE),0)
	-@tests/linux/bare.sh $(LINUX_DIR) $(LINUX_KERNEL) $(LINUX_INITRD) '$(LINUX_CMDLINE)' \
	    $(LINUX_MEM) $(LINUX_TIMEOUT) >$(LINUX_DIR)/bare.log 2>&1
	@tests/linux/check.sh $(BUILD) $(LINUX_FLAVOR) $(LINUX_DIR)/bare
else
	@tests/linux/check.sh $(BUILD) $(LINUX_FLAVOR)
endif

.PHONY: linux-test linux-deps

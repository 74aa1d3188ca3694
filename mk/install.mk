# mk/install.mk — installing the library for embedders, and the out-of-tree
# example that proves the installed copy is usable.
#
#   make install [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=] [INCLUDEDIR=]
#                        $(LIBDIR)/libx86vcpu.a, $(INCLUDEDIR)/x86vcpu/*.h,
#                        $(LIBDIR)/pkgconfig/x86vcpu.pc (Version: from
#                        include/x86vcpu/version.h)
#   make uninstall       removes exactly those files
#   make example-check   installs into $(BUILD)/stage (PREFIX=/usr, as a
#                        distribution package would) and builds
#                        examples/minimal against that copy with
#                        `pkg-config --cflags --libs x86vcpu`, under gcc and
#                        clang; part of make check
PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR      ?=
X86VCPU_VERSION := $(shell sed -n 's/^\#define X86VCPU_VERSION_STRING "\(.*\)"$$/\1/p' include/x86vcpu/version.h)
PUBLIC_HDRS  := $(wildcard include/x86vcpu/*.h)
PC_FILE      := $(BUILD)/x86vcpu.pc

# Rewritten only when its text changes (PREFIX is part of it).
$(PC_FILE): x86vcpu.pc.in include/x86vcpu/version.h FORCE
	@mkdir -p $(dir $@)
	@sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	     -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(X86VCPU_VERSION)|' $< > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

install: $(LIB) $(PC_FILE)
	install -d '$(DESTDIR)$(LIBDIR)' '$(DESTDIR)$(INCLUDEDIR)/x86vcpu' '$(DESTDIR)$(PKGCONFIGDIR)'
	install -m 644 $(LIB) '$(DESTDIR)$(LIBDIR)/libx86vcpu.a'
	install -m 644 $(PUBLIC_HDRS) '$(DESTDIR)$(INCLUDEDIR)/x86vcpu/'
	install -m 644 $(PC_FILE) '$(DESTDIR)$(PKGCONFIGDIR)/x86vcpu.pc'

uninstall:
	rm -f '$(DESTDIR)$(LIBDIR)/libx86vcpu.a' '$(DESTDIR)$(PKGCONFIGDIR)/x86vcpu.pc'
	rm -f $(patsubst include/x86vcpu/%,'$(DESTDIR)$(INCLUDEDIR)/x86vcpu/%',$(PUBLIC_HDRS))
	-rmdir '$(DESTDIR)$(INCLUDEDIR)/x86vcpu' 2>/dev/null

# The example sees nothing of this tree: only the staged install, found the
# way an embedder's build finds it (PKG_CONFIG_SYSROOT_DIR maps the /usr of
# the .pc file into the staging directory).
EXAMPLE_STAGE := $(abspath $(BUILD))/stage
example-check:
	@rm -rf $(EXAMPLE_STAGE)
	@$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(EXAMPLE_STAGE) >/dev/null
	@set -e; for cc in gcc clang; do \
	  out=$(abspath $(BUILD))/example-$$cc; \
	  env PKG_CONFIG_PATH=$(EXAMPLE_STAGE)/usr/lib/pkgconfig PKG_CONFIG_LIBDIR= \
	      PKG_CONFIG_SYSROOT_DIR=$(EXAMPLE_STAGE) \
	      $(MAKE) --no-print-directory -C examples/minimal CC=$$cc O=$$out clean all; \
	done
	@echo "example-check: examples/minimal built against the installed x86vcpu $(X86VCPU_VERSION) (pkg-config) with gcc and clang"

.PHONY: install uninstall example-check

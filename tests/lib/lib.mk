# tests/lib/lib.mk — builds the guest-side runtime (tests/lib) once per
# flavour: a CPU mode with the compiler flags of the images that use it.
# Included by mk/guests.mk, mk/mbkernels.mk and mk/diff.mk.
#
#   $(eval $(call testlib,NAME,BITS,CC_VAR,CFLAGS_VAR))
#     BITS 16, 32 or 64; CC_VAR, CFLAGS_VAR: names of the variables with the
#     compiler and its flags (the flags pick the console: -DCONSOLE_COM1
#     and/or -DCONSOLE_E9; -m16 also needs -DRT_REAL_MODE).
#   defines
#     TESTLIB_<NAME>       the archive (libtest.a) of the mode-independent
#                          parts and the mode's trap stubs (and GDT)
#     TESTLIB_<NAME>_DIR   where every object goes: a file F of tests/lib
#                          becomes $(TESTLIB_<NAME>_DIR)/F.o, so an image
#                          names its boot stub (boot/flat16.S.o,
#                          boot/multiboot.S.o, ...) and its backend
#                          (backend-hv.c.o, backend-console.c.o) that way.
#   $(TESTLIB_FLAT_BIN) IN.elf OUT.bin
#     the flat binary of an image linked with boot/flat.ld, its BSS included
ifndef TESTLIB_MK
TESTLIB_MK := 1
TESTLIB_FLAT_BIN := objcopy -O binary --set-section-flags .bss=alloc,load,contents

TESTLIB      := tests/lib
TESTLIB_HDRS := $(wildcard $(TESTLIB)/*.h)
TESTLIB_C    := string.c console.c printf.c report.c trap.c start.c multiboot.c pc.c
TESTLIB_S_16 := trap16.S
TESTLIB_S_32 := trap32.S boot/gdt.S
TESTLIB_S_64 := trap64.S boot/gdt.S
# Linked by name, not through the archive.
TESTLIB_BOOT_16 := boot/flat16.S
TESTLIB_BOOT_32 := boot/flat32.S boot/multiboot.S
TESTLIB_BOOT_64 := boot/flat64.S
TESTLIB_BACKENDS := backend-hv.c backend-console.c

define testlib
TESTLIB_$(1)_DIR := $$(BUILD)/testlib/$(1)
TESTLIB_$(1) := $$(TESTLIB_$(1)_DIR)/libtest.a
TESTLIB_$(1)_OBJS := $$(patsubst %,$$(TESTLIB_$(1)_DIR)/%.o,$$(TESTLIB_C) $$(TESTLIB_S_$(2)))

$$(TESTLIB_$(1)_DIR)/%.o: $$(TESTLIB)/% $$(TESTLIB_HDRS)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  CC      $$< ($(1))")
	$$(Q)$$($(3)) $$($(4)) -I$$(TESTLIB) -c $$< -o $$@

# Objects made by the pattern rule below are not intermediate files to delete.
.SECONDARY: $$(TESTLIB_$(1)_OBJS) \
    $$(patsubst %,$$(TESTLIB_$(1)_DIR)/%.o,$$(TESTLIB_BOOT_$(2)) $$(TESTLIB_BACKENDS))

$$(TESTLIB_$(1)): $$(TESTLIB_$(1)_OBJS)
	@rm -f $$@
	@$$(if $$(Q),echo "  AR      $$@")
	$$(Q)ar rcs $$@ $$^
endef

endif

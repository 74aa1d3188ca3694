# Fuzzing and cross-checks of the MMIO instruction decoder (src/lib/decode.c).
#   make fuzz-decode            libFuzzer run on the decoder (clang
#                               -fsanitize=fuzzer,address,undefined) for
#                               FUZZ_TIME seconds (default 20), seeded with
#                               the unit test's table; last line printed:
#                               "fuzz-decode: N executions in S s, ..."
#   make decode-objdump-check   the decoder against objdump's disassembly
#                               (tools/decode-objdump-check.sh)
# libFuzzer's runtime comes with clang's compiler-rt: on Debian 12 the
# package libclang-rt-14-dev (for clang 14). Crash inputs land in
# $(BUILD)/fuzz/; the corpus grows in $(BUILD)/fuzz/corpus-decode.

FUZZ_CC     ?= clang
FUZZ_TIME   ?= 20
FUZZ_DIR    := $(BUILD)/fuzz
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all $(WARN) -Iinclude -Isrc
FUZZ_DECODE := $(FUZZ_DIR)/fuzz_decode
FUZZ_DECODE_CORPUS := $(FUZZ_DIR)/corpus-decode
DECODE_TEST := $(BUILD)/unit/test_decode

$(FUZZ_DECODE): tests/fuzz/fuzz_decode.c src/lib/decode.c src/lib/decode.h src/lib/alu.c src/lib/alu.h
	@mkdir -p $(dir $@)
	@if ! echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n); int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' | \
	    $(FUZZ_CC) -fsanitize=fuzzer -x c - -o $(FUZZ_DIR)/.probe >/dev/null 2>&1; then \
	    echo "fuzz-decode: $(FUZZ_CC) -fsanitize=fuzzer does not link: install libFuzzer (Debian: apt-get install libclang-rt-14-dev)" >&2; \
	    exit 1; \
	fi; rm -f $(FUZZ_DIR)/.probe
	$(FUZZ_CC) $(FUZZ_CFLAGS) tests/fuzz/fuzz_decode.c src/lib/decode.c src/lib/alu.c -o $@

# Seeds from the table (test_decode --seeds), then a bounded run; libFuzzer's
# final statistics give the number of executions.
fuzz-decode: $(FUZZ_DECODE) $(DECODE_TEST)
	@mkdir -p $(FUZZ_DECODE_CORPUS)
	@$(DECODE_TEST) --seeds $(FUZZ_DECODE_CORPUS)
	@log=$(FUZZ_DIR)/fuzz-decode.log; \
	echo "fuzz-decode: running $(FUZZ_TIME) s (log: $$log)"; \
	$(FUZZ_DECODE) -max_total_time=$(FUZZ_TIME) -max_len=32 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DECODE_CORPUS) > $$log 2>&1; rc=$$?; \
	runs=`sed -n 's/^stat::number_of_executed_units: *\([0-9][0-9]*\)/\1/p' $$log | tail -n 1`; \
	secs=`sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' $$log | tail -n 1`; \
	cov=`grep -o 'cov: [0-9]*' $$log | tail -n 1`; \
	units=`ls $(FUZZ_DECODE_CORPUS) | wc -l`; \
	if [ $$rc -ne 0 ]; then \
	    tail -n 40 $$log; echo "fuzz-decode: FAILED (exit status $$rc) after $${runs:-?} executions"; exit 1; \
	fi; \
	echo "fuzz-decode: $$runs executions in $${secs:-?} s, $$cov, corpus $$units inputs, no failures"

decode-objdump-check: $(DECODE_TEST)
	@sh tools/decode-objdump-check.sh $(DECODE_TEST)

.PHONY: fuzz-decode decode-objdump-check

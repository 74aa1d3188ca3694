/* tests/harness/bench_mem.h — see bench_mem.c. */
#ifndef TESTS_HARNESS_BENCH_MEM_H
#define TESTS_HARNESS_BENCH_MEM_H
unsigned long bench_vcpu_record_bytes(void);
unsigned long bench_vm_record_bytes(void);
#endif

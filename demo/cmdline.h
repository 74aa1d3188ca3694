/* demo/cmdline.h — the words of a command line ("test", "mem=64", ...) and
 * the few string helpers the freestanding demo needs. Pure; unit-tested on
 * the host (tests/unit/test_cmdline.c). */
#ifndef DEMO_CMDLINE_H
#define DEMO_CMDLINE_H

#include <stdint.h>

/* 1 when w is a space-separated word of s (s may be NULL). */
int has_word(const char *s, const char *w);
/* The decimal value of "key=N" among the space-separated words of s: 1 and
 * *val set, or 0 (absent, not a number, or 2^40 and more). */
int word_value(const char *s, const char *key, uint64_t *val);
uint64_t str_len(const char *s);
int str_eq(const char *a, const char *b);

#endif

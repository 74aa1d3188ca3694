/* Unit tests: the demo's command-line words (demo/cmdline.c): "test",
 * "guest", "mem=64" as GRUB passes them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "cmdline.h"

static void test_has_word(void **state)
{
    (void)state;
    assert_true(has_word("test", "test"));
    assert_true(has_word("guest mem=64", "guest"));
    assert_true(has_word("mem=64 guest", "guest"));
    assert_false(has_word("guests", "guest"));
    assert_false(has_word("", "guest"));
    assert_false(has_word(NULL, "guest"));
    assert_false(has_word("mem=64", "mem"));
}

static void test_word_value(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_true(word_value("guest mem=64", "mem", &v));
    assert_int_equal(v, 64);
    assert_true(word_value("mem=3072 guest", "mem", &v));
    assert_int_equal(v, 3072);
    v = 7;
    assert_false(word_value("guest", "mem", &v));
    assert_false(word_value("mem=", "mem", &v));
    assert_false(word_value("mem=12x", "mem", &v));
    assert_false(word_value("xmem=12", "mem", &v));
    assert_false(word_value("mem 12", "mem", &v));
    assert_false(word_value(NULL, "mem", &v));
    assert_int_equal(v, 7);
    /* Values stop growing at 2^40: a huge one is refused, not wrapped. */
    assert_false(word_value("mem=99999999999999999999999", "mem", &v));
    assert_int_equal(v, 7);
    assert_true(word_value("  mem=0  ", "mem", &v));
    assert_int_equal(v, 0);
}

static void test_strings(void **state)
{
    (void)state;
    assert_int_equal(str_len(""), 0);
    assert_int_equal(str_len("kernel"), 6);
    assert_true(str_eq("kernel", "kernel"));
    assert_false(str_eq("kernel", "kern"));
    assert_false(str_eq("kern", "kernel"));
    assert_true(str_eq("", ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_has_word),
        cmocka_unit_test(test_word_value),
        cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

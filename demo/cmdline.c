/* demo/cmdline.c — see cmdline.h. */
#include <stdint.h>

#include "cmdline.h"

int has_word(const char *s, const char *w)
{
    for (const char *start = s; s && *s; s++) {
        /* A whole word: "pic=virtual" is not in "lapic=virtual". */
        if (s != start && s[-1] != ' ')
            continue;
        const char *a = s, *b = w;
        while (*b && *a == *b)
            a++, b++;
        if (!*b && (*a == 0 || *a == ' '))
            return 1;
    }
    return 0;
}

int word_value(const char *s, const char *key, uint64_t *val)
{
    while (s && *s) {
        while (*s == ' ')
            s++;
        const char *a = s, *k = key;
        while (*k && *a == *k)
            a++, k++;
        if (!*k && *a == '=') {
            uint64_t v = 0;
            int any = 0;
            for (a++; *a >= '0' && *a <= '9' && v < (1ull << 40); a++, any = 1)
                v = v * 10 + (uint64_t)(*a - '0');
            if (any && (*a == 0 || *a == ' ')) {
                *val = v;
                return 1;
            }
        }
        while (*s && *s != ' ')
            s++;
    }
    return 0;
}

uint64_t str_len(const char *s)
{
    uint64_t n = 0;
    while (s[n])
        n++;
    return n;
}

int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

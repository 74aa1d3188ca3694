/* tests/harness/report.c — one line per check, and the summary line that
 * tools/check-result.sh and tools/check-summary.sh read. */
#include <stdint.h>

#include "console.h"
#include "harness.h"

static unsigned n_passed, n_failed;

void result_count(int ok)
{
    if (ok)
        n_passed++;
    else
        n_failed++;
}

void result(int ok, const char *what)
{
    result_count(ok);
    con_printf("%s %s\n", ok ? "PASS" : "FAIL", what);
}

void result_val(int ok, const char *what, uint64_t got, uint64_t expected)
{
    result(ok, what);
    if (!ok)
        con_printf("     got 0x%lx, expected 0x%lx\n", (unsigned long)got,
                   (unsigned long)expected);
}

void report_summary(void)
{
    con_printf("%u passed, %u failed\n", n_passed, n_failed);
}

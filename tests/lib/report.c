/* tests/lib/report.c — check*() and note(): the name is formatted here, the
 * verdict goes to the image's backend (report_verdict), which prints it
 * (backend-console.c) or hands it to the test hypervisor (backend-hv.c). */
#include "libtest.h"

u32 checks_passed, checks_failed;

static int verdict(int ok, const char *name, u64 got, u64 exp, const char *got_text,
                   const char *exp_text)
{
    if (ok)
        checks_passed++;
    else
        checks_failed++;
    report_verdict(ok, name, got, exp, ok ? NULL : got_text, ok ? NULL : exp_text);
    return ok;
}

#define FORMAT_NAME(name, fmt)              \
    do {                                    \
        va_list ap_;                        \
        va_start(ap_, fmt);                 \
        vsnprintf(name, sizeof name, fmt, ap_); \
        va_end(ap_);                        \
    } while (0)

int check(int cond, const char *fmt, ...)
{
    char name[200];
    FORMAT_NAME(name, fmt);
    return verdict(cond != 0, name, cond != 0, 1, "false", "true");
}

int check_eq(u64 got, u64 exp, const char *fmt, ...)
{
    char name[200], g[24] = "", e[24] = "";
    FORMAT_NAME(name, fmt);
    if (got != exp) {
        snprintf(g, sizeof g, "0x%llx", (unsigned long long)got);
        snprintf(e, sizeof e, "0x%llx", (unsigned long long)exp);
    }
    return verdict(got == exp, name, got, exp, g, e);
}

/* "text" with non-printable bytes as \xNN (so the output stays text),
 * "..." after 64 bytes of it, or (none). */
static void quote(char *buf, size_t size, const char *s)
{
    if (!s) {
        snprintf(buf, size, "(none)");
        return;
    }
    size_t n = (size_t)snprintf(buf, size, "\"");
    const char *p;
    for (p = s; *p && n < 64; p++) {
        u8 c = (u8)*p;
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            n += (size_t)snprintf(buf + n, size - n, "%c", c);
        else
            n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
    }
    snprintf(buf + n, size - n, "%s\"", *p ? "..." : "");
}

int check_str(const char *got, const char *exp, const char *fmt, ...)
{
    char name[200], g[300] = "", e[300] = "";
    FORMAT_NAME(name, fmt);
    int ok = got && exp && strcmp(got, exp) == 0;
    if (!ok) {
        quote(g, sizeof g, got);
        quote(e, sizeof e, exp);
    }
    return verdict(ok, name, ok, 1, g, e);
}

const char *fault_name(int v)
{
    static const char *const names[32] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS", "#NP",
        "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    };
    if (v == NOFAULT)
        return "no fault";
    return v >= 0 && v < 32 && names[v] ? names[v] : "#?";
}

int check_fault(int got, int exp, const char *fmt, ...)
{
    char name[200];
    FORMAT_NAME(name, fmt);
    return verdict(got == exp, name, (u32)got, (u32)exp, fault_name(got), fault_name(exp));
}

void note(const char *fmt, ...)
{
    char buf[400];
    FORMAT_NAME(buf, fmt);
    printf("# %s\n", buf);
}

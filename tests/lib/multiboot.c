/* tests/lib/multiboot.c — C entry of the multiboot kernels
 * (boot/multiboot.S) and their command line: console, IDT, argv from the
 * information structure, then main(argc, argv); its value goes to the
 * backend's exit(). */
#include "multiboot.h"

u32 mb_magic, mb_info_addr;

#define MAX_ARGS 32
int rt_argc;
char *rt_argv[MAX_ARGS + 1];
static char cmdline_copy[1024];

static void parse_cmdline(const char *s)
{
    u32 n = 0;
    while (*s && n + 1 < sizeof cmdline_copy)
        cmdline_copy[n++] = *s++;
    cmdline_copy[n] = '\0';
    char *p = cmdline_copy;
    while (*p && rt_argc < MAX_ARGS) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        rt_argv[rt_argc++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    rt_argv[rt_argc] = NULL;
}

int main(int argc, char **argv);
void mb_start(u32 magic, u32 info);

void mb_start(u32 magic, u32 info)
{
    mb_magic = magic;
    mb_info_addr = info;
    console_init();
    trap_init();
    const struct mb_info *mbi = (const struct mb_info *)(uptr)info;
    if (magic == MB_BOOT_MAGIC && (mbi->flags & MBI_CMDLINE) && mbi->cmdline)
        parse_cmdline((const char *)(uptr)mbi->cmdline);
    exit(main(rt_argc, rt_argv));
}

const char *arg_get(const char *key)
{
    size_t kl = strlen(key);
    for (int i = 1; i < rt_argc; i++)
        if (memcmp(rt_argv[i], key, kl) == 0 && rt_argv[i][kl] == '=')
            return rt_argv[i] + kl + 1;
    return NULL;
}

int parse_u32(const char *s, u32 *out)
{
    u32 v = 0, base = 10;
    if (!s || !*s)
        return 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!*s)
            return 0;
    }
    for (; *s; s++) {
        u32 d;
        if (*s >= '0' && *s <= '9') d = (u32)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f') d = (u32)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F') d = (u32)(*s - 'A' + 10);
        else return 0;
        v = v * base + d;
    }
    *out = v;
    return 1;
}

u32 arg_u32(const char *key, u32 dflt)
{
    u32 v;
    return parse_u32(arg_get(key), &v) ? v : dflt;
}

const char *kernel_name(void)
{
    return rt_argc > 0 ? basename(rt_argv[0]) : "kernel";
}

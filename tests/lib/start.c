/* tests/lib/start.c — C entry of the flat images (boot/flat*.S): console,
 * IDT, then the image's main(); its value goes to the backend's exit(). */
#include "libtest.h"

int main(void);
void flat_start(void);

void flat_start(void)
{
    console_init();
    trap_init();
    exit(main());
}

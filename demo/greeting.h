/* demo/greeting.h — the greeting guest of `make run` (greeting.c). */
#ifndef DEMO_GREETING_H
#define DEMO_GREETING_H

#include <x86vcpu/x86vcpu.h>

void greeting_main(struct x86vcpu_cpu *cpu);

#endif

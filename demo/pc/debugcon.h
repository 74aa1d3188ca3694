/* demo/pc/debugcon.h — port 0xE9, the debug console of Bochs ("e9 hack")
 * and QEMU (-debugcon): every byte written goes to the machine's console;
 * a byte read returns 0xE9, by which Bochs' port identifies itself. */
#ifndef DEMO_PC_DEBUGCON_H
#define DEMO_PC_DEBUGCON_H

struct vm;

#define DEBUGCON_PORT 0xe9
int debugcon_attach(struct vm *vm);

#endif

/* x86vcpu/version.h — the library's version, for embedders that must build
 * against more than one (also in x86vcpu.pc as Version:). The minor number
 * moves with every change of the public API while the major is 0. */
#ifndef X86VCPU_VERSION_H
#define X86VCPU_VERSION_H

#define X86VCPU_VERSION_MAJOR 0
#define X86VCPU_VERSION_MINOR 9
#define X86VCPU_VERSION_PATCH 0
/* One number to compare: 0x00MMmmpp. */
#define X86VCPU_VERSION_NUMBER \
    ((X86VCPU_VERSION_MAJOR << 16) | (X86VCPU_VERSION_MINOR << 8) | X86VCPU_VERSION_PATCH)
#define X86VCPU_VERSION_STRING "0.9.0"

#endif

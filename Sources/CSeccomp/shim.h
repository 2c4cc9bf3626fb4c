#ifndef CSeccomp_SHIM_H
#define CSeccomp_SHIM_H
#include <seccomp.h>
#endif

#ifndef CLibFFI_SHIM_H
#define CLibFFI_SHIM_H
#include <ffi.h>
#endif

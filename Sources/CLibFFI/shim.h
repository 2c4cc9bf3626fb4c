#ifndef CLibFFI_SHIM_H
#define CLibFFI_SHIM_H
#include <ffi.h>

/* Helpers for Swift: the ffi_type for an mcpk op signature code, and a
 * prep_cif with the platform's default ABI (an enum alias Swift cannot name). */
static inline ffi_type *mcpk_ffi_type_for(char code) {
  switch (code) {
    case 'v': return &ffi_type_void;
    case 'b': case 'i': return &ffi_type_sint32;
    case 'l': return &ffi_type_sint64;
    case 'd': return &ffi_type_double;
    case 's': return &ffi_type_pointer;
    default: return 0;
  }
}

static inline ffi_status mcpk_ffi_prep_cif(ffi_cif *cif, unsigned nargs, ffi_type *rtype, ffi_type **atypes) {
  return ffi_prep_cif(cif, FFI_DEFAULT_ABI, nargs, rtype, atypes);
}
#endif

#ifndef CHTTPParser_SHIM_H
#define CHTTPParser_SHIM_H
#include <http_parser.h>
#endif

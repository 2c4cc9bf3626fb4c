#ifndef CLibCurl_SHIM_H
#define CLibCurl_SHIM_H
#include <curl/curl.h>
#endif

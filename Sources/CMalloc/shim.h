// glibc's allocator settings (mallopt), which the Glibc module does not carry.
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

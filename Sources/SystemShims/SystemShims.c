// Glibc declares preadv2 and RWF_NOWAIT only with _GNU_SOURCE, which Swift's Glibc module is
// not built with; so the call lives here.
#define _GNU_SOURCE
#include "SystemShims.h"

#include <errno.h>
#include <sys/uio.h>

ssize_t satellite_pread_if_cached(int fd, void *buffer, size_t count, off_t offset) {
#if defined(__linux__) && defined(RWF_NOWAIT)
    struct iovec vector = { .iov_base = buffer, .iov_len = count };
    return preadv2(fd, &vector, 1, offset, RWF_NOWAIT);
#else
    (void)fd; (void)buffer; (void)count; (void)offset;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

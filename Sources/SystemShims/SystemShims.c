// Glibc declares preadv2, RWF_NOWAIT and sync_file_range only with _GNU_SOURCE, which Swift's
// Glibc module is not built with; so the calls live here.
#define _GNU_SOURCE
#include "SystemShims.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#endif

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

int satellite_start_writeback(int fd, off_t offset, off_t length) {
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)length;
    return 0;
#endif
}

void satellite_release_free_memory(void) {
#if defined(__linux__) && defined(__GLIBC__)
    malloc_trim(0);
#endif
}

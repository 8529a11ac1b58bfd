#ifndef SATELLITE_SYSTEM_SHIMS_H
#define SATELLITE_SYSTEM_SHIMS_H

#include <stddef.h>
#include <sys/types.h>

/// Reads like pread(2), but only what the page cache already holds: -1 with errno EAGAIN when
/// the read would wait for the disk (Linux preadv2 with RWF_NOWAIT), -1 with EOPNOTSUPP where
/// the system or file system cannot tell.
ssize_t satellite_pread_if_cached(int fd, void *buffer, size_t count, off_t offset);

/// Starts writing a file range back to the disk without waiting for it (Linux sync_file_range
/// with SYNC_FILE_RANGE_WRITE), so that a later fsync has less left to do. A length of 0 means
/// to the end of the file. A no-op returning 0 elsewhere.
int satellite_start_writeback(int fd, off_t offset, off_t length);

/// Returns free heap memory to the system (glibc malloc_trim); a no-op elsewhere.
void satellite_release_free_memory(void);

#endif

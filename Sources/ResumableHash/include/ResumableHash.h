#ifndef SATELLITE_RESUMABLE_HASH_H
#define SATELLITE_RESUMABLE_HASH_H

#include <stddef.h>
#include <stdint.h>

/// A running SHA-256 whose state is plain data, so that an upload session can save it and
/// continue hashing after a restart instead of reading its file back.
///
/// The layout is BoringSSL's SHA256_CTX: the work is done by the BoringSSL that swift-crypto
/// links (its hardware-accelerated code on x86-64 and ARMv8), whose state struct swift-crypto
/// does not expose.
typedef struct {
    uint32_t h[8];
    uint32_t length_low_bits, length_high_bits;
    uint8_t block[64];
    unsigned int buffered, digest_length;
} satellite_sha256_state;

void satellite_sha256_init(satellite_sha256_state *state);
void satellite_sha256_update(satellite_sha256_state *state, const void *bytes, size_t count);
/// Writes the digest of everything fed so far; `state` is left unchanged.
void satellite_sha256_final(const satellite_sha256_state *state, uint8_t digest[32]);

#endif

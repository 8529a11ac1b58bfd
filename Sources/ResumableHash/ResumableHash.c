#include "ResumableHash.h"

#include <string.h>

// swift-crypto builds BoringSSL with every symbol prefixed by "CCryptoBoringSSL_". These three
// are BoringSSL's public SHA-256 API; declaring them here (rather than importing the module,
// which swift-crypto does not export) ties this file to that prefix: if it ever changes, the
// link fails, it does not misbehave.
struct sha256_state_st;
int CCryptoBoringSSL_SHA256_Init(struct sha256_state_st *sha);
int CCryptoBoringSSL_SHA256_Update(struct sha256_state_st *sha, const void *data, size_t len);
int CCryptoBoringSSL_SHA256_Final(uint8_t out[32], struct sha256_state_st *sha);

// BoringSSL's struct sha256_state_st: uint32_t h[8]; uint32_t Nl, Nh; uint8_t data[64];
// unsigned num, md_len. The contract tests compare against swift-crypto's SHA256 as well.
_Static_assert(sizeof(satellite_sha256_state) == 8 * 4 + 2 * 4 + 64 + 2 * sizeof(unsigned int),
               "satellite_sha256_state must match BoringSSL's SHA256_CTX");

void satellite_sha256_init(satellite_sha256_state *state) {
    CCryptoBoringSSL_SHA256_Init((struct sha256_state_st *)state);
}

void satellite_sha256_update(satellite_sha256_state *state, const void *bytes, size_t count) {
    CCryptoBoringSSL_SHA256_Update((struct sha256_state_st *)state, bytes, count);
}

void satellite_sha256_final(const satellite_sha256_state *state, uint8_t digest[32]) {
    // Final pads in place; work on a copy so the running state can go on.
    satellite_sha256_state copy;
    memcpy(&copy, state, sizeof copy);
    CCryptoBoringSSL_SHA256_Final(digest, (struct sha256_state_st *)&copy);
}

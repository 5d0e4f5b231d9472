// The parts of the system libcrypto (libssl-dev) Vial uses: HMAC, SHA-2, PBKDF2,
// scrypt, RAND_bytes and CRYPTO_memcmp.
#ifndef VIAL_CLIBCRYPTO_SHIM_H
#define VIAL_CLIBCRYPTO_SHIM_H
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#endif

#ifndef MERKISTO_CBASE64URL_H
#define MERKISTO_CBASE64URL_H

#include <stddef.h>
#include <stdint.h>

/// Decodes base64url characters (RFC 4648 §5) 32 at a time with AVX2 when `vectors` is 2, then sixteen at a
/// time with SSSE3 when it is 1 or more, each where the processor has it (0: decodes nothing; the tests hold
/// each way to Foundation). Decodes whole blocks from the start of `input` (`count` characters) into
/// `output` (12 bytes for 16 characters; a block's store writes 16 or 32 bytes, so a block is decoded only
/// while that much of `capacity` is left), and stops before a block with a character outside the alphabet.
/// Returns the number of characters decoded (a multiple of 16; 0 without SSSE3); the caller decodes the
/// rest, and finds any bad character there.
size_t merkisto_base64url_decode_blocks(int vectors, const uint8_t *input, size_t count, uint8_t *output, size_t capacity);

#endif

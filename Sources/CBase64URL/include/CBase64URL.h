#ifndef MERKISTO_CBASE64URL_H
#define MERKISTO_CBASE64URL_H

#include <stddef.h>
#include <stdint.h>

/// Decodes base64url characters (RFC 4648 §5) sixteen at a time with SSSE3, where the processor has it and
/// `vectors` is 1 (0: decodes nothing, for the tests that hold both ways to Foundation).
/// Decodes whole blocks of 16 characters from the start of `input` (`count` characters) into `output`
/// (12 bytes a block; each block's store writes 16 bytes, so a block is decoded only while 16 bytes of
/// `capacity` are left), and stops before a block with a character outside the alphabet. Returns the
/// number of characters decoded (a multiple of 16; 0 without SSSE3); the caller decodes the rest, and
/// finds any bad character there.
size_t merkisto_base64url_decode_blocks(int vectors, const uint8_t *input, size_t count, uint8_t *output, size_t capacity);

#endif

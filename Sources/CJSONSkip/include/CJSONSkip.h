#ifndef MERKISTO_CJSONSKIP_H
#define MERKISTO_CJSONSKIP_H

#include <stddef.h>
#include <stdint.h>

/// Checks the JSON value that starts at `input[start]` (its first byte, not white space) as the strict
/// reader in Basics/JSONReader.swift checks a value it does not keep, and returns the offset just past it.
/// `depth` is the value's depth (at most 63 for a value, as the reader allows). Strings are scanned sixteen
/// bytes at a time with SSE2 where the processor is x86-64.
///
/// Returns -1 when the value is not well-formed JSON or when this function is not sure (a number with an
/// exponent or of more than 18 characters, whose range the reader checks): the caller then reads the value
/// itself, which finds and explains any error. It never returns an offset for a value the reader refuses.
///
/// `plain_keys` is set to 0 when a key of an object in the value is not a plain JSON-LD term (empty, with an
/// escape or a ':', or starting with '@' other than "@context" at depth 0); it is left as it is otherwise,
/// and only changed when the function returns an offset.
ptrdiff_t merkisto_json_skip_value(const uint8_t *input, size_t count, size_t start, long depth, int *plain_keys);

/// Checks the JSON string whose opening quote is at `input[start]` as the reader does, and returns the
/// offset just past its closing quote, or -1 when it is not a valid JSON string. `shape` is set to the
/// string's bits: 1 it has an escape, 2 a ':' outside escapes, 4 a byte above 0x7F.
ptrdiff_t merkisto_json_skip_string(const uint8_t *input, size_t count, size_t start, unsigned *shape);

#endif

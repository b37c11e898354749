#include "CJSONSkip.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// The reader's limit: a value deeper than this is refused.
enum { MAX_DEPTH = 64 };

static inline int is_space(uint8_t c) { return c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09; }

static inline size_t skip_space(const uint8_t *p, size_t n, size_t i) {
    while (i < n && is_space(p[i])) i++;
    return i;
}

static inline int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static inline int hex_value(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// The four hex digits at p[i], or -1.
static inline long hex4(const uint8_t *p, size_t n, size_t i) {
    if (i + 4 > n) return -1;
    long value = 0;
    for (size_t k = 0; k < 4; k++) {
        int digit = hex_value(p[i + k]);
        if (digit < 0) return -1;
        value = value << 4 | digit;
    }
    return value;
}

// RFC 3629 UTF-8, as UTF8Check in Basics: no overlong forms, no surrogates, nothing above U+10FFFF.
static int utf8_valid(const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t lead = p[i];
        if (lead < 0x80) {
#if defined(__SSE2__)
            // To the next byte above 0x7F among the next sixteen.
            if (i + 16 <= n) {
                const unsigned highs = (unsigned)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(p + i)));
                i += highs == 0 ? 16 : (size_t)__builtin_ctz(highs);
                continue;
            }
#endif
            i++;
            continue;
        }
        size_t length;
        if (lead >= 0xC2 && lead <= 0xDF) length = 2;
        else if (lead >= 0xE0 && lead <= 0xEF) length = 3;
        else if (lead >= 0xF0 && lead <= 0xF4) length = 4;
        else return 0;
        if (i + length > n) return 0;
        for (size_t k = 1; k < length; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return 0;
        }
        uint8_t second = p[i + 1];
        if (lead == 0xE0 && second < 0xA0) return 0;   // overlong
        if (lead == 0xED && second >= 0xA0) return 0;  // a surrogate
        if (lead == 0xF0 && second < 0x90) return 0;   // overlong
        if (lead == 0xF4 && second >= 0x90) return 0;  // above U+10FFFF
        i += length;
    }
    return 1;
}

enum { STRING_ESCAPED = 1, STRING_COLON = 2, STRING_NON_ASCII = 4 };

#if defined(__SSE2__)
// Bit k set where byte k of the 16 is a quote, a backslash or a control character.
static inline unsigned special_bits(__m128i block) {
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(block, _mm_set1_epi8(0x1F)), block);  // unsigned <= 0x1F
    const __m128i stops = _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('"')), _mm_cmpeq_epi8(block, _mm_set1_epi8('\\')));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(stops, control));
}
#endif

// The string whose opening quote is at p[i]: returns the offset after its closing quote, or 0 when it is not
// a valid JSON string (escapes, a `\u` surrogate only as a high-low pair, no raw control characters, UTF-8).
// *shape says whether it had an escape, a ':' outside escapes, a byte above 0x7F. Most strings are shorter than 32 bytes:
// looking at 32 at once before the one test makes that test predictable.
static inline __attribute__((always_inline)) size_t skip_string(const uint8_t *p, size_t n, size_t i, unsigned *shape) {
    const size_t start = ++i;
    unsigned high = 0, colon = 0, escaped = 0;
    for (;;) {
#if defined(__SSE2__)
        while (i + 32 <= n) {
            const __m128i first = _mm_loadu_si128((const __m128i *)(p + i));
            const __m128i second = _mm_loadu_si128((const __m128i *)(p + i + 16));
            const uint32_t special = special_bits(first) | special_bits(second) << 16;
            const uint32_t highs = (uint32_t)_mm_movemask_epi8(first) | (uint32_t)_mm_movemask_epi8(second) << 16;
            const __m128i colons = _mm_set1_epi8(':');
            const uint32_t found = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(first, colons))
                | (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(second, colons)) << 16;
            if (special != 0) {
                const uint32_t before = (special & (0u - special)) - 1;
                high |= highs & before;
                colon |= found & before;
                i += (size_t)__builtin_ctz(special);
                goto stop;
            }
            high |= highs;
            colon |= found;
            i += 32;
        }
#endif
        while (i < n) {
            const uint8_t c = p[i];
            if (c == '"' || c == '\\' || c < 0x20) break;
            high |= c & 0x80;
            colon |= c == ':';
            i++;
        }
        if (i >= n) return 0;
#if defined(__SSE2__)
    stop:
#endif
        {
            const uint8_t c = p[i];
            if (c == '"') {
                if (high != 0 && !utf8_valid(p + start, i - start)) return 0;
                *shape = (escaped ? STRING_ESCAPED : 0) | (colon ? STRING_COLON : 0) | (high ? STRING_NON_ASCII : 0);
                return i + 1;
            }
            if (c < 0x20) return 0;
        }
        // A backslash.
        escaped = 1;
        if (i + 1 >= n) return 0;
        switch (p[i + 1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            i += 2;
            continue;
        case 'u': {
            const long unit = hex4(p, n, i + 2);
            if (unit < 0 || (unit >= 0xDC00 && unit < 0xE000)) return 0;  // a low surrogate alone
            i += 6;
            if (unit >= 0xD800 && unit < 0xDC00) {
                // A high surrogate's low half must follow at once.
                if (!(i + 1 < n && p[i] == '\\' && p[i + 1] == 'u')) return 0;
                const long low = hex4(p, n, i + 2);
                if (low < 0xDC00 || low >= 0xE000) return 0;
                i += 6;
            }
            continue;
        }
        default:
            return 0;
        }
    }
}

// A number of the RFC 8259 grammar that is surely in range: no exponent and at most 18 characters.
static size_t skip_number(const uint8_t *p, size_t n, size_t i) {
    const size_t start = i;
    if (i < n && p[i] == '-') i++;
    if (i >= n || !is_digit(p[i])) return 0;
    if (p[i] == '0') {
        i++;
    } else {
        while (i < n && is_digit(p[i])) i++;
    }
    if (i < n && p[i] == '.') {
        i++;
        if (i >= n || !is_digit(p[i])) return 0;
        while (i < n && is_digit(p[i])) i++;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) return 0;  // not sure: the reader checks the range
    if (i - start > 18) return 0;                          // not sure, as above
    return i;
}

static inline size_t skip_literal(const uint8_t *p, size_t n, size_t i, const char *literal, size_t length) {
    return i + length <= n && memcmp(p + i, literal, length) == 0 ? i + length : 0;
}

ptrdiff_t merkisto_json_skip_value(const uint8_t *input, size_t count, size_t start, long depth, int *plain_keys) {
    const uint8_t *p = input;
    const size_t n = count;
    if (p == NULL || depth < 0 || start >= n) return -1;
    int plain = *plain_keys;
    // The open containers, innermost last: '{' or '['.
    uint8_t open[MAX_DEPTH];
    long levels = 0;
    size_t i = start;
    unsigned shape = 0;

value:
    if (depth + levels >= MAX_DEPTH || i >= n) return -1;
    switch (p[i]) {
    case '"':
        i = skip_string(p, n, i, &shape);
        if (i == 0) return -1;
        goto after_value;
    case '{':
        open[levels++] = '{';
        i = skip_space(p, n, i + 1);
        if (i < n && p[i] == '}') {
            i++;
            levels--;
            goto after_value;
        }
        goto key;
    case '[':
        open[levels++] = '[';
        i = skip_space(p, n, i + 1);
        if (i < n && p[i] == ']') {
            i++;
            levels--;
            goto after_value;
        }
        goto value;
    case 't':
        i = skip_literal(p, n, i, "true", 4);
        break;
    case 'f':
        i = skip_literal(p, n, i, "false", 5);
        break;
    case 'n':
        i = skip_literal(p, n, i, "null", 4);
        break;
    default:
        i = skip_number(p, n, i);
        break;
    }
    if (i == 0) return -1;
    goto after_value;

key: {
    if (i >= n || p[i] != '"') return -1;
    const size_t key_start = i + 1;
    i = skip_string(p, n, i, &shape);
    if (i == 0) return -1;
    if (plain) {
        const size_t length = i - 1 - key_start;
        // The object's own depth: the value that holds this key.
        const long object_depth = depth + levels - 1;
        if (length == 0 || (shape & (STRING_ESCAPED | STRING_COLON)) != 0) {
            plain = 0;
        } else if (p[key_start] == '@' && !(object_depth == 0 && length == 8 && memcmp(p + key_start, "@context", 8) == 0)) {
            plain = 0;
        }
    }
    i = skip_space(p, n, i);
    if (i >= n || p[i] != ':') return -1;
    i = skip_space(p, n, i + 1);
    goto value;
}

after_value:
    if (levels == 0) {
        *plain_keys = plain;
        return (ptrdiff_t)i;
    }
    i = skip_space(p, n, i);
    if (i >= n) return -1;
    if (open[levels - 1] == '{') {
        if (p[i] == ',') {
            i = skip_space(p, n, i + 1);
            goto key;
        }
        if (p[i] != '}') return -1;
    } else {
        if (p[i] == ',') {
            i = skip_space(p, n, i + 1);
            goto value;
        }
        if (p[i] != ']') return -1;
    }
    i++;
    levels--;
    goto after_value;
}

ptrdiff_t merkisto_json_skip_string(const uint8_t *input, size_t count, size_t start, unsigned *shape) {
    if (input == NULL || start >= count || input[start] != '"') return -1;
    const size_t end = skip_string(input, count, start, shape);
    return end == 0 ? -1 : (ptrdiff_t)end;
}

#include "CBase64URL.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <stdatomic.h>
#include <tmmintrin.h>

// The alphabet by high nibble: 0x2D '-', 0x30–0x39, 0x41–0x5A, 0x5F '_', 0x61–0x7A. A character is valid
// when the bits of its low nibble's entry and of its high nibble's entry have nothing in common: each high
// nibble that has valid characters has one bit (its class), and each low nibble's entry holds the classes
// in which it is not valid, and bit 7, which every high nibble without valid characters (0xFF) meets.
__attribute__((target("ssse3")))
static size_t decode_ssse3(const uint8_t *input, size_t count, uint8_t *output, size_t capacity) {
    // Classes: 0x2_ bit 0, 0x3_ bit 1, 0x4_ bit 2, 0x5_ bit 3, 0x6_ bit 4, 0x7_ bit 5.
    const __m128i high_classes = _mm_setr_epi8(
        (char)0xFF, (char)0xFF, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20,
        (char)0xFF, (char)0xFF, (char)0xFF, (char)0xFF, (char)0xFF, (char)0xFF, (char)0xFF, (char)0xFF);
    // For each low nibble, bit 7 and the classes it is not valid in:
    //   0x2_: only D; 0x3_: 0–9; 0x4_ and 0x6_: 1–F; 0x5_ and 0x7_: 0–A (0x5_ also F).
    const __m128i low_invalid = _mm_setr_epi8(
        (char)(0x80 | 0x01 | 0x04 | 0x10),  // 0
        (char)(0x80 | 0x01),                // 1
        (char)(0x80 | 0x01),                // 2
        (char)(0x80 | 0x01),                // 3
        (char)(0x80 | 0x01),                // 4
        (char)(0x80 | 0x01),                // 5
        (char)(0x80 | 0x01),                // 6
        (char)(0x80 | 0x01),                // 7
        (char)(0x80 | 0x01),                // 8
        (char)(0x80 | 0x01),                // 9
        (char)(0x80 | 0x01 | 0x02),         // A
        (char)(0x80 | 0x01 | 0x02 | 0x08 | 0x20),  // B
        (char)(0x80 | 0x01 | 0x02 | 0x08 | 0x20),  // C
        (char)(0x80 | 0x02 | 0x08 | 0x20),         // D
        (char)(0x80 | 0x01 | 0x02 | 0x08 | 0x20),  // E
        (char)(0x80 | 0x01 | 0x02 | 0x20));        // F
    // What to add to a character, by high nibble, for its six bits ('_' is fixed after).
    const __m128i high_offsets = _mm_setr_epi8(
        0, 0, 62 - 0x2D, 52 - 0x30, -0x41, -0x41, 26 - 0x61, 26 - 0x61, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m128i underscore = _mm_set1_epi8(0x5F);
    const __m128i underscore_fix = _mm_set1_epi8((63 - 0x5F) - (-0x41));
    const __m128i nibble = _mm_set1_epi8(0x0F);
    // Pairs of six bits into twelve (a * 64 + b), pairs of twelve into 24 (x * 4096 + y).
    const __m128i pairs = _mm_set1_epi32(0x01400140);
    const __m128i quads = _mm_set1_epi32(0x00011000);
    // The three bytes of each 32-bit lane, high byte first.
    const __m128i order = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);

    size_t done = 0, written = 0;
    while (done + 16 <= count && written + 16 <= capacity) {
        const __m128i characters = _mm_loadu_si128((const __m128i *)(input + done));
        const __m128i high = _mm_and_si128(_mm_srli_epi16(characters, 4), nibble);
        const __m128i low = _mm_and_si128(characters, nibble);
        const __m128i invalid = _mm_and_si128(_mm_shuffle_epi8(low_invalid, low), _mm_shuffle_epi8(high_classes, high));
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(invalid, _mm_setzero_si128())) != 0xFFFF) break;
        __m128i offsets = _mm_shuffle_epi8(high_offsets, high);
        offsets = _mm_add_epi8(offsets, _mm_and_si128(_mm_cmpeq_epi8(characters, underscore), underscore_fix));
        const __m128i sixes = _mm_add_epi8(characters, offsets);
        const __m128i twelves = _mm_maddubs_epi16(sixes, pairs);
        const __m128i lanes = _mm_madd_epi16(twelves, quads);
        _mm_storeu_si128((__m128i *)(output + written), _mm_shuffle_epi8(lanes, order));
        done += 16;
        written += 12;
    }
    return done;
}

// Asked once (cpuid is slow in a virtual machine); verifiers on several threads may ask at the same time,
// and each finds the same answer.
static int has_ssse3(void) {
    static _Atomic int known = -1;
    int answer = atomic_load_explicit(&known, memory_order_relaxed);
    if (answer < 0) {
        unsigned a, b, c, d;
        answer = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSSE3) ? 1 : 0;
        atomic_store_explicit(&known, answer, memory_order_relaxed);
    }
    return answer;
}

size_t merkisto_base64url_decode_blocks(int vectors, const uint8_t *input, size_t count, uint8_t *output, size_t capacity) {
    return vectors == 1 && has_ssse3() ? decode_ssse3(input, count, output, capacity) : 0;
}

#else

size_t merkisto_base64url_decode_blocks(int vectors, const uint8_t *input, size_t count, uint8_t *output, size_t capacity) {
    (void)vectors; (void)input; (void)count; (void)output; (void)capacity;
    return 0;
}

#endif

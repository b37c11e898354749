#include "CBase64URL.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <stdatomic.h>
#include <immintrin.h>

// The alphabet by high nibble: 0x2D '-', 0x30–0x39, 0x41–0x5A, 0x5F '_', 0x61–0x7A. A character is valid
// when the bits of its low nibble's entry and of its high nibble's entry have nothing in common: each high
// nibble that has valid characters has one bit (its class), and each low nibble's entry holds the classes
// in which it is not valid, and bit 7, which every high nibble without valid characters (0xFF) meets.
// The tables are the same sixteen bytes for SSSE3 and for each 128-bit lane of AVX2.
// Classes: 0x2_ bit 0, 0x3_ bit 1, 0x4_ bit 2, 0x5_ bit 3, 0x6_ bit 4, 0x7_ bit 5.
static const uint8_t HIGH_CLASSES[16] = {0xFF, 0xFF, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
// For each low nibble, bit 7 and the classes it is not valid in:
//   0x2_: only D; 0x3_: 0–9; 0x4_ and 0x6_: 1–F; 0x5_ and 0x7_: 0–A (0x5_ also F).
static const uint8_t LOW_INVALID[16] = {
    0x80 | 0x01 | 0x04 | 0x10,         // 0
    0x80 | 0x01,                       // 1
    0x80 | 0x01,                       // 2
    0x80 | 0x01,                       // 3
    0x80 | 0x01,                       // 4
    0x80 | 0x01,                       // 5
    0x80 | 0x01,                       // 6
    0x80 | 0x01,                       // 7
    0x80 | 0x01,                       // 8
    0x80 | 0x01,                       // 9
    0x80 | 0x01 | 0x02,                // A
    0x80 | 0x01 | 0x02 | 0x08 | 0x20,  // B
    0x80 | 0x01 | 0x02 | 0x08 | 0x20,  // C
    0x80 | 0x02 | 0x08 | 0x20,         // D
    0x80 | 0x01 | 0x02 | 0x08 | 0x20,  // E
    0x80 | 0x01 | 0x02 | 0x20,         // F
};
// What to add to a character, by high nibble, for its six bits ('_' is fixed after).
static const int8_t HIGH_OFFSETS[16] = {0, 0, 62 - 0x2D, 52 - 0x30, -0x41, -0x41, 26 - 0x61, 26 - 0x61, 0, 0, 0, 0, 0, 0, 0, 0};
// The three bytes of each 32-bit lane, high byte first; the last four bytes zero.
static const int8_t ORDER[16] = {2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1};
// Pairs of six bits into twelve (a * 64 + b), pairs of twelve into 24 (x * 4096 + y).
enum { PAIRS = 0x01400140, QUADS = 0x00011000, UNDERSCORE_FIX = (63 - 0x5F) - (-0x41) };

__attribute__((target("ssse3")))
static size_t decode_ssse3(const uint8_t *input, size_t count, uint8_t *output, size_t capacity) {
    const __m128i high_classes = _mm_loadu_si128((const __m128i *)HIGH_CLASSES);
    const __m128i low_invalid = _mm_loadu_si128((const __m128i *)LOW_INVALID);
    const __m128i high_offsets = _mm_loadu_si128((const __m128i *)HIGH_OFFSETS);
    const __m128i order = _mm_loadu_si128((const __m128i *)ORDER);
    const __m128i underscore = _mm_set1_epi8(0x5F);
    const __m128i underscore_fix = _mm_set1_epi8(UNDERSCORE_FIX);
    const __m128i nibble = _mm_set1_epi8(0x0F);
    const __m128i pairs = _mm_set1_epi32(PAIRS);
    const __m128i quads = _mm_set1_epi32(QUADS);

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

// The same steps on 32 characters, each 128-bit lane as one SSSE3 block; the two lanes' 12 bytes are put
// side by side before one 32-byte store (so a block is decoded only while 32 bytes of capacity are left).
__attribute__((target("avx2")))
static size_t decode_avx2(const uint8_t *input, size_t count, uint8_t *output, size_t capacity) {
    const __m256i high_classes = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)HIGH_CLASSES));
    const __m256i low_invalid = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)LOW_INVALID));
    const __m256i high_offsets = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)HIGH_OFFSETS));
    const __m256i order = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)ORDER));
    const __m256i together = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
    const __m256i underscore = _mm256_set1_epi8(0x5F);
    const __m256i underscore_fix = _mm256_set1_epi8(UNDERSCORE_FIX);
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    const __m256i pairs = _mm256_set1_epi32(PAIRS);
    const __m256i quads = _mm256_set1_epi32(QUADS);

    size_t done = 0, written = 0;
    while (done + 32 <= count && written + 32 <= capacity) {
        const __m256i characters = _mm256_loadu_si256((const __m256i *)(input + done));
        const __m256i high = _mm256_and_si256(_mm256_srli_epi16(characters, 4), nibble);
        const __m256i low = _mm256_and_si256(characters, nibble);
        const __m256i invalid = _mm256_and_si256(_mm256_shuffle_epi8(low_invalid, low), _mm256_shuffle_epi8(high_classes, high));
        if ((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(invalid, _mm256_setzero_si256())) != 0xFFFFFFFFu) break;
        __m256i offsets = _mm256_shuffle_epi8(high_offsets, high);
        offsets = _mm256_add_epi8(offsets, _mm256_and_si256(_mm256_cmpeq_epi8(characters, underscore), underscore_fix));
        const __m256i sixes = _mm256_add_epi8(characters, offsets);
        const __m256i twelves = _mm256_maddubs_epi16(sixes, pairs);
        const __m256i lanes = _mm256_madd_epi16(twelves, quads);
        const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(lanes, order), together);
        _mm256_storeu_si256((__m256i *)(output + written), bytes);
        done += 32;
        written += 24;
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

// AVX2 in the processor and its 256-bit registers kept by the system (XCR0 bits 1 and 2).
static int has_avx2(void) {
    static _Atomic int known = -1;
    int answer = atomic_load_explicit(&known, memory_order_relaxed);
    if (answer < 0) {
        unsigned a, b, c, d;
        answer = 0;
        if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE) && (c & bit_AVX)) {
            unsigned low, high;
            __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
            if ((low & 6) == 6 && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX2)) answer = 1;
        }
        atomic_store_explicit(&known, answer, memory_order_relaxed);
    }
    return answer;
}

size_t merkisto_base64url_decode_blocks(int vectors, const uint8_t *input, size_t count, uint8_t *output, size_t capacity) {
    size_t done = 0;
    if (vectors >= 2 && has_avx2()) done = decode_avx2(input, count, output, capacity);
    const size_t written = done / 4 * 3;
    if (vectors >= 1 && has_ssse3()) done += decode_ssse3(input + done, count - done, output + written, capacity - written);
    return done;
}

#else

size_t merkisto_base64url_decode_blocks(int vectors, const uint8_t *input, size_t count, uint8_t *output, size_t capacity) {
    (void)vectors; (void)input; (void)count; (void)output; (void)capacity;
    return 0;
}

#endif

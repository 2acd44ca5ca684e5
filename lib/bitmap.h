/* SPDX-License-Identifier: MIT */
/*
 * bitmap.h - bitmaps of 64-bit words, with the kernel's names.
 *
 * Bit n of a map is bit n % 64 of word n / 64, so a map is also an array of
 * words that a caller can read or write whole (kho does, to serialize). A
 * size is in bits; bits of the last word beyond it are never read by the
 * searches and never written by set/clear.
 *
 * The searches return size when they find nothing, as the kernel's do (a
 * start at or past size included: no bit is read). A helper with
 * preconditions, not codes (mm.h): the map must hold the bits named.
 */
#ifndef MMSTACK_BITMAP_H
#define MMSTACK_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

#define BITS_PER_WORD 64u
#define BITS_TO_WORDS(nbits) (((nbits) + BITS_PER_WORD - 1) / BITS_PER_WORD)

static inline bool test_bit(uint64_t nr, const uint64_t *map)
{
	return (map[nr / BITS_PER_WORD] >> (nr % BITS_PER_WORD)) & 1;
}

static inline void set_bit(uint64_t nr, uint64_t *map)
{
	map[nr / BITS_PER_WORD] |= (uint64_t)1 << (nr % BITS_PER_WORD);
}

static inline void clear_bit(uint64_t nr, uint64_t *map)
{
	map[nr / BITS_PER_WORD] &= ~((uint64_t)1 << (nr % BITS_PER_WORD));
}

/* Bits [start, start + nr) of one word: nr 1..64, start + nr <= 64. */
static inline uint64_t bitmap_word_mask(unsigned start, unsigned nr)
{
	return (nr == BITS_PER_WORD ? ~(uint64_t)0 : (((uint64_t)1 << nr) - 1)) << start;
}

/* Set / clear bits [start, start + nr). */
void bitmap_set(uint64_t *map, uint64_t start, uint64_t nr);
void bitmap_clear(uint64_t *map, uint64_t start, uint64_t nr);

/* The first set (zero) bit in [start, size), or size when there is none. */
uint64_t find_next_bit(const uint64_t *map, uint64_t size, uint64_t start);
uint64_t find_next_zero_bit(const uint64_t *map, uint64_t size, uint64_t start);

/* The last set bit in [start, end), or end when there is none (a search
 * backwards, for the start of a run that ends at end). */
uint64_t find_prev_bit(const uint64_t *map, uint64_t start, uint64_t end);

/* Set bits in [0, nbits). */
uint64_t bitmap_weight(const uint64_t *map, uint64_t nbits);
/* No bit / every bit of [0, nbits) set. */
bool bitmap_empty(const uint64_t *map, uint64_t nbits);
bool bitmap_full(const uint64_t *map, uint64_t nbits);

/*
 * The lowest s >= start with s & align_mask == 0 such that bits [s, s + nr)
 * are all zero and s + nr <= size; UINT64_MAX when there is none (and for
 * nr 0). align_mask + 1 is a power of two.
 */
uint64_t bitmap_find_next_zero_area(const uint64_t *map, uint64_t size, uint64_t start,
				    uint64_t nr, uint64_t align_mask);

#endif

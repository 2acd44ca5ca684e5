/* SPDX-License-Identifier: MIT */
/*
 * bitmap.c - bitmaps of 64-bit words (see bitmap.h).
 *
 * Whole words at a time: a range touches its first and last word through a
 * mask and every word between them whole; a search skips words with nothing
 * to find.
 */
#include "bitmap.h"

void bitmap_set(uint64_t *map, uint64_t start, uint64_t nr)
{
	while (nr) {
		unsigned off = (unsigned)(start % BITS_PER_WORD);
		unsigned n = nr < BITS_PER_WORD - off ? (unsigned)nr : BITS_PER_WORD - off;

		map[start / BITS_PER_WORD] |= bitmap_word_mask(off, n);
		start += n;
		nr -= n;
	}
}

void bitmap_clear(uint64_t *map, uint64_t start, uint64_t nr)
{
	while (nr) {
		unsigned off = (unsigned)(start % BITS_PER_WORD);
		unsigned n = nr < BITS_PER_WORD - off ? (unsigned)nr : BITS_PER_WORD - off;

		map[start / BITS_PER_WORD] &= ~bitmap_word_mask(off, n);
		start += n;
		nr -= n;
	}
}

/* The search of both: invert flips every word read, so that a zero bit
 * is looked for as a set one. */
static uint64_t find_next(const uint64_t *map, uint64_t size, uint64_t start, uint64_t invert)
{
	uint64_t w;

	if (start >= size)
		return size;
	w = (map[start / BITS_PER_WORD] ^ invert) & (~(uint64_t)0 << (start % BITS_PER_WORD));
	start -= start % BITS_PER_WORD;
	while (!w) {
		start += BITS_PER_WORD;
		if (start >= size)
			return size;
		w = map[start / BITS_PER_WORD] ^ invert;
	}
	start += (uint64_t)__builtin_ctzll(w);
	return start < size ? start : size;
}

uint64_t find_prev_bit(const uint64_t *map, uint64_t start, uint64_t end)
{
	uint64_t i = end;

	while (i > start) {
		uint64_t lo = (i - 1) & ~(uint64_t)(BITS_PER_WORD - 1);
		uint64_t w = map[(i - 1) / BITS_PER_WORD];

		if (i % BITS_PER_WORD)
			w &= ((uint64_t)1 << (i % BITS_PER_WORD)) - 1;
		if (lo < start)
			w &= ~(uint64_t)0 << (start - lo);
		if (w)
			return lo + (BITS_PER_WORD - 1) - (uint64_t)__builtin_clzll(w);
		i = lo;
	}
	return end;
}

uint64_t find_next_bit(const uint64_t *map, uint64_t size, uint64_t start)
{
	return find_next(map, size, start, 0);
}

uint64_t find_next_zero_bit(const uint64_t *map, uint64_t size, uint64_t start)
{
	return find_next(map, size, start, ~(uint64_t)0);
}

uint64_t bitmap_weight(const uint64_t *map, uint64_t nbits)
{
	uint64_t n = 0, i;

	for (i = 0; i < nbits / BITS_PER_WORD; i++)
		n += (uint64_t)__builtin_popcountll(map[i]);
	if (nbits % BITS_PER_WORD)
		n += (uint64_t)__builtin_popcountll(map[i] &
						    bitmap_word_mask(0, nbits % BITS_PER_WORD));
	return n;
}

bool bitmap_empty(const uint64_t *map, uint64_t nbits)
{
	return find_next_bit(map, nbits, 0) == nbits;
}

bool bitmap_full(const uint64_t *map, uint64_t nbits)
{
	return find_next_zero_bit(map, nbits, 0) == nbits;
}

uint64_t bitmap_find_next_zero_area(const uint64_t *map, uint64_t size, uint64_t start,
				    uint64_t nr, uint64_t align_mask)
{
	if (!nr || nr > size || start > size - nr)
		return UINT64_MAX;
	for (;;) {
		uint64_t s = find_next_zero_bit(map, size, start), busy;

		/* Round up to the alignment; past size - nr nothing fits. */
		if (s > size - nr || s > UINT64_MAX - align_mask)
			return UINT64_MAX;
		s = (s + align_mask) & ~align_mask;
		if (s > size - nr)
			return UINT64_MAX;
		busy = find_next_bit(map, s + nr, s);
		if (busy == s + nr)
			return s;
		start = busy + 1;
	}
}

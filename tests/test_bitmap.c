/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of lib/bitmap: each operation against a bit-at-a-time
 * reference on random maps and ranges, word edges and the ends of a map.
 */
#include <string.h>

#include "bitmap.h"
#include "check.h"

#define NBITS 300u /* not a multiple of 64: the last word is partial */
#define NWORDS BITS_TO_WORDS(NBITS)

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void random_map(uint64_t *map)
{
	for (unsigned i = 0; i < NWORDS; i++) /* sparse, dense or mixed words */
		map[i] = next() & (i % 3 == 0 ? next() & next() : i % 3 == 1 ? ~(uint64_t)0 : next());
}

static uint64_t ref_next(const uint64_t *map, uint64_t size, uint64_t start, bool want)
{
	for (uint64_t i = start; i < size; i++)
		if (test_bit(i, map) == want)
			return i;
	return size;
}

static void test_set_clear(void)
{
	for (int round = 0; round < 2000; round++) {
		uint64_t a[NWORDS], b[NWORDS];
		uint64_t start = next() % NBITS, nr = next() % (NBITS - start + 1);
		bool set = round & 1;

		random_map(a);
		memcpy(b, a, sizeof(a));
		if (set)
			bitmap_set(a, start, nr);
		else
			bitmap_clear(a, start, nr);
		for (uint64_t i = start; i < start + nr; i++)
			set ? set_bit(i, b) : clear_bit(i, b);
		CHECK(!memcmp(a, b, sizeof(a)));
	}
	{ /* a whole word, and nothing outside the range */
		uint64_t m[3] = { 0, 0, 0 };

		bitmap_set(m, 64, 64);
		CHECK_EQ(m[0], 0);
		CHECK_EQ(m[1], ~(uint64_t)0);
		CHECK_EQ(m[2], 0);
		bitmap_clear(m, 65, 62);
		CHECK_EQ(m[1], 0x8000000000000001ull);
		bitmap_set(m, 10, 0);
		CHECK_EQ(m[0], 0);
	}
}

static void test_find(void)
{
	for (int round = 0; round < 2000; round++) {
		uint64_t m[NWORDS];
		uint64_t size = 1 + next() % NBITS, start = next() % (size + 2);

		random_map(m);
		CHECK_EQ(find_next_bit(m, size, start), ref_next(m, size, start, true));
		CHECK_EQ(find_next_zero_bit(m, size, start), ref_next(m, size, start, false));
	}
	{
		uint64_t m[2] = { 0, 1ull << 63 };

		CHECK_EQ(find_next_bit(m, 128, 0), 127);
		CHECK_EQ(find_next_bit(m, 127, 0), 127); /* bit 127 is past size */
		CHECK_EQ(find_next_zero_bit(m, 128, 127), 128);
		CHECK_EQ(find_next_bit(m, 128, 200), 128);
	}
}

static uint64_t ref_prev(const uint64_t *map, uint64_t start, uint64_t end)
{
	for (uint64_t i = end; i > start; i--)
		if (test_bit(i - 1, map))
			return i - 1;
	return end;
}

static void test_find_prev(void)
{
	for (int round = 0; round < 2000; round++) {
		uint64_t m[NWORDS];
		uint64_t end = next() % (NBITS + 1), start = next() % (end + 1);

		random_map(m);
		CHECK_EQ(find_prev_bit(m, start, end), ref_prev(m, start, end));
	}
	{
		uint64_t m[3] = { 1, 0, 1ull << 63 };

		CHECK_EQ(find_prev_bit(m, 0, 192), 191);
		CHECK_EQ(find_prev_bit(m, 0, 191), 0);  /* across a whole empty word */
		CHECK_EQ(find_prev_bit(m, 1, 191), 191); /* none in [1, 191) */
		CHECK_EQ(find_prev_bit(m, 0, 0), 0);
		CHECK_EQ(find_prev_bit(m, 64, 64), 64);
	}
}

static void test_weight_empty_full(void)
{
	for (int round = 0; round < 500; round++) {
		uint64_t m[NWORDS], n = 0, size = next() % (NBITS + 1);
		bool all = true;

		random_map(m);
		for (uint64_t i = 0; i < size; i++) {
			n += test_bit(i, m);
			all &= test_bit(i, m);
		}
		CHECK_EQ(bitmap_weight(m, size), n);
		CHECK_EQ(bitmap_empty(m, size), n == 0);
		CHECK_EQ(bitmap_full(m, size), all);
	}
	{
		uint64_t m[2] = { ~(uint64_t)0, 0x7 };

		CHECK(bitmap_full(m, 67));
		CHECK(!bitmap_full(m, 68));
		CHECK_EQ(bitmap_weight(m, 66), 66);
		CHECK(bitmap_empty(m, 0));
	}
}

static uint64_t ref_zero_area(const uint64_t *m, uint64_t size, uint64_t start, uint64_t nr,
			      uint64_t mask)
{
	for (uint64_t s = start; nr && s + nr <= size; s++) {
		bool ok = !(s & mask);

		for (uint64_t i = s; ok && i < s + nr; i++)
			ok = !test_bit(i, m);
		if (ok)
			return s;
	}
	return UINT64_MAX;
}

static void test_zero_area(void)
{
	for (int round = 0; round < 2000; round++) {
		uint64_t m[NWORDS], size = next() % (NBITS + 1), start = next() % (NBITS + 1);
		uint64_t nr = next() % 40, mask = (1ull << (next() % 5)) - 1;

		for (unsigned i = 0; i < NWORDS; i++) /* mostly set: holes to find */
			m[i] = next() | next() | (round & 1 ? 0 : next());
		CHECK_EQ(bitmap_find_next_zero_area(m, size, start, nr, mask),
			 ref_zero_area(m, size, start, nr, mask));
	}
	{
		uint64_t m[1] = { 0xff00ff };

		CHECK_EQ(bitmap_find_next_zero_area(m, 64, 0, 8, 7), 8);
		CHECK_EQ(bitmap_find_next_zero_area(m, 64, 0, 9, 0), 24);
		CHECK_EQ(bitmap_find_next_zero_area(m, 64, 0, 65, 0), UINT64_MAX);
		CHECK_EQ(bitmap_find_next_zero_area(m, 64, 60, 5, 0), UINT64_MAX);
		CHECK_EQ(bitmap_find_next_zero_area(m, 64, 0, 4, UINT64_MAX >> 1), 0x0ull - 1);
		/* An alignment of 2^64: only bit 0 is aligned, and rounding any
		 * other bit up would wrap: none, not a wrapped 0. */
		CHECK_EQ(bitmap_find_next_zero_area(m, 64, 0, 4, UINT64_MAX), UINT64_MAX);
		m[0] = 0xfe;
		CHECK_EQ(bitmap_find_next_zero_area(m, 64, 0, 1, UINT64_MAX), 0);
	}
}

int main(void)
{
	test_set_clear();
	test_find();
	test_find_prev();
	test_weight_empty_full();
	test_zero_area();
	return check_summary("test_bitmap");
}

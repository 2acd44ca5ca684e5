/* SPDX-License-Identifier: MIT */
/* Unit tests of the shared pieces: error names, arithmetic, the fault hook. */
#include <string.h>

#include "check.h"
#include "mm.h"

static void test_errors(void)
{
	CHECK(!strcmp(mm_errname(-MM_EINVAL), "EINVAL"));
	CHECK(!strcmp(mm_errname(MM_ENOMEM), "ENOMEM"));
	CHECK(mm_errname(-1) == NULL);
	CHECK_EQ(mm_errcode("EBUSY"), MM_EBUSY);
	CHECK_EQ(mm_errcode("ENOPE"), 0);
	CHECK(!strcmp(mm_strerror(0), "success"));
	CHECK(!strcmp(mm_strerror(-MM_ENOENT), "no such object"));
	CHECK(!strcmp(mm_strerror(-9999), "unknown error"));
}

static void test_arith(void)
{
	uint64_t r = 0;

	CHECK(mm_add_ok(1, 2, &r) && r == 3);
	CHECK(!mm_add_ok(UINT64_MAX, 1, &r));
	CHECK_EQ(mm_cap_size(UINT64_MAX - 10, 100), 10);
	CHECK_EQ(mm_cap_size(0, UINT64_MAX), UINT64_MAX);
	CHECK_EQ(mm_cap_size(UINT64_MAX, 5), 0);
	CHECK(mm_round_up(0x1001, 0x1000, &r) && r == 0x2000);
	CHECK(!mm_round_up(UINT64_MAX - 1, 0x1000, &r));
	CHECK_EQ(mm_round_down(0x1fff, 0x1000), 0x1000);
	CHECK(mm_is_pow2(1) && mm_is_pow2(1ull << 63) && !mm_is_pow2(0) && !mm_is_pow2(6));
}

static void test_fault_schedule(void)
{
	struct mm_meta m;
	void *p[5];

	mm_meta_init(&m);
	mm_meta_fail_at(&m, 3, false);
	for (int i = 0; i < 5; i++)
		p[i] = mm_meta_alloc(&m, 16);
	CHECK(p[0] && p[1] && !p[2] && p[3] && p[4]);
	CHECK_EQ(m.calls, 5);
	CHECK_EQ(m.failures, 1);
	CHECK_EQ(m.live, 4);
	CHECK_EQ(m.live_bytes, 64);
	for (int i = 0; i < 5; i++)
		mm_meta_free(&m, p[i], 16);
	CHECK_EQ(m.live, 0);

	mm_meta_fail_at(&m, 2, true);
	p[0] = mm_meta_alloc(&m, 8);
	p[1] = mm_meta_alloc(&m, 8);
	p[2] = mm_meta_alloc(&m, 8);
	CHECK(p[0] && !p[1] && !p[2]);
	CHECK_EQ(m.failures, 2);
	mm_meta_free(&m, p[0], 8);

	/* Zeroed memory, and an overflowing calloc is refused, not wrapped. */
	mm_meta_fail_at(&m, 0, false);
	{
		unsigned char *z = mm_meta_calloc(&m, 4, 8);

		CHECK(z && z[0] == 0 && z[31] == 0);
		mm_meta_free(&m, z, 32);
	}
	CHECK(mm_meta_calloc(&m, SIZE_MAX / 2, 4) == NULL);
	CHECK_EQ(m.live, 0);
}

int main(void)
{
	test_errors();
	test_arith();
	test_fault_schedule();
	return check_summary("test_mm");
}

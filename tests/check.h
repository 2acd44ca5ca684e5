/* SPDX-License-Identifier: MIT */
/* check.h - the unit tests' assertion: report file, line and the failed
 * expression, count, and carry on; main returns the failure count. */
#ifndef MMSTACK_TEST_CHECK_H
#define MMSTACK_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>

static unsigned check_failed, check_passed;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (cond) {                                                      \
			check_passed++;                                          \
		} else {                                                         \
			check_failed++;                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                \
		}                                                                \
	} while (0)

#define CHECK_EQ(a, b)                                                           \
	do {                                                                     \
		uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);     \
		if (check_a_ == check_b_) {                                      \
			check_passed++;                                          \
		} else {                                                         \
			check_failed++;                                          \
			fprintf(stderr,                                          \
				"%s:%d: CHECK_EQ failed: %s == %s (0x%" PRIx64   \
				" != 0x%" PRIx64 ")\n",                          \
				__FILE__, __LINE__, #a, #b, check_a_, check_b_); \
		}                                                                \
	} while (0)

static inline int check_summary(const char *name)
{
	printf("%s: %u checks passed, %u failed\n", name, check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif

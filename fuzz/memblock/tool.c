// SPDX-License-Identifier: MIT
/*
 * tool.c - fuzz_memblock's standalone tool: the op engine's (fz_main), plus
 *   fuzz_memblock --emit-kernel-test TRACE
 * which prints TRACE as a test function for a kernel tree's
 * tools/testing/memblock/tests/ (see memblock_emit_kernel_test in target.c).
 */
#include <stdio.h>
#include <string.h>

#include "fz.h"

int memblock_emit_kernel_test(const char *path, FILE *out);

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--emit-kernel-test"))
		return memblock_emit_kernel_test(argv[2], stdout);
	return fz_main(fz_the_target, argc, argv);
}

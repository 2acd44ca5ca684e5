/* SPDX-License-Identifier: MIT */
/* The standalone replay tool: what a target is when built without a fuzzing
 * engine (see fz_main for what it does). */
#include "fz.h"

int main(int argc, char **argv)
{
	return fz_main(fz_the_target, argc, argv);
}

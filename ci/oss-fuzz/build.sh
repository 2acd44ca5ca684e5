#!/bin/bash -eu
# Copyright 2026 the mmstack authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
#
################################################################################

# Builds every mmstack fuzz target for the engine and sanitizer OSS-Fuzz (or
# ClusterFuzzLite) chose: meson reads $CC, $CXX, $CFLAGS and $CXXFLAGS (the
# sanitizer and coverage flags come in there), the targets link with $CXX
# and $LIB_FUZZING_ENGINE. Only the fuzz targets are built, not the unit
# tests or benchmarks. Beside each target in $OUT: its seed corpus (zip),
# its options, and its dictionary when it has one.
src=$SRC/mmstack
build=$WORK/mmstack-build

# AFL++ reads the list of code to leave uninstrumented (the oracle) from the
# environment; clang's own flag for it is set by meson.build.
if [ "$FUZZING_ENGINE" = afl ] && [ -f "$src/fuzz/coverage.ignore" ]; then
	export AFL_LLVM_DENYLIST=$src/fuzz/coverage.ignore
fi

targets=()
for target in "$src"/fuzz/*/target.c; do
	layer=$(basename "$(dirname "$target")")
	targets+=("fuzz_$layer")
done

rm -rf "$build"
meson setup "$build" "$src" -Dengine=libfuzzer -Dfuzz_link="$LIB_FUZZING_ENGINE" \
	-Dbench=false -Db_lundef=false --buildtype=plain
ninja -C "$build" -j"$(nproc)" "${targets[@]/#/fuzz/}"

for name in "${targets[@]}"; do
	layer=${name#fuzz_}
	cp "$build/fuzz/$name" "$OUT/"
	if ls "$src/corpus/$name/"* >/dev/null 2>&1; then
		(cd "$src/corpus/$name" && zip -q -r "$OUT/${name}_seed_corpus.zip" .)
	fi
	cp "$src/fuzz/fuzz.options" "$OUT/$name.options"
	if [ -f "$src/fuzz/$layer/$name.dict" ]; then
		cp "$src/fuzz/$layer/$name.dict" "$OUT/"
	fi
done

#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build: every fuzz target, linked with the
# engine OSS-Fuzz chooses ($LIB_FUZZING_ENGINE), compiled with its $CC and
# $CFLAGS (sanitizers and coverage come from there), and beside each target
# in $OUT its seed corpus (zip), options and dictionary when there is one.
src=${MMSTACK_SRC:-$SRC/mmstack}
build=$WORK/mmstack-build

rm -rf "$build"
# meson reads $CC and $CFLAGS from the environment at setup.
meson setup "$build" "$src" -Dengine=libfuzzer -Dfuzz_link="$LIB_FUZZING_ENGINE" \
	-Dbench=false -Db_lundef=false --buildtype=plain
ninja -C "$build"

for target in "$src"/fuzz/*/target.c; do
	layer=$(basename "$(dirname "$target")")
	name=fuzz_$layer
	cp "$build/fuzz/$name" "$OUT/"
	if ls "$src/corpus/$name/"* >/dev/null 2>&1; then
		(cd "$src/corpus/$name" && zip -q -r "$OUT/${name}_seed_corpus.zip" .)
	fi
	cp "$src/ci/oss-fuzz/fuzz.options" "$OUT/$name.options"
	if [ -f "$src/fuzz/$layer/$name.dict" ]; then
		cp "$src/fuzz/$layer/$name.dict" "$OUT/"
	fi
done

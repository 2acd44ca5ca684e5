# ci/lib.sh - sourced by the ci/ scripts: install what they use, list targets.
# shellcheck shell=bash

MM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NPROC=$(nproc 2>/dev/null || echo 1)

# Debian packages every ci/ script may need. Installed when missing, without
# asking (CI has no terminal). liburcu-dev (found through pkgconf): the
# kernel's xarray and maple tree, built in userspace for bench_kho, use it
# for RCU.
MM_PACKAGES=(gcc libc6-dev clang libclang-rt-14-dev llvm meson ninja-build afl++ zip unzip
	git file python3-yaml pkgconf liburcu-dev patch)

ci_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_packages() {
	local missing=() p
	for p in "${MM_PACKAGES[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	ci_log "installing: ${missing[*]}"
	local sudo=()
	[ "$(id -u)" -ne 0 ] && sudo=(sudo -n)
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -q >/dev/null &&
		"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		{ echo "ci: could not install ${missing[*]}" >&2; return 1; }
}

# Every fuzz target: fuzz/<layer>/target.c builds fuzz_<layer>.
all_targets() {
	local d
	for d in "$MM_ROOT"/fuzz/*/target.c; do
		d=${d%/target.c}
		echo "fuzz_${d##*/}"
	done
}

# The regress/ directory of a target.
target_layer() { local t=${1#fuzz_}; echo "${t%%_*}"; }

# The fuzz/ directory of a target.
target_dir() { echo "${1#fuzz_}"; }

# A raw-bytes target (fuzz_kho_blob): its inputs are not op programs. It
# brings its own replay main (fuzz/<dir>/main.c), generates its seeds with
# --gen instead of encoding traces, and keeps crashes as minimized inputs
# (regress/<layer>/NNN-what.blob, with a .txt note) instead of traces.
raw_target() { [ -f "$MM_ROOT/fuzz/$(target_dir "$1")/main.c" ]; }

# meson setup DIR with a compiler and options, once; reconfigure when it exists.
mm_setup() {
	local dir=$1 cc=$2
	shift 2
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "$@" >/dev/null
	else
		CC=$cc meson setup "$dir" "$@" >/dev/null
	fi
}

# lib_coverage [-s] PROFDATA BINARY...: clang source-based coverage of the
# library (a -Dclang_coverage build instruments lib/ and the unit tests),
# one row per lib/*.c file and a total, or with -s only the total as
# "lines% branches%".
lib_coverage() {
	local short=false
	[ "$1" = -s ] && { short=true; shift; }
	local prof=$1 first=$2 objs=() b
	shift 2
	for b in "$@"; do objs+=(-object "$b"); done
	llvm-cov report "$first" "${objs[@]}" -instr-profile="$prof" \
		-ignore-filename-regex='/(tests|fuzz)/' 2>/dev/null |
		awk -v short="$short" '$1 ~ /\.c$/ {
			f = $1; sub(/^.*lib\//, "", f)
			if (short != "true")
				printf "%-18s %8s %8s %8s   %8s %8s %8s\n", "lib/" f, $8, $9, $10, $11,
					$12, $13
			l += $8; lm += $9; b += $11; bm += $12 }
		BEGIN { if (short != "true") printf "%-18s %8s %8s %8s   %8s %8s %8s\n", "file",
			"lines", "missed", "cover", "branches", "missed", "cover" }
		END { if (!l || !b) { print "? ?"; exit }
			if (short == "true") printf "%.1f%% %.1f%%\n", 100 * (l - lm) / l,
				100 * (b - bm) / b
			else printf "%-18s %8d %8d %7.2f%%   %8d %8d %7.2f%%\n", "lib/ total", l, lm,
				100 * (l - lm) / l, b, bm, 100 * (b - bm) / b }'
}

# AFL++ leaves the oracle uninstrumented, as the libFuzzer build does.
export AFL_LLVM_DENYLIST=$MM_ROOT/fuzz/coverage.ignore

# The sanitizer runtime options every run uses: leaks are findings, a UBSan
# report aborts like an ASan one.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}

# kernel_tree: a kernel source tree to build kernel code from (the kernel
# backend of fuzz_memblock, the real xarray and maple tree in bench_kho).
# $KERNEL_SRC when set; otherwise Debian's linux-source-6.12, installed when
# missing and unpacked once under build/. Prints the tree's path.
kernel_tree() {
	if [ -n "${KERNEL_SRC:-}" ]; then
		[ -f "$KERNEL_SRC/mm/memblock.c" ] || { echo "ci: $KERNEL_SRC is not a kernel tree" >&2; return 1; }
		echo "$KERNEL_SRC"
		return 0
	fi
	local tar=/usr/src/linux-source-6.12.tar.xz dir=$MM_ROOT/build/kernel
	ensure_packages linux-source-6.12 >&2 || return 1
	if [ ! -f "$dir/linux-source-6.12/.unpacked" ]; then
		ci_log "unpacking $tar"
		rm -rf "$dir" && mkdir -p "$dir" && tar -C "$dir" -xf "$tar" &&
			touch "$dir/linux-source-6.12/.unpacked" || return 1
	fi
	echo "$dir/linux-source-6.12"
}

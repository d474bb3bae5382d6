#!/bin/bash
# test.sh: installs what hookq needs, builds it and runs the whole test suite:
# cmocka unit tests and integration tests through a real nginx on 127.0.0.1.
#
# usage: ./test.sh [--asan] [--cc CC]
#   --asan   build with AddressSanitizer + UndefinedBehaviorSanitizer (in build-asan/)
#   --cc CC  compiler to use (gcc by default; clang with --asan in CI)
# Exits 0 when every test passes. Per-test logs: BUILDDIR/tests/**/*.log.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/deps.sh

builddir=build
cc=${CC:-gcc}
extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--asan) builddir=build-asan; extra+=(--enable-sanitizers) ;;
	--cc) cc=$2; shift ;;
	-h|--help) sed -n '2,9p' "$0"; exit 0 ;;
	*) echo "usage: ./test.sh [--asan] [--cc CC]" >&2; exit 100 ;;
	esac
	shift
done
[ "$cc" = gcc ] || builddir="$builddir-$cc"
deps=()
[ "$cc" = clang ] && deps+=(clang:/usr/bin/clang)
[ "${#extra[@]}" -gt 0 ] && [ "$cc" = clang ] && deps+=(libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.asan-x86_64.a)
# shellcheck disable=SC2086
hookq_deps $HOOKQ_TEST_DEPS "${deps[@]}"

echo "== building in $builddir with $cc ${extra[*]:-}"
CC=$cc hookq_build "$builddir" --enable-werror CC="$cc" "${extra[@]}"

echo "== running the test suite"
# Leak checks run on the unit tests; the daemons exit through their normal paths.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
make -C "$builddir" -s -j2 check >/dev/null 2>&1 || status=$?
log="$builddir/test-suite.log"
if [ ! -f "$log" ]; then
	echo "test.sh: no $log: the build of the tests failed" >&2
	make -C "$builddir" -s check
	exit 1
fi
# Show every failing case with its log.
grep -h -E '^(FAIL|ERROR|XPASS):' "$builddir"/tests/*/*.log 2>/dev/null | head -50 || true
if [ "$status" -ne 0 ]; then
	cat "$log"
fi
sed -n '/^# TOTAL/,/^# ERROR/p' "$log" | tr -d '#' | tr -s ' ' | paste -sd ' '
exit "$status"

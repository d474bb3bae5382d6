#!/bin/sh
# run.sh: runs one libFuzzer harness for a while over its seed corpus and its
# regression cases (the inputs of crashes found and fixed), which it replays
# first. A crash, a leak, a sanitizer report or an input slower than 10 s
# fails the run; the input is kept and printed so it can be added to
# tests/fuzz/regressions/HARNESS/ once fixed. New inputs the run finds go
# to a scratch folder, never into the committed corpus.
#
# usage: tests/fuzz/run.sh BUILDDIR HARNESS [SECONDS]   (HARNESS: scheme, config, ...)
# Builds the harnesses first (make fuzz, clang). Exits 0 when nothing failed.
set -u
[ $# -ge 2 ] || { sed -n '9,10p' "$0" >&2; exit 100; }
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1 harness=$2 seconds=${3:-60}
bin=$build/tests/fuzz/${harness}_fuzz

if ! out=$(make -C "$build" -s fuzz 2>&1); then
	printf '%s\n' "$out" >&2
	echo "fuzz: make fuzz failed" >&2
	exit 1
fi
[ -x "$bin" ] || { echo "fuzz: no harness $bin" >&2; exit 100; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/hookq-fuzz-$harness.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/corpus" "$scratch/tmp"
dirs="$scratch/corpus $top/tests/fuzz/corpus/$harness"
[ -d "$top/tests/fuzz/regressions/$harness" ] && dirs="$dirs $top/tests/fuzz/regressions/$harness"

# The harness's own temp files (config_fuzz) go into the scratch folder too.
# shellcheck disable=SC2086
TMPDIR=$scratch/tmp "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$scratch/" $dirs >"$scratch/log" 2>&1
status=$?
# The last status line: executions, coverage (cov: edges, ft: features), corpus.
grep -E '^#[0-9]+' "$scratch/log" | tail -1
sed -n 's/^stat::\(number_of_executed_units\|average_exec_per_sec\|new_units_added\|peak_rss_mb\): */  \1 /p' "$scratch/log" | paste -sd ' '
if [ "$status" -ne 0 ]; then
	grep -v -E '^#[0-9]+|^INFO:' "$scratch/log" | tail -60
	for f in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$scratch"/oom-*; do
		[ -f "$f" ] || continue
		echo "fuzz: $harness failed on $(basename "$f") (base64 below); once fixed, keep it:"
		echo "  base64 -d > tests/fuzz/regressions/$harness/$(basename "$f")"
		base64 "$f"
	done
	echo "fuzz: $harness FAILED (exit $status)"
	exit 1
fi

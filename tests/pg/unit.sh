#!/bin/bash
# unit.sh NAME: the store's unit tests tests/unit/NAME on PostgreSQL (run by
# tests/pg/NAME.sh). lib.sh (HOOKQ_STORE=pg) starts a private cluster with a
# database hookq, or prints a skip plan and exits when no server is
# installed; the binary's fixtures empty that database before each test
# (HOOKQ_TEST_PG_URL), and its TAP output, plan included, is the test's.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
HOOKQ_STORE=pg
. "$top_srcdir/tests/integration/lib.sh"

export HOOKQ_TEST_PG_URL="$DB"
export CMOCKA_MESSAGE_OUTPUT="${CMOCKA_MESSAGE_OUTPUT:-TAP}"
# A child, not exec: lib.sh's EXIT trap stops the cluster once the binary is
# done. A failure keeps $T (the server's log) for a look, as a suite's does.
# cmocka 1.1.5 (Debian 12's) prints a skipped test as "not ok N # SKIP
# NAME", which TAP readers, automake's tap-driver.sh too, count as a
# failure: sed makes it the "ok N # SKIP NAME" that TAP means.
"$top_builddir/tests/unit/$1" | sed 's/^not ok \([0-9]* # SKIP\)/ok \1/'
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || TESTS_FAILED=1
exit "$rc"

#!/bin/sh
# commit_test.sh: the unit tests of group commit (tests/unit/commit_test.c) on PostgreSQL (unit.sh).
exec bash "$(dirname "$0")/unit.sh" "$(basename "$0" .sh)"

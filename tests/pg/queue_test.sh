#!/bin/sh
# queue_test.sh: the unit tests of the worker's side of the store (tests/unit/queue_test.c) on PostgreSQL (unit.sh).
exec bash "$(dirname "$0")/unit.sh" "$(basename "$0" .sh)"

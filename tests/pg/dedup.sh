#!/bin/sh
# The integration suite of the same name (tests/integration/), on PostgreSQL:
# lib.sh starts a private cluster for it (or skips it when no server is installed).
HOOKQ_STORE=pg
export HOOKQ_STORE
exec "$(dirname "$0")/../integration/$(basename "$0")" "$@"

#!/bin/bash
# secrets.sh: a secret that is no longer configured is no longer in the
# receiver's memory. A github source (HMAC secret A), a gitlab source (token
# A2, which GitLab sends itself as X-Gitlab-Token) and a meta source (its
# verify_token A3 is in hookq.conf itself, and comes back in the query of
# Meta's verification GET) take requests; the secret files are rewritten
# with B and B2, the config with B3, and SIGHUP reloads them; more requests
# go with the new secrets (200) and the old ones (401, 403: the old token
# arrives once more). Then every readable mapping of the running receiver
# (/proc/PID/maps, /proc/PID/mem) is searched: A, A2 and A3 must not be
# found anywhere, and B, B2 and B3 must be (the control that the scan sees
# the heap). The worker, which loads the same config and reloads it on
# SIGHUP, is searched the same way. Secrets are 128 random hex characters,
# so a chance match is impossible; the scan prints counts only, and no
# secret is ever in a command's arguments or in the output.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

SECRETS="ghA glA mtA ghB glB mtB"
for s in $SECRETS; do
	new_secret "$s" 64
done
cp "$T/ghA.secret" "$T/gh.secret"
cp "$T/glA.secret" "$T/gl.secret"
chmod 600 "$T/gh.secret" "$T/gl.secret"

# config VERIFY_TOKEN_NAME: hookq.conf with $T/NAME.secret as meta's verify_token.
config() {
	write_config <<C
[source github]
scheme = github
secret_file = $T/gh.secret

[source gitlab]
scheme = gitlab
secret_file = $T/gl.secret

[source meta]
scheme = meta
secret_file = $T/gh.secret
verify_token = $(<"$T/$1.secret")
C
	chmod 600 "$T/hookq.conf"
}
config mtA

# memscan.py PID NAME=FILE...: for each secret (the first line of FILE),
# prints "NAME=COUNT": how many copies of it, whole or with one half intact,
# the process's readable mappings hold. Halves count because free() writes
# its list pointers over the first bytes of a freed block (glibc's tcache,
# ASan's quarantine), and half a secret is 256 random bits, still a match
# nothing else makes. Then "regions=N mb=M skipped=S" (S: mappings not read,
# sanitizer shadow reservations of many TB, which hold no heap).
cat > "$T/memscan.py" <<'PY'
import sys
pid, needles = sys.argv[1], {}
for a in sys.argv[2:]:
    name, path = a.split("=", 1)
    with open(path, "rb") as f:
        needles[name] = f.read().split(b"\n")[0]
# Per secret: the whole, its first half and its second half.
parts = {n: (v, v[:len(v) // 2], v[len(v) // 2:]) for n, v in needles.items()}
found = {n: [0, 0, 0] for n in needles}
longest = max(len(v) for v in needles.values())
regions = nbytes = skipped = 0
CHUNK, LIMIT = 16 << 20, 4 << 30

def count(buf, p, old):
    """Matches of p in buf that end past its first old bytes (counted before)."""
    n, i = 0, buf.find(p, max(0, old - len(p) + 1))
    while i >= 0:
        n, i = n + 1, buf.find(p, i + 1)
    return n

with open("/proc/%s/maps" % pid) as maps, open("/proc/%s/mem" % pid, "rb", 0) as mem:
    for line in maps:
        f = line.split()
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        if f[1][0] != "r" or (len(f) > 5 and f[5] == "[vvar]"):
            continue
        if hi - lo > LIMIT:
            skipped += 1
            continue
        regions += 1
        tail, at = b"", lo
        while at < hi:
            n = min(CHUNK, hi - at)
            try:
                mem.seek(at)
                data = mem.read(n)
            except OSError:
                data = b""
            buf = tail + data
            for name, ps in parts.items():
                for i, p in enumerate(ps):
                    found[name][i] += count(buf, p, len(tail))
            # The end of this chunk, for a match that runs into the next one.
            tail = buf[-(longest - 1):] if data else b""
            nbytes += len(data)
            at += n
# A whole copy holds both halves: count it once.
print(" ".join("%s=%d" % (n, found[n][1] + found[n][2] - found[n][0]) for n in sorted(found)))
print("regions=%d mb=%d skipped=%d" % (regions, nbytes >> 20, skipped))
PY

# scan PID: the needle counts, one line; the summary goes to the TAP output.
scan() {
	local out
	out=$("$PY" "$T/memscan.py" "$1" A="$T/ghA.secret" A2="$T/glA.secret" A3="$T/mtA.secret" \
		B="$T/ghB.secret" B2="$T/glB.secret" B3="$T/mtB.secret" 2>"$T/memscan.err") || {
		sed 's/^/# memscan: /' "$T/memscan.err"
		echo "error"
		return
	}
	echo "# memory of pid $1: $(echo "$out" | sed -n 2p)" >&2
	echo "$out" | sed -n 1p
}
# count_of NAME SCAN: NAME's count in a scan line.
count_of() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

if ! "$PY" -c 'import sys; open("/proc/%s/mem" % sys.argv[1], "rb").read(0)' "$$" 2>/dev/null; then
	echo "1..0 # SKIP /proc/PID/mem cannot be read here"
	exit 0
fi

start_receiver
start_nginx
start_worker

n=0
# github SECRET: a push signed with $T/SECRET.secret; prints the status.
github() {
	n=$((n + 1))
	local b
	b=$(body "gh$n.json" "{\"zen\":\"Keep it logically awesome.\",\"n\":$n}")
	GH_SECRET="$T/$1.secret" post_github github "$b" "gh-$n" push
}
# gitlab SECRET: a push whose X-Gitlab-Token is $T/SECRET.secret; prints the status.
# The headers go to curl through a file: that line is the secret itself.
gitlab() {
	n=$((n + 1))
	local b
	b=$(body "gl$n.json" "{\"object_kind\":\"push\",\"n\":$n}")
	sign_to "$T/gl.h" gitlab "$T/$1.secret" "$b" --type "Push Hook" --id "gl-$n"
	send gitlab "$b" application/json -H "@$T/gl.h"
	rm -f "$T/gl.h"
}
# meta TOKEN: Meta's verification GET with hub.verify_token $T/TOKEN.secret;
# prints the status. The URL reaches curl on stdin (-K -), not in argv.
meta() {
	local tok
	tok=$(<"$T/$1.secret")
	printf 'url = "%s"\n' "$URL/hooks/meta?hub.mode=subscribe&hub.challenge=4242&hub.verify_token=$tok" |
		curl -s -o "$T/response" -w '%{http_code}' -K -
}

case_start
for _ in 1 2 3; do
	want "github, secret A" 200 "$(github ghA)"
	want "gitlab, token A2" 200 "$(gitlab glA)"
	want "meta GET, verify token A3" 200 "$(meta mtA)"
done
case_end "before the reload: github signed with A and gitlab with token A2 stored, meta's GET with A3 answered"

before=$(scan "$RECEIVER_PID")
case_start
want_true "A found ($before)" [ "$(count_of A "$before")" -ge 1 ]
want_true "A2 found ($before)" [ "$(count_of A2 "$before")" -ge 1 ]
want_true "A3 found ($before)" [ "$(count_of A3 "$before")" -ge 1 ]
want "B (not configured yet)" 0 "$(count_of B "$before")"
case_end "control: the scan finds the configured secrets and tokens in the receiver's memory"

wbefore=$(scan "$WORKER_PID")
case_start
for s in A A2 A3; do
	want_true "$s found in the worker ($wbefore)" [ "$(count_of "$s" "$wbefore")" -ge 1 ]
done
case_end "control: the scan finds the configured secrets in the worker's memory"

cp "$T/ghB.secret" "$T/gh.secret"
cp "$T/glB.secret" "$T/gl.secret"
config mtB
check "SIGHUP with secrets B, B2 and B3: receiver reloads" reloaded "$(reload_receiver)"
mark=$(wlog_mark)
kill -HUP "$WORKER_PID"
case_start
want_true "worker logs the reload" wlog_wait "$mark" 'configuration reloaded'
wafter=$(scan "$WORKER_PID")
for s in A A2 A3; do
	want "$s in the worker's memory ($wafter)" 0 "$(count_of "$s" "$wafter")"
done
for s in B B2 B3; do
	want_true "$s found in the worker ($wafter)" [ "$(count_of "$s" "$wafter")" -ge 1 ]
done
case_end "SIGHUP of the worker: no copy of A, A2 or A3 is left in its memory"

case_start
for _ in 1 2 3; do
	want "github, new secret B" 200 "$(github ghB)"
	want "gitlab, new token B2" 200 "$(gitlab glB)"
	want "github, old secret A" 401 "$(github ghA)"
	want "gitlab, old token A2" 401 "$(gitlab glA)"
	want "meta GET, new verify token B3" 200 "$(meta mtB)"
	want "meta GET, old verify token A3" 403 "$(meta mtA)"
done
case_end "after the reload: B and B2 are stored, B3 answered; A and A2 get 401, A3 403"

after=$(scan "$RECEIVER_PID")
case_start
want "secret A in the receiver's memory ($after)" 0 "$(count_of A "$after")"
want "token A2 in the receiver's memory ($after)" 0 "$(count_of A2 "$after")"
want "verify token A3 in the receiver's memory ($after)" 0 "$(count_of A3 "$after")"
want_true "B found ($after)" [ "$(count_of B "$after")" -ge 1 ]
want_true "B2 found ($after)" [ "$(count_of B2 "$after")" -ge 1 ]
want_true "B3 found ($after)" [ "$(count_of B3 "$after")" -ge 1 ]
case_end "after the reload and the refused requests: no copy of A, A2 or A3 is left in the receiver's memory"

# Secrets reach grep and sqlite3 through files (grep -f, readfile), never argv.
# Meta puts its verify token in the URL, which nginx's access log records:
# only hookq's logs are searched for those.
case_start
for s in $SECRETS; do
	f="$T/$s.secret"
	logs=("$T/receiver.log" "$T/worker.log")
	[ "${s#mt}" = "$s" ] && logs+=("$T"/nginx/logs/*.log)
	want "$s in the logs" 0 "$(cat "${logs[@]}" | grep -cFf "$f")"
	v="rtrim(readfile($(sql_str "$f")), char(10))"
	want "$s in the stored rows" 0 \
		"$(sql "SELECT count(*) FROM events WHERE instr(headers, $v) OR instr(CAST(body AS TEXT), $v)")"
	want "$s in the receiver's arguments or environment" 0 \
		"$(cat "/proc/$RECEIVER_PID/cmdline" "/proc/$RECEIVER_PID/environ" | tr '\0' '\n' | grep -cFf "$f")"
done
want "gitlab rows that kept X-Gitlab-Token" 0 \
	"$(sql "SELECT count(*) FROM events WHERE source = 'gitlab' AND json_extract(headers, '\$.\"x-gitlab-token\"') IS NOT NULL")"
case_end "no secret in the logs, the stored headers and bodies, or the receiver's arguments"

done_testing
[ "$TESTS_FAILED" -eq 0 ]

#!/bin/bash
# package.sh: the Debian package, built and used the way the README's
# "Install on Debian" says. From a copy of the source tree it builds
# hookq_<version>_amd64.deb with dpkg-buildpackage, runs lintian (no errors),
# installs it with apt-get into this machine, checks the hookq user and
# group, the folders and their modes, runs systemd-analyze verify and
# security on the installed units, then runs the receiver and the worker as
# the units do (user hookq, /etc/hookq/hookq.conf) behind a private nginx
# whose workers are www-data and which includes the shipped snippets as the
# README has an admin copy and include them: a signed event gets 200, is a
# row, and its handler runs. Then apt-get remove (nginx -t still passes) and
# apt-get purge: no user, no group, no /var/lib/hookq, no /etc/hookq, none of
# the files dpkg listed.
#
# It changes the machine (a package, a user, /etc/hookq, /run/hookq), so it
# runs only as root, never where hookq is installed already, one at a time
# (a lock), and skips under the sanitizer build and make distcheck (the
# package builds without sanitizers, from a source tree this run already
# covers).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/scripts/deps.sh"

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root: installs the package into the machine"
if grep -q '^SAN_CFLAGS = -f' "$top_builddir/Makefile" 2>/dev/null; then
	skip_all "sanitizer build: the package is built without sanitizers (the plain build runs this test)"
fi
# make distcheck's tree has no write bits (test -w says yes to root anyway).
[ "$(stat -c %A "$top_srcdir" | cut -c3)" = w ] ||
	skip_all "read-only source tree (make distcheck): the package is tested from the working tree"
command -v apt-get >/dev/null 2>&1 || skip_all "no apt-get: not a Debian system"

# One run at a time on a machine (another build folder's make check).
exec 9> /run/lock/hookq-package-test.lock
flock -w 900 9 || skip_all "another package.sh holds /run/lock/hookq-package-test.lock"

if dpkg-query -W -f='${Status}' hookq 2>/dev/null | grep -q 'installed\|config-files'; then
	skip_all "a hookq package is installed on this machine: not touching it"
fi
getent passwd hookq >/dev/null && skip_all "a hookq user exists on this machine: not touching it"
getent group hookq >/dev/null && skip_all "a hookq group exists on this machine: not touching it"
[ -e /etc/hookq ] && skip_all "/etc/hookq exists on this machine: not touching it"
[ -e /var/lib/hookq ] && skip_all "/var/lib/hookq exists on this machine: not touching it"

hookq_deps $HOOKQ_PACKAGE_DEPS > "$T/deps.log" 2>&1 ||
	skip_all "apt-get cannot install the package build tools ($(tail -n 1 "$T/deps.log"))"
getent passwd www-data >/dev/null || skip_all "no www-data user (nginx's on Debian)"

export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -y -q -o DPkg::Lock::Timeout=300)
# nginx's workers (www-data) and the hookq user go through $T.
chmod 0755 "$T"

SOCK=/run/hookq/hookq.sock
DB=/var/lib/hookq/queue.db
CONF=/etc/hookq/hookq.conf
PKG_INSTALLED=
PKG_RECEIVER_PID=
PKG_WORKER_PID=
pkg_cleanup() {
	local rc=$?
	[ -n "$PKG_RECEIVER_PID" ] && kill -TERM "$PKG_RECEIVER_PID" 2>/dev/null
	[ -n "$PKG_WORKER_PID" ] && kill -TERM "$PKG_WORKER_PID" 2>/dev/null
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
	sleep 0.2
	[ -n "$PKG_RECEIVER_PID" ] && kill -KILL "$PKG_RECEIVER_PID" 2>/dev/null
	[ -n "$PKG_WORKER_PID" ] && kill -KILL "$PKG_WORKER_PID" 2>/dev/null
	NGINX_PID=
	wait 2>/dev/null
	if [ -n "$PKG_INSTALLED" ]; then
		"${APT[@]}" purge hookq > "$T/cleanup-purge.log" 2>&1 ||
			dpkg --purge hookq >> "$T/cleanup-purge.log" 2>&1
	fi
	rm -rf /run/hookq
	cleanup
	exit "$rc"
}
trap pkg_cleanup EXIT

# AS_HOOKQ CMD...: as the units run it: User=hookq Group=hookq, no new
# privileges, no capabilities, a clean environment; with UMask=0027, from /
# (run_as_hookq for a command, or "(cd / && umask 0027 && exec ...) &" for a
# daemon, so that $! is the daemon itself).
as_hookq() {
	AS_HOOKQ=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
		setpriv --reuid=hookq --regid=hookq --groups="$1" --no-new-privs --inh-caps=-all
		--bounding-set=-all --)
}
run_as_hookq() {
	as_hookq "${HOOKQ_GROUPS:-hookq}"
	(cd / && umask 0027 && exec "${AS_HOOKQ[@]}" "$@")
}
hq_sql() {
	run_as_hookq sqlite3 -batch -noheader "$DB" "$@"
}
mode_of() {
	stat -c '%U:%G %a' "$1" 2>&1
}
# ok_if DESCRIPTION CMD...: ok when CMD succeeds.
ok_if() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what" "false: $*"; fi
}
# wait_hq_sql QUERY WANT SECONDS: wait_sql, as the hookq user.
wait_hq_sql() {
	local i out
	for i in $(seq 1 $(($3 * 20))); do
		out=$(hq_sql "$1" 2>&1)
		[ "$out" = "$2" ] && break
		sleep 0.05
	done
	echo "$out"
}

# --- build --------------------------------------------------------------------
VERSION=$(sed -n 's/^AC_INIT(\[hookq\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
DEB_VERSION=$(sed -n '1s/^hookq (\([^)]*\)).*/\1/p' "$top_srcdir/debian/changelog")
check "debian/changelog's version is configure.ac's" "$VERSION" "${DEB_VERSION%%-*}"

# The tree as git has it (committed and new files, nothing ignored), or, from
# a release tarball, everything but build folders.
SRC="$T/src/hookq-$VERSION"
mkdir -p "$SRC"
if git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top_srcdir" && git ls-files -co --exclude-standard -z |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		xargs -0 cp --parents -t "$SRC")
else
	tar -C "$top_srcdir" --exclude='./build*' --exclude=./autom4te.cache --exclude=./demo -cf - . |
		tar -C "$SRC" -xf -
fi
# The suite runs the unit tests already: nocheck.
if (cd "$SRC" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) > "$T/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	not_ok "dpkg-buildpackage -us -uc -b" "$(tail -n 20 "$T/build.log")"
	bail "no package to test"
fi
DEB=$T/src/hookq_${DEB_VERSION}_$(dpkg --print-architecture).deb
ok_if "it made $(basename "$DEB")" test -f "$DEB"

lintian --fail-on error --tag-display-limit 0 "$DEB" > "$T/lintian.log" 2>&1
LINTIAN_RC=$?
grep -v 'root privileges' "$T/lintian.log" | sed 's/^/# lintian: /'
if [ "$LINTIAN_RC" -eq 0 ] && ! grep -q '^E:' "$T/lintian.log"; then
	ok "lintian: no errors"
else
	not_ok "lintian: no errors" "$(grep '^E:' "$T/lintian.log")"
fi

# --- install --------------------------------------------------------------------
if (cd "$T/src" && "${APT[@]}" install "./$(basename "$DEB")") > "$T/install.log" 2>&1; then
	PKG_INSTALLED=1
	ok "apt-get install ./$(basename "$DEB")"
else
	PKG_INSTALLED=1
	not_ok "apt-get install ./$(basename "$DEB")" "$(tail -n 20 "$T/install.log")"
	bail "the package did not install"
fi
dpkg -L hookq | sort > "$T/dpkg-L"

check "hookq user: system user, home /var/lib/hookq, shell nologin" \
	"hookq:/var/lib/hookq:/usr/sbin/nologin:system" \
	"$(getent passwd hookq | awk -F: '{ print $1 ":" $6 ":" $7 ":" ($3 < 1000 ? "system" : "uid " $3) }')"
check "hookq group: a system group, the hookq user's primary group" "hookq system hookq" \
	"$(getent group hookq | awk -F: '{ print $1, ($3 < 1000 ? "system" : "gid " $3) }') $(id -gn hookq 2>&1)"
check "the hookq user is in no other group" "hookq" "$(id -Gn hookq 2>&1)"
check "www-data is not in the hookq group" "0" "$(id -Gn www-data | tr ' ' '\n' | grep -cx hookq)"
check "/var/lib/hookq is hookq:hookq 0750" "hookq:hookq 750" "$(mode_of /var/lib/hookq)"
check "/etc/hookq is root:hookq 0750" "root:hookq 750" "$(mode_of /etc/hookq)"
check "/etc/hookq/hookq.conf is root:hookq 0640" "root:hookq 640" "$(mode_of "$CONF")"
check "/etc/hookq/hookq.conf is a conffile" "/etc/hookq/hookq.conf" \
	"$(dpkg-query -W -f='${Conffiles}\n' hookq | awk 'NF { print $1 }')"
check "the shipped config enables no source" "" "$(grep -E '^[[:space:]]*\[source' "$CONF")"
check "the package puts nothing under /etc/nginx" "" "$(grep '^/etc/nginx' "$T/dpkg-L")"
check "programs: hookq in /usr/bin, the daemons in /usr/sbin" \
	"/usr/bin/hookq /usr/sbin/hookq-receiver /usr/sbin/hookq-worker" \
	"$(grep -E '/s?bin/hookq' "$T/dpkg-L" | paste -sd ' ')"
check "nginx snippets and schema under /usr/share/hookq" \
	"/usr/share/hookq/nginx/hookq-upstream.conf /usr/share/hookq/nginx/hookq.conf /usr/share/hookq/sql/schema.sql /usr/share/hookq/sql/schema_pg.sql" \
	"$(grep -E '^/usr/share/hookq/(nginx|sql)/' "$T/dpkg-L" | paste -sd ' ')"
for m in hookq.1 hookq-receiver.8 hookq-worker.8 hookq.conf.5; do
	if grep -q "/man/man${m##*.}/$m" "$T/dpkg-L"; then
		echo "# man page $m: in the package"
	else
		echo "# man page $m: not in the package (not in make install yet)"
	fi
done

# --- systemd units -------------------------------------------------------------
UNITS="/lib/systemd/system/hookq-receiver.service /lib/systemd/system/hookq-worker.service /lib/systemd/system/hookq.socket"
if command -v systemd-analyze >/dev/null 2>&1 &&
	systemd-analyze --version | awk 'NR == 1 { exit !($2 >= 252) }'; then
	man_opt=()
	if ! man -w hookq-receiver.8 hookq-worker.8 hookq.conf.5 >/dev/null 2>&1; then
		man_opt=(--man=no)
		echo "# systemd-analyze verify --man=no: the units' Documentation= man pages are not installed"
	fi
	# shellcheck disable=SC2086
	if out=$(systemd-analyze verify "${man_opt[@]}" $UNITS 2>&1) && [ -z "$out" ]; then
		ok "systemd-analyze verify on the installed units"
	else
		not_ok "systemd-analyze verify on the installed units" "$out"
	fi
	for u in hookq-receiver hookq-worker; do
		systemd-analyze security --offline=yes "/lib/systemd/system/$u.service" > "$T/security-$u.log" 2>&1
		exposure=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$T/security-$u.log")
		echo "# systemd-analyze security --offline=yes $u.service: exposure ${exposure:-?}"
		eval "EXPOSURE_${u#hookq-}=\${exposure:-99}"
	done
	ok_if "hookq-receiver.service exposure $EXPOSURE_receiver <= 2.0" \
		awk -v e="$EXPOSURE_receiver" 'BEGIN { exit !(e <= 2.0) }'
else
	ok "systemd-analyze verify # SKIP no systemd-analyze >= 252"
	ok "hookq-receiver.service exposure <= 2.0 # SKIP no systemd-analyze >= 252"
fi
# dh_installsystemd enables the units even where systemd is not running (the
# links are there for its next boot), and starts them only where it runs.
check "the units are enabled: socket in sockets.target, services in multi-user.target" \
	"multi-user.target.wants/hookq-receiver.service multi-user.target.wants/hookq-worker.service sockets.target.wants/hookq.socket" \
	"$(cd /etc/systemd/system 2>/dev/null && find . -name 'hookq*' | sed 's|^\./||' | sort | paste -sd ' ')"
check "hookq.socket: the socket nginx connects to, hookq:www-data 0660" \
	"ListenStream=/run/hookq/hookq.sock SocketUser=hookq SocketGroup=www-data SocketMode=0660 Service=hookq-receiver.service" \
	"$(grep -E '^(ListenStream|SocketUser|SocketGroup|SocketMode|Service)=' /lib/systemd/system/hookq.socket | paste -sd ' ')"
for u in hookq-receiver hookq-worker; do
	check "$u.service: ExecStart of the installed program and config" \
		"ExecStart=/usr/sbin/$u -c /etc/hookq/hookq.conf" \
		"$(grep '^ExecStart=' "/lib/systemd/system/$u.service")"
done

# --- run it as the units do ---------------------------------------------------------
# As shipped, with no source: the receiver must take it (and answer 404).
RECEIVER_GROUPS=hookq,www-data
out=$(HOOKQ_GROUPS=$RECEIVER_GROUPS run_as_hookq /usr/sbin/hookq-receiver -n -c "$CONF" 2>&1)
check "the shipped config, no source: configuration OK" "configuration OK" "$out"

# A source, its secret (0640 root:hookq, as the README says) and a handler
# that appends to a file in the hookq user's state folder.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/secret.tmp"
echo >> "$T/secret.tmp"
install -m 0640 -o root -g hookq "$T/secret.tmp" /etc/hookq/pkgtest.secret
rm -f "$T/secret.tmp"
HANDLED=/var/lib/hookq/pkgtest-handled
cat > "$T/handler.sh" <<EOF
#!/bin/sh
# package.sh's handler: one line per event, as the hookq user.
printf '%s %s %s\n' "\$(id -un)" "\$HOOKQ_SOURCE" "\$HOOKQ_EVENT_ID" >> $HANDLED
EOF
chmod 0755 "$T/handler.sh"
cat >> "$CONF" <<EOF

[source pkgtest]
scheme = github
secret_file = /etc/hookq/pkgtest.secret
handler = $T/handler.sh
EOF
check "the edited config is still root:hookq 0640" "root:hookq 640" "$(mode_of "$CONF")"

# User=hookq Group=hookq SupplementaryGroups=www-data (the receiver's unit).
out=$(HOOKQ_GROUPS=$RECEIVER_GROUPS run_as_hookq /usr/sbin/hookq-receiver -n -c "$CONF" 2>&1)
check "the shipped config (listen, listen_group = www-data) with a source: configuration OK" \
	"configuration OK" "$out"

# wait_logged LOG REGEX PID: waits (10 s at most) for REGEX in LOG while PID runs.
wait_logged() {
	for _ in $(seq 1 200); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.05
	done
	grep -q -- "$2" "$1" 2>/dev/null
}

# RuntimeDirectory=hookq, RuntimeDirectoryMode=0755. Without hookq.socket
# the receiver makes the socket itself (listen_group = www-data, which its
# unit's SupplementaryGroups=www-data lets it set without root).
install -d -o hookq -g hookq -m 0755 /run/hookq
as_hookq "$RECEIVER_GROUPS"
(cd / && umask 0027 && exec "${AS_HOOKQ[@]}" /usr/sbin/hookq-receiver -c "$CONF") \
	>> "$T/receiver.log" 2>&1 &
PKG_RECEIVER_PID=$!
if wait_logged "$T/receiver.log" 'listening on ' "$PKG_RECEIVER_PID"; then
	ok "hookq-receiver starts as hookq"
else
	not_ok "hookq-receiver starts as hookq" "$(tail -n 20 "$T/receiver.log")"
fi
check "the receiver runs as hookq:hookq" "hookq hookq" \
	"$(ps -o user=,group= -p "$PKG_RECEIVER_PID" 2>&1 | tr -s ' ')"
check "the socket is hookq:www-data 0660" "hookq:www-data 660" "$(mode_of "$SOCK")"

as_hookq hookq
(cd / && umask 0027 && exec "${AS_HOOKQ[@]}" /usr/sbin/hookq-worker -c "$CONF") >> "$T/worker.log" 2>&1 &
PKG_WORKER_PID=$!
if wait_logged "$T/worker.log" 'ms, routes: ' "$PKG_WORKER_PID"; then
	ok "hookq-worker starts as hookq"
else
	not_ok "hookq-worker starts as hookq" "$(tail -n 20 "$T/worker.log")"
fi

# nginx as the README sets it up: the snippets copied into nginx's own
# folders (conf.d/ is included in http { }, as Debian's nginx.conf does),
# "include snippets/hookq.conf;" in the server block. Master as root,
# workers as www-data.
N=$T/nginx
mkdir -p "$N/conf.d" "$N/snippets" "$N/logs" "$N/tmp"
cp /etc/nginx/fastcgi_params "$N/fastcgi_params"
install -m 0644 /usr/share/hookq/nginx/hookq-upstream.conf "$N/conf.d/hookq-upstream.conf"
install -m 0644 /usr/share/hookq/nginx/hookq.conf "$N/snippets/hookq.conf"
pkg_nginx_conf() {
	cat > "$N/nginx.conf" <<NGINX
# package.sh's nginx: Debian's layout in a folder of its own.
user www-data;
worker_processes 1;
pid $N/nginx.pid;
error_log $N/logs/error.log warn;
events { worker_connections 256; }
http {
    access_log $N/logs/access.log;
    client_body_temp_path $N/tmp/body;
    fastcgi_temp_path $N/tmp/fastcgi;
    proxy_temp_path $N/tmp/proxy;
    uwsgi_temp_path $N/tmp/uwsgi;
    scgi_temp_path $N/tmp/scgi;
    include conf.d/*.conf;
    server {
        listen 127.0.0.1:$1;
        server_name localhost;
        include snippets/hookq.conf;
    }
}
NGINX
}
pkg_nginx_conf 1
if out=$("$NGINX" -t -p "$N" -c "$N/nginx.conf" -e "$N/logs/error.log" 2>&1); then
	ok "nginx -t with the copied snippets"
else
	not_ok "nginx -t with the copied snippets" "$out"
fi
nginx_on_free_port "$N" pkg_nginx_conf || bail "nginx did not start: $(cat "$N/logs/start.log" "$N/logs/error.log" 2>/dev/null)"
check "nginx's workers run as www-data" "www-data" \
	"$(ps -o user= --ppid "$(cat "$N/nginx.pid")" | sort -u | paste -sd ' ')"

check "an unknown source: 404" "404" "$(post nosuch "$(body nosuch.json '{}')")"
B=$(body event.json '{"zen":"package.sh","hook_id":1}')
sign_to "$T/event.headers" github /etc/hookq/pkgtest.secret "$B"
printf '%s\n' "X-GitHub-Delivery: pkg-1" "X-GitHub-Event: ping" >> "$T/event.headers"
check "a signed event through nginx: 200" "200" \
	"$(post pkgtest "$B" -H @"$T/event.headers")"
check "its row is in /var/lib/hookq/queue.db" "1" \
	"$(hq_sql "SELECT count(*) FROM events WHERE source = 'pkgtest' AND event_id = 'pkg-1'" 2>&1)"
wait_file "$HANDLED" 10
check "its handler ran, as hookq" "hookq pkgtest pkg-1" "$(cat "$HANDLED" 2>&1)"
check "the row's delivery is done" "done" \
	"$(wait_hq_sql "SELECT status FROM delivery_events WHERE event_id = 'pkg-1'" done 10)"
echo "# queue files: $(cd /var/lib/hookq && for f in queue.db*; do printf '%s %s; ' "$f" "$(mode_of "$f")"; done)"

kill -TERM "$PKG_RECEIVER_PID" "$PKG_WORKER_PID" 2>/dev/null
wait_exit "$PKG_RECEIVER_PID" 20
check "the receiver stops on SIGTERM with 0" "0" "$EXIT_RC"
wait_exit "$PKG_WORKER_PID" 45
check "the worker stops on SIGTERM with 0" "0" "$EXIT_RC"
PKG_RECEIVER_PID=
PKG_WORKER_PID=

# --- remove, then purge -------------------------------------------------------------
if "${APT[@]}" remove hookq > "$T/remove.log" 2>&1; then
	ok "apt-get remove hookq"
else
	not_ok "apt-get remove hookq" "$(tail -n 20 "$T/remove.log")"
fi
ok_if "after remove: /etc/hookq/hookq.conf and the hookq user stay" \
	sh -c "test -f $CONF && getent passwd hookq >/dev/null"
if out=$("$NGINX" -t -p "$N" -c "$N/nginx.conf" -e "$N/logs/error.log" 2>&1); then
	ok "after remove: nginx -t still passes"
else
	not_ok "after remove: nginx -t still passes" "$out"
fi

if "${APT[@]}" purge hookq > "$T/purge.log" 2>&1; then
	ok "apt-get purge hookq"
else
	not_ok "apt-get purge hookq" "$(tail -n 20 "$T/purge.log")"
fi
if ! dpkg-query -W -f='${Status}' hookq 2>/dev/null | grep -q 'installed\|config-files'; then
	PKG_INSTALLED=
fi
check "after purge: no hookq user" "" "$(getent passwd hookq)"
check "after purge: no hookq group" "" "$(getent group hookq)"
check "after purge: no /var/lib/hookq" "" "$(ls -d /var/lib/hookq 2>/dev/null)"
check "after purge: no /etc/hookq" "" "$(ls -d /etc/hookq 2>/dev/null)"
check "after purge: no statoverride left" "" "$(dpkg-statoverride --list | grep hookq)"
check "after purge: no unit enabled, no deb-systemd-helper state" "" \
	"$(find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled -name '*hookq*' 2>/dev/null)"
# Every path dpkg listed is gone, but folders other packages own (/usr/bin, ...).
left=
while IFS= read -r p; do
	[ "$p" = /. ] && continue
	[ -e "$p" ] || [ -L "$p" ] || continue
	[ -d "$p" ] && dpkg-query -S "$p" >/dev/null 2>&1 && continue
	left="$left $p"
done < "$T/dpkg-L"
check "after purge: nothing left of what dpkg listed" "" "${left# }"
if out=$("$NGINX" -t -p "$N" -c "$N/nginx.conf" -e "$N/logs/error.log" 2>&1); then
	ok "after purge: nginx -t still passes"
else
	not_ok "after purge: nginx -t still passes" "$out"
fi

done_testing

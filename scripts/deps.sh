# deps.sh: makes sure the Debian packages hookq builds, tests and runs with
# are installed (sourced by test.sh and run.sh). Installs what is missing
# with apt-get, through sudo when not root.

# What each package provides, so a machine that has it by other means is left alone.
HOOKQ_DEPS="
autoconf:/usr/bin/autoreconf
automake:/usr/bin/automake
make:/usr/bin/make
gcc:/usr/bin/gcc
pkg-config:/usr/bin/pkg-config
libfcgi-dev:/usr/include/fcgiapp.h
libsodium-dev:/usr/include/sodium.h
libyajl-dev:/usr/include/yajl/yajl_parse.h
libsqlite3-dev:/usr/include/sqlite3.h
libinih-dev:/usr/include/ini.h
libcmocka-dev:/usr/include/cmocka.h
libcurl4-openssl-dev:/usr/include/x86_64-linux-gnu/curl/curl.h
libssl-dev:/usr/include/openssl/evp.h
libpq-dev:/usr/include/postgresql/libpq-fe.h
nginx:/usr/sbin/nginx
sqlite3:/usr/bin/sqlite3
curl:/usr/bin/curl
python3:/usr/bin/python3
openssl:/usr/bin/openssl
spawn-fcgi:/usr/bin/spawn-fcgi
"

# What only the test suite needs, on top of HOOKQ_DEPS (test.sh; run.sh
# does without): the PostgreSQL server, for the suites that run on
# PostgreSQL (tests/pg/). Each of those tests starts a private cluster of its
# own (tests/integration/lib.sh), socket-only, in its own folder: a "main"
# cluster the package may make and start on 5432 is neither used nor in the way.
HOOKQ_TEST_DEPS="
postgresql-15:/usr/lib/postgresql/15/bin/postgres
postgresql-client-15:/usr/lib/postgresql/15/bin/psql
"

# What tests/integration/package.sh builds and checks the Debian package with
# (dh-autoreconf comes with debhelper).
HOOKQ_PACKAGE_DEPS="
debhelper:/usr/bin/dh
dh-autoreconf:/usr/bin/dh_autoreconf
dpkg-dev:/usr/bin/dpkg-buildpackage
fakeroot:/usr/bin/fakeroot
lintian:/usr/bin/lintian
"

# hookq_deps [EXTRA_PKG:FILE ...]: installs every package whose file is missing.
hookq_deps() {
	local missing="" entry pkg file sudo=""
	for entry in $HOOKQ_DEPS "$@"; do
		pkg=${entry%%:*}
		file=${entry#*:}
		[ -e "$file" ] || missing="$missing $pkg"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			sudo="sudo"
		else
			echo "hookq: missing Debian packages:$missing (install them as root)" >&2
			return 1
		fi
	fi
	echo "hookq: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq >/dev/null || true
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# hookq_build BUILDDIR [configure args...]: configures (once) and builds out of tree.
hookq_build() {
	local dir=$1
	shift
	if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
		autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
	fi
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ "$dir/config.status" -ot configure ]; then
		(cd "$dir" && ../configure -q "$@")
	fi
	make -C "$dir" -s -j"$(nproc)"
}

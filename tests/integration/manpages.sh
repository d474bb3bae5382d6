#!/bin/bash
# manpages.sh: the man pages render cleanly and stay true to the code.
#
# For each page in man/: groff -ww -z -mandoc prints nothing; man(1) renders
# it at 80 columns without a warning; mandoc -Tlint finds nothing at warning
# level or above (when mandoc is installed; skipped otherwise); it has the
# standard sections. Then, code -> page: every key of config.c's KEYS and
# ROUTE_KEYS tables is an item of its section in hookq.conf(5), every name
# the built hookq knows (hookq check lists them) has its entry in the sender
# reference and a row in README.md's sender table, every
# command of hookq.c's COMMANDS table and every long option of the hookq
# tool is in hookq(1), and every option letter of the getopt strings of
# receiver.c, worker.c and hookq.c is an item of that program's OPTIONS. A page may
# document more than the code has (keys that are being added), not less.
# Every page is in Makefile.am's dist_man_MANS, so make install and make
# distcheck carry it.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/scripts/deps.sh"

MAN="$top_srcdir/man"
SRC="$top_srcdir/src"
PAGES="hookq.1 hookq-receiver.8 hookq-worker.8 hookq.conf.5"

skip() {
	TESTS_RUN=$((TESTS_RUN + 1))
	echo "ok $TESTS_RUN - $1 # SKIP $2"
}

# groff and man are all the rendering cases need; install them if missing.
hookq_deps groff-base:/usr/bin/groff man-db:/usr/bin/man >&2 || true

# missing LIST_OF_WANTED FILE_OF_HAVE: the words of the list not in the file.
missing() {
	local w out=""
	for w in $1; do
		grep -qxF -- "$w" "$2" || out="$out $w"
	done
	echo "${out# }"
}

# ---- rendering --------------------------------------------------------------

for p in $PAGES; do
	if [ ! -f "$MAN/$p" ]; then
		not_ok "$p exists" "no $MAN/$p"
		continue
	fi
	if command -v groff >/dev/null; then
		out=$(groff -ww -z -mandoc "$MAN/$p" 2>&1)
		check "$p: groff -ww -z -mandoc prints nothing" "" "$out"
	else
		skip "$p: groff -ww -z -mandoc prints nothing" "groff not installed"
	fi
done

# man-db's --warnings passes -w to groff; an older man without it gets the
# same check through groff with the terminal device.
if command -v man >/dev/null && man --help 2>&1 | grep -q -- '--warnings'; then
	for p in $PAGES; do
		[ -f "$MAN/$p" ] || continue
		err=$(LC_ALL=C.UTF-8 MANWIDTH=80 MAN_DISABLE_SECCOMP=1 man -P cat --warnings -l "$MAN/$p" 2>&1 >"$T/$p.txt")
		if [ -n "$err" ]; then
			not_ok "$p: man --warnings -l renders it at 80 columns without warnings" "$err"
		elif ! grep -q '^NAME' "$T/$p.txt"; then
			not_ok "$p: man --warnings -l renders it at 80 columns without warnings" \
				"no NAME heading in the output: $(head -c 300 "$T/$p.txt")"
		else
			ok "$p: man --warnings -l renders it at 80 columns without warnings"
		fi
	done
elif command -v groff >/dev/null; then
	for p in $PAGES; do
		[ -f "$MAN/$p" ] || continue
		out=$(groff -ww -z -Tutf8 -mandoc -rLL=78n -rLT=78n "$MAN/$p" 2>&1)
		check "$p: groff -ww -Tutf8 renders it at 80 columns without warnings" "" "$out"
	done
else
	for p in $PAGES; do
		skip "$p: man renders it without warnings" "neither man nor groff installed"
	done
fi

# mandoc is optional: its linter knows mdoc's rules better than groff does.
for p in $PAGES; do
	[ -f "$MAN/$p" ] || continue
	if command -v mandoc >/dev/null; then
		out=$(mandoc -Tlint -Wwarning "$MAN/$p" 2>&1)
		check "$p: mandoc -Tlint -Wwarning finds nothing" "" "$out"
	else
		skip "$p: mandoc -Tlint -Wwarning finds nothing" "mandoc not installed"
	fi
done

# The sections every page has, and those of its kind.
for p in $PAGES; do
	[ -f "$MAN/$p" ] || continue
	want="NAME SYNOPSIS DESCRIPTION FILES SEE_ALSO"
	case $p in
	*.1) want="$want OPTIONS ENVIRONMENT EXIT_STATUS EXAMPLES" ;;
	*.8) want="$want OPTIONS SIGNALS ENVIRONMENT EXIT_STATUS EXAMPLES" ;;
	*.5) want="$want EXAMPLES" ;;
	esac
	sed -n 's/^\.Sh //p' "$MAN/$p" | tr ' ' '_' > "$T/$p.sections"
	check "$p: has the sections $want" "" "$(missing "$want" "$T/$p.sections")"
done

# ---- code -> page -----------------------------------------------------------

CONF="$MAN/hookq.conf.5"

# The KEYS table: lines '	{ "name", SECTION_HOOKQ, ...' and SECTION_SOURCE.
table_keys() {
	sed -n "s/^[[:space:]]*{ \"\([a-z_]*\)\", $1,.*/\1/p" "$SRC/config.c"
}
HOOKQ_KEYS=$(table_keys SECTION_HOOKQ)
SOURCE_KEYS=$(table_keys SECTION_SOURCE)
nh=$(echo "$HOOKQ_KEYS" | grep -c .)
ns=$(echo "$SOURCE_KEYS" | grep -c .)
if [ "$nh" -ge 10 ] && [ "$ns" -ge 20 ]; then
	ok "config.c's KEYS table read: $nh [hookq] keys, $ns [source] keys"
else
	not_ok "config.c's KEYS table read: $nh [hookq] keys, $ns [source] keys" \
		"expected at least 10 and 20: has the table's layout changed?"
fi

# The items ".It Cm KEY ..." of one part of hookq.conf(5), from the .Sh line
# matching START to the next .Sh line (or the end, with END=EOF).
page_items() {
	awk -v start="$2" '
		/^\.Sh / { inside = (index($0, start) == 2) ; if (!inside && seen) exit; if (inside) seen = 1 }
		inside && /^\.It Cm / { print $3 }
	' "$1"
}
page_items "$CONF" "Sh THE [hookq] SECTION" > "$T/conf.hookq"
# [source] keys: that section, and the generic keys in the sender reference.
{
	page_items "$CONF" "Sh THE [source NAME] SECTION"
	page_items "$CONF" "Sh SENDER REFERENCE"
} > "$T/conf.source"
check "hookq.conf.5 documents every [hookq] key of config.c" "" \
	"$(missing "$HOOKQ_KEYS" "$T/conf.hookq")"
check "hookq.conf.5 documents every [source] key of config.c" "" \
	"$(missing "$SOURCE_KEYS" "$T/conf.source")"
# [route] keys: config.c's ROUTE_KEYS table, items of the ROUTES section.
ROUTE_KEYS=$(table_keys SECTION_ROUTE)
page_items "$CONF" "Sh ROUTES" > "$T/conf.route"
if [ "$(echo "$ROUTE_KEYS" | grep -c .)" -ge 5 ]; then
	check "hookq.conf.5 documents every [route] key of config.c" "" \
		"$(missing "$ROUTE_KEYS" "$T/conf.route")"
else
	not_ok "hookq.conf.5 documents every [route] key of config.c" \
		"read fewer than 5 [route] keys from config.c: has the table's layout changed?"
fi

# The schemes, as the built hookq knows them: the list "hookq check" gives
# for an unknown scheme (scheme_name() over src/scheme_table.c's rows).
printf '[hookq]\ndatabase = %s/q.db\n[source x]\nscheme = no-such-scheme\nsecret_file = %s/x.secret\n' \
	"$T" "$T" > "$T/names.conf"
SCHEMES=$("$top_builddir/hookq" -c "$T/names.conf" check 2>&1 |
	sed -n "s/.*unknown scheme 'no-such-scheme' (known: \(.*\)).*/\1/p" | tr -d ' ' | tr ',' '\n')
n=$(echo "$SCHEMES" | grep -c .)
if [ "$n" -ge 45 ]; then
	ok "hookq check names $n schemes"
else
	not_ok "hookq check names $n schemes" "expected at least 45"
fi
# README's sender table: a row for each.
grep -o '^| `[a-z0-9-]*` |' "$top_srcdir/README.md" | tr -d '|` ' > "$T/readme.schemes"
check "README.md's sender table has a row for every scheme" "" \
	"$(missing "$(echo "$SCHEMES" | grep -vx generic)" "$T/readme.schemes")"
page_items "$CONF" "Sh SENDER REFERENCE" > "$T/conf.schemes"
check "hookq.conf.5's sender reference has an entry for every scheme" "" \
	"$(missing "$SCHEMES" "$T/conf.schemes")"
# ...and the scheme key lists them all.
awk '/^\.It Cm scheme Li/ { on = 1; next } on && /^\.It / { exit } on && /^\.Cm / { print $2 }' \
	"$CONF" > "$T/conf.scheme_key"
check "hookq.conf.5's scheme key lists every scheme" "" \
	"$(missing "$SCHEMES" "$T/conf.scheme_key")"

# The hookq tool: the COMMANDS table, '	{ "init", cli_init, "init" },'.
COMMANDS=$(sed -n 's/^[[:space:]]*{ "\([a-z]*\)", cli_[a-z_]*, .*/\1/p' "$SRC/hookq.c")
n=$(echo "$COMMANDS" | grep -c .)
if [ "$n" -ge 5 ]; then
	ok "hookq.c's COMMANDS table read: $n commands"
else
	not_ok "hookq.c's COMMANDS table read: $n commands" "expected at least 5"
fi
awk '/^\.It Cm / { print $3 }' "$MAN/hookq.1" > "$T/hookq1.items"
sed -n 's/^\.Cm \([a-z]*\).*/\1/p' "$MAN/hookq.1" | sort -u > "$T/hookq1.cm"
check "hookq.1 describes every command of hookq.c's COMMANDS" "" \
	"$(missing "$COMMANDS" "$T/hookq1.items")"
awk '/^\.Sh SYNOPSIS/ { on = 1; next } /^\.Sh / { on = 0 } on && /^\.Cm / { print $2 }' \
	"$MAN/hookq.1" > "$T/hookq1.synopsis"
check "hookq.1's SYNOPSIS shows every command of hookq.c's COMMANDS" "" \
	"$(missing "$COMMANDS" "$T/hookq1.synopsis")"

# Long options of the tool: '{ "source", required_argument, ...' in hookq.c and cli_*.c,
# and CLI_COMMON_OPTIONS in cli.h.
LONGOPTS=$(cat "$SRC/hookq.c" "$SRC"/cli_*.c "$SRC/cli.h" |
	sed -n 's/.*{ "\([a-z-]*\)", \(no\|required\|optional\)_argument.*/\1/p' | sort -u)
grep -o 'Fl -[a-z-]*' "$MAN/hookq.1" | sed 's/^Fl -//' | sort -u > "$T/hookq1.long"
check "hookq.1 has every long option of the hookq tool" "" \
	"$(missing "$LONGOPTS" "$T/hookq1.long")"

# getopt letters: each is an item '.It Fl X' of the page's OPTIONS.
# optstring FILE: the letters of the file's getopt()/getopt_long() string.
optletters() {
	sed -n 's/.*getopt\(_long\)\{0,1\}(argc, argv, "\([^"]*\)".*/\2/p' "$1" | head -n 1 |
		tr -d ':+' | fold -w1
}
# items FILE: the letters of the '.It Fl X' lines under OPTIONS.
option_items() {
	awk '/^\.Sh OPTIONS/ { on = 1; next } /^\.Sh / { on = 0 }
		on && /^\.It Fl [A-Za-z]/ { print substr($3, 1, 1) }' "$1"
}
for pair in receiver.c:hookq-receiver.8 worker.c:hookq-worker.8 hookq.c:hookq.1; do
	c=${pair%%:*}
	p=${pair#*:}
	letters=$(optletters "$SRC/$c")
	option_items "$MAN/$p" > "$T/$p.opts"
	if [ -z "$letters" ]; then
		not_ok "$p: OPTIONS has every getopt letter of $c" "no getopt string found in $c"
	else
		check "$p: OPTIONS has every getopt letter of $c ($(echo $letters | tr -d ' '))" "" \
			"$(missing "$letters" "$T/$p.opts")"
	fi
done

# ---- installed and distributed ------------------------------------------------

# The words of dist_man_MANS, continuation lines included.
awk '/^dist_man_MANS[ \t]*=/ { on = 1; sub(/^[^=]*=/, "") }
	on { line = $0; more = sub(/\\$/, "", line); n = split(line, w); for (i = 1; i <= n; i++) print w[i]
		if (!more) exit }' "$top_srcdir/Makefile.am" | sed -n 's|^man/||p' > "$T/dist_man"
check "Makefile.am's dist_man_MANS has every page" "" "$(missing "$PAGES" "$T/dist_man")"

done_testing

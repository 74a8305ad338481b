#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The generated documentation (scripts/gen-docs.sh): the committed
# docs/policies.md, docs/zoo.md and README.md zoo table match what the
# code generates, and the generators behave on bad usage and bad input.
# usage: docs_test.sh SECMMU SRCDIR
set -u
SECMMU=${1:?usage: docs_test.sh SECMMU SRCDIR}
SRC=${2:?usage: docs_test.sh SECMMU SRCDIR}
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # check WANT_RC DESCRIPTION CMD...
	want=$1 what=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: $what: exit $got, want $want"
		cat "$tmp/out" "$tmp/err"
		fail=1
	fi
}

# the committed copies are up to date (the message names `make docs`)
check 0 "committed docs match the code" "$SRC/scripts/gen-docs.sh" "$SECMMU" "$SRC" --check

# every knob and every preset of `secmmu policies --json` has its section
SECMMU_SCENARIOS=$SRC/scenarios "$SECMMU" policies --markdown >"$tmp/p.md"
for k in $("$SECMMU" policies --json | grep -o '"name":"[a-z_.0-9-]*"' |
	   sed 's/"name":"//; s/"$//'); do
	grep -q "\`$k\`" "$tmp/p.md" || { echo "FAIL: policies.md lacks $k"; fail=1; }
done

# every zoo entry appears in both the page and the README table
SECMMU_SCENARIOS=$SRC/scenarios "$SECMMU" zoo --markdown >"$tmp/z.md"
SECMMU_SCENARIOS=$SRC/scenarios "$SECMMU" zoo --markdown=table >"$tmp/t.md"
for e in $(grep -h '^  name:' "$SRC"/scenarios/bugs/*.yaml | awk '{print $2}'); do
	grep -q "^### \`$e\`" "$tmp/z.md" || { echo "FAIL: zoo.md lacks $e"; fail=1; }
	grep -q "docs/zoo.md#$e)" "$tmp/t.md" || { echo "FAIL: zoo table lacks $e"; fail=1; }
done

# the output depends on the files alone: twice the same bytes
SECMMU_SCENARIOS=$SRC/scenarios "$SECMMU" zoo --markdown >"$tmp/z2.md"
cmp -s "$tmp/z.md" "$tmp/z2.md" || { echo "FAIL: zoo --markdown differs between runs"; fail=1; }

# bad usage: one line, exit 2
check 2 "policies --markdown --json" "$SECMMU" policies --markdown --json
check 2 "zoo --markdown NAME" "$SECMMU" zoo --markdown mremap-truncate
check 2 "zoo --markdown --jobs 2" "$SECMMU" zoo --markdown --jobs 2

# a broken zoo file: its loader message, exit 1
mkdir -p "$tmp/sc/bugs"
printf 'name: broken\nzoo:\n  name: x\n' >"$tmp/sc/bugs/broken.yaml"
check 1 "zoo --markdown with a broken file" env SECMMU_SCENARIOS="$tmp/sc" "$SECMMU" zoo --markdown
grep -q 'broken.yaml:[0-9]*:[0-9]*: ' "$tmp/err" || { echo "FAIL: no FILE:LINE:COL message"; cat "$tmp/err"; fail=1; }

# gen-docs --check names the command that regenerates
mkdir -p "$tmp/src/docs" "$tmp/src/scripts"
cp -r "$SRC/scenarios" "$tmp/src/"
cp "$SRC/README.md" "$tmp/src/"
cp "$SRC/scripts/gen-docs.sh" "$tmp/src/scripts/"
echo stale >"$tmp/src/docs/policies.md"
cp "$SRC/docs/zoo.md" "$tmp/src/docs/"
check 1 "gen-docs --check on a stale copy" "$tmp/src/scripts/gen-docs.sh" "$SECMMU" "$tmp/src" --check
grep -q "make docs" "$tmp/err" || { echo "FAIL: --check does not name 'make docs'"; fail=1; }
check 0 "gen-docs rewrites the stale copy" "$tmp/src/scripts/gen-docs.sh" "$SECMMU" "$tmp/src"
cmp -s "$tmp/src/docs/policies.md" "$SRC/docs/policies.md" || { echo "FAIL: regenerated policies.md differs"; fail=1; }

[ "$fail" = 0 ] && echo "docs: ok"
exit $fail

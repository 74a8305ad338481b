#!/usr/bin/env bash
# `meson install` into a temporary DESTDIR, then use the install as a user
# would: the installed secmmu finds its shipped scenarios without
# SECMMU_SCENARIOS (and never in the source tree), the man page renders
# with man -l, bash completion completes, and a C program builds against
# libsecmmu with pkg-config and runs.
# usage: install_test.sh BUILD_DIR PREFIX BINDIR LIBDIR DATADIR MANDIR SANITIZE
set -u
BUILD=${1:?usage: install_test.sh BUILD PREFIX BINDIR LIBDIR DATADIR MANDIR SANITIZE}
PREFIX=$2 BINDIR=$3 LIBDIR=$4 DATADIR=$5 MANDIR=$6 SAN=${7:-none}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "FAIL: $*"; sed 's/^/  | /' "$T/out" | head -20; }

# an option relative to the prefix, or absolute
under() { case $1 in /*) echo "$T/root$1" ;; *) echo "$T/root$PREFIX/$1" ;; esac; }

# the tests already built everything: install without rebuilding
if ! meson install -C "$BUILD" --destdir "$T/root" --no-rebuild --quiet \
	>"$T/out" 2>&1; then
	no "meson install --destdir failed"
	exit 1
fi
BIN=$(under "$BINDIR")/secmmu
LIB=$(under "$LIBDIR")
SHARE=$(under "$DATADIR")
MAN=$(under "$MANDIR")/man1/secmmu.1

for f in "$BIN" "$LIB/libsecmmu.so" "$LIB/pkgconfig/secmmu.pc" \
	"$(under include)/secmmu/secmmu.h" "$MAN" \
	"$SHARE/bash-completion/completions/secmmu" \
	"$SHARE/secmmu/scenarios/demos/lost-update.yaml"; do
	[ -e "$f" ] && ok || no "not installed: ${f#"$T/root"}"
done

# run from a directory with no scenarios/, without SECMMU_SCENARIOS
cd "$T" || exit 1
unset SECMMU_SCENARIOS
"$BIN" --version >"$T/out" 2>&1
grep -qE '^secmmu [0-9]+\.[0-9]+\.[0-9]+ \(git [^)]+\)$' "$T/out" && ok ||
	no "--version lacks the version and git revision"
"$BIN" list >"$T/out" 2>&1
grep -q "^scenarios in $SHARE/secmmu/scenarios " "$T/out" && ok ||
	no "installed secmmu list does not use $SHARE/secmmu/scenarios"
grep -q "demos/lost-update.yaml" "$T/out" && ok || no "list misses a shipped scenario"
# a shipped scenario by name, as the installed binary finds it
"$BIN" explore lost-update >"$T/out" 2>&1
[ $? = 0 ] && grep -q "result: as expected: lost-update found" "$T/out" && ok ||
	no "installed secmmu explore lost-update"
"$BIN" run locked-update --strategy dfs >"$T/out" 2>&1
[ $? = 0 ] && grep -q "clean in .* (search exhausted)" "$T/out" && ok ||
	no "installed secmmu run locked-update"
# only the installed copy: a renamed scenarios dir is not found elsewhere
mv "$SHARE/secmmu/scenarios" "$SHARE/secmmu/moved"
"$BIN" explore lost-update >"$T/out" 2>&1
[ $? = 2 ] && grep -q "unknown model 'lost-update'" "$T/out" && ok ||
	no "installed secmmu found lost-update outside its install"
mv "$SHARE/secmmu/moved" "$SHARE/secmmu/scenarios"

# the man page
MANPAGER=cat MANWIDTH=80 man -l "$MAN" >"$T/out" 2>&1
[ $? = 0 ] && grep -q "EXIT STATUS" "$T/out" &&
	grep -q "SECMMU_SCENARIOS" "$T/out" && ok || no "man -l secmmu.1"

# bash completion, against the installed binary
bash -c '
	source "$1"
	c() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _secmmu
	      echo "${COMPREPLY[*]}"; }
	c "$2" expl
	c "$2" explore lost-up
	c "$2" run x --set iommu.dma_invalidation=
	c "$2" run x --policy linux-4.1
' _ "$SHARE/bash-completion/completions/secmmu" "$BIN" >"$T/out" 2>&1
[ "$(sed -n 1p "$T/out")" = explore ] && ok || no "completion of a command"
sed -n 2p "$T/out" | grep -qw lost-update && ok || no "completion of a scenario name"
sed -n 3p "$T/out" | grep -qw "iommu.dma_invalidation=strict" && ok ||
	no "completion of a knob value"
sed -n 4p "$T/out" | grep -qw "linux-4.13" && ok || no "completion of a preset"

# a C program against the installed library, through pkg-config
cat >"$T/prog.c" <<'C'
#include <secmmu/secmmu.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct secmmu_explore_opts o = { .strategy = SECMMU_STRATEGY_RANDOM,
					 .seed = 1, .iterations = 1000,
					 .bound = -1 };
	struct secmmu_result r;
	char err[256];

	if (argc != 2 || secmmu_explore_file(argv[1], &o, &r, err, sizeof(err))) {
		fprintf(stderr, "explore: %s\n", err);
		return 1;
	}
	printf("secmmu %s: %s in execution %lu\n", secmmu_version(),
	       r.first_violation ? r.first_kind : "clean", r.first_violation);
	secmmu_result_free(&r);
	return !secmmu_model_name(0);
}
C
export PKG_CONFIG_PATH="$LIB/pkgconfig"
PC=(pkg-config --define-variable=prefix="$T/root$PREFIX")
flags=()
[ "$SAN" != none ] && flags=(-fsanitize="$SAN")
if ${CC:-cc} "${flags[@]}" -o "$T/prog" "$T/prog.c" \
	$("${PC[@]}" --cflags --libs secmmu) >"$T/out" 2>&1; then
	ok
	LD_LIBRARY_PATH="$LIB" "$T/prog" \
		"$SHARE/secmmu/scenarios/demos/lost-update.yaml" >"$T/out" 2>&1
	grep -qE "^secmmu [0-9.]+: lost-update in execution [1-9]" "$T/out" && ok ||
		no "the pkg-config program's output"
else
	no "cc \$(pkg-config --cflags --libs secmmu)"
fi

echo "install_test: $pass passed, $fail failed"
[ "$fail" = 0 ]

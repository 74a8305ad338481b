#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The generated documentation: docs/policies.md (`secmmu policies
# --markdown`), docs/zoo.md (`secmmu zoo --markdown`) and the zoo table
# between the <!-- zoo:begin --> and <!-- zoo:end --> lines of README.md
# (`secmmu zoo --markdown=table`).  All three come from the code and the
# shipped scenarios only (no exploration), so they are deterministic.
#
#   gen-docs.sh SECMMU SRCDIR           rewrite the three files
#   gen-docs.sh SECMMU SRCDIR --check   fail if a committed copy differs
#
# `make docs` (or `ninja -C build docs`) runs the first form; the `docs`
# test in `make test` runs the second.
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 SECMMU SRCDIR [--check]" >&2
	exit 2
fi
secmmu=$1
src=$2
check=${3:-}
if [ -n "$check" ] && [ "$check" != --check ]; then
	echo "$0: unknown option '$check'" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the shipped scenarios of this source tree, whatever the binary's default
SECMMU_SCENARIOS=$src/scenarios
export SECMMU_SCENARIOS

"$secmmu" policies --markdown >"$tmp/policies.md"
"$secmmu" zoo --markdown >"$tmp/zoo.md"
"$secmmu" zoo --markdown=table >"$tmp/zoo-table.md"

# README.md with its marked block replaced by the table
awk -v table="$tmp/zoo-table.md" '
	/^<!-- zoo:begin/ {
		print
		while ((getline line < table) > 0)
			print line
		skip = 1
		begin = 1
		next
	}
	/^<!-- zoo:end/ { skip = 0; end = 1 }
	!skip { print }
	END {
		if (!begin || !end) {
			print "README.md: no <!-- zoo:begin --> ... <!-- zoo:end --> block" > "/dev/stderr"
			exit 1
		}
	}' "$src/README.md" >"$tmp/README.md"

stale=0
for f in docs/policies.md docs/zoo.md README.md; do
	new=$tmp/$(basename "$f")
	if [ -z "$check" ]; then
		if ! cmp -s "$new" "$src/$f"; then
			cp "$new" "$src/$f"
			echo "gen-docs: wrote $f"
		fi
	elif ! cmp -s "$new" "$src/$f"; then
		echo "gen-docs: $f is out of date; the difference:" >&2
		diff -u "$src/$f" "$new" >&2 || true
		stale=1
	fi
done
if [ "$stale" -ne 0 ]; then
	echo "gen-docs: regenerate with 'make docs' (or 'ninja -C build docs') and commit the result" >&2
	exit 1
fi

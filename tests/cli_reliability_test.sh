#!/usr/bin/env bash
# Hostile and odd inputs to the secmmu binary (issue 17): failure files,
# output paths, numbers, environment.  Each check names the item it
# guards.  Kept apart from cli_test.sh so that file's many authors do not
# collide.
# usage: cli_reliability_test.sh path/to/secmmu [path/to/scenarios]
set -u
SECMMU=$(realpath "${1:?usage: cli_reliability_test.sh SECMMU [SCENARIOS]}")
SC=${2:-$(dirname "$0")/../scenarios}
T=$(mktemp -d)
trap 'chmod -R u+w "$T"; rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect EXIT PATTERN -- ARGS...: exit status and a pattern in stdout+stderr
expect() {
	local want=$1 pat=$2
	shift 3
	timeout 20 "$SECMMU" "$@" >"$T/out" 2>&1
	local got=$?
	if [ "$got" != "$want" ]; then
		no "secmmu $* exited $got, want $want"; sed 's/^/  | /' "$T/out" | head -20
	elif ! grep -qE -- "$pat" "$T/out"; then
		no "secmmu $*: output lacks /$pat/"; sed 's/^/  | /' "$T/out" | head -20
	else
		ok
	fi
}

# the same, and the output is that one line
expect_line() {
	expect "$@"
	[ "$(wc -l <"$T/out")" = 1 ] && ok || { no "more than one line: ${*:4}"; sed 's/^/  | /' "$T/out" | head -5; }
}

# ---- item 2: a deeply nested failure file is rejected at once ----
python3 -c 'import sys; sys.stdout.write("{\"secmmu_failure\": 1, \"x\": " + "[" * 100000 + "]" * 100000 + "}")' >"$T/deep.fail"
python3 -c 'import sys; sys.stdout.write("[" * 524287 + "]" * 524287)' >"$T/mib.fail"
start=$(date +%s%N)
expect_line 2 "^$T/deep.fail: syntax error at line 1, column [0-9]+: maximum parsing depth reached" -- replay "$T/deep.fail"
expect_line 2 "^$T/mib.fail: syntax error at line 1, column [0-9]+: maximum parsing depth reached" -- replay "$T/mib.fail"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -lt 3000 ] && ok || no "nested failure files took ${ms} ms"

# ---- item 7: broken failure files by the failure file's rules ----
"$SECMMU" explore lost-update --save-failure "$T/lu.fail" >/dev/null 2>&1
printf '{' >"$T/brace.fail"
printf '{}' >"$T/empty-obj.fail"
printf '[]\n' >"$T/arr.fail"
expect_line 2 "^$T/brace.fail: syntax error at line 1, column 1: " -- replay "$T/brace.fail"
expect_line 2 "^$T/empty-obj.fail: not a secmmu failure file: no 'secmmu_failure' key$" -- replay "$T/empty-obj.fail"
expect_line 2 "^$T/arr.fail: not a secmmu failure file: a JSON array, not an object$" -- replay "$T/arr.fail"
{ cat "$T/lu.fail"; echo 'trailing'; } >"$T/trail.fail"
expect_line 2 "^$T/trail.fail: syntax error at line [0-9]+, column [0-9]+: end of file expected" -- replay "$T/trail.fail"
{ cat "$T/lu.fail"; echo '{}'; } >"$T/two.fail"
expect_line 2 "^$T/two.fail: syntax error at line [0-9]+, column [0-9]+: end of file expected" -- replay "$T/two.fail"
# a failure file read from a pipe: replayed, and a broken one is one line
expect 0 "VIOLATION lost-update in execution 1 of 1" -- replay <(cat "$T/lu.fail")
expect_line 2 ": not a secmmu failure file: no 'secmmu_failure' key$" -- replay <(printf '{}')
# a scenario from a pipe still replays (read once)
expect 0 "VIOLATION lost-update in execution 1 of 1" -- replay <(cat "$SC/demos/lost-update.yaml") --schedule aba --set rmap.batched_flush_pending=false
# an unknown strategy (item 8)
sed 's/"strategy": "random"/"strategy": "bogus"/' "$T/lu.fail" >"$T/strat.fail"
expect_line 2 "^$T/strat.fail: unknown strategy 'bogus'" -- replay "$T/strat.fail"
# a seed above INT64_MAX is kept exactly
"$SECMMU" explore lost-update --seed 18446744073709551610 --save-failure "$T/bigseed.fail" >/dev/null 2>&1
grep -q '"seed": "1844674407370955' "$T/bigseed.fail" && ok || no "big seed not written as a string"
expect 0 "VIOLATION lost-update in execution 1 of 1" -- replay "$T/bigseed.fail"

# ---- item 5: replay runs the scenario whose text was recorded ----
mkdir -p "$T/a" "$T/b"
cp "$SC/demos/lost-update.yaml" "$T/a/s.yaml"
(cd "$T/a" && "$SECMMU" run s.yaml --save-failure "$T/s.fail" >/dev/null 2>&1)
# an unrelated s.yaml in the cwd: the recorded absolute path is used
cp "$SC/demos/locked-update.yaml" "$T/b/s.yaml" 2>/dev/null ||
	printf 'name: other\nagents:\n  - ops: [{op: nop}]\n' >"$T/b/s.yaml"
(cd "$T/b" && "$SECMMU" replay "$T/s.fail") >"$T/out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "VIOLATION lost-update in execution 1 of 1" "$T/out" && ok ||
	{ no "replay next to an unrelated s.yaml: exit $rc"; sed 's/^/  | /' "$T/out" | head; }
# neither copy has the recorded text: refused
cp "$T/b/s.yaml" "$T/a/s.yaml"
(cd "$T/b" && "$SECMMU" replay "$T/s.fail") >"$T/out" 2>&1
rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <"$T/out")" = 1 ] && grep -q "^$T/s.fail: scenario 's.yaml' changed since the failure was saved" "$T/out" && ok ||
	{ no "replay with no matching scenario: exit $rc"; sed 's/^/  | /' "$T/out" | head; }

# ---- item 6: replay FAILURE exits 0 only when the violation reproduced ----
expect 0 "VIOLATION lost-update" -- replay "$T/lu.fail"
sed 's/"schedule": "[^"]*"/"schedule": "a9"/' "$T/lu.fail" >"$T/gone.fail"
expect 1 "this replay found no violation" -- replay "$T/gone.fail"
sed 's/"kind": "lost-update"/"kind": "deadlock"/' "$T/lu.fail" >"$T/other.fail"
expect 1 "recorded deadlock; this replay found lost-update" -- replay "$T/other.fail"

# ---- item 3: outputs checked before exploring; the report always printed ----
for o in --trace --trace-text --save-failure; do
	expect_line 2 "^secmmu: $T/nodir/x: cannot write: No such file or directory$" -- explore lost-update $o "$T/nodir/x"
	expect_line 2 "^secmmu: $T/a: cannot write: Is a directory$" -- explore lost-update $o "$T/a"
	expect_line 2 "^secmmu: $T/lu.fail/x: cannot write: Not a directory$" -- explore lost-update $o "$T/lu.fail/x"
done
if [ "$(id -u)" != 0 ]; then
	mkdir "$T/ro" && chmod 555 "$T/ro"
	expect_line 2 "^secmmu: $T/ro/x: cannot write: Permission denied$" -- explore lost-update --trace "$T/ro/x"
else
	echo "SKIP: unwritable directory (running as root)"
fi
# a write that fails after exploring (a full device): the report is printed, exit 2
if [ -w /dev/full ]; then
	for o in --trace --trace-text --save-failure; do
		expect 2 "VIOLATION lost-update in execution" -- explore lost-update $o /dev/full
		grep -q "^secmmu: /dev/full: cannot write: No space left on device$" "$T/out" && grep -q "^replay:  " "$T/out" && ok ||
			{ no "$o /dev/full: no report or no error"; sed 's/^/  | /' "$T/out" | head; }
		! grep -q "^saved: " "$T/out" && ok || no "$o /dev/full: 'saved:' for a file not written"
	done
fi

# ---- item 4: an output is never an input or another output ----
cp "$SC/demos/lost-update.yaml" "$T/s.yaml"
cp "$T/s.yaml" "$T/s.orig"
expect_line 2 "^secmmu: --save-failure $T/s.yaml: is the scenario being run; write it elsewhere$" -- run "$T/s.yaml" --save-failure "$T/s.yaml"
expect_line 2 "^secmmu: --trace-text $T/./s.yaml: is the scenario being run" -- run "$T/s.yaml" --trace-text "$T/./s.yaml"
ln -s "$T/s.yaml" "$T/link.yaml"
expect_line 2 "^secmmu: --trace $T/link.yaml: is the scenario being run" -- run "$T/s.yaml" --trace "$T/link.yaml"
cmp -s "$T/s.yaml" "$T/s.orig" && ok || no "the scenario was overwritten"
expect_line 2 "^secmmu: --save-failure $T/lu.fail: is the failure file being replayed" -- replay "$T/lu.fail" --save-failure "$T/lu.fail"
expect_line 2 "^secmmu: --trace-text $T/t: is also --trace's file; give each output its own$" -- run "$T/s.yaml" --trace "$T/t" --trace-text "$T/t"
expect_line 2 "^secmmu: --save-failure $T/../$(basename "$T")/t: is also --trace's file" -- run "$T/s.yaml" --trace "$T/t" --save-failure "$T/../$(basename "$T")/t"
[ ! -e "$T/t" ] && ok || no "a refused run wrote an output"
# the null device may take several outputs
expect 0 "as expected" -- run "$T/s.yaml" --trace /dev/null --trace-text /dev/null

# ---- item 8: numbers on the command line ----
# decimal, whatever the leading zeros: --seed 010 is ten (not octal 8)
"$SECMMU" explore lost-update --seed 010 --save-failure "$T/s010.fail" >/dev/null 2>&1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["seed"] >= 10, d' "$T/s010.fail" && ok || no "--seed 010 is not ten"
expect 0 "clean: 1 executions" -- replay locked-update --seed 09
expect_line 2 "^secmmu: --seed: '18446744073709551616' is too large" -- explore lost-update --seed 18446744073709551616
expect_line 2 "^secmmu: --iterations: '99999999999999999999' is too large" -- explore lost-update --iterations 99999999999999999999
expect_line 2 "^secmmu: --seed: ' 5' is not a non-negative number$" -- explore lost-update --seed " 5"
expect_line 2 "^secmmu: --seed: '\+5' is not a non-negative number$" -- explore lost-update --seed +5

# ---- item 8: the scenarios directory and the zoo ----
for cmd in zoo list "zoo --markdown"; do
	SECMMU_SCENARIOS=/nonexistent "$SECMMU" $cmd >"$T/out" 2>&1
	rc=$?
	[ "$rc" = 2 ] && grep -q "^secmmu: scenarios directory /nonexistent: No such file or directory" "$T/out" && ok ||
		{ no "SECMMU_SCENARIOS=/nonexistent secmmu $cmd: exit $rc"; sed 's/^/  | /' "$T/out" | head -3; }
done
mkdir -p "$T/zoo/bugs" "$T/zoo/demos"
SECMMU_SCENARIOS="$T/zoo" "$SECMMU" list >"$T/out" 2>&1 && grep -q "(none)" "$T/out" && ok || no "list of an empty directory"
# an empty zoo is not a passing one
SECMMU_SCENARIOS="$T/zoo" "$SECMMU" zoo >"$T/out" 2>&1
rc=$?
[ "$rc" = 2 ] && grep -q "^secmmu: zoo: no zoo entries under $T/zoo$" "$T/out" && ok ||
	{ no "zoo of an empty directory: exit $rc"; sed 's/^/  | /' "$T/out" | head -3; }
cp "$SC/bugs/mirror-read-retry.yaml" "$T/zoo/bugs/"
cp "$SC/bugs/mirror-read-retry.yaml" "$T/zoo/demos/copy.yaml"
SECMMU_SCENARIOS="$T/zoo" "$SECMMU" zoo >"$T/out" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q "^secmmu: zoo: demos/copy.yaml: zoo name 'mirror-read-retry' is already bugs/mirror-read-retry.yaml's$" "$T/out" && ok ||
	{ no "duplicate zoo names: exit $rc"; sed 's/^/  | /' "$T/out" | head -5; }
SECMMU_SCENARIOS="$T/zoo" "$SECMMU" zoo --markdown >"$T/out" 2>&1
[ $? = 1 ] && grep -q "zoo name 'mirror-read-retry' is already" "$T/out" && ok || no "duplicate zoo names (--markdown)"
rm "$T/zoo/demos/copy.yaml"
# a broken file outside bugs/ with a zoo: block fails the zoo; one without is not an entry
printf 'name: x\nzoo:\n  name: [\n' >"$T/zoo/demos/broken-zoo.yaml"
printf 'name: [\n' >"$T/zoo/demos/broken.yaml"
SECMMU_SCENARIOS="$T/zoo" "$SECMMU" zoo >"$T/out" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q "broken-zoo.yaml:" "$T/out" && ! grep -q "demos/broken.yaml:" "$T/out" && ok ||
	{ no "a broken zoo file outside bugs/: exit $rc"; sed 's/^/  | /' "$T/out" | head -5; }

# ---- item 8: scenarios the loader used to accept silently ----
mm_scenario() { # FILE OP-LINE [FINAL-LINE] [EXPECT]
	{
		printf 'name: t\nworld:\n  cpus: 1\n  memory: {frames: 64}\n  processes: [p, q]\n'
		printf 'agents:\n  - name: a\n    ops:\n'
		printf '      - mmap: {proc: p, len: 8192, prot: read|write, as: buf}\n'
		printf '      - %s\n' "$2"
		[ -n "${3-}" ] && printf 'final:\n  - %s\n' "$3"
		printf 'expect: %s\n' "${4:-any}"
	} >"$1"
}
mm_scenario "$T/both.yaml" "munmap: {proc: p, region: buf, addr: 0x10000000, len: 4096}"
expect_line 2 "^$T/both.yaml:10:[0-9]+: 'munmap' takes 'addr' or 'region', not both$" -- run "$T/both.yaml"
mm_scenario "$T/both2.yaml" "read: {proc: p, cpu: 0, region: buf, addr: 0x10000000}"
expect_line 2 "^$T/both2.yaml:10:[0-9]+: 'read' takes 'addr' or 'region', not both$" -- run "$T/both2.yaml"
mm_scenario "$T/unal.yaml" "write: {proc: p, cpu: 0, addr: 0x10000004, value: 1}"
expect_line 2 "^$T/unal.yaml:10:[0-9]+: 'write' of 0x10000004: not 8-byte aligned" -- run "$T/unal.yaml"
mm_scenario "$T/unal2.yaml" "read: {proc: p, cpu: 0, region: buf, offset: 4097}"
expect_line 2 "^$T/unal2.yaml:10:[0-9]+: 'read' of 0x1001: not 8-byte aligned" -- run "$T/unal2.yaml"
mm_scenario "$T/al.yaml" "read: {proc: p, cpu: 0, region: buf, offset: 4104, expect: 0}" "" clean
expect 0 "as expected: clean" -- run "$T/al.yaml" --iterations 2
mm_scenario "$T/self.yaml" "fork: {proc: p, child: p}"
expect_line 2 "^$T/self.yaml:10:[0-9]+: 'fork': 'child' must be another process than 'proc'$" -- run "$T/self.yaml"
# out-of-range addresses in final checks are reported, not walked
mm_scenario "$T/far.yaml" "write: {proc: p, cpu: 0, region: buf, value: 1}" "word p 0xffffffffffff0000 == 0" clean
expect 1 "final check: '0xffffffffffff0000' is outside the user address space" -- run "$T/far.yaml" --iterations 1
mm_scenario "$T/far2.yaml" "write: {proc: p, cpu: 0, region: buf, value: 1}" "present p buf+0xfffffffffffff000 == 0" clean
expect 1 "final check: 'buf\+0xfffffffffffff000' is outside the user address space" -- run "$T/far2.yaml" --iterations 1
mm_scenario "$T/near.yaml" "write: {proc: p, cpu: 0, region: buf, value: 1}" "word p buf == 1" clean
expect 0 "as expected: clean" -- run "$T/near.yaml" --iterations 1
# every kind the checker reports may be expected (the value oracle's too)
for k in permission access-after-munmap lost-write spurious-fault access-after-truncate notifier-bad-return self-join; do
	mm_scenario "$T/k.yaml" "read: {proc: p, cpu: 0, region: buf}" "" "$k"
	expect 1 "result: NOT as expected: $k not found" -- run "$T/k.yaml" --iterations 1
done

# ---- item 13: the verdict counts executions, not reports ----
mm_scenario "$T/twice.yaml" "write: {proc: p, cpu: 0, region: nosuch, value: 1}" "word p nosuch == 0" clean
expect 1 "found: scenario-error in 1 execution \(first: 1\)" -- run "$T/twice.yaml" --iterations 1
expect 1 "found: scenario-error in 3 executions \(first: 1\)" -- run "$T/twice.yaml" --iterations 3 --keep-going
"$SECMMU" run "$T/twice.yaml" --iterations 3 --keep-going --json >"$T/j" 2>/dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); k=[x for x in d["kinds"] if x["kind"]=="scenario-error"][0]; assert k["executions"]==3, d' "$T/j" && ok || no "--json kinds count executions"

# ---- item 9: a long input is shortened in a message, never the reason ----
L=$(python3 -c 'print("x" * 5000)')
G='world:\n  mutexes: [m]\nagents:\n  - name: a\n    ops: [lock: m, unlock: m]\n'
printf "name: t\n${G}expect: $L\n" >"$T/l1.yaml"
printf "name: t\nworld:\n  mutexes: [m]\nagents:\n  - name: a\n    ops: [lock: $L]\n" >"$T/l2.yaml"
printf "name: t\nworld:\n  mutexes: [m]\nagents:\n  - name: a\n    ops: [$L]\n" >"$T/l3.yaml"
printf "name: t\nagents:\n  - name: $L\n    ops: [yield]\n" >"$T/l4.yaml"
python3 - "$T" <<'PY2'
import json, sys
t = sys.argv[1]
for name, change in {"l5": lambda d: d.update(strategy="s" * 5000),
                     "l6": lambda d: d.update({"k" * 5000: 1}),
                     "l7": lambda d: d.update(engine="e" * 5000)}.items():
    d = json.load(open(t + "/lu.fail"))
    change(d)
    json.dump(d, open("%s/%s.fail" % (t, name), "w"))
PY2
long_line() { # WHAT TAIL-PATTERN -- ARGS
	local what=$1 pat=$2
	shift 3
	"$SECMMU" "$@" >"$T/out" 2>&1
	local n
	n=$(wc -c <"$T/out")
	if [ "$(wc -l <"$T/out")" = 1 ] && [ "$n" -le 1024 ] && grep -qE -- "$pat" "$T/out"; then
		ok
	else
		no "$what: $n bytes, lacks /$pat/"; cut -c1-100 "$T/out" | head -3
	fi
}
long_line expect "x\.\.\.x+' is not one( \(did you mean.*\))?$" -- run "$T/l1.yaml"
long_line object "x\.\.\.x+' is not defined in 'world'$" -- run "$T/l2.yaml"
long_line op "unknown operation 'x+\.\.\.x+'$" -- run "$T/l3.yaml"
long_line agent "' is longer than [0-9]+ characters$" -- run "$T/l4.yaml"
long_line strategy "s\.\.\.s+' \(random, pct, dfs or replay\)$" -- replay "$T/l5.fail"
long_line key "^$T/l6.fail: unknown key 'k+\.\.\.k+'$" -- replay "$T/l6.fail"
long_line engine "e\.\.\.e+' cannot be replayed \(only det\)$" -- replay "$T/l7.fail"
long_line set "x\.\.\.x+' is not a boolean \(true or false\)$" -- explore lost-update --set "rmap.batched_flush_pending=$L"
long_line policy "' \(known: default, .*\)$" -- explore lost-update --policy "$L"

# ---- item 12: a long violating execution's replays hold one trace ----
# (not under a sanitizer: its shadow memory needs more than ulimit -v allows)
if ldd "$SECMMU" 2>/dev/null | grep -qE 'lib(a|t)san'; then
	echo "SKIP: ulimit -v checks under a sanitizer"
else
	printf 'name: spin\nworld:\n  mutexes: [m]\nagents:\n  - name: a\n    copies: 2\n    ops:\n      - loop:\n          times: 1000\n          ops:\n            - loop:\n                times: 1000\n                ops: [lock: m, unlock: m]\nexpect: livelock\n' >"$T/spin.yaml"
	(ulimit -v 120000; "$SECMMU" run "$T/spin.yaml" --iterations 1 --max-steps 100000) >"$T/out" 2>&1
	rc=$?
	[ "$rc" = 0 ] && grep -q "as expected: livelock found" "$T/out" && ! grep -q "WARNING: replaying" "$T/out" && ok ||
		{ no "a 100000-step livelock under ulimit -v 120000: exit $rc"; sed 's/^/  | /' "$T/out" | tail -3; }
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

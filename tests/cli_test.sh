#!/usr/bin/env bash
# End-to-end tests of the secmmu binary: commands, replay, traces, JSON,
# and every class of bad input (message and exit code).
# usage: cli_test.sh path/to/secmmu
set -u
SECMMU=${1:?usage: cli_test.sh SECMMU}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect EXIT PATTERN -- ARGS...: exit status and a pattern in stdout+stderr
expect() {
	local want=$1 pat=$2
	shift 3
	"$SECMMU" "$@" >"$T/out" 2>&1
	local got=$?
	if [ "$got" != "$want" ]; then
		no "secmmu $* exited $got, want $want"; sed 's/^/  | /' "$T/out" | head -20
	elif ! grep -qE -- "$pat" "$T/out"; then
		no "secmmu $*: output lacks /$pat/"; sed 's/^/  | /' "$T/out" | head -20
	else
		ok
	fi
}

expect 0 "usage: secmmu" -- --help
expect 0 "^secmmu [0-9]+\.[0-9]+" -- --version
expect 0 "lost-update +two unlocked" -- list
expect 2 "usage: secmmu" --
expect 1 "VIOLATION lost-update" -- explore lost-update --seed 1
expect 1 "replay:  secmmu replay lost-update --schedule" -- explore lost-update
expect 0 "clean: 6 executions \(search exhausted\)" -- explore steps-2x2 --strategy dfs
expect 0 "clean: 2 executions" -- explore steps-2x2 --strategy dfs --bound 0
expect 1 "possible circular locking dependency" -- explore abba --strategy dfs
expect 1 "wait-for cycle: ab -> ba -> ab" -- replay abba --schedule ab
expect 1 "VIOLATION lockdep-circular" -- explore abba --engine real --iterations 3
expect 1 "sleeping function called from invalid context" -- explore sleep-in-atomic
expect 0 "clean" -- explore locked-update --engine real --iterations 5 --delay 30
expect 0 "fault-vs-munmap +CPU0 uses a page" -- list
expect 0 "clean: [0-9]+ executions \(search exhausted\)" -- explore fault-vs-munmap --strategy dfs --bound 1
expect 1 "VIOLATION stale-tlb" -- explore fault-vs-munmap-noflush
expect 1 "VIOLATION tlb-coherence" -- explore fault-vs-mprotect-noflush --strategy dfs
expect 0 "clean" -- explore fault-vs-munmap --engine real --iterations 20
expect 1 "returned 5 after MADV_DONTNEED had returned" -- explore read-vs-dontneed-nonested --strategy pct --iterations 5000

# the printed replay command reproduces the violation
"$SECMMU" explore rcu-free-early --strategy random --seed 5 >"$T/first" 2>&1
cmd=$(sed -n 's/^replay:  secmmu //p' "$T/first" | tr -d "'")
if [ -n "$cmd" ]; then
	expect 1 "VIOLATION use-after-free" -- $cmd
else
	no "no replay command printed"
fi
cmd=$(sed -n 's/^     or: secmmu //p' "$T/first")
if [ -n "$cmd" ]; then
	expect 1 "VIOLATION use-after-free in execution 1 of 1" -- $cmd
else
	no "no seed replay command printed"
fi

# traces: the same schedule twice gives byte-identical JSON and text
"$SECMMU" replay lost-update --schedule aba --trace "$T/t1.json" --trace-text "$T/t1.txt" >/dev/null 2>&1
"$SECMMU" replay lost-update --schedule aba --trace "$T/t2.json" --trace-text "$T/t2.txt" >/dev/null 2>&1
if cmp -s "$T/t1.json" "$T/t2.json" && cmp -s "$T/t1.txt" "$T/t2.txt"; then ok; else no "replayed traces differ"; fi
grep -q "VIOLATION lost-update" "$T/t1.txt" && ok || no "text trace lacks the violation"

# the JSON trace follows the Chrome Trace Event format
if python3 - "$T/t1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["traceEvents"]
assert isinstance(ev, list) and ev
names = {e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
assert {"inc0", "inc1"} <= names, names
for e in ev:
    assert e["ph"] in ("M", "i", "b", "e", "X", "B", "E"), e
    assert isinstance(e["pid"], int) and isinstance(e["tid"], int), e
    if e["ph"] != "M":
        assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
        assert isinstance(e["name"], str) and e["name"], e
    if e["ph"] in ("b", "e"):
        assert "id" in e and "cat" in e, e
    if e["ph"] == "i":
        assert e.get("s") in ("t", "p", "g"), e
assert any("VIOLATION lost-update" in e.get("name", "") for e in ev)
PY
then ok; else no "trace JSON is not valid Chrome Trace Event format"; fi

# --json summary
"$SECMMU" explore lost-update --strategy dfs --json >"$T/j" 2>/dev/null
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["first"]["kind"]=="lost-update" and d["executions"]>=1 and d["strategy"]=="dfs"' "$T/j"; then ok; else no "--json output"; fi

# bad input: one line naming the problem, exit 2
expect 2 "unknown command 'frobnicate'" -- frobnicate
expect 2 "unknown option '--frob'" -- explore lost-update --frob
expect 2 "option '--seed' needs a value" -- explore lost-update --seed
expect 2 "--iterations: 'abc' is not a non-negative number" -- explore lost-update --iterations abc
expect 2 "--iterations: 0 is out of range" -- explore lost-update --iterations 0
expect 2 "--strategy: 'foo' is not one of random, pct, dfs" -- explore lost-update --strategy foo
expect 2 "--bound: '-1' is not a non-negative number" -- explore lost-update --bound -1
expect 2 "--depth: 99 is out of range" -- explore lost-update --strategy pct --depth 99
expect 2 "--engine: 'gpu' is not one of det, real" -- explore lost-update --engine gpu
expect 2 "--schedule: 'a-b' is not a schedule" -- replay lost-update --schedule a-b
expect 2 "--seed: '12x' is not a non-negative number" -- explore lost-update --seed 12x
expect 2 "unknown model 'nosuch'" -- explore nosuch
expect 2 "missing MODEL" -- explore
expect 2 "unexpected argument 'extra'" -- explore lost-update extra
expect 2 "replay needs --schedule" -- replay lost-update
expect 2 "cannot write $T/nodir/x.json" -- explore lost-update --trace "$T/nodir/x.json"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

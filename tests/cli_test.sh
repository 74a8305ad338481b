#!/usr/bin/env bash
# End-to-end tests of the secmmu binary: commands, replay, traces, JSON,
# and every class of bad input (message and exit code).
# usage: cli_test.sh path/to/secmmu [path/to/scenarios]
set -u
SECMMU=${1:?usage: cli_test.sh SECMMU [SCENARIOS]}
SC=${2:-$(dirname "$0")/../scenarios}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "FAIL: $*"; }

# Commands that only read the shipped scenarios (zoo, demo, list,
# policies) run once per argument list; later expectations reuse the
# output.  Runs over a test's own scenario directory are not cached.
cached_run() {
	local key
	key=$(printf '%s\n' "$@" | md5sum | cut -c1-16)
	if [ ! -f "$T/cache.$key" ]; then
		"$SECMMU" "$@" >"$T/cache.$key" 2>&1
		echo $? >"$T/cache.$key.rc"
	fi
	cp "$T/cache.$key" "$T/out"
	return "$(cat "$T/cache.$key.rc")"
}

# expect EXIT PATTERN -- ARGS...: exit status and a pattern in stdout+stderr
expect() {
	local want=$1 pat=$2
	shift 3
	case "${SECMMU_SCENARIOS+set}${1-}" in
	zoo | demo | list | policies) cached_run "$@" ;;
	*) "$SECMMU" "$@" >"$T/out" 2>&1 ;;
	esac
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
expect 0 "demos/abba.yaml +expect deadlock" -- list
# the main demo: every row behaves as labelled (exit 0), the stale TLB shown in full
expect 0 "fault-vs-munmap-noflush +random +BUG +stale-tlb" -- demo
expect 0 "read-vs-dontneed-nonested +pct +BUG +value" -- demo
expect 0 "VIOLATION stale-tlb in execution 1 of 1" -- demo
expect 2 "usage: secmmu" --
expect 0 "VIOLATION lost-update" -- explore lost-update --seed 1
expect 0 "replay:  secmmu replay lost-update --schedule" -- explore lost-update
expect 0 "clean: 6 executions \(search exhausted\)" -- explore steps-2x2 --strategy dfs
expect 0 "clean: 2 executions" -- explore steps-2x2 --strategy dfs --bound 0
expect 0 "possible circular locking dependency" -- explore abba --strategy dfs
expect 0 "wait-for cycle: ab -> ba -> ab" -- replay abba --schedule ab
expect 1 "VIOLATION lockdep-circular" -- explore abba --engine real --iterations 3
expect 0 "sleeping function called from invalid context" -- explore sleep-in-atomic
expect 0 "clean" -- explore locked-update --engine real --iterations 5 --delay 30
expect 0 "models/fault-vs-munmap.yaml +expect clean +CPU0 uses a page" -- list
expect 0 "clean: [0-9]+ executions \(search exhausted\)" -- explore fault-vs-munmap --strategy dfs --bound 1
expect 0 "VIOLATION stale-tlb" -- explore fault-vs-munmap-noflush
expect 0 "VIOLATION tlb-coherence" -- explore fault-vs-mprotect-noflush --strategy dfs
expect 0 "clean" -- explore fault-vs-munmap --engine real --iterations 20
expect 0 "read 0x5 .* after MADV_DONTNEED had returned" -- explore read-vs-dontneed-nonested --strategy pct --iterations 5000
expect 0 "clean: [0-9]+ executions \(search exhausted\)" -- explore mirror-vs-munmap --strategy dfs --bound 2
expect 1 "VIOLATION stale-secondary" -- explore mirror-vs-munmap-noretry --strategy dfs --bound 2
expect 1 "replay:  secmmu replay mirror-vs-mprotect-noretry --schedule" -- explore mirror-vs-mprotect-noretry

# the printed replay command reproduces the violation
"$SECMMU" explore rcu-free-early --strategy random --seed 5 >"$T/first" 2>&1
cmd=$(sed -n 's/^replay:  secmmu //p' "$T/first" | tr -d "'")
if [ -n "$cmd" ]; then
	expect 0 "VIOLATION use-after-free" -- $cmd
else
	no "no replay command printed"
fi
cmd=$(sed -n 's/^     or: secmmu //p' "$T/first")
if [ -n "$cmd" ]; then
	expect 0 "VIOLATION use-after-free in execution 1 of 1" -- $cmd
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
assert {"inc.1", "inc.2"} <= names, names
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
expect 2 "replay needs --schedule, --seed \(a random execution\) or a failure file" -- replay lost-update
expect 2 "$T/nodir/x.json: cannot write" -- explore lost-update --trace "$T/nodir/x.json"

# ---- scenario files ----

expect 0 "result: as expected: lost-update found" -- run "$SC/demos/lost-update.yaml"
expect 0 "result: as expected: clean in 6 executions \(search exhausted\)" -- run "$SC/demos/locked-update.yaml" --strategy dfs
expect 0 "result: as expected: deadlock found" -- run "$SC/demos/abba.yaml" --strategy dfs
expect 0 "also: lockdep-circular" -- run "$SC/demos/abba.yaml"
expect 0 "result: as expected: clean" -- run "$SC/demos/locked-update.yaml" --engine real --iterations 5 --delay 30
expect 0 "result: as expected: deadlock found" -- run "$SC/demos/abba.yaml" --strategy pct --iterations 200
# every shipped scenario meets its own expectation under the default budget
while IFS= read -r f; do
	expect 0 "^result: as expected" -- run "$f"
	# ... and one seed of it gives the same text trace twice
	"$SECMMU" replay "$f" --seed 5 --trace-text "$T/seed5-a" >/dev/null 2>&1
	"$SECMMU" replay "$f" --seed 5 --trace-text "$T/seed5-b" >/dev/null 2>&1
	if [ -s "$T/seed5-a" ] && cmp -s "$T/seed5-a" "$T/seed5-b"; then ok; else no "$f: seed 5 gave two traces"; fi
done < <(find "$SC" -name '*.yaml' | sort)
# every complete example of docs/scenario-format.md loads and meets its expect
DOC="$SC/../docs/scenario-format.md"
if [ -f "$DOC" ]; then
	python3 - "$DOC" "$T" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", text, re.S)):
    open("%s/doc-%02d.yaml" % (sys.argv[2], i), "w").write(block)
PY
	n=0
	for f in "$T"/doc-*.yaml; do
		n=$((n + 1))
		expect 0 "^result: as expected" -- run "$f" --iterations 200
	done
	[ "$n" -ge 7 ] && ok || no "only $n yaml examples found in $DOC"
else
	no "$DOC not found"
fi
# the outcome does not match: exit 1
expect 1 "result: NOT as expected: lost-update not found in 1 executions" -- run "$SC/demos/lost-update.yaml" --iterations 1 --seed 1 --strategy random --schedule a2b2
sed 's/^expect: lost-update/expect: clean/' "$SC/demos/lost-update.yaml" >"$T/lu-clean.yaml"
expect 1 "result: NOT as expected: expected clean, found lost-update" -- run "$T/lu-clean.yaml"

# the printed replay command reproduces it; policy flags are carried
"$SECMMU" run "$SC/demos/lost-update.yaml" --policy linux-4.13 --set rmap.batched_flush_pending=false >"$T/first" 2>&1
cmd=$(sed -n 's/^replay:  secmmu //p' "$T/first")
case "$cmd" in
*"--policy linux-4.13 --set rmap.batched_flush_pending=false --schedule"*) ok ;;
*) no "replay command lacks the policy flags: $cmd" ;;
esac
if [ -n "$cmd" ]; then
	eval "set -- $cmd"
	expect 0 "lost-update found in execution 1 of 1" -- "$@"
fi
cmd=$(sed -n 's/^     or: secmmu //p' "$T/first")
if [ -n "$cmd" ]; then
	eval "set -- $cmd"
	expect 0 "lost-update found in execution 1 of 1" -- "$@"
else
	no "no seed replay command for a scenario"
fi
# replay of a scenario: same trace twice
"$SECMMU" replay "$SC/demos/abba.yaml" --schedule aba --trace "$T/s1.json" --trace-text "$T/s1.txt" >"$T/r1" 2>&1
"$SECMMU" replay "$SC/demos/abba.yaml" --schedule aba --trace "$T/s2.json" --trace-text "$T/s2.txt" >/dev/null 2>&1
if cmp -s "$T/s1.json" "$T/s2.json" && cmp -s "$T/s1.txt" "$T/s2.txt"; then ok; else no "replayed scenario traces differ"; fi
grep -q "wait-for cycle: ab -> ba -> ab" "$T/r1" && ok || no "scenario replay lacks the deadlock cycle"
# a built-in model of the same name still replays as a model
expect 0 "wait-for cycle: ab -> ba -> ab" -- replay abba --schedule aba

# --json for a scenario run
"$SECMMU" run "$SC/demos/lost-update.yaml" --strategy dfs --json >"$T/j2" 2>/dev/null
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["expect"] == "lost-update" and d["matched"] is True, d
assert d["first"]["kind"] == "lost-update", d
assert d["policy"]["mremap.flush_before_ptl_unlock"] == "true", d
assert d["kinds"][0]["kind"] == "lost-update", d
' "$T/j2"; then ok; else no "run --json output"; fi

# policies
expect 0 "mremap.flush_before_ptl_unlock" -- policies
expect 0 "history: CVE-2018-18281" -- policies
expect 0 "linux-4.13 +before the mremap" -- policies
if "$SECMMU" policies --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
names = [k["name"] for k in d["knobs"]]
assert names[:3] == ["mremap.flush_before_ptl_unlock", "rmap.batched_flush_pending", "notifier.secondary_tlb_flush"] and "mirror.read_retry" in names, names
for k in d["knobs"]:
    assert k["meaning"] and k["history"] and k["default"], k
pre = {p["name"]: p["values"] for p in d["presets"]}
assert pre["linux-4.13"]["mremap.flush_before_ptl_unlock"] == "false"
assert pre["default"] == pre["linux-6.6"]
assert pre["linux-6.1"]["notifier.secondary_tlb_flush"] == "in_range_end"
'; then ok; else no "policies --json"; fi
expect 2 "policies: unexpected argument 'x'" -- policies x

# SECMMU_SCENARIOS overrides the shipped directory
mkdir -p "$T/sc/sub"
cp "$SC/demos/abba.yaml" "$T/sc/sub/mine.yaml"
printf 'name: [\n' >"$T/sc/broken.yaml"
SECMMU_SCENARIOS="$T/sc" "$SECMMU" list >"$T/l" 2>&1
grep -q "sub/mine.yaml  *expect deadlock" "$T/l" && ok || no "list with SECMMU_SCENARIOS"
grep -q "broken.yaml  *does not load: .*broken.yaml:2:1: " "$T/l" && ok || no "list shows a broken scenario"

# bad scenario input: one FILE:LINE:COL message, exit 2
printf 'name: x\nagents:\n  - name: a\n    ops:\n      - lokc: m\n' >"$T/bad1.yaml"
expect 2 "^$T/bad1.yaml:5:9: unknown operation 'lokc' \(did you mean 'lock'\?\)$" -- run "$T/bad1.yaml"
printf 'name: x\nagents: [a\n' >"$T/bad2.yaml"
expect 2 "^$T/bad2.yaml:3:1: YAML syntax error" -- run "$T/bad2.yaml"
printf 'name: x\npolicy: {preset: linux-1.0}\nagents: [{name: a, ops: []}]\n' >"$T/bad3.yaml"
expect 2 "^$T/bad3.yaml:2:18: unknown policy preset 'linux-1.0'" -- run "$T/bad3.yaml"
printf 'name: x\nworld: {mutexes: [m]}\nagents: [{name: a, ops: [lock: n]}]\n' >"$T/bad4.yaml"
expect 2 "^$T/bad4.yaml:3:32: 'n' is not defined in 'world' \(did you mean 'm'\?\)$" -- run "$T/bad4.yaml"
printf 'name: x\nagents: [{name: a, copies: 99, ops: []}]\n' >"$T/bad5.yaml"
expect 2 "^$T/bad5.yaml:2:28: 'copies': 99 is out of range \[1, 52\]$" -- run "$T/bad5.yaml"
expect 2 "^$T/bad1.yaml:5:9: unknown operation" -- replay "$T/bad1.yaml" --schedule a
[ "$("$SECMMU" run "$T/bad1.yaml" 2>&1 | wc -l)" = 1 ] && ok || no "a bad file gives more than one line"
expect 2 "^$T/nosuch.yaml: cannot open: No such file or directory$" -- run "$T/nosuch.yaml"
expect 2 "^secmmu: --set: unknown policy knob 'mremap.flush' \(did you mean 'mremap.flush_before_ptl_unlock'\?\)$" -- run "$SC/demos/abba.yaml" --set mremap.flush=false
expect 2 "^secmmu: --set: mremap.flush_before_ptl_unlock: 'sure' is not a boolean" -- run "$SC/demos/abba.yaml" --set mremap.flush_before_ptl_unlock=sure
expect 2 "^secmmu: --set: 'nothing' is not KNOB=VALUE$" -- run "$SC/demos/abba.yaml" --set nothing
expect 2 "^secmmu: --policy: unknown policy preset 'linux-0'" -- run "$SC/demos/abba.yaml" --policy linux-0
expect 2 "^secmmu: --policy: unknown policy preset 'linux-0'" -- explore mremap-truncate-cve-2018-18281 --policy linux-0
expect 2 "^secmmu: --set: unknown policy knob 'mremap.flush'" -- explore mremap-truncate-cve-2018-18281 --set mremap.flush=false
# built-in models run under --policy/--set; replay keeps the flags
# CVE-2018-18281 under the fixed policy: clean, which is not its expect
expect 1 "NOT as expected: stale-tlb not found in 2000 executions" -- explore mremap-truncate-cve-2018-18281 --policy linux-6.6 --iterations 2000
expect 1 "clean: 1000 executions" -- explore mremap-truncate-cve-2018-18281 --strategy pct --policy linux-6.6
expect 0 "VIOLATION stale-tlb" -- explore mremap-truncate-cve-2018-18281 --strategy pct --policy linux-4.13 --iterations 5000
expect 0 "replay:  secmmu replay mremap-truncate-cve-2018-18281 --policy linux-6.6 --set mremap.flush_before_ptl_unlock=false --schedule" -- explore mremap-truncate-cve-2018-18281 --strategy pct --policy linux-6.6 --set mremap.flush_before_ptl_unlock=false --iterations 5000
sched=$("$SECMMU" explore mremap-truncate-cve-2018-18281 --strategy pct --policy linux-4.13 --iterations 5000 2>&1 | sed -n "s/^replay: .*--schedule '\(.*\)'$/\1/p")
expect 0 "VIOLATION stale-tlb in execution 1 of 1" -- replay mremap-truncate-cve-2018-18281 --policy linux-4.13 --schedule "$sched"
# the demos of the mirror device and of reclaim/migration/KSM run clean
expect 0 "result: as expected: clean in 1000 executions" -- run "$SC/demos/mirror-munmap.yaml"
# a scenario mirror has a trace track of its own name; invalidations name their event
"$SECMMU" run "$SC/demos/mirror-munmap.yaml" --iterations 1 --trace-text "$T/mirror.txt" >/dev/null 2>&1
if grep -qE "^ +[a-z0-9]+-[0-9]+ +mirror dev +\[ *[0-9]+\] event invalidate \[0x20000000, 0x20001000\) UNMAP$" "$T/mirror.txt"; then ok; else no "mirror-munmap: no 'mirror dev' track with an UNMAP invalidation"; sed 's/^/  | /' "$T/mirror.txt" | grep -i mirror | head -5; fi
expect 0 "result: as expected: clean in 1000 executions" -- run "$SC/demos/reclaim-migrate-ksm.yaml"
# regression: a walk retried after a lost accessed-bit cmpxchg kept X86_PF_PROT (SIGSEGV on a not-present PTE)
expect 0 "result: as expected: clean in 3000 executions" -- run "$SC/demos/reclaim-migrate-ksm.yaml" --strategy pct --iterations 3000
expect 0 "result: as expected: clean in [0-9]+ executions \(search exhausted\)" -- run "$SC/demos/mirror-munmap.yaml" --strategy dfs --bound 1 --jobs 2
# ... and the buggy driver is caught by the demo's own expectations
expect 1 "NOT as expected: expected clean, found (install-in-invalidation|value|stale-secondary)" -- run "$SC/demos/mirror-munmap.yaml" --set mirror.read_retry=false --iterations 5000

# a violation report: the invariant, the agents with their schedule
# letters, the steps that matter up to the violation (where the frame and
# the translation came from), and a replay command that repeats every
# option that changes the execution (policy, --max-steps)
"$SECMMU" run "$SC/bugs/mremap-truncate-cve-2018-18281.yaml" --max-steps 50000 >"$T/rep" 2>&1
if python3 - "$T/rep" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
assert re.search(r"^=== violation: stale-tlb \(agent reader, step \d+\) ===$", t, re.M), t
assert re.search(r"stale TLB entry .*: pfn 0x[0-9a-f]+ was cached at step \d+ by setup", t), t
assert "agents:  setup (a), reader (b), mremapper (c), truncater (d)\n" in t, t
tl = t.split("timeline (")[1].split("\nreplay:")[0].split("\n")[1:]
assert 3 <= len(tl) <= 16 and tl[-1].split("] ")[1] == "VIOLATION stale-tlb", tl
assert all(re.search(r"\] (event|VIOLATION) ", l) for l in tl), tl
assert any("tlb fill va 0x10000000 -> pfn" in l for l in tl), tl   # the translation
assert any("mmu_gather put pfn" in l for l in tl), tl              # the frame's free
assert any("move_ptes" in l for l in tl), tl
m = re.search(r"^replay:  secmmu replay \S+ --max-steps 50000 --schedule '([a-zA-Z0-9]+)'$", t, re.M)
assert m, t
PY
then ok; else no "the parts of a violation report"; fi
sched=$(sed -n "s/^replay: .*--max-steps 50000 --schedule '\(.*\)'$/\1/p" "$T/rep")
expect 0 "result: as expected: stale-tlb found in execution 1 of 1" -- replay "$SC/bugs/mremap-truncate-cve-2018-18281.yaml" --max-steps 50000 --schedule "$sched"
expect 0 "or: secmmu replay lost-update --max-steps 999 --seed [0-9]+$" -- explore lost-update --max-steps 999
# replay by seed: the printed command reproduces the same execution, byte for byte
seed=$(sed -n 's/^     or: secmmu replay lost-update --max-steps 999 --seed \([0-9]*\)$/\1/p' "$T/out")
"$SECMMU" explore lost-update --max-steps 999 --seed "$seed" --iterations 1 --trace-text "$T/seed-a" >/dev/null 2>&1
expect 0 "VIOLATION lost-update in execution 1 of 1" -- replay lost-update --max-steps 999 --seed "$seed" --trace-text "$T/seed-b"
if [ -s "$T/seed-a" ] && cmp -s "$T/seed-a" "$T/seed-b"; then ok; else no "replay --seed $seed: trace differs from explore's execution"; fi
expect 1 "lost-update: clean: 1 executions" -- replay lost-update --seed 2
expect 2 "^secmmu: --seed: replay by seed is for random executions; replay a pct execution by its --schedule" -- replay lost-update --seed 2 --strategy pct
expect 2 "^secmmu: --iterations: a replay is one execution" -- replay lost-update --seed 2 --iterations 3
expect 0 "result: as expected: install-in-invalidation found in execution 1 of 1" -- replay "$SC/bugs/mirror-read-retry.yaml" --seed 209
# --minimize: the fewest preemptions that show the same kind, with a replay command that does
expect 1 "^minimized: install-in-invalidation with 2 preemptions \(dfs bound 2, [0-9]+ executions tried\), 2 context switches \(the first schedule had [0-9]+\)$" -- explore mirror-vs-fork-noretry --strategy random --minimize
msched=$(sed -n '/^minimized:/,$ s/^replay:  secmmu replay mirror-vs-fork-noretry --schedule .\(.*\).$/\1/p' "$T/out")
expect 1 "VIOLATION install-in-invalidation in execution 1 of 1" -- replay mirror-vs-fork-noretry --schedule "$msched"
expect 0 "^minimized: lost-update with 1 preemption \(dfs bound 1, [0-9]+ executions tried\), 1 context switch " -- explore lost-update --minimize
if grep -q "^minimized" "$T/out" && ! "$SECMMU" explore locked-update --minimize | grep -q minimized; then ok; else no "--minimize on a clean run printed a minimized line"; fi
expect 2 "^secmmu: --minimize: searches schedules, which needs --engine det$" -- explore lost-update --minimize --engine real
# search options that do not apply to the run are errors, not ignored
expect 2 "^secmmu: --bound: the dfs preemption bound; this run's strategy is random$" -- explore lost-update --bound 2
expect 2 "^secmmu: --bound: the dfs preemption bound; this run's strategy is pct$" -- run "$SC/bugs/mremap-truncate-cve-2018-18281.yaml" --bound 2
expect 2 "^secmmu: --depth: the pct depth; this run's strategy is dfs$" -- explore lost-update --strategy dfs --depth 4
expect 2 "^secmmu: --bound: the dfs preemption bound; this run's strategy is replay$" -- replay lost-update --schedule ab --bound 1
expect 2 "^secmmu: --strategy: the real engine runs threads, with no search to steer; drop it, or use --engine det$" -- explore lost-update --engine real --strategy dfs
expect 2 "^secmmu: --delay: delays real threads; add --engine real$" -- explore lost-update --delay 30
expect 0 "result: as expected: stale-tlb found" -- run "$SC/bugs/mremap-truncate-cve-2018-18281.yaml" --depth 5
# ... and in --json, the same schedule
"$SECMMU" explore mirror-vs-fork-noretry --strategy random --minimize --json >"$T/min.json" 2>/dev/null
if python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["minimized"]; sys.exit(0 if m["found"] and m["bound"] == 2 and m["schedule"] == sys.argv[2] else 1)' "$T/min.json" "$msched"; then ok; else no "--minimize --json: $(cat "$T/min.json")"; fi
# a model with few trace events shows its lock steps instead
expect 0 "timeline \([0-9]+ steps up to the violation" -- explore abba

# the bug zoo: each entry detected under its buggy policy, clean when fixed
expect 0 "^mremap-truncate +ok +[0-9]+ execs / [0-9.]+s +5000 execs +CVE-2018-18281" -- zoo
expect 0 "^reclaim-mprotect +ok +[0-9]+ execs / [0-9.]+s +5000 execs +2017 race \(batched unmap flush: x86 only then\), fixed in 4.13 by 3ea277194daa" -- zoo
expect 0 "^clear-refs-flush +ok +[0-9]+ execs / [0-9.]+s +1000 execs +5.5-5.11 \(0758cd830494" -- zoo
expect 0 "^mirror-read-retry +ok +[0-9]+ execs / [0-9.]+s +2000 execs +driver bug: HMM mirrors must check mmu_interval_read_retry" -- zoo
expect 0 "1 entry, 0 misbehaving" -- zoo mirror-read-retry
expect 0 "bugs/mirror-read-retry.yaml +expect install-in-invalidation +a mirror device installs without" -- list
# run alone: the buggy driver, the zoo's budget; the report names the install
expect 0 "result: as expected: install-in-invalidation found in execution" -- run "$SC/bugs/mirror-read-retry.yaml"
expect 1 "NOT as expected: install-in-invalidation not found in 2000 executions" -- run "$SC/bugs/mirror-read-retry.yaml" --policy linux-6.6
expect 0 "^[0-9]+ entries, 0 misbehaving" -- zoo
expect 0 "^dma-deferred-unmap +ok +[0-9]+ execs / [0-9.]+s +2000 execs" -- zoo
expect 0 "^sva-nested-flush +ok +[0-9]+ execs / [0-9.]+s +2000 execs +6.6 6bbd42e2df8f" -- zoo sva-nested-flush
expect 1 "a window of [0-9]+ steps" -- explore dma-unmap-vs-dma-deferred --strategy pct --iterations 2000
# the IOMMU/SVA entries (issue 5)
expect 0 "^sva-refault +ok +[0-9]+ execs / [0-9.]+s +2000 execs +2014" -- zoo sva-refault
expect 0 "^sva-upgrade +ok +[0-9]+ execs / [0-9.]+s +500 execs +arm64 only" -- zoo sva-upgrade
expect 0 "^rmap-secondary +ok +[0-9]+ execs / [0-9.]+s +2000 execs +model's counterfactual" -- zoo rmap-secondary
expect 0 "^sva-clear-refs +ok +[0-9]+ execs / [0-9.]+s +500 execs +not a Linux version \(the model's negative control\)" -- zoo sva-clear-refs
expect 0 "^sva-mremap-merge +ok +[0-9]+ execs / [0-9.]+s +2000 execs +model's finding, no upstream report" -- zoo sva-mremap-merge
# the device-side missed-dirty check: its report names the cached secondary translation
expect 0 "through a cached secondary translation, but the PTE" -- run "$SC/bugs/sva-clear-refs-soft-dirty.yaml"
expect 0 "device-failure" -- explore sva-refault-2014 --strategy pct --iterations 200
expect 0 "clean" -- explore sva-refault --strategy dfs --bound 2
expect 0 "^mremap-pmd-rmap-locks +ok +[0-9]+ execs / [0-9.]+s +8000 execs +2021 race \(CONFIG_HAVE_MOVE_PMD" -- zoo
expect 0 "1 entry, 0 misbehaving" -- zoo mremap-truncate
expect 0 "1 entry, 0 misbehaving" -- zoo reclaim-mprotect
# the 2017 race as a scenario: the buggy kernel lets a write land after mprotect returned
expect 0 "write of va 0x10000000 \(line [0-9]+\): ok, expected sigsegv" -- run "$SC/bugs/reclaim-mprotect-2017.yaml" --policy linux-4.12
# ... and the fixed kernel does not: the expectation is not met
expect 1 "NOT as expected" -- run "$SC/bugs/reclaim-mprotect-2017.yaml" --policy linux-6.6 --strategy pct --iterations 5000
expect 0 "^entry +result +buggy: detected in +fixed: clean in +history" -- zoo bugs/mremap-truncate-cve-2018-18281.yaml
expect 2 "^secmmu: zoo: no entry named 'nosuch'" -- zoo nosuch
# a scenario run alone takes its zoo budget (pct) and the buggy policy
expect 0 "result: as expected: stale-tlb found" -- run "$SC/bugs/mremap-truncate-cve-2018-18281.yaml"
expect 1 "NOT as expected: stale-tlb not found" -- run "$SC/bugs/mremap-truncate-cve-2018-18281.yaml" --policy linux-6.6
# a zoo budget's pct depth is the run's: the same detection as --depth on the command line
sed 's/budget: {strategy: pct, iterations: 5000}/budget: {strategy: pct, iterations: 5000, depth: 6}/' "$SC/bugs/mremap-truncate-cve-2018-18281.yaml" >"$T/depth6.yaml"
"$SECMMU" run "$SC/bugs/mremap-truncate-cve-2018-18281.yaml" --strategy pct --iterations 5000 --depth 6 >"$T/d6-cli" 2>&1
"$SECMMU" run "$SC/bugs/mremap-truncate-cve-2018-18281.yaml" >"$T/d3-zoo" 2>&1
"$SECMMU" run "$T/depth6.yaml" >"$T/d6-zoo" 2>&1
d6cli=$(grep -o 'found in execution [0-9]*' "$T/d6-cli"); d6zoo=$(grep -o 'found in execution [0-9]*' "$T/d6-zoo"); d3zoo=$(grep -o 'found in execution [0-9]*' "$T/d3-zoo")
if [ -n "$d6zoo" ] && [ "$d6zoo" = "$d6cli" ] && [ "$d6zoo" != "$d3zoo" ]; then ok; else no "zoo budget depth: '$d6zoo' (budget depth 6) vs '$d6cli' (--depth 6) vs '$d3zoo' (default)"; fi
mkdir -p "$T/zoo6/bugs" && cp "$T/depth6.yaml" "$T/zoo6/bugs/"
n6=${d6cli##* }
SECMMU_SCENARIOS="$T/zoo6" expect 0 "^mremap-truncate +ok +$n6 execs" -- zoo
sed 's/budget: {strategy: pct, iterations: 5000}/budget: {strategy: random, iterations: 5000, depth: 6}/' "$SC/bugs/mremap-truncate-cve-2018-18281.yaml" >"$T/depthr.yaml"
expect 2 "depthr.yaml:[0-9]+:[0-9]+: 'depth' is a pct budget's; this budget's strategy is random" -- run "$T/depthr.yaml"
sed 's/budget: {strategy: pct, iterations: 5000}/budget: {strategy: pct, iterations: 5000, depth: 0}/' "$SC/bugs/mremap-truncate-cve-2018-18281.yaml" >"$T/depth0.yaml"
expect 2 "depth0.yaml:[0-9]+:[0-9]+: 'depth'" -- run "$T/depth0.yaml"
# a zoo entry whose "fixed" kernel is the buggy one misbehaves: exit 1
mkdir -p "$T/zoo/bugs"
sed 's/fixed: {preset: linux-6.6}/fixed: {preset: linux-4.13}/' "$SC/bugs/mremap-truncate-cve-2018-18281.yaml" >"$T/zoo/bugs/z.yaml"
SECMMU_SCENARIOS="$T/zoo" expect 1 "^mremap-truncate +FAILED .*NO: " -- zoo
# a malformed zoo block: the loader's message, exit 1
printf 'name: x\nagents: [{name: a, ops: [sched]}]\nzoo: {name: z}\n' >"$T/zoo/bugs/bad.yaml"
SECMMU_SCENARIOS="$T/zoo" expect 1 "bad.yaml:3:6: 'zoo' needs 'history'" -- zoo
expect 2 "missing FILE" -- run
expect 2 "replay needs --schedule, --seed \(a random execution\) or a failure file" -- replay "$SC/demos/abba.yaml"

# mremap vs the paths that free a page without mmap_lock, with an SVA
# device caching the old address (issue 5, sva2): clean with the pre-6.6
# flush at mremap's range end; with no secondary invalidation the freed
# frame is reached
expect 0 "sva-mremap-vs-reclaim-file: clean: [0-9]+ executions \(search exhausted\)" -- explore sva-mremap-vs-reclaim-file --strategy dfs --bound 1 --set notifier.secondary_tlb_flush=in_range_end
expect 0 "sva-mremap2-vs-reclaim-file: clean" -- explore sva-mremap2-vs-reclaim-file --strategy pct --iterations 500 --policy linux-6.1
expect 1 "VIOLATION stale-(iotlb|atc)" -- explore sva-mremap2-vs-reclaim-file --strategy pct --iterations 50 --set notifier.secondary_tlb_flush=none
# trace tracks per CPU and per device: an SVA model's JSON parses, every
# event has ph/pid/tid/ts, CPU and device tracks are named (tids 1000+,
# 2000+), each resource event also sits on its agent's track, the text
# trace has the resource column, and the same seed gives the same bytes
for i in 1 2; do
	"$SECMMU" explore sva-vs-munmap --strategy random --seed 3 --iterations 1 \
		--trace "$T/sva$i.json" --trace-text "$T/sva$i.txt" >/dev/null 2>&1
done
if cmp -s "$T/sva1.json" "$T/sva2.json" && cmp -s "$T/sva1.txt" "$T/sva2.txt"; then ok; else no "sva traces differ for one seed"; fi
if python3 - "$T/sva1.json" "$T/sva1.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["traceEvents"]
for e in ev:
    for k in ("ph", "pid", "tid", "ts", "name"):
        assert k in e, (k, e)
names = {e["tid"]: e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
cpus = {t for t, n in names.items() if n.startswith("CPU")}
devs = {t for t, n in names.items() if t >= 2000}
assert cpus and all(1000 <= t < 2000 and names[t] == "CPU%d" % (t - 1000) for t in cpus), names
assert any(names[t] == "IOMMU" for t in devs) and any(names[t].startswith("device ") for t in devs), names
assert len(set(names.values())) == len(names), names
res = [e for e in ev if e["ph"] == "i" and e["tid"] >= 1000]
assert res and all(e["tid"] in names and e["cat"] in ("cpu", "device") for e in res), res[:3]
agent = {e["args"]["seq"]: e for e in ev if e["ph"] == "i" and e["tid"] < 1000}
for e in res:
    a = agent[e["args"]["seq"]]
    assert a["args"]["track"] == names[e["tid"]] and a["name"].endswith(e["name"]), (e, a)
    assert e["args"]["agent"] == names.get(a["tid"]), (e, a)
assert any("tlb fill" in e["name"] for e in res if e["tid"] in cpus)
assert any("atc fill" in e["name"] or "dma " in e["name"] for e in res if e["tid"] in devs)
txt = open(sys.argv[2]).read().splitlines()
assert "RESOURCE" in txt[1], txt[1]
assert any(" CPU0 " in l and "] event tlb fill" in l for l in txt), txt
assert any(" IOMMU " in l and "] event iotlb" in l for l in txt), txt
PY
then ok; else no "sva trace: CPU and device tracks"; fi

# ---- an mm world that cannot be reserved: one line, exit 2, no crash ----
# (not under a sanitizer: its shadow memory needs more than ulimit -v allows)
if ldd "$SECMMU" 2>/dev/null | grep -qE 'lib(a|t)san'; then
	echo "SKIP: ulimit -v checks under a sanitizer"
else
sed 's/frames: 512/frames: 16777216/' "$SC/demos/mm-mremap.yaml" >"$T/big.yaml"
(ulimit -v 500000; "$SECMMU" run "$T/big.yaml" --iterations 2) >"$T/out" 2>&1
got=$?
if [ "$got" = 2 ] && [ "$(wc -l <"$T/out")" = 1 ] &&
	grep -q "^secmmu: $T/big.yaml: cannot allocate the model's memory" "$T/out"; then
	ok
else
	no "unreservable memory: exit $got"; sed 's/^/  | /' "$T/out" | head -5
fi
# a small world needs no more than its own size of address space
(ulimit -v 600000; "$SECMMU" run "$SC/demos/mm-mremap.yaml" --iterations 20) >"$T/out" 2>&1 &&
	ok || { no "mm-mremap under ulimit -v 600000"; sed 's/^/  | /' "$T/out" | head -5; }
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

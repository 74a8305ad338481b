#!/usr/bin/env bash
# End-to-end tests of the secmmu binary for issue 6's remaining pieces:
# --jobs (parallel exploration), --save-failure and `replay FAILURE_FILE`,
# and the progress line (terminal only).
# usage: cli_jobs_test.sh path/to/secmmu [path/to/scenarios]
set -u
SECMMU=${1:?usage: cli_jobs_test.sh SECMMU [SCENARIOS]}
SC=${2:-$(dirname "$0")/../scenarios}
case "$SECMMU" in /*) ;; *) SECMMU=$PWD/$SECMMU ;; esac
case "$SC" in /*) ;; *) SC=$PWD/$SC ;; esac
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

# expect_line EXIT PATTERN -- ARGS...: like expect, and exactly one line
expect_line() {
	expect "$@"
	[ "$(wc -l <"$T/out")" = 1 ] && ok || { no "more than one line: ${*:4}"; sed 's/^/  | /' "$T/out" | head -5; }
}

# same_json A B: the --json summaries are equal but for what may differ
# between job counts
same_json() {
	python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for d in (a, b):
    for k in ("seconds", "jobs", "workers"):
        d.pop(k, None)
if a != b:
    print("  |", a, "\n  |", b)
    sys.exit(1)
' "$1" "$2"
}

# ---- --jobs: the same report as --jobs 1 (random), both workers ran ----

same_as_one_job() {
	"$SECMMU" "$@" --jobs 1 --json >"$T/j1" 2>/dev/null
	"$SECMMU" "$@" --jobs 2 --json >"$T/j2" 2>/dev/null
	if [ -s "$T/j1" ] && same_json "$T/j1" "$T/j2"; then
		ok
	else
		no "--jobs 2 differs from --jobs 1: $*"
	fi
}
same_as_one_job explore lost-update
same_as_one_job explore lost-update --keep-going --iterations 500
same_as_one_job explore abba --seed 7
same_as_one_job explore abba --keep-going --iterations 300
same_as_one_job explore rcu-free-early --keep-going --iterations 300
same_as_one_job explore sleep-in-atomic
same_as_one_job explore locked-update --iterations 2000
same_as_one_job run "$SC/demos/lost-update.yaml"
same_as_one_job run "$SC/demos/abba.yaml"
same_as_one_job run "$SC/demos/abba.yaml" --keep-going --iterations 400

# every built-in model and the scenarios/models races of the core
# primitives: the same violation kinds with --jobs 2 and 1
{
	"$SECMMU" list | sed -n '/^built-in/,/^$/{/^  /p}' | awk '{ print $1 }'
	printf '%s\n' lost-update locked-update abba rcu-free-early rcu-sync \
		sleep-in-atomic steps-2x2
} >"$T/models"
if python3 - "$SECMMU" "$T/models" <<'PY'
import json, subprocess, sys
bad = 0
models = open(sys.argv[2]).read().split()
assert len(models) >= 9, models
for m in models:
    out = []
    for jobs in ("1", "2"):
        p = subprocess.run([sys.argv[1], "explore", m, "--keep-going",
                            "--iterations", "200", "--json", "--jobs", jobs],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out.append(json.loads(p.stdout))
    a, b = out
    if [k["kind"] for k in a["kinds"]] != [k["kind"] for k in b["kinds"]] or \
       b["executions"] != 200 or b["jobs"] != 2:
        print("  | kinds differ for", m, a, b)
        bad = 1
sys.exit(bad)
PY
then ok; else no "--jobs 2 found other kinds than --jobs 1 on some model"; fi

# pct: the same kinds as one job, and the same report every time
"$SECMMU" run "$SC/demos/abba.yaml" --strategy pct --keep-going --iterations 300 --json >"$T/p1" 2>/dev/null
"$SECMMU" run "$SC/demos/abba.yaml" --strategy pct --keep-going --iterations 300 --json --jobs 2 >"$T/p2" 2>/dev/null
"$SECMMU" run "$SC/demos/abba.yaml" --strategy pct --keep-going --iterations 300 --json --jobs 2 >"$T/p3" 2>/dev/null
if python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert sorted(k["kind"] for k in a["kinds"]) == sorted(k["kind"] for k in b["kinds"]) == ["deadlock", "lockdep-circular"], (a, b)
' "$T/p1" "$T/p2" && same_json "$T/p2" "$T/p3"; then ok; else no "pct --jobs 2"; fi

# dfs: the split walk reports what the single walk reports
same_as_one_job explore fault-vs-munmap --strategy dfs --bound 2
same_as_one_job explore write-vs-fork-noflush --strategy dfs --bound 2 --keep-going
same_as_one_job explore write-vs-fork-noflush --strategy dfs --bound 2
same_as_one_job explore abba --strategy dfs --keep-going
same_as_one_job explore mirror-vs-mprotect-noretry --strategy dfs --bound 2
same_as_one_job run "$SC/demos/mm-mremap.yaml" --strategy dfs --bound 1
same_as_one_job run "$SC/demos/abba.yaml" --strategy dfs
# a zoo entry's dfs budget (no --iterations) splits too
sed 's/budget: {strategy: random, iterations: 2000}/budget: {strategy: dfs, bound: 1}/' \
	"$SC/bugs/mirror-read-retry.yaml" >"$T/zoo-dfs.yaml"
same_as_one_job run "$T/zoo-dfs.yaml"
# ... with two workers that both ran subtrees
"$SECMMU" explore fault-vs-munmap --strategy dfs --bound 2 --jobs 2 --json >"$T/dfs" 2>/dev/null
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
w = d["workers"]
assert d["exhausted"] and d["executions"] > 1000 and len(w) == 2, d
assert all(x["executions"] > 0 for x in w), w
assert sum(x["executions"] for x in w) == d["executions"], d
assert w[0]["pid"] != w[1]["pid"] and all(x["pid"] > 0 for x in w), w
' "$T/dfs"; then ok; else no "dfs --jobs 2: both workers"; fi
expect 0 "clean: [0-9]+ executions \(search exhausted\) in [0-9.]+s on 2 workers" -- explore fault-vs-munmap --strategy dfs --bound 2 --jobs 2

# zoo: the same table (but for times) with --jobs 2, on two processes
"$SECMMU" zoo --jobs 1 >"$T/z1" 2>&1
"$SECMMU" zoo --jobs 2 >"$T/z2" 2>&1
if [ -s "$T/z1" ] && diff <(sed 's,/ [0-9.]*s,,' "$T/z1") <(sed 's,/ [0-9.]*s,,' "$T/z2") >/dev/null; then
	ok
else
	no "zoo --jobs 2 table differs from --jobs 1"; diff "$T/z1" "$T/z2" | head
fi
# --json: the same entries with --jobs 2, whose fixed runs used two
# worker processes, each running part of the budget (three entries of
# three subsystems: the full table is compared above)
ZJ="mremap-truncate mirror-read-retry sva-refault"
"$SECMMU" zoo --jobs 1 --json $ZJ >"$T/zj1" 2>/dev/null
"$SECMMU" zoo --jobs 2 --json $ZJ >"$T/zj2" 2>/dev/null
if python3 - "$T/zj1" "$T/zj2" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["jobs"] == 1 and b["jobs"] == 2 and a["misbehaving"] == 0, a
assert len(a["entries"]) >= 2 and a["entries_run"] == len(a["entries"]), a
for e, f in zip(a["entries"], b["entries"]):
    assert e["workers"] == [] and len(f["workers"]) == 2, (e, f)
    assert all(w["executions"] > 0 for w in f["workers"]), f
    assert sum(w["executions"] for w in f["workers"]) == f["fixed_executions"], f
    assert len({w["pid"] for w in f["workers"]}) == 2, f
    for d in (e, f):
        for k in ("seconds", "fixed_seconds", "workers"):
            d.pop(k)
assert a["entries"] == b["entries"], (a, b)
PY
then ok; else no "zoo --jobs 2 --json"; fi
expect_line 2 "^secmmu: --jobs: 0 is out of range \[1, 64\]$" -- zoo --jobs 0
expect_line 2 "^secmmu: option '--jobs' needs a value$" -- zoo --jobs
expect_line 2 "^secmmu: zoo: unknown option '--colour'$" -- zoo --colour
expect 0 "^reclaim-mprotect +ok" -- zoo --jobs=2 reclaim-mprotect

# the merged counts add up to the budget and two processes ran
"$SECMMU" explore lost-update --keep-going --iterations 1000 --jobs 2 --json >"$T/w" 2>/dev/null
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
w = d["workers"]
assert d["jobs"] == 2 and len(w) == 2, d
assert [x["executions"] for x in w] == [500, 500], w
assert sum(x["executions"] for x in w) == d["executions"] == 1000, d
assert w[0]["pid"] != w[1]["pid"] and all(x["pid"] > 0 for x in w), w
assert sum(k["executions"] for k in d["kinds"]) == d["violating"], d
' "$T/w"; then ok; else no "per-worker counts"; fi
expect 0 "clean: 1000 executions in [0-9.]+s on 2 workers" -- explore locked-update --jobs 2
expect 0 "VIOLATION lost-update in execution 6 of 6 \(1 violating\) on 2 workers" -- explore lost-update --jobs 2
expect 0 "result: as expected: lost-update found in execution 6 of 6" -- run "$SC/demos/lost-update.yaml" --jobs 2
# the printed replay commands of a --jobs run reproduce the violation
"$SECMMU" explore rcu-free-early --seed 5 --jobs 3 >"$T/first" 2>&1
cmd=$(sed -n 's/^     or: secmmu //p' "$T/first")
if [ -n "$cmd" ]; then
	expect 0 "VIOLATION use-after-free in execution 1 of 1" -- $cmd
else
	no "no seed replay command for --jobs 3"
fi

# bad --jobs values and combinations: one line, exit 2
expect_line 2 "^secmmu: --jobs: 0 is out of range \[1, 64\]$" -- explore lost-update --jobs 0
expect_line 2 "^secmmu: --jobs: 1000 is out of range \[1, 64\]$" -- explore lost-update --jobs 1000
expect_line 2 "^secmmu: --jobs: 'two' is not a non-negative number$" -- explore lost-update --jobs two
expect_line 2 "^secmmu: --jobs: '-2' is not a non-negative number$" -- run "$SC/demos/abba.yaml" --jobs -2
expect_line 2 "^secmmu: --jobs: '' is not a non-negative number$" -- explore lost-update --jobs ''
expect_line 2 "^secmmu: option '--jobs' needs a value$" -- explore lost-update --jobs
expect_line 2 "^secmmu: --jobs: dfs splits the whole tree among the workers; drop --iterations" -- explore lost-update --jobs 2 --strategy dfs --iterations 10
expect_line 2 "^secmmu: --jobs: applies to the det engine" -- run "$SC/demos/abba.yaml" --jobs 2 --engine real
expect_line 2 "^secmmu: --jobs: a replay is a single execution" -- replay lost-update --schedule ab --jobs 2
expect 0 "clean" -- explore steps-2x2 --strategy dfs --jobs 1

# ---- failure files ----

# save, then replay: the same violation and a byte-identical trace
check_failure() { # NAME ARGS...: run ARGS with --save-failure and compare
	local name=$1
	shift
	"$SECMMU" "$@" --save-failure "$T/$name.fail" --trace "$T/$name-1.json" \
		--trace-text "$T/$name-1.txt" >"$T/$name-run" 2>&1
	if [ ! -s "$T/$name.fail" ]; then
		no "$name: no failure file written"; sed 's/^/  | /' "$T/$name-run" | head; return
	fi
	grep -q "^saved:   $T/$name.fail (secmmu replay $T/$name.fail)$" "$T/$name-run" && ok || no "$name: no saved: line"
	(cd "$T" && "$SECMMU" replay "$name.fail" --trace "$name-2.json" --trace-text "$name-2.txt") >"$T/$name-replay" 2>&1
	if cmp -s "$T/$name-1.json" "$T/$name-2.json" && cmp -s "$T/$name-1.txt" "$T/$name-2.txt"; then
		ok
	else
		no "$name: the replayed trace differs from the original run's"
	fi
	# the violation block: from the VIOLATION line's kind to the timeline
	sed -n '/^=== violation/,/^timeline/p' "$T/$name-run" >"$T/$name-v1"
	sed -n '/^=== violation/,/^timeline/p' "$T/$name-replay" >"$T/$name-v2"
	if [ -s "$T/$name-v1" ] && cmp -s "$T/$name-v1" "$T/$name-v2"; then ok; else no "$name: the replay reports a different violation"; fi
	k1=$(sed -n 's/.*: VIOLATION \([^ ]*\) in execution.*/\1/p' "$T/$name-run")
	k2=$(sed -n 's/.*: VIOLATION \([^ ]*\) in execution 1 of 1 .*/\1/p' "$T/$name-replay")
	[ -n "$k1" ] && [ "$k1" = "$k2" ] && ok || no "$name: kinds '$k1' and '$k2'"
	grep -q "^$name.fail: $k1 found by secmmu " "$T/$name-replay" && ok || no "$name: no header line"
	! grep -q "^WARNING: .* recorded" "$T/$name-replay" && ok || no "$name: replay warns"
}
check_failure lu explore lost-update
check_failure abba-pct explore abba --strategy pct --seed 3
check_failure abba-dfs explore abba --strategy dfs
check_failure sc-lu run "$SC/demos/lost-update.yaml" --policy linux-4.13 --set rmap.batched_flush_pending=false
check_failure sc-abba run "$SC/demos/abba.yaml" --strategy pct --jobs 2 --max-steps 5000
# a relative scenario path: the replay below runs elsewhere, so it falls
# back to the absolute path the file also records
cp "$SC/demos/abba.yaml" "$T/rel.yaml"
check_failure rel run "$(python3 -c 'import os, sys; print(os.path.relpath(sys.argv[1]))' "$T/rel.yaml")"

# what the file holds
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["secmmu_failure"] == 1 and d["version"], d
assert d["scenario"].endswith("demos/lost-update.yaml") and len(d["scenario_hash"]) == 16, d
assert d["policy"] == "linux-4.13" and d["set"] == ["rmap.batched_flush_pending=false"], d
assert d["engine"] == "det" and d["strategy"] == "random" and d["kind"] == "lost-update", d
assert isinstance(d["seed"], int) and d["schedule"] and d["replay_verified"] is True, d
assert "--policy linux-4.13 --set rmap.batched_flush_pending=false --schedule" in d["command"], d
' "$T/sc-lu.fail"; then ok; else no "failure file content"; fi
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["max_steps"]==5000 and d["jobs"]==2 and d["strategy"]=="pct", d' "$T/sc-abba.fail" && ok || no "max_steps/jobs in the failure file"
# the replay exit status: 0 when the recorded violation reproduced
expect 0 "result: as expected: lost-update found in execution 1 of 1" -- replay "$T/sc-lu.fail"
expect 0 "VIOLATION lost-update in execution 1 of 1" -- replay "$T/lu.fail"
# --json, saving again, and the scenario found by its absolute path from elsewhere
"$SECMMU" replay "$T/lu.fail" --json --save-failure "$T/lu2.fail" >"$T/rj" 2>/dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["reproduced"] is True and d["failure_file"].endswith("lu.fail") and d["first"]["failure_file"].endswith("lu2.fail"), d' "$T/rj" && ok || no "replay --json of a failure file"
expect 0 "VIOLATION lost-update" -- replay "$T/lu2.fail"
(cd / && "$SECMMU" replay "$T/rel.fail") >"$T/out" 2>&1
grep -q "VIOLATION deadlock in execution 1 of 1" "$T/out" && ok || no "replay from another directory"
# a clean run writes no failure file
expect 0 "clean" -- explore locked-update --save-failure "$T/none.fail"
[ ! -e "$T/none.fail" ] && ok || no "a clean run wrote a failure file"
# a changed scenario is not replayed (issue 17 item 5)
cp "$SC/demos/lost-update.yaml" "$T/lu.yaml"
"$SECMMU" run "$T/lu.yaml" --save-failure "$T/chg.fail" >/dev/null 2>&1
echo "# changed" >>"$T/lu.yaml"
expect_line 2 "^$T/chg.fail: scenario '$T/lu.yaml' changed since the failure was saved" -- replay "$T/chg.fail"
# a failure that no longer reproduces is flagged, and the replay fails
sed 's/"schedule": "[^"]*"/"schedule": "a9"/' "$T/lu.fail" >"$T/gone.fail"
expect 1 "WARNING: .*gone.fail recorded lost-update; this replay found no violation" -- replay "$T/gone.fail"

# bad failure files and combinations: one line "FILE: problem", exit 2
printf 'name: [\n' >"$T/broken.yaml"
# variants of lu.fail, each with one thing wrong
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
variants = {
    "nosched": lambda d: d.pop("schedule"),
    "noseed": lambda d: d.pop("seed"),
    "nomodel": lambda d: (d.pop("scenario"), d.pop("scenario_abs", None)),
    "badmodel": lambda d: (d.pop("scenario"), d.pop("scenario_abs", None),
                           d.update(model="nosuch")),
    # a failure saved when lost-update was a C model: found by name now
    "oldmodel": lambda d: (d.pop("scenario"), d.pop("scenario_abs", None),
                           d.pop("scenario_hash", None),
                           d.update(model="lost-update")),
    "badpath": lambda d: (d.pop("scenario_abs", None), d.update(scenario="/no/such/dir/x.yaml")),
    # no hash to check: the broken scenario's own load error is reported
    "badscen": lambda d: (d.pop("scenario_abs", None),
                          d.pop("scenario_hash", None),
                          d.update(scenario=t + "/broken.yaml")),
    "badseed": lambda d: d.update(seed="x"),
    "badsched": lambda d: d.update(schedule="a-b"),
    "badkey": lambda d: d.update({"colour\n": 1}),
    "badver": lambda d: d.update(secmmu_failure=2),
    "badeng": lambda d: d.update(engine="real"),
    "badset": lambda d: d.update(set=["nothing"]),
    "modelset": lambda d: d.update(policy="linux-6.1"),
}
for name, change in variants.items():
    d = json.load(open(t + "/lu.fail"))
    change(d)
    json.dump(d, open("%s/%s.fail" % (t, name), "w"))
d = json.load(open(t + "/sc-lu.fail"))
d["policy"] = "linux-0"
json.dump(d, open(t + "/badpol.fail", "w"))
PY
printf '{"secmmu_failure": 1, "model": "abba",\n' >"$T/trunc.fail"
expect_line 2 "^$T/trunc.fail: syntax error at line 2, column 1: " -- replay "$T/trunc.fail"
expect_line 2 "^$T/nosched.fail: missing key 'schedule'$" -- replay "$T/nosched.fail"
expect_line 2 "^$T/noseed.fail: missing key 'seed'$" -- replay "$T/noseed.fail"
expect_line 2 "^$T/nomodel.fail: missing key 'model' or 'scenario'$" -- replay "$T/nomodel.fail"
expect_line 2 "^$T/badmodel.fail: unknown model 'nosuch' \(see 'secmmu list'\)$" -- replay "$T/badmodel.fail"
expect_line 2 "^$T/badpath.fail: scenario '/no/such/dir/x.yaml' is not a file" -- replay "$T/badpath.fail"
expect_line 2 "^$T/badscen.fail: scenario $T/broken.yaml:2:1: " -- replay "$T/badscen.fail"
expect_line 2 "^$T/badseed.fail: 'seed' must be a non-negative integer$" -- replay "$T/badseed.fail"
expect_line 2 "^$T/badsched.fail: 'schedule' is not a schedule" -- replay "$T/badsched.fail"
expect_line 2 "^$T/badkey.fail: unknown key 'colour\?'$" -- replay "$T/badkey.fail"
expect_line 2 "^$T/badver.fail: failure format 2 is not the one this secmmu reads \(1\)$" -- replay "$T/badver.fail"
expect_line 2 "^$T/badeng.fail: engine 'real' cannot be replayed" -- replay "$T/badeng.fail"
expect_line 2 "^$T/badset.fail: 'set' must be a list of" -- replay "$T/badset.fail"
# a failure file's policy applies: lost-update is lost under linux-6.1 too
expect 0 "VIOLATION lost-update" -- replay "$T/modelset.fail"
expect 0 "VIOLATION lost-update in execution 1 of 1" -- replay "$T/oldmodel.fail"
expect_line 2 "^$T/badpol.fail: policy: unknown policy preset 'linux-0'" -- replay "$T/badpol.fail"
printf '{"secmmu_failure": 1, "seed": 1, "seed": 2}\n' >"$T/dup.fail"
expect_line 2 "^$T/dup.fail: syntax error at line 1, column 39: duplicate object key near '\"seed\"'$" -- replay "$T/dup.fail"
expect_line 2 "^secmmu: $T/lu.fail: --schedule cannot be used with a failure file" -- replay "$T/lu.fail" --schedule ab
expect_line 2 "^secmmu: $T/lu.fail: --policy cannot be used with a failure file" -- replay "$T/lu.fail" --policy linux-6.1
expect_line 2 "^secmmu: $T/lu.fail is a failure file: replay it with 'secmmu replay $T/lu.fail'$" -- run "$T/lu.fail"
expect_line 2 "^secmmu: --save-failure: the real engine's executions cannot be replayed" -- explore abba --engine real --save-failure "$T/x.fail"
expect_line 2 "^secmmu: $T/nodir/x.fail: cannot write: No such file or directory$" -- explore lost-update --save-failure "$T/nodir/x.fail"

# ---- workers never outlive their parent ----

# kill_parent SIG: start a long --jobs 2 run, wait for its two workers,
# send SIG to the parent alone, then no worker may be left
kill_parent() {
	local sig=$1 parent workers w i
	"$SECMMU" explore locked-update --iterations 100000000 --jobs 2 >/dev/null 2>&1 &
	parent=$!
	for i in $(seq 100); do
		workers=$(pgrep -P "$parent" | tr '\n' ' ')
		[ "$(echo $workers | wc -w)" = 2 ] && break
		sleep 0.05
	done
	kill -"$sig" "$parent"
	wait "$parent" 2>/dev/null
	sleep 0.3
	for w in $workers; do
		# a zombie is dead: some inits never reap orphans
		if ps -o stat= -p "$w" 2>/dev/null | grep -qv Z; then
			no "--jobs 2: worker $w outlived its parent after SIG$sig"
			kill -9 $workers 2>/dev/null
			return
		fi
	done
	[ -n "$workers" ] && ok || no "--jobs 2: no workers seen (SIG$sig)"
}
kill_parent TERM
kill_parent INT
kill_parent KILL

# ---- progress: never off a terminal, never with --json ----

"$SECMMU" explore locked-update --iterations 3000 --jobs 2 >/dev/null 2>"$T/err"
[ ! -s "$T/err" ] && ok || no "progress off a terminal"
if script -qec true /dev/null >/dev/null 2>&1; then
	tty_run() { SECMMU_PROGRESS_MS=1 script -qec "$*" /dev/null | tr '\r' '\n' >"$T/tty"; }
	pat='^\[explore\] [0-9]+ executions, [0-9]+/s, [0-9]+ violating'
	tty_run "$SECMMU" explore locked-update --iterations 30000
	grep -qE "$pat" "$T/tty" && grep -q "clean: 30000 executions" "$T/tty" && ok || no "progress on a terminal (explore)"
	tty_run "$SECMMU" run "$SC/demos/locked-update.yaml" --iterations 30000
	grep -qE "$pat" "$T/tty" && ok || no "progress on a terminal (run)"
	tty_run "$SECMMU" explore lost-update --keep-going --iterations 30000 --jobs 2
	grep -qE '^\[explore\] 30000 executions, [0-9]+/s, [0-9]+ violating' "$T/tty" && ok || no "progress on a terminal (--jobs 2 final line)"
	tty_run "$SECMMU" explore locked-update --iterations 30000 --json
	! grep -q '\[explore\]' "$T/tty" && ok || no "progress with --json"
	# the default interval: a short run prints none
	script -qec "$SECMMU explore locked-update --iterations 100" /dev/null >"$T/tty"
	! grep -q '\[explore\]' "$T/tty" && ok || no "progress on a short run"
else
	echo "SKIP: progress on a terminal (script(1) cannot open a pty)"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

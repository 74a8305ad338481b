// SPDX-License-Identifier: MIT
/*
 * Scenario loader and runner tests (cmocka, suite `unit`).
 *
 * Every class of bad input gets its exact one-line message with line and
 * column; good files are checked for what they compile to and for what
 * the explorer finds when they run, in the spirit of hmm-tests.c: short
 * cases with exact values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/locking.h"
#include "core/policy.h"
#include "scenario/scenario.h"

struct bad_case {
	const char *name;
	const char *text;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "syntax",
	  "name: t\n"
	  "agents: [a, b\n"
	  "",
	  "t.yaml:3:1: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence (started on line 2)" },
	{ "utf8",
	  "name: t\xff""\n"
	  "",
	  "t.yaml:1:8: invalid text: invalid leading UTF-8 octet" },
	{ "empty",
	  "",
	  "t.yaml:1:1: empty scenario: expected a map with name, agents and the other keys of docs/scenario-format.md" },
	{ "comment_only",
	  "# nothing\n"
	  "",
	  "t.yaml:1:1: empty scenario: expected a map with name, agents and the other keys of docs/scenario-format.md" },
	{ "not_map",
	  "- a\n"
	  "- b\n"
	  "",
	  "t.yaml:1:1: a scenario is a map (name:, agents:, ...), found a list" },
	{ "unknown_top",
	  "name: t\n"
	  "agnets: []\n"
	  "",
	  "t.yaml:2:1: unknown key 'agnets' in the scenario (did you mean 'agents'?)" },
	{ "dup_key",
	  "name: t\n"
	  "name: u\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:2:1: duplicate key 'name' in the scenario (first at line 1)" },
	{ "agents_type",
	  "name: t\n"
	  "agents: 3\n"
	  "",
	  "t.yaml:2:9: 'agents' must be a list of agents, found a scalar" },
	{ "agents_empty",
	  "name: t\n"
	  "agents: []\n"
	  "",
	  "t.yaml:2:9: 'agents' is empty: a scenario needs at least one agent" },
	{ "missing_name",
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:1:1: the scenario needs a 'name'" },
	{ "missing_agents",
	  "name: t\n"
	  "",
	  "t.yaml:1:1: the scenario needs 'agents'" },
	{ "agent_no_ops",
	  "name: t\n"
	  "agents:\n"
	  "  - name: a\n"
	  "",
	  "t.yaml:3:5: agent 'a' needs 'ops'" },
	{ "agent_unknown_key",
	  "name: t\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    op: []\n"
	  "",
	  "t.yaml:4:5: unknown key 'op' in an agent (did you mean 'ops'?)" },
	{ "unknown_op",
	  "name: t\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - lokc: m\n"
	  "",
	  "t.yaml:5:9: unknown operation 'lokc' (did you mean 'lock'?)" },
	{ "missing_param_bare",
	  "name: t\n"
	  "world:\n"
	  "  mutexes: [m]\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - lock\n"
	  "",
	  "t.yaml:7:9: 'lock' needs a lock: write '- lock: NAME'" },
	{ "missing_param_map",
	  "name: t\n"
	  "world:\n"
	  "  counters: [x]\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - write: {counter: x}\n"
	  "",
	  "t.yaml:7:9: 'write' needs 'value'" },
	{ "unknown_param",
	  "name: t\n"
	  "world:\n"
	  "  counters: [x]\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - read: {counter: x, expcet: 1}\n"
	  "",
	  "t.yaml:7:28: unknown key 'expcet' in 'read' (did you mean 'expect'?)" },
	{ "param_type",
	  "name: t\n"
	  "world:\n"
	  "  counters: [x]\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - read: {counter: x, expect: one}\n"
	  "",
	  "t.yaml:7:36: 'read' parameter 'expect' must be an integer, found 'one'" },
	{ "undef_obj",
	  "name: t\n"
	  "world:\n"
	  "  mutexes: [lock_a]\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - lock: lock_b\n"
	  "",
	  "t.yaml:7:15: 'lock_b' is not defined in 'world' (did you mean 'lock_a'?)" },
	{ "wrong_kind",
	  "name: t\n"
	  "world:\n"
	  "  counters: [x]\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - lock: x\n"
	  "",
	  "t.yaml:7:15: 'x' is a counter; 'lock' needs a mutex, spinlock or rwsem" },
	{ "undef_agent",
	  "name: t\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - wait: b\n"
	  "",
	  "t.yaml:5:15: no agent is named 'b' (did you mean 'a'?)" },
	{ "self_wait",
	  "name: t\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - wait: a\n"
	  "",
	  "t.yaml:5:15: agent 'a' cannot 'wait' itself" },
	{ "dup_obj",
	  "name: t\n"
	  "world:\n"
	  "  mutexes: [m]\n"
	  "  counters: [m]\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:4:14: 'm' is already defined (a mutex at line 3)" },
	{ "dup_agent",
	  "name: t\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops: []\n"
	  "  - name: a\n"
	  "    ops: []\n"
	  "",
	  "t.yaml:5:11: agent 'a' is already defined at line 3" },
	{ "unknown_world",
	  "name: t\n"
	  "world:\n"
	  "  mutex: [m]\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:3:3: unknown key 'mutex' in 'world' (did you mean 'mutexes'?)" },
	{ "counter_value",
	  "name: t\n"
	  "world:\n"
	  "  counters: {x: 1.5}\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:3:17: a counter's initial value must be an integer, found '1.5'" },
	{ "counter_range",
	  "name: t\n"
	  "world:\n"
	  "  counters: {x: 99999999999}\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:3:17: a counter's initial value: 99999999999 is out of range [-2147483648, 2147483647]" },
	{ "mutex_settings",
	  "name: t\n"
	  "world:\n"
	  "  mutexes: {m: 3}\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:3:16: a mutex takes no settings" },
	{ "bad_name",
	  "name: t\n"
	  "world:\n"
	  "  mutexes: [9lives]\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:3:13: object name '9lives' is not a name (letters, digits, '_' and '-', not starting with a digit)" },
	{ "copies_range",
	  "name: t\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    copies: 100\n"
	  "    ops: []\n"
	  "",
	  "t.yaml:4:13: 'copies': 100 is out of range [1, 52]" },
	{ "loop_times",
	  "name: t\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - loop: {times: 0, ops: []}\n"
	  "",
	  "t.yaml:5:23: 'loop' parameter 'times': 0 is out of range [1, 1000000]" },
	{ "loop_missing",
	  "name: t\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - loop: {ops: []}\n"
	  "",
	  "t.yaml:5:9: 'loop' needs 'times'" },
	{ "op_two_keys",
	  "name: t\n"
	  "world:\n"
	  "  mutexes: [m]\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - {lock: m, unlock: m}\n"
	  "",
	  "t.yaml:7:9: an operation is a map with one key, the operation's name; found 2 keys" },
	{ "op_no_params",
	  "name: t\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched: 3\n"
	  "",
	  "t.yaml:5:16: 'sched' takes no parameters" },
	{ "knob",
	  "name: t\n"
	  "policy:\n"
	  "  set:\n"
	  "    mremap.flush_before_ptl: false\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:4:5: unknown policy knob 'mremap.flush_before_ptl' (did you mean 'mremap.flush_before_ptl_unlock'?)" },
	{ "knob_value",
	  "name: t\n"
	  "policy:\n"
	  "  set:\n"
	  "    mremap.flush_before_ptl_unlock: maybe\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:4:37: mremap.flush_before_ptl_unlock: 'maybe' is not a boolean (true or false)" },
	{ "knob_enum",
	  "name: t\n"
	  "policy:\n"
	  "  set:\n"
	  "    notifier.secondary_tlb_flush: later\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:4:35: notifier.secondary_tlb_flush: 'later' is not one of with_tlb_flush, in_range_end, none" },
	{ "preset",
	  "name: t\n"
	  "policy:\n"
	  "  preset: linux-9.9\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:3:11: unknown policy preset 'linux-9.9' (known: default, linux-6.6, linux-6.1, linux-4.13, linux-4.12, linux-4.10)" },
	{ "policy_key",
	  "name: t\n"
	  "policy:\n"
	  "  presets: linux-6.1\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:3:3: unknown key 'presets' in 'policy' (did you mean 'preset'?)" },
	{ "alias",
	  "name: t\n"
	  "world:\n"
	  "  mutexes: &l [m]\n"
	  "  spinlocks: *l\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:4:14: YAML aliases (*l) are not supported: write the value out" },
	{ "two_docs",
	  "name: t\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "---\n"
	  "name: u\n"
	  "",
	  "t.yaml:6:1: a scenario file holds one YAML document; found a second" },
	{ "expect",
	  "name: t\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "expect: deadlok\n"
	  "",
	  "t.yaml:6:9: 'expect' must be 'clean' or a violation kind this scenario can report; 'deadlok' is not one (did you mean 'deadlock'?)" },
	{ "final_value",
	  "name: t\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "final:\n"
	  "  - countr x == 2\n"
	  "",
	  "t.yaml:7:5: unknown value 'countr' in a final check (write e.g. 'counter x == 2') (did you mean 'counter'?)" },
	{ "final_op",
	  "name: t\n"
	  "world:\n"
	  "  counters: [x]\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "final:\n"
	  "  - counter x = 2\n"
	  "",
	  "t.yaml:9:15: '=' is not a comparison (== != < <= > >=)" },
	{ "final_num",
	  "name: t\n"
	  "world:\n"
	  "  counters: [x]\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "final:\n"
	  "  - \"counter x == two\"\n"
	  "",
	  "t.yaml:9:19: the right side must be an integer, found 'two'" },
	{ "final_ref",
	  "name: t\n"
	  "world:\n"
	  "  counters: [x]\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "final:\n"
	  "  - counter y == 2\n"
	  "",
	  "t.yaml:9:13: 'y' is not defined in 'world' (did you mean 'x'?)" },
	{ "final_shape",
	  "name: t\n"
	  "world:\n"
	  "  counters: [x]\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "final:\n"
	  "  - counter x 2\n"
	  "",
	  "t.yaml:9:5: a final check is 'counter NAME OP NUMBER' with OP one of == != < <= > >=" },
	{ "final_kind",
	  "name: t\n"
	  "world:\n"
	  "  counters: [x]\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "final:\n"
	  "  - {check: counter x == 2, violation: Lost_Update}\n"
	  "",
	  "t.yaml:9:40: 'violation' must be a violation kind (lower-case letters, digits and '-'), not 'Lost_Update'" },
	{ "nul",
	  "name: t\n"
	  "description: \"a\\0b\"\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:2:14: a string contains a NUL character" },
	{ "deep",
	  "name: t\n"
	  "description: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:2:77: nesting deeper than 64 levels" },
	{ "too_many",
	  "name: t\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    copies: 30\n"
	  "    ops: []\n"
	  "  - name: b\n"
	  "    copies: 30\n"
	  "    ops: []\n"
	  "",
	  "t.yaml:6:5: too many agents: at most 52 (copies count)" },
	{ "long_name",
	  "name: t\n"
	  "agents:\n"
	  "  - name: abcdefghijklmnopqrstuvwxyz\n"
	  "    ops: []\n"
	  "",
	  "t.yaml:3:11: agent name 'abcdefghijklmnopqrstuvwxyz' is longer than 23 characters" },
	{ "key_not_string",
	  "name: t\n"
	  "[a]: 1\n"
	  "agents:\n"
	  "  - name: a\n"
	  "    ops:\n"
	  "      - sched\n"
	  "",
	  "t.yaml:2:1: keys of the scenario must be strings" },
	{ "newline_in_name",
	  "name: t\n"
	  "world:\n"
	  "  mutexes: [\"a\\nb\\tc\\x01\"]\n",
	  "t.yaml:3:13: object name 'a\\nb\\tc\\x01' is not a name (letters, digits, '_' and '-', not starting with a digit)" },
};

static struct scenario *load(const char *text, char *err, size_t len)
{
	return scenario_load_buffer("t.yaml", text, strlen(text), err, len);
}

/* text that is not NUL-terminated at its length (\xff case has no NUL) */
static void test_load_errors(void **state)
{
	char err[1024];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct scenario *sc = load(bad_cases[i].text, err, sizeof(err));

		if (sc || strcmp(err, bad_cases[i].msg))
			print_error("case %s:\n  got  %s\n  want %s\n",
				    bad_cases[i].name, sc ? "(loaded)" : err,
				    bad_cases[i].msg);
		assert_null(sc);
		assert_string_equal(err, bad_cases[i].msg);
	}
}

static void test_load_file_errors(void **state)
{
	char err[1024];

	(void)state;
	assert_null(scenario_load_file("/nonexistent/x.yaml", err, sizeof(err)));
	assert_string_equal(err,
			    "/nonexistent/x.yaml: cannot open: No such file or directory");
	assert_null(scenario_load_file("/", err, sizeof(err)));
	assert_string_equal(err, "/: cannot read: Is a directory");
}

/* a message is truncated, never overflowed, with a small buffer */
static void test_load_error_truncated(void **state)
{
	char err[16];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_null(load("agents: 3\n", err, sizeof(err)));
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_memory_equal(err, "t.yaml:1:1: the", 15);
}

static const char full[] =
	"# every feature once\n"
	"name: full\n"
	"description: \"all keys\"\n"
	"policy:\n"
	"  preset: linux-4.13\n"
	"  set:\n"
	"    rmap.batched_flush_pending: false\n"
	"world:\n"
	"  mutexes: [m]\n"
	"  spinlocks: [s]\n"
	"  rwsems: [sem]\n"
	"  counters: {x: 5, y: -1}\n"
	"agents:\n"
	"  - name: w\n"
	"    copies: 3\n"
	"    repeat: 2\n"
	"    ops:\n"
	"      - lock: m\n"
	"      - inc: x\n"
	"      - unlock: m\n"
	"      - loop: {times: 4, ops: [{atomic_inc: y}, sched]}\n"
	"  - name: r\n"
	"    ops:\n"
	"      - wait: w\n"
	"      - down_read: sem\n"
	"      - read: {counter: x, expect: 11, violation: wrong-x}\n"
	"      - up_read: sem\n"
	"      - rcu_read_lock\n"
	"      - rcu_read_unlock\n"
	"final:\n"
	"  - counter x == 11\n"
	"  - {check: counter y >= 23, violation: lost-inc, message: \"4 x 2 x 3 increments\"}\n"
	"expect: clean\n";

static void test_load_full(void **state)
{
	struct scenario *sc;
	char err[512];

	(void)state;
	sc = load(full, err, sizeof(err));
	if (!sc)
		print_error("%s\n", err);
	assert_non_null(sc);
	assert_string_equal(sc->name, "full");
	assert_string_equal(sc->description, "all keys");
	assert_int_equal(sc->nr_objs, 5);
	assert_string_equal(sc->objs[3].name, "x");
	assert_int_equal(sc->objs[3].value, 5);
	assert_int_equal(sc->objs[4].value, -1);
	assert_int_equal(sc->nr_agents, 2);
	assert_int_equal(sc->nr_instances, 4);
	assert_int_equal(sc->agents[0].copies, 3);
	assert_int_equal(sc->agents[0].repeat, 2);
	assert_true(sc->agents[0].waited);
	assert_false(sc->agents[1].waited);
	assert_int_equal(sc->agents[0].nr_ops, 4);
	assert_null(sc->agents[0].ops[3].type); /* the loop */
	assert_int_equal(sc->agents[0].ops[3].times, 4);
	assert_int_equal(sc->agents[0].ops[3].nr_body, 2);
	assert_int_equal(sc->nr_finals, 2);
	assert_string_equal(sc->finals[1].violation, "lost-inc");
	assert_int_equal(sc->finals[1].line, 32);
	assert_null(sc->expect);
	assert_string_equal(sc->policy.preset, "linux-4.13");
	assert_false(policy_get(&sc->policy, KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK));
	assert_false(policy_get(&sc->policy, KNOB_RMAP_BATCHED_FLUSH_PENDING));
	assert_int_equal(policy_get(&sc->policy, KNOB_NOTIFIER_SECONDARY_TLB_FLUSH),
			 SECONDARY_TLB_FLUSH_IN_RANGE_END);
	scenario_free(sc);
}

static void explore_text(const char *text, enum strategy strat,
			 unsigned long iterations, struct explore_result *r)
{
	struct explore_opts o = { .strategy = strat,
				  .seed = 1,
				  .iterations = iterations,
				  .bound = -1,
				  .stop_on_violation = true,
				  .progress_fd = -1 };
	struct scenario *sc;
	char err[512];

	sc = load(text, err, sizeof(err));
	if (!sc)
		print_error("%s\n", err);
	assert_non_null(sc);
	o.stop_kind = sc->expect;
	assert_int_equal(explore(scenario_model(sc), &o, r), 0);
	scenario_free(sc);
}

static void test_run_full_clean(void **state)
{
	struct explore_result r;

	(void)state;
	explore_text(full, STRAT_RANDOM, 200, &r);
	if (r.first_violation)
		print_error("%s\n", r.first_report);
	assert_int_equal(r.violating, 0);
	assert_int_equal(r.executions, 200);
	explore_result_free(&r);
}

static const char lost[] =
	"name: lost\n"
	"world: {counters: [x]}\n"
	"agents:\n"
	"  - {name: i, copies: 2, ops: [inc: x]}\n"
	"final:\n"
	"  - {check: counter x == 2, violation: lost-update}\n"
	"expect: lost-update\n";

static void test_run_lost_update_dfs(void **state)
{
	struct explore_result r;

	(void)state;
	explore_text(lost, STRAT_DFS, 0, &r);
	assert_int_not_equal(r.first_violation, 0);
	assert_string_equal(r.first_kind, "lost-update");
	assert_non_null(strstr(r.first_report,
			       "final check 'counter x == 2' (line 6) failed: the value is 1"));
	explore_result_free(&r);
}

/* stop_kind: lockdep-circular comes first, the run goes on to deadlock */
static const char abba[] =
	"name: abba\n"
	"world: {mutexes: [a, b]}\n"
	"agents:\n"
	"  - {name: ab, ops: [lock: a, lock: b, unlock: b, unlock: a]}\n"
	"  - {name: ba, ops: [lock: b, lock: a, unlock: a, unlock: b]}\n"
	"expect: deadlock\n";

static void test_run_abba_deadlock(void **state)
{
	struct explore_result r;
	int i, circular = 0;

	(void)state;
	explore_text(abba, STRAT_DFS, 0, &r);
	assert_string_equal(r.first_kind, "deadlock");
	for (i = 0; i < r.nr_kinds; i++)
		if (!strcmp(r.kinds[i].kind, "lockdep-circular"))
			circular = r.kinds[i].first_exec;
	assert_int_equal(circular, 1);
	assert_true(r.first_violation > 1);
	explore_result_free(&r);
}

/* `wait` orders the reader after the writer: clean in every interleaving */
static const char waits[] =
	"name: waits\n"
	"world: {counters: [x]}\n"
	"agents:\n"
	"  - {name: r, ops: [wait: w, {read: {counter: x, expect: 2}}]}\n"
	"  - {name: w, copies: 2, ops: [atomic_inc: x]}\n";

static void test_run_wait(void **state)
{
	struct explore_result r;

	(void)state;
	explore_text(waits, STRAT_DFS, 0, &r);
	if (r.first_violation)
		print_error("%s\n", r.first_report);
	assert_int_equal(r.violating, 0);
	assert_true(r.exhausted);
	explore_result_free(&r);
}

/* without the wait, a read sees 0 or 1: unexpected-value is found */
static void test_run_read_expect(void **state)
{
	struct explore_result r;

	(void)state;
	explore_text("name: re\n"
		     "world: {counters: [x]}\n"
		     "agents:\n"
		     "  - {name: r, ops: [{read: {counter: x, expect: 1}}]}\n"
		     "  - {name: w, ops: [atomic_inc: x]}\n"
		     "expect: unexpected-value\n",
		     STRAT_DFS, 0, &r);
	assert_string_equal(r.first_kind, "unexpected-value");
	assert_non_null(strstr(r.first_report,
			       "r read x = 0, expected 1 (line 4)"));
	explore_result_free(&r);
}

/* ---- a subsystem from outside: world key, op, value, policy ---- */

struct test_cfg {
	long cpus;
};

static int cpus_parse(struct sc_loader *ld, void *cfg, const struct sc_node *n)
{
	return sc_get_int(ld, n, 1, 8, "'cpus'", &((struct test_cfg *)cfg)->cpus);
}

struct test_state {
	long cpus;
	int seen_false;
};

static void *test_run_init(struct sc_run *run, const void *cfg)
{
	struct test_state *st = arena_alloc(run->w, sizeof(*st));

	st->cpus = ((const struct test_cfg *)cfg)->cpus;
	return st;
}

static void op_policy_probe(struct sc_ctx *x, const struct sc_op *op)
{
	if (!policy_bool(x->w, KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK))
		report_add(x->w, "probe-saw-old-mremap", "knob is false");
}

static long value_cpus(struct sc_run *run, const struct sc_arg *args)
{
	const struct scenario *sc = run->sc;
	int i;

	for (i = 0; i < sc->nr_subsys; i++)
		if (scenario_subsys_at(i)->run_init == test_run_init)
			return ((struct test_state *)run->subsys_state[i])->cpus;
	return -1;
}

static const struct scenario_world_key test_keys[] = {
	{ "cpus", cpus_parse },
	{ NULL, NULL },
};

static const struct scenario_op_type test_ops[] = {
	{ .name = "policy_probe", .help = "report if mremap knob is false",
	  .exec = op_policy_probe },
	{ .name = NULL },
};

static const struct scenario_value_type test_values[] = {
	{ .name = "cpus", .eval = value_cpus },
	{ .name = NULL },
};

static const char *const test_violations[] = { "probe-saw-old-mremap", NULL };

static const struct scenario_subsys test_subsys = {
	.name = "test",
	.world_keys = test_keys,
	.ops = test_ops,
	.values = test_values,
	.violations = test_violations,
	.cfg_size = sizeof(struct test_cfg),
	.run_init = test_run_init,
};

static void test_registry_subsystem(void **state)
{
	struct explore_result r;
	char err[512];
	static const char text[] =
		"name: probe\n"
		"policy: {preset: linux-4.13}\n"
		"world: {cpus: 3}\n"
		"agents: [{name: p, ops: [policy_probe]}]\n"
		"final: [cpus == 3]\n"
		"expect: probe-saw-old-mremap\n";

	(void)state;
	assert_int_equal(scenario_subsys_register(&test_subsys), 0);
	explore_text(text, STRAT_RANDOM, 5, &r);
	assert_string_equal(r.first_kind, "probe-saw-old-mremap");
	assert_int_equal(r.nr_kinds, 1); /* cpus == 3 held */
	explore_result_free(&r);
	/* the default policy: the probe stays quiet */
	explore_text("name: probe\nworld: {cpus: 2}\n"
		     "agents: [{name: p, ops: [policy_probe]}]\n"
		     "final: [cpus == 2]\n",
		     STRAT_RANDOM, 5, &r);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);
	assert_null(load("name: p\nworld: {cpus: 9}\nagents: [{name: p, ops: []}]\n",
			 err, sizeof(err)));
	assert_string_equal(err, "t.yaml:2:15: 'cpus': 9 is out of range [1, 8]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_load_error_truncated),
		cmocka_unit_test(test_load_full),
		cmocka_unit_test(test_run_full_clean),
		cmocka_unit_test(test_run_lost_update_dfs),
		cmocka_unit_test(test_run_abba_deadlock),
		cmocka_unit_test(test_run_wait),
		cmocka_unit_test(test_run_read_expect),
		cmocka_unit_test(test_registry_subsystem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/*
 * Scenarios under the real-thread engine (cmocka, suite `real`, so
 * `make test` also runs it under TSan): the runner's per-execution setup,
 * `wait` (atomic count + wait queue) and the core ops on real threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "scenario/scenario.h"

static void run(const char *text, unsigned long iterations,
		struct explore_result *r)
{
	struct scenario *sc;
	char err[512];

	sc = scenario_load_buffer("t.yaml", text, strlen(text), err, sizeof(err));
	if (!sc)
		print_error("%s\n", err);
	assert_non_null(sc);
	assert_int_equal(run_real(scenario_model(sc), iterations, 30, 1, r), 0);
	scenario_free(sc);
}

static void test_real_locked_wait(void **state)
{
	struct explore_result r;

	(void)state;
	run("name: lw\n"
	    "world: {mutexes: [m], counters: [x]}\n"
	    "agents:\n"
	    "  - {name: w, copies: 2, repeat: 20,"
	    " ops: [lock: m, inc: x, unlock: m]}\n"
	    "  - {name: r, ops: [wait: w, {read: {counter: x, expect: 40}}]}\n"
	    "final: [counter x == 40]\n",
	    20, &r);
	if (r.violating)
		print_error("%s\n", r.first_report);
	assert_int_equal(r.executions, 20);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);
}

static void test_real_abba_lockdep(void **state)
{
	struct explore_result r;

	(void)state;
	run("name: abba\n"
	    "world: {mutexes: [a, b]}\n"
	    "agents:\n"
	    "  - {name: ab, ops: [lock: a, lock: b, unlock: b, unlock: a]}\n"
	    "  - {name: ba, ops: [wait: ab, lock: b, lock: a, unlock: a, unlock: b]}\n"
	    "expect: lockdep-circular\n",
	    3, &r);
	/* serialised by wait, yet lockdep sees both orders every time */
	assert_int_equal(r.violating, 3);
	assert_string_equal(r.first_kind, "lockdep-circular");
	assert_int_equal(r.nr_kinds, 1);
	explore_result_free(&r);
}

/* two agents mapping regions of their own names: the region table is shared */
static void test_real_regions_per_agent(void **state)
{
	struct explore_result r;

	(void)state;
	run("name: regions\n"
	    "world: {cpus: 2, memory: {frames: 256}, processes: [p]}\n"
	    "agents:\n"
	    "  - {name: a, repeat: 8, ops: [\n"
	    "      {mmap: {proc: p, len: 4096, prot: read|write, as: ra}},\n"
	    "      {write: {proc: p, cpu: 0, region: ra, value: 1}},\n"
	    "      {read: {proc: p, cpu: 0, region: ra, expect: 1}},\n"
	    "      {munmap: {proc: p, region: ra}}]}\n"
	    "  - {name: b, repeat: 8, ops: [\n"
	    "      {mmap: {proc: p, len: 4096, prot: read|write, as: rb}},\n"
	    "      {write: {proc: p, cpu: 1, region: rb, value: 2}},\n"
	    "      {read: {proc: p, cpu: 1, region: rb, expect: 2}},\n"
	    "      {munmap: {proc: p, region: rb}}]}\n",
	    20, &r);
	if (r.violating)
		print_error("%s\n", r.first_report);
	assert_int_equal(r.executions, 20);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_locked_wait),
		cmocka_unit_test(test_real_abba_lockdep),
		cmocka_unit_test(test_real_regions_per_agent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/*
 * Suite "unit": the mm scenario subsystem (src/scenario/mm_ops.c) and
 * the bug zoo's `zoo:` block: every mm op runs the model's functions and
 * meets its expectations; the shipped zoo entry for CVE-2018-18281 finds
 * stale-tlb under its buggy policy and runs clean under its fixed one,
 * with the same budget (so does the clear_refs entry, with missed-dirty);
 * malformed zoo blocks give one clear message; clear_refs and
 * soft_dirty follow soft-dirty.c's simple test.
 *
 * usage: test_mm_scenario SCENARIOS_DIR
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/policy.h"
#include "engine/engine.h"
#include "scenario/scenario.h"

static const char *scenarios_dir = "scenarios";

static struct scenario *load(const char *text, char *err, size_t len)
{
	return scenario_load_buffer("t.yaml", text, strlen(text), err, len);
}

static void run_text(const char *text, enum strategy s, unsigned long iters,
		     struct explore_result *r)
{
	struct explore_opts o = { .strategy = s,
				  .seed = 1,
				  .iterations = iters,
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
	if (r->first_report && !sc->expect)
		print_error("%s\n", r->first_report);
	scenario_free(sc);
}

/* every op, each checked by its expect */
static const char all_ops[] =
	"name: all-ops\n"
	"world:\n"
	"  cpus: 2\n"
	"  memory: {frames: 512}\n"
	"  files: [{name: f, size: 8192}]\n"
	"  processes: [p, child]\n"
	"agents:\n"
	"  - name: a\n"
	"    ops:\n"
	"      - mmap: {proc: p, len: 8192, prot: read|write, as: anon}\n"
	"      - write: {proc: p, cpu: 0, region: anon, value: 7, expect: ok}\n"
	"      - write: {proc: p, cpu: 1, region: anon, offset: 4096, value: 8}\n"
	"      - read: {proc: p, cpu: 1, region: anon, expect: 7}\n"
	"      - mremap: {proc: p, region: anon, new_len: 16384, flags: maymove}\n"
	"      - read: {proc: p, cpu: 0, region: anon, offset: 4096, expect: 8}\n"
	"      - read: {proc: p, cpu: 0, region: anon, offset: 8192, expect: 0}\n"
	"      - fork: {proc: p, child: child}\n"
	"      - write: {proc: p, cpu: 0, region: anon, value: 9}\n"
	"      - read: {proc: child, cpu: 1, region: anon, expect: 7}\n"
	"      - madvise: {proc: p, region: anon, len: 4096, advice: dontneed}\n"
	"      - read: {proc: p, cpu: 1, region: anon, expect: 0}\n"
	"      - mprotect: {proc: p, region: anon, prot: read}\n"
	"      - write: {proc: p, cpu: 0, region: anon, value: 1, expect: sigsegv}\n"
	"      - munmap: {proc: p, region: anon}\n"
	"      - read: {proc: p, cpu: 0, region: anon, expect: sigsegv}\n"
	"      - munmap: {proc: p, addr: 4097, len: 4096, expect: EINVAL}\n"
	"      - mremap: {proc: p, addr: 0x10000, old_len: 4096, new_len: 8192,\n"
	"                 flags: fixed, new_addr: 0x20000, expect: EINVAL}\n"
	"      - file_write: {file: f, offset: 4096, value: 5}\n"
	"      - mmap: {proc: p, len: 8192, prot: read, flags: shared, file: f,\n"
	"               as: file}\n"
	"      - read: {proc: p, cpu: 1, region: file, offset: 4096, expect: 5}\n"
	"      - truncate: {file: f, size: 4096}\n"
	"      - read: {proc: p, cpu: 1, region: file, offset: 4096, expect: sigbus}\n"
	"      - read: {proc: p, cpu: 0, region: file, expect: 0}\n"
	"  - name: b\n"
	"    ops:\n"
	"      - mmap: {proc: child, addr: 0x70000000, len: 4096, prot: read,\n"
	"               expect: ok}\n";

static void test_all_ops_clean(void **state)
{
	struct explore_result r;

	(void)state;
	run_text(all_ops, STRAT_RANDOM, 50, &r);
	assert_int_equal(r.violating, 0);
	assert_int_equal(r.executions, 50);
	explore_result_free(&r);
}

/* a failed expectation is a violation, a bad name a scenario-error */
static void test_op_reports(void **state)
{
	static const char wrong_value[] =
		"name: x\nworld: {processes: [p]}\nagents:\n"
		"  - name: a\n    ops:\n"
		"      - mmap: {proc: p, len: 4096, prot: read|write, as: m}\n"
		"      - read: {proc: p, region: m, expect: 3}\n"
		"expect: value\n";
	static const char bad_prot[] =
		"name: x\nworld: {processes: [p]}\nagents:\n"
		"  - name: a\n    ops:\n"
		"      - mmap: {proc: p, len: 4096, prot: red}\n"
		"expect: scenario-error\n";
	static const char bad_errno[] =
		"name: x\nworld: {processes: [p]}\nagents:\n"
		"  - name: a\n    ops:\n"
		"      - munmap: {proc: p, addr: 4096, len: 4096, expect: EINVAL}\n"
		"expect: unexpected-errno\n";
	struct explore_result r;

	(void)state;
	run_text(wrong_value, STRAT_RANDOM, 1, &r);
	assert_string_equal(r.first_kind, "value");
	assert_non_null(strstr(r.first_report, "ok 0, expected 3"));
	explore_result_free(&r);
	run_text(bad_prot, STRAT_RANDOM, 1, &r);
	assert_string_equal(r.first_kind, "scenario-error");
	assert_non_null(strstr(r.first_report, "line 6: unknown prot 'red'"));
	explore_result_free(&r);
	run_text(bad_errno, STRAT_RANDOM, 1, &r);
	assert_string_equal(r.first_kind, "unexpected-errno");
	explore_result_free(&r);
}

static void test_world_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "name: x\nworld: {cpus: 99}\nagents: [{name: a, ops: [sched]}]\n",
		  "t.yaml:2:15: 'cpus': 99 is out of range [1, 16]" },
		{ "name: x\nworld: {memory: {pages: 4}}\nagents: [{name: a, ops: [sched]}]\n",
		  "t.yaml:2:18: unknown key 'pages' in 'memory' (frames)" },
		{ "name: x\nworld: {files: [{size: 4}]}\nagents: [{name: a, ops: [sched]}]\n",
		  "t.yaml:2:17: a file needs a 'name'" },
		{ "name: x\nworld: {files: [{name: f, mode: 4}]}\nagents: [{name: a, ops: [sched]}]\n",
		  "t.yaml:2:27: unknown key 'mode' in a file (name, size)" },
		{ "name: x\nworld: {processes: [p]}\nagents:\n"
		  "  - name: a\n    ops: [{mmap: {proc: q, len: 1, prot: read}}]\n",
		  "t.yaml:5:25: 'q' is not defined in 'world'" },
	};
	char err[512];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct scenario *sc = load(cases[i].text, err, sizeof(err));

		if (sc || strncmp(err, cases[i].msg, strlen(cases[i].msg)))
			print_error("case %u: got '%s'\n", i, sc ? "" : err);
		assert_null(sc);
		assert_int_equal(
			strncmp(err, cases[i].msg, strlen(cases[i].msg)), 0);
	}
}

/* ---- the zoo entry ---- */

static struct scenario *load_zoo_entry(void)
{
	char path[4096], err[512];
	struct scenario *sc;

	snprintf(path, sizeof(path),
		 "%s/bugs/mremap-truncate-cve-2018-18281.yaml", scenarios_dir);
	sc = scenario_load_file(path, err, sizeof(err));
	if (!sc)
		print_error("%s\n", err);
	assert_non_null(sc);
	assert_non_null(sc->zoo);
	return sc;
}

static void zoo_explore(struct scenario *sc, const struct policy *p,
			struct explore_result *r)
{
	struct explore_opts o = { .strategy = sc->zoo->strategy,
				  .seed = sc->zoo->seed,
				  .iterations = sc->zoo->iterations,
				  .bound = sc->zoo->bound,
				  .stop_on_violation = true,
				  .stop_kind = sc->zoo->violation,
				  .progress_fd = -1 };

	sc->policy = *p;
	assert_int_equal(explore(scenario_model(sc), &o, r), 0);
}

static void test_zoo_entry(void **state)
{
	struct scenario *sc = load_zoo_entry();
	struct explore_result r;

	(void)state;
	assert_string_equal(sc->zoo->name, "mremap-truncate");
	assert_string_equal(sc->zoo->violation, "stale-tlb");
	assert_non_null(strstr(sc->zoo->history, "CVE-2018-18281"));
	assert_non_null(strstr(sc->zoo->history, "eb66ae030829"));
	assert_false(policy_get(&sc->zoo->buggy,
				KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK));
	assert_true(policy_get(&sc->zoo->fixed,
			       KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK));
	/* the file's own policy is the buggy kernel, for `secmmu run` */
	assert_false(
		policy_get(&sc->policy, KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK));

	zoo_explore(sc, &sc->zoo->buggy, &r);
	assert_true(r.first_violation > 0);
	assert_string_equal(r.first_kind, "stale-tlb");
	assert_non_null(strstr(r.first_report, "stale TLB entry"));
	explore_result_free(&r);

	zoo_explore(sc, &sc->zoo->fixed, &r);
	if (r.first_report)
		print_error("%s\n", r.first_report);
	assert_int_equal(r.violating, 0);
	assert_int_equal(r.executions, sc->zoo->iterations);
	explore_result_free(&r);
	scenario_free(sc);
}

/* clear_refs and soft_dirty: soft-dirty.c's simple test as a scenario */
static const char soft_dirty_ops[] =
	"name: soft-dirty\n"
	"world: {processes: [p]}\n"
	"agents:\n"
	"  - name: a\n"
	"    ops:\n"
	"      - mmap: {proc: p, len: 8192, prot: read|write, as: m}\n"
	"      - soft_dirty: {proc: p, region: m, expect: true}\n"
	"      - write: {proc: p, cpu: 0, region: m, value: 1}\n"
	"      - clear_refs: {proc: p}\n"
	"      - soft_dirty: {proc: p, region: m, expect: false}\n"
	"      - read: {proc: p, cpu: 1, region: m, expect: 1}\n"
	"      - soft_dirty: {proc: p, region: m, expect: false}\n"
	"      - write: {proc: p, cpu: 0, region: m, value: 2}\n"
	"      - soft_dirty: {proc: p, region: m, expect: true}\n"
	"      - soft_dirty: {proc: p, region: m, offset: 4096, expect: false}\n"
	"      - clear_refs: {proc: p, type: 1}\n"
	"      - clear_refs: {proc: p, type: 6, expect: EINVAL}\n"
	"      - soft_dirty: {proc: p, region: m, expect: true}\n";

static void test_soft_dirty_ops(void **state)
{
	static const char wrong[] =
		"name: x\nworld: {processes: [p]}\nagents:\n"
		"  - name: a\n    ops:\n"
		"      - mmap: {proc: p, len: 4096, prot: read|write, as: m}\n"
		"      - soft_dirty: {proc: p, region: m, expect: false}\n"
		"expect: soft-dirty\n";
	static const char bad[] =
		"name: x\nworld: {processes: [p]}\nagents:\n"
		"  - name: a\n    ops:\n"
		"      - soft_dirty: {proc: p, addr: 4096, expect: maybe}\n"
		"expect: scenario-error\n";
	struct explore_result r;

	(void)state;
	run_text(soft_dirty_ops, STRAT_RANDOM, 5, &r);
	assert_int_equal(r.violating, 0);
	assert_int_equal(r.executions, 5);
	explore_result_free(&r);
	run_text(wrong, STRAT_RANDOM, 1, &r);
	assert_string_equal(r.first_kind, "soft-dirty");
	assert_non_null(strstr(r.first_report, "(line 7) soft-dirty"));
	explore_result_free(&r);
	run_text(bad, STRAT_RANDOM, 1, &r);
	assert_string_equal(r.first_kind, "scenario-error");
	explore_result_free(&r);
}

/* the zoo entry: missed-dirty without clear_refs' flush, clean with it */
static void test_zoo_clear_refs(void **state)
{
	char path[4096], err[512];
	struct explore_result r;
	struct scenario *sc;

	(void)state;
	snprintf(path, sizeof(path), "%s/bugs/clear-refs-soft-dirty-flush.yaml",
		 scenarios_dir);
	sc = scenario_load_file(path, err, sizeof(err));
	if (!sc)
		print_error("%s\n", err);
	assert_non_null(sc);
	assert_non_null(sc->zoo);
	assert_string_equal(sc->zoo->violation, "missed-dirty");
	assert_false(policy_get(&sc->zoo->buggy, KNOB_CLEAR_REFS_FLUSH_TLB));
	assert_true(policy_get(&sc->zoo->fixed, KNOB_CLEAR_REFS_FLUSH_TLB));
	zoo_explore(sc, &sc->zoo->buggy, &r);
	assert_true(r.first_violation > 0);
	assert_string_equal(r.first_kind, "missed-dirty");
	explore_result_free(&r);
	zoo_explore(sc, &sc->zoo->fixed, &r);
	if (r.first_report)
		print_error("%s\n", r.first_report);
	assert_int_equal(r.violating, 0);
	assert_int_equal(r.executions, sc->zoo->iterations);
	explore_result_free(&r);
	scenario_free(sc);
}

static void test_zoo_errors(void **state)
{
#define HEAD "name: x\nagents: [{name: a, ops: [sched]}]\nzoo:\n"
#define FULL                                               \
	"  name: z\n  history: h\n  violation: deadlock\n" \
	"  buggy: {preset: linux-4.13}\n  fixed: {preset: linux-6.6}\n"
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ HEAD "  name: z\n", "t.yaml:4:3: 'zoo' needs 'history'" },
		{ HEAD FULL, "t.yaml:4:3: 'zoo' needs 'budget'" },
		{ HEAD FULL "  budget: {strategy: pct}\n",
		  "t.yaml:9:11: 'zoo: budget' needs 'iterations'" },
		{ HEAD FULL "  budget: {strategy: bfs, iterations: 5}\n",
		  "t.yaml:9:22: 'strategy' must be random, pct or dfs, not 'bfs'" },
		{ HEAD FULL "  budget: {iterations: 0}\n",
		  "t.yaml:9:24: 'iterations': 0 is out of range" },
		{ HEAD FULL "  budget: {iterations: 5}\n  bug: 1\n",
		  "t.yaml:10:3: unknown key 'bug' in 'zoo' (did you mean 'buggy'?)" },
		{ HEAD "  name: z\n  history: h\n  violation: stale-tbl\n"
		       "  buggy: {}\n  fixed: {}\n  budget: {iterations: 5}\n",
		  "t.yaml:6:14: 'zoo: violation': 'stale-tbl' is not a violation kind this scenario can report" },
		{ HEAD "  name: z\n  history: h\n  violation: deadlock\n"
		       "  buggy: {preset: linux-0}\n  fixed: {}\n"
		       "  budget: {iterations: 5}\n",
		  "t.yaml:7:19: unknown policy preset 'linux-0'" },
		{ HEAD "  name: z\n  history: h\n  violation: deadlock\n"
		       "  buggy: {set: {mremap.flush: false}}\n  fixed: {}\n"
		       "  budget: {iterations: 5}\n",
		  "t.yaml:7:17: unknown policy knob 'mremap.flush'" },
		{ HEAD "  name: z\n  history: h\n  violation: deadlock\n"
		       "  buggy: 1\n  fixed: {}\n  budget: {iterations: 5}\n",
		  "t.yaml:7:10: 'zoo: buggy' must be a map, found a scalar" },
	};
	char err[512];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct scenario *sc = load(cases[i].text, err, sizeof(err));

		if (sc || strncmp(err, cases[i].msg, strlen(cases[i].msg)))
			print_error("case %u: got '%s'\n", i, sc ? "" : err);
		assert_null(sc);
		assert_int_equal(
			strncmp(err, cases[i].msg, strlen(cases[i].msg)), 0);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_ops_clean),
		cmocka_unit_test(test_op_reports),
		cmocka_unit_test(test_world_errors),
		cmocka_unit_test(test_zoo_entry),
		cmocka_unit_test(test_zoo_errors),
		cmocka_unit_test(test_soft_dirty_ops),
		cmocka_unit_test(test_zoo_clear_refs),
	};

	if (argc > 1)
		scenarios_dir = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}

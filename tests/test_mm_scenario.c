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

/* explore scenario @text; @bound: dfs preemption bound, -1 = none */
static void run_text_bound(const char *text, enum strategy s,
			   unsigned long iters, int bound,
			   struct explore_result *r)
{
	struct explore_opts o = { .strategy = s,
				  .seed = 1,
				  .iterations = iters,
				  .bound = bound,
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

static void run_text(const char *text, enum strategy s, unsigned long iters,
		     struct explore_result *r)
{
	run_text_bound(text, s, iters, -1, r);
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

/* the first error of each text, as "t.yaml:LINE:COL: ..." (a prefix) */
struct err_case {
	const char *text, *msg;
};

static void check_errors(const struct err_case *cases, unsigned nr)
{
	char err[512];
	unsigned i, bad = 0;

	for (i = 0; i < nr; i++) {
		struct scenario *sc = load(cases[i].text, err, sizeof(err));

		if (sc || strncmp(err, cases[i].msg, strlen(cases[i].msg))) {
			print_error("case %u: got '%s'\n", i, sc ? "" : err);
			bad++;
		}
		scenario_free(sc);
	}
	assert_int_equal(bad, 0);
}

/* run @text once (dfs bound 0: the agents in order) */
static void run_once(const char *text, struct explore_result *r)
{
	run_text(text, STRAT_RANDOM, 1, r);
}

/* ---- migration and KSM ops, mm final values ---- */

static const char migrate_ksm[] =
	"name: migrate-ksm\n"
	"world: {cpus: 2, memory: {frames: 256}, processes: [p]}\n"
	"agents:\n"
	"  - name: a\n"
	"    ops:\n"
	"      - mmap: {proc: p, len: 12288, prot: read|write, as: m}\n"
	"      - write: {proc: p, cpu: 0, region: m, value: 42}\n"
	"      - write: {proc: p, cpu: 1, region: m, offset: 4096, value: 42}\n"
	"      - write: {proc: p, cpu: 0, region: m, offset: 8200, value: 5}\n"
	"      - migrate: {proc: p, region: m, offset: 8192, expect: ok}\n"
	"      - read: {proc: p, cpu: 0, region: m, offset: 8200, expect: 5}\n"
	"      - migrate: {proc: p, addr: 0x7000000, expect: ENOENT}\n"
	"      - ksm_merge: {proc: p, region: m, expect: EINVAL}\n"
	"      - madvise: {proc: p, region: m, advice: mergeable}\n"
	"      - ksm_merge: {proc: p, region: m}\n"
	"      - read: {proc: p, cpu: 1, region: m, offset: 4096, expect: 42}\n"
	"      - write: {proc: p, cpu: 1, region: m, offset: 4096, value: 7}\n"
	"      - read: {proc: p, cpu: 0, region: m, expect: 42}\n"
	"final:\n"
	"  - word p m == 42\n"
	"  - word p m+4096 == 7\n"
	"  - word p m+8200 == 5\n"
	"  - present p m+8192 == 1\n"
	"  - present p 0x7000000 == 0\n"
	"  - word p 0x7000000 == -1\n"
	"  - rss p == 3\n"
	"  - frames_in_use > 3\n";

static void test_migrate_ksm_ops(void **state)
{
	static const char migrate_bad_errno[] =
		"name: x\nworld: {processes: [p]}\nagents:\n"
		"  - name: a\n    ops:\n"
		"      - migrate: {proc: p, addr: 0x7000000}\n"
		"expect: unexpected-errno\n";
	static const struct err_case errors[] = {
		{ "name: x\nworld: {processes: [p]}\nagents:\n"
		  "  - name: a\n    ops: [{migrate: {region: m}}]\n",
		  "t.yaml:5:12: 'migrate' needs 'proc'" },
		{ "name: x\nworld: {processes: [p]}\nagents:\n"
		  "  - name: a\n    ops: [{ksm_merge: {proc: p, adr: 1}}]\n",
		  "t.yaml:5:33: unknown key 'adr' in 'ksm_merge' (did you mean 'addr'?)" },
		{ "name: x\nworld: {processes: [p]}\nagents:\n"
		  "  - name: a\n    ops: [{ksm_merge: {proc: p, offset2: -1}}]\n",
		  "t.yaml:5:42: 'ksm_merge' parameter 'offset2': -1 is out of range" },
	};
	struct explore_result r;

	(void)state;
	run_text(migrate_ksm, STRAT_RANDOM, 20, &r);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);
	run_once(migrate_bad_errno, &r);
	assert_string_equal(r.first_kind, "syscall-failed");
	assert_non_null(
		strstr(r.first_report, "migrate (line 6) failed with -2"));
	explore_result_free(&r);
	check_errors(errors, ARRAY_SIZE(errors));
}

/* a false mm final check is a violation; bad ones are load errors */
static void test_mm_final_values(void **state)
{
	static const char wrong[] =
		"name: x\nworld: {processes: [p]}\nagents:\n"
		"  - name: a\n    ops:\n"
		"      - mmap: {proc: p, len: 4096, prot: read|write, as: m}\n"
		"      - write: {proc: p, region: m, value: 3}\n"
		"final:\n"
		"  - {check: word p m == 4, violation: value}\n"
		"  - rss p == 0\n"
		"  - word p nosuch == 0\n"
		"expect: value\n";
	static const struct err_case errors[] = {
		{ "name: x\nworld: {processes: [p]}\nagents: [{name: a, ops: [sched]}]\n"
		  "final: [word p == 1]\n",
		  "t.yaml:4:9: a final check is 'word NAME OP NUMBER'" },
		{ "name: x\nworld: {processes: [p]}\nagents: [{name: a, ops: [sched]}]\n"
		  "final: [rss q == 1]\n",
		  "t.yaml:4:13: 'q' is not defined in 'world'" },
		{ "name: x\nworld: {processes: [p], counters: [c]}\n"
		  "agents: [{name: a, ops: [sched]}]\nfinal: [present c 0 == 1]\n",
		  "t.yaml:4:17: 'c' is a counter; 'present' needs a process" },
		{ "name: x\nworld: {processes: [p]}\nagents: [{name: a, ops: [sched]}]\n"
		  "final: [frames_in_use p == 1]\n",
		  "t.yaml:4:9: a final check is 'frames_in_use OP NUMBER'" },
	};
	struct explore_result r;

	(void)state;
	run_once(wrong, &r);
	assert_string_equal(r.first_kind, "value");
	assert_non_null(strstr(
		r.first_report,
		"final check 'word p m == 4' (line 9) failed: the value is 3"));
	assert_non_null(strstr(
		r.first_report,
		"final check 'rss p == 0' (line 10) failed: the value is 1"));
	assert_non_null(strstr(r.first_report, "'nosuch' is not an address"));
	explore_result_free(&r);
	check_errors(errors, ARRAY_SIZE(errors));
}

/* ---- the mirror device (src/scenario/mirror_ops.c) ---- */

static const char mirror_ops[] =
	"name: mirror-ops\n"
	"world:\n"
	"  memory: {frames: 256}\n"
	"  mirrors: {dev: {proc: p, addr: 0x20000000, pages: 2}}\n"
	"  processes: [p]\n"
	"agents:\n"
	"  - name: a\n"
	"    ops:\n"
	"      - mirror_read: {mirror: dev, expect: EFAULT}\n"
	"      - mmap: {proc: p, addr: 0x20000000, len: 8192, prot: read|write,\n"
	"               flags: private|anonymous|fixed, as: buf}\n"
	"      - write: {proc: p, cpu: 0, region: buf, value: 7}\n"
	"      - mirror_read: {mirror: dev, expect: 7}\n"
	"      - mirror_write: {mirror: dev, region: buf, offset: 8, value: 9,\n"
	"                       expect: ok}\n"
	"      - read: {proc: p, cpu: 1, region: buf, offset: 8, expect: 9}\n"
	"      - mirror_fault: {mirror: dev, region: buf, pages: 2, write: true}\n"
	"      - mirror_read: {mirror: dev, addr: 0x30000000, expect: -EFAULT}\n"
	"      - mprotect: {proc: p, region: buf, offset: 4096, prot: read}\n"
	"      - mirror_write: {mirror: dev, addr: 0x20001000, value: 1,\n"
	"                       expect: EPERM}\n"
	"      - mirror_read: {mirror: dev, addr: 0x20001000, expect: 0}\n"
	"final:\n"
	"  - mirror_valid dev == 2\n"
	"  - word p buf+8 == 9\n";

static void test_mirror_ops(void **state)
{
	static const char wrong[] =
		"name: x\n"
		"world: {processes: [p], mirrors: {d: {proc: p, addr: 4096}}}\n"
		"agents:\n  - name: a\n    ops:\n"
		"      - mirror_write: {mirror: d, value: 1, expect: ok}\n"
		"expect: value\n";
	static const char unmapped_region[] =
		"name: x\n"
		"world: {processes: [p], mirrors: {d: {proc: p, addr: 4096}}}\n"
		"agents:\n  - name: a\n    ops:\n"
		"      - mirror_read: {mirror: d, region: r}\n"
		"expect: scenario-error\n";
	static const struct err_case errors[] = {
		{ "name: x\nworld: {mirrors: {d: {proc: q, addr: 0}}}\n"
		  "agents: [{name: a, ops: [sched]}]\n",
		  "t.yaml:2:29: 'q' is not defined in 'world'" },
		{ "name: x\nworld: {counters: [q], mirrors: {d: {proc: q, addr: 0}}}\n"
		  "agents: [{name: a, ops: [sched]}]\n",
		  "t.yaml:2:44: 'q' is a counter; 'mirror' needs a process" },
		{ "name: x\nworld: {processes: [p], mirrors: {d: {proc: p, addr: 12}}}\n"
		  "agents: [{name: a, ops: [sched]}]\n",
		  "t.yaml:2:54: 'addr': 0xc is not page-aligned (4096)" },
		{ "name: x\nworld: {processes: [p], mirrors: {d: {proc: p, addr: 0, pages: 17}}}\n"
		  "agents: [{name: a, ops: [sched]}]\n",
		  "t.yaml:2:64: 'pages': 17 is out of range [1, 16]" },
		{ "name: x\nworld: {processes: [p], mirrors: {d: {addr: 0}}}\n"
		  "agents: [{name: a, ops: [sched]}]\n",
		  "t.yaml:2:38: a mirror needs 'proc'" },
		{ "name: x\nworld: {processes: [p], mirrors: {d: {proc: p, size: 1}}}\n"
		  "agents: [{name: a, ops: [sched]}]\n",
		  "t.yaml:2:48: unknown key 'size' in a mirror (proc, addr, pages)" },
		{ "name: x\nworld: {processes: [p], mirrors: [d]}\n"
		  "agents: [{name: a, ops: [sched]}]\n",
		  "t.yaml:2:35: a mirror needs settings {proc, addr, pages}" },
		{ "name: x\nworld: {processes: [p], mirrors: {d: {proc: p, addr: 0}}}\n"
		  "agents: [{name: a, ops: [{mirror_read: p}]}]\n",
		  "t.yaml:3:40: 'p' is a process; 'mirror_read' needs a mirror" },
		{ "name: x\nworld: {processes: [p], mirrors: {d: {proc: p, addr: 0}}}\n"
		  "agents: [{name: a, ops: [{mirror_read: {mirror: d, expect: EFOO}}]}]\n",
		  "t.yaml:3:60: 'mirror_read' parameter 'expect': 'EFOO' is not any, ok, a value or one of EFAULT" },
		{ "name: x\nworld: {processes: [p], mirrors: {d: {proc: p, addr: 0}}}\n"
		  "agents: [{name: a, ops: [{mirror_write: {mirror: d, value: 1, expect: 3}}]}]\n",
		  "t.yaml:3:71: 'mirror_write' parameter 'expect': '3' is not any, ok, or one of" },
		{ "name: x\nworld: {processes: [p], mirrors: {d: {proc: p, addr: 0}}}\n"
		  "agents: [{name: a, ops: [{mirror_write: {mirror: d}}]}]\n",
		  "t.yaml:3:27: 'mirror_write' needs 'value'" },
		{ "name: x\nworld: {processes: [p], mirrors: {d: {proc: p, addr: 0}}}\n"
		  "agents: [{name: a, ops: [{mirror_read: {mirror: d, addr: 8, region: r}}]}]\n",
		  "t.yaml:3:69: 'mirror_read' takes 'addr' or 'region', not both" },
		{ "name: x\nworld: {processes: [p], mirrors: {d: {proc: p, addr: 0}}}\n"
		  "agents: [{name: a, ops: [{mirror_read: {mirror: d, addr: 4}}]}]\n",
		  "t.yaml:3:58: 'addr': 0x4 is not 8-byte aligned" },
		{ "name: x\nworld: {processes: [p], mirrors: {d: {proc: p, addr: 0}}}\n"
		  "agents: [{name: a, ops: [{mirror_fault: {mirror: d, pages: 0}}]}]\n",
		  "t.yaml:3:60: 'mirror_fault' parameter 'pages': 0 is out of range [1, 16]" },
	};
	struct explore_result r;

	(void)state;
	run_text(mirror_ops, STRAT_RANDOM, 20, &r);
	assert_int_equal(r.violating, 0);
	assert_int_equal(r.executions, 20);
	explore_result_free(&r);
	run_once(wrong, &r);
	assert_string_equal(r.first_kind, "value");
	assert_non_null(strstr(
		r.first_report,
		"mirror_write of va 0x1000 (line 6) returned -14, expected ok"));
	explore_result_free(&r);
	run_once(unmapped_region, &r);
	assert_string_equal(r.first_kind, "scenario-error");
	assert_non_null(
		strstr(r.first_report, "line 6: no region was mapped as 'r'"));
	explore_result_free(&r);
	check_errors(errors, ARRAY_SIZE(errors));
}

/*
 * mprotect splits a shared file mapping while truncate walks i_mmap for
 * the second page: split_vma changes the VMA and links the new half
 * inside one i_mmap_rwsem write section (vma_prepare/vma_complete), so
 * the walk sees the whole VMA or both halves.  Before that, a walk
 * between the shrink and the link missed the second page and left it
 * mapped (truncated-page-mapped, execution 1200 of DFS bound 2).
 */
static void test_split_vs_truncate(void **state)
{
	static const char text[] =
		"name: split-vs-truncate\n"
		"world: {processes: [p], files: [{name: f, size: 8192}]}\n"
		"agents:\n"
		"  - name: splitter\n"
		"    ops:\n"
		"      - mmap: {proc: p, addr: 0x20000000, len: 8192, prot: read|write, flags: shared|fixed, file: f}\n"
		"      - write: {proc: p, cpu: 0, addr: 0x20000000, value: 1}\n"
		"      - write: {proc: p, cpu: 0, addr: 0x20001000, value: 2}\n"
		"      - mprotect: {proc: p, addr: 0x20001000, len: 4096, prot: read}\n"
		"  - name: truncater\n"
		"    ops:\n"
		"      - truncate: {file: f, size: 0}\n"
		"expect: clean\n";
	struct explore_result r;

	(void)state;
	run_text_bound(text, STRAT_DFS, 0, 2, &r);
	if (r.first_report)
		print_error("%s\n", r.first_report);
	assert_int_equal(r.violating, 0);
	assert_true(r.exhausted);
	assert_true(r.executions > 1000);
	explore_result_free(&r);
}

/* SVA DMA at a region of the mm subsystem (+ offset), and its errors */
static void test_sva_region_ops(void **state)
{
	static const char ok[] =
		"name: x\n"
		"world: {processes: [p], devices: {gpu: {}}}\n"
		"agents:\n  - name: a\n    ops:\n"
		"      - mmap: {proc: p, len: 8192, prot: read|write, as: buf}\n"
		"      - sva_bind: {device: gpu, proc: p}\n"
		"      - dma_write: {device: gpu, region: buf, offset: 4104, value: 6, expect: ok}\n"
		"      - read: {proc: p, cpu: 0, region: buf, offset: 4104, expect: 6}\n"
		"      - write: {proc: p, cpu: 0, region: buf, value: 3}\n"
		"      - dma_read: {device: gpu, region: buf, expect: 3}\n"
		"      - munmap: {proc: p, region: buf}\n"
		"      - dma_read: {device: gpu, region: buf, expect: fault}\n"
		"expect: clean\n";
	static const char wrong_value[] =
		"name: x\n"
		"world: {processes: [p], devices: {gpu: {}}}\n"
		"agents:\n  - name: a\n    ops:\n"
		"      - mmap: {proc: p, len: 8192, prot: read|write, as: buf}\n"
		"      - sva_bind: {device: gpu, proc: p}\n"
		"      - write: {proc: p, cpu: 0, region: buf, offset: 4096, value: 3}\n"
		"      - dma_read: {device: gpu, region: buf, expect: 3}\n"
		"expect: value\n";
	static const char unmapped_region[] =
		"name: x\n"
		"world: {processes: [p], devices: {gpu: {}}}\n"
		"agents:\n  - name: a\n    ops:\n"
		"      - sva_bind: {device: gpu, proc: p}\n"
		"      - dma_read: {device: gpu, region: nothere}\n"
		"expect: scenario-error\n";
	static const struct err_case errors[] = {
		{ "name: x\nworld: {processes: [p], devices: {gpu: {}}}\n"
		  "agents: [{name: a, ops: [{dma_read: {device: gpu, addr: 8, region: r}}]}]\n",
		  "t.yaml:3:68: 'dma_read' takes 'addr' or 'region', not both" },
		{ "name: x\nworld: {processes: [p], devices: {gpu: {}}}\n"
		  "agents: [{name: a, ops: [{dma_write: {device: gpu, value: 1}}]}]\n",
		  "t.yaml:3:27: 'dma_write' needs 'addr' or 'region'" },
		{ "name: x\nworld: {processes: [p], devices: {gpu: {}}}\n"
		  "agents: [{name: a, ops: [{dma_read: {device: gpu, addr: 8, offset: 8}}]}]\n",
		  "t.yaml:3:68: 'offset' needs 'region'" },
	};
	struct explore_result r;

	(void)state;
	run_text(ok, STRAT_RANDOM, 20, &r);
	if (r.first_report)
		fprintf(stderr, "%s\n", r.first_report);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);
	run_once(wrong_value, &r);
	assert_string_equal(r.first_kind, "value");
	explore_result_free(&r);
	run_once(unmapped_region, &r);
	assert_string_equal(r.first_kind, "scenario-error");
	assert_non_null(strstr(r.first_report, "no region was mapped as"));
	assert_non_null(strstr(r.first_report, "nothere"));
	explore_result_free(&r);
	check_errors(errors, ARRAY_SIZE(errors));
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
		cmocka_unit_test(test_migrate_ksm_ops),
		cmocka_unit_test(test_mm_final_values),
		cmocka_unit_test(test_mirror_ops),
		cmocka_unit_test(test_sva_region_ops),
		cmocka_unit_test(test_split_vs_truncate),
		cmocka_unit_test(test_zoo_entry),
		cmocka_unit_test(test_zoo_errors),
		cmocka_unit_test(test_soft_dirty_ops),
		cmocka_unit_test(test_zoo_clear_refs),
	};

	if (argc > 1)
		scenarios_dir = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}

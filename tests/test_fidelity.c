// SPDX-License-Identifier: MIT
/*
 * Fidelity of the pre-6.6 presets and of the historical knobs (issue 13,
 * part 1): each test runs a shipped scenario under the policy of the
 * kernel version it is about and asserts the verdict that version has.
 *
 *  - pre-6.6 secondary-TLB notifications under the page-table lock:
 *    tlb_flush_mmu_tlbonly()'s mmu_notifier_invalidate_range() (a munmap
 *    of more than one mmu_gather batch) and wp_page_copy()'s
 *    ptep_clear_flush_notify() (a COW break): clean under linux-6.1,
 *    found with notifier.secondary_tlb_flush=none.
 *
 * `test_fidelity SCENARIOS_DIR` (suite unit).
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
#include "core/world.h"
#include "engine/engine.h"
#include "scenario/scenario.h"

static const char *scenarios_dir = "scenarios";

/*
 * Explore @file (relative to the scenarios directory) with PCT under
 * @preset (NULL: the file's policy), then knob @knob=@value if given.
 * Returns the number of violating executions; @kind gets the first kind.
 */
static unsigned long explore_file(const char *file, const char *preset,
				  const char *knob, const char *value,
				  unsigned long iters, char *kind)
{
	struct explore_opts o = { .strategy = STRAT_PCT,
				  .depth = 3,
				  .iterations = iters,
				  .stop_on_violation = true,
				  .progress_fd = -1 };
	struct explore_result r;
	struct scenario *sc;
	char path[512], err[256];
	unsigned long n;

	snprintf(path, sizeof(path), "%s/%s", scenarios_dir, file);
	sc = scenario_load_file(path, err, sizeof(err));
	if (!sc)
		fprintf(stderr, "%s\n", err);
	assert_non_null(sc);
	if (preset)
		assert_int_equal(policy_apply_preset(&sc->policy, preset, err,
						     sizeof(err)),
				 0);
	if (knob)
		assert_int_equal(policy_set(&sc->policy, knob, value, err,
					    sizeof(err)),
				 0);
	assert_int_equal(explore(scenario_model(sc), &o, &r), 0);
	n = r.violating;
	strcpy(kind, r.first_kind);
	explore_result_free(&r);
	scenario_free(sc);
	return n;
}

/* 6.1 told the secondary TLBs from tlb_flush_mmu_tlbonly() */
static void test_pre66_gather_batch_notifies(void **state)
{
	char kind[40];

	(void)state;
	assert_int_equal(explore_file("models/sva-munmap-batches.yaml",
				      "linux-6.1", NULL, NULL, 1000, kind),
			 0);
	assert_int_equal(explore_file("models/sva-munmap-batches.yaml",
				      "linux-4.13", NULL, NULL, 300, kind),
			 0);
	assert_true(explore_file("models/sva-munmap-batches.yaml", "linux-6.1",
				 "notifier.secondary_tlb_flush", "none", 300,
				 kind) > 0);
	assert_string_equal(kind, "stale-atc");
}

/* 6.1's wp_page_copy() used ptep_clear_flush_notify() */
static void test_pre66_cow_break_notifies(void **state)
{
	char kind[40];

	(void)state;
	assert_int_equal(explore_file("models/sva-cow-break.yaml", "linux-6.1",
				      NULL, NULL, 2000, kind),
			 0);
	assert_true(explore_file("models/sva-cow-break.yaml", "linux-6.1",
				 "notifier.secondary_tlb_flush", "none", 500,
				 kind) > 0);
	/* the stale read, or the write it hides, whichever comes first */
	assert_true(!strcmp(kind, "value") || !strcmp(kind, "lost-write"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pre66_gather_batch_notifies),
		cmocka_unit_test(test_pre66_cow_break_notifies),
	};

	if (argc > 1)
		scenarios_dir = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}

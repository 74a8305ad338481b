// SPDX-License-Identifier: MIT
/*
 * Policy tests (cmocka, suite `unit`): the knob table is well formed,
 * presets set exactly their values, policy_set parses and rejects with
 * the exact messages, and worlds get their policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/policy.h"
#include "core/suggest.h"
#include "core/world.h"

static void test_knob_table(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < NR_KNOBS; i++) {
		assert_non_null(knobs[i].name);
		assert_non_null(strchr(knobs[i].name, '.'));
		assert_true(strlen(knobs[i].meaning) > 20);
		assert_true(strlen(knobs[i].history) > 20);
		assert_int_equal(policy_knob_find(knobs[i].name), i);
		if (knobs[i].type == KNOB_ENUM) {
			for (j = 0; knobs[i].values[j]; j++)
				;
			assert_true(knobs[i].def < (unsigned)j);
		}
		if (knobs[i].type == KNOB_BOOL)
			assert_true(knobs[i].def <= 1);
	}
	assert_int_equal(policy_knob_find("nosuch.knob"), -1);
}

static void test_defaults(void **state)
{
	struct policy p;

	(void)state;
	policy_init_default(&p);
	assert_true(policy_get(&p, KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK));
	assert_true(policy_get(&p, KNOB_RMAP_BATCHED_FLUSH_PENDING));
	assert_int_equal(policy_get(&p, KNOB_NOTIFIER_SECONDARY_TLB_FLUSH),
			 SECONDARY_TLB_FLUSH_WITH_TLB_FLUSH);
	assert_null(p.preset);
	assert_int_equal(p.set_mask, 0);
}

struct preset_want {
	const char *name;
	unsigned mremap, batched, secondary;
};

static void test_presets(void **state)
{
	static const struct preset_want want[] = {
		{ "default", 1, 1, SECONDARY_TLB_FLUSH_WITH_TLB_FLUSH },
		{ "linux-6.6", 1, 1, SECONDARY_TLB_FLUSH_WITH_TLB_FLUSH },
		{ "linux-6.1", 1, 1, SECONDARY_TLB_FLUSH_IN_RANGE_END },
		{ "linux-4.13", 0, 1, SECONDARY_TLB_FLUSH_IN_RANGE_END },
		{ "linux-4.12", 0, 0, SECONDARY_TLB_FLUSH_IN_RANGE_END },
		{ "linux-4.10", 0, 0, SECONDARY_TLB_FLUSH_IN_RANGE_END },
	};
	struct policy p;
	char err[256];
	unsigned i;

	(void)state;
	assert_int_equal(nr_policy_presets, 6);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		/* start dirty: a preset resets every knob first */
		policy_init_default(&p);
		p.v[KNOB_RMAP_BATCHED_FLUSH_PENDING] = 0;
		p.v[KNOB_NOTIFIER_SECONDARY_TLB_FLUSH] = SECONDARY_TLB_FLUSH_NONE;
		assert_int_equal(policy_apply_preset(&p, want[i].name, err,
						     sizeof(err)), 0);
		assert_string_equal(p.preset, want[i].name);
		assert_int_equal(policy_get(&p, KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK),
				 want[i].mremap);
		assert_int_equal(policy_get(&p, KNOB_RMAP_BATCHED_FLUSH_PENDING),
				 want[i].batched);
		assert_int_equal(policy_get(&p, KNOB_NOTIFIER_SECONDARY_TLB_FLUSH),
				 want[i].secondary);
		/* 4.11 (c7ab0d2fdc84) notified under the PT lock already */
		assert_int_equal(
			policy_get(&p, KNOB_RMAP_SECONDARY_FLUSH_UNDER_PTL),
			strcmp(want[i].name, "linux-4.10") != 0);
		/* the counters came in 5.17 (5ee2fa2f0636) */
		assert_int_equal(policy_get(&p, KNOB_RMAP_TLB_FLUSH_BATCHED),
				 !strncmp(want[i].name, "linux-4.", 8) ?
					 TLB_FLUSH_BATCHED_BOOL :
					 TLB_FLUSH_BATCHED_COUNTERS);
	}
	assert_int_equal(policy_apply_preset(&p, "linux-2.6", err, sizeof(err)),
			 -22);
	assert_string_equal(err,
			    "unknown policy preset 'linux-2.6' (known: default, linux-6.6, linux-6.1, linux-4.13, linux-4.12, linux-4.10)");
}

static void test_set(void **state)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	struct policy p;
	char err[256];
	unsigned i;

	(void)state;
	policy_init_default(&p);
	for (i = 0; i < 4; i++) {
		assert_int_equal(policy_set(&p, "mremap.flush_before_ptl_unlock",
					    no[i], err, sizeof(err)), 0);
		assert_false(policy_get(&p, KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK));
		assert_int_equal(policy_set(&p, "mremap.flush_before_ptl_unlock",
					    yes[i], err, sizeof(err)), 0);
		assert_true(policy_get(&p, KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK));
	}
	assert_int_equal(p.set_mask, 1ULL << KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK);
	assert_int_equal(policy_set(&p, "notifier.secondary_tlb_flush", "none",
				    err, sizeof(err)), 0);
	assert_int_equal(policy_get(&p, KNOB_NOTIFIER_SECONDARY_TLB_FLUSH),
			 SECONDARY_TLB_FLUSH_NONE);
}

struct set_error {
	const char *knob, *value, *msg;
};

static void test_set_errors(void **state)
{
	static const struct set_error cases[] = {
		{ "mremap.flush", "false",
		  "unknown policy knob 'mremap.flush' (did you mean 'mremap.flush_before_ptl_unlock'?)" },
		{ "rmap.batched_flush_pendign", "false",
		  "unknown policy knob 'rmap.batched_flush_pendign' (did you mean 'rmap.batched_flush_pending'?)" },
		{ "frobnicate", "1", "unknown policy knob 'frobnicate'" },
		{ "mremap.flush_before_ptl_unlock", "maybe",
		  "mremap.flush_before_ptl_unlock: 'maybe' is not a boolean (true or false)" },
		{ "mremap.flush_before_ptl_unlock", "",
		  "mremap.flush_before_ptl_unlock: '' is not a boolean (true or false)" },
		{ "notifier.secondary_tlb_flush", "sometimes",
		  "notifier.secondary_tlb_flush: 'sometimes' is not one of with_tlb_flush, in_range_end, none" },
	};
	struct policy p, before;
	char err[256];
	unsigned i;

	(void)state;
	policy_init_default(&p);
	before = p;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(policy_set(&p, cases[i].knob, cases[i].value,
					    err, sizeof(err)), -22);
		assert_string_equal(err, cases[i].msg);
	}
	assert_memory_equal(&p, &before, sizeof(p)); /* nothing changed */
}

static void test_value_str(void **state)
{
	struct policy p;
	char buf[32], err[64];

	(void)state;
	policy_apply_preset(&p, "linux-4.13", err, sizeof(err));
	assert_string_equal(policy_value_str(&p, KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK,
					     buf, sizeof(buf)), "false");
	assert_string_equal(policy_value_str(&p, KNOB_NOTIFIER_SECONDARY_TLB_FLUSH,
					     buf, sizeof(buf)), "in_range_end");
}

static void test_world_policy(void **state)
{
	struct world_opts o = { .engine = ENGINE_DET };
	struct policy p;
	struct world *w;
	char err[64];

	(void)state;
	w = world_create(&o);
	assert_non_null(w);
	assert_true(policy_bool(w, KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK));
	assert_int_equal(policy_enum(w, KNOB_NOTIFIER_SECONDARY_TLB_FLUSH),
			 SECONDARY_TLB_FLUSH_WITH_TLB_FLUSH);
	world_destroy(w);

	policy_apply_preset(&p, "linux-4.12", err, sizeof(err));
	o.policy = &p;
	w = world_create(&o);
	memset(&p, 0xff, sizeof(p)); /* the world holds a copy */
	assert_false(policy_bool(w, KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK));
	assert_false(policy_bool(w, KNOB_RMAP_BATCHED_FLUSH_PENDING));
	world_reset(w); /* kept across executions */
	assert_false(policy_bool(w, KNOB_RMAP_BATCHED_FLUSH_PENDING));
	assert_int_equal(policy_uint(w, KNOB_NOTIFIER_SECONDARY_TLB_FLUSH),
			 SECONDARY_TLB_FLUSH_IN_RANGE_END);
	world_destroy(w);
}

static void test_suggest(void **state)
{
	static const char *const names[] = { "lock", "unlock", "loop", NULL };
	char buf[128];

	(void)state;
	assert_int_equal(edit_distance("lokc", "lock"), 1);
	assert_int_equal(edit_distance("", "abc"), 3);
	assert_int_equal(edit_distance("kitten", "sitting"), 3);
	strcpy(buf, "x");
	suggest_close(buf, sizeof(buf), "lokc", names, -1);
	assert_string_equal(buf, "x (did you mean 'lock'?)");
	strcpy(buf, "x");
	suggest_close(buf, sizeof(buf), "zzzzzz", names, -1);
	assert_string_equal(buf, "x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_knob_table),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_presets),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_set_errors),
		cmocka_unit_test(test_value_str),
		cmocka_unit_test(test_world_policy),
		cmocka_unit_test(test_suggest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

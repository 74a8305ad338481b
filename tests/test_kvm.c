// SPDX-License-Identifier: MIT
/*
 * KVM (src/kvm) through scenario files: memslot errnos, guest accesses
 * agreeing with the process's memory, MMIO exits, dirty logging, the
 * kvm-mmu-invalidate-retry zoo entry (found when buggy, clean when
 * fixed), the NX recovery forward-progress model under the write lock
 * (exhaustive DFS; bound 1 here, bound 2 in the long suite), and bad
 * input.  Argument: the scenarios directory; "long" as a second
 * argument runs the bound-2 exploration only.
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
#include "kvm/kvm_host.h"
#include "mm/tlb.h"
#include "scenario/scenario.h"

#include "explore_helpers.h"

static const char *scenarios_dir = "scenarios";

static struct scenario *load_str(const char *text)
{
	char err[512];
	struct scenario *sc = scenario_load_buffer(
		"test.yaml", text, strlen(text), err, sizeof(err));

	if (!sc)
		fprintf(stderr, "%s\n", err);
	assert_non_null(sc);
	return sc;
}

static struct scenario *load_file(const char *rel)
{
	char path[4096], err[512];
	struct scenario *sc;

	snprintf(path, sizeof(path), "%s/%s", scenarios_dir, rel);
	sc = scenario_load_file(path, err, sizeof(err));
	if (!sc)
		fprintf(stderr, "%s\n", err);
	assert_non_null(sc);
	return sc;
}

/* run @sc once per schedule of a short random search; expect clean */
static void expect_clean(struct scenario *sc, unsigned long iters)
{
	explore_expect_clean(scenario_model(sc), STRAT_RANDOM, iters, -1,
			     XCLEAN_ALL_RUNS);
}

#define WORLD                                                              \
	"world:\n"                                                         \
	"  cpus: 1\n"                                                      \
	"  memory: {frames: 256}\n"                                        \
	"  processes: [p]\n"                                               \
	"  vms: {vm: {proc: p, vcpus: 2, slots: [{slot: 0, gpa: 0, size: " \
	"0x4000, addr: 0x40000000}]}}\n"
#define MAP                                                             \
	"      - mmap: {proc: p, addr: 0x40000000, len: 0x4000, prot: " \
	"read|write, flags: private|anonymous|fixed, as: ram}\n"

/* KVM_SET_USER_MEMORY_REGION: Linux's errnos, deletion, re-creation */
static void test_memslot_errnos(void **state)
{
	static const char text[] =
		"name: memslots\n" WORLD "agents:\n"
		"  - name: a\n"
		"    ops:\n" MAP
		"      - kvm_set_memslot: {vm: vm, slot: 1, gpa: 0x2000, size: 0x1000, addr: 0x50000000, expect: EEXIST}\n"
		"      - kvm_set_memslot: {vm: vm, slot: 1, gpa: 0x10001, size: 0x1000, addr: 0x50000000, expect: EINVAL}\n"
		"      - kvm_set_memslot: {vm: vm, slot: 1, gpa: 0x10000, size: 0x1001, addr: 0x50000000, expect: EINVAL}\n"
		"      - kvm_set_memslot: {vm: vm, slot: 1, gpa: 0x10000, size: 0x1000, addr: 0x50000800, expect: EINVAL}\n"
		"      - kvm_set_memslot: {vm: vm, slot: 8, gpa: 0x10000, size: 0x1000, addr: 0x50000000, expect: EINVAL}\n"
		"      - kvm_set_memslot: {vm: vm, slot: 2, size: 0, expect: EINVAL}\n"
		"      - kvm_set_memslot: {vm: vm, slot: 0, gpa: 0x1000, size: 0x4000, addr: 0x40000000, expect: EINVAL}\n"
		"      - write: {proc: p, cpu: 0, region: ram, value: 5}\n"
		"      - guest_read: {vm: vm, gpa: 0, expect: 5}\n"
		"      - kvm_set_memslot: {vm: vm, slot: 0, size: 0, expect: ok}\n"
		"      - guest_read: {vm: vm, gpa: 0, expect: MMIO}\n"
		"      - kvm_set_memslot: {vm: vm, slot: 3, gpa: 0x8000, size: 0x4000, addr: 0x40000000, flags: readonly, expect: ok}\n"
		"      - guest_read: {vm: vm, gpa: 0x8000, expect: 5}\n"
		"      - guest_write: {vm: vm, gpa: 0x8000, value: 1, expect: MMIO}\n"
		"final:\n"
		"  - kvm_sptes vm == 1\n";
	struct scenario *sc = load_str(text);

	(void)state;
	expect_clean(sc, 20);
	scenario_free(sc);
}

/* guest and process see the same memory; DONTNEED reaches the guest */
static void test_guest_access(void **state)
{
	static const char text[] =
		"name: access\n" WORLD "agents:\n"
		"  - name: a\n"
		"    ops:\n" MAP
		"      - write: {proc: p, cpu: 0, region: ram, value: 7}\n"
		"      - guest_read: {vm: vm, vcpu: 0, gpa: 0, expect: 7}\n"
		"      - guest_write: {vm: vm, vcpu: 1, gpa: 0x1008, value: 9}\n"
		"      - read: {proc: p, cpu: 0, region: ram, offset: 0x1008, expect: 9}\n"
		"      - guest_read: {vm: vm, vcpu: 0, gpa: 0x1008, expect: 9}\n"
		"      - madvise: {proc: p, region: ram, len: 0x4000, advice: dontneed}\n"
		"      - guest_read: {vm: vm, vcpu: 1, gpa: 0x1008, expect: 0}\n"
		"      - guest_read: {vm: vm, vcpu: 0, gpa: 0x100000, expect: MMIO}\n"
		"      - munmap: {proc: p, region: ram, len: 0x4000}\n"
		"      - guest_read: {vm: vm, vcpu: 0, gpa: 0, expect: EFAULT}\n"
		"final:\n"
		"  - kvm_sptes vm == 0\n";
	struct scenario *sc = load_str(text);

	(void)state;
	expect_clean(sc, 20);
	scenario_free(sc);
}

/* a guest write racing with the process's writes and a DONTNEED */
static void test_guest_races_clean(void **state)
{
	static const char text[] =
		"name: races\n" WORLD "agents:\n"
		"  - name: setup\n"
		"    ops:\n" MAP
		"      - write: {proc: p, cpu: 0, region: ram, value: 3}\n"
		"  - name: guest\n"
		"    ops:\n"
		"      - wait: setup\n"
		"      - guest_read: {vm: vm, vcpu: 0, gpa: 0}\n"
		"      - guest_write: {vm: vm, vcpu: 1, gpa: 0, value: 4}\n"
		"  - name: vmm\n"
		"    ops:\n"
		"      - wait: setup\n"
		"      - madvise: {proc: p, region: ram, len: 4096, advice: dontneed}\n"
		"      - mprotect: {proc: p, region: ram, len: 4096, prot: read}\n";
	struct scenario *sc = load_str(text);

	(void)state;
	expect_clean(sc, 500);
	scenario_free(sc);
}

/* dirty logging: the write shows in KVM_GET_DIRTY_LOG, once */
static void test_dirty_log(void **state)
{
	static const char text[] =
		"name: dirty\n"
		"world:\n"
		"  cpus: 1\n"
		"  memory: {frames: 256}\n"
		"  processes: [p]\n"
		"  vms: {vm: {proc: p, slots: [{slot: 0, gpa: 0, size: 0x4000, addr: 0x40000000, flags: log_dirty}]}}\n"
		"agents:\n"
		"  - name: a\n"
		"    ops:\n" MAP
		"      - guest_write: {vm: vm, gpa: 0x2000, value: 1}\n"
		"      - guest_write: {vm: vm, gpa: 0x2008, value: 2}\n"
		"      - kvm_get_dirty_log: {vm: vm, slot: 0, expect: 4}\n"
		"      - kvm_get_dirty_log: {vm: vm, slot: 0, expect: 0}\n"
		"      - guest_write: {vm: vm, gpa: 0x2000, value: 3}\n"
		"      - guest_write: {vm: vm, gpa: 0, value: 3}\n"
		"      - kvm_get_dirty_log: {vm: vm, slot: 0, expect: 5}\n"
		"      - guest_read: {vm: vm, gpa: 0x2000, expect: 3}\n"
		"      - kvm_clear_dirty_log: {vm: vm, slot: 0, first: 1, num: 1, expect: EINVAL}\n"
		"      - kvm_clear_dirty_log: {vm: vm, slot: 0, first: 0, num: 4, expect: ok}\n"
		"      - kvm_get_dirty_log: {vm: vm, slot: 1, expect: ENOENT}\n";
	struct scenario *sc = load_str(text);

	(void)state;
	expect_clean(sc, 5);
	scenario_free(sc);
}

/* the zoo entry: found under kvm.mmu_invalidate_retry=false only */
static void test_zoo_invalidate_retry(void **state)
{
	struct scenario *sc = load_file("bugs/kvm-mmu-invalidate-retry.yaml");
	struct explore_opts o = xopts(STRAT_RANDOM, 1000, -1);
	struct explore_result r;

	(void)state;
	assert_non_null(sc->zoo);
	o.stop_kind = sc->zoo->violation;
	sc->policy = sc->zoo->buggy;
	assert_int_equal(explore(scenario_model(sc), &o, &r), 0);
	assert_true(r.first_violation > 0);
	assert_string_equal(r.first_kind, "install-in-invalidation");
	explore_result_free(&r);
	sc->policy = sc->zoo->fixed;
	assert_true(policy_get(&sc->policy, KNOB_KVM_MMU_INVALIDATE_RETRY));
	explore_expect_clean(scenario_model(sc), STRAT_RANDOM, 1000, -1,
			     XCLEAN_ALL_RUNS);
	scenario_free(sc);
}

/* NX recovery, can_yield=true under the write lock: never yields dirty */
static void nx_write_lock(int bound, unsigned long min_execs)
{
	struct scenario *sc =
		load_file("models/kvm-nx-recovery-write-lock.yaml");
	struct explore_opts o = xopts(STRAT_DFS, 0, bound);
	struct explore_result r;

	assert_true(policy_get(&sc->policy, KNOB_TDP_NX_RECOVERY_CAN_YIELD));
	assert_int_equal(policy_get(&sc->policy, KNOB_TDP_ZAP_MMU_LOCK),
			 TDP_ZAP_LOCK_WRITE);
	assert_int_equal(explore(scenario_model(sc), &o, &r), 0);
	if (r.first_report)
		fprintf(stderr, "%s\n", r.first_report);
	assert_int_equal(r.violating, 0);
	assert_true(r.exhausted);
	assert_true(r.executions >= min_execs);
	printf("kvm-nx-recovery-write-lock: dfs bound %d: %lu executions, exhausted\n",
	       bound, r.executions);
	explore_result_free(&r);
	scenario_free(sc);
}

static void test_nx_recovery_write_lock(void **state)
{
	(void)state;
	nx_write_lock(1, 100);
}

/* the same scenario under the read lock and with can_yield=false */
static void test_nx_recovery_other_policies(void **state)
{
	struct scenario *sc =
		load_file("models/kvm-nx-recovery-write-lock.yaml");
	char err[256];

	(void)state;
	assert_int_equal(policy_set(&sc->policy, "tdp.zap_mmu_lock", "read",
				    err, sizeof(err)),
			 0);
	explore_expect_clean(scenario_model(sc), STRAT_RANDOM, 300, -1,
			     XCLEAN_ALL_RUNS);
	assert_int_equal(policy_set(&sc->policy, "tdp.nx_recovery_can_yield",
				    "false", err, sizeof(err)),
			 0);
	explore_expect_clean(scenario_model(sc), STRAT_RANDOM, 300, -1,
			     XCLEAN_ALL_RUNS);
	scenario_free(sc);
}

/* the 2021 thread's read-lock case, by its witness schedule */
static void test_nx_recovery_read_lock_witness(void **state)
{
	struct scenario *sc =
		load_file("models/kvm-nx-recovery-read-lock.yaml");
	struct explore_opts o = xopts(STRAT_REPLAY, 1, -1);
	struct explore_result r;
	bool yield = false, stale = false;
	char err[256];
	int i;

	(void)state;
	assert_int_equal(policy_set(&sc->policy, "tdp.nx_recovery_can_yield",
				    "true", err, sizeof(err)),
			 0);
	o.schedule = "a170b26c23bd78b4e40";
	o.no_replay = true;
	assert_int_equal(explore(scenario_model(sc), &o, &r), 0);
	for (i = 0; i < r.nr_kinds; i++) {
		yield |= !strcmp(r.kinds[i].kind, "tdp-yield-pending-flush");
		stale |= !strcmp(r.kinds[i].kind, "stale-tlb");
	}
	assert_true(yield);
	assert_true(stale);
	explore_result_free(&r);
	scenario_free(sc);
}

/* can_yield=false under the read lock: the same scenario is clean */
static void test_nx_recovery_read_lock_fixed(void **state)
{
	struct scenario *sc =
		load_file("models/kvm-nx-recovery-read-lock.yaml");

	(void)state;
	assert_false(policy_get(&sc->policy, KNOB_TDP_NX_RECOVERY_CAN_YIELD));
	assert_int_equal(policy_get(&sc->policy, KNOB_TDP_ZAP_MMU_LOCK),
			 TDP_ZAP_LOCK_READ);
	explore_expect_clean(scenario_model(sc), STRAT_RANDOM, 300, -1,
			     XCLEAN_ALL_RUNS);
	/* today's recovery: the parent SPTE only, under the read lock */
	assert_int_equal(policy_set(&sc->policy, "tdp.nx_recovery_zap",
				    "parent_spte", NULL, 0),
			 0);
	assert_int_equal(policy_set(&sc->policy, "tdp.nx_recovery_can_yield",
				    "true", NULL, 0),
			 0);
	explore_expect_clean(scenario_model(sc), STRAT_RANDOM, 300, -1,
			     XCLEAN_ALL_RUNS);
	explore_expect_clean(scenario_model(sc), STRAT_PCT, 300, -1,
			     XCLEAN_ALL_RUNS);
	scenario_free(sc);
}

/* the 2022 pfn cache race: found with in_progress, clean with the fix */
static void test_zoo_pfncache(void **state)
{
	struct scenario *sc = load_file("bugs/kvm-pfncache-refresh-2022.yaml");
	struct explore_opts o = xopts(STRAT_RANDOM, 2000, -1);
	struct explore_result r;

	(void)state;
	o.stop_kind = sc->zoo->violation;
	sc->policy = sc->zoo->buggy;
	assert_int_equal(explore(scenario_model(sc), &o, &r), 0);
	assert_true(r.first_violation > 0);
	assert_string_equal(r.first_kind, "stale-pfncache");
	explore_result_free(&r);
	sc->policy = sc->zoo->fixed;
	assert_int_equal(policy_get(&sc->policy, KNOB_KVM_PFNCACHE_RETRY),
			 PFNCACHE_RETRY_ACTIVE_COUNT);
	explore_expect_clean(scenario_model(sc), STRAT_RANDOM, 2000, -1,
			     XCLEAN_ALL_RUNS);
	scenario_free(sc);
}

static const char *const mm_models[] = {
	"kvm-vs-munmap",      "kvm-vs-mprotect", "kvm-vs-mremap",
	"kvm-vs-dontneed",    "kvm-vs-fork",	 "kvm-vs-truncate",
	"kvm-vs-migrate",     "kvm-vs-ksm",	 "kvm-vs-reclaim",
	"kvm-memslot-delete", "kvm-dirty-log",
};

/* KVM against every MM operation: clean under the default policy */
static void test_mm_models(void **state)
{
	char rel[128];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(mm_models) / sizeof(mm_models[0]); i++) {
		struct scenario *sc;

		snprintf(rel, sizeof(rel), "models/%s.yaml", mm_models[i]);
		sc = load_file(rel);
		assert_null(sc->expect);
		expect_clean(sc, 200);
		scenario_free(sc);
	}
}

/* ---- the KVM_BUG_ON of handle_changed_spte, driven directly ---- */

struct repoint {
	struct mm_struct *mm;
	struct kvm *kvm;
	int bad;
};

static void repoint_agent(void *arg)
{
	struct repoint *t = arg;
	struct kvm *kvm = t->kvm;
	struct kvm_page_fault f = { .gfn = 0,
				    .req_level = PG_LEVEL_4K,
				    .goal_level = PG_LEVEL_4K };
	uint64_t v;

	if (vm_mmap(t->mm, NULL, 0x40000000, 0x2000, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0) != 0x40000000)
		t->bad++;
	/* gfn 0 and gfn 1 mapped: two present leaves, two frames */
	if (kvm_vcpu_guest_access(&kvm->vcpus[0], 0, false, false, &v) ||
	    kvm_vcpu_guest_access(&kvm->vcpus[0], 0x1000, false, false, &v))
		t->bad++;
	/* a fault that installs gfn 1's frame over gfn 0's present leaf */
	f.slot = gfn_to_memslot(kvm, 0);
	f.pfn = pte_pfn(ptep_get(
		pte_offset_kernel(mm_find_pmd(t->mm, 0x40001000), 0x40001000)));
	f.write = true;
	f.map_writable = true;
	read_lock(&kvm->mmu_lock);
	if (kvm_tdp_mmu_map(&kvm->vcpus[0], &f) != RET_PF_FIXED)
		t->bad++;
	read_unlock(&kvm->mmu_lock);
}

static void test_spte_pfn_change(void **state)
{
	struct world *w = world_create(&(struct world_opts){
		.engine = ENGINE_DET, .max_steps = ~0UL, .seed = 1 });
	struct mm_world *mmw = mm_world_get(w, 256, 1);
	struct repoint t = { .mm = mm_alloc(mmw) };

	(void)state;
	t.kvm = kvm_create_vm(t.mm, 1);
	assert_false(IS_ERR(t.kvm));
	assert_int_equal(
		kvm_set_memory_region(t.kvm, 0, 0, 0, 0x2000, 0x40000000), 0);
	/* Linux's errnos, the API way */
	assert_int_equal(kvm_set_memory_region(t.kvm, 1, 0, 0x1000, 0x1000,
					       0x50000000),
			 -EEXIST);
	assert_int_equal(kvm_set_memory_region(t.kvm, 1, 4, 0x10000, 0x1000,
					       0x50000000),
			 -EINVAL);
	assert_non_null(agent_create(w, "repoint", repoint_agent, &t));
	assert_int_equal(world_run(w), 0);
	assert_int_equal(t.bad, 0);
	assert_true(report_has(w, "spte-pfn-change"));
	kvm_destroy_vm(t.kvm);
	cpu_idle(mm_cpu(mmw, 0));
	mmput(t.mm);
	world_destroy(w);
}

/* bad input: FILE:LINE:COL messages */
static void test_bad_input(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "name: x\nworld: {processes: [p], vms: {vm: {proc: p, slots: [{slot: 0, gpa: 0, size: 4096, addr: 0, flags: dirty}]}}}\nagents: []\n",
		  "test.yaml:2:" },
		{ "name: x\nworld: {processes: [p], vms: {vm: {slots: []}}}\nagents: []\n",
		  "needs 'proc'" },
		{ "name: x\nworld: {processes: [p], vms: {vm: {proc: q}}}\nagents: []\n",
		  "test.yaml:2:" },
		{ "name: x\nworld: {processes: [p], vms: {vm: {proc: p}}}\nagents:\n  - name: a\n    ops:\n      - guest_read: {vm: vm, gpa: 0, expect: maybe}\n",
		  "test.yaml:6:" },
		{ "name: x\nworld: {processes: [p], vms: {vm: {proc: p}}}\nagents:\n  - name: a\n    ops:\n      - kvm_set_memslot: {vm: vm, slot: 0, size: 4096, flags: dirty}\n",
		  "test.yaml:6:" },
		{ "name: x\nworld: {processes: [p], vms: {vm: {proc: p}}}\nagents:\n  - name: a\n    ops:\n      - kvm_nx_recover: {vm: vm, expect: ok}\n",
		  "takes no 'expect'" },
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[512] = "";
		struct scenario *sc = scenario_load_buffer("test.yaml",
							   bad[i].text,
							   strlen(bad[i].text),
							   err, sizeof(err));

		assert_null(sc);
		if (!strstr(err, bad[i].msg))
			fprintf(stderr, "case %u: %s\n", i, err);
		assert_non_null(strstr(err, bad[i].msg));
	}
}

static void test_long_nx_bound2(void **state)
{
	(void)state;
	nx_write_lock(2, 1000);
}

static void test_long_mm_models_dfs(void **state)
{
	char rel[128];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(mm_models) / sizeof(mm_models[0]); i++) {
		struct scenario *sc;
		struct explore_opts o = xopts(STRAT_DFS, 0, 2);
		struct explore_result r;

		snprintf(rel, sizeof(rel), "models/%s.yaml", mm_models[i]);
		sc = load_file(rel);
		assert_int_equal(explore(scenario_model(sc), &o, &r), 0);
		if (r.first_report)
			fprintf(stderr, "%s: %s\n", rel, r.first_report);
		assert_int_equal(r.violating, 0);
		assert_true(r.exhausted);
		printf("%s: dfs bound 2: %lu executions, exhausted\n",
		       mm_models[i], r.executions);
		explore_result_free(&r);
		scenario_free(sc);
	}
}

/* the read-lock case found by the search itself, not a given schedule */
static void test_long_nx_read_lock_dfs(void **state)
{
	struct scenario *sc =
		load_file("models/kvm-nx-recovery-read-lock.yaml");
	struct explore_opts o = xopts(STRAT_DFS, 0, 2);
	struct explore_result r;

	(void)state;
	assert_int_equal(policy_set(&sc->policy, "tdp.nx_recovery_can_yield",
				    "true", NULL, 0),
			 0);
	o.stop_kind = "tdp-yield-pending-flush";
	o.no_replay = true;
	assert_int_equal(explore(scenario_model(sc), &o, &r), 0);
	assert_true(r.first_violation > 0);
	printf("kvm-nx-recovery-read-lock: dfs bound 2 finds %s in execution %lu\n",
	       r.first_kind, r.first_violation);
	explore_result_free(&r);
	scenario_free(sc);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memslot_errnos),
		cmocka_unit_test(test_guest_access),
		cmocka_unit_test(test_guest_races_clean),
		cmocka_unit_test(test_dirty_log),
		cmocka_unit_test(test_zoo_invalidate_retry),
		cmocka_unit_test(test_nx_recovery_write_lock),
		cmocka_unit_test(test_nx_recovery_other_policies),
		cmocka_unit_test(test_nx_recovery_read_lock_witness),
		cmocka_unit_test(test_nx_recovery_read_lock_fixed),
		cmocka_unit_test(test_zoo_pfncache),
		cmocka_unit_test(test_mm_models),
		cmocka_unit_test(test_spte_pfn_change),
		cmocka_unit_test(test_bad_input),
	};
	const struct CMUnitTest long_tests[] = {
		cmocka_unit_test(test_long_nx_bound2),
		cmocka_unit_test(test_long_nx_read_lock_dfs),
		cmocka_unit_test(test_long_mm_models_dfs),
	};

	if (argc > 1)
		scenarios_dir = argv[1];
	if (argc > 2 && !strcmp(argv[2], "long"))
		return cmocka_run_group_tests(long_tests, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

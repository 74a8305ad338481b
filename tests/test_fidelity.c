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
 *  - mm->tlb_flush_batched: the 4.13 boolean loses a deferred flush
 *    (zoo entry reclaim-batched-flag), the 5.17 counters do not.
 *  - world: arch: the 2023 upgrade livelock is arm64's, clean on x86;
 *    an mprotect upgrade reaches secondaries through the gather's flush.
 *  - pre-4.19 move_ptes() flushed a dirty move under the old PTL.
 *  - KSM write_protect_page() flushes a read-only clean PTE of an
 *    AnonExclusive page or while a flush is pending.
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
#include "notifier/mmu_notifier.h"
#include "scenario/scenario.h"

#define NR_FRAMES 256
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#include "mm_fixture.h"

static const char *scenarios_dir = "scenarios";

/*
 * Explore @file (relative to the scenarios directory) with PCT of @depth under
 * @preset (NULL: the file's policy), then knob @knob=@value if given.
 * Returns the number of violating executions; @kind gets the first kind.
 */
static unsigned long explore_file_depth(const char *file, const char *preset,
					const char *knob, const char *value,
					int depth, unsigned long iters,
					char *kind)
{
	struct explore_opts o = { .strategy = STRAT_PCT,
				  .depth = depth,
				  .iterations = iters,
				  .seed = 1, /* as the CLI and the zoo */
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

static unsigned long explore_file(const char *file, const char *preset,
				  const char *knob, const char *value,
				  unsigned long iters, char *kind)
{
	return explore_file_depth(file, preset, knob, value, 3, iters, kind);
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

/*
 * The boolean mm->tlb_flush_batched (4.13-5.16) loses a deferred flush
 * when a DONTNEED of another table clears it; the counters do not.
 */
static void test_tlb_flush_batched_counters(void **state)
{
	const char *file = "bugs/reclaim-batched-flag-2021.yaml";
	char kind[40];

	(void)state;
	assert_true(explore_file_depth(file, "linux-4.13", NULL, NULL, 4, 10000,
				       kind) > 0);
	/* the write after mprotect() returned, seen by the access check or
	 * the permission check, whichever runs first */
	assert_true(!strcmp(kind, "value") || !strcmp(kind, "permission"));
	assert_int_equal(explore_file_depth(file, NULL,
					    "rmap.tlb_flush_batched",
					    "counters", 4, 10000, kind),
			 0);
	/* linux-6.1 has the counters */
	assert_int_equal(explore_file_depth(file, "linux-6.1", NULL, NULL, 4,
					    10000, kind),
			 0);
}

/* pre-4.19 move_ptes() flushed a dirty move before the old PTL dropped */
static void test_pre419_dirty_move_flushed(void **state)
{
	char kind[40];

	(void)state;
	assert_int_equal(explore_file("models/mremap-truncate-dirty.yaml",
				      "linux-4.13", NULL, NULL, 5000, kind),
			 0);
	/* the clean page of the CVE is still found */
	assert_true(explore_file("bugs/mremap-truncate-cve-2018-18281.yaml",
				 "linux-4.13", NULL, NULL, 5000, kind) > 0);
	assert_string_equal(kind, "stale-tlb");
}

/*
 * world: arch: selects the upgrade behaviour.  The 2023 livelock needs
 * arm64 (an SMMU keeps a read-only IOTLB entry after a permission fault,
 * and only arm64's ptep_set_access_flags() flush tells it); the same race
 * on x86 is clean under linux-6.1 (VT-d walks again after the fault).
 */
static void test_arch_upgrade(void **state)
{
	char path[512], err[256], kind[40];
	struct explore_opts o = { .strategy = STRAT_PCT,
				  .depth = 3,
				  .seed = 1,
				  .iterations = 500,
				  .stop_on_violation = true,
				  .progress_fd = -1 };
	struct explore_result r;
	struct scenario *sc;
	char *text, *at;
	FILE *fp;
	long len;

	(void)state;
	assert_true(explore_file("bugs/sva-upgrade-2023.yaml", "linux-6.1",
				 NULL, NULL, 500, kind) > 0);
	assert_string_equal(kind, "iopf-livelock");
	/* the same file with arch: x86 */
	snprintf(path, sizeof(path), "%s/bugs/sva-upgrade-2023.yaml",
		 scenarios_dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	text = calloc(1, len + 1);
	assert_int_equal(fread(text, 1, len, fp), len);
	fclose(fp);
	at = strstr(text, "\n  arch: arm64"); /* the key, not a comment */
	assert_non_null(at);
	at += 3;
	memcpy(at, "arch:   x86", 11);
	sc = scenario_load_buffer("x86.yaml", text, len, err, sizeof(err));
	assert_non_null(sc);
	assert_int_equal(policy_apply_preset(&sc->policy, "linux-6.1", err,
					     sizeof(err)),
			 0);
	assert_int_equal(explore(scenario_model(sc), &o, &r), 0);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);
	scenario_free(sc);
	/* a bad arch is a load error at its place */
	memcpy(at, "arch:  mips", 11);
	assert_null(
		scenario_load_buffer("bad.yaml", text, len, err, sizeof(err)));
	assert_non_null(strstr(err, "bad.yaml:"));
	assert_non_null(strstr(err, "unknown arch 'mips' (x86 or arm64)"));
	free(text);
}

struct count_sub {
	struct mmu_notifier mn;
	int calls;
};

static void count_tlbs(struct mmu_notifier *mn, struct mm_struct *mm,
		       unsigned long start, unsigned long end)
{
	container_of(mn, struct count_sub, mn)->calls++;
}

static const struct mmu_notifier_ops count_ops = {
	.arch_invalidate_secondary_tlbs = count_tlbs,
};

/* secondary invalidations made by mprotect(PROT_READ|PROT_WRITE) of a
 * read-only page under @arch */
static int mprotect_upgrade_calls(struct fx *f, int arch)
{
	struct count_sub c = { .mn.ops = &count_ops };
	unsigned long a =
		vm_mmap(f->mm, NULL, 0, PAGE_SIZE, PROT_READ, ANON, 0);
	uint64_t v;

	assert_false(IS_ERR_VALUE(a));
	f->w->arch = arch;
	assert_int_equal(cpu_read(f->c0, f->mm, a, &v), 0);
	assert_int_equal(
		mmu_notifier_register(&c.mn, f->mm->notifier_subscriptions), 0);
	assert_int_equal(do_mprotect_pkey(f->mm, a, PAGE_SIZE, RW, -1), 0);
	mmu_notifier_unregister(&c.mn, f->mm->notifier_subscriptions);
	assert_int_equal(vm_munmap(f->mm, a, PAGE_SIZE), 0);
	return c.calls;
}

/*
 * An mprotect upgrade reaches the secondaries through the gather's flush
 * on both architectures (x86's pte_needs_flush() flushes a change of RW
 * either way), before 6.6 too (tlb_flush_mmu_tlbonly()'s
 * ->invalidate_range()): the explicit upgrade call is gone from
 * change_pte_range().
 */
static void test_arch_mprotect_upgrade(void **state)
{
	struct fx *f = *state;

	assert_true(mprotect_upgrade_calls(f, WORLD_ARCH_X86) > 0);
	assert_true(mprotect_upgrade_calls(f, WORLD_ARCH_ARM64) > 0);
	f->w->policy->v[KNOB_NOTIFIER_SECONDARY_TLB_FLUSH] =
		SECONDARY_TLB_FLUSH_IN_RANGE_END;
	f->w->policy->v[KNOB_IOMMU_INVALIDATE_ON_UPGRADE] = false;
	assert_true(mprotect_upgrade_calls(f, WORLD_ARCH_X86) > 0);
	f->w->arch = WORLD_ARCH_X86;
}

/*
 * KSM's write_protect_page() must clear and flush a PTE that is already
 * read-only and clean when the page is still AnonExclusive or a flush of
 * the mm is pending: here mprotect() has write-protected page 1 and not
 * flushed yet, so CPU0 still holds its writable entry.  Without the flush
 * page 1 becomes the KSM page that page 2 maps too, and CPU0's write
 * through the old entry lands in both.
 */
static void test_ksm_write_protect_flushes(void **state)
{
	struct fx *f = *state;
	unsigned long a = vm_mmap(f->mm, NULL, 0, 2 * PAGE_SIZE, RW, ANON, 0);
	spinlock_t *ptl;
	pte_t *pte;
	uint64_t v;

	assert_false(IS_ERR_VALUE(a));
	assert_int_equal(cpu_write(f->c0, f->mm, a + 8, 77), 0);
	assert_int_equal(cpu_write(f->c1, f->mm, a + PAGE_SIZE + 8, 77), 0);
	assert_int_equal(do_madvise(f->mm, a, 2 * PAGE_SIZE, MADV_MERGEABLE),
			 0);
	/* change_pte_range() of a pending mprotect: PTE changed, no flush */
	inc_tlb_flush_pending(f->mm);
	pte = pte_offset_map_lock(f->mm, mm_find_pmd(f->mm, a), a, &ptl);
	set_pte_at(f->mm, a, pte, pte_mkclean(pte_wrprotect(ptep_get(pte))));
	pte_unmap_unlock(pte, ptl);
	assert_int_equal(ksm_merge_pair(f->mm, a, a + PAGE_SIZE), 0);
	/* CPU0's write must fault and break COW, not reach the KSM page */
	assert_int_equal(cpu_write(f->c0, f->mm, a + 8, 5), 0);
	assert_int_equal(cpu_read(f->c1, f->mm, a + PAGE_SIZE + 8, &v), 0);
	assert_int_equal(v, 77);
	dec_tlb_flush_pending(f->mm);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pre66_gather_batch_notifies),
		cmocka_unit_test(test_pre66_cow_break_notifies),
		cmocka_unit_test(test_tlb_flush_batched_counters),
		cmocka_unit_test(test_pre419_dirty_move_flushed),
		cmocka_unit_test(test_arch_upgrade),
		cmocka_unit_test_setup_teardown(test_arch_mprotect_upgrade,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ksm_write_protect_flushes,
						fx_setup, fx_teardown),
	};

	if (argc > 1)
		scenarios_dir = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * The fixture the primary-MMU unit tests share: a det-engine world with
 * NR_FRAMES frames, two CPUs and one mm (plus an optional child), and a
 * teardown that insists every test ends clean: quiescent checks pass,
 * nothing leaks once the mms exit, and the only reports are the ones the
 * test made on purpose (expected_reports); fx_setup and fx_teardown are
 * those as cmocka callbacks.  Include after <cmocka.h> and define
 * NR_FRAMES first.  Tests only; no locking (one OS thread).
 */
#ifndef SECMMU_TESTS_MM_FIXTURE_H
#define SECMMU_TESTS_MM_FIXTURE_H

#include "check/check.h"
#include "mm/mm.h"
#include "mm/tlb.h"

struct fx {
	struct world *w;
	struct mm_world *mmw;
	struct mm_struct *mm, *child;
	struct cpu *c0, *c1;
	struct tlbflush_unmap_batch ubc; /* reclaim tests' deferred flushes */
	int expected_reports; /* made on purpose by the test */
	unsigned int leak_allowed; /* PAGE_STATE_BIT()s that may stay */
};

static struct fx *fx_create(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->w = world_create(&(struct world_opts){ .engine = ENGINE_DET });
	assert_non_null(f->w);
	f->mmw = mm_world_get(f->w, NR_FRAMES, 2);
	assert_non_null(f->mmw);
	f->mm = mm_alloc(f->mmw);
	assert_non_null(f->mm);
	f->c0 = mm_cpu(f->mmw, 0);
	f->c1 = mm_cpu(f->mmw, 1);
	return f;
}

/* quiescent checks, then the CPUs go idle and the mms exit */
static void fx_release_mms(struct fx *f)
{
	mm_check_quiescent(f->mmw);
	cpu_idle(f->c0);
	cpu_idle(f->c1);
	if (f->mm)
		mmput(f->mm);
	if (f->child)
		mmput(f->child);
	f->mm = f->child = NULL;
}

/* nothing leaked, only the expected reports; frees the fixture */
static void fx_finish(struct fx *f)
{
	phys_check_leaks(f->mmw->pm, f->leak_allowed);
	if (f->w->nr_reports != f->expected_reports)
		report_print_all(f->w, stderr);
	assert_int_equal(f->w->nr_reports, f->expected_reports);
	world_destroy(f->w);
	free(f);
}

/* cmocka callbacks: a fresh fixture, and the clean-end checks above */
static inline int fx_setup(void **state)
{
	*state = fx_create();
	return 0;
}

static inline int fx_teardown(void **state)
{
	struct fx *f = *state;

	fx_release_mms(f);
	fx_finish(f);
	return 0;
}

#endif

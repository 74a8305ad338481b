/* SPDX-License-Identifier: MIT */
/*
 * The unit tests' C harness of the fault-vs-X races (tests/mm_race.c):
 * a struct model whose arg is a struct mm_race_opts.
 */
#ifndef SECMMU_TESTS_MM_RACE_H
#define SECMMU_TESTS_MM_RACE_H

#include "engine/engine.h"

enum mm_race_op {
	MM_RACE_MUNMAP,
	MM_RACE_MPROTECT,
	MM_RACE_TRUNCATE, /* the page is a shared file page; truncate to 0 */
	MM_RACE_DONTNEED, /* two agents MADV_DONTNEED the page at once;
			   * the first agent only reads */
	MM_RACE_FORK, /* the second agent forks, then reads the child's copy */
	MM_RACE_MREMAP, /* a shared file page: the second agent moves it with
			 * mremap, a third truncates the file; the first
			 * only reads (the knob mremap.flush_before_ptl_unlock
			 * decides; CVE-2018-18281) */
};

/**
 * struct mm_race_opts - one variant of the fault-vs-X race
 * @op: what the second agent does to the page
 * @inject_no_flush: test-only bug: the operation skips its TLB flush
 *	(truncate: it unmaps only once; DONTNEED: the nested-gather flush
 *	is skipped; fork: the parent's flush is skipped; see mm_inject)
 * @no_quiescent: skip the quiescent checks at the end (so a bug can
 *	only be found by an access that uses a stale translation)
 * @iters: write+read pairs of the first agent on each page
 * @neighbor: a second page in its own VMA right above the target, which
 *	the first agent also uses: it must keep working (the two share
 *	page tables, which munmap must not free)
 * @cold: nothing is faulted in beforehand: the first agent's page faults
 *	(and page-table allocations) race with the operation
 */
struct mm_race_opts {
	enum mm_race_op op;
	bool inject_no_flush;
	bool no_quiescent;
	int iters;
	bool neighbor;
	bool cold;
};

int mm_race_setup(struct world *w, void *arg);
void mm_race_check(struct world *w, void *arg);

#endif

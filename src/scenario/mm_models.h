/* SPDX-License-Identifier: MIT */
/*
 * Built-in models of the primary MMU: a CPU using a page while another
 * CPU unmaps or write-protects it.  Each is a struct model whose arg is a
 * struct mm_race_opts; tests make their own variants.
 */
#ifndef SECMMU_SCENARIO_MM_MODELS_H
#define SECMMU_SCENARIO_MM_MODELS_H

#include "core/policy.h"
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

extern const struct model model_fault_vs_munmap;
extern const struct model model_fault_vs_munmap_noflush;
extern const struct model model_fault_vs_mprotect;
extern const struct model model_fault_vs_mprotect_noflush;
extern const struct model model_fault_vs_truncate;
extern const struct model model_read_vs_dontneed;
extern const struct model model_read_vs_dontneed_nonested;
extern const struct model model_write_vs_fork;
extern const struct model model_write_vs_fork_noflush;
extern const struct model model_mremap_vs_truncate;

/**
 * struct policy_model - run @inner under @policy instead of the default
 * @m: the model to hand to explore(); its arg points back here
 * @inner: the wrapped model
 * @policy: copied into every execution's world before @inner's setup
 *
 * Built-in models read their knobs from w->policy; this is how the CLI's
 * --policy/--set and tests reach them.
 */
struct policy_model {
	struct model m;
	const struct model *inner;
	struct policy policy;
};

void policy_model_init(struct policy_model *pm, const struct model *inner,
		       const struct policy *policy);

/**
 * struct reclaim_race_opts - one variant of reclaim-vs-X
 *	(mm_reclaim_models.c)
 * @munmap: the operation is munmap, else mprotect(PROT_READ)
 * @force_2017: set rmap.batched_flush_pending=false in the world's policy
 * @migrate: no kswapd and no operation: a migrator moves the page
 * @ksm: ksmd merges the page with its (identical) neighbour while CPU0
 *	and CPU1 write them
 * @iters: write+read pairs of the toucher
 */
struct reclaim_race_opts {
	bool munmap;
	bool force_2017;
	bool migrate;
	bool ksm;
	int iters;
};

int reclaim_race_setup(struct world *w, void *arg);
void reclaim_race_check(struct world *w, void *arg);

extern const struct model model_reclaim_vs_mprotect;
extern const struct model model_reclaim_vs_munmap;
extern const struct model model_reclaim_vs_mprotect_2017;
extern const struct model model_reclaim_vs_munmap_2017;
extern const struct model model_migrate_vs_write;
extern const struct model model_ksm_vs_write;

/**
 * struct softdirty_race_opts - write-vs-clear-refs (mm_models.c)
 * @noflush: set clear_refs.flush_tlb=false in the world's policy
 * @iters: writes (each read back) of the writer
 */
struct softdirty_race_opts {
	bool noflush;
	int iters;
};

int softdirty_race_setup(struct world *w, void *arg);
void softdirty_race_check(struct world *w, void *arg);

extern const struct model model_write_vs_clear_refs;
extern const struct model model_write_vs_clear_refs_noflush;

/**
 * struct pmd_race_opts - mremap-pmd-vs-truncate/-munmap (mm_models.c)
 * @truncate: a shared file mapping that the third agent truncates to 0;
 *	else anonymous memory whose old range the third agent munmaps
 * @iters: rounds of CPU0's accesses
 */
struct pmd_race_opts {
	bool truncate;
	int iters;
};

int pmd_race_setup(struct world *w, void *arg);
void pmd_race_check(struct world *w, void *arg);

extern const struct model model_mremap_pmd_vs_truncate;
extern const struct model model_mremap_pmd_vs_munmap;

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Built-in models of the primary MMU in C (mm_models.c) and
 * policy_model_init().
 */
#ifndef SECMMU_SCENARIO_MM_MODELS_H
#define SECMMU_SCENARIO_MM_MODELS_H

#include "core/policy.h"
#include "engine/engine.h"


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

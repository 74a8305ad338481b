/* SPDX-License-Identifier: MIT */
/*
 * Built-in race models of an SVA device against the primary MMU (see
 * iommu_models.c).
 */
#ifndef SECMMU_SCENARIO_IOMMU_MODELS_H
#define SECMMU_SCENARIO_IOMMU_MODELS_H

#include "core/policy.h"
#include "engine/engine.h"

enum sva_race_op {
	SVA_RACE_MUNMAP,
	SVA_RACE_MPROTECT,
	SVA_RACE_REFAULT,
	SVA_RACE_UPGRADE,
	SVA_RACE_RECLAIM,
};

/**
 * struct sva_race_opts - one SVA race model
 * @op: what the CPU agent does
 * @iters: device accesses
 * @amd_v2: the IOMMU uses the AMD IOMMUv2 glue
 * @force_policy: setup sets these knobs (the historical bug), else the
 *	world's policy is left as it is (--policy / --set apply)
 */
struct sva_race_opts {
	enum sva_race_op op;
	int iters;
	bool amd_v2;
	int arch; /* world->arch for the run (enum world_arch) */
	void (*force_policy)(struct policy *p);
};

int sva_race_setup(struct world *w, void *arg);
void sva_race_check(struct world *w, void *arg);

extern const struct model model_sva_vs_munmap;
extern const struct model model_sva_vs_mprotect;
extern const struct model model_sva_refault;
extern const struct model model_sva_upgrade;
extern const struct model model_sva_vs_reclaim;

#endif

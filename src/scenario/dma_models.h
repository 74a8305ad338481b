/* SPDX-License-Identifier: MIT */
/*
 * Built-in models of the DMA API through an IOMMU (src/iommu/dma-iommu.c):
 * a driver maps and unmaps buffers while its device keeps doing DMA.
 */
#ifndef SECMMU_SCENARIO_DMA_MODELS_H
#define SECMMU_SCENARIO_DMA_MODELS_H

#include "engine/engine.h"

/**
 * struct dma_race_opts - one variant
 * @deferred: setup sets iommu.dma_invalidation=deferred; otherwise the
 *	world's policy decides
 * @ats: the device has a device TLB (ATS)
 * @rounds: map/unmap rounds of the driver (a second round may reuse the
 *	IOVA of the first)
 * @iters: device reads
 * @fq_timeout: flush-queue timeout in world steps
 */
struct dma_race_opts {
	bool deferred;
	bool ats;
	int rounds;
	int iters;
	unsigned long fq_timeout;
};

int dma_race_setup(struct world *w, void *arg);
void dma_race_check(struct world *w, void *arg);

extern const struct model model_dma_unmap_vs_dma;
extern const struct model model_dma_unmap_vs_dma_deferred;

#endif

// SPDX-License-Identifier: MIT
/*
 * Built-in models of DMA-API domains: a driver maps a buffer with
 * dma_map_page(), lets its device DMA from it and unmaps it with
 * dma_unmap_page(), twice (the second buffer may get the first one's
 * IOVA), while the device keeps reading the last DMA address it was
 * given.
 *
 *   dma-unmap-vs-dma           iommu.dma_invalidation from the policy
 *                              (default strict: clean)
 *   dma-unmap-vs-dma-deferred  setup sets deferred: the device reads
 *                              through its IOTLB/ATC entry after
 *                              dma_unmap_page() returned
 *                              ("dma-after-unmap", with the window)
 *
 * Oracle: the checker of dma-iommu.c (dma-after-unmap on every cache hit
 * after the unmap returned, or through an old translation of a reused
 * IOVA), the core's stale-iotlb/stale-atc, and a value check: a read that
 * succeeds returns the value of one of the two buffers.  At the end the
 * domain is torn down (the driver joins the flush-queue timer) and
 * iommu_dma_check_quiescent(), iommu_check_quiescent() and
 * phys_check_leaks() run.
 *
 * Locking: the agents use the DMA layer's and the IOMMU's locks; the DMA
 * address is published with WRITE_ONCE, the hand-offs are completions.
 */
#include "core/policy.h"
#include "iommu/dma-iommu.h"
#include "mm/mm.h"
#include "scenario/dma_models.h"

#define DMA_RACE_FRAMES 256
#define DMA_RACE_VAL 0xd3a0UL

struct dma_race {
	const struct dma_race_opts *o;
	struct mm_world *mmw;
	struct iommu *iommu;
	struct pci_dev *dev;
	struct iommu_dma_cookie *cookie;
	struct page *buf[2];
	dma_addr_t dma;
	struct completion mapped;
	struct completion dev_done;
};

static void dma_driver(void *arg)
{
	struct dma_race *r = arg;
	int i;

	for (i = 0; i < r->o->rounds; i++) {
		dma_addr_t dma = iommu_dma_map_page(
			r->dev, r->buf[i & 1], 0, PAGE_SIZE, DMA_BIDIRECTIONAL);

		if (dma == DMA_MAPPING_ERROR) {
			report_add(current->w, "value",
				   "dma_map_page() failed in round %d\n", i);
			break;
		}
		WRITE_ONCE(r->dma, dma);
		if (i == 0)
			complete(&r->mapped);
		iommu_dma_unmap_page(r->dev, dma, PAGE_SIZE, DMA_BIDIRECTIONAL);
	}
	if (i == 0)
		complete(&r->mapped);
	wait_for_completion(&r->dev_done);
	iommu_dma_domain_free(r->cookie);
}

static void dma_device(void *arg)
{
	struct dma_race *r = arg;
	uint64_t v;
	int i;

	wait_for_completion(&r->mapped);
	for (i = 0; i < r->o->iters; i++) {
		dma_addr_t dma = READ_ONCE(r->dma);

		if (!dma)
			break;
		if (iommu_dma_read(r->dev, IOMMU_NO_PASID, dma, &v))
			continue; /* unmapped: a translation fault */
		if (v != DMA_RACE_VAL && v != DMA_RACE_VAL + 1)
			report_add(
				current->w, "value",
				"device read %#lx at iova %#lx: not a value of either buffer\n",
				(unsigned long)v, dma);
	}
	complete(&r->dev_done);
}

int dma_race_setup(struct world *w, void *arg)
{
	const struct dma_race_opts *o = arg;
	struct dma_race *r = arena_alloc(w, sizeof(*r));
	int i;

	if (!r)
		return -ENOMEM;
	w->priv = r;
	r->o = o;
	if (o->deferred)
		w->policy->v[KNOB_IOMMU_DMA_INVALIDATION] = IOMMU_DMA_DEFERRED;
	r->mmw = mm_world_get(w, DMA_RACE_FRAMES, 1);
	if (!r->mmw)
		return -ENOMEM;
	r->iommu = iommu_get(r->mmw);
	r->dev = pci_dev_add(r->iommu, "nic", o->ats, false);
	if (!r->dev)
		return -ENOMEM;
	r->cookie = iommu_dma_domain_alloc(r->iommu, r->dev);
	if (!r->cookie)
		return -ENOMEM;
	r->cookie->fq_timeout = o->fq_timeout;
	for (i = 0; i < 2; i++) {
		r->buf[i] = alloc_page(r->mmw->pm, __GFP_ZERO);
		if (!r->buf[i])
			return -ENOMEM;
		phys_write(r->mmw->pm, page_to_pfn(r->buf[i]), 0,
			   DMA_RACE_VAL + i);
	}
	init_completion(w, &r->mapped);
	init_completion(w, &r->dev_done);
	agent_create(w, "driver", dma_driver, r);
	agent_create(w, "device", dma_device, r);
	return iommu_dma_init_fq(r->cookie);
}

void dma_race_check(struct world *w, void *arg)
{
	struct dma_race *r = w->priv;
	int i;

	iommu_dma_check_quiescent(r->cookie);
	iommu_check_quiescent(r->iommu);
	for (i = 0; i < 2; i++)
		put_page(r->buf[i]);
	phys_check_leaks(r->mmw->pm, 0);
}

static const struct dma_race_opts opts_policy = {
	.ats = true,
	.rounds = 2,
	.iters = 3,
	.fq_timeout = 40,
};
static const struct dma_race_opts opts_deferred = {
	.deferred = true,
	.ats = true,
	.rounds = 2,
	.iters = 3,
	.fq_timeout = 40,
};

const struct model model_dma_unmap_vs_dma = {
	"dma-unmap-vs-dma",
	"a driver maps/unmaps DMA buffers while its device reads them (iommu.dma_invalidation from the policy; strict: clean)",
	dma_race_setup, dma_race_check, (void *)&opts_policy
};
const struct model model_dma_unmap_vs_dma_deferred = {
	"dma-unmap-vs-dma-deferred",
	"the same with iommu.dma_invalidation=deferred: device reads after dma_unmap_page() returned (dma-after-unmap)",
	dma_race_setup, dma_race_check, (void *)&opts_deferred
};

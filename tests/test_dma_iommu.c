// SPDX-License-Identifier: MIT
/*
 * DMA-API domains: the IOMMU page table (src/iommu/io-pgtable.c), the IOVA
 * allocator (src/iommu/iova.c) and dma-iommu's strict and deferred
 * invalidation (src/iommu/dma-iommu.c).
 *
 * `test_dma_iommu det` (suite unit): page-table map/unmap/walk with exact
 * frames and permissions, errors, the gather; IOVA allocation top down,
 * alignment, reuse of freed ranges through the cache, misuse reports;
 * concurrent maps of disjoint ranges under the explorer; dma_map_page /
 * dma_unmap_page in strict and deferred mode with exact IOTLB and device
 * TLB contents, the flush queue (full queue, timeout), IOVA reuse only
 * after the flush, misuse reports; the race models under the explorer
 * (strict clean, deferred found with the window); the SVA models of the
 * secondary-flush zoo entries: mremap vs truncate, the nested
 * MADV_DONTNEED flush's [0, -1UL) range, and KSM's write-protect.
 *
 * `test_dma_iommu real` (suite real, also under TSan): the DMA race models
 * on threads (strict clean; deferred reports only dma-after-unmap, the
 * flush-queue timer a thread of its own) and the SVA KSM model.
 */
#include <errno.h>
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
#include "iommu/dma-iommu.h"
#include "iommu/io-pgtable.h"
#include "iommu/iova.h"
#include "mm/mm.h"
#include "scenario/builtin.h"
#include "scenario/dma_models.h"
#include "scenario/mm_models.h"
#include "scenario/scenario.h"
#include "shipped.h"

static struct world *det_world(void)
{
	struct world *w =
		world_create(&(struct world_opts){ .engine = ENGINE_DET });

	assert_non_null(w);
	return w;
}

static void world_done(struct world *w)
{
	if (w->nr_reports)
		report_print_all(w, stderr);
	assert_int_equal(w->nr_reports, 0);
	world_destroy(w);
}

/* ---- io-pgtable ---- */

static void test_iopt_map_walk_unmap(void **state)
{
	struct world *w = det_world();
	struct io_pgtable iop;
	struct io_pgtable_walk wk;
	struct iommu_iotlb_gather g;
	size_t mapped;
	unsigned long i;

	(void)state;
	assert_int_equal(alloc_io_pgtable(w, &iop), 0);
	/* four pages across a leaf-table boundary (entry 510 .. 513) */
	assert_int_equal(io_pgtable_map_pages(&iop, 510 * PAGE_SIZE, 100, 4,
					      IOMMU_READ | IOMMU_WRITE,
					      &mapped),
			 0);
	assert_int_equal(mapped, 4 * PAGE_SIZE);
	assert_int_equal(iop.nr_mapped, 4);
	assert_int_equal(iop.nr_tables, 4); /* top, one middle, two leaves */
	for (i = 0; i < 4; i++) {
		assert_int_equal(io_pgtable_iova_to_phys(
					 &iop, (510 + i) * PAGE_SIZE + 8, &wk),
				 0);
		assert_int_equal(wk.pfn, 100 + i);
		assert_int_equal(wk.prot, IOMMU_READ | IOMMU_WRITE);
	}
	assert_int_equal(io_pgtable_iova_to_phys(&iop, 509 * PAGE_SIZE, &wk),
			 -ENOENT);
	assert_int_equal(io_pgtable_iova_to_phys(&iop, 514 * PAGE_SIZE, &wk),
			 -ENOENT);

	/* read-only mapping far away */
	assert_int_equal(io_pgtable_map_pages(&iop, 1UL << 32, 7, 1, IOMMU_READ,
					      &mapped),
			 0);
	assert_int_equal(io_pgtable_iova_to_phys(&iop, 1UL << 32, &wk), 0);
	assert_int_equal(wk.pfn, 7);
	assert_int_equal(wk.prot, IOMMU_READ);

	/* unmap the middle two: the gather covers exactly them */
	iommu_iotlb_gather_init(&g);
	assert_true(iommu_iotlb_gather_empty(&g));
	assert_int_equal(io_pgtable_unmap_pages(&iop, 511 * PAGE_SIZE, 2, &g),
			 2 * PAGE_SIZE);
	assert_int_equal(g.start, 511 * PAGE_SIZE);
	assert_int_equal(g.end, 513 * PAGE_SIZE - 1);
	assert_int_equal(g.nr_pages, 2);
	assert_int_equal(g.pgsize, PAGE_SIZE);
	assert_int_equal(io_pgtable_iova_to_phys(&iop, 511 * PAGE_SIZE, &wk),
			 -ENOENT);
	assert_int_equal(io_pgtable_iova_to_phys(&iop, 510 * PAGE_SIZE, &wk),
			 0);
	assert_int_equal(io_pgtable_iova_to_phys(&iop, 513 * PAGE_SIZE, &wk),
			 0);
	assert_int_equal(iop.nr_mapped, 3);

	/* unmap stops at the first hole: 513 is mapped, 514 is not */
	iommu_iotlb_gather_init(&g);
	assert_int_equal(io_pgtable_unmap_pages(&iop, 513 * PAGE_SIZE, 3, &g),
			 PAGE_SIZE);
	assert_int_equal(g.nr_pages, 1);
	/* unmapping nothing gathers nothing */
	iommu_iotlb_gather_init(&g);
	assert_int_equal(io_pgtable_unmap_pages(&iop, 511 * PAGE_SIZE, 1, &g),
			 0);
	assert_true(iommu_iotlb_gather_empty(&g));
	/* a remap of an unmapped IOVA to another frame is allowed */
	assert_int_equal(io_pgtable_map_pages(&iop, 511 * PAGE_SIZE, 300, 1,
					      IOMMU_WRITE, &mapped),
			 0);
	assert_int_equal(io_pgtable_iova_to_phys(&iop, 511 * PAGE_SIZE, &wk),
			 0);
	assert_int_equal(wk.pfn, 300);
	assert_int_equal(wk.prot, IOMMU_WRITE);
	world_done(w);
}

static void test_iopt_errors(void **state)
{
	struct world *w = det_world();
	struct io_pgtable iop;
	size_t mapped;

	(void)state;
	assert_int_equal(alloc_io_pgtable(w, &iop), 0);
	/* unaligned, no permission, unknown bits, beyond the IOVA space */
	assert_int_equal(io_pgtable_map_pages(&iop, 0x1008, 1, 1, IOMMU_READ,
					      &mapped),
			 -EINVAL);
	assert_int_equal(io_pgtable_map_pages(&iop, 0x1000, 1, 1, 0, &mapped),
			 -EINVAL);
	assert_int_equal(io_pgtable_map_pages(&iop, 0x1000, 1, 1, 0x10,
					      &mapped),
			 -EINVAL);
	assert_int_equal(io_pgtable_map_pages(&iop, IOPT_IOVA_LIMIT, 1, 1,
					      IOMMU_READ, &mapped),
			 -EINVAL);
	assert_int_equal(io_pgtable_map_pages(&iop, IOPT_IOVA_LIMIT - PAGE_SIZE,
					      1, 2, IOMMU_READ, &mapped),
			 -EINVAL);
	/* mapping over a present entry: -EEXIST after the pages before it */
	assert_int_equal(io_pgtable_map_pages(&iop, 0x3000, 1, 1, IOMMU_READ,
					      &mapped),
			 0);
	assert_int_equal(io_pgtable_map_pages(&iop, 0x2000, 5, 2, IOMMU_READ,
					      &mapped),
			 -EEXIST);
	assert_int_equal(mapped, PAGE_SIZE);
	assert_int_equal(iop.nr_mapped, 2);
	world_done(w);
}

/* two agents map disjoint pages that share every table; a third walks */
struct iopt_race {
	struct io_pgtable iop;
	int walker_saw_wrong;
};

static void iopt_mapper(void *arg)
{
	struct iopt_race *r = arg;
	size_t mapped;
	unsigned long i = current->id; /* 0 or 1 */

	if (io_pgtable_map_pages(&r->iop, (8 + i) * PAGE_SIZE, 40 + i, 1,
				 IOMMU_READ, &mapped))
		report_add(current->w, "value", "map %lu failed", i);
}

static void iopt_walker(void *arg)
{
	struct iopt_race *r = arg;
	struct io_pgtable_walk wk;
	unsigned long i;

	for (i = 0; i < 2; i++)
		if (!io_pgtable_iova_to_phys(&r->iop, (8 + i) * PAGE_SIZE,
					     &wk) &&
		    wk.pfn != 40 + i)
			report_add(current->w, "value",
				   "walk of page %lu found pfn %lu", i, wk.pfn);
}

static int iopt_race_setup(struct world *w, void *arg)
{
	struct iopt_race *r = arena_alloc(w, sizeof(*r));

	(void)arg;
	w->priv = r;
	if (alloc_io_pgtable(w, &r->iop))
		return -ENOMEM;
	agent_create(w, "map0", iopt_mapper, r);
	agent_create(w, "map1", iopt_mapper, r);
	agent_create(w, "walk", iopt_walker, r);
	return 0;
}

static void iopt_race_check(struct world *w, void *arg)
{
	struct iopt_race *r = w->priv;
	struct io_pgtable_walk wk;
	unsigned long i;

	(void)arg;
	for (i = 0; i < 2; i++)
		if (io_pgtable_iova_to_phys(&r->iop, (8 + i) * PAGE_SIZE,
					    &wk) ||
		    wk.pfn != 40 + i)
			report_add(w, "value", "page %lu lost its mapping", i);
	if (r->iop.nr_mapped != 2)
		report_add(w, "value", "nr_mapped %lu", r->iop.nr_mapped);
}

static void test_iopt_concurrent_maps(void **state)
{
	const struct model m = { .name = "iopt-race",
				 .setup = iopt_race_setup,
				 .check = iopt_race_check };
	struct explore_result r;
	struct explore_opts o = { .strategy = STRAT_DFS,
				  .bound = 2,
				  .stop_on_violation = true,
				  .progress_fd = -1 };

	(void)state;
	assert_int_equal(explore(&m, &o, &r), 0);
	if (r.first_report)
		fprintf(stderr, "%s\n", r.first_report);
	assert_int_equal(r.violating, 0);
	assert_true(r.exhausted);
	/* the table-install race happens in some interleaving */
	assert_true(r.executions > 10);
	explore_result_free(&r);
}

/* ---- IOVA allocator ---- */

static void test_iova_alloc_top_down(void **state)
{
	struct world *w = det_world();
	struct iova_domain iovad;
	struct iova r;
	unsigned long a, b, c;

	(void)state;
	assert_int_equal(init_iova_domain(w, &iovad, 3000, 1, 16), -EINVAL);
	assert_int_equal(init_iova_domain(w, &iovad, PAGE_SIZE, 0, 16),
			 -EINVAL);
	assert_int_equal(init_iova_domain(w, &iovad, PAGE_SIZE, 1, 16), 0);
	assert_int_equal(iova_shift(&iovad), PAGE_SHIFT);

	/* top down below the limit, size-aligned */
	a = alloc_iova(&iovad, 1, 0xfff, true);
	assert_int_equal(a, 0xfff);
	b = alloc_iova(&iovad, 4, 0xfff, true);
	assert_int_equal(b, 0xff8); /* 0xffb..0xffe is not 4-aligned */
	/* 3 pages aligned to 4: the gap 0xffc..0xffe fits */
	c = alloc_iova(&iovad, 3, 0xfff, true);
	assert_int_equal(c, 0xffc);
	/* next below 0xff8: aligned to 4 at 0xff4, unaligned right under */
	assert_int_equal(alloc_iova(&iovad, 3, 0xfff, false), 0xff5);
	assert_int_equal(alloc_iova(&iovad, 2, 0xfff, true), 0xff2);
	assert_int_equal(iova_nr_allocated(&iovad), 5);
	assert_true(find_iova(&iovad, 0xff9, &r));
	assert_int_equal(r.pfn_lo, 0xff8);
	assert_int_equal(r.pfn_hi, 0xffb);
	assert_false(find_iova(&iovad, 0xff1, &r));
	/* below start_pfn or nothing fits */
	assert_int_equal(alloc_iova(&iovad, 1, 0, true), 0);
	assert_int_equal(alloc_iova(&iovad, 8, 7, true), 0);
	/* a freed range is found again by the next allocation of that spot */
	assert_true(free_iova(&iovad, b));
	assert_int_equal(alloc_iova(&iovad, 4, 0xfff, true), b);
	world_done(w);
}

static void test_iova_capacity(void **state)
{
	struct world *w = det_world();
	struct iova_domain iovad;
	unsigned long i;

	(void)state;
	assert_int_equal(init_iova_domain(w, &iovad, PAGE_SIZE, 1, 4), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(alloc_iova(&iovad, 1, 100, true), 100 - i);
	assert_int_equal(alloc_iova(&iovad, 1, 100, true), 0);
	/* the space itself runs out too: pfns 1..3 */
	assert_int_equal(init_iova_domain(w, &iovad, PAGE_SIZE, 1, 8), 0);
	for (i = 0; i < 3; i++)
		assert_int_not_equal(alloc_iova(&iovad, 1, 3, true), 0);
	assert_int_equal(alloc_iova(&iovad, 1, 3, true), 0);
	world_done(w);
}

/* the property the DMA layer's stale-IOTLB case needs: LIFO reuse */
static void test_iova_fast_reuse(void **state)
{
	struct world *w = det_world();
	struct iova_domain iovad;
	unsigned long a, b, c, big;

	(void)state;
	assert_int_equal(init_iova_domain(w, &iovad, PAGE_SIZE, 1, 64), 0);
	a = alloc_iova_fast(&iovad, 1, 0xfffff);
	b = alloc_iova_fast(&iovad, 1, 0xfffff);
	assert_int_not_equal(a, b);
	free_iova_fast(&iovad, a, 1);
	free_iova_fast(&iovad, b, 1);
	/* cached ranges stay allocated in the table */
	assert_int_equal(iova_nr_allocated(&iovad), 2);
	/* last freed, first reused */
	assert_int_equal(alloc_iova_fast(&iovad, 1, 0xfffff), b);
	assert_int_equal(alloc_iova_fast(&iovad, 1, 0xfffff), a);
	assert_int_equal(iovad.nr_alloc_cached, 2);
	/* a cached range above the limit is not handed out */
	free_iova_fast(&iovad, a, 1);
	c = alloc_iova_fast(&iovad, 1, a - 1);
	assert_true(c < a);
	assert_int_equal(alloc_iova_fast(&iovad, 1, 0xfffff), a);
	/* sizes not cached (not a power of two, or too large) are freed */
	big = alloc_iova_fast(&iovad, 64, 0xfffff);
	assert_int_not_equal(big, 0);
	assert_int_equal(big & 63, 0);
	free_iova_fast(&iovad, big, 64);
	assert_false(find_iova(&iovad, big, &(struct iova){ 0 }));
	world_done(w);
}

static void test_iova_bad_free(void **state)
{
	struct world *w = det_world();
	struct iova_domain iovad;
	unsigned long a;

	(void)state;
	assert_int_equal(init_iova_domain(w, &iovad, PAGE_SIZE, 1, 64), 0);
	a = alloc_iova_fast(&iovad, 2, 0xfffff);
	free_iova_fast(&iovad, a, 1); /* wrong size */
	assert_true(report_has(w, "bad-iova-free"));
	assert_int_equal(w->nr_reports, 1);
	free_iova_fast(&iovad, a, 2);
	free_iova_fast(&iovad, a, 2); /* twice: it sits in the cache */
	assert_int_equal(w->nr_reports, 2);
	free_iova_fast(&iovad, 0x1234, 1); /* never allocated */
	assert_int_equal(w->nr_reports, 3);
	assert_false(free_iova(&iovad, 0x1234));
	assert_int_equal(w->nr_reports, 4);
	world_destroy(w);
}

/* ---- DMA-API domains ---- */

#define DMA_FRAMES 1024UL
#define NBUF 8

struct dfx {
	struct world *w;
	struct policy pol;
	struct mm_world *mmw;
	struct iommu *iommu;
	struct pci_dev *dev;
	struct iommu_dma_cookie *cookie;
	struct page *buf[NBUF];
};

/* a device (@ats) on a DMA domain in @w, NBUF buffers holding 500 + i */
static void dfx_init(struct dfx *f, struct world *w, bool ats)
{
	int i;

	f->w = w;
	f->mmw = mm_world_get(f->w, DMA_FRAMES, 1);
	assert_non_null(f->mmw);
	f->iommu = iommu_get(f->mmw);
	f->dev = pci_dev_add(f->iommu, "nic", ats, false);
	assert_non_null(f->dev);
	f->cookie = iommu_dma_domain_alloc(f->iommu, f->dev);
	assert_non_null(f->cookie);
	assert_ptr_equal(dev_dma_cookie(f->dev), f->cookie);
	for (i = 0; i < NBUF; i++) {
		f->buf[i] = alloc_page(f->mmw->pm, __GFP_ZERO);
		assert_non_null(f->buf[i]);
		phys_write(f->mmw->pm, page_to_pfn(f->buf[i]), 16, 500 + i);
	}
}

static struct dfx *dfx_new(bool deferred, bool ats)
{
	struct dfx *f = calloc(1, sizeof(*f));
	char err[128];

	policy_init_default(&f->pol);
	if (deferred)
		assert_int_equal(policy_set(&f->pol, "iommu.dma_invalidation",
					    "deferred", err, sizeof(err)),
				 0);
	dfx_init(f,
		 world_create(&(struct world_opts){ .engine = ENGINE_DET,
						    .policy = &f->pol }),
		 ats);
	assert_int_equal(f->cookie->domain->type,
			 deferred ? IOMMU_DOMAIN_DMA_FQ : IOMMU_DOMAIN_DMA);
	return f;
}

/* tear down; every test must end with no report and no leak */
static void dfx_done(struct dfx *f, unsigned long reports)
{
	int i;

	iommu_dma_domain_free(f->cookie);
	iommu_dma_check_quiescent(f->cookie);
	iommu_check_quiescent(f->iommu);
	for (i = 0; i < NBUF; i++) {
		assert_int_equal(page_ref_count(f->buf[i]), 1);
		put_page(f->buf[i]);
	}
	phys_check_leaks(f->mmw->pm, 0);
	if ((unsigned long)f->w->nr_reports != reports)
		report_print_all(f->w, stderr);
	assert_int_equal(f->w->nr_reports, reports);
	world_destroy(f->w);
	free(f);
}

static int dev_rd(struct dfx *f, dma_addr_t a, uint64_t *v)
{
	return iommu_dma_read(f->dev, IOMMU_NO_PASID, a, v);
}

static void test_dma_strict_map_unmap(void **state)
{
	struct dfx *f = dfx_new(false, true);
	unsigned long cmds;
	dma_addr_t a, b;
	uint64_t v;

	(void)state;
	a = iommu_dma_map_page(f->dev, f->buf[0], 16, 64, DMA_BIDIRECTIONAL);
	assert_int_not_equal(a, DMA_MAPPING_ERROR);
	assert_int_equal(a & ~PAGE_MASK, 16);
	assert_int_equal(a >> PAGE_SHIFT, DMA_IOVA_LIMIT_PFN); /* top down */
	assert_int_equal(page_ref_count(f->buf[0]), 2); /* the mapping's */
	/* the device reads the buffer and writes into it */
	assert_int_equal(dev_rd(f, a, &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(iommu_dma_write(f->dev, IOMMU_NO_PASID, a + 8, 77), 0);
	assert_int_equal(phys_read(f->mmw->pm, page_to_pfn(f->buf[0]), 24, &v),
			 0);
	assert_int_equal(v, 77);
	assert_non_null(iommu_iotlb_peek(f->iommu, f->cookie->domain->id,
					 IOMMU_NO_PASID, a));
	assert_non_null(dev_atc_peek(f->dev, IOMMU_NO_PASID, a));

	/* strict unmap: IOTLB and ATC entries gone before it returns */
	cmds = f->iommu->stats.inv_cmds;
	iommu_dma_unmap_page(f->dev, a, 64, DMA_BIDIRECTIONAL);
	assert_int_equal(f->iommu->stats.inv_cmds, cmds + 1);
	assert_int_equal(f->cookie->nr_iotlb_syncs, 1);
	assert_null(iommu_iotlb_peek(f->iommu, f->cookie->domain->id,
				     IOMMU_NO_PASID, a));
	assert_null(dev_atc_peek(f->dev, IOMMU_NO_PASID, a));
	assert_int_equal(page_ref_count(f->buf[0]), 1);
	/* the device now faults (no PRI without PASID) */
	assert_int_equal(dev_rd(f, a, &v), -EFAULT);
	/* the IOVA is reused at once, for another buffer */
	b = iommu_dma_map_page(f->dev, f->buf[1], 0, PAGE_SIZE, DMA_TO_DEVICE);
	assert_int_equal(b, a & PAGE_MASK);
	assert_int_equal(dev_rd(f, b + 16, &v), 0);
	assert_int_equal(v, 501);
	/* DMA_TO_DEVICE: the device may only read */
	assert_int_equal(iommu_dma_write(f->dev, IOMMU_NO_PASID, b, 1),
			 -EFAULT);
	iommu_dma_unmap_page(f->dev, b, PAGE_SIZE, DMA_TO_DEVICE);
	assert_int_equal(f->cookie->nr_maps, 2);
	assert_int_equal(f->cookie->nr_unmaps, 2);
	dfx_done(f, 0);
}

static void test_dma_misuse(void **state)
{
	struct dfx *f = dfx_new(false, false);
	dma_addr_t a;

	(void)state;
	/* bad direction, size, offset: DMA_MAPPING_ERROR, no reference */
	assert_int_equal(iommu_dma_map_page(f->dev, f->buf[0], 0, 8, DMA_NONE),
			 DMA_MAPPING_ERROR);
	assert_int_equal(iommu_dma_map_page(f->dev, f->buf[0], 0, 0,
					    DMA_TO_DEVICE),
			 DMA_MAPPING_ERROR);
	assert_int_equal(iommu_dma_map_page(f->dev, f->buf[0], 8, PAGE_SIZE,
					    DMA_TO_DEVICE),
			 DMA_MAPPING_ERROR);
	assert_int_equal(f->cookie->nr_map_errors, 3);
	assert_int_equal(page_ref_count(f->buf[0]), 1);
	/* unmapping twice, or what was never mapped, is reported */
	a = iommu_dma_map_page(f->dev, f->buf[0], 0, 8, DMA_FROM_DEVICE);
	iommu_dma_unmap_page(f->dev, a, 8, DMA_FROM_DEVICE);
	assert_int_equal(f->w->nr_reports, 0);
	iommu_dma_unmap_page(f->dev, a, 8, DMA_FROM_DEVICE);
	assert_true(report_has(f->w, "bad-dma-unmap"));
	iommu_dma_unmap_page(f->dev, 0x1000, 8, DMA_FROM_DEVICE);
	assert_int_equal(f->w->nr_reports, 2);
	dfx_done(f, 2);
}

/* a map left behind is a leak at the end */
static void test_dma_leak_reported(void **state)
{
	struct dfx *f = dfx_new(false, false);
	dma_addr_t a;

	(void)state;
	a = iommu_dma_map_page(f->dev, f->buf[0], 0, 8, DMA_TO_DEVICE);
	assert_int_not_equal(a, DMA_MAPPING_ERROR);
	iommu_dma_domain_free(f->cookie);
	assert_int_equal(iommu_dma_check_quiescent(f->cookie), 1);
	assert_true(report_has(f->w, "dma-leak"));
	world_destroy(f->w);
	free(f);
}

/*
 * Deferred, no timer: the unmap only queues; the device keeps its
 * translation (the checker says so), the IOVA is not reused and the
 * buffer keeps its reference until the flush.
 */
static void test_dma_deferred_detected(void **state)
{
	struct dfx *f = dfx_new(true, true);
	dma_addr_t a, b;
	uint64_t v;

	(void)state;
	a = iommu_dma_map_page(f->dev, f->buf[0], 0, PAGE_SIZE,
			       DMA_BIDIRECTIONAL);
	assert_int_equal(dev_rd(f, a + 16, &v), 0);
	iommu_dma_unmap_page(f->dev, a, PAGE_SIZE, DMA_BIDIRECTIONAL);
	assert_int_equal(iommu_dma_fq_len(f->cookie), 1);
	assert_int_equal(f->cookie->nr_iotlb_syncs, 0);
	assert_int_equal(page_ref_count(f->buf[0]), 2); /* still queued */
	assert_non_null(dev_atc_peek(f->dev, IOMMU_NO_PASID, a));
	/* the device still reaches the buffer */
	assert_int_equal(dev_rd(f, a + 16, &v), 0);
	assert_int_equal(v, 500);
	assert_true(report_has(f->w, "dma-after-unmap"));
	assert_int_equal(f->cookie->nr_after_unmap, 1);
	/* the queued IOVA is not handed out again */
	b = iommu_dma_map_page(f->dev, f->buf[1], 0, PAGE_SIZE,
			       DMA_BIDIRECTIONAL);
	assert_int_not_equal(b & PAGE_MASK, a & PAGE_MASK);
	iommu_dma_unmap_page(f->dev, b, PAGE_SIZE, DMA_BIDIRECTIONAL);
	/* teardown flushes: the queue drains, references drop */
	dfx_done(f, 1);
}

/*
 * A full queue flushes: IOVA_FQ_SIZE - 1 entries fit, the next unmap
 * flushes the domain and frees them; no IOVA is reused before that.
 */
static void test_dma_fq_full_flush(void **state)
{
	struct dfx *f = dfx_new(true, false);
	static dma_addr_t seen[IOVA_FQ_SIZE];
	unsigned long cmds;
	dma_addr_t a;
	int i, j;

	(void)state;
	for (i = 0; i < IOVA_FQ_SIZE - 1; i++) {
		a = iommu_dma_map_page(f->dev, f->buf[i % NBUF], 0, 8,
				       DMA_TO_DEVICE);
		assert_int_not_equal(a, DMA_MAPPING_ERROR);
		for (j = 0; j < i; j++)
			assert_int_not_equal(seen[j], a);
		seen[i] = a;
		iommu_dma_unmap_page(f->dev, a, 8, DMA_TO_DEVICE);
	}
	assert_int_equal(iommu_dma_fq_len(f->cookie), IOVA_FQ_SIZE - 1);
	assert_int_equal(f->cookie->nr_fq_flushes, 0);
	/* every buffer holds one reference per queued mapping */
	assert_int_equal(page_ref_count(f->buf[0]),
			 1 + (IOVA_FQ_SIZE - 1 + NBUF - 1) / NBUF);
	cmds = f->iommu->stats.inv_cmds;
	a = iommu_dma_map_page(f->dev, f->buf[0], 0, 8, DMA_TO_DEVICE);
	iommu_dma_unmap_page(f->dev, a, 8, DMA_TO_DEVICE);
	assert_int_equal(f->cookie->nr_fq_full_flushes, 1);
	assert_int_equal(f->cookie->nr_fq_flushes, 1);
	assert_int_equal(f->iommu->stats.inv_cmds, cmds + 1); /* one, all */
	assert_int_equal(iommu_dma_fq_len(f->cookie), 1);
	assert_int_equal(page_ref_count(f->buf[1]), 1);
	/* now the flushed IOVAs come back, the most recently freed first */
	a = iommu_dma_map_page(f->dev, f->buf[1], 0, 8, DMA_TO_DEVICE);
	for (j = 0; j < IOVA_FQ_SIZE - 1; j++)
		if (seen[j] == a)
			break;
	assert_true(j < IOVA_FQ_SIZE - 1);
	iommu_dma_unmap_page(f->dev, a, 8, DMA_TO_DEVICE);
	dfx_done(f, 0);
}

/*
 * The timer flushes a queue that does not fill up: the driver maps,
 * unmaps and then polls with its device until the translation is gone;
 * the timer agent must have flushed, no earlier than its timeout.
 */
struct fq_timer_run {
	struct dfx f;
	dma_addr_t a;
	unsigned long unmapped_at, flushed_at;
};

#define FQ_TEST_TIMEOUT 30

static void fq_timer_driver(void *arg)
{
	struct fq_timer_run *r = arg;
	struct dfx *f = &r->f;
	uint64_t v;

	r->a = iommu_dma_map_page(f->dev, f->buf[2], 0, PAGE_SIZE,
				  DMA_BIDIRECTIONAL);
	if (dev_rd(f, r->a, &v))
		report_add(current->w, "value", "first read failed");
	iommu_dma_unmap_page(f->dev, r->a, PAGE_SIZE, DMA_BIDIRECTIONAL);
	r->unmapped_at = current->w->step;
	while (!dev_rd(f, r->a, &v))
		cond_resched();
	r->flushed_at = current->w->step;
	iommu_dma_domain_free(f->cookie);
}

static int fq_timer_setup(struct world *w, void *arg)
{
	struct fq_timer_run *r = arena_alloc(w, sizeof(*r));

	(void)arg;
	w->priv = r;
	w->policy->v[KNOB_IOMMU_DMA_INVALIDATION] = IOMMU_DMA_DEFERRED;
	dfx_init(&r->f, w, true);
	r->f.cookie->fq_timeout = FQ_TEST_TIMEOUT;
	iommu_dma_record_windows(r->f.cookie, 4);
	agent_create(w, "driver", fq_timer_driver, r);
	if (iommu_dma_init_fq(r->f.cookie))
		return -ENOMEM;
	return iommu_dma_init_fq(r->f.cookie) == -EBUSY ? 0 : -EINVAL;
}

/* what must hold in every execution; a "value" report otherwise */
static void fq_timer_check(struct world *w, void *arg)
{
	struct fq_timer_run *r = w->priv;
	struct iommu_dma_cookie *c = r->f.cookie;
	int i;

	(void)arg;
	if (c->nr_fq_timeout_flushes != 1 || c->nr_fq_full_flushes ||
	    c->fq_timer_on)
		report_add(w, "value", "timeout flushes %lu, full %lu, on %d",
			   c->nr_fq_timeout_flushes, c->nr_fq_full_flushes,
			   c->fq_timer_on);
	if (r->flushed_at - r->unmapped_at < FQ_TEST_TIMEOUT)
		report_add(w, "value", "flushed %lu steps after the unmap",
			   r->flushed_at - r->unmapped_at);
	/* one exposure window: from the unmap's return to the flush */
	if (c->windows.nr != 1 || c->windows.v[0] < FQ_TEST_TIMEOUT ||
	    c->windows.v[0] > r->flushed_at - r->unmapped_at)
		report_add(w, "value", "%lu windows, first %lu", c->windows.nr,
			   c->windows.nr ? c->windows.v[0] : 0);
	/* the polling reads hit until the flush, and only until then */
	if (!c->nr_after_unmap ||
	    c->max_window >= r->flushed_at - r->unmapped_at)
		report_add(w, "value", "accesses after unmap %lu, window %lu",
			   c->nr_after_unmap, c->max_window);
	iommu_dma_check_quiescent(c);
	for (i = 0; i < NBUF; i++)
		put_page(r->f.buf[i]);
	phys_check_leaks(r->f.mmw->pm, 0);
}

static void test_dma_fq_timeout_flush(void **state)
{
	const struct model m = { .name = "fq-timer",
				 .setup = fq_timer_setup,
				 .check = fq_timer_check };
	struct explore_opts o = { .strategy = STRAT_RANDOM,
				  .iterations = 50,
				  .progress_fd = -1 };
	struct explore_result r;
	int i;

	(void)state;
	assert_int_equal(explore(&m, &o, &r), 0);
	if (r.nr_kinds != 1 && r.first_report)
		fprintf(stderr, "%s\n", r.first_report);
	/* each execution reports the polling reads after the unmap, only */
	assert_int_equal(r.violating, r.executions);
	for (i = 0; i < r.nr_kinds; i++)
		assert_string_equal(r.kinds[i].kind, "dma-after-unmap");
	assert_int_equal(r.nr_kinds, 1);
	explore_result_free(&r);
}

/* the race models: strict clean, deferred found with its window */
static void test_dma_explore(void **state)
{
	const struct model *clean = model_by_name("dma-unmap-vs-dma");
	const struct model *bug = model_by_name("dma-unmap-vs-dma-deferred");
	struct explore_opts o = { .stop_on_violation = true,
				  .progress_fd = -1 };
	struct explore_result r;

	(void)state;
	assert_non_null(clean);
	assert_non_null(bug);
	o.strategy = STRAT_DFS;
	o.bound = 2;
	assert_int_equal(explore(clean, &o, &r), 0);
	assert_int_equal(r.violating, 0);
	assert_true(r.exhausted);
	explore_result_free(&r);
	o.strategy = STRAT_RANDOM;
	o.bound = 0;
	o.iterations = 2000;
	assert_int_equal(explore(clean, &o, &r), 0);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);
	o.strategy = STRAT_PCT;
	o.depth = 3;
	assert_int_equal(explore(clean, &o, &r), 0);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);

	/* deferred: found by DFS and PCT; the report names the window */
	o.strategy = STRAT_DFS;
	o.bound = 2;
	o.iterations = 0;
	assert_int_equal(explore(bug, &o, &r), 0);
	assert_true(r.violating > 0);
	assert_string_equal(r.first_kind, "dma-after-unmap");
	assert_non_null(strstr(r.first_report, "a window of "));
	assert_true(r.replay_verified);
	explore_result_free(&r);
	o.strategy = STRAT_PCT;
	o.iterations = 2000;
	assert_int_equal(explore(bug, &o, &r), 0);
	assert_string_equal(r.first_kind, "dma-after-unmap");
	explore_result_free(&r);
}

/* ---- SVA devices vs the primary MMU ---- */

/* explore @name under @knob=@value (NULL: the default policy) */
static void explore_policy(const char *name, const char *knob,
			   const char *value, const struct explore_opts *o,
			   struct explore_result *r)
{
	const struct model *m = model_by_name(name);
	struct policy_model pm;
	struct policy pol;
	char err[160];

	assert_non_null(m);
	policy_init_default(&pol);
	if (knob)
		assert_int_equal(
			policy_set(&pol, knob, value, err, sizeof(err)), 0);
	policy_model_init(&pm, m, &pol);
	assert_int_equal(explore(&pm.m, o, r), 0);
}

static void assert_clean(const struct explore_result *r)
{
	if (r->first_report)
		fprintf(stderr, "%s\n", r->first_report);
	assert_int_equal(r->violating, 0);
}

/*
 * mremap vs truncate with an SVA device: clean both with the 6.6 flush
 * and with the flush at mremap's range end (truncate's own notifier
 * range over the old VMA flushes the device first); without any
 * secondary invalidation (Intel glue under "none") the model does see the
 * freed page, so the oracle is alive.
 */
static void test_sva_mremap(void **state)
{
	struct explore_opts o = { .strategy = STRAT_DFS,
				  .bound = 1,
				  .stop_on_violation = true,
				  .progress_fd = -1 };
	struct explore_result r;

	(void)state;
	explore_policy("sva-mremap-vs-truncate", NULL, NULL, &o, &r);
	assert_clean(&r);
	assert_true(r.exhausted);
	explore_result_free(&r);
	explore_policy("sva-mremap-vs-truncate", "notifier.secondary_tlb_flush",
		       "in_range_end", &o, &r);
	assert_clean(&r);
	assert_true(r.exhausted);
	explore_result_free(&r);
	o.strategy = STRAT_PCT;
	o.iterations = 2000;
	o.depth = 3;
	explore_policy("sva-mremap-vs-truncate", "notifier.secondary_tlb_flush",
		       "in_range_end", &o, &r);
	assert_clean(&r);
	explore_result_free(&r);
	explore_policy("sva-mremap-vs-truncate", "notifier.secondary_tlb_flush",
		       "none", &o, &r);
	assert_true(r.violating > 0);
	explore_result_free(&r);
}

/* the nested flush's [0, -1UL): found with the old range arithmetic */
static void test_sva_dontneed_nested(void **state)
{
	struct explore_opts o = { .strategy = STRAT_DFS,
				  .bound = 2,
				  .stop_on_violation = true,
				  .progress_fd = -1 };
	struct explore_result r;

	(void)state;
	explore_policy("sva-dontneed-nested", NULL, NULL, &o, &r);
	assert_clean(&r);
	assert_true(r.exhausted);
	explore_result_free(&r);
	explore_policy("sva-dontneed-nested", "iommu.sva_full_range_flush",
		       "false", &o, &r);
	assert_string_equal(r.first_kind, "value");
	assert_non_null(
		strstr(r.first_report, "after MADV_DONTNEED had returned"));
	assert_true(r.replay_verified);
	explore_result_free(&r);
	o.strategy = STRAT_PCT;
	o.iterations = 2000;
	o.depth = 3;
	explore_policy("sva-dontneed-nested", "iommu.sva_full_range_flush",
		       "false", &o, &r);
	assert_string_equal(r.first_kind, "value");
	explore_result_free(&r);
}

/* KSM: count merges and writes through a stale writable translation */
static struct {
	const struct model *inner;
	unsigned long merged, stale_writes, both;
} ksm_count;

static int ksm_count_setup(struct world *w, void *arg)
{
	(void)arg;
	return ksm_count.inner->setup(w, ksm_count.inner->arg);
}

static void ksm_count_check(struct world *w, void *arg)
{
	bool merged, stale;

	(void)arg;
	sva_flush_race_stats(w, &merged, &stale);
	ksm_count.merged += merged;
	ksm_count.stale_writes += stale;
	ksm_count.both += merged && stale;
	ksm_count.inner->check(w, ksm_count.inner->arg);
}

/*
 * The documented deferral is safe: under in_range_end the device does
 * write through its stale writable translation after write_protect_page
 * cleared the PTE, but before the range end, so before the compare; KSM
 * then sees the new content and does not merge.  Exhaustive with three
 * preemptions, and some executions merge, some write through the stale
 * entry.  With no secondary invalidation at all the write is lost.
 */
static void test_sva_ksm(void **state)
{
	const struct model counted = { .name = "sva-ksm-vs-write",
				       .setup = ksm_count_setup,
				       .check = ksm_count_check };
	const char *const pols[] = { "with_tlb_flush", "in_range_end" };
	struct explore_opts o = { .strategy = STRAT_DFS,
				  .bound = 3,
				  .stop_on_violation = true,
				  .progress_fd = -1 };
	struct explore_result r;
	struct policy_model pm;
	struct policy pol;
	char err[160];
	int i;

	(void)state;
	ksm_count.inner = model_by_name("sva-ksm-vs-write");
	assert_non_null(ksm_count.inner);
	for (i = 0; i < 2; i++) {
		memset(&ksm_count.merged, 0, 3 * sizeof(unsigned long));
		policy_init_default(&pol);
		assert_int_equal(policy_set(&pol,
					    "notifier.secondary_tlb_flush",
					    pols[i], err, sizeof(err)),
				 0);
		policy_model_init(&pm, &counted, &pol);
		assert_int_equal(explore(&pm.m, &o, &r), 0);
		assert_clean(&r);
		assert_true(r.exhausted);
		assert_true(ksm_count.merged > 0);
		assert_true(ksm_count.merged < r.executions);
		if (i == 1)
			assert_true(ksm_count.stale_writes > 0);
		explore_result_free(&r);
	}
	o.strategy = STRAT_PCT;
	o.iterations = 3000;
	o.depth = 3;
	o.stop_kind = "lost-update";
	explore_policy("sva-ksm-vs-write", "notifier.secondary_tlb_flush",
		       "none", &o, &r);
	assert_true(r.first_hit);
	assert_string_equal(r.first_kind, "lost-update");
	explore_result_free(&r);
}

/* ---- the scenario files of scenarios/bugs/ ---- */

static const char *scenarios_dir = "scenarios";

/*
 * Explore @file (under scenarios/bugs/) with PCT: with @knob=@value
 * replacing one knob of the file's policy when given.  Returns the
 * number of violating executions; @kind gets the first kind.
 */
static unsigned long explore_file(const char *file, const char *knob,
				  const char *value, unsigned long iters,
				  char *kind)
{
	struct explore_opts o = { .strategy = STRAT_PCT,
				  .depth = 3,
				  .iterations = iters,
				  .stop_on_violation = true,
				  .progress_fd = -1 };
	struct explore_result r;
	struct scenario *sc;
	char path[512], err[256];
	unsigned long n;

	snprintf(path, sizeof(path), "%s/bugs/%s", scenarios_dir, file);
	sc = scenario_load_file(path, err, sizeof(err));
	if (!sc)
		fprintf(stderr, "%s\n", err);
	assert_non_null(sc);
	if (knob)
		assert_int_equal(policy_set(&sc->policy, knob, value, err,
					    sizeof(err)),
				 0);
	assert_int_equal(explore(scenario_model(sc), &o, &r), 0);
	n = r.violating;
	strcpy(kind, r.first_kind);
	if (n && !knob && r.first_report)
		fprintf(stderr, "%s\n", r.first_report);
	explore_result_free(&r);
	scenario_free(sc);
	return n;
}

static void test_scenario_files(void **state)
{
	char kind[40];

	(void)state;
	/* zoo entries: the file's own policy is the buggy one */
	assert_true(explore_file("dma-deferred-unmap.yaml", NULL, NULL, 2000,
				 kind) > 0);
	assert_string_equal(kind, "dma-after-unmap");
	assert_int_equal(explore_file("dma-deferred-unmap.yaml",
				      "iommu.dma_invalidation", "strict", 2000,
				      kind),
			 0);
	assert_true(explore_file("sva-nested-flush-range.yaml", NULL, NULL,
				 2000, kind) > 0);
	assert_string_equal(kind, "value");
	assert_int_equal(explore_file("sva-nested-flush-range.yaml",
				      "iommu.sva_full_range_flush", "true",
				      2000, kind),
			 0);
	/* the clean entries: clean as shipped (pre-6.6 flush at range end),
	 * found once the secondary TLB is never invalidated */
	assert_int_equal(explore_file("sva-ksm-write-protect.yaml", NULL, NULL,
				      2000, kind),
			 0);
	assert_true(explore_file("sva-ksm-write-protect.yaml",
				 "notifier.secondary_tlb_flush", "none", 2000,
				 kind) > 0);
	assert_int_equal(explore_file("sva-mremap-truncate.yaml", NULL, NULL,
				      2000, kind),
			 0);
	assert_true(explore_file("sva-mremap-truncate.yaml",
				 "notifier.secondary_tlb_flush", "none", 2000,
				 kind) > 0);
	assert_true(!strcmp(kind, "stale-atc") || !strcmp(kind, "stale-iotlb"));
}

/* ---- the real engine ---- */

static void test_real_models(void **state)
{
	static const char *const names[] = { "dma-unmap-vs-dma",
					     "dma-unmap-vs-dma-deferred",
					     "sva-ksm-vs-write" };
	struct explore_result r;
	unsigned i;
	int k;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_int_equal(
			run_real(model_by_name(names[i]), 40, 30, 1, &r), 0);
		if (i == 1) {
			/* the lazy window: nothing else may show up */
			for (k = 0; k < r.nr_kinds; k++)
				assert_string_equal(r.kinds[k].kind,
						    "dma-after-unmap");
		} else {
			if (r.first_report)
				fprintf(stderr, "%s\n", r.first_report);
			assert_int_equal(r.violating, 0);
		}
		explore_result_free(&r);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest det[] = {
		cmocka_unit_test(test_iopt_map_walk_unmap),
		cmocka_unit_test(test_iopt_errors),
		cmocka_unit_test(test_iopt_concurrent_maps),
		cmocka_unit_test(test_iova_alloc_top_down),
		cmocka_unit_test(test_iova_capacity),
		cmocka_unit_test(test_iova_fast_reuse),
		cmocka_unit_test(test_iova_bad_free),
		cmocka_unit_test(test_dma_strict_map_unmap),
		cmocka_unit_test(test_dma_misuse),
		cmocka_unit_test(test_dma_leak_reported),
		cmocka_unit_test(test_dma_deferred_detected),
		cmocka_unit_test(test_dma_fq_full_flush),
		cmocka_unit_test(test_dma_fq_timeout_flush),
		cmocka_unit_test(test_dma_explore),
		cmocka_unit_test(test_sva_mremap),
		cmocka_unit_test(test_sva_dontneed_nested),
		cmocka_unit_test(test_sva_ksm),
		cmocka_unit_test(test_scenario_files),
	};
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_real_models),
	};

	if (argc > 1 && !strcmp(argv[1], "real"))
		return cmocka_run_group_tests(real, NULL, NULL);
	if (argc > 2)
		scenarios_dir = argv[2];
	return cmocka_run_group_tests(det, NULL, NULL);
}

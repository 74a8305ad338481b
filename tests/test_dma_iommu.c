// SPDX-License-Identifier: MIT
/*
 * DMA-API domains: the IOMMU page table (src/iommu/io-pgtable.c), the IOVA
 * allocator (src/iommu/iova.c) and dma-iommu's strict and deferred
 * invalidation (src/iommu/dma-iommu.c).
 *
 * `test_dma_iommu det` (suite unit): page-table map/unmap/walk with exact
 * frames and permissions, errors, the gather; IOVA allocation top down,
 * alignment, reuse of freed ranges through the cache, misuse reports;
 * concurrent maps of disjoint ranges under the explorer.
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

#include "core/world.h"
#include "engine/engine.h"
#include "iommu/io-pgtable.h"
#include "iommu/iova.h"

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
	};

	(void)argc;
	(void)argv;
	return cmocka_run_group_tests(det, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/*
 * SVA (src/iommu/iommu-sva.c) and I/O page faults (io-pgfault.c): a
 * device bound to a process DMAs with its virtual addresses.
 *
 * `test_sva det` (suite unit): bind/unbind rules; device reads and writes
 * see the process's values; munmap, mprotect, MADV_DONTNEED, COW after
 * fork and migration invalidate the IOTLB and the device TLB under
 * linux-6.6, full-mm and huge flushes are PASID-wide; with
 * notifier.secondary_tlb_flush=none a stale IOTLB / device-TLB hit is
 * reported; exit releases the PASID (DMA faults, nothing reported) and
 * DMA after unbind is reported; page requests resolved by the iopf
 * worker (zero-fill, COW, invalid for PROT_READ or unmapped); the
 * permission-upgrade livelock with iommu.invalidate_on_upgrade=false and
 * not with true; the AMD IOMMUv2 pre-3.19 start/end scheme; the race
 * models of src/scenario/iommu_models.c under the explorer (clean ones
 * clean under random, PCT and exhaustive DFS bound 1, bound 2 being in
 * tests/long_test.sh; the historical bugs
 * found with a schedule that replays to the same report); the scenario
 * ops (iommu_ops.c) and their load errors.
 *
 * `test_sva real` (suite real, TSan): the clean models on threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check/check.h"
#include "core/policy.h"
#include "engine/engine.h"
#include "iommu/io-pgfault.h"
#include "iommu/iommu-sva.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "scenario/builtin.h"
#include "shipped.h"
#include "scenario/iommu_models.h"
#include "scenario/mm_models.h"
#include "scenario/scenario.h"

#include "explore_helpers.h"

#define NR_FRAMES 2048UL
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define NPAGES 4

struct fx {
	struct world *w;
	struct policy pol;
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct cpu *c0;
	struct iommu *iommu;
	struct pci_dev *dev;
	struct iommu_sva *sva;
	struct iopf_queue *iopf;
	uint32_t pasid;
	unsigned long addr;
	/* agent tests */
	void (*body)(struct fx *f);
	int ret;
};

static struct fx *fx_new_policy(const char **kv, bool ats, bool pri)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	policy_init_default(&f->pol);
	for (; kv && kv[0]; kv += 2)
		assert_int_equal(
			policy_set(&f->pol, kv[0], kv[1], err, sizeof(err)), 0);
	f->w = world_create(&(struct world_opts){ .engine = ENGINE_DET,
						  .policy = &f->pol });
	assert_non_null(f->w);
	f->mmw = mm_world_get(f->w, NR_FRAMES, 2);
	assert_non_null(f->mmw);
	f->mm = mm_alloc(f->mmw);
	assert_non_null(f->mm);
	f->c0 = mm_cpu(f->mmw, 0);
	f->iommu = iommu_get(f->mmw);
	f->dev = pci_dev_add(f->iommu, "accel", ats, pri);
	assert_non_null(f->dev);
	return f;
}

static struct fx *fx_new(const char *knob, const char *value, bool ats)
{
	const char *kv[] = { knob, value, NULL };

	return fx_new_policy(knob ? kv : NULL, ats, false);
}

/* map NPAGES pages, CPU0 writes 100 + i to page i, bind the device */
static void fx_map_bind(struct fx *f)
{
	int i;

	f->addr = vm_mmap(f->mm, NULL, 0, NPAGES * PAGE_SIZE, RW, ANON, 0);
	assert_false(IS_ERR_VALUE(f->addr));
	for (i = 0; i < NPAGES; i++)
		assert_int_equal(cpu_write(f->c0, f->mm,
					   f->addr + i * PAGE_SIZE, 100 + i),
				 0);
	f->sva = iommu_sva_bind_device(f->dev, f->mm);
	assert_false(IS_ERR(f->sva));
	f->pasid = iommu_sva_get_pasid(f->sva);
	assert_int_not_equal(f->pasid, IOMMU_NO_PASID);
}

static unsigned long va(struct fx *f, int page)
{
	return f->addr + page * PAGE_SIZE;
}

static uint64_t dev_read(struct fx *f, int page, int *ret)
{
	uint64_t v = 0;

	*ret = iommu_dma_read(f->dev, f->pasid, va(f, page), &v);
	return v;
}

static bool cached(struct fx *f, int page)
{
	struct iommu_domain *d =
		iommu_get_domain_for_dev_pasid(f->dev, f->pasid);

	return (d &&
		iommu_iotlb_peek(f->iommu, d->id, f->pasid, va(f, page))) ||
	       dev_atc_peek(f->dev, f->pasid, va(f, page));
}

/* ends a test: unbind if bound, exit the mm, checks, and the reports */
static void fx_done(struct fx *f, const char *expect_kind)
{
	if (f->sva && f->sva->users)
		iommu_sva_unbind_device(f->sva);
	iommu_check_quiescent(f->iommu);
	mm_check_quiescent(f->mmw);
	cpu_idle(f->c0);
	cpu_idle(mm_cpu(f->mmw, 1));
	if (f->mm)
		mmput(f->mm);
	mmu_notifier_world_check(f->mmw->nw);
	phys_check_leaks(f->mmw->pm, 0);
	if (expect_kind) {
		assert_true(report_has(f->w, expect_kind));
	} else {
		if (f->w->nr_reports)
			report_print_all(f->w, stderr);
		assert_int_equal(f->w->nr_reports, 0);
	}
	world_destroy(f->w);
	free(f);
}

static void test_bind_rw(void **state)
{
	struct fx *f = fx_new(NULL, NULL, true);
	struct pci_dev *dev2 = pci_dev_add(f->iommu, "nic", false, false);
	struct iommu_sva *h2, *again;
	uint64_t v;
	int ret, i;

	(void)state;
	fx_map_bind(f);
	assert_int_equal(f->pasid, 1);
	for (i = 0; i < NPAGES; i++)
		assert_int_equal(dev_read(f, i, &ret), 100 + i);
	assert_int_equal(ret, 0);
	/* the device writes, the CPU sees it, and the other way round */
	assert_int_equal(iommu_dma_write(f->dev, f->pasid, va(f, 1) + 8, 55),
			 0);
	assert_int_equal(cpu_read(f->c0, f->mm, va(f, 1) + 8, &v), 0);
	assert_int_equal(v, 55);
	assert_int_equal(cpu_write(f->c0, f->mm, va(f, 2) + 16, 66), 0);
	assert_int_equal(iommu_dma_read(f->dev, f->pasid, va(f, 2) + 16, &v),
			 0);
	assert_int_equal(v, 66);
	/* the walk set the accessed and dirty bits */
	{
		pte_t pte;

		assert_int_equal(sva_peek_pte(f->mm, va(f, 1), &pte), 0);
		assert_true(pte_val(pte) & _PAGE_DIRTY);
	}
	/* same device and mm: the same handle; another device: same PASID */
	again = iommu_sva_bind_device(f->dev, f->mm);
	assert_ptr_equal(again, f->sva);
	assert_int_equal(f->sva->users, 2);
	h2 = iommu_sva_bind_device(dev2, f->mm);
	assert_false(IS_ERR(h2));
	assert_int_equal(iommu_sva_get_pasid(h2), f->pasid);
	assert_int_equal(iommu_dma_read(dev2, f->pasid, va(f, 0), &v), 0);
	assert_int_equal(v, 100);
	iommu_sva_unbind_device(again);
	assert_int_equal(iommu_dma_read(f->dev, f->pasid, va(f, 0), &v), 0);
	iommu_sva_unbind_device(h2);
	/* a device without PASIDs cannot bind */
	dev2->pasid_enabled = false;
	assert_int_equal(PTR_ERR(iommu_sva_bind_device(dev2, f->mm)), -ENODEV);
	/* nothing of the mm is mapped here */
	assert_int_equal(iommu_dma_read(f->dev, f->pasid, 0x70000000, &v),
			 -EFAULT);
	fx_done(f, NULL);
}

static void test_unbind_then_dma(void **state)
{
	struct fx *f = fx_new(NULL, NULL, true);
	int ret;

	(void)state;
	fx_map_bind(f);
	dev_read(f, 0, &ret);
	assert_int_equal(ret, 0);
	iommu_sva_unbind_device(f->sva);
	assert_false(cached(f, 0));
	assert_int_equal(f->w->nr_reports, 0);
	dev_read(f, 0, &ret);
	assert_int_equal(ret, -EFAULT);
	assert_true(report_has(f->w, "dma-after-unbind"));
	/* the PASID is free again: the next bind gets it back */
	f->sva = iommu_sva_bind_device(f->dev, f->mm);
	assert_int_equal(iommu_sva_get_pasid(f->sva), f->pasid);
	fx_done(f, "dma-after-unbind");
}

/* after an operation: page @page is neither in the IOTLB nor the ATC,
 * and the operation issued invalidation commands */
static void check_invalidated(struct fx *f, int page, const char *what,
			      unsigned long inv_before)
{
	if (cached(f, page)) {
		print_error("%s: page %d still cached\n", what, page);
		fail();
	}
	assert_true(f->iommu->stats.inv_cmds > inv_before);
	assert_true(f->iommu->stats.dev_inv_cmds > 0);
}

static void fill(struct fx *f, int page)
{
	int ret;

	dev_read(f, page, &ret);
	assert_int_equal(ret, 0);
	assert_true(cached(f, page));
	assert_non_null(dev_atc_peek(f->dev, f->pasid, va(f, page)));
}

static void test_invalidate_munmap(void **state)
{
	struct fx *f = fx_new(NULL, NULL, true);
	unsigned long inv;
	int ret;

	(void)state;
	fx_map_bind(f);
	fill(f, 1);
	fill(f, 2);
	inv = f->iommu->stats.inv_cmds;
	assert_int_equal(vm_munmap(f->mm, va(f, 1), PAGE_SIZE), 0);
	check_invalidated(f, 1, "munmap", inv);
	dev_read(f, 1, &ret);
	assert_int_equal(ret, -EFAULT);
	assert_int_equal(dev_read(f, 2, &ret), 102);
	fx_done(f, NULL);
}

static void test_invalidate_mprotect(void **state)
{
	struct fx *f = fx_new(NULL, NULL, true);
	unsigned long inv;
	int ret;

	(void)state;
	fx_map_bind(f);
	fill(f, 0);
	assert_int_equal(iommu_dma_write(f->dev, f->pasid, va(f, 0), 7), 0);
	inv = f->iommu->stats.inv_cmds;
	assert_int_equal(
		do_mprotect_pkey(f->mm, va(f, 0), PAGE_SIZE, PROT_READ, -1), 0);
	check_invalidated(f, 0, "mprotect", inv);
	assert_int_equal(iommu_dma_write(f->dev, f->pasid, va(f, 0), 8),
			 -EFAULT);
	assert_int_equal(dev_read(f, 0, &ret), 7);
	/* upgrade again (invalidate_on_upgrade: the RO entry goes) */
	assert_int_equal(do_mprotect_pkey(f->mm, va(f, 0), PAGE_SIZE, RW, -1),
			 0);
	assert_false(cached(f, 0));
	assert_int_equal(iommu_dma_write(f->dev, f->pasid, va(f, 0), 9), 0);
	fx_done(f, NULL);
}

static void test_invalidate_dontneed(void **state)
{
	struct fx *f = fx_new(NULL, NULL, true);
	unsigned long inv;
	int ret;

	(void)state;
	fx_map_bind(f);
	fill(f, 3);
	inv = f->iommu->stats.inv_cmds;
	assert_int_equal(do_madvise(f->mm, va(f, 3), PAGE_SIZE, MADV_DONTNEED),
			 0);
	check_invalidated(f, 3, "MADV_DONTNEED", inv);
	/* no PRI: the device cannot fault it back in */
	dev_read(f, 3, &ret);
	assert_int_equal(ret, -EFAULT);
	fx_done(f, NULL);
}

static void test_invalidate_cow(void **state)
{
	struct fx *f = fx_new(NULL, NULL, true);
	struct mm_struct *child;
	unsigned long inv_all;
	uint64_t v;
	int ret;

	(void)state;
	fx_map_bind(f);
	fill(f, 0);
	inv_all = f->iommu->stats.inv_all;
	child = dup_mm(f->mm);
	assert_non_null(child);
	/* fork's flush_tlb_mm(parent) is a full-mm flush: PASID-wide */
	assert_true(f->iommu->stats.inv_all > inv_all);
	assert_false(cached(f, 0));
	fill(f, 0); /* read-only now */
	/* the parent writes: COW copies, the old translation goes */
	assert_int_equal(cpu_write(f->c0, f->mm, va(f, 0), 4242), 0);
	assert_false(cached(f, 0));
	assert_int_equal(dev_read(f, 0, &ret), 4242);
	assert_int_equal(cpu_read(mm_cpu(f->mmw, 1), child, va(f, 0), &v), 0);
	assert_int_equal(v, 100);
	cpu_idle(mm_cpu(f->mmw, 1));
	mmput(child);
	fx_done(f, NULL);
}

static void test_invalidate_migration(void **state)
{
	struct fx *f = fx_new(NULL, NULL, true);
	struct folio *folio;
	unsigned long old_pfn, inv;
	pte_t pte;
	int ret;

	(void)state;
	fx_map_bind(f);
	fill(f, 2);
	assert_int_equal(sva_peek_pte(f->mm, va(f, 2), &pte), 0);
	old_pfn = pte_pfn(pte);
	folio = page_folio(pfn_to_page(f->mmw->pm, old_pfn));
	folio_get(folio);
	inv = f->iommu->stats.inv_cmds;
	assert_int_equal(migrate_folio_one(f->mmw, folio), 0);
	folio_put(folio);
	check_invalidated(f, 2, "migration", inv);
	assert_int_equal(dev_read(f, 2, &ret), 102);
	assert_int_equal(sva_peek_pte(f->mm, va(f, 2), &pte), 0);
	assert_true(pte_pfn(pte) != old_pfn);
	fx_done(f, NULL);
}

static void test_huge_range_flush_all(void **state)
{
	struct fx *f = fx_new(NULL, NULL, true);
	unsigned long big, inv_all;
	uint64_t v;
	int i;

	(void)state;
	fx_map_bind(f);
	big = vm_mmap(f->mm, NULL, 0, 40 * PAGE_SIZE, RW, ANON | MAP_POPULATE,
		      0);
	assert_false(IS_ERR_VALUE(big));
	for (i = 0; i < 3; i++)
		assert_int_equal(iommu_dma_read(f->dev, f->pasid,
						big + i * PAGE_SIZE, &v),
				 0);
	fill(f, 0);
	inv_all = f->iommu->stats.inv_all;
	/* 40 pages: above the ceiling, the whole PASID goes (page 0 too) */
	assert_int_equal(vm_munmap(f->mm, big, 40 * PAGE_SIZE), 0);
	assert_true(f->iommu->stats.inv_all > inv_all);
	assert_false(cached(f, 0));
	assert_true(f->sva->svm->nr_inv_all + f->sva->svm->nr_inv_range > 0);
	fx_done(f, NULL);
}

static void test_none_stale_iotlb(void **state)
{
	struct fx *f = fx_new("notifier.secondary_tlb_flush", "none", false);
	int ret;

	(void)state;
	fx_map_bind(f);
	dev_read(f, 1, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(vm_munmap(f->mm, va(f, 1), PAGE_SIZE), 0);
	assert_true(cached(f, 1)); /* nothing invalidated it */
	dev_read(f, 1, &ret);
	assert_int_equal(ret, 0); /* a use-after-free through the IOTLB */
	assert_true(report_has(f->w, "stale-iotlb"));
	fx_done(f, "stale-iotlb");
}

static void test_none_stale_atc(void **state)
{
	struct fx *f = fx_new("notifier.secondary_tlb_flush", "none", true);
	int ret;

	(void)state;
	fx_map_bind(f);
	fill(f, 1);
	assert_int_equal(do_madvise(f->mm, va(f, 1), PAGE_SIZE, MADV_DONTNEED),
			 0);
	dev_read(f, 1, &ret);
	assert_int_equal(ret, 0);
	assert_true(report_has(f->w, "stale-atc"));
	fx_done(f, "stale-atc");
}

static void test_in_range_end_invalidates(void **state)
{
	struct fx *f =
		fx_new("notifier.secondary_tlb_flush", "in_range_end", true);
	int ret;

	(void)state;
	fx_map_bind(f);
	fill(f, 1);
	assert_int_equal(vm_munmap(f->mm, va(f, 1), PAGE_SIZE), 0);
	assert_false(cached(f, 1));
	dev_read(f, 1, &ret);
	assert_int_equal(ret, -EFAULT);
	fx_done(f, NULL);
}

static void test_exit_releases(void **state)
{
	struct fx *f = fx_new(NULL, NULL, true);
	int ret;

	(void)state;
	fx_map_bind(f);
	fill(f, 0);
	cpu_idle(f->c0);
	mmput(f->mm); /* exit: mmu_notifier_release -> intel_mm_release */
	f->mm = NULL;
	assert_true(f->sva->svm->released);
	assert_false(cached(f, 0));
	dev_read(f, 0, &ret);
	assert_int_equal(ret, -EFAULT);
	assert_int_equal(f->w->nr_reports, 0);
	iommu_sva_unbind_device(f->sva); /* the last mm reference */
	fx_done(f, NULL);
}

/* ---- page requests: the device and the iopf worker as agents ---- */

static void fx_agent(void *arg)
{
	struct fx *f = arg;

	f->body(f);
	iopf_queue_free(f->iopf);
}

static void fx_run(struct fx *f, void (*body)(struct fx *f))
{
	f->iopf = iopf_queue_alloc(f->iommu, "iopf");
	assert_non_null(f->iopf);
	assert_int_equal(iopf_queue_add_device(f->iopf, f->dev), 0);
	f->body = body;
	assert_non_null(agent_create(f->w, "device", fx_agent, f));
	assert_int_equal(world_run(f->w), 0);
	assert_int_equal(iopf_queue_remove_device(f->iopf, f->dev), 0);
}

static void body_prq(struct fx *f)
{
	unsigned long fresh;
	uint64_t v = 1;

	/* never touched by the CPU: zero-filled by the fault */
	fresh = vm_mmap(f->mm, NULL, 0, 2 * PAGE_SIZE, RW, ANON, 0);
	assert_int_equal(iommu_dma_read(f->dev, f->pasid, fresh, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(
		iommu_dma_write(f->dev, f->pasid, fresh + PAGE_SIZE, 31), 0);
	assert_int_equal(cpu_read(f->c0, f->mm, fresh + PAGE_SIZE, &v), 0);
	assert_int_equal(v, 31);
	/* read-only VMA: the write request is answered invalid */
	assert_int_equal(
		do_mprotect_pkey(f->mm, fresh, PAGE_SIZE, PROT_READ, -1), 0);
	assert_int_equal(iommu_dma_write(f->dev, f->pasid, fresh, 1), -EFAULT);
	/* nothing mapped */
	assert_int_equal(iommu_dma_read(f->dev, f->pasid, 0x70000000, &v),
			 -EFAULT);
	f->ret = 0;
}

static void test_page_requests(void **state)
{
	struct fx *f = fx_new_policy(NULL, true, true);

	(void)state;
	fx_map_bind(f);
	fx_run(f, body_prq);
	assert_int_equal(f->iopf->nr_handled, 4);
	assert_int_equal(f->iopf->nr_success, 2);
	assert_int_equal(f->iopf->nr_invalid, 2);
	assert_int_equal(f->dev->nr_refaults, 0);
	fx_done(f, NULL);
}

/* after fork the page is read-only; the device's write faults, the
 * handler breaks COW (a copy: its PTE is new, nothing to upgrade) */
static void body_cow(struct fx *f)
{
	struct mm_struct *child = dup_mm(f->mm);
	uint64_t v;

	assert_non_null(child);
	assert_int_equal(iommu_dma_read(f->dev, f->pasid, va(f, 0), &v), 0);
	assert_int_equal(iommu_dma_write(f->dev, f->pasid, va(f, 0), 5), 0);
	assert_int_equal(cpu_read(f->c0, f->mm, va(f, 0), &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(cpu_read(mm_cpu(f->mmw, 1), child, va(f, 0), &v), 0);
	assert_int_equal(v, 100);
	cpu_idle(mm_cpu(f->mmw, 1));
	mmput(child);
}

static void test_page_request_cow(void **state)
{
	struct fx *f = fx_new_policy(NULL, true, true);

	(void)state;
	fx_map_bind(f);
	fx_run(f, body_cow);
	assert_false(f->dev->failed);
	fx_done(f, NULL);
}

/* the 2023 case: a read-only PTE made writable in place (the write
 * fault reuses the page) while the IOTLB caches it read-only */
static void body_upgrade(struct fx *f)
{
	uint64_t v;

	assert_int_equal(
		do_mprotect_pkey(f->mm, va(f, 0), PAGE_SIZE, PROT_READ, -1), 0);
	assert_int_equal(iommu_dma_read(f->dev, f->pasid, va(f, 0), &v), 0);
	assert_int_equal(do_mprotect_pkey(f->mm, va(f, 0), PAGE_SIZE, RW, -1),
			 0);
	f->ret = iommu_dma_write(f->dev, f->pasid, va(f, 0), 77);
}

static void test_upgrade_invalidated(void **state)
{
	struct fx *f = fx_new_policy(NULL, true, true);
	uint64_t v;

	(void)state;
	fx_map_bind(f);
	fx_run(f, body_upgrade);
	assert_int_equal(f->ret, 0);
	assert_int_equal(f->iopf->nr_handled, 0);
	assert_int_equal(cpu_read(f->c0, f->mm, va(f, 0), &v), 0);
	assert_int_equal(v, 77);
	fx_done(f, NULL);
}

/*
 * mprotect's upgrade is flushed anyway here: the mm model's
 * pte_needs_flush() (src/mm/pgtable.h) counts a change of _PAGE_RW either
 * way, so the mmu_gather flushes and the secondary TLBs follow; x86 Linux
 * flushes only when RW is cleared.  The livelock needs an upgrade without
 * any flush: the reuse below.
 */
static void test_mprotect_upgrade_flushed(void **state)
{
	const char *kv[] = { "iommu.invalidate_on_upgrade", "false", NULL };
	struct fx *f = fx_new_policy(kv, true, true);

	(void)state;
	fx_map_bind(f);
	fx_run(f, body_upgrade);
	assert_int_equal(f->ret, 0);
	assert_false(f->dev->failed);
	fx_done(f, NULL);
}

/* the write fault itself upgrades: fork, the child exits, the device
 * reads (read-only entry), then writes: do_wp_page reuses the page */
static void body_reuse(struct fx *f)
{
	struct mm_struct *child = dup_mm(f->mm);
	uint64_t v;

	assert_non_null(child);
	mmput(child);
	assert_int_equal(iommu_dma_read(f->dev, f->pasid, va(f, 0), &v), 0);
	f->ret = iommu_dma_write(f->dev, f->pasid, va(f, 0), 78);
}

static void test_reuse_upgrade(void **state)
{
	const char *kv[] = { "iommu.invalidate_on_upgrade", "false", NULL };
	struct fx *f = fx_new_policy(NULL, true, true);
	struct fx *g = fx_new_policy(kv, true, true);
	struct fx *h = fx_new_policy(kv, true, true);
	uint64_t v;

	(void)state;
	/* the livelock is arm64's: an SMMU keeps the read-only entry */
	f->w->arch = WORLD_ARCH_ARM64;
	g->w->arch = WORLD_ARCH_ARM64;
	fx_map_bind(f);
	fx_run(f, body_reuse);
	assert_int_equal(f->ret, 0);
	assert_int_equal(cpu_read(f->c0, f->mm, va(f, 0), &v), 0);
	assert_int_equal(v, 78);
	fx_done(f, NULL);
	/* without the invalidation: the device faults until it gives up,
	 * every request finding the PTE writable already */
	fx_map_bind(g);
	fx_run(g, body_reuse);
	assert_int_equal(g->ret, -EIO);
	assert_true(g->dev->failed);
	assert_int_equal(g->iopf->nr_success,
			 policy_uint(g->w, KNOB_IOMMU_REFAULT_LIMIT) + 1);
	assert_true(report_has(g->w, "device-failure"));
	fx_done(g, "iopf-livelock");
	/* x86: nothing invalidates on the upgrade, and nothing needs to:
	 * VT-d walks again after the permission fault */
	fx_map_bind(h);
	fx_run(h, body_reuse);
	assert_int_equal(h->ret, 0);
	assert_false(h->dev->failed);
	fx_done(h, NULL);
}

/* AMD IOMMUv2 before 3.19: under "none" the bond brackets invalidations
 * with an empty page table: coherent, the device faults meanwhile */
static void test_amd_v2_start_end(void **state)
{
	struct fx *f = fx_new("notifier.secondary_tlb_flush", "none", true);
	int ret;

	(void)state;
	f->iommu->vendor = IOMMU_VENDOR_AMD_V2;
	fx_map_bind(f);
	assert_true(f->sva->svm->start_end);
	fill(f, 1);
	assert_int_equal(vm_munmap(f->mm, va(f, 1), PAGE_SIZE), 0);
	assert_false(cached(f, 1));
	assert_int_equal(f->sva->svm->notifier_count, 0);
	assert_true(f->sva->svm->nr_inv_start > 0);
	dev_read(f, 1, &ret);
	assert_int_equal(ret, -EFAULT);
	assert_int_equal(dev_read(f, 2, &ret), 102);
	fx_done(f, NULL);
}

/* ---- unbind drains page requests ---- */

struct drain_run {
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct pci_dev *dev;
	struct iommu_sva *sva;
	struct iopf_queue *iopf;
	uint32_t pasid;
	unsigned long addr;
	int pending_after_unbind;
	struct agent *dev_agent;
};

static void drain_device(void *arg)
{
	struct drain_run *d = arg;
	uint64_t v;

	/* never touched: a page request; the driver unbinds meanwhile */
	iommu_dma_read(d->dev, d->pasid, d->addr, &v);
}

static void drain_unbinder(void *arg)
{
	struct drain_run *d = arg;

	iommu_sva_unbind_device(d->sva);
	spin_lock(&d->iopf->lock);
	d->pending_after_unbind = d->iopf->pending[d->dev->id];
	spin_unlock(&d->iopf->lock);
	agent_join(d->dev_agent);
	iopf_queue_free(d->iopf);
}

static int drain_setup(struct world *w, void *arg)
{
	struct drain_run *d = arena_alloc(w, sizeof(*d));
	struct iommu *iommu;

	(void)arg;
	d->mmw = mm_world_get(w, 512, 1);
	d->mm = mm_alloc(d->mmw);
	d->addr = vm_mmap(d->mm, NULL, 0, PAGE_SIZE, RW, ANON, 0);
	iommu = iommu_get(d->mmw);
	d->dev = pci_dev_add(iommu, "accel", true, true);
	d->iopf = iopf_queue_alloc(iommu, "iopf");
	iopf_queue_add_device(d->iopf, d->dev);
	d->sva = iommu_sva_bind_device(d->dev, d->mm);
	if (IS_ERR(d->sva))
		return -ENOMEM;
	d->pasid = iommu_sva_get_pasid(d->sva);
	w->priv = d;
	d->dev_agent = agent_create(w, "device", drain_device, d);
	if (!d->dev_agent || !agent_create(w, "unbind", drain_unbinder, d))
		return -EAGAIN;
	return 0;
}

static void drain_check(struct world *w, void *arg)
{
	struct drain_run *d = w->priv;

	(void)arg;
	if (d->pending_after_unbind)
		report_add(w, "test-drain",
			   "unbind returned with a page request pending\n");
	iommu_check_quiescent(iommu_get(d->mmw));
	mmput(d->mm);
	phys_check_leaks(d->mmw->pm, 0);
}

/* every interleaving of a page request with unbind: when unbind returns
 * nothing of the device is queued or in handling; the device's DMA
 * after the unbind is the driver's fault and is reported as such */
static void test_unbind_drains(void **state)
{
	struct model m = { .name = "unbind-drain",
			   .setup = drain_setup,
			   .check = drain_check };
	struct explore_opts o = {
		.strategy = STRAT_DFS, .seed = 1, .bound = 1, .progress_fd = -1
	};
	struct explore_result r;
	int i;

	(void)state;
	assert_int_equal(explore(&m, &o, &r), 0);
	assert_true(r.exhausted);
	assert_true(r.executions > 10);
	for (i = 0; i < r.nr_kinds; i++)
		if (strcmp(r.kinds[i].kind, "dma-after-unbind"))
			fail_msg("unexpected %s", r.kinds[i].kind);
	explore_result_free(&r);
}

/* ---- the explorer on the race models ---- */

static void expect_clean(const struct model *m, enum strategy s,
			 unsigned long iters, int bound)
{
	explore_expect_clean(m, s, iters, bound,
			     XCLEAN_EXHAUSTED | XCLEAN_ALL_RUNS);
}

/* found with @kind first, and the schedule replays to the same report */
static void expect_found(const struct model *m, enum strategy st,
			 unsigned long iters, int bound, const char *kind)
{
	explore_expect_found(m, st, iters, bound, XONE(kind), NULL);
}

static void test_models_clean(void **state)
{
	static const char *const names[] = { "sva-vs-munmap", "sva-vs-mprotect",
					     "sva-refault", "sva-upgrade",
					     "sva-vs-reclaim" };
	unsigned i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		const struct model *m = model_by_name(names[i]);

		assert_non_null(m);
		expect_clean(m, STRAT_RANDOM, 1000, -1);
		expect_clean(m, STRAT_PCT, 1000, -1);
		expect_clean(m, STRAT_DFS, 0, 1);
	}
}

/* @name under @knob=@value through the policy wrapper */
static void expect_found_with(const char *name, const char *knob,
			      const char *value, const char *preset,
			      enum strategy st, unsigned long iters, int bound,
			      const char *kind)
{
	struct policy_model pm;
	struct policy p;
	char err[256];

	policy_init_default(&p);
	if (preset)
		assert_int_equal(
			policy_apply_preset(&p, preset, err, sizeof(err)), 0);
	if (knob)
		assert_int_equal(policy_set(&p, knob, value, err, sizeof(err)),
				 0);
	policy_model_by_name(&pm, name, &p);
	expect_found(&pm.m, st, iters, bound, kind);
}

static void test_models_bugs_found(void **state)
{
	(void)state;
	/* the 2014 refaults: PCT and DFS bound 1 */
	expect_found(shipped("sva-refault-2014"), STRAT_PCT, 1000, -1,
		     "device-failure");
	expect_found(shipped("sva-refault-2014"), STRAT_DFS, 0, 1,
		     "device-failure");
	/* the 2023 upgrade: every schedule that reads before the reuse */
	expect_found(shipped("sva-upgrade-2023"), STRAT_RANDOM, 100, -1,
		     "iopf-livelock");
	expect_found(shipped("sva-upgrade-2023"), STRAT_DFS, 0, 1,
		     "iopf-livelock");
	/* no secondary invalidation at all (Intel glue under "none") */
	expect_found_with("sva-vs-munmap", "notifier.secondary_tlb_flush",
			  "none", NULL, STRAT_PCT, 1000, -1, "stale-atc");
	expect_found_with("sva-vs-mprotect", "notifier.secondary_tlb_flush",
			  "none", NULL, STRAT_DFS, 0, 1, "permission");
	/* try_to_unmap_one without the secondary notification (6.6) */
	expect_found_with("sva-vs-reclaim", "rmap.secondary_flush_under_ptl",
			  "false", NULL, STRAT_DFS, 0, 1, "stale-atc");
}

/* the deferral to invalidate_range_end is safe while range_end still
 * invalidates: 4.10's policy, the last with the deferral (DFS bound 2 in
 * long_test.sh) */
static void test_reclaim_deferral_safe_pre66(void **state)
{
	struct policy_model pm;
	struct policy p;

	(void)state;
	policy_init_default(&p);
	assert_int_equal(policy_apply_preset(&p, "linux-4.10", NULL, 0), 0);
	assert_false(p.v[KNOB_RMAP_SECONDARY_FLUSH_UNDER_PTL]);
	policy_model_by_name(&pm, "sva-vs-reclaim", &p);
	expect_clean(&pm.m, STRAT_DFS, 0, 1);
	expect_clean(&pm.m, STRAT_PCT, 1000, -1);
	/* the 2014 driver without refaults: waiting is enough */
	policy_init_default(&p);
	assert_int_equal(policy_set(&p, "notifier.secondary_tlb_flush", "none",
				    NULL, 0),
			 0);
	policy_model_by_name(&pm, "sva-refault", &p);
	expect_clean(&pm.m, STRAT_DFS, 0, 1);
	expect_clean(&pm.m, STRAT_PCT, 1000, -1);
}

/* ---- scenario files ---- */

static const char sc_ok[] =
	"name: sva-basic\n"
	"world:\n"
	"  processes: [p]\n"
	"  devices: {gpu: {ats: true, pri: true}, nic: {pri: false}}\n"
	"agents:\n"
	"  - name: a\n"
	"    ops:\n"
	"      - mmap: {proc: p, addr: 0x10000000, len: 8192,\n"
	"               prot: read|write, flags: private|anonymous|fixed}\n"
	"      - write: {proc: p, cpu: 0, addr: 0x10000000, value: 5}\n"
	"      - sva_bind: {device: gpu, proc: p}\n"
	"      - sva_bind: {device: nic, proc: p}\n"
	"      - dma_read: {device: gpu, addr: 0x10000000, expect: 5}\n"
	"      - dma_write: {device: gpu, addr: 0x10001000, value: 9}\n"
	"      - read: {proc: p, cpu: 1, addr: 0x10001000, expect: 9}\n"
	"      - dma_read: {device: nic, addr: 0x10001000, expect: 9}\n"
	"      - dma_read: {device: nic, addr: 0x20000000, expect: fault}\n"
	"      - sva_unbind: {device: gpu}\n"
	"expect: clean\n";

static const char sc_after_unbind[] =
	"name: sva-after-unbind\n"
	"world:\n"
	"  processes: [p]\n"
	"  devices: {gpu: {}}\n"
	"agents:\n"
	"  - name: a\n"
	"    ops:\n"
	"      - mmap: {proc: p, addr: 0x10000000, len: 4096,\n"
	"               prot: read|write, flags: private|anonymous|fixed}\n"
	"      - sva_bind: {device: gpu, proc: p}\n"
	"      - dma_read: {device: gpu, addr: 0x10000000, expect: 0}\n"
	"      - sva_unbind: {device: gpu}\n"
	"      - dma_read: {device: gpu, addr: 0x10000000, expect: fault}\n"
	"expect: dma-after-unbind\n";

static struct explore_result run_sc(const char *text, unsigned long iters)
{
	struct explore_opts o = xopts(STRAT_RANDOM, iters, -1);
	struct explore_result r;
	struct scenario *sc;
	char err[256];

	sc = scenario_load_buffer("t.yaml", text, strlen(text), err,
				  sizeof(err));
	if (!sc)
		fail_msg("%s", err);
	o.stop_on_violation = true;
	assert_int_equal(explore(scenario_model(sc), &o, &r), 0);
	scenario_free(sc);
	return r;
}

static void test_scenario_ops(void **state)
{
	struct explore_result r;

	(void)state;
	r = run_sc(sc_ok, 200);
	if (r.first_report)
		fprintf(stderr, "%s\n", r.first_report);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);
	r = run_sc(sc_after_unbind, 20);
	assert_true(r.first_violation > 0);
	assert_string_equal(r.first_kind, "dma-after-unbind");
	explore_result_free(&r);
}

static void test_scenario_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "name: x\nworld:\n  processes: [p]\n  iommu: {vendor: arm}\n"
		  "agents:\n  - name: a\n    ops: []\n",
		  "t.yaml:4:19: 'vendor' must be intel or amd_iommu_v2" },
		{ "name: x\nworld:\n  processes: [p]\n"
		  "  devices: {gpu: {ats: maybe}}\n"
		  "agents:\n  - name: a\n    ops: []\n",
		  "t.yaml:4:24: 'ats' must be true or false" },
		{ "name: x\nworld:\n  processes: [p]\n"
		  "  devices: {gpu: {pasid: 3}}\n"
		  "agents:\n  - name: a\n    ops: []\n",
		  "t.yaml:4:19: unknown key 'pasid' in a device (ats, pri)" },
	};
	char err[256];
	unsigned i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct scenario *sc = scenario_load_buffer("t.yaml",
							   bad[i].text,
							   strlen(bad[i].text),
							   err, sizeof(err));

		assert_null(sc);
		assert_string_equal(err, bad[i].msg);
	}
}

/* ---- real engine ---- */

static void test_real_models(void **state)
{
	static const char *const clean[] = { "sva-vs-munmap", "sva-refault",
					     "sva-upgrade", "sva-vs-reclaim" };
	unsigned i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(clean); i++)
		real_expect_clean(model_by_name(clean[i]), 50, 30);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_rw),
		cmocka_unit_test(test_unbind_then_dma),
		cmocka_unit_test(test_invalidate_munmap),
		cmocka_unit_test(test_invalidate_mprotect),
		cmocka_unit_test(test_invalidate_dontneed),
		cmocka_unit_test(test_invalidate_cow),
		cmocka_unit_test(test_invalidate_migration),
		cmocka_unit_test(test_huge_range_flush_all),
		cmocka_unit_test(test_none_stale_iotlb),
		cmocka_unit_test(test_none_stale_atc),
		cmocka_unit_test(test_in_range_end_invalidates),
		cmocka_unit_test(test_exit_releases),
		cmocka_unit_test(test_page_requests),
		cmocka_unit_test(test_page_request_cow),
		cmocka_unit_test(test_upgrade_invalidated),
		cmocka_unit_test(test_mprotect_upgrade_flushed),
		cmocka_unit_test(test_reuse_upgrade),
		cmocka_unit_test(test_amd_v2_start_end),
		cmocka_unit_test(test_unbind_drains),
		cmocka_unit_test(test_models_clean),
		cmocka_unit_test(test_models_bugs_found),
		cmocka_unit_test(test_reclaim_deferral_safe_pre66),
		cmocka_unit_test(test_scenario_ops),
		cmocka_unit_test(test_scenario_errors),
	};
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_real_models),
	};

	if (argc > 1 && !strcmp(argv[1], "real"))
		return cmocka_run_group_tests(real, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

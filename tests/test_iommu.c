// SPDX-License-Identifier: MIT
/*
 * The IOMMU core (src/iommu/iommu.c): IOTLB and device TLB fill, lookup,
 * invalidation by range and in full, capacity eviction, the stale-hit
 * check after a frame is freed and reused, cached permissions, PASID
 * attach/detach rules, the quiescent check, and page requests answered by
 * a worker agent (success, invalid, and the refault limit).
 *
 * The domain here is a test domain over a small array "page table", so
 * the core is tested without the SVA or DMA-API layers.
 *
 * `test_iommu det` (suite unit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/policy.h"
#include "engine/engine.h"
#include "iommu/iommu.h"
#include "mm/mm.h"

#define NR_FRAMES 512UL
#define TPAGES 48
#define IOVA 0x100000UL

/* the test domain's "page table": one slot per page from IOVA */
struct tpt {
	unsigned long pfn[TPAGES];
	bool present[TPAGES];
	bool writable[TPAGES];
	int walks;
};

static int tpt_idx(unsigned long iova)
{
	if (iova < IOVA || iova >= IOVA + TPAGES * PAGE_SIZE)
		return -1;
	return (iova - IOVA) >> PAGE_SHIFT;
}

static int tpt_peek(struct iommu_domain *d, uint32_t pasid, unsigned long iova,
		    struct iommu_walk_result *out)
{
	struct tpt *t = d->priv;
	int i = tpt_idx(iova);

	(void)pasid;
	if (i < 0 || !t->present[i])
		return -ENOENT;
	out->pfn = t->pfn[i];
	out->gen = phys_generation(d->iommu->mmw->pm, t->pfn[i]);
	out->writable = t->writable[i];
	return 0;
}

static int tpt_walk(struct iommu_domain *d, uint32_t pasid, unsigned long iova,
		    bool write, struct iommu_walk_result *out)
{
	struct tpt *t = d->priv;
	int ret = tpt_peek(d, pasid, iova, out);

	t->walks++;
	if (!ret && write && !out->writable)
		return -EACCES;
	return ret;
}

static const struct iommu_domain_ops tpt_ops = {
	.iova_to_phys = tpt_walk,
	.iova_to_phys_peek = tpt_peek,
};

struct fx {
	struct world *w;
	struct policy pol;
	struct mm_world *mmw;
	struct iommu *iommu;
	struct iommu_domain *dom;
	struct tpt tpt;
	struct pci_dev *dev;
	struct page *pages[TPAGES];
};

/* a device with @ats on a test domain mapping TPAGES fresh pages rw */
static struct fx *fx_new(bool ats, bool pri, uint32_t pasid)
{
	struct fx *f = calloc(1, sizeof(*f));
	int i;

	policy_init_default(&f->pol);
	f->w = world_create(&(struct world_opts){ .engine = ENGINE_DET,
						  .policy = &f->pol });
	assert_non_null(f->w);
	f->mmw = mm_world_get(f->w, NR_FRAMES, 1);
	assert_non_null(f->mmw);
	f->iommu = iommu_get(f->mmw);
	assert_ptr_equal(iommu_get(f->mmw), f->iommu);
	f->dom = iommu_domain_alloc(f->iommu, IOMMU_DOMAIN_UNMANAGED, &tpt_ops,
				    &f->tpt);
	assert_non_null(f->dom);
	for (i = 0; i < TPAGES; i++) {
		f->pages[i] = alloc_pages(f->mmw->pm, __GFP_ZERO, 0);
		assert_non_null(f->pages[i]);
		f->tpt.pfn[i] = page_to_pfn(f->pages[i]);
		f->tpt.present[i] = true;
		f->tpt.writable[i] = true;
		phys_write(f->mmw->pm, f->tpt.pfn[i], 8, 1000 + i);
	}
	f->dev = pci_dev_add(f->iommu, "dev0", ats, pri);
	assert_non_null(f->dev);
	if (pasid == IOMMU_NO_PASID)
		assert_int_equal(iommu_attach_device(f->dom, f->dev), 0);
	else
		assert_int_equal(
			iommu_attach_device_pasid(f->dom, f->dev, pasid), 0);
	return f;
}

static void fx_free(struct fx *f, const char *expect_kind)
{
	int i;

	if (expect_kind) {
		assert_true(report_has(f->w, expect_kind));
	} else {
		if (f->w->nr_reports)
			report_print_all(f->w, stderr);
		assert_int_equal(f->w->nr_reports, 0);
	}
	for (i = 0; i < TPAGES; i++)
		if (f->pages[i])
			__free_pages(f->pages[i], 0);
	world_destroy(f->w);
	free(f);
}

static unsigned long pg(int i)
{
	return IOVA + i * PAGE_SIZE + 8;
}

static void test_iotlb_fill_lookup(void **state)
{
	struct fx *f = fx_new(false, false, IOMMU_NO_PASID);
	uint64_t v = 0;

	(void)state;
	assert_int_equal(iommu_dma_read(f->dev, IOMMU_NO_PASID, pg(3), &v), 0);
	assert_int_equal(v, 1003);
	assert_int_equal(f->tpt.walks, 1);
	assert_int_equal(f->iommu->stats.iotlb_misses, 1);
	assert_non_null(
		iommu_iotlb_peek(f->iommu, f->dom->id, IOMMU_NO_PASID, pg(3)));
	/* a hit: no walk, and a write lands in the frame */
	assert_int_equal(iommu_dma_write(f->dev, IOMMU_NO_PASID, pg(3), 77), 0);
	assert_int_equal(f->tpt.walks, 1);
	assert_int_equal(f->iommu->stats.iotlb_hits, 1);
	phys_read(f->mmw->pm, f->tpt.pfn[3], 8, &v);
	assert_int_equal(v, 77);
	/* nothing mapped, no PRI: a fault, and nothing cached */
	f->tpt.present[5] = false;
	assert_int_equal(iommu_dma_read(f->dev, IOMMU_NO_PASID, pg(5), &v),
			 -EFAULT);
	assert_null(
		iommu_iotlb_peek(f->iommu, f->dom->id, IOMMU_NO_PASID, pg(5)));
	assert_int_equal(iommu_dma_read(f->dev, IOMMU_NO_PASID, pg(3) + 1, &v),
			 -EINVAL);
	fx_free(f, NULL);
}

static void test_iotlb_flush_range_and_all(void **state)
{
	struct fx *f = fx_new(false, false, IOMMU_NO_PASID);
	struct iommu_domain *other;
	struct pci_dev *dev1;
	uint64_t v;
	int i;

	(void)state;
	other = iommu_domain_alloc(f->iommu, IOMMU_DOMAIN_UNMANAGED, &tpt_ops,
				   &f->tpt);
	dev1 = pci_dev_add(f->iommu, "dev1", false, false);
	assert_int_equal(iommu_attach_device(other, dev1), 0);
	assert_int_equal(iommu_attach_device(other, dev1), -EBUSY);
	for (i = 0; i < 4; i++)
		assert_int_equal(
			iommu_dma_read(f->dev, IOMMU_NO_PASID, pg(i), &v), 0);
	assert_int_equal(iommu_dma_read(dev1, IOMMU_NO_PASID, pg(0), &v), 0);
	assert_int_equal(iommu_iotlb_nr_valid(f->iommu), 5);

	/* pages 1 and 2 only */
	iommu_flush_iotlb_range(f->iommu, f->dom->id, IOMMU_NO_PASID, pg(1) - 8,
				pg(3) - 8);
	assert_non_null(
		iommu_iotlb_peek(f->iommu, f->dom->id, IOMMU_NO_PASID, pg(0)));
	assert_null(
		iommu_iotlb_peek(f->iommu, f->dom->id, IOMMU_NO_PASID, pg(1)));
	assert_null(
		iommu_iotlb_peek(f->iommu, f->dom->id, IOMMU_NO_PASID, pg(2)));
	assert_non_null(
		iommu_iotlb_peek(f->iommu, f->dom->id, IOMMU_NO_PASID, pg(3)));
	assert_int_equal(f->iommu->stats.inv_pages, 2);
	assert_int_equal(f->iommu->stats.inv_entries, 2);

	/* beyond the ceiling: the whole (did, pasid), the other domain stays */
	iommu_flush_iotlb_range(f->iommu, f->dom->id, IOMMU_NO_PASID, IOVA,
				IOVA + (IOMMU_FLUSH_CEILING + 1) * PAGE_SIZE);
	assert_int_equal(f->iommu->stats.inv_all, 1);
	assert_int_equal(iommu_iotlb_nr_valid(f->iommu), 1);
	assert_non_null(
		iommu_iotlb_peek(f->iommu, other->id, IOMMU_NO_PASID, pg(0)));
	/* the full-address-space marker */
	assert_int_equal(iommu_dma_read(f->dev, IOMMU_NO_PASID, pg(7), &v), 0);
	iommu_flush_iotlb_range(f->iommu, f->dom->id, IOMMU_NO_PASID, 0,
				IOMMU_FLUSH_ALL);
	assert_null(
		iommu_iotlb_peek(f->iommu, f->dom->id, IOMMU_NO_PASID, pg(7)));
	assert_int_equal(f->iommu->stats.inv_all, 2);
	/* global */
	iommu_flush_iotlb_all(f->iommu);
	assert_int_equal(iommu_iotlb_nr_valid(f->iommu), 0);
	assert_int_equal(f->iommu->stats.inv_cmds, 4);
	fx_free(f, NULL);
}

static void test_iotlb_capacity_eviction(void **state)
{
	struct fx *f = fx_new(false, false, IOMMU_NO_PASID);
	int i, extra = TPAGES - IOMMU_IOTLB_ENTRIES;
	uint64_t v;

	(void)state;
	for (i = 0; i < TPAGES; i++) {
		assert_int_equal(
			iommu_dma_read(f->dev, IOMMU_NO_PASID, pg(i), &v), 0);
		assert_int_equal(v, 1000 + i);
	}
	assert_int_equal(iommu_iotlb_nr_valid(f->iommu), IOMMU_IOTLB_ENTRIES);
	/* FIFO: the oldest went */
	for (i = 0; i < extra; i++)
		assert_null(iommu_iotlb_peek(f->iommu, f->dom->id,
					     IOMMU_NO_PASID, pg(i)));
	for (i = extra; i < TPAGES; i++)
		assert_non_null(iommu_iotlb_peek(f->iommu, f->dom->id,
						 IOMMU_NO_PASID, pg(i)));
	/* an evicted page walks again */
	i = f->tpt.walks;
	assert_int_equal(iommu_dma_read(f->dev, IOMMU_NO_PASID, pg(0), &v), 0);
	assert_int_equal(f->tpt.walks, i + 1);
	fx_free(f, NULL);
}

static void test_atc_fill_flush_evict(void **state)
{
	struct fx *f = fx_new(true, false, 5);
	uint64_t v;
	int i;

	(void)state;
	assert_int_equal(iommu_dma_read(f->dev, 5, pg(0), &v), 0);
	assert_int_equal(v, 1000);
	assert_non_null(dev_atc_peek(f->dev, 5, pg(0)));
	assert_non_null(iommu_iotlb_peek(f->iommu, f->dom->id, 5, pg(0)));
	/* an ATC hit does not reach the IOMMU */
	assert_int_equal(iommu_dma_read(f->dev, 5, pg(0), &v), 0);
	assert_int_equal(f->iommu->stats.atc_hits, 1);
	assert_int_equal(f->iommu->stats.iotlb_hits, 0);
	/* an IOTLB flush alone leaves the device TLB */
	iommu_flush_iotlb_range(f->iommu, f->dom->id, 5, 0, IOMMU_FLUSH_ALL);
	assert_non_null(dev_atc_peek(f->dev, 5, pg(0)));
	/* page-selective ATS invalidation */
	assert_int_equal(iommu_dma_read(f->dev, 5, pg(1), &v), 0);
	iommu_flush_dev_iotlb(f->dev, 5, pg(1) - 8, pg(2) - 8);
	assert_non_null(dev_atc_peek(f->dev, 5, pg(0)));
	assert_null(dev_atc_peek(f->dev, 5, pg(1)));
	/* another PASID's flush does not touch ours */
	iommu_flush_dev_iotlb(f->dev, 6, 0, IOMMU_FLUSH_ALL);
	assert_non_null(dev_atc_peek(f->dev, 5, pg(0)));
	/* capacity */
	for (i = 0; i < TPAGES; i++)
		assert_int_equal(iommu_dma_read(f->dev, 5, pg(i), &v), 0);
	assert_int_equal(dev_atc_nr_valid(f->dev), DEV_ATC_ENTRIES);
	assert_null(dev_atc_peek(f->dev, 5, pg(0)));
	assert_non_null(dev_atc_peek(f->dev, 5, pg(TPAGES - 1)));
	/* domain-wide flush of IOTLB and ATC */
	iommu_domain_flush_range(f->dom, 5, 0, IOMMU_FLUSH_ALL);
	assert_int_equal(dev_atc_nr_valid(f->dev), 0);
	assert_int_equal(iommu_iotlb_nr_valid(f->iommu), 0);
	assert_int_equal(f->iommu->stats.dev_inv_cmds, 3);
	fx_free(f, NULL);
}

/* free page 2's frame and reuse it for something else; the table is not
 * updated and nothing is flushed: the bug a missing invalidation makes */
static void free_and_reuse(struct fx *f, int i)
{
	unsigned long pfn = f->tpt.pfn[i];
	struct page *p;

	__free_pages(f->pages[i], 0);
	f->pages[i] = NULL;
	p = alloc_pages(f->mmw->pm, 0, 0);
	assert_non_null(p);
	assert_int_equal(page_to_pfn(p), pfn); /* LIFO: the same frame */
	f->pages[i] = p;
}

static void test_stale_iotlb_hit(void **state)
{
	struct fx *f = fx_new(false, false, IOMMU_NO_PASID);
	uint64_t v;

	(void)state;
	assert_int_equal(iommu_dma_read(f->dev, IOMMU_NO_PASID, pg(2), &v), 0);
	free_and_reuse(f, 2);
	assert_false(report_has(f->w, "stale-iotlb"));
	assert_int_equal(iommu_dma_read(f->dev, IOMMU_NO_PASID, pg(2), &v), 0);
	assert_true(report_has(f->w, "stale-iotlb"));
	assert_int_equal(f->w->nr_reports, 1);
	/* once per entry */
	assert_int_equal(iommu_dma_read(f->dev, IOMMU_NO_PASID, pg(2), &v), 0);
	assert_int_equal(f->w->nr_reports, 1);
	/* after a flush the walk sees the new generation: no report */
	iommu_flush_iotlb_range(f->iommu, f->dom->id, IOMMU_NO_PASID, pg(2),
				pg(2) + 8);
	assert_int_equal(iommu_dma_read(f->dev, IOMMU_NO_PASID, pg(2), &v), 0);
	assert_int_equal(f->w->nr_reports, 1);
	fx_free(f, "stale-iotlb");
}

static void test_stale_atc_hit(void **state)
{
	struct fx *f = fx_new(true, false, 3);
	uint64_t v;

	(void)state;
	assert_int_equal(iommu_dma_read(f->dev, 3, pg(2), &v), 0);
	free_and_reuse(f, 2);
	/* the IOTLB was invalidated, the device TLB was not */
	iommu_flush_iotlb_range(f->iommu, f->dom->id, 3, 0, IOMMU_FLUSH_ALL);
	assert_int_equal(iommu_dma_write(f->dev, 3, pg(2), 9), 0);
	assert_true(report_has(f->w, "stale-atc"));
	assert_false(report_has(f->w, "stale-iotlb"));
	/* the quiescent check sees it too */
	assert_int_equal(iommu_check_quiescent(f->iommu), 1);
	fx_free(f, "stale-atc");
}

/* arm64 (SMMU): a cached read-only entry faults until invalidated */
static void test_cached_permission(void **state)
{
	struct fx *f = fx_new(false, false, IOMMU_NO_PASID);
	uint64_t v;

	(void)state;
	f->w->arch = WORLD_ARCH_ARM64;
	f->tpt.writable[4] = false;
	assert_int_equal(iommu_dma_read(f->dev, IOMMU_NO_PASID, pg(4), &v), 0);
	assert_int_equal(iommu_dma_write(f->dev, IOMMU_NO_PASID, pg(4), 1),
			 -EFAULT);
	/* the tables allow it now, the IOTLB still says read-only */
	f->tpt.writable[4] = true;
	assert_int_equal(iommu_dma_write(f->dev, IOMMU_NO_PASID, pg(4), 1),
			 -EFAULT);
	assert_non_null(
		iommu_iotlb_peek(f->iommu, f->dom->id, IOMMU_NO_PASID, pg(4)));
	iommu_flush_iotlb_range(f->iommu, f->dom->id, IOMMU_NO_PASID, pg(4),
				pg(4) + 8);
	assert_int_equal(iommu_dma_write(f->dev, IOMMU_NO_PASID, pg(4), 1), 0);
	/* the other way: a writable entry over a now read-only table */
	f->tpt.writable[4] = false;
	assert_int_equal(iommu_check_quiescent(f->iommu), 1);
	fx_free(f, "iotlb-coherence");
}

/* x86 (VT-d): a write through a cached read-only entry walks again */
static void test_cached_permission_vtd(void **state)
{
	struct fx *f = fx_new(false, false, IOMMU_NO_PASID);
	uint64_t v;

	(void)state;
	f->tpt.writable[4] = false;
	assert_int_equal(iommu_dma_read(f->dev, IOMMU_NO_PASID, pg(4), &v), 0);
	assert_int_equal(iommu_dma_write(f->dev, IOMMU_NO_PASID, pg(4), 1),
			 -EFAULT);
	/* the tables allow it now: no invalidation needed */
	f->tpt.writable[4] = true;
	assert_int_equal(iommu_dma_write(f->dev, IOMMU_NO_PASID, pg(4), 1), 0);
	fx_free(f, NULL);
}

static void test_pasid_attach_rules(void **state)
{
	struct fx *f = fx_new(true, false, 7);
	uint32_t p1, p2, p3;
	uint64_t v;
	int i;

	(void)state;
	assert_int_equal(iommu_attach_device_pasid(f->dom, f->dev, 7), -EBUSY);
	assert_int_equal(iommu_attach_device_pasid(f->dom, f->dev, 0), -EINVAL);
	assert_int_equal(iommu_attach_device_pasid(f->dom, f->dev,
						   IOMMU_MAX_PASID),
			 -EINVAL);
	for (i = 1; i < DEV_MAX_PASIDS; i++)
		assert_int_equal(
			iommu_attach_device_pasid(f->dom, f->dev, 20 + i), 0);
	assert_int_equal(iommu_attach_device_pasid(f->dom, f->dev, 40),
			 -ENOSPC);
	assert_ptr_equal(iommu_get_domain_for_dev_pasid(f->dev, 7), f->dom);
	assert_null(iommu_get_domain_for_dev_pasid(f->dev, 8));

	/* PASIDs: lowest free first, freed ones come back */
	p1 = iommu_alloc_global_pasid(f->iommu);
	p2 = iommu_alloc_global_pasid(f->iommu);
	assert_int_equal(p1, 1);
	assert_int_equal(p2, 2);
	iommu_free_global_pasid(f->iommu, p1);
	p3 = iommu_alloc_global_pasid(f->iommu);
	assert_int_equal(p3, 1);

	/* blocked (mm released): DMA faults, nothing reported */
	assert_int_equal(iommu_dma_read(f->dev, 7, pg(0), &v), 0);
	iommu_block_device_pasid(f->dev, 7);
	assert_null(dev_atc_peek(f->dev, 7, pg(0)));
	assert_int_equal(iommu_dma_read(f->dev, 7, pg(0), &v), -EFAULT);
	assert_int_equal(f->w->nr_reports, 0);
	/* unbound: DMA faults and is reported */
	iommu_detach_device_pasid(f->dom, f->dev, 7);
	assert_int_equal(iommu_dma_read(f->dev, 7, pg(0), &v), -EFAULT);
	assert_true(report_has(f->w, "dma-after-unbind"));
	/* attached again: fine (the unbound slot is reused) */
	assert_int_equal(iommu_attach_device_pasid(f->dom, f->dev, 7), 0);
	assert_int_equal(iommu_dma_read(f->dev, 7, pg(0), &v), 0);
	/* a PASID never attached: plain fault */
	assert_int_equal(iommu_dma_read(f->dev, 9, pg(0), &v), -EFAULT);
	fx_free(f, "dma-after-unbind");
}

/* ---- page requests: a device agent and a worker agent ---- */

struct prq_test {
	struct fx *f;
	struct iommu_fault q[4];
	int nq;
	bool resolve; /* the worker maps the page before answering */
	enum iommu_page_response_code code;
	int ret;
	bool dev_done;
	int answered;
	wait_queue_head_t wq;
};

static int prq_handler(struct iommu_fault *fault, struct pci_dev *dev,
		       void *data)
{
	struct prq_test *t = data;

	(void)dev;
	assert_true(t->nq < 4);
	t->q[t->nq++] = *fault;
	wake_up(&t->wq);
	return 0;
}

static void prq_device(void *arg)
{
	struct prq_test *t = arg;
	uint64_t v = 0;

	t->ret = iommu_dma_write(t->f->dev, 5, pg(6), 4242);
	if (!t->ret) {
		t->ret = iommu_dma_read(t->f->dev, 5, pg(6), &v);
		assert_int_equal(v, 4242);
	}
	WRITE_ONCE(t->dev_done, true);
	wake_up(&t->wq);
}

static void prq_worker(void *arg)
{
	struct prq_test *t = arg;

	for (;;) {
		struct iommu_page_response resp;
		struct iommu_fault fault;

		wait_event(t->wq, t->nq || READ_ONCE(t->dev_done));
		if (!t->nq)
			return;
		fault = t->q[0];
		memmove(&t->q[0], &t->q[1], --t->nq * sizeof(t->q[0]));
		assert_int_equal(fault.type, IOMMU_FAULT_PAGE_REQ);
		assert_int_equal(fault.prm.pasid, 5);
		assert_int_equal(fault.prm.addr, IOVA + 6 * PAGE_SIZE);
		assert_true(fault.prm.perm & IOMMU_FAULT_PERM_WRITE);
		if (t->resolve)
			t->f->tpt.present[6] = true;
		resp = (struct iommu_page_response){
			.pasid = fault.prm.pasid,
			.grpid = fault.prm.grpid,
			.code = t->code,
		};
		assert_int_equal(iommu_page_response(t->f->dev, &resp), 0);
		assert_int_equal(iommu_page_response(t->f->dev, &resp),
				 -EINVAL);
		t->answered++;
	}
}

static struct prq_test *prq_run(bool resolve,
				enum iommu_page_response_code code)
{
	struct prq_test *t = calloc(1, sizeof(*t));

	t->f = fx_new(true, true, 5);
	t->resolve = resolve;
	t->code = code;
	t->f->tpt.present[6] = false;
	init_waitqueue_head(t->f->w, &t->wq);
	assert_int_equal(iommu_register_device_fault_handler(t->f->dev,
							     prq_handler, t),
			 0);
	assert_int_equal(iommu_register_device_fault_handler(t->f->dev,
							     prq_handler, t),
			 -EBUSY);
	assert_non_null(agent_create(t->f->w, "device", prq_device, t));
	assert_non_null(agent_create(t->f->w, "iopf", prq_worker, t));
	assert_int_equal(world_run(t->f->w), 0);
	return t;
}

static void test_page_request_resolved(void **state)
{
	struct prq_test *t = prq_run(true, IOMMU_PAGE_RESP_SUCCESS);

	(void)state;
	assert_int_equal(t->ret, 0);
	assert_int_equal(t->answered, 1);
	assert_int_equal(t->f->iommu->stats.page_requests, 1);
	assert_int_equal(t->f->dev->nr_refaults, 0);
	assert_false(t->f->dev->failed);
	assert_int_equal(iommu_unregister_device_fault_handler(t->f->dev), 0);
	fx_free(t->f, NULL);
	free(t);
}

static void test_page_request_invalid(void **state)
{
	struct prq_test *t = prq_run(false, IOMMU_PAGE_RESP_INVALID);

	(void)state;
	assert_int_equal(t->ret, -EFAULT);
	assert_int_equal(t->answered, 1);
	assert_int_equal(t->f->iommu->stats.resp_invalid, 1);
	fx_free(t->f, NULL);
	free(t);
}

static void test_refault_limit(void **state)
{
	struct prq_test *t = prq_run(false, IOMMU_PAGE_RESP_SUCCESS);
	unsigned int limit = policy_uint(t->f->w, KNOB_IOMMU_REFAULT_LIMIT);
	uint64_t v;

	(void)state;
	assert_int_equal(limit, 8);
	assert_int_equal(t->ret, -EIO);
	/* limit + 1 answers, then one more fault and it gave up */
	assert_int_equal(t->answered, limit + 1);
	assert_int_equal(t->f->dev->nr_refaults, limit + 1);
	assert_true(t->f->dev->failed);
	assert_int_equal(iommu_dma_read(t->f->dev, 5, pg(0), &v), -EIO);
	fx_free(t->f, "device-failure");
	free(t);
}

/* no handler registered: the page request fails at once */
static void nohandler_device(void *arg)
{
	struct fx *f = arg;
	uint64_t v;

	assert_int_equal(iommu_dma_read(f->dev, 5, pg(6), &v), -EFAULT);
}

static void test_page_request_no_handler(void **state)
{
	struct fx *f = fx_new(true, true, 5);

	(void)state;
	f->tpt.present[6] = false;
	assert_non_null(agent_create(f->w, "device", nohandler_device, f));
	assert_int_equal(world_run(f->w), 0);
	assert_int_equal(f->iommu->stats.page_requests, 1);
	fx_free(f, NULL);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iotlb_fill_lookup),
		cmocka_unit_test(test_iotlb_flush_range_and_all),
		cmocka_unit_test(test_iotlb_capacity_eviction),
		cmocka_unit_test(test_atc_fill_flush_evict),
		cmocka_unit_test(test_stale_iotlb_hit),
		cmocka_unit_test(test_stale_atc_hit),
		cmocka_unit_test(test_cached_permission),
		cmocka_unit_test(test_cached_permission_vtd),
		cmocka_unit_test(test_pasid_attach_rules),
		cmocka_unit_test(test_page_request_resolved),
		cmocka_unit_test(test_page_request_invalid),
		cmocka_unit_test(test_refault_limit),
		cmocka_unit_test(test_page_request_no_handler),
	};

	(void)argc;
	(void)argv;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/*
 * DMA-API domains: dma_map_page()/dma_unmap_page() through the IOMMU, with
 * strict or deferred IOTLB invalidation.
 *
 * Models drivers/iommu/dma-iommu.c (iommu_dma_map_page,
 * iommu_dma_unmap_page, __iommu_dma_unmap, iommu_dma_alloc_iova,
 * iommu_dma_free_iova and the flush queue: queue_iova, fq_ring_add,
 * fq_ring_free_locked, fq_flush_iotlb, fq_flush_timeout, the
 * fq_flush_start_cnt/fq_flush_finish_cnt pair, IOVA_FQ_SIZE and
 * IOVA_FQ_TIMEOUT), the iommu_map/iommu_unmap/iommu_iotlb_sync part of
 * drivers/iommu/iommu.c for DMA domains, and the domain's iova_to_phys.
 * The code is our own.
 *
 * Strict (iommu.dma_invalidation=strict, iommu.strict=1): unmap clears
 * the IOMMU page table, syncs the IOTLB (page-selective invalidation of
 * the gathered range, then ATS invalidation of the device) and only then
 * frees the IOVA and lets go of the buffer: when dma_unmap_page() returns
 * no translation of the mapping is left anywhere.
 *
 * Deferred (iommu.dma_invalidation=deferred, iommu.strict=0, the
 * IOMMU_DOMAIN_DMA_FQ type): unmap clears the page table and queues the
 * IOVA; a domain-wide flush happens when the queue is full or when the
 * timer expires, and only after it are the queued IOVAs freed.  Until
 * then the IOTLB and the device TLB may keep translating the IOVA to the
 * buffer although dma_unmap_page() has returned: Linux documents this as
 * the price of lazy mode (iommu.strict=0 in kernel-parameters.txt; an
 * untrusted device is always given strict invalidation for this reason).
 * The checker reports each such access as "dma-after-unmap" with the
 * number of world steps since the unmap returned: a named violation
 * class of the deferred design, not a kernel bug.
 *
 * Simplifications:
 *  - One device per domain, requests without PASID; one IOVA page per
 *    mapping (offset + size within the page), 4 KiB IOMMU pages.
 *  - The IOVA space is DMA_IOVA_PAGES pages under a 32-bit DMA mask
 *    (see dma-iommu.h), so the checker tracks every IOVA page in an array.
 *  - One flush queue per domain (Linux: per CPU, or a single queue with
 *    IOMMU_DMA_OPTS_SINGLE_QUEUE); the same ring, counters and rules.
 *  - The queue holds the buffer's page reference as well as the IOVA:
 *    the model's dma_map_page() takes a reference that dma_unmap_page()
 *    gives back after the flush, so in the deferred window the device
 *    reaches a buffer that is still allocated: "dma-after-unmap", not a
 *    use-after-free.  (In Linux the queue holds the IOVA and the freed
 *    IOMMU page-table pages; the buffer goes back to the driver at
 *    dma_unmap_page() and may be reused, which is the stronger hazard
 *    behind the untrusted-device rule.)
 *  - The timer is an agent, "fq-timer", started by iommu_dma_init_fq().
 *    It sleeps while disarmed; once armed it waits fq_timeout world steps
 *    (IOVA_FQ_TIMEOUT_STEPS, standing for 10 ms) yielding at each, then
 *    runs fq_flush_timeout().  iommu_dma_domain_free() stops it.
 *  - The IOMMU page table never frees tables, so the queue carries no
 *    page-table freelist.
 *
 * Checks made here (report kinds):
 *  - "dma-after-unmap": an IOTLB or device-TLB hit on an IOVA whose
 *    dma_unmap_page() has returned, or a hit that still translates a
 *    reused IOVA to the previous mapping's frame;
 *  - "bad-dma-unmap": dma_unmap_page() of an address that is not mapped;
 *  - "dma-leak" (iommu_dma_check_quiescent): mappings or queued entries
 *    left after the domain is freed.
 *
 * Lock order (outermost first):
 *
 *   "iova_fq->lock"          the flush queue; a flush when it is full
 *     pci_dev->atc_lock, iommu->lock   (the invalidation, one after the
 *                                        other, never nested: iommu.c)
 *     "iova_rcache->lock", "iova_rbtree_lock"  (freeing IOVAs)
 *     zone->lock             (put_page of a buffer)
 *
 * The domain's check_hit runs under iommu->lock or the device's
 * atc_lock and takes no lock: the per-page state is read with atomics.
 * Map and unmap take no lock of their own (io-pgtable is lockless; the
 * IOVA allocator gives each range to one mapping).
 */
#include <errno.h>
#include <string.h>

#include "core/policy.h"
#include "core/trace.h"
#include "iommu/dma-iommu.h"

static unsigned long world_now(struct world *w)
{
	return __atomic_load_n(&w->step, __ATOMIC_RELAXED);
}

static void stat_inc(unsigned long *v)
{
	__atomic_add_fetch(v, 1, __ATOMIC_RELAXED);
}

static const char *cur_name(void)
{
	return current ? current->name : "(no agent)";
}

static struct world *cookie_world(struct iommu_dma_cookie *cookie)
{
	return cookie->domain->iommu->w;
}

static struct phys_mem *cookie_pm(struct iommu_dma_cookie *cookie)
{
	return cookie->domain->iommu->mmw->pm;
}

/* the checker's record of IOVA page @iova_pfn, NULL outside the space */
static struct dma_iova_track *dma_track(struct iommu_dma_cookie *cookie,
					unsigned long iova_pfn)
{
	if (iova_pfn < DMA_IOVA_START_PFN || iova_pfn > DMA_IOVA_LIMIT_PFN)
		return NULL;
	return &cookie->track[iova_pfn - DMA_IOVA_START_PFN];
}

static int track_state(struct dma_iova_track *t)
{
	return __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
}

static void track_set_state(struct dma_iova_track *t, int state)
{
	__atomic_store_n(&t->state, state, __ATOMIC_RELEASE);
}

/* ---- the domain's translation (ops for the core) ---- */

static int dma_domain_walk(struct iommu_domain *domain, uint32_t pasid,
			   unsigned long iova, bool write,
			   struct iommu_walk_result *out, bool peek)
{
	struct iommu_dma_cookie *cookie = domain->priv;
	struct io_pgtable_walk wk;
	int ret;

	if (pasid != IOMMU_NO_PASID)
		return -ENOENT;
	ret = peek ? io_pgtable_iova_to_phys_peek(&cookie->iop, iova, &wk) :
		     io_pgtable_iova_to_phys(&cookie->iop, iova, &wk);
	if (ret)
		return -ENOENT;
	if (write ? !(wk.prot & IOMMU_WRITE) : !(wk.prot & IOMMU_READ))
		return -EACCES;
	out->pfn = wk.pfn;
	out->gen = page_generation(pfn_to_page(cookie_pm(cookie), wk.pfn));
	out->writable = wk.prot & IOMMU_WRITE;
	out->clean = false; /* no dirty tracking: a write needs no walk */
	return 0;
}

static int dma_domain_iova_to_phys(struct iommu_domain *domain, uint32_t pasid,
				   unsigned long iova, bool write,
				   struct iommu_walk_result *out)
{
	return dma_domain_walk(domain, pasid, iova, write, out, false);
}

static int dma_domain_iova_to_phys_peek(struct iommu_domain *domain,
					uint32_t pasid, unsigned long iova,
					struct iommu_walk_result *out)
{
	return dma_domain_walk(domain, pasid, iova, false, out, true);
}

static unsigned int fq_len(const struct iova_fq *fq)
{
	return (fq->tail + IOVA_FQ_SIZE - fq->head) % IOVA_FQ_SIZE;
}

/*
 * A translation cache hit for @iova: the DMA API's promise is that after
 * dma_unmap_page() returns, the device no longer reaches the buffer.
 * Runs under iommu->lock (IOTLB hit) or the device's atc_lock (ATC hit).
 */
static void dma_domain_check_hit(struct iommu_domain *domain,
				 struct pci_dev *dev, uint32_t pasid,
				 unsigned long iova, bool write,
				 unsigned long pfn, bool atc)
{
	struct iommu_dma_cookie *cookie = domain->priv;
	struct world *w = cookie_world(cookie);
	struct dma_iova_track *t = dma_track(cookie, iova >> PAGE_SHIFT);
	unsigned long now = world_now(w), window;
	const char *why;
	int state, agent;

	if (!t || pasid != IOMMU_NO_PASID)
		return;
	state = track_state(t);
	if (state == DMA_IOVA_UNMAPPED)
		why = "after dma_unmap_page() of it returned";
	else if ((state == DMA_IOVA_MAPPED || state == DMA_IOVA_UNMAPPING) &&
		 pfn != __atomic_load_n(&t->pfn, __ATOMIC_RELAXED))
		why = "after the IOVA was unmapped and mapped again to another buffer, through the old translation";
	else
		return;
	window = now - __atomic_load_n(&t->unmap_step, __ATOMIC_RELAXED);
	stat_inc(&cookie->nr_after_unmap);
	if (window > __atomic_load_n(&cookie->max_window, __ATOMIC_RELAXED))
		__atomic_store_n(&cookie->max_window, window, __ATOMIC_RELAXED);
	if (__atomic_exchange_n(&t->reported, true, __ATOMIC_RELAXED))
		return;
	agent = __atomic_load_n(&t->unmap_agent, __ATOMIC_RELAXED);
	report_add(
		w, "dma-after-unmap",
		"%s: device %s %s iova %#lx through its %s entry for pfn %#lx, %s at step %lu by %s: a window of %lu steps (iommu.dma_invalidation=%s; the domain-wide flush %s, flush-queue timer %s)\n",
		cur_name(), dev->name, write ? "wrote" : "read", iova,
		atc ? "device-TLB (ATC)" : "IOTLB", pfn, why,
		__atomic_load_n(&t->unmap_step, __ATOMIC_RELAXED),
		agent >= 0 && agent < w->nr_agents ? w->agents[agent]->name :
						     "(no agent)",
		window, cookie->deferred ? "deferred" : "strict",
		cookie->deferred ? "is still queued" : "is missing",
		__atomic_load_n(&cookie->fq_timer_on, __ATOMIC_RELAXED) ?
			"armed" :
			"off");
}

static const struct iommu_domain_ops dma_domain_ops = {
	.iova_to_phys = dma_domain_iova_to_phys,
	.iova_to_phys_peek = dma_domain_iova_to_phys_peek,
	.check_hit = dma_domain_check_hit,
};

struct iommu_dma_cookie *dev_dma_cookie(struct pci_dev *dev)
{
	struct iommu_domain *domain =
		__atomic_load_n(&dev->domain, __ATOMIC_ACQUIRE);

	if (!domain || domain->ops != &dma_domain_ops)
		return NULL;
	return domain->priv;
}

/* ---- iommu_map / iommu_unmap / iommu_iotlb_sync ---- */

int iommu_map(struct iommu_domain *domain, unsigned long iova,
	      unsigned long paddr, size_t size, int prot)
{
	struct iommu_dma_cookie *cookie = domain->priv;
	size_t mapped;
	int ret;

	if (domain->ops != &dma_domain_ops)
		return -EINVAL;
	if ((iova | paddr | size) & ~PAGE_MASK || !size)
		return -EINVAL;
	ret = io_pgtable_map_pages(&cookie->iop, iova, paddr >> PAGE_SHIFT,
				   size >> PAGE_SHIFT, prot, &mapped);
	if (ret && mapped)
		iommu_unmap(domain, iova, mapped); /* undo the partial map */
	return ret;
}

size_t iommu_unmap_fast(struct iommu_domain *domain, unsigned long iova,
			size_t size, struct iommu_iotlb_gather *gather)
{
	struct iommu_dma_cookie *cookie = domain->priv;

	if (domain->ops != &dma_domain_ops || (iova | size) & ~PAGE_MASK)
		return 0;
	return io_pgtable_unmap_pages(&cookie->iop, iova, size >> PAGE_SHIFT,
				      gather);
}

void iommu_iotlb_sync(struct iommu_domain *domain,
		      struct iommu_iotlb_gather *gather)
{
	struct iommu_dma_cookie *cookie = domain->priv;

	if (iommu_iotlb_gather_empty(gather))
		return;
	stat_inc(&cookie->nr_iotlb_syncs);
	/* the IOTLB, then the ATS device TLBs (gather->end is inclusive) */
	iommu_domain_flush_range(domain, IOMMU_NO_PASID, gather->start,
				 gather->end + 1);
	iommu_iotlb_gather_init(gather);
}

size_t iommu_unmap(struct iommu_domain *domain, unsigned long iova, size_t size)
{
	struct iommu_iotlb_gather gather;
	size_t unmapped;

	iommu_iotlb_gather_init(&gather);
	unmapped = iommu_unmap_fast(domain, iova, size, &gather);
	iommu_iotlb_sync(domain, &gather);
	return unmapped;
}

void iommu_dma_flush_iotlb_all(struct iommu_domain *domain)
{
	iommu_domain_flush_range(domain, IOMMU_NO_PASID, 0, IOMMU_FLUSH_ALL);
}

/* ---- the flush queue ---- */

static bool fq_full(const struct iova_fq *fq)
{
	return (fq->tail + 1) % IOVA_FQ_SIZE == fq->head;
}

static unsigned int fq_ring_add(struct iova_fq *fq)
{
	unsigned int idx = fq->tail;

	fq->tail = (idx + 1) % IOVA_FQ_SIZE;
	return idx;
}

static void record_window(struct iommu_dma_cookie *cookie, unsigned long win)
{
	struct dma_windows *dw = &cookie->windows;

	if (dw->v && dw->nr < dw->cap)
		dw->v[dw->nr++] = win;
}

/*
 * Free the entries whose flush has finished: every entry queued before a
 * flush started is covered once that flush (or a later one) finished.
 * fq->lock held.
 */
static void fq_ring_free_locked(struct iommu_dma_cookie *cookie)
{
	struct iova_fq *fq = &cookie->fq;
	unsigned long counter =
		__atomic_load_n(&cookie->fq_flush_finish_cnt, __ATOMIC_ACQUIRE);
	unsigned long flushed =
		__atomic_load_n(&cookie->fq_last_finish_step, __ATOMIC_RELAXED);

	lockdep_assert_held(&fq->lock);
	while (fq->head != fq->tail) {
		struct iova_fq_entry *e = &fq->entries[fq->head];

		if (e->counter >= counter)
			break;
		/* exposure: from the unmap's return to the covering flush */
		record_window(cookie, flushed - e->unmap_step);
		free_iova_fast(&cookie->iovad, e->iova_pfn, e->pages);
		put_page(e->page);
		e->page = NULL;
		fq->head = (fq->head + 1) % IOVA_FQ_SIZE;
	}
}

/*
 * One domain-wide invalidation; entries queued before it started become
 * freeable once it has finished.  No fq lock needed (the timer runs it
 * without one, as Linux's does).
 */
static void fq_flush_iotlb(struct iommu_dma_cookie *cookie)
{
	__atomic_add_fetch(&cookie->fq_flush_start_cnt, 1, __ATOMIC_ACQ_REL);
	iommu_dma_flush_iotlb_all(cookie->domain);
	__atomic_store_n(&cookie->fq_last_finish_step,
			 world_now(cookie_world(cookie)), __ATOMIC_RELAXED);
	__atomic_add_fetch(&cookie->fq_flush_finish_cnt, 1, __ATOMIC_ACQ_REL);
	stat_inc(&cookie->nr_fq_flushes);
}

/* the timer's handler: flush, then free everything that flush covered */
static void fq_flush_timeout(struct iommu_dma_cookie *cookie)
{
	struct iova_fq *fq = &cookie->fq;

	__atomic_store_n(&cookie->fq_timer_on, 0, __ATOMIC_RELEASE);
	stat_inc(&cookie->nr_fq_timeout_flushes);
	fq_flush_iotlb(cookie);
	spin_lock(&fq->lock);
	fq_ring_free_locked(cookie);
	spin_unlock(&fq->lock);
}

static void queue_iova(struct iommu_dma_cookie *cookie, unsigned long pfn,
		       unsigned long pages, struct page *page)
{
	struct world *w = cookie_world(cookie);
	struct iova_fq *fq = &cookie->fq;
	struct iova_fq_entry *e;

	spin_lock(&fq->lock);
	/* first drop what other flushes already covered */
	fq_ring_free_locked(cookie);
	if (fq_full(fq)) {
		stat_inc(&cookie->nr_fq_full_flushes);
		fq_flush_iotlb(cookie);
		fq_ring_free_locked(cookie);
	}
	e = &fq->entries[fq_ring_add(fq)];
	e->iova_pfn = pfn;
	e->pages = pages;
	e->page = page;
	e->counter =
		__atomic_load_n(&cookie->fq_flush_start_cnt, __ATOMIC_ACQUIRE);
	e->unmap_step = world_now(w);
	spin_unlock(&fq->lock);

	/* arm the timer unless it is armed already (mod_timer) */
	if (!__atomic_load_n(&cookie->fq_timer_on, __ATOMIC_ACQUIRE) &&
	    !__atomic_exchange_n(&cookie->fq_timer_on, 1, __ATOMIC_ACQ_REL)) {
		__atomic_store_n(&cookie->fq_timer_armed_step, world_now(w),
				 __ATOMIC_RELEASE);
		wake_up(&cookie->fq_timer_wq);
	}
}

/*
 * The timer: sleeps until armed, then lets fq_timeout world steps pass
 * (each one a chance for the explorer to run someone else) and fires.
 */
static void fq_timer_fn(void *arg)
{
	struct iommu_dma_cookie *cookie = arg;
	struct world *w = cookie_world(cookie);

	for (;;) {
		wait_event(cookie->fq_timer_wq,
			   __atomic_load_n(&cookie->fq_timer_on,
					   __ATOMIC_ACQUIRE) ||
				   __atomic_load_n(&cookie->fq_timer_stop,
						   __ATOMIC_ACQUIRE));
		while (!__atomic_load_n(&cookie->fq_timer_stop,
					__ATOMIC_ACQUIRE) &&
		       world_now(w) - __atomic_load_n(
					      &cookie->fq_timer_armed_step,
					      __ATOMIC_ACQUIRE) <
			       cookie->fq_timeout)
			cond_resched();
		if (__atomic_load_n(&cookie->fq_timer_stop, __ATOMIC_ACQUIRE))
			return;
		fq_flush_timeout(cookie);
	}
}

/* ---- IOVAs ---- */

static unsigned long iommu_dma_alloc_iova(struct iommu_dma_cookie *cookie,
					  unsigned long pages)
{
	return alloc_iova_fast(&cookie->iovad, pages, DMA_IOVA_LIMIT_PFN);
}

static void iommu_dma_free_iova(struct iommu_dma_cookie *cookie,
				unsigned long pfn, unsigned long pages,
				struct iommu_iotlb_gather *gather,
				struct page *page)
{
	if (gather && gather->queued) {
		queue_iova(cookie, pfn, pages, page);
		return;
	}
	free_iova_fast(&cookie->iovad, pfn, pages);
	put_page(page);
}

/* ---- the DMA API ---- */

static int dma_info_to_prot(enum dma_data_direction dir)
{
	switch (dir) {
	case DMA_BIDIRECTIONAL:
		return IOMMU_READ | IOMMU_WRITE;
	case DMA_TO_DEVICE:
		return IOMMU_READ;
	case DMA_FROM_DEVICE:
		return IOMMU_WRITE;
	default:
		return 0;
	}
}

dma_addr_t iommu_dma_map_page(struct pci_dev *dev, struct page *page,
			      unsigned long offset, size_t size,
			      enum dma_data_direction dir)
{
	struct iommu_dma_cookie *cookie = dev_dma_cookie(dev);
	int prot = dma_info_to_prot(dir);
	struct dma_iova_track *t;
	unsigned long iova_pfn, pfn;

	if (!cookie)
		return DMA_MAPPING_ERROR;
	if (!prot || !size || offset >= PAGE_SIZE || size > PAGE_SIZE - offset)
		goto err;
	pfn = page_to_pfn(page);
	get_page(page); /* the buffer stays allocated while mapped */
	iova_pfn = iommu_dma_alloc_iova(cookie, 1);
	if (!iova_pfn)
		goto err_put;
	t = dma_track(cookie, iova_pfn);
	if (!t) { /* the allocator keeps to the tracked space */
		free_iova_fast(&cookie->iovad, iova_pfn, 1);
		goto err_put;
	}
	__atomic_store_n(&t->old_pfn,
			 __atomic_load_n(&t->pfn, __ATOMIC_RELAXED),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&t->pfn, pfn, __ATOMIC_RELAXED);
	__atomic_store_n(&t->reported, false, __ATOMIC_RELAXED);
	track_set_state(t, DMA_IOVA_MAPPED);
	if (iommu_map(cookie->domain, iova_pfn << PAGE_SHIFT, pfn << PAGE_SHIFT,
		      PAGE_SIZE, prot)) {
		track_set_state(t, DMA_IOVA_FREE);
		free_iova_fast(&cookie->iovad, iova_pfn, 1);
		goto err_put;
	}
	stat_inc(&cookie->nr_maps);
	trace_eventf(cookie_world(cookie),
		     "dma_map_page %s pfn %#lx -> iova %#lx", dev->name, pfn,
		     iova_pfn << PAGE_SHIFT);
	return (iova_pfn << PAGE_SHIFT) + offset;

err_put:
	put_page(page);
err:
	stat_inc(&cookie->nr_map_errors);
	return DMA_MAPPING_ERROR;
}

void iommu_dma_unmap_page(struct pci_dev *dev, dma_addr_t dma_addr, size_t size,
			  enum dma_data_direction dir)
{
	struct iommu_dma_cookie *cookie = dev_dma_cookie(dev);
	unsigned long iova = dma_addr & PAGE_MASK;
	unsigned long iova_pfn = iova >> PAGE_SHIFT;
	struct iommu_iotlb_gather gather;
	struct dma_iova_track *t;
	struct world *w;
	struct page *page;
	unsigned long now;
	size_t unmapped;
	int expected = DMA_IOVA_MAPPED;

	if (!cookie)
		return;
	w = cookie_world(cookie);
	t = dma_track(cookie, iova_pfn);
	if (!t || !__atomic_compare_exchange_n(
			  &t->state, &expected, DMA_IOVA_UNMAPPING, false,
			  __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		report_add(
			w, "bad-dma-unmap",
			"%s: dma_unmap_page(%s, %#lx): no such mapping (the IOVA is %s)\n",
			cur_name(), dev->name, dma_addr,
			!t ? "outside the domain" :
			expected == DMA_IOVA_UNMAPPED ?
			     "unmapped already" :
			expected == DMA_IOVA_UNMAPPING ?
			     "being unmapped by someone else" :
			     "not mapped");
		return;
	}
	page = pfn_to_page(cookie_pm(cookie),
			   __atomic_load_n(&t->pfn, __ATOMIC_RELAXED));

	/* __iommu_dma_unmap */
	iommu_iotlb_gather_init(&gather);
	gather.queued = cookie->deferred;
	unmapped = iommu_unmap_fast(cookie->domain, iova, PAGE_SIZE, &gather);
	if (unmapped != PAGE_SIZE)
		report_add(
			w, "bad-dma-unmap",
			"%s: dma_unmap_page(%s, %#lx): the IOMMU unmapped %zu bytes, not %lu\n",
			cur_name(), dev->name, dma_addr, unmapped, PAGE_SIZE);
	if (!gather.queued)
		iommu_iotlb_sync(cookie->domain, &gather);

	iommu_dma_free_iova(cookie, iova_pfn, 1, &gather, page);

	/*
	 * dma_unmap_page() returns: from here the caller may treat the buffer
	 * as its own again.  Strict mode freed the IOVA already, so a new
	 * mapping may own this page of the IOVA space by now: only a state
	 * still UNMAPPING becomes UNMAPPED.
	 */
	now = world_now(w);
	if (track_state(t) == DMA_IOVA_UNMAPPING) {
		__atomic_store_n(&t->unmap_step, now, __ATOMIC_RELAXED);
		__atomic_store_n(&t->unmap_agent, current ? current->id : -1,
				 __ATOMIC_RELAXED);
	}
	expected = DMA_IOVA_UNMAPPING;
	__atomic_compare_exchange_n(&t->state, &expected, DMA_IOVA_UNMAPPED,
				    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	stat_inc(&cookie->nr_unmaps);
	trace_eventf(w, "dma_unmap_page %s iova %#lx (%s)", dev->name, iova,
		     cookie->deferred ? "queued" : "synced");
}

/* ---- the domain ---- */

struct iommu_dma_cookie *iommu_dma_domain_alloc(struct iommu *iommu,
						struct pci_dev *dev)
{
	struct world *w = iommu->w;
	struct iommu_dma_cookie *cookie = arena_alloc(w, sizeof(*cookie));
	bool deferred = policy_enum(w, KNOB_IOMMU_DMA_INVALIDATION) ==
			IOMMU_DMA_DEFERRED;

	if (!cookie)
		return NULL;
	if (alloc_io_pgtable(w, &cookie->iop) ||
	    init_iova_domain(w, &cookie->iovad, PAGE_SIZE, DMA_IOVA_START_PFN,
			     DMA_IOVA_MAX_RANGES))
		return NULL;
	cookie->deferred = deferred;
	cookie->dev = dev;
	cookie->fq_timeout = IOVA_FQ_TIMEOUT_STEPS;
	spin_lock_init(w, &cookie->fq.lock, "iova_fq->lock");
	init_waitqueue_head(w, &cookie->fq_timer_wq);
	cookie->domain = iommu_domain_alloc(
		iommu, deferred ? IOMMU_DOMAIN_DMA_FQ : IOMMU_DOMAIN_DMA,
		&dma_domain_ops, cookie);
	if (!cookie->domain)
		return NULL;
	cookie->domain->name = deferred ? "dma-fq" : "dma";
	if (iommu_attach_device(cookie->domain, dev)) {
		iommu_domain_free(cookie->domain);
		return NULL;
	}
	return cookie;
}

int iommu_dma_init_fq(struct iommu_dma_cookie *cookie)
{
	if (!cookie->deferred)
		return 0;
	if (cookie->fq_timer)
		return -EBUSY;
	cookie->fq_timer = agent_create(cookie_world(cookie), "fq-timer",
					fq_timer_fn, cookie);
	return cookie->fq_timer ? 0 : -ENOMEM;
}

void iommu_dma_domain_free(struct iommu_dma_cookie *cookie)
{
	struct iova_fq *fq = &cookie->fq;

	if (cookie->fq_timer) {
		/* del_timer_sync */
		__atomic_store_n(&cookie->fq_timer_stop, true,
				 __ATOMIC_RELEASE);
		wake_up(&cookie->fq_timer_wq);
		if (current)
			agent_join(cookie->fq_timer);
		cookie->fq_timer = NULL;
	}
	spin_lock(&fq->lock);
	if (fq->head != fq->tail) {
		fq_flush_iotlb(cookie);
		fq_ring_free_locked(cookie);
	}
	spin_unlock(&fq->lock);
	iommu_detach_device(cookie->domain, cookie->dev);
	iommu_domain_free(cookie->domain);
}

void iommu_dma_record_windows(struct iommu_dma_cookie *cookie,
			      unsigned long cap)
{
	cookie->windows.v =
		arena_alloc(cookie_world(cookie), cap * sizeof(unsigned long));
	cookie->windows.cap = cookie->windows.v ? cap : 0;
	cookie->windows.nr = 0;
}

unsigned int iommu_dma_fq_len(struct iommu_dma_cookie *cookie)
{
	unsigned int n;

	spin_lock(&cookie->fq.lock);
	n = fq_len(&cookie->fq);
	spin_unlock(&cookie->fq.lock);
	return n;
}

unsigned long iommu_dma_check_quiescent(struct iommu_dma_cookie *cookie)
{
	struct world *w = cookie_world(cookie);
	unsigned long i, n = 0;

	if (cookie->fq.head != cookie->fq.tail) {
		report_add(
			w, "dma-leak",
			"the flush queue of %s still holds %u entries at the end\n",
			cookie->dev->name, fq_len(&cookie->fq));
		n++;
	}
	for (i = 0; i < DMA_IOVA_PAGES; i++) {
		struct dma_iova_track *t = &cookie->track[i];

		if (t->state != DMA_IOVA_MAPPED &&
		    t->state != DMA_IOVA_UNMAPPING)
			continue;
		report_add(
			w, "dma-leak",
			"iova %#lx of %s is still mapped to pfn %#lx at the end (dma_map_page() without dma_unmap_page())\n",
			(DMA_IOVA_START_PFN + i) << PAGE_SHIFT,
			cookie->dev->name, t->pfn);
		n++;
	}
	return n;
}

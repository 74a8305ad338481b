// SPDX-License-Identifier: MIT
/*
 * The IOVA allocator of DMA-API domains.
 *
 * Models drivers/iommu/iova.c: ranges allocated top down below a limit
 * (__alloc_and_insert_iova_range), size-aligned for the DMA layer, and the
 * range caches (iova_rcache) through which alloc_iova_fast() and
 * free_iova_fast() recycle freed ranges of small power-of-two sizes.  The
 * caches are what makes a just-freed IOVA the next one handed out: the
 * case where a stale IOTLB entry for a freed IOVA would translate a new
 * mapping's DMA to the old buffer.  The code is our own.
 *
 * Simplifications:
 *  - A sorted array of ranges with a fixed capacity instead of an rbtree
 *    with cached nodes; the search walks the gaps from the top.
 *  - One cache per size order shared by every CPU (Linux: a per-CPU pair
 *    of magazines plus a depot), LIFO, IOVA_MAG_SIZE deep; a full cache
 *    frees the range instead of swapping magazines.  Reuse is therefore
 *    strictly last-freed-first, which Linux's per-CPU magazines give for a
 *    single CPU.
 *  - No flush of the caches on allocation failure (alloc_iova_fast's
 *    retry): with a small IOVA space the caller sees the failure.
 *  - No 32-bit-first allocation pass, no reserved ranges.
 *
 * Lock order (both leaves; never held together):
 *
 *   "iova_rcache->lock"   the range caches
 *   "iova_rbtree_lock"    the range table
 *
 * alloc_iova_fast() and free_iova_fast() take the cache lock, drop it,
 * then take the table lock when the cache could not serve.
 */
#include <errno.h>
#include <string.h>

#include "iommu/iova.h"

int init_iova_domain(struct world *w, struct iova_domain *iovad,
		     unsigned long granule, unsigned long start_pfn,
		     unsigned int max_ranges)
{
	if (!granule || (granule & (granule - 1)) || granule > 4096 ||
	    !start_pfn || !max_ranges)
		return -EINVAL;
	memset(iovad, 0, sizeof(*iovad));
	iovad->w = w;
	iovad->granule = granule;
	iovad->start_pfn = start_pfn;
	iovad->max_ranges = max_ranges;
	iovad->ranges = arena_alloc(w, max_ranges * sizeof(struct iova));
	if (!iovad->ranges)
		return -ENOMEM;
	spin_lock_init(w, &iovad->iova_rbtree_lock, "iova_rbtree_lock");
	spin_lock_init(w, &iovad->rcache_lock, "iova_rcache->lock");
	return 0;
}

static unsigned int fls_long(unsigned long x)
{
	return x ? 64 - __builtin_clzl(x) : 0;
}

/* the index of the range containing @pfn, or -1 (table lock held) */
static int __find_iova(struct iova_domain *iovad, unsigned long pfn)
{
	int lo = 0, hi = (int)iovad->nr_ranges - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		struct iova *r = &iovad->ranges[mid];

		if (pfn < r->pfn_lo)
			hi = mid - 1;
		else if (pfn > r->pfn_hi)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

unsigned long alloc_iova(struct iova_domain *iovad, unsigned long size,
			 unsigned long limit_pfn, bool size_aligned)
{
	unsigned long align_mask = ~0UL, pfn = 0;
	int i;

	if (!size || limit_pfn < iovad->start_pfn)
		return 0;
	if (limit_pfn == ~0UL)
		limit_pfn--;
	if (size_aligned)
		align_mask <<= fls_long(size - 1);

	spin_lock(&iovad->iova_rbtree_lock);
	if (iovad->nr_ranges == iovad->max_ranges)
		goto out;
	/* gaps from the top: below ranges[i], above ranges[i - 1] */
	for (i = iovad->nr_ranges; i >= 0; i--) {
		unsigned long top = limit_pfn + 1, bot = iovad->start_pfn;
		unsigned long cand;

		if (i < (int)iovad->nr_ranges && iovad->ranges[i].pfn_lo < top)
			top = iovad->ranges[i].pfn_lo;
		if (i > 0)
			bot = iovad->ranges[i - 1].pfn_hi + 1;
		if (top <= bot || top - bot < size)
			continue;
		cand = (top - size) & align_mask;
		if (cand < bot || cand > top - size)
			continue;
		memmove(&iovad->ranges[i + 1], &iovad->ranges[i],
			(iovad->nr_ranges - i) * sizeof(struct iova));
		iovad->ranges[i].pfn_lo = cand;
		iovad->ranges[i].pfn_hi = cand + size - 1;
		iovad->nr_ranges++;
		iovad->nr_alloc_tree++;
		pfn = cand;
		break;
	}
out:
	spin_unlock(&iovad->iova_rbtree_lock);
	return pfn;
}

static bool __free_iova(struct iova_domain *iovad, unsigned long pfn)
{
	int i = __find_iova(iovad, pfn);

	if (i < 0 || iovad->ranges[i].pfn_lo != pfn)
		return false;
	memmove(&iovad->ranges[i], &iovad->ranges[i + 1],
		(iovad->nr_ranges - i - 1) * sizeof(struct iova));
	iovad->nr_ranges--;
	iovad->nr_free_tree++;
	return true;
}

bool free_iova(struct iova_domain *iovad, unsigned long pfn)
{
	bool ok;

	spin_lock(&iovad->iova_rbtree_lock);
	ok = __free_iova(iovad, pfn);
	spin_unlock(&iovad->iova_rbtree_lock);
	if (!ok)
		report_add(iovad->w, "bad-iova-free",
			   "free_iova: no IOVA range starts at pfn %#lx", pfn);
	return ok;
}

bool find_iova(struct iova_domain *iovad, unsigned long pfn, struct iova *out)
{
	int i;

	spin_lock(&iovad->iova_rbtree_lock);
	i = __find_iova(iovad, pfn);
	if (i >= 0)
		*out = iovad->ranges[i];
	spin_unlock(&iovad->iova_rbtree_lock);
	return i >= 0;
}

/* the cache order of @size, or -1 if that size is not cached */
static int iova_rcache_order(unsigned long size)
{
	int order;

	if (!size || (size & (size - 1)))
		return -1;
	order = __builtin_ctzl(size);
	return order < IOVA_RANGE_CACHE_MAX_SIZE ? order : -1;
}

unsigned long alloc_iova_fast(struct iova_domain *iovad, unsigned long size,
			      unsigned long limit_pfn)
{
	int order = iova_rcache_order(size);
	unsigned long pfn = 0;

	if (order >= 0) {
		struct iova_rcache *rc = &iovad->rcaches[order];
		unsigned int i;

		spin_lock(&iovad->rcache_lock);
		/* the most recently freed range that fits the limit */
		for (i = rc->nr; i-- > 0;) {
			if (rc->pfns[i] + size - 1 > limit_pfn)
				continue;
			pfn = rc->pfns[i];
			memmove(&rc->pfns[i], &rc->pfns[i + 1],
				(rc->nr - i - 1) * sizeof(rc->pfns[0]));
			rc->nr--;
			iovad->nr_alloc_cached++;
			break;
		}
		spin_unlock(&iovad->rcache_lock);
		if (pfn)
			return pfn;
	}
	return alloc_iova(iovad, size, limit_pfn, true);
}

void free_iova_fast(struct iova_domain *iovad, unsigned long pfn,
		    unsigned long size)
{
	int order = iova_rcache_order(size);
	struct iova r;
	bool cached = false;

	if (!find_iova(iovad, pfn, &r) || r.pfn_lo != pfn ||
	    r.pfn_hi - r.pfn_lo + 1 != size) {
		report_add(
			iovad->w, "bad-iova-free",
			"free_iova_fast: [%#lx, +%lu) is not an allocated IOVA range",
			pfn, size);
		return;
	}
	if (order >= 0) {
		struct iova_rcache *rc = &iovad->rcaches[order];
		unsigned int i;

		spin_lock(&iovad->rcache_lock);
		for (i = 0; i < rc->nr; i++) {
			if (rc->pfns[i] == pfn) {
				spin_unlock(&iovad->rcache_lock);
				report_add(
					iovad->w, "bad-iova-free",
					"free_iova_fast: IOVA pfn %#lx freed twice",
					pfn);
				return;
			}
		}
		if (rc->nr < IOVA_MAG_SIZE) {
			rc->pfns[rc->nr++] = pfn;
			iovad->nr_free_cached++;
			cached = true;
		}
		spin_unlock(&iovad->rcache_lock);
	}
	if (!cached)
		free_iova(iovad, pfn);
}

unsigned int iova_nr_allocated(struct iova_domain *iovad)
{
	unsigned int n;

	spin_lock(&iovad->iova_rbtree_lock);
	n = iovad->nr_ranges;
	spin_unlock(&iovad->iova_rbtree_lock);
	return n;
}

// SPDX-License-Identifier: MIT
/*
 * Built-in models: mremap moving a page an SVA device has cached, while
 * something else frees (or would free) that page without the mmap_lock.
 *
 * The question (issue 5, "mremap notifying the secondary TLB only at range
 * end"): before 6.6 the SVA drivers' ->invalidate_range() ran for mremap
 * only from move_page_tables()' invalidate_range_end.  move_ptes() moves
 * the PTE and flushes the CPU TLB under the PTLs, then drops them; until
 * the range end the device's IOTLB and ATC still translate the OLD
 * address to the page.  Whoever finds the page at its NEW address in that
 * window and frees it tells the secondary TLB about the new address only.
 *
 *   sva-mremap-vs-reclaim-file  a clean page-cache page (MAP_SHARED) is
 *                               reclaimed as shrink_folio_list() does it:
 *                               try_to_unmap() through the file rmap
 *                               (i_mmap_rwsem, no mmap_lock, as Linux),
 *                               then out of the cache and freed
 *   sva-mremap2-vs-reclaim-file the same with two pages in two PTE tables
 *                               of a private file mapping; the second (a
 *                               COW copy) shows whether mremap has reached
 *                               its range end
 *   sva-mremap-vs-reclaim-anon  kswapd pages an anonymous page out
 *                               (vmscan.c: add_to_swap, try_to_unmap,
 *                               swap_writepage, __remove_mapping)
 *   sva-mremap-vs-migrate       the anonymous page is migrated
 *   sva-mremap-vs-dontneed      another thread MADV_DONTNEEDs the new range
 *   sva-mremap-merge-vs-reclaim file page 1 moves back next to the mapping
 *                               of page 0: copy_vma() merges, the merged
 *                               VMA comes first in i_mmap, and reclaim
 *                               frees the page while the device still
 *                               caches the old address (in_range_end)
 *
 * In each, the device reads the old address in a loop (no PRI: a
 * translation fault fails the access).  Oracle: the IOMMU core's
 * stale-iotlb / stale-atc (a hit whose frame was freed since it was
 * cached), a successful read after mremap() returned ("value"), a read
 * of anything but the value the page holds ("value").
 *
 * Results (docs/iommu.md, "mremap and the pre-6.6 range-end flush"): clean under in_range_end and
 * with_tlb_flush, except the merge variant (stale-atc under
 * in_range_end); with none the device reaches the freed frame.
 * The file case is clean because the rmap walk visits the old VMA (still
 * in i_mmap, linked before the new one) first, and try_to_unmap_one()
 * brackets even a VMA where it finds nothing with a notifier range whose
 * end (before 6.6) invalidates the old address.  The anonymous cases are
 * excluded here by mmap_lock: this model's anon rmap walk trylocks each
 * mm's mmap_lock (rmap.c's simplification; Linux takes the anon_vma
 * lock), so they are clean for a reason Linux does not have.
 *
 * Simplifications: the file reclaimer drops the page from the cache with
 * truncate_inode_pages() once try_to_unmap() left it unmapped, which is
 * __remove_mapping()'s effect for a clean page (the model's files have no
 * backing store: the data reads as zero afterwards, where Linux would
 * read it back from disk; in the two-page variant it also drops the
 * file's second page, which nobody maps: the mapping has a COW copy).
 * Only sva-mremap-merge-vs-reclaim makes copy_vma() merge (need_rmap_locks):
 * in the others the rmap walk meets the old VMA first.  The window and progress samples peek at PTEs and at the
 * IOTLB/ATC without their locks, as checkers do: they are exact under
 * the deterministic engine only.
 *
 * Not yet scenarios: these races were not converted in this round (the
 * mm, SVA and reclaim_file ops they need exist).
 *
 * Locking: the agents take the mm's and the IOMMU's locks through the
 * calls they make; the reclaimer holds the folio lock across
 * try_to_unmap() (folio lock -> i_mmap_rwsem -> PTL); flags between
 * agents are READ_ONCE/WRITE_ONCE.
 */
#include "check/check.h"
#include "core/policy.h"
#include "iommu/iommu-sva.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "scenario/dma_models.h"

#define SVAM_FRAMES 1024
/* the last page of a PTE table: a second page lies in the next one */
#define SVAM_ADDR 0x101ff000UL
#define SVAM_TARGET 0x105ff000UL /* other PTE tables */
#define SVAM_VAL 42
/* merge variant: where file page 0 stays mapped, just below the target */
#define SVAM_NEIGHBOUR (SVAM_TARGET - PAGE_SIZE)

struct sva_mremap_race {
	const struct sva_mremap_race_opts *o;
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct file *file;
	struct iommu *iommu;
	struct pci_dev *dev;
	struct iommu_sva *sva;
	uint32_t pasid;
	struct folio *folio; /* anon: the page, with setup's reference */
	struct tlbflush_unmap_batch tlb_ubc; /* the reclaimer's batch */
	int mremap_done;
	struct sva_mremap_stats st;
};

/*
 * The device: reads the old address.  A read that succeeds while the old
 * PTE is already gone went through the IOTLB/ATC (counted: the window is
 * real in the model, not only in theory).
 */
static void svam_device(void *arg)
{
	struct sva_mremap_race *r = arg;
	bool returned, gone;
	pte_t pte;
	uint64_t v;
	int i;

	for (i = 0; i < r->o->iters; i++) {
		returned = READ_ONCE(r->mremap_done);
		gone = sva_peek_pte(r->mm, SVAM_ADDR, &pte) ||
		       !pte_present(pte);
		if (iommu_dma_read(r->dev, r->pasid, SVAM_ADDR, &v))
			continue;
		if (gone)
			WRITE_ONCE(r->st.stale_reads, r->st.stale_reads + 1);
		if (returned)
			report_add(
				r->mmw->w, "value",
				"%s: device read of va %#lx succeeded after mremap() had returned\n",
				current->name, SVAM_ADDR);
		else if (v != SVAM_VAL)
			report_add(
				r->mmw->w, "value",
				"%s: device read %llu from va %#lx, the page holds %d\n",
				current->name, (unsigned long long)v, SVAM_ADDR,
				SVAM_VAL);
	}
}

static void svam_mremapper(void *arg)
{
	struct sva_mremap_race *r = arg;
	unsigned long ret;
	unsigned long len = r->o->pages * PAGE_SIZE;

	ret = do_mremap(r->mm, SVAM_ADDR, len, len,
			MREMAP_MAYMOVE | MREMAP_FIXED, SVAM_TARGET);
	if (ret != SVAM_TARGET)
		sva_syscall_failed(r->mmw->w, "mremap", (long)ret);
	WRITE_ONCE(r->mremap_done, 1);
}

/*
 * The window: move_ptes() has moved the page to the new address, and the
 * device still caches the old one (mremap's range end has not come).
 * Peeks, as the checkers do; sampled just before the racing path starts
 * to unmap, so a true answer means it unmaps a page the device can still
 * reach through a stale entry.
 */
static bool svam_in_window(struct sva_mremap_race *r)
{
	pte_t old, new;

	if (!sva_peek_pte(r->mm, SVAM_ADDR, &old) && !pte_none(old))
		return false;
	if (sva_peek_pte(r->mm, SVAM_TARGET, &new) || !pte_present(new))
		return false;
	return dev_atc_nr_valid(r->dev) > 0;
}

/*
 * With a second page: mremap has not reached its range end while that
 * page is still at its old address (move_page_tables() moves it after
 * the first, in the next PTE table, then ends the range).
 */
static bool svam_range_end_pending(struct sva_mremap_race *r)
{
	pte_t pte;

	return r->o->pages > 1 &&
	       !sva_peek_pte(r->mm, SVAM_ADDR + PAGE_SIZE, &pte) &&
	       pte_present(pte);
}

/* the page was freed; @window: its unmap began inside the window */
static void svam_note_freed(struct sva_mremap_race *r, bool window)
{
	WRITE_ONCE(r->st.freed, 1);
	if (window)
		WRITE_ONCE(r->st.freed_in_window, 1);
}

/*
 * shrink_folio_list() on a clean page-cache folio: isolate (a reference),
 * trylock, try_to_unmap() with a batched flush, the batch flushed, out of
 * the cache, freed with the last reference.
 */
static void svam_reclaim_file(void *arg)
{
	struct sva_mremap_race *r = arg;
	struct address_space *mapping = r->file->f_mapping;
	unsigned long index = r->o->merge ? 1 : 0;
	struct page *page = filemap_get_page(mapping, index);
	struct folio *folio;
	bool unmapped, window;

	if (!page)
		return;
	folio = page_folio(page);
	if (!folio_trylock(folio)) {
		folio_put(folio);
		return;
	}
	window = svam_in_window(r);
	unmapped = !folio_mapped(folio) ||
		   try_to_unmap(folio, TTU_BATCH_FLUSH, &r->tlb_ubc);
	try_to_unmap_flush(r->mmw, &r->tlb_ubc);
	/*
	 * Unmapped from inside the window, before mremap's range end, and
	 * the device's old-address entry is gone: the rmap walk's own
	 * notifier range over the old VMA invalidated it.
	 */
	if (unmapped && window && svam_range_end_pending(r) &&
	    !dev_atc_nr_valid(r->dev) && !iommu_iotlb_nr_valid(r->iommu))
		WRITE_ONCE(r->st.rmap_flushed_old, 1);
	folio_unlock(folio);
	if (!unmapped) {
		folio_put(folio);
		return;
	}
	/* __remove_mapping(): nobody maps it, the cache lets it go */
	truncate_inode_pages(mapping, index << PAGE_SHIFT);
	if (!folio->mapping)
		svam_note_freed(r, window);
	folio_put(folio); /* the isolation reference: the frame is free */
}

static void svam_reclaim_anon(void *arg)
{
	struct sva_mremap_race *r = arg;
	bool window = svam_in_window(r);
	struct scan_control sc = {
		.nr_to_reclaim = 1,
		.ignore_references = true,
		.tlb_ubc = &r->tlb_ubc,
	};

	if (kswapd_shrink(r->mmw, &sc))
		svam_note_freed(r, window);
}

static void svam_migrate(void *arg)
{
	struct sva_mremap_race *r = arg;
	bool window = svam_in_window(r);

	if (!migrate_folio_one(r->mmw, r->folio))
		svam_note_freed(r, window);
	folio_put(r->folio); /* setup's reference */
	r->folio = NULL;
}

/* MADV_DONTNEED of the new range: mmap_lock orders it after mremap */
static void svam_dontneed(void *arg)
{
	struct sva_mremap_race *r = arg;
	bool window = svam_in_window(r);
	int ret = do_madvise(r->mm, SVAM_TARGET, PAGE_SIZE, MADV_DONTNEED);

	/* before the move the new range is not mapped yet: -ENOMEM */
	if (ret == -ENOMEM)
		return;
	if (ret)
		sva_syscall_failed(r->mmw->w, "madvise(MADV_DONTNEED)", ret);
	else
		svam_note_freed(r, window);
}

static const char *const svam_actor_names[] = {
	[SVA_MREMAP_RECLAIM_FILE] = "kswapd",
	[SVA_MREMAP_RECLAIM_ANON] = "kswapd",
	[SVA_MREMAP_MIGRATE] = "migrator",
	[SVA_MREMAP_DONTNEED] = "dontneed",
};

static void (*const svam_actors[])(void *) = {
	[SVA_MREMAP_RECLAIM_FILE] = svam_reclaim_file,
	[SVA_MREMAP_RECLAIM_ANON] = svam_reclaim_anon,
	[SVA_MREMAP_MIGRATE] = svam_migrate,
	[SVA_MREMAP_DONTNEED] = svam_dontneed,
};

int sva_mremap_race_setup(struct world *w, void *arg)
{
	const struct sva_mremap_race_opts *o = arg;
	struct sva_mremap_race *r = arena_alloc(w, sizeof(*r));
	unsigned long a, len = o->pages * PAGE_SIZE;
	struct cpu *c0;
	uint64_t v;
	pte_t pte;

	if (!r)
		return -ENOMEM;
	w->priv = r;
	r->o = o;
	r->mmw = mm_world_get(w, SVAM_FRAMES, 3);
	if (!r->mmw)
		return -ENOMEM;
	c0 = mm_cpu(r->mmw, 0);
	r->mm = mm_alloc(r->mmw);
	if (!r->mm)
		return -ENOMEM;
	if (o->merge) {
		/*
		 * A two-page shared file mapping below the target; its second
		 * page (file page 1) is read in and moved away to SVAM_ADDR,
		 * leaving file page 0 alone just below the target
		 */
		r->file = shmem_file_setup(r->mmw, 2 * PAGE_SIZE);
		a = vm_mmap(r->mm, r->file, SVAM_NEIGHBOUR, 2 * PAGE_SIZE,
			    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 0);
		if (a != SVAM_NEIGHBOUR ||
		    filemap_write_word(r->file, PAGE_SIZE, SVAM_VAL) < 0 ||
		    cpu_read(c0, r->mm, SVAM_TARGET, &v) || v != SVAM_VAL)
			return -EFAULT;
		a = do_mremap(r->mm, SVAM_TARGET, PAGE_SIZE, PAGE_SIZE,
			      MREMAP_MAYMOVE | MREMAP_FIXED, SVAM_ADDR);
		if (a != SVAM_ADDR || cpu_read(c0, r->mm, a, &v) ||
		    v != SVAM_VAL)
			return -EFAULT;
	} else if (o->op == SVA_MREMAP_RECLAIM_FILE) {
		/*
		 * A file page mapped by a read fault (clean); the second
		 * page of a private mapping is a COW copy, not in the file
		 */
		r->file = shmem_file_setup(r->mmw, len);
		a = vm_mmap(
			r->mm, r->file, SVAM_ADDR, len, PROT_READ | PROT_WRITE,
			(o->pages > 1 ? MAP_PRIVATE : MAP_SHARED) | MAP_FIXED,
			0);
		if (a != SVAM_ADDR ||
		    filemap_write_word(r->file, 0, SVAM_VAL) < 0 ||
		    cpu_read(c0, r->mm, a, &v) || v != SVAM_VAL)
			return -EFAULT;
		if (o->pages > 1 && cpu_write(c0, r->mm, a + PAGE_SIZE, 1))
			return -EFAULT;
	} else {
		a = vm_mmap(r->mm, NULL, SVAM_ADDR, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
		if (a != SVAM_ADDR || cpu_write(c0, r->mm, a, SVAM_VAL))
			return -EFAULT;
	}
	cpu_idle(c0);
	if (o->op == SVA_MREMAP_MIGRATE) {
		if (sva_peek_pte(r->mm, a, &pte) || !pte_present(pte))
			return -EFAULT;
		r->folio = page_folio(pfn_to_page(r->mmw->pm, pte_pfn(pte)));
		if (!folio_try_get(r->folio))
			return -EFAULT;
	}
	/* the device (ATS, no PRI) is bound and caches the translation */
	r->iommu = iommu_get(r->mmw);
	r->dev = pci_dev_add(r->iommu, "accel", true, false);
	if (!r->dev)
		return -ENOMEM;
	r->sva = iommu_sva_bind_device(r->dev, r->mm);
	if (IS_ERR(r->sva))
		return -ENODEV;
	r->pasid = iommu_sva_get_pasid(r->sva);
	if (iommu_dma_read(r->dev, r->pasid, a, &v) || v != SVAM_VAL)
		return -EFAULT;
	if (!agent_create(w, "device", svam_device, r) ||
	    !agent_create(w, "mremapper", svam_mremapper, r) ||
	    !agent_create(w, svam_actor_names[o->op], svam_actors[o->op], r))
		return -EAGAIN;
	return 0;
}

void sva_mremap_race_stats(struct world *w, struct sva_mremap_stats *st)
{
	struct sva_mremap_race *r = w->priv;

	*st = r->st;
}

void sva_mremap_race_check(struct world *w, void *arg)
{
	struct sva_mremap_race *r = w->priv;
	int i;

	(void)arg;
	if (r->folio)
		folio_put(r->folio); /* the migrator never ran */
	iommu_check_quiescent(r->iommu);
	mm_check_quiescent(r->mmw);
	iommu_sva_unbind_device(r->sva);
	for (i = 0; i < 3; i++)
		cpu_idle(mm_cpu(r->mmw, i));
	mmput(r->mm);
	if (r->file)
		fput(r->file);
	phys_check_leaks(r->mmw->pm, 0);
}

#define SVAM_ITERS 2

static const struct sva_mremap_race_opts opts_reclaim_file = {
	.op = SVA_MREMAP_RECLAIM_FILE,
	.pages = 1,
	.iters = SVAM_ITERS,
};
static const struct sva_mremap_race_opts opts_reclaim_file2 = {
	.op = SVA_MREMAP_RECLAIM_FILE,
	.pages = 2,
	.iters = SVAM_ITERS,
};
static const struct sva_mremap_race_opts opts_reclaim_anon = {
	.pages = 1,
	.op = SVA_MREMAP_RECLAIM_ANON,
	.iters = SVAM_ITERS,
};
static const struct sva_mremap_race_opts opts_migrate = {
	.pages = 1,
	.op = SVA_MREMAP_MIGRATE,
	.iters = SVAM_ITERS,
};
static const struct sva_mremap_race_opts opts_dontneed = {
	.pages = 1,
	.op = SVA_MREMAP_DONTNEED,
	.iters = SVAM_ITERS,
};

static const struct sva_mremap_race_opts opts_merge_reclaim = {
	.op = SVA_MREMAP_RECLAIM_FILE,
	.pages = 1,
	.iters = SVAM_ITERS,
	.merge = true,
};

const struct model model_sva_mremap_vs_reclaim_file = {
	"sva-mremap-vs-reclaim-file",
	"an SVA device reads the old address of a file page mremap moves while reclaim unmaps it through the file rmap and frees it (clean under in_range_end: the old VMA's empty range end flushes first)",
	sva_mremap_race_setup, sva_mremap_race_check, (void *)&opts_reclaim_file
};
const struct model model_sva_mremap2_vs_reclaim_file = {
	"sva-mremap2-vs-reclaim-file",
	"the same with two pages in two PTE tables of a private file mapping (the second a COW copy): reclaim may unmap and free the first before mremap reaches its range end (clean under in_range_end)",
	sva_mremap_race_setup, sva_mremap_race_check,
	(void *)&opts_reclaim_file2
};
const struct model model_sva_mremap_vs_reclaim_anon = {
	"sva-mremap-vs-reclaim-anon",
	"the same with an anonymous page swapped out by kswapd (clean: the model's anon rmap walk needs mmap_lock)",
	sva_mremap_race_setup, sva_mremap_race_check, (void *)&opts_reclaim_anon
};
const struct model model_sva_mremap_vs_migrate = {
	"sva-mremap-vs-migrate",
	"the same with the anonymous page migrated (clean: the model's migration locks every mmap_lock)",
	sva_mremap_race_setup, sva_mremap_race_check, (void *)&opts_migrate
};
const struct model model_sva_mremap_vs_dontneed = {
	"sva-mremap-vs-dontneed",
	"the same with another thread's MADV_DONTNEED of the new range (clean: mmap_lock orders it after mremap)",
	sva_mremap_race_setup, sva_mremap_race_check, (void *)&opts_dontneed
};
const struct model model_sva_mremap_merge_vs_reclaim = {
	"sva-mremap-merge-vs-reclaim",
	"an SVA device reads the old address of file page 1 while mremap moves it back next to the mapping of page 0 (copy_vma merges, the merged VMA comes first in i_mmap) and reclaim frees it: stale IOTLB/ATC under in_range_end, clean with_tlb_flush (6.6)",
	sva_mremap_race_setup, sva_mremap_race_check,
	(void *)&opts_merge_reclaim
};

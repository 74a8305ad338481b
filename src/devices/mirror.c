// SPDX-License-Identifier: MIT
/*
 * The mirror device: a secondary MMU that mirrors a range of a process
 * address space in its own page table.
 *
 * Models lib/test_hmm.c's "dmirror" (the HMM test driver): an interval
 * notifier over the mirrored range whose invalidate takes the device
 * mutex (trylock when the range is not blockable), calls
 * mmu_interval_set_seq() and drops the entries; a fault path that takes
 * mmu_interval_read_begin(), walks and faults the process page table
 * under mmap_read_lock (mm/hmm.c's hmm_range_fault), then takes the device
 * mutex and installs the entries only if mmu_interval_read_retry() says no
 * invalidation collided; device reads and writes through its own table,
 * faulting on a miss (dmirror_do_read/dmirror_do_write).  The code is our
 * own.
 *
 * Simplifications:
 *  - The device page table is a fixed array of DMIRROR_MAX_PAGES entries
 *    over the mirrored range (dmirror uses an xarray over the whole mm).
 *    An entry holds pfn, the frame's generation at walk time and a
 *    writable bit; like dmirror it holds no page reference: invalidation
 *    must drop it before the page can go.
 *  - hmm_range_fault is a per-page software walk (pgd .. pte, each read a
 *    schedule point) within VMAs found under mmap_read_lock; a missing or
 *    read-only PTE is faulted with handle_mm_fault() and the walk returns
 *    -EBUSY so the caller starts again from read_begin, as hmm does.  No
 *    device-private pages, no migration to the device, no snapshot, no
 *    PMD-level entries, no HMM_PFN_REQ_* per-page flags.  The retry loop
 *    is bounded (DMIRROR_MAX_TRIES: -EBUSY, as dmirror's timeout).
 *  - Errors as hmm-tests expect: -EFAULT for no VMA or a VMA without
 *    VM_READ (PROT_NONE) or a fault that fails; -EPERM for a write to a
 *    VMA without VM_WRITE.
 *  - A fault on an exited process (mm_users already 0) fails with
 *    -EFAULT (dmirror_fault returns 0 there and lets the caller's loop
 *    find nothing).
 *  - The policy knob mirror.read_retry=false skips the read_retry check
 *    (a driver bug); hmm_range_fault's own mmu_interval_check_retry()
 *    early exit is kept.
 *
 * Checks made here:
 *  - "stale-secondary": a device access through an entry whose frame was
 *    freed since the walk read the PTE (the generation moved), like
 *    stale-tlb; and at a quiescent point (dmirror_check_quiescent) an
 *    entry that no present PTE backs or that is more permissive than it;
 *  - mmu_notifier_check_install() at every install, under the mutex:
 *    "install-in-invalidation".
 *
 * Lock order (outermost first):
 *
 *   mmu_interval_read_begin (takes the notifier lockdep map, no lock held)
 *   mm->mmap_lock (read: the walk and its faults; released before ...)
 *   mmu_notifier_invalidate_range_start (lockdep map; the callback runs
 *                                        inside it)
 *     "dmirror->mutex" (the device table; install and invalidate; nothing
 *                       of the mm is taken under it)
 */
#include <stdio.h>
#include <string.h>

#include "check/oracle.h"
#include "core/compiler.h"
#include "core/policy.h"
#include "core/trace.h"
#include "devices/mirror.h"

#define DMIRROR_MAX_TRIES 64

/* an event on the device's own trace track (and on the caller's) */
#define dmirror_trace(d, fmt, ...)                                             \
	((d)->name ? trace_event_dev((d)->mm->mmw->w, "mirror", (d)->name, -1, \
				     fmt, __VA_ARGS__) :                       \
		     trace_event_dev((d)->mm->mmw->w, "mirror of mm", NULL,    \
				     (d)->mm->id, fmt, __VA_ARGS__))

static struct dmirror_entry *dmirror_entry(struct dmirror *d, unsigned long va)
{
	unsigned long idx;

	if (va < d->start)
		return NULL;
	idx = (va - d->start) >> PAGE_SHIFT;
	return idx < d->npages ? &d->pt[idx] : NULL;
}

/* ---- the interval notifier (dmirror_interval_invalidate) ---- */

static bool dmirror_interval_invalidate(struct mmu_interval_notifier *mni,
					const struct mmu_notifier_range *range,
					unsigned long cur_seq)
{
	struct dmirror *d = container_of(mni, struct dmirror, notifier);
	unsigned long s, e, va;

	/* our own migration: the device already knows (dmirror does this) */
	if (range->event == MMU_NOTIFY_MIGRATE && range->owner == d)
		return true;
	if (mmu_notifier_range_blockable(range))
		mutex_lock(&d->mutex);
	else if (!mutex_trylock(&d->mutex))
		return false;
	mmu_interval_set_seq(mni, cur_seq);
	s = max(range->start, d->start);
	e = min(range->end, d->start + (d->npages << PAGE_SHIFT));
	for (va = s & PAGE_MASK; va < e; va += PAGE_SIZE) {
		struct dmirror_entry *ent = dmirror_entry(d, va);

		if (ent)
			ent->valid = false;
	}
	d->nr_invalidations++;
	dmirror_trace(d, "invalidate [%#lx, %#lx) %s", s, e,
		      mmu_notifier_event_name(range->event));
	mutex_unlock(&d->mutex);
	return true;
}

static const struct mmu_interval_notifier_ops dmirror_mni_ops = {
	.invalidate = dmirror_interval_invalidate,
};

int dmirror_init(struct dmirror *d, struct mm_struct *mm, unsigned long start,
		 unsigned long npages)
{
	int ret;

	if (!npages || npages > DMIRROR_MAX_PAGES || (start & ~PAGE_MASK))
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->mm = mm;
	d->start = start;
	d->npages = npages;
	mutex_init(mm->mmw->w, &d->mutex, "dmirror->mutex");
	mmgrab(mm);
	ret = mmu_interval_notifier_insert(&d->notifier,
					   mm->notifier_subscriptions, start,
					   npages << PAGE_SHIFT,
					   &dmirror_mni_ops);
	if (ret)
		mmdrop(mm);
	return ret;
}

void dmirror_fini(struct dmirror *d)
{
	mmu_interval_notifier_remove(&d->notifier);
	mmdrop(d->mm);
	d->mm = NULL;
}

/* ---- hmm_range_fault ---- */

struct dmirror_pfn {
	unsigned long pfn;
	unsigned long gen;
	bool writable;
};

/* the present PTE of @va, or none (no tables); no locks, as hmm */
static pte_t dmirror_read_pte(struct mm_struct *mm, unsigned long va)
{
	pgd_t *pgd = pgd_offset(mm, va);
	pud_t *pud;
	pmd_t *pmd;
	pmd_t pmdv;

	if (pgd_none(pgdp_get(pgd)))
		return __pte(0);
	pud = pud_offset(pgd, va);
	if (pud_none(pudp_get(pud)))
		return __pte(0);
	pmd = pmd_offset(pud, va);
	pmdv = pmdp_get(pmd);
	if (pmd_none(pmdv) || pmd_leaf(pmdv))
		return __pte(0); /* no THP here: treated as absent */
	return ptep_get(pte_offset_kernel(pmd, va));
}

/*
 * hmm_range_fault for [va, va + n pages): fills @pfns, or returns -EBUSY
 * (start again from read_begin: a fault was taken, or a collision seen),
 * -EFAULT or -EPERM.  Caller holds mmap_read_lock.
 */
static int dmirror_hmm_range_fault(struct dmirror *d, unsigned long seq,
				   unsigned long va, unsigned long n,
				   bool write, struct dmirror_pfn *pfns)
{
	struct mm_struct *mm = d->mm;
	struct phys_mem *pm = mm->mmw->pm;
	unsigned long i;

	if (mmu_interval_check_retry(&d->notifier, seq))
		return -EBUSY;
	for (i = 0; i < n; i++) {
		unsigned long addr = va + (i << PAGE_SHIFT);
		struct vm_area_struct *vma = find_vma(mm, addr);
		vm_fault_t fault;
		pte_t pte;

		if (!vma || vma->vm_start > addr ||
		    (vma->vm_flags & (VM_IO | VM_PFNMAP)) ||
		    !(vma->vm_flags & VM_READ))
			return -EFAULT;
		if (write && !(vma->vm_flags & VM_WRITE))
			return -EPERM;
		pte = dmirror_read_pte(mm, addr);
		if (pte_present(pte) && (!write || pte_write(pte))) {
			pfns[i].pfn = pte_pfn(pte);
			pfns[i].gen = phys_generation(pm, pfns[i].pfn);
			pfns[i].writable = pte_write(pte);
			continue;
		}
		fault = handle_mm_fault(vma, addr,
					FAULT_FLAG_REMOTE |
						(write ? FAULT_FLAG_WRITE : 0));
		if (fault & VM_FAULT_OOM)
			return -ENOMEM;
		if (fault & VM_FAULT_ERROR)
			return -EFAULT;
		return -EBUSY; /* hmm_vma_fault: walk again */
	}
	return 0;
}

/**
 * dmirror_fault - build device entries for [va, va + npages pages)
 *
 * dmirror_range_fault + dmirror_do_fault: read_begin, walk under
 * mmap_read_lock, then under the device mutex read_retry (policy
 * mirror.read_retry) and install.
 */
int dmirror_fault(struct dmirror *d, unsigned long va, unsigned long npages,
		  bool write)
{
	struct mm_struct *mm = d->mm;
	struct world *w = mm->mmw->w;
	struct dmirror_pfn pfns[DMIRROR_MAX_PAGES];
	unsigned long seq, i;
	int ret, tries;

	va &= PAGE_MASK;
	if (!npages || !dmirror_entry(d, va) ||
	    !dmirror_entry(d, va + ((npages - 1) << PAGE_SHIFT)))
		return -EFAULT;
	/*
	 * The mm is the mirrored process's: the device's mmgrab keeps the
	 * struct, a user reference keeps exit_mmap from tearing the page
	 * tables down under the walk and its faults.
	 */
	if (!mmget_not_zero(mm))
		return -EFAULT;
	__atomic_add_fetch(&d->nr_faults, 1, __ATOMIC_RELAXED);
	ret = -EBUSY;
	for (tries = 0; tries < DMIRROR_MAX_TRIES; tries++) {
		seq = mmu_interval_read_begin(&d->notifier);
		mmap_read_lock(mm);
		ret = dmirror_hmm_range_fault(d, seq, va, npages, write, pfns);
		mmap_read_unlock(mm);
		if (ret == -EBUSY)
			continue;
		if (ret)
			break;
		mutex_lock(&d->mutex);
		if (policy_bool(w, KNOB_MIRROR_READ_RETRY) &&
		    mmu_interval_read_retry(&d->notifier, seq)) {
			mutex_unlock(&d->mutex);
			__atomic_add_fetch(&d->nr_retries, 1, __ATOMIC_RELAXED);
			ret = -EBUSY;
			continue;
		}
		for (i = 0; i < npages; i++) {
			unsigned long addr = va + (i << PAGE_SHIFT);
			struct dmirror_entry *e = dmirror_entry(d, addr);

			mmu_notifier_check_install(mm->notifier_subscriptions,
						   addr, addr + PAGE_SIZE);
			*e = (struct dmirror_entry){
				.pfn = pfns[i].pfn,
				.gen = pfns[i].gen,
				.fill_step = __atomic_load_n(&w->step,
							     __ATOMIC_RELAXED),
				.writable = pfns[i].writable,
				.valid = true,
			};
			d->nr_installs++;
		}
		dmirror_trace(d, "install va %#lx x%lu -> pfn %#lx%s", va,
			      npages, pfns[0].pfn,
			      pfns[0].writable ? " rw" : " ro");
		mutex_unlock(&d->mutex);
		break;
	}
	mmput(mm);
	return ret;
}

/* ---- device accesses ---- */

static void dmirror_check_stale(struct dmirror *d, struct dmirror_entry *e,
				unsigned long va, bool write)
{
	struct mm_world *mmw = d->mm->mmw;
	struct page *page = pfn_to_page(mmw->pm, e->pfn);
	unsigned long gen = page_generation(page);

	if (gen == e->gen || e->reported)
		return;
	e->reported = true;
	report_add(
		mmw->w, "stale-secondary",
		"dmirror: %s %s va %#lx through a stale device entry (mm %d): pfn %#lx was installed at step %lu with generation %lu, but the frame has been freed since (generation %lu, now %s)\n",
		current ? current->name : "(no agent)",
		write ? "wrote" : "read", va, d->mm->id, e->pfn, e->fill_step,
		e->gen, gen, page_state_name(page_state(page)));
}

/* dmirror_do_read / dmirror_do_write: -ENOENT means fault first */
static int dmirror_do_access(struct dmirror *d, unsigned long va, bool write,
			     uint64_t *val)
{
	struct dmirror_entry *e;
	int ret = 0;

	mutex_lock(&d->mutex);
	e = dmirror_entry(d, va);
	if (!e->valid || (write && !e->writable)) {
		ret = -ENOENT;
	} else {
		dmirror_check_stale(d, e, va, write);
		if (write)
			phys_write(d->mm->mmw->pm, e->pfn, va & ~PAGE_MASK,
				   *val);
		else
			phys_read(d->mm->mmw->pm, e->pfn, va & ~PAGE_MASK, val);
		oracle_access(d->mm, -1, va, write, *val);
	}
	mutex_unlock(&d->mutex);
	return ret;
}

static int dmirror_access(struct dmirror *d, unsigned long va, bool write,
			  uint64_t *val)
{
	int ret, tries;

	if ((va & 7) || !dmirror_entry(d, va))
		return -EFAULT;
	for (tries = 0; tries < DMIRROR_MAX_TRIES; tries++) {
		ret = dmirror_do_access(d, va, write, val);
		if (ret != -ENOENT)
			return ret;
		ret = dmirror_fault(d, va, 1, write);
		if (ret)
			return ret;
	}
	return -EBUSY;
}

int dmirror_read(struct dmirror *d, unsigned long va, uint64_t *val)
{
	return dmirror_access(d, va, false, val);
}

int dmirror_write(struct dmirror *d, unsigned long va, uint64_t val)
{
	return dmirror_access(d, va, true, &val);
}

unsigned long dmirror_nr_valid(struct dmirror *d)
{
	unsigned long i, n = 0;

	mutex_lock(&d->mutex);
	for (i = 0; i < d->npages; i++)
		n += d->pt[i].valid;
	mutex_unlock(&d->mutex);
	return n;
}

unsigned long dmirror_check_quiescent(struct dmirror *d)
{
	unsigned long i, nr = 0;

	for (i = 0; i < d->npages; i++) {
		struct dmirror_entry *e = &d->pt[i];
		unsigned long va = d->start + (i << PAGE_SHIFT);
		pte_t pte;
		const char *why = NULL;

		if (!e->valid)
			continue;
		pte = dmirror_read_pte(d->mm, va);
		if (!pte_present(pte))
			why = "no present PTE backs it";
		else if (pte_pfn(pte) != e->pfn)
			why = "the PTE maps another frame";
		else if (e->writable && !pte_write(pte))
			why = "it is writable but the PTE is read-only";
		if (!why)
			continue;
		nr++;
		report_add(
			d->mm->mmw->w, "stale-secondary",
			"dmirror: at quiescence, the device entry for va %#lx (pfn %#lx, %s, installed at step %lu) is stale: %s\n",
			va, e->pfn, e->writable ? "rw" : "ro", e->fill_step,
			why);
	}
	return nr;
}

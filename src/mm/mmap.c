// SPDX-License-Identifier: MIT
/*
 * The VMAs of an address space, mmap, munmap and exit_mmap.
 *
 * Models mm/mmap.c and mm/vma.c (find_vma, vma_lookup,
 * find_vma_intersection, __split_vma, vma merging, do_mmap,
 * mmap_region, do_vmi_munmap/do_vmi_align_munmap with the downgrade of
 * mmap_lock, unmap_region, exit_mmap, remove_vma), mm/util.c
 * (vm_mmap_pgoff), the syscall entry of mmap (ksys_mmap_pgoff) and
 * arch/x86/kernel/sys_x86_64.c (top-down get_unmapped_area).
 *
 * Simplifications:
 *  - The VMAs live in a sorted array (struct mm_struct); at most
 *    MM_MAX_VMAS, the model's vm.max_map_count.
 *  - No randomization: mmap_base is fixed, so addresses replay.
 *  - No stack guard gaps, no VM_GROWSDOWN growth, no hugetlb, no mlock
 *    beyond VM_LOCKED's accounting and population, no rlimits, no
 *    overcommit accounting.
 *  - Merging: a new or changed VMA merges with a neighbour when flags
 *    (soft-dirty aside), file, ops, offsets and anon_vma allow, as
 *    vma_merge does; VM_SPECIAL VMAs never merge.
 *  - The caller is an unprivileged task: fixed mappings below
 *    vm.mmap_min_addr fail with -EPERM (cap_mmap_addr()).
 *  - MAP_SHARED|MAP_ANONYMOUS is backed by a tmpfs file, as Linux's
 *    shmem_zero_setup() does; files are all tmpfs-like (shmem.c).
 *
 * Lock order (see memory.c): mmap_lock for write around every change of
 * the VMA array; munmap downgrades it to read before zapping, so faults
 * elsewhere in the mm proceed while the range is torn down.  A change of
 * a file VMA's range or offset (split, merge, growth) also holds the
 * file's i_mmap_rwsem for write (vma_prepare/vma_complete in shmem.c),
 * because file rmap walks read those fields under i_mmap_rwsem alone.
 */
#include <string.h>

#include "check/oracle.h"
#include "core/trace.h"
#include "mm/mm.h"
#include "mm/mmu_gather.h"
#include "mm/tlb.h"

#define MMAP_BASE 0x7f0000000000UL
#define TASK_UNMAPPED_BASE PAGE_ALIGN(TASK_SIZE / 3)

/* ---- VMA objects ---- */

static struct vm_area_struct *vm_area_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma =
		kmem_cache_zalloc(mm->mmw, &mm->mmw->vm_area_cachep);

	vma->vm_mm = mm;
	INIT_LIST_HEAD(&vma->shared);
	return vma;
}

/*
 * a copy sharing the anon_vma and the file (with a reference of its own,
 * as remove_vma() drops one per VMA); not yet in i_mmap; the driver is
 * told (->open)
 */
struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig)
{
	struct vm_area_struct *new = vm_area_alloc(orig->vm_mm);

	*new = *orig;
	new->next_free = NULL;
	INIT_LIST_HEAD(&new->shared);
	if (new->vm_file)
		get_file(new->vm_file);
	anon_vma_clone(new, orig);
	if (new->vm_ops &&new->vm_ops->open)
		new->vm_ops->open(new);
	return new;
}

static void vm_area_free(struct vm_area_struct *vma)
{
	struct mm_world *mmw = vma->vm_mm->mmw;

	kmem_cache_free(mmw, &mmw->vm_area_cachep, vma);
}

/* the VMA is gone from the mm and its pages are zapped */
static void remove_vma(struct vm_area_struct *vma)
{
	if (vma->vm_ops && vma->vm_ops->close)
		vma->vm_ops->close(vma);
	unlink_anon_vmas(vma);
	if (vma->vm_file) {
		unlink_file_vma(vma);
		fput(vma->vm_file);
	}
	vm_area_free(vma);
}

/* ---- the sorted VMA array (mmap_lock) ---- */

/* index of the first VMA ending above @addr (map_count if none) */
static int vma_find_index(struct mm_struct *mm, unsigned long addr)
{
	int lo = 0, hi = mm->map_count;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (mm->vmas[mid]->vm_end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int vma_index(struct mm_struct *mm, struct vm_area_struct *vma)
{
	int i = vma_find_index(mm, vma->vm_start);

	return i < mm->map_count && mm->vmas[i] == vma ? i : -1;
}

/**
 * find_vma - the first VMA that ends above @addr
 * @mm: the address space; mmap_lock held
 * @addr: the address
 *
 * It may start above @addr.  NULL if there is none.
 */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	int i = vma_find_index(mm, addr);

	return i < mm->map_count ? mm->vmas[i] : NULL;
}

/* the VMA containing @addr, or NULL */
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	return vma && vma->vm_start <= addr ? vma : NULL;
}

/* the first VMA overlapping [start, end), or NULL */
struct vm_area_struct *find_vma_intersection(struct mm_struct *mm,
					     unsigned long start,
					     unsigned long end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	return vma && vma->vm_start < end ? vma : NULL;
}

int vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	int i = vma_find_index(mm, vma->vm_start);

	if (mm->map_count >= (int)ARRAY_SIZE(mm->vmas))
		return -ENOMEM;
	memmove(&mm->vmas[i + 1], &mm->vmas[i],
		(mm->map_count - i) * sizeof(mm->vmas[0]));
	mm->vmas[i] = vma;
	mm->map_count++;
	return i;
}

static void vma_unlink_range(struct mm_struct *mm, int first, int nr)
{
	memmove(&mm->vmas[first], &mm->vmas[first + nr],
		(mm->map_count - first - nr) * sizeof(mm->vmas[0]));
	mm->map_count -= nr;
}

/**
 * split_vma - cut @vma in two at @addr
 * @vma: the VMA; mmap_lock held for write
 * @addr: a page-aligned address strictly inside @vma
 * @new_below: the new VMA is the part below @addr (else above)
 *
 * Returns 0, or -ENOMEM if the array is full.  Callers check
 * vm.max_map_count (MM_MAX_VMAS) themselves, as Linux's do.
 */
int split_vma(struct vm_area_struct *vma, unsigned long addr, int new_below)
{
	struct mm_struct *mm = vma->vm_mm;
	struct address_space *mapping;
	struct vm_area_struct *new;

	if (mm->map_count >= (int)ARRAY_SIZE(mm->vmas))
		return -ENOMEM;
	new = vm_area_dup(vma);
	/* file rmap walks see the old VMA or both halves, never a gap */
	mapping = vma_prepare(vma);
	if (new_below) {
		new->vm_end = addr;
		vma->vm_pgoff += (addr - vma->vm_start) >> PAGE_SHIFT;
		vma->vm_start = addr;
		/* its offset rose: its place in i_mmap may change */
		if (mapping)
			__vma_relink_file(vma, mapping);
	} else {
		new->vm_start = addr;
		new->vm_pgoff += (addr - vma->vm_start) >> PAGE_SHIFT;
		vma->vm_end = addr;
	}
	vma_link(mm, new);
	if (mapping)
		__vma_link_file(new, mapping);
	vma_complete(mapping);
	return 0;
}

/**
 * vma_modify - make [@start, @end) of *@vmap a VMA of its own
 * @vmap: in: the VMA containing the range; out: the VMA of the range
 * @start: page-aligned start inside the VMA
 * @end: page-aligned end inside the VMA
 *
 * Splits below @start and above @end as needed (mm/vma.c's vma_modify()
 * for mprotect and madvise); each split is refused with -ENOMEM at
 * vm.max_map_count.  mmap_lock held for write.
 */
int vma_modify(struct vm_area_struct **vmap, unsigned long start,
	       unsigned long end)
{
	struct vm_area_struct *vma = *vmap;
	struct mm_struct *mm = vma->vm_mm;
	int err;

	if (start != vma->vm_start) {
		if (mm->map_count >= MM_MAX_VMAS)
			return -ENOMEM;
		err = split_vma(vma, start, 0);
		if (err)
			return err;
		vma = find_vma(mm, start);
	}
	if (end != vma->vm_end) {
		if (mm->map_count >= MM_MAX_VMAS)
			return -ENOMEM;
		err = split_vma(vma, end, 0);
		if (err)
			return err;
	}
	*vmap = vma;
	return 0;
}

/* may @a and @b (a directly below b) become one VMA? */
static bool vma_can_merge(struct vm_area_struct *a, struct vm_area_struct *b)
{
	if (a->vm_end != b->vm_start)
		return false;
	if ((a->vm_flags ^ b->vm_flags) & ~VM_SOFTDIRTY)
		return false;
	if (a->vm_flags & VM_SPECIAL)
		return false;
	if (a->vm_file != b->vm_file || a->vm_ops != b->vm_ops ||
	    a->vm_private_data != b->vm_private_data)
		return false;
	if (a->vm_ops && a->vm_ops->close)
		return false;
	if (a->vm_pgoff + vma_pages(a) != b->vm_pgoff)
		return false;
	return !a->anon_vma || !b->anon_vma || a->anon_vma == b->anon_vma;
}

/* fold vmas[i + 1] into vmas[i] */
static void vma_merge_next(struct mm_struct *mm, int i)
{
	struct vm_area_struct *a = mm->vmas[i], *b = mm->vmas[i + 1];
	/* both map the same file, if any (vma_can_merge) */
	struct address_space *mapping = vma_prepare(a);

	a->vm_end = b->vm_end;
	a->vm_flags |= b->vm_flags & VM_SOFTDIRTY;
	if (!a->anon_vma) {
		a->anon_vma = b->anon_vma;
		b->anon_vma = NULL;
	}
	/* b leaves i_mmap as a covers its range: remove_vma() skips it then */
	if (mapping)
		list_del_init(&b->shared);
	vma_complete(mapping);
	vma_unlink_range(mm, i + 1, 1);
	remove_vma(b);
}

/**
 * vma_merge_around - merge the VMA at index @idx with its neighbours
 * @mm: the address space; mmap_lock held for write
 * @idx: its index in mm->vmas
 */
void vma_merge_around(struct mm_struct *mm, int idx)
{
	if (idx + 1 < mm->map_count &&
	    vma_can_merge(mm->vmas[idx], mm->vmas[idx + 1]))
		vma_merge_next(mm, idx);
	if (idx > 0 && vma_can_merge(mm->vmas[idx - 1], mm->vmas[idx]))
		vma_merge_next(mm, idx - 1);
}

/* may a range copied from @tmpl merge with its neighbour @other? */
static bool copy_can_merge(struct vm_area_struct *below,
			   struct vm_area_struct *above,
			   struct vm_area_struct *tmpl,
			   struct vm_area_struct *other)
{
	/* the source itself never: copy_vma() still needs it apart */
	if (other == tmpl)
		return false;
	/* no anon_vma hand-over (its reference): such ranges stay apart */
	return vma_can_merge(below, above) &&
	       (!tmpl->anon_vma || other->anon_vma == tmpl->anon_vma);
}

/**
 * vma_merge_new_range - merge the range a VMA copied from @tmpl would
 *	cover, [@addr, @end) at file offset @pgoff, into its neighbours
 * @mm: the address space; mmap_lock held for write
 * @tmpl: the VMA whose flags, file and anon_vma the new range would have
 * @addr: page-aligned start of the new range (nothing mapped there)
 * @end: its end
 * @pgoff: the new range's file offset in pages
 *
 * mm/vma.c's vma_merge_new_range() for copy_vma(): the VMA ending at
 * @addr grows over the range, or the VMA starting at @end grows down over
 * it (taking @pgoff, so its place in i_mmap may move), or both and the
 * two become one.  A range with an anon_vma merges only into a VMA with
 * the same one.  Returns the VMA that now covers the range, or NULL.
 */
struct vm_area_struct *vma_merge_new_range(struct mm_struct *mm,
					   struct vm_area_struct *tmpl,
					   unsigned long addr, unsigned long end,
					   unsigned long pgoff)
{
	struct vm_area_struct *prev = NULL, *next, tmp;
	struct address_space *mapping;
	bool merge_prev, merge_next;

	tmp = *tmpl;
	tmp.vm_start = addr;
	tmp.vm_end = end;
	tmp.vm_pgoff = pgoff;
	if (addr) {
		prev = find_vma(mm, addr - 1);
		if (prev && (prev->vm_end != addr || prev->vm_start >= addr))
			prev = NULL;
	}
	next = find_vma(mm, end);
	if (next && next->vm_start != end)
		next = NULL;
	merge_prev = prev && copy_can_merge(prev, &tmp, tmpl, prev);
	merge_next = next && copy_can_merge(&tmp, next, tmpl, next);
	if (merge_prev) {
		mapping = vma_prepare(prev);
		prev->vm_end = end;
		prev->vm_flags |= tmpl->vm_flags & VM_SOFTDIRTY;
		vma_complete(mapping);
		/* prev and next now touch: fold next in if they may merge */
		if (merge_next && vma_can_merge(prev, next))
			vma_merge_next(mm, vma_index(mm, prev));
		return prev;
	}
	if (!merge_next)
		return NULL;
	mapping = vma_prepare(next);
	next->vm_start = addr;
	next->vm_pgoff = pgoff;
	next->vm_flags |= tmpl->vm_flags & VM_SOFTDIRTY;
	/* its offset fell: its place in i_mmap may change */
	if (mapping)
		__vma_relink_file(next, mapping);
	vma_complete(mapping);
	return next;
}

/* ---- protections ---- */

/* protection_map[] of x86: a private writable mapping starts read-only */
pgprot_t vm_get_page_prot(vm_flags_t vm_flags)
{
	bool shared = vm_flags & VM_SHARED;
	bool exec = vm_flags & VM_EXEC;

	if (!(vm_flags & VM_ACCESS_FLAGS))
		return PAGE_NONE;
	if ((vm_flags & VM_WRITE) && shared)
		return exec ? PAGE_SHARED_EXEC : PAGE_SHARED;
	if (vm_flags & VM_WRITE)
		return exec ? PAGE_COPY_EXEC : PAGE_COPY;
	return exec ? PAGE_READONLY_EXEC : PAGE_READONLY;
}

/*
 * vma_soft_dirty_enabled - clear_refs has cleared VM_SOFTDIRTY, so every
 * first write to a page must be seen by a fault (the VMA no longer
 * counts as soft-dirty as a whole).
 */
static bool vma_soft_dirty_enabled(struct vm_area_struct *vma)
{
	return !(vma->vm_flags & VM_SOFTDIRTY);
}

/**
 * vma_wants_writenotify - must a shared writable mapping start read-only?
 * @vma: the VMA
 *
 * Only shared writable mappings map pages writable on a read fault.  Here
 * (tmpfs-like files, no page_mkwrite, no dirty accounting, no
 * userfaultfd) soft-dirty tracking is the one reason to want the write
 * fault.
 */
bool vma_wants_writenotify(struct vm_area_struct *vma)
{
	if ((vma->vm_flags & (VM_WRITE | VM_SHARED)) != (VM_WRITE | VM_SHARED))
		return false;
	return vma_soft_dirty_enabled(vma);
}

/* the VMA's PTE protection: write-protected if it wants write faults */
void vma_set_page_prot(struct vm_area_struct *vma)
{
	vm_flags_t vm_flags = vma->vm_flags;

	if (vma_wants_writenotify(vma))
		vm_flags &= ~VM_SHARED; /* the private (read-only) protection */
	vma->vm_page_prot = vm_get_page_prot(vm_flags);
}

/* ---- finding room ---- */

static unsigned long unmapped_area_topdown(struct mm_struct *mm,
					   unsigned long len, unsigned long low,
					   unsigned long high)
{
	int i;

	for (i = mm->map_count; i >= 0; i--) {
		unsigned long gap_start = i ? mm->vmas[i - 1]->vm_end : 0;
		unsigned long gap_end =
			i < mm->map_count ? mm->vmas[i]->vm_start : TASK_SIZE;

		gap_start = max(gap_start, low);
		gap_end = min(gap_end, high);
		if (gap_end > gap_start && gap_end - gap_start >= len)
			return gap_end - len;
	}
	return -ENOMEM;
}

static unsigned long unmapped_area(struct mm_struct *mm, unsigned long len,
				   unsigned long low, unsigned long high)
{
	int i;

	for (i = 0; i <= mm->map_count; i++) {
		unsigned long gap_start = i ? mm->vmas[i - 1]->vm_end : 0;
		unsigned long gap_end =
			i < mm->map_count ? mm->vmas[i]->vm_start : TASK_SIZE;

		gap_start = max(gap_start, low);
		gap_end = min(gap_end, high);
		if (gap_end > gap_start && gap_end - gap_start >= len)
			return gap_start;
	}
	return -ENOMEM;
}

/* arch_get_unmapped_area_topdown(): hint first, then top-down, then up */
static unsigned long arch_get_unmapped_area_topdown(struct mm_struct *mm,
						    unsigned long addr,
						    unsigned long len,
						    unsigned long flags)
{
	unsigned long min_addr = mm->mmw->mmap_min_addr;

	if (len > TASK_SIZE - min_addr)
		return -ENOMEM;
	if (flags & MAP_FIXED)
		return addr;
	if (addr) {
		addr = PAGE_ALIGN(addr);
		if (TASK_SIZE - len >= addr && addr >= min_addr &&
		    !find_vma_intersection(mm, addr, addr + len))
			return addr;
	}
	addr = unmapped_area_topdown(mm, len, max(PAGE_SIZE, min_addr),
				     mm->mmap_base);
	if (!IS_ERR_VALUE(addr))
		return addr;
	return unmapped_area(mm, len, TASK_UNMAPPED_BASE, TASK_SIZE);
}

unsigned long get_unmapped_area(struct mm_struct *mm, unsigned long addr,
				unsigned long len, unsigned long flags)
{
	if (len > TASK_SIZE)
		return -ENOMEM;
	addr = arch_get_unmapped_area_topdown(mm, addr, len, flags);
	if (IS_ERR_VALUE(addr))
		return addr;
	if (addr > TASK_SIZE - len)
		return -ENOMEM;
	if (offset_in_page(addr))
		return -EINVAL;
	if (addr < mm->mmw->mmap_min_addr)
		return -EPERM; /* security_mmap_addr(), unprivileged */
	return addr;
}

static unsigned long round_hint_to_min(struct mm_struct *mm, unsigned long hint)
{
	hint &= PAGE_MASK;
	if (hint && hint < mm->mmw->mmap_min_addr)
		return PAGE_ALIGN(mm->mmw->mmap_min_addr);
	return hint;
}

/* ---- munmap ---- */

/* unmap_region(): zap, then free the tables, then the gathered pages */
static void unmap_region(struct mm_struct *mm, struct vm_area_struct **vmas,
			 int nr, struct vm_area_struct *prev,
			 struct vm_area_struct *next)
{
	struct mmu_gather tlb;

	tlb_gather_mmu(&tlb, mm);
	tlb.skip_flush = mm->mmw->inject.munmap_skip_flush;
	unmap_vmas(&tlb, vmas, nr, vmas[0]->vm_start, vmas[nr - 1]->vm_end);
	free_pgtables(&tlb, vmas, nr, prev ? prev->vm_end : FIRST_USER_ADDRESS,
		      next ? next->vm_start : USER_PGTABLES_CEILING);
	tlb_finish_mmu(&tlb);
}

/*
 * do_vmi_align_munmap - split the VMAs at the edges of [start, end),
 * detach those inside, then zap and free them.  With @unlock, mmap_lock
 * is downgraded to read once nothing can find the VMAs any more, and
 * released at the end.
 */
static int do_vmi_align_munmap(struct mm_struct *mm, struct vm_area_struct *vma,
			       unsigned long start, unsigned long end,
			       bool unlock)
{
	struct vm_area_struct *detached[MM_MAX_VMAS + 2];
	struct vm_area_struct *prev, *next;
	unsigned long pages = 0, locked = 0;
	int first, last, nr, i, err;

	if (start > vma->vm_start) {
		/* munmap may leave one more VMA than before, not more */
		if (end < vma->vm_end && mm->map_count >= MM_MAX_VMAS)
			return -ENOMEM;
		err = split_vma(vma, start, 0);
		if (err)
			return err;
	}
	next = find_vma(mm, end);
	if (next && next->vm_start < end) {
		err = split_vma(next, end, 1);
		if (err)
			return err;
	}
	first = vma_find_index(mm, start);
	last = vma_find_index(mm, end);
	nr = last - first;
	for (i = 0; i < nr; i++) {
		struct vm_area_struct *v = mm->vmas[first + i];

		detached[i] = v;
		pages += vma_pages(v);
		if (v->vm_flags & VM_LOCKED)
			locked += vma_pages(v);
	}
	vma_unlink_range(mm, first, nr);
	prev = first > 0 ? mm->vmas[first - 1] : NULL;
	next = first < mm->map_count ? mm->vmas[first] : NULL;
	mm->total_vm -= pages;
	mm->locked_vm -= locked;

	if (unlock)
		mmap_write_downgrade(mm);
	unmap_region(mm, detached, nr, prev, next);
	for (i = 0; i < nr; i++)
		remove_vma(detached[i]);
	if (unlock)
		mmap_read_unlock(mm);
	return 0;
}

/*
 * do_vmi_munmap - munmap's checks and work, mmap_lock held for write.
 * With @unlock the lock is released on success (as a read lock after
 * the downgrade); on failure it is still held for write.
 */
int do_vmi_munmap(struct mm_struct *mm, unsigned long start, size_t len,
		  bool unlock)
{
	struct vm_area_struct *vma;
	unsigned long end;

	if (offset_in_page(start) || start > TASK_SIZE ||
	    len > TASK_SIZE - start)
		return -EINVAL;
	end = start + PAGE_ALIGN(len);
	if (end == start)
		return -EINVAL;
	vma = find_vma_intersection(mm, start, end);
	if (!vma) {
		if (unlock)
			mmap_write_unlock(mm);
		return 0;
	}
	return do_vmi_align_munmap(mm, vma, start, end, unlock);
}

/**
 * vm_munmap - munmap(2) in @mm
 * @mm: the address space
 * @start: page-aligned start
 * @len: length, rounded up to pages
 *
 * Returns 0 (also when nothing was mapped there), -EINVAL for an
 * unaligned start, a zero length or a range past TASK_SIZE, -ENOMEM if
 * a split would exceed the VMA limit, -EINTR if killed while waiting.
 */
int vm_munmap(struct mm_struct *mm, unsigned long start, size_t len)
{
	int ret, tok;

	tok = oracle_op_begin(mm, ORACLE_MUNMAP, start, len, 0);
	if (mmap_write_lock_killable(mm)) {
		oracle_munmap_end(mm, tok, -EINTR, start, len);
		return -EINTR;
	}
	ret = do_vmi_munmap(mm, start, len, true);
	if (ret)
		mmap_write_unlock(mm);
	oracle_munmap_end(mm, tok, ret, start, len);
	trace_eventf(mm->mmw->w, "munmap(%#lx, %#zx) = %d", start, len, ret);
	return ret;
}

/* ---- mmap ---- */

#define LEGACY_MAP_MASK                                                       \
	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS |               \
	 MAP_DENYWRITE | MAP_EXECUTABLE | MAP_UNINITIALIZED | MAP_GROWSDOWN | \
	 MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK |           \
	 MAP_STACK | MAP_HUGETLB)

static vm_flags_t calc_vm_prot_bits(unsigned long prot)
{
	return (prot & PROT_READ ? VM_READ : 0) |
	       (prot & PROT_WRITE ? VM_WRITE : 0) |
	       (prot & PROT_EXEC ? VM_EXEC : 0);
}

static vm_flags_t calc_vm_flag_bits(unsigned long flags)
{
	return (flags & MAP_GROWSDOWN ? VM_GROWSDOWN : 0) |
	       (flags & MAP_LOCKED ? VM_LOCKED : 0) |
	       (flags & MAP_NORESERVE ? VM_NORESERVE : 0);
}

static unsigned long mmap_region(struct mm_struct *mm, struct file *file,
				 unsigned long addr, unsigned long len,
				 vm_flags_t vm_flags, unsigned long pgoff)
{
	struct vm_area_struct *vma;
	int err, idx;

	/* MAP_FIXED over existing mappings: they go first */
	if (find_vma_intersection(mm, addr, addr + len) &&
	    do_vmi_munmap(mm, addr, len, false))
		return -ENOMEM;
	if (mm->map_count >= MM_MAX_VMAS)
		return -ENOMEM;

	vma = vm_area_alloc(mm);
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = vm_flags;
	vma->vm_pgoff = pgoff;
	vma_set_page_prot(vma);
	if (file) {
		vma->vm_file = get_file(file);
		err = file->f_op->mmap(file, vma);
		if (err)
			goto free_vma;
		vm_flags = vma->vm_flags; /* the driver may have changed them */
	} else if (vm_flags & VM_SHARED) {
		err = shmem_zero_setup(vma);
		if (err)
			goto free_vma;
	}

	if ((vm_flags & VM_LOCKED) && (vm_flags & VM_SPECIAL))
		vma->vm_flags &= ~VM_LOCKED;
	vma->vm_flags |= VM_SOFTDIRTY; /* new memory is soft-dirty */
	vma_set_page_prot(vma);
	idx = vma_link(mm, vma);
	vma_link_file(vma);
	mm->total_vm += len >> PAGE_SHIFT;
	if (vma->vm_flags & VM_LOCKED)
		mm->locked_vm += len >> PAGE_SHIFT;
	vma_merge_around(mm, idx);
	return addr;

free_vma:
	if (vma->vm_file)
		fput(vma->vm_file);
	vm_area_free(vma);
	return err;
}

/*
 * do_mmap - the checks and work of mmap(2), mmap_lock held for write.
 * *populate is set to the length to fault in after the lock is dropped.
 */
static unsigned long do_mmap(struct mm_struct *mm, struct file *file,
			     unsigned long addr, unsigned long len,
			     unsigned long prot, unsigned long flags,
			     unsigned long pgoff, unsigned long *populate)
{
	vm_flags_t vm_flags;

	*populate = 0;
	if (!len)
		return -EINVAL;
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	if (!(flags & MAP_FIXED))
		addr = round_hint_to_min(mm, addr);
	len = PAGE_ALIGN(len);
	if (!len)
		return -ENOMEM;
	if (pgoff + (len >> PAGE_SHIFT) < pgoff)
		return -EOVERFLOW;
	if (mm->map_count > MM_MAX_VMAS)
		return -ENOMEM;

	addr = get_unmapped_area(mm, addr, len, flags);
	if (IS_ERR_VALUE(addr))
		return addr;
	if ((flags & MAP_FIXED_NOREPLACE) &&
	    find_vma_intersection(mm, addr, addr + len))
		return -EEXIST;

	vm_flags = calc_vm_prot_bits(prot) | calc_vm_flag_bits(flags) |
		   VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	if (file) {
		switch (flags & MAP_TYPE) {
		case MAP_SHARED:
			flags &= LEGACY_MAP_MASK;
			__attribute__((__fallthrough__));
		case MAP_SHARED_VALIDATE:
			if (flags & ~LEGACY_MAP_MASK)
				return -EOPNOTSUPP;
			if ((prot & PROT_WRITE) &&
			    !(file->f_mode & FMODE_WRITE))
				return -EACCES;
			vm_flags |= VM_SHARED | VM_MAYSHARE;
			if (!(file->f_mode & FMODE_WRITE))
				vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
			__attribute__((__fallthrough__));
		case MAP_PRIVATE:
			if (!(file->f_mode & FMODE_READ))
				return -EACCES;
			if (!file->f_op || !file->f_op->mmap)
				return -ENODEV;
			if (vm_flags & VM_GROWSDOWN)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	} else {
		switch (flags & MAP_TYPE) {
		case MAP_SHARED:
			if (vm_flags & VM_GROWSDOWN)
				return -EINVAL;
			pgoff = 0;
			vm_flags |= VM_SHARED | VM_MAYSHARE;
			break;
		case MAP_PRIVATE:
			pgoff = addr >> PAGE_SHIFT;
			break;
		default:
			return -EINVAL;
		}
	}

	addr = mmap_region(mm, file, addr, len, vm_flags, pgoff);
	if (!IS_ERR_VALUE(addr) &&
	    ((vm_flags & VM_LOCKED) ||
	     (flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE))
		*populate = len;
	return addr;
}

/**
 * vm_mmap - mmap(2) in @mm
 * @mm: the address space
 * @file: the file to map, ignored with MAP_ANONYMOUS
 * @addr: hint, or the address with MAP_FIXED / MAP_FIXED_NOREPLACE
 * @len: length (rounded up to pages)
 * @prot: PROT_*
 * @flags: MAP_*
 * @offset: byte offset in @file, page aligned
 *
 * Returns the address, or -errno as an unsigned long (IS_ERR_VALUE):
 * -EINVAL (zero length, unaligned offset or fixed address, bad map
 * type), -ENOMEM (no room, too many VMAs, overflow), -EPERM (below
 * vm.mmap_min_addr), -EEXIST (MAP_FIXED_NOREPLACE over a mapping),
 * -EBADF (no file without MAP_ANONYMOUS), -EACCES, -EOPNOTSUPP,
 * -ENODEV, -EINTR.
 */
unsigned long vm_mmap(struct mm_struct *mm, struct file *file,
		      unsigned long addr, unsigned long len, unsigned long prot,
		      unsigned long flags, unsigned long offset)
{
	unsigned long ret, populate;
	int tok;

	if (flags & MAP_ANONYMOUS)
		file = NULL;
	else if (!file)
		return -EBADF;
	flags &= ~(unsigned long)(MAP_EXECUTABLE | MAP_DENYWRITE);
	if (offset + PAGE_ALIGN(len) < offset)
		return -EINVAL;
	if (offset_in_page(offset))
		return -EINVAL;
	tok = oracle_op_begin(mm, ORACLE_MMAP, (flags & MAP_FIXED) ? addr : 0,
			      (flags & MAP_FIXED) ? len : 0, 0);
	if (mmap_write_lock_killable(mm)) {
		oracle_mmap_end(mm, tok, -EINTR, len, prot, flags, offset);
		return -EINTR;
	}
	ret = do_mmap(mm, file, addr, len, prot, flags, offset >> PAGE_SHIFT,
		      &populate);
	mmap_write_unlock(mm);
	if (populate)
		mm_populate(mm, ret, populate);
	oracle_mmap_end(mm, tok, ret, len, prot, flags, offset);
	trace_eventf(mm->mmw->w, "mmap(%#lx, %#lx, %#lx, %#lx) = %#lx", addr,
		     len, prot, flags, ret);
	return ret;
}

/* ---- exit ---- */

/**
 * exit_mmap - tear down every mapping of a dying mm
 * @mm: the address space, with no users left
 *
 * Zaps under mmap_lock for read, then frees the page tables and the
 * VMAs under it for write.  The PGD itself goes with the mm (mmdrop).
 */
void exit_mmap(struct mm_struct *mm)
{
	struct mmu_gather tlb;
	int nr, i, tok;

	tok = oracle_exit_begin(mm);
	/* secondaries tear down everything before the pages go */
	mmu_notifier_release(mm->notifier_subscriptions);
	mmap_read_lock(mm);
	nr = mm->map_count;
	if (!nr) {
		mmap_read_unlock(mm);
		oracle_exit_end(mm, tok);
		return;
	}
	tlb_gather_mmu_fullmm(&tlb, mm);
	unmap_vmas(&tlb, mm->vmas, nr, 0, ~0UL);
	mmap_read_unlock(mm);

	mmap_write_lock(mm);
	free_pgtables(&tlb, mm->vmas, nr, FIRST_USER_ADDRESS,
		      USER_PGTABLES_CEILING);
	tlb_finish_mmu(&tlb);
	for (i = 0; i < nr; i++)
		remove_vma(mm->vmas[i]);
	mm->map_count = 0;
	mm->total_vm = 0;
	mm->locked_vm = 0;
	mmap_write_unlock(mm);
	oracle_exit_end(mm, tok);
}

/* used by mm_alloc() */
void mm_init_mmap(struct mm_struct *mm)
{
	mm->mmap_base = MMAP_BASE;
	mm->map_count = 0;
}

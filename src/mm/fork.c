// SPDX-License-Identifier: MIT
/*
 * Address-space lifetime and fork.
 *
 * Models kernel/fork.c: mm_alloc/mm_init, mmget/mmput (exit_mmap when the
 * last user goes), mmgrab/mmdrop (the PGD and the struct go with the last
 * reference), dup_mm/dup_mmap (copy every VMA except VM_DONTCOPY ones,
 * give each an anon_vma under the parent's, copy the page tables with
 * COW, then flush the parent's TLBs).
 *
 * Simplifications: no task, no exec, no mm->owner, no locked_vm
 * inheritance (VM_LOCKED is cleared in the child, as in Linux); the
 * child's mmap_lock is not taken during the copy: nobody can reach the
 * child before dup_mm() returns it (Linux takes it nested, for lockdep's
 * benefit only).
 *
 * Lock order (see memory.c): the parent's mmap_lock for write ->
 * i_mmap_rwsem (linking file VMAs), page_table_lock / PTE locks of both
 * mms (child's PTL outside the parent's); mmlist_lock alone.
 */
#include "check/oracle.h"
#include "mm/mm.h"
#include "mm/tlb.h"

static void mm_free(struct mm_struct *mm)
{
	struct mm_world *mmw = mm->mmw;

	mmu_notifier_subscriptions_destroy(mm->notifier_subscriptions);
	kmem_cache_free(mmw, &mmw->mm_cachep, mm);
}

/**
 * mm_alloc - a new, empty address space
 * @mmw: the world's mm state
 *
 * Returns the mm with one user and one reference, or NULL if its PGD
 * cannot be allocated.
 */
struct mm_struct *mm_alloc(struct mm_world *mmw)
{
	struct mm_struct *mm = kmem_cache_zalloc(mmw, &mmw->mm_cachep);

	mm->mmw = mmw;
	mm->id = __atomic_fetch_add(&mmw->next_mm_id, 1, __ATOMIC_RELAXED);
	init_rwsem(mmw->w, &mm->mmap_lock, "mmap_lock");
	spin_lock_init(mmw->w, &mm->page_table_lock, "page_table_lock");
	mm->mm_users.counter = 1;
	mm->mm_count.counter = 1;
	mm_init_mmap(mm);
	oracle_mm_init(mm);
	mm->notifier_subscriptions =
		mmu_notifier_subscriptions_create(mmw->nw, mm);
	mmu_notifier_subscriptions_set_mmap_lock(mm->notifier_subscriptions,
						 &mm->mmap_lock);
	mm->pgd = pgd_alloc(mm);
	if (!mm->pgd) {
		mm_free(mm);
		return NULL;
	}
	spin_lock(&mmw->mmlist_lock);
	list_add_tail(&mm->mmlist, &mmw->mmlist);
	spin_unlock(&mmw->mmlist_lock);
	return mm;
}

void mmgrab(struct mm_struct *mm)
{
	atomic_inc(&mm->mm_count);
}

/* the last reference: the page tables are empty, no CPU has it loaded */
static void __mmdrop(struct mm_struct *mm)
{
	struct mm_world *mmw = mm->mmw;

	pgd_free(mm, mm->pgd);
	spin_lock(&mmw->mmlist_lock);
	list_del_init(&mm->mmlist);
	spin_unlock(&mmw->mmlist_lock);
	mm_free(mm);
}

void mmdrop(struct mm_struct *mm)
{
	if (atomic_dec_and_test(&mm->mm_count))
		__mmdrop(mm);
}

void mmget(struct mm_struct *mm)
{
	atomic_inc(&mm->mm_users);
}

/* a user reference unless the last one is gone (the process exited) */
bool mmget_not_zero(struct mm_struct *mm)
{
	int users = atomic_read(&mm->mm_users);

	while (users) {
		int old = atomic_cmpxchg(&mm->mm_users, users, users + 1);

		if (old == users)
			return true;
		users = old;
	}
	return false;
}

/**
 * mmput - drop a user of @mm
 * @mm: the address space
 *
 * The last user tears down every mapping (exit_mmap) and drops the
 * users' reference on the struct.
 */
void mmput(struct mm_struct *mm)
{
	might_sleep();
	if (atomic_dec_and_test(&mm->mm_users)) {
		exit_mmap(mm);
		mmdrop(mm);
	}
}

/* copy the VMAs and their page tables; the parent's lock is held */
static int dup_mmap(struct mm_struct *mm, struct mm_struct *oldmm)
{
	struct mm_world *mmw = mm->mmw;
	int i, retval = 0;

	mm->total_vm = oldmm->total_vm;
	for (i = 0; i < oldmm->map_count; i++) {
		struct vm_area_struct *mpnt = oldmm->vmas[i];
		struct vm_area_struct *tmp;

		if (mpnt->vm_flags & VM_DONTCOPY) {
			mm->total_vm -= vma_pages(mpnt);
			continue;
		}
		tmp = kmem_cache_zalloc(mmw, &mmw->vm_area_cachep);
		*tmp = *mpnt;
		tmp->vm_mm = mm;
		tmp->next_free = NULL;
		INIT_LIST_HEAD(&tmp->shared);
		if (tmp->vm_flags & VM_WIPEONFORK)
			tmp->anon_vma = NULL; /* the child starts empty */
		else
			anon_vma_fork(tmp, mpnt);
		tmp->vm_flags &= ~VM_LOCKED;
		if (tmp->vm_file)
			get_file(tmp->vm_file);
		mm->vmas[mm->map_count++] = tmp;
		vma_link_file(tmp);
		if (!(tmp->vm_flags & VM_WIPEONFORK))
			retval = copy_page_range(tmp, mpnt);
		/* after the copy, as dup_mmap() does: a driver may drop the
		 * copied PTEs (vfio-pci's vma_list designs zap them so the
		 * child faults and is tracked) */
		if (tmp->vm_ops && tmp->vm_ops->open)
			tmp->vm_ops->open(tmp);
		if (retval)
			break;
	}
	/* the parent's writable PTEs were write-protected: flush them */
	if (!mmw->inject.fork_skip_flush)
		flush_tlb_mm(oldmm);
	return retval;
}

/**
 * dup_mm - fork: a copy of @oldmm sharing its anonymous pages COW
 * @oldmm: the parent's address space
 *
 * Returns the child's mm (one user), or NULL on -ENOMEM or -EINTR.
 */
struct mm_struct *dup_mm(struct mm_struct *oldmm)
{
	struct mm_struct *mm = mm_alloc(oldmm->mmw);
	int err, tok;

	if (!mm)
		return NULL;
	if (mmap_write_lock_killable(oldmm)) {
		mmput(mm);
		return NULL;
	}
	/* the child's content is the parent's as the lock is taken */
	tok = oracle_fork_begin(oldmm);
	err = dup_mmap(mm, oldmm);
	/* the VMAs' VM_SOFTDIRTY state is inherited: so is the checker's */
	mm->soft_dirty_clears = oldmm->soft_dirty_clears;
	mmap_write_unlock(oldmm);
	if (err) {
		mmput(mm);
		goto fail;
	}
	oracle_fork_end(oldmm, tok, mm);
	return mm;
fail:
	oracle_fork_end(oldmm, tok, NULL);
	return NULL;
}

// SPDX-License-Identifier: MIT
/*
 * Memory-backed files: their creation and lifetime, mmap of them, shared
 * anonymous memory, and truncation.
 *
 * Models mm/shmem.c (shmem_file_setup, shmem_zero_setup for
 * MAP_SHARED|MAP_ANONYMOUS, shmem_mmap, shmem_setattr's size change),
 * fs/file_table.c (fget/fput), fs/open.c (vfs_truncate) and the i_mmap
 * half of mm/mmap.c (vma_link_file, unlink_file_vma) and mm/vma.c's
 * vma_prepare/vma_complete bracket around changes of a file VMA.
 *
 * Simplifications: one open file per inode (struct address_space is the
 * inode); no permissions beyond f_mode; a file's pages all live in memory
 * (tmpfs); the page cache itself is in filemap.c.
 *
 * Lock order (see filemap.c and memory.c): i_rwsem -> folio lock ->
 * i_mmap_rwsem -> PTE lock; mmap_lock -> i_mmap_rwsem (linking,
 * unlinking and changing file VMAs).
 */
#include "check/oracle.h"
#include "core/trace.h"
#include "mm/mm.h"

static int shmem_mmap(struct file *file, struct vm_area_struct *vma);

static const struct file_operations shmem_file_operations = {
	.mmap = shmem_mmap,
};

static const struct vm_operations_struct shmem_vm_ops = {
	.fault = filemap_fault,
	.name = "shmem",
};

static int shmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_ops = &shmem_vm_ops;
	return 0;
}

/**
 * shmem_file_setup - a new tmpfs file of @size bytes, open read-write
 * @mmw: the world's mm state
 * @size: its size (a hole: every page reads zero until written)
 *
 * Returns the file with one reference, or NULL if @size is beyond the
 * largest file.
 */
struct file *shmem_file_setup(struct mm_world *mmw, unsigned long size)
{
	struct address_space *mapping;
	struct file *file;

	if (PAGE_ALIGN(size) >> PAGE_SHIFT > MAX_FILE_PAGES)
		return NULL;
	mapping = kmem_cache_zalloc(mmw, &mmw->mapping_cachep);
	mapping->mmw = mmw;
	init_rwsem(mmw->w, &mapping->i_rwsem, "i_rwsem");
	spin_lock_init(mmw->w, &mapping->i_pages_lock, "i_pages");
	init_rwsem(mmw->w, &mapping->i_mmap_rwsem, "i_mmap_rwsem");
	INIT_LIST_HEAD(&mapping->i_mmap);
	mapping->swapbacked = true;
	mapping->i_size = size;
	oracle_file_init(mmw, mapping);

	file = kmem_cache_zalloc(mmw, &mmw->file_cachep);
	file->f_op = &shmem_file_operations;
	file->f_mode = FMODE_READ | FMODE_WRITE;
	file->f_mapping = mapping;
	file->f_count.counter = 1;
	return file;
}

struct file *get_file(struct file *file)
{
	atomic_inc(&file->f_count);
	return file;
}

/* the last reference: the inode is evicted with its pages */
static void __fput(struct file *file)
{
	struct address_space *mapping = file->f_mapping;
	struct mm_world *mmw;

	if (mapping) {
		mmw = mapping->mmw;
		truncate_inode_pages(mapping, 0);
		filemap_free_index(mapping);
		kmem_cache_free(mmw, &mmw->mapping_cachep, mapping);
		kmem_cache_free(mmw, &mmw->file_cachep, file);
	}
}

/**
 * fput - drop a reference to @file
 * @file: the file
 *
 * Files made by shmem_file_setup() are freed with the last reference;
 * other files (device files a driver owns) are left to their owner.
 */
void fput(struct file *file)
{
	if (atomic_dec_and_test(&file->f_count))
		__fput(file);
}

/**
 * shmem_zero_setup - back a MAP_SHARED|MAP_ANONYMOUS VMA with a tmpfs file
 * @vma: the new VMA, not yet linked
 *
 * The VMA takes the only reference of a file of its size, so its
 * sharers (fork children) share its pages.
 */
int shmem_zero_setup(struct vm_area_struct *vma)
{
	struct file *file =
		shmem_file_setup(vma->vm_mm->mmw, vma->vm_end - vma->vm_start);

	if (!file)
		return -ENOMEM;
	vma->vm_file = file;
	vma->vm_pgoff = 0;
	return shmem_mmap(file, vma);
}

/* the file a VMA maps pages of, if any */
static struct address_space *vma_file_mapping(struct vm_area_struct *vma)
{
	return vma->vm_file ? vma->vm_file->f_mapping : NULL;
}

/*
 * vma_prepare - before changing a file VMA's range or offset, or
 * removing one after a merge: take its file's i_mmap_rwsem for write, so
 * that file rmap walks (truncation, reclaim), which read vm_start,
 * vm_end and vm_pgoff under i_mmap_rwsem alone, see the change whole.
 * mm/vma.c's vma_prepare()/vma_complete() pair, without the anon_vma
 * half (anon walks here exclude VMA changes through mmap_lock).
 * Returns the mapping to hand to vma_complete(), or NULL.
 */
struct address_space *vma_prepare(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma_file_mapping(vma);

	if (mapping)
		down_write(&mapping->i_mmap_rwsem);
	return mapping;
}

void vma_complete(struct address_space *mapping)
{
	if (mapping)
		up_write(&mapping->i_mmap_rwsem);
}

/* into i_mmap by vm_pgoff, ties in insertion order (i_mmap_rwsem held) */
void __vma_link_file(struct vm_area_struct *vma, struct address_space *mapping)
{
	struct vm_area_struct *pos;

	list_for_each_entry(pos, &mapping->i_mmap, shared) {
		if (pos->vm_pgoff > vma->vm_pgoff)
			break;
	}
	list_add_tail(&vma->shared, &pos->shared);
}

/* @vma's vm_pgoff changed: move it to its new place in i_mmap (held) */
void __vma_relink_file(struct vm_area_struct *vma,
		       struct address_space *mapping)
{
	list_del_init(&vma->shared);
	__vma_link_file(vma, mapping);
}

/* link a file VMA into its file's i_mmap (mmap_lock held for write) */
void vma_link_file(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma_prepare(vma);

	if (mapping)
		__vma_link_file(vma, mapping);
	vma_complete(mapping);
}

/*
 * unlink_file_vma - out of i_mmap: truncation no longer finds it.  Done
 * before the VMA's page tables are freed, so a truncation walking them
 * through i_mmap never sees them go.
 */
void unlink_file_vma(struct vm_area_struct *vma)
{
	struct address_space *mapping;

	if (!vma->vm_file || !vma->vm_file->f_mapping ||
	    list_empty(&vma->shared))
		return;
	mapping = vma->vm_file->f_mapping;
	down_write(&mapping->i_mmap_rwsem);
	list_del_init(&vma->shared);
	up_write(&mapping->i_mmap_rwsem);
}

/**
 * vfs_truncate - truncate(2) / ftruncate(2) of @file to @length
 * @file: the file
 * @length: the new size in bytes
 *
 * Shrinking unmaps the pages past the new end from every mapping (so a
 * later access there is SIGBUS) and frees them; growing adds a hole.
 * Returns 0, -EFBIG past the largest file, or -EBADF for a file without
 * a page cache.
 */
int vfs_truncate(struct file *file, unsigned long length)
{
	struct address_space *mapping = file->f_mapping;
	unsigned long old;
	int tok;

	if (!mapping)
		return -EBADF;
	if (PAGE_ALIGN(length) >> PAGE_SHIFT > MAX_FILE_PAGES)
		return -EFBIG;
	tok = oracle_truncate_begin(mapping, length);
	down_write(&mapping->i_rwsem);
	old = i_size_read(mapping);
	i_size_write(mapping, length); /* truncate_setsize() */
	if (length < old)
		truncate_pagecache(mapping, length);
	up_write(&mapping->i_rwsem);
	oracle_truncate_end(mapping, tok, length, 0);
	trace_eventf(mapping->mmw->w, "truncate(%#lx -> %#lx) = 0", old,
		     length);
	return 0;
}

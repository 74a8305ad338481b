/* SPDX-License-Identifier: MIT */
/*
 * /proc/PID/clear_refs and /proc/PID/pagemap (fs/proc/task_mmu.c).
 *
 * Models the user interface of fs/proc/task_mmu.c and the pagemap bits
 * of Documentation/admin-guide/mm/pagemap.rst; see proc_task_mmu.c.
 *
 * Locking: both take the mm's mmap_lock themselves (clear_refs for write,
 * pagemap for read); the caller holds none of the mm's locks.
 */
#ifndef SECMMU_FS_PROC_FS_H
#define SECMMU_FS_PROC_FS_H

#include <stdint.h>

struct mm_struct;

/* what may be written to /proc/PID/clear_refs */
enum clear_refs_types {
	CLEAR_REFS_ALL = 1,
	CLEAR_REFS_ANON,
	CLEAR_REFS_MAPPED,
	CLEAR_REFS_SOFT_DIRTY,
	CLEAR_REFS_MM_HIWATER_RSS,
	CLEAR_REFS_LAST,
};

/* pagemap record bits */
#define PM_PFRAME_BITS 55
#define PM_PFRAME_MASK ((1ULL << PM_PFRAME_BITS) - 1)
#define PM_SOFT_DIRTY (1ULL << 55)
#define PM_MMAP_EXCLUSIVE (1ULL << 56)
#define PM_FILE (1ULL << 61)
#define PM_SWAP (1ULL << 62)
#define PM_PRESENT (1ULL << 63)

int clear_refs_write(struct mm_struct *mm, int type);
int pagemap_read_entry(struct mm_struct *mm, unsigned long addr,
		       uint64_t *entry);
int pagemap_soft_dirty(struct mm_struct *mm, unsigned long addr);

#endif

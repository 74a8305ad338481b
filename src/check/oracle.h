/* SPDX-License-Identifier: MIT */
/*
 * The value oracle (DESIGN section 4, check 2): a logical content model
 * of every address space, kept at the syscall level, against which each
 * user access is checked.  See oracle.c for the rules.
 *
 * Deterministic engine only (mmw->oracle is NULL under the real engine,
 * or with --set check.value_oracle=false): every hook is a no-op then.
 */
#ifndef SECMMU_CHECK_ORACLE_H
#define SECMMU_CHECK_ORACLE_H

#include <stdbool.h>
#include <stdint.h>

struct mm_world;
struct mm_struct;
struct address_space;

enum oracle_op {
	ORACLE_MMAP,
	ORACLE_MUNMAP,
	ORACLE_MPROTECT,
	ORACLE_MADVISE,
	ORACLE_MREMAP,
	ORACLE_FORK,
	ORACLE_TRUNCATE,
	ORACLE_EXIT,
};

/* setup: the world's oracle (mm_world_get), one per mm (mm_alloc) */
void oracle_world_init(struct mm_world *mmw);
void oracle_mm_init(struct mm_struct *mm);
void oracle_file_init(struct mm_world *mmw, struct address_space *mapping);

/*
 * A user-visible operation is in flight from oracle_op_begin() to its
 * oracle_*_end(); the token names it.  @start/@len is the affected range
 * (mremap: the old range; @dst the new one once known, else 0).
 */
int oracle_op_begin(struct mm_struct *mm, enum oracle_op op,
		    unsigned long start, unsigned long len, unsigned long arg);
void oracle_mmap_end(struct mm_struct *mm, int tok, unsigned long ret,
		     unsigned long len, unsigned long prot, unsigned long flags,
		     unsigned long offset);
void oracle_munmap_end(struct mm_struct *mm, int tok, int ret,
		       unsigned long start, unsigned long len);
void oracle_mprotect_end(struct mm_struct *mm, int tok, int ret,
			 unsigned long start, unsigned long len,
			 unsigned long prot);
void oracle_madvise_end(struct mm_struct *mm, int tok, int ret,
			unsigned long start, unsigned long len, int behavior);
void oracle_mremap_end(struct mm_struct *mm, int tok, unsigned long ret,
		       unsigned long addr, unsigned long old_len,
		       unsigned long new_len, unsigned long flags);
/* MREMAP_FIXED: the target is known while the move is in flight */
void oracle_mremap_target(struct mm_struct *mm, int tok, unsigned long dst,
			  unsigned long len);
int oracle_fork_begin(struct mm_struct *oldmm);
void oracle_fork_end(struct mm_struct *oldmm, int tok, struct mm_struct *mm);
int oracle_exit_begin(struct mm_struct *mm);
void oracle_exit_end(struct mm_struct *mm, int tok);

int oracle_truncate_begin(struct address_space *mapping, unsigned long length);
void oracle_truncate_end(struct address_space *mapping, int tok,
			 unsigned long length, int ret);
void oracle_file_write(struct address_space *mapping, unsigned long pos,
		       uint64_t val);
void oracle_file_read(struct address_space *mapping, unsigned long pos,
		      uint64_t val, int ret);

/* accesses: a successful one at the instant it reaches memory */
void oracle_access(struct mm_struct *mm, int cpu, unsigned long va, bool write,
		   uint64_t val);
/* an access that ended in a signal; @seq0 from oracle_seq() at its start */
unsigned long oracle_seq(struct mm_struct *mm);
void oracle_fault(struct mm_struct *mm, int cpu, unsigned long va, bool write,
		  int sig, unsigned long seq0);

#endif

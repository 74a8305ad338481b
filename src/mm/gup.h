/* SPDX-License-Identifier: MIT */
/*
 * get_user_pages and pin_user_pages on another process's address space
 * (mm/gup.c): see gup.c for what is modeled and simplified.
 */
#ifndef SECMMU_MM_GUP_H
#define SECMMU_MM_GUP_H

#include "mm/mm.h"

/* gup_flags (include/linux/mm.h values) */
#define FOLL_WRITE 0x01
#define FOLL_GET 0x04 /* internal: take a reference */
#define FOLL_LONGTERM 0x100
#define FOLL_PIN 0x40000 /* internal: take a pin (pin_user_pages*) */

long get_user_pages_remote(struct mm_struct *mm, unsigned long start,
			   unsigned long nr_pages, unsigned int gup_flags,
			   struct page **pages);
long pin_user_pages_remote(struct mm_struct *mm, unsigned long start,
			   unsigned long nr_pages, unsigned int gup_flags,
			   struct page **pages);
int fixup_user_fault(struct mm_struct *mm, unsigned long address,
		     unsigned int fault_flags, bool *unlocked);
void unpin_user_pages(struct page **pages, unsigned long npages);
/* unpin_user_pages_dirty_lock(): mark dirty (when @make_dirty), unpin */
void unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages,
				 bool make_dirty);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The mirror device: a secondary MMU with its own page table that mirrors
 * part of a process address space, modeled on lib/test_hmm.c's "dmirror"
 * (see mirror.c for what it models, its simplifications and lock order).
 */
#ifndef SECMMU_DEVICES_MIRROR_H
#define SECMMU_DEVICES_MIRROR_H

#include "mm/mm.h"

#define DMIRROR_MAX_PAGES 16

/**
 * struct dmirror_entry - one device page-table entry
 * @pfn: the frame the device reads and writes
 * @gen: the frame's generation when the walk read the PTE
 * @fill_step: world step of the install
 * @writable: the device may write through it
 * @valid: the entry exists
 * @reported: a stale use was reported already
 */
struct dmirror_entry {
	unsigned long pfn;
	unsigned long gen;
	unsigned long fill_step;
	bool writable;
	bool valid;
	bool reported;
};

/**
 * struct dmirror - one device mirroring [start, start + npages pages) of @mm
 * @mutex: "dmirror->mutex": guards @pt and the read_retry check
 * @notifier: the interval notifier over the range
 */
struct dmirror {
	/* the trace track's name, "mirror NAME"; NULL: "mirror of mm N" */
	const char *name;
	struct mm_struct *mm;
	unsigned long start;
	unsigned long npages;
	struct mutex mutex;
	struct mmu_interval_notifier notifier;
	struct dmirror_entry pt[DMIRROR_MAX_PAGES];
	/* statistics: invalidations and installs under @mutex, the others atomic */
	unsigned long nr_faults, nr_retries, nr_invalidations, nr_installs;
};

/* grabs @mm (mmgrab) and inserts the interval notifier; 0 or -errno */
int dmirror_init(struct dmirror *d, struct mm_struct *mm, unsigned long start,
		 unsigned long npages);
/* removes the notifier (waits for a running invalidation), mmdrop */
void dmirror_fini(struct dmirror *d);

/*
 * Device accesses through its own table, faulting through the mm on a
 * miss (dmirror_read / dmirror_write): 0, -EFAULT (unmapped, PROT_NONE,
 * outside the mirrored range), -EPERM (write to read-only), -ENOMEM.
 * @va is 8-byte aligned.
 */
int dmirror_read(struct dmirror *d, unsigned long va, uint64_t *val);
int dmirror_write(struct dmirror *d, unsigned long va, uint64_t val);

/* fault [va, va + npages pages) into the device (dmirror_fault) */
int dmirror_fault(struct dmirror *d, unsigned long va, unsigned long npages,
		  bool write);

/* number of valid entries (under the mutex) */
unsigned long dmirror_nr_valid(struct dmirror *d);

/*
 * Quiescent check (no agent running): every valid entry must match a
 * present PTE of the same frame and be no more permissive; otherwise
 * "stale-secondary".  Returns the number of reports.
 */
unsigned long dmirror_check_quiescent(struct dmirror *d);

#endif

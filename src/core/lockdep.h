/* SPDX-License-Identifier: MIT */
/*
 * lockdep-lite: named lock classes, per-agent held-lock stacks, one
 * acquisition-order graph per world, and the reports lockdep prints
 * (possible circular dependency with both chains, recursive locking,
 * bad unlock balance, sleeping in atomic context, held lock freed).
 *
 * Locking: callers in the real engine hold w->lock around graph updates
 * (lockdep.c takes it itself); held-lock stacks are per agent.
 */
#ifndef SECMMU_CORE_LOCKDEP_H
#define SECMMU_CORE_LOCKDEP_H

#include "locking.h"

#define MAX_LOCK_CLASSES 256

struct lockdep *lockdep_create(struct world *w);
void lockdep_reset(struct lockdep *ld);
void lockdep_destroy(struct lockdep *ld);

unsigned short lockdep_class(struct world *w, const char *name, int subclass);
const char *lockdep_class_name(struct world *w, unsigned short id);

/*
 * Called before blocking for the lock.  Returns false if the acquisition
 * must be refused (recursive acquisition of a non-recursive lock): the
 * caller then records a bogus held entry instead of deadlocking.
 */
bool lock_acquire(struct agent *a, struct lock_common *l, enum held_mode m,
		  bool trylock, int subclass);
/* Called once the lock is ours: pushes it on the held stack. */
void lock_acquired(struct agent *a, struct lock_common *l, enum held_mode m,
		   bool trylock, int subclass, bool bogus);
/* Pops the held entry into *out; false (and a report) if it was not held. */
bool lock_release(struct agent *a, struct lock_common *l,
		  struct held_lock *out);
struct held_lock *lock_find_held(struct agent *a, struct lock_common *l);
void lockdep_check_destroy(struct lock_common *l);
void lockdep_sleep_check(struct agent *a, const char *what);
void lockdep_print_held(struct agent *a, struct strbuf *sb);
void report_deadlock(struct world *w);

#endif

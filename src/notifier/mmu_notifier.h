/* SPDX-License-Identifier: MIT */
/*
 * mmu_notifier and mmu_interval_notifier: how the primary MMU tells the
 * secondary MMUs (IOMMU SVA, KVM, device mirrors) that translations are
 * about to change, have changed, or are being aged.
 *
 * Models include/linux/mmu_notifier.h and mm/mmu_notifier.c (Linux 6.6+:
 * arch_invalidate_secondary_tlbs, interval notifiers with the collision-
 * retry sequence), with Linux's names.  The code is our own.
 *
 * What differs from Linux, and why:
 *  - The owner is opaque.  `struct mm_struct` is only forward-declared
 *    here and never dereferenced; the subscriptions object is created
 *    explicitly (mmu_notifier_subscriptions_create) and every entry point
 *    takes it.  Where Linux writes mm->notifier_subscriptions, the caller
 *    passes the pointer (the mm model will keep it in its mm_struct).
 *    Interval and plain subscriptions remember their subscriptions object.
 *  - The SRCU domain Linux keeps in a global (DEFINE_STATIC_SRCU) lives in
 *    a per-world `struct mmu_notifier_world`, which also holds the
 *    checker's state and the fault-injection knobs.
 *  - mmu_notifier_register() takes the owner's mmap_lock for write only if
 *    the owner supplied one (subs->mmap_lock); mm_take_all_locks() is not
 *    modelled.  What it guarantees (no invalidation bracket spans a
 *    registration) is provided instead by a registration sequence: a range
 *    ends only the subscribers registered before it started.
 *  - There is no call_srcu(): mmu_notifier_put() hands the free to a
 *    short-lived agent ("mn_free") that waits with synchronize_srcu() and
 *    then calls ops->free_notifier() in atomic context (preempt_count
 *    raised, as in an SRCU callback).  mmu_notifier_synchronize() joins
 *    those agents.  Called outside any agent, put frees at once.
 *  - Linux's hlist becomes a singly linked list published with release
 *    stores and read with acquire loads (hlist_add_head_rcu semantics).
 *    The deferred add and remove "lists" are one list, as in Linux: a
 *    node in the tree is a pending remove, a node outside is a pending add.
 *  - Non-blockable ranges set current->in_noblock around the plain
 *    subscribers' invalidate_range_start/end, as Linux's non_block_start()
 *    does, so lockdep reports one that may sleep there as
 *    "block-in-nonblock".  Interval callbacks run unmarked, as in Linux
 *    (mn_itree_invalidate): they are to return false instead of sleeping.  arch_invalidate_secondary_tlbs
 *    and free_notifier run with preempt_count raised: they may not sleep.
 *  - A non-blockable start whose interval part succeeded and whose hlist
 *    part failed returns -EAGAIN (the caller may not call end) with the
 *    interval epoch still open, as Linux does; the policy knob
 *    notifier.nonblock_fail_ends_itree=true ends it first (a fix).
 *
 * Checker (reports; kind in quotes):
 *  - start/end pairing per range: a second start, an end without a start
 *    or after a failed non-blockable start, a double end, and at the end of
 *    a run (mmu_notifier_world_check) every range still open:
 *    "notifier-unpaired"; an interval epoch still open at the end of a run:
 *    "notifier-epoch-open";
 *  - a callback of a subscription after mmu_notifier_unregister(),
 *    mmu_interval_notifier_remove() or the final free returned, or one
 *    still running when it returned: "notifier-after-unregister";
 *  - a subscriber with both start/end and arch_invalidate_secondary_tlbs:
 *    "notifier-ops-conflict" (and -EINVAL);
 *  - a start that fails in a blockable range, fails with something other
 *    than -EAGAIN, or fails while having an end op; an interval invalidate
 *    returning false in a blockable range: "notifier-bad-return";
 *  - misuse of the interval API (remove of a never inserted interval,
 *    bad length): "notifier-misuse";
 *  - the bracket rule, for secondaries: mmu_notifier_check_install()
 *    reports "install-in-invalidation".
 *
 * Lock order (outermost first):
 *
 *   mmap_lock (owner's, for register/get)     caller's locks (mmap_lock,
 *                                              i_mmap_rwsem, folio lock,
 *                                              ptl for the tlb/young calls)
 *     mmu_notifier_invalidate_range_start (lockdep map: the secondaries'
 *                                          locks nest inside it)
 *       mmu_notifier_srcu (read side; not tracked by lockdep)
 *         secondary MMU locks taken by callbacks (driver mutex, mmu_lock)
 *           mmu_notifier_subscriptions.lock (spinlock, leaf: nothing is
 *                                            called with it held)
 *   w->lock guards the checker's records (pthread mutex outside the
 *           model, real engine only, a leaf: no report and no model
 *           primitive under it)
 *
 * mmu_interval_read_begin() and mmu_interval_notifier_remove() "take" the
 * lockdep map too, so calling them with a lock that an invalidate callback
 * takes is reported as a possible circular dependency, as in Linux.
 */
#ifndef SECMMU_NOTIFIER_MMU_NOTIFIER_H
#define SECMMU_NOTIFIER_MMU_NOTIFIER_H

#include "core/locking.h"
#include "notifier/interval_tree.h"

struct mm_struct; /* opaque here: never dereferenced */
struct mmu_notifier;
struct mmu_interval_notifier;
struct mmu_notifier_range;
struct mmu_notifier_subscriptions;
struct mn_range_record;

#ifndef ERR_PTR
#define MAX_ERRNO 4095
#define ERR_PTR(err) ((void *)(long)(err))
#define PTR_ERR(ptr) ((long)(ptr))
#define IS_ERR(ptr) ((unsigned long)(ptr) >= (unsigned long)-MAX_ERRNO)
#endif

/* why a range is invalidated: include/linux/mmu_notifier.h's events */
enum mmu_notifier_event {
	MMU_NOTIFY_UNMAP = 0, /* munmap, mremap moving the range */
	MMU_NOTIFY_CLEAR, /* PTEs cleared: madvise, page replaced */
	MMU_NOTIFY_PROTECTION_VMA, /* mprotect: the VMA's protection */
	MMU_NOTIFY_PROTECTION_PAGE, /* per-page write-protect (KSM, COW) */
	MMU_NOTIFY_SOFT_DIRTY, /* clear_refs soft-dirty */
	MMU_NOTIFY_RELEASE, /* the mm is going away (exit_mmap) */
	MMU_NOTIFY_MIGRATE, /* migrate_vma: owner may skip it */
	MMU_NOTIFY_EXCLUSIVE, /* make_device_exclusive: owner may skip */
	MMU_NOTIFY_NR_EVENTS,
};

#define MMU_NOTIFIER_RANGE_BLOCKABLE (1 << 0)

const char *mmu_notifier_event_name(enum mmu_notifier_event event);

/**
 * struct mmu_notifier_ops - a secondary MMU's callbacks
 *
 * @release: the mm is going away, or this subscription is unregistered:
 *	tear down every secondary mapping.  May run concurrently with
 *	mmu_notifier_unregister() and the other callbacks.
 * @clear_flush_young, @clear_young, @test_young: page aging; return
 *	nonzero if the secondary saw an access.
 * @invalidate_range_start: translations of [start, end) are about to
 *	change; no new secondary entry may be built there until the matching
 *	end.  Returns 0, or -EAGAIN only in a non-blockable range where it
 *	would have to sleep (then it must have no @invalidate_range_end).
 * @invalidate_range_end: the change is done.
 * @arch_invalidate_secondary_tlbs: flush a secondary TLB that shares the
 *	CPU page tables, wherever the CPU TLB is flushed; called in atomic
 *	context.  A subscriber has this or start/end, never both.
 * @alloc_notifier, @free_notifier: for mmu_notifier_get()/_put();
 *	free_notifier runs after an SRCU grace period, may not sleep.
 */
struct mmu_notifier_ops {
	void (*release)(struct mmu_notifier *subscription,
			struct mm_struct *mm);
	int (*clear_flush_young)(struct mmu_notifier *subscription,
				 struct mm_struct *mm, unsigned long start,
				 unsigned long end);
	int (*clear_young)(struct mmu_notifier *subscription,
			   struct mm_struct *mm, unsigned long start,
			   unsigned long end);
	int (*test_young)(struct mmu_notifier *subscription,
			  struct mm_struct *mm, unsigned long address);
	int (*invalidate_range_start)(struct mmu_notifier *subscription,
				      const struct mmu_notifier_range *range);
	void (*invalidate_range_end)(struct mmu_notifier *subscription,
				     const struct mmu_notifier_range *range);
	void (*arch_invalidate_secondary_tlbs)(
		struct mmu_notifier *subscription, struct mm_struct *mm,
		unsigned long start, unsigned long end);
	struct mmu_notifier *(*alloc_notifier)(struct mm_struct *mm);
	void (*free_notifier)(struct mmu_notifier *subscription);
};

/*
 * struct mmu_notifier - one subscriber (KVM, an IOMMU SVA bond, ...).
 * Embed it; fill only @ops before registering.  Fields after @users are
 * the model's and the checker's.
 */
struct mmu_notifier {
	struct mmu_notifier *next; /* subscriptions->list, RCU-style */
	const struct mmu_notifier_ops *ops;
	struct mm_struct *mm;
	struct mmu_notifier_subscriptions *subscriptions;
	unsigned int users; /* get/put references, under subs->lock */

	bool __hashed; /* on the list (!hlist_unhashed) */
	bool __dead; /* unregister/free returned */
	int __in_cb; /* callbacks running now */
	unsigned long __reg_seq; /* registration order, see header */
	unsigned int __id; /* for reports: #n in its subscriptions */
};

/**
 * struct mmu_interval_notifier_ops
 * @invalidate: the interval [start, last] overlaps @range: take the
 *	driver lock (mutex_trylock when !mmu_notifier_range_blockable()),
 *	call mmu_interval_set_seq(sub, cur_seq), drop the secondary entries.
 *	Returns false only when it would have to sleep in a non-blockable
 *	range.
 */
struct mmu_interval_notifier_ops {
	bool (*invalidate)(struct mmu_interval_notifier *interval_sub,
			   const struct mmu_notifier_range *range,
			   unsigned long cur_seq);
};

struct mmu_interval_notifier {
	struct interval_tree_node interval_tree;
	const struct mmu_interval_notifier_ops *ops;
	struct mm_struct *mm;
	struct mmu_notifier_subscriptions *subscriptions;
	struct list_head deferred_item; /* subscriptions->deferred_list */
	unsigned long invalidate_seq;

	bool __inserted; /* between insert and remove */
	bool __dead; /* remove returned */
	int __in_cb;
};

/*
 * struct mmu_notifier_range - one invalidation, owned by the caller.
 * Initialise with mmu_notifier_range_init(); the fields after @owner are
 * the model's pairing state.
 */
struct mmu_notifier_range {
	struct mm_struct *mm;
	unsigned long start;
	unsigned long end; /* exclusive */
	unsigned flags;
	enum mmu_notifier_event event;
	void *owner;

	struct mmu_notifier_subscriptions *__subs;
	struct mn_range_record *__rec;
	unsigned long __reg_seq; /* subscribers registered before start */
	unsigned char __state; /* enum mn_range_state (mmu_notifier.c) */
	bool __itree; /* the interval part needs its inv_end */
};

/* Fault injection for the checker's own tests: each knob breaks one rule. */
struct mmu_notifier_knobs {
	bool unregister_skips_sync; /* unregister without synchronize_srcu */
};

/*
 * struct mmu_notifier_world - what Linux keeps in globals, per world: the
 * SRCU domain of every subscriber list, the lockdep map of invalidation,
 * and the checker's state.  Arena memory: reset with the world.
 */
struct mmu_notifier_world {
	struct world *w;
	struct srcu_struct srcu; /* "mmu_notifier_srcu" */
	struct lock_common start_map; /* lockdep map, never really taken */
	struct mmu_notifier_knobs knobs;
	wait_queue_head_t free_wq; /* mmu_notifier_synchronize() */
	int nr_free_pending; /* puts whose free has not run */

	/* checker, under w->lock (real engine) */
	struct list_head all_subs;
	struct mn_range_record *free_recs;
	unsigned long nr_started, nr_ended, nr_failed; /* statistics */
};

/*
 * struct mmu_notifier_subscriptions - what Linux hangs off
 * mm->notifier_subscriptions: the subscribers of one address space.
 */
struct mmu_notifier_subscriptions {
	struct mmu_notifier_world *nw;
	struct mm_struct *mm; /* opaque owner */
	struct rw_semaphore *mmap_lock; /* optional: the owner's */

	struct mmu_notifier *list; /* newest first, RCU-style */
	bool has_itree;
	unsigned int nr_start_end; /* subscribers with start/end */
	unsigned int nr_secondary_tlbs; /* with arch_invalidate_... */
	spinlock_t lock; /* "mmu_notifier_subscriptions.lock" */
	unsigned long invalidate_seq; /* odd: the itree is invalidating */
	unsigned long active_invalidate_ranges;
	struct interval_tree_root itree;
	wait_queue_head_t wq;
	struct list_head deferred_list;
	unsigned long reg_seq; /* registrations so far */

	/* checker, under w->lock */
	struct list_head active_ranges; /* struct mn_range_record */
	struct list_head node; /* nw->all_subs */
	bool destroyed;
};

/* ---- the world's notifier state and the subscriptions object ---- */

struct mmu_notifier_world *mmu_notifier_world_create(struct world *w);
void mmu_notifier_world_check(struct mmu_notifier_world *nw);

struct mmu_notifier_subscriptions *
mmu_notifier_subscriptions_create(struct mmu_notifier_world *nw,
				  struct mm_struct *mm);
void mmu_notifier_subscriptions_set_mmap_lock(
	struct mmu_notifier_subscriptions *subs,
	struct rw_semaphore *mmap_lock);
void mmu_notifier_subscriptions_destroy(struct mmu_notifier_subscriptions *subs);

/* any subscriber at all (Linux: mm_has_notifiers) */
bool mm_has_notifiers(struct mmu_notifier_subscriptions *subs);
/* what kinds of subscribers exist: for the secondary_tlb_flush policy */
bool mmu_notifier_has_secondary_tlbs(struct mmu_notifier_subscriptions *subs);
bool mmu_notifier_has_start_end(struct mmu_notifier_subscriptions *subs);

/* ---- ranges ---- */

void mmu_notifier_range_init(struct mmu_notifier_range *range,
			     enum mmu_notifier_event event, unsigned flags,
			     struct mm_struct *mm, unsigned long start,
			     unsigned long end);
void mmu_notifier_range_init_owner(struct mmu_notifier_range *range,
				   enum mmu_notifier_event event,
				   unsigned flags, struct mm_struct *mm,
				   unsigned long start, unsigned long end,
				   void *owner);

static inline bool
mmu_notifier_range_blockable(const struct mmu_notifier_range *range)
{
	return range->flags & MMU_NOTIFIER_RANGE_BLOCKABLE;
}

/* ---- registration ---- */

int mmu_notifier_register(struct mmu_notifier *subscription,
			  struct mmu_notifier_subscriptions *subs);
int __mmu_notifier_register(struct mmu_notifier *subscription,
			    struct mmu_notifier_subscriptions *subs);
void mmu_notifier_unregister(struct mmu_notifier *subscription,
			     struct mmu_notifier_subscriptions *subs);
struct mmu_notifier *mmu_notifier_get(const struct mmu_notifier_ops *ops,
				      struct mmu_notifier_subscriptions *subs);
struct mmu_notifier *
mmu_notifier_get_locked(const struct mmu_notifier_ops *ops,
			struct mmu_notifier_subscriptions *subs);
void mmu_notifier_put(struct mmu_notifier *subscription);
void mmu_notifier_synchronize(struct mmu_notifier_world *nw);

/* ---- the calls the primary MMU makes ---- */

void mmu_notifier_invalidate_range_start(struct mmu_notifier_subscriptions *subs,
					 struct mmu_notifier_range *range);
int mmu_notifier_invalidate_range_start_nonblock(
	struct mmu_notifier_subscriptions *subs,
	struct mmu_notifier_range *range);
void mmu_notifier_invalidate_range_end(struct mmu_notifier_subscriptions *subs,
				       struct mmu_notifier_range *range);
void mmu_notifier_invalidate_range_only_end(
	struct mmu_notifier_subscriptions *subs,
	struct mmu_notifier_range *range);
void mmu_notifier_arch_invalidate_secondary_tlbs(
	struct mmu_notifier_subscriptions *subs, unsigned long start,
	unsigned long end);
void mmu_notifier_release(struct mmu_notifier_subscriptions *subs);
int mmu_notifier_clear_flush_young(struct mmu_notifier_subscriptions *subs,
				   unsigned long start, unsigned long end);
int mmu_notifier_clear_young(struct mmu_notifier_subscriptions *subs,
			     unsigned long start, unsigned long end);
int mmu_notifier_test_young(struct mmu_notifier_subscriptions *subs,
			    unsigned long address);

/* ---- interval notifiers ---- */

int mmu_interval_notifier_insert(struct mmu_interval_notifier *interval_sub,
				 struct mmu_notifier_subscriptions *subs,
				 unsigned long start, unsigned long length,
				 const struct mmu_interval_notifier_ops *ops);
int mmu_interval_notifier_insert_locked(
	struct mmu_interval_notifier *interval_sub,
	struct mmu_notifier_subscriptions *subs, unsigned long start,
	unsigned long length, const struct mmu_interval_notifier_ops *ops);
void mmu_interval_notifier_remove(struct mmu_interval_notifier *interval_sub);
unsigned long
mmu_interval_read_begin(struct mmu_interval_notifier *interval_sub);

/**
 * mmu_interval_set_seq - record that an invalidation hit this interval
 * @interval_sub: the interval passed to ops->invalidate
 * @cur_seq: the cur_seq passed to ops->invalidate (always odd)
 *
 * Call from ops->invalidate, under the same driver lock that protects
 * mmu_interval_read_retry().  A schedule point.
 */
static inline void
mmu_interval_set_seq(struct mmu_interval_notifier *interval_sub,
		     unsigned long cur_seq)
{
	WRITE_ONCE(interval_sub->invalidate_seq, cur_seq);
}

/**
 * mmu_interval_read_retry - did an invalidation collide with this read?
 * @interval_sub: the interval
 * @seq: what mmu_interval_read_begin() returned
 *
 * Call under the driver lock that ops->invalidate takes; true means the
 * entries built from this read must be thrown away and the read redone.
 * Not a schedule point: taking the driver lock was one.
 */
static inline bool
mmu_interval_read_retry(struct mmu_interval_notifier *interval_sub,
			unsigned long seq)
{
	return __atomic_load_n(&interval_sub->invalidate_seq,
			       __ATOMIC_RELAXED) != seq;
}

/**
 * mmu_interval_check_retry - early, lockless hint of a collision
 * @interval_sub: the interval
 * @seq: what mmu_interval_read_begin() returned
 *
 * True means a later mmu_interval_read_retry() will be true; false
 * proves nothing.  A schedule point.
 */
static inline bool
mmu_interval_check_retry(struct mmu_interval_notifier *interval_sub,
			 unsigned long seq)
{
	return READ_ONCE(interval_sub->invalidate_seq) != seq;
}

/* ---- checker helpers for secondaries ---- */

/**
 * mmu_notifier_check_install - the bracket rule, checked at install time
 * @subs: the address space the secondary mirrors
 * @start: first address the new secondary entry translates
 * @end: one past the last
 *
 * A secondary MMU calls this just before it makes a new entry visible,
 * with the lock it installs under held (the driver lock that its
 * invalidate callback also takes).  If a range overlapping [start, end)
 * has returned from invalidate_range_start and not yet entered
 * invalidate_range_end, the primary is changing those PTEs right now, so
 * the entry may be built from a translation that is going away: this is
 * reported as "install-in-invalidation" and true is returned.  Ranges
 * still inside start (callbacks not all run yet) are not counted: an
 * entry installed then is torn down by the callback still to come.
 */
bool mmu_notifier_check_install(struct mmu_notifier_subscriptions *subs,
				unsigned long start, unsigned long end);
/* the same, ignoring MIGRATE/EXCLUSIVE ranges whose owner is @owner */
bool mmu_notifier_check_install_owner(struct mmu_notifier_subscriptions *subs,
				      unsigned long start, unsigned long end,
				      void *owner);

/* a range overlapping [start, end) is between start and end right now */
bool mmu_notifier_range_in_flight(struct mmu_notifier_subscriptions *subs,
				  unsigned long start, unsigned long end);

/* number of ranges between start and end right now (checker's view) */
unsigned long
mmu_notifier_active_ranges(struct mmu_notifier_subscriptions *subs);

#endif

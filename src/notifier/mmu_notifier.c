// SPDX-License-Identifier: MIT
/*
 * mmu_notifier and mmu_interval_notifier.
 *
 * Models mm/mmu_notifier.c: the subscriber list walked under SRCU, the
 * register/unregister and get/put lifetimes, the invalidate_range_start/
 * end brackets (blockable and not), arch_invalidate_secondary_tlbs, page
 * aging, release, and the interval notifiers with their collision-retry
 * sequence (invalidate_seq odd while the interval tree is invalidating,
 * active_invalidate_ranges, deferred tree updates, wake-ups at the end of
 * an epoch).  Plus the checker of the rules those objects promise.
 *
 * Simplifications (more in mmu_notifier.h): the owner (mm_struct) is
 * opaque; the SRCU domain is per world; mm_take_all_locks() is replaced by
 * a registration sequence; call_srcu() by a short-lived agent; the hlist
 * by a singly linked list with release/acquire publication; the interval
 * tree by a sorted array (interval_tree.c).
 *
 * Lock order (outermost first; the full picture is in mmu_notifier.h):
 *
 *   owner's mmap_lock (register, get)
 *     lockdep map "mmu_notifier_invalidate_range_start"
 *       mmu_notifier_srcu read side
 *         locks of the secondary MMUs, taken by the callbacks
 *           mmu_notifier_subscriptions.lock (leaf)
 *   w->lock guards the checker's records (leaf; real engine only)
 *
 * The invalidate_seq protocol, both columns:
 *
 *   invalidation (mn_itree_*)            secondary fault (driver)
 *   -------------------------            ------------------------
 *   lock; active++; seq |= 1; unlock     seq = mmu_interval_read_begin()
 *   ops->invalidate(cur_seq = seq):        (waits while sub seq == seq)
 *     driver_lock                         walk the primary page table
 *     mmu_interval_set_seq(cur_seq)       driver_lock
 *     drop secondary entries              if mmu_interval_read_retry(seq):
 *     driver_unlock                           unlock, start again
 *   ... primary PTEs change ...           install; driver_unlock
 *   lock; if --active == 0: seq++ (even),
 *     apply deferred inserts/removes;
 *   unlock; wake_up_all(wq)
 *
 * Either the invalidation's set_seq runs before the driver's read_retry
 * (both under driver_lock), and the driver retries, or after it, and the
 * invalidate callback drops what the driver installed.  read_begin's wait
 * keeps a retrying driver from spinning through the whole epoch.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "core/lockdep.h"
#include "core/policy.h"
#include "mmu_notifier.h"

enum mn_range_state {
	MNR_IDLE, /* initialised, never started */
	MNR_STARTING, /* inside invalidate_range_start */
	MNR_ACTIVE, /* start returned: the bracket is open */
	MNR_FAILED, /* a non-blockable start returned -EAGAIN */
	MNR_ENDING, /* inside invalidate_range_end */
	MNR_ENDED,
};

/* the checker's copy of an open range: the caller's range may be gone */
struct mn_range_record {
	struct list_head node; /* subs->active_ranges */
	struct mn_range_record *next_free;
	unsigned long start, end, step;
	enum mmu_notifier_event event;
	void *owner;
	int agent;
	unsigned char phase; /* MNR_STARTING, MNR_ACTIVE or MNR_ENDING */
};

/* a notifier put for the last time, waiting for its grace period */
struct mn_free_work {
	struct mmu_notifier_world *nw;
	struct mmu_notifier *sub;
};

/*
 * Shared words read without subscriptions->lock use __atomic accesses
 * that are not schedule points: the lock or SRCU operation next to them
 * already is one, and TSan sees them as atomics.
 */
#define mn_load(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define mn_store(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

static const char *const event_names[MMU_NOTIFY_NR_EVENTS] = {
	[MMU_NOTIFY_UNMAP] = "UNMAP",
	[MMU_NOTIFY_CLEAR] = "CLEAR",
	[MMU_NOTIFY_PROTECTION_VMA] = "PROTECTION_VMA",
	[MMU_NOTIFY_PROTECTION_PAGE] = "PROTECTION_PAGE",
	[MMU_NOTIFY_SOFT_DIRTY] = "SOFT_DIRTY",
	[MMU_NOTIFY_RELEASE] = "RELEASE",
	[MMU_NOTIFY_MIGRATE] = "MIGRATE",
	[MMU_NOTIFY_EXCLUSIVE] = "EXCLUSIVE",
};

const char *mmu_notifier_event_name(enum mmu_notifier_event event)
{
	if ((unsigned)event >= MMU_NOTIFY_NR_EVENTS)
		return "?";
	return event_names[event];
}

static const char *agent_name(void)
{
	return current ? current->name : "<none>";
}

/* ---- the world's state and the subscriptions object ---- */

/**
 * mmu_notifier_world_create - the per-world notifier state
 * @w: the world
 *
 * Holds the SRCU domain every subscriber list of this world is walked
 * under, and the checker's records.  Arena memory: world_reset() drops it.
 */
struct mmu_notifier_world *mmu_notifier_world_create(struct world *w)
{
	struct mmu_notifier_world *nw = arena_alloc(w, sizeof(*nw));

	nw->w = w;
	init_srcu_struct(w, &nw->srcu, "mmu_notifier_srcu");
	__lock_init(w, &nw->start_map, "mmu_notifier_invalidate_range_start",
		    LK_MUTEX, 0);
	INIT_LIST_HEAD(&nw->all_subs);
	init_waitqueue_head(w, &nw->free_wq);
	return nw;
}

/**
 * mmu_notifier_subscriptions_create - what Linux allocates on first register
 * @nw: the world's notifier state
 * @mm: the owner, opaque (may be NULL in tests)
 */
struct mmu_notifier_subscriptions *
mmu_notifier_subscriptions_create(struct mmu_notifier_world *nw,
				  struct mm_struct *mm)
{
	struct world *w = nw->w;
	struct mmu_notifier_subscriptions *subs = arena_alloc(w, sizeof(*subs));

	subs->nw = nw;
	subs->mm = mm;
	spin_lock_init(w, &subs->lock, "mmu_notifier_subscriptions.lock");
	subs->invalidate_seq = 2; /* even: idle */
	interval_tree_init(&subs->itree, w);
	init_waitqueue_head(w, &subs->wq);
	INIT_LIST_HEAD(&subs->deferred_list);
	INIT_LIST_HEAD(&subs->active_ranges);
	world_lock(w);
	list_add_tail(&subs->node, &nw->all_subs);
	world_unlock(w);
	return subs;
}

/* register and get take this rwsem for write, if the owner gives one */
void mmu_notifier_subscriptions_set_mmap_lock(
	struct mmu_notifier_subscriptions *subs, struct rw_semaphore *mmap_lock)
{
	subs->mmap_lock = mmap_lock;
}

/**
 * mmu_notifier_subscriptions_destroy - the owner is gone (mmdrop)
 * @subs: no subscriber may remain: Linux BUG()s, the model reports
 */
void mmu_notifier_subscriptions_destroy(struct mmu_notifier_subscriptions *subs)
{
	if (mn_load(subs->list))
		report_add(
			subs->nw->w, "notifier-misuse",
			"mmu_notifier_subscriptions destroyed with subscribers still registered");
	if (interval_tree_count(&subs->itree) ||
	    !list_empty(&subs->deferred_list))
		report_add(
			subs->nw->w, "notifier-misuse",
			"mmu_notifier_subscriptions destroyed with %ld interval notifiers still inserted",
			interval_tree_count(&subs->itree));
	spin_lock_destroy(&subs->lock);
	subs->destroyed = true;
}

bool mm_has_notifiers(struct mmu_notifier_subscriptions *subs)
{
	return subs && (mn_load(subs->has_itree) || mn_load(subs->list));
}

bool mmu_notifier_has_secondary_tlbs(struct mmu_notifier_subscriptions *subs)
{
	return subs && mn_load(subs->nr_secondary_tlbs);
}

bool mmu_notifier_has_start_end(struct mmu_notifier_subscriptions *subs)
{
	return subs && mn_load(subs->nr_start_end);
}

/* ---- ranges ---- */

void mmu_notifier_range_init(struct mmu_notifier_range *range,
			     enum mmu_notifier_event event, unsigned flags,
			     struct mm_struct *mm, unsigned long start,
			     unsigned long end)
{
	memset(range, 0, sizeof(*range));
	range->event = event;
	range->flags = flags;
	range->mm = mm;
	range->start = start;
	range->end = end;
}

void mmu_notifier_range_init_owner(struct mmu_notifier_range *range,
				   enum mmu_notifier_event event,
				   unsigned flags, struct mm_struct *mm,
				   unsigned long start, unsigned long end,
				   void *owner)
{
	mmu_notifier_range_init(range, event, flags, mm, start, end);
	range->owner = owner;
}

/* ---- the checker's records of open ranges ---- */

static struct mn_range_record *
mn_rec_open(struct mmu_notifier_subscriptions *subs,
	    const struct mmu_notifier_range *range)
{
	struct mmu_notifier_world *nw = subs->nw;
	struct world *w = nw->w;
	struct mn_range_record *r;

	world_lock(w);
	r = nw->free_recs;
	if (r)
		nw->free_recs = r->next_free;
	world_unlock(w);
	if (!r)
		r = arena_alloc(w, sizeof(*r));
	r->start = range->start;
	r->end = range->end;
	r->event = range->event;
	r->owner = range->owner;
	r->agent = current ? current->id : -1;
	r->step = __atomic_load_n(&w->step, __ATOMIC_RELAXED);
	r->phase = MNR_STARTING;
	world_lock(w);
	list_add_tail(&r->node, &subs->active_ranges);
	nw->nr_started++;
	world_unlock(w);
	return r;
}

static void mn_rec_phase(struct mmu_notifier_subscriptions *subs,
			 struct mn_range_record *r, unsigned char phase)
{
	world_lock(subs->nw->w);
	r->phase = phase;
	world_unlock(subs->nw->w);
}

static void mn_rec_close(struct mmu_notifier_subscriptions *subs,
			 struct mn_range_record *r, bool ended)
{
	struct mmu_notifier_world *nw = subs->nw;

	world_lock(nw->w);
	list_del_init(&r->node);
	r->next_free = nw->free_recs;
	nw->free_recs = r;
	if (ended)
		nw->nr_ended++;
	else
		nw->nr_failed++;
	world_unlock(nw->w);
}

static void mn_report_range(struct world *w, const char *what,
			    const struct mmu_notifier_range *range)
{
	report_add(w, "notifier-unpaired",
		   "%s: %s for range [%#lx, %#lx) event %s", agent_name(), what,
		   range->start, range->end,
		   mmu_notifier_event_name(range->event));
}

/* pairing: a start opens the range (and its record) */
static void mn_range_begin(struct mmu_notifier_subscriptions *subs,
			   struct mmu_notifier_range *range)
{
	struct mmu_notifier_subscriptions *old = range->__subs;

	if (range->__state == MNR_STARTING || range->__state == MNR_ACTIVE) {
		if (subs)
			mn_report_range(
				subs->nw->w,
				"invalidate_range_start() again before invalidate_range_end()",
				range);
		if (old && range->__rec)
			mn_rec_close(old, range->__rec, false);
	}
	range->__subs = subs;
	range->__rec = NULL;
	range->__itree = false;
	range->__state = MNR_STARTING;
	if (!subs)
		return;
	range->__reg_seq = mn_load(subs->reg_seq);
	range->__rec = mn_rec_open(subs, range);
}

static void mn_range_started(struct mmu_notifier_range *range, int ret)
{
	struct mmu_notifier_subscriptions *subs = range->__subs;

	range->__state = ret ? MNR_FAILED : MNR_ACTIVE;
	if (!range->__rec)
		return;
	if (ret) {
		mn_rec_close(subs, range->__rec, false);
		range->__rec = NULL;
	} else {
		mn_rec_phase(subs, range->__rec, MNR_ACTIVE);
	}
}

/* pairing: may this end go ahead?  Reports and refuses if not. */
static bool mn_range_may_end(struct mmu_notifier_subscriptions *subs,
			     struct mmu_notifier_range *range)
{
	struct world *w = subs		? subs->nw->w :
			  range->__subs ? range->__subs->nw->w :
			  current	? current->w :
					  NULL;

	switch (range->__state) {
	case MNR_ACTIVE:
		break;
	case MNR_FAILED:
		if (w)
			mn_report_range(
				w,
				"invalidate_range_end() after a failed non-blockable invalidate_range_start()",
				range);
		return false;
	case MNR_ENDED:
	case MNR_ENDING:
		if (w)
			mn_report_range(w, "invalidate_range_end() twice",
					range);
		return false;
	default:
		if (w)
			mn_report_range(
				w,
				"invalidate_range_end() without invalidate_range_start()",
				range);
		return false;
	}
	if (subs != range->__subs && w)
		report_add(
			w, "notifier-misuse",
			"%s: range [%#lx, %#lx) ended on other subscriptions than it started on",
			agent_name(), range->start, range->end);
	return true;
}

/* ---- callbacks: context and lifetime checks around each call ---- */

/*
 * Dekker pair with mn_mark_dead(): the callback counts itself in, then
 * looks at __dead; the unregistering side sets __dead, then looks at the
 * count.  With sequentially consistent atomics one of them sees the other.
 * Names for reports are formatted only when there is something to report.
 */
static bool mn_cb_enter(bool *dead, int *in_cb)
{
	__atomic_add_fetch(in_cb, 1, __ATOMIC_SEQ_CST);
	return __atomic_load_n(dead, __ATOMIC_SEQ_CST);
}

static void mn_cb_exit(int *in_cb)
{
	__atomic_sub_fetch(in_cb, 1, __ATOMIC_SEQ_CST);
}

/* true if a callback was still running */
static bool mn_mark_dead(bool *dead, int *in_cb)
{
	__atomic_store_n(dead, true, __ATOMIC_SEQ_CST);
	return __atomic_load_n(in_cb, __ATOMIC_SEQ_CST);
}

static void mn_sub_enter(struct mmu_notifier *sub, const char *cb)
{
	if (mn_cb_enter(&sub->__dead, &sub->__in_cb))
		report_add(
			sub->subscriptions->nw->w, "notifier-after-unregister",
			"%s: mmu_notifier#%u->%s() called after its unregistration returned",
			agent_name(), sub->__id, cb);
}

static void mn_sub_mark_dead(struct mmu_notifier *sub, const char *how)
{
	if (mn_mark_dead(&sub->__dead, &sub->__in_cb))
		report_add(
			sub->subscriptions->nw->w, "notifier-after-unregister",
			"%s: %s returned while a callback of mmu_notifier#%u is still running",
			agent_name(), how, sub->__id);
}

/* non_block_start()/non_block_end() around a callback */
static bool mn_noblock_begin(const struct mmu_notifier_range *range)
{
	struct agent *a = current;
	bool saved;

	if (!a || mmu_notifier_range_blockable(range))
		return false;
	saved = a->in_noblock;
	a->in_noblock = true;
	return saved;
}

static void mn_noblock_end(const struct mmu_notifier_range *range, bool saved)
{
	if (current && !mmu_notifier_range_blockable(range))
		current->in_noblock = saved;
}

/* callbacks that may not sleep (SRCU callback, under the ptl) */
static void mn_atomic_begin(void)
{
	if (current)
		current->preempt_count++;
}

static void mn_atomic_end(void)
{
	if (current)
		current->preempt_count--;
}

#define MN_CALL(sub, cb, call)                 \
	({                                     \
		mn_sub_enter(sub, cb);         \
		__typeof__(call) __r = (call); \
		mn_cb_exit(&(sub)->__in_cb);   \
		__r;                           \
	})

#define MN_CALL_VOID(sub, cb, call)          \
	do {                                 \
		mn_sub_enter(sub, cb);       \
		call;                        \
		mn_cb_exit(&(sub)->__in_cb); \
	} while (0)

static int mn_call_start(struct mmu_notifier *sub,
			 const struct mmu_notifier_range *range)
{
	bool saved = mn_noblock_begin(range);
	int ret;

	ret = MN_CALL(sub, "invalidate_range_start",
		      sub->ops->invalidate_range_start(sub, range));
	mn_noblock_end(range, saved);
	return ret;
}

static void mn_call_end(struct mmu_notifier *sub,
			const struct mmu_notifier_range *range)
{
	bool saved = mn_noblock_begin(range);

	MN_CALL_VOID(sub, "invalidate_range_end",
		     sub->ops->invalidate_range_end(sub, range));
	mn_noblock_end(range, saved);
}

static void mn_call_release(struct mmu_notifier *sub)
{
	MN_CALL_VOID(sub, "release", sub->ops->release(sub, sub->mm));
}

/*
 * Not inside non_block_start(): Linux's mn_itree_invalidate() calls
 * ->invalidate() bare; only the plain subscribers' start and end are
 * bracketed.  An interval callback's duty in a non-blockable range is
 * to return false rather than sleep, which nothing enforces.
 */
static bool mn_call_invalidate(struct mmu_interval_notifier *isub,
			       const struct mmu_notifier_range *range,
			       unsigned long cur_seq)
{
	bool ok;

	if (mn_cb_enter(&isub->__dead, &isub->__in_cb))
		report_add(
			isub->subscriptions->nw->w, "notifier-after-unregister",
			"%s: mmu_interval_notifier[%#lx-%#lx]->invalidate() called after its removal returned",
			agent_name(), isub->interval_tree.start,
			isub->interval_tree.last);
	ok = isub->ops->invalidate(isub, range, cur_seq);
	mn_cb_exit(&isub->__in_cb);
	return ok;
}

/* ---- the lockdep map of invalidation (lock_map_acquire/release) ---- */

static void mn_map_acquire(struct mmu_notifier_world *nw)
{
	struct agent *a = current;
	bool ok;

	if (!a || !nw)
		return;
	ok = lock_acquire(a, &nw->start_map, HELD_WRITE, false, 0);
	lock_acquired(a, &nw->start_map, HELD_WRITE, false, 0, !ok);
}

static void mn_map_release(struct mmu_notifier_world *nw)
{
	struct held_lock h;

	if (current && nw)
		lock_release(current, &nw->start_map, &h);
}

/* acquire and release at once: "may wait for an invalidation" */
static void mn_map_touch(struct mmu_notifier_world *nw)
{
	mn_map_acquire(nw);
	mn_map_release(nw);
}

/* ---- the subscriber list (Linux's hlist, RCU-style) ---- */

/* next subscriber a range may call: registered before the range began */
static struct mmu_notifier *mn_next(struct mmu_notifier *sub,
				    const struct mmu_notifier_range *range)
{
	for (; sub; sub = mn_load(sub->next))
		if (!range || sub->__reg_seq <= range->__reg_seq)
			return sub;
	return NULL;
}

#define for_each_subscription(sub, subs, range)                \
	for (sub = mn_next(mn_load((subs)->list), range); sub; \
	     sub = mn_next(mn_load(sub->next), range))

static bool mn_ops_has_start_end(const struct mmu_notifier_ops *ops)
{
	return ops->invalidate_range_start || ops->invalidate_range_end;
}

/* hlist_del_init_rcu(): readers already on @sub may go on through it */
static void mn_unlink(struct mmu_notifier_subscriptions *subs,
		      struct mmu_notifier *sub)
{
	struct mmu_notifier **pp;

	lockdep_assert_held(&subs->lock);
	for (pp = &subs->list; *pp; pp = &(*pp)->next) {
		if (*pp != sub)
			continue;
		mn_store(*pp, sub->next);
		break;
	}
	mn_store(sub->__hashed, false);
	if (mn_ops_has_start_end(sub->ops))
		mn_store(subs->nr_start_end, subs->nr_start_end - 1);
	if (sub->ops->arch_invalidate_secondary_tlbs)
		mn_store(subs->nr_secondary_tlbs, subs->nr_secondary_tlbs - 1);
}

/* ---- the interval tree side (mn_itree_*) ---- */

static bool mn_itree_is_invalidating(struct mmu_notifier_subscriptions *subs)
{
	lockdep_assert_held(&subs->lock);
	return subs->invalidate_seq & 1;
}

static void mn_set_invalidate_seq(struct mmu_notifier_subscriptions *subs,
				  unsigned long seq)
{
	__atomic_store_n(&subs->invalidate_seq, seq, __ATOMIC_RELAXED);
}

static struct mmu_interval_notifier *
mn_itree_inv_start_range(struct mmu_notifier_subscriptions *subs,
			 const struct mmu_notifier_range *range,
			 unsigned long *seq)
{
	struct interval_tree_node *node;
	struct mmu_interval_notifier *res = NULL;

	spin_lock(&subs->lock);
	subs->active_invalidate_ranges++;
	node = interval_tree_iter_first(&subs->itree, range->start,
					range->end - 1);
	if (node) {
		mn_set_invalidate_seq(subs, subs->invalidate_seq | 1);
		res = container_of(node, struct mmu_interval_notifier,
				   interval_tree);
	}
	*seq = subs->invalidate_seq;
	spin_unlock(&subs->lock);
	return res;
}

/* the tree is frozen while invalidate_seq is odd: no lock needed */
static struct mmu_interval_notifier *
mn_itree_inv_next(struct mmu_interval_notifier *isub,
		  const struct mmu_notifier_range *range)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_next(&isub->interval_tree, range->start,
				       range->end - 1);
	return node ? container_of(node, struct mmu_interval_notifier,
				   interval_tree) :
		      NULL;
}

/* apply the inserts and removes deferred while the tree was frozen */
static void mn_itree_apply_deferred(struct mmu_notifier_subscriptions *subs)
{
	struct mmu_interval_notifier *isub, *next;

	list_for_each_entry_safe(isub, next, &subs->deferred_list,
				 deferred_item) {
		if (interval_tree_node_empty(&isub->interval_tree))
			interval_tree_insert(&isub->interval_tree,
					     &subs->itree);
		else
			interval_tree_remove(&isub->interval_tree,
					     &subs->itree);
		list_del_init(&isub->deferred_item);
	}
}

static void mn_itree_inv_end(struct mmu_notifier_subscriptions *subs)
{
	spin_lock(&subs->lock);
	if (!subs->active_invalidate_ranges) {
		spin_unlock(&subs->lock);
		report_add(
			subs->nw->w, "notifier-misuse",
			"%s: interval invalidation ended with no active range",
			agent_name());
		return;
	}
	if (--subs->active_invalidate_ranges ||
	    !mn_itree_is_invalidating(subs)) {
		spin_unlock(&subs->lock);
		return;
	}
	mn_set_invalidate_seq(subs, subs->invalidate_seq + 1); /* even */
	mn_itree_apply_deferred(subs);
	spin_unlock(&subs->lock);
	wake_up_all(&subs->wq);
}

/* Returns 0, or -EAGAIN with the interval part already ended. */
static int mn_itree_invalidate(struct mmu_notifier_subscriptions *subs,
			       struct mmu_notifier_range *range)
{
	struct mmu_interval_notifier *isub;
	unsigned long cur_seq;

	range->__itree = true;
	for (isub = mn_itree_inv_start_range(subs, range, &cur_seq); isub;
	     isub = mn_itree_inv_next(isub, range)) {
		if (mn_call_invalidate(isub, range, cur_seq))
			continue;
		if (!mmu_notifier_range_blockable(range))
			goto out_would_block;
		report_add(
			subs->nw->w, "notifier-bad-return",
			"%s: interval invalidate [%#lx-%#lx] returned false in a blockable range",
			agent_name(), isub->interval_tree.start,
			isub->interval_tree.last);
	}
	return 0;

out_would_block:
	/* the caller of a failed non-blockable start may not call end */
	mn_itree_inv_end(subs);
	range->__itree = false;
	return -EAGAIN;
}

static void mn_itree_release(struct mmu_notifier_subscriptions *subs)
{
	struct mmu_notifier_range range;
	struct mmu_interval_notifier *isub;
	unsigned long cur_seq;

	mmu_notifier_range_init(&range, MMU_NOTIFY_RELEASE,
				MMU_NOTIFIER_RANGE_BLOCKABLE, subs->mm, 0,
				ULONG_MAX);
	for (isub = mn_itree_inv_start_range(subs, &range, &cur_seq); isub;
	     isub = mn_itree_inv_next(isub, &range))
		if (!mn_call_invalidate(isub, &range, cur_seq))
			report_add(
				subs->nw->w, "notifier-bad-return",
				"%s: interval invalidate returned false on release",
				agent_name());
	mn_itree_inv_end(subs);
}

/* ---- the hlist side (mn_hlist_*) ---- */

static void mn_check_failed_start(struct mmu_notifier_subscriptions *subs,
				  struct mmu_notifier *sub,
				  const struct mmu_notifier_range *range,
				  int ret)
{
	if (!mmu_notifier_range_blockable(range) && ret == -EAGAIN &&
	    !sub->ops->invalidate_range_end)
		return;
	report_add(
		subs->nw->w, "notifier-bad-return",
		"%s: mmu_notifier#%u invalidate_range_start() failed with %d in a %sblockable range%s",
		agent_name(), sub->__id, ret,
		mmu_notifier_range_blockable(range) ? "" : "non-",
		sub->ops->invalidate_range_end ?
			" and has invalidate_range_end(), which it cannot be told to skip" :
			"");
}

static int
mn_hlist_invalidate_range_start(struct mmu_notifier_subscriptions *subs,
				struct mmu_notifier_range *range)
{
	struct mmu_notifier_world *nw = subs->nw;
	struct mmu_notifier *sub;
	int ret = 0, idx, r;

	idx = srcu_read_lock(&nw->srcu);
	for_each_subscription(sub, subs, range)
	{
		if (!sub->ops->invalidate_range_start)
			continue;
		r = mn_call_start(sub, range);
		if (!r)
			continue;
		mn_check_failed_start(subs, sub, range, r);
		/* a blockable start cannot fail: the model goes on as if it had not */
		if (!mmu_notifier_range_blockable(range))
			ret = r;
	}
	if (ret) {
		/*
		 * Every subscriber was called; the ones whose start
		 * succeeded expect their end, and a failing one has none.
		 */
		for_each_subscription(sub, subs,
				      range) if (sub->ops->invalidate_range_end)
			mn_call_end(sub, range);
	}
	srcu_read_unlock(&nw->srcu, idx);
	return ret;
}

static void mn_hlist_invalidate_end(struct mmu_notifier_subscriptions *subs,
				    struct mmu_notifier_range *range)
{
	struct mmu_notifier_world *nw = subs->nw;
	struct mmu_notifier *sub;
	int idx;

	idx = srcu_read_lock(&nw->srcu);
	for_each_subscription(sub, subs,
			      range) if (sub->ops->invalidate_range_end)
		mn_call_end(sub, range);
	srcu_read_unlock(&nw->srcu, idx);
}

static void mn_hlist_release(struct mmu_notifier_subscriptions *subs)
{
	struct mmu_notifier_world *nw = subs->nw;
	struct mmu_notifier *sub;
	int idx;

	/* unregister waits (SRCU) for ->release to return */
	idx = srcu_read_lock(&nw->srcu);
	for_each_subscription(sub, subs, NULL) if (sub->ops->release)
		mn_call_release(sub);
	spin_lock(&subs->lock);
	while ((sub = subs->list))
		mn_unlink(subs, sub);
	spin_unlock(&subs->lock);
	srcu_read_unlock(&nw->srcu, idx);
	/* exit_mmap may free the pages only once every ->release returned */
	synchronize_srcu(&nw->srcu);
}

/* ---- invalidation entry points ---- */

static int
__mmu_notifier_invalidate_range_start(struct mmu_notifier_subscriptions *subs,
				      struct mmu_notifier_range *range)
{
	int ret = 0;

	mn_range_begin(subs, range);
	if (!subs)
		goto out;
	/* which subscribers exist is shared state: a register may race */
	sched_point(SP_MEM, &subs->list);
	if (mn_load(subs->has_itree))
		ret = mn_itree_invalidate(subs, range);
	if (!ret && mn_load(subs->list))
		ret = mn_hlist_invalidate_range_start(subs, range);
	/*
	 * The interval part succeeded, the plain part refused: Linux
	 * returns here with the interval epoch still open (policy
	 * notifier.nonblock_fail_ends_itree=false, the default).
	 */
	if (ret && range->__itree &&
	    policy_bool(subs->nw->w, KNOB_NOTIFIER_NONBLOCK_FAIL_ENDS_ITREE)) {
		mn_itree_inv_end(subs);
		range->__itree = false;
	}
out:
	mn_range_started(range, ret);
	return ret;
}

/**
 * mmu_notifier_invalidate_range_start - open an invalidation bracket
 * @subs: the address space's subscriptions (NULL: none registered yet)
 * @range: initialised with mmu_notifier_range_init(); made blockable
 *
 * Every subscriber is told that translations of [start, end) are about to
 * change; until mmu_notifier_invalidate_range_end(), no secondary may
 * build a new entry there.  May sleep.  Must be paired with exactly one
 * mmu_notifier_invalidate_range_end() on the same range.
 */
void mmu_notifier_invalidate_range_start(struct mmu_notifier_subscriptions *subs,
					 struct mmu_notifier_range *range)
{
	struct mmu_notifier_world *nw = subs ? subs->nw : NULL;

	might_sleep();
	mn_map_acquire(nw);
	range->flags |= MMU_NOTIFIER_RANGE_BLOCKABLE;
	__mmu_notifier_invalidate_range_start(subs, range);
	mn_map_release(nw);
}

/**
 * mmu_notifier_invalidate_range_start_nonblock - start that may not sleep
 * @subs: the address space's subscriptions
 * @range: initialised with mmu_notifier_range_init(); made non-blockable
 *
 * Callbacks run with current->in_noblock set.  Returns 0, or -EAGAIN if a
 * subscriber would have had to sleep: then the PTEs of the range must not
 * be touched and mmu_notifier_invalidate_range_end() must not be called;
 * the subscribers that did start have already been ended.
 */
int mmu_notifier_invalidate_range_start_nonblock(
	struct mmu_notifier_subscriptions *subs,
	struct mmu_notifier_range *range)
{
	struct mmu_notifier_world *nw = subs ? subs->nw : NULL;
	int ret;

	mn_map_acquire(nw);
	range->flags &= ~MMU_NOTIFIER_RANGE_BLOCKABLE;
	ret = __mmu_notifier_invalidate_range_start(subs, range);
	mn_map_release(nw);
	return ret;
}

/**
 * __mmu_notifier_invalidate_range_end - close an invalidation bracket
 * @subs: the subscriptions the range was started on
 * @range: a range whose start succeeded
 * @only_end: skip the pre-6.6 ->invalidate_range() (the _only_end form)
 *
 * Ends the interval-tree epoch (the last active range makes
 * invalidate_seq even, applies deferred inserts and removes, and wakes
 * mmu_interval_read_begin() and remove waiters), then calls every
 * subscriber's invalidate_range_end.  May sleep if the range is blockable.
 */
static void
__mmu_notifier_invalidate_range_end(struct mmu_notifier_subscriptions *subs,
				    struct mmu_notifier_range *range,
				    bool only_end)
{
	struct mmu_notifier_world *nw;

	if (mmu_notifier_range_blockable(range))
		might_sleep();
	if (!mn_range_may_end(subs, range))
		return;
	subs = range->__subs;
	if (!subs) {
		range->__state = MNR_ENDED;
		return;
	}
	nw = subs->nw;
	sched_point(SP_MEM, &subs->list);
	range->__state = MNR_ENDING;
	if (range->__rec)
		mn_rec_phase(subs, range->__rec, MNR_ENDING);
	mn_map_acquire(nw);
	if (range->__itree) {
		mn_itree_inv_end(subs);
		range->__itree = false;
	}
	/* before 6.6, ->invalidate_range() also ran from range_end */
	if (!only_end &&
	    policy_enum(nw->w, KNOB_NOTIFIER_SECONDARY_TLB_FLUSH) ==
		    SECONDARY_TLB_FLUSH_IN_RANGE_END)
		mmu_notifier_arch_invalidate_secondary_tlbs(subs, range->start,
							    range->end);
	if (mn_load(subs->list))
		mn_hlist_invalidate_end(subs, range);
	mn_map_release(nw);
	range->__state = MNR_ENDED;
	if (range->__rec) {
		mn_rec_close(subs, range->__rec, true);
		range->__rec = NULL;
	}
}

void mmu_notifier_invalidate_range_end(struct mmu_notifier_subscriptions *subs,
				       struct mmu_notifier_range *range)
{
	__mmu_notifier_invalidate_range_end(subs, range, false);
}

/**
 * mmu_notifier_invalidate_range_only_end - end without ->invalidate_range
 * @subs: the subscriptions the range was started on
 * @range: a range whose start succeeded
 *
 * Before 6.6, callers that had already invalidated the secondary TLBs
 * under the page-table lock (ptep_clear_flush_notify: wp_page_copy, THP
 * splits, migrate_vma_pages) ended the bracket with this to spare the
 * second ->invalidate_range() that range_end would make.  Since 6.6 it
 * is the same as mmu_notifier_invalidate_range_end().
 */
void mmu_notifier_invalidate_range_only_end(
	struct mmu_notifier_subscriptions *subs,
	struct mmu_notifier_range *range)
{
	__mmu_notifier_invalidate_range_end(subs, range, true);
}

/**
 * mmu_notifier_arch_invalidate_secondary_tlbs - flush secondary TLBs
 * @subs: the address space's subscriptions
 * @start: first address
 * @end: one past the last
 *
 * Called wherever the CPU TLB is flushed (with the 6.6 policy), usually
 * under the page-table lock; the callbacks run in atomic context.
 */
void mmu_notifier_arch_invalidate_secondary_tlbs(
	struct mmu_notifier_subscriptions *subs, unsigned long start,
	unsigned long end)
{
	struct mmu_notifier *sub;
	int idx;

	if (!subs || !mn_load(subs->list))
		return;
	idx = srcu_read_lock(&subs->nw->srcu);
	for_each_subscription(sub, subs, NULL)
	{
		if (!sub->ops->arch_invalidate_secondary_tlbs)
			continue;
		mn_atomic_begin();
		MN_CALL_VOID(sub, "arch_invalidate_secondary_tlbs",
			     sub->ops->arch_invalidate_secondary_tlbs(
				     sub, sub->mm, start, end));
		mn_atomic_end();
	}
	srcu_read_unlock(&subs->nw->srcu, idx);
}

/**
 * mmu_notifier_release - the address space is being torn down (exit_mmap)
 * @subs: the address space's subscriptions
 *
 * Invalidates every interval with a RELEASE range, calls every
 * subscriber's ->release, unhashes them all and waits for the callbacks
 * still running, so the pages may be freed afterwards.  May sleep.
 */
void mmu_notifier_release(struct mmu_notifier_subscriptions *subs)
{
	might_sleep();
	if (!subs)
		return;
	if (mn_load(subs->has_itree))
		mn_itree_release(subs);
	if (mn_load(subs->list))
		mn_hlist_release(subs);
}

int mmu_notifier_clear_flush_young(struct mmu_notifier_subscriptions *subs,
				   unsigned long start, unsigned long end)
{
	struct mmu_notifier *sub;
	int young = 0, idx;

	if (!subs || !mn_load(subs->list))
		return 0;
	idx = srcu_read_lock(&subs->nw->srcu);
	for_each_subscription(sub, subs, NULL) if (sub->ops->clear_flush_young)
		young |=
		MN_CALL(sub, "clear_flush_young",
			sub->ops->clear_flush_young(sub, sub->mm, start, end));
	srcu_read_unlock(&subs->nw->srcu, idx);
	return young;
}

int mmu_notifier_clear_young(struct mmu_notifier_subscriptions *subs,
			     unsigned long start, unsigned long end)
{
	struct mmu_notifier *sub;
	int young = 0, idx;

	if (!subs || !mn_load(subs->list))
		return 0;
	idx = srcu_read_lock(&subs->nw->srcu);
	for_each_subscription(sub, subs, NULL) if (sub->ops->clear_young)
		young |=
		MN_CALL(sub, "clear_young",
			sub->ops->clear_young(sub, sub->mm, start, end));
	srcu_read_unlock(&subs->nw->srcu, idx);
	return young;
}

/* stops at the first subscriber that saw an access */
int mmu_notifier_test_young(struct mmu_notifier_subscriptions *subs,
			    unsigned long address)
{
	struct mmu_notifier *sub;
	int young = 0, idx;

	if (!subs || !mn_load(subs->list))
		return 0;
	idx = srcu_read_lock(&subs->nw->srcu);
	for_each_subscription(sub, subs, NULL)
	{
		if (!sub->ops->test_young)
			continue;
		young = MN_CALL(sub, "test_young",
				sub->ops->test_young(sub, sub->mm, address));
		if (young)
			break;
	}
	srcu_read_unlock(&subs->nw->srcu, idx);
	return young;
}

/* ---- registration ---- */

/**
 * __mmu_notifier_register - add a subscriber (caller holds mmap_lock)
 * @subscription: ops filled in, or NULL to enable the interval tree
 * @subs: the address space's subscriptions
 *
 * Returns 0, or -EINVAL (reported) for a subscriber with both start/end
 * and arch_invalidate_secondary_tlbs.
 */
int __mmu_notifier_register(struct mmu_notifier *subscription,
			    struct mmu_notifier_subscriptions *subs)
{
	const struct mmu_notifier_ops *ops;

	if (subs->mmap_lock)
		lockdep_assert_held(subs->mmap_lock);
	if (!subscription) {
		spin_lock(&subs->lock);
		mn_store(subs->has_itree, true);
		spin_unlock(&subs->lock);
		return 0;
	}
	ops = subscription->ops;
	if (ops->arch_invalidate_secondary_tlbs && mn_ops_has_start_end(ops)) {
		report_add(
			subs->nw->w, "notifier-ops-conflict",
			"%s: a subscriber may have invalidate_range_start/end or arch_invalidate_secondary_tlbs, not both",
			agent_name());
		return -EINVAL;
	}
	subscription->mm = subs->mm;
	subscription->subscriptions = subs;
	subscription->users = 1;
	subscription->__dead = false;
	subscription->__in_cb = 0;

	spin_lock(&subs->lock);
	subscription->__reg_seq = subs->reg_seq + 1;
	subscription->__id = subscription->__reg_seq;
	mn_store(subscription->next, subs->list);
	mn_store(subscription->__hashed, true);
	if (mn_ops_has_start_end(ops))
		mn_store(subs->nr_start_end, subs->nr_start_end + 1);
	if (ops->arch_invalidate_secondary_tlbs)
		mn_store(subs->nr_secondary_tlbs, subs->nr_secondary_tlbs + 1);
	/* publish, then count it: a range that sees the count sees it */
	mn_store(subs->list, subscription);
	mn_store(subs->reg_seq, subscription->__reg_seq);
	spin_unlock(&subs->lock);
	return 0;
}

/**
 * mmu_notifier_register - add a subscriber
 * @subscription: ops filled in, or NULL to enable the interval tree
 * @subs: the address space's subscriptions
 *
 * Takes the owner's mmap_lock for write if it gave one.  Must be paired
 * with mmu_notifier_unregister().  May sleep.
 */
int mmu_notifier_register(struct mmu_notifier *subscription,
			  struct mmu_notifier_subscriptions *subs)
{
	int ret;

	might_sleep();
	if (subs->mmap_lock)
		down_write(subs->mmap_lock);
	ret = __mmu_notifier_register(subscription, subs);
	if (subs->mmap_lock)
		up_write(subs->mmap_lock);
	return ret;
}

/**
 * mmu_notifier_unregister - remove a subscriber and wait for its callbacks
 * @subscription: a registered subscriber
 * @subs: its subscriptions
 *
 * Calls ->release (unless mmu_notifier_release() has unhashed it
 * already), unhashes it, then waits for an SRCU grace period: once this
 * returns no callback of @subscription runs or will run.  May sleep.
 */
void mmu_notifier_unregister(struct mmu_notifier *subscription,
			     struct mmu_notifier_subscriptions *subs)
{
	struct mmu_notifier_world *nw = subs->nw;
	int idx;

	might_sleep();
	if (mn_load(subscription->__hashed)) {
		/* exit_mmap waits in mmu_notifier_release for this ->release */
		idx = srcu_read_lock(&nw->srcu);
		if (subscription->ops->release)
			mn_call_release(subscription);
		srcu_read_unlock(&nw->srcu, idx);

		spin_lock(&subs->lock);
		if (subscription->__hashed)
			mn_unlink(subs, subscription);
		spin_unlock(&subs->lock);
	}
	/* callbacks still running, ->release from exit included, finish */
	if (!nw->knobs.unregister_skips_sync)
		synchronize_srcu(&nw->srcu);
	mn_sub_mark_dead(subscription, "mmu_notifier_unregister()");
}

static struct mmu_notifier *
find_get_mmu_notifier(struct mmu_notifier_subscriptions *subs,
		      const struct mmu_notifier_ops *ops)
{
	struct mmu_notifier *sub;

	spin_lock(&subs->lock);
	for (sub = subs->list; sub; sub = sub->next) {
		if (sub->ops != ops)
			continue;
		if (sub->users != UINT_MAX)
			sub->users++;
		else
			sub = ERR_PTR(-EOVERFLOW);
		spin_unlock(&subs->lock);
		return sub;
	}
	spin_unlock(&subs->lock);
	return NULL;
}

/**
 * mmu_notifier_get_locked - the one subscriber of @ops on @subs
 * @ops: identifies the subscriber; ops->alloc_notifier makes a new one
 * @subs: the address space's subscriptions
 *
 * Returns the existing subscriber with one more reference, a new one, or
 * an ERR_PTR.  Caller holds mmap_lock for write.  Pair with
 * mmu_notifier_put().
 */
struct mmu_notifier *
mmu_notifier_get_locked(const struct mmu_notifier_ops *ops,
			struct mmu_notifier_subscriptions *subs)
{
	struct mmu_notifier *sub;
	int ret;

	if (subs->mmap_lock)
		lockdep_assert_held(subs->mmap_lock);
	sub = find_get_mmu_notifier(subs, ops);
	if (sub)
		return sub;
	sub = ops->alloc_notifier(subs->mm);
	if (!sub)
		return ERR_PTR(-ENOMEM);
	if (IS_ERR(sub))
		return sub;
	sub->ops = ops;
	ret = __mmu_notifier_register(sub, subs);
	if (ret)
		goto out_free;
	return sub;

out_free:
	ops->free_notifier(sub);
	return ERR_PTR(ret);
}

struct mmu_notifier *mmu_notifier_get(const struct mmu_notifier_ops *ops,
				      struct mmu_notifier_subscriptions *subs)
{
	struct mmu_notifier *sub;

	might_sleep();
	if (subs->mmap_lock)
		down_write(subs->mmap_lock);
	sub = mmu_notifier_get_locked(ops, subs);
	if (subs->mmap_lock)
		up_write(subs->mmap_lock);
	return sub;
}

/* the SRCU callback of mmu_notifier_put(): atomic context */
static void mn_free_notifier(struct mmu_notifier_world *nw,
			     struct mmu_notifier *sub)
{
	mn_sub_mark_dead(sub, "the free after mmu_notifier_put()");
	mn_atomic_begin();
	sub->ops->free_notifier(sub);
	mn_atomic_end();
}

static void mn_free_worker(void *arg)
{
	struct mn_free_work *work = arg;
	struct mmu_notifier_world *nw = work->nw;

	synchronize_srcu(&nw->srcu);
	mn_free_notifier(nw, work->sub);
	__atomic_sub_fetch(&nw->nr_free_pending, 1, __ATOMIC_RELEASE);
	wake_up_all(&nw->free_wq);
}

/* call_srcu() stand-in: free after a grace period, asynchronously */
static void mn_call_srcu_free(struct mmu_notifier_world *nw,
			      struct mmu_notifier *sub)
{
	struct mn_free_work *work;

	if (!current) {
		/* no agent runs: no reader can be inside the SRCU section */
		mn_free_notifier(nw, sub);
		return;
	}
	work = arena_alloc(nw->w, sizeof(*work));
	work->nw = nw;
	work->sub = sub;
	__atomic_add_fetch(&nw->nr_free_pending, 1, __ATOMIC_RELEASE);
	if (agent_create(nw->w, "mn_free", mn_free_worker, work))
		return;
	/* no agent slot left (reported): wait here instead */
	mn_free_worker(work);
}

/**
 * mmu_notifier_put - drop a reference taken by mmu_notifier_get()
 * @subscription: the subscriber
 *
 * The last put unhashes the subscriber and frees it (ops->free_notifier)
 * after an SRCU grace period, asynchronously: ->release is not called.
 * May be called from ->release.
 */
void mmu_notifier_put(struct mmu_notifier *subscription)
{
	struct mmu_notifier_subscriptions *subs = subscription->subscriptions;

	spin_lock(&subs->lock);
	if (!subscription->users) {
		spin_unlock(&subs->lock);
		report_add(
			subs->nw->w, "notifier-misuse",
			"%s: mmu_notifier_put() of mmu_notifier#%u without a reference",
			agent_name(), subscription->__id);
		return;
	}
	if (--subscription->users) {
		spin_unlock(&subs->lock);
		return;
	}
	if (subscription->__hashed)
		mn_unlink(subs, subscription);
	spin_unlock(&subs->lock);
	mn_call_srcu_free(subs->nw, subscription);
}

/**
 * mmu_notifier_synchronize - wait for every free queued by mmu_notifier_put()
 * @nw: the world's notifier state
 *
 * Afterwards no callback of a put subscriber runs.  May sleep.
 */
void mmu_notifier_synchronize(struct mmu_notifier_world *nw)
{
	if (!current)
		return;
	might_sleep();
	wait_event(nw->free_wq,
		   !__atomic_load_n(&nw->nr_free_pending, __ATOMIC_ACQUIRE));
	synchronize_srcu(&nw->srcu);
}

/* ---- interval notifiers ---- */

static int
__mmu_interval_notifier_insert(struct mmu_interval_notifier *isub,
			       struct mmu_notifier_subscriptions *subs,
			       unsigned long start, unsigned long length,
			       const struct mmu_interval_notifier_ops *ops)
{
	unsigned long last;

	isub->mm = subs->mm;
	isub->subscriptions = subs;
	isub->ops = ops;
	interval_tree_node_init(&isub->interval_tree);
	INIT_LIST_HEAD(&isub->deferred_item);
	if (!length || __builtin_add_overflow(start, length - 1, &last)) {
		report_add(subs->nw->w, "notifier-misuse",
			   "%s: interval [%#lx + %#lx) is empty or wraps",
			   agent_name(), start, length);
		return -EOVERFLOW;
	}
	isub->interval_tree.start = start;
	isub->interval_tree.last = last;
	isub->__dead = false;
	isub->__in_cb = 0;

	/*
	 * An invalidation running now may cover the new interval without
	 * knowing it: the interval starts out collided (its seq equals the
	 * current odd invalidate_seq) so read_begin waits for the epoch end.
	 * A frozen tree (odd) cannot change: the insert is deferred.
	 */
	spin_lock(&subs->lock);
	if (subs->active_invalidate_ranges) {
		if (mn_itree_is_invalidating(subs)) {
			list_add(&isub->deferred_item, &subs->deferred_list);
		} else {
			mn_set_invalidate_seq(subs, subs->invalidate_seq | 1);
			interval_tree_insert(&isub->interval_tree,
					     &subs->itree);
		}
		mn_store(isub->invalidate_seq, subs->invalidate_seq);
	} else {
		if (mn_itree_is_invalidating(subs))
			report_add(subs->nw->w, "notifier-misuse",
				   "invalidate_seq odd with no active range");
		/* odd and unequal to the idle (even) invalidate_seq */
		mn_store(isub->invalidate_seq, subs->invalidate_seq - 1);
		interval_tree_insert(&isub->interval_tree, &subs->itree);
	}
	isub->__inserted = true;
	spin_unlock(&subs->lock);
	return 0;
}

/**
 * mmu_interval_notifier_insert - watch [start, start + length)
 * @interval_sub: the interval subscription to insert
 * @subs: the address space's subscriptions
 * @start: first address
 * @length: bytes, at least 1
 * @ops: ops->invalidate is called for overlapping invalidations
 *
 * The interval may not be in the tree yet when this returns (deferred
 * while an invalidation runs); mmu_interval_read_begin() accounts for
 * that.  May sleep (registers for the tree on first use).
 */
int mmu_interval_notifier_insert(struct mmu_interval_notifier *interval_sub,
				 struct mmu_notifier_subscriptions *subs,
				 unsigned long start, unsigned long length,
				 const struct mmu_interval_notifier_ops *ops)
{
	int ret;

	if (!mn_load(subs->has_itree)) {
		ret = mmu_notifier_register(NULL, subs);
		if (ret)
			return ret;
	}
	return __mmu_interval_notifier_insert(interval_sub, subs, start, length,
					      ops);
}

/* the same, with the owner's mmap_lock already held for write */
int mmu_interval_notifier_insert_locked(
	struct mmu_interval_notifier *interval_sub,
	struct mmu_notifier_subscriptions *subs, unsigned long start,
	unsigned long length, const struct mmu_interval_notifier_ops *ops)
{
	int ret;

	if (subs->mmap_lock)
		lockdep_assert_held(subs->mmap_lock);
	if (!mn_load(subs->has_itree)) {
		ret = __mmu_notifier_register(NULL, subs);
		if (ret)
			return ret;
	}
	return __mmu_interval_notifier_insert(interval_sub, subs, start, length,
					      ops);
}

static bool mmu_interval_seq_released(struct mmu_notifier_subscriptions *subs,
				      unsigned long seq)
{
	bool ret;

	spin_lock(&subs->lock);
	ret = subs->invalidate_seq != seq;
	spin_unlock(&subs->lock);
	return ret;
}

/**
 * mmu_interval_notifier_remove - stop watching an interval
 * @interval_sub: an inserted interval
 *
 * If the tree is being invalidated the removal is deferred and this waits
 * for the epoch to end: once it returns, ops->invalidate is not running
 * and will not be called.  May sleep; not from a callback, and not with
 * a lock that ops->invalidate takes (lockdep checks it).
 */
void mmu_interval_notifier_remove(struct mmu_interval_notifier *interval_sub)
{
	struct mmu_notifier_subscriptions *subs = interval_sub->subscriptions;
	unsigned long seq = 0;

	might_sleep();
	spin_lock(&subs->lock);
	if (!interval_sub->__inserted) {
		spin_unlock(&subs->lock);
		report_add(
			subs->nw->w, "notifier-misuse",
			"%s: mmu_interval_notifier_remove() of an interval not inserted",
			agent_name());
		return;
	}
	interval_sub->__inserted = false;
	if (mn_itree_is_invalidating(subs)) {
		if (interval_tree_node_empty(&interval_sub->interval_tree)) {
			/* its insert is still deferred: cancel it */
			list_del_init(&interval_sub->deferred_item);
		} else {
			list_add(&interval_sub->deferred_item,
				 &subs->deferred_list);
			seq = subs->invalidate_seq;
		}
	} else {
		interval_tree_remove(&interval_sub->interval_tree,
				     &subs->itree);
	}
	spin_unlock(&subs->lock);

	/* may wait for an invalidation: must not hold what its callbacks take */
	mn_map_touch(subs->nw);
	if (seq)
		wait_event(subs->wq, mmu_interval_seq_released(subs, seq));

	if (mn_mark_dead(&interval_sub->__dead, &interval_sub->__in_cb))
		report_add(
			subs->nw->w, "notifier-after-unregister",
			"%s: mmu_interval_notifier_remove() returned while mmu_interval_notifier[%#lx-%#lx]->invalidate() is still running",
			agent_name(), interval_sub->interval_tree.start,
			interval_sub->interval_tree.last);
}

/**
 * mmu_interval_read_begin - start reading the primary for this interval
 * @interval_sub: the interval
 *
 * Returns the sequence to hand to mmu_interval_read_retry() once the
 * secondary entry is built and the driver lock held.  If an invalidation
 * of this interval is running, sleeps until its epoch ends (all active
 * ranges ended).  May sleep.
 */
unsigned long
mmu_interval_read_begin(struct mmu_interval_notifier *interval_sub)
{
	struct mmu_notifier_subscriptions *subs = interval_sub->subscriptions;
	unsigned long seq;
	bool is_invalidating;

	/*
	 * The loads sit inside the spinlock's schedule point: set_seq (under
	 * the driver lock) lands either before the lock or after the unlock.
	 */
	spin_lock(&subs->lock);
	seq = __atomic_load_n(&interval_sub->invalidate_seq, __ATOMIC_RELAXED);
	is_invalidating = seq == subs->invalidate_seq;
	spin_unlock(&subs->lock);

	mn_map_touch(subs->nw);
	if (is_invalidating)
		wait_event(subs->wq, __atomic_load_n(&subs->invalidate_seq,
						     __ATOMIC_RELAXED) != seq);
	/* read_retry may already be true here: the caller loops, not us */
	return seq;
}

/* ---- checker helpers ---- */

bool mmu_notifier_check_install_owner(struct mmu_notifier_subscriptions *subs,
				      unsigned long start, unsigned long end,
				      void *owner)
{
	struct world *w;
	struct mn_range_record *r, hit;
	bool found = false;

	if (!subs)
		return false;
	w = subs->nw->w;
	world_lock(w);
	list_for_each_entry(r, &subs->active_ranges, node) {
		if (r->phase != MNR_ACTIVE || r->end <= start ||
		    r->start >= end)
			continue;
		if (owner && r->owner == owner &&
		    (r->event == MMU_NOTIFY_MIGRATE ||
		     r->event == MMU_NOTIFY_EXCLUSIVE))
			continue;
		hit = *r;
		found = true;
		break;
	}
	world_unlock(w);
	if (found)
		report_add(
			w, "install-in-invalidation",
			"%s installs a secondary entry for [%#lx, %#lx) inside the invalidation of [%#lx, %#lx) (%s) started by %s at step %lu",
			agent_name(), start, end, hit.start, hit.end,
			mmu_notifier_event_name(hit.event),
			hit.agent >= 0 ? w->agents[hit.agent]->name : "<none>",
			hit.step);
	return found;
}

/*
 * Whether a range overlapping [start, end) is between its start and its
 * end right now (any phase): a checker's "in flight" test.  world_lock
 * is not a schedule point, so this adds none.
 */
bool mmu_notifier_range_in_flight(struct mmu_notifier_subscriptions *subs,
				  unsigned long start, unsigned long end)
{
	struct mn_range_record *r;
	bool found = false;

	if (!subs)
		return false;
	world_lock(subs->nw->w);
	list_for_each_entry(r, &subs->active_ranges, node) {
		if (r->end > start && r->start < end) {
			found = true;
			break;
		}
	}
	world_unlock(subs->nw->w);
	return found;
}

bool mmu_notifier_check_install(struct mmu_notifier_subscriptions *subs,
				unsigned long start, unsigned long end)
{
	return mmu_notifier_check_install_owner(subs, start, end, NULL);
}

unsigned long
mmu_notifier_active_ranges(struct mmu_notifier_subscriptions *subs)
{
	struct mn_range_record *r;
	unsigned long n = 0;

	world_lock(subs->nw->w);
	list_for_each_entry(r, &subs->active_ranges, node)
		n++;
	world_unlock(subs->nw->w);
	return n;
}

static void mn_check_subs(struct mmu_notifier_subscriptions *subs,
			  struct strbuf *unpaired, struct strbuf *open)
{
	struct world *w = subs->nw->w;
	struct mn_range_record *r;

	list_for_each_entry(r, &subs->active_ranges, node)
		sb_printf(
			unpaired,
			"range [%#lx, %#lx) event %s started by %s at step %lu was never ended\n",
			r->start, r->end, mmu_notifier_event_name(r->event),
			r->agent >= 0 ? w->agents[r->agent]->name : "<none>",
			r->step);
	if (subs->active_invalidate_ranges || (subs->invalidate_seq & 1) ||
	    !list_empty(&subs->deferred_list))
		sb_printf(
			open,
			"interval-tree epoch still open: active_invalidate_ranges=%lu invalidate_seq=%lu deferred updates=%s\n",
			subs->active_invalidate_ranges, subs->invalidate_seq,
			list_empty(&subs->deferred_list) ? "none" : "pending");
}

/**
 * mmu_notifier_world_check - end-of-run checks
 * @nw: the world's notifier state
 *
 * Call from a model's check hook, once no agent runs: every range started
 * must have been ended ("notifier-unpaired"), and every interval-tree
 * epoch closed ("notifier-epoch-open").
 */
void mmu_notifier_world_check(struct mmu_notifier_world *nw)
{
	struct strbuf unpaired = { 0 }, open = { 0 };
	struct mmu_notifier_subscriptions *subs;

	world_lock(nw->w);
	list_for_each_entry(subs, &nw->all_subs, node)
		mn_check_subs(subs, &unpaired, &open);
	world_unlock(nw->w);
	if (unpaired.len)
		report_add(nw->w, "notifier-unpaired", "%s", unpaired.buf);
	if (open.len)
		report_add(nw->w, "notifier-epoch-open", "%s", open.buf);
	sb_free(&unpaired);
	sb_free(&open);
}

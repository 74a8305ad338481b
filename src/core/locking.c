// SPDX-License-Identifier: MIT
/*
 * Models kernel/locking/ (spinlock, rwlock, mutex, rwsem), seqcount,
 * kernel/sched/completion.c and wait.c, and the atomics, over the engine
 * monitor.  One implementation serves both engines.
 *
 * Simplifications: no optimistic spinning, no handoff bits, no priority
 * inheritance; rwsem keeps Linux's writer preference (a down_read() blocks
 * while a writer waits), which is what turns a recursive mmap_lock read
 * into a real deadlock, as in Linux.
 *
 * Locking: a primitive's own state is touched only under its monitor
 * (mon_lock(obj)); lockdep's bookkeeping happens outside the monitor.
 */
#include <errno.h>
#include <limits.h>

#include "lockdep.h"
#include "locking.h"
#include "trace.h"

#define MON(w) ((w)->ops)

void sched_point(enum sp_kind kind, const void *obj)
{
	struct agent *a = current;

	if (!a)
		return;
	a->w->ops->sched_point(a->w, a, kind, obj);
}

void might_sleep(void)
{
	if (current)
		lockdep_sleep_check(current, "might_sleep");
}

void cond_resched(void)
{
	might_sleep();
	sched_point(SP_YIELD, NULL);
}

bool need_resched(void)
{
	struct agent *a = current;
	struct world *w;
	int i;

	if (!a)
		return false;
	w = a->w;
	if (!world_is_det(w))
		return (splitmix64(&a->rng) & 63) == 0;
	/* det: yielding matters only when someone else could run */
	for (i = 0; i < w->nr_agents; i++)
		if (w->agents[i] != a && w->agents[i]->state == AGENT_RUNNABLE)
			return true;
	return false;
}

bool fatal_signal_pending(struct agent *a)
{
	return a && __atomic_load_n(&a->fatal_signal_pending, __ATOMIC_RELAXED);
}

void __lock_init(struct world *w, struct lock_common *l, const char *name,
		 enum lock_kind kind, int subclass)
{
	l->w = w;
	l->name = name;
	l->kind = kind;
	l->class_id = lockdep_class(w, name, subclass);
	world_lock(w);
	l->id = w->next_lock_id++;
	world_unlock(w);
}

static void lockbase_init(struct world *w, struct lockbase *b,
			  const char *name, enum lock_kind kind)
{
	__lock_init(w, &b->dep, name, kind, 0);
	b->s.owner = NULL;
	b->s.readers = 0;
	b->s.writers_waiting = 0;
}

void spin_lock_init(struct world *w, spinlock_t *l, const char *name)
{
	lockbase_init(w, (struct lockbase *)l, name, LK_SPIN);
}

void rwlock_init(struct world *w, rwlock_t *l, const char *name)
{
	lockbase_init(w, (struct lockbase *)l, name, LK_RWLOCK);
}

void mutex_init(struct world *w, struct mutex *l, const char *name)
{
	lockbase_init(w, (struct lockbase *)l, name, LK_MUTEX);
}

void init_rwsem(struct world *w, struct rw_semaphore *l, const char *name)
{
	lockbase_init(w, (struct lockbase *)l, name, LK_RWSEM);
}

static bool is_atomic_kind(const struct lock_common *l)
{
	return l->kind == LK_SPIN || l->kind == LK_RWLOCK;
}

/* Can @m be granted now?  Called under the monitor. */
static bool lock_can_take(struct lockbase *b, enum held_mode m)
{
	if (b->s.owner)
		return false;
	if (m == HELD_WRITE)
		return b->s.readers == 0;
	/* rwsem readers queue behind a waiting writer; rwlock readers don't */
	return b->dep.kind != LK_RWSEM || b->s.writers_waiting == 0;
}

/*
 * The exclusive holder outside any agent (a model's setup or check, an
 * RCU callback on liburcu's thread): the lock must still exclude agents,
 * and its release must know it was a write hold.
 */
#define OWNER_NO_AGENT ((struct agent *)1)

static void lock_take(struct lockbase *b, enum held_mode m, struct agent *a)
{
	if (m == HELD_WRITE)
		__atomic_store_n(&b->s.owner, a ? a : OWNER_NO_AGENT,
				 __ATOMIC_RELAXED);
	else
		b->s.readers++;
}

/*
 * The one acquisition path.  Returns 0, -EBUSY (trylock failed) or -EINTR
 * (killable wait interrupted by a fatal signal).
 */
static int __acquire(struct lockbase *b, enum held_mode m, int subclass,
		     bool trylock, bool killable)
{
	struct lock_common *l = &b->dep;
	struct world *w = l->w;
	struct agent *a = current;
	bool counted_waiter = false;
	int ret = 0;

	if (!is_atomic_kind(l) && !trylock)
		might_sleep();
	sched_point(SP_LOCK, l);
	if (a && !lock_acquire(a, l, m, trylock, subclass)) {
		/* refused recursion: pretend, so the unlock balances */
		lock_acquired(a, l, m, trylock, subclass, true);
		return 0;
	}
	MON(w)->mon_lock(w, l);
	while (!lock_can_take(b, m)) {
		if (trylock) {
			ret = -EBUSY;
			break;
		}
		if (killable && fatal_signal_pending(a)) {
			ret = -EINTR;
			break;
		}
		if (m == HELD_WRITE && l->kind == LK_RWSEM && !counted_waiter) {
			b->s.writers_waiting++;
			counted_waiter = true;
		}
		trace_emit(w, TR_CONTENDED, a ? a->id : -1, l->class_id, l->id,
			   NULL);
		MON(w)->mon_wait(w, a, l, l->name);
	}
	if (counted_waiter) {
		b->s.writers_waiting--;
		if (ret)
			MON(w)->mon_wake(w, l); /* readers may go now */
	}
	if (!ret)
		lock_take(b, m, a);
	MON(w)->mon_unlock(w, l);
	if (ret)
		return ret;
	if (a) {
		lock_acquired(a, l, m, trylock, subclass, false);
		if (is_atomic_kind(l))
			a->preempt_count++;
		trace_emit(w, TR_ACQUIRE, a->id, l->class_id, l->id,
			   m == HELD_READ ? "read" : NULL);
	}
	return 0;
}

static void __release(struct lockbase *b)
{
	struct lock_common *l = &b->dep;
	struct world *w = l->w;
	struct agent *a = current;
	struct held_lock h = { .mode = HELD_WRITE };

	if (a) {
		if (!lock_release(a, l, &h))
			return; /* reported: releasing what we don't hold */
		if (h.bogus)
			return;
		if (is_atomic_kind(l))
			a->preempt_count--;
		trace_emit(w, TR_RELEASE, a->id, l->class_id, l->id, NULL);
	}
	MON(w)->mon_lock(w, l);
	/* no agent, no held-lock stack: a write hold has the sentinel owner */
	if (!a && b->s.owner != OWNER_NO_AGENT && b->s.readers > 0)
		h.mode = HELD_READ;
	if (h.mode == HELD_WRITE)
		__atomic_store_n(&b->s.owner, NULL, __ATOMIC_RELAXED);
	else
		b->s.readers--;
	MON(w)->mon_wake(w, l);
	MON(w)->mon_unlock(w, l);
}

static bool lock_is_held_any(struct lockbase *b)
{
	return __atomic_load_n(&b->s.owner, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&b->s.readers, __ATOMIC_RELAXED);
}

void spin_lock(spinlock_t *l)
{
	__acquire((struct lockbase *)l, HELD_WRITE, 0, false, false);
}

void spin_lock_nested(spinlock_t *l, int subclass)
{
	__acquire((struct lockbase *)l, HELD_WRITE, subclass, false, false);
}

bool spin_trylock(spinlock_t *l)
{
	return !__acquire((struct lockbase *)l, HELD_WRITE, 0, true, false);
}

void spin_unlock(spinlock_t *l)
{
	__release((struct lockbase *)l);
}

bool spin_is_locked(spinlock_t *l)
{
	return lock_is_held_any((struct lockbase *)l);
}

void read_lock(rwlock_t *l)
{
	__acquire((struct lockbase *)l, HELD_READ, 0, false, false);
}

void read_unlock(rwlock_t *l)
{
	__release((struct lockbase *)l);
}

void write_lock(rwlock_t *l)
{
	__acquire((struct lockbase *)l, HELD_WRITE, 0, false, false);
}

void write_unlock(rwlock_t *l)
{
	__release((struct lockbase *)l);
}

void mutex_lock(struct mutex *l)
{
	__acquire((struct lockbase *)l, HELD_WRITE, 0, false, false);
}

int mutex_lock_killable(struct mutex *l)
{
	return __acquire((struct lockbase *)l, HELD_WRITE, 0, false, true);
}

bool mutex_trylock(struct mutex *l)
{
	return !__acquire((struct lockbase *)l, HELD_WRITE, 0, true, false);
}

void mutex_unlock(struct mutex *l)
{
	__release((struct lockbase *)l);
}

bool mutex_is_locked(struct mutex *l)
{
	return lock_is_held_any((struct lockbase *)l);
}

void down_read(struct rw_semaphore *s)
{
	__acquire((struct lockbase *)s, HELD_READ, 0, false, false);
}

int down_read_killable(struct rw_semaphore *s)
{
	return __acquire((struct lockbase *)s, HELD_READ, 0, false, true);
}

bool down_read_trylock(struct rw_semaphore *s)
{
	return !__acquire((struct lockbase *)s, HELD_READ, 0, true, false);
}

void up_read(struct rw_semaphore *s)
{
	__release((struct lockbase *)s);
}

void down_write(struct rw_semaphore *s)
{
	__acquire((struct lockbase *)s, HELD_WRITE, 0, false, false);
}

int down_write_killable(struct rw_semaphore *s)
{
	return __acquire((struct lockbase *)s, HELD_WRITE, 0, false, true);
}

bool down_write_trylock(struct rw_semaphore *s)
{
	return !__acquire((struct lockbase *)s, HELD_WRITE, 0, true, false);
}

void up_write(struct rw_semaphore *s)
{
	__release((struct lockbase *)s);
}

/* Writer becomes a reader without letting another writer in between. */
void downgrade_write(struct rw_semaphore *s)
{
	struct world *w = s->dep.w;
	struct agent *a = current;
	struct held_lock *h = a ? lock_find_held(a, &s->dep) : NULL;

	sched_point(SP_LOCK, s);
	if (a && (!h || h->mode != HELD_WRITE)) {
		report_add(w, "bad-downgrade",
			   "downgrade_write(%s) by %s without holding it for write",
			   s->dep.name, a->name);
		return;
	}
	if (h)
		h->mode = HELD_READ;
	MON(w)->mon_lock(w, s);
	__atomic_store_n(&s->s.owner, NULL, __ATOMIC_RELAXED);
	s->s.readers++;
	MON(w)->mon_wake(w, s);
	MON(w)->mon_unlock(w, s);
}

bool rwsem_is_locked(struct rw_semaphore *s)
{
	return lock_is_held_any((struct lockbase *)s);
}

static void lock_destroy_check(struct lockbase *b)
{
	if (lock_is_held_any(b))
		report_add(b->dep.w, "destroy-held-lock",
			   "lock %s#%u destroyed while held", b->dep.name,
			   b->dep.id);
	lockdep_check_destroy(&b->dep);
}

void spin_lock_destroy(spinlock_t *l)
{
	lock_destroy_check((struct lockbase *)l);
}

void mutex_destroy(struct mutex *l)
{
	lock_destroy_check((struct lockbase *)l);
}

void rwsem_destroy(struct rw_semaphore *l)
{
	lock_destroy_check((struct lockbase *)l);
}

void __lockdep_assert_held(struct lock_common *l, const char *file, int line)
{
	struct agent *a = current;

	if (a && !lock_find_held(a, l))
		report_add(l->w, "lockdep-assert",
			   "%s:%d: %s does not hold %s", file, line, a->name,
			   l->name);
}

/* seqcount_t: readers wait for an even sequence, then retry on change. */
void seqcount_init(struct world *w, seqcount_t *s, const char *name)
{
	__lock_init(w, &s->dep, name, LK_SEQCOUNT, 0);
	s->sequence = 0;
}

unsigned read_seqcount_begin(seqcount_t *s)
{
	struct world *w = s->dep.w;
	unsigned seq;

	sched_point(SP_LOCK, s);
	MON(w)->mon_lock(w, s);
	while ((seq = __atomic_load_n(&s->sequence, __ATOMIC_ACQUIRE)) & 1)
		MON(w)->mon_wait(w, current, s, s->dep.name);
	MON(w)->mon_unlock(w, s);
	return seq;
}

bool read_seqcount_retry(seqcount_t *s, unsigned start)
{
	sched_point(SP_LOCK, s);
	return __atomic_load_n(&s->sequence, __ATOMIC_ACQUIRE) != start;
}

void write_seqcount_begin(seqcount_t *s)
{
	struct world *w = s->dep.w;

	sched_point(SP_LOCK, s);
	MON(w)->mon_lock(w, s);
	__atomic_fetch_add(&s->sequence, 1, __ATOMIC_SEQ_CST);
	MON(w)->mon_unlock(w, s);
}

void write_seqcount_end(seqcount_t *s)
{
	struct world *w = s->dep.w;

	sched_point(SP_UNLOCK, s);
	MON(w)->mon_lock(w, s);
	__atomic_fetch_add(&s->sequence, 1, __ATOMIC_SEQ_CST);
	MON(w)->mon_wake(w, s);
	MON(w)->mon_unlock(w, s);
}

/* completion: a counter of done events, UINT_MAX after complete_all(). */
void init_completion(struct world *w, struct completion *c)
{
	c->w = w;
	c->done = 0;
}

static void __complete(struct completion *c, bool all)
{
	struct world *w = c->w;

	sched_point(SP_WAIT, c);
	MON(w)->mon_lock(w, c);
	if (all)
		c->done = UINT_MAX;
	else if (c->done != UINT_MAX)
		c->done++;
	MON(w)->mon_wake(w, c);
	MON(w)->mon_unlock(w, c);
}

void complete(struct completion *c)
{
	__complete(c, false);
}

void complete_all(struct completion *c)
{
	__complete(c, true);
}

void wait_for_completion(struct completion *c)
{
	struct world *w = c->w;

	might_sleep();
	sched_point(SP_WAIT, c);
	MON(w)->mon_lock(w, c);
	while (!c->done)
		MON(w)->mon_wait(w, current, c, "completion");
	if (c->done != UINT_MAX)
		c->done--;
	MON(w)->mon_unlock(w, c);
}

bool completion_done(struct completion *c)
{
	struct world *w = c->w;
	bool done;

	sched_point(SP_WAIT, c);
	MON(w)->mon_lock(w, c);
	done = c->done != 0;
	MON(w)->mon_unlock(w, c);
	return done;
}

/* wait queues: a wake-up counter closes the check-then-sleep window. */
void init_waitqueue_head(struct world *w, wait_queue_head_t *wq)
{
	wq->w = w;
	wq->wakeups = 0;
}

unsigned long __wq_snapshot(wait_queue_head_t *wq)
{
	struct world *w = wq->w;
	unsigned long seen;

	sched_point(SP_WAIT, wq);
	MON(w)->mon_lock(w, wq);
	seen = wq->wakeups;
	MON(w)->mon_unlock(w, wq);
	return seen;
}

void __wq_wait(wait_queue_head_t *wq, unsigned long seen)
{
	struct world *w = wq->w;

	MON(w)->mon_lock(w, wq);
	while (wq->wakeups == seen)
		MON(w)->mon_wait(w, current, wq, "wait_event");
	MON(w)->mon_unlock(w, wq);
}

void wake_up(wait_queue_head_t *wq)
{
	struct world *w = wq->w;

	sched_point(SP_WAIT, wq);
	MON(w)->mon_lock(w, wq);
	wq->wakeups++;
	MON(w)->mon_wake(w, wq);
	MON(w)->mon_unlock(w, wq);
}

/* atomics: sequentially consistent, each a schedule point */
int atomic_read(atomic_t *v)
{
	sched_point(SP_ATOMIC, v);
	return __atomic_load_n(&v->counter, __ATOMIC_SEQ_CST);
}

void atomic_set(atomic_t *v, int i)
{
	sched_point(SP_ATOMIC, v);
	__atomic_store_n(&v->counter, i, __ATOMIC_SEQ_CST);
}

int atomic_add_return(int i, atomic_t *v)
{
	sched_point(SP_ATOMIC, v);
	return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);
}

void atomic_inc(atomic_t *v)
{
	atomic_add_return(1, v);
}

void atomic_dec(atomic_t *v)
{
	atomic_add_return(-1, v);
}

int atomic_inc_return(atomic_t *v)
{
	return atomic_add_return(1, v);
}

int atomic_dec_return(atomic_t *v)
{
	return atomic_add_return(-1, v);
}

bool atomic_dec_and_test(atomic_t *v)
{
	return atomic_add_return(-1, v) == 0;
}

int atomic_cmpxchg(atomic_t *v, int old, int new)
{
	sched_point(SP_ATOMIC, v);
	__atomic_compare_exchange_n(&v->counter, &old, new, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return old;
}

long atomic_long_read(atomic_long_t *v)
{
	sched_point(SP_ATOMIC, v);
	return __atomic_load_n(&v->counter, __ATOMIC_SEQ_CST);
}

void atomic_long_set(atomic_long_t *v, long i)
{
	sched_point(SP_ATOMIC, v);
	__atomic_store_n(&v->counter, i, __ATOMIC_SEQ_CST);
}

long atomic_long_add_return(long i, atomic_long_t *v)
{
	sched_point(SP_ATOMIC, v);
	return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);
}

/**
 * agent_join - sleep until @a has finished
 * @a: an agent of the caller's world
 *
 * The caller may sleep; joining oneself is reported, not a hang.
 */
void agent_join(struct agent *a)
{
	struct world *w = a->w;

	if (a == current) {
		report_add(w, "self-join", "%s tries to join itself", a->name);
		return;
	}
	might_sleep();
	sched_point(SP_WAIT, a);
	MON(w)->mon_lock(w, a);
	while (__atomic_load_n(&a->state, __ATOMIC_ACQUIRE) != AGENT_DONE)
		MON(w)->mon_wait(w, current, a, "agent_join");
	MON(w)->mon_unlock(w, a);
}

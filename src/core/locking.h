/* SPDX-License-Identifier: MIT */
/*
 * Kernel-shaped primitives for model code: spinlock_t, rwlock_t, struct
 * mutex, struct rw_semaphore, seqcount_t, struct completion,
 * wait_queue_head_t, RCU and SRCU, atomics, cond_resched().
 *
 * Every primitive is one implementation over the engine's monitor (see
 * src/engine/engine.h), so both engines run the same code.  Each lock
 * operation is a schedule point in the deterministic engine and is
 * validated by lockdep (src/core/lockdep.c) in both.
 *
 * Simplifications: spinlocks sleep instead of spinning (same semantics,
 * less wasted CPU); rwsems are writer-preferring like Linux's (a reader
 * blocks while a writer waits), rwlock_t readers are not, again as in
 * Linux (qrwlock lets readers in while a writer waits in interrupt-free
 * context only, which we approximate as always).
 */
#ifndef SECMMU_CORE_LOCKING_H
#define SECMMU_CORE_LOCKING_H

#include "engine/engine.h"
#include "world.h"

enum lock_kind {
	LK_SPIN,
	LK_RWLOCK,
	LK_MUTEX,
	LK_RWSEM,
	LK_SEQCOUNT,
	LK_SRCU,
	LK_RCU,
};

/* What lockdep needs to know of any lock: its first member. */
struct lock_common {
	struct world *w;
	const char *name;
	unsigned short class_id;
	unsigned char kind;
	unsigned id; /* instance id: deterministic per world */
};

/* Owner state shared by every lock type; same layout in each. */
struct lock_word {
	struct agent *owner; /* writer or exclusive holder */
	int readers;
	int writers_waiting; /* rwsem writer preference */
};

struct lockbase {
	struct lock_common dep;
	struct lock_word s;
};

typedef struct {
	struct lock_common dep;
	struct lock_word s;
} spinlock_t;

typedef struct {
	struct lock_common dep;
	struct lock_word s;
} rwlock_t;

struct mutex {
	struct lock_common dep;
	struct lock_word s;
};

struct rw_semaphore {
	struct lock_common dep;
	struct lock_word s;
};

typedef struct {
	struct lock_common dep;
	unsigned sequence;
} seqcount_t;

/* completions and wait queues know their world: RCU callbacks complete
 * them outside any agent */
struct completion {
	struct world *w;
	unsigned done;
};

typedef struct {
	struct world *w;
	unsigned long wakeups;
} wait_queue_head_t;

typedef struct {
	int counter;
} atomic_t;

typedef struct {
	long counter;
} atomic_long_t;

struct rcu_head {
	/* storage for liburcu's own head in the real engine */
	_Alignas(8) unsigned char urcu[16];
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
	struct world *w;
	unsigned long *snap; /* det: grace-period snapshot (arena) */
};

struct srcu_struct {
	struct lock_common dep;
	long count[2];
	int idx;
	struct mutex gp_mutex;
	unsigned long readers_exits[MAX_AGENTS]; /* det grace periods */
	int depth[MAX_AGENTS];
};

/* lock initialisation: `name` is the lockdep class */
void __lock_init(struct world *w, struct lock_common *l, const char *name,
		 enum lock_kind kind, int subclass);
void spin_lock_init(struct world *w, spinlock_t *l, const char *name);
void rwlock_init(struct world *w, rwlock_t *l, const char *name);
void mutex_init(struct world *w, struct mutex *l, const char *name);
void init_rwsem(struct world *w, struct rw_semaphore *l, const char *name);
void seqcount_init(struct world *w, seqcount_t *s, const char *name);
void init_completion(struct world *w, struct completion *c);
void init_waitqueue_head(struct world *w, wait_queue_head_t *wq);
void init_srcu_struct(struct world *w, struct srcu_struct *s,
		      const char *name);

/* destroying a held lock is reported (kernel: mutex_destroy, debug) */
void spin_lock_destroy(spinlock_t *l);
void mutex_destroy(struct mutex *l);
void rwsem_destroy(struct rw_semaphore *l);

void spin_lock(spinlock_t *l);
void spin_lock_nested(spinlock_t *l, int subclass);
bool spin_trylock(spinlock_t *l);
void spin_unlock(spinlock_t *l);
bool spin_is_locked(spinlock_t *l);

void read_lock(rwlock_t *l);
void read_unlock(rwlock_t *l);
void write_lock(rwlock_t *l);
void write_unlock(rwlock_t *l);

void mutex_lock(struct mutex *l);
int mutex_lock_killable(struct mutex *l);
bool mutex_trylock(struct mutex *l);
void mutex_unlock(struct mutex *l);
bool mutex_is_locked(struct mutex *l);

void down_read(struct rw_semaphore *s);
int down_read_killable(struct rw_semaphore *s);
bool down_read_trylock(struct rw_semaphore *s);
void up_read(struct rw_semaphore *s);
void down_write(struct rw_semaphore *s);
int down_write_killable(struct rw_semaphore *s);
bool down_write_trylock(struct rw_semaphore *s);
void up_write(struct rw_semaphore *s);
void downgrade_write(struct rw_semaphore *s);
bool rwsem_is_locked(struct rw_semaphore *s);

unsigned read_seqcount_begin(seqcount_t *s);
bool read_seqcount_retry(seqcount_t *s, unsigned start);
void write_seqcount_begin(seqcount_t *s);
void write_seqcount_end(seqcount_t *s);

void complete(struct completion *c);
void complete_all(struct completion *c);
void wait_for_completion(struct completion *c);
bool completion_done(struct completion *c);

void wake_up(wait_queue_head_t *wq);
#define wake_up_all wake_up
/* sleep on wq until cond holds; cond is re-evaluated after each wake */
#define wait_event(wq, cond)                                                   \
	do {                                                                   \
		unsigned long __seen;                                          \
		might_sleep();                                                 \
		for (;;) {                                                     \
			__seen = __wq_snapshot(&(wq));                         \
			if (cond)                                              \
				break;                                         \
			__wq_wait(&(wq), __seen);                              \
		}                                                              \
	} while (0)
unsigned long __wq_snapshot(wait_queue_head_t *wq);
void __wq_wait(wait_queue_head_t *wq, unsigned long seen);

void rcu_read_lock(void);
void rcu_read_unlock(void);
bool rcu_read_lock_held(void);
void synchronize_rcu(void);
void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *));
void rcu_barrier(void);

int srcu_read_lock(struct srcu_struct *s);
void srcu_read_unlock(struct srcu_struct *s, int idx);
void synchronize_srcu(struct srcu_struct *s);

int atomic_read(atomic_t *v);
void atomic_set(atomic_t *v, int i);
void atomic_inc(atomic_t *v);
void atomic_dec(atomic_t *v);
int atomic_add_return(int i, atomic_t *v);
int atomic_inc_return(atomic_t *v);
int atomic_dec_return(atomic_t *v);
bool atomic_dec_and_test(atomic_t *v);
int atomic_cmpxchg(atomic_t *v, int old, int new);
long atomic_long_read(atomic_long_t *v);
void atomic_long_set(atomic_long_t *v, long i);
long atomic_long_add_return(long i, atomic_long_t *v);

/* READ_ONCE/WRITE_ONCE of modeled shared state: a schedule point each */
#define READ_ONCE(x)                                                           \
	({                                                                     \
		sched_point(SP_MEM, &(x));                                     \
		__atomic_load_n(&(x), __ATOMIC_RELAXED);                       \
	})
#define WRITE_ONCE(x, v)                                                       \
	do {                                                                   \
		sched_point(SP_MEM, &(x));                                     \
		__atomic_store_n(&(x), (v), __ATOMIC_RELAXED);                 \
	} while (0)

/* publish/subscribe an RCU-protected pointer: release store, acquire load */
#define rcu_assign_pointer(p, v)                                               \
	do {                                                                   \
		sched_point(SP_MEM, &(p));                                     \
		__atomic_store_n(&(p), (v), __ATOMIC_RELEASE);                 \
	} while (0)
#define rcu_dereference(p)                                                     \
	({                                                                     \
		sched_point(SP_MEM, &(p));                                     \
		__atomic_load_n(&(p), __ATOMIC_ACQUIRE);                       \
	})

void sched_point(enum sp_kind kind, const void *obj);
void cond_resched(void);
bool need_resched(void);
void might_sleep(void);
bool fatal_signal_pending(struct agent *a);

/* lockdep assertions in the spirit of lockdep_assert_held() */
void __lockdep_assert_held(struct lock_common *l, const char *file, int line);
#define lockdep_assert_held(l) __lockdep_assert_held(&(l)->dep, __FILE__, __LINE__)

#endif

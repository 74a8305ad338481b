// SPDX-License-Identifier: MIT
/*
 * Real-engine RCU over liburcu's membarrier flavour (see rcu_urcu.h).
 *
 * Models nothing by itself: it hands the real engine a genuine userspace
 * RCU so that real threads race against real grace periods.  It must not
 * include src/core/locking.h (liburcu's struct rcu_head and its macros
 * clash with ours).
 *
 * Simplifications: one global RCU domain for the whole process (every
 * world shares liburcu's); callbacks run on liburcu's default call_rcu
 * worker thread.
 *
 * Locking: none of our own.  The registration depth is per thread.  Under
 * ThreadSanitizer three atomics carry the happens-before edges liburcu
 * provides invisibly to TSan; they over-approximate slightly (every
 * earlier read_unlock happens-before a grace period's end, not only the
 * readers that began before it started).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <urcu/urcu-memb.h>

#include "rcu_urcu.h"

_Static_assert(sizeof(struct rcu_head) <= URCU_REAL_STORAGE_SIZE,
	       "liburcu's rcu_head does not fit our storage");
_Static_assert(_Alignof(struct rcu_head) <= 8,
	       "liburcu's rcu_head needs more than 8-byte alignment");

#if defined(__SANITIZE_THREAD__)
#define URCU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define URCU_TSAN 1
#endif
#endif
#ifndef URCU_TSAN
#define URCU_TSAN 0
#endif

#if URCU_TSAN
/*
 * liburcu is not instrumented: its own malloc/free pairs cross threads
 * through queues TSan cannot see.  Ignore what it does inside; the edges
 * that matter to us are added by hb_release()/hb_acquire() below.
 */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
	return "called_from_lib:liburcu-memb.so\n"
	       "called_from_lib:liburcu-common.so\n";
}
#endif

static __thread int urcu_depth; /* registration nesting of this thread */

/* TSan-only happens-before carriers; release RMWs accumulate in TSan. */
static unsigned long hb_readers, hb_callback;

static inline void hb_release(unsigned long *sync)
{
	if (URCU_TSAN)
		__atomic_fetch_add(sync, 1, __ATOMIC_RELEASE);
}

static inline void hb_acquire(unsigned long *sync)
{
	if (URCU_TSAN)
		(void)__atomic_load_n(sync, __ATOMIC_ACQUIRE);
}

void urcu_thread_online(void)
{
	if (urcu_depth++ == 0)
		urcu_memb_register_thread();
}

void urcu_thread_offline(void)
{
	if (urcu_depth <= 0) {
		fprintf(stderr, "secmmu: urcu_thread_offline unbalanced\n");
		abort();
	}
	if (--urcu_depth == 0)
		urcu_memb_unregister_thread();
}

void urcu_real_read_lock(void)
{
	if (caa_unlikely(!urcu_depth)) {
		fprintf(stderr,
			"secmmu: rcu_read_lock on a thread not registered with liburcu\n");
		abort();
	}
	urcu_memb_read_lock();
}

void urcu_real_read_unlock(void)
{
	hb_release(&hb_readers);
	urcu_memb_read_unlock();
}

void urcu_real_synchronize(void)
{
	urcu_memb_synchronize_rcu();
	hb_acquire(&hb_readers);
}

#if URCU_TSAN
/*
 * liburcu's head has no room for our fn, and a trampoline is needed to
 * place the acquire before fn runs, so TSan builds pay one allocation per
 * callback.  The storage is left unused.
 */
struct urcu_tsan_cb {
	struct rcu_head head;
	void (*fn)(void *storage);
	void *storage;
};

static unsigned long hb_call; /* urcu_real_call -> its callback */

static void urcu_tsan_trampoline(struct rcu_head *head)
{
	struct urcu_tsan_cb *cb =
		caa_container_of(head, struct urcu_tsan_cb, head);

	hb_acquire(&hb_call);
	hb_acquire(&hb_readers);
	cb->fn(cb->storage);
	free(cb);
	hb_release(&hb_callback);
}

static void urcu_queue(void *storage, void (*fn)(void *storage))
{
	struct urcu_tsan_cb *cb = malloc(sizeof(*cb));

	if (!cb)
		abort(); /* liburcu itself dies on allocation failure */
	cb->fn = fn;
	cb->storage = storage;
	hb_release(&hb_call);
	urcu_memb_call_rcu(&cb->head, urcu_tsan_trampoline);
}
#else
/*
 * The storage is liburcu's head, so liburcu hands fn the storage pointer
 * itself.  fn is declared with a void * parameter and called through a
 * struct rcu_head * one; the two are the same pointer on every ABI we
 * build for.
 */
static void urcu_queue(void *storage, void (*fn)(void *storage))
{
	void (*cb)(struct rcu_head *) =
		(void (*)(struct rcu_head *))(void (*)(void))fn;

	urcu_memb_call_rcu((struct rcu_head *)storage, cb);
}
#endif

void urcu_real_call(void *storage, void (*fn)(void *storage))
{
	bool temp = !urcu_depth;

	if (temp)
		urcu_thread_online();
	urcu_queue(storage, fn);
	if (temp)
		urcu_thread_offline();
}

void urcu_real_barrier(void)
{
	bool temp = !urcu_depth;

	if (temp)
		urcu_thread_online();
	urcu_memb_barrier();
	if (temp)
		urcu_thread_offline();
	hb_acquire(&hb_callback);
}

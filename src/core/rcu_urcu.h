/* SPDX-License-Identifier: MIT */
/*
 * The real engine's RCU: a thin wrapper around liburcu's membarrier
 * flavour (urcu-memb).  This header and rcu_urcu.c are the only places
 * that know about liburcu; its headers #define rcu_read_lock, call_rcu,
 * synchronize_rcu and declare a struct rcu_head of their own, which would
 * clash with src/core/locking.h, so the two never meet in one file.
 *
 * Threads: every agent thread is registered (urcu_thread_online()) for
 * its whole life.  synchronize, call and barrier may also be called from
 * unregistered threads (the test harness, world_destroy()); they register
 * the thread for the duration of the call.  call_rcu callbacks run on
 * liburcu's call_rcu worker thread, where `current` is NULL.
 *
 * ThreadSanitizer cannot see liburcu's synchronisation (membarrier,
 * futexes, uninstrumented atomics), so under TSan rcu_urcu.c adds the
 * happens-before edges RCU guarantees: read_unlock -> end of a later
 * grace period, call -> callback, callback -> barrier.
 */
#ifndef SECMMU_CORE_RCU_URCU_H
#define SECMMU_CORE_RCU_URCU_H

#define URCU_REAL_STORAGE_SIZE 16 /* bytes, 8-aligned, see urcu_real_call */

void urcu_thread_online(void); /* urcu_memb_register_thread, nests */
void urcu_thread_offline(void); /* urcu_memb_unregister_thread */
void urcu_real_read_lock(void);
void urcu_real_read_unlock(void);
void urcu_real_synchronize(void);
/*
 * Queue fn(storage) to run after a grace period.  storage is
 * URCU_REAL_STORAGE_SIZE bytes, 8-aligned, owned by liburcu until fn runs
 * (it holds liburcu's own rcu_head); fn receives the same pointer.
 */
void urcu_real_call(void *storage, void (*fn)(void *storage));
/* Wait for every callback queued so far; never call it from a callback. */
void urcu_real_barrier(void);

#endif

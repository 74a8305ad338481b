/* SPDX-License-Identifier: MIT */
/*
 * RCU state owned by the world (see rcu.c).
 */
#ifndef SECMMU_CORE_RCU_H
#define SECMMU_CORE_RCU_H

#include "world.h"

struct rcu_state *rcu_state_create(struct world *w);
void rcu_state_reset(struct world *w);
void rcu_state_destroy(struct world *w);
/* det scheduler hook: run callbacks whose grace period has ended */
void rcu_process_callbacks(struct world *w);
/* after a run: wait for every queued callback (rcu_barrier) */
void rcu_barrier_world(struct world *w);
void rcu_callback_blocked(struct world *w, const char *what);

#endif

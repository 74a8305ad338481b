/* SPDX-License-Identifier: MIT */
/*
 * The world: everything one run owns (engine, agents, lockdep, trace,
 * reports, arena).  There is no global mutable state in the library; the
 * only per-thread variable is `current`, the agent running on this OS
 * thread, which mirrors the kernel's `current` and is set by the engine
 * on every switch.
 *
 * Locking: in the real engine, w->lock (a plain pthread mutex, outside the
 * model and invisible to lockdep) serialises lockdep's graph, the report
 * list and agent creation.  Agents touch only their own struct agent
 * fields; the deterministic engine needs no locking at all.
 */
#ifndef SECMMU_CORE_WORLD_H
#define SECMMU_CORE_WORLD_H

#include <pthread.h>
#include <stdio.h>

#include "compiler.h"

#define MAX_AGENTS 52 /* schedule strings name agents a-z, A-Z */
#define MAX_HELD_LOCKS 48

struct world;
struct agent;
struct engine_ops;
struct lock_common;

enum engine_kind {
	ENGINE_DET,
	ENGINE_REAL,
};

enum agent_state {
	AGENT_NEW,	/* created, has not reached its first schedule point */
	AGENT_RUNNABLE, /* parked at a schedule point, may be picked */
	AGENT_BLOCKED,	/* waiting on blocked_on */
	AGENT_DONE,
};

enum held_mode {
	HELD_WRITE,
	HELD_READ,
};

struct held_lock {
	struct lock_common *lock;
	unsigned short class_id;
	unsigned char mode;
	unsigned char trylock : 1;
	unsigned char bogus : 1; /* recursive acquisition we refused */
	unsigned long step;
};

typedef void (*agent_fn)(void *arg);

struct agent {
	struct world *w;
	int id;
	char name[24];
	agent_fn fn;
	void *arg;
	enum agent_state state;
	const void *blocked_on;
	const char *blocked_what;

	/* lockdep: held-lock stack and context */
	struct held_lock held[MAX_HELD_LOCKS];
	int nr_held;
	int preempt_count; /* spinlocks and rwlocks held */
	int rcu_depth;
	unsigned long rcu_exits; /* outermost rcu_read_unlock count */
	bool fatal_signal_pending;
	bool in_noblock; /* inside a non-blockable notifier range */

	unsigned long steps; /* schedule points passed */
	uint64_t rng;	     /* per-agent PRNG (real-engine delays) */

	void *eng; /* engine private (context, thread) */
};

/* One violation found by a checker: `kind` is a stable identifier. */
struct report {
	struct list_head node;
	char kind[40];
	int agent;
	unsigned long step;
	char *text;
};

struct arena_chunk;

struct arena {
	struct arena_chunk *chunks; /* kept across world_reset() */
	struct arena_chunk *cur;
	size_t off;
};

struct policy;

/* world->arch */
enum world_arch {
	WORLD_ARCH_X86,
	WORLD_ARCH_ARM64,
};

struct world_opts {
	enum engine_kind engine;
	unsigned long max_steps; /* det: livelock bound per execution */
	bool trace;		 /* record trace events */
	unsigned real_delay_pct; /* real: % of schedule points that yield */
	uint64_t seed;
	const struct policy *policy; /* copied into the world; NULL = default */
};

struct lockdep;
struct trace;
struct rcu_state;
struct mm_world;

struct world {
	enum engine_kind kind;
	const struct engine_ops *ops;
	void *eng; /* engine private state */
	struct world_opts opts;

	struct agent *agents[MAX_AGENTS];
	int nr_agents;

	struct lockdep *lockdep;
	struct trace *trace;
	struct rcu_state *rcu;

	struct list_head reports;
	int nr_reports;
	unsigned report_mask_seen; /* small dedup helper */

	unsigned long step; /* global schedule-point counter */
	unsigned next_lock_id;
	bool stop; /* an unrecoverable report ends the execution */

	struct arena arena;
	pthread_mutex_t lock; /* real engine only, see header comment */

	/* knobs (src/core/policy.h): read-only while agents run; kept by
	 * world_reset() */
	struct policy *policy;

	/*
	 * The architecture the model follows where x86 and arm64 differ
	 * (enum world_arch): ptep_set_access_flags() on a permission
	 * upgrade (src/mm/memory.c) and the IOMMU after a permission fault
	 * on a cached entry (src/iommu/iommu.c).  WORLD_ARCH_X86 (0) unless
	 * a scenario's `world: arch:` says otherwise; set before agents run.
	 */
	int arch;

	/*
	 * The mm subsystem's state (src/mm/mm_world.c), made by a model's
	 * setup.  It outlives world_reset() so the next execution reuses
	 * its physical memory; mmw_release(w, false) on reset marks it for
	 * reuse, mmw_release(w, true) on destroy frees it.
	 */
	struct mm_world *mmw;
	void (*mmw_release)(struct world *w, bool destroy);

	/* hooks for checkers and tests */
	void *priv;
};

extern __thread struct agent *current;

struct world *world_create(const struct world_opts *opts);
void world_reset(struct world *w);
void world_destroy(struct world *w);

void *arena_alloc(struct world *w, size_t size);
char *arena_strdup(struct world *w, const char *s);

struct agent *agent_create(struct world *w, const char *name, agent_fn fn,
			   void *arg);
int world_run(struct world *w);
/* wait for @a to finish (kthread_stop()-like join); a schedule point */
void agent_join(struct agent *a);

/* Reports: kind is a stable short id ("deadlock", "lockdep-circular"). */
void report_add(struct world *w, const char *kind, const char *fmt, ...)
	__printf(3, 4);
bool report_has(struct world *w, const char *kind);
void report_print_all(struct world *w, FILE *f);

/* A growable string buffer used to format reports and traces. */
struct strbuf {
	char *buf;
	size_t len, cap;
};
void sb_printf(struct strbuf *sb, const char *fmt, ...) __printf(2, 3);
void sb_free(struct strbuf *sb);
void fput_json_str(FILE *f, const char *s);

static inline bool world_is_det(const struct world *w)
{
	return w->kind == ENGINE_DET;
}

static inline void world_lock(struct world *w)
{
	if (!world_is_det(w))
		pthread_mutex_lock(&w->lock);
}

static inline void world_unlock(struct world *w)
{
	if (!world_is_det(w))
		pthread_mutex_unlock(&w->lock);
}

/* splitmix64: seeds and per-execution PRNG streams */
static inline uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif

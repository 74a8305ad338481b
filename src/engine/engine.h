/* SPDX-License-Identifier: MIT */
/*
 * The engine interface.  Model code never calls pthreads: every kernel
 * primitive (src/core/locking.c) is written once on top of a *monitor*
 * abstraction keyed by the primitive's address:
 *
 *   mon_lock(obj) / mon_unlock(obj)  protect the primitive's state
 *   mon_wait(obj)                    sleep until mon_wake(obj); may wake
 *                                    spuriously, callers loop
 *   mon_wake(obj)                    wake every waiter of obj
 *
 * The real engine backs this with hashed pthread mutexes and condition
 * variables; the deterministic engine runs one agent at a time, so
 * mon_lock is a no-op and mon_wait parks the agent as BLOCKED until a
 * wake makes it RUNNABLE again.
 *
 * Lock order (real engine): monitor bucket mutex -> w->lock.  Nothing is
 * taken inside w->lock.
 */
#ifndef SECMMU_ENGINE_ENGINE_H
#define SECMMU_ENGINE_ENGINE_H

#include "core/world.h"

/* Why an agent reached a schedule point: shown in traces. */
enum sp_kind {
	SP_EXPLICIT,
	SP_LOCK,
	SP_UNLOCK,
	SP_ATOMIC,
	SP_RCU,
	SP_WAIT,
	SP_MEM,
	SP_YIELD,
};

struct engine_ops {
	const char *name;
	int (*init)(struct world *w);
	void (*reset)(struct world *w);
	void (*destroy)(struct world *w);
	int (*agent_init)(struct world *w, struct agent *a);
	int (*run)(struct world *w);
	void (*sched_point)(struct world *w, struct agent *a, enum sp_kind k,
			    const void *obj);
	void (*mon_lock)(struct world *w, const void *obj);
	void (*mon_unlock)(struct world *w, const void *obj);
	void (*mon_wait)(struct world *w, struct agent *a, const void *obj,
			 const char *what);
	void (*mon_wake)(struct world *w, const void *obj);
};

extern const struct engine_ops det_engine_ops;
extern const struct engine_ops real_engine_ops;

/*
 * Exploration (deterministic engine only).  A model is a setup function
 * that creates agents in a fresh world, and an optional check function run
 * after all agents finished, which adds reports for violated invariants.
 */
enum strategy {
	STRAT_RANDOM,
	STRAT_PCT,
	STRAT_DFS,
	STRAT_REPLAY,
};

struct explore_result;

struct explore_opts {
	enum strategy strategy;
	uint64_t seed;
	unsigned long iterations; /* 0 = until exhausted (dfs) */
	int bound;		  /* dfs preemption bound, -1 = none */
	int depth;		  /* pct depth d */
	unsigned long max_steps;
	const char *schedule; /* STRAT_REPLAY */
	bool stop_on_violation;
	bool trace;
	/*
	 * with @trace: keep trace_hash instead of trace_json (for a long
	 * execution the run's largest allocation), and no trace_text
	 * either with @trace_no_text
	 */
	bool trace_hash_only, trace_no_text;
	const char *model_name; /* for replay commands in reports */
	int progress_fd;	/* -1: quiet */
	unsigned progress_ms;	/* refresh interval; 0 = 500 ms */
	/*
	 * NULL: the first violating execution is "first" and ends the run
	 * (with stop_on_violation).  Else only an execution reporting this
	 * kind does; "first" is the first such execution, or the first
	 * violating one when none reports it.
	 */
	const char *stop_kind;
	/*
	 * Parallel workers (parallel.c): local execution i (0-based) is
	 * global execution exec_base + i * exec_stride, run with seed
	 * seed + that index; results count executions in global 1-based
	 * numbers.  A zero stride means 1.
	 */
	unsigned long exec_base, exec_stride;
	/*
	 * Called after every execution, with the result so far, the
	 * execution's global number and whether it reported a violation;
	 * returning true ends the run there.
	 */
	bool (*after_exec)(void *arg, const struct explore_result *r,
			   unsigned long exec, bool violating);
	void *after_arg;
	bool no_replay; /* leave the traced replay of the first to the caller */
	/*
	 * dfs split (parallel.c): the decision tree is cut at split_depth
	 * decisions into subtrees numbered in DFS order.  This explorer
	 * runs the subtrees numbered k mod split_jobs == split_k in full and
	 * every other one for a single uncounted execution, stopped once it
	 * passed the cut (to learn the nodes above it).  split_jobs 0 runs none in full (counting
	 * the subtrees).  An execution's number is then its key: subtree
	 * << EXPLORE_SPLIT_SHIFT | index in its subtree, plus 1.  Needs
	 * iterations 0.
	 */
	unsigned split_depth, split_jobs, split_k;
	/*
	 * Shared among explorers instead of split_jobs/split_k: the lowest
	 * subtree no one took yet.  An explorer takes the subtree it reaches
	 * when this still names it, so each subtree runs once, in full, on
	 * whichever explorer gets there first.
	 */
	unsigned long *split_next;
	/* stop before an execution numbered above *stop_above (shared) */
	const unsigned long *stop_above;
};

#define EXPLORE_SPLIT_SHIFT 40

struct model {
	const char *name;
	const char *desc;
	int (*setup)(struct world *w, void *arg);
	void (*check)(struct world *w, void *arg);
	void *arg;
};

#define EXPLORE_MAX_JOBS 64

struct explore_result {
	unsigned long executions;
	unsigned long violating;  /* executions with at least one report */
	unsigned long first_violation; /* 1-based execution, 0 = none */
	uint64_t first_seed;	       /* per-execution seed of the first */
	char *first_schedule;	       /* malloc'd schedule string */
	char *first_report;	       /* malloc'd report text */
	char *last_schedule; /* dfs split: the last owned execution's */
	char first_kind[40];
	char *trace_json; /* malloc'd trace of the first violating (or last) */
	char *trace_text;
	struct explore_kind {
		char kind[40];
		unsigned long count, first_exec;
	} kinds[8]; /* every violation kind seen, in order of discovery */
	int nr_kinds;
	bool first_hit; /* the first reports stop_kind (any kind without one) */
	bool exhausted; /* dfs explored the whole bounded tree */
	bool replay_verified; /* two replays gave the violation, same trace */
	uint64_t trace_hash; /* of trace_json, with trace_hash_only */
	double seconds;
	unsigned long total_steps;
	unsigned long subtrees; /* dfs split: subtrees entered */
	unsigned long max_depth; /* dfs: most decisions in one execution */
	/* explore_parallel(): executions and pid of each worker */
	int nr_workers;
	struct {
		unsigned long executions;
		int pid;
		double cpu_seconds;
	} workers[EXPLORE_MAX_JOBS];
};

int explore(const struct model *m, const struct explore_opts *o,
	    struct explore_result *r);
void explore_result_free(struct explore_result *r);

struct explore_progress {
	double t0, last, interval;
	bool shown;
};
void explore_progress_init(struct explore_progress *p, unsigned ms);
void explore_progress(int fd, struct explore_progress *p,
		      unsigned long executions, unsigned long violating,
		      bool final);
/*
 * Replay @r's first violation twice with tracing: fills r->trace_json,
 * r->trace_text and r->replay_verified.  explore() does it unless
 * o->no_replay.
 */
void explore_replay_first(const struct model *m, const struct explore_opts *o,
			  struct explore_result *r);
/*
 * explore() in @jobs worker processes with disjoint executions (parallel.c);
 * random and pct only.  On failure returns a negative errno and, for a
 * worker that died, a message in @err.
 */
int explore_parallel(const struct model *m, const struct explore_opts *o,
		     int jobs, struct explore_result *r, char *err,
		     size_t errlen);
/* add @w's report kinds to @r->kinds (execution @exec, 1-based) */
void explore_count_kinds(struct explore_result *r, struct world *w,
			 unsigned long exec);
int run_real(const struct model *m, unsigned long iterations,
	     unsigned delay_pct, uint64_t seed, struct explore_result *r);

/* schedule strings: agent 0 = 'a' .. 25 = 'z', 26 = 'A' ..; "a3" = aaa */
int schedule_decode(const char *s, unsigned char **out, size_t *n);
char *schedule_encode(const unsigned char *d, size_t n);

/* det engine internals shared with the explorer */
struct det_ctl;
void det_set_controller(struct world *w, struct det_ctl *ctl);

#endif

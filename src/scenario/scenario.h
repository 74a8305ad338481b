/* SPDX-License-Identifier: MIT */
/*
 * Scenario files: a world, agents with their operation lists, a policy and
 * an expectation, written in YAML (docs/scenario-format.md) and compiled
 * into a struct model (engine.h), so both engines and every exploration
 * strategy run a scenario unchanged.
 *
 * The loader knows only the shape of a file.  What may appear in `world`,
 * which operations agents may use and which values `final` checks may
 * read come from *subsystems* through a registry: a subsystem lists its
 * object kinds (mutexes, counters; later CPUs, processes, devices), its
 * other world keys, its operation types (name, parameter specs, exec
 * function), its final-check values and the violation kinds it reports.
 * The core subsystem (src/scenario/core_ops.c) provides the kernel
 * primitives; the memory model adds its own subsystem the same way.
 *
 * Lifetimes: a struct scenario owns every string and array it points to
 * and outlives the runs of its model (lock class names point into it).
 * Per-execution state (struct sc_run, the object instances) lives in the
 * world's arena and is rebuilt by the model's setup for every execution.
 *
 * Subsystems run in registration order (core, mm, mirror, then added
 * ones): run_init first to last, run_check last to first, so a
 * subsystem built on another one (a device on the mm) is torn down
 * before it.  The `final` checks run before any run_check, while the
 * world is as the agents left it.
 *
 * Locking: loading is single-threaded.  A loaded scenario is read-only
 * while its model runs; ops touch only their world's objects, through the
 * kernel primitives.
 */
#ifndef SECMMU_SCENARIO_SCENARIO_H
#define SECMMU_SCENARIO_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/policy.h"
#include "engine/engine.h"

#define SC_MAX_PARAMS 10
#define SC_NAME_MAX 23	      /* agent names are char[24] */
#define SC_MAX_FILE (1 << 20) /* a scenario file is at most 1 MiB */

struct sc_node;	  /* a parsed YAML node (loader.c) */
struct sc_loader; /* load-time context (loader.c) */
struct sc_run;	  /* one execution (runner.c) */
struct scenario;

enum sc_param_type {
	SCP_INT,
	SCP_BOOL,
	SCP_STRING,
	SCP_KIND,  /* a violation kind ("lost-update"); `expect` may name it */
	SCP_REF,   /* a world object, of the kinds in .kinds */
	SCP_AGENT, /* an agent entry, by name */
};

struct scenario_param {
	const char *name;
	enum sc_param_type type;
	bool required;
	const char *kinds; /* SCP_REF: "mutex|spinlock|rwsem"; NULL = any */
	long min, max;	   /* SCP_INT: range, when min < max */
};

/* One parsed argument: which member is valid follows the param type. */
struct sc_arg {
	bool set;
	long i;	       /* SCP_INT, SCP_BOOL */
	const char *s; /* SCP_STRING, SCP_KIND */
	int ref;       /* SCP_REF: object index; SCP_AGENT: agent index */
};

struct sc_op {
	const struct scenario_op_type *type; /* NULL: a loop */
	int line, col;
	struct sc_arg args[SC_MAX_PARAMS];
	/* loop */
	long times;
	struct sc_op *body;
	int nr_body;
};

/* What an op's exec function sees. */
struct sc_ctx {
	struct sc_run *run;
	struct world *w;
	int agent; /* index into scenario->agents */
	int copy;  /* 0 .. copies - 1 */
};

struct scenario_op_type {
	const char *name;
	const char *help; /* one line */
	/*
	 * Parameters; a NULL name ends the list.  `- op: SCALAR` sets the
	 * first one, `- op: {name: value, ...}` sets them by name, and a bare
	 * `- op` sets none.
	 */
	struct scenario_param params[SC_MAX_PARAMS];
	void (*exec)(struct sc_ctx *x, const struct sc_op *op);
	/*
	 * Optional load-time checks across parameters, after each was
	 * parsed: @key is the op's name, @at[i] parameter i's value node
	 * (NULL when not given); report with sc_error() and return -1.
	 */
	int (*check)(struct sc_loader *ld, const struct sc_op *op,
		     const struct sc_node *key,
		     const struct sc_node *const *at);
};

/* A declared world object (a mutex, a counter, later a process ...). */
struct sc_object {
	const struct scenario_obj_kind *kind;
	const char *name;
	int line, col;
	long value; /* kind-specific setting (counter: initial value) */
	void *cfg;  /* kind-specific settings, allocated by kind->parse */
};

struct scenario_obj_kind {
	const char *kind;      /* "mutex" */
	const char *world_key; /* "mutexes" */
	size_t size;	       /* per-execution instance, in the arena */
	/* `world_key: {NAME: SETTINGS}`: parse SETTINGS (NULL: takes none) */
	int (*parse)(struct sc_loader *ld, struct sc_object *o,
		     const struct sc_node *settings);
	void (*init)(struct world *w, void *inst, const struct sc_object *o);
	/*
	 * Optional: after the whole `world` was read, resolve references to
	 * other objects (sc_get_ref); report with sc_error(), return -1.
	 */
	int (*resolve)(struct sc_loader *ld, struct sc_object *o);
};

/* A world key that is not a list of objects (`cpus: 2`, `memory: 64M`). */
struct scenario_world_key {
	const char *key;
	int (*parse)(struct sc_loader *ld, void *cfg, const struct sc_node *n);
};

/* The left side of a final check: `counter x` in `counter x == 2`. */
struct scenario_value_type {
	const char *name;
	struct scenario_param params[SC_MAX_PARAMS]; /* positional */
	long (*eval)(struct sc_run *run, const struct sc_arg *args);
};

struct scenario_subsys {
	const char *name;
	const struct scenario_obj_kind *kinds;	      /* .kind NULL ends */
	const struct scenario_world_key *world_keys; /* .key NULL ends */
	const struct scenario_op_type *ops;	      /* .name NULL ends */
	const struct scenario_value_type *values;     /* .name NULL ends */
	const char *const *violations; /* kinds it reports, NULL ends */
	size_t cfg_size; /* load-time settings, zeroed, for world_keys */
	/* per execution: state made before the agents start ... */
	void *(*run_init)(struct sc_run *run, const void *cfg);
	/* ... and checked after they all finished (may report) */
	void (*run_check)(struct sc_run *run, void *state);
};

enum sc_cmp { SC_EQ, SC_NE, SC_LT, SC_LE, SC_GT, SC_GE };

struct sc_final {
	const struct scenario_value_type *type;
	struct sc_arg args[SC_MAX_PARAMS];
	enum sc_cmp cmp;
	long value;
	const char *text;      /* "counter x == 2" */
	const char *violation; /* kind reported when false */
	const char *message;   /* optional explanation */
	int line, col;
};

struct sc_agent {
	const char *name;
	int line, col;
	int copies;  /* identical agents NAME.1 .. NAME.N (1: just NAME) */
	long repeat; /* the op list runs this many times */
	struct sc_op *ops;
	int nr_ops;
	bool waited; /* some op waits for it: count its exits */
};

struct sc_pool;

/*
 * A bug-zoo entry (`zoo:` in a scenario): under @buggy the explorer must
 * find @violation within the budget, under @fixed it must run clean.
 */
struct sc_zoo {
	const char *name;
	const char *history; /* one line: CVE / commit */
	const char *violation;
	struct policy buggy, fixed;
	enum strategy strategy;
	unsigned long iterations; /* 0: dfs until exhausted */
	int bound;		  /* dfs preemption bound, -1 = none */
	int depth;		  /* pct depth, 0 = the default (3) */
	unsigned long seed;
	int line;
};

struct scenario {
	const char *file; /* as given to the loader */
	const char *name;
	const char *description;
	struct policy policy; /* preset + set: from the file */
	struct sc_object *objs;
	int nr_objs;
	struct sc_agent *agents;
	int nr_agents;
	int nr_instances; /* agents after copies */
	struct sc_final *finals;
	int nr_finals;
	const char *expect; /* violation kind, or NULL for clean */
	void **subsys_cfg;  /* per registered subsystem */
	int nr_subsys;
	struct model model;
	struct sc_pool *pool;
	struct sc_zoo *zoo; /* NULL unless the file has a `zoo:` block */
};

/* One execution: made by the model's setup in the world's arena. */
struct sc_run {
	struct world *w;
	const struct scenario *sc;
	void **obj;	     /* instance of sc->objs[i] */
	void **subsys_state; /* per subsystem, from run_init */
	struct sc_agent_rt *agents;
	/*
	 * A run_init that cannot build its state (memory cannot be
	 * reserved) sets this to a negative errno: the execution does not
	 * start and the exploration fails with it.
	 */
	int setup_err;
};

/* ---- loading ---- */

/**
 * scenario_load_file - read and compile a scenario file
 * @path: the file; also the name used in messages
 * @err, @errlen: on failure, one line "FILE:LINE:COL: problem"
 *
 * Returns the scenario (free with scenario_free()) or NULL.
 */
struct scenario *scenario_load_file(const char *path, char *err,
				    size_t errlen);
struct scenario *scenario_load_buffer(const char *name, const char *buf,
				      size_t len, char *err, size_t errlen);
void scenario_free(struct scenario *sc);

/* The model that runs @sc (valid while @sc lives). */
const struct model *scenario_model(struct scenario *sc);

/* ---- the registry ---- */

/* the subsystem at @i (built-in ones first), NULL past the end */
const struct scenario_subsys *scenario_subsys_at(int i);
/* add a subsystem (tests, plug-ins); before any load; 0 or -ENOSPC */
int scenario_subsys_register(const struct scenario_subsys *s);
extern const struct scenario_subsys sc_core_subsys;
extern const struct scenario_subsys sc_mm_subsys; /* mm_ops.c */
extern const struct scenario_subsys sc_mirror_subsys; /* mirror_ops.c */

/* mm_ops.c, for other subsystems: the mm of process object @obj ... */
struct mm_struct *sc_mm_of(struct sc_run *run, int obj);
/* ... and the address and length of a region mapped `as: NAME` */
bool sc_mm_region(struct sc_run *run, const char *name, unsigned long *addr,
		  unsigned long *len);
void sc_mm_region_set(struct sc_ctx *x, const struct sc_op *op,
		      const char *name, unsigned long addr, unsigned long len);
extern const struct scenario_subsys sc_dma_subsys; /* dma_ops.c */
extern const struct scenario_subsys sc_pci_subsys; /* pci_ops.c */
/* the object declared at index @idx (load time: an op's check) */
const struct sc_object *sc_loader_object(struct sc_loader *ld, int idx);

/* ---- for subsystems: parse helpers (loader.c) ---- */

/* report "FILE:LINE:COL: <fmt>" at @n; returns -1 (the first error wins) */
int sc_error(struct sc_loader *ld, const struct sc_node *n, const char *fmt,
	     ...) __printf(3, 4);
/* the same at @line:@col (an object's name: sc_object line, col) */
int sc_error_at(struct sc_loader *ld, int line, int col, const char *fmt, ...)
	__printf(4, 5);
bool sc_is_scalar(const struct sc_node *n);
bool sc_is_map(const struct sc_node *n);
bool sc_is_seq(const struct sc_node *n);
bool sc_is_null(const struct sc_node *n);
const char *sc_str(const struct sc_node *n); /* scalar text */
int sc_len(const struct sc_node *n);	     /* items or pairs */
const struct sc_node *sc_seq_item(const struct sc_node *n, int i);
const struct sc_node *sc_map_key(const struct sc_node *n, int i);
const struct sc_node *sc_map_value(const struct sc_node *n, int i);
int sc_get_int(struct sc_loader *ld, const struct sc_node *n, long min,
	       long max, const char *what, long *out);
void *sc_alloc(struct sc_loader *ld, size_t size);
/* @n names an object of one of @kinds ("process|file"): its index */
int sc_get_ref(struct sc_loader *ld, const struct sc_node *n, const char *what,
	       const char *kinds, int *idx);
char *sc_strdup(struct sc_loader *ld, const char *s);

/* ---- for ops: runtime helpers (runner.c) ---- */

static inline void *sc_obj(struct sc_ctx *x, const struct sc_op *op, int param)
{
	return x->run->obj[op->args[param].ref];
}

static inline const char *sc_obj_name(struct sc_ctx *x, const struct sc_op *op,
				      int param)
{
	return x->run->sc->objs[op->args[param].ref].name;
}

/* wait until every copy of agent entry @agent has finished */
void sc_wait_agent(struct sc_ctx *x, int agent);

/* ---- for ops and models: shared helpers (ops_util.c) ---- */

/* report "scenario-error" for op @op: "line N: @what '@val'" */
void sc_op_error(struct sc_ctx *x, const struct sc_op *op, const char *what,
		 const char *val);
/*
 * An access's outcome @got (with @ret its return value and @v the word it
 * read) against its `expect` text @e: "any", @got itself, another word of
 * @outcomes (NULL-terminated: a "value" report), or a number the access
 * must have read; anything else is a scenario-error.  @fmt names the
 * access in a report ("read of va %#lx").
 */
void sc_check_expect(struct sc_ctx *x, const struct sc_op *op, const char *e,
		     const char *got, int ret, uint64_t v,
		     const char *const *outcomes, const char *fmt, ...)
	__printf(8, 9);
/* the folio mapped at @va of @mm, with a reference, or NULL (follow_page) */
struct folio *sc_follow_folio(struct mm_struct *mm, unsigned long va);

#endif

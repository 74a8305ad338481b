// SPDX-License-Identifier: MIT
/*
 * World lifetime, the arena, agents and reports.
 *
 * The explorer builds a world per execution, so creation is cheap: the
 * arena keeps its chunks across world_reset(), and the engine keeps its
 * stacks.  Objects of one execution live in the arena and vanish together.
 *
 * Locking: w->lock (real engine only) guards the report list and agent
 * creation; it is a leaf lock.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "lockdep.h"
#include "policy.h"
#include "rcu.h"
#include "trace.h"
#include "world.h"

__thread struct agent *current;

#define ARENA_CHUNK (256 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	_Alignas(16) unsigned char data[];
};

static struct arena_chunk *arena_new_chunk(size_t size)
{
	struct arena_chunk *c = malloc(sizeof(*c) + size);

	if (!c)
		abort();
	c->next = NULL;
	c->size = size;
	return c;
}

void *arena_alloc(struct world *w, size_t size)
{
	struct arena *ar = &w->arena;
	void *p;

	size = ALIGN_UP(size, (size_t)16);
	world_lock(w);
	while (!ar->cur || ar->off + size > ar->cur->size) {
		struct arena_chunk *next = ar->cur ? ar->cur->next : ar->chunks;

		if (!next || next->size < size) {
			struct arena_chunk *c =
				arena_new_chunk(max(size, (size_t)ARENA_CHUNK));

			/* insert after cur so reset finds it again */
			if (ar->cur) {
				c->next = ar->cur->next;
				ar->cur->next = c;
			} else {
				c->next = ar->chunks;
				ar->chunks = c;
			}
			next = c;
		}
		ar->cur = next;
		ar->off = 0;
	}
	p = ar->cur->data + ar->off;
	ar->off += size;
	world_unlock(w);
	memset(p, 0, size);
	return p;
}

char *arena_strdup(struct world *w, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = arena_alloc(w, n);

	memcpy(p, s, n);
	return p;
}

static void arena_rewind(struct arena *ar)
{
	ar->cur = NULL;
	ar->off = 0;
}

static void arena_free(struct arena *ar)
{
	struct arena_chunk *c = ar->chunks, *n;

	for (; c; c = n) {
		n = c->next;
		free(c);
	}
	ar->chunks = ar->cur = NULL;
}

struct world *world_create(const struct world_opts *opts)
{
	struct world *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->opts = *opts;
	if (!w->opts.max_steps)
		w->opts.max_steps = 200000;
	w->kind = opts->engine;
	w->ops = w->kind == ENGINE_DET ? &det_engine_ops : &real_engine_ops;
	pthread_mutex_init(&w->lock, NULL);
	INIT_LIST_HEAD(&w->reports);
	w->policy = malloc(sizeof(*w->policy));
	if (!w->policy) {
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	if (opts->policy)
		*w->policy = *opts->policy;
	else
		policy_init_default(w->policy);
	w->opts.policy = NULL; /* the caller's copy may not outlive us */
	w->lockdep = lockdep_create(w);
	w->trace = trace_create(w);
	w->rcu = rcu_state_create(w);
	if (w->ops->init(w)) {
		world_destroy(w);
		return NULL;
	}
	return w;
}

static void reports_free(struct world *w)
{
	struct report *r, *n;

	list_for_each_entry_safe(r, n, &w->reports, node) {
		free(r->text);
		free(r);
	}
	INIT_LIST_HEAD(&w->reports);
	w->nr_reports = 0;
}

/* Make the world empty again, keeping its memory for the next execution. */
void world_reset(struct world *w)
{
	rcu_state_reset(w);
	w->ops->reset(w);
	reports_free(w);
	lockdep_reset(w->lockdep);
	trace_reset(w->trace);
	memset(w->agents, 0, sizeof(w->agents));
	w->nr_agents = 0;
	w->step = 0;
	w->next_lock_id = 0;
	w->stop = false;
	w->priv = NULL;
	if (w->mmw_release)
		w->mmw_release(w, false);
	arena_rewind(&w->arena);
}

void world_destroy(struct world *w)
{
	if (!w)
		return;
	rcu_state_destroy(w); /* real engine: runs the last callbacks */
	if (w->mmw_release)
		w->mmw_release(w, true);
	if (w->eng)
		w->ops->destroy(w);
	reports_free(w);
	lockdep_destroy(w->lockdep);
	trace_destroy(w->trace);
	arena_free(&w->arena);
	pthread_mutex_destroy(&w->lock);
	free(w->policy);
	free(w);
}

/**
 * agent_create - add an agent (a thread of the model) to the world
 * @w: the world
 * @name: shown in reports and traces
 * @fn: the agent's body
 * @arg: passed to @fn
 *
 * May be called before world_run() or by a running agent.
 */
struct agent *agent_create(struct world *w, const char *name, agent_fn fn,
			   void *arg)
{
	struct agent *a;

	a = arena_alloc(w, sizeof(*a));
	a->w = w;
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->fn = fn;
	a->arg = arg;
	a->state = AGENT_NEW;
	a->rng = w->opts.seed ^ (0x51ed2701ULL * (unsigned)(w->nr_agents + 1));
	world_lock(w);
	if (w->nr_agents >= MAX_AGENTS) {
		world_unlock(w);
		report_add(w, "too-many-agents", "agent limit %d reached",
			   MAX_AGENTS);
		return NULL;
	}
	a->id = w->nr_agents;
	w->agents[a->id] = a;
	__atomic_store_n(&w->nr_agents, a->id + 1, __ATOMIC_RELEASE);
	world_unlock(w);
	if (w->ops->agent_init(w, a))
		return NULL;
	return a;
}

int world_run(struct world *w)
{
	int ret = w->ops->run(w);

	rcu_barrier_world(w);
	return ret;
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = sb->cap - sb->len;

		va_start(ap, fmt);
		n = vsnprintf(sb->buf ? sb->buf + sb->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			sb->len += n;
			return;
		}
		sb->cap = max(sb->cap * 2, sb->len + n + 256);
		sb->buf = realloc(sb->buf, sb->cap);
		if (!sb->buf)
			abort();
	}
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

void report_add(struct world *w, const char *kind, const char *fmt, ...)
{
	struct report *r = calloc(1, sizeof(*r));
	unsigned idx;
	va_list ap;

	if (!r)
		abort();
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	va_start(ap, fmt);
	if (vasprintf(&r->text, fmt, ap) < 0)
		r->text = NULL;
	va_end(ap);
	r->agent = current ? current->id : -1;
	r->step = __atomic_load_n(&w->step, __ATOMIC_RELAXED);
	world_lock(w);
	list_add_tail(&r->node, &w->reports);
	idx = ++w->nr_reports;
	world_unlock(w);
	/* the trace finds the report's text by its number (trace_to_json) */
	trace_emit(w, TR_VIOLATION, r->agent, 0, idx, r->kind);
}

bool report_has(struct world *w, const char *kind)
{
	struct report *r;
	bool found = false;

	world_lock(w);
	list_for_each_entry(r, &w->reports, node) {
		if (!strcmp(r->kind, kind)) {
			found = true;
			break;
		}
	}
	world_unlock(w);
	return found;
}

void report_print_all(struct world *w, FILE *f)
{
	struct report *r;

	list_for_each_entry(r, &w->reports, node) {
		fprintf(f, "=== violation: %s (agent %s, step %lu) ===\n",
			r->kind,
			r->agent >= 0 && w->agents[r->agent] ?
				w->agents[r->agent]->name :
				"-",
			r->step);
		fprintf(f, "%s\n", r->text ? r->text : "");
	}
}

/* A JSON string literal for @s (or null), escaping what JSON requires. */
void fput_json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

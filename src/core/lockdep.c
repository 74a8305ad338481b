// SPDX-License-Identifier: MIT
/*
 * Models kernel/locking/lockdep.c in miniature: lock classes keyed by name
 * (and subclass, as spin_lock_nested() gives), a per-world graph of
 * "class A was held while class B was taken" edges, and the reports
 * lockdep prints.  A cycle in the graph is reported when its closing edge
 * is added, whether or not this execution deadlocked.
 *
 * Simplifications: no irq-state tracking, no lock chains cache; read
 * acquisitions of rwsems count as ordinary dependencies (as lockdep does
 * for non-recursive readers); rwlock_t read recursion is allowed.
 *
 * Locking: the graph and class table are guarded by w->lock (real
 * engine); an agent's held stack is touched only by that agent.
 */
#include <stdlib.h>
#include <string.h>

#include "lockdep.h"

struct lock_class {
	const char *name;
	int subclass;
};

struct dep_edge {
	unsigned short from, to;
	int agent;
	char agent_name[24];
	unsigned long step;
};

struct lockdep {
	struct world *w;
	struct lock_class classes[MAX_LOCK_CLASSES];
	int nr_classes;
	/* adjacency bitmap, one row per class */
	uint64_t adj[MAX_LOCK_CLASSES][MAX_LOCK_CLASSES / 64];
	uint64_t reported[MAX_LOCK_CLASSES][MAX_LOCK_CLASSES / 64];
	struct dep_edge *edges;
	int nr_edges, cap_edges;
};

struct lockdep *lockdep_create(struct world *w)
{
	struct lockdep *ld = calloc(1, sizeof(*ld));

	if (!ld)
		abort();
	ld->w = w;
	ld->nr_classes = 1; /* class 0 = none */
	ld->classes[0].name = "<none>";
	return ld;
}

void lockdep_reset(struct lockdep *ld)
{
	/* class ids stay stable across executions: only edges go */
	memset(ld->adj, 0, sizeof(ld->adj));
	memset(ld->reported, 0, sizeof(ld->reported));
	ld->nr_edges = 0;
}

void lockdep_destroy(struct lockdep *ld)
{
	if (!ld)
		return;
	free(ld->edges);
	free(ld);
}

unsigned short lockdep_class(struct world *w, const char *name, int subclass)
{
	struct lockdep *ld = w->lockdep;
	unsigned short id = 0;
	int i;

	world_lock(w);
	for (i = 1; i < ld->nr_classes; i++) {
		if (ld->classes[i].subclass == subclass &&
		    !strcmp(ld->classes[i].name, name)) {
			id = i;
			goto out;
		}
	}
	if (ld->nr_classes < MAX_LOCK_CLASSES) {
		id = ld->nr_classes++;
		ld->classes[id].name = name;
		ld->classes[id].subclass = subclass;
	}
out:
	world_unlock(w);
	return id;
}

const char *lockdep_class_name(struct world *w, unsigned short id)
{
	return id < w->lockdep->nr_classes ? w->lockdep->classes[id].name :
					     "?";
}

static bool test_bit2(uint64_t m[][MAX_LOCK_CLASSES / 64], int a, int b)
{
	return m[a][b / 64] >> (b % 64) & 1;
}

static void set_bit2(uint64_t m[][MAX_LOCK_CLASSES / 64], int a, int b)
{
	m[a][b / 64] |= 1ULL << (b % 64);
}

static struct dep_edge *edge_find(struct lockdep *ld, int from, int to)
{
	int i;

	for (i = 0; i < ld->nr_edges; i++)
		if (ld->edges[i].from == from && ld->edges[i].to == to)
			return &ld->edges[i];
	return NULL;
}

static void edge_add(struct lockdep *ld, struct agent *a, int from, int to)
{
	struct dep_edge *e;

	set_bit2(ld->adj, from, to);
	if (ld->nr_edges == ld->cap_edges) {
		ld->cap_edges = ld->cap_edges ? ld->cap_edges * 2 : 64;
		ld->edges = realloc(ld->edges,
				    ld->cap_edges * sizeof(*ld->edges));
		if (!ld->edges)
			abort();
	}
	e = &ld->edges[ld->nr_edges++];
	e->from = from;
	e->to = to;
	e->agent = a->id;
	snprintf(e->agent_name, sizeof(e->agent_name), "%s", a->name);
	e->step = __atomic_load_n(&a->w->step, __ATOMIC_RELAXED);
}

/* BFS from @src; on reaching @dst fills @path (dst first) and its length. */
static int find_path(struct lockdep *ld, int src, int dst, int *path)
{
	short prev[MAX_LOCK_CLASSES];
	int queue[MAX_LOCK_CLASSES];
	int head = 0, tail = 0, n = 0, c, i;

	for (i = 0; i < MAX_LOCK_CLASSES; i++)
		prev[i] = -1;
	prev[src] = src;
	queue[tail++] = src;
	while (head < tail) {
		c = queue[head++];
		if (c == dst)
			break;
		for (i = 0; i < ld->nr_classes; i++) {
			if (prev[i] < 0 && test_bit2(ld->adj, c, i)) {
				prev[i] = c;
				queue[tail++] = i;
			}
		}
	}
	if (prev[dst] < 0)
		return 0;
	for (c = dst; c != src; c = prev[c])
		path[n++] = c;
	path[n++] = src;
	return n;
}

static const char *cname(struct lockdep *ld, int id, char *buf, size_t len)
{
	if (ld->classes[id].subclass)
		snprintf(buf, len, "%s/%d", ld->classes[id].name,
			 ld->classes[id].subclass);
	else
		snprintf(buf, len, "%s", ld->classes[id].name);
	return buf;
}

/* lockdep's "N locks held by TASK:" list, each line after @indent */
static void print_held_indented(struct agent *a, struct strbuf *sb,
				const char *indent)
{
	struct lockdep *ld = a->w->lockdep;
	char b[64];
	int i;

	sb_printf(sb, "%s%d lock%s held by %s:\n", indent, a->nr_held,
		  a->nr_held == 1 ? "" : "s", a->name);
	for (i = 0; i < a->nr_held; i++)
		sb_printf(sb, "%s #%d: (%s)#%u%s, taken at step %lu\n", indent,
			  i, cname(ld, a->held[i].class_id, b, sizeof(b)),
			  a->held[i].lock->id,
			  a->held[i].mode == HELD_READ ? " [read]" : "",
			  a->held[i].step);
}

void lockdep_print_held(struct agent *a, struct strbuf *sb)
{
	print_held_indented(a, sb, "");
}

/* Prints the report the way lockdep's print_circular_bug() lays it out. */
static void report_circular(struct lockdep *ld, struct agent *a, int held,
			    int want, const int *path, int n)
{
	struct strbuf sb = { 0 };
	char b1[64], b2[64];
	int i;

	sb_printf(&sb, "WARNING: possible circular locking dependency detected\n");
	sb_printf(&sb, "%s is trying to acquire lock:\n  (%s)\n", a->name,
		  cname(ld, want, b1, sizeof(b1)));
	sb_printf(&sb, "but %s is already holding lock:\n  (%s)\n", a->name,
		  cname(ld, held, b2, sizeof(b2)));
	sb_printf(&sb, "which lock already depends on the new lock.\n\n");
	sb_printf(&sb, "the existing dependency chain (in reverse order) is:\n");
	/* path[0] = held ... path[n-1] = want: edges want -> ... -> held */
	for (i = 0; i < n - 1; i++) {
		struct dep_edge *e = edge_find(ld, path[i + 1], path[i]);

		sb_printf(&sb, "-> #%d (%s): taken by %s at step %lu while holding (%s)\n",
			  n - 2 - i + 1, cname(ld, path[i], b1, sizeof(b1)),
			  e ? e->agent_name : "?", e ? e->step : 0,
			  cname(ld, path[i + 1], b2, sizeof(b2)));
	}
	sb_printf(&sb, "-> #0 (%s): wanted by %s at step %lu while holding (%s)\n\n",
		  cname(ld, want, b1, sizeof(b1)), a->name,
		  __atomic_load_n(&a->w->step, __ATOMIC_RELAXED),
		  cname(ld, held, b2, sizeof(b2)));
	if (n == 2) {
		struct dep_edge *e = edge_find(ld, want, held);
		const char *other = e ? e->agent_name : "other";

		sb_printf(&sb, " Possible unsafe locking scenario:\n\n");
		sb_printf(&sb, "       %-22s %s\n", other, a->name);
		sb_printf(&sb, "       %-22s %s\n", "----", "----");
		sb_printf(&sb, "  lock(%s);\n", cname(ld, want, b1, sizeof(b1)));
		sb_printf(&sb, "%30slock(%s);\n", "", cname(ld, held, b2, sizeof(b2)));
		sb_printf(&sb, "%30slock(%s);\n", "", cname(ld, want, b1, sizeof(b1)));
		sb_printf(&sb, "  lock(%s);\n\n *** DEADLOCK ***\n\n",
			  cname(ld, held, b2, sizeof(b2)));
	}
	lockdep_print_held(a, &sb);
	report_add(a->w, "lockdep-circular", "%s", sb.buf);
	sb_free(&sb);
}

struct held_lock *lock_find_held(struct agent *a, struct lock_common *l)
{
	int i;

	for (i = a->nr_held - 1; i >= 0; i--)
		if (a->held[i].lock == l)
			return &a->held[i];
	return NULL;
}

static bool check_recursion(struct agent *a, struct lock_common *l,
			    enum held_mode m, unsigned short cls)
{
	struct lockdep *ld = a->w->lockdep;
	struct held_lock *h = lock_find_held(a, l);
	char b[64];
	int i;

	if (h) {
		bool self_deadlock = h->mode == HELD_WRITE || m == HELD_WRITE;

		if (l->kind == LK_RWLOCK && !self_deadlock)
			return true; /* recursive read of rwlock_t is fine */
		report_add(a->w, "recursive-locking",
			   "WARNING: %s: %s tries to take (%s)#%u it already holds%s",
			   self_deadlock ? "AA deadlock" :
					   "possible recursive locking detected",
			   a->name, l->name, l->id,
			   self_deadlock ? "; acquisition refused" : "");
		return !self_deadlock;
	}
	for (i = 0; i < a->nr_held; i++) {
		if (a->held[i].class_id == cls && !a->held[i].trylock) {
			report_add(a->w, "recursive-locking",
				   "WARNING: possible recursive locking detected: %s takes a second (%s) without a nesting annotation",
				   a->name, cname(ld, cls, b, sizeof(b)));
			break;
		}
	}
	return true;
}

bool lock_acquire(struct agent *a, struct lock_common *l, enum held_mode m,
		  bool trylock, int subclass)
{
	struct world *w = a->w;
	struct lockdep *ld = w->lockdep;
	unsigned short cls = subclass ? lockdep_class(w, l->name, subclass) :
					l->class_id;
	int path[MAX_LOCK_CLASSES], n, i;
	bool ok;

	if (trylock)
		return true; /* a trylock cannot deadlock: no dependency */
	ok = check_recursion(a, l, m, cls);
	if (!ok)
		return false;
	world_lock(w);
	for (i = 0; i < a->nr_held; i++) {
		int h = a->held[i].class_id;

		if (h == cls || test_bit2(ld->adj, h, cls))
			continue;
		n = find_path(ld, cls, h, path);
		if (n) {
			if (!test_bit2(ld->reported, h, cls)) {
				set_bit2(ld->reported, h, cls);
				world_unlock(w);
				report_circular(ld, a, h, cls, path, n);
				world_lock(w);
			}
			continue;
		}
		edge_add(ld, a, h, cls);
	}
	world_unlock(w);
	return true;
}

void lock_acquired(struct agent *a, struct lock_common *l, enum held_mode m,
		   bool trylock, int subclass, bool bogus)
{
	struct held_lock *h;

	if (a->nr_held >= MAX_HELD_LOCKS) {
		report_add(a->w, "lockdep-overflow",
			   "%s holds more than %d locks", a->name,
			   MAX_HELD_LOCKS);
		return;
	}
	h = &a->held[a->nr_held++];
	h->lock = l;
	h->class_id = subclass ? lockdep_class(a->w, l->name, subclass) :
				 l->class_id;
	h->mode = m;
	h->trylock = trylock;
	h->bogus = bogus;
	h->step = __atomic_load_n(&a->w->step, __ATOMIC_RELAXED);
}

bool lock_release(struct agent *a, struct lock_common *l,
		  struct held_lock *out)
{
	int i;

	for (i = a->nr_held - 1; i >= 0; i--) {
		if (a->held[i].lock != l)
			continue;
		*out = a->held[i];
		memmove(&a->held[i], &a->held[i + 1],
			(a->nr_held - i - 1) * sizeof(a->held[0]));
		a->nr_held--;
		return true;
	}
	report_add(a->w, "bad-unlock-balance",
		   "WARNING: bad unlock balance detected!\n%s is trying to release lock (%s)#%u but there are no more locks to release!",
		   a->name, l->name, l->id);
	return false;
}

void lockdep_check_destroy(struct lock_common *l)
{
	struct agent *a = current;

	if (a && lock_find_held(a, l))
		report_add(l->w, "destroy-held-lock",
			   "%s destroys (%s)#%u which it holds", a->name,
			   l->name, l->id);
}

void lockdep_sleep_check(struct agent *a, const char *what)
{
	struct strbuf sb = { 0 };

	if (a->in_noblock) {
		sb_printf(&sb, "%s: %s may block inside a non-blockable mmu_notifier range\n",
			  a->name, what);
		lockdep_print_held(a, &sb);
		report_add(a->w, "block-in-nonblock", "%s", sb.buf);
	} else if (a->preempt_count || a->rcu_depth) {
		sb_printf(&sb, "BUG: sleeping function called from invalid context (%s)\n",
			  what);
		sb_printf(&sb, "in_atomic(): %d, rcu_read_lock depth: %d, agent: %s\n",
			  a->preempt_count > 0, a->rcu_depth, a->name);
		lockdep_print_held(a, &sb);
		report_add(a->w, "sleep-in-atomic", "%s", sb.buf);
	}
	sb_free(&sb);
}

/* Agents holding the object @obj (a lock) that @self waits for. */
static int holders_of(struct world *w, const void *obj, int *out)
{
	int i, j, n = 0;

	for (i = 0; i < w->nr_agents; i++) {
		struct agent *b = w->agents[i];

		for (j = 0; j < b->nr_held; j++) {
			if ((const void *)b->held[j].lock == obj) {
				out[n++] = i;
				break;
			}
		}
	}
	return n;
}

/*
 * Both engines call this once no agent can make progress: every blocked
 * agent, what it waits for, who holds that, and the wait-for cycle.
 */
void report_deadlock(struct world *w)
{
	struct strbuf sb = { 0 };
	int holders[MAX_AGENTS], next[MAX_AGENTS], seen[MAX_AGENTS];
	int i, j, n, start = -1;

	sb_printf(&sb, "deadlock: no agent can run, %s\n",
		  "these are blocked:");
	for (i = 0; i < w->nr_agents; i++) {
		struct agent *b = w->agents[i];

		const void *on = __atomic_load_n(&b->blocked_on, __ATOMIC_RELAXED);
		const char *what =
			__atomic_load_n(&b->blocked_what, __ATOMIC_RELAXED);

		next[i] = -1;
		if (__atomic_load_n(&b->state, __ATOMIC_ACQUIRE) != AGENT_BLOCKED)
			continue;
		n = holders_of(w, on, holders);
		sb_printf(&sb, "  %s waits for %s", b->name, what ? what : "?");
		if (n) {
			sb_printf(&sb, " held by");
			for (j = 0; j < n; j++)
				sb_printf(&sb, " %s",
					  w->agents[holders[j]]->name);
			for (j = 0; j < n; j++)
				if (holders[j] != i) {
					next[i] = holders[j];
					break;
				}
			if (next[i] < 0)
				next[i] = holders[0];
		}
		sb_printf(&sb, "\n");
		print_held_indented(b, &sb, "    ");
	}
	/* follow wait-for edges from each blocked agent until one repeats */
	for (i = 0; i < w->nr_agents && start < 0; i++) {
		memset(seen, 0, sizeof(seen));
		for (j = i; j >= 0 && !seen[j]; j = next[j])
			seen[j] = 1;
		if (j >= 0)
			start = j;
	}
	if (start >= 0) {
		sb_printf(&sb, "wait-for cycle: %s", w->agents[start]->name);
		for (j = next[start]; j != start; j = next[j])
			sb_printf(&sb, " -> %s", w->agents[j]->name);
		sb_printf(&sb, " -> %s\n", w->agents[start]->name);
	}
	report_add(w, "deadlock", "%s", sb.buf);
	sb_free(&sb);
}


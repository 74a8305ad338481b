// SPDX-License-Identifier: MIT
/*
 * The explorer: runs a model many times under the deterministic engine,
 * each execution steered by one strategy, and keeps the first failure
 * with everything needed to replay it.
 *
 *   random  uniform choice at every step with more than one runnable
 *           agent; execution i (0-based) of seed S uses seed S+i, so
 *           the report's execution n (1-based) replays with
 *           --seed S+n-1 --iterations 1.
 *   pct     Probabilistic Concurrency Testing (Burckhardt et al., ASPLOS
 *           2010): random distinct priorities, the highest runnable runs,
 *           and at d-1 random steps the running agent drops below all.
 *           The change steps are drawn from [1, k] where k is the step
 *           count of the budget's first execution (at least 100): so
 *           execution i depends on S+i alone, as with random, and J
 *           workers (parallel.c) run exactly the --jobs 1 executions.
 *   dfs     stateless depth-first search of the decision tree with a
 *           preemption bound k (Musuvathi & Qadeer, PLDI 2007): switching
 *           away from an agent that could go on costs one preemption.
 *   replay  follow a recorded decision list, then run non-preemptively.
 *
 * dfs split (--jobs with dfs): the tree is cut at a depth D into subtrees
 * numbered in DFS order; an explorer runs its own subtrees in full and
 * every other one for one uncounted execution, which reveals the nodes
 * above D that the next subtree starts from.  The union over J explorers
 * is the single walk, execution for execution.
 *
 * A decision is recorded only where two or more agents could run; the
 * schedule string names the chosen agent per decision ('a' = agent 0),
 * with run lengths ("a3b" = a a a b).
 *
 * Locking: none; single OS thread per explorer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/trace.h"
#include "det_ctl.h"
#include "engine.h"

struct dfs_node {
	uint64_t runnable, tried;
	signed char chosen, last;
	unsigned short preempt_before;
};

struct explorer {
	struct det_ctl ctl;
	const struct explore_opts *o;
	enum strategy strat;
	uint64_t rng;

	unsigned char *dec; /* this execution's decisions */
	size_t nr_dec, cap_dec;
	const unsigned char *sched;
	size_t nr_sched;

	struct dfs_node *nodes;
	size_t nr_nodes, cap_nodes, pos;
	int preempt;
	bool diverged;

	int prio[MAX_AGENTS];
	uint64_t prio_set;
	unsigned long change[32];
	int nchange;
	unsigned long steps, est_steps;
	size_t skip_depth; /* dfs split: stop this execution at this depth */
};

static int lowest_or_last(uint64_t runnable, int last)
{
	if (last >= 0 && (runnable >> last & 1))
		return last;
	return __builtin_ctzll(runnable);
}

static int nth_bit(uint64_t m, unsigned n)
{
	while (n--)
		m &= m - 1;
	return __builtin_ctzll(m);
}

static void pct_prepare(struct explorer *ex)
{
	int d = ex->o->depth > 0 ? ex->o->depth : 3, j;

	ex->prio_set = 0;
	ex->nchange = min(d - 1, (int)ARRAY_SIZE(ex->change));
	for (j = 0; j < ex->nchange; j++)
		ex->change[j] = 1 + splitmix64(&ex->rng) % ex->est_steps;
}

static int pct_pick(struct explorer *ex, uint64_t runnable, int last)
{
	int d = ex->o->depth > 0 ? ex->o->depth : 3;
	int i, best = -1, j;
	uint64_t m;

	for (j = 0; j < ex->nchange; j++)
		if (ex->change[j] == ex->steps && last >= 0)
			ex->prio[last] = d - 1 - j;
	for (m = runnable; m; m &= m - 1) {
		i = __builtin_ctzll(m);
		if (!(ex->prio_set >> i & 1)) {
			ex->prio[i] = d + (int)(splitmix64(&ex->rng) % 1000000);
			ex->prio_set |= 1ULL << i;
		}
		if (best < 0 || ex->prio[i] > ex->prio[best])
			best = i;
	}
	return best;
}

static struct dfs_node *dfs_push(struct explorer *ex)
{
	if (ex->nr_nodes == ex->cap_nodes) {
		ex->cap_nodes = ex->cap_nodes ? ex->cap_nodes * 2 : 256;
		ex->nodes =
			realloc(ex->nodes, ex->cap_nodes * sizeof(*ex->nodes));
		if (!ex->nodes)
			abort();
	}
	return &ex->nodes[ex->nr_nodes++];
}

static int dfs_pick(struct explorer *ex, uint64_t runnable, int last)
{
	struct dfs_node *n;

	if (ex->pos < ex->nr_nodes) {
		n = &ex->nodes[ex->pos];
		if (n->runnable != runnable)
			ex->diverged = true;
	} else {
		n = dfs_push(ex);
		n->runnable = runnable;
		n->last = last;
		n->preempt_before = ex->preempt;
		n->chosen = lowest_or_last(runnable, last);
		n->tried = 1ULL << n->chosen;
	}
	ex->pos++;
	return n->chosen;
}

/* Move to the next unexplored branch; false when the tree is exhausted. */
static bool dfs_backtrack(struct explorer *ex)
{
	int bound = ex->o->bound;

	ex->nr_nodes = ex->pos;
	while (ex->nr_nodes) {
		struct dfs_node *n = &ex->nodes[ex->nr_nodes - 1];
		uint64_t cand = n->runnable & ~n->tried;

		while (cand) {
			int c = __builtin_ctzll(cand);
			bool preempts = n->last >= 0 &&
					(n->runnable >> n->last & 1) &&
					c != n->last;

			cand &= cand - 1;
			n->tried |= 1ULL << c;
			if (bound < 0 ||
			    n->preempt_before + preempts <= bound) {
				n->chosen = c;
				return true;
			}
		}
		ex->nr_nodes--;
	}
	return false;
}

static void record(struct explorer *ex, int choice)
{
	if (ex->nr_dec == ex->cap_dec) {
		ex->cap_dec = ex->cap_dec ? ex->cap_dec * 2 : 256;
		ex->dec = realloc(ex->dec, ex->cap_dec);
		if (!ex->dec)
			abort();
	}
	ex->dec[ex->nr_dec++] = choice;
}

static int ex_pick(struct det_ctl *c, struct world *w, uint64_t runnable,
		   int nr, int last)
{
	struct explorer *ex = container_of(c, struct explorer, ctl);
	int choice;

	ex->steps++;
	if (ex->strat == STRAT_PCT) {
		choice = pct_pick(ex, runnable, last);
		if (nr > 1)
			record(ex, choice);
		return choice;
	}
	if (nr == 1)
		return __builtin_ctzll(runnable);
	switch (ex->strat) {
	case STRAT_RANDOM:
		choice = nth_bit(runnable, splitmix64(&ex->rng) % nr);
		break;
	case STRAT_DFS:
		choice = dfs_pick(ex, runnable, last);
		if (last >= 0 && (runnable >> last & 1) && choice != last)
			ex->preempt++;
		/* someone else's subtree: the nodes above the cut are known */
		if (ex->skip_depth && ex->pos >= ex->skip_depth)
			w->stop = true;
		break;
	default: /* replay */
		if (ex->nr_dec < ex->nr_sched)
			choice = ex->sched[ex->nr_dec];
		else
			choice = lowest_or_last(runnable, last);
		break;
	}
	record(ex, choice);
	return choice;
}

int schedule_decode(const char *s, unsigned char **out, size_t *n)
{
	size_t cap = 64, len = 0;
	unsigned char *d = malloc(cap);

	if (!d)
		return -ENOMEM;
	while (*s) {
		int id;
		unsigned long rep = 1;

		if (*s >= 'a' && *s <= 'z')
			id = *s - 'a';
		else if (*s >= 'A' && *s <= 'Z')
			id = 26 + *s - 'A';
		else {
			free(d);
			return -EINVAL;
		}
		s++;
		if (*s >= '0' && *s <= '9') {
			char *end;

			rep = strtoul(s, &end, 10);
			if (rep == 0 || rep > 100000000UL) {
				free(d);
				return -EINVAL;
			}
			s = end;
		}
		while (rep--) {
			if (len == cap) {
				unsigned char *nd = realloc(d, cap *= 2);

				if (!nd) {
					free(d);
					return -ENOMEM;
				}
				d = nd;
			}
			d[len++] = id;
		}
	}
	*out = d;
	*n = len;
	return 0;
}

char *schedule_encode(const unsigned char *d, size_t n)
{
	struct strbuf sb = { 0 };
	size_t i = 0, j;

	sb_printf(&sb, "%s", "");
	while (i < n) {
		for (j = i; j < n && d[j] == d[i]; j++)
			;
		sb_printf(&sb, "%c", d[i] < 26 ? 'a' + d[i] : 'A' + d[i] - 26);
		if (j - i > 1)
			sb_printf(&sb, "%zu", j - i);
		i = j;
	}
	return sb.buf;
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *reports_text(struct world *w)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	report_print_all(w, f);
	fclose(f);
	return buf;
}

/* One execution of @m in @w under the controller @ex. */
static int run_one(struct world *w, const struct model *m, struct explorer *ex,
		   uint64_t seed)
{
	int ret;

	ex->rng = seed;
	ex->nr_dec = 0;
	ex->pos = 0;
	ex->preempt = 0;
	ex->steps = 0;
	ex->diverged = false;
	if (ex->strat == STRAT_PCT)
		pct_prepare(ex);
	w->opts.seed = seed;
	det_set_controller(w, &ex->ctl);
	ret = m->setup(w, m->arg);
	if (ret)
		return ret;
	world_run(w);
	if (!w->stop && m->check)
		m->check(w, m->arg);
	if (ex->diverged)
		report_add(w, "nondeterminism",
			   "the model took a different path under the same decisions: it depends on something outside the engine");
	return 0;
}

void explore_count_kinds(struct explore_result *r, struct world *w,
			 unsigned long exec)
{
	/* count executions, not reports: one execution may report a kind often */
	bool seen[ARRAY_SIZE(r->kinds)] = { false };
	struct report *rep;
	int i;

	list_for_each_entry(rep, &w->reports, node) {
		for (i = 0; i < r->nr_kinds; i++)
			if (!strcmp(r->kinds[i].kind, rep->kind))
				break;
		if (i == r->nr_kinds) {
			if (i == (int)ARRAY_SIZE(r->kinds))
				continue;
			r->nr_kinds++;
			snprintf(r->kinds[i].kind, sizeof(r->kinds[i].kind),
				 "%s", rep->kind);
			r->kinds[i].first_exec = exec;
			r->kinds[i].count = 0;
		}
		if (!seen[i])
			r->kinds[i].count++;
		seen[i] = true;
	}
}

static void keep_first(struct explore_result *r, struct world *w,
		       struct explorer *ex, unsigned long exec, uint64_t seed,
		       const char *kind)
{
	struct report *rep = list_first_entry(&w->reports, struct report, node);

	free(r->first_schedule);
	free(r->first_report);
	r->first_violation = exec;
	r->first_seed = seed;
	r->first_schedule = schedule_encode(ex->dec, ex->nr_dec);
	r->first_report = reports_text(w);
	snprintf(r->first_kind, sizeof(r->first_kind), "%s",
		 kind ? kind : rep->kind);
}

/* One traced replay of the kept failure; false on error. */
static bool replay_traced(const struct model *m, const struct explore_opts *o,
			  const struct explore_result *r,
			  struct explore_result *rr, bool hash_only,
			  bool no_text)
{
	struct explore_opts ro = *o;

	ro.strategy = STRAT_REPLAY;
	ro.schedule = r->first_schedule;
	ro.iterations = 1;
	ro.trace = true;
	ro.trace_hash_only = hash_only;
	ro.trace_no_text = no_text;
	ro.seed = r->first_seed;
	ro.progress_fd = -1;
	ro.exec_base = 0;
	ro.exec_stride = 1;
	ro.after_exec = NULL;
	ro.no_replay = false;
	return explore(m, &ro, rr) == 0;
}

/*
 * Re-run the kept failure twice with tracing on: the trace shows its
 * timeline, and comparing the two guards against hidden nondeterminism
 * (a model that reads something outside the engine).  The second replay
 * keeps only a hash of its trace, and the first's JSON is dropped unless
 * the caller traces (--trace): a long execution's trace is held once.
 */
void explore_replay_first(const struct model *m, const struct explore_opts *o,
			  struct explore_result *r)
{
	struct explore_result a, b;
	uint64_t ha;

	if (!replay_traced(m, o, r, &a, !o->trace, false))
		return;
	ha = o->trace ? trace_hash_str(a.trace_json) : a.trace_hash;
	if (replay_traced(m, o, r, &b, true, true)) {
		r->replay_verified = a.first_violation &&
				     !strcmp(a.first_kind, r->first_kind) &&
				     b.first_violation && ha == b.trace_hash;
		explore_result_free(&b);
	}
	free(r->trace_json);
	free(r->trace_text);
	r->trace_json = a.trace_json;
	r->trace_text = a.trace_text;
	a.trace_json = a.trace_text = NULL;
	explore_result_free(&a);
}

/* start the clock; refresh every @ms milliseconds (0: 500) */
void explore_progress_init(struct explore_progress *p, unsigned ms)
{
	p->t0 = p->last = now_sec();
	p->interval = (ms ? ms : 500) / 1000.0;
	p->shown = false;
}

/**
 * explore_progress - the progress line, refreshed at most every interval
 * @fd: where to print it (a terminal), -1 for nowhere
 * @p: the state, set by explore_progress_init()
 * @executions: @violating: counts so far
 * @final: the run is over: finish the line, if one was shown
 *
 * The first line appears one interval into the run, so short runs print
 * nothing.  Each refresh rewrites the line ("\r", then erase to its end).
 */
void explore_progress(int fd, struct explore_progress *p,
		      unsigned long executions, unsigned long violating,
		      bool final)
{
	double t;

	if (fd < 0)
		return;
	t = now_sec();
	if (final ? !p->shown : t - p->last < p->interval)
		return;
	p->last = t;
	p->shown = true;
	dprintf(fd, "\r[explore] %lu executions, %.0f/s, %lu violating\033[K%s",
		executions, executions / (t - p->t0 + 1e-9), violating,
		final ? "\n" : "");
}

/* dfs split: does this explorer run subtree @sub in full? */
static bool split_take(const struct explore_opts *o, unsigned long sub)
{
	unsigned long want = sub;

	if (o->split_next)
		return __atomic_compare_exchange_n(o->split_next, &want,
						   sub + 1, false,
						   __ATOMIC_RELAXED,
						   __ATOMIC_RELAXED);
	return o->split_jobs && sub % o->split_jobs == o->split_k;
}

/**
 * explore - run a model under the deterministic engine
 * @m: the model
 * @o: strategy and budget
 * @r: filled with counts and the first failure, free with
 *     explore_result_free()
 *
 * Returns 0, or a negative errno for bad options or a failing setup.
 */
int explore(const struct model *m, const struct explore_opts *o,
	    struct explore_result *r)
{
	struct explorer ex = { .ctl.pick = ex_pick, .o = o };
	unsigned long i, exec, stride = o->exec_stride ? o->exec_stride : 1;
	bool split = o->strategy == STRAT_DFS && o->split_depth;
	unsigned long sub = 0, idx = 0;
	struct explore_progress prog = { 0 };
	unsigned char *sched = NULL;
	double t0 = now_sec();
	bool ran = false, calibrated = o->strategy != STRAT_PCT;
	struct world *w;
	bool hit, own = true, last_own = false;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (split && o->iterations)
		return -EINVAL;
	ex.strat = o->strategy;
	ex.est_steps = 100;
	if (o->strategy == STRAT_REPLAY) {
		if (!o->schedule ||
		    schedule_decode(o->schedule, &sched, &ex.nr_sched))
			return -EINVAL;
		ex.sched = sched;
	}
	w = world_create(&(struct world_opts){ .engine = ENGINE_DET,
					       .max_steps = o->max_steps,
					       .trace = o->trace,
					       .seed = o->seed });
	if (!w) {
		free(sched);
		return -ENOMEM;
	}
	/* pct: learn the step estimate from the budget's first execution */
	if (!calibrated && o->exec_base) {
		ret = run_one(w, m, &ex, o->seed);
		ex.est_steps = max(ex.est_steps, ex.steps);
		calibrated = ran = true;
	}
	r->subtrees = split;
	explore_progress_init(&prog, o->progress_ms);
	for (i = 0; !ret && (!o->iterations || i < o->iterations); i++) {
		/* exec: this execution's global 1-based number */
		uint64_t seed = o->seed + o->exec_base + i * stride;

		exec = o->exec_base + i * stride + 1;
		if (split) {
			exec = (sub << EXPLORE_SPLIT_SHIFT | idx) + 1;
			seed = o->seed;
		}
		if (o->stop_above &&
		    exec > __atomic_load_n(o->stop_above, __ATOMIC_RELAXED))
			break;
		if (split && !idx)
			own = split_take(o, sub);
		ex.skip_depth = own ? 0 : o->split_depth;
		if (ran)
			world_reset(w);
		ran = true;
		ret = run_one(w, m, &ex, seed);
		if (ret)
			break;
		r->max_depth = max(r->max_depth, (unsigned long)ex.pos);
		if (!calibrated) {
			ex.est_steps = max(ex.est_steps, ex.steps);
			calibrated = true;
		}
		last_own = own;
		if (!own) {
			/* someone else's subtree: only its nodes above the cut */
			ex.pos = min(ex.pos, (size_t)o->split_depth);
			goto next;
		}
		r->executions++;
		r->total_steps += w->step;
		hit = w->nr_reports &&
		      (!o->stop_kind || report_has(w, o->stop_kind));
		if (w->nr_reports) {
			r->violating++;
			explore_count_kinds(r, w, exec);
			if (!r->first_violation || (hit && !r->first_hit))
				keep_first(r, w, &ex, exec, seed,
					   hit ? o->stop_kind : NULL);
			r->first_hit |= hit;
		}
		if (o->trace && (w->nr_reports ? r->first_violation == exec :
						 !r->first_violation)) {
			free(r->trace_json);
			free(r->trace_text);
			r->trace_json = r->trace_text = NULL;
			if (o->trace_hash_only) {
				r->trace_hash = trace_json_hash(w);
				if (!o->trace_no_text)
					r->trace_text = trace_to_text(w);
			} else {
				r->trace_json = trace_to_json(w);
				r->trace_text = trace_to_text(w);
			}
		}
		if (o->after_exec &&
		    o->after_exec(o->after_arg, r, exec, w->nr_reports))
			break;
		if (hit && o->stop_on_violation)
			break;
		if (o->strategy == STRAT_REPLAY)
			break;
next:
		if (o->strategy == STRAT_DFS) {
			if (!dfs_backtrack(&ex)) {
				r->exhausted = true;
				break;
			}
			/* a new choice above the cut starts the next subtree */
			if (split && ex.nr_nodes <= o->split_depth) {
				sub++;
				idx = 0;
				r->subtrees++;
			} else if (split) {
				idx++;
			}
		}
		explore_progress(o->progress_fd, &prog, r->executions,
				 r->violating, false);
	}
	explore_progress(o->progress_fd, &prog, r->executions, r->violating,
			 true);
	r->seconds = now_sec() - t0;
	if (split && last_own && !ret)
		r->last_schedule = schedule_encode(ex.dec, ex.nr_dec);
	world_destroy(w);
	free(sched);
	free(ex.dec);
	free(ex.nodes);
	if (!ret && r->first_violation && o->strategy != STRAT_REPLAY &&
	    !o->no_replay)
		explore_replay_first(m, o, r);
	else if (!ret && r->first_violation)
		r->replay_verified = true; /* this run was the replay */
	return ret;
}

void explore_result_free(struct explore_result *r)
{
	free(r->first_schedule);
	free(r->first_report);
	free(r->last_schedule);
	free(r->trace_json);
	free(r->trace_text);
	memset(r, 0, sizeof(*r));
}

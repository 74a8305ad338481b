// SPDX-License-Identifier: MIT
/*
 * Parallel exploration (secmmu --jobs J): explore() in J forked worker
 * processes, merged into one explore_result that does not depend on
 * timing.
 *
 * Partition: worker k of J runs the global executions k, k + J, k + 2J,
 * ... (0-based) of the budget, execution g with seed S + g.  Interleaving
 * rather than contiguous blocks keeps every worker near the start of the
 * budget, where a --jobs 1 run looks first; and for the random strategy
 * the J workers run exactly the executions of the --jobs 1 run with the
 * same seed, so numbers and seeds in the report mean the same thing
 * whatever J.  pct draws its change points from the step count of the
 * budget's first execution, which a worker that does not own it runs
 * once, uncounted (explore.c), so pct's executions are the --jobs 1 ones
 * too.
 *
 * Stopping: with stop_on_violation, a worker that finds the stop kind
 * publishes the execution's number in a shared "cut" (an atomic minimum
 * in a MAP_SHARED page) and stops; every worker stops before running an
 * execution numbered above the cut.  So every execution up to the
 * smallest violating one, g, runs, and the report covers exactly the
 * executions 1..g: the others, which ran only because of timing, are
 * dropped.  To drop them each worker logs, for every violating execution,
 * its number and how many reports of each kind it made.  For random the
 * report is then the --jobs 1 report; for any strategy it depends only on
 * seed, budget and J.  The parent produces the traces by replaying the
 * first violation, as explore() does.
 *
 * Protocol, worker -> parent, text on a pipe:
 *   P <executions> <violating>\n   progress (only when the parent shows it)
 *   E <errno>\n                    explore() failed; then EOF
 *   R\n <record>                   the worker's result; then EOF
 * The record is "key value\n" lines; a string is "key LEN\n", LEN bytes,
 * "\n"; the log is "log N\n" and N lines "EXEC KIND COUNT".
 *
 * dfs: the parent picks a cut depth D (choose_split_depth); the workers
 * walk the tree above D in the same order and each subtree below D runs
 * in full on the first worker to reach it (a shared "next subtree"
 * counter next to the cut; explore.c's split mode).  Which worker ran a
 * subtree depends on timing; what the merge computes does not.  Its executions carry keys (subtree, index) instead of global
 * numbers; each worker reports the size of every subtree it ran, and the
 * merge lays the subtrees end to end to number every execution as a
 * --jobs 1 walk does.  The cut (stop_on_violation) holds a key: every
 * key below it runs, so the subtrees before the cut's are complete.
 *
 * Simplifications: replay is not split, nor is a dfs with an execution
 * budget (the budget's end is a global number no worker knows):
 * explore_parallel() refuses them.  A clean run's trace is that of
 * the last execution, re-run alone in the parent.  total_steps counts
 * every execution run, dropped or not.  A log costs 16 bytes per
 * violating execution that does not stop the run.
 *
 * Lifetime: a worker dies with its parent (PR_SET_PDEATHSIG, checked
 * against a parent that died before the worker set it), and a parent
 * that gets SIGINT or SIGTERM forwards it to its workers, reaps them and
 * then dies of the signal itself, so no worker outlives the command.
 * The signal handler needs the worker pids: they sit in a static array,
 * the one piece of process-wide state here (a signal handler has no
 * other way to find them; only one explore_parallel() runs at a time).
 *
 * Locking: the cut is the only shared memory, read and lowered with
 * __atomic builtins (relaxed: a stale value only costs extra work that
 * the merge drops).  The parent is single-threaded and talks to its
 * workers only through pipes.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

#define NO_CUT ULONG_MAX

/* one violating execution's reports of one kind (index into kinds[]) */
struct vlog {
	unsigned long exec;
	unsigned kind, count;
};

/* dfs: the executions a worker ran of one subtree */
struct vsize {
	unsigned long sub, size;
};

struct worker_ctx {
	int out;
	unsigned long *cut; /* shared; NULL without stop_on_violation */
	unsigned long stride;
	bool dfs;
	struct vlog *log;
	size_t nr_log, cap_log;
	struct vsize *sizes;
	size_t nr_sizes, cap_sizes;
	unsigned long prev[ARRAY_SIZE(((struct explore_result *)0)->kinds)];
	bool progress;
	double last, interval;
};

struct worker {
	pid_t pid;
	int rd; /* the result pipe's read end */
	char *buf;
	size_t len, cap, pos;
	bool in_record, done, failed;
	int err;
	unsigned long executions, violating;
	struct explore_result r;
	struct vlog *log;
	size_t nr_log;
	struct vsize *sizes;
	size_t nr_sizes;
	bool exhausted;
};

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= k;
	}
	return 0;
}

/* ---- worker side ---- */

static void log_add(struct worker_ctx *wc, unsigned long exec, unsigned kind,
		    unsigned long count)
{
	if (wc->nr_log == wc->cap_log) {
		wc->cap_log = wc->cap_log ? 2 * wc->cap_log : 256;
		wc->log = realloc(wc->log, wc->cap_log * sizeof(*wc->log));
		if (!wc->log)
			abort();
	}
	wc->log[wc->nr_log++] = (struct vlog){ exec, kind, count };
}

/* dfs: execution @exec (a split key plus 1) ran: grow its subtree's size */
static void size_add(struct worker_ctx *wc, unsigned long exec)
{
	unsigned long sub = (exec - 1) >> EXPLORE_SPLIT_SHIFT;
	unsigned long idx = (exec - 1) & ((1UL << EXPLORE_SPLIT_SHIFT) - 1);

	if (wc->nr_sizes && wc->sizes[wc->nr_sizes - 1].sub == sub) {
		wc->sizes[wc->nr_sizes - 1].size = idx + 1;
		return;
	}
	if (wc->nr_sizes == wc->cap_sizes) {
		wc->cap_sizes = wc->cap_sizes ? 2 * wc->cap_sizes : 64;
		wc->sizes =
			realloc(wc->sizes, wc->cap_sizes * sizeof(*wc->sizes));
		if (!wc->sizes)
			abort();
	}
	wc->sizes[wc->nr_sizes++] = (struct vsize){ sub, idx + 1 };
}

static void cut_lower(unsigned long *cut, unsigned long exec)
{
	unsigned long c = __atomic_load_n(cut, __ATOMIC_RELAXED);

	while (exec < c &&
	       !__atomic_compare_exchange_n(cut, &c, exec, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static bool worker_after(void *arg, const struct explore_result *r,
			 unsigned long exec, bool violating)
{
	struct worker_ctx *wc = arg;
	size_t nr_log = wc->nr_log;
	int i;

	if (wc->dfs)
		size_add(wc, exec);
	if (!wc->cut && !wc->dfs)
		goto progress;
	/*
	 * What this execution added to the kinds: log it, for the merge; a
	 * count of 0 marks a violating execution whose kinds did not fit.
	 */
	for (i = 0; violating && i < r->nr_kinds; i++)
		if (r->kinds[i].count != wc->prev[i])
			log_add(wc, exec, i, r->kinds[i].count - wc->prev[i]);
	if (violating && nr_log == wc->nr_log)
		log_add(wc, exec, 0, 0);
	for (i = 0; i < r->nr_kinds; i++)
		wc->prev[i] = r->kinds[i].count;
	if (wc->cut && r->first_hit && r->first_violation == exec)
		cut_lower(wc->cut, exec);
	/* dfs: explore() itself stops before a key above the cut */
	if (wc->cut && !wc->dfs &&
	    exec + wc->stride > __atomic_load_n(wc->cut, __ATOMIC_RELAXED))
		return true;
progress:
	if (wc->progress && now_sec() - wc->last >= wc->interval) {
		wc->last = now_sec();
		dprintf(wc->out, "P %lu %lu\n", r->executions, r->violating);
	}
	return false;
}

static void put_str(FILE *f, const char *key, const char *s)
{
	s = s ? s : "";
	fprintf(f, "%s %zu\n%s\n", key, strlen(s), s);
}

static int write_record(int fd, const struct explore_result *r,
			const struct worker_ctx *wc)
{
	char *buf = NULL;
	size_t len = 0, j;
	FILE *f = open_memstream(&buf, &len);
	int i, ret;

	if (!f)
		return -1;
	fprintf(f,
		"R\nexecutions %lu\nviolating %lu\ntotal_steps %lu\n"
		"first_violation %lu\nfirst_seed %" PRIu64 "\nfirst_hit %d\n"
		"exhausted %d\n",
		r->executions, r->violating, r->total_steps, r->first_violation,
		r->first_seed, r->first_hit, r->exhausted);
	put_str(f, "first_kind", r->first_kind);
	put_str(f, "first_schedule", r->first_schedule);
	put_str(f, "first_report", r->first_report);
	put_str(f, "last_schedule", r->last_schedule);
	fprintf(f, "kinds %d\n", r->nr_kinds);
	for (i = 0; i < r->nr_kinds; i++) {
		fprintf(f, "count %lu\nfirst_exec %lu\n", r->kinds[i].count,
			r->kinds[i].first_exec);
		put_str(f, "kind", r->kinds[i].kind);
	}
	fprintf(f, "log %zu\n", wc->nr_log);
	for (j = 0; j < wc->nr_log; j++)
		fprintf(f, "%lu %u %u\n", wc->log[j].exec, wc->log[j].kind,
			wc->log[j].count);
	fprintf(f, "sizes %zu\n", wc->nr_sizes);
	for (j = 0; j < wc->nr_sizes; j++)
		fprintf(f, "%lu %lu\n", wc->sizes[j].sub, wc->sizes[j].size);
	fprintf(f, "end\n");
	if (fclose(f)) {
		free(buf);
		return -1;
	}
	ret = write_all(fd, buf, len);
	free(buf);
	return ret;
}

static __attribute__((noreturn)) void
worker_main(const struct model *m, const struct explore_opts *o, int k,
	    int jobs, unsigned long n, int out, unsigned long *cut)
{
	struct worker_ctx wc = {
		.out = out,
		.cut = o->stop_on_violation ? cut : NULL,
		.stride = jobs,
		.dfs = o->strategy == STRAT_DFS,
		.progress = o->progress_fd >= 0,
		.last = now_sec(),
		.interval = (o->progress_ms ? o->progress_ms : 500) / 2000.0
	};
	struct explore_opts wo = *o;
	struct explore_result r;
	int ret;

	if (wc.dfs) {
		/* o->split_depth was chosen by the parent */
		wo.split_next = cut + 1;
		wo.stop_above = wc.cut;
	} else {
		wo.exec_base = k;
		wo.exec_stride = jobs;
		wo.iterations = n;
	}
	wo.progress_fd = -1;
	wo.trace = false;
	wo.no_replay = true;
	wo.after_exec = worker_after;
	wo.after_arg = &wc;
	ret = explore(m, &wo, &r);
	if (ret) {
		dprintf(out, "E %d\n", -ret);
		_exit(1);
	}
	ret = write_record(out, &r, &wc);
	_exit(ret ? 1 : 0);
}

/* ---- parent side: the record ---- */

struct rd {
	const char *p, *end;
};

static int rd_num(struct rd *d, const char *key, unsigned long long *v)
{
	size_t kl = strlen(key);
	char *e;

	if (d->end - d->p < (long)kl + 2 || memcmp(d->p, key, kl) ||
	    d->p[kl] != ' ' || d->p[kl + 1] < '0' || d->p[kl + 1] > '9')
		return -1;
	errno = 0;
	*v = strtoull(d->p + kl + 1, &e, 10);
	if (errno || e >= d->end || *e != '\n')
		return -1;
	d->p = e + 1;
	return 0;
}

static int rd_str(struct rd *d, const char *key, char **out)
{
	unsigned long long n;

	if (rd_num(d, key, &n) || (unsigned long long)(d->end - d->p) < n + 1 ||
	    d->p[n] != '\n')
		return -1;
	*out = strndup(d->p, n);
	if (!*out)
		abort();
	d->p += n + 1;
	return 0;
}

/* "KEY N\n" before N records of @size bytes each: a zeroed array for them */
static void *rd_array(struct rd *d, const char *key, size_t size,
		      unsigned long long *n)
{
	void *a;

	/* a record takes a line: more than the bytes left is a bad count */
	if (rd_num(d, key, n) || *n > (unsigned long long)(d->end - d->p))
		return NULL;
	a = calloc(*n ? *n : 1, size);
	if (!a)
		abort();
	return a;
}

static int rd_log(struct rd *d, struct worker *wk, unsigned nr_kinds)
{
	unsigned long long n, i;

	wk->log = rd_array(d, "log", sizeof(*wk->log), &n);
	if (!wk->log)
		return -1;
	for (i = 0; i < n; i++) {
		struct vlog *l = &wk->log[i];
		int used;

		if (sscanf(d->p, "%lu %u %u\n%n", &l->exec, &l->kind, &l->count,
			   &used) != 3 ||
		    (l->kind >= nr_kinds && l->count))
			return -1;
		d->p += used;
	}
	wk->nr_log = n;
	return 0;
}

static int rd_sizes(struct rd *d, struct worker *wk)
{
	unsigned long long n, i;

	wk->sizes = rd_array(d, "sizes", sizeof(*wk->sizes), &n);
	if (!wk->sizes)
		return -1;
	for (i = 0; i < n; i++) {
		struct vsize *z = &wk->sizes[i];
		int used;

		if (sscanf(d->p, "%lu %lu\n%n", &z->sub, &z->size, &used) !=
			    2 ||
		    z->sub >> (64 - EXPLORE_SPLIT_SHIFT) || !z->size)
			return -1;
		d->p += used;
	}
	wk->nr_sizes = n;
	return 0;
}

static int parse_record(struct worker *wk)
{
	struct explore_result *r = &wk->r;
	struct rd d = { wk->buf + wk->pos, wk->buf + wk->len };
	unsigned long long v[7], nk, c, f;
	static const char *const keys[] = { "executions",  "violating",
					    "total_steps", "first_violation",
					    "first_seed",  "first_hit",
					    "exhausted" };
	char *s = NULL;
	unsigned i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (rd_num(&d, keys[i], &v[i]))
			return -1;
	r->executions = v[0];
	r->violating = v[1];
	r->total_steps = v[2];
	r->first_violation = v[3];
	r->first_seed = v[4];
	r->first_hit = v[5];
	wk->exhausted = v[6];
	if (rd_str(&d, "first_kind", &s))
		return -1;
	snprintf(r->first_kind, sizeof(r->first_kind), "%s", s);
	free(s);
	if (rd_str(&d, "first_schedule", &r->first_schedule) ||
	    rd_str(&d, "first_report", &r->first_report) ||
	    rd_str(&d, "last_schedule", &r->last_schedule) ||
	    rd_num(&d, "kinds", &nk) || nk > ARRAY_SIZE(r->kinds))
		return -1;
	for (i = 0; i < nk; i++) {
		if (rd_num(&d, "count", &c) || rd_num(&d, "first_exec", &f) ||
		    rd_str(&d, "kind", &s))
			return -1;
		r->kinds[i].count = c;
		r->kinds[i].first_exec = f;
		snprintf(r->kinds[i].kind, sizeof(r->kinds[i].kind), "%s", s);
		free(s);
	}
	r->nr_kinds = nk;
	if (rd_log(&d, wk, nk) || rd_sizes(&d, wk))
		return -1;
	return d.end - d.p == 4 && !memcmp(d.p, "end\n", 4) ? 0 : -1;
}

/* ---- parent side: talking to workers ---- */

static void buf_add(struct worker *wk, const char *p, size_t n)
{
	if (wk->len + n + 1 > wk->cap) {
		wk->cap = max(2 * wk->cap, wk->len + n + 1);
		wk->buf = realloc(wk->buf, wk->cap);
		if (!wk->buf)
			abort();
	}
	memcpy(wk->buf + wk->len, p, n);
	wk->len += n;
	wk->buf[wk->len] = '\0';
}

/* handle the complete lines before the record */
static void take_lines(struct worker *wk)
{
	char *nl;

	while (!wk->in_record &&
	       (nl = memchr(wk->buf + wk->pos, '\n', wk->len - wk->pos))) {
		char *line = wk->buf + wk->pos;
		unsigned long e, v;
		int err;

		wk->pos = nl + 1 - wk->buf;
		if (line[0] == 'R' && line + 1 == nl) {
			wk->in_record = true;
		} else if (line[0] == 'P' &&
			   sscanf(line + 1, "%lu %lu", &e, &v) == 2) {
			wk->executions = e;
			wk->violating = v;
		} else if (line[0] == 'E' &&
			   sscanf(line + 1, "%d", &err) == 1) {
			wk->err = err > 0 ? err : EIO;
		} else {
			wk->err = EPROTO;
		}
	}
}

/* the worker closed its pipe: parse its record, or note the failure */
static void worker_eof(struct worker *wk)
{
	wk->done = true;
	close(wk->rd);
	wk->rd = -1;
	if (wk->err || !wk->in_record || parse_record(wk)) {
		wk->failed = true;
		if (!wk->err)
			wk->err = EPROTO;
		return;
	}
	wk->executions = wk->r.executions;
	wk->violating = wk->r.violating;
}

static void show_progress(int fd, struct explore_progress *p,
			  const struct worker *wks, int n, bool final)
{
	unsigned long e = 0, v = 0;
	int k;

	if (fd < 0)
		return;
	for (k = 0; k < n; k++) {
		e += wks[k].executions;
		v += wks[k].violating;
	}
	explore_progress(fd, p, e, v, final);
}

/* read every worker's messages until all closed their pipes */
static void talk(struct worker *wks, int n, int progress_fd,
		 unsigned progress_ms)
{
	struct explore_progress prog = { 0 };
	struct pollfd pfd[EXPLORE_MAX_JOBS];
	int idx[EXPLORE_MAX_JOBS];
	char tmp[4096];
	int k, np, timeout;

	explore_progress_init(&prog, progress_ms);
	for (;;) {
		for (np = 0, k = 0; k < n; k++) {
			if (wks[k].done)
				continue;
			pfd[np].fd = wks[k].rd;
			pfd[np].events = POLLIN;
			idx[np++] = k;
		}
		if (!np)
			break;
		timeout = progress_fd >= 0 ? (int)(prog.interval * 1000) + 1 :
					     -1;
		if (poll(pfd, np, timeout) < 0) {
			if (errno == EINTR)
				continue;
			abort();
		}
		for (k = 0; k < np; k++) {
			struct worker *wk = &wks[idx[k]];
			ssize_t got;

			if (!pfd[k].revents)
				continue;
			got = read(wk->rd, tmp, sizeof(tmp));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				worker_eof(wk);
				continue;
			}
			buf_add(wk, tmp, got);
			take_lines(wk);
		}
		show_progress(progress_fd, &prog, wks, n, false);
	}
	show_progress(progress_fd, &prog, wks, n, true);
}

/* ---- parent side: merging ---- */

/* add @count reports of @kind first seen in execution @exec */
static void add_kind(struct explore_result *r, const char *kind,
		     unsigned long count, unsigned long exec)
{
	int j;

	for (j = 0; j < r->nr_kinds; j++)
		if (!strcmp(r->kinds[j].kind, kind))
			break;
	if (j == r->nr_kinds) {
		if (j == (int)ARRAY_SIZE(r->kinds))
			return;
		snprintf(r->kinds[j].kind, sizeof(r->kinds[j].kind), "%s",
			 kind);
		r->kinds[j].count = 0;
		r->kinds[j].first_exec = exec;
		r->nr_kinds++;
	}
	r->kinds[j].count += count;
	r->kinds[j].first_exec = min(r->kinds[j].first_exec, exec);
}

static int cmp_kind(const void *a, const void *b)
{
	unsigned long fa = ((const struct explore_kind *)a)->first_exec;
	unsigned long fb = ((const struct explore_kind *)b)->first_exec;

	return fa < fb ? -1 : fa > fb;
}

/* the first violation: smallest execution number among the stop kind's */
static struct explore_result *pick_first(struct worker *wks, int n)
{
	struct explore_result *best = NULL;
	int k;

	for (k = 0; k < n; k++) {
		struct explore_result *w = &wks[k].r;

		if (!w->first_violation)
			continue;
		if (!best || (w->first_hit && !best->first_hit) ||
		    (w->first_hit == best->first_hit &&
		     w->first_violation < best->first_violation))
			best = w;
	}
	return best;
}

/* worker @k's executions numbered 1..@cut, of J = @n workers */
static unsigned long execs_upto(int k, int n, unsigned long cut)
{
	return cut > (unsigned long)k ? (cut - k - 1) / n + 1 : 0;
}

static void merge(struct worker *wks, int n, const struct explore_opts *o,
		  struct explore_result *r)
{
	struct explore_result *first = pick_first(wks, n);
	unsigned long cut = NO_CUT, last = 0;
	size_t j;
	int k, i;

	if (o->stop_on_violation && first && first->first_hit)
		cut = first->first_violation;
	for (k = 0; k < n; k++) {
		struct explore_result *w = &wks[k].r;

		r->total_steps += w->total_steps;
		r->workers[k].pid = wks[k].pid;
		if (cut == NO_CUT) {
			r->executions += w->executions;
			r->violating += w->violating;
			for (i = 0; i < w->nr_kinds; i++)
				add_kind(r, w->kinds[i].kind, w->kinds[i].count,
					 w->kinds[i].first_exec);
			r->workers[k].executions = w->executions;
			continue;
		}
		/* only executions 1..cut count: the rest ran by timing */
		r->workers[k].executions = execs_upto(k, n, cut);
		r->executions += r->workers[k].executions;
		for (j = 0, last = 0; j < wks[k].nr_log; j++) {
			struct vlog *l = &wks[k].log[j];

			if (l->exec > cut)
				break;
			r->violating += l->exec != last;
			last = l->exec;
			if (l->count)
				add_kind(r, w->kinds[l->kind].kind, l->count,
					 l->exec);
		}
	}
	qsort(r->kinds, r->nr_kinds, sizeof(r->kinds[0]), cmp_kind);
	r->nr_workers = n;
	if (!first)
		return;
	r->first_violation = first->first_violation;
	r->first_seed = first->first_seed;
	r->first_hit = first->first_hit;
	memcpy(r->first_kind, first->first_kind, sizeof(r->first_kind));
	r->first_schedule = first->first_schedule;
	r->first_report = first->first_report;
	first->first_schedule = first->first_report = NULL;
}

/* dfs: executions (global, 1-based) in subtrees before each subtree */
struct dfs_index {
	unsigned long *base; /* base[s]: executions in subtrees 0..s-1 */
	unsigned long nr; /* subtrees */
};

static unsigned long dfs_global(const struct dfs_index *x, unsigned long key1)
{
	unsigned long sub = (key1 - 1) >> EXPLORE_SPLIT_SHIFT;
	unsigned long idx = (key1 - 1) & ((1UL << EXPLORE_SPLIT_SHIFT) - 1);

	return (sub < x->nr ? x->base[sub] : x->base[x->nr]) + idx + 1;
}

/*
 * dfs: the workers' subtrees laid end to end in DFS order give every
 * execution its --jobs 1 number.  With a cut, the subtrees before the
 * cut's are complete (their owners ran every key below the cut) and the
 * later ones are dropped.
 */
static void merge_dfs(struct worker *wks, int n, const struct explore_opts *o,
		      struct explore_result *r)
{
	struct explore_result *first = pick_first(wks, n);
	unsigned long cut = NO_CUT, last, s, *size;
	struct dfs_index x = { 0 };
	bool exhausted = true;
	size_t j;
	int k;

	if (o->stop_on_violation && first && first->first_hit)
		cut = first->first_violation;
	for (k = 0; k < n; k++)
		for (j = 0; j < wks[k].nr_sizes; j++)
			x.nr = max(x.nr, wks[k].sizes[j].sub + 1);
	size = calloc(x.nr + 1, sizeof(*size));
	x.base = calloc(x.nr + 1, sizeof(*x.base));
	if (!size || !x.base)
		abort();
	for (k = 0; k < n; k++)
		for (j = 0; j < wks[k].nr_sizes; j++)
			size[wks[k].sizes[j].sub] = wks[k].sizes[j].size;
	for (s = 0; s < x.nr; s++)
		x.base[s + 1] = x.base[s] + size[s];
	for (k = 0; k < n; k++) {
		struct explore_result *w = &wks[k].r;

		r->total_steps += w->total_steps;
		r->workers[k].pid = wks[k].pid;
		exhausted &= wks[k].exhausted;
		for (j = 0; j < wks[k].nr_sizes; j++) {
			struct vsize *z = &wks[k].sizes[j];
			unsigned long g0 = x.base[z->sub];

			if (cut != NO_CUT && g0 >= dfs_global(&x, cut))
				break;
			r->workers[k].executions +=
				cut == NO_CUT ?
					z->size :
					min(z->size, dfs_global(&x, cut) - g0);
		}
		r->executions += r->workers[k].executions;
		for (j = 0, last = 0; j < wks[k].nr_log; j++) {
			struct vlog *l = &wks[k].log[j];

			if (l->exec > cut)
				break;
			r->violating += l->exec != last;
			last = l->exec;
			if (l->count)
				add_kind(r, w->kinds[l->kind].kind, l->count,
					 dfs_global(&x, l->exec));
		}
	}
	qsort(r->kinds, r->nr_kinds, sizeof(r->kinds[0]), cmp_kind);
	r->nr_workers = n;
	r->exhausted = exhausted && cut == NO_CUT;
	if (first) {
		r->first_violation = dfs_global(&x, first->first_violation);
		r->first_seed = o->seed + r->first_violation - 1;
		r->first_hit = first->first_hit;
		memcpy(r->first_kind, first->first_kind, sizeof(r->first_kind));
		r->first_schedule = first->first_schedule;
		r->first_report = first->first_report;
		first->first_schedule = first->first_report = NULL;
	}
	/* the walk ended in the last subtree: its owner ran the last one */
	for (k = 0; k < n; k++)
		if (wks[k].nr_sizes &&
		    wks[k].sizes[wks[k].nr_sizes - 1].sub + 1 == x.nr) {
			r->last_schedule = wks[k].r.last_schedule;
			wks[k].r.last_schedule = NULL;
		}
	free(size);
	free(x.base);
}

/*
 * dfs: the shallowest cut that gives at least 32 subtrees per worker (or
 * every execution its own subtree).  Counting the subtrees at depth D
 * costs one execution, stopped at D, per subtree.
 */
static int choose_split_depth(const struct model *m,
			      const struct explore_opts *o, int n,
			      unsigned *depth)
{
	struct explore_opts co = *o;
	struct explore_result cr;
	unsigned long subtrees, deepest;
	unsigned d;
	int ret;

	co.split_jobs = 0;
	co.stop_on_violation = false;
	co.trace = false;
	co.progress_fd = -1;
	co.no_replay = true;
	co.stop_above = NULL;
	for (d = 1; d < 1000; d++) {
		co.split_depth = d;
		ret = explore(m, &co, &cr);
		if (ret)
			return ret;
		subtrees = cr.subtrees;
		deepest = cr.max_depth;
		explore_result_free(&cr);
		if (subtrees >= 32UL * n || d >= deepest)
			break;
	}
	*depth = d;
	return 0;
}

/* a clean run's trace: the last execution of the budget, alone */
static int trace_last(const struct model *m, const struct explore_opts *o,
		      struct explore_result *r)
{
	struct explore_opts lo = *o;
	struct explore_result lr;
	int ret;

	lo.exec_base = o->iterations - 1;
	if (o->strategy == STRAT_DFS) {
		/* the walk's last execution, from its worker's decisions */
		if (!r->last_schedule)
			return 0;
		lo.strategy = STRAT_REPLAY;
		lo.schedule = r->last_schedule;
		lo.split_depth = 0;
		lo.stop_above = NULL;
		lo.exec_base = 0;
	}
	lo.exec_stride = 1;
	lo.iterations = 1;
	lo.progress_fd = -1;
	lo.after_exec = NULL;
	lo.no_replay = true;
	ret = explore(m, &lo, &lr);
	if (ret)
		return ret;
	r->trace_json = lr.trace_json;
	r->trace_text = lr.trace_text;
	lr.trace_json = lr.trace_text = NULL;
	explore_result_free(&lr);
	return 0;
}

/* the running workers, for the SIGINT/SIGTERM handler (see the header) */
static volatile pid_t sig_workers[EXPLORE_MAX_JOBS];
static volatile sig_atomic_t sig_nr_workers;

static void forward_and_die(int sig)
{
	int k, n = sig_nr_workers;

	for (k = 0; k < n; k++)
		if (sig_workers[k] > 0)
			kill(sig_workers[k], sig);
	for (k = 0; k < n; k++)
		if (sig_workers[k] > 0)
			while (waitpid(sig_workers[k], NULL, 0) < 0 &&
			       errno == EINTR)
				;
	signal(sig, SIG_DFL);
	raise(sig);
}

static int start_worker(struct worker *wks, int k, int n, const struct model *m,
			const struct explore_opts *o, unsigned long *cut)
{
	unsigned long budget = (o->iterations - k + n - 1) / n;
	pid_t parent = getpid(), pid;
	int res[2], j;

	if (pipe(res))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(res[0]);
		close(res[1]);
		return err;
	}
	if (!pid) {
		/* die with the parent, even one that died before this line */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(1);
		for (j = 0; j < k; j++)
			close(wks[j].rd);
		close(res[0]);
		worker_main(m, o, k, n, budget, res[1], cut);
	}
	close(res[1]);
	wks[k].pid = pid;
	wks[k].rd = res[0];
	sig_workers[k] = pid;
	sig_nr_workers = k + 1;
	return 0;
}

/* reap every started worker; describe the first failure in @err */
static void reap(struct worker *wks, int n, struct explore_result *r, char *err,
		 size_t errlen)
{
	int k, status;

	for (k = 0; k < n; k++) {
		struct rusage ru = { 0 };

		if (wks[k].rd >= 0)
			close(wks[k].rd);
		status = 0;
		while (wait4(wks[k].pid, &status, 0, &ru) < 0)
			if (errno != EINTR)
				break;
		r->workers[k].cpu_seconds =
			ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
			ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
		if (!wks[k].failed || !err || !errlen || *err)
			continue;
		if (WIFSIGNALED(status))
			snprintf(
				err, errlen,
				"worker %d (pid %d) was killed by signal %d (%s)",
				k, wks[k].pid, WTERMSIG(status),
				strsignal(WTERMSIG(status)));
		else if (wks[k].err != EPROTO)
			snprintf(err, errlen, "worker %d: %s", k,
				 strerror(wks[k].err));
		else
			snprintf(
				err, errlen,
				"worker %d (pid %d) exited with status %d without a result",
				k, wks[k].pid,
				WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
}

/**
 * explore_parallel - explore() in @jobs worker processes
 * @m: the model
 * @o: as for explore(); random or pct with a budget (o->iterations),
 *     or dfs without one (the whole bounded tree)
 * @jobs: worker processes, 1..EXPLORE_MAX_JOBS; at most one per execution
 * @r: the merged result, free with explore_result_free()
 * @err: @errlen: a one-line message when a worker failed, else ""
 *
 * Returns 0, -EINVAL for options it cannot split (replay, random or pct
 * without a budget, dfs with one, a bad @jobs), or the first error of a
 * worker or of fork().
 */
int explore_parallel(const struct model *m, const struct explore_opts *o,
		     int jobs, struct explore_result *r, char *err,
		     size_t errlen)
{
	struct worker wks[EXPLORE_MAX_JOBS];
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	struct sigaction fwd = { .sa_handler = forward_and_die }, oint, oterm;
	double t0 = now_sec();
	struct explore_opts so = *o;
	bool dfs = o->strategy == STRAT_DFS;
	unsigned long *cut;
	int k, n, ret = 0;

	memset(r, 0, sizeof(*r));
	memset(wks, 0, sizeof(wks));
	if (err && errlen)
		*err = '\0';
	if ((o->strategy != STRAT_RANDOM && o->strategy != STRAT_PCT && !dfs) ||
	    !o->iterations != dfs || jobs < 1 || jobs > EXPLORE_MAX_JOBS ||
	    o->after_exec || o->exec_base || o->exec_stride > 1 ||
	    o->split_depth || o->stop_above)
		return -EINVAL;
	n = o->iterations && (unsigned long)jobs > o->iterations ?
		    (int)o->iterations :
		    jobs;
	if (dfs) {
		ret = choose_split_depth(m, o, n, &so.split_depth);
		if (ret)
			return ret;
		o = &so;
	}
	/* cut[0]: the cut; cut[1]: dfs, the next subtree to take */
	cut = mmap(NULL, 2 * sizeof(*cut), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cut == MAP_FAILED)
		return -errno;
	cut[0] = NO_CUT;
	cut[1] = 0;
	/* a worker that dies makes nothing in the parent raise SIGPIPE */
	sigaction(SIGPIPE, &ign, &old);
	sig_nr_workers = 0;
	sigaction(SIGINT, &fwd, &oint);
	sigaction(SIGTERM, &fwd, &oterm);
	for (k = 0; k < n; k++) {
		wks[k].rd = -1;
		ret = start_worker(wks, k, n, m, o, cut);
		if (ret)
			break;
	}
	if (ret) {
		/* stop the started ones after their current execution */
		n = k;
		__atomic_store_n(cut, 0, __ATOMIC_RELAXED);
	}
	talk(wks, n, ret ? -1 : o->progress_fd, o->progress_ms);
	reap(wks, n, r, err, errlen);
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGTERM, &oterm, NULL);
	sig_nr_workers = 0;
	sigaction(SIGPIPE, &old, NULL);
	munmap(cut, 2 * sizeof(*cut));
	for (k = 0; k < n && !ret; k++)
		if (wks[k].failed)
			ret = wks[k].err > 0 ? -wks[k].err : -EIO;
	if (!ret && dfs)
		merge_dfs(wks, n, o, r);
	else if (!ret)
		merge(wks, n, o, r);
	for (k = 0; k < n; k++) {
		explore_result_free(&wks[k].r);
		free(wks[k].buf);
		free(wks[k].log);
		free(wks[k].sizes);
	}
	if (ret) {
		explore_result_free(r);
		return ret;
	}
	r->seconds = now_sec() - t0;
	if (o->trace && !r->first_violation)
		ret = trace_last(m, o, r);
	if (!ret && r->first_violation && !o->no_replay)
		explore_replay_first(m, o, r);
	return ret;
}

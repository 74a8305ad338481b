// SPDX-License-Identifier: MIT
/*
 * The trace: an append-only event array per world, formatted on demand as
 * Chrome Trace Event JSON or as an ftrace-like text timeline.  Nothing
 * here models a kernel part; it is the window onto the model.
 *
 * Determinism: events carry agent ids, lock class names and instance ids,
 * never pointers, and deterministic runs stamp them with the schedule
 * step, so a replay yields the same bytes.  Device tracks are numbered in
 * the order their names first appear, which a replay repeats too.
 *
 * Track ids (tid) in the JSON: agent + 1 (0 is "kernel"), TID_CPU + cpu,
 * TID_DEV + device index.
 *
 * Locking: real-engine appends take w->lock; formatting runs after the
 * agents finished.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lockdep.h"
#include "trace.h"

#define TID_CPU 1000
#define TID_DEV 2000
#define TRACE_MAX_DEVS 1000 /* device tracks; later names share the last */

struct trace {
	struct trace_event *ev;
	size_t n, cap;
	struct timespec t0;
	char **devs; /* device track names, malloc'd, by index */
	int nr_devs, cap_devs;
};

static const char *const ev_names[] = {
	[TR_AGENT_START] = "start",
	[TR_AGENT_EXIT] = "exit",
	[TR_SCHED] = "sched",
	[TR_ACQUIRE] = "lock_acquired",
	[TR_CONTENDED] = "lock_contended",
	[TR_RELEASE] = "lock_release",
	[TR_BLOCK] = "block",
	[TR_WAKE] = "wake",
	[TR_RCU] = "rcu",
	[TR_EVENT] = "event",
	[TR_VIOLATION] = "VIOLATION",
};

struct trace *trace_create(struct world *w)
{
	struct trace *t = calloc(1, sizeof(*t));

	if (!t)
		abort();
	(void)w;
	clock_gettime(CLOCK_MONOTONIC, &t->t0);
	return t;
}

static void trace_free_devs(struct trace *t)
{
	int i;

	for (i = 0; i < t->nr_devs; i++)
		free(t->devs[i]);
	t->nr_devs = 0;
}

void trace_reset(struct trace *t)
{
	t->n = 0;
	trace_free_devs(t);
	clock_gettime(CLOCK_MONOTONIC, &t->t0);
}

void trace_destroy(struct trace *t)
{
	if (!t)
		return;
	trace_free_devs(t);
	free(t->devs);
	free(t->ev);
	free(t);
}

size_t trace_len(struct world *w)
{
	return w->trace->n;
}

static unsigned long trace_clock(struct world *w)
{
	struct timespec now;

	if (world_is_det(w))
		return w->step;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - w->trace->t0.tv_sec) * 1000000000UL + now.tv_nsec -
	       w->trace->t0.tv_nsec;
}

/* the index of device track @name, added if new; under w->lock */
static int trace_dev_index(struct trace *t, const char *name)
{
	int i;

	for (i = 0; i < t->nr_devs; i++)
		if (!strcmp(t->devs[i], name))
			return i;
	if (t->nr_devs == TRACE_MAX_DEVS)
		return TRACE_MAX_DEVS - 1;
	if (t->nr_devs == t->cap_devs) {
		t->cap_devs = t->cap_devs ? t->cap_devs * 2 : 8;
		t->devs = realloc(t->devs, t->cap_devs * sizeof(*t->devs));
		if (!t->devs)
			abort();
	}
	t->devs[t->nr_devs] = strdup(name);
	if (!t->devs[t->nr_devs])
		abort();
	return t->nr_devs++;
}

/* append one event; @dev names the device track when @track is TRACK_DEV */
static void trace_append(struct world *w, enum trace_ev type, int agent,
			 unsigned short cls, unsigned id, const char *text,
			 enum trace_track track, int res, const char *dev)
{
	struct trace *t = w->trace;
	struct trace_event *e;

	world_lock(w);
	if (track == TRACK_DEV)
		res = trace_dev_index(t, dev);
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->ev = realloc(t->ev, t->cap * sizeof(*t->ev));
		if (!t->ev)
			abort();
	}
	e = &t->ev[t->n++];
	e->ts = trace_clock(w);
	e->agent = agent;
	e->type = type;
	e->cls = cls;
	e->id = id;
	e->res = res < 0 || res > 0xffff ? 0 : res;
	e->track = res < 0 || res > 0xffff ? TRACK_AGENT : track;
	e->text = text;
	world_unlock(w);
}

void trace_emit(struct world *w, enum trace_ev type, int agent,
		unsigned short cls, unsigned id, const char *text)
{
	if (!w->opts.trace)
		return;
	trace_append(w, type, agent, cls, id, text, TRACK_AGENT, 0, NULL);
}

void trace_eventf(struct world *w, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (!w->opts.trace)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	trace_emit(w, TR_EVENT, current ? current->id : -1, 0, 0,
		   arena_strdup(w, buf));
}

void trace_event_cpu(struct world *w, int cpu, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (!w->opts.trace)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	trace_append(w, TR_EVENT, current ? current->id : -1, 0, 0,
		     arena_strdup(w, buf), TRACK_CPU, cpu, NULL);
}

void trace_event_dev(struct world *w, const char *kind, const char *name,
		     int id, const char *fmt, ...)
{
	char buf[256], dev[64];
	va_list ap;

	if (!w->opts.trace)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (id >= 0)
		snprintf(dev, sizeof(dev), "%s%s%s %d", kind, name ? " " : "",
			 name ? name : "", id);
	else
		snprintf(dev, sizeof(dev), "%s%s%s", kind, name ? " " : "",
			 name ? name : "");
	trace_append(w, TR_EVENT, current ? current->id : -1, 0, 0,
		     arena_strdup(w, buf), TRACK_DEV, 0, dev);
}

/* the resource an event happened on: "CPU1", "device nic", or "" */
static const char *res_name(struct world *w, const struct trace_event *e,
			    char *buf, size_t len)
{
	if (e->track == TRACK_CPU)
		snprintf(buf, len, "CPU%u", e->res);
	else if (e->track == TRACK_DEV)
		snprintf(buf, len, "%s", w->trace->devs[e->res]);
	else
		buf[0] = 0;
	return buf;
}

static int res_tid(const struct trace_event *e)
{
	return (e->track == TRACK_CPU ? TID_CPU : TID_DEV) + e->res;
}

static const char *agent_name(struct world *w, int id)
{
	if (id < 0 || id >= w->nr_agents)
		return id == -1 ? "kernel" : "?";
	return w->agents[id]->name;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void ev_label(struct world *w, const struct trace_event *e, char *buf,
		     size_t len)
{
	const char *name = ev_names[e->type];

	if (e->cls)
		snprintf(buf, len, "%s %s#%u%s%s", name,
			 lockdep_class_name(w, e->cls), e->id,
			 e->text ? " " : "", e->text ? e->text : "");
	else if (e->text)
		snprintf(buf, len, "%s %s", name, e->text);
	else
		snprintf(buf, len, "%s", name);
}

/* a named track: thread_name, and thread_sort_index = tid for the order */
static void json_track(FILE *f, int tid, const char *name)
{
	fprintf(f,
		",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"ts\":0,\"args\":{\"name\":",
		tid);
	json_str(f, name);
	fprintf(f,
		"}},\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"ts\":0,\"args\":{\"sort_index\":%d}}",
		tid, tid);
}

/* one track per CPU that has events, ordered by id, and per device */
static void json_resource_tracks(struct world *w, FILE *f)
{
	struct trace *t = w->trace;
	unsigned char seen[0x10000 / 8] = { 0 };
	char name[32];
	size_t i;
	int c;

	for (i = 0; i < t->n; i++)
		if (t->ev[i].track == TRACK_CPU)
			seen[t->ev[i].res / 8] |= 1 << (t->ev[i].res % 8);
	for (c = 0; c < 0x10000; c++) {
		if (!(seen[c / 8] & (1 << (c % 8))))
			continue;
		snprintf(name, sizeof(name), "CPU%d", c);
		json_track(f, TID_CPU + c, name);
	}
	for (c = 0; c < t->nr_devs; c++)
		json_track(f, TID_DEV + c, t->devs[c]);
}

/*
 * Chrome Trace Event format: the "JSON Object Format" with traceEvents.
 * An event on a CPU or device is written twice, with the same args.seq:
 * on the resource's track (args.agent names the agent) and on the
 * agent's track (args.track names the resource, and the name says it).
 * Two instants read better in Perfetto than a flow arrow, which it
 * binds to slices, not to instants.
 */
/*
 * A violation's own explanation goes into its event's args, so the person
 * who opens the trace in Perfetto reads the report where it happened.
 * @nr counts from 1 in the order the reports were added (report_add()).
 */
static void json_report_args(struct world *w, FILE *f, unsigned nr)
{
	struct report *r;
	unsigned i = 0;

	world_lock(w);
	list_for_each_entry(r, &w->reports, node) {
		if (++i != nr)
			continue;
		fprintf(f, ",\"report\":");
		json_str(f, r->text ? r->text : "");
		break;
	}
	world_unlock(w);
}

void trace_write_json(struct world *w, FILE *f)
{
	struct trace *t = w->trace;
	char label[320], res[80];
	size_t i;
	int a;
	bool det = world_is_det(w);

	fprintf(f,
		"{\"displayTimeUnit\":\"ns\",\"otherData\":{\"engine\":\"%s\",\"clock\":\"%s\"},\"traceEvents\":[\n",
		w->ops->name, det ? "schedule step (1 step = 1us)" : "us");
	fprintf(f,
		"{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"ts\":0,\"args\":{\"name\":\"secmmu world\"}}");
	for (a = -1; a < w->nr_agents; a++)
		json_track(f, a + 1, agent_name(w, a));
	json_resource_tracks(w, f);
	for (i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		unsigned long ts = det ? e->ts : e->ts / 1000;

		ev_label(w, e, label, sizeof(label));
		if (e->type == TR_ACQUIRE || e->type == TR_RELEASE) {
			fprintf(f, ",\n{\"name\":");
			json_str(f, lockdep_class_name(w, e->cls));
			fprintf(f,
				",\"cat\":\"lock\",\"ph\":\"%s\",\"id\":%u,\"pid\":1,\"tid\":%d,\"ts\":%lu}",
				e->type == TR_ACQUIRE ? "b" : "e", e->id,
				e->agent + 1, ts);
		}
		if (e->track != TRACK_AGENT) {
			res_name(w, e, res, sizeof(res));
			fprintf(f, ",\n{\"name\":");
			json_str(f, e->text ? e->text : ev_names[e->type]);
			fprintf(f,
				",\"cat\":\"%s\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":%d,\"ts\":%lu,\"args\":{\"seq\":%zu,\"agent\":",
				e->track == TRACK_CPU ? "cpu" : "device",
				res_tid(e), ts, i);
			json_str(f, agent_name(w, e->agent));
			fprintf(f, "}}");
			snprintf(label, sizeof(label), "%s [%s] %s",
				 ev_names[e->type], res,
				 e->text ? e->text : "");
		}
		fprintf(f, ",\n{\"name\":");
		json_str(f, label);
		fprintf(f,
			",\"cat\":\"%s\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":%d,\"ts\":%lu,\"args\":{\"seq\":%zu",
			ev_names[e->type], e->agent + 1, ts, i);
		if (e->track != TRACK_AGENT) {
			fprintf(f, ",\"track\":");
			json_str(f, res);
		}
		if (e->type == TR_VIOLATION)
			json_report_args(w, f, e->id);
		fprintf(f, "}}");
	}
	fprintf(f, "\n]}\n");
}

char *trace_to_json(struct world *w)
{
	size_t len;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	trace_write_json(w, f);
	/* open_memstream sets buf at fclose */
	if (fclose(f) || !buf)
		abort();
	return buf;
}

/* a FILE that hashes what is written to it (FNV-1a 64) */
static ssize_t hash_write(void *cookie, const char *buf, size_t n)
{
	uint64_t *h = cookie;
	size_t i;

	for (i = 0; i < n; i++) {
		*h ^= (unsigned char)buf[i];
		*h *= 0x100000001b3ULL;
	}
	return n;
}

uint64_t trace_json_hash(struct world *w)
{
	static const cookie_io_functions_t io = { .write = hash_write };
	uint64_t h = TRACE_HASH_INIT;
	FILE *f = fopencookie(&h, "w", io);

	if (!f)
		abort();
	trace_write_json(w, f);
	if (fclose(f))
		abort();
	return h;
}

uint64_t trace_hash_str(const char *s)
{
	uint64_t h = TRACE_HASH_INIT;

	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ftrace-like: "      name-id   RESOURCE   [  step] event detail" */
char *trace_to_text(struct world *w)
{
	struct trace *t = w->trace;
	struct strbuf sb = { 0 };
	char label[320], res[80];
	size_t i;

	sb_printf(&sb,
		  "# engine: %s\n#   AGENT-ID    RESOURCE       %s  EVENT\n",
		  w->ops->name, world_is_det(w) ? "  STEP" : "    NS");
	for (i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];

		ev_label(w, e, label, sizeof(label));
		res_name(w, e, res, sizeof(res));
		sb_printf(&sb, "%12s-%-3d %-14s [%6lu] %s\n",
			  agent_name(w, e->agent), e->agent, res[0] ? res : "-",
			  e->ts, label);
	}
	if (!sb.buf)
		sb_printf(&sb, "%s", "");
	return sb.buf;
}

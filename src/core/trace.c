// SPDX-License-Identifier: MIT
/*
 * The trace: an append-only event array per world, formatted on demand as
 * Chrome Trace Event JSON or as an ftrace-like text timeline.  Nothing
 * here models a kernel part; it is the window onto the model.
 *
 * Determinism: events carry agent ids, lock class names and instance ids,
 * never pointers, and deterministic runs stamp them with the schedule
 * step, so a replay yields the same bytes.
 *
 * Locking: real-engine appends take w->lock; formatting runs after the
 * agents finished.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lockdep.h"
#include "trace.h"

struct trace {
	struct trace_event *ev;
	size_t n, cap;
	struct timespec t0;
};

static const char *const ev_names[] = {
	[TR_AGENT_START] = "start",   [TR_AGENT_EXIT] = "exit",
	[TR_SCHED] = "sched",	      [TR_ACQUIRE] = "lock_acquired",
	[TR_CONTENDED] = "lock_contended", [TR_RELEASE] = "lock_release",
	[TR_BLOCK] = "block",	      [TR_WAKE] = "wake",
	[TR_RCU] = "rcu",	      [TR_EVENT] = "event",
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

void trace_reset(struct trace *t)
{
	t->n = 0;
	clock_gettime(CLOCK_MONOTONIC, &t->t0);
}

void trace_destroy(struct trace *t)
{
	if (!t)
		return;
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
	return (now.tv_sec - w->trace->t0.tv_sec) * 1000000000UL +
	       now.tv_nsec - w->trace->t0.tv_nsec;
}

void trace_emit(struct world *w, enum trace_ev type, int agent,
		unsigned short cls, unsigned id, const char *text)
{
	struct trace *t = w->trace;
	struct trace_event *e;

	if (!w->opts.trace)
		return;
	world_lock(w);
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
	e->text = text;
	world_unlock(w);
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

static const char *agent_name(struct world *w, int id)
{
	if (id < 0 || id >= w->nr_agents)
		return id == -1 ? "kernel" : "?";
	return w->agents[id]->name;
}

static void json_str(struct strbuf *sb, const char *s)
{
	sb_printf(sb, "\"");
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			sb_printf(sb, "\\%c", c);
		else if (c < 0x20)
			sb_printf(sb, "\\u%04x", c);
		else
			sb_printf(sb, "%c", c);
	}
	sb_printf(sb, "\"");
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

/* Chrome Trace Event format: the "JSON Object Format" with traceEvents. */
char *trace_to_json(struct world *w)
{
	struct trace *t = w->trace;
	struct strbuf sb = { 0 };
	char label[320];
	size_t i;
	int a;
	bool det = world_is_det(w);

	sb_printf(&sb, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"engine\":\"%s\",\"clock\":\"%s\"},\"traceEvents\":[\n",
		  w->ops->name, det ? "schedule step (1 step = 1us)" : "us");
	sb_printf(&sb, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"secmmu world\"}}");
	for (a = -1; a < w->nr_agents; a++) {
		sb_printf(&sb, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":",
			  a + 1);
		json_str(&sb, agent_name(w, a));
		sb_printf(&sb, "}}");
	}
	for (i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		unsigned long ts = det ? e->ts : e->ts / 1000;

		ev_label(w, e, label, sizeof(label));
		if (e->type == TR_ACQUIRE || e->type == TR_RELEASE) {
			sb_printf(&sb, ",\n{\"name\":");
			json_str(&sb, lockdep_class_name(w, e->cls));
			sb_printf(&sb, ",\"cat\":\"lock\",\"ph\":\"%s\",\"id\":%u,\"pid\":1,\"tid\":%d,\"ts\":%lu}",
				  e->type == TR_ACQUIRE ? "b" : "e", e->id,
				  e->agent + 1, ts);
		}
		sb_printf(&sb, ",\n{\"name\":");
		json_str(&sb, label);
		sb_printf(&sb, ",\"cat\":\"%s\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":%d,\"ts\":%lu,\"args\":{\"seq\":%zu}}",
			  ev_names[e->type], e->agent + 1, ts, i);
	}
	sb_printf(&sb, "\n]}\n");
	return sb.buf;
}

/* ftrace-like: "          name-id   [step] event: detail" */
char *trace_to_text(struct world *w)
{
	struct trace *t = w->trace;
	struct strbuf sb = { 0 };
	char label[320];
	size_t i;

	sb_printf(&sb, "# engine: %s\n#   AGENT-ID     %s  EVENT\n", w->ops->name,
		  world_is_det(w) ? "  STEP" : "    NS");
	for (i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];

		ev_label(w, e, label, sizeof(label));
		sb_printf(&sb, "%12s-%-3d [%6lu] %s\n", agent_name(w, e->agent),
			  e->agent, e->ts, label);
	}
	if (!sb.buf)
		sb_printf(&sb, "%s", "");
	return sb.buf;
}

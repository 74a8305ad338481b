/* SPDX-License-Identifier: MIT */
/*
 * Trace: a compact event log per world.  Deterministic runs stamp events
 * with the global schedule-point counter, so the same seed gives the same
 * bytes; real runs stamp with a monotonic clock.  Output: Chrome Trace
 * Event JSON (Perfetto UI, one track per agent) and an ftrace-like text
 * timeline.
 *
 * Locking: det needs none; the real engine appends under w->lock.
 */
#ifndef SECMMU_CORE_TRACE_H
#define SECMMU_CORE_TRACE_H

#include "world.h"

enum trace_ev {
	TR_AGENT_START,
	TR_AGENT_EXIT,
	TR_SCHED,	/* picked to run after a schedule point */
	TR_ACQUIRE,	/* lock taken */
	TR_CONTENDED,	/* about to block on a lock */
	TR_RELEASE,
	TR_BLOCK,
	TR_WAKE,
	TR_RCU,
	TR_EVENT,	/* model event, free text */
	TR_VIOLATION,
};

struct trace_event {
	unsigned long ts;
	int agent;
	unsigned short type;
	unsigned short cls; /* lock class or 0 */
	unsigned id;	    /* lock instance or argument */
	const char *text;   /* arena string or static */
};

struct trace *trace_create(struct world *w);
void trace_reset(struct trace *t);
void trace_destroy(struct trace *t);
void trace_emit(struct world *w, enum trace_ev type, int agent,
		unsigned short cls, unsigned id, const char *text);
void trace_eventf(struct world *w, const char *fmt, ...) __printf(2, 3);
char *trace_to_json(struct world *w);
char *trace_to_text(struct world *w);
size_t trace_len(struct world *w);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Trace: a compact event log per world.  Deterministic runs stamp events
 * with the global schedule-point counter, so the same seed gives the same
 * bytes; real runs stamp with a monotonic clock.  Output: Chrome Trace
 * Event JSON (Perfetto UI: one track per agent, per CPU and per device)
 * and an ftrace-like text timeline.
 *
 * Locking: det needs none; the real engine appends under w->lock.
 */
#ifndef SECMMU_CORE_TRACE_H
#define SECMMU_CORE_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "world.h"

enum trace_ev {
	TR_AGENT_START,
	TR_AGENT_EXIT,
	TR_SCHED, /* picked to run after a schedule point */
	TR_ACQUIRE, /* lock taken */
	TR_CONTENDED, /* about to block on a lock */
	TR_RELEASE,
	TR_BLOCK,
	TR_WAKE,
	TR_RCU,
	TR_EVENT, /* model event, free text */
	TR_VIOLATION,
};

/* where an event happened, besides the agent that caused it */
enum trace_track {
	TRACK_AGENT, /* only the agent's own track */
	TRACK_CPU, /* a CPU: res = cpu id */
	TRACK_DEV, /* a device or the IOMMU: res = index of its name */
};

struct trace_event {
	unsigned long ts;
	int agent;
	unsigned short type;
	unsigned short cls; /* lock class or 0 */
	unsigned id; /* lock instance or argument */
	unsigned short res; /* cpu id or device index, for @track */
	unsigned char track; /* enum trace_track */
	const char *text; /* arena string or static */
};

struct trace *trace_create(struct world *w);
void trace_reset(struct trace *t);
void trace_destroy(struct trace *t);
void trace_emit(struct world *w, enum trace_ev type, int agent,
		unsigned short cls, unsigned id, const char *text);
void trace_eventf(struct world *w, const char *fmt, ...) __printf(2, 3);
/*
 * A model event on a hardware resource: it shows on the resource's own
 * track and on the track of the agent that caused it.  The device track
 * is named @kind, then " @name" if @name, then " @id" if @id >= 0:
 * "IOMMU", "device nic", "mirror of mm 1".
 */
void trace_event_cpu(struct world *w, int cpu, const char *fmt, ...)
	__printf(3, 4);
void trace_event_dev(struct world *w, const char *kind, const char *name,
		     int id, const char *fmt, ...) __printf(5, 6);
char *trace_to_json(struct world *w);
/* the same JSON, written to @f as it is formatted */
void trace_write_json(struct world *w, FILE *f);
/*
 * FNV-1a 64 of the JSON trace, formatted into the hash without holding
 * the text: two replays compare equal without either trace in memory.
 * trace_hash_str() hashes a trace already formatted, to the same value.
 */
#define TRACE_HASH_INIT 0xcbf29ce484222325ULL
uint64_t trace_json_hash(struct world *w);
uint64_t trace_hash_str(const char *s);
char *trace_to_text(struct world *w);
size_t trace_len(struct world *w);

#endif

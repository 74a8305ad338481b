// SPDX-License-Identifier: MIT
/*
 * The scenario loader: YAML text -> struct scenario (scenario.h).
 *
 * Two passes.  First libyaml's event parser builds a small tree of nodes
 * that remember their line and column; aliases are refused (they would
 * let a file describe cycles and exponential blow-ups) and nesting is
 * limited, so a hostile file cannot exhaust the stack.  Then the tree is
 * compiled: every key is checked against what the format and the
 * registered subsystems accept, every reference is resolved, and the
 * first problem becomes the one error message "FILE:LINE:COL: problem".
 *
 * Simplifications: one document per file; keys must be plain strings;
 * column numbers inside a final-check string are exact for plain and
 * simple quoted scalars, approximate when escapes precede the spot.
 *
 * Locking: none; loading runs on one thread and the registry must not be
 * changed while a load is in progress.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/suggest.h"
#include "scenario.h"

#define SC_MAX_DEPTH 64
#define SC_MAX_OBJECTS 1024
#define SC_MAX_REPEAT 1000000L
#define SC_MAX_KINDS 256

/* ---- the pool: everything a scenario owns ---- */

struct sc_pool {
	struct sc_pool *next;
	_Alignas(16) unsigned char data[];
};

static void *pool_alloc(struct sc_pool **pool, size_t size)
{
	struct sc_pool *p = calloc(1, sizeof(*p) + size);

	if (!p)
		abort();
	p->next = *pool;
	*pool = p;
	return p->data;
}

static void pool_free(struct sc_pool *p)
{
	struct sc_pool *n;

	for (; p; p = n) {
		n = p->next;
		free(p);
	}
}

/* ---- the node tree ---- */

enum sc_node_type {
	SCN_SCALAR,
	SCN_MAP,
	SCN_SEQ,
};

struct sc_node {
	enum sc_node_type type;
	int line, col; /* 1-based */
	bool quoted;   /* a quoted scalar (never null, never a number) */
	char *str;     /* scalar */
	struct sc_node **kids; /* seq: items; map: key, value, key, value */
	int n, cap;
};

struct sc_loader {
	const char *file;
	const char *buf;
	size_t len;
	char *err;
	size_t errlen;
	bool failed;
	struct scenario *sc;
	int depth;
	const char *kinds[SC_MAX_KINDS]; /* violation kinds `expect` may name */
	int nr_kinds;
};

void *sc_alloc(struct sc_loader *ld, size_t size)
{
	return pool_alloc(&ld->sc->pool, size);
}

const struct sc_object *sc_loader_object(struct sc_loader *ld, int idx)
{
	return idx >= 0 && idx < ld->sc->nr_objs ? &ld->sc->objs[idx] : NULL;
}

char *sc_strdup(struct sc_loader *ld, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = sc_alloc(ld, n);

	memcpy(p, s, n);
	return p;
}

/*
 * The message is one line whatever the file holds: control characters
 * that a message quotes from the file ("a\nb" as a name) are escaped.
 */
static int verror_at(struct sc_loader *ld, int line, int col, const char *fmt,
		     va_list ap)
{
	char *msg, *out;
	size_t used, i;
	int n;

	if (ld->failed || !ld->errlen)
		return -1;
	ld->failed = true;
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	/* the whole line, escaped, then fitted: the quoted input gives way */
	out = malloc(strlen(ld->file) + 32 + 4 * strlen(msg) + 1);
	if (!out)
		abort();
	n = sprintf(out, "%s:%d:%d: ", ld->file, line, col);
	used = n;
	for (i = 0; msg[i]; i++) {
		unsigned char ch = msg[i];

		if (ch >= 0x20 && ch != 0x7f)
			out[used++] = ch;
		else
			used += sprintf(out + used,
					ch == '\n' ? "\\n" :
					ch == '\t' ? "\\t" :
						     "\\x%02x",
					ch);
	}
	out[used] = 0;
	shorten_quoted(out, ld->errlen - 1);
	memcpy(ld->err, out, strlen(out) + 1);
	free(msg);
	free(out);
	return -1;
}

static __printf(4, 5) int error_at(struct sc_loader *ld, int line, int col,
				   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror_at(ld, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

int sc_error(struct sc_loader *ld, const struct sc_node *n, const char *fmt,
	     ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror_at(ld, n ? n->line : 1, n ? n->col : 1, fmt, ap);
	va_end(ap);
	return -1;
}

int sc_error_at(struct sc_loader *ld, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror_at(ld, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

bool sc_is_scalar(const struct sc_node *n)
{
	return n->type == SCN_SCALAR;
}

bool sc_is_map(const struct sc_node *n)
{
	return n->type == SCN_MAP;
}

bool sc_is_seq(const struct sc_node *n)
{
	return n->type == SCN_SEQ;
}

/* `key:` with nothing after it, `~` or `null` */
bool sc_is_null(const struct sc_node *n)
{
	return n->type == SCN_SCALAR && !n->quoted &&
	       (!n->str[0] || !strcmp(n->str, "~") || !strcmp(n->str, "null"));
}

const char *sc_str(const struct sc_node *n)
{
	return n->type == SCN_SCALAR ? n->str : "";
}

int sc_len(const struct sc_node *n)
{
	return n->type == SCN_MAP ? n->n / 2 : n->type == SCN_SEQ ? n->n : 0;
}

const struct sc_node *sc_seq_item(const struct sc_node *n, int i)
{
	return n->kids[i];
}

const struct sc_node *sc_map_key(const struct sc_node *n, int i)
{
	return n->kids[2 * i];
}

const struct sc_node *sc_map_value(const struct sc_node *n, int i)
{
	return n->kids[2 * i + 1];
}

static const char *what(const struct sc_node *n)
{
	if (n->type == SCN_MAP)
		return "a map";
	if (n->type == SCN_SEQ)
		return "a list";
	if (sc_is_null(n))
		return "nothing";
	return "a scalar";
}

int sc_get_int(struct sc_loader *ld, const struct sc_node *n, long min,
	       long max, const char *name, long *out)
{
	const char *s = n->str;
	char *end;
	long v;

	if (n->type != SCN_SCALAR || sc_is_null(n))
		return sc_error(ld, n, "%s must be an integer, found %s", name,
				what(n));
	errno = 0;
	v = strtol(s, &end, 0);
	if (!*s || *end || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return sc_error(ld, n, "%s must be an integer, found '%s'",
				name, s);
	if (errno || v < min || v > max)
		return sc_error(ld, n, "%s: %s is out of range [%ld, %ld]", name,
				s, min, max);
	*out = v;
	return 0;
}

static int get_bool(struct sc_loader *ld, const struct sc_node *n,
		    const char *name, long *out)
{
	if (n->type == SCN_SCALAR && !n->quoted) {
		if (!strcmp(n->str, "true")) {
			*out = 1;
			return 0;
		}
		if (!strcmp(n->str, "false")) {
			*out = 0;
			return 0;
		}
	}
	return sc_error(ld, n, "%s must be true or false, found %s", name,
			n->type == SCN_SCALAR && !sc_is_null(n) ? n->str : what(n));
}

static int get_string(struct sc_loader *ld, const struct sc_node *n,
		      const char *name, const char **out)
{
	*out = NULL; /* callers read it only on success; -O3 cannot tell */
	if (n->type != SCN_SCALAR || sc_is_null(n))
		return sc_error(ld, n, "%s must be a string, found %s", name,
				what(n));
	*out = n->str;
	return 0;
}

/* names of agents and objects: [A-Za-z_][A-Za-z0-9_-]*, short */
static int get_name(struct sc_loader *ld, const struct sc_node *n,
		    const char *name, int maxlen, const char **out)
{
	const char *s;

	if (get_string(ld, n, name, &s))
		return -1;
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		goto bad;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			goto bad;
	if ((int)strlen(n->str) > maxlen)
		return sc_error(ld, n, "%s '%s' is longer than %d characters",
				name, n->str, maxlen);
	*out = n->str;
	return 0;
bad:
	return sc_error(ld, n,
			"%s '%s' is not a name (letters, digits, '_' and '-', not starting with a digit)",
			name, n->str);
}

/* ---- pass 1: YAML events -> nodes ---- */

static struct sc_node *node_new(struct sc_loader *ld, enum sc_node_type t,
				const yaml_mark_t *m)
{
	struct sc_node *n = sc_alloc(ld, sizeof(*n));

	n->type = t;
	n->line = m->line + 1;
	n->col = m->column + 1;
	return n;
}

static void node_add(struct sc_loader *ld, struct sc_node *parent,
		     struct sc_node *kid)
{
	if (parent->n == parent->cap) {
		int cap = parent->cap ? 2 * parent->cap : 8;
		struct sc_node **k = sc_alloc(ld, cap * sizeof(*k));

		if (parent->n)
			memcpy(k, parent->kids, parent->n * sizeof(*k));
		parent->kids = k;
		parent->cap = cap;
	}
	parent->kids[parent->n++] = kid;
}

/* line and column of byte @off (reader errors give only an offset) */
static void offset_to_mark(struct sc_loader *ld, size_t off, int *line,
			   int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < ld->len; i++) {
		if (ld->buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int yaml_failed(struct sc_loader *ld, yaml_parser_t *p)
{
	int line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return error_at(ld, 1, 1, "out of memory while parsing YAML");
	case YAML_READER_ERROR:
		offset_to_mark(ld, p->problem_offset, &line, &col);
		return error_at(ld, line, col, "invalid text: %s",
				p->problem ? p->problem : "unreadable input");
	default:
		line = p->problem_mark.line + 1;
		col = p->problem_mark.column + 1;
		if (p->context)
			return error_at(ld, line, col,
					"YAML syntax error: %s %s (started on line %zu)",
					p->problem ? p->problem : "error",
					p->context, p->context_mark.line + 1);
		return error_at(ld, line, col, "YAML syntax error: %s",
				p->problem ? p->problem : "error");
	}
}

static struct sc_node *yaml_to_tree(struct sc_loader *ld)
{
	struct sc_node *stack[SC_MAX_DEPTH + 1], *root = NULL, *n;
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, docs = 0;
	bool done = false;

	if (!yaml_parser_initialize(&p)) {
		error_at(ld, 1, 1, "out of memory while parsing YAML");
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)ld->buf,
				     ld->len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			yaml_failed(ld, &p);
			break;
		}
		n = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				error_at(ld, ev.start_mark.line + 1,
					 ev.start_mark.column + 1,
					 "a scenario file holds one YAML document; found a second");
				done = true;
			}
			break;
		case YAML_ALIAS_EVENT:
			error_at(ld, ev.start_mark.line + 1,
				 ev.start_mark.column + 1,
				 "YAML aliases (*%s) are not supported: write the value out",
				 (const char *)ev.data.alias.anchor);
			done = true;
			break;
		case YAML_SCALAR_EVENT:
			n = node_new(ld, SCN_SCALAR, &ev.start_mark);
			if (strlen((const char *)ev.data.scalar.value) !=
			    ev.data.scalar.length) {
				sc_error(ld, n, "a string contains a NUL character");
				done = true;
				break;
			}
			n->str = sc_alloc(ld, ev.data.scalar.length + 1);
			memcpy(n->str, ev.data.scalar.value,
			       ev.data.scalar.length);
			n->quoted = ev.data.scalar.style ==
					    YAML_SINGLE_QUOTED_SCALAR_STYLE ||
				    ev.data.scalar.style ==
					    YAML_DOUBLE_QUOTED_SCALAR_STYLE;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			n = node_new(ld, ev.type == YAML_SEQUENCE_START_EVENT ?
						 SCN_SEQ : SCN_MAP,
				     &ev.start_mark);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		if (n && !ld->failed) {
			if (depth)
				node_add(ld, stack[depth - 1], n);
			else
				root = n;
			if (n->type != SCN_SCALAR) {
				if (depth == SC_MAX_DEPTH) {
					sc_error(ld, n,
						 "nesting deeper than %d levels",
						 SC_MAX_DEPTH);
					done = true;
				} else {
					stack[depth++] = n;
				}
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (ld->failed)
		return NULL;
	if (!root || sc_is_null(root)) {
		error_at(ld, 1, 1,
			 "empty scenario: expected a map with name, agents and the other keys of docs/scenario-format.md");
		return NULL;
	}
	return root;
}

/* ---- pass 2: compile ---- */

/*
 * Check that @map is a map whose keys are strings from @allowed (NULL-
 * terminated) and appear once.  @ctx names the map in messages.
 */
static int check_keys(struct sc_loader *ld, const struct sc_node *map,
		      const char *ctx, const char *const *allowed)
{
	int i, j, k;

	if (map->type != SCN_MAP)
		return sc_error(ld, map, "%s must be a map, found %s", ctx,
				what(map));
	for (i = 0; i < sc_len(map); i++) {
		const struct sc_node *key = sc_map_key(map, i);

		if (key->type != SCN_SCALAR)
			return sc_error(ld, key, "keys of %s must be strings",
					ctx);
		for (j = 0; j < i; j++)
			if (!strcmp(sc_map_key(map, j)->str, key->str))
				return sc_error(ld, key,
						"duplicate key '%s' in %s (first at line %d)",
						key->str, ctx,
						sc_map_key(map, j)->line);
		if (!allowed)
			continue;
		for (k = 0; allowed[k]; k++)
			if (!strcmp(allowed[k], key->str))
				break;
		if (!allowed[k]) {
			char msg[512], q[CLIP_MAX];

			snprintf(msg, sizeof(msg), "unknown key '%s' in %s",
				 clip(q, key->str), ctx);
			suggest_close(msg, sizeof(msg), key->str, allowed, -1);
			return sc_error(ld, key, "%s", msg);
		}
	}
	return 0;
}

static const struct sc_node *map_get(const struct sc_node *map,
				     const char *key)
{
	int i;

	for (i = 0; i < sc_len(map); i++)
		if (!strcmp(sc_map_key(map, i)->str, key))
			return sc_map_value(map, i);
	return NULL;
}

static void add_kind(struct sc_loader *ld, const char *kind)
{
	int i;

	for (i = 0; i < ld->nr_kinds; i++)
		if (!strcmp(ld->kinds[i], kind))
			return;
	if (ld->nr_kinds < SC_MAX_KINDS)
		ld->kinds[ld->nr_kinds++] = kind;
}

/* a violation kind: lower-case words joined by '-', as report kinds are */
static int get_kind(struct sc_loader *ld, const struct sc_node *n,
		    const char *name, const char **out)
{
	const char *s;

	if (get_string(ld, n, name, &s))
		return -1;
	if (strlen(s) >= sizeof(((struct report *)0)->kind))
		return sc_error(ld, n, "%s '%s' is longer than %zu characters",
				name, s, sizeof(((struct report *)0)->kind) - 1);
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-'))
			return sc_error(ld, n,
					"%s must be a violation kind (lower-case letters, digits and '-'), not '%s'",
					name, n->str);
	*out = n->str;
	return 0;
}

/* -- policy -- */

static int compile_policy_into(struct sc_loader *ld, const struct sc_node *pol,
			       const char *ctx, struct policy *p)
{
	static const char *const keys[] = { "preset", "set", NULL };
	const struct sc_node *preset, *set;
	char msg[512];
	int i;

	if (check_keys(ld, pol, ctx, keys))
		return -1;
	preset = map_get(pol, "preset");
	if (preset) {
		const char *name;

		if (get_string(ld, preset, "'preset'", &name))
			return -1;
		if (policy_apply_preset(p, name, msg, sizeof(msg)))
			return sc_error(ld, preset, "%s", msg);
	}
	set = map_get(pol, "set");
	if (!set)
		return 0;
	if (check_keys(ld, set, "'policy: set'", NULL))
		return -1;
	for (i = 0; i < sc_len(set); i++) {
		const struct sc_node *k = sc_map_key(set, i);
		const struct sc_node *v = sc_map_value(set, i);

		if (v->type != SCN_SCALAR || sc_is_null(v))
			return sc_error(ld, v, "the value of knob '%s' must be a scalar, found %s",
					k->str, what(v));
		if (policy_set(p, k->str, v->str, msg, sizeof(msg)))
			return sc_error(ld, policy_knob_find(k->str) < 0 ? k : v,
					"%s", msg);
	}
	return 0;
}

static int compile_policy(struct sc_loader *ld, const struct sc_node *pol)
{
	return compile_policy_into(ld, pol, "'policy'", &ld->sc->policy);
}

/* -- world -- */

static int find_object(const struct scenario *sc, const char *name)
{
	int i;

	for (i = 0; i < sc->nr_objs; i++)
		if (!strcmp(sc->objs[i].name, name))
			return i;
	return -1;
}

static int declare_object(struct sc_loader *ld, const struct scenario_obj_kind *k,
			  const struct sc_node *name_node,
			  const struct sc_node *settings)
{
	struct scenario *sc = ld->sc;
	struct sc_object *o;
	const char *name;
	int prev;

	if (get_name(ld, name_node, "object name", SC_NAME_MAX, &name))
		return -1;
	prev = find_object(sc, name);
	if (prev >= 0)
		return sc_error(ld, name_node,
				"'%s' is already defined (a %s at line %d)", name,
				sc->objs[prev].kind->kind, sc->objs[prev].line);
	if (sc->nr_objs == SC_MAX_OBJECTS)
		return sc_error(ld, name_node, "more than %d objects",
				SC_MAX_OBJECTS);
	o = &sc->objs[sc->nr_objs];
	o->kind = k;
	o->name = name;
	o->line = name_node->line;
	o->col = name_node->col;
	if (settings && !sc_is_null(settings)) {
		if (!k->parse)
			return sc_error(ld, settings, "a %s takes no settings",
					k->kind);
		if (k->parse(ld, o, settings))
			return -1;
	}
	sc->nr_objs++;
	return 0;
}

static const struct scenario_obj_kind *kind_by_key(const char *key)
{
	const struct scenario_subsys *s;
	int i, j;

	for (i = 0; (s = scenario_subsys_at(i)); i++)
		for (j = 0; s->kinds && s->kinds[j].kind; j++)
			if (!strcmp(s->kinds[j].world_key, key))
				return &s->kinds[j];
	return NULL;
}

static int world_key_parse(struct sc_loader *ld, const char *key,
			   const struct sc_node *val, bool *found)
{
	const struct scenario_subsys *s;
	int i, j;

	*found = false;
	for (i = 0; (s = scenario_subsys_at(i)); i++) {
		for (j = 0; s->world_keys && s->world_keys[j].key; j++) {
			if (strcmp(s->world_keys[j].key, key))
				continue;
			/* a key several subsystems know (cpus) goes to each */
			*found = true;
			if (s->world_keys[j].parse(ld, ld->sc->subsys_cfg[i],
						   val))
				return -1;
		}
	}
	return 0;
}

static int unknown_world_key(struct sc_loader *ld, const struct sc_node *key)
{
	const struct scenario_subsys *s;
	const char *names[64];
	char msg[512], q[CLIP_MAX];
	int i, j, n = 0;

	for (i = 0; (s = scenario_subsys_at(i)); i++) {
		for (j = 0; s->kinds && s->kinds[j].kind && n < 64; j++)
			names[n++] = s->kinds[j].world_key;
		for (j = 0; s->world_keys && s->world_keys[j].key && n < 64; j++)
			names[n++] = s->world_keys[j].key;
	}
	snprintf(msg, sizeof(msg), "unknown key '%s' in 'world'",
		 clip(q, key->str));
	suggest_close(msg, sizeof(msg), key->str, names, n);
	return sc_error(ld, key, "%s", msg);
}

static int compile_world(struct sc_loader *ld, const struct sc_node *world)
{
	int i, j;

	if (check_keys(ld, world, "'world'", NULL))
		return -1;
	for (i = 0; i < sc_len(world); i++) {
		const struct sc_node *key = sc_map_key(world, i);
		const struct sc_node *val = sc_map_value(world, i);
		const struct scenario_obj_kind *k = kind_by_key(key->str);
		bool found;

		if (!k) {
			if (world_key_parse(ld, key->str, val, &found))
				return -1;
			if (!found)
				return unknown_world_key(ld, key);
			continue;
		}
		if (sc_is_null(val))
			continue;
		if (val->type == SCN_SEQ) {
			for (j = 0; j < sc_len(val); j++) {
				const struct sc_node *it = sc_seq_item(val, j);
				const struct sc_node *name = it;

				/* `- {name: N, settings...}`: the kind's
				 * parse sees the whole map */
				if (it->type == SCN_MAP) {
					name = map_get(it, "name");
					if (!name)
						return sc_error(ld, it,
								"a %s needs a 'name'",
								k->kind);
				} else {
					it = NULL;
				}
				if (declare_object(ld, k, name, it))
					return -1;
			}
		} else if (val->type == SCN_MAP) {
			if (check_keys(ld, val, key->str, NULL))
				return -1;
			for (j = 0; j < sc_len(val); j++)
				if (declare_object(ld, k, sc_map_key(val, j),
						   sc_map_value(val, j)))
					return -1;
		} else {
			return sc_error(ld, val,
					"'%s' must be a list of names or a map of name: settings, found %s",
					key->str, what(val));
		}
	}
	return 0;
}

/* -- agents and ops -- */

static int find_agent(const struct scenario *sc, const char *name)
{
	int i;

	for (i = 0; i < sc->nr_agents; i++)
		if (!strcmp(sc->agents[i].name, name))
			return i;
	return -1;
}

static const struct scenario_op_type *find_op(const char *name)
{
	const struct scenario_subsys *s;
	int i, j;

	for (i = 0; (s = scenario_subsys_at(i)); i++)
		for (j = 0; s->ops && s->ops[j].name; j++)
			if (!strcmp(s->ops[j].name, name))
				return &s->ops[j];
	return NULL;
}

/* does every key of map @v name a parameter of @t? */
static bool op_takes_keys(const struct scenario_op_type *t,
			  const struct sc_node *v)
{
	int i, j;

	for (i = 0; i < sc_len(v); i++) {
		const char *k = sc_str(sc_map_key(v, i));

		for (j = 0; j < SC_MAX_PARAMS && t->params[j].name; j++)
			if (!strcmp(t->params[j].name, k))
				break;
		if (j == SC_MAX_PARAMS || !t->params[j].name)
			return false;
	}
	return true;
}

/*
 * Two subsystems may share an op name (core's `read` of a counter, mm's
 * `read` of an address): with a map of parameters, the first op of that
 * name taking all its keys wins; else the first of that name.
 */
static const struct scenario_op_type *find_op_for(const char *name,
						   const struct sc_node *v)
{
	const struct scenario_op_type *first = find_op(name);
	const struct scenario_subsys *s;
	int i, j;

	if (!first || !v || v->type != SCN_MAP || op_takes_keys(first, v))
		return first;
	for (i = 0; (s = scenario_subsys_at(i)); i++)
		for (j = 0; s->ops && s->ops[j].name; j++)
			if (!strcmp(s->ops[j].name, name) &&
			    op_takes_keys(&s->ops[j], v))
				return &s->ops[j];
	return first;
}

static int unknown_op(struct sc_loader *ld, const struct sc_node *n)
{
	const struct scenario_subsys *s;
	const char *names[128];
	char msg[512], q[CLIP_MAX];
	int i, j, nr = 0;

	names[nr++] = "loop";
	for (i = 0; (s = scenario_subsys_at(i)); i++)
		for (j = 0; s->ops && s->ops[j].name && nr < 128; j++)
			names[nr++] = s->ops[j].name;
	snprintf(msg, sizeof(msg), "unknown operation '%s'", clip(q, n->str));
	suggest_close(msg, sizeof(msg), n->str, names, nr);
	return sc_error(ld, n, "%s", msg);
}

/* "a mutex, spinlock or rwsem" from "mutex|spinlock|rwsem" */
static void kinds_text(const char *kinds, char *buf, size_t len)
{
	const char *p = kinds, *bar;
	size_t used = 0;
	int i = 0, total = 1;

	for (bar = kinds; (bar = strchr(bar, '|')); bar++)
		total++;
	for (; p && used < len; i++) {
		bar = strchr(p, '|');
		used += snprintf(buf + used, len - used, "%s%.*s",
				 !i ? "a " : i == total - 1 ? " or " : ", ",
				 bar ? (int)(bar - p) : (int)strlen(p), p);
		p = bar ? bar + 1 : NULL;
	}
}

static bool kind_ok(const char *kinds, const char *kind)
{
	size_t n = strlen(kind);
	const char *p = kinds;

	if (!kinds)
		return true;
	for (; p; p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL)
		if (!strncmp(p, kind, n) && (p[n] == '|' || !p[n]))
			return true;
	return false;
}

static int parse_arg(struct sc_loader *ld, const char *opname,
		     const struct scenario_param *pa, const struct sc_node *v,
		     int self, struct sc_arg *out)
{
	struct scenario *sc = ld->sc;
	char name[96], buf[160], msg[512], q[CLIP_MAX];
	const char *s;
	int idx;

	snprintf(name, sizeof(name), "'%s' parameter '%s'", opname, pa->name);
	switch (pa->type) {
	case SCP_INT:
		if (sc_get_int(ld, v, pa->min < pa->max ? pa->min : LONG_MIN,
			       pa->min < pa->max ? pa->max : LONG_MAX, name,
			       &out->i))
			return -1;
		break;
	case SCP_BOOL:
		if (get_bool(ld, v, name, &out->i))
			return -1;
		break;
	case SCP_STRING:
		if (get_string(ld, v, name, &out->s))
			return -1;
		break;
	case SCP_KIND:
		if (get_kind(ld, v, name, &out->s))
			return -1;
		add_kind(ld, out->s);
		break;
	case SCP_REF:
		if (get_string(ld, v, name, &s))
			return -1;
		idx = find_object(sc, s);
		if (idx < 0) {
			const char *names[SC_MAX_OBJECTS];
			int i;

			for (i = 0; i < sc->nr_objs; i++)
				names[i] = sc->objs[i].name;
			snprintf(msg, sizeof(msg),
				 "'%s' is not defined in 'world'", clip(q, s));
			suggest_close(msg, sizeof(msg), s, names, sc->nr_objs);
			return sc_error(ld, v, "%s", msg);
		}
		if (!kind_ok(pa->kinds, sc->objs[idx].kind->kind)) {
			kinds_text(pa->kinds, buf, sizeof(buf));
			return sc_error(ld, v, "'%s' is a %s; '%s' needs %s", s,
					sc->objs[idx].kind->kind, opname, buf);
		}
		out->ref = idx;
		break;
	case SCP_AGENT:
		if (get_string(ld, v, name, &s))
			return -1;
		idx = find_agent(sc, s);
		if (idx < 0) {
			const char *names[MAX_AGENTS];
			int i;

			for (i = 0; i < sc->nr_agents; i++)
				names[i] = sc->agents[i].name;
			snprintf(msg, sizeof(msg), "no agent is named '%s'",
				 clip(q, s));
			suggest_close(msg, sizeof(msg), s, names, sc->nr_agents);
			return sc_error(ld, v, "%s", msg);
		}
		if (idx == self)
			return sc_error(ld, v, "agent '%s' cannot '%s' itself", s,
					opname);
		sc->agents[idx].waited = true;
		out->ref = idx;
		break;
	}
	out->set = true;
	return 0;
}

static int compile_ops(struct sc_loader *ld, const struct sc_node *list,
		       int self, struct sc_op **ops, int *nr);

static int compile_loop(struct sc_loader *ld, const struct sc_node *key,
			const struct sc_node *v, int self, struct sc_op *op)
{
	static const char *const keys[] = { "times", "ops", NULL };
	const struct sc_node *times, *body;

	if (v->type != SCN_MAP)
		return sc_error(ld, v,
				"'loop' needs a map {times: N, ops: [...]}, found %s",
				what(v));
	if (check_keys(ld, v, "'loop'", keys))
		return -1;
	times = map_get(v, "times");
	body = map_get(v, "ops");
	if (!times)
		return sc_error(ld, key, "'loop' needs 'times'");
	if (!body)
		return sc_error(ld, key, "'loop' needs 'ops'");
	if (sc_get_int(ld, times, 1, SC_MAX_REPEAT, "'loop' parameter 'times'",
		       &op->times))
		return -1;
	return compile_ops(ld, body, self, &op->body, &op->nr_body);
}

static int compile_op(struct sc_loader *ld, const struct sc_node *item,
		      int self, struct sc_op *op)
{
	const struct scenario_op_type *t;
	const struct sc_node *key, *v = NULL, *at[SC_MAX_PARAMS] = { NULL };
	int i, j, nr_params;

	if (item->type == SCN_SCALAR) {
		key = item;
	} else if (item->type == SCN_MAP) {
		if (sc_len(item) != 1)
			return sc_error(ld, item,
					"an operation is a map with one key, the operation's name; found %d keys",
					sc_len(item));
		key = sc_map_key(item, 0);
		v = sc_map_value(item, 0);
		if (key->type != SCN_SCALAR)
			return sc_error(ld, key, "an operation's name must be a string");
	} else {
		return sc_error(ld, item,
				"an operation is a name or a one-key map (- lock: a), found %s",
				what(item));
	}
	if (sc_is_null(key))
		return sc_error(ld, key, "an operation's name is missing");
	op->line = key->line;
	op->col = key->col;
	if (!strcmp(key->str, "loop")) {
		if (!v)
			return sc_error(ld, key,
					"'loop' needs a map {times: N, ops: [...]}");
		return compile_loop(ld, key, v, self, op);
	}
	t = find_op_for(key->str, v);
	if (!t)
		return unknown_op(ld, key);
	op->type = t;
	for (nr_params = 0; nr_params < SC_MAX_PARAMS && t->params[nr_params].name;
	     nr_params++)
		;
	if (v && sc_is_null(v))
		v = NULL;
	if (v && v->type == SCN_SCALAR) {
		if (!nr_params)
			return sc_error(ld, v, "'%s' takes no parameters",
					t->name);
		if (parse_arg(ld, t->name, &t->params[0], v, self, &op->args[0]))
			return -1;
		at[0] = v;
	} else if (v && v->type == SCN_MAP) {
		const char *names[SC_MAX_PARAMS + 1];
		char ctx[64];

		for (i = 0; i < nr_params; i++)
			names[i] = t->params[i].name;
		names[i] = NULL;
		if (!nr_params)
			return sc_error(ld, v, "'%s' takes no parameters",
					t->name);
		snprintf(ctx, sizeof(ctx), "'%s'", t->name);
		if (check_keys(ld, v, ctx, names))
			return -1;
		for (i = 0; i < sc_len(v); i++) {
			const struct sc_node *k = sc_map_key(v, i);

			for (j = 0; strcmp(t->params[j].name, k->str); j++)
				;
			if (parse_arg(ld, t->name, &t->params[j],
				      sc_map_value(v, i), self, &op->args[j]))
				return -1;
			at[j] = sc_map_value(v, i);
		}
	} else if (v) {
		return sc_error(ld, v,
				"the parameters of '%s' must be a scalar or a map, found %s",
				t->name, what(v));
	}
	for (i = 0; i < nr_params; i++) {
		if (!t->params[i].required || op->args[i].set)
			continue;
		if (!v && i == 0)
			return sc_error(ld, key, "'%s' needs a %s: write '- %s: %s'",
					t->name, t->params[0].name, t->name,
					t->params[0].type == SCP_INT ? "N" : "NAME");
		return sc_error(ld, key, "'%s' needs '%s'", t->name,
				t->params[i].name);
	}
	return t->check ? t->check(ld, op, key, at) : 0;
}

int sc_get_ref(struct sc_loader *ld, const struct sc_node *n, const char *what,
	       const char *kinds, int *idx)
{
	const struct scenario_param pa = { .name = what,
					   .type = SCP_REF,
					   .kinds = kinds };
	struct sc_arg arg = { 0 };

	if (parse_arg(ld, what, &pa, n, -1, &arg))
		return -1;
	*idx = arg.ref;
	return 0;
}

static int compile_ops(struct sc_loader *ld, const struct sc_node *list,
		       int self, struct sc_op **ops, int *nr)
{
	int i;

	if (list->type != SCN_SEQ)
		return sc_error(ld, list, "'ops' must be a list of operations, found %s",
				what(list));
	if (++ld->depth > SC_MAX_DEPTH)
		return sc_error(ld, list, "loops nested deeper than %d",
				SC_MAX_DEPTH);
	*nr = sc_len(list);
	*ops = sc_alloc(ld, (*nr ? *nr : 1) * sizeof(**ops));
	for (i = 0; i < *nr; i++)
		if (compile_op(ld, sc_seq_item(list, i), self, &(*ops)[i]))
			return -1;
	ld->depth--;
	return 0;
}

static const char *const agent_keys[] = { "name", "copies", "repeat", "ops",
					  NULL };

/* first pass: names, copies, repeat (so ops may refer to later agents) */
static int compile_agent_head(struct sc_loader *ld, const struct sc_node *n,
			      int idx)
{
	struct scenario *sc = ld->sc;
	struct sc_agent *a = &sc->agents[idx];
	const struct sc_node *v;
	long copies = 1;
	int prev;

	if (n->type != SCN_MAP)
		return sc_error(ld, n,
				"an agent is a map {name: ..., ops: [...]}, found %s",
				what(n));
	if (check_keys(ld, n, "an agent", agent_keys))
		return -1;
	v = map_get(n, "name");
	if (!v)
		return sc_error(ld, n, "an agent needs a 'name'");
	if (get_name(ld, v, "agent name", SC_NAME_MAX, &a->name))
		return -1;
	prev = find_agent(sc, a->name);
	if (prev >= 0 && prev < idx)
		return sc_error(ld, v, "agent '%s' is already defined at line %d",
				a->name, sc->agents[prev].line);
	a->line = v->line;
	a->col = v->col;
	if (!map_get(n, "ops"))
		return sc_error(ld, n, "agent '%s' needs 'ops'", a->name);
	v = map_get(n, "copies");
	if (v && sc_get_int(ld, v, 1, MAX_AGENTS, "'copies'", &copies))
		return -1;
	if (copies > 1 && strlen(a->name) > SC_NAME_MAX - 3)
		return sc_error(ld, v,
				"agent name '%s' is too long for copies (the copies are named %s.1 ... and must fit in %d characters)",
				a->name, a->name, SC_NAME_MAX);
	a->copies = copies;
	a->repeat = 1;
	v = map_get(n, "repeat");
	if (v && sc_get_int(ld, v, 1, SC_MAX_REPEAT, "'repeat'", &a->repeat))
		return -1;
	if (sc->nr_instances + copies > MAX_AGENTS)
		return sc_error(ld, n, "too many agents: at most %d (copies count)",
				MAX_AGENTS);
	sc->nr_instances += copies;
	sc->nr_agents = idx + 1;
	return 0;
}

static int compile_agents(struct sc_loader *ld, const struct sc_node *list)
{
	struct scenario *sc = ld->sc;
	int i;

	if (list->type != SCN_SEQ)
		return sc_error(ld, list, "'agents' must be a list of agents, found %s",
				what(list));
	if (!sc_len(list))
		return sc_error(ld, list, "'agents' is empty: a scenario needs at least one agent");
	if (sc_len(list) > MAX_AGENTS)
		return sc_error(ld, sc_seq_item(list, MAX_AGENTS),
				"too many agents: at most %d", MAX_AGENTS);
	sc->agents = sc_alloc(ld, sc_len(list) * sizeof(*sc->agents));
	for (i = 0; i < sc_len(list); i++)
		if (compile_agent_head(ld, sc_seq_item(list, i), i))
			return -1;
	for (i = 0; i < sc_len(list); i++) {
		struct sc_agent *a = &sc->agents[i];

		if (compile_ops(ld, map_get(sc_seq_item(list, i), "ops"), i,
				&a->ops, &a->nr_ops))
			return -1;
	}
	return 0;
}

/* -- final checks: "counter x == 2" -- */

static const struct scenario_value_type *find_value(const char *name)
{
	const struct scenario_subsys *s;
	int i, j;

	for (i = 0; (s = scenario_subsys_at(i)); i++)
		for (j = 0; s->values && s->values[j].name; j++)
			if (!strcmp(s->values[j].name, name))
				return &s->values[j];
	return NULL;
}

struct token {
	char text[64];
	int col;
};

/* split @n's text at blanks; columns are exact for one-line scalars */
static int tokenize(struct sc_loader *ld, const struct sc_node *n,
		    struct token *tok, int max)
{
	const char *s = n->str;
	int nr = 0, base = n->col + (n->quoted ? 1 : 0);
	size_t i = 0, start;

	while (s[i]) {
		while (s[i] == ' ' || s[i] == '\t')
			i++;
		if (!s[i])
			break;
		start = i;
		while (s[i] && s[i] != ' ' && s[i] != '\t')
			i++;
		if (nr == max)
			return error_at(ld, n->line, base + (int)start,
					"unexpected '%.*s' after the check",
					(int)(i - start), s + start);
		if (i - start >= sizeof(tok[nr].text))
			return error_at(ld, n->line, base + (int)start,
					"word too long in a final check");
		memcpy(tok[nr].text, s + start, i - start);
		tok[nr].text[i - start] = 0;
		tok[nr].col = base + start;
		nr++;
	}
	return nr;
}

static int compile_check(struct sc_loader *ld, const struct sc_node *str,
			 struct sc_final *f)
{
	static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=" };
	const struct scenario_value_type *t;
	struct token tok[SC_MAX_PARAMS + 3];
	struct sc_node fake;
	char msg[512], q[CLIP_MAX];
	int nr, nr_params, i;

	nr = tokenize(ld, str, tok, ARRAY_SIZE(tok));
	if (nr < 0)
		return -1;
	if (!nr)
		return sc_error(ld, str, "an empty final check");
	t = find_value(tok[0].text);
	if (!t) {
		const struct scenario_subsys *s;
		const char *names[64];
		int j, n = 0;

		for (i = 0; (s = scenario_subsys_at(i)); i++)
			for (j = 0; s->values && s->values[j].name && n < 64; j++)
				names[n++] = s->values[j].name;
		snprintf(
			msg, sizeof(msg),
			"unknown value '%s' in a final check (write e.g. 'counter x == 2')",
			clip(q, tok[0].text));
		suggest_close(msg, sizeof(msg), tok[0].text, names, n);
		return error_at(ld, str->line, tok[0].col, "%s", msg);
	}
	f->type = t;
	for (nr_params = 0; nr_params < SC_MAX_PARAMS && t->params[nr_params].name;
	     nr_params++)
		;
	if (nr != nr_params + 3)
		return error_at(ld, str->line, tok[0].col,
				"a final check is '%s%s OP NUMBER' with OP one of == != < <= > >=",
				t->name, nr_params ? " NAME" : "");
	for (i = 0; i < nr_params; i++) {
		/* a scalar node standing for the token, for positions */
		fake = *str;
		fake.col = tok[1 + i].col;
		fake.quoted = false;
		fake.str = sc_strdup(ld, tok[1 + i].text);
		if (parse_arg(ld, t->name, &t->params[i], &fake, -1, &f->args[i]))
			return -1;
	}
	for (i = 0; i < (int)ARRAY_SIZE(ops); i++)
		if (!strcmp(ops[i], tok[1 + nr_params].text))
			break;
	if (i == (int)ARRAY_SIZE(ops))
		return error_at(ld, str->line, tok[1 + nr_params].col,
				"'%s' is not a comparison (== != < <= > >=)",
				tok[1 + nr_params].text);
	f->cmp = i;
	fake = *str;
	fake.col = tok[2 + nr_params].col;
	fake.quoted = false;
	fake.str = sc_strdup(ld, tok[2 + nr_params].text);
	if (sc_get_int(ld, &fake, LONG_MIN, LONG_MAX, "the right side", &f->value))
		return -1;
	f->text = str->str;
	return 0;
}

static int compile_final(struct sc_loader *ld, const struct sc_node *list)
{
	static const char *const keys[] = { "check", "violation", "message",
					    NULL };
	struct scenario *sc = ld->sc;
	int i;

	if (list->type != SCN_SEQ)
		return sc_error(ld, list, "'final' must be a list of checks, found %s",
				what(list));
	sc->nr_finals = sc_len(list);
	sc->finals = sc_alloc(ld, (sc->nr_finals ? sc->nr_finals : 1) *
					  sizeof(*sc->finals));
	for (i = 0; i < sc->nr_finals; i++) {
		const struct sc_node *it = sc_seq_item(list, i), *c, *v;
		struct sc_final *f = &sc->finals[i];

		f->violation = "final-check";
		f->line = it->line;
		f->col = it->col;
		if (it->type == SCN_SCALAR && !sc_is_null(it)) {
			c = it;
		} else if (it->type == SCN_MAP) {
			if (check_keys(ld, it, "a final check", keys))
				return -1;
			c = map_get(it, "check");
			if (!c)
				return sc_error(ld, it, "a final check needs 'check'");
			v = map_get(it, "violation");
			if (v && get_kind(ld, v, "'violation'", &f->violation))
				return -1;
			v = map_get(it, "message");
			if (v && get_string(ld, v, "'message'", &f->message))
				return -1;
		} else {
			return sc_error(ld, it,
					"a final check is a string ('counter x == 2') or a map {check, violation, message}, found %s",
					what(it));
		}
		if (get_string(ld, c, "'check'", &f->text))
			return -1;
		if (compile_check(ld, c, f))
			return -1;
		add_kind(ld, f->violation);
	}
	return 0;
}

static int compile_expect(struct sc_loader *ld, const struct sc_node *n)
{
	const struct scenario_subsys *s;
	char msg[512], q[CLIP_MAX];
	const char *e;
	int i, j;

	if (get_string(ld, n, "'expect'", &e))
		return -1;
	if (!strcmp(e, "clean")) {
		ld->sc->expect = NULL;
		return 0;
	}
	for (i = 0; (s = scenario_subsys_at(i)); i++)
		for (j = 0; s->violations && s->violations[j]; j++)
			add_kind(ld, s->violations[j]);
	for (i = 0; i < ld->nr_kinds; i++)
		if (!strcmp(ld->kinds[i], e)) {
			ld->sc->expect = e;
			return 0;
		}
	snprintf(
		msg, sizeof(msg),
		"'expect' must be 'clean' or a violation kind this scenario can report; '%s' is not one",
		clip(q, e));
	suggest_close(msg, sizeof(msg), e, ld->kinds, ld->nr_kinds);
	return sc_error(ld, n, "%s", msg);
}

/* -- zoo: the bug-zoo metadata of a scenario -- */

static int compile_zoo(struct sc_loader *ld, const struct sc_node *n)
{
	static const char *const keys[] = { "name",  "history", "violation",
					    "buggy", "fixed",	"budget",
					    NULL };
	static const char *const budget_keys[] = { "strategy", "iterations",
						   "bound",    "depth",
						   "seed",     NULL };
	static const char *const need[] = { "name", "history", "violation",
					    "buggy", "fixed", "budget", NULL };
	struct sc_zoo *z = sc_alloc(ld, sizeof(*z));
	const struct sc_node *b, *v;
	const char *strat;
	long val;
	int i;

	if (check_keys(ld, n, "'zoo'", keys))
		return -1;
	for (i = 0; need[i]; i++)
		if (!map_get(n, need[i]))
			return sc_error(ld, n, "'zoo' needs '%s'", need[i]);
	z->line = n->line;
	if (get_string(ld, map_get(n, "name"), "'zoo: name'", &z->name) ||
	    get_string(ld, map_get(n, "history"), "'zoo: history'",
		       &z->history) ||
	    get_kind(ld, map_get(n, "violation"), "'zoo: violation'",
		     &z->violation))
		return -1;
	v = map_get(n, "violation");
	for (i = 0; i < ld->nr_kinds; i++)
		if (!strcmp(ld->kinds[i], z->violation))
			break;
	if (i == ld->nr_kinds)
		return sc_error(ld, v,
				"'zoo: violation': '%s' is not a violation kind this scenario can report",
				z->violation);
	policy_init_default(&z->buggy);
	policy_init_default(&z->fixed);
	if (compile_policy_into(ld, map_get(n, "buggy"), "'zoo: buggy'",
				&z->buggy) ||
	    compile_policy_into(ld, map_get(n, "fixed"), "'zoo: fixed'",
				&z->fixed))
		return -1;
	b = map_get(n, "budget");
	if (check_keys(ld, b, "'zoo: budget'", budget_keys))
		return -1;
	z->strategy = STRAT_RANDOM;
	z->bound = -1;
	z->seed = 1;
	v = map_get(b, "strategy");
	if (v) {
		if (get_string(ld, v, "'strategy'", &strat))
			return -1;
		if (!strcmp(strat, "random"))
			z->strategy = STRAT_RANDOM;
		else if (!strcmp(strat, "pct"))
			z->strategy = STRAT_PCT;
		else if (!strcmp(strat, "dfs"))
			z->strategy = STRAT_DFS;
		else
			return sc_error(ld, v,
					"'strategy' must be random, pct or dfs, not '%s'",
					strat);
	}
	v = map_get(b, "iterations");
	if (!v && z->strategy != STRAT_DFS)
		return sc_error(ld, b, "'zoo: budget' needs 'iterations'");
	if (v && sc_get_int(ld, v, 1, 100000000, "'iterations'", &val))
		return -1;
	z->iterations = v ? val : 0;
	v = map_get(b, "bound");
	if (v && sc_get_int(ld, v, 0, 1000, "'bound'", &val))
		return -1;
	if (v)
		z->bound = val;
	v = map_get(b, "depth");
	if (v && z->strategy != STRAT_PCT)
		return sc_error(ld, v, "'depth' is a pct budget's; this budget's strategy is %s",
				z->strategy == STRAT_DFS ? "dfs" : "random");
	if (v && sc_get_int(ld, v, 1, 32, "'depth'", &val))
		return -1;
	z->depth = v ? val : 0;
	v = map_get(b, "seed");
	if (v && sc_get_int(ld, v, 0, LONG_MAX, "'seed'", &val))
		return -1;
	if (v)
		z->seed = val;
	ld->sc->zoo = z;
	return 0;
}

static const char *const top_keys[] = { "name",	  "description", "policy",
					"world",  "agents",	 "expect",
					"final", "zoo", NULL };

static int compile(struct sc_loader *ld, const struct sc_node *root)
{
	struct scenario *sc = ld->sc;
	const struct scenario_subsys *s;
	const struct sc_node *n;
	int i;

	if (root->type != SCN_MAP)
		return sc_error(ld, root,
				"a scenario is a map (name:, agents:, ...), found %s",
				what(root));
	if (check_keys(ld, root, "the scenario", top_keys))
		return -1;
	for (i = 0; (s = scenario_subsys_at(i)); i++)
		;
	sc->nr_subsys = i;
	sc->subsys_cfg = sc_alloc(ld, (i ? i : 1) * sizeof(void *));
	for (i = 0; (s = scenario_subsys_at(i)); i++)
		sc->subsys_cfg[i] = s->cfg_size ? sc_alloc(ld, s->cfg_size) : NULL;

	n = map_get(root, "name");
	if (!n)
		return sc_error(ld, root, "the scenario needs a 'name'");
	if (get_string(ld, n, "'name'", &sc->name))
		return -1;
	n = map_get(root, "description");
	if (n && get_string(ld, n, "'description'", &sc->description))
		return -1;
	n = map_get(root, "policy");
	if (n && compile_policy(ld, n))
		return -1;
	sc->objs = sc_alloc(ld, SC_MAX_OBJECTS * sizeof(*sc->objs));
	n = map_get(root, "world");
	if (n && !sc_is_null(n) && compile_world(ld, n))
		return -1;
	for (i = 0; i < sc->nr_objs; i++)
		if (sc->objs[i].kind->resolve &&
		    sc->objs[i].kind->resolve(ld, &sc->objs[i]))
			return -1;
	n = map_get(root, "agents");
	if (!n)
		return sc_error(ld, root, "the scenario needs 'agents'");
	if (compile_agents(ld, n))
		return -1;
	n = map_get(root, "final");
	if (n && !sc_is_null(n) && compile_final(ld, n))
		return -1;
	n = map_get(root, "expect");
	if (n && compile_expect(ld, n))
		return -1;
	n = map_get(root, "zoo");
	if (n) {
		const struct scenario_subsys *z;
		int j;

		for (i = 0; (z = scenario_subsys_at(i)); i++)
			for (j = 0; z->violations && z->violations[j]; j++)
				add_kind(ld, z->violations[j]);
		if (compile_zoo(ld, n))
			return -1;
	}
	return 0;
}

struct scenario *scenario_load_buffer(const char *name, const char *buf,
				      size_t len, char *err, size_t errlen)
{
	struct sc_loader *ld = calloc(1, sizeof(*ld));
	struct scenario *sc = calloc(1, sizeof(*sc));
	const struct sc_node *root;

	if (!ld || !sc) {
		snprintf(err, errlen, "%s: out of memory", name);
		free(ld);
		free(sc);
		return NULL;
	}
	ld->file = name;
	ld->buf = buf;
	ld->len = len;
	ld->err = err;
	ld->errlen = errlen;
	ld->sc = sc;
	policy_init_default(&sc->policy);
	sc->file = sc_strdup(ld, name);
	if (len > SC_MAX_FILE) {
		error_at(ld, 1, 1, "the file is larger than %d bytes", SC_MAX_FILE);
		goto fail;
	}
	root = yaml_to_tree(ld);
	if (!root || compile(ld, root))
		goto fail;
	free(ld);
	return sc;
fail:
	free(ld);
	scenario_free(sc);
	return NULL;
}

struct scenario *scenario_load_file(const char *path, char *err, size_t errlen)
{
	struct scenario *sc;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (len == cap) {
			char *nb;

			cap = cap ? 2 * cap : 4096;
			if (cap > SC_MAX_FILE + 1)
				cap = SC_MAX_FILE + 1;
			nb = len < cap ? realloc(buf, cap) : NULL;
			if (!nb)
				break;
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n && len <= SC_MAX_FILE);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	sc = scenario_load_buffer(path, buf ? buf : "", len, err, errlen);
	free(buf);
	return sc;
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	pool_free(sc->pool);
	free(sc);
}

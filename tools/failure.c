// SPDX-License-Identifier: MIT
/*
 * Failure files (failure.h): written and read with Jansson, a strict
 * JSON parser with a fixed nesting limit (2048), so a hostile file costs
 * time linear in its size, at most FAILURE_MAX_FILE bytes.  Every problem
 * in a file becomes one line, "PATH: problem".
 *
 * Simplifications: unknown keys are errors, as in scenario files, and
 * "secmmu_failure" carries the format version for the day the format
 * changes.  Strings must be valid UTF-8 without NUL characters; data
 * after the one JSON document is an error.  A seed above INT64_MAX (the
 * largest JSON integer Jansson holds) is written as a decimal string.
 *
 * Locking: none; the CLI is single-threaded.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "core/world.h"
#include "core/compiler.h"
#include "core/suggest.h"
#include "failure.h"

#define FAILURE_MAX_FILE (1 << 20)

static int fail(char *err, size_t len, const char *path, const char *fmt, ...)
{
	char *msg, *line;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0 || asprintf(&line, "%s: %s", path, msg) < 0)
		abort();
	/* one line, whatever a key or value quoted from the file holds */
	for (n = 0; line[n]; n++)
		if ((unsigned char)line[n] < 0x20 || line[n] == 0x7f)
			line[n] = '?';
	/* a long quoted key or value gives way, never the problem */
	shorten_quoted(line, len - 1);
	memcpy(err, line, strlen(line) + 1);
	free(line);
	free(msg);
	return -1;
}

/* the whole file, NUL-terminated; NULL with errno set */
char *failure_slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(FAILURE_MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	n = fread(buf, 1, FAILURE_MAX_FILE + 1, f);
	if (ferror(f) || n > FAILURE_MAX_FILE) {
		int e = ferror(f) ? EIO : EFBIG;

		fclose(f);
		free(buf);
		errno = e;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*lenp = n;
	return buf;
}

bool failure_looks_json(const char *buf)
{
	while (*buf == ' ' || *buf == '\t' || *buf == '\n' || *buf == '\r')
		buf++;
	return *buf == '{' || *buf == '[';
}

bool failure_file_sniff(const char *path)
{
	char buf[4096], *p;
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (p = buf; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'; p++)
		;
	return *p == '{' && strstr(p, "\"secmmu_failure\"");
}

int failure_hash_file(const char *path, char out[17])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t len, i;
	char *buf = failure_slurp(path, &len);

	if (!buf)
		return -1;
	for (i = 0; i < len; i++) {
		h ^= (unsigned char)buf[i];
		h *= 0x100000001b3ULL;
	}
	free(buf);
	snprintf(out, 17, "%016" PRIx64, h);
	return 0;
}

/* ---- writing ---- */

/* @key: @s, or null for NULL; -1 when @s is not valid UTF-8 */
static int put_str(json_t *o, const char *key, const char *s)
{
	json_t *v = s ? json_string(s) : json_null();

	return v ? json_object_set_new(o, key, v) : -1;
}

int failure_write(const char *path, const struct failure *fl, char *err,
		  size_t len)
{
	json_t *o = json_object(), *sets = json_array();
	const char *bad = NULL;
	FILE *f;
	int i, ret;

	if (!o || !sets)
		abort();
	json_object_set_new(o, "secmmu_failure", json_integer(FAILURE_FORMAT));
	if (put_str(o, "version", fl->version))
		bad = "version";
	if (fl->scenario) {
		if (put_str(o, "scenario", fl->scenario) ||
		    put_str(o, "scenario_abs", fl->scenario_abs))
			bad = "scenario";
		put_str(o, "scenario_hash", fl->scenario_hash);
	} else if (put_str(o, "model", fl->model)) {
		bad = "model";
	}
	if (put_str(o, "policy", fl->policy))
		bad = "policy";
	for (i = 0; i < fl->nr_sets; i++) {
		json_t *s = json_string(fl->sets[i]);

		if (!s)
			bad = "set";
		else
			json_array_append_new(sets, s);
	}
	json_object_set_new(o, "set", sets);
	json_object_set_new(o, "engine", json_string("det"));
	if (put_str(o, "strategy", fl->strategy))
		bad = "strategy";
	if (fl->seed > INT64_MAX) {
		char seed[24];

		snprintf(seed, sizeof(seed), "%" PRIu64, fl->seed);
		put_str(o, "seed", seed);
	} else {
		json_object_set_new(o, "seed", json_integer(fl->seed));
	}
	json_object_set_new(o, "execution", json_integer(fl->execution));
	json_object_set_new(o, "jobs", json_integer(fl->jobs));
	json_object_set_new(o, "max_steps", json_integer(fl->max_steps));
	put_str(o, "schedule", fl->schedule);
	put_str(o, "kind", fl->kind);
	json_object_set_new(o, "replay_verified",
			    json_boolean(fl->replay_verified));
	if (put_str(o, "command", fl->command))
		bad = "command";
	if (bad) {
		json_decref(o);
		return fail(err, len, path,
			    "cannot write: the %s is not valid UTF-8", bad);
	}
	f = fopen(path, "w");
	if (!f) {
		json_decref(o);
		return fail(err, len, path, "cannot write: %s",
			    strerror(errno));
	}
	ret = json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!ret)
		ret = fputc('\n', f) == EOF;
	if (ret | ferror(f) | fclose(f))
		return fail(err, len, path, "cannot write: %s",
			    strerror(errno ? errno : EIO));
	return 0;
}

/* ---- reading ---- */

struct reader {
	const char *path;
	char *err;
	size_t len;
};

/* a string, or NULL for null when @nullable */
static int get_str(struct reader *rd, const char *key, const json_t *v,
		   bool nullable, char **out)
{
	if (json_is_null(v) && nullable) {
		free(*out);
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return fail(rd->err, rd->len, rd->path, "'%s' must be a string",
			    key);
	free(*out);
	*out = strdup(json_string_value(v));
	if (!*out)
		abort();
	return 0;
}

static int get_u64(struct reader *rd, const char *key, const json_t *v,
		   uint64_t *out)
{
	const char *s;
	char *end;

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = json_integer_value(v);
		return 0;
	}
	/* a seed above INT64_MAX is written as a string of digits */
	if (json_is_string(v)) {
		s = json_string_value(v);
		if (*s >= '0' && *s <= '9') {
			errno = 0;
			*out = strtoull(s, &end, 10);
			if (!errno && !*end)
				return 0;
		}
	}
	return fail(rd->err, rd->len, rd->path,
		    "'%s' must be a non-negative integer", key);
}

static int get_ulong(struct reader *rd, const char *key, const json_t *v,
		     unsigned long *out)
{
	uint64_t n;

	if (get_u64(rd, key, v, &n))
		return -1;
	if (n > ULONG_MAX)
		return fail(rd->err, rd->len, rd->path, "'%s' is too large",
			    key);
	*out = n;
	return 0;
}

static int get_bool(struct reader *rd, const char *key, const json_t *v,
		    bool *out)
{
	if (!json_is_boolean(v))
		return fail(rd->err, rd->len, rd->path,
			    "'%s' must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

static int get_sets(struct reader *rd, const json_t *v, struct failure *f)
{
	size_t i;
	json_t *s;

	if (!json_is_array(v))
		return fail(rd->err, rd->len, rd->path,
			    "'set' must be a list of \"KNOB=VALUE\" strings");
	json_array_foreach(v, i, s)
	{
		if (f->nr_sets == FAILURE_MAX_SETS)
			return fail(rd->err, rd->len, rd->path,
				    "'set' has more than %d entries",
				    FAILURE_MAX_SETS);
		if (!json_is_string(s) || !strchr(json_string_value(s), '='))
			return fail(
				rd->err, rd->len, rd->path,
				"'set' must be a list of \"KNOB=VALUE\" strings");
		if (get_str(rd, "set", s, false, &f->sets[f->nr_sets]))
			return -1;
		f->nr_sets++;
	}
	return 0;
}

/* the strategies a failure can have been found by (cmd_explore's names) */
static bool known_strategy(const char *s)
{
	static const char *const names[] = { "random", "pct", "dfs", "replay" };
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i]))
			return true;
	return false;
}

static int get_key(struct reader *rd, const char *key, const json_t *v,
		   struct failure *f)
{
	uint64_t fmt;
	char *s = NULL;
	int ret;

	if (!strcmp(key, "secmmu_failure")) {
		if (get_u64(rd, key, v, &fmt))
			return -1;
		if (fmt != FAILURE_FORMAT)
			return fail(rd->err, rd->len, rd->path,
				    "failure format %" PRIu64
				    " is not the one this secmmu reads (%d)",
				    fmt, FAILURE_FORMAT);
		return 0;
	}
	if (!strcmp(key, "version"))
		return get_str(rd, key, v, false, &f->version);
	if (!strcmp(key, "model"))
		return get_str(rd, key, v, true, &f->model);
	if (!strcmp(key, "scenario"))
		return get_str(rd, key, v, true, &f->scenario);
	if (!strcmp(key, "scenario_abs"))
		return get_str(rd, key, v, true, &f->scenario_abs);
	if (!strcmp(key, "scenario_hash"))
		return get_str(rd, key, v, true, &f->scenario_hash);
	if (!strcmp(key, "policy"))
		return get_str(rd, key, v, true, &f->policy);
	if (!strcmp(key, "set"))
		return get_sets(rd, v, f);
	if (!strcmp(key, "engine")) {
		if (get_str(rd, key, v, false, &s))
			return -1;
		ret = strcmp(s, "det") ?
			      fail(rd->err, rd->len, rd->path,
				   "engine '%s' cannot be replayed (only det)",
				   s) :
			      0;
		free(s);
		return ret;
	}
	if (!strcmp(key, "strategy")) {
		if (get_str(rd, key, v, false, &f->strategy))
			return -1;
		if (!known_strategy(f->strategy))
			return fail(
				rd->err, rd->len, rd->path,
				"unknown strategy '%s' (random, pct, dfs or replay)",
				f->strategy);
		return 0;
	}
	if (!strcmp(key, "seed"))
		return get_u64(rd, key, v, &f->seed);
	if (!strcmp(key, "execution"))
		return get_ulong(rd, key, v, &f->execution);
	if (!strcmp(key, "jobs"))
		return get_ulong(rd, key, v, &f->jobs);
	if (!strcmp(key, "max_steps"))
		return get_ulong(rd, key, v, &f->max_steps);
	if (!strcmp(key, "schedule"))
		return get_str(rd, key, v, false, &f->schedule);
	if (!strcmp(key, "kind"))
		return get_str(rd, key, v, false, &f->kind);
	if (!strcmp(key, "replay_verified"))
		return get_bool(rd, key, v, &f->replay_verified);
	if (!strcmp(key, "command"))
		return get_str(rd, key, v, true, &f->command);
	return fail(rd->err, rd->len, rd->path, "unknown key '%s'", key);
}

static int read_doc(struct reader *rd, const json_t *root, struct failure *f)
{
	static const char *const req[] = { "seed", "schedule", "kind" };
	const char *key;
	json_t *v;
	unsigned i;

	if (!json_is_object(root))
		return fail(
			rd->err, rd->len, rd->path,
			"not a secmmu failure file: a JSON array, not an object");
	if (!json_object_get(root, "secmmu_failure"))
		return fail(
			rd->err, rd->len, rd->path,
			"not a secmmu failure file: no 'secmmu_failure' key");
	json_object_foreach((json_t *)root, key,
			    v) if (get_key(rd, key, v, f)) return -1;
	for (i = 0; i < ARRAY_SIZE(req); i++)
		if (!json_object_get(root, req[i]))
			return fail(rd->err, rd->len, rd->path,
				    "missing key '%s'", req[i]);
	if (!f->model == !f->scenario)
		return fail(rd->err, rd->len, rd->path,
			    f->model ? "names both a 'model' and a 'scenario'" :
				       "missing key 'model' or 'scenario'");
	return 0;
}

int failure_load_buffer(const char *path, const char *buf, size_t n,
			struct failure *f, char *err, size_t len)
{
	struct reader rd = { .path = path, .err = err, .len = len };
	json_error_t je;
	json_t *root;
	int ret;

	memset(f, 0, sizeof(*f));
	if (n > FAILURE_MAX_FILE)
		return fail(err, len, path, "larger than %d bytes",
			    FAILURE_MAX_FILE);
	root = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return fail(err, len, path,
			    "syntax error at line %d, column %d: %s", je.line,
			    je.column > 0 ? je.column : 1, je.text);
	ret = read_doc(&rd, root, f);
	json_decref(root);
	if (ret)
		failure_free(f);
	return ret;
}

int failure_load(const char *path, struct failure *f, char *err, size_t len)
{
	size_t n;
	char *buf;
	int ret;

	memset(f, 0, sizeof(*f));
	buf = failure_slurp(path, &n);
	if (!buf)
		return fail(err, len, path, "cannot read: %s", strerror(errno));
	ret = failure_load_buffer(path, buf, n, f, err, len);
	free(buf);
	return ret;
}

void failure_free(struct failure *f)
{
	int i;

	free(f->model);
	free(f->scenario);
	free(f->scenario_hash);
	free(f->scenario_abs);
	free(f->policy);
	for (i = 0; i < f->nr_sets; i++)
		free(f->sets[i]);
	free(f->strategy);
	free(f->schedule);
	free(f->kind);
	free(f->version);
	free(f->command);
	memset(f, 0, sizeof(*f));
}

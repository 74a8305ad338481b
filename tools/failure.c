// SPDX-License-Identifier: MIT
/*
 * Failure files (failure.h): writing one as JSON, and reading it back
 * with libyaml's document loader (JSON is a subset of the YAML libyaml
 * reads).  Every problem in a file becomes one line, "PATH: problem".
 *
 * Simplifications: the reader accepts any YAML that has the right keys
 * and scalar shapes, not only strict JSON; unknown keys are errors, as in
 * scenario files, and "secmmu_failure" carries the format version for
 * the day the format changes.  Strings must be valid UTF-8 (libyaml).
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
#include <yaml.h>

#include "core/world.h"
#include "core/compiler.h"
#include "failure.h"

#define FAILURE_MAX_FILE (1 << 20)

static int fail(char *err, size_t len, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, len, "%s: ", path);
	if (n < 0 || (size_t)n >= len)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, len - n, fmt, ap);
	va_end(ap);
	/* one line, whatever a key or value quoted from the file holds */
	for (; *err; err++)
		if ((unsigned char)*err < 0x20 || *err == 0x7f)
			*err = '?';
	return -1;
}

/* the whole file, NUL-terminated; NULL with errno set */
static char *slurp(const char *path, size_t *lenp)
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
	char *buf = slurp(path, &len);

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

int failure_write(const char *path, const struct failure *fl, char *err,
		  size_t len)
{
	FILE *f = fopen(path, "w");
	int i;

	if (!f)
		return fail(err, len, path, "cannot write: %s",
			    strerror(errno));
	fprintf(f, "{\n  \"secmmu_failure\": %d,\n  \"version\": ",
		FAILURE_FORMAT);
	fput_json_str(f, fl->version);
	if (fl->scenario) {
		fputs(",\n  \"scenario\": ", f);
		fput_json_str(f, fl->scenario);
		fputs(",\n  \"scenario_abs\": ", f);
		fput_json_str(f, fl->scenario_abs);
		fputs(",\n  \"scenario_hash\": ", f);
		fput_json_str(f, fl->scenario_hash);
	} else {
		fputs(",\n  \"model\": ", f);
		fput_json_str(f, fl->model);
	}
	fputs(",\n  \"policy\": ", f);
	fput_json_str(f, fl->policy);
	fputs(",\n  \"set\": [", f);
	for (i = 0; i < fl->nr_sets; i++) {
		fputs(i ? ", " : "", f);
		fput_json_str(f, fl->sets[i]);
	}
	fputs("],\n  \"engine\": \"det\",\n  \"strategy\": ", f);
	fput_json_str(f, fl->strategy);
	fprintf(f,
		",\n  \"seed\": %" PRIu64 ",\n  \"execution\": %lu,\n"
		"  \"jobs\": %lu,\n  \"max_steps\": %lu,\n  \"schedule\": ",
		fl->seed, fl->execution, fl->jobs, fl->max_steps);
	fput_json_str(f, fl->schedule);
	fputs(",\n  \"kind\": ", f);
	fput_json_str(f, fl->kind);
	fprintf(f, ",\n  \"replay_verified\": %s,\n  \"command\": ",
		fl->replay_verified ? "true" : "false");
	fput_json_str(f, fl->command);
	fputs("\n}\n", f);
	if (ferror(f) | fclose(f))
		return fail(err, len, path, "cannot write: %s",
			    strerror(errno));
	return 0;
}

/* ---- reading ---- */

struct reader {
	yaml_document_t doc;
	const char *path;
	char *err;
	size_t len;
};

static bool is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static bool is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	return is_plain(n) && (!strcmp(v, "null") || !strcmp(v, "~") || !*v);
}

/* a string, or NULL for null when @nullable */
static int get_str(struct reader *rd, const char *key, const yaml_node_t *n,
		   bool nullable, char **out)
{
	if (n->type != YAML_SCALAR_NODE || (is_null(n) && !nullable))
		return fail(rd->err, rd->len, rd->path, "'%s' must be a string",
			    key);
	if (is_null(n)) {
		*out = NULL;
		return 0;
	}
	if (memchr(n->data.scalar.value, '\0', n->data.scalar.length))
		return fail(rd->err, rd->len, rd->path,
			    "'%s' contains a NUL character", key);
	free(*out);
	*out = strdup((const char *)n->data.scalar.value);
	if (!*out)
		abort();
	return 0;
}

static int get_u64(struct reader *rd, const char *key, const yaml_node_t *n,
		   uint64_t *out)
{
	const char *v = (const char *)n->data.scalar.value;
	char *end;

	if (!is_plain(n) || !*v || *v < '0' || *v > '9')
		goto bad;
	errno = 0;
	*out = strtoull(v, &end, 10);
	if (!errno && !*end)
		return 0;
bad:
	return fail(rd->err, rd->len, rd->path,
		    "'%s' must be a non-negative integer", key);
}

static int get_ulong(struct reader *rd, const char *key, const yaml_node_t *n,
		     unsigned long *out)
{
	uint64_t v;

	if (get_u64(rd, key, n, &v))
		return -1;
	if (v > ULONG_MAX)
		return fail(rd->err, rd->len, rd->path, "'%s' is too large",
			    key);
	*out = v;
	return 0;
}

static int get_bool(struct reader *rd, const char *key, const yaml_node_t *n,
		    bool *out)
{
	const char *v = (const char *)n->data.scalar.value;

	if (is_plain(n) && (!strcmp(v, "true") || !strcmp(v, "false"))) {
		*out = v[0] == 't';
		return 0;
	}
	return fail(rd->err, rd->len, rd->path, "'%s' must be true or false",
		    key);
}

static int get_sets(struct reader *rd, const yaml_node_t *n, struct failure *f)
{
	yaml_node_item_t *it;

	if (n->type != YAML_SEQUENCE_NODE)
		return fail(rd->err, rd->len, rd->path,
			    "'set' must be a list of \"KNOB=VALUE\" strings");
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *s = yaml_document_get_node(&rd->doc, *it);

		if (f->nr_sets == FAILURE_MAX_SETS)
			return fail(rd->err, rd->len, rd->path,
				    "'set' has more than %d entries",
				    FAILURE_MAX_SETS);
		if (!s || s->type != YAML_SCALAR_NODE || is_null(s) ||
		    !strchr((const char *)s->data.scalar.value, '='))
			return fail(
				rd->err, rd->len, rd->path,
				"'set' must be a list of \"KNOB=VALUE\" strings");
		if (get_str(rd, "set", s, false, &f->sets[f->nr_sets]))
			return -1;
		f->nr_sets++;
	}
	return 0;
}

static int get_key(struct reader *rd, const char *key, const yaml_node_t *v,
		   struct failure *f)
{
	uint64_t fmt;
	char *engine = NULL;
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
		if (get_str(rd, key, v, false, &engine))
			return -1;
		ret = strcmp(engine, "det") ?
			      fail(rd->err, rd->len, rd->path,
				   "engine '%s' cannot be replayed (only det)",
				   engine) :
			      0;
		free(engine);
		return ret;
	}
	if (!strcmp(key, "strategy"))
		return get_str(rd, key, v, false, &f->strategy);
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

static int check_required(struct reader *rd, const struct failure *f,
			  unsigned seen)
{
	static const char *const req[] = { "secmmu_failure", "seed", "schedule",
					   "kind" };
	unsigned i;

	(void)f;
	for (i = 0; i < ARRAY_SIZE(req); i++)
		if (!(seen & 1u << i))
			return fail(rd->err, rd->len, rd->path,
				    "missing key '%s'", req[i]);
	if (!f->model == !f->scenario)
		return fail(rd->err, rd->len, rd->path,
			    f->model ? "names both a 'model' and a 'scenario'" :
				       "missing key 'model' or 'scenario'");
	return 0;
}

static unsigned required_bit(const char *key)
{
	if (!strcmp(key, "secmmu_failure"))
		return 1;
	if (!strcmp(key, "seed"))
		return 2;
	if (!strcmp(key, "schedule"))
		return 4;
	if (!strcmp(key, "kind"))
		return 8;
	return 0;
}

static int read_doc(struct reader *rd, struct failure *f)
{
	yaml_node_t *root = yaml_document_get_root_node(&rd->doc);
	yaml_node_pair_t *p, *q;
	unsigned seen = 0;

	if (!root || root->type != YAML_MAPPING_NODE)
		return fail(rd->err, rd->len, rd->path,
			    "not a secmmu failure file: not a JSON object");
	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&rd->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&rd->doc, p->value);
		const char *key;

		if (!k || !v || k->type != YAML_SCALAR_NODE)
			return fail(rd->err, rd->len, rd->path,
				    "keys must be strings");
		key = (const char *)k->data.scalar.value;
		for (q = root->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *kq =
				yaml_document_get_node(&rd->doc, q->key);

			if (!strcmp((const char *)kq->data.scalar.value, key))
				return fail(rd->err, rd->len, rd->path,
					    "duplicate key '%s'", key);
		}
		seen |= required_bit(key);
		if (get_key(rd, key, v, f))
			return -1;
	}
	return check_required(rd, f, seen);
}

int failure_load(const char *path, struct failure *f, char *err, size_t len)
{
	struct reader rd = { .path = path, .err = err, .len = len };
	yaml_parser_t parser;
	size_t n;
	char *buf;
	int ret;

	memset(f, 0, sizeof(*f));
	buf = slurp(path, &n);
	if (!buf)
		return fail(err, len, path, "cannot read: %s", strerror(errno));
	if (!yaml_parser_initialize(&parser)) {
		free(buf);
		return fail(err, len, path, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, n);
	if (!yaml_parser_load(&parser, &rd.doc)) {
		ret = fail(err, len, path,
			   "syntax error at line %zu, column %zu: %s",
			   parser.problem_mark.line + 1,
			   parser.problem_mark.column + 1,
			   parser.problem ? parser.problem : "malformed");
		yaml_parser_delete(&parser);
		free(buf);
		return ret;
	}
	ret = read_doc(&rd, f);
	yaml_document_delete(&rd.doc);
	yaml_parser_delete(&parser);
	free(buf);
	if (ret)
		failure_free(f);
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

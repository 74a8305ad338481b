// SPDX-License-Identifier: MIT
/*
 * secmmu: the command-line tool.  Subcommands:
 *
 *   run FILE|NAME [options]   run a scenario; compare with its expect
 *   explore NAME|FILE [options]  explore a shipped scenario (by name), a
 *                             scenario file or a built-in model
 *   replay NAME|FILE --schedule S   replay one recorded execution
 *   replay NAME|FILE --seed S       replay random execution S
 *   replay FAILURE_FILE       replay a violation saved by --save-failure
 *   list [--names] [NAME...]  built-in models and shipped scenarios
 *   policies [--json|--markdown|--names]  presets and every knob
 *   demo                      the main demo: find, explain, replay
 *   zoo [--jobs J] [--json] [NAME...]  the bug zoo (scenarios with a
 *                             zoo: block)
 *   zoo --markdown[=table]    the zoo's static data as docs/zoo.md (or the
 *                             README's table), without exploring
 *
 * Exit status: 0 clean (scenario: the outcome matched `expect`), 1 a
 * violation (scenario: the outcome did not match), 2 bad usage or input.
 *
 * --jobs J explores in J worker processes (src/engine/parallel.c); the
 * CLI only validates the options and prints the merged result.
 *
 * Locking: none; single-threaded, apart from the engines it calls.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/policy.h"
#include "engine/engine.h"
#include "failure.h"
#include "scenario/builtin.h"
#include "scenario/mm_models.h"
#include "scenario/scenario.h"
#include "secmmu/secmmu.h"
#include "version.h"

#ifndef SECMMU_SCENARIOS_DIR
#define SECMMU_SCENARIOS_DIR "scenarios"
#endif
#ifndef SECMMU_INSTALL_SCENARIOS_DIR
#define SECMMU_INSTALL_SCENARIOS_DIR SECMMU_SCENARIOS_DIR
#endif
#ifndef SECMMU_REL_SCENARIOS_DIR
#define SECMMU_REL_SCENARIOS_DIR ""
#endif

#define MAX_SETS 64

#define EXIT_VIOLATION 1
#define EXIT_USAGE 2

/* --minimize's outcome (minimize()) */
struct minimized {
	bool done; /* it ran */
	bool found;
	int bound; /* found: the preemptions; else the last bound tried */
	bool exhausted; /* not found: bounds 0..MINIMIZE_MAX_BOUND exhausted */
	unsigned long tried; /* executions, all bounds */
	struct explore_result r; /* found: that execution */
};

struct cli {
	const char *model; /* a built-in model's name, or a scenario file */
	struct explore_opts o;
	const char *strategy_name;
	const char *trace_json, *trace_text;
	bool real, json, keep_going;
	unsigned delay_pct;
	bool iterations_set, strategy_set, seed_set;
	bool minimize; /* --minimize */
	struct minimized min;
	struct policy_model pm;	  /* a built-in model under --policy/--set */
	const char *policy;	  /* --policy */
	const char *sets[MAX_SETS]; /* --set knob=value, in order */
	int nr_sets;
	struct scenario *sc;	  /* when model is a scenario file */
	unsigned long jobs;	  /* --jobs: worker processes */
	const char *save_failure; /* --save-failure FILE */
	const char *failure_file; /* replaying this failure file */
	struct failure fail;	  /* ... which holds this */
	char *input_buf; /* a scenario read from a pipe by replay */
	size_t input_len;
	unsigned long given;	  /* options given: 1 << (opt - OPT_FIRST) */
	/* a shipped scenario given by name: its file (model is the name) */
	const char *sc_file;
	char model_path[2 * PATH_MAX];
};

static const char *scenarios_dir(char *buf, size_t len);

static void usage(FILE *f)
{
	char dbuf[PATH_MAX];

	fprintf(f,
		"usage: secmmu <command> [options]\n"
		"\n"
		"commands:\n"
		"  run FILE|NAME      run a scenario (YAML); exit 0 when the\n"
		"                     outcome matches its 'expect'\n"
		"  explore NAME|FILE  explore a shipped scenario (by file name\n"
		"                     without .yaml, or by its 'name:'), a\n"
		"                     scenario file or a built-in model\n"
		"  replay NAME|FILE   replay one execution (--schedule, or\n"
		"                     --seed for a random one)\n"
		"  replay FAILURE     replay a violation saved by --save-failure\n"
		"  list [NAME...]     built-in models and shipped scenarios, or\n"
		"                     the named ones in full (--names: names only)\n"
		"  policies [--json|--markdown|--names]  policy presets and every knob\n"
		"  demo               find a bug, explain it, replay it\n"
		"  zoo [--jobs J] [--json] [NAME...]  the bug zoo: each entry's\n"
		"                     buggy policy must find its violation, its\n"
		"                     fixed one run clean (--jobs: each\n"
		"                     exploration on J worker processes, the\n"
		"                     same table)\n"
		"  zoo --markdown[=table]  the zoo's entries as docs/zoo.md (or\n"
		"                     the README's table), without exploring\n"
		"\n"
		"run/explore/replay options:\n"
		"  --policy PRESET        start from this preset (scenario: instead of\n"
		"                         the file's policy; see 'secmmu policies')\n"
		"  --set KNOB=VALUE       set one knob (repeatable)\n"
		"  --engine det|real      deterministic explorer (default) or threads\n"
		"  --strategy random|pct|dfs   (default random)\n"
		"  --iterations N         executions (default 1000; dfs: until done)\n"
		"  --seed S               first seed (default 1); execution n uses S+n-1\n"
		"  --bound K              dfs preemption bound (default: none)\n"
		"  --depth D              pct depth (default 3)\n"
		"  --max-steps N          livelock bound per execution (default 200000);\n"
		"                         a violating execution's trace is held in memory:\n"
		"                         about 260 bytes per step (1.8 KB with --trace)\n"
		"  --schedule STR         replay this decision list\n"
		"  --keep-going           do not stop at the first violation\n"
		"  --jobs J               J worker processes, 1..64 (default 1);\n"
		"                         random/pct: worker k runs executions\n"
		"                         k, k+J, ...; dfs: the tree is cut into\n"
		"                         subtrees dealt to the workers.  The\n"
		"                         report is that of --jobs 1\n"
		"  --save-failure FILE    write the first violation to FILE (JSON);\n"
		"                         'secmmu replay FILE' replays it\n"
		"  --trace FILE           Chrome Trace Event JSON (Perfetto UI)\n"
		"  --trace-text FILE      ftrace-like text timeline\n"
		"  --delay PCT            real engine: yield at PCT%% of schedule points\n"
		"  --json                 machine-readable summary on stdout\n"
		"  --minimize             after a violation, look for a schedule\n"
		"                         with the fewest preemptions that shows\n"
		"                         the same kind (dfs, bound 0..3, 100000\n"
		"                         executions at most) and report it too\n"
		"\n"
		"  -h, --help             this help\n"
		"  -V, --version          print the version and git revision\n"
		"\n"
		"environment: SECMMU_SCENARIOS=DIR  the shipped scenarios'\n"
		"directory (here: %s).  See secmmu(1).\n",
		scenarios_dir(dbuf, sizeof(dbuf)));
}

static int bad(const char *flag, const char *val, const char *why)
{
	fprintf(stderr, "secmmu: %s: '%s' %s\n", flag, val, why);
	return -1;
}

/*
 * A number on the command line: decimal (a leading zero does not make it
 * octal: --seed 010 is ten), or hexadecimal after 0x.
 */
static int parse_number(const char *flag, const char *s, uint64_t *out)
{
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *digits = hex ? s + 2 : s;
	char *end;

	if (!(hex ? isxdigit((unsigned char)*digits) :
		    isdigit((unsigned char)*digits)))
		return bad(flag, s, "is not a non-negative number");
	errno = 0;
	*out = strtoull(digits, &end, hex ? 16 : 10);
	if (*end)
		return bad(flag, s, "is not a non-negative number");
	if (errno == ERANGE)
		return bad(
			flag, s,
			"is too large (the largest is 18446744073709551615)");
	return 0;
}

static int parse_ulong(const char *flag, const char *s, unsigned long lo,
		       unsigned long hi, unsigned long *out)
{
	uint64_t v;

	if (parse_number(flag, s, &v))
		return -1;
	if (v < lo || v > hi) {
		fprintf(stderr, "secmmu: %s: %s is out of range [%lu, %lu]\n",
			flag, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_u64(const char *flag, const char *s, uint64_t *out)
{
	return parse_number(flag, s, out);
}

static int parse_strategy(struct cli *c, const char *s)
{
	if (!strcmp(s, "random"))
		c->o.strategy = STRAT_RANDOM;
	else if (!strcmp(s, "pct"))
		c->o.strategy = STRAT_PCT;
	else if (!strcmp(s, "dfs"))
		c->o.strategy = STRAT_DFS;
	else
		return bad("--strategy", s, "is not one of random, pct, dfs");
	c->strategy_name = s;
	c->strategy_set = true;
	return 0;
}

enum {
	OPT_FIRST = 256,
	OPT_ENGINE = OPT_FIRST,
	OPT_STRATEGY,
	OPT_ITER,
	OPT_SEED,
	OPT_BOUND,
	OPT_DEPTH,
	OPT_MAXSTEPS,
	OPT_SCHEDULE,
	OPT_TRACE,
	OPT_TRACE_TEXT,
	OPT_JSON,
	OPT_KEEP,
	OPT_DELAY,
	OPT_POLICY,
	OPT_SET,
	OPT_JOBS,
	OPT_SAVE_FAILURE,
	OPT_MINIMIZE,
};

static const struct option long_opts[] = {
	{ "engine", required_argument, NULL, OPT_ENGINE },
	{ "strategy", required_argument, NULL, OPT_STRATEGY },
	{ "iterations", required_argument, NULL, OPT_ITER },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "bound", required_argument, NULL, OPT_BOUND },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ "max-steps", required_argument, NULL, OPT_MAXSTEPS },
	{ "schedule", required_argument, NULL, OPT_SCHEDULE },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "trace-text", required_argument, NULL, OPT_TRACE_TEXT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "keep-going", no_argument, NULL, OPT_KEEP },
	{ "delay", required_argument, NULL, OPT_DELAY },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "set", required_argument, NULL, OPT_SET },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "save-failure", required_argument, NULL, OPT_SAVE_FAILURE },
	{ "minimize", no_argument, NULL, OPT_MINIMIZE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_opt(struct cli *c, int opt, const char *arg)
{
	unsigned long v;

	c->given |= 1UL << (opt - OPT_FIRST);
	switch (opt) {
	case OPT_JOBS:
		return parse_ulong("--jobs", arg, 1, EXPLORE_MAX_JOBS, &c->jobs);
	case OPT_SAVE_FAILURE:
		c->save_failure = arg;
		return 0;
	case OPT_MINIMIZE:
		c->minimize = true;
		return 0;
	case OPT_ENGINE:
		if (!strcmp(arg, "real"))
			c->real = true;
		else if (strcmp(arg, "det"))
			return bad("--engine", arg, "is not one of det, real");
		return 0;
	case OPT_STRATEGY:
		return parse_strategy(c, arg);
	case OPT_ITER:
		c->iterations_set = true;
		return parse_ulong("--iterations", arg, 1, ULONG_MAX,
				   &c->o.iterations);
	case OPT_SEED:
		c->seed_set = true;
		return parse_u64("--seed", arg, &c->o.seed);
	case OPT_BOUND:
		if (parse_ulong("--bound", arg, 0, 1000, &v))
			return -1;
		c->o.bound = v;
		return 0;
	case OPT_DEPTH:
		if (parse_ulong("--depth", arg, 1, 32, &v))
			return -1;
		c->o.depth = v;
		return 0;
	case OPT_MAXSTEPS:
		return parse_ulong("--max-steps", arg, 1, ULONG_MAX,
				   &c->o.max_steps);
	case OPT_SCHEDULE: {
		unsigned char *d;
		size_t n;

		if (schedule_decode(arg, &d, &n))
			return bad("--schedule", arg,
				   "is not a schedule (letters a-z A-Z, each optionally followed by a repeat count)");
		free(d);
		c->o.schedule = arg;
		c->o.strategy = STRAT_REPLAY;
		c->strategy_name = "replay";
		return 0;
	}
	case OPT_TRACE:
		c->trace_json = arg;
		return 0;
	case OPT_TRACE_TEXT:
		c->trace_text = arg;
		return 0;
	case OPT_JSON:
		c->json = true;
		return 0;
	case OPT_KEEP:
		c->keep_going = true;
		return 0;
	case OPT_DELAY:
		if (parse_ulong("--delay", arg, 0, 100, &v))
			return -1;
		c->delay_pct = v;
		return 0;
	case OPT_POLICY:
		c->policy = arg;
		return 0;
	case OPT_SET:
		if (!strchr(arg, '=') || arg[0] == '=')
			return bad("--set", arg, "is not KNOB=VALUE");
		if (c->nr_sets == MAX_SETS)
			return bad("--set", arg, "is one --set too many");
		c->sets[c->nr_sets++] = arg;
		return 0;
	}
	return -1;
}

static int parse_args(struct cli *c, int argc, char **argv)
{
	int opt;

	c->o.bound = -1;
	c->o.seed = 1;
	c->o.progress_fd = -1;
	c->jobs = 1;
	c->strategy_name = "random";
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (opt == '?') {
			if (optopt)
				fprintf(stderr, "secmmu: option '%s' needs a value\n",
					argv[optind - 1]);
			else
				fprintf(stderr, "secmmu: unknown option '%s'\n",
					argv[optind - 1]);
			return -1;
		}
		if (parse_opt(c, opt, optarg))
			return -1;
	}
	if (optind >= argc) {
		fprintf(stderr, "secmmu: missing %s (see 'secmmu list')\n",
			!strcmp(argv[0], "run") ? "FILE" : "MODEL");
		return -1;
	}
	if (optind + 1 < argc) {
		fprintf(stderr, "secmmu: unexpected argument '%s'\n",
			argv[optind + 1]);
		return -1;
	}
	c->model = argv[optind];
	return 0;
}

static int write_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "w");
	int bad;

	if (!f)
		goto err;
	bad = fputs(data ? data : "", f) < 0;
	if (fclose(f) | bad)
		goto err;
	return 0;
err:
	fprintf(stderr, "secmmu: %s: cannot write: %s\n", path,
		strerror(errno ? errno : EIO));
	return -1;
}

/* @s as one shell word: bare when safe, else in single quotes */
static void shell_word(FILE *f, const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_-./=:,+@%", *p))
			break;
	if (*s && !*p) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (p = s; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", f);
		else
			fputc(*p, f);
	}
	fputc('\'', f);
}

/* the flags that rebuild this run's policy: --policy P --set k=v ... */
static void print_policy_flags(FILE *f, const struct cli *c)
{
	int i;

	if (c->policy) {
		fputs(" --policy ", f);
		shell_word(f, c->policy);
	}
	for (i = 0; i < c->nr_sets; i++) {
		fputs(" --set ", f);
		shell_word(f, c->sets[i]);
	}
}

/* --max-steps N when the run changed it: the livelock bound matters */
static void print_max_steps(FILE *f, const struct cli *c)
{
	if (c->o.max_steps)
		fprintf(f, " --max-steps %lu", c->o.max_steps);
}

/* secmmu replay MODEL [policy flags] [--max-steps N] --schedule 'S' */
static void print_replay_cmd(FILE *f, const struct cli *c,
			     const struct explore_result *r)
{
	fputs("secmmu replay ", f);
	shell_word(f, c->model);
	print_policy_flags(f, c);
	print_max_steps(f, c);
	fprintf(f, " --schedule '%s'", r->first_schedule);
}

static void print_replay(FILE *f, const struct cli *c,
			 const struct explore_result *r)
{
	fputs("replay:  ", f);
	print_replay_cmd(f, c, r);
	fputc('\n', f);
	/* a pct execution also depends on its exploration's first seed */
	if (c->o.strategy == STRAT_RANDOM) {
		fputs("     or: secmmu replay ", f);
		shell_word(f, c->model);
		print_policy_flags(f, c);
		print_max_steps(f, c);
		fprintf(f, " --seed %" PRIu64 "\n", r->first_seed);
	}
}

/*
 * A line of the text timeline (core/trace.c):
 *   "        NAME-ID   [  STEP] WHAT ..."
 * WHAT is "event" (a model's trace event: a syscall, a fault, a TLB fill
 * or flush, a free ...), "VIOLATION", or scheduling and lock noise.
 */
static bool timeline_is(const char *line, size_t len, const char *what)
{
	const char *b = memchr(line, ']', len);
	size_t wl = strlen(what);

	return b && (size_t)(line + len - b) >= wl + 2 && b[1] == ' ' &&
	       !memcmp(b + 2, what, wl) &&
	       (b + 2 + wl == line + len || b[2 + wl] == ' ');
}

/* "agents:  setup (a), reader (b) ...": schedule letters by agent */
static void print_agents(FILE *f, const char *text)
{
	const char *p, *nl;
	int n = 0;

	for (p = text; *p; p = nl + 1) {
		const char *q, *dash = NULL;
		long id;

		nl = strchr(p, '\n');
		if (!nl)
			break;
		if (!timeline_is(p, nl - p, "start"))
			continue;
		while (*p == ' ')
			p++;
		for (q = p; *q != ' ' && q < nl; q++)
			if (*q == '-')
				dash = q;
		id = dash ? strtol(dash + 1, NULL, 10) : -1;
		if (!dash || id < 0 || id >= 52)
			continue;
		fprintf(f, "%s%.*s (%c)",
			n++ ? ", " : "agents:  ", (int)(dash - p), p,
			id < 26 ? (int)('a' + id) : (int)('A' + id - 26));
	}
	if (n)
		fputc('\n', f);
}

/* the timeline lines worth showing: events only, or all but "sched" */
static int timeline_pick(const char *text, bool all, int n, const char **keep)
{
	const char *p, *nl;
	int nr = 0;

	for (p = text; *p; p = nl + 1) {
		size_t len;
		bool v;

		nl = strchr(p, '\n');
		if (!nl)
			break;
		len = nl - p;
		if (*p == '#')
			continue;
		v = timeline_is(p, len, "VIOLATION");
		if (v || timeline_is(p, len, "event") ||
		    (all && !timeline_is(p, len, "sched") &&
		     !timeline_is(p, len, "start")))
			keep[nr++ % n] = p;
		if (v)
			break;
	}
	return nr;
}

/*
 * The steps that matter: the last @n trace events up to the first
 * violation, without the scheduling and lock noise; a model that emits
 * few events (the core primitives) shows its lock steps instead.
 */
static void print_timeline(FILE *f, const char *text, int n)
{
	const char **keep = calloc(n, sizeof(*keep));
	const char *nl;
	int nr, i, total;

	if (!keep)
		abort();
	nr = timeline_pick(text, false, n, keep);
	if (nr < 4)
		nr = timeline_pick(text, true, n, keep);
	total = nr;
	fprintf(f,
		"timeline (%s%d steps up to the violation; --trace-text FILE for every step):\n",
		total > n ? "the last " : "", total > n ? n : total);
	for (i = total > n ? nr % n : 0; total > 0; i = (i + 1) % n, total--) {
		if (total > n)
			continue;
		nl = strchr(keep[i], '\n');
		fprintf(f, "%.*s\n", (int)(nl - keep[i]), keep[i]);
	}
	free(keep);
}

/* does the outcome match the scenario's `expect`? */
static bool scenario_matched(const struct cli *c, const struct explore_result *r)
{
	int i;

	if (!c->sc->expect)
		return r->violating == 0;
	for (i = 0; i < r->nr_kinds; i++)
		if (!strcmp(r->kinds[i].kind, c->sc->expect))
			return true;
	return false;
}

static void print_minimized_json(const struct cli *c);
static void print_minimized(FILE *out, const struct cli *c,
			    const struct explore_result *r);

static void print_json(const struct cli *c, const struct explore_result *r)
{
	char buf[64];
	int i;

	printf("{");
	if (c->sc) {
		printf("\"scenario\":");
		fput_json_str(stdout, c->model);
		printf(",\"name\":");
		fput_json_str(stdout, c->sc->name);
		printf(",\"expect\":");
		fput_json_str(stdout, c->sc->expect ? c->sc->expect : "clean");
		printf(",\"matched\":%s,\"policy\":{",
		       scenario_matched(c, r) ? "true" : "false");
		for (i = 0; i < NR_KNOBS; i++) {
			printf("%s", i ? "," : "");
			fput_json_str(stdout, knobs[i].name);
			printf(":");
			fput_json_str(stdout, policy_value_str(&c->sc->policy, i, buf,
							  sizeof(buf)));
		}
		printf("},");
	}
	printf("\"model\":");
	fput_json_str(stdout, c->sc ? c->sc->name : c->model);
	printf(",\"engine\":\"%s\",\"strategy\":\"%s\",\"executions\":%lu,\"violating\":%lu,\"exhausted\":%s,\"seconds\":%.6f",
	       c->real ? "real" : "det",
	       c->real ? "threads" : c->strategy_name, r->executions,
	       r->violating, r->exhausted ? "true" : "false", r->seconds);
	printf(",\"jobs\":%lu", c->jobs);
	if (r->nr_workers) {
		printf(",\"workers\":[");
		for (i = 0; i < r->nr_workers; i++)
			printf("%s{\"executions\":%lu,\"pid\":%d,\"cpu_seconds\":%.6f}",
			       i ? "," : "", r->workers[i].executions,
			       r->workers[i].pid, r->workers[i].cpu_seconds);
		printf("]");
	}
	printf(",\"kinds\":[");
	for (i = 0; i < r->nr_kinds; i++)
		printf("%s{\"kind\":\"%s\",\"executions\":%lu,\"first_execution\":%lu}",
		       i ? "," : "", r->kinds[i].kind, r->kinds[i].count,
		       r->kinds[i].first_exec);
	printf("]");
	if (r->first_violation) {
		printf(",\"first\":{\"kind\":\"%s\",\"execution\":%lu,\"seed\":%" PRIu64 ",\"schedule\":\"%s\",\"replay_verified\":%s",
		       r->first_kind, r->first_violation, r->first_seed,
		       r->first_schedule ? r->first_schedule : "",
		       r->replay_verified ? "true" : "false");
		if (c->save_failure && !c->real) {
			printf(",\"failure_file\":");
			fput_json_str(stdout, c->save_failure);
		}
		printf("}");
	}
	if (c->failure_file) {
		printf(",\"failure_file\":");
		fput_json_str(stdout, c->failure_file);
		printf(",\"reproduced\":%s",
		       r->first_violation &&
				       !strcmp(r->first_kind, c->fail.kind) ?
			       "true" :
			       "false");
	}
	print_minimized_json(c);
	printf("}\n");
}

/* the one-line verdict of a scenario run */
static void print_verdict(FILE *f, const struct cli *c,
			  const struct explore_result *r, bool matched)
{
	const char *e = c->sc->expect;
	int i;

	if (matched && e)
		fprintf(f, "result: as expected: %s found in execution %lu of %lu\n",
			e, r->first_violation, r->executions);
	else if (matched)
		fprintf(f, "result: as expected: clean in %lu executions%s\n",
			r->executions, r->exhausted ? " (search exhausted)" : "");
	else if (e)
		fprintf(f, "result: NOT as expected: %s not found in %lu executions%s%s\n",
			e, r->executions, r->exhausted ? " (search exhausted)" : "",
			r->violating ? "; found other violations" : "");
	else
		fprintf(f, "result: NOT as expected: expected clean, found %s\n",
			r->first_kind);
	for (i = 0; i < r->nr_kinds; i++)
		if (!e || strcmp(r->kinds[i].kind, e))
			fprintf(f, "  %s %s in %lu execution%s (first: %lu)\n",
				e && matched ? "also:" : "found:",
				r->kinds[i].kind, r->kinds[i].count,
				r->kinds[i].count == 1 ? "" : "s",
				r->kinds[i].first_exec);
}

/* --save-failure: the first violation as a failure file */
static int save_failure(const struct cli *c, const struct explore_result *r)
{
	struct failure f = {
		.version = (char *)secmmu_version(),
		.policy = (char *)c->policy,
		.nr_sets = c->nr_sets,
		.strategy = (char *)c->strategy_name,
		.seed = r->first_seed,
		.execution = r->first_violation,
		.jobs = c->jobs,
		.max_steps = c->o.max_steps,
		.schedule = r->first_schedule,
		.kind = (char *)r->first_kind,
		.replay_verified = r->replay_verified,
	};
	char err[1024], hash[17];
	size_t len;
	FILE *m;
	int i, ret;

	for (i = 0; i < c->nr_sets; i++)
		f.sets[i] = (char *)c->sets[i];
	if (c->sc) {
		const char *file = c->sc_file ? c->sc_file : c->model;

		f.scenario = (char *)file;
		f.scenario_abs = realpath(file, NULL);
		if (!failure_hash_file(file, hash))
			f.scenario_hash = hash;
	} else {
		f.model = (char *)c->model;
	}
	m = open_memstream(&f.command, &len);
	if (!m)
		abort();
	print_replay_cmd(m, c, r);
	fclose(m);
	ret = failure_write(c->save_failure, &f, err, sizeof(err));
	if (ret)
		fprintf(stderr, "secmmu: %s\n", err);
	free(f.command);
	free(f.scenario_abs);
	return ret;
}

static int report(const struct cli *c, struct explore_result *r)
{
	FILE *out = c->json ? stderr : stdout;
	const char *name = c->model;
	bool matched = c->sc ? scenario_matched(c, r) : !r->first_violation;
	bool saved = false, unwritten = false;
	char workers[32] = "";

	/* an output that cannot be written does not cost the report */
	if (c->trace_json && r->trace_json && write_file(c->trace_json, r->trace_json))
		unwritten = true;
	if (c->trace_text && r->trace_text && write_file(c->trace_text, r->trace_text))
		unwritten = true;
	if (c->save_failure && r->first_violation) {
		saved = !save_failure(c, r);
		unwritten |= !saved;
	}
	if (r->nr_workers)
		snprintf(workers, sizeof(workers), " on %d workers",
			 r->nr_workers);
	if (c->json)
		print_json(c, r);
	if (c->failure_file && !c->json)
		fprintf(out, "%s: %s found by secmmu %s (%s, execution %lu, seed %" PRIu64 ")\n",
			c->failure_file, c->fail.kind,
			c->fail.version ? c->fail.version : "?",
			c->fail.strategy ? c->fail.strategy : "?",
			c->fail.execution, c->fail.seed);
	if (!r->first_violation) {
		if (!c->json)
			fprintf(out, "%s: clean: %lu executions%s in %.2fs%s\n",
				name, r->executions,
				r->exhausted ? " (search exhausted)" : "",
				r->seconds, workers);
	} else {
		fprintf(out, "%s: VIOLATION %s in execution %lu of %lu (%lu violating)%s\n",
			name, r->first_kind, r->first_violation, r->executions,
			r->violating, workers);
		if (!c->json) {
			fprintf(out, "%s", r->first_report ? r->first_report : "");
			if (r->trace_text) {
				print_agents(out, r->trace_text);
				print_timeline(out, r->trace_text, 16);
			}
			if (!c->real && !r->replay_verified)
				fprintf(out, "WARNING: replaying this schedule did not reproduce the same trace: the model depends on something outside the engine\n");
			if (!c->real)
				print_replay(out, c, r);
			if (saved) {
				fputs("saved:   ", out);
				shell_word(out, c->save_failure);
				fputs(" (secmmu replay ", out);
				shell_word(out, c->save_failure);
				fputs(")\n", out);
			}
		}
	}
	if (c->failure_file &&
	    (!r->first_violation || strcmp(r->first_kind, c->fail.kind)))
		fprintf(out, "WARNING: %s recorded %s; this replay found %s\n",
			c->failure_file, c->fail.kind,
			r->first_violation ? r->first_kind : "no violation");
	/* --minimize's report, before a scenario's verdict line */
	print_minimized(out, c, r);
	if (c->sc && !c->json)
		print_verdict(out, c, r, matched);
	if (unwritten)
		return EXIT_USAGE;
	/* replaying a failure file succeeds when the failure reproduced */
	if (c->failure_file)
		return r->first_violation &&
				       !strcmp(r->first_kind, c->fail.kind) ?
			       0 :
			       EXIT_VIOLATION;
	return matched ? 0 : EXIT_VIOLATION;
}

/* context switches of a schedule string: runs of one letter, minus one */
static unsigned long schedule_switches(const char *s)
{
	unsigned long n = 0;
	char last = 0;

	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			continue;
		if (last && *s != last)
			n++;
		last = *s;
	}
	return n;
}

#define MINIMIZE_MAX_BOUND 3
#define MINIMIZE_BUDGET 100000UL

/*
 * --minimize: iterative context bounding (Musuvathi & Qadeer) from the
 * found violation.  DFS with preemption bound 0, 1, ... finds an
 * execution with the fewest preemptions that reports the same kind; that
 * schedule is usually far easier to read than the one a random or PCT
 * search stumbled on.  Bounded by MINIMIZE_BUDGET executions in all.
 */
static void minimize(const struct cli *c, const struct model *m,
		     const struct explore_result *r, struct minimized *mz)
{
	int k;

	memset(mz, 0, sizeof(*mz));
	mz->done = true;
	for (k = 0; k <= MINIMIZE_MAX_BOUND && mz->tried < MINIMIZE_BUDGET;
	     k++) {
		struct explore_opts o = c->o;
		struct explore_result *mr = &mz->r;

		o.strategy = STRAT_DFS;
		o.bound = k;
		o.iterations = MINIMIZE_BUDGET - mz->tried;
		o.schedule = NULL;
		o.stop_on_violation = true;
		o.stop_kind = r->first_kind;
		o.trace = false;
		o.progress_fd = -1;
		mz->bound = k;
		if (explore(m, &o, mr)) {
			memset(mr, 0, sizeof(*mr));
			return;
		}
		mz->tried += mr->executions;
		mz->found = mr->first_violation &&
			    !strcmp(mr->first_kind, r->first_kind);
		mz->exhausted = mr->exhausted;
		if (mz->found)
			return;
		explore_result_free(mr);
		memset(mr, 0, sizeof(*mr));
		if (!mz->exhausted)
			return;
	}
}

static void print_minimized(FILE *out, const struct cli *c,
			    const struct explore_result *r)
{
	const struct minimized *mz = &c->min;
	unsigned long sw;

	if (!mz->done)
		return;
	if (!mz->found) {
		if (mz->exhausted)
			fprintf(out, "minimized: no %s with at most %d preemptions (dfs exhausted, %lu executions)\n",
				r->first_kind, mz->bound, mz->tried);
		else
			fprintf(out, "minimized: no %s with fewer than %d preemptions; dfs bound %d stopped at the budget (%lu executions)\n",
				r->first_kind, mz->bound, mz->bound, mz->tried);
		return;
	}
	sw = schedule_switches(mz->r.first_schedule);
	fprintf(out, "minimized: %s with %d preemption%s (dfs bound %d, %lu executions tried), %lu context switch%s (the first schedule had %lu)\n",
		mz->r.first_kind, mz->bound, mz->bound == 1 ? "" : "s",
		mz->bound, mz->tried, sw, sw == 1 ? "" : "es",
		schedule_switches(r->first_schedule));
	if (mz->r.trace_text)
		print_timeline(out, mz->r.trace_text, 16);
	fputs("replay:  ", out);
	print_replay_cmd(out, c, &mz->r);
	fputc('\n', out);
}

/* "minimized":{...} in --json */
static void print_minimized_json(const struct cli *c)
{
	const struct minimized *mz = &c->min;

	if (!mz->done)
		return;
	printf(",\"minimized\":{\"found\":%s,\"bound\":%d,\"executions\":%lu",
	       mz->found ? "true" : "false", mz->bound, mz->tried);
	if (mz->found)
		printf(",\"schedule\":\"%s\",\"switches\":%lu",
		       mz->r.first_schedule,
		       schedule_switches(mz->r.first_schedule));
	else
		printf(",\"exhausted\":%s", mz->exhausted ? "true" : "false");
	printf("}");
}

static bool is_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* ---- shipped scenarios ---- */

/*
 * The shipped scenarios' directory, in @buf: $SECMMU_SCENARIOS when set;
 * the source tree's scenarios/ when this binary runs from its build
 * directory; else <the binary's directory>/SECMMU_REL_SCENARIOS_DIR when
 * that exists (an install, relocated or under DESTDIR); else the
 * configured datadir.  An installed binary never looks in the source tree.
 */
static const char *scenarios_dir(char *buf, size_t len)
{
	const char *env = getenv("SECMMU_SCENARIOS");
	char exe[PATH_MAX], bdir[PATH_MAX], *slash;
	ssize_t n;
	struct stat st;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return SECMMU_INSTALL_SCENARIOS_DIR;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		return SECMMU_INSTALL_SCENARIOS_DIR;
	*slash = 0;
	if (realpath(SECMMU_BUILD_DIR, bdir) && !strcmp(bdir, exe))
		return SECMMU_SCENARIOS_DIR;
	if (*SECMMU_REL_SCENARIOS_DIR &&
	    snprintf(buf, len, "%s/%s", exe, SECMMU_REL_SCENARIOS_DIR) <
		    (int)len &&
	    !stat(buf, &st) && S_ISDIR(st.st_mode)) {
		/* show /usr/share/..., not /usr/bin/../share/... */
		if (realpath(buf, bdir) && strlen(bdir) < len)
			strcpy(buf, bdir);
		return buf;
	}
	return SECMMU_INSTALL_SCENARIOS_DIR;
}

struct name_list {
	char **v;
	size_t n, cap;
};

static void names_add(struct name_list *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->n++] = strdup(s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* every *.yaml under @dir (relative paths), depth-limited */
static void find_yaml(const char *dir, const char *rel, int depth,
		      struct name_list *out)
{
	char path[4096], sub[4096];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s%s%s", dir, *rel ? "/" : "", rel);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
			     de->d_name) >= (int)sizeof(sub) ||
		    snprintf(path, sizeof(path), "%s/%s", dir, sub) >=
			    (int)sizeof(path) ||
		    stat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode) && depth < 8)
			find_yaml(dir, sub, depth + 1, out);
		else if (S_ISREG(st.st_mode) && len > 5 &&
			 !strcmp(de->d_name + len - 5, ".yaml"))
			names_add(out, sub);
	}
	closedir(d);
}

/* qsort() must not be given NULL, even for no elements */
static void names_sort(struct name_list *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
}

/* the scenarios directory must exist: an empty zoo is not a passing one */
static int check_scenarios_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st)) {
		fprintf(stderr,
			"secmmu: scenarios directory %s: %s (set SECMMU_SCENARIOS=DIR)\n",
			dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr,
			"secmmu: scenarios directory %s: %s (set SECMMU_SCENARIOS=DIR)\n",
			dir, strerror(ENOTDIR));
		return -1;
	}
	return 0;
}

/*
 * Does the file at @path claim to be a zoo entry (a top-level "zoo:"
 * key), so that failing to load it fails the zoo wherever it lives?
 */
static bool claims_zoo(const char *rel, const char *path)
{
	char line[256];
	bool zoo = !!strstr(rel, "bugs/");
	FILE *f;

	f = zoo ? NULL : fopen(path, "r");
	while (f && !zoo && fgets(line, sizeof(line), f))
		zoo = !strncmp(line, "zoo:", 4);
	if (f)
		fclose(f);
	return zoo;
}

/* another file already has zoo name @name: one line, and it misbehaves */
static bool zoo_duplicate(struct name_list *seen, const char *name,
			  const char *file)
{
	size_t i;

	for (i = 0; i < seen->n; i += 2)
		if (!strcmp(seen->v[i], name)) {
			fprintf(stderr,
				"secmmu: zoo: %s: zoo name '%s' is already %s's\n",
				file, name, seen->v[i + 1]);
			return true;
		}
	names_add(seen, name);
	names_add(seen, file);
	return false;
}

static void names_free(struct name_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* a file's basename without ".yaml" */
static bool yaml_basename_is(const char *rel, const char *name)
{
	const char *b = strrchr(rel, '/');
	size_t len;

	b = b ? b + 1 : rel;
	len = strlen(b) - 5;
	return strlen(name) == len && !strncmp(b, name, len);
}

/*
 * A shipped scenario by name: a file NAME.yaml in any directory under
 * the scenarios directory, or the file whose `name:` is NAME.  Returns 1 with the path in @path, 0 when
 * nothing matches, -1 (after a one-line error) when several files do.
 */
static int scenario_lookup(const char *name, char *path, size_t len)
{
	struct name_list files = { 0 };
	char dbuf[PATH_MAX], p[PATH_MAX * 2], err[1024];
	const char *dir = scenarios_dir(dbuf, sizeof(dbuf));
	int found = 0;
	size_t i;

	find_yaml(dir, "", 0, &files);
	if (files.n) /* qsort(NULL, 0) is undefined */
		qsort(files.v, files.n, sizeof(*files.v), cmp_str);
	for (i = 0; i < files.n; i++) {
		struct scenario *sc = NULL;
		bool match = yaml_basename_is(files.v[i], name);

		snprintf(p, sizeof(p), "%s/%s", dir, files.v[i]);
		if (!match) {
			sc = scenario_load_file(p, err, sizeof(err));
			match = sc && sc->name && !strcmp(sc->name, name);
			scenario_free(sc);
		}
		if (!match)
			continue;
		if (found++) {
			fprintf(stderr,
				"secmmu: '%s' is ambiguous: %s and %s/%s; give the path\n",
				name, path, dir, files.v[i]);
		} else {
			snprintf(path, len, "%s", p);
		}
	}
	for (i = 0; i < files.n; i++)
		free(files.v[i]);
	free(files.v);
	return found > 1 ? -1 : found;
}

/*
 * Apply --policy and --set to @p.  Errors are one line, prefixed with
 * "FILE: " when they come from failure file @ff.
 */
static int apply_policy_flags(const struct cli *c, struct policy *p,
			      const char *ff)
{
	char err[1024];
	int i;

	if (c->policy && policy_apply_preset(p, c->policy, err, sizeof(err))) {
		fprintf(stderr, "%s: %s: %s\n", ff ? ff : "secmmu",
			ff ? "policy" : "--policy", err);
		return -1;
	}
	for (i = 0; i < c->nr_sets; i++) {
		char knob[128];
		const char *eq = strchr(c->sets[i], '=');

		snprintf(knob, sizeof(knob), "%.*s", (int)(eq - c->sets[i]),
			 c->sets[i]);
		if (policy_set(p, knob, eq + 1, err, sizeof(err))) {
			fprintf(stderr, "%s: %s: %s\n", ff ? ff : "secmmu",
				ff ? "set" : "--set", err);
			return -1;
		}
	}
	return 0;
}

/*
 * Load c->model as a scenario and apply --policy and --set.  Errors are
 * one line, prefixed with "FILE: " when they come from failure file @ff.
 */
static int load_scenario(struct cli *c, const char *ff)
{
	char err[1024];

	if (c->input_buf)
		c->sc = scenario_load_buffer(c->model, c->input_buf,
					     c->input_len, err, sizeof(err));
	else
		c->sc = scenario_load_file(c->sc_file ? c->sc_file : c->model,
					   err, sizeof(err));
	if (!c->sc) {
		if (ff)
			fprintf(stderr, "%s: scenario %s\n", ff, err);
		else
			fprintf(stderr, "%s\n", err);
		return -1;
	}
	return apply_policy_flags(c, &c->sc->policy, ff);
}

enum cmd_mode {
	MODE_EXPLORE,
	MODE_REPLAY,
	MODE_RUN,
};

static const char *opt_name(int opt)
{
	const struct option *o;

	for (o = long_opts; o->name; o++)
		if (o->val == opt)
			return o->name;
	return "?";
}

/*
 * `replay FAILURE_FILE`: take the model, policy, seed and schedule from
 * the file.  Only output options may be added on the command line.
 */
static int use_failure_file(struct cli *c, const char *buf, size_t len)
{
	const unsigned long allowed =
		1UL << (OPT_TRACE - OPT_FIRST) |
		1UL << (OPT_TRACE_TEXT - OPT_FIRST) |
		1UL << (OPT_JSON - OPT_FIRST) |
		1UL << (OPT_SAVE_FAILURE - OPT_FIRST);
	struct failure *f = &c->fail;
	unsigned char *d;
	char err[1024];
	size_t n;
	int i;

	if (c->given & ~allowed) {
		fprintf(stderr, "secmmu: %s: --%s cannot be used with a failure file, which fixes what to replay\n",
			c->model,
			opt_name(OPT_FIRST + __builtin_ctzl(c->given & ~allowed)));
		return -1;
	}
	if (failure_load_buffer(c->model, buf, len, f, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	c->failure_file = c->model;
	if (schedule_decode(f->schedule, &d, &n)) {
		fprintf(stderr, "%s: 'schedule' is not a schedule (letters a-z A-Z, each optionally followed by a repeat count)\n",
			c->failure_file);
		return -1;
	}
	free(d);
	c->model = f->scenario ? f->scenario : f->model;
	c->policy = f->policy;
	for (i = 0; i < f->nr_sets; i++)
		c->sets[i] = f->sets[i];
	c->nr_sets = f->nr_sets;
	c->o.schedule = f->schedule;
	c->o.strategy = STRAT_REPLAY;
	c->strategy_name = "replay";
	c->o.seed = f->seed;
	c->o.max_steps = f->max_steps;
	return 0;
}

/*
 * Is c->model a failure file?  `replay` reads a file whose text is JSON
 * (failure_looks_json) as one, so a broken one gets the failure file's
 * own errors; run and explore point a failure file to replay.  A pipe is
 * read once: a scenario read from one is kept in c->input_buf.
 */
static int read_input(struct cli *c, enum cmd_mode mode)
{
	char peek[4096];
	struct stat st;
	size_t n;
	FILE *f;
	char *buf;
	int ret;

	if (mode != MODE_REPLAY) {
		if (!is_file(c->model) || !failure_file_sniff(c->model))
			return 0;
		fprintf(stderr,
			"secmmu: %s is a failure file: replay it with 'secmmu replay %s'\n",
			c->model, c->model);
		return -1;
	}
	if (stat(c->model, &st) || S_ISDIR(st.st_mode))
		return 0; /* a built-in model, or the loader's error */
	if (S_ISREG(st.st_mode)) {
		f = fopen(c->model, "rb");
		if (!f)
			return 0;
		n = fread(peek, 1, sizeof(peek) - 1, f);
		fclose(f);
		peek[n] = '\0';
		if (!failure_looks_json(peek))
			return 0;
	}
	buf = failure_slurp(c->model, &n);
	if (!buf) {
		fprintf(stderr, "%s: cannot read: %s\n", c->model,
			strerror(errno));
		return -1;
	}
	if (!failure_looks_json(buf)) {
		c->input_buf = buf;
		c->input_len = n;
		return 0;
	}
	ret = use_failure_file(c, buf, n);
	free(buf);
	return ret;
}

/* a built-in model under --policy/--set (or a failure file's policy) */
static const struct model *builtin_with_policy(struct cli *c,
					       const struct model *m,
					       const char *ff)
{
	struct policy p;

	if (!c->policy && !c->nr_sets)
		return m;
	policy_init_default(&p);
	if (apply_policy_flags(c, &p, ff))
		return NULL;
	policy_model_init(&c->pm, m, &p);
	return &c->pm.m;
}

/*
 * A failure's scenario: the first of its recorded path (relative to where
 * secmmu runs) and its absolute path whose text has the recorded hash.
 * An unrelated file of the same name, or a changed one, is not replayed
 * in its place: its verdict would be about another scenario.
 */
static int failure_scenario(struct cli *c)
{
	const char *cand[2] = { c->fail.scenario, c->fail.scenario_abs };
	const char *ff = c->failure_file, *first = NULL;
	char hash[17];
	int i;

	for (i = 0; i < 2; i++) {
		if (!cand[i] || !is_file(cand[i]))
			continue;
		first = first ? first : cand[i];
		if (!c->fail.scenario_hash ||
		    (!failure_hash_file(cand[i], hash) &&
		     !strcmp(hash, c->fail.scenario_hash))) {
			c->model = cand[i];
			return 0;
		}
	}
	if (!first)
		fprintf(stderr,
			"%s: scenario '%s' is not a file (paths are relative to where the failure was saved)\n",
			ff, c->model);
	else
		fprintf(stderr,
			"%s: scenario '%s' changed since the failure was saved (its text does not have the recorded hash %s), and no other copy has it: not replaying another scenario\n",
			ff, first, c->fail.scenario_hash);
	return -1;
}

static const struct model *failure_model(struct cli *c)
{
	const char *ff = c->failure_file;
	const struct model *m;

	if (c->fail.scenario) {
		if (failure_scenario(c) || load_scenario(c, ff))
			return NULL;
		return scenario_model(c->sc);
	}
	m = builtin_find(c->model);
	/* a model that has become a shipped scenario since */
	if (!m && scenario_lookup(c->model, c->model_path,
				  sizeof(c->model_path)) == 1) {
		c->sc_file = c->model_path;
		return load_scenario(c, ff) ? NULL : scenario_model(c->sc);
	}
	if (!m) {
		fprintf(stderr, "%s: unknown model '%s' (see 'secmmu list')\n",
			ff, c->model);
		return NULL;
	}
	return builtin_with_policy(c, m, ff);
}

/* the model to run: a scenario file or a built-in model */
static const struct model *select_model(struct cli *c, enum cmd_mode mode)
{
	const struct model *m;

	if (c->failure_file)
		return failure_model(c);
	/*
	 * A path to an existing file is a scenario; a plain name is a
	 * built-in model or a shipped scenario (by file name or `name:`),
	 * and an error when it is both.
	 */
	if (is_file(c->model) || strchr(c->model, '/') ||
	    strstr(c->model, ".yaml"))
		return load_scenario(c, NULL) ? NULL : scenario_model(c->sc);
	m = builtin_find(c->model);
	switch (scenario_lookup(c->model, c->model_path,
				sizeof(c->model_path))) {
	case -1:
		return NULL;
	case 1:
		if (m) {
			fprintf(stderr, "secmmu: '%s' is both a built-in model and %s; give the path for the scenario\n",
				c->model, c->model_path);
			return NULL;
		}
		c->sc_file = c->model_path;
		return load_scenario(c, NULL) ? NULL : scenario_model(c->sc);
	}
	if (!m) {
		fprintf(stderr, "secmmu: unknown %s '%s': no such file, built-in model or shipped scenario (see 'secmmu list')\n",
			mode == MODE_RUN ? "scenario" : "model", c->model);
		return NULL;
	}
	return builtin_with_policy(c, m, NULL);
}

/* @path's directory, resolved, then its last component; NULL if none */
static char *canonical_path(const char *path)
{
	char *copy = strdup(path), *dir, *real, *out = NULL;
	const char *base;

	if (!copy)
		abort();
	real = realpath(path, NULL);
	if (real) {
		free(copy);
		return real;
	}
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	dir = dirname(copy);
	real = realpath(dir, NULL);
	if (real && asprintf(&out, "%s/%s", real, base) < 0)
		out = NULL;
	free(real);
	free(copy);
	return out;
}

/* would writing @out overwrite @other (a regular file, or a path yet to be)? */
static bool same_file(const char *out, const char *other)
{
	struct stat so, st;
	char *a, *b;
	bool eq;

	if (!stat(out, &so) && !stat(other, &st))
		return S_ISREG(so.st_mode) && so.st_dev == st.st_dev &&
		       so.st_ino == st.st_ino;
	a = canonical_path(out);
	b = canonical_path(other);
	eq = a && b && !strcmp(a, b);
	free(a);
	free(b);
	return eq;
}

/* could @path be created or overwritten? errno when not */
static int check_writable(const char *path)
{
	char *copy, *dir;
	struct stat st;
	int ret = 0;

	if (!stat(path, &st)) {
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			return -1;
		}
		return access(path, W_OK);
	}
	if (errno != ENOENT)
		return -1;
	copy = strdup(path);
	if (!copy)
		abort();
	dir = dirname(copy);
	if (stat(dir, &st))
		ret = -1;
	else if (!S_ISDIR(st.st_mode))
		errno = ENOTDIR, ret = -1;
	else
		ret = access(dir, W_OK | X_OK);
	free(copy);
	return ret;
}

/*
 * The output files, checked before exploring so that a long exploration
 * is not lost to a path that cannot be written, and so that no output
 * overwrites an input (the scenario, the failure file) or another
 * output.  A write can still fail later (a full disk): report() prints
 * the result anyway.
 */
static int check_outputs(const struct cli *c)
{
	static const char *const opt[] = { "--trace", "--trace-text",
					   "--save-failure" };
	const char *out[] = { c->trace_json, c->trace_text, c->save_failure };
	const char *in[] = { c->sc && !c->input_buf ? c->model : NULL,
			     c->failure_file };
	static const char *const in_what[] = {
		"the scenario being run", "the failure file being replayed"
	};
	unsigned i, j;

	for (i = 0; i < ARRAY_SIZE(out); i++) {
		if (!out[i])
			continue;
		if (check_writable(out[i])) {
			fprintf(stderr, "secmmu: %s: cannot write: %s\n",
				out[i], strerror(errno));
			return -1;
		}
		for (j = 0; j < ARRAY_SIZE(in); j++) {
			if (!in[j] || !same_file(out[i], in[j]))
				continue;
			fprintf(stderr,
				"secmmu: %s %s: is %s; write it elsewhere\n",
				opt[i], out[i], in_what[j]);
			return -1;
		}
		for (j = 0; j < i; j++) {
			if (!out[j] || !same_file(out[i], out[j]))
				continue;
			fprintf(stderr,
				"secmmu: %s %s: is also %s's file; give each output its own\n",
				opt[i], out[i], opt[j]);
			return -1;
		}
	}
	return 0;
}

/* options that do not go together; one line each */
static bool given(const struct cli *c, int opt)
{
	return c->given & (1UL << (opt - OPT_FIRST));
}

/* search options that do not apply to this run: an error, not ignored */
static int check_search_opts(const struct cli *c)
{
	static const int search[] = { OPT_STRATEGY, OPT_SCHEDULE, OPT_BOUND,
				      OPT_DEPTH };
	unsigned i;

	if (c->real) {
		for (i = 0; i < ARRAY_SIZE(search); i++) {
			if (!given(c, search[i]))
				continue;
			fprintf(stderr, "secmmu: --%s: the real engine runs threads, with no search to steer; drop it, or use --engine det\n",
				opt_name(search[i]));
			return -1;
		}
		return 0;
	}
	if (given(c, OPT_DELAY)) {
		fprintf(stderr, "secmmu: --delay: delays real threads; add --engine real\n");
		return -1;
	}
	if (given(c, OPT_BOUND) && c->o.strategy != STRAT_DFS) {
		fprintf(stderr, "secmmu: --bound: the dfs preemption bound; this run's strategy is %s\n",
			c->strategy_name);
		return -1;
	}
	if (given(c, OPT_DEPTH) && c->o.strategy != STRAT_PCT) {
		fprintf(stderr, "secmmu: --depth: the pct depth; this run's strategy is %s\n",
			c->strategy_name);
		return -1;
	}
	return 0;
}

static int check_combinations(const struct cli *c)
{
	if (check_search_opts(c))
		return -1;
	if (c->save_failure && c->real) {
		fprintf(stderr, "secmmu: --save-failure: the real engine's executions cannot be replayed; use --engine det\n");
		return -1;
	}
	if (c->minimize && c->real) {
		fprintf(stderr, "secmmu: --minimize: searches schedules, which needs --engine det\n");
		return -1;
	}
	if (c->jobs <= 1)
		return 0;
	if (c->real)
		fprintf(stderr, "secmmu: --jobs: applies to the det engine (the real engine already runs each execution on threads)\n");
	else if (c->o.strategy == STRAT_DFS && c->o.iterations)
		fprintf(stderr,
			"secmmu: --jobs: dfs splits the whole tree among the workers; drop --iterations, or use --jobs 1\n");
	else if (c->o.strategy == STRAT_REPLAY)
		fprintf(stderr, "secmmu: --jobs: a replay is a single execution; drop --jobs\n");
	else
		return 0;
	return -1;
}

/*
 * `replay MODEL --seed S`: random execution S alone.  A pct or dfs
 * execution is not a function of its seed alone (pct's step estimate comes
 * from the first seed of the exploration; dfs has no seed): those replay
 * by --schedule.
 */
static int replay_by_seed(struct cli *c)
{
	if (!c->seed_set) {
		fprintf(stderr, "secmmu: replay needs --schedule, --seed (a random execution) or a failure file\n");
		return -1;
	}
	if (c->strategy_set && c->o.strategy != STRAT_RANDOM) {
		fprintf(stderr, "secmmu: --seed: replay by seed is for random executions; replay a %s execution by its --schedule\n",
			c->strategy_name);
		return -1;
	}
	if (c->iterations_set && c->o.iterations != 1) {
		fprintf(stderr, "secmmu: --iterations: a replay is one execution; use 'secmmu explore' for more\n");
		return -1;
	}
	c->o.strategy = STRAT_RANDOM;
	c->strategy_name = "random";
	c->o.iterations = 1;
	c->iterations_set = true;
	return 0;
}

static int cmd_explore(int argc, char **argv, enum cmd_mode mode)
{
	struct cli c = { 0 };
	const struct model *m;
	struct explore_result r;
	char err[512] = "";
	int ret = EXIT_USAGE;

	if (parse_args(&c, argc, argv))
		return EXIT_USAGE;
	if (read_input(&c, mode))
		goto out;
	m = select_model(&c, mode);
	if (!m)
		goto out;
	/* a bug-zoo entry's budget is its default budget */
	if (c.sc && c.sc->zoo && !c.strategy_set && !c.iterations_set &&
	    mode != MODE_REPLAY) {
		static const char *const names[] = { "random", "pct", "dfs" };

		c.o.strategy = c.sc->zoo->strategy;
		c.strategy_name = names[c.o.strategy];
		c.o.iterations = c.sc->zoo->iterations;
		c.iterations_set = true;
		if (c.o.bound < 0)
			c.o.bound = c.sc->zoo->bound;
		if (!c.o.depth)
			c.o.depth = c.sc->zoo->depth;
	}
	if (check_combinations(&c) || check_outputs(&c))
		goto out;
	if (mode == MODE_REPLAY && c.o.strategy != STRAT_REPLAY &&
	    replay_by_seed(&c))
		goto out;
	if (!c.iterations_set && c.o.strategy != STRAT_DFS)
		c.o.iterations = c.real ? 20 : 1000;
	c.o.stop_on_violation = !c.keep_going;
	c.o.stop_kind = c.sc ? c.sc->expect : NULL;
	c.o.trace = c.trace_json || c.trace_text;
	c.o.model_name = c.model;
	if (isatty(STDERR_FILENO) && !c.json) {
		const char *ms = getenv("SECMMU_PROGRESS_MS"); /* tests */

		c.o.progress_fd = STDERR_FILENO;
		c.o.progress_ms = ms ? strtoul(ms, NULL, 10) : 0;
	}
	if (c.real)
		ret = run_real(m, c.o.iterations, c.delay_pct, c.o.seed, &r);
	else if (c.jobs > 1)
		ret = explore_parallel(m, &c.o, c.jobs, &r, err, sizeof(err));
	else
		ret = explore(m, &c.o, &r);
	if (ret == -ENOMEM && !*err)
		snprintf(err, sizeof(err),
			 "cannot allocate the model's memory (%s): lower the world's memory or raise ulimit -v",
			 strerror(ENOMEM));
	if (ret) {
		fprintf(stderr, "secmmu: %s: %s\n", c.model,
			*err ? err : strerror(-ret));
		ret = EXIT_USAGE;
		goto out;
	}
	if (c.minimize && !c.real && r.first_violation && r.first_schedule)
		minimize(&c, m, &r, &c.min);
	ret = report(&c, &r);
	if (c.min.found)
		explore_result_free(&c.min.r);
	explore_result_free(&r);
out:
	scenario_free(c.sc);
	failure_free(&c.fail);
	free(c.input_buf);
	return ret;
}

/* ---- list ---- */

/* `secmmu list NAME`: one scenario in full */
static int list_one(const char *name)
{
	char path[2 * PATH_MAX], err[1024], buf[64];
	const struct model *m = builtin_find(name);
	struct scenario *sc;
	struct policy def;
	int i, found;

	found = scenario_lookup(name, path, sizeof(path));
	if (found < 0)
		return EXIT_USAGE;
	if (!found && m) {
		printf("%s: built-in model (C): %s\n", m->name, m->desc);
		return 0;
	}
	if (!found) {
		fprintf(stderr,
			"secmmu: list: no built-in model or shipped scenario named '%s'\n",
			name);
		return EXIT_USAGE;
	}
	sc = scenario_load_file(path, err, sizeof(err));
	if (!sc) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;
	}
	printf("name:        %s\nfile:        %s\n", sc->name, path);
	if (sc->description)
		printf("description: %s\n", sc->description);
	printf("expect:      %s\npolicy:      %s",
	       sc->expect ? sc->expect : "clean",
	       sc->policy.preset ? sc->policy.preset : "default");
	policy_init_default(&def);
	for (i = 0; i < NR_KNOBS; i++)
		if (sc->policy.v[i] != def.v[i])
			printf(" %s=%s", knobs[i].name,
			       policy_value_str(&sc->policy, i, buf,
						sizeof(buf)));
	printf("\n");
	if (sc->zoo)
		printf("zoo entry:   %s (%s): %s\n", sc->zoo->name,
		       sc->zoo->violation, sc->zoo->history);
	if (m)
		printf("warning: a built-in model has the same name; give the path for the scenario\n");
	scenario_free(sc);
	return 0;
}

/*
 * `secmmu list --names`: what `explore`, `run` and `replay` accept by
 * name, one a line (for shell completion): built-in models, then each
 * shipped scenario's file name without .yaml, and its `name:` when that
 * differs.
 */
static void list_names(const char *dir, struct name_list *files)
{
	char path[2 * PATH_MAX], err[1024];
	const char *b;
	size_t i;

	for (i = 0; builtin_models[i]; i++)
		printf("%s\n", builtin_models[i]->name);
	for (i = 0; i < files->n; i++) {
		struct scenario *sc;

		b = strrchr(files->v[i], '/');
		b = b ? b + 1 : files->v[i];
		printf("%.*s\n", (int)strlen(b) - 5, b);
		snprintf(path, sizeof(path), "%s/%s", dir, files->v[i]);
		sc = scenario_load_file(path, err, sizeof(err));
		if (sc && sc->name && !yaml_basename_is(files->v[i], sc->name))
			printf("%s\n", sc->name);
		scenario_free(sc);
	}
}

static int cmd_list(int argc, char **argv)
{
	char dbuf[PATH_MAX];
	const char *dir = scenarios_dir(dbuf, sizeof(dbuf));
	struct name_list files = { 0 };
	char path[2 * PATH_MAX], err[1024];
	bool names = false;
	int ret = 0, a;
	size_t i;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--names")) {
			names = true;
		} else if (argv[a][0] == '-') {
			fprintf(stderr, "secmmu: list: unknown option '%s'\n",
				argv[a]);
			return EXIT_USAGE;
		}
	}
	if (argc > 1 && !names) {
		for (a = 1; a < argc; a++) {
			if (a > 1)
				printf("\n");
			if (list_one(argv[a]))
				ret = EXIT_USAGE;
		}
		return ret;
	}
	if (argc > 2) {
		fprintf(stderr, "secmmu: list: --names takes no names\n");
		return EXIT_USAGE;
	}
	if (check_scenarios_dir(dir))
		return EXIT_USAGE;
	find_yaml(dir, "", 0, &files);
	names_sort(&files);
	if (names) {
		list_names(dir, &files);
		goto out;
	}
	printf("built-in models (secmmu explore MODEL):\n");
	for (i = 0; builtin_models[i]; i++)
		printf("  %-18s %s\n", builtin_models[i]->name,
		       builtin_models[i]->desc);
	printf("\nscenarios in %s (secmmu explore NAME, or secmmu run FILE):\n",
	       dir);
	if (!files.n)
		printf("  (none)\n");
	for (i = 0; i < files.n; i++) {
		struct scenario *sc;

		snprintf(path, sizeof(path), "%s/%s", dir, files.v[i]);
		sc = scenario_load_file(path, err, sizeof(err));
		if (sc)
			printf("  %-28s expect %-16s %s\n", files.v[i],
			       sc->expect ? sc->expect : "clean",
			       sc->description ? sc->description : sc->name);
		else
			printf("  %-28s does not load: %s\n", files.v[i], err);
		scenario_free(sc);
	}
out:
	for (i = 0; i < files.n; i++)
		free(files.v[i]);
	free(files.v);
	return ret;
}

/*
 * `secmmu policies --names`, for shell completion: "preset NAME" lines,
 * then "knob NAME VALUE..." (a bool's true/false, an enum's values; an
 * unsigned knob's range as MIN..MAX).
 */
static void policies_names(void)
{
	const char *const *v;
	int i;

	for (i = 0; i < nr_policy_presets; i++)
		printf("preset %s\n", policy_presets[i].name);
	for (i = 0; i < NR_KNOBS; i++) {
		printf("knob %s", knobs[i].name);
		if (knobs[i].type == KNOB_BOOL)
			printf(" true false");
		else if (knobs[i].type == KNOB_UINT)
			printf(" %u..%u", knobs[i].min, knobs[i].max);
		else
			for (v = knobs[i].values; *v; v++)
				printf(" %s", *v);
		printf("\n");
	}
}

static int cmd_policies(int argc, char **argv)
{
	bool json = false, markdown = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--markdown")) {
			markdown = true;
		} else if (!strcmp(argv[i], "--names") && argc == 2) {
			policies_names();
			return 0;
		} else {
			fprintf(stderr, "secmmu: policies: unexpected argument '%s'\n",
				argv[i]);
			return EXIT_USAGE;
		}
	}
	if (markdown && json) {
		fprintf(stderr,
			"secmmu: policies: --markdown or --json, not both\n");
		return EXIT_USAGE;
	}
	if (markdown)
		policy_print_markdown(stdout);
	else
		policy_print_all(stdout, json);
	return 0;
}

/* ---- zoo ---- */

struct zoo_run {
	bool detected, clean;
	unsigned long first, executions, fixed_executions;
	double seconds, fixed_seconds;
	bool fixed_exhausted;
	int nr_workers; /* of the fixed run (--jobs > 1) */
	struct {
		unsigned long executions;
		int pid;
	} workers[EXPLORE_MAX_JOBS];
};

/*
 * One exploration of a zoo entry; with @jobs > 1 in worker processes
 * (explore_parallel: the same result as one process), except a dfs with
 * an execution budget, which only one process can cut at the budget.
 */
static int zoo_explore(struct scenario *sc, const struct policy *p,
		       unsigned long jobs, struct explore_result *r)
{
	const struct sc_zoo *z = sc->zoo;
	struct explore_opts o = { .strategy = z->strategy,
				  .seed = z->seed,
				  .iterations = z->iterations,
				  .bound = z->bound,
				  .depth = z->depth,
				  .stop_on_violation = true,
				  .stop_kind = z->violation,
				  .model_name = sc->file,
				  .progress_fd = -1 };

	char err[512] = "";
	int ret;

	sc->policy = *p;
	if (jobs <= 1 || (o.strategy == STRAT_DFS && o.iterations))
		return explore(scenario_model(sc), &o, r);
	ret = explore_parallel(scenario_model(sc), &o, jobs, r, err,
			       sizeof(err));
	if (ret && *err)
		fprintf(stderr, "secmmu: zoo: %s: %s\n", sc->file, err);
	return ret;
}

static bool has_kind(const struct explore_result *r, const char *kind)
{
	int i;

	for (i = 0; i < r->nr_kinds; i++)
		if (!strcmp(r->kinds[i].kind, kind))
			return true;
	return false;
}

static int zoo_run_one(struct scenario *sc, unsigned long jobs,
		       struct zoo_run *zr)
{
	struct explore_result r;
	int i;

	if (zoo_explore(sc, &sc->zoo->buggy, jobs, &r))
		return -1;
	zr->detected = has_kind(&r, sc->zoo->violation);
	zr->executions = r.executions;
	zr->seconds = r.seconds;
	zr->first = 0;
	for (i = 0; i < r.nr_kinds; i++)
		if (!strcmp(r.kinds[i].kind, sc->zoo->violation))
			zr->first = r.kinds[i].first_exec;
	explore_result_free(&r);
	if (zoo_explore(sc, &sc->zoo->fixed, jobs, &r))
		return -1;
	zr->clean = !r.violating;
	zr->fixed_executions = r.executions;
	zr->fixed_seconds = r.seconds;
	zr->fixed_exhausted = r.exhausted;
	zr->nr_workers = r.nr_workers;
	for (i = 0; i < r.nr_workers; i++) {
		zr->workers[i].executions = r.workers[i].executions;
		zr->workers[i].pid = r.workers[i].pid;
	}
	if (!zr->clean)
		fprintf(stderr, "%s: the fixed policy found %s:\n%s", sc->file,
			r.first_kind, r.first_report ? r.first_report : "");
	explore_result_free(&r);
	return 0;
}

static bool zoo_wanted(const struct scenario *sc, const char *file,
		       char **names, int nr, bool *used)
{
	int i;
	bool any = !nr;

	for (i = 0; i < nr; i++)
		if (!strcmp(names[i], sc->zoo->name) ||
		    !strcmp(names[i], sc->name) || !strcmp(names[i], file)) {
			used[i] = true;
			any = true;
		}
	return any;
}

/* one zoo entry as a JSON object */
static void zoo_json(const struct scenario *sc, const char *file,
		     const struct zoo_run *zr, bool first)
{
	int i;

	printf("%s{\"entry\":", first ? "" : ",");
	fput_json_str(stdout, sc->zoo->name);
	printf(",\"file\":");
	fput_json_str(stdout, file);
	printf(",\"violation\":");
	fput_json_str(stdout, sc->zoo->violation);
	printf(",\"ok\":%s,\"detected\":%s,\"first_execution\":%lu,\"executions\":%lu,\"seconds\":%.6f",
	       zr->detected && zr->clean ? "true" : "false",
	       zr->detected ? "true" : "false", zr->first, zr->executions,
	       zr->seconds);
	printf(",\"fixed_clean\":%s,\"fixed_executions\":%lu,\"fixed_exhausted\":%s,\"fixed_seconds\":%.6f,\"workers\":[",
	       zr->clean ? "true" : "false", zr->fixed_executions,
	       zr->fixed_exhausted ? "true" : "false", zr->fixed_seconds);
	for (i = 0; i < zr->nr_workers; i++)
		printf("%s{\"executions\":%lu,\"pid\":%d}", i ? "," : "",
		       zr->workers[i].executions, zr->workers[i].pid);
	printf("],\"history\":");
	fput_json_str(stdout, sc->zoo->history);
	printf("}");
}

/* ---- zoo --markdown: docs/zoo.md and the README's table ---- */

static const char *strategy_str(enum strategy s)
{
	return s == STRAT_PCT ? "pct" : s == STRAT_DFS ? "dfs" : "random";
}

static void zoo_md_budget(FILE *f, const struct sc_zoo *z)
{
	fprintf(f, "%s", strategy_str(z->strategy));
	if (z->iterations)
		fprintf(f, ", %lu executions", z->iterations);
	else
		fprintf(f, ", until the tree is exhausted");
	if (z->bound >= 0)
		fprintf(f, ", preemption bound %d", z->bound);
	if (z->strategy == STRAT_PCT)
		fprintf(f, ", depth %d", z->depth ? z->depth : 3);
	if (z->strategy != STRAT_DFS)
		fprintf(f, ", seed %lu", z->seed);
}

static void zoo_md_entry(FILE *f, const struct scenario *sc, const char *rel)
{
	const struct sc_zoo *z = sc->zoo;

	fprintf(f, "\n<a id=\"%s\"></a>\n### `%s`\n\n", z->name, z->name);
	if (sc->description) {
		fput_md_text(f, sc->description);
		fprintf(f, ".\n\n");
	}
	fprintf(f, "- scenario: [`scenarios/%s`](../scenarios/%s)\n", rel, rel);
	fprintf(f, "- violation: `%s`\n- buggy policy: ", z->violation);
	policy_describe(f, &z->buggy);
	fprintf(f, "\n- fixed policy: ");
	policy_describe(f, &z->fixed);
	fprintf(f, "\n- budget: ");
	zoo_md_budget(f, z);
	fprintf(f, "\n- run it: `secmmu zoo %s`, or `secmmu run scenarios/%s`",
		z->name, rel);
	if (!memcmp(sc->policy.v, z->buggy.v, sizeof(z->buggy.v)))
		fprintf(f, " (the file's own policy is the buggy one)\n");
	else
		fprintf(f, " with the buggy policy's `--policy`/`--set`\n");
	fprintf(f, "\n**History.** ");
	fput_md_text(f, z->history);
	fprintf(f, "\n");
}

/*
 * secmmu zoo --markdown[=table]: the zoo's static data (no exploration),
 * as docs/zoo.md or as the README's table.  Entries in file order, so the
 * output depends on the scenario files alone.
 */
static int zoo_markdown(const char *dir, bool table)
{
	struct name_list files = { 0 }, seen = { 0 };
	struct scenario **scs;
	char path[4096], err[1024];
	int bad_files = 0;
	size_t f, n = 0;

	if (check_scenarios_dir(dir))
		return EXIT_USAGE;
	find_yaml(dir, "", 0, &files);
	names_sort(&files);
	scs = calloc(files.n + 1, sizeof(*scs));
	if (!scs)
		abort();
	for (f = 0; f < files.n; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files.v[f]);
		scs[f] = scenario_load_file(path, err, sizeof(err));
		if (!scs[f] && claims_zoo(files.v[f], path)) {
			fprintf(stderr, "%s\n", err);
			bad_files++;
		}
		if (scs[f] && scs[f]->zoo &&
		    zoo_duplicate(&seen, scs[f]->zoo->name, files.v[f]))
			bad_files++;
		if (scs[f] && scs[f]->zoo)
			n++;
	}
	if (bad_files)
		goto out;
	if (table) {
		printf("| entry | violation | history |\n|---|---|---|\n");
	} else {
		printf("<!-- generated by `secmmu zoo --markdown` from the zoo: blocks of\n"
		       "     scenarios/bugs/; do not edit: change the scenarios, then run `make docs` -->\n"
		       "# The bug zoo\n\n"
		       "Each entry is a scenario file with a `zoo:` block: a bug from Linux's\n"
		       "history, the violation it produces, the policy that has the bug and\n"
		       "the policy that fixes it, and an exploration budget. `secmmu zoo`\n"
		       "explores every entry twice with its budget: under the buggy policy\n"
		       "the explorer must report the violation, under the fixed policy it\n"
		       "must find nothing. It prints one row per entry (the execution that\n"
		       "found the bug, and the fixed run's executions) and exits with 0 when\n"
		       "every entry behaves, 1 otherwise. `secmmu zoo NAME...` runs some\n"
		       "entries; `--jobs J` and `--json` work as for `run`. The file's own\n"
		       "`policy:` and `expect:` describe the buggy kernel, so `secmmu run\n"
		       "FILE` reproduces the bug; without `--strategy` or `--iterations` it\n"
		       "uses the zoo budget. The format of the block is in\n"
		       "[scenario-format.md](scenario-format.md).\n\n"
		       "%zu entries:\n\n"
		       "| entry | violation | buggy policy | fixed policy | budget |\n"
		       "|---|---|---|---|---|\n",
		       n);
	}
	for (f = 0; f < files.n; f++) {
		const struct scenario *sc = scs[f];

		if (!sc || !sc->zoo)
			continue;
		if (table) {
			printf("| [`%s`](docs/zoo.md#%s) | `%s` | ",
			       sc->zoo->name, sc->zoo->name,
			       sc->zoo->violation);
			fput_md_text(stdout, sc->zoo->history);
			printf(" |\n");
			continue;
		}
		printf("| [`%s`](#%s) | `%s` | ", sc->zoo->name, sc->zoo->name,
		       sc->zoo->violation);
		policy_describe(stdout, &sc->zoo->buggy);
		printf(" | ");
		policy_describe(stdout, &sc->zoo->fixed);
		printf(" | ");
		zoo_md_budget(stdout, sc->zoo);
		printf(" |\n");
	}
	if (!table) {
		printf("\n## Entries\n");
		for (f = 0; f < files.n; f++)
			if (scs[f] && scs[f]->zoo)
				zoo_md_entry(stdout, scs[f], files.v[f]);
	}
out:
	for (f = 0; f < files.n; f++) {
		scenario_free(scs[f]);
		free(files.v[f]);
	}
	free(scs);
	free(files.v);
	names_free(&seen);
	return bad_files ? EXIT_VIOLATION : 0;
}

/*
 * secmmu zoo [--jobs J] [--json] [NAME...]: every scenario with a `zoo:` block,
 * or those named (by zoo name, scenario name or path under the
 * scenarios dir)
 */
static int cmd_zoo(int argc, char **argv)
{
	char dbuf[PATH_MAX];
	const char *dir = scenarios_dir(dbuf, sizeof(dbuf));
	struct name_list files = { 0 }, seen = { 0 };
	bool used[64] = { false };
	char path[4096], err[1024], *names[64];
	int nr = 0, bad_entries = 0, entries = 0, ret = 0, i;
	unsigned long jobs = 1;
	bool json = false;
	int markdown = 0; /* 1: docs/zoo.md, 2: the README's table */
	size_t f;

	for (i = 1; i < argc; i++) {
		const char *val = NULL;

		if (!strcmp(argv[i], "--jobs")) {
			if (i + 1 == argc) {
				fprintf(stderr,
					"secmmu: option '--jobs' needs a value\n");
				return EXIT_USAGE;
			}
			val = argv[++i];
		} else if (!strncmp(argv[i], "--jobs=", 7)) {
			val = argv[i] + 7;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
			continue;
		} else if (!strcmp(argv[i], "--markdown") ||
			   !strcmp(argv[i], "--markdown=table")) {
			markdown = argv[i][10] ? 2 : 1;
			continue;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "secmmu: zoo: unknown option '%s'\n",
				argv[i]);
			return EXIT_USAGE;
		}
		if (val) {
			if (parse_ulong("--jobs", val, 1, EXPLORE_MAX_JOBS,
					&jobs))
				return EXIT_USAGE;
			continue;
		}
		if (nr == 64) {
			fprintf(stderr, "secmmu: zoo: at most 64 names\n");
			return EXIT_USAGE;
		}
		names[nr++] = argv[i];
	}
	if (markdown) {
		if (nr || json || jobs > 1) {
			fprintf(stderr,
				"secmmu: zoo: --markdown takes no names, --jobs or --json\n");
			return EXIT_USAGE;
		}
		return zoo_markdown(dir, markdown == 2);
	}
	if (check_scenarios_dir(dir))
		return EXIT_USAGE;
	find_yaml(dir, "", 0, &files);
	names_sort(&files);
	if (json)
		printf("{\"jobs\":%lu,\"entries\":[", jobs);
	else
		printf("%-18s %-9s %-28s %-18s %s\n", "entry", "result",
		       "buggy: detected in", "fixed: clean in", "history");
	for (f = 0; f < files.n; f++) {
		struct scenario *sc;
		struct zoo_run zr;
		char det[64], fix[64];

		snprintf(path, sizeof(path), "%s/%s", dir, files.v[f]);
		sc = scenario_load_file(path, err, sizeof(err));
		if (!sc) {
			/* a broken file that claims to be a zoo entry fails */
			if (claims_zoo(files.v[f], path)) {
				fprintf(stderr, "%s\n", err);
				bad_entries++;
			}
			free(files.v[f]);
			continue;
		}
		if (sc->zoo && zoo_duplicate(&seen, sc->zoo->name, files.v[f]))
			bad_entries++;
		if (!sc->zoo || !zoo_wanted(sc, files.v[f], names, nr, used)) {
			scenario_free(sc);
			free(files.v[f]);
			continue;
		}
		entries++;
		if (zoo_run_one(sc, jobs, &zr)) {
			fprintf(stderr, "secmmu: zoo: %s: cannot explore\n",
				path);
			ret = EXIT_USAGE;
			scenario_free(sc);
			free(files.v[f]);
			continue;
		}
		if (zr.detected)
			snprintf(det, sizeof(det), "%lu execs / %.2fs", zr.first,
				 zr.seconds);
		else
			snprintf(det, sizeof(det), "NOT in %lu execs",
				 zr.executions);
		snprintf(fix, sizeof(fix), "%s%lu execs%s",
			 zr.clean ? "" : "NO: ", zr.fixed_executions,
			 zr.fixed_exhausted ? " (all)" : "");
		if (json)
			zoo_json(sc, files.v[f], &zr, entries == 1);
		else
			printf("%-18s %-9s %-28s %-18s %s\n", sc->zoo->name,
			       zr.detected && zr.clean ? "ok" : "FAILED", det,
			       fix, sc->zoo->history);
		if (!zr.detected || !zr.clean)
			bad_entries++;
		scenario_free(sc);
		free(files.v[f]);
	}
	free(files.v);
	names_free(&seen);
	for (i = 0; i < nr; i++)
		if (!used[i]) {
			fprintf(stderr,
				"secmmu: zoo: no entry named '%s' in %s\n",
				names[i], dir);
			ret = EXIT_USAGE;
		}
	/* an empty zoo is not a passing one */
	if (!nr && !entries && !bad_entries) {
		fprintf(stderr, "secmmu: zoo: no zoo entries under %s\n", dir);
		ret = EXIT_USAGE;
	}
	/* --json: a complete document even when an entry could not run */
	if (json)
		printf("],\"entries_run\":%d,\"misbehaving\":%d}\n", entries,
		       bad_entries);
	if (ret)
		return ret;
	if (!json)
		printf("\n%d entr%s, %d misbehaving\n", entries,
		       entries == 1 ? "y" : "ies", bad_entries);
	return bad_entries ? EXIT_VIOLATION : 0;
}

struct demo_step {
	const char *model;
	enum strategy strat;
	const char *strat_name;
	bool expect_bug;
};

static int cmd_demo(void)
{
	static const struct demo_step steps[] = {
		{ "lost-update", STRAT_RANDOM, "random", true },
		{ "locked-update", STRAT_DFS, "dfs", false },
		{ "abba", STRAT_DFS, "dfs", true },
		{ "rcu-free-early", STRAT_PCT, "pct", true },
		{ "rcu-call-rcu", STRAT_DFS, "dfs", false },
		{ "fault-vs-munmap", STRAT_DFS, "dfs/2", false },
		{ "fault-vs-munmap-noflush", STRAT_RANDOM, "random", true },
		{ "write-vs-fork", STRAT_DFS, "dfs/2", false },
		{ "write-vs-fork-noflush", STRAT_RANDOM, "random", true },
		{ "read-vs-dontneed", STRAT_RANDOM, "random", false },
		{ "read-vs-dontneed-nonested", STRAT_PCT, "pct", true },
	};
	unsigned i;
	int bad_demo = 0;

	printf("secmmu %s demo: the explorer on built-in models\n\n",
	       secmmu_version());
	printf("%-26s %-8s %-6s %-18s %s\n", "model", "strategy", "result",
	       "violation", "executions");
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		struct explore_opts o = { .strategy = steps[i].strat,
					  .seed = 1,
					  .iterations = steps[i].strat == STRAT_DFS ? 0 : 1000,
					  .bound = strchr(steps[i].strat_name, '/') ? 2 : -1,
					  .stop_on_violation = true,
					  .progress_fd = -1 };
		const struct model *m = builtin_find(steps[i].model);
		struct scenario *sc = NULL;
		struct explore_result r;
		char path[2 * PATH_MAX], err[1024];
		bool found;

		/* a race written as a shipped scenario, under its policy */
		if (!m && scenario_lookup(steps[i].model, path, sizeof(path)) == 1)
			sc = scenario_load_file(path, err, sizeof(err));
		if (sc)
			m = scenario_model(sc);
		if (!m) {
			fprintf(stderr, "secmmu: demo: no model or scenario '%s'\n",
				steps[i].model);
			return EXIT_USAGE;
		}
		if (explore(m, &o, &r)) {
			scenario_free(sc);
			return EXIT_USAGE;
		}
		scenario_free(sc);
		found = r.first_violation != 0;
		printf("%-26s %-8s %-6s %-18s %lu%s\n", steps[i].model,
		       steps[i].strat_name, found ? "BUG" : "clean",
		       found ? r.first_kind : "-", r.executions,
		       r.exhausted ? " (exhaustive)" : "");
		if (found != steps[i].expect_bug)
			bad_demo = 1;
		explore_result_free(&r);
	}
	printf("\nOne of them in full: munmap() without its TLB flush leaves\n"
	       "CPU0 writing a freed frame through a stale TLB entry.\n\n");
	{
		char *args[] = { "explore", "fault-vs-munmap-noflush",
				 "--strategy", "random", NULL };

		cmd_explore(4, args, MODE_EXPLORE);
	}
	return bad_demo;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("secmmu %s (git %s)\n", secmmu_version(),
		       SECMMU_GIT_REVISION);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_explore(argc - 1, argv + 1, MODE_RUN);
	if (!strcmp(cmd, "explore"))
		return cmd_explore(argc - 1, argv + 1, MODE_EXPLORE);
	if (!strcmp(cmd, "replay"))
		return cmd_explore(argc - 1, argv + 1, MODE_REPLAY);
	if (!strcmp(cmd, "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(cmd, "policies"))
		return cmd_policies(argc - 1, argv + 1);
	if (!strcmp(cmd, "demo"))
		return cmd_demo();
	if (!strcmp(cmd, "zoo"))
		return cmd_zoo(argc - 1, argv + 1);
	fprintf(stderr, "secmmu: unknown command '%s' (try 'secmmu --help')\n",
		cmd);
	return EXIT_USAGE;
}

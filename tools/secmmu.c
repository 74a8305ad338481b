// SPDX-License-Identifier: MIT
/*
 * secmmu: the command-line tool.  Subcommands:
 *
 *   explore MODEL [options]   explore a built-in model (det or real engine)
 *   replay MODEL --schedule S replay one recorded execution
 *   list                      built-in models
 *   demo                      the main demo: find, explain, replay
 *
 * Exit status: 0 clean, 1 violation found, 2 bad usage or input.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "scenario/builtin.h"
#include "secmmu/secmmu.h"

#define EXIT_VIOLATION 1
#define EXIT_USAGE 2

struct cli {
	const char *model;
	struct explore_opts o;
	const char *strategy_name;
	const char *trace_json, *trace_text;
	bool real, json, keep_going;
	unsigned delay_pct;
	bool iterations_set;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: secmmu <command> [options]\n"
		"\n"
		"commands:\n"
		"  explore MODEL      explore a built-in model's interleavings\n"
		"  replay MODEL       replay one execution (needs --schedule)\n"
		"  list               list built-in models\n"
		"  demo               find a bug, explain it, replay it\n"
		"\n"
		"explore/replay options:\n"
		"  --engine det|real      deterministic explorer (default) or threads\n"
		"  --strategy random|pct|dfs   (default random)\n"
		"  --iterations N         executions (default 1000; dfs: until done)\n"
		"  --seed S               first seed (default 1); execution i uses S+i\n"
		"  --bound K              dfs preemption bound (default: none)\n"
		"  --depth D              pct depth (default 3)\n"
		"  --max-steps N          livelock bound per execution (default 200000)\n"
		"  --schedule STR         replay this decision list\n"
		"  --keep-going           do not stop at the first violation\n"
		"  --trace FILE           Chrome Trace Event JSON (Perfetto UI)\n"
		"  --trace-text FILE      ftrace-like text timeline\n"
		"  --delay PCT            real engine: yield at PCT%% of schedule points\n"
		"  --json                 machine-readable summary on stdout\n"
		"\n"
		"  -h, --help             this help\n"
		"  -V, --version          print the version\n");
}

static int bad(const char *flag, const char *val, const char *why)
{
	fprintf(stderr, "secmmu: %s: '%s' %s\n", flag, val, why);
	return -1;
}

static int parse_ulong(const char *flag, const char *s, unsigned long lo,
		       unsigned long hi, unsigned long *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return bad(flag, s, "is not a non-negative number");
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return bad(flag, s, "is not a non-negative number");
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
	char *end;

	if (!*s || *s == '-')
		return bad(flag, s, "is not a non-negative number");
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || *end)
		return bad(flag, s, "is not a non-negative number");
	return 0;
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
	return 0;
}

enum {
	OPT_ENGINE = 256,
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
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_opt(struct cli *c, int opt, const char *arg)
{
	unsigned long v;

	switch (opt) {
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
	}
	return -1;
}

static int parse_args(struct cli *c, int argc, char **argv)
{
	int opt;

	c->o.bound = -1;
	c->o.seed = 1;
	c->o.progress_fd = -1;
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
		fprintf(stderr, "secmmu: missing MODEL (see 'secmmu list')\n");
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

	if (!f || fputs(data ? data : "", f) < 0 || fclose(f)) {
		fprintf(stderr, "secmmu: cannot write %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	return 0;
}

static void print_replay(FILE *f, const struct cli *c,
			 const struct explore_result *r)
{
	fprintf(f, "replay:  secmmu replay %s --schedule '%s'\n", c->model,
		r->first_schedule);
	/* pct learns its step estimate across executions: replay by schedule */
	if (c->o.strategy == STRAT_RANDOM)
		fprintf(f, "     or: secmmu explore %s --strategy random --seed %" PRIu64 " --iterations 1\n",
			c->model, r->first_seed);
}

/* the last @n lines of the text timeline */
static void print_tail(FILE *f, const char *text, int n)
{
	const char *p = text + strlen(text);
	int lines = 0;

	while (p > text && lines <= n)
		if (*--p == '\n')
			lines++;
	if (p != text)
		p++;
	fprintf(f, "timeline (last %d events, --trace-text for all):\n%s", n,
		p);
}

static void print_json(const struct cli *c, const struct explore_result *r)
{
	printf("{\"model\":\"%s\",\"engine\":\"%s\",\"strategy\":\"%s\",\"executions\":%lu,\"violating\":%lu,\"exhausted\":%s,\"seconds\":%.6f",
	       c->model, c->real ? "real" : "det",
	       c->real ? "threads" : c->strategy_name, r->executions,
	       r->violating, r->exhausted ? "true" : "false", r->seconds);
	if (r->first_violation)
		printf(",\"first\":{\"kind\":\"%s\",\"execution\":%lu,\"seed\":%" PRIu64 ",\"schedule\":\"%s\",\"replay_verified\":%s}",
		       r->first_kind, r->first_violation, r->first_seed,
		       r->first_schedule ? r->first_schedule : "",
		       r->replay_verified ? "true" : "false");
	printf("}\n");
}

static int report(const struct cli *c, struct explore_result *r)
{
	FILE *out = c->json ? stderr : stdout;

	if (c->trace_json && r->trace_json && write_file(c->trace_json, r->trace_json))
		return EXIT_USAGE;
	if (c->trace_text && r->trace_text && write_file(c->trace_text, r->trace_text))
		return EXIT_USAGE;
	if (c->json)
		print_json(c, r);
	if (!r->first_violation) {
		if (!c->json)
			fprintf(out, "%s: clean: %lu executions%s in %.2fs\n",
				c->model, r->executions,
				r->exhausted ? " (search exhausted)" : "",
				r->seconds);
		return 0;
	}
	fprintf(out, "%s: VIOLATION %s in execution %lu of %lu (%lu violating)\n",
		c->model, r->first_kind, r->first_violation, r->executions,
		r->violating);
	if (c->json)
		return EXIT_VIOLATION;
	fprintf(out, "%s", r->first_report ? r->first_report : "");
	if (r->trace_text)
		print_tail(out, r->trace_text, 24);
	if (!c->real) {
		if (!r->replay_verified)
			fprintf(out, "WARNING: replaying this schedule did not reproduce the same trace: the model depends on something outside the engine\n");
		print_replay(out, c, r);
	}
	return EXIT_VIOLATION;
}

static int cmd_explore(int argc, char **argv, bool replay)
{
	struct cli c = { 0 };
	const struct model *m;
	struct explore_result r;
	int ret;

	if (parse_args(&c, argc, argv))
		return EXIT_USAGE;
	m = builtin_find(c.model);
	if (!m) {
		fprintf(stderr, "secmmu: unknown model '%s' (see 'secmmu list')\n",
			c.model);
		return EXIT_USAGE;
	}
	if (replay && c.o.strategy != STRAT_REPLAY) {
		fprintf(stderr, "secmmu: replay needs --schedule\n");
		return EXIT_USAGE;
	}
	if (!c.iterations_set && c.o.strategy != STRAT_DFS)
		c.o.iterations = c.real ? 20 : 1000;
	c.o.stop_on_violation = !c.keep_going;
	c.o.trace = c.trace_json || c.trace_text;
	c.o.model_name = c.model;
	if (isatty(STDERR_FILENO) && !c.json)
		c.o.progress_fd = STDERR_FILENO;
	if (c.real)
		ret = run_real(m, c.o.iterations, c.delay_pct, c.o.seed, &r);
	else
		ret = explore(m, &c.o, &r);
	if (ret) {
		fprintf(stderr, "secmmu: %s: %s\n", c.model, strerror(-ret));
		return EXIT_USAGE;
	}
	ret = report(&c, &r);
	explore_result_free(&r);
	return ret;
}

static int cmd_list(void)
{
	int i;

	for (i = 0; builtin_models[i]; i++)
		printf("%-18s %s\n", builtin_models[i]->name,
		       builtin_models[i]->desc);
	return 0;
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
	};
	unsigned i;
	int bad_demo = 0;

	printf("secmmu %s demo: the explorer on built-in models\n\n",
	       secmmu_version());
	printf("%-16s %-7s %-9s %-18s %s\n", "model", "strategy", "result",
	       "violation", "executions");
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		struct explore_opts o = { .strategy = steps[i].strat,
					  .seed = 1,
					  .iterations = steps[i].strat == STRAT_DFS ? 0 : 1000,
					  .bound = -1,
					  .stop_on_violation = true,
					  .progress_fd = -1 };
		struct explore_result r;
		bool found;

		if (explore(builtin_find(steps[i].model), &o, &r))
			return EXIT_USAGE;
		found = r.first_violation != 0;
		printf("%-16s %-8s %-9s %-18s %lu%s\n", steps[i].model,
		       steps[i].strat_name, found ? "BUG" : "clean",
		       found ? r.first_kind : "-", r.executions,
		       r.exhausted ? " (exhaustive)" : "");
		if (found != steps[i].expect_bug)
			bad_demo = 1;
		explore_result_free(&r);
	}
	printf("\nOne of them in full:\n\n");
	{
		char *args[] = { "explore", "abba", "--strategy", "dfs", NULL };

		cmd_explore(4, args, false);
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
		printf("secmmu %s\n", secmmu_version());
		return 0;
	}
	if (!strcmp(cmd, "explore"))
		return cmd_explore(argc - 1, argv + 1, false);
	if (!strcmp(cmd, "replay"))
		return cmd_explore(argc - 1, argv + 1, true);
	if (!strcmp(cmd, "list"))
		return cmd_list();
	if (!strcmp(cmd, "demo"))
		return cmd_demo();
	fprintf(stderr, "secmmu: unknown command '%s' (try 'secmmu --help')\n",
		cmd);
	return EXIT_USAGE;
}

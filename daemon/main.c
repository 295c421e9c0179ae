/*
 * main.c - the dxtd command line.
 *
 *   dxtd [serve] [--config FILE] [--listen HOST:PORT] [--state-dir DIR]
 *                [--spool-dir DIR] [--workers N] [--token-file FILE]
 *   dxtd run PIPELINE [--stream ID]... [--workers N] [--spool-dir DIR]
 *   dxtd validate PIPELINE...
 *   dxtd operators [--json]
 *   dxtd inspect [--rows N|all] [--json] FILE
 *
 * `dxtd` without a command, or with only options, is `dxtd serve`. Its
 * settings come from the defaults, then the --config file, then the flags.
 *
 * Every command takes --provider-path DIR (repeatable). The provider path
 * is, in order: --provider-path folders, the config file's provider_path
 * (serve), DXT_PROVIDER_PATH (colon separated), the `providers` folder
 * beside the dxtd binary (so build/dxtd finds build/providers/), and
 * $(LIBDIR)/dxt/providers.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <malloc.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/server.h"
#include "config.h"
#include "engine/pipeline.h"
#include "engine/resolve.h"
#include "inspect.h"
#include "log.h"
#include "oneshot.h"
#include "serve.h"

#ifndef DXT_LIBDIR
#define DXT_LIBDIR "/usr/local/lib"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dxtd [COMMAND] [OPTIONS]\n"
		"\n"
		"commands:\n"
		"  serve               run the daemon (the default command)\n"
		"      --config FILE   configuration file (YAML)\n"
		"      --listen H:P    address of the control API\n"
		"                      (default 127.0.0.1:8710; port 0 = any)\n"
		"      --state-dir DIR the state store's folder\n"
		"      --spool-dir DIR where buffers are staged\n"
		"      --workers N     worker threads for extract and load\n"
		"      --token-file F  require this bearer token on /v1\n"
		"  run PIPELINE        run a pipeline once in the foreground\n"
		"      --stream ID     only this stream (repeatable)\n"
		"      --workers N     streams in parallel (default 4)\n"
		"      --spool-dir DIR where buffers are staged (default:\n"
		"                      buffer.location or .dxt/spool)\n"
		"  validate FILE...    check pipeline documents\n"
		"  operators [--json]  list operators in the provider path\n"
		"  inspect FILE        show a Parquet file's schema, row groups\n"
		"                      and first rows\n"
		"      --rows N|all    rows to show (default 10)\n"
		"      --json          one JSON object instead of text\n"
		"  version             print the version\n"
		"\n"
		"common options:\n"
		"  --provider-path DIR add a provider folder (repeatable)\n"
		"  --log-format F      text (default) or json\n"
		"  --log-level L       debug, info (default), warn, error\n");
}

enum {
	OPT_STREAM = 1000,
	OPT_WORKERS,
	OPT_SPOOL,
	OPT_PROVIDER_PATH,
	OPT_LOG_FORMAT,
	OPT_LOG_LEVEL,
	OPT_JSON,
	OPT_PROGRESS_MS,
	OPT_CONFIG,
	OPT_LISTEN,
	OPT_STATE_DIR,
	OPT_TOKEN_FILE,
};

static const struct option long_opts[] = {
	{"stream", required_argument, NULL, OPT_STREAM},
	{"workers", required_argument, NULL, OPT_WORKERS},
	{"spool-dir", required_argument, NULL, OPT_SPOOL},
	{"provider-path", required_argument, NULL, OPT_PROVIDER_PATH},
	{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	{"json", no_argument, NULL, OPT_JSON},
	{"progress-ms", required_argument, NULL, OPT_PROGRESS_MS},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"state-dir", required_argument, NULL, OPT_STATE_DIR},
	{"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct cli {
	const char *streams[256];
	size_t nstreams;
	int workers;
	int progress_ms;
	const char *spool_dir;
	const char *provider_paths[32];
	size_t npaths;
	int json;
	/* serve: flags that override the config file when given. */
	int workers_set;
	const char *config;
	const char *listen;
	const char *state_dir;
	const char *token_file;
	int log_format;  /* -1 = not given */
	int log_level;   /* -1 = not given */
};

/* Builds the resolver over the provider path described above; `extra`
 * (the config file's folders) follow the flags'. */
static int make_resolver_with(const struct cli *cli, char *const *extra,
			      size_t nextra, struct dxt_resolver **out)
{
	char exe[PATH_MAX], dir[PATH_MAX + 16];
	ssize_t n;
	int rc;

	rc = dxt_resolver_create(cli->provider_paths, cli->npaths, out);
	if (rc != DXT_OK)
		return rc;
	for (size_t i = 0; i < nextra; i++)
		dxt_resolver_add_path(*out, extra[i]);
	if (getenv("DXT_PROVIDER_PATH") != NULL)
		dxt_resolver_add_path_list(*out, getenv("DXT_PROVIDER_PATH"));
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(dir, sizeof(dir), "%s/providers", dirname(exe));
		if (access(dir, F_OK) == 0)
			dxt_resolver_add_path(*out, dir);
	}
	return dxt_resolver_add_path(*out, DXT_LIBDIR "/dxt/providers");
}

static int make_resolver(const struct cli *cli, struct dxt_resolver **out)
{
	return make_resolver_with(cli, NULL, 0, out);
}

static int cmd_validate(struct cli *cli, int argc, char **argv)
{
	struct dxt_resolver *res;
	int bad = 0;

	if (argc < 1) {
		fprintf(stderr, "dxtd validate: name a pipeline file\n");
		return 2;
	}
	if (make_resolver(cli, &res) != DXT_OK)
		return 2;
	for (int i = 0; i < argc; i++) {
		struct dxt_parse_opts po = {0};
		struct dxt_diags diags = {0};
		struct dxt_pipeline *p = NULL;

		po.interpolate = true;
		po.resolver = res;
		if (dxt_pipeline_parse_file(argv[i], &po, &p, &diags) ==
		    DXT_OK) {
			printf("%s: ok: pipeline %s, %zu stream(s)\n", argv[i],
			       p->name, p->nstreams);
		} else {
			bad = 1;
			for (size_t k = 0; k < diags.n; k++) {
				char line[2048];
				dxt_diag_format(&diags.items[k], line,
						sizeof(line));
				printf("%s: %s\n", argv[i], line);
			}
			if (diags.n == 0)
				printf("%s: invalid\n", argv[i]);
		}
		dxt_diags_free(&diags);
		dxt_pipeline_destroy(p);
	}
	dxt_resolver_destroy(res);
	return bad ? 1 : 0;
}

struct listing {
	json_t *arr;
};

static void list_one(const struct dxt_operator_info *info, void *ctx)
{
	struct listing *l = ctx;

	json_array_append_new(
		l->arr,
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "class",
			  info->class_path, "provider", info->provider, "kind",
			  dxt_kind_name(info->op->kind), "category",
			  dxt_category_name(info->op->category), "unit",
			  dxt_unit_name(info->op->unit), "summary",
			  info->op->summary ? info->op->summary : "", "file",
			  info->file));
}

static void list_bad(const char *file, const char *message, void *ctx)
{
	fprintf(stderr, "dxtd: skipping %s: %s\n", file, message);
}

static int cmd_operators(struct cli *cli)
{
	struct dxt_resolver *res;
	struct listing l = {json_array()};
	size_t i;
	json_t *o;

	if (make_resolver(cli, &res) != DXT_OK)
		return 2;
	dxt_resolver_scan(res, list_one, list_bad, &l, NULL);
	if (cli->json) {
		char *text = json_dumps(l.arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", text ? text : "[]");
		free(text);
	} else {
		printf("%-44s %-10s %-11s %s\n", "CLASS PATH", "KIND",
		       "CATEGORY", "UNIT");
		json_array_foreach(l.arr, i, o)
			printf("%-44s %-10s %-11s %s\n",
			       json_string_value(json_object_get(o, "class")),
			       json_string_value(json_object_get(o, "kind")),
			       json_string_value(json_object_get(o, "category")),
			       json_string_value(json_object_get(o, "unit")));
		if (json_array_size(l.arr) == 0) {
			fprintf(stderr, "dxtd: no operators found; searched:");
			for (size_t k = 0; k < dxt_resolver_npaths(res); k++)
				fprintf(stderr, " %s", dxt_resolver_path(res, k));
			fprintf(stderr, "\n");
		}
	}
	json_decref(l.arr);
	dxt_resolver_destroy(res);
	return 0;
}

static int cmd_run(struct cli *cli, int argc, char **argv)
{
	struct dxt_oneshot_opts o = {0};
	struct dxt_resolver *res;
	char threads[16];
	int rc;

	if (argc != 1) {
		fprintf(stderr, "dxtd run: name exactly one pipeline file\n");
		return 2;
	}
	if (make_resolver(cli, &res) != DXT_OK)
		return 2;
	/* libuv sizes its worker pool from the environment at first use. */
	snprintf(threads, sizeof(threads), "%d", cli->workers);
	setenv("UV_THREADPOOL_SIZE", threads, 1);
	o.pipeline_path = argv[0];
	o.streams = cli->streams;
	o.nstreams = cli->nstreams;
	o.workers = cli->workers;
	o.spool_dir = cli->spool_dir;
	o.progress_ms = cli->progress_ms;
	o.resolver = res;
	rc = dxt_oneshot_run(&o);
	dxt_resolver_destroy(res);
	return rc;
}

static int http_start(struct dxt_service *svc, const struct dxt_config *c,
		      void **handle, int *port, struct dxt_error *err)
{
	struct dxt_api_opts ao = {0};
	struct dxt_api *api = NULL;
	int rc;

	ao.host = c->listen_host;
	ao.port = c->listen_port;
	ao.token = c->token;
	ao.body_limit = (size_t)c->body_limit;
	rc = dxt_api_start(svc, &ao, &api, err);
	*handle = api;
	*port = rc == DXT_OK ? dxt_api_port(api) : 0;
	return rc;
}

static void http_stop(void *handle)
{
	dxt_api_stop(handle);
}

static const struct dxt_serve_http http = {http_start, http_stop};

static int cmd_serve(struct cli *cli, int argc, char **argv)
{
	struct dxt_config c;
	struct dxt_diags diags = {0};
	struct dxt_resolver *res = NULL;
	struct dxt_error err;
	int rc = 2;

	if (argc > 0) {
		fprintf(stderr, "dxtd serve: unexpected argument \"%s\"\n",
			argv[0]);
		return 2;
	}
	dxt_error_clear(&err);
	dxt_config_default(&c);
	if (cli->config != NULL &&
	    dxt_config_load(&c, cli->config, &diags, &err) != DXT_OK) {
		for (size_t i = 0; i < diags.n; i++) {
			char line[2048];

			dxt_diag_format(&diags.items[i], line, sizeof(line));
			fprintf(stderr, "dxtd: %s: %s\n", cli->config, line);
		}
		if (diags.n == 0)
			fprintf(stderr, "dxtd: %s\n", err.message);
		goto out;
	}
	if (cli->listen != NULL &&
	    dxt_config_set_listen(&c, cli->listen, &err) != DXT_OK) {
		fprintf(stderr, "dxtd: --%s\n", err.message);
		goto out;
	}
	if (cli->state_dir != NULL)
		snprintf(c.state_dir, sizeof(c.state_dir), "%s", cli->state_dir);
	if (cli->spool_dir != NULL)
		snprintf(c.spool_dir, sizeof(c.spool_dir), "%s", cli->spool_dir);
	if (cli->token_file != NULL)
		snprintf(c.token_file, sizeof(c.token_file), "%s",
			 cli->token_file);
	if (cli->workers_set)
		c.workers = cli->workers;
	if (cli->log_format >= 0)
		c.log_format = (enum dxt_log_format)cli->log_format;
	if (cli->log_level >= 0)
		c.log_level = (enum dxt_log_level)cli->log_level;
	if (dxt_config_read_token(&c, &err) != DXT_OK) {
		fprintf(stderr, "dxtd: %s\n", err.message);
		goto out;
	}
	dxt_log_setup(c.log_format, c.log_level);
	if (make_resolver_with(cli, c.provider_path, c.nprovider_path, &res) !=
	    DXT_OK)
		goto out;
	rc = dxt_serve(&c, res, &http) == 0 ? 0 : 1;
out:
	dxt_resolver_destroy(res);
	dxt_diags_free(&diags);
	dxt_config_release(&c);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli cli = {.workers = 4, .log_format = -1, .log_level = -1};
	enum dxt_log_format lf = DXT_LOG_TEXT;
	enum dxt_log_level ll = DXT_LOG_INFO;
	const char *cmd;

	/*
	 * Large buffers (batches, codec contexts, part streams) come and go
	 * with every part and stream. A fixed mmap threshold returns them to
	 * the system when freed; glibc's moving threshold would keep them in
	 * the heap, so peak RSS would creep with the number of parts.
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	int c, v;

	/* No command, or options only: serve. */
	cmd = argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "-h") != 0 &&
			   strcmp(argv[1], "--help") != 0 &&
			   strcmp(argv[1], "--version") != 0)
		      ? "serve"
		      : argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("dxtd %s (operator ABI %d)\n", DXT_VERSION,
		       DXT_ABI_VERSION);
		return 0;
	}
	/* inspect reads a file and takes only its own options. */
	if (strcmp(cmd, "inspect") == 0)
		return dxt_inspect_main(argc - 2, argv + 2);
	optind = strcmp(cmd, "serve") == 0 && (argc < 2 || argv[1][0] == '-')
			 ? 1
			 : 2;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_STREAM:
			if (cli.nstreams < 256)
				cli.streams[cli.nstreams++] = optarg;
			break;
		case OPT_WORKERS:
			cli.workers = atoi(optarg);
			if (cli.workers < 1 || cli.workers > 256) {
				fprintf(stderr, "dxtd: --workers must be 1..256\n");
				return 2;
			}
			cli.workers_set = 1;
			break;
		case OPT_CONFIG:
			cli.config = optarg;
			break;
		case OPT_LISTEN:
			cli.listen = optarg;
			break;
		case OPT_STATE_DIR:
			cli.state_dir = optarg;
			break;
		case OPT_TOKEN_FILE:
			cli.token_file = optarg;
			break;
		case OPT_PROGRESS_MS:
			cli.progress_ms = atoi(optarg);
			break;
		case OPT_SPOOL:
			cli.spool_dir = optarg;
			break;
		case OPT_PROVIDER_PATH:
			if (cli.npaths < 32)
				cli.provider_paths[cli.npaths++] = optarg;
			break;
		case OPT_LOG_FORMAT:
			if ((v = dxt_log_format_parse(optarg)) < 0) {
				fprintf(stderr, "dxtd: --log-format must be text or json\n");
				return 2;
			}
			lf = (enum dxt_log_format)v;
			cli.log_format = v;
			break;
		case OPT_LOG_LEVEL:
			if ((v = dxt_log_level_parse(optarg)) < 0) {
				fprintf(stderr, "dxtd: --log-level must be debug, info, warn or error\n");
				return 2;
			}
			ll = (enum dxt_log_level)v;
			cli.log_level = v;
			break;
		case OPT_JSON:
			cli.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	dxt_log_setup(lf, ll);
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(&cli, argc - optind, argv + optind);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(&cli, argc - optind, argv + optind);
	if (strcmp(cmd, "validate") == 0)
		return cmd_validate(&cli, argc - optind, argv + optind);
	if (strcmp(cmd, "operators") == 0)
		return cmd_operators(&cli);
	fprintf(stderr, "dxtd: unknown command \"%s\"\n\n", cmd);
	usage(stderr);
	return 2;
}

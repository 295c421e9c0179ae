/*
 * config.h - dxtd's configuration: a YAML file, then command-line flags.
 *
 *   listen: 127.0.0.1:8710        # host:port; [::1]:8710 for IPv6
 *   state_dir: /var/lib/dxtd      # the state store (dxtd.db)
 *   spool_dir: /var/lib/dxtd/spool
 *   workers: 4                    # worker threads (extract/load)
 *   stream_parallelism: 4         # streams of one run at once
 *   provider_path: [/opt/dxt/providers]
 *   token_file: /etc/dxtd/token   # bearer token for the API; none = open
 *   body_limit: 1MiB
 *   log_level: info               # debug, info, warn, error
 *   log_format: text              # text or json
 *   shutdown_timeout: 30s
 *   spool_quota: 10GiB            # 0 = no quota
 *   spool_retention: 7d           # failed/interrupted runs' buffers
 *
 * Unknown keys and values of the wrong type are errors naming the file,
 * line and column. Loaded once on the main thread at start.
 */
#ifndef DXT_DAEMON_CONFIG_H
#define DXT_DAEMON_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"
#include "engine/pipeline.h"
#include "log.h"

#define DXT_CONFIG_MAX_PATHS 16

struct dxt_config {
	char listen_host[256];
	int listen_port;
	char state_dir[4096];
	char spool_dir[4096];
	int workers;
	int stream_parallelism;
	char *provider_path[DXT_CONFIG_MAX_PATHS]; /* owned */
	size_t nprovider_path;
	char token_file[4096];     /* "" = no token */
	char *token;               /* owned; read from token_file */
	uint64_t body_limit;
	enum dxt_log_level log_level;
	enum dxt_log_format log_format;
	int64_t shutdown_timeout_us;
	uint64_t spool_quota;      /* 0 = none */
	int64_t spool_retention_us;
};

/* Fills the embedded defaults (loopback, ./.dxt/state, ./.dxt/spool). */
void dxt_config_default(struct dxt_config *c);

/*
 * Reads a YAML config file on top of what `c` holds. Every problem is
 * added to `diags` (path, line, column); returns DXT_OK, DXT_ECONFIG or
 * DXT_EPARSE (diags say why) or DXT_EIO (err says why).
 */
int dxt_config_load(struct dxt_config *c, const char *path,
		    struct dxt_diags *diags, struct dxt_error *err);

/* Parses "host:port" / "[v6]:port" / ":port" into the config. */
int dxt_config_set_listen(struct dxt_config *c, const char *text,
			  struct dxt_error *err);
/* Adds a provider folder (copied). */
int dxt_config_add_provider_path(struct dxt_config *c, const char *dir,
				 struct dxt_error *err);
/* Reads token_file into c->token (trailing newline stripped; refuses an
 * empty token). No-op when token_file is "". */
int dxt_config_read_token(struct dxt_config *c, struct dxt_error *err);
/* Frees what the config owns. */
void dxt_config_release(struct dxt_config *c);

#endif /* DXT_DAEMON_CONFIG_H */

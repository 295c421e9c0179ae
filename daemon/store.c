/*
 * store.c - the daemon's state store in SQLite.
 *
 * One connection, one mutex. Every public function runs as one "operation"
 * (struct op): it takes the mutex, names itself for error messages, borrows
 * cached prepared statements, optionally opens a transaction, and on the
 * way out rolls back an unfinished transaction, resets every statement it
 * used (a statement left mid-step would pin a read snapshot and stall WAL
 * checkpoints) and releases the mutex.
 *
 * Enumerations are stored as their names ("running", "upsert"), not as
 * numbers, so the database reads well in a `sqlite3` shell and CHECK
 * constraints catch a value this code never meant to write.
 */
#include "store.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

/* How long a statement waits for another process's lock before failing. */
#define STORE_BUSY_MS 5000
/* SQLite's application_id for dxtd databases: "dxtd" in ASCII. */
#define STORE_APP_ID 0x64787464

/* --- schema -------------------------------------------------------------- */

/*
 * Migration N (1-based) brings the schema from version N-1 to N. Entries are
 * append-only: a released migration is never edited, a change is a new
 * entry. They run with foreign keys off inside one transaction (so a later
 * migration MAY rebuild a table), followed by a foreign key check before
 * the commit.
 */
static const char *const migrations[] = {
	/* 1: the initial schema. */
	"CREATE TABLE pipelines ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  latest_version INTEGER NOT NULL CHECK (latest_version >= 1),"
	"  paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  deleted_at INTEGER"
	");"
	"CREATE TABLE pipeline_versions ("
	"  pipeline TEXT NOT NULL REFERENCES pipelines (name),"
	"  version INTEGER NOT NULL CHECK (version >= 1),"
	"  format TEXT NOT NULL CHECK (format IN ('yaml', 'json')),"
	"  document TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (pipeline, version)"
	");"
	"CREATE TABLE runs ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  pipeline TEXT NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  triggered_by TEXT NOT NULL"
	"    CHECK (triggered_by IN ('api', 'schedule', 'retry')),"
	"  status TEXT NOT NULL CHECK (status IN ('queued', 'running',"
	"    'succeeded', 'failed', 'cancelled', 'interrupted')),"
	"  attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),"
	"  parent_id TEXT REFERENCES runs (id),"
	"  created_at INTEGER NOT NULL,"
	"  started_at INTEGER,"
	"  ended_at INTEGER,"
	"  rows_extracted INTEGER NOT NULL DEFAULT 0,"
	"  rows_loaded INTEGER NOT NULL DEFAULT 0,"
	"  rows_rejected INTEGER NOT NULL DEFAULT 0,"
	"  bytes_staged INTEGER NOT NULL DEFAULT 0,"
	"  error_code TEXT,"
	"  error_class TEXT CHECK (error_class IN ('transient', 'terminal')),"
	"  error_origin TEXT"
	"    CHECK (error_origin IN ('source', 'target', 'buffer', 'config')),"
	"  error_stream TEXT,"
	"  error_message TEXT,"
	"  spool_dir TEXT,"
	"  options TEXT,"
	"  FOREIGN KEY (pipeline, version)"
	"    REFERENCES pipeline_versions (pipeline, version)"
	");"
	"CREATE INDEX runs_created ON runs (created_at, id);"
	"CREATE INDEX runs_pipeline ON runs (pipeline, created_at, id);"
	"CREATE INDEX runs_status ON runs (status, created_at, id);"
	"CREATE INDEX runs_parent ON runs (parent_id);"
	"CREATE TABLE stream_runs ("
	"  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
	"  stream TEXT NOT NULL,"
	"  phase TEXT NOT NULL CHECK (phase IN ('pending', 'extracting',"
	"    'staged', 'loading', 'loaded', 'failed', 'skipped')),"
	"  extract_mode TEXT NOT NULL"
	"    CHECK (extract_mode IN ('full', 'incremental')),"
	"  load_mode TEXT NOT NULL"
	"    CHECK (load_mode IN ('append', 'replace', 'upsert')),"
	"  rows_extracted INTEGER NOT NULL DEFAULT 0,"
	"  rows_loaded INTEGER NOT NULL DEFAULT 0,"
	"  rows_rejected INTEGER NOT NULL DEFAULT 0,"
	"  bytes_staged INTEGER NOT NULL DEFAULT 0,"
	"  started_at INTEGER,"
	"  ended_at INTEGER,"
	"  watermark_field TEXT,"
	"  watermark_from TEXT,"
	"  watermark_to TEXT,"
	"  error_code TEXT,"
	"  error_class TEXT CHECK (error_class IN ('transient', 'terminal')),"
	"  error_origin TEXT"
	"    CHECK (error_origin IN ('source', 'target', 'buffer', 'config')),"
	"  error_message TEXT,"
	"  PRIMARY KEY (run_id, stream)"
	");"
	"CREATE TABLE watermarks ("
	"  pipeline TEXT NOT NULL REFERENCES pipelines (name),"
	"  stream TEXT NOT NULL,"
	"  field TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  run_id TEXT REFERENCES runs (id),"
	"  PRIMARY KEY (pipeline, stream)"
	");"
	"CREATE TABLE pending_watermarks ("
	"  pipeline TEXT NOT NULL REFERENCES pipelines (name),"
	"  stream TEXT NOT NULL,"
	"  field TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  run_id TEXT NOT NULL REFERENCES runs (id),"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (pipeline, stream)"
	");"
	"CREATE INDEX watermarks_run ON watermarks (run_id);"
	"CREATE INDEX pending_watermarks_run ON pending_watermarks (run_id);"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY,"
	"  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
	"  time INTEGER NOT NULL,"
	"  level TEXT NOT NULL"
	"    CHECK (level IN ('debug', 'info', 'warn', 'error')),"
	"  stream TEXT,"
	"  message TEXT NOT NULL"
	");"
	"CREATE INDEX events_run ON events (run_id, seq);",
};

#define STORE_SCHEMA_VERSION \
	((int)(sizeof(migrations) / sizeof(migrations[0])))

/* --- statements ---------------------------------------------------------- */

#define RUN_COLS                                                             \
	"id, pipeline, version, triggered_by, status, attempt, parent_id, "  \
	"created_at, started_at, ended_at, rows_extracted, rows_loaded, "    \
	"rows_rejected, bytes_staged, error_code, error_class, "             \
	"error_origin, error_message, error_stream, spool_dir, options"

/* Keyset paging, newest first: rows strictly before the cursor (?3 =
 * created_at, ?4 = id of the last row of the previous page). A row-value
 * comparison is a range on the (…, created_at, id) indexes. */
#define RUN_PAGE                                                             \
	" (created_at, id) < (?3, ?4)"                                       \
	" ORDER BY created_at DESC, id DESC LIMIT ?5"

#define SR_COLS                                                              \
	"run_id, stream, phase, extract_mode, load_mode, rows_extracted, "   \
	"rows_loaded, rows_rejected, bytes_staged, started_at, ended_at, "   \
	"watermark_field, watermark_from, watermark_to, error_code, "        \
	"error_class, error_origin, error_message"

#define WM_COLS "pipeline, stream, field, value, updated_at, run_id"

#define PIPE_SELECT                                                          \
	"SELECT p.name, v.version, p.latest_version, p.paused, v.format, "   \
	"v.document, p.created_at, p.updated_at, v.created_at "              \
	"FROM pipelines p JOIN pipeline_versions v ON v.pipeline = p.name "

/* The X-macro list of every statement the store runs. */
#define STORE_STMTS(X)                                                       \
	X(BEGIN, "BEGIN IMMEDIATE")                                          \
	X(BEGIN_READ, "BEGIN DEFERRED")                                      \
	X(COMMIT, "COMMIT")                                                  \
	X(ROLLBACK, "ROLLBACK")                                              \
	X(PING, "SELECT 1")                                                  \
	X(PIPE_STATE, "SELECT latest_version, deleted_at IS NOT NULL "       \
		      "FROM pipelines WHERE name = ?1")                      \
	X(PIPE_INSERT, "INSERT INTO pipelines (name, latest_version, "       \
		       "paused, created_at, updated_at) "                    \
		       "VALUES (?1, ?2, 0, ?3, ?3)")                         \
	X(PIPE_RECREATE, "UPDATE pipelines SET latest_version = ?2, "        \
			 "paused = 0, created_at = ?3, updated_at = ?3, "    \
			 "deleted_at = NULL WHERE name = ?1")                \
	X(PIPE_NEWVER, "UPDATE pipelines SET latest_version = ?2, "          \
		       "updated_at = ?3 WHERE name = ?1")                    \
	X(VER_INSERT, "INSERT INTO pipeline_versions (pipeline, version, "   \
		      "format, document, created_at) "                       \
		      "VALUES (?1, ?2, ?3, ?4, ?5)")                         \
	X(VER_EXISTS, "SELECT 1 FROM pipeline_versions "                     \
		      "WHERE pipeline = ?1 AND version = ?2")                \
	X(PIPE_GET, PIPE_SELECT "AND v.version = CASE WHEN ?2 > 0 THEN ?2 "  \
		    "ELSE p.latest_version END "                             \
		    "WHERE p.name = ?1 AND p.deleted_at IS NULL")            \
	X(PIPE_LIST, PIPE_SELECT "AND v.version = p.latest_version "         \
		     "WHERE p.deleted_at IS NULL ORDER BY p.name")           \
	X(PIPE_DELETE, "UPDATE pipelines SET deleted_at = ?2, "              \
		       "updated_at = ?2 WHERE name = ?1 "                    \
		       "AND deleted_at IS NULL")                             \
	X(PIPE_PAUSE, "UPDATE pipelines SET updated_at = CASE WHEN "         \
		      "paused = ?2 THEN updated_at ELSE ?3 END, "            \
		      "paused = ?2 WHERE name = ?1 AND deleted_at IS NULL")  \
	X(PIPE_LIVE, "SELECT 1 FROM pipelines "                              \
		     "WHERE name = ?1 AND deleted_at IS NULL")               \
	X(VER_LIST, "SELECT version, format, "                               \
		    "length(CAST(document AS BLOB)), created_at "            \
		    "FROM pipeline_versions WHERE pipeline = ?1 "            \
		    "ORDER BY version")                                      \
	X(RUN_INSERT, "INSERT INTO runs (" RUN_COLS ") VALUES (?1, ?2, ?3, " \
		      "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "    \
		      "?15, ?16, ?17, ?18, ?19, ?20, ?21)")                  \
	X(RUN_UPDATE, "UPDATE runs SET status = ?2, started_at = ?3, "       \
		      "ended_at = ?4, rows_extracted = ?5, "                 \
		      "rows_loaded = ?6, rows_rejected = ?7, "               \
		      "bytes_staged = ?8, error_code = ?9, "                 \
		      "error_class = ?10, error_origin = ?11, "              \
		      "error_message = ?12, error_stream = ?13, "            \
		      "spool_dir = ?14 WHERE id = ?1")                       \
	X(RUN_EXISTS, "SELECT 1 FROM runs WHERE id = ?1")                    \
	X(RUN_GET, "SELECT " RUN_COLS " FROM runs WHERE id = ?1")            \
	X(RUN_CURSOR, "SELECT created_at FROM runs WHERE id = ?1")           \
	X(RUN_PAGE_ALL, "SELECT " RUN_COLS " FROM runs WHERE "               \
			"?1 IS NULL AND ?2 IS NULL AND" RUN_PAGE)            \
	X(RUN_PAGE_PIPE, "SELECT " RUN_COLS " FROM runs WHERE "              \
			 "pipeline = ?1 AND ?2 IS NULL AND" RUN_PAGE)        \
	X(RUN_PAGE_STATUS, "SELECT " RUN_COLS " FROM runs WHERE "            \
			   "?1 IS NULL AND status = ?2 AND" RUN_PAGE)        \
	X(RUN_PAGE_BOTH, "SELECT " RUN_COLS " FROM runs WHERE "              \
			 "pipeline = ?1 AND status = ?2 AND" RUN_PAGE)       \
	X(RUN_BY_STATUS, "SELECT " RUN_COLS " FROM runs WHERE status = ?1 "  \
			 "ORDER BY created_at, id")                          \
	X(RUN_ACTIVE_IDS, "SELECT id FROM runs "                             \
			  "WHERE status IN ('queued', 'running') "           \
			  "ORDER BY created_at, id")                         \
	X(RUN_INTERRUPT_STREAMS,                                             \
	  "UPDATE stream_runs SET phase = 'failed', ended_at = ?1, "         \
	  "error_code = 'ECANCELLED', error_class = 'transient', "           \
	  "error_origin = NULL, error_message = 'interrupted: dxtd "         \
	  "stopped while the stream was ' || phase || '; retry the run "     \
	  "(POST /v1/runs/' || run_id || '/retry)' "                         \
	  "WHERE phase IN ('extracting', 'loading') AND run_id IN "          \
	  "(SELECT id FROM runs WHERE status IN ('queued', 'running'))")     \
	X(RUN_INTERRUPT,                                                     \
	  "UPDATE runs SET status = 'interrupted', ended_at = ?1, "          \
	  "error_code = 'ECANCELLED', error_class = 'transient', "           \
	  "error_origin = NULL, error_stream = NULL, error_message = "       \
	  "'interrupted: dxtd stopped ' || CASE status WHEN 'queued' "       \
	  "THEN 'before the run started' ELSE 'while the run was running' "  \
	  "END || '; retry it (POST /v1/runs/' || id || '/retry)' "          \
	  "WHERE status IN ('queued', 'running')")                           \
	X(SR_UPSERT, "INSERT INTO stream_runs (" SR_COLS ") VALUES (?1, ?2, "\
		     "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, " \
		     "?15, ?16, ?17, ?18) ON CONFLICT (run_id, stream) DO "  \
		     "UPDATE SET phase = excluded.phase, "                   \
		     "extract_mode = excluded.extract_mode, "                \
		     "load_mode = excluded.load_mode, "                      \
		     "rows_extracted = excluded.rows_extracted, "            \
		     "rows_loaded = excluded.rows_loaded, "                  \
		     "rows_rejected = excluded.rows_rejected, "              \
		     "bytes_staged = excluded.bytes_staged, "                \
		     "started_at = excluded.started_at, "                    \
		     "ended_at = excluded.ended_at, "                        \
		     "watermark_field = excluded.watermark_field, "          \
		     "watermark_from = excluded.watermark_from, "            \
		     "watermark_to = excluded.watermark_to, "                \
		     "error_code = excluded.error_code, "                    \
		     "error_class = excluded.error_class, "                  \
		     "error_origin = excluded.error_origin, "                \
		     "error_message = excluded.error_message")               \
	X(SR_LIST, "SELECT " SR_COLS " FROM stream_runs WHERE run_id = ?1 "  \
		   "ORDER BY rowid")                                         \
	X(WM_GET, "SELECT " WM_COLS " FROM watermarks "                      \
		  "WHERE pipeline = ?1 AND stream = ?2")                     \
	X(WM_LIST, "SELECT " WM_COLS " FROM watermarks WHERE pipeline = ?1 " \
		   "ORDER BY stream")                                        \
	X(WM_SET, "INSERT INTO watermarks (" WM_COLS ") "                    \
		  "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "                         \
		  "ON CONFLICT (pipeline, stream) DO UPDATE SET "            \
		  "field = excluded.field, value = excluded.value, "         \
		  "updated_at = excluded.updated_at, run_id = excluded.run_id")\
	X(WM_DEL, "DELETE FROM watermarks WHERE pipeline = ?1 "              \
		  "AND (?2 IS NULL OR stream = ?2)")                         \
	X(PEND_DEL, "DELETE FROM pending_watermarks WHERE pipeline = ?1 "    \
		    "AND (?2 IS NULL OR stream = ?2)")                       \
	X(PEND_HOLDER, "SELECT run_id FROM pending_watermarks "              \
		       "WHERE pipeline = ?1 AND stream = ?2")                \
	X(RUN_ANCESTOR, "WITH RECURSIVE anc (id) AS ("                       \
			"SELECT parent_id FROM runs WHERE id = ?1 UNION "    \
			"SELECT r.parent_id FROM runs r JOIN anc "           \
			"ON r.id = anc.id) "                                 \
			"SELECT 1 FROM anc WHERE id = ?2")                   \
	X(PEND_PUT, "INSERT INTO pending_watermarks (pipeline, stream, "     \
		    "field, value, run_id, created_at) "                     \
		    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "                       \
		    "ON CONFLICT (pipeline, stream) DO UPDATE SET "          \
		    "field = excluded.field, value = excluded.value, "       \
		    "run_id = excluded.run_id, "                             \
		    "created_at = excluded.created_at")                      \
	X(PEND_COMMIT, "INSERT INTO watermarks (" WM_COLS ") "               \
		       "SELECT pipeline, stream, field, value, ?4, run_id "  \
		       "FROM pending_watermarks WHERE pipeline = ?1 "        \
		       "AND stream = ?2 AND run_id = ?3 "                    \
		       "ON CONFLICT (pipeline, stream) DO UPDATE SET "       \
		       "field = excluded.field, value = excluded.value, "    \
		       "updated_at = excluded.updated_at, "                  \
		       "run_id = excluded.run_id")                           \
	X(PEND_DEL_RUN, "DELETE FROM pending_watermarks WHERE "              \
			"pipeline = ?1 AND stream = ?2 AND run_id = ?3")     \
	X(PEND_LIST, "SELECT pipeline, stream, field, value, created_at, "   \
		     "run_id FROM pending_watermarks "                       \
		     "WHERE ?1 IS NULL OR pipeline = ?1 "                    \
		     "ORDER BY pipeline, stream")                            \
	X(EV_APPEND, "INSERT INTO events (run_id, time, level, stream, "     \
		     "message) VALUES (?1, ?2, ?3, ?4, ?5)")                 \
	X(EV_LIST, "SELECT seq, time, level, stream, message FROM events "   \
		   "WHERE run_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3")   \
	X(CNT_STATUS, "SELECT status, count(*) FROM runs GROUP BY status")   \
	X(CNT_TOTALS, "SELECT coalesce(sum(rows_extracted), 0), "            \
		      "coalesce(sum(rows_loaded), 0), "                      \
		      "coalesce(sum(rows_rejected), 0), "                    \
		      "coalesce(sum(bytes_staged), 0) FROM runs")            \
	X(CNT_PIPES, "SELECT count(*) FROM pipelines "                       \
		     "WHERE deleted_at IS NULL")

enum stmt_id {
#define STMT_ENUM(name, sql) S_##name,
	STORE_STMTS(STMT_ENUM)
#undef STMT_ENUM
	S__COUNT
};

static const char *const stmt_sql[S__COUNT] = {
#define STMT_SQL(name, sql) sql,
	STORE_STMTS(STMT_SQL)
#undef STMT_SQL
};

_Static_assert(S__COUNT <= 64, "the used-statement mask is 64 bits");

struct dxt_store {
	pthread_mutex_t lock;   /* guards everything below */
	sqlite3 *db;
	sqlite3_stmt *stmts[S__COUNT]; /* prepared on first use */
	int schema_version;
	char path[PATH_MAX];
};

/* --- names --------------------------------------------------------------- */

static const char *const status_names[DXT_RUN_STATUS_COUNT] = {
	"queued", "running", "succeeded", "failed", "cancelled", "interrupted"
};
static const char *const trigger_names[] = {"api", "schedule", "retry"};
static const char *const level_names[] = {"debug", "info", "warn", "error"};
static const char *const format_names[] = {"yaml", "json"};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

const char *dxt_run_status_name(enum dxt_run_status s)
{
	return (unsigned)s < N_ELEMS(status_names) ? status_names[s] : NULL;
}

bool dxt_run_status_parse(const char *name, enum dxt_run_status *out)
{
	for (size_t i = 0; name != NULL && i < N_ELEMS(status_names); i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*out = (enum dxt_run_status)i;
			return true;
		}
	}
	return false;
}

bool dxt_run_status_is_final(enum dxt_run_status s)
{
	return s == DXT_RUN_SUCCEEDED || s == DXT_RUN_FAILED ||
	       s == DXT_RUN_CANCELLED || s == DXT_RUN_INTERRUPTED;
}

const char *dxt_run_trigger_name(enum dxt_run_trigger t)
{
	return (unsigned)t < N_ELEMS(trigger_names) ? trigger_names[t] : NULL;
}

static int name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; name != NULL && i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

static const char *format_name(enum dxt_doc_format f)
{
	return f == DXT_DOC_JSON ? "json" : "yaml";
}

static const char *phase_name(enum dxt_phase p)
{
	return (unsigned)p <= DXT_PHASE_SKIPPED ? dxt_phase_name(p) : NULL;
}

static const char *extract_mode_name(enum dxt_extract_mode m)
{
	return (unsigned)m <= DXT_EXTRACT_INCREMENTAL ? dxt_extract_mode_name(m)
						      : NULL;
}

static const char *load_mode_name(enum dxt_load_mode m)
{
	return (unsigned)m <= DXT_LOAD_UPSERT ? dxt_load_mode_name(m) : NULL;
}

static const char *level_name(enum dxt_log_level l)
{
	return (unsigned)l < N_ELEMS(level_names) ? level_names[l] : NULL;
}

/* The DXT_E* code whose name ("ETARGET") is `name`. An unknown name (a
 * code added by a newer dxtd) reads as DXT_EIO; its message stays. */
static int err_code_parse(const char *name)
{
	for (int c = DXT__ERR_FIRST + 1; c < DXT__ERR_LAST; c++)
		if (strcmp(dxt_err_name(c), name) == 0)
			return c;
	return DXT_EIO;
}

/* --- operations ---------------------------------------------------------- */

struct op {
	struct dxt_store *st;
	struct dxt_error *err;
	uint64_t used;       /* bit per enum stmt_id borrowed */
	bool in_tx;
	char what[256];      /* "insert run r1", for messages */
};

__attribute__((format(printf, 4, 5)))
static void op_start(struct op *o, struct dxt_store *st, struct dxt_error *err,
		     const char *fmt, ...)
{
	va_list ap;

	o->st = st;
	o->err = err;
	o->used = 0;
	o->in_tx = false;
	va_start(ap, fmt);
	vsnprintf(o->what, sizeof(o->what), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&st->lock);
}

/* Records an SQLite failure: DXT_EIO, transient when the database stayed
 * locked (another process holds it; trying again later may work). */
static int op_sqlite_fail(struct op *o, int rc)
{
	int prim = rc & 0xff;
	enum dxt_err_class cls = (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
					 ? DXT_TRANSIENT
					 : DXT_TERMINAL;

	return dxt_error_setc(o->err, DXT_EIO, cls, DXT_ORIGIN_NONE,
			      "state store %s: %s: %s", o->st->path, o->what,
			      sqlite3_errmsg(o->st->db));
}

__attribute__((format(printf, 3, 4)))
static int op_fail(struct op *o, int code, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return dxt_error_set(o->err, code, "state store %s: %s: %s",
			     o->st->path, o->what, detail);
}

static int op_nomem(struct op *o)
{
	return op_fail(o, DXT_ENOMEM, "out of memory");
}

/*
 * Borrows the cached statement `id`, preparing it on first use, reset and
 * with no bindings: ready to bind and step. op_end() resets it again.
 */
static int op_stmt(struct op *o, enum stmt_id id, sqlite3_stmt **out)
{
	struct dxt_store *st = o->st;
	int rc;

	if (st->stmts[id] == NULL) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[id], -1,
					SQLITE_PREPARE_PERSISTENT,
					&st->stmts[id], NULL);
		if (rc != SQLITE_OK)
			return op_sqlite_fail(o, rc);
	} else {
		sqlite3_reset(st->stmts[id]);
		sqlite3_clear_bindings(st->stmts[id]);
	}
	o->used |= UINT64_C(1) << id;
	*out = st->stmts[id];
	return DXT_OK;
}

/* Steps a query to its next row: DXT_OK with a row, DXT_ENOTFOUND past
 * the last one (and no message: the caller words it). */
static int op_step(struct op *o, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return DXT_OK;
	if (rc == SQLITE_DONE)
		return DXT_ENOTFOUND;
	return op_sqlite_fail(o, rc);
}

/* Runs a statement without parameters whose rows do not matter. */
static int op_simple(struct op *o, enum stmt_id id)
{
	sqlite3_stmt *s = NULL;
	int rc;

	DXT_RETURN_NOT_OK(op_stmt(o, id, &s));
	rc = op_step(o, s);
	return rc == DXT_ENOTFOUND ? DXT_OK : rc;
}

/* Opens a write transaction (BEGIN IMMEDIATE: the write lock is taken up
 * front, so a concurrent writer waits in busy_timeout instead of failing
 * half way with SQLITE_BUSY on upgrade). */
static int op_begin(struct op *o)
{
	DXT_RETURN_NOT_OK(op_simple(o, S_BEGIN));
	o->in_tx = true;
	return DXT_OK;
}

/* Opens a read transaction: several SELECTs see one snapshot. */
static int op_begin_read(struct op *o)
{
	DXT_RETURN_NOT_OK(op_simple(o, S_BEGIN_READ));
	o->in_tx = true;
	return DXT_OK;
}

static int op_commit(struct op *o)
{
	int rc = op_simple(o, S_COMMIT);

	if (rc == DXT_OK)
		o->in_tx = false;
	return rc;
}

/* Ends an operation: rolls back an unfinished transaction, resets every
 * borrowed statement, unlocks. Returns rc. */
static int op_end(struct op *o, int rc)
{
	struct dxt_store *st = o->st;

	for (int i = 0; i < S__COUNT; i++)
		if (o->used & (UINT64_C(1) << i))
			sqlite3_reset(st->stmts[i]);
	/* SQLite may already have rolled back on its own (some errors
	 * abort the transaction); ROLLBACK then fails, harmlessly. */
	if (o->in_tx && !sqlite3_get_autocommit(st->db)) {
		sqlite3_stmt *s = NULL;

		if (op_stmt(o, S_ROLLBACK, &s) == DXT_OK) {
			sqlite3_step(s);
			sqlite3_reset(s);
		}
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* --- binding ------------------------------------------------------------- */

/* Binds a run of values to one statement, keeping the first failure, so a
 * caller binds everything and checks once. */
struct bnd {
	sqlite3_stmt *s;
	int rc;
};

static void b_text(struct bnd *b, int i, const char *v)
{
	if (b->rc != SQLITE_OK)
		return;
	b->rc = v != NULL ? sqlite3_bind_text(b->s, i, v, -1, SQLITE_STATIC)
			  : sqlite3_bind_null(b->s, i);
}

static void b_int(struct bnd *b, int i, int64_t v)
{
	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_int64(b->s, i, v);
}

/* Counters are unsigned; SQLite integers are signed 64-bit. No real count
 * reaches 2^63, so clamping only guards against garbage. */
static void b_count(struct bnd *b, int i, uint64_t v)
{
	b_int(b, i, v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

/* A time, with 0 ("not yet") stored as NULL. */
static void b_time(struct bnd *b, int i, int64_t us)
{
	if (b->rc != SQLITE_OK)
		return;
	b->rc = us != 0 ? sqlite3_bind_int64(b->s, i, us)
			: sqlite3_bind_null(b->s, i);
}

/* A JSON value as compact text; NULL binds SQL NULL. The text is handed
 * to SQLite, which frees it (also when binding fails). */
static void b_json(struct bnd *b, int i, const json_t *v)
{
	char *text;

	if (b->rc != SQLITE_OK)
		return;
	if (v == NULL) {
		b->rc = sqlite3_bind_null(b->s, i);
		return;
	}
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (text == NULL) {
		b->rc = SQLITE_NOMEM;
		return;
	}
	b->rc = sqlite3_bind_text(b->s, i, text, -1, free);
}

/* Binds an error record as four columns: code, class, origin, message. */
static void b_error(struct bnd *b, int i, const struct dxt_error *e)
{
	bool set = e->code != DXT_OK;

	b_text(b, i, set ? dxt_err_name(e->code) : NULL);
	b_text(b, i + 1, set ? dxt_err_class_name(e->cls) : NULL);
	b_text(b, i + 2, set ? dxt_origin_name(e->origin) : NULL);
	b_text(b, i + 3, set ? e->message : NULL);
}

/* Borrows the cached statement `id` (see op_stmt()) and starts binding
 * its parameters with `b`. */
static int op_bind(struct op *o, enum stmt_id id, struct bnd *b)
{
	sqlite3_stmt *s = NULL;

	DXT_RETURN_NOT_OK(op_stmt(o, id, &s));
	*b = (struct bnd){s, SQLITE_OK};
	return DXT_OK;
}

/* Reports the first failure among the bindings, if any. */
static int op_bound(struct op *o, const struct bnd *b)
{
	if (b->rc == SQLITE_OK)
		return DXT_OK;
	if (b->rc == SQLITE_NOMEM)
		return op_nomem(o);
	return op_sqlite_fail(o, b->rc);
}

/* Runs a bound statement whose rows do not matter. */
static int op_exec(struct op *o, const struct bnd *b)
{
	int rc;

	DXT_RETURN_NOT_OK(op_bound(o, b));
	rc = op_step(o, b->s);
	return rc == DXT_ENOTFOUND ? DXT_OK : rc;
}

/* Runs a bound query to its first row: DXT_OK with the row (read it from
 * b->s), DXT_ENOTFOUND without one (and no message: the caller words it). */
static int op_fetch(struct op *o, const struct bnd *b)
{
	DXT_RETURN_NOT_OK(op_bound(o, b));
	return op_step(o, b->s);
}

/*
 * Runs a bound INSERT or UPDATE. A row whose primary key or unique key is
 * taken is DXT_EEXISTS with `exists_msg`; other failed constraints mean a
 * value this store should never have been given (DXT_EINVAL).
 */
static int op_write(struct op *o, const struct bnd *b, const char *exists_msg)
{
	int rc;

	DXT_RETURN_NOT_OK(op_bound(o, b));
	rc = sqlite3_step(b->s);
	if (rc == SQLITE_DONE)
		return DXT_OK;
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
	    rc == SQLITE_CONSTRAINT_UNIQUE)
		return op_fail(o, DXT_EEXISTS, "%s", exists_msg);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return dxt_error_set(o->err, DXT_EINVAL,
				     "state store %s: %s: a value is out of "
				     "range (%s)",
				     o->st->path, o->what,
				     sqlite3_errmsg(o->st->db));
	return op_sqlite_fail(o, rc);
}

/* --- reading ------------------------------------------------------------- */

/* Reads columns of the current row, remembering the first failure (out of
 * memory, or stored JSON that does not parse) so a caller checks once. */
struct rd {
	sqlite3_stmt *s;
	int rc;              /* DXT_OK, DXT_ENOMEM or DXT_EIO */
	const char *bad_col; /* the column that failed to parse */
};

static char *r_str(struct rd *r, int i)
{
	const unsigned char *t = sqlite3_column_text(r->s, i);
	char *dup;

	if (t == NULL) {
		if (sqlite3_column_type(r->s, i) != SQLITE_NULL &&
		    r->rc == DXT_OK)
			r->rc = DXT_ENOMEM;
		return NULL;
	}
	dup = strdup((const char *)t);
	if (dup == NULL && r->rc == DXT_OK)
		r->rc = DXT_ENOMEM;
	return dup;
}

/* A text column of `*len` bytes that MAY hold NUL bytes (a document as
 * submitted), NUL-terminated. */
static char *r_bytes(struct rd *r, int i, size_t *len)
{
	const unsigned char *t = sqlite3_column_text(r->s, i);
	size_t n = (size_t)sqlite3_column_bytes(r->s, i);
	char *dup;

	*len = 0;
	if (t == NULL)
		return r_str(r, i);
	dup = malloc(n + 1);
	if (dup == NULL) {
		if (r->rc == DXT_OK)
			r->rc = DXT_ENOMEM;
		return NULL;
	}
	memcpy(dup, t, n);
	dup[n] = '\0';
	*len = n;
	return dup;
}

static int64_t r_int(struct rd *r, int i)
{
	return sqlite3_column_int64(r->s, i);
}

static uint64_t r_count(struct rd *r, int i)
{
	int64_t v = sqlite3_column_int64(r->s, i);

	return v < 0 ? 0 : (uint64_t)v;
}

static json_t *r_json(struct rd *r, int i)
{
	const char *t = (const char *)sqlite3_column_text(r->s, i);
	json_error_t jerr;
	json_t *v;

	if (t == NULL)
		return NULL;
	v = json_loads(t, JSON_DECODE_ANY, &jerr);
	if (v == NULL && r->rc == DXT_OK) {
		r->rc = DXT_EIO;
		r->bad_col = sqlite3_column_name(r->s, i);
	}
	return v;
}

/* Index of the column's text in `names`, or `dflt` when NULL/unknown. */
static int r_enum(struct rd *r, int i, const char *const *names, size_t n,
		  int dflt)
{
	int k = name_index(names, n,
			   (const char *)sqlite3_column_text(r->s, i));

	return k < 0 ? dflt : k;
}

/* Reads an error record stored as code, class, origin, message. */
static void r_error(struct rd *r, int i, struct dxt_error *e)
{
	const char *code = (const char *)sqlite3_column_text(r->s, i);
	const char *cls = (const char *)sqlite3_column_text(r->s, i + 1);
	const char *origin = (const char *)sqlite3_column_text(r->s, i + 2);
	const char *msg = (const char *)sqlite3_column_text(r->s, i + 3);

	dxt_error_clear(e);
	if (code == NULL)
		return;
	e->code = err_code_parse(code);
	e->cls = cls != NULL && strcmp(cls, "transient") == 0 ? DXT_TRANSIENT
							       : DXT_TERMINAL;
	for (int k = DXT_ORIGIN_SOURCE; k <= DXT_ORIGIN_CONFIG; k++)
		if (origin != NULL &&
		    strcmp(origin, dxt_origin_name((enum dxt_origin)k)) == 0)
			e->origin = (enum dxt_origin)k;
	snprintf(e->message, sizeof(e->message), "%s", msg ? msg : "");
}

static int op_read_fail(struct op *o, const struct rd *r)
{
	if (r->rc == DXT_ENOMEM)
		return op_nomem(o);
	return op_fail(o, DXT_EIO,
		       "column %s holds malformed JSON; the database was "
		       "changed outside dxtd",
		       r->bad_col ? r->bad_col : "?");
}

/* Grows a list's array to hold one more item (zeroed). */
static int list_push(void **items, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		void *p = realloc(*items, ncap * size);

		if (p == NULL)
			return DXT_ENOMEM;
		*items = p;
		*cap = ncap;
	}
	memset((char *)*items + *n * size, 0, size);
	(*n)++;
	return DXT_OK;
}

/* Reads the current row into `item` (a struct the reader knows), noting
 * failures in r->rc. */
typedef void row_reader(struct rd *r, void *item);

/* Reads the current row of `s` into `item`. */
static int op_read_row(struct op *o, sqlite3_stmt *s, void *item,
		       row_reader *read)
{
	struct rd r = {s, DXT_OK, NULL};

	read(&r, item);
	return r.rc == DXT_OK ? DXT_OK : op_read_fail(o, &r);
}

/* Reads the current row of `s` into a new item of `size` bytes at the end
 * of the list (*items, *n), whose array holds *cap items. */
static int op_push_row(struct op *o, sqlite3_stmt *s, void **items,
		       size_t *n, size_t *cap, size_t size, row_reader *read)
{
	if (list_push(items, n, cap, size) != DXT_OK)
		return op_nomem(o);
	return op_read_row(o, s, (char *)*items + (*n - 1) * size, read);
}

/* Runs a bound query and appends every row to the list (*items, *n). */
static int op_rows(struct op *o, const struct bnd *b, void **items,
		   size_t *n, size_t size, row_reader *read)
{
	size_t cap = *n;
	int rc;

	DXT_RETURN_NOT_OK(op_bound(o, b));
	while ((rc = op_step(o, b->s)) == DXT_OK)
		DXT_RETURN_NOT_OK(
			op_push_row(o, b->s, items, n, &cap, size, read));
	return rc == DXT_ENOTFOUND ? DXT_OK : rc;
}

/* --- open and close ------------------------------------------------------ */

/* Runs one PRAGMA (or other fixed SQL) during open and returns its first
 * column's text, when asked, into buf. */
static int open_exec(struct dxt_store *st, const char *sql, char *buf,
		     size_t len, struct dxt_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW && buf != NULL) {
			const unsigned char *t = sqlite3_column_text(s, 0);

			snprintf(buf, len, "%s", t ? (const char *)t : "");
		} else if (buf != NULL) {
			buf[0] = '\0';
		}
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_OK)
		return DXT_OK;
	if ((rc & 0xff) == SQLITE_NOTADB)
		return dxt_error_set(err, DXT_EIO,
				     "state store %s is not an SQLite database "
				     "(%s): move the file away (dxtd then "
				     "creates a new one) or point --state-dir "
				     "at another folder",
				     st->path, sqlite3_errmsg(st->db));
	if ((rc & 0xff) == SQLITE_CORRUPT)
		return dxt_error_set(err, DXT_EIO,
				     "state store %s is corrupt (%s): restore "
				     "it from a backup or move it away",
				     st->path, sqlite3_errmsg(st->db));
	return dxt_error_setc(err, DXT_EIO,
			      (rc & 0xff) == SQLITE_BUSY ? DXT_TRANSIENT
							 : DXT_TERMINAL,
			      DXT_ORIGIN_NONE, "state store %s: %s: %s",
			      st->path, sql, sqlite3_errmsg(st->db));
}

/*
 * Checks that the database is dxtd's (or empty) and applies the missing
 * migrations, in order, in one transaction. Foreign keys are off meanwhile
 * (SQLite cannot switch them inside a transaction, and a migration that
 * rebuilds a table needs them off); PRAGMA foreign_key_check runs before
 * the commit so a migration cannot leave a dangling reference.
 */
static int migrate(struct dxt_store *st, struct dxt_error *err)
{
	struct op o;
	sqlite3_stmt *s = NULL;
	char buf[512];
	int64_t app_id;
	int version = 0, rc;

	DXT_RETURN_NOT_OK(open_exec(st, "PRAGMA foreign_keys = OFF", NULL, 0,
				    err));
	op_start(&o, st, err, "migrate the schema");
	rc = op_begin(&o);
	if (rc != DXT_OK)
		goto out;

	rc = open_exec(st, "PRAGMA application_id", buf, sizeof(buf), err);
	if (rc != DXT_OK)
		goto out;
	app_id = strtoll(buf, NULL, 10);
	if (app_id != 0 && app_id != STORE_APP_ID) {
		rc = op_fail(&o, DXT_EIO,
			     "the file belongs to another application "
			     "(SQLite application_id 0x%08llx); point "
			     "--state-dir at a folder of dxtd's own",
			     (unsigned long long)(uint32_t)app_id);
		goto out;
	}
	rc = open_exec(st,
		       "SELECT count(*) FROM sqlite_master "
		       "WHERE type = 'table' AND name = 'dxt_schema'",
		       buf, sizeof(buf), err);
	if (rc != DXT_OK)
		goto out;
	if (strcmp(buf, "0") == 0) {
		rc = open_exec(st,
			       "SELECT group_concat(name, ', ') FROM "
			       "(SELECT name FROM sqlite_master WHERE type = "
			       "'table' AND name NOT LIKE 'sqlite_%' "
			       "ORDER BY name LIMIT 5)",
			       buf, sizeof(buf), err);
		if (rc != DXT_OK)
			goto out;
		if (buf[0] != '\0') {
			rc = op_fail(&o, DXT_EIO,
				     "not a dxtd state database (it holds "
				     "tables %s); point --state-dir at a "
				     "folder of dxtd's own",
				     buf);
			goto out;
		}
		rc = open_exec(st,
			       "CREATE TABLE dxt_schema ("
			       "  version INTEGER PRIMARY KEY,"
			       "  applied_at INTEGER NOT NULL)",
			       NULL, 0, err);
		if (rc != DXT_OK)
			goto out;
	}
	rc = open_exec(st, "SELECT coalesce(max(version), 0) FROM dxt_schema",
		       buf, sizeof(buf), err);
	if (rc != DXT_OK)
		goto out;
	version = atoi(buf);
	if (version > STORE_SCHEMA_VERSION) {
		rc = op_fail(&o, DXT_EIO,
			     "the database is at schema version %d, newer "
			     "than this dxtd knows (%d); run a dxtd at least "
			     "as new as the one that wrote it",
			     version, STORE_SCHEMA_VERSION);
		goto out;
	}
	for (; version < STORE_SCHEMA_VERSION; version++) {
		char *emsg = NULL;
		int src = sqlite3_exec(st->db, migrations[version], NULL, NULL,
				       &emsg);

		if (src != SQLITE_OK) {
			rc = op_fail(&o, DXT_EIO,
				     "migration to schema version %d failed: "
				     "%s",
				     version + 1, emsg ? emsg : "?");
			sqlite3_free(emsg);
			goto out;
		}
		src = sqlite3_prepare_v2(st->db,
					 "INSERT INTO dxt_schema (version, "
					 "applied_at) VALUES (?1, ?2)",
					 -1, &s, NULL);
		if (src == SQLITE_OK) {
			sqlite3_bind_int(s, 1, version + 1);
			sqlite3_bind_int64(s, 2, dxt_now_us());
			src = sqlite3_step(s);
		}
		sqlite3_finalize(s);
		s = NULL;
		if (src != SQLITE_DONE) {
			rc = op_sqlite_fail(&o, src);
			goto out;
		}
	}
	if (app_id == 0) {
		/* A constant, not a value from outside: nothing to bind. */
		rc = open_exec(st, "PRAGMA application_id = 1685615716", NULL,
			       0, err);
		if (rc != DXT_OK)
			goto out;
	}
	rc = open_exec(st, "PRAGMA foreign_key_check", buf, sizeof(buf), err);
	if (rc != DXT_OK)
		goto out;
	if (buf[0] != '\0') {
		rc = op_fail(&o, DXT_EIO,
			     "table %s holds a reference to a row that does "
			     "not exist; restore the database from a backup",
			     buf);
		goto out;
	}
	rc = op_commit(&o);
out:
	op_end(&o, rc);
	if (rc != DXT_OK)
		return rc;
	st->schema_version = version;
	return open_exec(st, "PRAGMA foreign_keys = ON", NULL, 0, err);
}

int dxt_store_open(const char *state_dir, struct dxt_store **out,
		   struct dxt_error *err)
{
	struct dxt_store *st;
	char buf[64];
	int rc, n;

	*out = NULL;
	if (sqlite3_threadsafe() == 0)
		return dxt_error_set(err, DXT_EIO,
				     "state store: SQLite was built without "
				     "thread support; dxtd needs a "
				     "thread-safe SQLite");
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return dxt_error_set(err, DXT_ENOMEM,
				     "state store: out of memory");
	n = snprintf(st->path, sizeof(st->path), "%s/%s", state_dir,
		     DXT_STORE_FILE);
	if (n < 0 || (size_t)n >= sizeof(st->path)) {
		free(st);
		return dxt_error_set(err, DXT_EINVAL,
				     "state directory %s: path too long",
				     state_dir);
	}
	if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
		rc = dxt_error_set(err, DXT_EIO,
				   "cannot create state directory %s: %s",
				   state_dir, strerror(errno));
		free(st);
		return rc;
	}
	pthread_mutex_init(&st->lock, NULL);

	/* The store serialises every call with its own mutex, so SQLite's
	 * per-connection mutex would only add cost. */
	rc = sqlite3_open_v2(st->path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		rc = dxt_error_set(err, DXT_EIO,
				   "state store %s: cannot open: %s", st->path,
				   st->db ? sqlite3_errmsg(st->db)
					  : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);

	/* The first read of the header tells a foreign file apart. */
	rc = open_exec(st, "PRAGMA schema_version", NULL, 0, err);
	if (rc != DXT_OK)
		goto fail;
	rc = open_exec(st, "PRAGMA journal_mode = WAL", buf, sizeof(buf), err);
	if (rc != DXT_OK)
		goto fail;
	if (strcmp(buf, "wal") != 0) {
		rc = dxt_error_set(err, DXT_EIO,
				   "state store %s: cannot switch to WAL mode "
				   "(journal mode stays \"%s\"); put the state "
				   "directory on a local file system",
				   st->path, buf);
		goto fail;
	}
	/* FULL: a pending watermark recorded before a load must be on disk
	 * before the load starts, even across a power cut. */
	rc = open_exec(st, "PRAGMA synchronous = FULL", NULL, 0, err);
	if (rc != DXT_OK)
		goto fail;
	rc = migrate(st, err);
	if (rc != DXT_OK)
		goto fail;
	rc = open_exec(st, "PRAGMA foreign_keys", buf, sizeof(buf), err);
	if (rc != DXT_OK)
		goto fail;
	if (strcmp(buf, "1") != 0) {
		rc = dxt_error_set(err, DXT_EIO,
				   "state store %s: SQLite does not enforce "
				   "foreign keys (built without them)",
				   st->path);
		goto fail;
	}
	*out = st;
	return DXT_OK;
fail:
	dxt_store_close(st);
	return rc;
}

void dxt_store_close(struct dxt_store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(st->stmts[i]);
	/* With every statement finalised the close cannot be refused; the
	 * last connection's close checkpoints and removes the WAL file. */
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

const char *dxt_store_path(const struct dxt_store *st)
{
	return st->path;
}

int dxt_store_schema_version(struct dxt_store *st)
{
	int v;

	pthread_mutex_lock(&st->lock);
	v = st->schema_version;
	pthread_mutex_unlock(&st->lock);
	return v;
}

int dxt_store_ping(struct dxt_store *st, struct dxt_error *err)
{
	struct op o;

	op_start(&o, st, err, "ping");
	return op_end(&o, op_simple(&o, S_PING));
}

/* --- pipelines ----------------------------------------------------------- */

static enum dxt_doc_format resolve_format(enum dxt_doc_format f,
					  const char *doc, size_t len)
{
	if (f == DXT_DOC_YAML || f == DXT_DOC_JSON)
		return f;
	for (size_t i = 0; i < len; i++) {
		if (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\r' ||
		    doc[i] == '\n')
			continue;
		return doc[i] == '{' ? DXT_DOC_JSON : DXT_DOC_YAML;
	}
	return DXT_DOC_YAML;
}

int dxt_store_pipeline_put(struct dxt_store *st, const char *name,
			   const char *document, size_t len,
			   enum dxt_doc_format format, bool create_only,
			   int *version, bool *created, struct dxt_error *err)
{
	enum dxt_doc_format fmt;
	int64_t now = dxt_now_us();
	struct bnd b;
	struct op o;
	int latest = 0, next, rc;
	bool exists = false, deleted = false;

	op_start(&o, st, err, "store pipeline %s", name ? name : "(null)");
	if (name == NULL || name[0] == '\0') {
		rc = op_fail(&o, DXT_EINVAL, "the pipeline needs a name");
		goto out;
	}
	if (document == NULL)
		document = "";
	fmt = resolve_format(format, document, len);
	if (len > INT_MAX) {
		rc = op_fail(&o, DXT_EINVAL, "document too large");
		goto out;
	}
	rc = op_begin(&o);
	if (rc == DXT_OK)
		rc = op_bind(&o, S_PIPE_STATE, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, name);
	rc = op_fetch(&o, &b);
	if (rc == DXT_OK) {
		exists = true;
		latest = sqlite3_column_int(b.s, 0);
		deleted = sqlite3_column_int(b.s, 1) != 0;
	} else if (rc != DXT_ENOTFOUND) {
		goto out;
	}
	if (exists && !deleted && create_only) {
		rc = op_fail(&o, DXT_EEXISTS,
			     "a pipeline named %s exists (version %d); replace "
			     "it with PUT /v1/pipelines/%s",
			     name, latest, name);
		goto out;
	}
	next = latest + 1;

	rc = op_bind(&o, !exists ? S_PIPE_INSERT
				 : deleted ? S_PIPE_RECREATE : S_PIPE_NEWVER,
		     &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, name);
	b_int(&b, 2, next);
	b_int(&b, 3, now);
	rc = op_exec(&o, &b);
	if (rc == DXT_OK)
		rc = op_bind(&o, S_VER_INSERT, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, name);
	b_int(&b, 2, next);
	b_text(&b, 3, format_name(fmt));
	if (b.rc == SQLITE_OK)
		b.rc = sqlite3_bind_text(b.s, 4, document, (int)len,
					 SQLITE_STATIC);
	b_int(&b, 5, now);
	rc = op_exec(&o, &b);
	if (rc == DXT_OK)
		rc = op_commit(&o);
	if (rc != DXT_OK)
		goto out;
	if (version != NULL)
		*version = next;
	if (created != NULL)
		*created = !exists || deleted;
out:
	return op_end(&o, rc);
}

/* Reads a PIPE_SELECT row into a struct dxt_store_pipeline. */
static void read_pipeline(struct rd *r, void *item)
{
	struct dxt_store_pipeline *p = item;

	p->name = r_str(r, 0);
	p->version = sqlite3_column_int(r->s, 1);
	p->latest_version = sqlite3_column_int(r->s, 2);
	p->paused = sqlite3_column_int(r->s, 3) != 0;
	p->format = r_enum(r, 4, format_names, 2, 0) == 1
			    ? DXT_DOC_JSON
			    : DXT_DOC_YAML;
	p->document = r_bytes(r, 5, &p->document_len);
	p->created_at = r_int(r, 6);
	p->updated_at = r_int(r, 7);
	p->version_created_at = r_int(r, 8);
}

/* Whether a live (not deleted) pipeline of that name exists. */
static int op_pipeline_live(struct op *o, const char *name)
{
	struct bnd b;
	int rc;

	DXT_RETURN_NOT_OK(op_bind(o, S_PIPE_LIVE, &b));
	b_text(&b, 1, name);
	rc = op_fetch(o, &b);
	if (rc == DXT_ENOTFOUND)
		return op_fail(o, DXT_ENOTFOUND, "no pipeline named %s", name);
	return rc;
}

int dxt_store_pipeline_get(struct dxt_store *st, const char *name,
			   int version, struct dxt_store_pipeline *out,
			   struct dxt_error *err)
{
	struct bnd b;
	struct op o;
	int rc;

	memset(out, 0, sizeof(*out));
	if (version > 0)
		op_start(&o, st, err, "get pipeline %s version %d", name,
			 version);
	else
		op_start(&o, st, err, "get pipeline %s", name);
	rc = op_begin_read(&o);
	if (rc == DXT_OK)
		rc = op_bind(&o, S_PIPE_GET, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, name);
	b_int(&b, 2, version > 0 ? version : 0);
	rc = op_fetch(&o, &b);
	if (rc == DXT_ENOTFOUND) {
		/* Say which is missing: the pipeline or the version. */
		rc = op_pipeline_live(&o, name);
		if (rc == DXT_OK)
			rc = op_fail(&o, DXT_ENOTFOUND,
				     "pipeline %s has no version %d", name,
				     version);
		goto out;
	}
	if (rc == DXT_OK)
		rc = op_read_row(&o, b.s, out, read_pipeline);
out:
	if (rc != DXT_OK)
		dxt_store_pipeline_release(out);
	return op_end(&o, rc);
}

int dxt_store_pipeline_list(struct dxt_store *st,
			    struct dxt_store_pipeline_list *out,
			    struct dxt_error *err)
{
	struct bnd b;
	struct op o;
	int rc;

	memset(out, 0, sizeof(*out));
	op_start(&o, st, err, "list pipelines");
	rc = op_bind(&o, S_PIPE_LIST, &b);
	if (rc == DXT_OK)
		rc = op_rows(&o, &b, (void **)&out->items, &out->n,
			     sizeof(out->items[0]), read_pipeline);
	if (rc != DXT_OK)
		dxt_store_pipeline_list_free(out);
	return op_end(&o, rc);
}

int dxt_store_pipeline_delete(struct dxt_store *st, const char *name,
			      struct dxt_error *err)
{
	static const enum stmt_id steps[] = {S_PIPE_DELETE, S_WM_DEL,
					     S_PEND_DEL};
	int64_t now = dxt_now_us();
	struct bnd b;
	struct op o;
	int rc;

	op_start(&o, st, err, "delete pipeline %s", name);
	rc = op_begin(&o);
	for (size_t i = 0; rc == DXT_OK && i < N_ELEMS(steps); i++) {
		rc = op_bind(&o, steps[i], &b);
		if (rc != DXT_OK)
			break;
		b_text(&b, 1, name);
		if (steps[i] == S_PIPE_DELETE)
			b_int(&b, 2, now);
		else
			b_text(&b, 2, NULL);
		rc = op_exec(&o, &b);
		if (rc == DXT_OK && steps[i] == S_PIPE_DELETE &&
		    sqlite3_changes(st->db) == 0)
			rc = op_fail(&o, DXT_ENOTFOUND, "no pipeline named %s",
				     name);
	}
	if (rc == DXT_OK)
		rc = op_commit(&o);
	return op_end(&o, rc);
}

int dxt_store_pipeline_set_paused(struct dxt_store *st, const char *name,
				  bool paused, struct dxt_error *err)
{
	struct bnd b;
	struct op o;
	int rc;

	op_start(&o, st, err, "%s pipeline %s", paused ? "pause" : "resume",
		 name);
	rc = op_bind(&o, S_PIPE_PAUSE, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, name);
	b_int(&b, 2, paused ? 1 : 0);
	b_int(&b, 3, dxt_now_us());
	rc = op_exec(&o, &b);
	if (rc == DXT_OK && sqlite3_changes(st->db) == 0)
		rc = op_fail(&o, DXT_ENOTFOUND, "no pipeline named %s", name);
out:
	return op_end(&o, rc);
}

/* Reads a VER_LIST row into a struct dxt_store_version. */
static void read_version(struct rd *r, void *item)
{
	struct dxt_store_version *v = item;

	v->version = sqlite3_column_int(r->s, 0);
	v->format = r_enum(r, 1, format_names, 2, 0) == 1 ? DXT_DOC_JSON
							   : DXT_DOC_YAML;
	v->document_len = (size_t)sqlite3_column_int64(r->s, 2);
	v->created_at = sqlite3_column_int64(r->s, 3);
}

int dxt_store_pipeline_versions(struct dxt_store *st, const char *name,
				struct dxt_store_version_list *out,
				struct dxt_error *err)
{
	struct bnd b;
	struct op o;
	int rc;

	memset(out, 0, sizeof(*out));
	op_start(&o, st, err, "list versions of pipeline %s", name);
	rc = op_begin_read(&o);
	if (rc == DXT_OK)
		rc = op_pipeline_live(&o, name);
	if (rc == DXT_OK)
		rc = op_bind(&o, S_VER_LIST, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, name);
	rc = op_rows(&o, &b, (void **)&out->items, &out->n,
		     sizeof(out->items[0]), read_version);
out:
	if (rc != DXT_OK)
		dxt_store_version_list_free(out);
	return op_end(&o, rc);
}

void dxt_store_pipeline_release(struct dxt_store_pipeline *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->document);
	memset(p, 0, sizeof(*p));
}

void dxt_store_pipeline_list_free(struct dxt_store_pipeline_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		dxt_store_pipeline_release(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

void dxt_store_version_list_free(struct dxt_store_version_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* --- runs ---------------------------------------------------------------- */

/* Reads a RUN_COLS row into a struct dxt_store_run. */
static void read_run(struct rd *r, void *item)
{
	struct dxt_store_run *run = item;

	run->id = r_str(r, 0);
	run->pipeline = r_str(r, 1);
	run->version = sqlite3_column_int(r->s, 2);
	run->trigger = (enum dxt_run_trigger)r_enum(
		r, 3, trigger_names, N_ELEMS(trigger_names), DXT_TRIGGER_API);
	run->status = (enum dxt_run_status)r_enum(
		r, 4, status_names, N_ELEMS(status_names), DXT_RUN_FAILED);
	run->attempt = sqlite3_column_int(r->s, 5);
	run->parent_id = r_str(r, 6);
	run->created_at = r_int(r, 7);
	run->started_at = r_int(r, 8);
	run->ended_at = r_int(r, 9);
	run->stats.rows_extracted = r_count(r, 10);
	run->stats.rows_loaded = r_count(r, 11);
	run->stats.rows_rejected = r_count(r, 12);
	run->stats.bytes_staged = r_count(r, 13);
	r_error(r, 14, &run->error);
	run->error_stream = r_str(r, 18);
	run->spool_dir = r_str(r, 19);
	run->options = r_json(r, 20);
}

/* A run's error: the four error columns, then the stream it names. */
static void b_run_error(struct bnd *b, int i, const struct dxt_error *e,
			const char *stream)
{
	b_error(b, i, e);
	b_text(b, i + 4, e->code != DXT_OK ? stream : NULL);
}

/* Whether a run exists; ENOTFOUND with a message when not. */
static int op_run_exists(struct op *o, const char *id)
{
	struct bnd b;
	int rc;

	DXT_RETURN_NOT_OK(op_bind(o, S_RUN_EXISTS, &b));
	b_text(&b, 1, id);
	rc = op_fetch(o, &b);
	if (rc == DXT_ENOTFOUND)
		return op_fail(o, DXT_ENOTFOUND, "no run with id %s", id);
	return rc;
}

int dxt_store_run_insert(struct dxt_store *st, const struct dxt_store_run *run,
			 struct dxt_error *err)
{
	char exists_msg[128];
	struct bnd b;
	struct op o;
	int rc;

	op_start(&o, st, err, "insert run %s", run->id ? run->id : "(null)");
	if (run->id == NULL || run->pipeline == NULL ||
	    dxt_run_status_name(run->status) == NULL ||
	    dxt_run_trigger_name(run->trigger) == NULL || run->attempt < 0) {
		rc = op_fail(&o, DXT_EINVAL,
			     "id, pipeline, status, trigger and attempt must "
			     "be set");
		goto out;
	}
	rc = op_begin(&o);
	if (rc == DXT_OK)
		rc = op_pipeline_live(&o, run->pipeline);
	if (rc == DXT_OK)
		rc = op_bind(&o, S_VER_EXISTS, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, run->pipeline);
	b_int(&b, 2, run->version);
	rc = op_fetch(&o, &b);
	if (rc == DXT_ENOTFOUND)
		rc = op_fail(&o, DXT_ENOTFOUND, "pipeline %s has no version %d",
			     run->pipeline, run->version);
	if (rc == DXT_OK && run->parent_id != NULL)
		rc = op_run_exists(&o, run->parent_id);
	if (rc == DXT_OK)
		rc = op_bind(&o, S_RUN_INSERT, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, run->id);
	b_text(&b, 2, run->pipeline);
	b_int(&b, 3, run->version);
	b_text(&b, 4, dxt_run_trigger_name(run->trigger));
	b_text(&b, 5, dxt_run_status_name(run->status));
	b_int(&b, 6, run->attempt > 0 ? run->attempt : 1);
	b_text(&b, 7, run->parent_id);
	b_int(&b, 8, run->created_at != 0 ? run->created_at : dxt_now_us());
	b_time(&b, 9, run->started_at);
	b_time(&b, 10, run->ended_at);
	b_count(&b, 11, run->stats.rows_extracted);
	b_count(&b, 12, run->stats.rows_loaded);
	b_count(&b, 13, run->stats.rows_rejected);
	b_count(&b, 14, run->stats.bytes_staged);
	b_run_error(&b, 15, &run->error, run->error_stream);
	b_text(&b, 20, run->spool_dir);
	b_json(&b, 21, run->options);
	snprintf(exists_msg, sizeof(exists_msg), "a run with id %s exists",
		 run->id);
	rc = op_write(&o, &b, exists_msg);
	if (rc == DXT_OK)
		rc = op_commit(&o);
out:
	return op_end(&o, rc);
}

int dxt_store_run_update(struct dxt_store *st, const struct dxt_store_run *run,
			 struct dxt_error *err)
{
	struct bnd b;
	struct op o;
	int rc;

	op_start(&o, st, err, "update run %s", run->id ? run->id : "(null)");
	if (run->id == NULL || dxt_run_status_name(run->status) == NULL) {
		rc = op_fail(&o, DXT_EINVAL, "id and status must be set");
		goto out;
	}
	rc = op_bind(&o, S_RUN_UPDATE, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, run->id);
	b_text(&b, 2, dxt_run_status_name(run->status));
	b_time(&b, 3, run->started_at);
	b_time(&b, 4, run->ended_at);
	b_count(&b, 5, run->stats.rows_extracted);
	b_count(&b, 6, run->stats.rows_loaded);
	b_count(&b, 7, run->stats.rows_rejected);
	b_count(&b, 8, run->stats.bytes_staged);
	b_run_error(&b, 9, &run->error, run->error_stream);
	b_text(&b, 14, run->spool_dir);
	rc = op_write(&o, &b, "conflict");
	if (rc == DXT_OK && sqlite3_changes(st->db) == 0)
		rc = op_fail(&o, DXT_ENOTFOUND, "no run with id %s", run->id);
out:
	return op_end(&o, rc);
}

/* Reads the current row into a new list item. */
static int op_push_run(struct op *o, sqlite3_stmt *s,
		       struct dxt_store_run_list *l, size_t *cap)
{
	return op_push_row(o, s, (void **)&l->items, &l->n, cap,
			   sizeof(l->items[0]), read_run);
}

int dxt_store_run_get(struct dxt_store *st, const char *id,
		      struct dxt_store_run *out, struct dxt_error *err)
{
	struct bnd b;
	struct op o;
	int rc;

	memset(out, 0, sizeof(*out));
	op_start(&o, st, err, "get run %s", id);
	rc = op_bind(&o, S_RUN_GET, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, id);
	rc = op_fetch(&o, &b);
	if (rc == DXT_ENOTFOUND)
		rc = op_fail(&o, DXT_ENOTFOUND, "no run with id %s", id);
	if (rc == DXT_OK)
		rc = op_read_row(&o, b.s, out, read_run);
out:
	if (rc != DXT_OK)
		dxt_store_run_release(out);
	return op_end(&o, rc);
}

int dxt_store_run_list(struct dxt_store *st,
		       const struct dxt_store_run_filter *filter,
		       struct dxt_store_run_list *out, struct dxt_error *err)
{
	static const struct dxt_store_run_filter none;
	const struct dxt_store_run_filter *f = filter ? filter : &none;
	int limit = f->limit == 0 ? DXT_STORE_LIST_DEFAULT : f->limit;
	int64_t cursor_at = INT64_MAX;
	const char *cursor_id = "";
	enum stmt_id sid;
	struct bnd b;
	struct op o;
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	op_start(&o, st, err, "list runs");
	if (limit < 1 || limit > DXT_STORE_LIST_MAX) {
		rc = op_fail(&o, DXT_EINVAL, "limit %d is not in 1..%d",
			     f->limit, DXT_STORE_LIST_MAX);
		goto out;
	}
	if (f->has_status && dxt_run_status_name(f->status) == NULL) {
		rc = op_fail(&o, DXT_EINVAL, "unknown status %d",
			     (int)f->status);
		goto out;
	}
	rc = op_begin_read(&o);
	if (rc != DXT_OK)
		goto out;
	if (f->after != NULL) {
		rc = op_bind(&o, S_RUN_CURSOR, &b);
		if (rc != DXT_OK)
			goto out;
		b_text(&b, 1, f->after);
		rc = op_fetch(&o, &b);
		if (rc == DXT_ENOTFOUND)
			rc = op_fail(&o, DXT_EINVAL,
				     "the page cursor \"after\" names run %s, "
				     "which does not exist; start again from "
				     "the first page",
				     f->after);
		if (rc != DXT_OK)
			goto out;
		cursor_at = sqlite3_column_int64(b.s, 0);
		cursor_id = f->after;
	}
	sid = f->pipeline != NULL
		      ? (f->has_status ? S_RUN_PAGE_BOTH : S_RUN_PAGE_PIPE)
		      : (f->has_status ? S_RUN_PAGE_STATUS : S_RUN_PAGE_ALL);
	rc = op_bind(&o, sid, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, f->pipeline);
	b_text(&b, 2, f->has_status ? dxt_run_status_name(f->status) : NULL);
	b_int(&b, 3, cursor_at);
	b_text(&b, 4, cursor_id);
	/* One row more than asked tells whether another page follows. */
	b_int(&b, 5, (int64_t)limit + 1);
	rc = op_bound(&o, &b);
	if (rc != DXT_OK)
		goto out;
	while ((rc = op_step(&o, b.s)) == DXT_OK) {
		if (out->n == (size_t)limit) {
			out->next = strdup(out->items[out->n - 1].id);
			if (out->next == NULL)
				rc = op_nomem(&o);
			goto out;
		}
		rc = op_push_run(&o, b.s, out, &cap);
		if (rc != DXT_OK)
			goto out;
	}
	if (rc == DXT_ENOTFOUND)
		rc = DXT_OK;
out:
	if (rc != DXT_OK)
		dxt_store_run_list_free(out);
	return op_end(&o, rc);
}

int dxt_store_run_list_status(struct dxt_store *st, enum dxt_run_status status,
			      struct dxt_store_run_list *out,
			      struct dxt_error *err)
{
	struct bnd b;
	struct op o;
	int rc;

	memset(out, 0, sizeof(*out));
	op_start(&o, st, err, "list %s runs",
		 dxt_run_status_name(status) ? dxt_run_status_name(status)
					     : "?");
	if (dxt_run_status_name(status) == NULL) {
		rc = op_fail(&o, DXT_EINVAL, "unknown status %d", (int)status);
		goto out;
	}
	rc = op_bind(&o, S_RUN_BY_STATUS, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, dxt_run_status_name(status));
	rc = op_rows(&o, &b, (void **)&out->items, &out->n,
		     sizeof(out->items[0]), read_run);
out:
	if (rc != DXT_OK)
		dxt_store_run_list_free(out);
	return op_end(&o, rc);
}

int dxt_store_run_interrupt_all(struct dxt_store *st,
				struct dxt_store_run_list *out,
				struct dxt_error *err)
{
	/* Streams first: their condition reads the runs' old status. */
	static const enum stmt_id steps[] = {S_RUN_INTERRUPT_STREAMS,
					     S_RUN_INTERRUPT};
	struct dxt_store_run_list tmp = {0};
	struct dxt_store_run_list *l = out ? out : &tmp;
	int64_t now = dxt_now_us();
	char **ids = NULL;
	size_t n = 0, cap = 0;
	struct bnd b;
	struct op o;
	size_t lcap = 0;
	int rc;

	memset(l, 0, sizeof(*l));
	op_start(&o, st, err, "mark interrupted runs");
	rc = op_begin(&o);
	if (rc == DXT_OK)
		rc = op_bind(&o, S_RUN_ACTIVE_IDS, &b);
	if (rc != DXT_OK)
		goto out;
	while ((rc = op_step(&o, b.s)) == DXT_OK) {
		const char *id = (const char *)sqlite3_column_text(b.s, 0);

		if (list_push((void **)&ids, &n, &cap, sizeof(*ids)) !=
			    DXT_OK ||
		    (ids[n - 1] = strdup(id ? id : "")) == NULL) {
			rc = op_nomem(&o);
			goto out;
		}
	}
	if (rc == DXT_ENOTFOUND)
		rc = DXT_OK;
	for (size_t i = 0; rc == DXT_OK && i < N_ELEMS(steps); i++) {
		rc = op_bind(&o, steps[i], &b);
		if (rc != DXT_OK)
			break;
		b_int(&b, 1, now);
		rc = op_exec(&o, &b);
	}
	for (size_t i = 0; rc == DXT_OK && i < n; i++) {
		rc = op_bind(&o, S_RUN_GET, &b);
		if (rc != DXT_OK)
			break;
		b_text(&b, 1, ids[i]);
		rc = op_fetch(&o, &b);
		if (rc == DXT_OK)
			rc = op_push_run(&o, b.s, l, &lcap);
	}
	if (rc == DXT_OK)
		rc = op_commit(&o);
out:
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	if (rc != DXT_OK || out == NULL)
		dxt_store_run_list_free(l);
	return op_end(&o, rc);
}

void dxt_store_run_release(struct dxt_store_run *run)
{
	if (run == NULL)
		return;
	free(run->id);
	free(run->pipeline);
	free(run->parent_id);
	free(run->error_stream);
	free(run->spool_dir);
	json_decref(run->options);
	memset(run, 0, sizeof(*run));
}

void dxt_store_run_list_free(struct dxt_store_run_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		dxt_store_run_release(&l->items[i]);
	free(l->items);
	free(l->next);
	memset(l, 0, sizeof(*l));
}

/* --- stream runs --------------------------------------------------------- */

int dxt_store_stream_run_upsert(struct dxt_store *st,
				const struct dxt_store_stream_run *sr,
				struct dxt_error *err)
{
	struct bnd b;
	struct op o;
	int rc;

	op_start(&o, st, err, "record stream %s of run %s",
		 sr->stream ? sr->stream : "(null)",
		 sr->run_id ? sr->run_id : "(null)");
	if (sr->run_id == NULL || sr->stream == NULL ||
	    phase_name(sr->phase) == NULL ||
	    extract_mode_name(sr->extract_mode) == NULL ||
	    load_mode_name(sr->load_mode) == NULL) {
		rc = op_fail(&o, DXT_EINVAL,
			     "run id, stream, phase and modes must be set");
		goto out;
	}
	rc = op_begin(&o);
	if (rc == DXT_OK)
		rc = op_run_exists(&o, sr->run_id);
	if (rc == DXT_OK)
		rc = op_bind(&o, S_SR_UPSERT, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, sr->run_id);
	b_text(&b, 2, sr->stream);
	b_text(&b, 3, phase_name(sr->phase));
	b_text(&b, 4, extract_mode_name(sr->extract_mode));
	b_text(&b, 5, load_mode_name(sr->load_mode));
	b_count(&b, 6, sr->stats.rows_extracted);
	b_count(&b, 7, sr->stats.rows_loaded);
	b_count(&b, 8, sr->stats.rows_rejected);
	b_count(&b, 9, sr->stats.bytes_staged);
	b_time(&b, 10, sr->started_at);
	b_time(&b, 11, sr->ended_at);
	b_text(&b, 12, sr->watermark_field);
	b_json(&b, 13, sr->watermark_from);
	b_json(&b, 14, sr->watermark_to);
	b_error(&b, 15, &sr->error);
	rc = op_write(&o, &b, "conflict");
	if (rc == DXT_OK)
		rc = op_commit(&o);
out:
	return op_end(&o, rc);
}

/* Reads an SR_COLS row into a struct dxt_store_stream_run. */
static void read_stream_run(struct rd *r, void *item)
{
	static const char *const phases[] = {"pending", "extracting", "staged",
					     "loading", "loaded",     "failed",
					     "skipped"};
	static const char *const emodes[] = {"full", "incremental"};
	static const char *const lmodes[] = {"append", "replace", "upsert"};
	struct dxt_store_stream_run *sr = item;

	sr->run_id = r_str(r, 0);
	sr->stream = r_str(r, 1);
	sr->phase = (enum dxt_phase)r_enum(r, 2, phases, N_ELEMS(phases),
					   DXT_PHASE_FAILED);
	sr->extract_mode = (enum dxt_extract_mode)r_enum(
		r, 3, emodes, N_ELEMS(emodes), DXT_EXTRACT_FULL);
	sr->load_mode = (enum dxt_load_mode)r_enum(r, 4, lmodes,
						   N_ELEMS(lmodes),
						   DXT_LOAD_APPEND);
	sr->stats.rows_extracted = r_count(r, 5);
	sr->stats.rows_loaded = r_count(r, 6);
	sr->stats.rows_rejected = r_count(r, 7);
	sr->stats.bytes_staged = r_count(r, 8);
	sr->started_at = r_int(r, 9);
	sr->ended_at = r_int(r, 10);
	sr->watermark_field = r_str(r, 11);
	sr->watermark_from = r_json(r, 12);
	sr->watermark_to = r_json(r, 13);
	r_error(r, 14, &sr->error);
}

int dxt_store_stream_run_list(struct dxt_store *st, const char *run_id,
			      struct dxt_store_stream_run_list *out,
			      struct dxt_error *err)
{
	struct bnd b;
	struct op o;
	int rc;

	memset(out, 0, sizeof(*out));
	op_start(&o, st, err, "list streams of run %s", run_id);
	rc = op_begin_read(&o);
	if (rc == DXT_OK)
		rc = op_run_exists(&o, run_id);
	if (rc == DXT_OK)
		rc = op_bind(&o, S_SR_LIST, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, run_id);
	rc = op_rows(&o, &b, (void **)&out->items, &out->n,
		     sizeof(out->items[0]), read_stream_run);
out:
	if (rc != DXT_OK)
		dxt_store_stream_run_list_free(out);
	return op_end(&o, rc);
}

void dxt_store_stream_run_release(struct dxt_store_stream_run *sr)
{
	if (sr == NULL)
		return;
	free(sr->run_id);
	free(sr->stream);
	free(sr->watermark_field);
	json_decref(sr->watermark_from);
	json_decref(sr->watermark_to);
	memset(sr, 0, sizeof(*sr));
}

void dxt_store_stream_run_list_free(struct dxt_store_stream_run_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		dxt_store_stream_run_release(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* --- watermarks ---------------------------------------------------------- */

/* Reads a WM_COLS row into a struct dxt_store_watermark (pending rows use
 * the same column order). */
static void read_watermark(struct rd *r, void *item)
{
	struct dxt_store_watermark *w = item;

	w->pipeline = r_str(r, 0);
	w->stream = r_str(r, 1);
	w->field = r_str(r, 2);
	w->value = r_json(r, 3);
	w->updated_at = r_int(r, 4);
	w->run_id = r_str(r, 5);
}

/* Runs a bound watermark query and collects its rows. */
static int op_watermark_rows(struct op *o, const struct bnd *b,
			     struct dxt_store_watermark_list *out)
{
	return op_rows(o, b, (void **)&out->items, &out->n,
		       sizeof(out->items[0]), read_watermark);
}

int dxt_store_watermark_get(struct dxt_store *st, const char *pipeline,
			    const char *stream, struct dxt_store_watermark *out,
			    struct dxt_error *err)
{
	struct bnd b;
	struct op o;
	int rc;

	memset(out, 0, sizeof(*out));
	op_start(&o, st, err, "get watermark of pipeline %s stream %s",
		 pipeline, stream);
	rc = op_bind(&o, S_WM_GET, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, pipeline);
	b_text(&b, 2, stream);
	rc = op_fetch(&o, &b);
	if (rc == DXT_ENOTFOUND)
		rc = op_fail(&o, DXT_ENOTFOUND, "no watermark stored");
	if (rc == DXT_OK)
		rc = op_read_row(&o, b.s, out, read_watermark);
out:
	if (rc != DXT_OK)
		dxt_store_watermark_release(out);
	return op_end(&o, rc);
}

int dxt_store_watermark_list(struct dxt_store *st, const char *pipeline,
			     struct dxt_store_watermark_list *out,
			     struct dxt_error *err)
{
	struct bnd b;
	struct op o;
	int rc;

	memset(out, 0, sizeof(*out));
	op_start(&o, st, err, "list watermarks of pipeline %s", pipeline);
	rc = op_begin_read(&o);
	if (rc == DXT_OK)
		rc = op_pipeline_live(&o, pipeline);
	if (rc == DXT_OK)
		rc = op_bind(&o, S_WM_LIST, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, pipeline);
	rc = op_watermark_rows(&o, &b, out);
out:
	if (rc != DXT_OK)
		dxt_store_watermark_list_free(out);
	return op_end(&o, rc);
}

int dxt_store_watermark_set(struct dxt_store *st, const char *pipeline,
			    const char *stream, const char *field,
			    const json_t *value, const char *run_id,
			    struct dxt_error *err)
{
	struct bnd b;
	struct op o;
	int rc;

	op_start(&o, st, err, "set watermark of pipeline %s stream %s",
		 pipeline, stream);
	if (stream == NULL || field == NULL || value == NULL) {
		rc = op_fail(&o, DXT_EINVAL,
			     "stream, field and value must be set");
		goto out;
	}
	rc = op_begin(&o);
	if (rc == DXT_OK)
		rc = op_pipeline_live(&o, pipeline);
	if (rc == DXT_OK && run_id != NULL)
		rc = op_run_exists(&o, run_id);
	if (rc == DXT_OK)
		rc = op_bind(&o, S_WM_SET, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, pipeline);
	b_text(&b, 2, stream);
	b_text(&b, 3, field);
	b_json(&b, 4, value);
	b_int(&b, 5, dxt_now_us());
	b_text(&b, 6, run_id);
	rc = op_exec(&o, &b);
	if (rc == DXT_OK)
		rc = op_commit(&o);
out:
	return op_end(&o, rc);
}

int dxt_store_watermark_reset(struct dxt_store *st, const char *pipeline,
			      const char *stream, struct dxt_error *err)
{
	static const enum stmt_id steps[] = {S_WM_DEL, S_PEND_DEL};
	struct bnd b;
	struct op o;
	int rc;

	if (stream != NULL)
		op_start(&o, st, err,
			 "reset watermark of pipeline %s stream %s", pipeline,
			 stream);
	else
		op_start(&o, st, err, "reset watermarks of pipeline %s",
			 pipeline);
	rc = op_begin(&o);
	if (rc == DXT_OK)
		rc = op_pipeline_live(&o, pipeline);
	for (size_t i = 0; rc == DXT_OK && i < N_ELEMS(steps); i++) {
		rc = op_bind(&o, steps[i], &b);
		if (rc != DXT_OK)
			break;
		b_text(&b, 1, pipeline);
		b_text(&b, 2, stream);
		rc = op_exec(&o, &b);
	}
	if (rc == DXT_OK)
		rc = op_commit(&o);
	return op_end(&o, rc);
}

int dxt_store_watermark_prepare(struct dxt_store *st, const char *pipeline,
				const char *stream, const char *run_id,
				const char *field, const json_t *value,
				struct dxt_error *err)
{
	char *holder = NULL;
	struct bnd b;
	struct op o;
	int rc;

	op_start(&o, st, err,
		 "record pending watermark of pipeline %s stream %s for run %s",
		 pipeline, stream, run_id);
	if (stream == NULL || run_id == NULL || field == NULL ||
	    value == NULL) {
		rc = op_fail(&o, DXT_EINVAL,
			     "stream, run, field and value must be set");
		goto out;
	}
	rc = op_begin(&o);
	if (rc == DXT_OK)
		rc = op_pipeline_live(&o, pipeline);
	if (rc == DXT_OK)
		rc = op_run_exists(&o, run_id);
	if (rc == DXT_OK)
		rc = op_bind(&o, S_PEND_HOLDER, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, pipeline);
	b_text(&b, 2, stream);
	rc = op_fetch(&o, &b);
	if (rc == DXT_OK) {
		const char *h = (const char *)sqlite3_column_text(b.s, 0);

		holder = strdup(h ? h : "");
		if (holder == NULL) {
			rc = op_nomem(&o);
			goto out;
		}
	} else if (rc != DXT_ENOTFOUND) {
		goto out;
	}
	rc = DXT_OK;
	if (holder != NULL && strcmp(holder, run_id) != 0) {
		/* A retry takes over the pending value of a run it repeats;
		 * any other run must wait until that value is resolved. */
		rc = op_bind(&o, S_RUN_ANCESTOR, &b);
		if (rc != DXT_OK)
			goto out;
		b_text(&b, 1, run_id);
		b_text(&b, 2, holder);
		rc = op_fetch(&o, &b);
		if (rc == DXT_ENOTFOUND)
			rc = op_fail(&o, DXT_EEXISTS,
				     "run %s holds a pending watermark for "
				     "this stream whose load may have "
				     "committed; resolve it (commit or abort) "
				     "before loading the stream again",
				     holder);
		if (rc != DXT_OK)
			goto out;
	}
	rc = op_bind(&o, S_PEND_PUT, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, pipeline);
	b_text(&b, 2, stream);
	b_text(&b, 3, field);
	b_json(&b, 4, value);
	b_text(&b, 5, run_id);
	b_int(&b, 6, dxt_now_us());
	rc = op_exec(&o, &b);
	if (rc == DXT_OK)
		rc = op_commit(&o);
out:
	free(holder);
	return op_end(&o, rc);
}

/* Commit or abort: both end with deleting run_id's pending row; commit
 * first copies it into watermarks. */
static int watermark_resolve(struct dxt_store *st, const char *pipeline,
			     const char *stream, const char *run_id,
			     bool commit, struct dxt_error *err)
{
	struct bnd b;
	struct op o;
	int rc;

	op_start(&o, st, err,
		 "%s pending watermark of pipeline %s stream %s for run %s",
		 commit ? "commit" : "abort", pipeline, stream, run_id);
	rc = op_begin(&o);
	if (rc == DXT_OK && commit) {
		rc = op_bind(&o, S_PEND_COMMIT, &b);
		if (rc != DXT_OK)
			goto out;
		b_text(&b, 1, pipeline);
		b_text(&b, 2, stream);
		b_text(&b, 3, run_id);
		b_int(&b, 4, dxt_now_us());
		rc = op_exec(&o, &b);
	}
	if (rc == DXT_OK)
		rc = op_bind(&o, S_PEND_DEL_RUN, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, pipeline);
	b_text(&b, 2, stream);
	b_text(&b, 3, run_id);
	rc = op_exec(&o, &b);
	if (rc == DXT_OK && sqlite3_changes(st->db) == 0)
		rc = op_fail(&o, DXT_ENOTFOUND,
			     "run %s has no pending watermark for this stream",
			     run_id);
	if (rc == DXT_OK)
		rc = op_commit(&o);
out:
	return op_end(&o, rc);
}

int dxt_store_watermark_commit(struct dxt_store *st, const char *pipeline,
			       const char *stream, const char *run_id,
			       struct dxt_error *err)
{
	return watermark_resolve(st, pipeline, stream, run_id, true, err);
}

int dxt_store_watermark_abort(struct dxt_store *st, const char *pipeline,
			      const char *stream, const char *run_id,
			      struct dxt_error *err)
{
	return watermark_resolve(st, pipeline, stream, run_id, false, err);
}

int dxt_store_watermark_pending(struct dxt_store *st, const char *pipeline,
				struct dxt_store_watermark_list *out,
				struct dxt_error *err)
{
	struct bnd b;
	struct op o;
	int rc;

	memset(out, 0, sizeof(*out));
	if (pipeline != NULL)
		op_start(&o, st, err,
			 "list pending watermarks of pipeline %s", pipeline);
	else
		op_start(&o, st, err, "list pending watermarks");
	rc = op_bind(&o, S_PEND_LIST, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, pipeline);
	rc = op_watermark_rows(&o, &b, out);
out:
	if (rc != DXT_OK)
		dxt_store_watermark_list_free(out);
	return op_end(&o, rc);
}

void dxt_store_watermark_release(struct dxt_store_watermark *w)
{
	if (w == NULL)
		return;
	free(w->pipeline);
	free(w->stream);
	free(w->field);
	json_decref(w->value);
	free(w->run_id);
	memset(w, 0, sizeof(*w));
}

void dxt_store_watermark_list_free(struct dxt_store_watermark_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		dxt_store_watermark_release(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* --- events -------------------------------------------------------------- */

int dxt_store_event_append(struct dxt_store *st, const char *run_id,
			   int64_t time, enum dxt_log_level level,
			   const char *stream, const char *message,
			   struct dxt_error *err)
{
	struct bnd b;
	struct op o;
	int rc;

	op_start(&o, st, err, "append event to run %s", run_id);
	if (level_name(level) == NULL || message == NULL) {
		rc = op_fail(&o, DXT_EINVAL, "level and message must be set");
		goto out;
	}
	rc = op_begin(&o);
	if (rc == DXT_OK)
		rc = op_run_exists(&o, run_id);
	if (rc == DXT_OK)
		rc = op_bind(&o, S_EV_APPEND, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, run_id);
	b_int(&b, 2, time != 0 ? time : dxt_now_us());
	b_text(&b, 3, level_name(level));
	b_text(&b, 4, stream);
	b_text(&b, 5, message);
	rc = op_exec(&o, &b);
	if (rc == DXT_OK)
		rc = op_commit(&o);
out:
	return op_end(&o, rc);
}

/* Reads an EV_LIST row into a struct dxt_store_event. */
static void read_event(struct rd *r, void *item)
{
	struct dxt_store_event *e = item;

	e->seq = r_int(r, 0);
	e->time = r_int(r, 1);
	e->level = (enum dxt_log_level)r_enum(
		r, 2, level_names, N_ELEMS(level_names), DXT_LOG_INFO);
	e->stream = r_str(r, 3);
	e->message = r_str(r, 4);
}

int dxt_store_event_list(struct dxt_store *st, const char *run_id,
			 int64_t after_seq, int limit,
			 struct dxt_store_event_list *out,
			 struct dxt_error *err)
{
	struct bnd b;
	struct op o;
	int rc;

	memset(out, 0, sizeof(*out));
	op_start(&o, st, err, "list events of run %s", run_id);
	if (limit < 0) {
		rc = op_fail(&o, DXT_EINVAL, "limit %d is negative", limit);
		goto out;
	}
	rc = op_begin_read(&o);
	if (rc == DXT_OK)
		rc = op_run_exists(&o, run_id);
	if (rc == DXT_OK)
		rc = op_bind(&o, S_EV_LIST, &b);
	if (rc != DXT_OK)
		goto out;
	b_text(&b, 1, run_id);
	b_int(&b, 2, after_seq);
	b_int(&b, 3, limit > 0 ? limit : -1); /* -1: no limit in SQLite */
	rc = op_rows(&o, &b, (void **)&out->items, &out->n,
		     sizeof(out->items[0]), read_event);
out:
	if (rc != DXT_OK)
		dxt_store_event_list_free(out);
	return op_end(&o, rc);
}

void dxt_store_event_list_free(struct dxt_store_event_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].stream);
		free(l->items[i].message);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* --- metrics ------------------------------------------------------------- */

int dxt_store_counts(struct dxt_store *st, struct dxt_store_counts *out,
		     struct dxt_error *err)
{
	sqlite3_stmt *s = NULL;
	struct op o;
	int rc;

	memset(out, 0, sizeof(*out));
	op_start(&o, st, err, "count runs");
	rc = op_begin_read(&o);
	if (rc == DXT_OK)
		rc = op_stmt(&o, S_CNT_STATUS, &s);
	if (rc != DXT_OK)
		goto out;
	while ((rc = op_step(&o, s)) == DXT_OK) {
		int k = name_index(status_names, N_ELEMS(status_names),
				   (const char *)sqlite3_column_text(s, 0));

		if (k >= 0)
			out->runs[k] = (uint64_t)sqlite3_column_int64(s, 1);
	}
	if (rc != DXT_ENOTFOUND)
		goto out;
	rc = op_stmt(&o, S_CNT_TOTALS, &s);
	if (rc == DXT_OK)
		rc = op_step(&o, s);
	if (rc != DXT_OK)
		goto out;
	{
		struct rd r = {s, DXT_OK, NULL};

		out->totals.rows_extracted = r_count(&r, 0);
		out->totals.rows_loaded = r_count(&r, 1);
		out->totals.rows_rejected = r_count(&r, 2);
		out->totals.bytes_staged = r_count(&r, 3);
	}
	rc = op_stmt(&o, S_CNT_PIPES, &s);
	if (rc == DXT_OK)
		rc = op_step(&o, s);
	if (rc != DXT_OK)
		goto out;
	out->pipelines = (uint64_t)sqlite3_column_int64(s, 0);
	rc = op_commit(&o);
out:
	if (rc != DXT_OK)
		memset(out, 0, sizeof(*out));
	return op_end(&o, rc);
}

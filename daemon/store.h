/*
 * store.h - the daemon's state store: pipelines and their versions, runs,
 * stream runs, watermarks and run events, in SQLite.
 *
 * The database is `<state_dir>/dxtd.db`, in WAL mode with foreign keys on,
 * `synchronous=FULL` (a watermark recorded before a load must survive a
 * power cut) and a busy timeout, so a `sqlite3` shell reading it alongside
 * dxtd does not make dxtd fail. The schema carries its version in the
 * `dxt_schema` table; dxt_store_open() applies the missing migrations in
 * order, in one transaction, so a later dxtd can add tables and columns to
 * an existing database and an older dxtd refuses a newer one. The file's
 * SQLite `application_id` marks it as dxtd's, so pointing dxtd at another
 * program's database is an error, not a silent schema merge.
 *
 * Threads: one struct dxt_store holds one connection, guarded by one mutex
 * inside the store. Every function takes the mutex for its whole duration,
 * so each call is atomic (several statements run in one transaction) and
 * the store MAY be called from the daemon's loop thread and the HTTP
 * threads at once. Calls are short; none of them waits on anything but
 * SQLite.
 *
 * Values: every user-supplied value is bound to a prepared statement, never
 * spliced into SQL. Timestamps are integer microseconds since the epoch
 * (dxt_now_us(); dxt_format_rfc3339() renders them); 0 means "not yet".
 *
 * Results and ownership: records are plain structs. A record or list
 * struct is provided by the caller (usually on its stack), filled by the
 * store, and its contents are freed with the matching _release or _free
 * function; the struct itself stays the caller's. Release functions accept
 * a zeroed struct, and a failed call leaves its out-struct zeroed, so
 * releasing unconditionally is always right. Structs passed IN (a run to
 * insert, a stream run to upsert) are only read during the call: the store
 * keeps no pointer into them and never writes through their `char *`
 * fields.
 *
 * Errors: DXT_OK; DXT_ENOTFOUND (no such pipeline, version, run or
 * watermark); DXT_EEXISTS (a pipeline or run of that name/id exists, or a
 * pending watermark of another run holds the stream); DXT_EINVAL (a bad
 * argument: limit out of range, unknown paging cursor, JSON that cannot be
 * stored); DXT_EIO (SQLite failed). `err` is filled with a message naming
 * the database file and the operation ("state store /var/lib/dxtd/dxtd.db:
 * insert run r1: ..."). A database that stays locked past the busy
 * timeout is DXT_EIO of class DXT_TRANSIENT; every other failure is
 * DXT_TERMINAL.
 *
 * Deleting a pipeline is a soft delete: the pipeline row and its versions
 * stay (marked deleted) so the history of its runs keeps naming the
 * document each run executed, and version numbers are never reused:
 * re-creating a deleted name starts a new pipeline (fresh created_at, not
 * paused) whose first version is the old latest + 1. Deleting drops the
 * pipeline's watermarks (committed and pending), so a new pipeline of the
 * same name never inherits incremental state by accident.
 *
 * Watermarks and the crash window. A stream's watermark advances only when
 * its load commits, and a crash between "target committed" and "state
 * saved" must neither skip nor repeat rows. The store provides a two-step
 * protocol; the daemon uses it like this:
 *
 *   1. Before the load starts: dxt_store_watermark_prepare(pipeline,
 *      stream, run, field, value) durably records the value the load is
 *      about to commit as *pending* for that run.
 *   2. The loader loads. A loader that can record the run id in the
 *      target in the load's own transaction (a marker row, a table
 *      comment) does so: that makes "did it commit?" answerable later.
 *   3. The load committed: dxt_store_watermark_commit() moves the pending
 *      value to the committed watermark in one transaction. The load
 *      failed and the target rolled back: dxt_store_watermark_abort().
 *   4. On restart, dxt_store_watermark_pending() lists what was pending
 *      when dxtd died. For each, the daemon resolves before the pipeline
 *      runs again: it asks the target whether that run's load committed
 *      (marker) and commits or aborts accordingly; or, for an idempotent
 *      load (replace, upsert), it retries the load from the buffer and
 *      commits after. While a pending watermark exists, the committed
 *      watermark is the value from before the load, and a new run of the
 *      pipeline MUST NOT extract that stream (dxt_store_watermark_prepare
 *      enforces one pending value per stream).
 */
#ifndef DXT_DAEMON_STORE_H
#define DXT_DAEMON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "engine/error.h"
#include "engine/operator.h"
#include "engine/pipeline.h"
#include "engine/run.h"

struct dxt_store;

/* The file name of the database inside the state directory. */
#define DXT_STORE_FILE "dxtd.db"
/* The largest page a list call returns (runs, events). */
#define DXT_STORE_LIST_MAX 1000
/* The page size when a caller passes limit 0. */
#define DXT_STORE_LIST_DEFAULT 50

/* --- open and close ------------------------------------------------------ */

/*
 * Opens (creating when missing) `<state_dir>/dxtd.db`, creating
 * `state_dir` itself (mode 0700) when it does not exist but its parent
 * does. Sets WAL, foreign keys and the busy timeout and migrates the
 * schema. A file that is not an SQLite database, a database of another
 * program, or one written by a newer dxtd is DXT_EIO with a message naming
 * the file and what to do. On success *out is the store (close with
 * dxt_store_close); on failure *out is NULL.
 */
int dxt_store_open(const char *state_dir, struct dxt_store **out,
		   struct dxt_error *err);
/* Closes the connection (checkpointing the WAL) and frees. NULL is a
 * no-op. No other call on `st` may be running or follow. */
void dxt_store_close(struct dxt_store *st);
/* The database file's path; owned by the store. */
const char *dxt_store_path(const struct dxt_store *st);
/* The schema version the database is at (the newest this build knows). */
int dxt_store_schema_version(struct dxt_store *st);
/* A trivial query, for readiness checks: DXT_OK when the database
 * answers. */
int dxt_store_ping(struct dxt_store *st, struct dxt_error *err);

/* --- pipelines ----------------------------------------------------------- */

struct dxt_store_pipeline {
	char *name;
	int version;             /* the version this record holds */
	int latest_version;
	bool paused;
	enum dxt_doc_format format; /* DXT_DOC_YAML or DXT_DOC_JSON */
	char *document;          /* text as submitted, NUL-terminated */
	size_t document_len;     /* bytes, without the NUL */
	int64_t created_at;      /* when the pipeline was created */
	int64_t updated_at;      /* last new version or pause change */
	int64_t version_created_at; /* when `version` was stored */
};

struct dxt_store_pipeline_list {
	struct dxt_store_pipeline *items; /* by name */
	size_t n;
};

struct dxt_store_version {
	int version;
	enum dxt_doc_format format;
	size_t document_len;
	int64_t created_at;
};

struct dxt_store_version_list {
	struct dxt_store_version *items; /* oldest first */
	size_t n;
};

/*
 * Stores `document` (len bytes, as submitted) as a new version of the
 * pipeline `name`, creating the pipeline when it does not exist (or was
 * deleted). `format` DXT_DOC_AUTO is resolved like the parser does (JSON
 * when the first non-space byte is '{'). With `create_only`, an existing
 * pipeline is DXT_EEXISTS and nothing is stored. *version (MAY be NULL)
 * receives the new version number, *created (MAY be NULL) whether the
 * pipeline is new.
 */
int dxt_store_pipeline_put(struct dxt_store *st, const char *name,
			   const char *document, size_t len,
			   enum dxt_doc_format format, bool create_only,
			   int *version, bool *created, struct dxt_error *err);
/* Fills *out with the pipeline and the document of `version`, or of the
 * latest version when `version` is 0. DXT_ENOTFOUND for a missing or
 * deleted pipeline or a missing version. */
int dxt_store_pipeline_get(struct dxt_store *st, const char *name,
			   int version, struct dxt_store_pipeline *out,
			   struct dxt_error *err);
/* Every pipeline that is not deleted, by name, each with its latest
 * version's document (the service derives schedule and streams from it). */
int dxt_store_pipeline_list(struct dxt_store *st,
			    struct dxt_store_pipeline_list *out,
			    struct dxt_error *err);
/* Soft-deletes a pipeline and drops its watermarks (see the top of this
 * file). DXT_ENOTFOUND when missing or already deleted. The caller refuses
 * the delete while a run of the pipeline is active. */
int dxt_store_pipeline_delete(struct dxt_store *st, const char *name,
			      struct dxt_error *err);
/* Pauses or resumes the pipeline's schedule; updates updated_at when the
 * flag changes. DXT_ENOTFOUND when missing or deleted. */
int dxt_store_pipeline_set_paused(struct dxt_store *st, const char *name,
				  bool paused, struct dxt_error *err);
/* The pipeline's versions, oldest first. DXT_ENOTFOUND when missing or
 * deleted. */
int dxt_store_pipeline_versions(struct dxt_store *st, const char *name,
				struct dxt_store_version_list *out,
				struct dxt_error *err);

void dxt_store_pipeline_release(struct dxt_store_pipeline *p);
void dxt_store_pipeline_list_free(struct dxt_store_pipeline_list *l);
void dxt_store_version_list_free(struct dxt_store_version_list *l);

/* --- runs ---------------------------------------------------------------- */

enum dxt_run_status {
	DXT_RUN_QUEUED = 0,
	DXT_RUN_RUNNING,
	DXT_RUN_SUCCEEDED,
	DXT_RUN_FAILED,
	DXT_RUN_CANCELLED,
	DXT_RUN_INTERRUPTED
};
#define DXT_RUN_STATUS_COUNT 6

enum dxt_run_trigger {
	DXT_TRIGGER_API = 0,
	DXT_TRIGGER_SCHEDULE,
	DXT_TRIGGER_RETRY
};

/* "queued", "running", "succeeded", "failed", "cancelled", "interrupted". */
const char *dxt_run_status_name(enum dxt_run_status s);
/* Parses a status name into *out; false when unknown. */
bool dxt_run_status_parse(const char *name, enum dxt_run_status *out);
/* True for succeeded, failed, cancelled and interrupted. */
bool dxt_run_status_is_final(enum dxt_run_status s);
/* "api", "schedule", "retry". */
const char *dxt_run_trigger_name(enum dxt_run_trigger t);

/* Row and byte counts of a run (summed over its streams) or a stream. */
struct dxt_run_stats {
	uint64_t rows_extracted;
	uint64_t rows_loaded;
	uint64_t rows_rejected;
	uint64_t bytes_staged;
};

struct dxt_store_run {
	char *id;
	char *pipeline;
	int version;               /* pipeline version the run executes */
	enum dxt_run_trigger trigger;
	enum dxt_run_status status;
	int attempt;               /* 1 for a first run; parent's + 1 */
	char *parent_id;           /* the run a retry retries, or NULL */
	int64_t created_at;        /* insert: 0 = now */
	int64_t started_at;        /* 0 = not yet */
	int64_t ended_at;          /* 0 = not yet */
	struct dxt_run_stats stats;
	struct dxt_error error;    /* code DXT_OK = no error */
	char *error_stream;        /* stream the error belongs to, or NULL */
	char *spool_dir;           /* <spool>/runs/<id>, or NULL */
	json_t *options;           /* request options ({"streams", "tags"})
				      or NULL; owned by a filled record */
};

struct dxt_store_run_list {
	struct dxt_store_run *items;
	size_t n;
	char *next;   /* pass as `after` for the next page; NULL when this
			 page is the last */
};

struct dxt_store_run_filter {
	const char *pipeline;       /* NULL = any */
	bool has_status;            /* false = any status */
	enum dxt_run_status status;
	int limit;                  /* 0 = DXT_STORE_LIST_DEFAULT; at most
				       DXT_STORE_LIST_MAX */
	const char *after;          /* id of the last run of the previous
				       page, or NULL for the first page */
};

/*
 * Inserts a run. Read from `run`: id, pipeline, version, trigger, status,
 * attempt (0 is taken as 1), parent_id, created_at (0 = now), started_at,
 * ended_at, stats, error, error_stream, spool_dir, options. DXT_EEXISTS when
 * the id is taken; DXT_ENOTFOUND when the pipeline (or that version of it)
 * or the parent run does not exist, or the pipeline is deleted.
 */
int dxt_store_run_insert(struct dxt_store *st, const struct dxt_store_run *run,
			 struct dxt_error *err);
/*
 * Writes the mutable fields of the run `run->id`: status, started_at,
 * ended_at, stats, error, error_stream and spool_dir (all of them, as
 * given). The daemon's loop thread owns a run's state and is its only
 * writer, so a whole-record write loses nothing. DXT_ENOTFOUND when there
 * is no such run.
 */
int dxt_store_run_update(struct dxt_store *st, const struct dxt_store_run *run,
			 struct dxt_error *err);
/* Fills *out with one run. DXT_ENOTFOUND when there is none. */
int dxt_store_run_get(struct dxt_store *st, const char *id,
		      struct dxt_store_run *out, struct dxt_error *err);
/*
 * One page of runs, newest first (created_at descending, then id
 * descending), filtered by pipeline and status. Keyset paging: the next
 * page starts strictly after the run `filter->after`, so runs inserted
 * meanwhile neither shift nor repeat rows. An `after` id that does not
 * exist is DXT_EINVAL; a limit outside 0..DXT_STORE_LIST_MAX too.
 * out->next is set when more rows follow.
 */
int dxt_store_run_list(struct dxt_store *st,
		       const struct dxt_store_run_filter *filter,
		       struct dxt_store_run_list *out, struct dxt_error *err);
/* Every run in `status`, oldest first (restart recovery, the scheduler's
 * queue). out->next is NULL. */
int dxt_store_run_list_status(struct dxt_store *st, enum dxt_run_status status,
			      struct dxt_store_run_list *out,
			      struct dxt_error *err);
/*
 * At start-up, before any run starts: marks every queued or running run
 * `interrupted` with ended_at = now and an error saying dxtd stopped during
 * it (class transient: a retry may succeed), and marks each of their
 * streams still extracting or loading `failed` with an error naming the
 * phase it was in (code DXT_ECANCELLED, class transient, no origin: the
 * buffer's manifest tells the retry what is staged). *out (MAY be NULL)
 * receives the runs as they are now, oldest first. One transaction.
 */
int dxt_store_run_interrupt_all(struct dxt_store *st,
				struct dxt_store_run_list *out,
				struct dxt_error *err);

void dxt_store_run_release(struct dxt_store_run *run);
void dxt_store_run_list_free(struct dxt_store_run_list *l);

/* --- stream runs --------------------------------------------------------- */

struct dxt_store_stream_run {
	char *run_id;
	char *stream;
	enum dxt_phase phase;
	enum dxt_extract_mode extract_mode;
	enum dxt_load_mode load_mode;
	struct dxt_run_stats stats;
	int64_t started_at;         /* 0 = not yet */
	int64_t ended_at;           /* 0 = not yet */
	char *watermark_field;      /* NULL for a full extract */
	json_t *watermark_from;     /* value the extract started from or NULL */
	json_t *watermark_to;       /* value it reached, or NULL */
	struct dxt_error error;     /* code DXT_OK = no error */
};

struct dxt_store_stream_run_list {
	struct dxt_store_stream_run *items; /* in first-insert order */
	size_t n;
};

/* Inserts or replaces the record of stream `sr->stream` of run
 * `sr->run_id` (every field, as given). DXT_ENOTFOUND when the run does
 * not exist. */
int dxt_store_stream_run_upsert(struct dxt_store *st,
				const struct dxt_store_stream_run *sr,
				struct dxt_error *err);
/* The streams of a run, in the order they were first recorded.
 * DXT_ENOTFOUND when the run does not exist. */
int dxt_store_stream_run_list(struct dxt_store *st, const char *run_id,
			      struct dxt_store_stream_run_list *out,
			      struct dxt_error *err);

void dxt_store_stream_run_release(struct dxt_store_stream_run *sr);
void dxt_store_stream_run_list_free(struct dxt_store_stream_run_list *l);

/* --- watermarks ---------------------------------------------------------- */

/* A committed watermark, or (from dxt_store_watermark_pending) a pending
 * one, where updated_at is when it was recorded. */
struct dxt_store_watermark {
	char *pipeline;
	char *stream;
	char *field;
	json_t *value;      /* never NULL in a filled record */
	int64_t updated_at;
	char *run_id;       /* run that committed it; NULL when set by hand */
};

struct dxt_store_watermark_list {
	struct dxt_store_watermark *items; /* by pipeline, then stream */
	size_t n;
};

/* The committed watermark of one stream. DXT_ENOTFOUND when it has none. */
int dxt_store_watermark_get(struct dxt_store *st, const char *pipeline,
			    const char *stream, struct dxt_store_watermark *out,
			    struct dxt_error *err);
/* Every committed watermark of a pipeline. DXT_ENOTFOUND when the pipeline
 * does not exist (an existing one without watermarks gives n = 0). */
int dxt_store_watermark_list(struct dxt_store *st, const char *pipeline,
			     struct dxt_store_watermark_list *out,
			     struct dxt_error *err);
/* Sets the committed watermark of one stream (PUT .../state, or a
 * one-step commit); `run_id` MAY be NULL. `value` is stored as JSON.
 * DXT_ENOTFOUND when the pipeline does not exist or the run does not. */
int dxt_store_watermark_set(struct dxt_store *st, const char *pipeline,
			    const char *stream, const char *field,
			    const json_t *value, const char *run_id,
			    struct dxt_error *err);
/* Removes the committed and pending watermarks of one stream, or of every
 * stream of the pipeline when `stream` is NULL. DXT_ENOTFOUND when the
 * pipeline does not exist; removing nothing is not an error. */
int dxt_store_watermark_reset(struct dxt_store *st, const char *pipeline,
			      const char *stream, struct dxt_error *err);
/*
 * Records `value` as the pending watermark of the stream for run `run_id`
 * (step 1 of the protocol above). Replaces a pending value of the same run
 * or of one of its ancestors through parent_id (a retry takes over the
 * load it repeats);
 * DXT_EEXISTS, naming the holder, when another run's pending value exists:
 * resolve that one first. DXT_ENOTFOUND when the pipeline or run does not
 * exist.
 */
int dxt_store_watermark_prepare(struct dxt_store *st, const char *pipeline,
				const char *stream, const char *run_id,
				const char *field, const json_t *value,
				struct dxt_error *err);
/* Makes run_id's pending watermark of the stream the committed one, in one
 * transaction. DXT_ENOTFOUND when that run has no pending value there. */
int dxt_store_watermark_commit(struct dxt_store *st, const char *pipeline,
			       const char *stream, const char *run_id,
			       struct dxt_error *err);
/* Drops run_id's pending watermark of the stream (the load rolled back);
 * the committed watermark stays. DXT_ENOTFOUND as for commit. */
int dxt_store_watermark_abort(struct dxt_store *st, const char *pipeline,
			      const char *stream, const char *run_id,
			      struct dxt_error *err);
/* Pending watermarks of one pipeline, or of all when `pipeline` is NULL
 * (restart recovery). */
int dxt_store_watermark_pending(struct dxt_store *st, const char *pipeline,
				struct dxt_store_watermark_list *out,
				struct dxt_error *err);

void dxt_store_watermark_release(struct dxt_store_watermark *w);
void dxt_store_watermark_list_free(struct dxt_store_watermark_list *l);

/* --- events -------------------------------------------------------------- */

struct dxt_store_event {
	int64_t seq;        /* increasing; a paging cursor */
	int64_t time;
	enum dxt_log_level level;
	char *stream;       /* NULL for run-level events */
	char *message;
};

struct dxt_store_event_list {
	struct dxt_store_event *items; /* oldest first */
	size_t n;
};

/* Appends an event to a run's log; `time` 0 = now, `stream` MAY be NULL.
 * DXT_ENOTFOUND when the run does not exist. */
int dxt_store_event_append(struct dxt_store *st, const char *run_id,
			   int64_t time, enum dxt_log_level level,
			   const char *stream, const char *message,
			   struct dxt_error *err);
/* A run's events with seq > after_seq, oldest first, at most `limit`
 * (0 = all). DXT_ENOTFOUND when the run does not exist. */
int dxt_store_event_list(struct dxt_store *st, const char *run_id,
			 int64_t after_seq, int limit,
			 struct dxt_store_event_list *out,
			 struct dxt_error *err);

void dxt_store_event_list_free(struct dxt_store_event_list *l);

/* --- metrics ------------------------------------------------------------- */

struct dxt_store_counts {
	uint64_t runs[DXT_RUN_STATUS_COUNT]; /* by enum dxt_run_status */
	uint64_t pipelines;                  /* not deleted */
	struct dxt_run_stats totals;         /* summed over every run */
};

/* Fills *out (one consistent read). */
int dxt_store_counts(struct dxt_store *st, struct dxt_store_counts *out,
		     struct dxt_error *err);

#endif /* DXT_DAEMON_STORE_H */

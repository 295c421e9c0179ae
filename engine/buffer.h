/*
 * buffer.h - the always-persisted buffer: one stream's staged data.
 *
 * Layout of a stream folder (<spool_dir>/runs/<run_id>/<stream_id>/):
 *
 *   part-00000.csv.zst      parts, numbered, format ext + codec ext
 *   part-00001.csv.zst
 *   files/<name>            passthrough: staged files under their own names
 *   manifest.json           the truth about what is staged
 *   rejects.jsonl           rows skipped with on_error: skip, with reasons
 *                           (by the extract and by the load)
 *
 * manifest.json:
 *   {"version": 1, "stream": "orders", "format": "csv", "compression": "zstd",
 *    "csv": {...options...},            (csv only)
 *    "schema": [...],                   (records only; see types.h)
 *    "rows": 1000, "bytes": 12345,      (bytes = on-disk size of all parts)
 *    "files": [{"name": "part-00000.csv.zst", "rows": 1000, "bytes": 12345,
 *               "raw_bytes": 55555, "crc32": "8c736521",
 *               "original_name": null}],
 *    "watermark": {"field": "updated_at", "value": "2024-..."} | null,
 *    "complete": true, "created_at": "2024-01-02T03:04:05Z"}
 *
 * Every part is written under ".<name>.tmp", fsynced and renamed when
 * complete; the manifest is rewritten atomically after each part, with
 * "complete": false until dxt_buffer_writer_commit(). So a crash never leaves
 * a part that looks whole, and the manifest never names a part that is not.
 * The reader verifies each part's CRC-32 as it reads it and fails with
 * DXT_ECHECKSUM naming the part.
 *
 * A writer or reader belongs to one thread at a time.
 */
#ifndef DXT_BUFFER_H
#define DXT_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "batch.h"
#include "csv.h"
#include "error.h"
#include "format.h"
#include "iostream.h"
#include "types.h"

#define DXT_BUFFER_PASSTHROUGH "passthrough"

struct dxt_buffer_opts {
	char format[16];          /* "parquet" (default), "csv", "jsonl",
				     "passthrough" */
	enum dxt_codec codec;     /* default zstd; snappy: parquet only */
	int level;                /* codec level; 0 = codec default */
	uint64_t part_rows;       /* rotate after this many rows; default 1M */
	uint64_t part_bytes;      /* rotate after this many raw bytes;
				     default 256 MiB */
	struct dxt_csv_opts csv;
	struct dxt_batch_limits batch; /* batches handed to loaders */
	bool cleanup_on_success;  /* default true */
	bool retain_on_failure;   /* default true */
	bool fsync;               /* default true */
	uint64_t row_group_rows;  /* parquet; 0 = the writer's default */
};

/* Fills opts with the defaults above. */
void dxt_buffer_opts_default(struct dxt_buffer_opts *opts);

/* --- staged data description (parsed manifest) --------------------------- */

struct dxt_staged_file {
	char *name;          /* part or file name inside the stream folder
				(passthrough: "files/<original>") */
	char *original_name; /* passthrough: the source's relative path */
	uint64_t rows;       /* 0 for passthrough */
	uint64_t bytes;      /* on disk */
	uint64_t raw_bytes;  /* before compression */
	uint32_t crc32;
};

struct dxt_manifest {
	char *stream;
	char *format;              /* "csv", "jsonl", "passthrough", ... */
	enum dxt_codec codec;
	struct dxt_csv_opts csv;
	struct dxt_schema *schema; /* NULL for passthrough */
	uint64_t rows, bytes;
	size_t nfiles;
	struct dxt_staged_file *files;
	json_t *watermark;         /* {"field":..., "value":...} or NULL */
	bool complete;
	char *created_at;          /* RFC 3339 UTC time the writer opened;
				      MAY be NULL */
};

/* Reads <dir>/manifest.json. The caller frees with dxt_manifest_free(). */
int dxt_manifest_load(const char *dir, struct dxt_manifest **out,
		      struct dxt_error *err);
void dxt_manifest_free(struct dxt_manifest *m);
/* The manifest as JSON (new reference), as stored. */
json_t *dxt_manifest_to_json(const struct dxt_manifest *m);

/* --- writing (extractor side) -------------------------------------------- */

struct dxt_buffer_writer;

/*
 * Creates the stream folder `dir` (and parents) and a writer. Any earlier
 * content of `dir` is removed first: a fresh extract replaces what a failed
 * attempt staged. `stream` is the stream id recorded in the manifest.
 */
int dxt_buffer_writer_open(const char *dir, const char *stream,
			   const struct dxt_buffer_opts *opts,
			   struct dxt_buffer_writer **out,
			   struct dxt_error *err);
/*
 * Makes the writer's compressed streams give up with DXT_ECANCELLED soon
 * after *cancel turns non-zero (see dxt_ostream_set_cancel()), instead of
 * finishing a large write first. Called on the writer's thread; the flag
 * is borrowed and MUST outlive the writer.
 */
void dxt_buffer_writer_set_cancel(struct dxt_buffer_writer *w,
				  const atomic_int *cancel);
/* Records extractors: sets the schema; MUST precede the first batch. */
int dxt_buffer_writer_schema(struct dxt_buffer_writer *w,
			     const struct dxt_schema *schema,
			     struct dxt_error *err);
/* Records extractors: stages every row of the batch (rotating parts by
 * part_rows / part_bytes). The batch may be reset by the caller after. */
int dxt_buffer_writer_batch(struct dxt_buffer_writer *w,
			    const struct dxt_batch *b, struct dxt_error *err);
/*
 * File extractors (passthrough): stages one file under `original_name` (a
 * relative path; "..", absolute paths and NUL are refused), streaming bytes
 * through dxt_buffer_writer_file_write() and completing it with
 * dxt_buffer_writer_file_end().
 */
int dxt_buffer_writer_file_begin(struct dxt_buffer_writer *w,
				 const char *original_name,
				 struct dxt_error *err);
int dxt_buffer_writer_file_write(struct dxt_buffer_writer *w, const void *p,
				 size_t n, struct dxt_error *err);
int dxt_buffer_writer_file_end(struct dxt_buffer_writer *w,
			       struct dxt_error *err);
/* Records the extract watermark (field name and value as JSON scalar). The
 * value is copied. */
int dxt_buffer_writer_watermark(struct dxt_buffer_writer *w,
				const char *field, const json_t *value,
				struct dxt_error *err);
/*
 * Appends a rejected row to rejects.jsonl:
 * {"row": 7, "file": "in.csv", "line": 7, "column": 3, "reason": "...",
 *  "raw": "...", "stage": "extract"}. `file`, `raw` MAY be NULL;
 * line/column 0 = unknown (written as null). Invalid UTF-8 in the texts
 * becomes U+FFFD. Lines are buffered and appended in large writes; the
 * commit (or destroy) writes the rest.
 */
int dxt_buffer_writer_reject(struct dxt_buffer_writer *w, uint64_t row,
			     const char *file, uint64_t line, uint64_t column,
			     const char *reason, const char *raw,
			     size_t raw_len, struct dxt_error *err);
/* Rows and on-disk bytes staged so far (for progress; any thread MAY read
 * them while the writer's thread writes: they are updated atomically). */
uint64_t dxt_buffer_writer_rows(const struct dxt_buffer_writer *w);
uint64_t dxt_buffer_writer_bytes(const struct dxt_buffer_writer *w);
uint64_t dxt_buffer_writer_rejects(const struct dxt_buffer_writer *w);
/* Completes the last part and writes the manifest with "complete": true. */
int dxt_buffer_writer_commit(struct dxt_buffer_writer *w,
			     struct dxt_error *err);
/* Frees the writer. Without a commit, removes the temporary part (the
 * manifest stays "complete": false). NULL is a no-op. */
void dxt_buffer_writer_destroy(struct dxt_buffer_writer *w);

/* --- reading (loader side) ----------------------------------------------- */

struct dxt_buffer_reader;

/*
 * Opens a stream folder for reading. Fails with DXT_ENOTFOUND when there is
 * no manifest and DXT_EINVAL when the manifest is not complete.
 */
int dxt_buffer_reader_open(const char *dir,
			   const struct dxt_batch_limits *limits,
			   struct dxt_buffer_reader **out,
			   struct dxt_error *err);
/* The manifest (owned by the reader). */
const struct dxt_manifest *dxt_buffer_reader_manifest(
	const struct dxt_buffer_reader *r);
/*
 * Records loaders: returns 1 with *batch pointing at the next batch (owned by
 * the reader, valid until the next call; schema is the manifest's), 0 when
 * all parts are read, or a negative code (DXT_ECHECKSUM names the part).
 */
int dxt_buffer_reader_next(struct dxt_buffer_reader *r,
			   struct dxt_batch **batch, struct dxt_error *err);
/*
 * File loaders: returns 1 with *file set and *path the full path of the next
 * staged file (both owned by the reader, valid until the next call), 0 at
 * the end. Works for every format: record parts are files too. The file's
 * checksum is verified before it is returned.
 */
int dxt_buffer_reader_next_file(struct dxt_buffer_reader *r,
				const struct dxt_staged_file **file,
				const char **path, struct dxt_error *err);
/* Rows handed out by dxt_buffer_reader_next() so far. */
uint64_t dxt_buffer_reader_rows(const struct dxt_buffer_reader *r);
/*
 * Loaders: appends a row the target refused (rejected under on_error: skip)
 * to the same rejects.jsonl as the extract's rejects, in the same form:
 * {"row": 7, "file": null, "line": null, "column": null, "reason": "...",
 *  "raw": "...", "stage": "load"}. `row` is the row's 1-based position in
 * the staged data; `raw` (MAY be NULL) is the row as the loader shows it,
 * e.g. a JSON object. Lines are buffered and appended when enough are
 * pending and when the reader is destroyed (also after a failed load: the
 * rejects explain it).
 *
 * Thread: the loader's. This touches only the reader's reject state, so it
 * MAY run while another thread (a prefetcher) calls
 * dxt_buffer_reader_next() on the same reader; two threads MUST NOT call it
 * at once.
 */
int dxt_buffer_reader_reject(struct dxt_buffer_reader *r, uint64_t row,
			     const char *reason, const char *raw,
			     size_t raw_len, struct dxt_error *err);
/* Rows passed to dxt_buffer_reader_reject() so far. */
uint64_t dxt_buffer_reader_rejects(const struct dxt_buffer_reader *r);
/* Frees the reader. NULL is a no-op. */
void dxt_buffer_reader_destroy(struct dxt_buffer_reader *r);

/* Verifies every part's checksum without decoding. */
int dxt_buffer_verify(const char *dir, struct dxt_error *err);

#endif /* DXT_BUFFER_H */

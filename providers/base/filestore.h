/*
 * filestore.h - the filestore category: what every file provider shares.
 *
 * A filestore provider (local, s3, sftp, ...) reads a stream's source as one
 * file, the files a glob pattern matches or every file under a folder, parses
 * CSV or JSON lines (possibly compressed or inside an archive) or Parquet
 * into records, or stages the files as they are. The pieces that do not
 * depend on how bytes are fetched live here so that every provider spells
 * them the same way:
 *
 *   - file listings (struct dxt_fs_file: path relative to the store's base,
 *     size, modification time), sorted by path;
 *   - glob patterns on relative paths, where `**` spans folders;
 *   - the format of a file from its name, compression and archive suffixes
 *     included (`orders.csv.gz`, `2024.tar.zst`, `events.jsonl`);
 *   - the stream's source block: `type: file | glob | directory`, the key of
 *     that type, and the reading options (format, CSV options, encoding,
 *     declared schema, sample_rows, archive member pattern);
 *   - schema inference from text (CSV) or JSON values;
 *   - two read-callback layers that sit between a byte source and the CSV
 *     or JSON lines reader: character set conversion to UTF-8 (iconv) and a
 *     replay layer that lets the first records be read twice (once to infer
 *     the schema, once to convert them) without fetching them again.
 *
 * Nothing here performs I/O on its own except through the read callbacks the
 * caller hands in. Functions are thread-safe unless they take an object,
 * which belongs to one thread at a time. Paths and names are UTF-8 and use
 * '/' as the separator.
 */
#ifndef DXT_PROVIDERS_FILESTORE_H
#define DXT_PROVIDERS_FILESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "engine/csv.h"
#include "engine/error.h"
#include "engine/types.h"

/* --- file listings -------------------------------------------------------- */

/* One file of a store. */
struct dxt_fs_file {
	char *path;       /* owned; relative to the store's base */
	uint64_t size;    /* bytes */
	int64_t mtime_us; /* modification time, microseconds since the epoch */
};

/* A growable list of files. Zero-initialise before the first add. */
struct dxt_fs_files {
	size_t n;
	size_t cap;
	struct dxt_fs_file *items; /* owned */
};

/* Appends a file (path is copied). DXT_OK or DXT_ENOMEM. */
int dxt_fs_files_add(struct dxt_fs_files *l, const char *path, uint64_t size,
		     int64_t mtime_us);
/* Sorts by path, byte order (the order in which files are read). */
void dxt_fs_files_sort(struct dxt_fs_files *l);
/* Frees every entry; the list is empty and reusable afterwards. */
void dxt_fs_files_free(struct dxt_fs_files *l);

/* --- glob patterns -------------------------------------------------------- */

/*
 * Matches a relative path against a pattern, segment by segment:
 *
 *   *       any characters within one folder or file name
 *   ?       one character other than '/'
 *   [a-z]   one character of a class; [!a-z] negates
 *   **      as a whole segment: zero or more folders
 *   \c      the character c itself
 *
 * As in a shell, a wildcard does not match a leading '.' of a segment and
 * `**` does not enter folders whose name starts with '.': hidden files (and
 * the temporary names loaders write) are only matched by a pattern that
 * spells the dot. A pattern ending in `**` matches everything below.
 */
bool dxt_fs_glob_match(const char *pattern, const char *path);

/* True when `s` holds a wildcard character (*, ?, [ or \). */
bool dxt_fs_glob_has_magic(const char *s);

/*
 * Writes the leading folders of `pattern` that hold no wildcard into buf
 * ("data/2024" for "data/2024/x*.csv" and for "data/2024/" followed by
 * "**" and more; "" when the first segment already has a wildcard), so a
 * listing can start there. Returns the length, or (size_t)-1
 * when buf is too small.
 */
size_t dxt_fs_glob_root(const char *pattern, char *buf, size_t len);

/* --- formats by name ------------------------------------------------------ */

enum dxt_fs_compression {
	DXT_FS_COMP_NONE = 0,
	DXT_FS_COMP_GZIP,   /* .gz */
	DXT_FS_COMP_ZSTD,   /* .zst, .zstd */
	DXT_FS_COMP_BZIP2,  /* .bz2 */
	DXT_FS_COMP_XZ      /* .xz */
};

enum dxt_fs_archive {
	DXT_FS_ARCHIVE_NONE = 0,
	DXT_FS_ARCHIVE_TAR, /* .tar, .tgz, .tbz2, .txz, .tar.<compression> */
	DXT_FS_ARCHIVE_ZIP  /* .zip */
};

/* What a file name says about its content. */
struct dxt_fs_kind {
	char format[16];   /* "csv", "jsonl", "parquet", or "" when the name
			      does not say */
	char delimiter;    /* '\t' for .tsv / .tab; '\0' for the default */
	enum dxt_fs_compression compression;
	enum dxt_fs_archive archive;
};

/*
 * Detects format, compression and archive from the suffixes of `name`
 * (case-insensitive): .csv, .tsv, .tab -> csv; .jsonl, .ndjson -> jsonl;
 * .parquet -> parquet; then an optional compression suffix (.gz, .zst,
 * .zstd, .bz2, .xz); .tar and .zip (and .tgz, .tbz2, .tbz, .txz) are
 * archives, whose members are detected by their own names. Parquet
 * compresses inside the file: a reader refuses `x.parquet.gz` and Parquet
 * members of archives, since it needs the file itself.
 */
void dxt_fs_detect(const char *name, struct dxt_fs_kind *k);

/* "none", "gzip", "zstd", "bzip2", "xz". */
const char *dxt_fs_compression_name(enum dxt_fs_compression c);

/* True for "csv", "jsonl" and "parquet", the record formats a filestore
 * reads. */
bool dxt_fs_format_known(const char *format);

/* --- the source block ----------------------------------------------------- */

enum dxt_fs_source_type {
	DXT_FS_SOURCE_FILE = 1,  /* `file: data/users.csv` */
	DXT_FS_SOURCE_GLOB,      /* `pattern: "events/2024-*.jsonl"` */
	DXT_FS_SOURCE_DIRECTORY  /* `directory: data/2024/`: all files below */
};

/* "file", "glob", "directory". */
const char *dxt_fs_source_type_name(enum dxt_fs_source_type t);

#define DXT_FS_SAMPLE_ROWS_DEFAULT 1000

struct dxt_fs_source {
	enum dxt_fs_source_type type;
	/* Owned. The file or pattern as written; the directory without
	 * trailing slashes ("" for the store's base itself). */
	char *path;
	char format[16];          /* "csv", "jsonl", "parquet", or "" = by
				     file name */
	struct dxt_csv_opts csv;  /* encoding applies to every format */
	bool delimiter_set;       /* the block gave a delimiter */
	char *member;             /* owned; archive member pattern or NULL */
	/* Owned, MAY be NULL: the declared columns, in the order written.
	 * Declared columns take their type from here; the others are
	 * inferred. */
	struct dxt_schema *schema;
	size_t sample_rows;       /* rows to infer from; 0 = undeclared
				     columns are strings */
};

/*
 * Reads a stream's source block. `type` names the kind and its key holds the
 * path (`file`, `pattern`, `directory`); without `type`, the one of those
 * keys that is present decides. The reading options may sit in an `options`
 * object or directly in the block (a key in `options` wins):
 *
 *   format       csv | jsonl | parquet (default: by file name)
 *   delimiter, quotechar, escapechar, doublequote, header, null_value,
 *   lineterminator       CSV options (csv.h)
 *   encoding     character set of the files (default utf-8)
 *   schema       [{name, type, nullable}] or {name: type}
 *   sample_rows  rows read to infer undeclared columns (default 1000)
 *   member       glob pattern selecting archive members
 *
 * Unknown keys, a missing path, a bad type name and a bad option are
 * DXT_ECONFIG errors that name the key (origin config). On success the
 * caller frees out with dxt_fs_source_free().
 */
int dxt_fs_source_parse(const json_t *source, struct dxt_fs_source *out,
			struct dxt_error *err);
/* Frees what the source holds. Safe on a zeroed struct. */
void dxt_fs_source_free(struct dxt_fs_source *s);

/*
 * True when the relative path `path` of a listed file belongs to the source:
 * equal to the file, matching the pattern, or under the directory. Hidden
 * files (a segment starting with '.') belong to a directory source only
 * when the directory itself names them.
 */
bool dxt_fs_source_match(const struct dxt_fs_source *s, const char *path);

/*
 * Where a listing for the source starts: a folder relative to the base (""
 * for the base itself) or, for a file source, the file. *depth tells how
 * deep below that folder a file of the source can sit: 0 for a file source,
 * 1 for files directly in the folder, N for N levels, -1 for any depth.
 * Returns DXT_OK or DXT_ELIMIT when buf is too small.
 */
int dxt_fs_source_root(const struct dxt_fs_source *s, char *buf, size_t len,
		       int *depth);

/*
 * Reads an object of options into CSV options, taking only the CSV keys
 * (csv.h) and leaving the rest to the caller; `where` names the block for
 * messages ("source.options"). Sets *delimiter_set when a delimiter was
 * given (MAY be NULL).
 */
int dxt_fs_csv_opts_pick(struct dxt_csv_opts *opts, const json_t *obj,
			 const char *where, bool *delimiter_set,
			 struct dxt_error *err);

/* True for the keys dxt_fs_csv_opts_pick() takes. */
bool dxt_fs_is_csv_key(const char *key);

/* --- schema inference ----------------------------------------------------- */

struct dxt_fs_infer;

/* Creates an empty inference (no columns). NULL on out of memory. */
struct dxt_fs_infer *dxt_fs_infer_create(void);
/* Frees it. NULL is a no-op. */
void dxt_fs_infer_destroy(struct dxt_fs_infer *inf);
/* Adds a column (name copied, n bytes) and returns its index, or a negative
 * code (DXT_ENOMEM). Names are not checked for duplicates. */
int dxt_fs_infer_add(struct dxt_fs_infer *inf, const char *name, size_t n);
/* Index of the column named `name` (n bytes), or -1. */
int dxt_fs_infer_find(const struct dxt_fs_infer *inf, const char *name,
		      size_t n);
/* Number of columns. */
size_t dxt_fs_infer_ncols(const struct dxt_fs_infer *inf);
/* Name of column i. */
const char *dxt_fs_infer_name(const struct dxt_fs_infer *inf, size_t i);

/*
 * Feeds one non-null text value of column `col` (a CSV field). Candidates,
 * narrowest first: int64, float64, bool (true/false), date, timestamp,
 * timestamptz (every value carries a zone); a column whose values fit none
 * of them together is a string.
 */
void dxt_fs_infer_text(struct dxt_fs_infer *inf, size_t col, const char *s,
		       size_t n);
/*
 * Feeds one JSON value of column `col` (a JSON lines member). JSON null is
 * ignored; integers and reals give int64 / float64, true and false bool;
 * strings are strings unless every one is a date, timestamp or timestamptz;
 * objects and arrays, or values of different JSON kinds, give json.
 */
void dxt_fs_infer_json(struct dxt_fs_infer *inf, size_t col, const json_t *v);

/* The type inferred for column i so far (string when it saw no value). */
enum dxt_type dxt_fs_infer_type(const struct dxt_fs_infer *inf, size_t i);

/*
 * Builds the schema: every column in order, nullable, with its inferred type
 * or, when `declared` (MAY be NULL) names it, the declared type and
 * nullability; declared columns the inference never saw follow at the end.
 * `native` of every field is NULL. The caller frees *out.
 */
int dxt_fs_infer_schema(const struct dxt_fs_infer *inf,
			const struct dxt_schema *declared,
			struct dxt_schema **out, struct dxt_error *err);

/* --- character set conversion --------------------------------------------- */

/*
 * True when `encoding` names UTF-8 (utf-8, utf8, utf-8-sig, any case) or
 * ASCII or is empty: no conversion is needed.
 */
bool dxt_fs_encoding_is_utf8(const char *encoding);

struct dxt_fs_decoder;

/*
 * Creates a read layer that converts the bytes `read` yields from
 * `encoding` to UTF-8 with iconv. Accepts latin-1 / latin1 / iso-8859-1,
 * windows-1252 / cp1252, utf-16 (with BOM) / utf-16le / utf-16be and every
 * name iconv knows. An unknown name is DXT_ECONFIG naming it. `name` (file
 * name for messages) is copied.
 */
int dxt_fs_decoder_create(const char *encoding, dxt_read_fn read,
			  void *read_ctx, const char *name,
			  struct dxt_fs_decoder **out, struct dxt_error *err);
/*
 * dxt_read_fn of the layer (ctx is the decoder). A byte sequence that is
 * not valid in the encoding is DXT_EPARSE naming the file, the encoding and
 * the byte offset.
 */
long dxt_fs_decoder_read(void *ctx, void *p, size_t n, struct dxt_error *err);
/* Frees the decoder (not the layer below). NULL is a no-op. */
void dxt_fs_decoder_destroy(struct dxt_fs_decoder *d);

/* --- replay --------------------------------------------------------------- */

struct dxt_fs_replay;

/*
 * Creates a read layer that first records what it passes on from `read`,
 * up to about `cap` bytes: past that it reports the end of input (and
 * dxt_fs_replay_capped() tells so). After dxt_fs_replay_rewind() it hands
 * out the recorded bytes again, then continues with `read` where recording
 * stopped. So a reader can look at the first records, then a second reader
 * can read the whole input from its first byte, with identical line numbers.
 */
int dxt_fs_replay_create(dxt_read_fn read, void *read_ctx, size_t cap,
			 struct dxt_fs_replay **out, struct dxt_error *err);
/* dxt_read_fn of the layer (ctx is the replay). */
long dxt_fs_replay_read(void *ctx, void *p, size_t n, struct dxt_error *err);
/* Stops recording; the next reads start from the first recorded byte. */
void dxt_fs_replay_rewind(struct dxt_fs_replay *r);
/* True when recording stopped at the cap (the recorded input is a prefix
 * that may end inside a record). */
bool dxt_fs_replay_capped(const struct dxt_fs_replay *r);
/* Frees the layer (not the one below). NULL is a no-op. */
void dxt_fs_replay_destroy(struct dxt_fs_replay *r);

#endif /* DXT_PROVIDERS_FILESTORE_H */

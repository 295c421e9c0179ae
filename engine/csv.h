/*
 * csv.h - CSV reading and writing with the origin design's CSVFormatOptions.
 *
 * The reader is a streaming tokenizer: it pulls bytes through a read
 * callback, never holds more than one record (plus its read-ahead block) in
 * memory, and reports records as arrays of fields. It handles quoted fields
 * with embedded delimiters and newlines, doubled quotes, an escape character,
 * LF / CRLF / CR line ends, a UTF-8 BOM at the start, and distinguishes an
 * empty quoted field ("") from an empty unquoted one (null when null_value
 * is ""). Errors carry the physical line and column where they happened.
 *
 * The writer quotes a field when it contains the delimiter, the quote char,
 * CR or LF, or when it would otherwise read back as null (an empty string
 * when null_value is ""; a string equal to null_value).
 *
 * Reader and writer belong to one thread at a time.
 */
#ifndef DXT_CSV_H
#define DXT_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "batch.h"
#include "error.h"
#include "types.h"

struct dxt_csv_opts {
	char delimiter;       /* default ',' */
	char quotechar;       /* default '"'; '\0' = no quoting */
	char escapechar;      /* default '\0' (none) */
	bool doublequote;     /* default true: "" inside quotes is one " */
	char lineterminator[3]; /* writer: default "\n" ("\r\n" allowed); the
				   reader accepts LF, CRLF and CR always */
	bool header;          /* default true */
	char encoding[32];    /* default "utf-8"; conversion is the caller's
				 (see local provider); the buffer is UTF-8 */
	char null_value[32];  /* default "" */
};

/* Fills opts with the defaults above. */
void dxt_csv_opts_default(struct dxt_csv_opts *opts);

/*
 * Reads options from a JSON object (keys as in the struct; delimiter etc. are
 * one-character strings, "\t" allowed; "tab" accepted for delimiter) on top
 * of whatever opts holds. Unknown keys are errors naming the key. `where` is
 * the document path for messages ("buffer.csv").
 */
int dxt_csv_opts_from_json(struct dxt_csv_opts *opts, const json_t *j,
			   const char *where, struct dxt_error *err);
/* JSON object with every option (for manifests). New reference. */
json_t *dxt_csv_opts_to_json(const struct dxt_csv_opts *opts);

/* --- reader -------------------------------------------------------------- */

/*
 * Read callback: fills up to n bytes, returns the count, 0 at end of input,
 * or a negative DXT_E* code (with err filled).
 */
typedef long (*dxt_read_fn)(void *ctx, void *p, size_t n,
			    struct dxt_error *err);

struct dxt_csv_reader;

/* One field of the current record; valid until the next read. */
struct dxt_csv_field {
	const char *p;   /* not NUL-terminated */
	size_t n;
	bool quoted;     /* the field was quoted in the input */
};

/*
 * Creates a reader. `name` (file name, for messages) is copied. Does not
 * consume the header: the caller reads the first record itself when
 * opts->header is set.
 */
int dxt_csv_reader_create(const struct dxt_csv_opts *opts, dxt_read_fn read,
			  void *read_ctx, const char *name,
			  struct dxt_csv_reader **out, struct dxt_error *err);
/*
 * Reads the next record. Returns 1 with *fields / *nfields set (owned by the
 * reader, valid until the next call), 0 at end of input, or a negative code:
 * DXT_EPARSE for an unclosed quote or a stray character after a closing
 * quote, with the file name, line and column in the message. A blank line
 * (no bytes between line ends) is skipped.
 */
int dxt_csv_read(struct dxt_csv_reader *r, struct dxt_csv_field **fields,
		 size_t *nfields, struct dxt_error *err);
/* Physical line (1-based) where the last returned record started. */
uint64_t dxt_csv_line(const struct dxt_csv_reader *r);
/* Number of records returned so far (header included). */
uint64_t dxt_csv_records(const struct dxt_csv_reader *r);
/* The raw bytes of the last returned record, for rejects files. */
const char *dxt_csv_raw(const struct dxt_csv_reader *r, size_t *len);
/* True when the field's text equals null_value and is unquoted. */
bool dxt_csv_is_null(const struct dxt_csv_reader *r,
		     const struct dxt_csv_field *f);
void dxt_csv_reader_destroy(struct dxt_csv_reader *r);

/*
 * Converts one record to a row of `b` (whose schema gives the types): field
 * i goes to column i; an unquoted field equal to null_value is null. On
 * success the row is complete (dxt_batch_end_row was called). On failure
 * nothing is appended (the partial row is rolled back) and the error is
 * DXT_EPARSE for a wrong field count ("orders.csv: line 7: expected 8
 * fields, found 7") or DXT_ETYPE for a value that does not convert
 * ("orders.csv: line 7, column 3 (amount): \"12x\" is not a decimal(12,2)"),
 * or DXT_ETYPE for a null in a non-nullable field.
 */
int dxt_csv_append_record(const struct dxt_csv_reader *r,
			  const struct dxt_csv_field *fields, size_t nfields,
			  struct dxt_batch *b, struct dxt_error *err);

/* --- writer -------------------------------------------------------------- */

/* Appends one field (quoted when needed) to out; `is_null` writes
 * null_value. */
int dxt_csv_write_field(const struct dxt_csv_opts *opts, struct dxt_buf *out,
			const char *p, size_t n, bool is_null);
/* Appends the header record for `schema` (names, delimiters, terminator). */
int dxt_csv_write_header(const struct dxt_csv_opts *opts,
			 const struct dxt_schema *schema, struct dxt_buf *out);
/* Appends every row of the batch as CSV records (canonical text forms of
 * convert.h). */
int dxt_csv_write_batch(const struct dxt_csv_opts *opts,
			const struct dxt_batch *b, struct dxt_buf *out);

#endif /* DXT_CSV_H */

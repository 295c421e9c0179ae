/*
 * jsonl.h - JSON lines: a streaming line reader, JSON objects to batch rows,
 * and batches to JSON lines.
 *
 * One JSON object per line (LF or CRLF). Object keys map to schema fields by
 * name (exact match); keys the schema does not name are ignored. A missing
 * key or a JSON null gives a null (an error for a non-nullable field).
 * Values convert to the field's type:
 *
 *   string, number, true/false  parsed from their text form as convert.h's
 *                               dxt_value_parse_append does ("2024-01-31" for
 *                               a date, 12.50 for a decimal(10,2), "12" for an
 *                               int32); numbers keep their exact digits, so
 *                               decimals and 64-bit integers do not pass
 *                               through a double
 *   object, array               a json or string field receives the value as
 *                               compact JSON text; other types are an error
 *   anything, json field        compact JSON text of the value ("x" stays a
 *                               JSON string, 5 a JSON number)
 *
 * Errors name the file, the line and the field or column, and a row that
 * fails half-way is rolled back, so a caller that skips bad rows
 * (on_error: skip) continues with the next line.
 *
 * The reader and the writer avoid per-value allocations: the reader parses
 * each line in place (no jansson tree), the writer formats straight into the
 * output buffer. dxt_jsonl_append_object() serves callers that already hold
 * a jansson object (an API response, a document store).
 *
 * A reader belongs to one thread at a time; the other functions are
 * reentrant.
 */
#ifndef DXT_JSONL_H
#define DXT_JSONL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "batch.h"
#include "csv.h"
#include "error.h"
#include "types.h"

/* Longest line the reader accepts (DXT_ELIMIT past it). */
#define DXT_JSONL_MAX_LINE ((size_t)1 << 30)

struct dxt_jsonl_reader;

/*
 * Creates a line reader that pulls bytes through `read` (see csv.h). `name`
 * (the file name for messages) is copied. The reader holds the current line
 * and one read block, no more. Returns DXT_OK or DXT_ENOMEM.
 */
int dxt_jsonl_reader_create(dxt_read_fn read, void *read_ctx,
			    const char *name, struct dxt_jsonl_reader **out,
			    struct dxt_error *err);

/*
 * Reads the next line that holds anything but white space (blank lines are
 * skipped; a UTF-8 byte order mark at the start of the input is dropped).
 * Returns 1 with *line / *len set to the line without its LF or CRLF (owned
 * by the reader, valid until the next call, not NUL-terminated), 0 at the
 * end of input, or a negative code: the read callback's, or DXT_ELIMIT for a
 * line longer than DXT_JSONL_MAX_LINE.
 */
int dxt_jsonl_read_line(struct dxt_jsonl_reader *r, const char **line,
			size_t *len, struct dxt_error *err);

/*
 * Reads the next line and appends it to `b` as one row (see
 * dxt_jsonl_append_line). Returns 1 when a row was appended, 0 at the end of
 * input, or a negative code. After DXT_EPARSE or DXT_ETYPE nothing was
 * appended and the reader stands after the bad line: the caller MAY record
 * it (dxt_jsonl_raw) and call again to continue.
 */
int dxt_jsonl_read_row(struct dxt_jsonl_reader *r, struct dxt_batch *b,
		       struct dxt_error *err);

/* Physical line number (1-based) of the last line returned; 0 before. */
uint64_t dxt_jsonl_line(const struct dxt_jsonl_reader *r);
/* The last line returned (for rejects files); valid until the next read. */
const char *dxt_jsonl_raw(const struct dxt_jsonl_reader *r, size_t *len);
/* The name given at creation. */
const char *dxt_jsonl_name(const struct dxt_jsonl_reader *r);
/* Frees the reader. NULL is a no-op. */
void dxt_jsonl_reader_destroy(struct dxt_jsonl_reader *r);

/*
 * Parses `text` (one JSON object, surrounding white space allowed) and
 * appends it as a row of `b`, whose schema gives names and types. `scratch`
 * is the caller's reusable buffer for unescaped strings and compacted
 * nested values (free it with dxt_buf_free when done). `file` MAY be NULL;
 * `line` is for messages.
 *
 * Returns DXT_OK with the row complete (dxt_batch_end_row was called), or,
 * with nothing appended: DXT_EPARSE for malformed JSON, a line that is not
 * an object or a duplicate key ("in.jsonl: line 4, column 17: expected ':'
 * after an object key"), DXT_ETYPE for a value that does not convert or a
 * null in a non-nullable field ("in.jsonl: line 4, field amount: \"12x\" is
 * not a decimal(12,2)"), DXT_ENOMEM.
 */
int dxt_jsonl_append_line(const char *text, size_t n, struct dxt_batch *b,
			  const char *file, uint64_t line,
			  struct dxt_buf *scratch, struct dxt_error *err);

/*
 * Appends a parsed JSON object as a row of `b`, with the mapping and errors
 * of dxt_jsonl_append_line (DXT_EPARSE when `obj` is not an object). Reals
 * arrive as doubles here, so a decimal field gets the double's shortest
 * text; prefer dxt_jsonl_append_line when the text is at hand.
 */
int dxt_jsonl_append_object(const json_t *obj, struct dxt_batch *b,
			    const char *file, uint64_t line,
			    struct dxt_error *err);

/*
 * Appends every row of `b` to `out` as one JSON object per line, keys in
 * schema order, values as convert.h's dxt_value_format_json writes them
 * (nulls as null). Returns DXT_OK or DXT_ENOMEM.
 */
int dxt_jsonl_write_batch(const struct dxt_batch *b, struct dxt_buf *out);

/*
 * Length of the valid UTF-8 sequence that starts at p (1 for ASCII, 2..4
 * otherwise), or 0 when the bytes there are not valid UTF-8 (overlong forms,
 * surrogates and code points past U+10FFFF included). p < end.
 */
size_t dxt_utf8_seq(const unsigned char *p, const unsigned char *end);

#endif /* DXT_JSONL_H */

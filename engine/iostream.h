/*
 * iostream.h - byte streams to and from files, with optional compression.
 *
 * The buffer writes parts through a dxt_ostream and reads them through a
 * dxt_istream. Both count bytes and keep a running CRC-32 of the bytes on
 * disk (after compression), which the manifest records and the reader
 * verifies. Codecs: none, zstd (libzstd streaming), gzip (zlib).
 *
 * A stream belongs to one thread at a time.
 */
#ifndef DXT_IOSTREAM_H
#define DXT_IOSTREAM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum dxt_codec {
	DXT_CODEC_NONE = 0,
	DXT_CODEC_ZSTD,
	DXT_CODEC_GZIP,
	DXT_CODEC_SNAPPY /* parquet pages only; not a stream codec */
};

/* "none", "zstd", "gzip", "snappy". */
const char *dxt_codec_name(enum dxt_codec codec);
/* Parses a codec name ("none" and "" give DXT_CODEC_NONE); -1 if unknown. */
int dxt_codec_parse(const char *name);
/* File name suffix for a stream codec: "", ".zst", ".gz". */
const char *dxt_codec_ext(enum dxt_codec codec);

struct dxt_ostream;

/*
 * Creates `path` (mode 0644, truncating) and returns a stream that writes
 * through `codec` at `level` (0 = codec default). The file is not synced or
 * renamed: dxt_ostream_close() does the fsync when asked.
 *
 * The defaults are the fastest levels, zstd 1 and gzip 1: staged data is
 * transient and read back once, so speed matters more than size. zstd up
 * to level 9 compresses on one helper thread (when libzstd has threads),
 * overlapping with the caller's encoding; higher levels compress inline,
 * where a cancellation can land between chunks (a helper's job at those
 * levels runs for seconds and cannot be cut short).
 */
int dxt_ostream_open(const char *path, enum dxt_codec codec, int level,
		     struct dxt_ostream **out, struct dxt_error *err);
/*
 * Makes writes check *cancel (MAY be NULL: never) before every 256 KiB of
 * input, and fail with DXT_ECANCELLED once it is non-zero, so that a
 * cancelled run does not wait for a large write to compress. The flag is
 * borrowed; it MUST outlive the stream.
 */
void dxt_ostream_set_cancel(struct dxt_ostream *s, const atomic_int *cancel);
/* Writes n bytes (buffered). */
int dxt_ostream_write(struct dxt_ostream *s, const void *p, size_t n,
		      struct dxt_error *err);
/* Uncompressed bytes accepted so far. */
uint64_t dxt_ostream_raw_bytes(const struct dxt_ostream *s);
/* Bytes written to the file so far (after compression, before close may
 * lag behind by what the codec still holds). */
uint64_t dxt_ostream_file_bytes(const struct dxt_ostream *s);
/*
 * Finishes the codec frame, flushes, optionally fsyncs, closes the file and
 * frees the stream. Reports the final file size and CRC-32 of the file's
 * bytes. On error the stream is still freed.
 */
int dxt_ostream_close(struct dxt_ostream *s, int do_fsync,
		      uint64_t *file_bytes, uint32_t *crc32,
		      struct dxt_error *err);
/* Closes and frees without finishing (the caller will unlink the file).
 * NULL is a no-op. */
void dxt_ostream_abort(struct dxt_ostream *s);

struct dxt_istream;

/* Opens `path` for reading through `codec`. */
int dxt_istream_open(const char *path, enum dxt_codec codec,
		     struct dxt_istream **out, struct dxt_error *err);
/*
 * Reads up to n decompressed bytes into p. Returns the count (> 0), 0 at
 * end of stream, or a negative DXT_E* code with err filled in.
 */
long dxt_istream_read(struct dxt_istream *s, void *p, size_t n,
		      struct dxt_error *err);
/* CRC-32 and byte count of the file bytes consumed so far (complete once
 * read returned 0). */
uint32_t dxt_istream_crc32(const struct dxt_istream *s);
uint64_t dxt_istream_file_bytes(const struct dxt_istream *s);
/* Closes and frees. NULL is a no-op. */
void dxt_istream_close(struct dxt_istream *s);

/* Writes a whole file atomically: temp name, fsync, rename, fsync dir. */
int dxt_write_file_atomic(const char *path, const void *p, size_t n,
			  struct dxt_error *err);
/* Reads a whole file into a NUL-terminated malloc'd buffer. */
int dxt_read_file(const char *path, char **data, size_t *len,
		  struct dxt_error *err);
/* mkdir -p with mode 0755. */
int dxt_mkdirs(const char *path, struct dxt_error *err);
/* rm -rf of a directory tree; missing is fine. */
int dxt_remove_tree(const char *path, struct dxt_error *err);
/* fsync of a directory (after a rename inside it). */
int dxt_fsync_dir(const char *path, struct dxt_error *err);

#endif /* DXT_IOSTREAM_H */

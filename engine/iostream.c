/*
 * iostream.c - buffered, optionally compressed file streams and the small
 * file-system helpers the buffer and the daemon share.
 *
 * Both directions move data through one large (1 MiB) buffer of file bytes,
 * so a part costs a few hundred syscalls, not one per record. The CRC-32 is
 * computed over exactly the bytes that go to or come from the disk, i.e.
 * after compression, which is what the manifest records.
 *
 * Default levels (level 0): zstd 1 and gzip 1. Staged data is transient and
 * read back once, so the fastest levels are the right trade: they keep the
 * codec well below the cost of encoding the records.
 */
#include "iostream.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#define IO_BUF_SIZE (1u << 20)
#define ZSTD_DEFAULT_LEVEL 1
#define GZIP_DEFAULT_LEVEL 1

/* --- codec names ---------------------------------------------------------- */

const char *dxt_codec_name(enum dxt_codec codec)
{
	switch (codec) {
	case DXT_CODEC_NONE:
		return "none";
	case DXT_CODEC_ZSTD:
		return "zstd";
	case DXT_CODEC_GZIP:
		return "gzip";
	case DXT_CODEC_SNAPPY:
		return "snappy";
	}
	return "unknown";
}

int dxt_codec_parse(const char *name)
{
	if (name == NULL || name[0] == '\0' || strcasecmp(name, "none") == 0)
		return DXT_CODEC_NONE;
	if (strcasecmp(name, "zstd") == 0)
		return DXT_CODEC_ZSTD;
	if (strcasecmp(name, "gzip") == 0 || strcasecmp(name, "gz") == 0)
		return DXT_CODEC_GZIP;
	if (strcasecmp(name, "snappy") == 0)
		return DXT_CODEC_SNAPPY;
	return -1;
}

const char *dxt_codec_ext(enum dxt_codec codec)
{
	switch (codec) {
	case DXT_CODEC_ZSTD:
		return ".zst";
	case DXT_CODEC_GZIP:
		return ".gz";
	default:
		return "";
	}
}

/* Whole-buffer write that retries short writes and EINTR. */
static int write_all(int fd, const void *p, size_t n, const char *path,
		     struct dxt_error *err)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return dxt_error_set(err, DXT_EIO, "%s: write failed: %s",
					     path, strerror(errno));
		}
		c += w;
		n -= (size_t)w;
	}
	return DXT_OK;
}

/* zlib's crc32 takes a uInt length: feed big ranges in slices. */
static uint32_t crc_update(uint32_t crc, const void *p, size_t n)
{
	const Bytef *b = p;

	while (n > 0) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
		crc = (uint32_t)crc32(crc, b, k);
		b += k;
		n -= k;
	}
	return crc;
}

/* --- output stream -------------------------------------------------------- */

struct dxt_ostream {
	int fd;
	char *path;
	enum dxt_codec codec;
	uint8_t *buf;   /* file bytes waiting to be written */
	size_t len;
	size_t cap;
	ZSTD_CCtx *zc;
	z_stream zs;
	bool zs_init;
	uint64_t raw;
	uint64_t file;  /* bytes handed to write(2) */
	uint32_t crc;
	const atomic_int *cancel; /* MAY be NULL */
};

/* Input handed to a codec between two looks at the cancel flag. */
#define OS_CANCEL_CHUNK (256u << 10)
/* The highest zstd level compressed on a helper thread. */
#define OS_ZSTD_MT_MAX_LEVEL 9

static int os_flush(struct dxt_ostream *s, struct dxt_error *err)
{
	int rc;

	if (s->len == 0)
		return DXT_OK;
	rc = write_all(s->fd, s->buf, s->len, s->path, err);
	if (rc != DXT_OK)
		return rc;
	s->crc = crc_update(s->crc, s->buf, s->len);
	s->file += s->len;
	s->len = 0;
	return DXT_OK;
}

static void os_free(struct dxt_ostream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	ZSTD_freeCCtx(s->zc);
	if (s->zs_init)
		deflateEnd(&s->zs);
	free(s->buf);
	free(s->path);
	free(s);
}

static int os_codec_init(struct dxt_ostream *s, int level,
			 struct dxt_error *err)
{
	if (s->codec == DXT_CODEC_ZSTD) {
		size_t r;

		s->zc = ZSTD_createCCtx();
		if (s->zc == NULL)
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
		r = ZSTD_CCtx_setParameter(s->zc, ZSTD_c_compressionLevel,
					   level ? level : ZSTD_DEFAULT_LEVEL);
		if (ZSTD_isError(r))
			return dxt_error_set(err, DXT_EINVAL,
					     "%s: zstd level %d: %s", s->path,
					     level, ZSTD_getErrorName(r));
		/*
		 * One worker thread lets compression run while the caller
		 * encodes the next batch. A libzstd built without threads
		 * refuses the parameter and compresses inline instead. Above
		 * level 9 a worker's job (4 windows of input) takes seconds
		 * that no write or abort can cut short: those compress
		 * inline, a chunk at a time (dxt_ostream_set_cancel()).
		 */
		if ((level ? level : ZSTD_DEFAULT_LEVEL) <= OS_ZSTD_MT_MAX_LEVEL)
			(void)ZSTD_CCtx_setParameter(s->zc, ZSTD_c_nbWorkers,
						     1);
		return DXT_OK;
	}
	if (s->codec == DXT_CODEC_GZIP) {
		int zl = level ? level : GZIP_DEFAULT_LEVEL;
		int r;

		if (zl < 1 || zl > 9)
			return dxt_error_set(err, DXT_EINVAL,
					     "%s: gzip level %d is out of range "
					     "(1..9)", s->path, level);
		memset(&s->zs, 0, sizeof(s->zs));
		r = deflateInit2(&s->zs, zl, Z_DEFLATED, 15 + 16, 8,
				 Z_DEFAULT_STRATEGY);
		if (r != Z_OK)
			return dxt_error_set(err, DXT_ENOMEM,
					     "%s: cannot start gzip: %s",
					     s->path, zError(r));
		s->zs_init = true;
		return DXT_OK;
	}
	if (s->codec != DXT_CODEC_NONE)
		return dxt_error_set(err, DXT_EUNSUPPORTED,
				     "%s: %s is not a stream codec (use none, "
				     "zstd or gzip)", s->path,
				     dxt_codec_name(s->codec));
	return DXT_OK;
}

int dxt_ostream_open(const char *path, enum dxt_codec codec, int level,
		     struct dxt_ostream **out, struct dxt_error *err)
{
	struct dxt_ostream *s;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	s->fd = -1;
	s->codec = codec;
	s->cap = IO_BUF_SIZE;
	s->path = strdup(path);
	s->buf = malloc(s->cap);
	if (s->path == NULL || s->buf == NULL) {
		os_free(s);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	rc = os_codec_init(s, level, err);
	if (rc != DXT_OK) {
		os_free(s);
		return rc;
	}
	s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (s->fd < 0) {
		rc = dxt_error_set(err, DXT_EIO, "%s: cannot create: %s", path,
				   strerror(errno));
		os_free(s);
		return rc;
	}
	*out = s;
	return DXT_OK;
}

/*
 * Runs the zstd compressor over `in` with directive `op` until the input is
 * consumed and (for flush/end) everything is written out.
 */
static int os_zstd(struct dxt_ostream *s, const void *p, size_t n,
		   ZSTD_EndDirective op, struct dxt_error *err)
{
	ZSTD_inBuffer in = {p, n, 0};

	for (;;) {
		ZSTD_outBuffer o = {s->buf, s->cap, s->len};
		size_t left = ZSTD_compressStream2(s->zc, &o, &in, op);
		int rc;

		if (ZSTD_isError(left))
			return dxt_error_set(err, DXT_EIO,
					     "%s: zstd compression failed: %s",
					     s->path, ZSTD_getErrorName(left));
		s->len = o.pos;
		if (s->len == s->cap) {
			rc = os_flush(s, err);
			if (rc != DXT_OK)
				return rc;
		}
		if (op == ZSTD_e_continue ? in.pos == in.size : left == 0)
			return DXT_OK;
	}
}

static int os_gzip(struct dxt_ostream *s, const void *p, size_t n, int flush,
		   struct dxt_error *err)
{
	const uint8_t *src = p;

	for (;;) {
		uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
		int r, rc;

		s->zs.next_in = (Bytef *)src;
		s->zs.avail_in = chunk;
		do {
			s->zs.next_out = s->buf + s->len;
			s->zs.avail_out = (uInt)(s->cap - s->len);
			r = deflate(&s->zs, n == chunk ? flush : Z_NO_FLUSH);
			if (r == Z_STREAM_ERROR)
				return dxt_error_set(err, DXT_EIO,
						     "%s: gzip compression "
						     "failed", s->path);
			s->len = s->cap - s->zs.avail_out;
			if (s->len == s->cap) {
				rc = os_flush(s, err);
				if (rc != DXT_OK)
					return rc;
			}
		} while (s->zs.avail_in > 0 ||
			 (n == chunk && flush == Z_FINISH &&
			  r != Z_STREAM_END) ||
			 s->zs.avail_out == 0);
		src += chunk;
		n -= chunk;
		if (n == 0)
			return DXT_OK;
	}
}

void dxt_ostream_set_cancel(struct dxt_ostream *s, const atomic_int *cancel)
{
	s->cancel = cancel;
}

/* Compresses n bytes, a chunk at a time when a cancel flag is set. */
static int os_compress(struct dxt_ostream *s, const uint8_t *p, size_t n,
		       struct dxt_error *err)
{
	while (n > 0) {
		size_t c = s->cancel && n > OS_CANCEL_CHUNK ? OS_CANCEL_CHUNK
							    : n;
		int rc;

		if (s->cancel && atomic_load(s->cancel))
			return dxt_error_set(err, DXT_ECANCELLED,
					     "cancelled");
		rc = s->codec == DXT_CODEC_ZSTD
			     ? os_zstd(s, p, c, ZSTD_e_continue, err)
			     : os_gzip(s, p, c, Z_NO_FLUSH, err);
		if (rc != DXT_OK)
			return rc;
		p += c;
		n -= c;
	}
	return DXT_OK;
}

int dxt_ostream_write(struct dxt_ostream *s, const void *p, size_t n,
		      struct dxt_error *err)
{
	int rc;

	if (n == 0)
		return DXT_OK;
	s->raw += n;
	if (s->codec == DXT_CODEC_ZSTD || s->codec == DXT_CODEC_GZIP)
		return os_compress(s, p, n, err);
	if (s->cap - s->len >= n) {
		memcpy(s->buf + s->len, p, n);
		s->len += n;
		return DXT_OK;
	}
	/* Large writes skip the copy: flush what is pending, write through. */
	rc = os_flush(s, err);
	if (rc != DXT_OK)
		return rc;
	if (n >= s->cap) {
		rc = write_all(s->fd, p, n, s->path, err);
		if (rc != DXT_OK)
			return rc;
		s->crc = crc_update(s->crc, p, n);
		s->file += n;
		return DXT_OK;
	}
	memcpy(s->buf, p, n);
	s->len = n;
	return DXT_OK;
}

uint64_t dxt_ostream_raw_bytes(const struct dxt_ostream *s)
{
	return s->raw;
}

uint64_t dxt_ostream_file_bytes(const struct dxt_ostream *s)
{
	return s->file + s->len;
}

int dxt_ostream_close(struct dxt_ostream *s, int do_fsync,
		      uint64_t *file_bytes, uint32_t *crc32_out,
		      struct dxt_error *err)
{
	int rc = DXT_OK;

	if (s->codec == DXT_CODEC_ZSTD)
		rc = os_zstd(s, NULL, 0, ZSTD_e_end, err);
	else if (s->codec == DXT_CODEC_GZIP)
		rc = os_gzip(s, NULL, 0, Z_FINISH, err);
	if (rc == DXT_OK)
		rc = os_flush(s, err);
	if (rc == DXT_OK && do_fsync && fsync(s->fd) != 0)
		rc = dxt_error_set(err, DXT_EIO, "%s: fsync failed: %s",
				   s->path, strerror(errno));
	if (rc == DXT_OK) {
		int fd = s->fd;

		s->fd = -1;
		if (close(fd) != 0)
			rc = dxt_error_set(err, DXT_EIO, "%s: close failed: %s",
					   s->path, strerror(errno));
	}
	if (file_bytes != NULL)
		*file_bytes = s->file;
	if (crc32_out != NULL)
		*crc32_out = s->crc;
	os_free(s);
	return rc;
}

void dxt_ostream_abort(struct dxt_ostream *s)
{
	if (s != NULL)
		os_free(s);
}

/* --- input stream --------------------------------------------------------- */

struct dxt_istream {
	int fd;
	char *path;
	enum dxt_codec codec;
	uint8_t *buf;   /* file bytes read but not yet consumed */
	size_t pos;
	size_t len;
	bool eof;       /* read(2) returned 0 */
	bool done;      /* end of stream reported */
	ZSTD_DCtx *zd;
	size_t zd_left; /* last ZSTD_decompressStream result: 0 = frame end */
	z_stream zs;
	bool zs_init;
	bool zs_member; /* inside a gzip member */
	uint64_t file;
	uint32_t crc;
};

void dxt_istream_close(struct dxt_istream *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	ZSTD_freeDCtx(s->zd);
	if (s->zs_init)
		inflateEnd(&s->zs);
	free(s->buf);
	free(s->path);
	free(s);
}

int dxt_istream_open(const char *path, enum dxt_codec codec,
		     struct dxt_istream **out, struct dxt_error *err)
{
	struct dxt_istream *s;
	int rc;

	*out = NULL;
	if (codec != DXT_CODEC_NONE && codec != DXT_CODEC_ZSTD &&
	    codec != DXT_CODEC_GZIP)
		return dxt_error_set(err, DXT_EUNSUPPORTED,
				     "%s: %s is not a stream codec (use none, "
				     "zstd or gzip)", path,
				     dxt_codec_name(codec));
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	s->fd = -1;
	s->codec = codec;
	s->path = strdup(path);
	s->buf = malloc(IO_BUF_SIZE);
	if (s->path == NULL || s->buf == NULL)
		goto nomem;
	if (codec == DXT_CODEC_ZSTD) {
		s->zd = ZSTD_createDCtx();
		if (s->zd == NULL)
			goto nomem;
	} else if (codec == DXT_CODEC_GZIP) {
		memset(&s->zs, 0, sizeof(s->zs));
		/* 15 + 32: accept gzip and zlib headers. */
		if (inflateInit2(&s->zs, 15 + 32) != Z_OK)
			goto nomem;
		s->zs_init = true;
	}
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0) {
		rc = dxt_error_set(err, errno == ENOENT ? DXT_ENOTFOUND
							: DXT_EIO,
				   "%s: cannot open: %s", path,
				   strerror(errno));
		dxt_istream_close(s);
		return rc;
	}
	*out = s;
	return DXT_OK;
nomem:
	dxt_istream_close(s);
	return dxt_error_set(err, DXT_ENOMEM, "out of memory");
}

/* Refills the file buffer once it is consumed. Sets eof at end of file. */
static int is_fill(struct dxt_istream *s, struct dxt_error *err)
{
	ssize_t r;

	if (s->pos < s->len || s->eof)
		return DXT_OK;
	do
		r = read(s->fd, s->buf, IO_BUF_SIZE);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return dxt_error_set(err, DXT_EIO, "%s: read failed: %s",
				     s->path, strerror(errno));
	s->pos = 0;
	s->len = (size_t)r;
	if (r == 0)
		s->eof = true;
	s->crc = crc_update(s->crc, s->buf, s->len);
	s->file += s->len;
	return DXT_OK;
}

static long is_read_zstd(struct dxt_istream *s, void *p, size_t n,
			 struct dxt_error *err)
{
	ZSTD_outBuffer o = {p, n, 0};

	while (o.pos == 0) {
		ZSTD_inBuffer in;
		bool at_end;
		int rc = is_fill(s, err);

		if (rc != DXT_OK)
			return rc;
		at_end = s->pos == s->len && s->eof;
		if (at_end && s->zd_left == 0)
			return 0;
		/*
		 * At the end of the file a call without input still flushes
		 * what the decoder holds; only when that yields nothing is
		 * the last frame incomplete.
		 */
		in.src = s->buf;
		in.size = s->len;
		in.pos = s->pos;
		s->zd_left = ZSTD_decompressStream(s->zd, &o, &in);
		if (ZSTD_isError(s->zd_left))
			return dxt_error_set(err, DXT_EPARSE,
					     "%s: corrupt zstd data: %s",
					     s->path,
					     ZSTD_getErrorName(s->zd_left));
		s->pos = in.pos;
		if (at_end && o.pos == 0)
			return dxt_error_set(err, DXT_EPARSE,
					     "%s: zstd data is truncated",
					     s->path);
	}
	return (long)o.pos;
}

static long is_read_gzip(struct dxt_istream *s, void *p, size_t n,
			 struct dxt_error *err)
{
	uInt want = n > (1u << 30) ? (1u << 30) : (uInt)n;

	s->zs.next_out = p;
	s->zs.avail_out = want;
	while (s->zs.avail_out == want) {
		bool at_end;
		int rc = is_fill(s, err), r;

		if (rc != DXT_OK)
			return rc;
		at_end = s->pos == s->len && s->eof;
		if (at_end && !s->zs_member)
			return 0;
		if (!s->zs_member) {
			/* A new member starts: concatenated gzip files. */
			inflateReset(&s->zs);
			s->zs_member = true;
		}
		s->zs.next_in = s->buf + s->pos;
		s->zs.avail_in = (uInt)(s->len - s->pos);
		r = inflate(&s->zs, Z_NO_FLUSH);
		s->pos = s->len - s->zs.avail_in;
		if (r == Z_STREAM_END) {
			s->zs_member = false;
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			return dxt_error_set(err, DXT_EPARSE,
					     "%s: corrupt gzip data: %s",
					     s->path,
					     s->zs.msg ? s->zs.msg : zError(r));
		}
		if (at_end && s->zs_member && s->zs.avail_out == want)
			return dxt_error_set(err, DXT_EPARSE,
					     "%s: gzip data is truncated",
					     s->path);
	}
	return (long)(want - s->zs.avail_out);
}

long dxt_istream_read(struct dxt_istream *s, void *p, size_t n,
		      struct dxt_error *err)
{
	size_t k;
	int rc;

	if (n == 0 || s->done)
		return 0;
	if (n > LONG_MAX)
		n = LONG_MAX;
	switch (s->codec) {
	case DXT_CODEC_ZSTD: {
		long r = is_read_zstd(s, p, n, err);
		if (r == 0)
			s->done = true;
		return r;
	}
	case DXT_CODEC_GZIP: {
		long r = is_read_gzip(s, p, n, err);
		if (r == 0)
			s->done = true;
		return r;
	}
	default:
		break;
	}
	rc = is_fill(s, err);
	if (rc != DXT_OK)
		return rc;
	if (s->pos == s->len) {
		s->done = true;
		return 0;
	}
	k = s->len - s->pos;
	if (k > n)
		k = n;
	memcpy(p, s->buf + s->pos, k);
	s->pos += k;
	return (long)k;
}

uint32_t dxt_istream_crc32(const struct dxt_istream *s)
{
	return s->crc;
}

uint64_t dxt_istream_file_bytes(const struct dxt_istream *s)
{
	return s->file;
}

/* --- file-system helpers -------------------------------------------------- */

/* Splits "a/b/c" into directory "a/b" (or "." when there is none). */
static int dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		dir[0] = '.';
		dir[1] = '\0';
		return DXT_OK;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= len)
		return DXT_EINVAL;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return DXT_OK;
}

int dxt_fsync_dir(const char *path, struct dxt_error *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = DXT_OK;

	if (fd < 0)
		return dxt_error_set(err, DXT_EIO, "%s: cannot open directory: "
				     "%s", path, strerror(errno));
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = dxt_error_set(err, DXT_EIO, "%s: fsync failed: %s", path,
				   strerror(errno));
	close(fd);
	return rc;
}

int dxt_write_file_atomic(const char *path, const void *p, size_t n,
			  struct dxt_error *err)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp) ||
	    dir_of(path, dir, sizeof(dir)) != DXT_OK)
		return dxt_error_set(err, DXT_EINVAL, "%s: path too long", path);
	/* mkstemp gives a name no concurrent writer of `path` shares. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return dxt_error_set(err, DXT_EIO, "%s: cannot create: %s", tmp,
				     strerror(errno));
	rc = write_all(fd, p, n, tmp, err);
	if (rc == DXT_OK && fchmod(fd, 0644) != 0)
		rc = dxt_error_set(err, DXT_EIO, "%s: chmod failed: %s", tmp,
				   strerror(errno));
	if (rc == DXT_OK && fsync(fd) != 0)
		rc = dxt_error_set(err, DXT_EIO, "%s: fsync failed: %s", tmp,
				   strerror(errno));
	if (close(fd) != 0 && rc == DXT_OK)
		rc = dxt_error_set(err, DXT_EIO, "%s: close failed: %s", tmp,
				   strerror(errno));
	if (rc == DXT_OK && rename(tmp, path) != 0)
		rc = dxt_error_set(err, DXT_EIO, "cannot rename %s to %s: %s",
				   tmp, path, strerror(errno));
	if (rc != DXT_OK) {
		unlink(tmp);
		return rc;
	}
	return dxt_fsync_dir(dir, err);
}

int dxt_read_file(const char *path, char **data, size_t *len,
		  struct dxt_error *err)
{
	struct stat st;
	size_t cap, n = 0;
	char *buf;
	int fd, rc = DXT_OK;

	*data = NULL;
	if (len != NULL)
		*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dxt_error_set(err, errno == ENOENT ? DXT_ENOTFOUND
							  : DXT_EIO,
				     "%s: cannot open: %s", path,
				     strerror(errno));
	/* Files whose size stat does not know (pipes, /proc) grow as read. */
	cap = fstat(fd, &st) == 0 && st.st_size > 0 ? (size_t)st.st_size + 1
						    : 4096;
	buf = malloc(cap);
	if (buf == NULL) {
		close(fd);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			char *nb = cap > SIZE_MAX / 2 ? NULL
						      : realloc(buf, cap * 2);
			if (nb == NULL) {
				rc = dxt_error_set(err, DXT_ENOMEM,
						   "out of memory");
				break;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = dxt_error_set(err, DXT_EIO, "%s: read failed: %s",
					   path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (rc != DXT_OK) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*data = buf;
	if (len != NULL)
		*len = n;
	return DXT_OK;
}

int dxt_mkdirs(const char *path, struct dxt_error *err)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	struct stat st;

	if (n == 0 || n >= sizeof(buf))
		return dxt_error_set(err, DXT_EINVAL, "\"%s\": invalid directory "
				     "path", path);
	memcpy(buf, path, n + 1);
	/* Create each prefix ending before a '/', then the whole path. */
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		if (buf[i - 1] == '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return dxt_error_set(err, DXT_EIO, "%s: cannot create "
					     "directory: %s", buf,
					     strerror(errno));
		buf[i] = path[i];
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return dxt_error_set(err, DXT_EIO, "%s: exists and is not a "
				     "directory", path);
	return DXT_OK;
}

/*
 * Removes the contents of the open directory `fd` (which it closes), using
 * *at() calls so that long paths and concurrent callers (nftw keeps global
 * state) are no problem. `path` is for messages only.
 */
static int remove_contents(int fd, const char *path, struct dxt_error *err)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int rc = DXT_OK;

	if (d == NULL) {
		close(fd);
		return dxt_error_set(err, DXT_EIO, "%s: cannot list: %s", path,
				     strerror(errno));
	}
	while (rc == DXT_OK && (errno = 0, e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		char sub[PATH_MAX];
		int cfd;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), name, 0) == 0 || errno == ENOENT)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			rc = dxt_error_set(err, DXT_EIO, "%s/%s: cannot remove: "
					   "%s", path, name, strerror(errno));
			break;
		}
		cfd = openat(dirfd(d), name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0) {
			rc = dxt_error_set(err, DXT_EIO, "%s/%s: cannot open: %s",
					   path, name, strerror(errno));
			break;
		}
		snprintf(sub, sizeof(sub), "%s/%s", path, name);
		rc = remove_contents(cfd, sub, err);
		if (rc == DXT_OK && unlinkat(dirfd(d), name, AT_REMOVEDIR) != 0 &&
		    errno != ENOENT)
			rc = dxt_error_set(err, DXT_EIO, "%s: cannot remove: %s",
					   sub, strerror(errno));
	}
	if (rc == DXT_OK && e == NULL && errno != 0)
		rc = dxt_error_set(err, DXT_EIO, "%s: cannot list: %s", path,
				   strerror(errno));
	closedir(d);
	return rc;
}

int dxt_remove_tree(const char *path, struct dxt_error *err)
{
	int fd, rc;

	if (unlink(path) == 0 || errno == ENOENT)
		return DXT_OK;
	if (errno != EISDIR && errno != EPERM)
		return dxt_error_set(err, DXT_EIO, "%s: cannot remove: %s", path,
				     strerror(errno));
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? DXT_OK
				       : dxt_error_set(err, DXT_EIO,
						       "%s: cannot open: %s",
						       path, strerror(errno));
	rc = remove_contents(fd, path, err);
	if (rc == DXT_OK && rmdir(path) != 0 && errno != ENOENT)
		rc = dxt_error_set(err, DXT_EIO, "%s: cannot remove: %s", path,
				   strerror(errno));
	return rc;
}

/*
 * input.c - one input file: plain, compressed, or an archive of members.
 *
 * Plain files are read with read(2) in the blocks the reader above asks for.
 * Compressed files and archives go through libarchive: every filter it
 * knows (gzip, zstd, bzip2, xz, ...) and, for single compressed files, the
 * "raw" format that hands out the decompressed bytes as one entry.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "providers/local/local.h"

#define ARCHIVE_BLOCK (1u << 20)

struct dxt__local_input {
	int fd;              /* plain files; -1 otherwise */
	struct archive *a;   /* compressed files and archives */
	bool members;        /* an archive: entries are files */
	int entries;         /* entries handed out so far */
	char *name;
};

int dxt__local_input_open(const char *path, const char *name,
			  const struct dxt_fs_kind *kind,
			  struct dxt__local_input **out, struct dxt_error *err)
{
	struct dxt__local_input *in = calloc(1, sizeof(*in));

	if (in == NULL || (in->name = strdup(name)) == NULL) {
		free(in);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	in->fd = -1;
	if (kind->archive == DXT_FS_ARCHIVE_NONE &&
	    kind->compression == DXT_FS_COMP_NONE) {
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0) {
			int e = errno;

			dxt__local_input_close(in);
			return dxt_error_set(err, e == ENOENT ? DXT_ENOTFOUND
							      : DXT_EIO,
					     "%s: cannot open: %s", name,
					     strerror(e));
		}
		posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		*out = in;
		return DXT_OK;
	}
	in->a = archive_read_new();
	if (in->a == NULL) {
		dxt__local_input_close(in);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	archive_read_support_filter_all(in->a);
	if (kind->archive != DXT_FS_ARCHIVE_NONE) {
		in->members = true;
		archive_read_support_format_all(in->a);
	} else {
		archive_read_support_format_raw(in->a);
	}
	if (archive_read_open_filename(in->a, path, ARCHIVE_BLOCK) !=
	    ARCHIVE_OK) {
		int rc = dxt_error_set(err, DXT_EIO, "%s: cannot open: %s",
				       name, archive_error_string(in->a));

		dxt__local_input_close(in);
		return rc;
	}
	*out = in;
	return DXT_OK;
}

int dxt__local_input_next(struct dxt__local_input *in, const char **member,
			  struct dxt_error *err)
{
	struct archive_entry *e;
	int r;

	*member = NULL;
	if (in->a == NULL)
		return in->entries++ == 0 ? 1 : 0;
	if (!in->members && in->entries > 0)
		return 0;
	for (;;) {
		r = archive_read_next_header(in->a, &e);
		if (r == ARCHIVE_EOF) {
			if (in->entries == 0 && !in->members)
				return dxt_error_set(err, DXT_EPARSE,
						     "%s: no data in the "
						     "compressed file",
						     in->name);
			return 0;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return dxt_error_set(err, DXT_EPARSE,
					     "%s: cannot read the %s: %s",
					     in->name,
					     in->members ? "archive"
							 : "compressed data",
					     archive_error_string(in->a));
		in->entries++;
		if (!in->members)
			return 1;
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		*member = archive_entry_pathname(e);
		if (*member == NULL)
			continue;
		return 1;
	}
}

long dxt__local_input_read(void *ctx, void *p, size_t n,
			   struct dxt_error *err)
{
	struct dxt__local_input *in = ctx;
	la_ssize_t got;

	if (in->a == NULL) {
		ssize_t k;

		do {
			k = read(in->fd, p, n);
		} while (k < 0 && errno == EINTR);
		if (k < 0)
			return dxt_error_set(err, DXT_EIO, "%s: read failed: %s",
					     in->name, strerror(errno));
		return (long)k;
	}
	got = archive_read_data(in->a, p, n);
	if (got < 0)
		return dxt_error_set(err, DXT_EPARSE, "%s: cannot decompress: "
				     "%s", in->name,
				     archive_error_string(in->a));
	return (long)got;
}

void dxt__local_input_close(struct dxt__local_input *in)
{
	if (in == NULL)
		return;
	if (in->fd >= 0)
		close(in->fd);
	if (in->a != NULL)
		archive_read_free(in->a);
	free(in->name);
	free(in);
}

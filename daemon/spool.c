/*
 * spool.c - measuring, removing and checking names in the spool.
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/iostream.h"

/* Deeper trees than this are not something dxt writes; stopping bounds
 * the recursion whatever a user put in the spool. */
#define DU_MAX_DEPTH 32

static uint64_t du_at(int dirfd, int depth)
{
	uint64_t total = 0;
	struct dirent *e;
	DIR *d;

	d = fdopendir(dirfd);
	if (d == NULL) {
		close(dirfd);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISREG(st.st_mode)) {
			total += (uint64_t)st.st_size;
		} else if (S_ISDIR(st.st_mode) && depth < DU_MAX_DEPTH) {
			int fd = openat(dirfd, e->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						O_CLOEXEC);
			if (fd >= 0)
				total += du_at(fd, depth + 1);
		}
	}
	closedir(d);
	return total;
}

uint64_t dxt_spool_du(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	return du_at(fd, 0);
}

int dxt_spool_remove(const char *dir, uint64_t *freed, struct dxt_error *err)
{
	uint64_t bytes = dxt_spool_du(dir);
	int rc;

	rc = dxt_remove_tree(dir, err);
	if (freed != NULL)
		*freed = rc == DXT_OK ? bytes : bytes - dxt_spool_du(dir);
	return rc;
}

void dxt_spool_human(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB",
					    "PiB"};
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

bool dxt_spool_name_ok(const char *name, bool allow_slash)
{
	const char *p = name, *seg = name;
	size_t len = strlen(name);

	if (len == 0 || len >= PATH_MAX || name[0] == '/')
		return false;
	for (;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - seg);

			if (n == 0 || (n == 1 && seg[0] == '.') ||
			    (n == 2 && seg[0] == '.' && seg[1] == '.'))
				return false;
			if (*p == '\0')
				return true;
			if (!allow_slash)
				return false;
			seg = p + 1;
		} else if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			return false;
		}
	}
}

int dxt_spool_probe(const char *dir, struct dxt_error *err)
{
	static atomic_uint seq;
	char path[PATH_MAX];
	int fd;

	/* Probes may run on several server threads at once: each its own
	 * file. */
	if (snprintf(path, sizeof(path), "%s/.probe-%ld-%u", dir,
		     (long)getpid(), atomic_fetch_add(&seq, 1)) >=
	    (int)sizeof(path))
		return dxt_error_set(err, DXT_EIO, "spool %s: path too long",
				     dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return dxt_error_set(err, DXT_EIO,
				     "spool %s is not writable: %s", dir,
				     strerror(errno));
	if (write(fd, "ok\n", 3) != 3) {
		int e = errno;

		close(fd);
		unlink(path);
		return dxt_error_set(err, DXT_EIO,
				     "spool %s: cannot write a file: %s", dir,
				     strerror(e));
	}
	close(fd);
	unlink(path);
	return DXT_OK;
}

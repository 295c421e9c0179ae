/*
 * buffer.c - /v1/runs/{id}/buffer: what a run staged, its records, and its
 * files as bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void dxt__api_buffer_list(const struct dxt_api_call *c,
			  struct dxt_api_reply *r)
{
	struct dxt_error err;
	json_t *out = NULL;
	int rc;

	dxt_error_clear(&err);
	rc = dxt_svc_buffer_list(c->svc, c->m->params[0], &out, &err);
	dxt_api_reply_result(r, rc, 200, out, &err, NULL);
}

void dxt__api_buffer_records(const struct dxt_api_call *c,
			     struct dxt_api_reply *r)
{
	struct dxt_error err;
	json_t *out = NULL;
	int rc;

	dxt_error_clear(&err);
	rc = dxt_svc_buffer_records(c->svc, c->m->params[0], c->m->params[1],
				    c->m->qnum[0], c->m->qnum[1], &out, &err);
	dxt_api_reply_result(r, rc, 200, out, &err, NULL);
}

/* Content-Disposition naming the file's last component, encoded as RFC
 * 6266 asks so that any byte of the name is safe in the header. */
static char *disposition(const char *name)
{
	const char *base = strrchr(name, '/');
	size_t need;
	char *out;

	base = base ? base + 1 : name;
	need = dxt_api_pct_encode(base, NULL, 0);
	out = malloc(need + 40);
	if (out == NULL)
		return NULL;
	memcpy(out, "attachment; filename*=UTF-8''", 29);
	dxt_api_pct_encode(base, out + 29, need + 1);
	return out;
}

void dxt__api_buffer_file(const struct dxt_api_call *c,
			  struct dxt_api_reply *r)
{
	const char *name = c->m->params[2];
	struct dxt_error err;
	uint64_t size = 0;
	int fd = -1, rc;

	dxt_error_clear(&err);
	rc = dxt_svc_buffer_file(c->svc, c->m->params[0], c->m->params[1],
				 name, &fd, &size, &err);
	if (rc != DXT_OK) {
		dxt_api_reply_svc_error(r, rc, &err, NULL);
		return;
	}
	r->status = 200;
	r->content_type = DXT_API_CT_BYTES;
	r->fd = fd;
	r->fd_size = size;
	r->disposition = disposition(name);
}

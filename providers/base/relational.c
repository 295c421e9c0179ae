/*
 * relational.c - stream blocks, identifiers and SQL text shared by the
 * relational providers (see relational.h).
 */
#include "providers/base/relational.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/convert.h"

/* Every SQL builder keeps its output NUL-terminated for client libraries. */
static int terminate(struct dxt_buf *out)
{
	if (dxt_buf_reserve(out, 1) != DXT_OK)
		return DXT_ENOMEM;
	out->data[out->len] = '\0';
	return DXT_OK;
}

/* --- blocks of a stream --------------------------------------------------- */

const char *dxt_rel_source_type_name(enum dxt_rel_source_type t)
{
	switch (t) {
	case DXT_REL_RELATION:
		return "relation";
	case DXT_REL_SQL:
		return "sql";
	case DXT_REL_FUNCTION:
		return "function";
	}
	return "unknown";
}

int dxt_rel_check_keys(const json_t *obj, const char *const *allowed,
		       const char *where, struct dxt_error *err)
{
	const char *key;
	json_t *value;
	char list[256];
	size_t len = 0;

	if (!json_is_object(obj))
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "%s: expected an object of settings",
				      where);
	json_object_foreach((json_t *)obj, key, value) {
		size_t i;

		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] != NULL)
			continue;
		list[0] = '\0';
		len = 0;
		for (i = 0; allowed[i] != NULL && len < sizeof(list); i++)
			len += (size_t)snprintf(list + len, sizeof(list) - len,
						"%s%s", i ? ", " : "",
						allowed[i]);
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "%s: unknown key \"%s\"; allowed keys "
				      "are %s",
				      where, key, list);
	}
	return DXT_OK;
}

/* Reads an optional non-empty string; *out stays NULL when absent. */
static int opt_string(const json_t *obj, const char *key, const char *where,
		      const char **out, struct dxt_error *err)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return DXT_OK;
	if (!json_is_string(v) || json_string_length(v) == 0)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "%s: \"%s\" must be a non-empty string",
				      where, key);
	*out = json_string_value(v);
	return DXT_OK;
}

/* Copies SQL text without the trailing semicolons and white space that a
 * YAML block scalar leaves, so it can be wrapped in a subquery. */
static char *trim_sql(const char *s)
{
	size_t n = strlen(s);
	char *copy;

	while (n > 0 && (s[n - 1] == ';' || s[n - 1] == ' ' ||
			 s[n - 1] == '\t' || s[n - 1] == '\n' ||
			 s[n - 1] == '\r'))
		n--;
	copy = malloc(n + 1);
	if (copy == NULL)
		return NULL;
	memcpy(copy, s, n);
	copy[n] = '\0';
	return copy;
}

int dxt_rel_source_parse(const json_t *source, struct dxt_rel_source *out,
			 struct dxt_error *err)
{
	static const char *const keys[] = {"type", "relation", "table", "sql",
					   "function", NULL};
	const char *type = NULL, *relation, *table, *sql, *function;
	const char *text = NULL;
	int given = 0;

	memset(out, 0, sizeof(*out));
	DXT_RETURN_NOT_OK(dxt_rel_check_keys(source, keys, "source", err));
	DXT_RETURN_NOT_OK(opt_string(source, "type", "source", &type, err));
	DXT_RETURN_NOT_OK(
		opt_string(source, "relation", "source", &relation, err));
	DXT_RETURN_NOT_OK(opt_string(source, "table", "source", &table, err));
	DXT_RETURN_NOT_OK(opt_string(source, "sql", "source", &sql, err));
	DXT_RETURN_NOT_OK(
		opt_string(source, "function", "source", &function, err));
	if (relation != NULL && table != NULL)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "source: give either \"relation\" or "
				      "\"table\", not both");
	if (relation == NULL)
		relation = table;
	given = (relation != NULL) + (sql != NULL) + (function != NULL);

	if (type == NULL) {
		if (given == 0)
			return dxt_error_setc(
				err, DXT_ECONFIG, DXT_TERMINAL,
				DXT_ORIGIN_CONFIG,
				"source: name what to read with \"relation\" "
				"(a table or view), \"sql\" (a query) or "
				"\"function\" (a table-valued function)");
		if (given > 1)
			return dxt_error_setc(
				err, DXT_ECONFIG, DXT_TERMINAL,
				DXT_ORIGIN_CONFIG,
				"source: \"relation\", \"sql\" and "
				"\"function\" exclude each other; give one, "
				"or say which with \"type\"");
		out->type = relation ? DXT_REL_RELATION
				     : sql ? DXT_REL_SQL : DXT_REL_FUNCTION;
	} else if (strcmp(type, "relation") == 0) {
		out->type = DXT_REL_RELATION;
	} else if (strcmp(type, "sql") == 0) {
		out->type = DXT_REL_SQL;
	} else if (strcmp(type, "function") == 0) {
		out->type = DXT_REL_FUNCTION;
	} else {
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "source: type \"%s\" is not one of "
				      "relation, sql, function",
				      type);
	}

	switch (out->type) {
	case DXT_REL_RELATION:
		text = relation;
		break;
	case DXT_REL_SQL:
		text = sql;
		break;
	case DXT_REL_FUNCTION:
		text = function;
		break;
	}
	if (text == NULL)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "source: type %s needs the key \"%s\"",
				      dxt_rel_source_type_name(out->type),
				      dxt_rel_source_type_name(out->type));
	if (given > 1)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "source: type %s takes only the key "
				      "\"%s\"; remove the others",
				      dxt_rel_source_type_name(out->type),
				      dxt_rel_source_type_name(out->type));

	if (out->type == DXT_REL_SQL) {
		out->text = trim_sql(text);
		if (out->text != NULL && out->text[0] == '\0') {
			free(out->text);
			out->text = NULL;
			return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
					      DXT_ORIGIN_CONFIG,
					      "source: \"sql\" holds no query");
		}
	} else if (out->type == DXT_REL_FUNCTION && strchr(text, '(') == NULL) {
		size_t n = strlen(text);

		out->text = malloc(n + 3);
		if (out->text != NULL) {
			memcpy(out->text, text, n);
			memcpy(out->text + n, "()", 3);
		}
	} else {
		out->text = strdup(text);
	}
	if (out->text == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	return DXT_OK;
}

void dxt_rel_source_free(struct dxt_rel_source *s)
{
	free(s->text);
	s->text = NULL;
}

int dxt_rel_target_parse(const json_t *target, struct dxt_rel_target *out,
			 struct dxt_error *err)
{
	static const char *const keys[] = {"name", "table", "type", "create",
					   NULL};
	const char *name, *table, *type;
	const json_t *create;

	memset(out, 0, sizeof(*out));
	out->create = true;
	DXT_RETURN_NOT_OK(dxt_rel_check_keys(target, keys, "target", err));
	DXT_RETURN_NOT_OK(opt_string(target, "name", "target", &name, err));
	DXT_RETURN_NOT_OK(opt_string(target, "table", "target", &table, err));
	DXT_RETURN_NOT_OK(opt_string(target, "type", "target", &type, err));
	if (type != NULL && strcmp(type, "relation") != 0)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "target: type \"%s\" is not supported "
				      "by a relational loader; use relation",
				      type);
	if (name != NULL && table != NULL && strcmp(name, table) != 0)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "target: give either \"name\" or "
				      "\"table\", not both");
	if (name == NULL)
		name = table;
	if (name == NULL)
		return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
				      DXT_ORIGIN_CONFIG,
				      "target: name the table to load with "
				      "\"name\" (or write `target: TABLE`)");
	create = json_object_get(target, "create");
	if (create != NULL) {
		if (!json_is_boolean(create))
			return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
					      DXT_ORIGIN_CONFIG,
					      "target: \"create\" must be true "
					      "or false");
		out->create = json_is_true(create);
	}
	out->name = strdup(name);
	if (out->name == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	return DXT_OK;
}

void dxt_rel_target_free(struct dxt_rel_target *t)
{
	free(t->name);
	t->name = NULL;
}

/* --- identifiers ---------------------------------------------------------- */

void dxt_rel_name_free(struct dxt_rel_name *n)
{
	for (size_t i = 0; i < DXT_REL_NAME_MAX_PARTS; i++) {
		free(n->parts[i]);
		n->parts[i] = NULL;
	}
	n->n = 0;
}

static int name_error(struct dxt_error *err, const char *text,
		      const char *why)
{
	return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL, DXT_ORIGIN_CONFIG,
			      "name \"%s\": %s", text, why);
}

int dxt_rel_name_parse(const char *text, struct dxt_rel_name *out,
		       struct dxt_error *err)
{
	const char *s = text;
	size_t len = strlen(text);
	char *part;

	memset(out, 0, sizeof(*out));
	for (;;) {
		size_t n = 0;

		if (out->n == DXT_REL_NAME_MAX_PARTS) {
			dxt_rel_name_free(out);
			return name_error(err, text,
					  "more than three dotted parts; "
					  "quote a part that holds a dot "
					  "(\"my.table\")");
		}
		/* A part is never longer than the whole text. */
		part = malloc(len + 1);
		if (part == NULL) {
			dxt_rel_name_free(out);
			return dxt_error_set(err, DXT_ENOMEM, "out of memory");
		}
		out->parts[out->n++] = part;
		if (*s == '"') {
			s++;
			for (;;) {
				if (*s == '\0') {
					dxt_rel_name_free(out);
					return name_error(err, text,
							  "unterminated quote");
				}
				if (*s == '"') {
					if (s[1] != '"')
						break;
					s++;
				}
				part[n++] = *s++;
			}
			s++;
			if (*s != '.' && *s != '\0') {
				dxt_rel_name_free(out);
				return name_error(err, text,
						  "expected a dot after a "
						  "quoted part");
			}
		} else {
			while (*s != '.' && *s != '\0')
				part[n++] = *s++;
		}
		part[n] = '\0';
		if (n == 0) {
			dxt_rel_name_free(out);
			return name_error(err, text, "empty part");
		}
		if (*s == '\0')
			return DXT_OK;
		s++; /* the dot */
	}
}

int dxt_rel_quote_ident(struct dxt_buf *out, const char *ident)
{
	DXT_RETURN_NOT_OK(dxt_buf_putc(out, '"'));
	for (const char *p = ident; *p != '\0'; p++) {
		if (*p == '"')
			DXT_RETURN_NOT_OK(dxt_buf_putc(out, '"'));
		DXT_RETURN_NOT_OK(dxt_buf_putc(out, *p));
	}
	DXT_RETURN_NOT_OK(dxt_buf_putc(out, '"'));
	return terminate(out);
}

int dxt_rel_quote_name(struct dxt_buf *out, const struct dxt_rel_name *n,
		       const char *suffix)
{
	for (size_t i = 0; i < n->n; i++) {
		if (i > 0)
			DXT_RETURN_NOT_OK(dxt_buf_putc(out, '.'));
		DXT_RETURN_NOT_OK(dxt_rel_quote_ident(out, n->parts[i]));
		if (i + 1 < n->n || suffix == NULL)
			continue;
		/* The last part and the suffix are one identifier. */
		out->len--; /* the closing quote */
		for (const char *p = suffix; *p != '\0'; p++) {
			if (*p == '"')
				DXT_RETURN_NOT_OK(dxt_buf_putc(out, '"'));
			DXT_RETURN_NOT_OK(dxt_buf_putc(out, *p));
		}
		DXT_RETURN_NOT_OK(dxt_buf_putc(out, '"'));
	}
	return terminate(out);
}

int dxt_rel_quote_literal(struct dxt_buf *out, const char *text)
{
	DXT_RETURN_NOT_OK(dxt_buf_putc(out, '\''));
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\'')
			DXT_RETURN_NOT_OK(dxt_buf_putc(out, '\''));
		DXT_RETURN_NOT_OK(dxt_buf_putc(out, *p));
	}
	DXT_RETURN_NOT_OK(dxt_buf_putc(out, '\''));
	return terminate(out);
}

/* --- type mapping --------------------------------------------------------- */

static bool is_key(const char *name, const char *const *keys, size_t nkeys)
{
	for (size_t i = 0; i < nkeys; i++)
		if (strcmp(name, keys[i]) == 0)
			return true;
	return false;
}

static int column_def(struct dxt_buf *out, const struct dxt_field *f,
		      unsigned flags, bool not_null,
		      const struct dxt_rel_type_mapper *tm,
		      struct dxt_error *err)
{
	char native[128];

	DXT_RETURN_NOT_OK(tm->to_native(f, flags, native, sizeof(native), err));
	DXT_RETURN_NOT_OK(dxt_rel_quote_ident(out, f->name));
	if (native[0] != '\0') {
		DXT_RETURN_NOT_OK(dxt_buf_putc(out, ' '));
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, native));
	}
	if (not_null)
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, " NOT NULL"));
	return terminate(out);
}

int dxt_rel_column_def_sql(struct dxt_buf *out, const struct dxt_field *f,
			   const struct dxt_rel_type_mapper *tm,
			   struct dxt_error *err)
{
	return column_def(out, f, 0, false, tm, err);
}

int dxt_rel_create_table_sql(struct dxt_buf *out,
			     const struct dxt_rel_name *table,
			     const char *suffix,
			     const struct dxt_schema *schema, const bool *skip,
			     const struct dxt_rel_type_mapper *tm,
			     const char *const *keys, size_t nkeys,
			     struct dxt_error *err)
{
	bool first = true;

	for (size_t k = 0; k < nkeys; k++)
		if (dxt_schema_find(schema, keys[k]) < 0)
			return dxt_error_setc(err, DXT_ECONFIG, DXT_TERMINAL,
					      DXT_ORIGIN_CONFIG,
					      "key column \"%s\" is not a "
					      "field of the data",
					      keys[k]);
	DXT_RETURN_NOT_OK(dxt_buf_puts(out, "CREATE TABLE "));
	DXT_RETURN_NOT_OK(dxt_rel_quote_name(out, table, suffix));
	DXT_RETURN_NOT_OK(dxt_buf_puts(out, " ("));
	for (size_t i = 0; i < schema->n; i++) {
		const struct dxt_field *f = &schema->fields[i];
		unsigned flags = 0;

		if (skip != NULL && skip[i])
			continue;
		if (is_key(f->name, keys, nkeys))
			flags = DXT_REL_COL_KEY |
				(nkeys == 1 ? DXT_REL_COL_SOLE_KEY : 0);
		if (!first)
			DXT_RETURN_NOT_OK(dxt_buf_puts(out, ", "));
		first = false;
		DXT_RETURN_NOT_OK(column_def(out, f, flags,
					     !f->nullable || flags != 0, tm,
					     err));
	}
	if (first)
		return dxt_error_setc(err, DXT_ESCHEMA, DXT_TERMINAL,
				      DXT_ORIGIN_TARGET,
				      "cannot create table \"%s\": the data "
				      "has no columns",
				      dxt_rel_name_table(table));
	if (nkeys > 0) {
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, ", PRIMARY KEY ("));
		for (size_t k = 0; k < nkeys; k++) {
			if (k > 0)
				DXT_RETURN_NOT_OK(dxt_buf_puts(out, ", "));
			DXT_RETURN_NOT_OK(dxt_rel_quote_ident(out, keys[k]));
		}
		DXT_RETURN_NOT_OK(dxt_buf_putc(out, ')'));
	}
	DXT_RETURN_NOT_OK(dxt_buf_putc(out, ')'));
	return terminate(out);
}

/* --- statements ----------------------------------------------------------- */

static int param(struct dxt_buf *out, enum dxt_rel_param_style style,
		 size_t number)
{
	char tmp[32];

	if (style == DXT_REL_PARAM_QMARK)
		return dxt_buf_putc(out, '?');
	snprintf(tmp, sizeof(tmp), "$%zu", number);
	return dxt_buf_puts(out, tmp);
}

static int base_query(struct dxt_buf *out, const struct dxt_rel_source *src,
		      struct dxt_error *err)
{
	struct dxt_rel_name name;
	int rc;

	switch (src->type) {
	case DXT_REL_SQL:
		return dxt_buf_puts(out, src->text);
	case DXT_REL_FUNCTION:
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, "SELECT * FROM "));
		return dxt_buf_puts(out, src->text);
	case DXT_REL_RELATION:
		break;
	}
	DXT_RETURN_NOT_OK(dxt_rel_name_parse(src->text, &name, err));
	rc = dxt_buf_puts(out, "SELECT * FROM ");
	if (rc == DXT_OK)
		rc = dxt_rel_quote_name(out, &name, NULL);
	dxt_rel_name_free(&name);
	return rc;
}

int dxt_rel_select_sql(struct dxt_buf *out, const struct dxt_rel_source *src,
		       const char *watermark_field, bool bind_watermark,
		       enum dxt_rel_param_style style, struct dxt_error *err)
{
	int rc;

	if (watermark_field == NULL) {
		rc = base_query(out, src, err);
		return rc == DXT_OK ? terminate(out) : rc;
	}
	DXT_RETURN_NOT_OK(dxt_buf_puts(out, "SELECT * FROM ("));
	/* A line break ends any trailing "--" comment of the user's SQL. */
	DXT_RETURN_NOT_OK(base_query(out, src, err));
	DXT_RETURN_NOT_OK(dxt_buf_puts(out, "\n) AS \"dxt_src\""));
	if (bind_watermark) {
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, " WHERE "));
		DXT_RETURN_NOT_OK(dxt_rel_quote_ident(out, watermark_field));
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, " > "));
		DXT_RETURN_NOT_OK(param(out, style, 1));
	}
	DXT_RETURN_NOT_OK(dxt_buf_puts(out, " ORDER BY "));
	DXT_RETURN_NOT_OK(dxt_rel_quote_ident(out, watermark_field));
	return terminate(out);
}

int dxt_rel_insert_sql(struct dxt_buf *out, const struct dxt_rel_name *table,
		       const char *suffix, const char *const *cols,
		       size_t ncols, size_t nrows,
		       enum dxt_rel_param_style style, const char *const *keys,
		       size_t nkeys, struct dxt_error *err)
{
	size_t number = 1;
	bool any_set = false;

	if (ncols == 0 || nrows == 0)
		return dxt_error_set(err, DXT_EINVAL,
				     "an INSERT needs at least one column "
				     "and one row");
	DXT_RETURN_NOT_OK(dxt_buf_puts(out, "INSERT INTO "));
	DXT_RETURN_NOT_OK(dxt_rel_quote_name(out, table, suffix));
	DXT_RETURN_NOT_OK(dxt_buf_puts(out, " ("));
	for (size_t c = 0; c < ncols; c++) {
		if (c > 0)
			DXT_RETURN_NOT_OK(dxt_buf_puts(out, ", "));
		DXT_RETURN_NOT_OK(dxt_rel_quote_ident(out, cols[c]));
	}
	DXT_RETURN_NOT_OK(dxt_buf_puts(out, ") VALUES "));
	for (size_t r = 0; r < nrows; r++) {
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, r > 0 ? ", (" : "("));
		for (size_t c = 0; c < ncols; c++) {
			if (c > 0)
				DXT_RETURN_NOT_OK(dxt_buf_puts(out, ", "));
			DXT_RETURN_NOT_OK(param(out, style, number++));
		}
		DXT_RETURN_NOT_OK(dxt_buf_putc(out, ')'));
	}
	if (nkeys > 0) {
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, " ON CONFLICT ("));
		for (size_t k = 0; k < nkeys; k++) {
			if (k > 0)
				DXT_RETURN_NOT_OK(dxt_buf_puts(out, ", "));
			DXT_RETURN_NOT_OK(dxt_rel_quote_ident(out, keys[k]));
		}
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, ") DO "));
		for (size_t c = 0; c < ncols; c++) {
			if (is_key(cols[c], keys, nkeys))
				continue;
			DXT_RETURN_NOT_OK(dxt_buf_puts(
				out, any_set ? ", " : "UPDATE SET "));
			any_set = true;
			DXT_RETURN_NOT_OK(dxt_rel_quote_ident(out, cols[c]));
			DXT_RETURN_NOT_OK(dxt_buf_puts(out, " = excluded."));
			DXT_RETURN_NOT_OK(dxt_rel_quote_ident(out, cols[c]));
		}
		if (!any_set)
			DXT_RETURN_NOT_OK(dxt_buf_puts(out, "NOTHING"));
	}
	return terminate(out);
}

/* --- schema comparison ---------------------------------------------------- */

static int int_rank(enum dxt_type t)
{
	switch (t) {
	case DXT_TYPE_INT8:
		return 1;
	case DXT_TYPE_INT16:
		return 2;
	case DXT_TYPE_INT32:
		return 3;
	case DXT_TYPE_INT64:
		return 4;
	default:
		return 0;
	}
}

bool dxt_rel_type_widens(const struct dxt_field *from,
			 const struct dxt_field *to)
{
	int rf = int_rank(from->type), rt = int_rank(to->type);

	if (to->type == DXT_TYPE_NULL || from->type == DXT_TYPE_NULL)
		return true;
	if (from->type == DXT_TYPE_DECIMAL && to->type == DXT_TYPE_DECIMAL)
		return to->scale >= from->scale &&
		       to->precision - to->scale >=
			       from->precision - from->scale;
	if (from->type == to->type)
		return true;
	if (rf > 0 && rt > 0)
		return rf <= rt;
	if (to->type == DXT_TYPE_FLOAT64)
		return (rf > 0 && rf <= 3) || from->type == DXT_TYPE_FLOAT32;
	if (to->type == DXT_TYPE_DECIMAL && rf > 0) {
		static const int digits[] = {0, 3, 5, 10, 19};
		return to->precision - to->scale >= digits[rf];
	}
	return false;
}

static bool same_name(const char *a, const char *b, bool ignore_case)
{
	return ignore_case ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

void dxt_rel_schema_diff_free(struct dxt_rel_schema_diff *d)
{
	free(d->table_col);
	free(d->new_fields);
	free(d->missing_cols);
	free(d->changed_fields);
	memset(d, 0, sizeof(*d));
}

int dxt_rel_schema_diff(const struct dxt_schema *data,
			const struct dxt_schema *table, bool ignore_case,
			struct dxt_rel_schema_diff *out)
{
	memset(out, 0, sizeof(*out));
	/* One extra slot each, so that empty schemas still allocate. */
	out->table_col = calloc(data->n + 1, sizeof(int));
	out->new_fields = calloc(data->n + 1, sizeof(size_t));
	out->changed_fields = calloc(data->n + 1, sizeof(size_t));
	out->missing_cols = calloc(table->n + 1, sizeof(size_t));
	if (out->table_col == NULL || out->new_fields == NULL ||
	    out->changed_fields == NULL || out->missing_cols == NULL) {
		dxt_rel_schema_diff_free(out);
		return DXT_ENOMEM;
	}
	for (size_t i = 0; i < data->n; i++) {
		const struct dxt_field *f = &data->fields[i];
		int found = -1;

		/* An exact match wins over one that differs in case. */
		for (size_t j = 0; j < table->n && found < 0; j++)
			if (strcmp(f->name, table->fields[j].name) == 0)
				found = (int)j;
		for (size_t j = 0; j < table->n && found < 0; j++)
			if (same_name(f->name, table->fields[j].name,
				      ignore_case))
				found = (int)j;
		out->table_col[i] = found;
		if (found < 0)
			out->new_fields[out->n_new++] = i;
		else if (!dxt_rel_type_widens(f, &table->fields[found]))
			out->changed_fields[out->n_changed++] = i;
	}
	for (size_t j = 0; j < table->n; j++) {
		bool used = false;

		for (size_t i = 0; i < data->n && !used; i++)
			used = out->table_col[i] == (int)j;
		if (!used)
			out->missing_cols[out->n_missing++] = j;
	}
	return DXT_OK;
}

bool dxt_rel_schema_diff_empty(const struct dxt_rel_schema_diff *d)
{
	return d->n_new == 0 && d->n_missing == 0 && d->n_changed == 0;
}

static int describe_type(struct dxt_buf *out, const struct dxt_field *f)
{
	char type[64];

	if (f->type == DXT_TYPE_NULL && f->native != NULL &&
	    f->native[0] != '\0')
		snprintf(type, sizeof(type), "%s", f->native);
	else if (f->type == DXT_TYPE_NULL)
		snprintf(type, sizeof(type), "untyped");
	else
		dxt_field_type_string(f, type, sizeof(type));
	DXT_RETURN_NOT_OK(dxt_buf_puts(out, type));
	if (f->type != DXT_TYPE_NULL && f->native != NULL &&
	    f->native[0] != '\0') {
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, " ("));
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, f->native));
		DXT_RETURN_NOT_OK(dxt_buf_putc(out, ')'));
	}
	return DXT_OK;
}

/* Starts the next item of a description. */
static int item(struct dxt_buf *out, bool *first)
{
	int rc = dxt_buf_puts(out, *first ? "column " : "; column ");

	*first = false;
	return rc;
}

int dxt_rel_schema_diff_describe(const struct dxt_rel_schema_diff *d,
				 const struct dxt_schema *data,
				 const struct dxt_schema *table,
				 struct dxt_buf *out)
{
	bool first = true;

	for (size_t k = 0; k < d->n_new; k++) {
		const struct dxt_field *f = &data->fields[d->new_fields[k]];
		char type[64];

		dxt_field_type_string(f, type, sizeof(type));
		DXT_RETURN_NOT_OK(item(out, &first));
		DXT_RETURN_NOT_OK(dxt_rel_quote_ident(out, f->name));
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, " ("));
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, type));
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, ") is not in the table"));
	}
	for (size_t k = 0; k < d->n_missing; k++) {
		const struct dxt_field *f = &table->fields[d->missing_cols[k]];

		DXT_RETURN_NOT_OK(item(out, &first));
		DXT_RETURN_NOT_OK(dxt_rel_quote_ident(out, f->name));
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, " ("));
		DXT_RETURN_NOT_OK(describe_type(out, f));
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, ") is not in the data"));
	}
	for (size_t k = 0; k < d->n_changed; k++) {
		size_t i = d->changed_fields[k];
		const struct dxt_field *f = &data->fields[i];
		char type[64];

		dxt_field_type_string(f, type, sizeof(type));
		DXT_RETURN_NOT_OK(item(out, &first));
		DXT_RETURN_NOT_OK(dxt_rel_quote_ident(out, f->name));
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, " is "));
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, type));
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, " in the data but "));
		DXT_RETURN_NOT_OK(
			describe_type(out, &table->fields[d->table_col[i]]));
		DXT_RETURN_NOT_OK(dxt_buf_puts(out, " in the table"));
	}
	return terminate(out);
}

/* --- reading ahead ------------------------------------------------------- */

struct dxt_rel_prefetch {
	struct dxt_buffer_reader *in;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;  /* a slot was filled or freed, or stop */
	size_t depth;
	struct dxt_batch *slots; /* ring of depth batches */
	size_t head;             /* oldest full slot */
	size_t nfull;            /* full slots, the caller's one included */
	bool holding;            /* the caller holds slots[head] */
	bool done;               /* the thread has finished */
	bool stop;
	int rc;                  /* the reader's last result when done */
	struct dxt_error err;
};

/* Copies a batch into dst, reusing dst's memory. */
static int batch_copy(struct dxt_batch *dst, const struct dxt_batch *src)
{
	if (dst->schema != src->schema || dst->ncols != src->ncols) {
		dxt_batch_release(dst);
		if (dxt_batch_init(dst, src->schema) != DXT_OK)
			return DXT_ENOMEM;
	}
	for (size_t i = 0; i < src->ncols; i++) {
		const struct dxt_column *s = &src->cols[i];
		struct dxt_column *d = &dst->cols[i];

		d->validity.len = 0;
		d->values.len = 0;
		d->offsets.len = 0;
		d->data.len = 0;
		if (dxt_buf_append(&d->validity, s->validity.data,
				   s->validity.len) != DXT_OK ||
		    dxt_buf_append(&d->values, s->values.data,
				   s->values.len) != DXT_OK ||
		    dxt_buf_append(&d->offsets, s->offsets.data,
				   s->offsets.len) != DXT_OK ||
		    dxt_buf_append(&d->data, s->data.data, s->data.len) !=
			    DXT_OK)
			return DXT_ENOMEM;
		d->type = s->type;
		d->length = s->length;
		d->null_count = s->null_count;
	}
	dst->nrows = src->nrows;
	return DXT_OK;
}

static void *prefetch_main(void *arg)
{
	struct dxt_rel_prefetch *p = arg;
	struct dxt_error err;
	struct dxt_batch *b;
	int rc;

	dxt_error_clear(&err);
	for (;;) {
		size_t slot;

		pthread_mutex_lock(&p->lock);
		while (p->nfull == p->depth && !p->stop)
			pthread_cond_wait(&p->changed, &p->lock);
		slot = (p->head + p->nfull) % p->depth;
		if (p->stop) {
			pthread_mutex_unlock(&p->lock);
			rc = DXT_ECANCELLED;
			break;
		}
		pthread_mutex_unlock(&p->lock);

		/* The slot is free: neither full nor held by the caller. */
		rc = dxt_buffer_reader_next(p->in, &b, &err);
		if (rc == 1 && batch_copy(&p->slots[slot], b) != DXT_OK)
			rc = dxt_error_set(&err, DXT_ENOMEM, "out of memory");
		if (rc != 1)
			break;
		pthread_mutex_lock(&p->lock);
		p->nfull++;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
	}
	pthread_mutex_lock(&p->lock);
	p->rc = rc;
	p->err = err;
	p->done = true;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int dxt_rel_prefetch_start(struct dxt_buffer_reader *in, size_t depth,
			   struct dxt_rel_prefetch **out,
			   struct dxt_error *err)
{
	struct dxt_rel_prefetch *p;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	p->in = in;
	p->depth = depth ? depth : 2;
	p->slots = calloc(p->depth, sizeof(*p->slots));
	if (p->slots == NULL) {
		free(p);
		return dxt_error_set(err, DXT_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->changed, NULL);
	if (pthread_create(&p->thread, NULL, prefetch_main, p) != 0) {
		pthread_cond_destroy(&p->changed);
		pthread_mutex_destroy(&p->lock);
		free(p->slots);
		free(p);
		return dxt_error_set(err, DXT_ENOMEM,
				     "cannot start the buffer reading thread");
	}
	*out = p;
	return DXT_OK;
}

int dxt_rel_prefetch_next(struct dxt_rel_prefetch *p,
			  const struct dxt_batch **batch,
			  struct dxt_error *err)
{
	int rc;

	pthread_mutex_lock(&p->lock);
	if (p->holding) {
		p->head = (p->head + 1) % p->depth;
		p->nfull--;
		p->holding = false;
		pthread_cond_broadcast(&p->changed);
	}
	while (p->nfull == 0 && !p->done)
		pthread_cond_wait(&p->changed, &p->lock);
	if (p->nfull > 0) {
		p->holding = true;
		*batch = &p->slots[p->head];
		rc = 1;
	} else {
		*batch = NULL;
		rc = p->rc;
		if (rc < 0 && err != NULL)
			*err = p->err;
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

void dxt_rel_prefetch_stop(struct dxt_rel_prefetch *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	for (size_t i = 0; i < p->depth; i++)
		dxt_batch_release(&p->slots[i]);
	pthread_cond_destroy(&p->changed);
	pthread_mutex_destroy(&p->lock);
	free(p->slots);
	free(p);
}

int dxt_rel_row_json(const struct dxt_batch *b, size_t r, struct dxt_buf *out)
{
	if (dxt_buf_putc(out, '{') != DXT_OK)
		return DXT_ENOMEM;
	for (size_t j = 0; j < b->ncols; j++) {
		const struct dxt_field *f = &b->schema->fields[j];

		if ((j > 0 && dxt_buf_putc(out, ',') != DXT_OK) ||
		    dxt_json_quote(out, f->name, strlen(f->name)) != DXT_OK ||
		    dxt_buf_putc(out, ':') != DXT_OK ||
		    dxt_value_format_json(&b->cols[j], f, r, out) != DXT_OK)
			return DXT_ENOMEM;
	}
	return dxt_buf_putc(out, '}');
}

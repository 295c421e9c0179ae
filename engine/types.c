/*
 * types.c - DXT type names, fields and schemas.
 */
#include "types.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const type_names[DXT_TYPE__COUNT] = {
	[DXT_TYPE_NULL] = "null",          [DXT_TYPE_BOOL] = "bool",
	[DXT_TYPE_INT8] = "int8",          [DXT_TYPE_INT16] = "int16",
	[DXT_TYPE_INT32] = "int32",        [DXT_TYPE_INT64] = "int64",
	[DXT_TYPE_FLOAT32] = "float32",    [DXT_TYPE_FLOAT64] = "float64",
	[DXT_TYPE_DECIMAL] = "decimal",    [DXT_TYPE_STRING] = "string",
	[DXT_TYPE_BINARY] = "binary",      [DXT_TYPE_DATE] = "date",
	[DXT_TYPE_TIME] = "time",          [DXT_TYPE_TIMESTAMP] = "timestamp",
	[DXT_TYPE_TIMESTAMPTZ] = "timestamptz", [DXT_TYPE_UUID] = "uuid",
	[DXT_TYPE_JSON] = "json",
};

/* Aliases accepted when parsing; canonical names are matched first. */
static const struct {
	const char *name;
	enum dxt_type type;
} type_aliases[] = {
	{"boolean", DXT_TYPE_BOOL},
	{"tinyint", DXT_TYPE_INT8},
	{"smallint", DXT_TYPE_INT16},
	{"int", DXT_TYPE_INT32},
	{"integer", DXT_TYPE_INT32},
	{"bigint", DXT_TYPE_INT64},
	{"long", DXT_TYPE_INT64},
	{"real", DXT_TYPE_FLOAT32},
	{"float", DXT_TYPE_FLOAT64},
	{"double", DXT_TYPE_FLOAT64},
	{"double precision", DXT_TYPE_FLOAT64},
	{"text", DXT_TYPE_STRING},
	{"varchar", DXT_TYPE_STRING},
	{"str", DXT_TYPE_STRING},
	{"bytes", DXT_TYPE_BINARY},
	{"blob", DXT_TYPE_BINARY},
	{"datetime", DXT_TYPE_TIMESTAMP},
	{"timestamp without time zone", DXT_TYPE_TIMESTAMP},
	{"timestamp with time zone", DXT_TYPE_TIMESTAMPTZ},
	{"timestamp_tz", DXT_TYPE_TIMESTAMPTZ},
	{"jsonb", DXT_TYPE_JSON},
};

const char *dxt_type_name(enum dxt_type type)
{
	if ((unsigned)type >= DXT_TYPE__COUNT)
		return "unknown";
	return type_names[type];
}

/* Parses "(p)" or "(p,s)" after a decimal name. */
static int parse_decimal_args(const char *s, int *precision, int *scale)
{
	char *end;
	long p, sc = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0') {
		*precision = DXT_DECIMAL_MAX_PRECISION;
		*scale = 0;
		return 0;
	}
	if (*s++ != '(')
		return -1;
	p = strtol(s, &end, 10);
	if (end == s)
		return -1;
	s = end;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == ',') {
		s++;
		sc = strtol(s, &end, 10);
		if (end == s)
			return -1;
		s = end;
		while (isspace((unsigned char)*s))
			s++;
	}
	if (*s++ != ')')
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	if (*s != '\0' || p < 1 || p > DXT_DECIMAL_MAX_PRECISION || sc < 0 ||
	    sc > p)
		return -1;
	*precision = (int)p;
	*scale = (int)sc;
	return 0;
}

int dxt_type_parse(const char *text, enum dxt_type *type, int *precision,
		   int *scale, struct dxt_error *err)
{
	char buf[64];
	size_t n = 0;
	const char *s = text;

	*precision = 0;
	*scale = 0;
	while (isspace((unsigned char)*s))
		s++;
	for (; s[n] != '\0' && n + 1 < sizeof(buf); n++)
		buf[n] = (char)tolower((unsigned char)s[n]);
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';

	if (strncmp(buf, "decimal", 7) == 0 || strncmp(buf, "numeric", 7) == 0) {
		*type = DXT_TYPE_DECIMAL;
		if (parse_decimal_args(buf + 7, precision, scale) != 0)
			return dxt_error_set(
				err, DXT_EINVAL,
				"\"%s\" is not a valid decimal type; write "
				"decimal(p,s) with 1 <= p <= 38 and 0 <= s <= p",
				text);
		return DXT_OK;
	}
	for (int t = 0; t < DXT_TYPE__COUNT; t++) {
		if (t != DXT_TYPE_DECIMAL && strcmp(buf, type_names[t]) == 0) {
			*type = (enum dxt_type)t;
			return DXT_OK;
		}
	}
	for (size_t i = 0; i < sizeof(type_aliases) / sizeof(type_aliases[0]);
	     i++) {
		if (strcmp(buf, type_aliases[i].name) == 0) {
			*type = type_aliases[i].type;
			return DXT_OK;
		}
	}
	return dxt_error_set(err, DXT_EINVAL,
			     "unknown type \"%s\"; expected one of bool, int8, "
			     "int16, int32, int64, float32, float64, "
			     "decimal(p,s), string, binary, date, time, "
			     "timestamp, timestamptz, uuid, json",
			     text);
}

void dxt_field_type_string(const struct dxt_field *f, char *buf, size_t len)
{
	if (f->type == DXT_TYPE_DECIMAL)
		snprintf(buf, len, "decimal(%d,%d)", f->precision, f->scale);
	else
		snprintf(buf, len, "%s", dxt_type_name(f->type));
}

size_t dxt_type_width(enum dxt_type type)
{
	switch (type) {
	case DXT_TYPE_INT8:
		return 1;
	case DXT_TYPE_INT16:
		return 2;
	case DXT_TYPE_INT32:
	case DXT_TYPE_FLOAT32:
	case DXT_TYPE_DATE:
		return 4;
	case DXT_TYPE_INT64:
	case DXT_TYPE_FLOAT64:
	case DXT_TYPE_TIME:
	case DXT_TYPE_TIMESTAMP:
	case DXT_TYPE_TIMESTAMPTZ:
		return 8;
	case DXT_TYPE_DECIMAL:
	case DXT_TYPE_UUID:
		return 16;
	default:
		return 0;
	}
}

struct dxt_schema *dxt_schema_create(void)
{
	return calloc(1, sizeof(struct dxt_schema));
}

void dxt_schema_destroy(struct dxt_schema *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->fields[i].name);
		free(s->fields[i].native);
	}
	free(s->fields);
	free(s);
}

int dxt_schema_add(struct dxt_schema *s, const char *name, enum dxt_type type,
		   int precision, int scale, bool nullable, const char *native)
{
	struct dxt_field *fields, *f;

	fields = realloc(s->fields, (s->n + 1) * sizeof(*fields));
	if (fields == NULL)
		return DXT_ENOMEM;
	s->fields = fields;
	f = &fields[s->n];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	f->native = native != NULL ? strdup(native) : NULL;
	if (f->name == NULL || (native != NULL && f->native == NULL)) {
		free(f->name);
		free(f->native);
		return DXT_ENOMEM;
	}
	f->type = type;
	f->precision = precision;
	f->scale = scale;
	f->nullable = nullable;
	s->n++;
	return DXT_OK;
}

struct dxt_schema *dxt_schema_copy(const struct dxt_schema *s)
{
	struct dxt_schema *c = dxt_schema_create();

	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		const struct dxt_field *f = &s->fields[i];
		if (dxt_schema_add(c, f->name, f->type, f->precision, f->scale,
				   f->nullable, f->native) != DXT_OK) {
			dxt_schema_destroy(c);
			return NULL;
		}
	}
	return c;
}

int dxt_schema_find(const struct dxt_schema *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

bool dxt_schema_equal(const struct dxt_schema *a, const struct dxt_schema *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct dxt_field *x = &a->fields[i], *y = &b->fields[i];
		if (strcmp(x->name, y->name) != 0 || x->type != y->type)
			return false;
		if (x->type == DXT_TYPE_DECIMAL &&
		    (x->precision != y->precision || x->scale != y->scale))
			return false;
	}
	return true;
}

json_t *dxt_schema_to_json(const struct dxt_schema *s)
{
	json_t *arr = json_array();

	if (arr == NULL)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		const struct dxt_field *f = &s->fields[i];
		char type[48];
		json_t *o;

		dxt_field_type_string(f, type, sizeof(type));
		o = json_pack("{s:s, s:s, s:b}", "name", f->name, "type", type,
			      "nullable", f->nullable);
		if (o != NULL && f->native != NULL)
			json_object_set_new(o, "native", json_string(f->native));
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

int dxt_schema_from_json(const json_t *j, struct dxt_schema **out,
			 struct dxt_error *err)
{
	struct dxt_schema *s;
	size_t i;
	json_t *item;
	int rc = DXT_OK;

	*out = NULL;
	if (!json_is_array(j))
		return dxt_error_set(err, DXT_EINVAL,
				     "schema: expected a list of fields");
	s = dxt_schema_create();
	if (s == NULL)
		return DXT_ENOMEM;
	json_array_foreach(j, i, item) {
		const char *name, *type, *native = NULL;
		int nullable = 1, precision, scale;
		enum dxt_type t;

		if (json_unpack(item, "{s:s, s:s, s?b, s?s}", "name", &name,
				"type", &type, "nullable", &nullable, "native",
				&native) != 0) {
			rc = dxt_error_set(err, DXT_EINVAL,
					   "schema[%zu]: expected an object with "
					   "\"name\" and \"type\" strings",
					   i);
			goto out;
		}
		rc = dxt_type_parse(type, &t, &precision, &scale, err);
		if (rc != DXT_OK) {
			dxt_error_prefix(err, "schema[%zu] (%s): ", i, name);
			goto out;
		}
		rc = dxt_schema_add(s, name, t, precision, scale, nullable != 0,
				    native);
		if (rc != DXT_OK)
			goto out;
	}
out:
	if (rc != DXT_OK) {
		dxt_schema_destroy(s);
		return rc;
	}
	*out = s;
	return DXT_OK;
}

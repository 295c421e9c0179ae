/*
 * typemap.c - SQLite declared types <-> DXT types (see typemap.h).
 */
#include "providers/sqlite/typemap.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Declared types are short; longer ones are compared by their prefix. */
#define DECL_MAX 96

static const struct {
	const char *name;
	enum dxt_type type;
} names[] = {
	{"BOOLEAN", DXT_TYPE_BOOL},
	{"BOOL", DXT_TYPE_BOOL},
	{"TINYINT", DXT_TYPE_INT8},
	{"INT1", DXT_TYPE_INT8},
	{"SMALLINT", DXT_TYPE_INT16},
	{"INT2", DXT_TYPE_INT16},
	{"MEDIUMINT", DXT_TYPE_INT32},
	{"INT4", DXT_TYPE_INT32},
	{"INT", DXT_TYPE_INT64},
	{"INTEGER", DXT_TYPE_INT64},
	{"BIGINT", DXT_TYPE_INT64},
	{"INT8", DXT_TYPE_INT64},
	{"UNSIGNED BIG INT", DXT_TYPE_INT64},
	{"FLOAT4", DXT_TYPE_FLOAT32},
	{"REAL", DXT_TYPE_FLOAT64},
	{"DOUBLE", DXT_TYPE_FLOAT64},
	{"DOUBLE PRECISION", DXT_TYPE_FLOAT64},
	{"FLOAT", DXT_TYPE_FLOAT64},
	{"FLOAT8", DXT_TYPE_FLOAT64},
	{"TEXT", DXT_TYPE_STRING},
	{"CLOB", DXT_TYPE_STRING},
	{"INTERVAL", DXT_TYPE_STRING},
	{"BLOB", DXT_TYPE_BINARY},
	{"BYTEA", DXT_TYPE_BINARY},
	{"BINARY", DXT_TYPE_BINARY},
	{"VARBINARY", DXT_TYPE_BINARY},
	{"DATE", DXT_TYPE_DATE},
	{"TIME", DXT_TYPE_TIME},
	{"TIME WITHOUT TIME ZONE", DXT_TYPE_TIME},
	{"DATETIME", DXT_TYPE_TIMESTAMP},
	{"TIMESTAMP", DXT_TYPE_TIMESTAMP},
	{"TIMESTAMP WITHOUT TIME ZONE", DXT_TYPE_TIMESTAMP},
	{"TIMESTAMPTZ", DXT_TYPE_TIMESTAMPTZ},
	{"TIMESTAMP WITH TIME ZONE", DXT_TYPE_TIMESTAMPTZ},
	{"UUID", DXT_TYPE_UUID},
	{"GUID", DXT_TYPE_UUID},
	{"UNIQUEIDENTIFIER", DXT_TYPE_UUID},
	{"JSON", DXT_TYPE_JSON},
	{"JSONB", DXT_TYPE_JSON},
};

/*
 * Upper-cases decl into buf with runs of white space as one space and none
 * at either end; *args points at the "(...)" part or is NULL, and the name
 * before it ends at its own NUL.
 */
static void normalise(const char *decl, char *buf, char **args)
{
	size_t n = 0;
	bool space = false;

	*args = NULL;
	for (const char *p = decl; *p != '\0' && n + 2 < DECL_MAX; p++) {
		if (isspace((unsigned char)*p)) {
			space = n > 0;
			continue;
		}
		if (space && *p != '(' && *p != ')' && *p != ',')
			buf[n++] = ' ';
		space = false;
		buf[n++] = (char)toupper((unsigned char)*p);
	}
	buf[n] = '\0';
	*args = strchr(buf, '(');
	if (*args != NULL) {
		/* Split the name from "(...)" by moving the arguments one
		 * byte right. */
		size_t at = (size_t)(*args - buf);

		memmove(buf + at + 1, buf + at, n - at + 1);
		buf[at] = '\0';
		*args = buf + at + 1;
	}
}

/* Parses "(p)" or "(p,s)"; false when malformed or out of DXT's range. */
static bool decimal_args(const char *args, int *precision, int *scale)
{
	char *end;
	long p, s = 0;

	if (args == NULL || *args++ != '(')
		return false;
	p = strtol(args, &end, 10);
	if (end == args)
		return false;
	if (*end == ',') {
		args = end + 1;
		s = strtol(args, &end, 10);
		if (end == args)
			return false;
	}
	if (*end != ')' || end[1] != '\0' || p < 1 ||
	    p > DXT_DECIMAL_MAX_PRECISION || s < 0 || s > p)
		return false;
	*precision = (int)p;
	*scale = (int)s;
	return true;
}

enum dxt__sqlite_affinity dxt__sqlite_affinity(const char *decl)
{
	char buf[DECL_MAX], *args;

	normalise(decl, buf, &args);
	/* The rules apply in this order; the first that matches wins. */
	if (strstr(buf, "INT") != NULL)
		return DXT__SQLITE_AFF_INTEGER;
	if (strstr(buf, "CHAR") != NULL || strstr(buf, "CLOB") != NULL ||
	    strstr(buf, "TEXT") != NULL)
		return DXT__SQLITE_AFF_TEXT;
	if (buf[0] == '\0' || strstr(buf, "BLOB") != NULL)
		return DXT__SQLITE_AFF_BLOB;
	if (strstr(buf, "REAL") != NULL || strstr(buf, "FLOA") != NULL ||
	    strstr(buf, "DOUB") != NULL)
		return DXT__SQLITE_AFF_REAL;
	return DXT__SQLITE_AFF_NUMERIC;
}

bool dxt__sqlite_type_from_decl(const char *decl, enum dxt_type *type,
				int *precision, int *scale)
{
	char buf[DECL_MAX], *args;

	*precision = 0;
	*scale = 0;
	normalise(decl, buf, &args);
	if (buf[0] == '\0')
		return false;
	if (strcmp(buf, "DECIMAL") == 0 || strcmp(buf, "NUMERIC") == 0 ||
	    strcmp(buf, "DECIMAL_TEXT") == 0) {
		if (decimal_args(args, precision, scale)) {
			*type = DXT_TYPE_DECIMAL;
		} else {
			/* Without a usable precision the values are whatever
			 * SQLite made of them: numbers for DECIMAL (REAL
			 * holds them), text for DECIMAL_TEXT. */
			*type = buf[7] == '_' ? DXT_TYPE_STRING
					      : DXT_TYPE_FLOAT64;
			*precision = 0;
			*scale = 0;
		}
		return true;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(buf, names[i].name) == 0) {
			*type = names[i].type;
			return true;
		}
	}
	switch (dxt__sqlite_affinity(decl)) {
	case DXT__SQLITE_AFF_INTEGER:
		*type = DXT_TYPE_INT64;
		break;
	case DXT__SQLITE_AFF_BLOB:
		*type = DXT_TYPE_BINARY;
		break;
	case DXT__SQLITE_AFF_REAL:
		*type = DXT_TYPE_FLOAT64;
		break;
	case DXT__SQLITE_AFF_TEXT:
	case DXT__SQLITE_AFF_NUMERIC:
		/* Text holds any stored value without loss. */
		*type = DXT_TYPE_STRING;
		break;
	}
	return true;
}

int dxt__sqlite_decl_for_field(const struct dxt_field *f, unsigned flags,
			       char *buf, size_t len, struct dxt_error *err)
{
	const char *name = NULL;

	switch (f->type) {
	case DXT_TYPE_NULL:
		name = "";
		break;
	case DXT_TYPE_BOOL:
		name = "BOOLEAN";
		break;
	case DXT_TYPE_INT8:
		name = "TINYINT";
		break;
	case DXT_TYPE_INT16:
		name = "SMALLINT";
		break;
	case DXT_TYPE_INT32:
		name = "INT4";
		break;
	case DXT_TYPE_INT64:
		/* Exactly "INTEGER" makes a sole primary key the rowid: no
		 * separate index to maintain on every insert. */
		name = (flags & DXT_REL_COL_SOLE_KEY) ? "INTEGER" : "BIGINT";
		break;
	case DXT_TYPE_FLOAT32:
		name = "FLOAT4";
		break;
	case DXT_TYPE_FLOAT64:
		name = "REAL";
		break;
	case DXT_TYPE_DECIMAL:
		snprintf(buf, len, "%s(%d,%d)",
			 f->precision <= DXT__SQLITE_DECIMAL_NUMERIC_MAX
				 ? "DECIMAL"
				 : "DECIMAL_TEXT",
			 f->precision, f->scale);
		return DXT_OK;
	case DXT_TYPE_STRING:
		name = "TEXT";
		break;
	case DXT_TYPE_BINARY:
		name = "BLOB";
		break;
	case DXT_TYPE_DATE:
		name = "DATE";
		break;
	case DXT_TYPE_TIME:
		name = "TIME";
		break;
	case DXT_TYPE_TIMESTAMP:
		name = "TIMESTAMP";
		break;
	case DXT_TYPE_TIMESTAMPTZ:
		name = "TIMESTAMPTZ";
		break;
	case DXT_TYPE_UUID:
		name = "UUID";
		break;
	case DXT_TYPE_JSON:
		name = "JSON";
		break;
	case DXT_TYPE__COUNT:
		break;
	}
	if (name == NULL)
		return dxt_error_setc(err, DXT_EUNSUPPORTED, DXT_TERMINAL,
				      DXT_ORIGIN_TARGET,
				      "column \"%s\": type %d has no SQLite "
				      "form",
				      f->name, (int)f->type);
	snprintf(buf, len, "%s", name);
	return DXT_OK;
}

const struct dxt_rel_type_mapper dxt__sqlite_type_mapper = {
	.to_native = dxt__sqlite_decl_for_field,
	.from_native = dxt__sqlite_type_from_decl,
};

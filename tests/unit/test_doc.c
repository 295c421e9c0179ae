/*
 * test_doc.c - YAML and JSON documents: typing, positions, aliases,
 * duplicate keys, interpolation, placeholders and redaction.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/doc.h"

/* A fixed environment for interpolation tests. */
static const char *fake_env(const char *name, void *ctx)
{
	(void)ctx;
	if (strcmp(name, "USER") == 0)
		return "alice";
	if (strcmp(name, "N") == 0)
		return "250";
	if (strcmp(name, "EMPTY") == 0)
		return "";
	if (strcmp(name, "FLAG") == 0)
		return "true";
	return NULL;
}

struct parsed {
	int rc;
	struct dxt_doc *doc;
	struct dxt_diags diags;
	json_t *root;
};

static struct parsed parse_opts(const char *text,
				const struct dxt_doc_opts *o)
{
	struct parsed p;

	memset(&p, 0, sizeof(p));
	p.rc = dxt_doc_parse(text, strlen(text), o, &p.doc, &p.diags);
	p.root = p.doc != NULL ? dxt_doc_root(p.doc) : NULL;
	return p;
}

static struct parsed parse(const char *text)
{
	struct dxt_doc_opts o = {0};

	o.interpolate = true;
	o.getenv = fake_env;
	return parse_opts(text, &o);
}

static void done(struct parsed *p)
{
	dxt_doc_destroy(p->doc);
	dxt_diags_free(&p->diags);
}

static const json_t *at(const json_t *root, const char *key)
{
	return json_object_get(root, key);
}

/* Asserts there is a diagnostic at path/line/column whose message holds
 * `needle`. */
static void expect_diag(const struct parsed *p, const char *path, int line,
			int column, const char *needle)
{
	char all[4096] = "";
	size_t len = 0;

	for (size_t i = 0; i < p->diags.n; i++) {
		const struct dxt_diag *d = &p->diags.items[i];

		if (strcmp(d->path, path) == 0 && d->line == line &&
		    d->column == column && strstr(d->message, needle) != NULL)
			return;
		len += (size_t)snprintf(all + len, sizeof(all) - len,
					"[%s %d:%d %s] ", d->path, d->line,
					d->column, d->message);
		if (len >= sizeof(all))
			break;
	}
	ck_abort_msg("no diagnostic %s %d:%d \"%s\"; have: %s", path, line,
		     column, needle, all);
}

START_TEST(core_schema_plain_scalars)
{
	struct parsed p = parse("a: ~\n"
				"b:\n"
				"c: null\n"
				"d: true\n"
				"e: False\n"
				"f: 42\n"
				"g: -7\n"
				"h: 0o17\n"
				"i: 0x1F\n"
				"j: 1.5\n"
				"k: 1e3\n"
				"l: .5\n"
				"m: yes\n"
				"n: 08\n"
				"o: 1.2.3\n"
				"p: +12\n");

	ck_assert_int_eq(p.rc, DXT_OK);
	ck_assert(json_is_null(at(p.root, "a")));
	ck_assert(json_is_null(at(p.root, "b")));
	ck_assert(json_is_null(at(p.root, "c")));
	ck_assert(json_is_true(at(p.root, "d")));
	ck_assert(json_is_false(at(p.root, "e")));
	ck_assert_int_eq(json_integer_value(at(p.root, "f")), 42);
	ck_assert_int_eq(json_integer_value(at(p.root, "g")), -7);
	ck_assert_int_eq(json_integer_value(at(p.root, "h")), 15);
	ck_assert_int_eq(json_integer_value(at(p.root, "i")), 31);
	ck_assert(json_is_real(at(p.root, "j")));
	ck_assert_double_eq(json_real_value(at(p.root, "j")), 1.5);
	ck_assert_double_eq(json_real_value(at(p.root, "k")), 1000.0);
	ck_assert_double_eq(json_real_value(at(p.root, "l")), 0.5);
	/* YAML 1.2: "yes" is a string, not a boolean. */
	ck_assert_str_eq(json_string_value(at(p.root, "m")), "yes");
	ck_assert_int_eq(json_integer_value(at(p.root, "n")), 8);
	ck_assert_str_eq(json_string_value(at(p.root, "o")), "1.2.3");
	ck_assert_int_eq(json_integer_value(at(p.root, "p")), 12);
	done(&p);
}
END_TEST

START_TEST(quoted_and_block_scalars_stay_strings)
{
	struct parsed p = parse("a: '42'\n"
				"b: \"true\"\n"
				"c: |\n"
				"  line one\n"
				"  line two\n"
				"d: >-\n"
				"  folded\n"
				"  text\n"
				"e: \"\"\n");

	ck_assert_int_eq(p.rc, DXT_OK);
	ck_assert_str_eq(json_string_value(at(p.root, "a")), "42");
	ck_assert_str_eq(json_string_value(at(p.root, "b")), "true");
	ck_assert_str_eq(json_string_value(at(p.root, "c")),
			 "line one\nline two\n");
	ck_assert_str_eq(json_string_value(at(p.root, "d")), "folded text");
	ck_assert_str_eq(json_string_value(at(p.root, "e")), "");
	done(&p);
}
END_TEST

START_TEST(tags_force_types)
{
	struct parsed p = parse("a: !!str 12\n"
				"b: !!int \"12\"\n"
				"c: !!float 3\n"
				"d: !!bool 'false'\n"
				"e: !!null ''\n"
				"f: !!map {x: 1}\n");

	ck_assert_int_eq(p.rc, DXT_OK);
	ck_assert_str_eq(json_string_value(at(p.root, "a")), "12");
	ck_assert_int_eq(json_integer_value(at(p.root, "b")), 12);
	ck_assert(json_is_real(at(p.root, "c")));
	ck_assert(json_is_false(at(p.root, "d")));
	ck_assert(json_is_null(at(p.root, "e")));
	ck_assert(json_is_object(at(p.root, "f")));
	done(&p);

	p = parse("a: 1\nb: !!int abc\n");
	ck_assert_int_eq(p.rc, DXT_ECONFIG);
	ck_assert_ptr_nonnull(p.doc);
	expect_diag(&p, "b", 2, 4, "\"abc\" is not an integer");
	ck_assert(dxt_doc_member(p.doc, p.root, "b")->unresolved);
	done(&p);

	p = parse("a:\n  b: !secret x\n");
	ck_assert_int_eq(p.rc, DXT_EPARSE);
	ck_assert_ptr_null(p.doc);
	expect_diag(&p, "a.b", 2, 6, "unsupported tag \"!secret\"");
	done(&p);
}
END_TEST

START_TEST(unrepresentable_numbers)
{
	struct parsed p = parse("a: 99999999999999999999\nb: .inf\nc: -.Inf\n"
				"d: .nan\ne: 1e999\n");

	ck_assert_int_eq(p.rc, DXT_ECONFIG);
	expect_diag(&p, "a", 1, 4, "out of the range of a 64-bit integer");
	expect_diag(&p, "b", 2, 4, "not a finite number");
	expect_diag(&p, "c", 3, 4, "not a finite number");
	expect_diag(&p, "d", 4, 4, "not a finite number");
	expect_diag(&p, "e", 5, 4, "out of the range of a double");
	ck_assert_str_eq(json_string_value(at(p.root, "b")), ".inf");
	done(&p);
}
END_TEST

START_TEST(positions_of_keys_values_and_items)
{
	struct parsed p = parse("name: demo\n"
				"streams:\n"
				"  - id: a\n"
				"    load:\n"
				"      mode: merge\n"
				"  - {id: b, tags: [x, y]}\n");
	const struct dxt_doc_mark *m;
	const json_t *streams;

	ck_assert_int_eq(p.rc, DXT_OK);
	m = dxt_doc_member(p.doc, p.root, "name");
	ck_assert_int_eq(m->key_line, 1);
	ck_assert_int_eq(m->key_column, 1);
	ck_assert_int_eq(m->line, 1);
	ck_assert_int_eq(m->column, 7);
	m = dxt_doc_find(p.doc, "streams[0].load.mode");
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->line, 5);
	ck_assert_int_eq(m->column, 13);
	ck_assert_int_eq(m->key_line, 5);
	ck_assert_int_eq(m->key_column, 7);
	/* The item's mapping starts at its first key. */
	streams = at(p.root, "streams");
	m = dxt_doc_item(p.doc, streams, 0);
	ck_assert_int_eq(m->line, 3);
	ck_assert_int_eq(m->column, 5);
	ck_assert_int_eq(m->key_line, 0);
	m = dxt_doc_node(p.doc, json_array_get(streams, 1));
	ck_assert_int_eq(m->line, 6);
	ck_assert_int_eq(m->column, 5);
	m = dxt_doc_find(p.doc, "streams[1].tags[1]");
	ck_assert_int_eq(m->line, 6);
	ck_assert_int_eq(m->column, 23);
	ck_assert_ptr_null(dxt_doc_find(p.doc, "streams[2]"));
	ck_assert_ptr_null(dxt_doc_find(p.doc, "streams[0].nope"));
	m = dxt_doc_find(p.doc, "");
	ck_assert_int_eq(m->line, 1);
	ck_assert_int_eq(m->column, 1);
	done(&p);
}
END_TEST

START_TEST(columns_count_characters)
{
	struct parsed p = parse("\xc3\xa9t\xc3\xa9: \xe2\x82\xac\nk: v\n");
	const struct dxt_doc_mark *m;

	ck_assert_int_eq(p.rc, DXT_OK);
	m = dxt_doc_member(p.doc, p.root, "\xc3\xa9t\xc3\xa9");
	ck_assert_int_eq(m->column, 6);
	done(&p);
}
END_TEST

START_TEST(anchors_and_aliases)
{
	struct parsed p = parse("defaults: &d\n"
				"  mode: upsert\n"
				"  keys: [id]\n"
				"one: *d\n"
				"two:\n"
				"  load: *d\n"
				"flag: &f true\n"
				"again: *f\n");
	const struct dxt_doc_mark *m;

	ck_assert_int_eq(p.rc, DXT_OK);
	ck_assert(json_equal(at(p.root, "defaults"), at(p.root, "one")));
	ck_assert_str_eq(
		json_string_value(at(at(at(p.root, "two"), "load"), "mode")),
		"upsert");
	ck_assert(json_is_true(at(p.root, "again")));
	/* The alias's own position; its members keep the anchor's. */
	m = dxt_doc_member(p.doc, p.root, "one");
	ck_assert_int_eq(m->line, 4);
	ck_assert_int_eq(m->column, 6);
	m = dxt_doc_find(p.doc, "one.mode");
	ck_assert_int_eq(m->line, 2);
	done(&p);

	p = parse("a: *nowhere\n");
	ck_assert_int_eq(p.rc, DXT_EPARSE);
	expect_diag(&p, "a", 1, 4, "alias *nowhere refers to no anchor");
	done(&p);

	p = parse("a: &x [1, *x]\n");
	ck_assert_int_eq(p.rc, DXT_EPARSE);
	expect_diag(&p, "a[1]", 1, 11, "alias *x refers to no anchor");
	done(&p);
}
END_TEST

START_TEST(alias_expansion_is_bounded)
{
	/* Each level is ten of the one before: 10^7 nodes at the end. */
	struct parsed p = parse("a: &a [1,1,1,1,1,1,1,1,1,1]\n"
				"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
				"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
				"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
				"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
				"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
				"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n");

	ck_assert_int_eq(p.rc, DXT_EPARSE);
	ck_assert_int_eq(p.diags.n, 1);
	ck_assert_ptr_nonnull(strstr(p.diags.items[0].message,
				     "expands to more than"));
	ck_assert_int_eq(p.diags.items[0].line, 6);
	done(&p);
}
END_TEST

START_TEST(duplicate_keys_are_errors)
{
	struct parsed p = parse("name: a\n"
				"streams:\n"
				"  - id: x\n"
				"    id: y\n"
				"name: b\n");

	ck_assert_int_eq(p.rc, DXT_EPARSE);
	ck_assert_ptr_null(p.doc);
	ck_assert_int_eq(p.diags.n, 2);
	expect_diag(&p, "streams[0].id", 4, 5,
		    "duplicate key \"id\" (first defined at line 3, column 5)");
	expect_diag(&p, "name", 5, 1,
		    "duplicate key \"name\" (first defined at line 1, "
		    "column 1)");
	done(&p);
}
END_TEST

START_TEST(non_scalar_keys_are_refused)
{
	struct parsed p = parse("? [a, b]\n: 1\n");

	ck_assert_int_eq(p.rc, DXT_EPARSE);
	expect_diag(&p, "", 1, 3, "a mapping key must be a scalar");
	done(&p);
}
END_TEST

START_TEST(multi_document_streams_are_refused)
{
	struct parsed p = parse("a: 1\n---\nb: 2\n");

	ck_assert_int_eq(p.rc, DXT_EPARSE);
	ck_assert_int_eq(p.diags.n, 1);
	expect_diag(&p, "", 2, 1, "a second YAML document");
	done(&p);

	/* An explicit start and end of one document is fine. */
	p = parse("---\na: 1\n...\n");
	ck_assert_int_eq(p.rc, DXT_OK);
	done(&p);
}
END_TEST

START_TEST(yaml_syntax_errors_have_positions)
{
	struct dxt_doc_opts o = {0};
	struct parsed p;

	o.name = "p.yaml";
	p = parse_opts("name: x\nstreams:\n  - id: a\n    source: {type: file\n",
		       &o);
	ck_assert_int_eq(p.rc, DXT_EPARSE);
	ck_assert_ptr_null(p.doc);
	ck_assert_int_eq(p.diags.n, 1);
	ck_assert_int_eq(p.diags.items[0].line, 5);
	ck_assert_ptr_nonnull(strstr(p.diags.items[0].message,
				     "p.yaml: YAML syntax error"));
	ck_assert_ptr_nonnull(strstr(p.diags.items[0].message,
				     "flow mapping at line 4, column 13"));
	done(&p);

	p = parse("a: b: c\n");
	ck_assert_int_eq(p.rc, DXT_EPARSE);
	expect_diag(&p, "", 1, 5, "mapping values are not allowed");
	done(&p);

	p = parse("a: {b: ${X}}\n");
	ck_assert_int_eq(p.rc, DXT_EPARSE);
	ck_assert_ptr_nonnull(strstr(p.diags.items[0].hint,
				     "quote placeholders"));
	done(&p);

	p = parse("a: 'open\n");
	ck_assert_int_eq(p.rc, DXT_EPARSE);
	ck_assert_int_eq(p.diags.items[0].line, 2);
	done(&p);
}
END_TEST

START_TEST(empty_document_is_null)
{
	struct parsed p = parse("");

	ck_assert_int_eq(p.rc, DXT_OK);
	ck_assert(json_is_null(p.root));
	done(&p);
	p = parse("# only a comment\n");
	ck_assert_int_eq(p.rc, DXT_OK);
	ck_assert(json_is_null(p.root));
	done(&p);
}
END_TEST

START_TEST(json_values_and_positions)
{
	struct parsed p = parse("{\"name\": \"caf\\u00e9\",\n"
				" \"n\": 12, \"r\": 2.5, \"e\": 1E2,\n"
				" \"ok\": true, \"none\": null,\n"
				" \"s\": \"12\", \"emoji\": \"\\ud83d\\ude00\",\n"
				" \"l\": [1, {\"k\": \"v\"}]}\n");
	const struct dxt_doc_mark *m;

	ck_assert_int_eq(p.rc, DXT_OK);
	ck_assert_int_eq(dxt_doc_format_of(p.doc), DXT_DOC_JSON);
	ck_assert_str_eq(json_string_value(at(p.root, "name")), "caf\xc3\xa9");
	ck_assert_int_eq(json_integer_value(at(p.root, "n")), 12);
	ck_assert_double_eq(json_real_value(at(p.root, "r")), 2.5);
	ck_assert_double_eq(json_real_value(at(p.root, "e")), 100.0);
	ck_assert(json_is_true(at(p.root, "ok")));
	ck_assert(json_is_null(at(p.root, "none")));
	/* JSON strings are quoted scalars: they stay strings. */
	ck_assert_str_eq(json_string_value(at(p.root, "s")), "12");
	ck_assert_str_eq(json_string_value(at(p.root, "emoji")),
			 "\xf0\x9f\x98\x80");
	m = dxt_doc_member(p.doc, p.root, "n");
	ck_assert_int_eq(m->key_line, 2);
	ck_assert_int_eq(m->key_column, 2);
	ck_assert_int_eq(m->line, 2);
	ck_assert_int_eq(m->column, 7);
	m = dxt_doc_find(p.doc, "l[1].k");
	ck_assert_int_eq(m->line, 5);
	ck_assert_int_eq(m->column, 17);
	m = dxt_doc_member(p.doc, p.root, "none");
	ck_assert_int_eq(m->line, 3);
	ck_assert_int_eq(m->column, 22);
	done(&p);
}
END_TEST

START_TEST(json_errors_carry_janssons_position)
{
	struct parsed p = parse("{\"name\": \"x\",\n \"streams\": [\n"
				"  {\"id\": \"a\",}\n ]}\n");

	ck_assert_int_eq(p.rc, DXT_EPARSE);
	ck_assert_int_eq(p.diags.n, 1);
	ck_assert_int_eq(p.diags.items[0].line, 3);
	ck_assert_ptr_nonnull(strstr(p.diags.items[0].message,
				     "JSON syntax error"));
	done(&p);

	p = parse("{\"a\": 1,\n \"a\": 2}\n");
	ck_assert_int_eq(p.rc, DXT_EPARSE);
	ck_assert_int_eq(p.diags.items[0].line, 2);
	ck_assert_ptr_nonnull(strstr(p.diags.items[0].message,
				     "duplicate object key"));
	done(&p);
}
END_TEST

START_TEST(format_detection)
{
	struct dxt_doc_opts o = {0};
	struct parsed p = parse("  \n {\"a\": 1}");

	ck_assert_int_eq(p.rc, DXT_OK);
	ck_assert_int_eq(dxt_doc_format_of(p.doc), DXT_DOC_JSON);
	done(&p);
	p = parse("\xef\xbb\xbf{\"a\": 1}");
	ck_assert_int_eq(p.rc, DXT_OK);
	ck_assert_int_eq(dxt_doc_format_of(p.doc), DXT_DOC_JSON);
	ck_assert_int_eq(dxt_doc_member(p.doc, p.root, "a")->column, 7);
	done(&p);
	p = parse("a: {\"b\": 1}");
	ck_assert_int_eq(dxt_doc_format_of(p.doc), DXT_DOC_YAML);
	done(&p);
	/* Forced JSON refuses YAML. */
	o.format = DXT_DOC_JSON;
	p = parse_opts("a: 1\n", &o);
	ck_assert_int_eq(p.rc, DXT_EPARSE);
	done(&p);
}
END_TEST

START_TEST(interpolation_of_variables)
{
	struct parsed p = parse("user: ${USER}\n"
				"n: ${N}\n"
				"q: '${N}'\n"
				"d: ${MISSING:-fallback}\n"
				"e: ${EMPTY:-was empty}\n"
				"f: ${FLAG}\n"
				"nested: ${MISSING:-${USER}-x}\n"
				"batch: ${NOPE:-1000}\n"
				"money: $$5 and $HOME and $ alone\n"
				"mix: pre-${USER}-post\n"
				"plain: no placeholder\n");

	ck_assert_int_eq(p.rc, DXT_OK);
	ck_assert_int_eq(p.diags.n, 0);
	ck_assert_str_eq(json_string_value(at(p.root, "user")), "alice");
	/* An interpolated plain scalar is typed again. */
	ck_assert_int_eq(json_integer_value(at(p.root, "n")), 250);
	ck_assert_str_eq(json_string_value(at(p.root, "q")), "250");
	ck_assert_str_eq(json_string_value(at(p.root, "d")), "fallback");
	ck_assert_str_eq(json_string_value(at(p.root, "e")), "was empty");
	ck_assert(json_is_true(at(p.root, "f")));
	ck_assert_str_eq(json_string_value(at(p.root, "nested")), "alice-x");
	ck_assert_int_eq(json_integer_value(at(p.root, "batch")), 1000);
	ck_assert_str_eq(json_string_value(at(p.root, "money")),
			 "$5 and $HOME and $ alone");
	ck_assert_str_eq(json_string_value(at(p.root, "mix")),
			 "pre-alice-post");
	ck_assert(dxt_doc_has_placeholder(p.doc, p.root, "user", 0));
	ck_assert(dxt_doc_has_placeholder(p.doc, p.root, "f", 0));
	ck_assert(!dxt_doc_has_placeholder(p.doc, p.root, "money", 0));
	ck_assert(!dxt_doc_has_placeholder(p.doc, p.root, "plain", 0));
	done(&p);
}
END_TEST

START_TEST(interpolation_errors)
{
	struct parsed p = parse("a: ok\n"
				"source:\n"
				"  url: postgres://${PGUSER}:${PGPASS}@host\n"
				"b: ${1abc}\n"
				"c: ${USER\n"
				"d: ${USER:+x}\n");
	const struct dxt_doc_mark *m;

	ck_assert_int_eq(p.rc, DXT_ECONFIG);
	ck_assert_ptr_nonnull(p.doc);
	ck_assert_int_eq(p.diags.n, 5);
	expect_diag(&p, "source.url", 3, 8, "variable PGUSER is not set");
	expect_diag(&p, "source.url", 3, 8, "variable PGPASS is not set");
	ck_assert_ptr_nonnull(strstr(p.diags.items[0].hint, "${PGUSER:-"));
	expect_diag(&p, "b", 4, 4, "invalid placeholder \"${1abc}\"");
	expect_diag(&p, "c", 5, 4, "unterminated placeholder");
	expect_diag(&p, "d", 6, 4, "invalid placeholder");
	/* The failed scalar keeps its text and says so. */
	m = dxt_doc_find(p.doc, "source.url");
	ck_assert(m->unresolved);
	ck_assert(m->placeholder);
	ck_assert_str_eq(json_string_value(at(at(p.root, "source"), "url")),
			 "postgres://${PGUSER}:${PGPASS}@host");
	ck_assert(!dxt_doc_member(p.doc, p.root, "a")->unresolved);
	done(&p);
}
END_TEST

START_TEST(interpolation_of_files)
{
	char dir[] = "/tmp/dxt-doc-XXXXXX";
	char path[256];
	struct dxt_doc_opts o = {0};
	struct parsed p;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pw.txt", dir);
	f = fopen(path, "w");
	fputs("s3cr$t\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/two.txt", dir);
	f = fopen(path, "w");
	fputs("a\nb\r\n", f);
	fclose(f);
	o.interpolate = true;
	o.getenv = fake_env;
	o.base_dir = dir;
	p = parse_opts("pw: ${file:pw.txt}\n"
		       "two: ${file:two.txt}\n"
		       "abs: \"${file:/nonexistent/dxt/x}\"\n"
		       "rel: ${file:missing.txt}\n",
		       &o);
	ck_assert_int_eq(p.rc, DXT_ECONFIG);
	ck_assert_str_eq(json_string_value(at(p.root, "pw")), "s3cr$t");
	ck_assert_str_eq(json_string_value(at(p.root, "two")), "a\nb");
	expect_diag(&p, "abs", 3, 6, "cannot read ${file:/nonexistent/dxt/x}");
	expect_diag(&p, "rel", 4, 6, "cannot read ${file:missing.txt}");
	expect_diag(&p, "rel", 4, 6, "No such file or directory");
	ck_assert(dxt_doc_has_placeholder(p.doc, p.root, "pw", 0));
	done(&p);
	snprintf(path, sizeof(path), "%s/pw.txt", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/two.txt", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(interpolation_off_keeps_placeholders)
{
	struct dxt_doc_opts o = {0};
	struct parsed p;

	p = parse_opts("url: ${MISSING}\nn: ${N:-5}\nk: $$x\n", &o);
	ck_assert_int_eq(p.rc, DXT_OK);
	ck_assert_str_eq(json_string_value(at(p.root, "url")), "${MISSING}");
	ck_assert_str_eq(json_string_value(at(p.root, "n")), "${N:-5}");
	ck_assert_str_eq(json_string_value(at(p.root, "k")), "$$x");
	ck_assert(dxt_doc_has_placeholder(p.doc, p.root, "url", 0));
	ck_assert(!dxt_doc_has_placeholder(p.doc, p.root, "k", 0));
	done(&p);
}
END_TEST

START_TEST(keys_are_not_interpolated)
{
	struct parsed p = parse("${USER}: 1\n");

	ck_assert_int_eq(p.rc, DXT_OK);
	ck_assert_int_eq(json_integer_value(at(p.root, "${USER}")), 1);
	done(&p);
}
END_TEST

START_TEST(redaction_hides_placeholder_values)
{
	struct parsed p = parse("source:\n"
				"  provider: postgres\n"
				"  password: ${USER}\n"
				"  port: ${N}\n"
				"  flags:\n"
				"    - ${FLAG}\n"
				"    - plain\n"
				"name: demo\n");
	json_t *r;

	ck_assert_int_eq(p.rc, DXT_OK);
	r = dxt_doc_redacted(p.doc, p.root, "***");
	ck_assert_str_eq(json_string_value(at(at(r, "source"), "password")),
			 "***");
	ck_assert_str_eq(json_string_value(at(at(r, "source"), "port")), "***");
	ck_assert_str_eq(json_string_value(json_array_get(
				 at(at(r, "source"), "flags"), 0)),
			 "***");
	ck_assert_str_eq(json_string_value(json_array_get(
				 at(at(r, "source"), "flags"), 1)),
			 "plain");
	ck_assert_str_eq(json_string_value(at(at(r, "source"), "provider")),
			 "postgres");
	ck_assert_str_eq(json_string_value(at(r, "name")), "demo");
	/* The document itself is untouched. */
	ck_assert_str_eq(
		json_string_value(at(at(p.root, "source"), "password")),
		"alice");
	ck_assert(dxt_doc_has_placeholder(
		p.doc, at(at(p.root, "source"), "flags"), NULL, 0));
	json_decref(r);
	done(&p);
}
END_TEST

START_TEST(path_helpers)
{
	char buf[64];

	ck_assert_str_eq(dxt_doc_path_key(buf, sizeof(buf), "", "name"),
			 "name");
	ck_assert_str_eq(dxt_doc_path_key(buf, sizeof(buf), "a", "b"), "a.b");
	dxt_doc_path_index(buf, sizeof(buf), "streams", 1);
	ck_assert_str_eq(buf, "streams[1]");
	dxt_doc_path_key(buf, sizeof(buf), buf, "load");
	ck_assert_str_eq(buf, "streams[1].load");
	ck_assert_str_eq(dxt_doc_path_key(buf, sizeof(buf), "s", "my \"k\".x"),
			 "s[\"my \\\"k\\\".x\"]");
	/* Truncation keeps the buffer terminated. */
	dxt_doc_path_key(buf, 8, "abcdef", "ghijkl");
	ck_assert_str_eq(buf, "abcdef.");
}
END_TEST

START_TEST(find_with_quoted_keys)
{
	struct parsed p = parse("s:\n  \"my key\": 1\n  'a.b': [x]\n");
	const struct dxt_doc_mark *m;

	ck_assert_int_eq(p.rc, DXT_OK);
	m = dxt_doc_find(p.doc, "s[\"my key\"]");
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->line, 2);
	m = dxt_doc_find(p.doc, "s[\"a.b\"][0]");
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->line, 3);
	done(&p);
}
END_TEST

START_TEST(diags_helpers)
{
	struct dxt_diags d = {0};
	char buf[256];
	json_t *j;

	ck_assert_int_eq(dxt_diags_add(&d, "streams[1].load.mode", 14, 13,
				       "did you mean \"upsert\"?",
				       "\"%s\" is not one of %s", "merge",
				       "append, replace, upsert"),
			 DXT_OK);
	ck_assert_int_eq(dxt_diags_add(&d, "", 0, 0, NULL, "whole"), DXT_OK);
	dxt_diag_format(&d.items[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "streams[1].load.mode: \"merge\" is not one of "
			      "append, replace, upsert (line 14, column 13); "
			      "hint: did you mean \"upsert\"?");
	dxt_diag_format(&d.items[1], buf, sizeof(buf));
	ck_assert_str_eq(buf, "whole");
	j = dxt_diags_to_json(&d);
	ck_assert_int_eq(json_array_size(j), 2);
	ck_assert_int_eq(json_integer_value(
				 json_object_get(json_array_get(j, 0), "line")),
			 14);
	ck_assert(json_is_null(json_object_get(json_array_get(j, 1), "hint")));
	json_decref(j);
	dxt_diags_free(&d);
	ck_assert_int_eq(d.n, 0);
	dxt_diags_free(&d);
}
END_TEST

Suite *dxt_test_doc(void)
{
	Suite *s = suite_create("doc");
	TCase *tc = tcase_create("doc");

	tcase_add_test(tc, core_schema_plain_scalars);
	tcase_add_test(tc, quoted_and_block_scalars_stay_strings);
	tcase_add_test(tc, tags_force_types);
	tcase_add_test(tc, unrepresentable_numbers);
	tcase_add_test(tc, positions_of_keys_values_and_items);
	tcase_add_test(tc, columns_count_characters);
	tcase_add_test(tc, anchors_and_aliases);
	tcase_add_test(tc, alias_expansion_is_bounded);
	tcase_add_test(tc, duplicate_keys_are_errors);
	tcase_add_test(tc, non_scalar_keys_are_refused);
	tcase_add_test(tc, multi_document_streams_are_refused);
	tcase_add_test(tc, yaml_syntax_errors_have_positions);
	tcase_add_test(tc, empty_document_is_null);
	tcase_add_test(tc, json_values_and_positions);
	tcase_add_test(tc, json_errors_carry_janssons_position);
	tcase_add_test(tc, format_detection);
	tcase_add_test(tc, interpolation_of_variables);
	tcase_add_test(tc, interpolation_errors);
	tcase_add_test(tc, interpolation_of_files);
	tcase_add_test(tc, interpolation_off_keeps_placeholders);
	tcase_add_test(tc, keys_are_not_interpolated);
	tcase_add_test(tc, redaction_hides_placeholder_values);
	tcase_add_test(tc, path_helpers);
	tcase_add_test(tc, find_with_quoted_keys);
	tcase_add_test(tc, diags_helpers);
	suite_add_tcase(s, tc);
	return s;
}

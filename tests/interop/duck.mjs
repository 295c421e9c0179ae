// duck.mjs - the DuckDB side of the Parquet interoperability tests.
//
//   node duck.mjs write OUT.parquet SELECT CODEC DICTIONARY VERSION [ROWS]
//       COPY (SELECT) TO OUT.parquet with COMPRESSION CODEC (uncompressed,
//       snappy, gzip, zstd, lz4, brotli), DICTIONARY true|false (false sets
//       DICTIONARY_SIZE_LIMIT 0, which makes DuckDB write no dictionary),
//       PARQUET_VERSION v1|v2 and ROW_GROUP_SIZE ROWS (default 2048).
//   node duck.mjs matrix OUTDIR PREFIX SELECT [ROWS]
//       write for every codec, dictionary on and off and both versions, into
//       OUTDIR/PREFIX_CODEC_DICTIONARY_VERSION.parquet (24 files).
//   node duck.mjs dump FILE.parquet [FILE.parquet ...]
//       With one file, its rows on stdout; with several, each file's rows
//       into FILE.parquet.dump beside it. The file's rows as JSON lines, one object per row, keys in column
//       order. The first line is {"columns": [[name, duckdb type], ...]}.
//       Scalars are JSON strings in DuckDB's text form, except: BLOB as
//       lowercase hex, TIMESTAMP and TIMESTAMP WITH TIME ZONE (in UTC) as
//       "YYYY-MM-DD HH:MM:SS.ffffff"; JSON and nested values (LIST, STRUCT,
//       MAP) are embedded as JSON (to_json). NULL is null. canon.py turns
//       this and dxt's JSON lines into one canonical form.
//   node duck.mjs schema FILE.parquet
//       One line per leaf column of the footer: name, physical type,
//       converted type, logical type, precision, scale, repetition.
//   node duck.mjs types FILE.parquet
//       One line per column: name and the type DuckDB reads it as.
//   node duck.mjs meta FILE.parquet
//       One line per column chunk: row group, rows, column, codec, encodings.
//   node duck.mjs query SQL
//       The rows of any query as JSON lines (DuckDB's JSON conversion).
//
// Exit status 0 on success, 1 with the error on stderr otherwise. Nothing
// here depends on how dxt was built: the tests run it for plain and
// sanitized builds alike.
import { writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const CODECS = ['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4', 'brotli'];

function usage(msg) {
	process.stderr.write(`duck.mjs: ${msg}\n`);
	process.exit(2);
}

function lit(s) {
	return `'${String(s).replaceAll("'", "''")}'`;
}

function isNested(type) {
	return type.endsWith(']') || type.startsWith('STRUCT(') ||
		type.startsWith('MAP(') || type.startsWith('UNION(');
}

// The SQL expression that renders column `name` of DuckDB type `type`
// for dump, and whether its text is JSON to embed as is.
function render(name, type) {
	const col = `"${name.replaceAll('"', '""')}"`;

	if (isNested(type))
		return [`to_json(${col})::VARCHAR`, true];
	if (type === 'JSON')
		return [`${col}::VARCHAR`, true];
	if (type === 'BLOB')
		return [`lower(hex(${col}))`, false];
	if (type.startsWith('TIMESTAMP'))
		return [`strftime(${col}::TIMESTAMP, '%Y-%m-%d %H:%M:%S.%f')`, false];
	return [`${col}::VARCHAR`, false];
}

async function write(con, file, select, codec, dict, version, n) {
	const opts = [`FORMAT parquet`, `COMPRESSION ${codec}`,
		`PARQUET_VERSION ${version}`,
		`ROW_GROUP_SIZE ${Number(n || 2048)}`];

	if (dict === 'false')
		opts.push('DICTIONARY_SIZE_LIMIT 0');
	await con.run(`COPY (${select}) TO ${lit(file)} (${opts.join(', ')})`);
}

// The lines `dump` prints for one file.
async function dump(rows, file) {
	const cols = await rows(`DESCRIBE SELECT * FROM read_parquet(${lit(file)})`);
	const spec = cols.map(([name, type]) => [name, type, ...render(name, type)]);
	const lines = [JSON.stringify({ columns: spec.map(([n, t]) => [n, t]) })];
	// Each line is put together by DuckDB itself, which is much faster
	// than converting every value to JavaScript.
	const parts = spec.map(([name, , expr, raw], i) =>
		`${lit((i ? ',' : '{') + JSON.stringify(name) + ':')} || ` +
		`coalesce(${raw ? expr : `to_json(${expr})::VARCHAR`}, 'null')`);
	const sql = `SELECT ${parts.join(' || ')} || '}' FROM read_parquet(${lit(file)})`;

	for (const [line] of await rows(sql))
		lines.push(line);
	return lines;
}

async function main() {
	const [cmd, ...args] = process.argv.slice(2);
	const db = await DuckDBInstance.create(':memory:');
	const con = await db.connect();
	const rows = async (sql) => (await con.runAndReadAll(sql)).getRows();
	const out = [];

	// Times with a zone are shown in UTC whatever the machine's zone.
	await con.run("SET TimeZone = 'UTC'");
	switch (cmd) {
	case 'write': {
		const [file, select, codec, dict, version, n] = args;

		if (!file || !select || !CODECS.includes(codec) ||
		    !['true', 'false'].includes(dict) ||
		    !['v1', 'v2'].includes(version))
			usage('write OUT.parquet SELECT CODEC true|false v1|v2 [ROWS]');
		await write(con, file, select, codec, dict, version, n);
		break;
	}
	case 'matrix': {
		const [dir, prefix, select, n] = args;

		if (!dir || !prefix || !select)
			usage('matrix OUTDIR PREFIX SELECT [ROWS]');
		// The rows are computed once, then written 24 times.
		await con.run(`CREATE TABLE rows AS ${select}`);
		for (const codec of CODECS)
			for (const dict of ['true', 'false'])
				for (const version of ['v1', 'v2'])
					await write(con, `${dir}/${prefix}_${codec}_${dict}_${version}.parquet`,
						'SELECT * FROM rows', codec, dict, version, n);
		break;
	}
	case 'dump': {
		if (args.length === 0)
			usage('dump FILE.parquet [FILE.parquet ...]');
		if (args.length === 1) {
			out.push(...await dump(rows, args[0]));
			break;
		}
		for (const file of args)
			writeFileSync(`${file}.dump`, (await dump(rows, file)).join('\n') + '\n');
		break;
	}
	case 'schema': {
		const [file] = args;

		if (!file)
			usage('schema FILE.parquet');
		for (const r of await rows(`SELECT name, type, converted_type, logical_type, precision, scale, repetition_type FROM parquet_schema(${lit(file)}) WHERE type IS NOT NULL`))
			out.push(r.map((v) => (v === null ? '-' : String(v))).join('\t'));
		break;
	}
	case 'types': {
		const [file] = args;

		if (!file)
			usage('types FILE.parquet');
		for (const [name, type] of await rows(`DESCRIBE SELECT * FROM read_parquet(${lit(file)})`))
			out.push(`${name}\t${type}`);
		break;
	}
	case 'meta': {
		const [file] = args;

		if (!file)
			usage('meta FILE.parquet');
		for (const r of await rows(`SELECT row_group_id, row_group_num_rows, path_in_schema, compression, encodings FROM parquet_metadata(${lit(file)}) ORDER BY row_group_id, column_id`))
			out.push(r.map(String).join('\t'));
		break;
	}
	case 'query': {
		const [sql] = args;

		if (!sql)
			usage('query SQL');
		const res = await con.runAndReadAll(sql);
		for (const o of res.getRowObjectsJson())
			out.push(JSON.stringify(o));
		break;
	}
	default:
		usage('expected write, matrix, dump, schema, types, meta or query');
	}
	process.stdout.write(out.length ? out.join('\n') + '\n' : '');
}

main().catch((e) => {
	process.stderr.write(`duck.mjs: ${e.message}\n`);
	process.exit(1);
});

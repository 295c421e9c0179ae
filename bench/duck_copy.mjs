// duck_copy.mjs - DuckDB's side of the Parquet benchmark.
//
//   node duck_copy.mjs DATA.csv OUT.parquet
//
// Loads the CSV written by `gen` into an in-memory table with the
// benchmark's column types (untimed), then times, with one thread,
// COPY tbl TO OUT (FORMAT parquet, COMPRESSION zstd) and reading the file
// back (SELECT count(*) of every column). Prints "<write s> <read s>".
// DuckDB comes from tests/interop/node_modules (tests/interop/setup.sh).
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/interop/', import.meta.url));
const { DuckDBInstance } = require('@duckdb/node-api');

const [csv, out] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run('SET threads = 1');
await con.run(`CREATE TABLE t AS SELECT * FROM read_csv('${csv}', header = true,
  columns = {'id': 'BIGINT', 'qty': 'INTEGER', 'amount': 'DECIMAL(12,2)',
             'hash': 'VARCHAR', 'status': 'VARCHAR',
             'created_at': 'TIMESTAMPTZ', 'active': 'BOOLEAN', 'ref': 'UUID'})`);
let t0 = performance.now();
await con.run(`COPY t TO '${out}' (FORMAT parquet, COMPRESSION zstd)`);
const write = (performance.now() - t0) / 1000;
t0 = performance.now();
await con.run(`SELECT count(id), count(qty), count(amount), count(hash),
  count(status), count(created_at), count(active), count(ref)
  FROM read_parquet('${out}')`);
const read = (performance.now() - t0) / 1000;
console.log(`${write.toFixed(3)} ${read.toFixed(3)}`);

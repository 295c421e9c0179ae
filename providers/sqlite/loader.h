/*
 * loader.h - SQLiteLoader: the buffer's records into a SQLite table.
 *
 * Target block: {name: t} (or table: t; `target: t` in YAML), create: true
 * (default: create the table from the data's schema when missing, with a
 * PRIMARY KEY on load.upsert_keys in upsert mode).
 *
 * Load modes, each in one transaction, so the target is never half-loaded
 * and a failure (or cancellation) rolls everything back:
 *
 *   append   rows are inserted into the table;
 *   replace  rows go into a new table "<t>__dxt_new" (same definition as
 *            the old one), then the old table is dropped, the new one
 *            renamed and the old indexes and triggers re-created, all in
 *            the same transaction: readers see the old rows or the new
 *            ones, never an empty or partial table;
 *   upsert   INSERT ... ON CONFLICT (keys) DO UPDATE; the keys MUST be
 *            covered exactly by the primary key or a UNIQUE index (checked
 *            first, with an error saying which index to create).
 *
 * Schema policy, applied before any row: evolve adds the data's new columns
 * with ALTER TABLE ADD COLUMN (SQLite cannot change a column's type; its
 * values are stored as given); freeze fails listing every difference;
 * discard_value leaves out the columns the table lacks; discard_row loads
 * only the rows whose values in those columns are all null and rejects the
 * others.
 *
 * Values are bound from the batch columns (no per-value allocation) to one
 * reused multi-row INSERT: integers and bool (0/1) as INTEGER, floats as
 * REAL, decimals as numbers or canonical text (typemap.h), strings and json
 * as TEXT, binary as BLOB, dates, times, timestamps and uuids as canonical
 * ISO / 8-4-4-4-12 text. NaN has no SQLite form (it would become NULL) and
 * is refused. With load.on_error: skip, rows that fail (constraints, NaN)
 * are rejected and the rest loads: each goes to the stream's rejects.jsonl
 * with its reason and the row as a JSON object (dxt_buffer_reader_reject),
 * and the first few are logged. load.batch_size is the number
 * of rows between progress updates and cancellation checks.
 *
 * Idempotent loads: when the engine gives a load id (ctx->load_id), the
 * load records it in the table
 *
 *   _dxt_loads (load_id TEXT PRIMARY KEY, target TEXT NOT NULL,
 *               rows INTEGER NOT NULL, committed_at TEXT NOT NULL)
 *
 * of the target's schema (created when missing), inside its own
 * transaction just before COMMIT. A load whose id is already recorded loads
 * nothing and reports the recorded rows, so a retry after a crash between
 * the target's commit and the engine's own bookkeeping neither repeats nor
 * loses rows. This holds for every mode: the record lives outside the table
 * a replace swaps. `committed` (operator.h) reads the record, opening the
 * database read-only; a missing database or table means "not committed".
 * The name _dxt_loads is refused as a target.
 */
#ifndef DXT_PROVIDERS_SQLITE_LOADER_H
#define DXT_PROVIDERS_SQLITE_LOADER_H

#include "engine/operator.h"

/* The suffix of the table a replace load fills before the swap. */
#define DXT__SQLITE_REPLACE_SUFFIX "__dxt_new"

DXT_EXPORT extern const struct dxt_operator SQLiteLoader;

#endif /* DXT_PROVIDERS_SQLITE_LOADER_H */

/*
 * inspect.h - `dxtd inspect [--rows N|all] [--json] FILE`: what a Parquet
 * file holds.
 *
 * Prints the file's footer (size, writer, row count, the schema with each
 * column's DXT type and its Parquet physical, logical and repetition, and
 * per row group the column chunks with codec, encodings, sizes, null count
 * and min/max) and its first rows, read through the engine's Parquet reader
 * (engine/parquet.h). --json prints the same as one JSON object whose rows
 * are rendered as the JSON lines format renders them (engine/jsonl.h).
 */
#ifndef DXT_DAEMON_INSPECT_H
#define DXT_DAEMON_INSPECT_H

/*
 * Runs the command on the arguments after "inspect" (argv[0] is the first
 * of them) and returns the process exit status: 0 when the file was shown,
 * 1 when it could not be read (a message "dxtd inspect: FILE: ..." on
 * stderr), 2 for a usage error. Writes to stdout and stderr; called on the
 * main thread.
 */
int dxt_inspect_main(int argc, char **argv);

#endif /* DXT_DAEMON_INSPECT_H */

#!/bin/sh
# make run: moves the example CSV files into a SQLite database with the
# one-shot runner and shows what arrived.
set -eu

O=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=$ROOT/scratch
mkdir -p "$SCRATCH"
export DXT_EXAMPLE_DB="$SCRATCH/example.db"

echo "==> $O/dxtd run conf/examples/csv_to_sqlite.yaml --spool-dir scratch/spool"
"$ROOT/$O/dxtd" run "$ROOT/conf/examples/csv_to_sqlite.yaml" --spool-dir "$SCRATCH/spool"
echo
echo "==> rows in $DXT_EXAMPLE_DB"
if command -v sqlite3 >/dev/null 2>&1; then
	sqlite3 -header -column "$DXT_EXAMPLE_DB" \
		"SELECT 'orders' AS tbl, count(*) AS n FROM orders UNION ALL SELECT 'customers', count(*) FROM customers;"
	echo
	sqlite3 -header -column "$DXT_EXAMPLE_DB" "SELECT * FROM orders LIMIT 5;"
fi

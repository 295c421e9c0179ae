#!/usr/bin/env python3
"""gen_rows.py - rows of every DXT type for the Parquet interoperability tests.

    python3 gen_rows.py ROWS OUTDIR

Writes into OUTDIR:
  rows.jsonl      ROWS rows: `id` (0, 1, ...) then, for every DXT type T, the
                  columns T_n (never null, declared NOT NULL), T_s (null in
                  every third row) and T_a (always null). Values include each
                  type's extremes, unicode and empty strings, bytes 0x00 and
                  0xff, dates and timestamps before 1970, and repeat often
                  enough for dictionary encoding to pay in the T_s columns.
  schema.json     the declared schema, a list of {name, type, nullable}
                  (valid YAML flow syntax for source.schema)
  types.txt       "name<TAB>DuckDB type" per column, as `duck.mjs types`
                  prints it for a Parquet file dxt wrote from these rows
"""
import json
import os
import sys


def hexb(b):
    return "\\x" + b.hex() if b else ""


# type, DuckDB's name for it, values that repeat (some-nulls column), and a
# function giving a mostly distinct value per row (no-nulls column).
TYPES = [
    ("bool", "BOOLEAN", [True, False], lambda i: i % 3 == 0),
    ("int8", "TINYINT", [-128, 127, 0, -1, 5],
     lambda i: (i * 37) % 256 - 128),
    ("int16", "SMALLINT", [-32768, 32767, 0, -300],
     lambda i: (i * 7919) % 65536 - 32768),
    ("int32", "INTEGER", [-2147483648, 2147483647, 0, 65536],
     lambda i: (i * 1000003) % 4294967296 - 2147483648),
    ("int64", "BIGINT", [-9223372036854775808, 9223372036854775807, 0,
                         9007199254740993],
     lambda i: i * 123456789012345 - 9223372036854775807),
    ("float32", "FLOAT", [1.5, -0.25, 0.0, 1024.125, 3.0e10, 1e-3],
     lambda i: i * 0.5 - 100),
    ("float64", "DOUBLE", [0.1, -1e300, 3.141592653589793, 0.0, 2.5e-300],
     lambda i: i / 7.0),
    ("decimal(5,2)", "DECIMAL(5,2)", ["-999.99", "999.99", "0.01", "12.50"],
     lambda i: f"{(i % 100000 - 50000) / 100:.2f}"),
    ("decimal(15,3)", "DECIMAL(15,3)",
     ["-999999999999.999", "999999999999.999", "0.001"],
     lambda i: f"{i * 1000003}.{i % 1000:03d}"),
    ("decimal(30,5)", "DECIMAL(30,5)",
     ["-9999999999999999999999999.99999", "9999999999999999999999999.99999",
      "0.00001", "-1.00000"],
     lambda i: f"{'-' if i % 2 else ''}{i * 10 ** 20 + i}.{i % 100000:05d}"),
    ("string", "VARCHAR",
     ["", "plain", "naïve café", "日本語テキスト", "emoji 😀🎉",
      "quote \" and \\ backslash", "line\nbreak\ttab", "zero\u200bwidth"],
     lambda i: f"row {i} ✓ ü"),
    ("binary", "BLOB", [hexb(b"\x00"), hexb(b"\x00\xff\x10"), "",
                        hexb(bytes(range(32)))],
     lambda i: hexb(i.to_bytes(4, "big") + b"\xff\x00")),
    ("date", "DATE", ["1970-01-01", "2024-02-29", "1900-01-01", "9999-12-31",
                      "0001-01-01"],
     lambda i: f"{2000 + i % 50:04d}-{1 + i % 12:02d}-{1 + i % 28:02d}"),
    ("time", "TIME", ["00:00:00", "23:59:59.999999", "12:34:56.5",
                      "01:02:03.000001"],
     lambda i: f"{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}.{i % 1000000:06d}"),
    ("timestamp", "TIMESTAMP",
     ["1970-01-01 00:00:00", "1969-12-31 23:59:59.999999",
      "2024-02-29 12:00:00.123456", "1900-01-01 00:00:00",
      "9999-12-31 23:59:59.999999"],
     lambda i: f"{1950 + i % 100}-{1 + i % 12:02d}-{1 + i % 28:02d} "
               f"{i % 24:02d}:{i % 60:02d}:{(i * 13) % 60:02d}.{i:06d}"[:26]),
    ("timestamptz", "TIMESTAMP WITH TIME ZONE",
     ["1970-01-01 00:00:00+00:00", "1969-12-31 23:59:59.999999+00:00",
      "2024-06-01 10:00:00.5+00:00"],
     lambda i: f"{1990 + i % 40}-{1 + i % 12:02d}-{1 + i % 28:02d} "
               f"{i % 24:02d}:00:{i % 60:02d}.{(i * 3) % 1000000:06d}Z"),
    ("uuid", "UUID", ["00000000-0000-0000-0000-000000000000",
                      "ffffffff-ffff-ffff-ffff-ffffffffffff",
                      "123e4567-e89b-12d3-a456-426614174000"],
     lambda i: f"{i:08x}-0000-4000-8000-{(i * 7919) % 16 ** 12:012x}"),
    ("json", "JSON", [{"a": 1}, [1, 2, 3], "text", 42, {"n": {"x": [True,
                                                                False, None]}},
                      {"ü": "ß"}],
     lambda i: {"i": i, "tags": ["t", i % 5], "ok": i % 2 == 0}),
]


def col(t):
    return t.replace("(", "").replace(")", "").replace(",", "_")


def main(argv):
    n, out = int(argv[0]), argv[1]
    os.makedirs(out, exist_ok=True)
    schema = [{"name": "id", "type": "int64", "nullable": False}]
    types = ["id\tBIGINT"]
    for t, duck, _, _ in TYPES:
        c = col(t)
        schema += [{"name": f"{c}_n", "type": t, "nullable": False},
                   {"name": f"{c}_s", "type": t, "nullable": True},
                   {"name": f"{c}_a", "type": t, "nullable": True}]
        types += [f"{c}_n\t{duck}", f"{c}_s\t{duck}", f"{c}_a\t{duck}"]
    with open(os.path.join(out, "rows.jsonl"), "w", encoding="utf-8") as f:
        for i in range(n):
            row = {"id": i}
            for t, _, rep, uniq in TYPES:
                c = col(t)
                row[f"{c}_n"] = uniq(i)
                row[f"{c}_s"] = None if i % 3 == 1 else rep[i % len(rep)]
                row[f"{c}_a"] = None
            f.write(json.dumps(row, ensure_ascii=False,
                               separators=(",", ":")) + "\n")
    with open(os.path.join(out, "schema.json"), "w") as f:
        json.dump(schema, f)
    with open(os.path.join(out, "types.txt"), "w") as f:
        f.write("\n".join(types) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""canon.py - one canonical form for rows from DuckDB and from dxt.

    python3 canon.py compare EXPECTED ACTUAL [EXPECTED ACTUAL ...]

Each file holds JSON lines, one object per row. The column types come from
the first line of whichever file of a pair starts with {"columns": [[name,
duckdb type], ...]} (the header `duck.mjs dump` writes); the rows of both
files are then reduced to the canonical text of each value for that type and
compared row by row, in order. Prints one "ok" line per pair, or the first
differing rows with the column names, and exits 1 when a pair differs.

Canonical text by DuckDB type:
  integers         decimal digits            DECIMAL(p,s)  exactly s digits
  FLOAT            the float32 nearest       DOUBLE        repr of the double
  BOOLEAN          true / false              BLOB          lowercase hex
  TIME             HH:MM:SS.ffffff           TIMESTAMP*    YYYY-MM-DD HH:MM:SS.ffffff
  JSON, nested     compact JSON, keys sorted, numbers (and numeric strings,
                   which is how dxt writes decimals and large integers
                   inside nested values) as normalised decimals, maps
                   written as [{"key": k, "value": v}] turned into objects
  anything else    the text as is
dxt's side: binary as "\\x" + hex, timestamps with a "+00:00" zone, JSON
values embedded; DuckDB's side: the forms `duck.mjs dump` writes.
"""
import decimal
import json
import math
import re
import struct
import sys

decimal.getcontext().prec = 80
D = decimal.Decimal
INTS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
        "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
NUMERIC = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
DEC_TYPE = re.compile(r"^DECIMAL\((\d+),(\d+)\)$")


def load(path):
    """Returns (columns or None, rows as dicts) of a JSON lines file."""
    cols, rows = None, []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f):
            if not line.strip():
                continue
            obj = json.loads(line, parse_float=D)
            if n == 0 and isinstance(obj, dict) and list(obj) == ["columns"]:
                cols = obj["columns"]
                continue
            rows.append(obj)
    return cols, rows


def num(v):
    d = D(str(v))
    if d.is_nan():
        return "nan"
    if d.is_infinite():
        return "inf" if d > 0 else "-inf"
    d = d.normalize()
    return "0" if d.is_zero() else format(d, "f")


def nested(v):
    """Canonical JSON value of a JSON or nested column's value."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, D, float)):
        return {"#": num(v)}
    if isinstance(v, str):
        return {"#": num(v)} if NUMERIC.match(v) else v
    if isinstance(v, list):
        if v and all(isinstance(e, dict) and set(e) == {"key", "value"}
                     for e in v):
            return {canon_key(e["key"]): nested(e["value"]) for e in v}
        return [nested(e) for e in v]
    if isinstance(v, dict):
        return {k: nested(e) for k, e in v.items()}
    raise ValueError(f"unexpected JSON value {v!r}")


def canon_key(k):
    if isinstance(k, (int, D, float)) and not isinstance(k, bool):
        return num(k)
    return str(k)


def frac6(text):
    """HH:MM:SS[.f] with the fraction padded to 6 digits."""
    head, _, frac = text.partition(".")
    return f"{head}.{(frac + '000000')[:6]}"


def is_json(t):
    return t == "JSON" or t.endswith("]") or t.startswith(("STRUCT(", "MAP("))


def converter(t):
    """The function giving the canonical text of a value of DuckDB type t
    (None stays None)."""
    if is_json(t):
        def conv(v):
            if isinstance(v, str) and t == "JSON":
                try:
                    v = json.loads(v, parse_float=D)
                except ValueError:
                    pass
            return json.dumps(nested(v), sort_keys=True,
                              separators=(",", ":"), ensure_ascii=False)
        return conv
    if t == "BOOLEAN":
        return lambda v: ("true" if v else "false") if isinstance(v, bool) \
            else str(v).lower()
    if t in INTS:
        return lambda v: str(v) if type(v) is int else str(int(D(str(v))))
    m = DEC_TYPE.match(t)
    if m:
        q = D(1).scaleb(-int(m.group(2)))
        return lambda v: format(D(str(v)).quantize(q), "f")
    if t in ("FLOAT", "DOUBLE"):
        single = t == "FLOAT"

        def conv(v):
            f = float(str(v))
            if math.isnan(f):
                return "nan"
            if single:
                f = struct.unpack("<f", struct.pack("<f", f))[0]
            return repr(f)
        return conv
    if t == "BLOB":
        return lambda v: (v[2:] if v.startswith("\\x") else v).lower()
    if t == "TIME":
        return lambda v: frac6(str(v))
    if t.startswith("TIMESTAMP"):
        def conv(v):
            s = ZONE.sub("", str(v).replace("T", " "))
            date, _, tod = s.partition(" ")
            return f"{date} {frac6(tod)}"
        return conv
    if t == "UUID":
        return lambda v: str(v).lower()
    return str


ZONE = re.compile(r"(Z|[+-]00(:?00)?)$")


def canon(cols, rows):
    convs = [(name, converter(t)) for name, t in cols]
    return [[None if r.get(name) is None else conv(r.get(name))
             for name, conv in convs] for r in rows]


_loaded = {}
_canon = {}


def load_once(path):
    """load(), remembered: one expected file often serves many pairs."""
    if path not in _loaded:
        _loaded[path] = load(path)
    return _loaded[path]


def compare(exp_path, act_path):
    ecols, erows = load_once(exp_path)
    acols, arows = load(act_path)
    cols = ecols or acols
    if cols is None:
        print(f"{exp_path} / {act_path}: neither file names its columns")
        return False
    names = [c[0] for c in cols]
    for which, rows in (("expected", erows), ("actual", arows)):
        for i, r in enumerate(rows):
            if list(r) != names:
                print(f"{act_path}: {which} row {i + 1} has columns "
                      f"{list(r)}, want {names}")
                return False
    key = (exp_path, json.dumps(cols))
    if key not in _canon:
        _canon[key] = canon(cols, erows)
    e, a = _canon[key], canon(cols, arows)
    if len(e) != len(a):
        print(f"{act_path}: {len(a)} rows, want {len(e)} ({exp_path})")
        return False
    for i, (x, y) in enumerate(zip(e, a)):
        if x != y:
            diffs = [f"{n} ({t}): got {q!r}, want {p!r}"
                     for (n, t), p, q in zip(cols, x, y) if p != q]
            print(f"{act_path}: row {i + 1} differs from {exp_path}: "
                  + "; ".join(diffs[:5]))
            return False
    print(f"ok {act_path}: {len(a)} rows")
    return True


def main(argv):
    if len(argv) < 3 or argv[0] != "compare" or len(argv) % 2 == 0:
        print("usage: canon.py compare EXPECTED ACTUAL [EXPECTED ACTUAL ...]",
              file=sys.stderr)
        return 2
    ok = True
    for i in range(1, len(argv), 2):
        ok = compare(argv[i], argv[i + 1]) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

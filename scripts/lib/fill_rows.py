"""Print an INSERT that fills one table with generated rows (scripts/precision).

    python3 scripts/lib/fill_rows.py TABLE ROWS DATABASE SOCKET_DIR PORT

Columns with a default, an identity or a generated expression are left to the server. A column of a
single-column foreign key takes values its parent has; a nullable column is NULL in every seventh row; a
column outside every unique key repeats each value twice (so what a fix would make unique is not); text
fits its varchar length; enums cycle through their labels. What the generator does not know is NULL.
"""

import json
import os
import subprocess
import sys

table, rows, db, sock, port = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
psql = [os.environ.get("PSQL", "psql"), "-X", "-q", "-At", "-h", sock, "-p", port, "-U", "postgres", "-d", db]


def query(sql):
    return subprocess.run(psql + ["-c", sql], check=True, capture_output=True, text=True).stdout.strip()


meta = json.loads(query(f"""
SELECT json_build_object(
  'columns', (SELECT json_agg(json_build_object(
      'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'base', t.typname,
      'category', t.typcategory, 'enum', t.typtype = 'e', 'typmod', a.atttypmod, 'notnull', a.attnotnull,
      'skip', a.attidentity <> '' OR a.attgenerated <> '' OR d.adbin IS NOT NULL) ORDER BY a.attnum)
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = '{table}'::regclass AND a.attnum > 0 AND NOT a.attisdropped),
  'fks', (SELECT json_agg(json_build_object('column', a.attname, 'parent', k.confrelid::regclass::text,
            'ref', (SELECT attname FROM pg_attribute WHERE attrelid = k.confrelid AND attnum = k.confkey[1])))
    FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
    WHERE k.conrelid = '{table}'::regclass AND k.contype = 'f' AND array_length(k.conkey, 1) = 1),
  'unique', (SELECT json_agg(DISTINCT a.attname) FROM pg_index i
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
    WHERE i.indrelid = '{table}'::regclass AND i.indisunique))
"""))


def quote(name):
    return '"' + name.replace('"', '""') + '"'


fks = {f["column"]: f for f in (meta["fks"] or [])}
unique = set(meta["unique"] or [])
names, values = [], []
for c in meta["columns"] or []:
    if c["skip"]:
        continue
    name = c["name"]
    g = "g" if name in unique else "(g / 2)"
    base, category = c["base"], c["category"]
    if name in fks:
        f = fks[name]
        v = (f"(SELECT {quote(f['ref'])} FROM {f['parent']} ORDER BY 1 "
             f"OFFSET (g % greatest((SELECT count(*) FROM {f['parent']}), 1)) LIMIT 1)")
    elif c["enum"]:
        v = f"(enum_range(NULL::{c['type']}))[1 + g % array_length(enum_range(NULL::{c['type']}), 1)]"
    elif base in ("int2", "int4", "int8"):
        v = f"{g}"
    elif base in ("numeric", "float4", "float8", "money"):
        v = f"({g} * 1.5)::numeric(12, 2)"
    elif base in ("text", "varchar", "bpchar", "citext", "name"):
        width = c["typmod"] - 4 if c["typmod"] > 4 else 40
        v = f"left('v' || {g} || '@example.com', {width})"
    elif base == "bool":
        v = "(g % 2 = 0)"
    elif base in ("timestamptz", "timestamp"):
        v = f"(timestamp '2026-01-01' - {g} * interval '1 minute')"
    elif base == "date":
        v = f"(date '2026-01-01' - ({g} % 3000))"
    elif base == "uuid":
        v = f"md5({g}::text)::uuid"
    elif base in ("jsonb", "json"):
        v = f"json_build_object('g', {g})"
    elif base == "inet":
        v = "'10.0.0.1'::inet"
    elif base == "bytea":
        v = f"convert_to({g}::text, 'UTF8')"
    elif category == "A":
        v = "NULL"
    else:
        v = "NULL"
    if not c["notnull"] and name not in unique:
        v = f"CASE WHEN g % 7 = 0 THEN NULL ELSE {v} END"
    names.append(quote(name))
    values.append(f"{v}::{c['type']}")
if names:
    print(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(values)} "
          f"FROM generate_series(1, {rows}) g ON CONFLICT DO NOTHING")
else:
    print(f"INSERT INTO {table} SELECT FROM generate_series(1, {rows}) g")

//! A live database's schema as DDL, read from the system catalogs with the server's own `pg_get_*def`
//! functions, so that the same parser and `Catalog::apply` that read files build its Catalog: one schema
//! model whatever the source. Objects that belong to extensions are left out. Also the statistics the
//! advisor and the rules weigh (pg_class, pg_stats) and the workload pg_stat_statements holds.

use std::fmt::Write as _;

use dbarch_catalog::{ColumnStats, Stats, TableStats};

use crate::connect::explain;

#[derive(Debug, thiserror::Error)]
#[error("{what}: {message}")]
pub struct IntrospectError {
    pub what: String,
    pub message: String,
}

fn query(
    c: &mut postgres::Client,
    what: &str,
    sql: &str,
) -> Result<Vec<postgres::Row>, IntrospectError> {
    c.query(&crate::marked(sql), &[])
        .map_err(|e| IntrospectError {
            what: what.to_string(),
            message: explain(&e),
        })
}

/// Column `i` of a row of the query named `what`: an unexpected NULL or type is an error naming the
/// query and the column, never a panic (catalogs differ between server versions).
fn get<'a, T: postgres::types::FromSql<'a>>(
    row: &'a postgres::Row,
    i: usize,
    what: &str,
) -> Result<T, IntrospectError> {
    row.try_get(i).map_err(|e| IntrospectError {
        what: what.to_string(),
        message: format!(
            "column {} ({}): {e}",
            i + 1,
            row.columns().get(i).map_or("?", |c| c.name())
        ),
    })
}

fn text(row: &postgres::Row, i: usize) -> String {
    row.try_get::<_, Option<String>>(i)
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// User schemas and relations, without extension members and system schemas.
const USER_RELATION: &str = "c.relnamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema', 'pg_toast') OR nspname LIKE 'pg_temp%' OR nspname LIKE 'pg_toast_temp%') \
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')";

/// The schema of the connected database as a DDL script, in an order `Catalog::apply` can replay.
pub fn schema_ddl(c: &mut postgres::Client) -> Result<String, IntrospectError> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "-- Schema read from the live database's system catalogs."
    );
    for r in query(
        c,
        "extensions",
        "SELECT quote_ident(extname), quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE extname <> 'plpgsql' ORDER BY 1",
    )? {
        let _ = writeln!(
            out,
            "CREATE EXTENSION IF NOT EXISTS {} SCHEMA {};",
            text(&r, 0),
            text(&r, 1)
        );
    }
    for r in query(
        c,
        "schemas",
        "SELECT quote_ident(nspname) FROM pg_namespace n WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%' \
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e') ORDER BY 1",
    )? {
        let _ = writeln!(out, "CREATE SCHEMA IF NOT EXISTS {};", text(&r, 0));
    }
    for r in query(
        c,
        "enum types",
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(t.typname), string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) \
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e') \
         GROUP BY 1 ORDER BY 1",
    )? {
        let _ = writeln!(
            out,
            "CREATE TYPE {} AS ENUM ({});",
            text(&r, 0),
            text(&r, 1)
        );
    }
    // Sequences that are not an identity column's own.
    for r in query(
        c,
        "sequences",
        &format!(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), format_type(s.seqtypid, NULL), s.seqincrement, s.seqmax, s.seqmin, s.seqstart \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid \
             WHERE c.relkind = 'S' AND {USER_RELATION} \
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i') ORDER BY 1"
        ),
    )? {
        let _ = writeln!(
            out,
            "CREATE SEQUENCE {} AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {};",
            text(&r, 0),
            text(&r, 1),
            get::<i64>(&r, 2, "sequences")?,
            get::<i64>(&r, 4, "sequences")?,
            get::<i64>(&r, 3, "sequences")?,
            get::<i64>(&r, 5, "sequences")?,
        );
    }
    // Tables: columns with types, NOT NULL, defaults, identity and generated columns; partitioning.
    let tables = query(
        c,
        "tables",
        &format!(
            "SELECT c.oid::int8, quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind::text, c.relispartition, \
                    CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, \
                    CASE WHEN c.relispartition THEN (SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.relname) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid) END, \
                    CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END, \
                    c.relrowsecurity, c.relforcerowsecurity, c.relpersistence::text \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND {USER_RELATION} \
             ORDER BY c.relispartition, 2"
        ),
    )?;
    // Generated columns (pg_attribute.attgenerated) exist from PostgreSQL 12; connecting accepts 11.
    let version = server_version(c)?;
    let generated = if version >= 120000 {
        "a.attgenerated::text"
    } else {
        "''::text"
    };
    let columns = query(
        c,
        "columns",
        &format!(
            "SELECT a.attrelid::int8, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                    pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, {generated} \
             FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum"
        ),
    )?;
    for t in &tables {
        let oid: i64 = get(t, 0, "tables")?;
        let name = text(t, 1);
        let unlogged = if text(t, 9) == "u" { "UNLOGGED " } else { "" };
        if get::<bool>(t, 3, "tables")? {
            let _ = writeln!(
                out,
                "CREATE TABLE {name} PARTITION OF {} {};",
                text(t, 5),
                text(t, 6)
            );
            continue;
        }
        let mut cols = vec![];
        for col in columns
            .iter()
            .filter(|r| get::<i64>(r, 0, "columns").ok() == Some(oid))
        {
            let mut def = format!("{} {}", text(col, 1), text(col, 2));
            let default = text(col, 4);
            match (text(col, 5).as_str(), text(col, 6).as_str()) {
                ("a", _) => def.push_str(" GENERATED ALWAYS AS IDENTITY"),
                ("d", _) => def.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
                (_, "s") => {
                    let _ = write!(def, " GENERATED ALWAYS AS ({default}) STORED");
                }
                _ if !default.is_empty() => {
                    let _ = write!(def, " DEFAULT {default}");
                }
                _ => {}
            }
            if get::<bool>(col, 3, "columns")? {
                def.push_str(" NOT NULL");
            }
            cols.push(def);
        }
        let partition = get::<Option<String>>(t, 4, "tables")?
            .map(|k| format!(" PARTITION BY {k}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "CREATE {unlogged}TABLE {name} (\n    {}\n){partition};",
            cols.join(",\n    ")
        );
    }
    // Constraints: keys and checks first, foreign keys once every table exists.
    let constraints = query(
        c,
        "constraints",
        &format!(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), quote_ident(k.conname), pg_get_constraintdef(k.oid), k.contype::text \
             FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE k.contype IN ('p', 'u', 'c', 'x', 'f') AND k.conislocal AND {USER_RELATION} \
             ORDER BY k.contype = 'f', 1, 2"
        ),
    )?;
    for k in &constraints {
        let _ = writeln!(
            out,
            "ALTER TABLE {} ADD CONSTRAINT {} {};",
            text(k, 0),
            text(k, 1),
            text(k, 2)
        );
    }
    // Indexes that no constraint owns.
    for r in query(
        c,
        "indexes",
        &format!(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
             WHERE {USER_RELATION} AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x')) \
             AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid) \
             ORDER BY 1"
        ),
    )? {
        let _ = writeln!(out, "{};", text(&r, 0));
    }
    // Views and materialized views.
    for r in query(
        c,
        "views",
        &format!(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind::text, pg_get_viewdef(c.oid) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('v', 'm') AND {USER_RELATION} ORDER BY c.oid"
        ),
    )? {
        let body = text(&r, 2);
        let body = body.trim().trim_end_matches(';');
        if text(&r, 1) == "m" {
            let _ = writeln!(
                out,
                "CREATE MATERIALIZED VIEW {} AS {body} WITH NO DATA;",
                text(&r, 0)
            );
        } else {
            let _ = writeln!(out, "CREATE VIEW {} AS {body};", text(&r, 0));
        }
    }
    // Functions (their bodies as the server stores them), then triggers.
    for r in query(
        c,
        "functions",
        "SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE p.prokind IN ('f', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') \
         ORDER BY p.oid",
    )? {
        let _ = writeln!(out, "{};", text(&r, 0).trim_end());
    }
    for r in query(
        c,
        "triggers",
        &format!(
            "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
             WHERE NOT t.tgisinternal AND {USER_RELATION} ORDER BY t.oid"
        ),
    )? {
        let _ = writeln!(out, "{};", text(&r, 0));
    }
    // Row level security and its policies.
    for t in &tables {
        if get::<bool>(t, 7, "tables")? {
            let _ = writeln!(out, "ALTER TABLE {} ENABLE ROW LEVEL SECURITY;", text(t, 1));
        }
        if get::<bool>(t, 8, "tables")? {
            let _ = writeln!(out, "ALTER TABLE {} FORCE ROW LEVEL SECURITY;", text(t, 1));
        }
    }
    for r in query(
        c,
        "policies",
        "SELECT quote_ident(policyname), quote_ident(schemaname) || '.' || quote_ident(tablename), permissive, cmd, \
                array_to_string(ARRAY(SELECT CASE WHEN r = 'public' THEN 'PUBLIC' ELSE quote_ident(r) END FROM unnest(roles) r), ', '), qual, with_check \
         FROM pg_policies ORDER BY 2, 1",
    )? {
        let mut s = format!(
            "CREATE POLICY {} ON {} AS {} FOR {} TO {}",
            text(&r, 0),
            text(&r, 1),
            text(&r, 2),
            text(&r, 3),
            text(&r, 4)
        );
        if let Some(q) = get::<Option<String>>(&r, 5, "policies")? {
            let _ = write!(s, " USING ({q})");
        }
        if let Some(q) = get::<Option<String>>(&r, 6, "policies")? {
            let _ = write!(s, " WITH CHECK ({q})");
        }
        let _ = writeln!(out, "{s};");
    }
    // Table privileges granted to PUBLIC or to roles (the owner's own are implied).
    for r in query(
        c,
        "grants",
        &format!(
            "SELECT string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type), quote_ident(n.nspname) || '.' || quote_ident(c.relname), \
                    CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a \
             WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.grantee <> c.relowner AND {USER_RELATION} \
             GROUP BY 2, 3 ORDER BY 2, 3"
        ),
    )? {
        let _ = writeln!(
            out,
            "GRANT {} ON {} TO {};",
            text(&r, 0),
            text(&r, 1),
            text(&r, 2)
        );
    }
    // Schema privileges granted to PUBLIC or to roles: CREATE on schema public was PUBLIC's by default
    // before PostgreSQL 15.
    for r in query(
        c,
        "schema grants",
        "SELECT string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type), quote_ident(n.nspname), \
                CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END \
         FROM pg_namespace n, aclexplode(n.nspacl) a \
         WHERE a.grantee <> n.nspowner AND n.nspname NOT IN ('information_schema') AND n.nspname NOT LIKE 'pg\\_%' \
         GROUP BY 2, 3 ORDER BY 2, 3",
    )? {
        let _ = writeln!(
            out,
            "GRANT {} ON SCHEMA {} TO {};",
            text(&r, 0),
            text(&r, 1),
            text(&r, 2)
        );
    }
    for r in query(
        c,
        "comments",
        &format!(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname, d.description \
             FROM pg_description d JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0 \
             WHERE c.relkind IN ('r', 'p') AND {USER_RELATION} ORDER BY 1, d.objsubid"
        ),
    )? {
        let target = match get::<Option<String>>(&r, 1, "comments")? {
            Some(col) => format!("COLUMN {}.{}", text(&r, 0), crate::quote_ident(&col)),
            None => format!("TABLE {}", text(&r, 0)),
        };
        let _ = writeln!(out, "COMMENT ON {target} IS {};", sql_literal(&text(&r, 2)));
    }
    Ok(out)
}

fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Table and column statistics in the `--stats` form: rows and pages from pg_class (tables never
/// analysed are left out: their `reltuples` is unknown), columns from pg_stats.
pub fn statistics(c: &mut postgres::Client) -> Result<Stats, IntrospectError> {
    let mut stats = Stats::default();
    for r in query(
        c,
        "table statistics",
        &format!(
            "SELECT n.nspname, c.relname, c.reltuples::float8, c.relpages::float8 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'm') AND {USER_RELATION}"
        ),
    )? {
        let rows: f64 = get(&r, 2, "table statistics")?;
        if rows < 0.0 {
            continue;
        }
        stats.tables.insert(
            format!("{}.{}", text(&r, 0), text(&r, 1)),
            TableStats {
                rows,
                pages: Some(get::<f64>(&r, 3, "table statistics")?),
                ..Default::default()
            },
        );
    }
    for r in query(
        c,
        "column statistics",
        "SELECT schemaname::text, tablename::text, attname::text, null_frac::float8, avg_width::float8, n_distinct::float8, correlation::float8, \
                most_common_vals::text, most_common_freqs::float8[] \
         FROM pg_stats WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND NOT inherited",
    )? {
        let key = format!("{}.{}", text(&r, 0), text(&r, 1));
        if let Some(t) = stats.tables.get_mut(&key) {
            t.columns.insert(
                text(&r, 2),
                ColumnStats {
                    null_frac: get(&r, 3, "column statistics")?,
                    avg_width: get(&r, 4, "column statistics")?,
                    n_distinct: get::<Option<f64>>(&r, 5, "column statistics")?
                        .filter(|n| *n != 0.0),
                    correlation: get(&r, 6, "column statistics")?,
                    most_common: common_values(
                        get::<Option<String>>(&r, 7, "column statistics")?.as_deref(),
                        get::<Option<Vec<f64>>>(&r, 8, "column statistics")?,
                    ),
                },
            );
        }
    }
    Ok(stats)
}

/// The most common values with their frequencies, when pg_stats lists them (values as text).
fn common_values(values: Option<&str>, freqs: Option<Vec<f64>>) -> Option<Vec<(String, f64)>> {
    let values = dbarch_catalog::stats::array_elements(values?)?;
    let freqs = freqs?;
    (values.len() == freqs.len()).then(|| values.into_iter().zip(freqs).collect())
}

/// `server_version_num` (150004 for 15.4).
fn server_version(c: &mut postgres::Client) -> Result<i32, IntrospectError> {
    Ok(query(
        c,
        "server version",
        "SELECT current_setting('server_version_num')::int",
    )?
    .first()
    .map(|r| get(r, 0, "server version"))
    .transpose()?
    .unwrap_or(0))
}

/// Whether a statement pg_stat_statements recorded is the application's: not dbarch's own (each starts
/// with [`crate::MARK`]), not EXPLAIN (dbarch's and
/// other tools'), and reading at least one relation outside the system catalogs (tools, dbarch among
/// them, read pg_catalog and information_schema; that is not the application's workload).
fn application_query(q: &str) -> bool {
    if q.trim_start().starts_with(crate::MARK) {
        return false;
    }
    let head = q.trim_start().get(..7).unwrap_or("");
    if head.eq_ignore_ascii_case("explain") {
        return false;
    }
    let Some(relations) = dbarch_sql::change::relations_named(q) else {
        // What does not parse is left for the workload reader to report.
        return true;
    };
    relations.iter().any(|r| {
        let system_schema = matches!(
            r.schema.as_deref(),
            Some("pg_catalog" | "information_schema")
        );
        let system_name = r.schema.is_none() && r.name.starts_with("pg_");
        !system_schema && !system_name
    })
}

/// pg_stat_statements as the CSV `dbarch analyze` reads (`query,calls,total_exec_time,rows`), or `None`
/// when the extension is not installed in this database.
pub fn pg_stat_statements_csv(c: &mut postgres::Client) -> Result<Option<String>, IntrospectError> {
    let installed = query(
        c,
        "pg_stat_statements",
        "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'",
    )?;
    if installed.is_empty() {
        return Ok(None);
    }
    let version = server_version(c)?;
    let time = if version >= 130000 {
        "total_exec_time"
    } else {
        "total_time"
    };
    let rows = query(
        c,
        "pg_stat_statements",
        &format!(
            "SELECT query, calls::int8, {time}::float8, rows::int8 FROM pg_stat_statements \
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND query !~* '^\\s*(begin|commit|rollback|set|show|reset|deallocate|discard|vacuum|analyze)\\M' \
             ORDER BY {time} DESC LIMIT 5000"
        ),
    )?;
    let mut out = String::from("query,calls,total_exec_time,rows\n");
    for r in rows {
        let q = text(&r, 0);
        if !application_query(&q) {
            continue;
        }
        let _ = writeln!(
            out,
            "\"{}\",{},{},{}",
            q.replace('"', "\"\""),
            get::<i64>(&r, 1, "pg_stat_statements")?,
            get::<f64>(&r, 2, "pg_stat_statements")?,
            get::<i64>(&r, 3, "pg_stat_statements")?
        );
    }
    Ok(Some(out))
}

#[cfg(test)]
mod workload_tests {
    use super::application_query;

    #[test]
    fn tools_queries_are_not_the_application_workload() {
        assert!(application_query(
            "SELECT id FROM orders WHERE user_id = $1"
        ));
        assert!(application_query(
            "WITH x AS (SELECT 1) SELECT * FROM public.orders, x"
        ));
        assert!(!application_query(
            "EXPLAIN (FORMAT JSON) SELECT id FROM orders"
        ));
        assert!(!application_query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        ));
        assert!(!application_query(
            "SELECT * FROM information_schema.columns WHERE table_name = $1"
        ));
        assert!(!application_query("SELECT pg_backend_pid()"));
        // dbarch's own, even one that reads a user table (the bloat check reads pg_stats of it).
        assert!(!application_query(&crate::marked(
            "SELECT count(*) FROM public.orders"
        )));
    }
}

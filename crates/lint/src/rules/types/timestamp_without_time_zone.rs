use super::columns;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "TYP001",
    name: "timestamp-without-time-zone",
    category: Category::Types,
    severity: Severity::Warning,
    summary: "A column uses `timestamp` (without time zone).",
    doc: Doc {
        what: "Columns of type `timestamp` / `timestamp without time zone`.",
        why: "`timestamp` stores a wall-clock reading with no zone: the same instant written by servers or \
              sessions in different zones gets different values, daylight-saving changes create duplicate and \
              missing hours, and arithmetic across them is wrong. `timestamptz` stores an instant (UTC inside) \
              and converts on display; it takes the same 8 bytes.",
        example: "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamp NOT NULL);",
        use_instead: "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz NOT NULL);",
        fix_safety: Some(
            "The stored values are read as UTC. On PostgreSQL 12+ the fix sets the session's time zone to \
                          UTC and changes the type without a USING clause: the server then changes only its \
                          catalog (a brief ACCESS EXCLUSIVE lock, no rewrite; checked on the server by the \
                          table's file node). Any USING clause, `AT TIME ZONE 'UTC'` included, or another \
                          session time zone makes it rewrite the table under ACCESS EXCLUSIVE; before 12 it \
                          always does: there, add a timestamptz column, backfill it in batches and swap.",
        ),
        references: &[
            "https://wiki.postgresql.org/wiki/Don%27t_Do_This#Don.27t_use_timestamp_.28without_time_zone.29",
            "https://www.postgresql.org/docs/current/datatype-datetime.html",
        ],
    },
    fixtures: fixtures!("TYP001"),
    check: Check::Schema(check),
};

fn check(cx: &Context, out: &mut Sink) {
    for (t, c) in columns(cx) {
        if c.data_type.name == "timestamp" {
            let fix = match crate::rules::util::type_change_refused(
                cx,
                &t.name,
                &c.name,
                "timestamptz",
            ) {
                Some(words) => Err(words),
                None => to_timestamptz(&t.name, &c.name, cx.pg_version).ok_or_else(String::new),
            };
            out.column_or_words(
                t,
                c,
                format!("{}.{} is timestamp without time zone", t.name, c.name),
                "Store instants as timestamptz; it costs the same 8 bytes and survives time zones and DST.",
                fix,
            );
        }
    }
}

/// The column made timestamptz, its values read as UTC. With the session's time zone UTC and no USING
/// clause, PostgreSQL 12+ changes only the catalog (a USING clause, even `AT TIME ZONE 'UTC'`, makes it
/// rewrite the table); before 12 it rewrites either way.
fn to_timestamptz(table: &QualifiedName, column: &str, pg_version: u32) -> Option<String> {
    use dbarch_sql::change::{AlterTable, SchemaChange, type_of_text};
    let retype = crate::rules::fix::alter(
        table,
        vec![AlterTable::AlterColumnType {
            column: column.to_string(),
            data_type: type_of_text("timestamptz")?,
            using: (pg_version < 12).then(|| format!("{} AT TIME ZONE 'UTC'", quote_ident(column))),
        }],
    );
    if pg_version < 12 {
        return crate::rules::fix::sql(&[retype]);
    }
    let zone = |value: Option<&str>| SchemaChange::SetSetting {
        name: "timezone".into(),
        value: value.map(str::to_string),
    };
    crate::rules::fix::sql(&[zone(Some("UTC")), retype, zone(None)])
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_sql_fix_when_an_expression_index_would_refuse_the_type() {
        let f = crate::lint_text(
            "fixtures/TYP001/triggers.sql",
            super::RULE.fixtures.triggers,
            &crate::Config::only(&["TYP001"]),
        )
        .unwrap();
        let fix_of = |table: &str| {
            f.iter()
                .find(|x| x.message.starts_with(table))
                .map(|x| x.fix.is_some())
        };
        assert_eq!(fix_of("orders."), Some(true));
        assert_eq!(fix_of("visits."), Some(false));
    }
}

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
            "The USING clause states the zone the stored values were written in (UTC assumed). On \
                          PostgreSQL 12+ the change rewrites nothing when the session time zone is UTC; otherwise \
                          it rewrites the table under an ACCESS EXCLUSIVE lock.",
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
            let q = quote_ident(&c.name);
            out.column(
                t,
                c,
                format!("{}.{} is timestamp without time zone", t.name, c.name),
                "Store instants as timestamptz; it costs the same 8 bytes and survives time zones and DST.",
                alter_type_fix(&t.name, &c.name, "timestamptz", Some(&format!("{q} AT TIME ZONE 'UTC'"))),
            );
        }
    }
}

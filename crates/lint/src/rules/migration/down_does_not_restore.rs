use crate::migration::DownContext;
use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "MIG021",
    name: "down-does-not-restore",
    category: Category::Migration,
    severity: Severity::Error,
    summary: "A down migration does not restore the schema its up migration changed.",
    doc: Doc {
        what: "A migration with a down script (`down.sql`, `.down.sql`, Flyway `U` file, dbmate `-- migrate:down`) \
               where replaying the up and then the down through the schema model does not give back the schema \
               as it was before the up: a table, column, index, constraint, type, function, trigger, grant... \
               left over, missing or different. One finding per migration, at the down script, lists the \
               differences, each with what differs; a down script that does not parse, and a down statement \
               PostgreSQL would refuse on the schema the up left (dropping or retyping what a view reads, see \
               MIG032), are reported too. Schemas are compared as PostgreSQL stores them: `DEFAULT 'x'` of a \
               varchar column is `'x'::character varying`, `DEFAULT NULL` is no default, `REFERENCES t` is \
               `REFERENCES t (id)`.",
        why: "A rollback is run under pressure, during an incident. A down that leaves an index behind, forgets a \
              column, or restores a column with another type makes the next `up` fail or, worse, silently leaves \
              the schema different from what every later migration assumes.",
        example: "CREATE TABLE users (id bigint PRIMARY KEY);\n-- migration\nALTER TABLE users ADD COLUMN email text;\nCREATE INDEX users_email_idx ON users (email);\n-- down\nDROP INDEX users_email_idx;",
        use_instead: "CREATE TABLE users (id bigint PRIMARY KEY);\n-- migration\nALTER TABLE users ADD COLUMN email text;\nCREATE INDEX users_email_idx ON users (email);\n-- down\nDROP INDEX users_email_idx;\nALTER TABLE users DROP COLUMN email;",
        fix_safety: None,
        references: &["https://www.postgresql.org/docs/current/ddl-alter.html"],
    },
    fixtures: fixtures!("MIG021"),
    check: Check::Reversibility(check),
};

fn check(cx: &DownContext, out: &mut Sink) {
    let at = cx.at;
    let up = cx.up.file.path.display().to_string();
    if let Some(e) = cx.parse_error {
        out.push(
            at.into(),
            format!("{}:parse", up),
            format!("the down script of {up} does not parse: {e}"),
            "Fix the down script: a rollback that fails cannot be run during an incident.",
            None,
        );
        return;
    }
    for (span, why) in cx.failures {
        out.push(
            (*span).into(),
            format!("{up}:fails:{why}"),
            format!("the down script of {up} fails here: {why}"),
            "Fix the down script: a rollback that fails cannot be run during an incident.",
            None,
        );
    }
    // One finding per migration: what the down leaves different, each with the field that differs.
    if cx.differences.is_empty() {
        return;
    }
    let items: Vec<String> = cx
        .differences
        .iter()
        .map(|d| {
            let what = match d.kind {
                dbarch_catalog::ChangeKind::Added => "is left behind",
                dbarch_catalog::ChangeKind::Removed => "is not restored",
                dbarch_catalog::ChangeKind::Changed => "is not restored to its previous definition",
            };
            let detail = d
                .detail
                .as_ref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default();
            format!("{} {what}{detail}", d.object)
        })
        .collect();
    const SHOWN: usize = 8;
    let mut listed = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if items.len() > SHOWN {
        listed.push_str(&format!("; and {} more", items.len() - SHOWN));
    }
    out.push(
        at.into(),
        format!("{up}:restore"),
        if items.len() == 1 {
            format!("after {up} and this down, {listed}")
        } else {
            format!(
                "after {up} and this down, {} objects differ from before the up: {listed}",
                items.len()
            )
        },
        "Make the down script undo exactly what the up did, in reverse order.",
        None,
    );
}

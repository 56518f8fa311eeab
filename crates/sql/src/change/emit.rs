//! Writing schema changes as PostgreSQL DDL. Identifiers are quoted where PostgreSQL needs it, string
//! literals escaped, and the statement is read back by libpg_query and printed by its deparser, so the
//! text is spelled as PostgreSQL's own deparser spells it (and is known to parse).
//!
//! A change that has no DDL of its own (a statement with no schema effect, an opaque one) or that the
//! model keeps too little of to write back (CREATE TABLE AS without its query, a password) is `None`.

use crate::expr::quote_ident;

use super::*;

/// The PostgreSQL statement that makes `change` (without a trailing semicolon).
pub fn emit(change: &SchemaChange) -> Option<String> {
    let text = write(change)?;
    if let SchemaChange::SetSetting { .. } = change {
        // The deparser writes a setting's value as a quoted identifier (`SET lock_timeout TO "2s"`):
        // the text as written reads better, once the parser has accepted it.
        return parses(&text).then_some(text);
    }
    normalise(&text)
}

/// Whether libpg_query accepts the text (remembered: every finding of a missing timeout gets the same
/// setting).
fn parses(text: &str) -> bool {
    thread_local! {
        static PARSES: crate::memo::Memo<String, bool> = crate::memo::Memo::new();
    }
    PARSES.with(|m| m.get_or(text.to_string(), || crate::raw::parse(text).is_ok()))
}

/// The text through libpg_query: parsed, and printed back by its deparser (remembered: the same fix is
/// written for many findings).
fn normalise(text: &str) -> Option<String> {
    thread_local! {
        static NORMALISED: crate::memo::Memo<String, Option<String>> = crate::memo::Memo::new();
    }
    NORMALISED.with(|m| {
        m.get_or(text.to_string(), || {
            let parsed = crate::raw::parse(text).ok()?;
            pg_query::deparse(&parsed, Default::default()).ok()
        })
    })
}

/// A schema-qualified name, each part quoted as needed.
pub fn name(n: &ObjName) -> String {
    match &n.schema {
        Some(s) => format!("{}.{}", quote_ident(s), quote_ident(&n.name)),
        None => quote_ident(&n.name),
    }
}

/// A dotted name's parts, each quoted as needed.
fn dotted(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| quote_ident(p))
        .collect::<Vec<_>>()
        .join(".")
}

/// An object by its dotted name, with its argument types when it has them.
fn object_text(o: &ObjectRef) -> String {
    match &o.args {
        Some(args) => format!("{}({})", dotted(&o.name), args.join(", ")),
        None => dotted(&o.name),
    }
}

fn idents(cols: &[String]) -> String {
    cols.iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A string literal.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A column type. Built-in types are written by their canonical names (`double precision`, `timestamptz`);
/// others are quoted as names.
pub fn type_name(t: &DataType) -> String {
    let mut s = match &t.schema {
        Some(schema) => format!("{}.{}", quote_ident(schema), quote_ident(&t.name)),
        None if t
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b' ') =>
        {
            t.name.clone()
        }
        None => quote_ident(&t.name),
    };
    if !t.modifiers.is_empty() {
        let m: Vec<String> = t.modifiers.iter().map(|m| m.to_string()).collect();
        s.push_str(&format!("({})", m.join(",")));
    }
    for _ in 0..t.array_dims {
        s.push_str("[]");
    }
    s
}

fn serial_name(t: &DataType) -> &'static str {
    match t.name.as_str() {
        "bigint" => "bigserial",
        "smallint" => "smallserial",
        _ => "serial",
    }
}

fn role(r: &str) -> String {
    match r {
        "PUBLIC" | "CURRENT_USER" | "CURRENT_ROLE" | "SESSION_USER" => r.to_string(),
        _ => quote_ident(r),
    }
}

fn roles(rs: &[String]) -> String {
    rs.iter().map(|r| role(r)).collect::<Vec<_>>().join(", ")
}

fn relation_word(k: ObjectKind) -> Option<&'static str> {
    Some(match k {
        ObjectKind::Table => "TABLE",
        ObjectKind::ForeignTable => "FOREIGN TABLE",
        ObjectKind::Index => "INDEX",
        ObjectKind::View => "VIEW",
        ObjectKind::MaterializedView => "MATERIALIZED VIEW",
        ObjectKind::Sequence => "SEQUENCE",
        _ => return None,
    })
}

fn object_word(k: ObjectKind) -> Option<&'static str> {
    Some(match k {
        ObjectKind::Type => "TYPE",
        ObjectKind::Domain => "DOMAIN",
        ObjectKind::Function => "FUNCTION",
        ObjectKind::Procedure => "PROCEDURE",
        ObjectKind::Routine => "ROUTINE",
        ObjectKind::Trigger => "TRIGGER",
        ObjectKind::Policy => "POLICY",
        ObjectKind::Schema => "SCHEMA",
        ObjectKind::Extension => "EXTENSION",
        ObjectKind::Role => "ROLE",
        k => return relation_word(k),
    })
}

fn write(change: &SchemaChange) -> Option<String> {
    Some(match change {
        SchemaChange::CreateSchema { name, elements } => {
            let mut s = if name.is_empty() {
                "CREATE SCHEMA AUTHORIZATION CURRENT_USER".to_string()
            } else {
                format!("CREATE SCHEMA {}", quote_ident(name))
            };
            for e in elements {
                s.push(' ');
                s.push_str(&write(e)?);
            }
            s
        }
        SchemaChange::CreateTable(t) => create_table(t)?,
        SchemaChange::CreateTableAs { .. } => return None,
        SchemaChange::AlterTable {
            name: n,
            kind,
            if_exists,
            commands,
        } => {
            let cmds = commands
                .iter()
                .map(alter_table_cmd)
                .collect::<Option<Vec<_>>>()?;
            if cmds.is_empty() {
                return None;
            }
            format!(
                "ALTER {} {}{} {}",
                relation_word(*kind)?,
                if *if_exists { "IF EXISTS " } else { "" },
                name(n),
                cmds.join(", ")
            )
        }
        SchemaChange::SetSchema { table, schema } => {
            format!(
                "ALTER TABLE {} SET SCHEMA {}",
                name(table),
                quote_ident(schema)
            )
        }
        SchemaChange::CreateIndex(i) => create_index(i),
        SchemaChange::CreateView {
            name: n,
            or_replace,
            materialized,
            query,
            ..
        } => {
            let q = query.text();
            if q.is_empty() {
                return None;
            }
            format!(
                "CREATE {}{}VIEW {} AS {q}",
                if *or_replace { "OR REPLACE " } else { "" },
                if *materialized { "MATERIALIZED " } else { "" },
                name(n)
            )
        }
        SchemaChange::CreateSequence {
            name: n, options, ..
        } => {
            format!("CREATE SEQUENCE {}{}", name(n), sequence_options(options))
        }
        SchemaChange::AlterSequence { name: n, options } => {
            let o = sequence_options(options);
            if o.is_empty() {
                return None;
            }
            format!("ALTER SEQUENCE {}{o}", name(n))
        }
        SchemaChange::CreateEnum { name: n, values } => format!(
            "CREATE TYPE {} AS ENUM ({})",
            name(n),
            values
                .iter()
                .map(|v| literal(v))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        SchemaChange::AlterEnum {
            name: n,
            old_value,
            value,
            neighbor,
            after,
        } => match old_value {
            Some(old) => format!(
                "ALTER TYPE {} RENAME VALUE {} TO {}",
                name(n),
                literal(old),
                literal(value)
            ),
            None if neighbor.is_empty() => {
                format!("ALTER TYPE {} ADD VALUE {}", name(n), literal(value))
            }
            None => format!(
                "ALTER TYPE {} ADD VALUE {} {} {}",
                name(n),
                literal(value),
                if *after { "AFTER" } else { "BEFORE" },
                literal(neighbor)
            ),
        },
        SchemaChange::CreateDomain {
            name: n,
            base,
            not_null,
            checks,
        } => {
            let mut s = format!("CREATE DOMAIN {} AS {}", name(n), type_name(base.as_ref()?));
            if *not_null {
                s.push_str(" NOT NULL");
            }
            for c in checks {
                s.push_str(&format!(" CHECK ({c})"));
            }
            s
        }
        SchemaChange::CreateCompositeType {
            name: n,
            attributes,
        } => format!(
            "CREATE TYPE {} AS ({})",
            name(n),
            attributes
                .iter()
                .map(|(a, t)| format!("{} {}", quote_ident(a), type_name(t)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        SchemaChange::CreateFunction(f) => match f.definition.text() {
            // Written back as it was defined (OR REPLACE as the change says).
            Some(text) => function_as_defined(text, &f.name, f.or_replace)?,
            None => create_function(f)?,
        },
        SchemaChange::CreateTrigger {
            table,
            name: n,
            function,
            timing,
            events,
            update_of,
            for_each_row,
            when,
            args,
        } => {
            if events.is_empty() {
                return None;
            }
            let events: Vec<String> = events
                .iter()
                .map(|e| match (*e, update_of.is_empty()) {
                    ("UPDATE", false) => format!("UPDATE OF {}", idents(update_of)),
                    (e, _) => e.to_string(),
                })
                .collect();
            format!(
                "CREATE TRIGGER {} {timing} {} ON {} FOR EACH {}{} EXECUTE FUNCTION {}({})",
                quote_ident(n),
                events.join(" OR "),
                name(table),
                if *for_each_row { "ROW" } else { "STATEMENT" },
                when.as_ref()
                    .map(|w| format!(" WHEN ({w})"))
                    .unwrap_or_default(),
                name(function),
                args.iter()
                    .map(|a| literal(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        SchemaChange::CreatePolicy {
            table,
            name: n,
            command,
            permissive,
            roles: rs,
            using,
            with_check,
        } => {
            let mut s = format!("CREATE POLICY {} ON {}", quote_ident(n), name(table));
            if !permissive {
                s.push_str(" AS RESTRICTIVE");
            }
            s.push_str(&format!(" FOR {command}"));
            if !rs.is_empty() {
                s.push_str(&format!(" TO {}", roles(rs)));
            }
            if let Some(u) = using {
                s.push_str(&format!(" USING ({u})"));
            }
            if let Some(c) = with_check {
                s.push_str(&format!(" WITH CHECK ({c})"));
            }
            s
        }
        SchemaChange::AlterPolicy {
            table,
            name: n,
            roles: rs,
            using,
            with_check,
        } => {
            let mut s = format!("ALTER POLICY {} ON {}", quote_ident(n), name(table));
            let before = s.len();
            if let Some(rs) = rs {
                s.push_str(&format!(" TO {}", roles(rs)));
            }
            if let Some(u) = using {
                s.push_str(&format!(" USING ({u})"));
            }
            if let Some(c) = with_check {
                s.push_str(&format!(" WITH CHECK ({c})"));
            }
            if s.len() == before {
                return None;
            }
            s
        }
        SchemaChange::CreateRole {
            name: n,
            user,
            options,
        } => format!(
            "CREATE {} {}{}",
            if *user { "USER" } else { "ROLE" },
            quote_ident(n),
            role_options(options)?
        ),
        SchemaChange::AlterRole { name: n, options } => {
            let o = role_options(options)?;
            if o.is_empty() {
                return None;
            }
            format!("ALTER ROLE {}{o}", quote_ident(n))
        }
        SchemaChange::Grant(g) => grant(g)?,
        SchemaChange::GrantRole {
            grant,
            roles: rs,
            grantees,
        } => {
            if rs.is_empty() || grantees.is_empty() {
                return None;
            }
            if *grant {
                format!("GRANT {} TO {}", idents(rs), roles(grantees))
            } else {
                format!("REVOKE {} FROM {}", idents(rs), roles(grantees))
            }
        }
        SchemaChange::Comment { on, text } => {
            let target = match on {
                CommentOn::Table(t) => format!("TABLE {}", name(t)),
                CommentOn::Column { table, column } => {
                    format!("COLUMN {}.{}", name(table), quote_ident(column))
                }
                // `CONSTRAINT c ON t`, `TRIGGER t ON t`, `POLICY p ON t`.
                CommentOn::Object {
                    kind:
                        kind @ (ObjectKind::TableConstraint | ObjectKind::Trigger | ObjectKind::Policy),
                    object,
                } => {
                    let (name, table) = object.name.split_last()?;
                    let word = match kind {
                        ObjectKind::TableConstraint => "CONSTRAINT",
                        k => object_word(*k)?,
                    };
                    format!("{word} {} ON {}", quote_ident(name), dotted(table))
                }
                CommentOn::Object { kind, object } => {
                    format!("{} {}", object_word(*kind)?, object_text(object))
                }
                CommentOn::Other => return None,
            };
            format!(
                "COMMENT ON {target} IS {}",
                text.as_deref().map_or("NULL".to_string(), literal)
            )
        }
        SchemaChange::CreateExtension { name: n, schema } => {
            let mut s = format!("CREATE EXTENSION {}", quote_ident(n));
            if let Some(schema) = schema {
                s.push_str(&format!(" SCHEMA {}", quote_ident(schema)));
            }
            s
        }
        SchemaChange::Drop(d) => drop(d)?,
        SchemaChange::Rename(r) => rename(r)?,
        SchemaChange::SetSearchPath(Some(path)) => {
            format!("SET search_path = {}", idents(path))
        }
        SchemaChange::SetSearchPath(None) => "RESET search_path".to_string(),
        SchemaChange::AlterFunction {
            function,
            procedure,
            security_definer,
            volatility,
            search_path,
        } => {
            let mut s = format!(
                "ALTER {} {}",
                if *procedure { "PROCEDURE" } else { "FUNCTION" },
                dotted(&function.name)
            );
            if let Some(args) = &function.args {
                s.push_str(&format!("({})", args.join(", ")));
            }
            let before = s.len();
            match security_definer {
                Some(true) => s.push_str(" SECURITY DEFINER"),
                Some(false) => s.push_str(" SECURITY INVOKER"),
                None => {}
            }
            if let Some(v) = volatility {
                s.push_str(&format!(" {}", v.to_ascii_uppercase()));
            }
            match search_path {
                Some(Some(path)) => {
                    let parts: Vec<String> = path.split(", ").map(literal).collect();
                    s.push_str(&format!(" SET search_path = {}", parts.join(", ")));
                }
                Some(None) => s.push_str(" RESET search_path"),
                None => {}
            }
            if s.len() == before {
                return None;
            }
            s
        }
        SchemaChange::SetSetting { name, value } => match value {
            Some(v) => format!("SET {} = {}", quote_ident(name), literal(v)),
            None => format!("RESET {}", quote_ident(name)),
        },
        SchemaChange::Transaction(Transaction::Begin) => "BEGIN".to_string(),
        SchemaChange::Maintain(m) => maintenance(m)?,
        // What ended the block (COMMIT or ROLLBACK), and which savepoint, are not kept.
        SchemaChange::Transaction(_)
        | SchemaChange::NoEffect
        | SchemaChange::WriteRows(_)
        | SchemaChange::AlterDomain { .. }
        | SchemaChange::Opaque { .. } => {
            return None;
        }
    })
}

fn maintenance(m: &Maintenance) -> Option<String> {
    let names = |ts: &[ObjName]| ts.iter().map(name).collect::<Vec<_>>().join(", ");
    Some(match m {
        Maintenance::Reindex {
            target,
            index,
            concurrently,
        } => format!(
            "REINDEX {} {}{}",
            if *index { "INDEX" } else { "TABLE" },
            if *concurrently { "CONCURRENTLY " } else { "" },
            name(target)
        ),
        Maintenance::Lock { tables, mode } if !tables.is_empty() => format!(
            "LOCK TABLE {} IN {} MODE",
            names(tables),
            super::lock_mode_name(*mode)?
        ),
        Maintenance::Lock { .. } => return None,
        Maintenance::Refresh {
            view,
            concurrently,
            with_data,
        } => format!(
            "REFRESH MATERIALIZED VIEW {}{}{}",
            if *concurrently { "CONCURRENTLY " } else { "" },
            name(view),
            if *with_data { "" } else { " WITH NO DATA" }
        ),
        Maintenance::Cluster(Some(t)) => format!("CLUSTER {}", name(t)),
        Maintenance::Cluster(None) => "CLUSTER".to_string(),
        Maintenance::Vacuum {
            tables,
            analyze_only: true,
            ..
        } => format!("ANALYZE {}", names(tables)).trim_end().to_string(),
        Maintenance::Vacuum {
            tables,
            full,
            analyze,
            ..
        } => {
            let options: Vec<&str> = [(*full, "FULL"), (*analyze, "ANALYZE")]
                .into_iter()
                .filter_map(|(on, o)| on.then_some(o))
                .collect();
            let mut s = "VACUUM".to_string();
            if !options.is_empty() {
                s.push_str(&format!(" ({})", options.join(", ")));
            }
            if !tables.is_empty() {
                s.push_str(&format!(" {}", names(tables)));
            }
            s
        }
        Maintenance::Truncate(tables) if !tables.is_empty() => {
            format!("TRUNCATE {}", names(tables))
        }
        Maintenance::Truncate(_) => return None,
    })
}

fn create_table(t: &CreateTable) -> Option<String> {
    let mut s = String::from("CREATE ");
    if t.temporary {
        s.push_str("TEMPORARY ");
    } else if t.unlogged {
        s.push_str("UNLOGGED ");
    }
    s.push_str("TABLE ");
    if t.if_not_exists {
        s.push_str("IF NOT EXISTS ");
    }
    s.push_str(&name(&t.name));
    let elements = t
        .elements
        .iter()
        .map(|e| match e {
            TableElement::Column(c) => {
                column(c, t.partition_bound.is_some() || t.of_type.is_some())
            }
            TableElement::Constraint(c) => constraint(c, false),
            TableElement::Like(l) => Some(format!("LIKE {}", name(l))),
        })
        .collect::<Option<Vec<_>>>()?;
    match (&t.partition_bound, &t.of_type) {
        (Some(bound), _) => {
            let parent = t.inherits.first()?;
            s.push_str(&format!(" PARTITION OF {}", name(parent)));
            if !elements.is_empty() {
                s.push_str(&format!(" ({})", elements.join(", ")));
            }
            s.push_str(&format!(" {bound}"));
        }
        (None, Some(of)) => {
            s.push_str(&format!(" OF {}", name(of)));
            if !elements.is_empty() {
                s.push_str(&format!(" ({})", elements.join(", ")));
            }
        }
        (None, None) => {
            s.push_str(&format!(" ({})", elements.join(", ")));
            if !t.inherits.is_empty() {
                s.push_str(&format!(
                    " INHERITS ({})",
                    t.inherits.iter().map(name).collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    if let Some(p) = &t.partition_by {
        let strategy = match p.strategy {
            PartitionStrategy::Range => "RANGE",
            PartitionStrategy::List => "LIST",
            PartitionStrategy::Hash => "HASH",
        };
        let keys: Vec<String> = p.keys.iter().map(|k| key_text(k)).collect();
        s.push_str(&format!(" PARTITION BY {strategy} ({})", keys.join(", ")));
    }
    Some(s)
}

/// A partition key or an exclusion element: a column name, or an expression in parentheses.
fn key_text(k: &str) -> String {
    let plain = !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80);
    if plain {
        quote_ident(k)
    } else {
        format!("({k})")
    }
}

/// A column definition; `options` for a partition's or a typed table's `col WITH OPTIONS ...`.
fn column(c: &ColumnDef, options: bool) -> Option<String> {
    let mut s = quote_ident(&c.name);
    match &c.data_type {
        Some(t) if c.serial => s.push_str(&format!(" {}", serial_name(t))),
        Some(t) => s.push_str(&format!(" {}", type_name(t))),
        None if options => s.push_str(" WITH OPTIONS"),
        None => return None,
    }
    if let Some(coll) = &c.collation {
        s.push_str(&format!(
            " COLLATE {}",
            dotted(&coll.split('.').map(str::to_string).collect::<Vec<_>>())
        ));
    }
    for k in &c.constraints {
        s.push(' ');
        s.push_str(&match k {
            ColumnConstraint::NotNull => "NOT NULL".to_string(),
            ColumnConstraint::Null => "NULL".to_string(),
            ColumnConstraint::Default(e) => format!("DEFAULT {e}"),
            ColumnConstraint::Identity(Identity::Always) => {
                "GENERATED ALWAYS AS IDENTITY".to_string()
            }
            ColumnConstraint::Identity(Identity::ByDefault) => {
                "GENERATED BY DEFAULT AS IDENTITY".to_string()
            }
            ColumnConstraint::Generated(e) => format!("GENERATED ALWAYS AS ({e}) STORED"),
            ColumnConstraint::Constraint(k) => constraint(k, true)?,
        });
    }
    Some(s)
}

fn named(c: &ConstraintDef, body: String) -> String {
    let mut s = match &c.name {
        Some(n) => format!("CONSTRAINT {} {body}", quote_ident(n)),
        None => body,
    };
    if c.deferrable {
        s.push_str(" DEFERRABLE");
    }
    if c.initially_deferred {
        s.push_str(" INITIALLY DEFERRED");
    }
    if c.not_valid {
        s.push_str(" NOT VALID");
    }
    s
}

fn include(cols: &[String]) -> String {
    if cols.is_empty() {
        String::new()
    } else {
        format!(" INCLUDE ({})", idents(cols))
    }
}

fn references(
    ref_table: &Option<ObjName>,
    ref_columns: &[String],
    on_delete: ReferentialAction,
    on_update: ReferentialAction,
    match_full: bool,
) -> Option<String> {
    let mut s = format!("REFERENCES {}", name(ref_table.as_ref()?));
    if !ref_columns.is_empty() {
        s.push_str(&format!(" ({})", idents(ref_columns)));
    }
    if match_full {
        s.push_str(" MATCH FULL");
    }
    if on_delete != ReferentialAction::NoAction {
        s.push_str(&format!(" ON DELETE {}", on_delete.sql()));
    }
    if on_update != ReferentialAction::NoAction {
        s.push_str(&format!(" ON UPDATE {}", on_update.sql()));
    }
    Some(s)
}

/// A table constraint, or (`on_column`) one written on a column, whose columns are the column's: it lists
/// none, and only a key, a check or a reference can be written there.
fn constraint(c: &ConstraintDef, on_column: bool) -> Option<String> {
    let keys = |columns: &[String]| -> Option<String> {
        match (on_column, columns.is_empty()) {
            (true, true) => Some(String::new()),
            (true, false) => None,
            (false, _) => Some(format!(" ({})", idents(columns))),
        }
    };
    let body = match (&c.kind, &c.using_index) {
        (ConstraintDefKind::PrimaryKey { .. }, Some(index)) if !on_column => {
            format!("PRIMARY KEY USING INDEX {}", quote_ident(index))
        }
        (ConstraintDefKind::Unique { .. }, Some(index)) if !on_column => {
            format!("UNIQUE USING INDEX {}", quote_ident(index))
        }
        (_, Some(_)) => return None,
        (
            ConstraintDefKind::PrimaryKey {
                columns,
                include: i,
            },
            None,
        ) => {
            format!("PRIMARY KEY{}{}", keys(columns)?, include(i))
        }
        (
            ConstraintDefKind::Unique {
                columns,
                include: i,
                nulls_not_distinct,
            },
            None,
        ) => format!(
            "UNIQUE{}{}{}",
            if *nulls_not_distinct {
                " NULLS NOT DISTINCT"
            } else {
                ""
            },
            keys(columns)?,
            include(i)
        ),
        (ConstraintDefKind::Check { expr, .. }, None) => format!("CHECK ({expr})"),
        (
            ConstraintDefKind::ForeignKey {
                columns,
                ref_table,
                ref_columns,
                on_delete,
                on_update,
                match_full,
            },
            None,
        ) => {
            let target = references(ref_table, ref_columns, *on_delete, *on_update, *match_full)?;
            match keys(columns)? {
                k if k.is_empty() => target,
                k => format!("FOREIGN KEY{k} {target}"),
            }
        }
        (_, None) if on_column => return None,
        (
            ConstraintDefKind::Exclude {
                method,
                elements,
                operators,
                predicate,
            },
            None,
        ) => {
            if elements.len() != operators.len() || elements.is_empty() {
                return None;
            }
            let mut s = format!(
                "EXCLUDE USING {} ({})",
                quote_ident(method),
                elements
                    .iter()
                    .zip(operators)
                    .map(|(e, o)| format!("{} WITH {o}", key_text(e)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if let Some(p) = predicate {
                s.push_str(&format!(" WHERE ({p})"));
            }
            s
        }
        (ConstraintDefKind::NotNull { columns }, None) => match columns.as_slice() {
            [c] => format!("NOT NULL {}", quote_ident(c)),
            _ => return None,
        },
    };
    Some(named(c, body))
}

fn alter_table_cmd(c: &AlterTable) -> Option<String> {
    let col = |c: &str| quote_ident(c);
    Some(match c {
        AlterTable::AddColumn {
            column: c,
            if_not_exists,
        } => format!(
            "ADD COLUMN {}{}",
            if *if_not_exists { "IF NOT EXISTS " } else { "" },
            column(c, false)?
        ),
        AlterTable::SetDefault { column, default } => match default {
            Some(d) => format!("ALTER COLUMN {} SET DEFAULT {d}", col(column)),
            None => format!("ALTER COLUMN {} DROP DEFAULT", col(column)),
        },
        AlterTable::SetNotNull(c) => format!("ALTER COLUMN {} SET NOT NULL", col(c)),
        AlterTable::DropNotNull(c) => format!("ALTER COLUMN {} DROP NOT NULL", col(c)),
        AlterTable::DropColumn {
            column,
            if_exists,
            cascade,
        } => format!(
            "DROP COLUMN {}{}{}",
            if *if_exists { "IF EXISTS " } else { "" },
            col(column),
            if *cascade { " CASCADE" } else { "" }
        ),
        AlterTable::AlterColumnType {
            column,
            data_type,
            using,
        } => {
            let mut s = format!("ALTER COLUMN {} TYPE {}", col(column), type_name(data_type));
            if let Some(u) = using {
                s.push_str(&format!(" USING {u}"));
            }
            s
        }
        AlterTable::AddIdentity { column, identity } => format!(
            "ALTER COLUMN {} ADD GENERATED {} AS IDENTITY",
            col(column),
            match identity {
                Identity::Always => "ALWAYS",
                Identity::ByDefault => "BY DEFAULT",
            }
        ),
        AlterTable::DropIdentity(c) => format!("ALTER COLUMN {} DROP IDENTITY", col(c)),
        AlterTable::DropExpression(c) => format!("ALTER COLUMN {} DROP EXPRESSION", col(c)),
        AlterTable::AddConstraint(k) => format!("ADD {}", constraint(k, false)?),
        AlterTable::ValidateConstraint(n) => format!("VALIDATE CONSTRAINT {}", quote_ident(n)),
        AlterTable::DropConstraint(n) => format!("DROP CONSTRAINT {}", quote_ident(n)),
        AlterTable::AlterConstraint {
            name,
            deferrable,
            initially_deferred,
        } => format!(
            "ALTER CONSTRAINT {} {}DEFERRABLE INITIALLY {}",
            quote_ident(name),
            if *deferrable { "" } else { "NOT " },
            if *initially_deferred {
                "DEFERRED"
            } else {
                "IMMEDIATE"
            }
        ),
        AlterTable::RowSecurity(true) => "ENABLE ROW LEVEL SECURITY".to_string(),
        AlterTable::RowSecurity(false) => "DISABLE ROW LEVEL SECURITY".to_string(),
        AlterTable::ForceRowSecurity(true) => "FORCE ROW LEVEL SECURITY".to_string(),
        AlterTable::ForceRowSecurity(false) => "NO FORCE ROW LEVEL SECURITY".to_string(),
        AlterTable::SetLogged(true) => "SET LOGGED".to_string(),
        AlterTable::SetLogged(false) => "SET UNLOGGED".to_string(),
        AlterTable::SetOwner(Some(r)) => format!("OWNER TO {}", role(r)),
        AlterTable::SetOwner(None) => "OWNER TO CURRENT_USER".to_string(),
        AlterTable::AttachPartition { partition, bound } => {
            format!("ATTACH PARTITION {} {bound}", name(partition))
                .trim_end()
                .to_string()
        }
        AlterTable::DetachPartition {
            partition,
            concurrently,
        } => format!(
            "DETACH PARTITION {}{}",
            name(partition),
            if *concurrently { " CONCURRENTLY" } else { "" }
        ),
        AlterTable::AddInherit(p) => format!("INHERIT {}", name(p)),
        AlterTable::DropInherit(p) => format!("NO INHERIT {}", name(p)),
        AlterTable::ResetOptions(options) if !options.is_empty() => {
            let options: Vec<String> = options
                .iter()
                .map(|o| o.split('.').map(quote_ident).collect::<Vec<_>>().join("."))
                .collect();
            format!("RESET ({})", options.join(", "))
        }
        AlterTable::SetStorage
        | AlterTable::ResetOptions(_)
        | AlterTable::TriggerSwitch
        | AlterTable::Other => return None,
    })
}

fn create_index(i: &CreateIndex) -> String {
    let mut s = format!(
        "CREATE {}INDEX {}{}",
        if i.unique { "UNIQUE " } else { "" },
        if i.concurrently { "CONCURRENTLY " } else { "" },
        if i.if_not_exists {
            "IF NOT EXISTS "
        } else {
            ""
        },
    );
    if let Some(n) = &i.name {
        s.push_str(&quote_ident(n));
        s.push(' ');
    }
    let keys: Vec<String> = i
        .keys
        .iter()
        .map(|k| {
            let mut s = match &k.expr {
                IndexKeyExpr::Column(c) => quote_ident(c),
                IndexKeyExpr::Expression { sql, .. } => format!("({sql})"),
            };
            if let Some(c) = &k.collation {
                s.push_str(&format!(
                    " COLLATE {}",
                    dotted(&c.split('.').map(str::to_string).collect::<Vec<_>>())
                ));
            }
            if let Some(o) = &k.opclass {
                s.push(' ');
                s.push_str(&dotted(
                    &o.split('.').map(str::to_string).collect::<Vec<_>>(),
                ));
            }
            if k.descending {
                s.push_str(" DESC");
            }
            match k.nulls_first {
                Some(true) => s.push_str(" NULLS FIRST"),
                Some(false) => s.push_str(" NULLS LAST"),
                None => {}
            }
            s
        })
        .collect();
    s.push_str(&format!(
        "ON {}{} USING {} ({})",
        if i.only { "ONLY " } else { "" },
        name(&i.table),
        quote_ident(&i.method),
        keys.join(", ")
    ));
    s.push_str(&include(&i.include));
    if i.nulls_not_distinct {
        s.push_str(" NULLS NOT DISTINCT");
    }
    if let Some(p) = &i.predicate {
        s.push_str(&format!(" WHERE {p}"));
    }
    s
}

fn sequence_options(o: &SequenceOptions) -> String {
    let mut s = String::new();
    if let Some(t) = &o.data_type {
        s.push_str(&format!(" AS {}", type_name(t)));
    }
    if let Some(m) = o.max_value {
        s.push_str(&format!(" MAXVALUE {m}"));
    }
    match &o.owned_by {
        Some(Some((table, column))) => s.push_str(&format!(
            " OWNED BY {}.{}",
            name(table),
            quote_ident(column)
        )),
        Some(None) => s.push_str(" OWNED BY NONE"),
        None => {}
    }
    s
}

fn create_function(f: &CreateFunction) -> Option<String> {
    let mut s = format!(
        "CREATE {}{} {}({})",
        if f.or_replace { "OR REPLACE " } else { "" },
        if f.is_procedure {
            "PROCEDURE"
        } else {
            "FUNCTION"
        },
        name(&f.name),
        f.arg_types.join(", ")
    );
    match (&f.returns, f.is_procedure) {
        (Some(r), false) => s.push_str(&format!(" RETURNS {r}")),
        (None, false) => return None,
        (_, true) => {}
    }
    s.push_str(&format!(" LANGUAGE {}", quote_ident(&f.language)));
    if !f.is_procedure && f.volatility != "volatile" {
        s.push_str(&format!(" {}", f.volatility.to_ascii_uppercase()));
    }
    if f.security_definer {
        s.push_str(" SECURITY DEFINER");
    }
    if let Some(path) = &f.search_path {
        let parts: Vec<String> = path.split(", ").map(literal).collect();
        s.push_str(&format!(" SET search_path = {}", parts.join(", ")));
    }
    let body = f.body.as_ref()?;
    // A dollar quote whose tag does not occur in the body.
    let mut tag = String::from("$body$");
    while body.contains(&tag) {
        tag.insert(1, 'x');
    }
    s.push_str(&format!(" AS {tag}{body}{tag}"));
    Some(s)
}

/// A CREATE FUNCTION statement's text, named `name` (schema-qualified when it is) and with OR REPLACE
/// set as asked, printed by the deparser.
fn function_as_defined(text: &str, name: &ObjName, or_replace: bool) -> Option<String> {
    let mut parsed = crate::raw::parse(text).ok()?;
    let [stmt] = parsed.stmts.as_mut_slice() else {
        return None;
    };
    let Some(crate::NodeEnum::CreateFunctionStmt(f)) = stmt.stmt.as_mut()?.node.as_mut() else {
        return None;
    };
    f.replace = or_replace;
    if let Some(schema) = &name.schema {
        let part = |s: &str| crate::ast::Node {
            node: Some(crate::NodeEnum::String(crate::ast::String {
                sval: s.to_string(),
            })),
        };
        f.funcname = vec![part(schema), part(&name.name)];
    }
    pg_query::deparse(&parsed, Default::default()).ok()
}

fn role_options(options: &[RoleOption]) -> Option<String> {
    let mut s = String::new();
    for o in options {
        s.push(' ');
        s.push_str(match o {
            RoleOption::Login(true) => "LOGIN",
            RoleOption::Login(false) => "NOLOGIN",
            RoleOption::Superuser(true) => "SUPERUSER",
            RoleOption::Superuser(false) => "NOSUPERUSER",
            RoleOption::BypassRls(true) => "BYPASSRLS",
            RoleOption::BypassRls(false) => "NOBYPASSRLS",
            RoleOption::CreateRole(true) => "CREATEROLE",
            RoleOption::CreateRole(false) => "NOCREATEROLE",
            // The password itself is never kept, so it cannot be written back.
            RoleOption::Password(true) => return None,
            RoleOption::Password(false) => "PASSWORD NULL",
        });
    }
    Some(s)
}

fn grant(g: &Grant) -> Option<String> {
    if g.object_kind.starts_with("DEFAULT ") || g.object_kind == "OBJECT" || g.grantees.is_empty() {
        return None;
    }
    let objects: Vec<String> = g
        .objects
        .iter()
        .map(|o| match o {
            GrantObject::Relation(r) => name(r),
            GrantObject::Named(n) => dotted(&n.split('.').map(str::to_string).collect::<Vec<_>>()),
        })
        .collect();
    if objects.is_empty() {
        return None;
    }
    let privileges = if g
        .privileges
        .iter()
        .any(|p| p.name == "ALL" && p.columns.is_empty())
    {
        "ALL".to_string()
    } else {
        g.privileges
            .iter()
            .map(|p| {
                if p.columns.is_empty() {
                    p.name.clone()
                } else {
                    format!("{} ({})", p.name, idents(&p.columns))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let on = format!("{} {}", g.object_kind, objects.join(", "));
    Some(if g.grant {
        format!(
            "GRANT {privileges} ON {on} TO {}{}",
            roles(&g.grantees),
            if g.with_grant_option {
                " WITH GRANT OPTION"
            } else {
                ""
            }
        )
    } else {
        format!(
            "REVOKE {}{privileges} ON {on} FROM {}",
            if g.with_grant_option {
                "GRANT OPTION FOR "
            } else {
                ""
            },
            roles(&g.grantees)
        )
    })
}

fn drop(d: &Drop) -> Option<String> {
    if d.objects.is_empty() {
        return None;
    }
    let word = object_word(d.kind)?;
    let objects = match d.kind {
        // `DROP TRIGGER t ON table`, `DROP POLICY p ON table`: one object each.
        ObjectKind::Trigger | ObjectKind::Policy => {
            let [object] = d.objects.as_slice() else {
                return None;
            };
            let (object, table) = object.name.split_last()?;
            format!("{} ON {}", quote_ident(object), dotted(table))
        }
        _ => d
            .objects
            .iter()
            .map(object_text)
            .collect::<Vec<_>>()
            .join(", "),
    };
    Some(format!(
        "DROP {word} {}{}{objects}{}",
        if d.concurrently { "CONCURRENTLY " } else { "" },
        if d.if_exists { "IF EXISTS " } else { "" },
        if d.cascade { " CASCADE" } else { "" }
    ))
}

fn rename(r: &Rename) -> Option<String> {
    let new = quote_ident(&r.new);
    let old = quote_ident(&r.old);
    let rel = || {
        r.relation
            .as_ref()
            .map(|n| format!("{}{}", if r.if_exists { "IF EXISTS " } else { "" }, name(n)))
    };
    Some(match r.kind {
        ObjectKind::Column => format!("ALTER TABLE {} RENAME COLUMN {old} TO {new}", rel()?),
        ObjectKind::TableConstraint => {
            format!("ALTER TABLE {} RENAME CONSTRAINT {old} TO {new}", rel()?)
        }
        ObjectKind::Trigger => format!("ALTER TRIGGER {old} ON {} RENAME TO {new}", rel()?),
        ObjectKind::Policy => format!("ALTER POLICY {old} ON {} RENAME TO {new}", rel()?),
        ObjectKind::Schema => format!("ALTER SCHEMA {old} RENAME TO {new}"),
        ObjectKind::Role => format!("ALTER ROLE {old} RENAME TO {new}"),
        ObjectKind::Type | ObjectKind::Domain => {
            if r.object.is_empty() {
                return None;
            }
            format!(
                "ALTER {} {} RENAME TO {new}",
                object_word(r.kind)?,
                dotted(&r.object)
            )
        }
        k => format!("ALTER {} {} RENAME TO {new}", relation_word(k)?, rel()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SourceMap, parse_file};

    fn lowered(sql: &str) -> Vec<SchemaChange> {
        let mut sources = SourceMap::new();
        let file = sources.add("t.sql", sql.to_string());
        let mut out = vec![];
        for s in &parse_file(&file).expect("parses").statements {
            for mut c in super::super::lower(s).changes {
                c.erase_spans(Span::default());
                out.push(c);
            }
        }
        out
    }

    /// Each statement lowered, emitted and lowered again gives the same change.
    #[track_caller]
    fn round_trip(sql: &str) -> String {
        let changes = lowered(sql);
        assert_eq!(changes.len(), 1, "{sql}: {changes:?}");
        let text = emit(&changes[0]).unwrap_or_else(|| panic!("{sql}: not emitted"));
        let again = lowered(&text);
        assert_eq!(again, changes, "{sql}\n -> {text}");
        text
    }

    #[test]
    fn statements_round_trip() {
        for sql in [
            "CREATE TABLE app.\"Order\" (id bigserial PRIMARY KEY, total numeric(10,2) NOT NULL DEFAULT 0, \
             user_id int REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, \
             note text COLLATE \"C\", at timestamptz DEFAULT now(), \
             CONSTRAINT total_pos CHECK (total >= 0) NOT VALID, UNIQUE NULLS NOT DISTINCT (user_id, total) INCLUDE (note))",
            "CREATE UNLOGGED TABLE IF NOT EXISTS t (a int GENERATED ALWAYS AS IDENTITY, b int GENERATED ALWAYS AS (a * 2) STORED, \
             c text[] NULL, EXCLUDE USING gist (c WITH &&) WHERE (a > 0))",
            "CREATE TABLE m (at date NOT NULL, v int) PARTITION BY RANGE (at)",
            "CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
            "CREATE TABLE c (x int, LIKE p) INHERITS (p)",
            "ALTER TABLE IF EXISTS t ADD COLUMN IF NOT EXISTS x text NOT NULL DEFAULT '', \
             ALTER COLUMN y TYPE bigint USING y::bigint, ALTER COLUMN z DROP DEFAULT, ALTER COLUMN z SET NOT NULL, \
             ENABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY, VALIDATE CONSTRAINT k, DROP CONSTRAINT j, \
             ADD CONSTRAINT fk FOREIGN KEY (a, b) REFERENCES s.p (x, y) MATCH FULL ON UPDATE SET NULL NOT VALID, \
             ALTER COLUMN w ADD GENERATED BY DEFAULT AS IDENTITY, SET UNLOGGED, OWNER TO app",
            "ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_id_idx",
            "ALTER TABLE m ATTACH PARTITION m_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
            "ALTER INDEX i RENAME TO j",
            "ALTER TABLE t RENAME COLUMN \"Old\" TO new",
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON s.t USING btree (lower(email), b DESC NULLS LAST, c text_pattern_ops) \
             INCLUDE (d) WHERE deleted_at IS NULL",
            "CREATE INDEX ON t USING gin (tags)",
            "CREATE OR REPLACE VIEW v AS SELECT a.id, b.name FROM a JOIN b ON b.id = a.b_id WHERE a.x > 1",
            "CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM t",
            "CREATE SEQUENCE s AS integer OWNED BY t.id",
            "ALTER SEQUENCE s OWNED BY NONE",
            "CREATE TYPE mood AS ENUM ('sad', 'it''s ok', 'happy')",
            "ALTER TYPE mood ADD VALUE 'meh' BEFORE 'happy'",
            "ALTER TYPE mood ADD VALUE 'ecstatic'",
            "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'",
            "CREATE DOMAIN email AS text NOT NULL CHECK (VALUE ~ '@')",
            "CREATE TYPE pair AS (a int, b text)",
            "CREATE OR REPLACE FUNCTION app.touch(integer, text) RETURNS trigger LANGUAGE plpgsql STABLE SECURITY DEFINER \
             SET search_path = app, pg_temp AS $$ BEGIN NEW.at := now(); RETURN NEW; END $$",
            "CREATE PROCEDURE p() LANGUAGE sql AS $$ SELECT 1 $$",
            "CREATE TRIGGER t_touch BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION app.touch()",
            "CREATE TRIGGER t_audit AFTER DELETE OR UPDATE OF a, \"B\" ON t FOR EACH ROW WHEN (old.local = true) EXECUTE FUNCTION audit('t', 'it''s')",
            "ALTER TABLE t DROP COLUMN IF EXISTS c CASCADE",
            "ALTER TABLE IF EXISTS t RENAME COLUMN a TO b",
            "SET lock_timeout = '2s'",
            "ALTER FUNCTION app.f(integer, text) SECURITY DEFINER STABLE SET search_path = pg_catalog, app, pg_temp",
            "ALTER PROCEDURE p RESET search_path",
            "RESET statement_timeout",
            "REINDEX INDEX CONCURRENTLY app.i",
            "REINDEX TABLE t",
            "CLUSTER t",
            "VACUUM (FULL, ANALYZE) a, s.b",
            "VACUUM",
            "ANALYZE t",
            "TRUNCATE a, b",
            "ALTER TABLE t RESET (autovacuum_enabled, toast.autovacuum_enabled)",
            "CREATE POLICY p ON t AS RESTRICTIVE FOR SELECT TO app, PUBLIC USING (org_id = current_setting('app.org')::int)",
            "ALTER POLICY p ON t USING (true) WITH CHECK (false)",
            "CREATE ROLE app LOGIN NOSUPERUSER BYPASSRLS",
            "CREATE USER u",
            "ALTER ROLE app NOLOGIN",
            "GRANT SELECT, INSERT ON TABLE s.t, u TO app WITH GRANT OPTION",
            "REVOKE ALL ON SCHEMA public FROM PUBLIC",
            "GRANT USAGE ON ALL SEQUENCES IN SCHEMA app TO app",
            "GRANT admin TO alice, bob",
            "COMMENT ON TABLE t IS 'the t''s'",
            "COMMENT ON COLUMN s.t.c IS NULL",
            "CREATE EXTENSION pgcrypto SCHEMA ext",
            "DROP TABLE IF EXISTS a, s.b CASCADE",
            "DROP INDEX CONCURRENTLY i",
            "DROP TRIGGER t_touch ON s.t",
            "DROP FUNCTION app.touch",
            "DROP FUNCTION f(integer, text), g()",
            "GRANT SELECT (a, \"B\"), UPDATE ON t TO app",
            "COMMENT ON INDEX s.i IS 'x'",
            "COMMENT ON SCHEMA app IS 'y'",
            "COMMENT ON TYPE mood IS 'z'",
            "COMMENT ON FUNCTION semver_ord IS NULL",
            "COMMENT ON CONSTRAINT k ON s.t IS 'why'",
            "COMMENT ON TRIGGER tr ON t IS NULL",
            "COMMENT ON FUNCTION f(integer) IS 'w'",
            "CREATE SCHEMA s",
            "CREATE SCHEMA AUTHORIZATION CURRENT_USER",
            "SET search_path = app, \"$user\", public",
            "RESET search_path",
            "ALTER TABLE t SET SCHEMA archive",
            "ALTER SCHEMA a RENAME TO b",
            "ALTER TRIGGER x ON t RENAME TO y",
        ] {
            round_trip(sql);
        }
    }

    #[test]
    fn spelled_by_the_deparser_and_quoted() {
        assert_eq!(
            round_trip("create index \"Idx\" on \"My Table\" (\"Col\")"),
            "CREATE INDEX \"Idx\" ON \"My Table\" USING btree (\"Col\")"
        );
        assert_eq!(
            round_trip("alter table t add column \"select\" int"),
            "ALTER TABLE t ADD COLUMN \"select\" int"
        );
    }

    #[test]
    fn what_cannot_be_written_is_none() {
        for sql in [
            "CREATE TABLE t2 AS SELECT 1 AS x",
            "DO $$ BEGIN END $$",
            "CREATE ROLE r PASSWORD 'secret'",
            "INSERT INTO t VALUES (1)",
            "ALTER TABLE t SET (fillfactor = 70)",
        ] {
            let changes = lowered(sql);
            assert!(
                changes.iter().all(|c| emit(c).is_none()),
                "{sql}: {:?}",
                changes.iter().map(emit).collect::<Vec<_>>()
            );
        }
    }
}

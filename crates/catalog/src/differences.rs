//! Differences between two catalogs: what schema diff, down-migration checks and drift detection stand on.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::model::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// One difference: `object` was added, removed or changed going from the first catalog to the second.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    /// What it is about, e.g. `column orders.user_id`, `index orders_user_id_idx`.
    pub object: String,
    /// For changes: the value before and after, as text.
    pub detail: Option<String>,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match self.kind {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        };
        write!(f, "{} {verb}", self.object)?;
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

fn keyed<'a, K: Ord + Clone, V: PartialEq>(
    a: &'a BTreeMap<K, V>,
    b: &'a BTreeMap<K, V>,
    label: impl FnMut(&K) -> String,
    changed: impl FnMut(&K, &V, &V, &mut Vec<Change>),
    out: &mut Vec<Change>,
) {
    keyed_by(a, b, |x, y| x == y, label, changed, out)
}

/// [`keyed`] over shared objects: a copy still shared with the other catalog is not compared.
fn keyed_shared<'a, K: Ord + Clone, T: PartialEq>(
    a: &'a BTreeMap<K, Arc<T>>,
    b: &'a BTreeMap<K, Arc<T>>,
    label: impl FnMut(&K) -> String,
    changed: impl FnMut(&K, &Arc<T>, &Arc<T>, &mut Vec<Change>),
    out: &mut Vec<Change>,
) {
    keyed_by(
        a,
        b,
        |x, y| Arc::ptr_eq(x, y) || x == y,
        label,
        changed,
        out,
    )
}

fn keyed_by<'a, K: Ord + Clone, V>(
    a: &'a BTreeMap<K, V>,
    b: &'a BTreeMap<K, V>,
    same: impl Fn(&V, &V) -> bool,
    mut label: impl FnMut(&K) -> String,
    mut changed: impl FnMut(&K, &V, &V, &mut Vec<Change>),
    out: &mut Vec<Change>,
) {
    for (k, va) in a {
        match b.get(k) {
            None => out.push(Change {
                kind: ChangeKind::Removed,
                object: label(k),
                detail: None,
            }),
            Some(vb) if !same(va, vb) => changed(k, va, vb, out),
            Some(_) => {}
        }
    }
    for k in b.keys().filter(|k| !a.contains_key(k)) {
        out.push(Change {
            kind: ChangeKind::Added,
            object: label(k),
            detail: None,
        });
    }
}

/// The tables whose columns both catalogs have but in another order (what `differences` leaves out: a
/// column dropped and added back comes at the end of its table, which `SELECT *` and `COPY` see).
pub fn column_order_differences(a: &Catalog, b: &Catalog) -> Vec<Change> {
    let mut out = vec![];
    for (name, ta) in &a.tables {
        let Some(tb) = b.tables.get(name) else {
            continue;
        };
        if Arc::ptr_eq(ta, tb) {
            continue;
        }
        let common = |x: &Table, y: &Table| -> Vec<String> {
            x.columns
                .iter()
                .filter(|c| y.column(&c.name).is_some())
                .map(|c| c.name.clone())
                .collect()
        };
        let (oa, ob) = (common(ta, tb), common(tb, ta));
        if oa != ob {
            out.push(Change {
                kind: ChangeKind::Changed,
                object: format!("table {name}"),
                detail: Some(format!(
                    "column order ({} -> {})",
                    oa.join(", "),
                    ob.join(", ")
                )),
            });
        }
    }
    out
}

fn by_name<T>(items: &[T], name: impl Fn(&T) -> String) -> BTreeMap<String, &T> {
    items.iter().map(|i| (name(i), i)).collect()
}

fn column_text(c: &Column) -> String {
    let mut s = c.data_type.to_string();
    if c.not_null {
        s.push_str(" NOT NULL");
    }
    if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {d}"));
    }
    if c.identity.is_some() {
        s.push_str(" IDENTITY");
    }
    if let Some(g) = &c.generated {
        s.push_str(&format!(" GENERATED ({g})"));
    }
    s
}

/// A constraint as its definition reads (`FOREIGN KEY (a) REFERENCES t (id)`), written by the emitter.
fn constraint_sql(table: &QualifiedName, c: &Constraint) -> String {
    let add = crate::make::alter(
        table,
        vec![dbarch_sql::change::AlterTable::AddConstraint(
            crate::make::constraint(c),
        )],
    );
    dbarch_sql::change::emit(&add)
        .and_then(|sql| {
            sql.split_once(" ADD CONSTRAINT ")
                .and_then(|(_, rest)| rest.split_once(' '))
                .map(|(_, def)| def.to_string())
        })
        .unwrap_or_else(|| "(its definition)".to_string())
}

/// A column as PostgreSQL stores it: its default in the form [`dbarch_sql::expr::stored_default`] gives.
/// An index as PostgreSQL stores it: an operator class that is the default one of its column's type for
/// the index's method is not written, and string literals in expressions lose the `::text` casts the
/// server adds to them.
fn stored_index(catalog: &Catalog, i: &Index) -> Index {
    let table = catalog.table(&i.table);
    let mut i = i.clone();
    for k in &mut i.keys {
        match &mut k.expr {
            dbarch_sql::change::IndexKeyExpr::Column(c) => {
                if let (Some(op), Some(col)) = (&k.opclass, table.and_then(|t| t.column(c)))
                    && dbarch_sql::expr::is_default_opclass(&i.method, &col.data_type, op)
                {
                    k.opclass = None;
                }
            }
            dbarch_sql::change::IndexKeyExpr::Expression { sql, .. } => {
                *sql = dbarch_sql::expr::stored_expression(sql);
            }
        }
    }
    if let Some(p) = &mut i.predicate {
        *p = dbarch_sql::expr::stored_expression(p);
    }
    i
}

fn stored(c: &Column) -> Column {
    Column {
        // `DEFAULT NULL` is no default: PostgreSQL stores none.
        default: c
            .default
            .as_deref()
            .map(|d| dbarch_sql::expr::stored_default(d, &c.data_type))
            .filter(|d| !d.eq_ignore_ascii_case("null")),
        // A serial is its sequence, default and ownership, which are compared on their own.
        serial: false,
        ..c.clone()
    }
}

/// What differs between two spellings of a column: its definition, or when that reads the same, the
/// collation, comment or identity options that do.
fn column_detail(x: &Column, y: &Column) -> String {
    let (tx, ty) = (column_text(x), column_text(y));
    if tx != ty {
        return format!("{tx} -> {ty}");
    }
    let text = |v: &Option<String>| {
        v.as_deref()
            .map_or("none".to_string(), |s| format!("'{s}'"))
    };
    let mut parts = vec![];
    if x.comment != y.comment {
        parts.push(format!(
            "comment {} -> {}",
            text(&x.comment),
            text(&y.comment)
        ));
    }
    if x.collation != y.collation {
        parts.push(format!(
            "collation {} -> {}",
            text(&x.collation),
            text(&y.collation)
        ));
    }
    if x.identity != y.identity {
        parts.push(format!("identity {:?} -> {:?}", x.identity, y.identity));
    }
    if parts.is_empty() {
        format!("{tx} -> {ty}")
    } else {
        parts.join(", ")
    }
}

/// A foreign key as PostgreSQL stores it: referencing the columns of the referenced table's primary key
/// by name, however it was written (`REFERENCES person` is `REFERENCES person (id)`).
fn stored_key(catalog: &Catalog, c: &Constraint) -> Constraint {
    let mut c = Constraint {
        name_given: false,
        ..c.clone()
    };
    if let ConstraintKind::ForeignKey(fk) = &mut c.kind
        && fk.ref_columns.is_empty()
        && let Some(pk) = catalog
            .table(&fk.ref_table)
            .and_then(|t| t.primary_key_columns())
    {
        fk.ref_columns = pk.to_vec();
    }
    c
}

fn table_changes(
    name: &QualifiedName,
    (catalog_a, a): (&Catalog, &Arc<Table>),
    (catalog_b, b): (&Catalog, &Arc<Table>),
    out: &mut Vec<Change>,
) {
    // Columns as PostgreSQL stores them; the stored form is worked out only for columns written
    // differently.
    let ca = by_name(&a.columns, |c| c.name.clone());
    let cb = by_name(&b.columns, |c| c.name.clone());
    keyed_by(
        &ca,
        &cb,
        |x, y| x == y || stored(x) == stored(y),
        |c| format!("column {name}.{c}"),
        |c, x, y, out| {
            out.push(Change {
                kind: ChangeKind::Changed,
                object: format!("column {name}.{c}"),
                detail: Some(column_detail(&stored(x), &stored(y))),
            })
        },
        out,
    );
    // Whether a name was written or defaulted is not part of the schema, nor whether a foreign key
    // named the referenced columns.
    let ka: BTreeMap<String, Constraint> = a
        .constraints
        .iter()
        .map(|c| (c.name.clone(), stored_key(catalog_a, c)))
        .collect();
    let kb: BTreeMap<String, Constraint> = b
        .constraints
        .iter()
        .map(|c| (c.name.clone(), stored_key(catalog_b, c)))
        .collect();
    keyed(
        &ka,
        &kb,
        |k| format!("constraint {k} on {name}"),
        |k, x, y, out| {
            let what = if x.kind != y.kind {
                format!("{} -> {}", constraint_sql(name, x), constraint_sql(name, y))
            } else if x.not_valid != y.not_valid {
                format!(
                    "{} -> {}",
                    if x.not_valid { "NOT VALID" } else { "valid" },
                    if y.not_valid { "NOT VALID" } else { "valid" }
                )
            } else {
                let deferral = |c: &Constraint| match (c.deferrable, c.initially_deferred) {
                    (false, _) => "NOT DEFERRABLE",
                    (true, false) => "DEFERRABLE INITIALLY IMMEDIATE",
                    (true, true) => "DEFERRABLE INITIALLY DEFERRED",
                };
                format!("{} -> {}", deferral(x), deferral(y))
            };
            out.push(Change {
                kind: ChangeKind::Changed,
                object: format!("constraint {k} on {name}"),
                detail: Some(what),
            })
        },
        out,
    );
    let pa = by_name(&a.policies, |p| p.name.clone());
    let pb = by_name(&b.policies, |p| p.name.clone());
    keyed(
        &pa,
        &pb,
        |p| format!("policy {p} on {name}"),
        |p, _, _, out| {
            out.push(Change {
                kind: ChangeKind::Changed,
                object: format!("policy {p} on {name}"),
                detail: None,
            })
        },
        out,
    );
    // Column order is not compared here (a down that drops and re-adds a column restores it at the end,
    // and a down is not judged by that): `column_order_differences` says where it differs.
    let checks: [(&str, bool); 5] = [
        (
            "row level security",
            (a.rls_enabled, a.rls_forced) != (b.rls_enabled, b.rls_forced),
        ),
        ("persistence", a.unlogged != b.unlogged),
        (
            "partitioning",
            (&a.partition_by, &a.partition_of) != (&b.partition_by, &b.partition_of),
        ),
        ("inheritance", a.inherits != b.inherits),
        ("comment", a.comment != b.comment),
    ];
    for (what, differs) in checks {
        if differs {
            out.push(Change {
                kind: ChangeKind::Changed,
                object: format!("table {name}"),
                detail: Some(what.to_string()),
            });
        }
    }
}

/// Every difference from `a` to `b`, in a stable order. Where objects were defined is not compared.
pub fn differences(a: &Catalog, b: &Catalog) -> Vec<Change> {
    let mut out = vec![];
    keyed(
        &a.schemas,
        &b.schemas,
        |s| format!("schema {s}"),
        |_, _, _, _| {},
        &mut out,
    );
    keyed_shared(
        &a.tables,
        &b.tables,
        |t| format!("table {t}"),
        |name, x, y, out| table_changes(name, (a, x), (b, y), out),
        &mut out,
    );
    // Indexes as PostgreSQL stores them (an opclass that is the default written out or not, `'k'` or
    // `'k'::text` in an expression); copies still shared are not looked at.
    let changed_indexes: BTreeMap<&QualifiedName, (Index, Index)> = a
        .indexes
        .iter()
        .filter_map(|(k, x)| {
            let y = b.indexes.get(k)?;
            (!Arc::ptr_eq(x, y)).then(|| (k, (stored_index(a, x), stored_index(b, y))))
        })
        .filter(|(_, (x, y))| x != y)
        .collect();
    for k in a.indexes.keys() {
        if !b.indexes.contains_key(k) {
            out.push(Change {
                kind: ChangeKind::Removed,
                object: format!("index {k}"),
                detail: None,
            });
        } else if let Some((x, y)) = changed_indexes.get(k) {
            out.push(Change {
                kind: ChangeKind::Changed,
                object: format!("index {k}"),
                detail: Some(format!(
                    "{} -> {}",
                    x.create_sql().unwrap_or_else(|| x.name.to_string()),
                    y.create_sql().unwrap_or_else(|| y.name.to_string())
                )),
            });
        }
    }
    for k in b.indexes.keys().filter(|k| !a.indexes.contains_key(*k)) {
        out.push(Change {
            kind: ChangeKind::Added,
            object: format!("index {k}"),
            detail: None,
        });
    }
    keyed_shared(
        &a.views,
        &b.views,
        |v| format!("view {v}"),
        |v, _, _, out| {
            out.push(Change {
                kind: ChangeKind::Changed,
                object: format!("view {v}"),
                detail: None,
            })
        },
        &mut out,
    );
    keyed_shared(
        &a.sequences,
        &b.sequences,
        |s| format!("sequence {s}"),
        |s, _, _, out| {
            out.push(Change {
                kind: ChangeKind::Changed,
                object: format!("sequence {s}"),
                detail: None,
            })
        },
        &mut out,
    );
    keyed(
        &a.types,
        &b.types,
        |t| format!("type {t}"),
        |t, _, _, out| {
            out.push(Change {
                kind: ChangeKind::Changed,
                object: format!("type {t}"),
                detail: None,
            })
        },
        &mut out,
    );
    let fa = by_name(&a.functions, |f| {
        format!("{}({})", f.name, f.arg_types.join(", "))
    });
    let fb = by_name(&b.functions, |f| {
        format!("{}({})", f.name, f.arg_types.join(", "))
    });
    keyed(
        &fa,
        &fb,
        |f| format!("function {f}"),
        |f, _, _, out| {
            out.push(Change {
                kind: ChangeKind::Changed,
                object: format!("function {f}"),
                detail: None,
            })
        },
        &mut out,
    );
    keyed(
        &a.triggers,
        &b.triggers,
        |(t, n)| format!("trigger {n} on {t}"),
        |(t, n), _, _, out| {
            out.push(Change {
                kind: ChangeKind::Changed,
                object: format!("trigger {n} on {t}"),
                detail: None,
            })
        },
        &mut out,
    );
    keyed(
        &a.roles,
        &b.roles,
        |r| format!("role {r}"),
        |r, _, _, out| {
            out.push(Change {
                kind: ChangeKind::Changed,
                object: format!("role {r}"),
                detail: None,
            })
        },
        &mut out,
    );
    keyed(
        &a.extensions,
        &b.extensions,
        |e| format!("extension {e}"),
        |_, _, _, _| {},
        &mut out,
    );
    let grant_key = |g: &Grant| {
        format!(
            "{} ON {} {} TO {}",
            g.privileges.join(", "),
            g.object_kind,
            g.objects.join(", "),
            g.grantees.join(", ")
        )
    };
    let ga = by_name(&a.grants, grant_key);
    let gb = by_name(&b.grants, grant_key);
    keyed(
        &ga,
        &gb,
        |g| format!("grant {g}"),
        |_, _, _, _| {},
        &mut out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dbarch_sql::{SourceMap, parse_file};

    fn cat(sql: &str) -> Catalog {
        let mut m = SourceMap::new();
        Catalog::from_files([&parse_file(&m.add("t.sql", sql.to_string())).unwrap()])
    }

    #[test]
    fn finds_added_removed_changed() {
        let a =
            cat("create table t (id int primary key, a text, b int); create index t_a on t (a);");
        let b = cat(
            "create table t (id int primary key, a varchar(10), c int); create index t_a on t (a, id); create table u (x int);",
        );
        let d: Vec<String> = differences(&a, &b).iter().map(|c| c.to_string()).collect();
        assert!(
            d.contains(&"column t.a changed (text -> varchar(10))".to_string()),
            "{d:?}"
        );
        assert!(d.contains(&"column t.b removed".to_string()));
        assert!(d.contains(&"column t.c added".to_string()));
        assert!(d.contains(&"table u added".to_string()));
        assert!(d.iter().any(|x| x.starts_with("index t_a changed")));
        assert!(differences(&a, &a).is_empty());
    }

    /// What PostgreSQL stores the same is the same (each checked on PostgreSQL 15: pg_get_expr and
    /// pg_get_constraintdef read alike for both spellings).
    #[test]
    fn spellings_postgresql_stores_alike_are_no_difference() {
        let a = cat("create table p (id int primary key);
                     create table t (id int primary key, s varchar(20) default 'medium', tags text[] default '{}',
                                     n text default null, p int, constraint t_p_fkey foreign key (p) references p);");
        let b = cat("create table p (id int primary key);
                     create table t (id int primary key, s varchar(20) default 'medium'::character varying,
                                     tags text[] default '{}'::text[], n text, p int,
                                     constraint t_p_fkey foreign key (p) references p (id));");
        assert!(differences(&a, &b).is_empty(), "{:?}", differences(&a, &b));
        // A constraint that does differ says how.
        let c = cat("create table p (id int primary key);
                     create table t (id int primary key, s varchar(20) default 'medium', tags text[] default '{}',
                                     n text, p int, constraint t_p_fkey foreign key (p) references p on delete cascade);");
        let d: Vec<String> = differences(&a, &c).iter().map(|c| c.to_string()).collect();
        assert!(
            d.iter().any(|x| x.contains("FOREIGN KEY (p) REFERENCES public.p (id) -> FOREIGN KEY (p) REFERENCES public.p (id) ON DELETE CASCADE")),
            "{d:?}"
        );
    }
}

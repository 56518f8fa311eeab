//! Which columns a view reads. PostgreSQL records a view's dependency on each column its query uses —
//! by name, through `*` (expanded when the view is created), or through `JOIN ... USING` — and refuses to
//! drop or change the type of such a column while the view exists.

use dbarch_sql::NodeEnum;
use pg_query::NodeRef;

use crate::{Catalog, QualifiedName, View};

impl View {
    /// Whether the query reads `column` of `table`, as PostgreSQL bound it when the view was created
    /// (`catalog` resolves the relation names the query uses). Only what is certain counts: a name
    /// qualified by the table or its alias, `t.*`, `JOIN ... USING`, and an unqualified name or a bare `*`
    /// when the query reads that one relation and nothing else (elsewhere an unqualified name may belong to
    /// another relation or subquery in scope, and the answer errs towards no).
    pub fn reads_column(&self, catalog: &Catalog, table: &QualifiedName, column: &str) -> bool {
        let Some(relation) = self.scope.0.iter().find(|r| &r.now == table) else {
            return false;
        };
        // The names the query uses (renames since are followed by the scope, not by the query's text).
        let Some((_, column)) = relation.columns.iter().find(|c| c.0 == column) else {
            // The column came after the view: `*` did not include it, and no name in the query meant it.
            return false;
        };
        let (table, column) = (&relation.then, column.as_str());
        let Some(query) = self.query.tree().and_then(|q| q.node.as_ref()) else {
            return false;
        };
        let nodes = query.nodes();
        // What each name a query qualifies columns with stands for: an alias, or the relation's own name.
        let mut named: Vec<(&str, QualifiedName)> = vec![];
        for (n, ..) in &nodes {
            if let NodeRef::RangeVar(rv) = n {
                let key = rv
                    .alias
                    .as_ref()
                    .map_or(rv.relname.as_str(), |a| a.aliasname.as_str());
                named.push((key, catalog.resolve(rv)));
            }
        }
        let means_table = |qualifier: &str| {
            named
                .iter()
                .any(|(key, name)| *key == qualifier && name == table)
        };
        let subqueries = nodes
            .iter()
            .any(|(n, ..)| matches!(n, NodeRef::RangeSubselect(_) | NodeRef::RangeFunction(_)));
        let only_table = !subqueries && !named.is_empty() && named.iter().all(|(_, n)| n == table);
        // A SELECT over that one relation with no query nested in it (the usual scalar subquery,
        // `(SELECT name FROM post p WHERE p.id = x.post_id)`): its unqualified names and `*` are the table's.
        for (n, ..) in &nodes {
            let NodeRef::SelectStmt(sel) = n else {
                continue;
            };
            let [from] = sel.from_clause.as_slice() else {
                continue;
            };
            let Some(NodeEnum::RangeVar(rv)) = from.node.as_ref() else {
                continue;
            };
            if catalog.resolve(rv) != *table {
                continue;
            }
            let owned = NodeEnum::SelectStmt(Box::new((*sel).clone()));
            let inner = owned.nodes();
            let leaf = inner
                .iter()
                .filter(|(n, ..)| matches!(n, NodeRef::SelectStmt(_)))
                .count()
                == 1;
            if leaf
                && inner.iter().any(|(n, ..)| match n {
                    NodeRef::ColumnRef(c) => match c.fields.as_slice() {
                        [f] => match f.node.as_ref() {
                            Some(NodeEnum::String(s)) => s.sval == column,
                            _ => true, // `*`
                        },
                        _ => false,
                    },
                    _ => false,
                })
            {
                return true;
            }
        }
        for (n, ..) in &nodes {
            match n {
                NodeRef::ColumnRef(c) => {
                    let fields: Vec<Option<&str>> = c
                        .fields
                        .iter()
                        .map(|f| match f.node.as_ref() {
                            Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
                            _ => None, // `*`
                        })
                        .collect();
                    let hit = match fields.as_slice() {
                        [None] => only_table,
                        [Some(q), None] => means_table(q),
                        [Some(c)] => *c == column && only_table,
                        [Some(q), Some(c)] => *c == column && means_table(q),
                        [Some(s), Some(t), Some(c)] => {
                            *c == column && QualifiedName::new(*s, *t) == *table
                        }
                        [Some(s), Some(t), None] => QualifiedName::new(*s, *t) == *table,
                        _ => false,
                    };
                    if hit {
                        return true;
                    }
                }
                NodeRef::JoinExpr(j)
                    if j.using_clause.iter().any(|u| {
                        matches!(u.node.as_ref(), Some(NodeEnum::String(s)) if s.sval == column)
                    }) =>
                {
                    return true;
                }
                _ => {}
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use crate::{Catalog, QualifiedName};
    use dbarch_sql::{ParseOptions, SourceMap, parse_file_opts};

    fn catalog(sql: &str) -> Catalog {
        let mut sources = SourceMap::new();
        let file = sources.add("t.sql", sql.to_string());
        Catalog::from_files(&[parse_file_opts(&file, ParseOptions::SCHEMA).unwrap()])
    }

    fn reads(c: &Catalog, view: &str, table: &str, column: &str) -> bool {
        c.views[&QualifiedName::new("public", view)].reads_column(
            c,
            &QualifiedName::new("public", table),
            column,
        )
    }

    #[test]
    fn columns_by_name_star_and_using() {
        let c = catalog(
            "CREATE TABLE a (id bigint, x int, y int, z int);
             CREATE TABLE b (id bigint, a_id bigint, w int);
             CREATE VIEW named AS SELECT a.x, bb.w FROM a JOIN b bb ON bb.a_id = a.id WHERE y > 0;
             CREATE VIEW starred AS SELECT * FROM b;
             CREATE VIEW alone AS SELECT x FROM a WHERE y > 0;
             CREATE VIEW scalar AS SELECT b.id, (SELECT z FROM a WHERE a.id = b.a_id) AS z FROM b;
             CREATE TABLE r (id bigint, old_name text);
             CREATE VIEW renamed AS SELECT r.old_name FROM r;
             ALTER TABLE r RENAME COLUMN old_name TO new_name;
             ALTER TABLE r RENAME TO r2;
             CREATE VIEW qualified_star AS SELECT a.* FROM a JOIN b USING (id);
             ALTER TABLE b ADD COLUMN later int;",
        );
        assert!(reads(&c, "named", "a", "x"));
        assert!(reads(&c, "named", "a", "id"), "in the join condition");
        assert!(
            !reads(&c, "named", "a", "y"),
            "unqualified beside another relation: not certain"
        );
        assert!(
            reads(&c, "alone", "a", "y"),
            "unqualified, the only relation"
        );
        assert!(reads(&c, "named", "b", "w"), "through the alias");
        assert!(!reads(&c, "named", "a", "z"));
        assert!(!reads(&c, "named", "b", "id"));
        assert!(
            reads(&c, "scalar", "a", "z"),
            "unqualified in a subquery over a alone"
        );
        assert!(!reads(&c, "scalar", "a", "x"));
        assert!(
            reads(&c, "renamed", "r2", "new_name"),
            "renames are followed"
        );
        assert!(!reads(&c, "renamed", "r2", "old_name"));
        assert!(reads(&c, "starred", "b", "w"));
        assert!(!reads(&c, "starred", "b", "later"), "added after the view");
        assert!(reads(&c, "qualified_star", "a", "z"));
        assert!(reads(&c, "qualified_star", "b", "id"), "JOIN USING");
        assert!(!reads(&c, "qualified_star", "b", "w"));
    }
}

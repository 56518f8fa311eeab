//! Which columns a view reads. PostgreSQL records a view's dependency on each column its query uses —
//! by name, through `*` (expanded when the view is created), or through `JOIN ... USING` — and refuses to
//! drop or change the type of such a column while the view exists.

use dbarch_sql::lex::Kind;

use crate::{Catalog, QualifiedName, View};

/// What a view's query reads, worked out once (relations resolved as they were when the view was made).
#[derive(Debug, Default)]
pub struct Reads {
    /// Columns read for certain: qualified by the relation or its alias, or unqualified in a SELECT over
    /// that relation alone.
    columns: Vec<(QualifiedName, String)>,
    /// Relations read whole: `t.*`, or `*` in a SELECT over that relation alone.
    whole: Vec<QualifiedName>,
    /// Column names of `JOIN ... USING` (read on both sides).
    using: Vec<String>,
}

impl View {
    /// Whether the query reads `column` of `table`, as PostgreSQL bound it when the view was created
    /// (`catalog` resolves the relation names the query uses). Only what is certain counts: a name
    /// qualified by the table or its alias, `t.*`, `JOIN ... USING`, and an unqualified name or a bare `*`
    /// in a SELECT that reads that one relation and nothing else (elsewhere an unqualified name may belong
    /// to another relation or subquery in scope, and the answer errs towards no).
    pub fn reads_column(&self, catalog: &Catalog, table: &QualifiedName, column: &str) -> bool {
        let Some(relation) = self.scope.relations.iter().find(|r| &r.now == table) else {
            return false;
        };
        // The names the query uses (renames since are followed by the scope, not by the query's text).
        let Some((_, column)) = relation.columns.iter().find(|c| c.0 == column) else {
            // The column came after the view: `*` did not include it, and no name in the query meant it.
            return false;
        };
        let (table, column) = (&relation.then, column.as_str());
        let reads = match self.scope.reads.get() {
            Some(reads) => reads,
            // Without the column's name or a `*` of that relation's columns in its text, the query cannot
            // read the column: no need to parse it (most views that read a table do not read the column).
            None if !may_read(self.query.statement(), &table.name, column) => return false,
            None => self
                .scope
                .reads
                .get_or_init(|| self.work_out_reads(catalog)),
        };
        reads.whole.contains(table)
            || reads.using.iter().any(|u| u == column)
            || reads.columns.iter().any(|(t, c)| t == table && c == column)
    }

    fn work_out_reads(&self, catalog: &Catalog) -> Reads {
        let reads = self.query.reads();
        Reads {
            columns: reads
                .columns
                .iter()
                .map(|(t, c)| (catalog.resolve(t), c.clone()))
                .collect(),
            whole: reads.whole.iter().map(|t| catalog.resolve(t)).collect(),
            using: reads.using,
        }
    }
}

impl View {
    /// Whether two views of the same statement text bind it alike although the columns of the relations
    /// they read differ (a column added since one of them was created): the query has no `*` that could
    /// stand for columns, and each relation has the same columns under every name the text holds. The
    /// binding looks a relation's columns up only by names the query writes, so those decide; the query
    /// is neither parsed nor written out. `false` whenever that is not certain (a possible `*`, an escape
    /// the light tokenizer does not read, relations that differ).
    pub(crate) fn binds_alike(&self, other: &View) -> bool {
        let text = self.query.statement();
        if text != other.query.statement() || text.contains('\\') || text.contains("&\"") {
            return false;
        }
        let (a, b) = (&self.scope.relations, &other.scope.relations);
        if a.len() != b.len() || a.iter().zip(b.iter()).any(|(x, y)| x.then != y.then) {
            return false;
        }
        let tokens = tokens(text);
        // A `*` other than `count(*)`'s stands for all the columns, in order, of the relations it may
        // be over: `q.*` for a relation named `q` or aliased `q` (one not among them, a subquery's or
        // a CTE's, depends on the query alone); a bare `*` for any.
        let mut whole = vec![false; a.len()];
        for (i, t) in tokens.iter().enumerate() {
            if t != "*" || tokens.get(i.wrapping_sub(1)).is_some_and(|p| p == "(") {
                continue;
            }
            let Some(q) = (i >= 2 && tokens[i - 1] == ".").then(|| tokens[i - 2].as_str()) else {
                return false;
            };
            for (r, w) in a.iter().zip(whole.iter_mut()) {
                let name = r.then.name.as_str();
                *w |= name == q
                    || tokens.windows(2).any(|p| p[0] == name && p[1] == q)
                    || tokens
                        .windows(3)
                        .any(|p| p[0] == name && p[1] == "as" && p[2] == q);
            }
        }
        // Each name as written and as PostgreSQL folds it (ASCII letters only).
        let names: std::collections::HashSet<String> = dbarch_sql::lex::tokens(text)
            .flat_map(|t| [t.text.to_string(), t.text.to_ascii_lowercase()])
            .chain(tokens)
            .collect();
        let written = |columns: &'_ [(String, String)]| -> Vec<(String, String)> {
            columns
                .iter()
                .filter(|(_, named)| names.contains(named.as_str()))
                .cloned()
                .collect()
        };
        a.iter().zip(b.iter()).zip(whole).all(|((x, y), whole)| {
            x.columns == y.columns || (!whole && written(&x.columns) == written(&y.columns))
        })
    }
}

/// Whether a view's text can read `column` of the relation it names `table`: the column's name is one of
/// its words, or it has a `*` of columns that can be that relation's (`SELECT *`, `, *`, or `q.*` where `q`
/// is the relation's name or follows it as an alias). Erring towards yes: `false` means certainly not.
fn may_read(text: &str, table: &str, column: &str) -> bool {
    let tokens = tokens(text);
    if tokens.iter().any(|t| t == column) {
        return true;
    }
    let aliases = |q: &str| {
        q == table
            || tokens.windows(2).any(|w| w[0] == table && w[1] == q)
            || tokens
                .windows(3)
                .any(|w| w[0] == table && w[1] == "as" && w[2] == q)
    };
    tokens.iter().enumerate().any(|(i, t)| {
        if t != "*" || i == 0 {
            return false;
        }
        match tokens[i - 1].as_str() {
            "." => i >= 2 && aliases(&tokens[i - 2]),
            "," | "select" | "distinct" | "all" => true,
            _ => false,
        }
    })
}

/// The tokens of a view's text as names compare: unquoted words in lower case, quoted ones as written.
fn tokens(text: &str) -> Vec<String> {
    dbarch_sql::lex::tokens(text)
        .map(|t| match t.kind {
            Kind::Word => t.text.to_lowercase(),
            Kind::Quoted => t.text.replace("\"\"", "\""),
            Kind::Punct => t.text.to_string(),
        })
        .collect()
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
    fn a_view_recreated_over_more_columns_binds_alike_unless_it_can_see_them() {
        let view = "CREATE VIEW v AS SELECT t.*, count(*) AS n, u.y FROM t JOIN u ON u.id = t.id \
                    GROUP BY t.id, t.x, u.y;";
        let before = catalog(&format!(
            "CREATE TABLE t (id int, x int); CREATE TABLE u (id int, y int); {view}"
        ));
        let after = |change: &str| {
            catalog(&format!(
                "CREATE TABLE t (id int, x int); CREATE TABLE u (id int, y int); {change} {view}"
            ))
        };
        let v = QualifiedName::new("public", "v");
        // A column of `u` the text never names: the same view, decided without binding either query.
        let other = after("ALTER TABLE u ADD COLUMN z int;");
        assert!(before.views[&v].binds_alike(&other.views[&v]));
        assert_eq!(before.views[&v], other.views[&v]);
        // A column of `t`, which `t.*` stands for: not alike, and binding tells them apart.
        let wider = after("ALTER TABLE t ADD COLUMN z int;");
        assert!(!before.views[&v].binds_alike(&wider.views[&v]));
        assert_ne!(before.views[&v], wider.views[&v]);
        // A column of `u` named as the text names one of `t`'s: unqualified, it would bind elsewhere.
        let named = after("ALTER TABLE u ADD COLUMN x int;");
        assert!(!before.views[&v].binds_alike(&named.views[&v]));
        // A bare `*` may stand for any relation's columns.
        let bare = "CREATE VIEW w AS SELECT * FROM t JOIN u USING (id);";
        let (x, y) = (
            catalog(&format!(
                "CREATE TABLE t (id int); CREATE TABLE u (id int); {bare}"
            )),
            catalog(&format!(
                "CREATE TABLE t (id int); CREATE TABLE u (id int, z int); {bare}"
            )),
        );
        let w = QualifiedName::new("public", "w");
        assert!(!x.views[&w].binds_alike(&y.views[&w]));
    }

    #[test]
    fn a_view_binds_a_renamed_column_by_its_new_name() {
        let mut c = catalog("CREATE TABLE t (a int); CREATE VIEW v AS SELECT a FROM t;");
        let v = QualifiedName::new("public", "v");
        assert_eq!(c.views[&v].bound_query(), "SELECT t.a FROM t");
        let mut sources = SourceMap::new();
        let file = sources.add("r.sql", "ALTER TABLE t RENAME COLUMN a TO b;".to_string());
        for s in &parse_file_opts(&file, ParseOptions::SCHEMA)
            .unwrap()
            .statements
        {
            c.apply(&dbarch_sql::change::lower(s));
        }
        assert_eq!(c.views[&v].bound_query(), "SELECT t.b FROM t");
    }

    #[test]
    fn what_a_text_may_read() {
        use super::may_read;
        assert!(may_read("select p.* from post p", "post", "name"));
        assert!(may_read("select x.* from public.post AS x", "post", "name"));
        assert!(may_read("select \"P\".* from post \"P\"", "post", "name"));
        assert!(may_read("SELECT * FROM post", "post", "name"));
        assert!(may_read("select distinct\n *, 1 from post", "post", "name"));
        assert!(may_read("select id, Name from post", "post", "name"));
        assert!(!may_read(
            "select c.*, count(*) from comment c join post p on p.id = c.post_id",
            "post",
            "name"
        ));
        assert!(!may_read(
            "select a * 2, 'name' from post -- name",
            "post",
            "name"
        ));
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

//! Query rules over a workload: each distinct query (by fingerprint) is judged once, with its shape, the
//! schema when one is given, and how often it runs.

use dbarch_catalog::{Catalog, Column, Index, QualifiedName, Stats, Table, TableStats};
use dbarch_report::Finding;
use dbarch_sql::{SourceMap, Span};
use dbarch_workload::shape::Relation;
use dbarch_workload::{Format, Query, QueryShape, Workload};

use crate::config::{Config, Options};
use crate::engine::LintOutput;
use crate::registry::all_rules;
use crate::rule::{Check, Sink};

/// What a query rule sees.
pub struct QueryContext<'a> {
    pub query: &'a Query,
    /// The shapes of the query's SELECT blocks, the outermost first.
    pub shapes: Vec<QueryShape>,
    /// The schema, when the user gave one (rules that need it say nothing without it).
    pub catalog: Option<&'a Catalog>,
    /// Table statistics, when the user gave them (`--stats`).
    pub stats: Option<&'a Stats>,
    pub options: &'a Options,
    /// The whole workload (for rules that look at other queries, such as a loop's parent).
    pub workload: &'a Workload,
    /// Indexes into `workload.loops` of the loops this query ran in, in their order.
    pub loops: &'a [usize],
    pub sources: &'a SourceMap,
}

impl<'a> QueryContext<'a> {
    /// The span of a parser location inside the query (falls back to the whole statement).
    pub fn span_at(&self, location: usize) -> Span {
        self.query.statement.span_at(location as i32, 1)
    }

    pub fn span(&self) -> Span {
        self.query.statement.span
    }

    /// The table a relation of a shape names, when the schema has it.
    pub fn table(&self, shape: &QueryShape, relation: usize) -> Option<&'a Table> {
        relation_table(self.catalog?, shape.relations.get(relation)?)
    }

    /// The column a predicate or projection names, placing an unqualified column among the query's tables.
    pub fn column(
        &self,
        shape: &QueryShape,
        relation: Option<usize>,
        column: &str,
    ) -> Option<(&'a Table, &'a Column)> {
        let candidates: Vec<usize> = match relation {
            Some(r) => vec![r],
            None => (0..shape.relations.len()).collect(),
        };
        candidates.into_iter().find_map(|r| {
            let t = self.table(shape, r)?;
            t.columns.iter().find(|c| c.name == column).map(|c| (t, c))
        })
    }

    /// The statistics of a relation of a shape: by the schema's name for it, else by the name written.
    pub fn table_stats(&self, shape: &QueryShape, relation: usize) -> Option<&'a TableStats> {
        let stats = self.stats?;
        match self.table(shape, relation) {
            Some(t) => stats.table(&t.name),
            None => {
                let r = shape.relations.get(relation)?;
                let schema = r.schema.clone().unwrap_or_else(|| "public".into());
                stats.table(&QualifiedName::new(schema, r.name.clone()))
            }
        }
    }

    pub fn indexes_on(&self, table: &Table) -> Vec<Index> {
        self.catalog
            .map(|c| c.indexes_on(&table.name))
            .unwrap_or_default()
    }
}

/// The table a relation of a query names, looked up along the search path.
pub fn relation_table<'c>(catalog: &'c Catalog, r: &Relation) -> Option<&'c Table> {
    let name = match &r.schema {
        Some(s) => QualifiedName::new(s.clone(), r.name.clone()),
        None => catalog
            .search_path
            .iter()
            .map(|s| QualifiedName::new(s.clone(), r.name.clone()))
            .find(|q| catalog.tables.contains_key(q))
            .unwrap_or_else(|| QualifiedName::new("public", r.name.clone())),
    };
    catalog.table(&name)
}

/// The shapes of a query, with unqualified columns placed by the schema when there is one.
pub fn shapes_of(node: &dbarch_sql::NodeEnum, catalog: Option<&Catalog>) -> Vec<QueryShape> {
    let mut shapes = QueryShape::of(node);
    if let Some(c) = catalog {
        for s in &mut shapes {
            s.resolve(|r, col| relation_table(c, r).is_some_and(|t| t.column(col).is_some()));
        }
    }
    shapes
}

/// Run the query rules of `config` over a workload.
pub fn run_queries(
    workload: &Workload,
    catalog: Option<&Catalog>,
    stats: Option<&Stats>,
    sources: &SourceMap,
    config: &Config,
) -> LintOutput {
    let rules: Vec<_> = all_rules()
        .iter()
        .filter(|r| r.is_query_rule() && config.enabled(r))
        .collect();
    let mut out = LintOutput::default();
    let mut loops: Vec<Vec<usize>> = vec![Vec::new(); workload.queries.len()];
    for (i, l) in workload.loops.iter().enumerate() {
        if let Some(v) = loops.get_mut(l.query) {
            v.push(i);
        }
    }
    for (i, query) in workload.queries.iter().enumerate() {
        let cx = QueryContext {
            query,
            shapes: shapes_of(&query.statement.node, catalog),
            catalog,
            stats,
            options: &config.options,
            workload,
            loops: &loops[i],
            sources,
        };
        for rule in &rules {
            let Check::Query(check) = rule.check else {
                continue;
            };
            let mut sink = Sink::default();
            check(&cx, &mut sink);
            out.add(rule, sink.into_items(), sources, &[], config, None);
        }
    }
    out
}

/// Lint a SQL text as a workload: its DDL statements are the schema, the others are the queries, and a
/// `-- stats: {json}` line gives table statistics (the form of the query rules' fixtures).
pub fn lint_workload_text(
    path: &str,
    sql: &str,
    config: &Config,
) -> Result<Vec<Finding>, dbarch_sql::SyntaxError> {
    let mut sources = SourceMap::new();
    let file = sources.add(path, sql.to_string());
    let mut builder = dbarch_workload::Builder::new(config.options.loops());
    let catalog = if dbarch_workload::detect(std::path::Path::new(path), sql) == Format::Sql {
        let parsed = dbarch_sql::parse_file(&file)?;
        let catalog = Catalog::from_files(std::slice::from_ref(&parsed));
        dbarch_workload::add_parsed(parsed, &mut builder);
        catalog
    } else {
        dbarch_workload::load_into(&file, &mut builder).map_err(|e| dbarch_sql::SyntaxError {
            path: path.to_string(),
            line: 1,
            column: 1,
            message: e.to_string(),
        })?;
        Catalog::new()
    };
    let workload = builder.finish();
    let has_schema = !catalog.tables.is_empty();
    let stats = sql
        .lines()
        .find_map(|l| l.trim().strip_prefix("-- stats:"))
        .and_then(|j| Stats::from_json(path, j.trim()).ok());
    let out = run_queries(
        &workload,
        has_schema.then_some(&catalog),
        stats.as_ref(),
        &sources,
        config,
    );
    Ok(out.findings)
}

/// Aggregate functions PostgreSQL ships (an aggregate call is also recognised by `*`, FILTER or ORDER BY
/// inside the call).
const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "array_agg",
    "string_agg",
    "bool_and",
    "bool_or",
    "every",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "bit_and",
    "bit_or",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "percentile_cont",
    "percentile_disc",
    "mode",
    "corr",
    "covar_pop",
    "covar_samp",
    "regr_count",
    "xmlagg",
];

/// True when the expressions call an aggregate (anywhere inside them: an aggregate in a subquery counts
/// too, which only makes the rules that ask more cautious). Window calls (`OVER`) are not aggregates.
pub fn has_aggregate(nodes: &[dbarch_sql::ast::Node]) -> bool {
    nodes.iter().any(|n| {
        n.node.as_ref().is_some_and(|n| {
            n.nodes().into_iter().any(|(child, ..)| match child {
                pg_query::NodeRef::FuncCall(f) => {
                    let name = dbarch_sql::expr::name_list(&f.funcname);
                    let last = name
                        .last()
                        .map(|s| s.to_ascii_lowercase())
                        .unwrap_or_default();
                    f.over.is_none()
                        && (f.agg_star
                            || f.agg_filter.is_some()
                            || !f.agg_order.is_empty()
                            || AGGREGATES.contains(&last.as_str()))
                }
                _ => false,
            })
        })
    })
}

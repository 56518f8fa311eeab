//! The schema model built from files: DDL files or a schema directory applied, a migrations folder
//! replayed, or the DDL a live database describes itself with.

use std::path::PathBuf;

use dbarch_catalog::Catalog;
use dbarch_sql::{ParsedFile, SourceFile, SourceMap};

use crate::{Result, inputs};

/// The schema of `--schema`: DDL files or a schema directory applied, or a migrations folder replayed.
pub fn load_schema(max_mb: u64, paths: &[PathBuf]) -> Result<Catalog> {
    let plan = inputs::plan(paths, max_mb, None)?;
    let mut catalog = Catalog::new();
    let mut sources = SourceMap::new();
    for script in &plan.files {
        let text = script.text(&inputs::read_sql(&script.path, max_mb)?);
        let file = sources.add(&script.path, text);
        dbarch_sql::parse_file_with(&file, dbarch_sql::ParseOptions::SCHEMA, |s| {
            catalog.replay(&s)
        })?;
    }
    // A migrations folder's up scripts are among the files (replayed in order); a migrations folder
    // beside schema files is not part of the schema.
    Ok(catalog)
}

/// A schema given as DDL text (a live database's), parsed and applied as it is parsed (each tree is
/// dropped at once).
pub fn replay_text(file: &std::sync::Arc<SourceFile>, catalog: &mut Catalog) -> Result<ParsedFile> {
    Ok(dbarch_sql::parse_file_with(
        file,
        dbarch_sql::ParseOptions::SCHEMA,
        |s| catalog.replay(&s),
    )?)
}

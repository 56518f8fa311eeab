//! `dbarch rules` and `dbarch rule`: the registry and its documentation.

use std::path::Path;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use dbarch_lint::{all_rules, find_rule};

use crate::args::{Format, Global};
use crate::commands::out;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

pub(crate) fn rules(g: &Global, write_docs: Option<&Path>) -> Result<u8> {
    if let Some(dir) = write_docs {
        std::fs::create_dir_all(dir)?;
        for (name, content) in dbarch_lint::registry::doc_pages() {
            // Write to a temporary file and rename, so an interrupted run leaves no partial page.
            let tmp = dir.join(format!(".{name}.tmp"));
            std::fs::write(&tmp, content)?;
            std::fs::rename(&tmp, dir.join(&name))?;
        }
        eprintln!("wrote {} pages to {}", all_rules().len() + 1, dir.display());
        return Ok(0);
    }
    match g.format {
        Format::Json => {
            let v: Vec<serde_json::Value> = all_rules()
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "code": r.code,
                        "name": r.name,
                        "category": r.category,
                        "severity": r.severity,
                        "summary": r.summary,
                        "doc": r.doc,
                        "fixtures": r.fixtures,
                        "markdown": r.markdown(),
                    })
                })
                .collect();
            out(&(serde_json::to_string_pretty(&v)? + "\n"))?;
        }
        Format::Markdown => {
            let pages = dbarch_lint::registry::doc_pages();
            out(pages.last().map(|p| p.1.as_str()).unwrap_or(""))?;
        }
        _ => {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic);
            t.set_header(vec!["Code", "Name", "Category", "Severity", "Summary"]);
            for r in all_rules() {
                t.add_row(vec![
                    r.code,
                    r.name,
                    r.category.as_str(),
                    r.severity.as_str(),
                    r.summary,
                ]);
            }
            out(&format!(
                "{t}\n{} rules. `dbarch rule CODE` shows one rule's documentation.\n",
                all_rules().len()
            ))?;
        }
    }
    Ok(0)
}

pub(crate) fn rule(g: &Global, code: &str) -> Result<u8> {
    let Some(r) = find_rule(code) else {
        return Err(format!("no rule `{code}` (see `dbarch rules`)").into());
    };
    match g.format {
        Format::Json => out(&(serde_json::to_string_pretty(&serde_json::json!({
            "code": r.code, "name": r.name, "category": r.category, "severity": r.severity,
            "summary": r.summary, "doc": r.doc, "fixtures": r.fixtures,
        }))? + "\n"))?,
        _ => out(&r.markdown())?,
    }
    Ok(0)
}

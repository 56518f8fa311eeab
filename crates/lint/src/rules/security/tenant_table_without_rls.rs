use crate::rules::prelude::*;

pub static RULE: Rule = Rule {
    code: "SEC002",
    name: "tenant-table-without-rls",
    category: Category::Security,
    severity: Severity::Warning,
    summary: "A tenant-scoped table does not enable row level security.",
    doc: Doc {
        what: "Tables with a tenant key column (`tenant_id`, `org_id`, `organization_id`, `account_id`, \
               `workspace_id`, `company_id`, `team_id`, plus `options.tenant-columns`) on which row level \
               security is not enabled. A known name counts when the schema treats it as a tenant key: a \
               foreign key on it, or the column in three tables or more (one table's `account_id` is as \
               likely another system's account).",
        why: "Tenant isolation then rests on every query remembering `WHERE tenant_id = $1`. One forgotten \
              filter in a report, an admin endpoint or an ORM scope leaks another customer's data. Row level \
              security makes the database apply the filter to every query of the application role.",
        example: "CREATE TABLE orgs (id bigint PRIMARY KEY);\nCREATE TABLE projects (\n    id bigint PRIMARY KEY,\n    org_id bigint NOT NULL REFERENCES orgs (id),\n    name text NOT NULL\n);",
        use_instead: "CREATE POLICY projects_tenant_isolation ON projects\n    USING (org_id = current_setting('app.org_id', true)::bigint);\nALTER TABLE projects ENABLE ROW LEVEL SECURITY;",
        fix_safety: Some(
            "The policy is created before row level security is switched on. From then on roles other than \
                          the owner (and BYPASSRLS roles) see only the rows of the tenant their session names: \
                          the application must `SET app.<column> = ...` in every session (or \
                          transaction, with SET LOCAL); a session that has not sees no rows.",
        ),
        references: &["https://www.postgresql.org/docs/current/ddl-rowsecurity.html"],
    },
    fixtures: fixtures!("SEC002"),
    check: Check::Schema(check),
};

pub const TENANT: &[&str] = &[
    "tenant_id",
    "org_id",
    "organization_id",
    "organisation_id",
    "account_id",
    "workspace_id",
    "company_id",
    "team_id",
    "customer_account_id",
];

fn check(cx: &Context, out: &mut Sink) {
    // A known tenant name is a tenant column when the schema treats it as one: a foreign key to the
    // tenants' table, or the column across several tables (`account_id` alone on one table is as likely
    // another system's account). A column named in dbarch.toml always is.
    let mut spread: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for t in cx.tables() {
        for c in &t.columns {
            *spread.entry(c.name.as_str()).or_default() += 1;
        }
    }
    for t in cx.tables() {
        let col = t.columns.iter().find(|c| {
            let referenced = t
                .foreign_keys()
                .any(|(_, fk)| fk.columns.iter().any(|x| x == &c.name));
            (TENANT.contains(&c.name.as_str())
                && (referenced || spread.get(c.name.as_str()).copied().unwrap_or(0) >= 3))
                || cx.options.tenant_columns.iter().any(|x| x == &c.name)
        });
        let Some(c) = col else { continue };
        if t.rls_enabled {
            continue;
        }
        out.push(
            t.origin,
            t.name.to_string(),
            format!(
                "{} is scoped by {} but row level security is not enabled",
                t.name, c.name
            ),
            "Enable row level security and add a policy that filters on the tenant of the session.",
            tenant_policy(&t.name, c),
        );
    }
}

/// The tenant policy, then row level security switched on ([`dbarch_catalog::make::tenant_isolation`]).
fn tenant_policy(table: &QualifiedName, c: &Column) -> Option<String> {
    crate::rules::fix::sql(&dbarch_catalog::make::tenant_isolation(
        table,
        &c.name,
        &dbarch_sql::change::type_name(&c.data_type),
    ))
}

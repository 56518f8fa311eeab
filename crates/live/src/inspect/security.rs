//! Security: tenant tables without RLS, over-privileged logins, md5 passwords, ssl, SECURITY DEFINER
//! functions, PUBLIC grants.

use dbarch_report::Severity;
use dbarch_sql::change::RoleOption;

use super::*;

pub(super) struct TenantTable {
    table: QualifiedName,
    column: String,
    /// The column's type (`format_type`).
    column_type: String,
}

pub(super) fn tenant_tables_without_rls(cx: &mut Ctx) {
    let list: Vec<String> = cx
        .tenant_columns
        .iter()
        .map(|c| format!("'{}'", c.replace('\'', "''")))
        .collect();
    if list.is_empty() {
        return;
    }
    let sql = format!(
        "SELECT DISTINCT ON (n.nspname, c.relname) n.nspname::text, c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND NOT c.relrowsecurity AND a.attname IN ({}) AND {USER} \
         ORDER BY n.nspname, c.relname, a.attnum",
        list.join(", ")
    );
    let Some(mut facts) = cx.read("tenant tables without row level security", &sql, |r| {
        TenantTable {
            table: relation(r, 0),
            column: s(r, 2),
            column_type: s(r, 3),
        }
    }) else {
        return;
    };
    facts.sort_by_key(|t| dotted(&t.table));
    cx.add(judge_tenant_tables(&facts));
}

fn judge_tenant_tables(facts: &[TenantTable]) -> Vec<HealthFinding> {
    facts
        .iter()
        .map(|t| {
            let (table, col) = (dotted(&t.table), &t.column);
            finding(
                "SEC002",
                "tenant-table-without-rls",
                Severity::Warning,
                &table,
                format!("{table} is scoped by {col} but row level security is off: one missing WHERE leaks another tenant's rows"),
                vec![("tenant column", col.clone())],
                fix(&dbarch_catalog::make::tenant_isolation(
                    &t.table,
                    col,
                    &t.column_type,
                )),
            )
        })
        .collect()
}

pub(super) struct PowerfulLogin {
    role: String,
    superuser: bool,
    bypass_rls: bool,
    create_role: bool,
}

pub(super) fn superuser_logins(cx: &mut Ctx) {
    let sql = "SELECT rolname::text, rolsuper, rolbypassrls, rolcreaterole FROM pg_roles \
               WHERE rolcanlogin AND oid <> 10 AND (rolsuper OR rolbypassrls OR rolcreaterole) ORDER BY 1";
    let Some(facts) = cx.read("over-privileged login roles", sql, |r| PowerfulLogin {
        role: s(r, 0),
        superuser: b(r, 1),
        bypass_rls: b(r, 2),
        create_role: b(r, 3),
    }) else {
        return;
    };
    cx.add(judge_logins(&facts));
}

fn judge_logins(facts: &[PowerfulLogin]) -> Vec<HealthFinding> {
    facts
        .iter()
        .map(|l| {
            let powers: Vec<(&str, RoleOption)> = [
                (l.superuser, "SUPERUSER", RoleOption::Superuser(false)),
                (l.bypass_rls, "BYPASSRLS", RoleOption::BypassRls(false)),
                (l.create_role, "CREATEROLE", RoleOption::CreateRole(false)),
            ]
            .into_iter()
            .filter(|(on, ..)| *on)
            .map(|(_, word, off)| (word, off))
            .collect();
            let words: Vec<&str> = powers.iter().map(|(w, _)| *w).collect();
            let role = &l.role;
            finding(
                "DB018",
                "over-privileged-login",
                if l.superuser { Severity::Error } else { Severity::Warning },
                role,
                format!("login role {role} has {}: a leaked password of an application role is then the whole cluster", words.join(", ")),
                vec![("attributes", words.join(" "))],
                fix(&[SchemaChange::AlterRole {
                    name: role.clone(),
                    options: powers.into_iter().map(|(_, off)| off).collect(),
                }]),
            )
        })
        .collect()
}

pub(super) fn md5_passwords(cx: &mut Ctx) {
    if let Some(rows) = cx.rows(
        "password encryption",
        "SELECT current_setting('password_encryption')",
    ) && rows.first().map(|r| s(r, 0)) == Some("md5".into())
    {
        cx.find(
                "DB019",
                "md5-passwords",
                Severity::Warning,
                "password_encryption",
                "password_encryption is md5: new passwords are stored as MD5 hashes".into(),
                vec![("password_encryption", "md5".into())],
                Some("ALTER SYSTEM SET password_encryption = 'scram-sha-256'; SELECT pg_reload_conf();  -- then reset each password".into()),
            );
    }
    // Reading the stored hashes needs a superuser: without one this part is skipped.
    let Some(rows) = cx.rows(
        "md5 password hashes",
        "SELECT rolname::text FROM pg_authid WHERE rolcanlogin AND rolpassword LIKE 'md5%' ORDER BY 1",
    ) else {
        return;
    };
    for r in rows {
        let role = s(&r, 0);
        cx.find(
            "DB019",
            "md5-passwords",
            Severity::Warning,
            &role,
            format!("role {role} has an MD5 password hash: weak, and unusable once md5 authentication is removed"),
            vec![],
            // Setting a password is the role's own act (psql's \password, which sends only the hash).
            Some(format!(
                "-- with password_encryption = 'scram-sha-256', set {role}'s password again (psql: \\password {})",
                crate::quote_ident(&role)
            )),
        );
    }
}

pub(super) fn ssl_off(cx: &mut Ctx) {
    let Some(rows) = cx.rows("ssl", "SELECT current_setting('ssl')") else {
        return;
    };
    if rows.first().map(|r| s(r, 0)) == Some("off".into()) {
        cx.find(
            "DB020",
            "ssl-off",
            Severity::Warning,
            "ssl",
            "ssl is off: passwords (md5) and data cross the network in clear unless the network is private".into(),
            vec![("ssl", "off".into())],
            Some("-- install a certificate (ssl_cert_file, ssl_key_file), then:\nALTER SYSTEM SET ssl = on; SELECT pg_reload_conf();".into()),
        );
    }
}

pub(super) struct DefinerFunction {
    /// `regprocedure`: the function and its argument types, as the server names it.
    signature: String,
    schema: String,
    name: String,
    args: Vec<String>,
    procedure: bool,
    /// Its source (`prosrc`).
    body: String,
}

pub(super) fn security_definer_search_path(cx: &mut Ctx) {
    let sql = "SELECT p.oid::regprocedure::text, n.nspname::text, p.proname::text, oidvectortypes(p.proargtypes), p.prokind = 'p', p.prosrc \
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
               WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                 AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) c WHERE c LIKE 'search\\_path=%') \
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') ORDER BY 1";
    let Some(facts) = cx.read("SECURITY DEFINER functions", sql, |r| DefinerFunction {
        signature: s(r, 0),
        schema: s(r, 1),
        name: s(r, 2),
        args: s(r, 3)
            .split(", ")
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect(),
        procedure: b(r, 4),
        body: s(r, 5),
    }) else {
        return;
    };
    if facts.is_empty() {
        return;
    }
    // What the bodies may name: the database's relations, functions and types, by schema; and the
    // session's search_path, the order their schemas are tried in now.
    let objects_sql = format!(
        "SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {USER} \
         UNION SELECT n.nspname::text, p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' \
         UNION SELECT n.nspname::text, t.typname::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE t.typtype IN ('e', 'd', 'c') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg\\_%'"
    );
    let objects = cx
        .read("objects SECURITY DEFINER bodies name", &objects_sql, |r| {
            relation(r, 0)
        })
        .unwrap_or_default();
    let path: Vec<String> = cx
        .read(
            "the search_path",
            "SELECT unnest(current_schemas(false))::text",
            |r| s(r, 0),
        )
        .unwrap_or_default();
    cx.add(judge_definers(&facts, &objects, &path));
}

fn judge_definers(
    facts: &[DefinerFunction],
    objects: &[QualifiedName],
    search_path: &[String],
) -> Vec<HealthFinding> {
    use dbarch_sql::change::ObjectRef;
    facts
        .iter()
        .map(|f| {
            let pin = SchemaChange::AlterFunction {
                function: ObjectRef {
                    name: vec![f.schema.clone(), f.name.clone()],
                    args: Some(f.args.clone()),
                },
                procedure: f.procedure,
                security_definer: None,
                volatility: None,
                // The schemas of what the body names unqualified (else the function's own) stay on
                // the path; pg_temp last, so no temporary object shadows them.
                search_path: Some(Some(dbarch_catalog::names::definer_search_path(
                    &f.body,
                    &f.schema,
                    search_path,
                    objects.iter(),
                ))),
            };
            finding(
                "SEC005",
                "security-definer-search-path",
                Severity::Warning,
                &f.signature,
                format!("SECURITY DEFINER function {} does not pin its search_path: a caller can make it run their objects with the owner's rights", f.signature),
                vec![],
                fix(&[pin]),
            )
        })
        .collect()
}

pub(super) struct PublicGrant {
    relation: QualifiedName,
    privileges: Vec<String>,
}

pub(super) fn public_grants(cx: &mut Ctx) {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, array_agg(a.privilege_type::text ORDER BY a.privilege_type) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a \
         WHERE a.grantee = 0 AND c.relkind IN ('r', 'p', 'v', 'm') AND {USER} GROUP BY 1, 2 \
         ORDER BY quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
    );
    let Some(facts) = cx.read("grants to PUBLIC", &sql, |r| PublicGrant {
        relation: relation(r, 0),
        privileges: r
            .try_get::<_, Option<Vec<String>>>(2)
            .ok()
            .flatten()
            .unwrap_or_default(),
    }) else {
        return;
    };
    cx.add(judge_public_grants(&facts));
    // CREATE on a schema for PUBLIC (schema public's default before PostgreSQL 15): any role can put a
    // function or table there that shadows the one a query or a SECURITY DEFINER function means.
    let Some(schemas) = cx.read(
        "schemas PUBLIC may create in",
        "SELECT n.nspname::text FROM pg_namespace n, aclexplode(n.nspacl) a \
         WHERE a.grantee = 0 AND a.privilege_type = 'CREATE' \
           AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1",
        |r| s(r, 0),
    ) else {
        return;
    };
    cx.add(judge_public_create(&schemas));
}

fn judge_public_create(schemas: &[String]) -> Vec<HealthFinding> {
    use dbarch_sql::change::{Grant, GrantObject, Privilege};
    schemas
        .iter()
        .map(|schema| {
            let shown = dbarch_sql::expr::quote_ident(schema);
            let revoke = SchemaChange::Grant(Grant {
                grant: false,
                privileges: vec![Privilege::new("CREATE")],
                object_kind: "SCHEMA".into(),
                objects: vec![GrantObject::Named(schema.clone())],
                grantees: vec!["PUBLIC".into()],
                with_grant_option: false,
            });
            finding(
                "SEC003",
                "grant-to-public",
                Severity::Warning,
                &format!("schema {shown}"),
                format!(
                    "CREATE on schema {shown} is granted to PUBLIC: every role that can connect may create \
                     objects there, including functions that shadow the ones queries and SECURITY DEFINER \
                     functions call"
                ),
                vec![("privileges", "CREATE".into())],
                fix(&[revoke]),
            )
        })
        .collect()
}

fn judge_public_grants(facts: &[PublicGrant]) -> Vec<HealthFinding> {
    use dbarch_sql::change::{Grant, GrantObject, Privilege};
    facts
        .iter()
        .map(|g| {
            let (t, privs) = (dotted(&g.relation), g.privileges.join(", "));
            let revoke = SchemaChange::Grant(Grant {
                grant: false,
                privileges: g.privileges.iter().map(|p| Privilege::new(p)).collect(),
                object_kind: "TABLE".into(),
                objects: vec![GrantObject::Relation(dbarch_catalog::make::name(
                    &g.relation,
                ))],
                grantees: vec!["PUBLIC".into()],
                with_grant_option: false,
            });
            finding(
                "SEC003",
                "grant-to-public",
                Severity::Warning,
                &t,
                format!("{privs} on {t} is granted to PUBLIC: every role that can connect has it"),
                vec![("privileges", privs.clone())],
                fix(&[revoke]),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_on_a_schema_for_public_is_revoked_alone() {
        let f = judge_public_create(&["public".into()]);
        assert_eq!(f[0].object, "schema public");
        assert_eq!(
            f[0].fix.as_ref().map(|f| f.sql.as_str()),
            Some("REVOKE create ON SCHEMA public FROM public;")
        );
    }

    #[test]
    fn security_fixes_are_written_by_the_emitter() {
        let t = QualifiedName::new("public", "Projects");
        let rls = judge_tenant_tables(&[TenantTable {
            table: t.clone(),
            column: "org_id".into(),
            column_type: "uuid".into(),
        }]);
        assert_eq!(
            rls[0].fix.as_ref().map(|f| f.sql.as_str()),
            Some(
                "CREATE POLICY \"Projects_tenant_isolation\" ON public.\"Projects\" TO public USING (org_id = current_setting('app.org_id', true)::uuid);\n\
                 ALTER TABLE public.\"Projects\" ENABLE ROW LEVEL SECURITY;"
            )
        );
        let f = judge_definers(
            &[DefinerFunction {
                signature: "app.f(integer,text)".into(),
                schema: "app".into(),
                name: "f".into(),
                args: vec!["integer".into(), "text".into()],
                procedure: false,
                body: "BEGIN DELETE FROM users WHERE id = $1; END".into(),
            }],
            &[
                QualifiedName::new("auth", "users"),
                QualifiedName::new("app", "f"),
            ],
            &["public".into()],
        );
        assert_eq!(
            f[0].fix.as_ref().map(|f| f.sql.as_str()),
            Some("ALTER FUNCTION app.f(int, text) SET search_path TO pg_catalog, auth, pg_temp;")
        );
        let l = judge_logins(&[PowerfulLogin {
            role: "App".into(),
            superuser: true,
            bypass_rls: false,
            create_role: true,
        }]);
        assert_eq!(
            l[0].fix.as_ref().map(|f| f.sql.as_str()),
            Some("ALTER ROLE \"App\" WITH NOSUPERUSER NOCREATEROLE;")
        );
        let g = judge_public_grants(&[PublicGrant {
            relation: t,
            privileges: vec!["INSERT".into(), "SELECT".into()],
        }]);
        assert_eq!(
            g[0].fix.as_ref().map(|f| f.sql.as_str()),
            Some("REVOKE insert, select ON public.\"Projects\" FROM public;")
        );
    }
}

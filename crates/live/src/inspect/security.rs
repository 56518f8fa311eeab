//! Security: tenant tables without RLS, over-privileged logins, md5 passwords, ssl, SECURITY DEFINER
//! functions, PUBLIC grants.

use dbarch_report::Severity;

use super::*;

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
        "SELECT DISTINCT quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relrowsecurity AND a.attname IN ({}) AND {USER} ORDER BY 1",
        list.join(", ")
    );
    let Some(rows) = cx.rows("tenant tables without row level security", &sql) else {
        return;
    };
    for r in rows {
        let (t, col) = (s(&r, 0), s(&r, 1));
        cx.find(
            "SEC002",
            "tenant-table-without-rls",
            Severity::Warning,
            &t,
            format!("{t} is scoped by {col} but row level security is off: one missing WHERE leaks another tenant's rows"),
            vec![("tenant column", col.clone())],
            Some(format!(
                "ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;\nCREATE POLICY tenant_isolation ON {t} USING ({col} = current_setting('app.{col}')::bigint);"
            )),
        );
    }
}

pub(super) fn superuser_logins(cx: &mut Ctx) {
    let sql = "SELECT rolname::text, rolsuper, rolbypassrls, rolcreaterole FROM pg_roles \
               WHERE rolcanlogin AND oid <> 10 AND (rolsuper OR rolbypassrls OR rolcreaterole) ORDER BY 1";
    let Some(rows) = cx.rows("over-privileged login roles", sql) else {
        return;
    };
    for r in rows {
        let role = s(&r, 0);
        let mut powers = vec![];
        if b(&r, 1) {
            powers.push("SUPERUSER");
        }
        if b(&r, 2) {
            powers.push("BYPASSRLS");
        }
        if b(&r, 3) {
            powers.push("CREATEROLE");
        }
        let superuser = b(&r, 1);
        cx.find(
            "DB018",
            "over-privileged-login",
            if superuser { Severity::Error } else { Severity::Warning },
            &role,
            format!("login role {role} has {}: a leaked password of an application role is then the whole cluster", powers.join(", ")),
            vec![("attributes", powers.join(" "))],
            Some(format!(
                "ALTER ROLE {} NO{};",
                crate::quote_ident(&role),
                powers.join(" NO")
            )),
        );
    }
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
            Some(format!(
                "SET password_encryption = 'scram-sha-256'; \\password {}",
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

pub(super) fn security_definer_search_path(cx: &mut Ctx) {
    let sql = "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
               WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                 AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) c WHERE c LIKE 'search\\_path=%') \
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') ORDER BY 1";
    let Some(rows) = cx.rows("SECURITY DEFINER functions", sql) else {
        return;
    };
    for r in rows {
        let f = s(&r, 0);
        cx.find(
            "SEC005",
            "security-definer-search-path",
            Severity::Warning,
            &f,
            format!("SECURITY DEFINER function {f} does not pin its search_path: a caller can make it run their objects with the owner's rights"),
            vec![],
            Some(format!("ALTER FUNCTION {f} SET search_path = pg_catalog, pg_temp;")),
        );
    }
}

pub(super) fn public_grants(cx: &mut Ctx) {
    let sql = format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a \
         WHERE a.grantee = 0 AND c.relkind IN ('r', 'p', 'v', 'm') AND {USER} GROUP BY 1 ORDER BY 1"
    );
    let Some(rows) = cx.rows("grants to PUBLIC", &sql) else {
        return;
    };
    for r in rows {
        let (t, privs) = (s(&r, 0), s(&r, 1));
        cx.find(
            "SEC003",
            "grant-to-public",
            Severity::Warning,
            &t,
            format!("{privs} on {t} is granted to PUBLIC: every role that can connect has it"),
            vec![("privileges", privs.clone())],
            Some(format!("REVOKE {privs} ON {t} FROM PUBLIC;")),
        );
    }
}

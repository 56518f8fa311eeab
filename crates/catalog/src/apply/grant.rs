//! GRANT and REVOKE, roles.

use dbarch_sql::NodeEnum;
use dbarch_sql::ast::{self};
use dbarch_sql::expr::{const_text, name_list};

use super::*;

impl Catalog {
    pub(super) fn grant(&mut self, s: &ast::GrantStmt, cx: &Ctx) {
        let object_kind = match (s.targtype, ot(s.objtype)) {
            (t, o) if t == ast::GrantTargetType::AclTargetAllInSchema as i32 => {
                format!("ALL {}S IN SCHEMA", object_word(o))
            }
            (t, o) if t == ast::GrantTargetType::AclTargetDefaults as i32 => {
                format!("DEFAULT {}", object_word(o))
            }
            (_, o) => object_word(o).to_string(),
        };
        let objects: Vec<String> = s
            .objects
            .iter()
            .filter_map(|n| match n.node.as_ref()? {
                NodeEnum::RangeVar(r) => Some(self.resolve(r).to_string()),
                NodeEnum::String(st) => Some(st.sval.clone()),
                NodeEnum::ObjectWithArgs(o) => Some(name_list(&o.objname).join(".")),
                NodeEnum::List(l) => Some(strings(&l.items).join(".")),
                _ => None,
            })
            .collect();
        let mut privileges: Vec<String> = s
            .privileges
            .iter()
            .filter_map(|n| match n.node.as_ref()? {
                NodeEnum::AccessPriv(p) => Some(p.priv_name.to_ascii_uppercase()),
                _ => None,
            })
            .collect();
        if privileges.is_empty() {
            privileges.push("ALL".into());
        }
        let grantees: Vec<String> = s.grantees.iter().filter_map(role_name).collect();
        if s.is_grant {
            self.grants.push(Grant {
                privileges,
                object_kind,
                objects,
                grantees,
                with_grant_option: s.grant_option,
                origin: cx.whole(),
            });
        } else {
            for g in self.grants.iter_mut() {
                if g.object_kind == object_kind && g.objects.iter().any(|o| objects.contains(o)) {
                    g.grantees.retain(|r| {
                        !grantees.contains(r)
                            || !(privileges.contains(&"ALL".into())
                                || g.privileges.iter().all(|p| privileges.contains(p)))
                    });
                    if !privileges.contains(&"ALL".into())
                        && g.grantees.iter().any(|r| grantees.contains(r))
                    {
                        g.privileges.retain(|p| !privileges.contains(p));
                    }
                }
            }
            self.grants
                .retain(|g| !g.grantees.is_empty() && !g.privileges.is_empty());
        }
    }
}

pub(super) fn role_name(n: &ast::Node) -> Option<String> {
    match n.node.as_ref()? {
        NodeEnum::RoleSpec(r) => Some(match r.roletype {
            x if x == ast::RoleSpecType::RolespecPublic as i32 => "PUBLIC".to_string(),
            x if x == ast::RoleSpecType::RolespecCurrentUser as i32 => "CURRENT_USER".to_string(),
            x if x == ast::RoleSpecType::RolespecCurrentRole as i32 => "CURRENT_ROLE".to_string(),
            x if x == ast::RoleSpecType::RolespecSessionUser as i32 => "SESSION_USER".to_string(),
            _ => r.rolename.clone(),
        }),
        _ => None,
    }
}

pub(super) fn role_options(role: &mut Role, options: &[ast::Node]) {
    for o in options {
        let Some(NodeEnum::DefElem(d)) = o.node.as_ref() else {
            continue;
        };
        let on = d
            .arg
            .as_ref()
            .and_then(|a| const_text(a))
            .map(|v| v == "true" || v == "1");
        match d.defname.as_str() {
            "canlogin" => role.login = on.unwrap_or(true),
            "superuser" => role.superuser = on.unwrap_or(true),
            "bypassrls" => role.bypass_rls = on.unwrap_or(true),
            "password" => role.has_password = d.arg.is_some(),
            "rolemembers" | "addroleto" => {}
            _ => {}
        }
    }
}

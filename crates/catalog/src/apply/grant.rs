//! GRANT and REVOKE, roles.

use dbarch_sql::change::{Grant as GrantChange, GrantObject, RoleOption};

use super::*;

impl Catalog {
    pub(super) fn grant(&mut self, s: &GrantChange, cx: &Ctx) {
        let objects: Vec<String> = s
            .objects
            .iter()
            .map(|o| match o {
                GrantObject::Relation(r) => self.resolve(r).to_string(),
                GrantObject::Named(n) => n.clone(),
            })
            .collect();
        let privileges: Vec<String> = s.privileges.iter().map(|p| p.name.clone()).collect();
        let (privileges, object_kind, grantees) = (&privileges, &s.object_kind, &s.grantees);
        if s.grant {
            self.grants.push(Grant {
                privileges: privileges.clone(),
                object_kind: object_kind.clone(),
                objects,
                grantees: grantees.clone(),
                with_grant_option: s.with_grant_option,
                origin: cx.whole(),
            });
        } else {
            let all = privileges.iter().any(|p| p == "ALL");
            for g in self.grants.iter_mut() {
                if &g.object_kind == object_kind && g.objects.iter().any(|o| objects.contains(o)) {
                    g.grantees.retain(|r| {
                        !grantees.contains(r)
                            || !(all || g.privileges.iter().all(|p| privileges.contains(p)))
                    });
                    if !all && g.grantees.iter().any(|r| grantees.contains(r)) {
                        g.privileges.retain(|p| !privileges.contains(p));
                    }
                }
            }
            self.grants
                .retain(|g| !g.grantees.is_empty() && !g.privileges.is_empty());
        }
    }
}

pub(super) fn role_options(role: &mut Role, options: &[RoleOption]) {
    for o in options {
        match *o {
            RoleOption::Login(on) => role.login = on,
            RoleOption::Superuser(on) => role.superuser = on,
            RoleOption::BypassRls(on) => role.bypass_rls = on,
            RoleOption::Password(set) => role.has_password = set,
            RoleOption::CreateRole(_) => {}
        }
    }
}

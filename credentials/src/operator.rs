//! Operator roles of the console and what each may do.

use serde::{Deserialize, Serialize};

/// The role of a console operator. Ordered: a higher role may do everything a lower one may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Reads everything except secret values.
    Viewer,
    /// Also changes realms, clients and their credentials.
    Manager,
    /// Also manages operators.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Manager, Role::Admin];

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "manager" => Some(Role::Manager),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Whether an operator with this role may do what `required` allows.
    pub fn allows(&self, required: Role) -> bool {
        *self >= required
    }
}

/// The Admin REST API role of a master-realm client (`view`, `manage`, `admin`), as the
/// console role it equals.
pub fn api_role(name: &str) -> Option<Role> {
    match name {
        "view" => Some(Role::Viewer),
        "manage" => Some(Role::Manager),
        "admin" => Some(Role::Admin),
        _ => None,
    }
}

/// Why a change to a client was refused by [`may_change_client`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("this client holds the Admin REST API role {held}; changing it, its credentials or its role needs at least the role {}", required.as_str())]
pub struct AboveCallersRole {
    /// The API role the client holds (or is to be given).
    pub held: &'static str,
    /// The caller's role that would be needed.
    pub required: Role,
}

/// The privilege rule of every change to a client (its credentials, method, keys, JWKS URL,
/// keystores, settings, API role, or its deletion), on every path (console, Admin REST):
/// a client that holds an Admin REST API role can be changed only by a caller whose own role
/// is at least that role, so nobody gains power by taking over a client stronger than
/// themselves (a manager regenerating the secret of an `admin` client would become admin).
/// `api_role` is the stored name; an unknown name counts as `admin`.
pub fn may_change_client(
    caller: Role,
    api_role_name: Option<&str>,
) -> Result<(), AboveCallersRole> {
    let Some(name) = api_role_name else {
        return Ok(());
    };
    let (held, required) = match api_role(name) {
        Some(r) => (
            match r {
                Role::Viewer => "view",
                Role::Manager => "manage",
                Role::Admin => "admin",
            },
            r,
        ),
        None => ("admin", Role::Admin),
    };
    if caller.allows(required) {
        Ok(())
    } else {
        Err(AboveCallersRole { held, required })
    }
}

/// Giving a client an API role (or taking it away) is a change to a client holding the old
/// role *and* a grant of the new one: the caller needs at least both.
pub fn may_set_api_role(
    caller: Role,
    current: Option<&str>,
    new: Option<&str>,
) -> Result<(), AboveCallersRole> {
    may_change_client(caller, current)?;
    may_change_client(caller, new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lower_role_cannot_change_a_client_holding_a_higher_api_role() {
        use Role::*;
        for (caller, held, ok) in [
            (Manager, None, true),
            (Viewer, None, true), // the role check of the action itself still applies
            (Manager, Some("view"), true),
            (Manager, Some("manage"), true),
            (Manager, Some("admin"), false),
            (Viewer, Some("manage"), false),
            (Admin, Some("admin"), true),
            (Manager, Some("root"), false), // unknown: counts as admin
        ] {
            assert_eq!(
                may_change_client(caller, held).is_ok(),
                ok,
                "{caller:?} {held:?}"
            );
        }
        let e = may_change_client(Manager, Some("admin")).unwrap_err();
        assert_eq!(e.required, Admin);
        assert!(e.to_string().contains("role admin"), "{e}");
        // Granting: both the old and the new role count.
        assert!(may_set_api_role(Manager, None, Some("manage")).is_ok());
        assert!(may_set_api_role(Manager, None, Some("admin")).is_err());
        assert!(may_set_api_role(Manager, Some("admin"), None).is_err());
        assert!(may_set_api_role(Admin, Some("view"), Some("admin")).is_ok());
    }

    #[test]
    fn parse_round_trips_and_rejects_unknown() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(Role::parse(""), None);
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin.allows(Role::Manager));
        assert!(Role::Manager.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Manager));
        assert!(!Role::Manager.allows(Role::Admin));
    }
}

//! Facts about the Directus instance that settings refer to: roles, users, collections, time zones.
//!
//! Settings name roles by name or id and users by email or id; the directory resolves them to ids once,
//! when the settings are loaded, and says which names match nothing.

use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct RoleFact {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct UserFact {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
}

/// What the JS side knows about the instance. Collections come from the schema facts instead.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Directory {
    #[serde(default)]
    pub roles: Vec<RoleFact>,
    /// The users the settings name (the JS side looks up only those).
    #[serde(default)]
    pub users: Vec<UserFact>,
    /// IANA time zones the runtime can convert to (`Intl.supportedValuesOf('timeZone')`).
    #[serde(default)]
    pub time_zones: BTreeSet<String>,
    #[serde(skip)]
    pub collections: BTreeSet<String>,
}

impl Directory {
    /// The id of the role named `reference` (by id, or by name ignoring case).
    pub fn role_id(&self, reference: &str) -> Option<&str> {
        self.roles
            .iter()
            .find(|r| r.id == reference)
            .or_else(|| self.roles.iter().find(|r| r.name.eq_ignore_ascii_case(reference)))
            .map(|r| r.id.as_str())
    }

    /// The id of the user named `reference` (by id, or by email ignoring case).
    pub fn user_id(&self, reference: &str) -> Option<&str> {
        self.users
            .iter()
            .find(|u| u.id == reference)
            .or_else(|| {
                self.users.iter().find(|u| u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(reference)))
            })
            .map(|u| u.id.as_str())
    }

    pub fn has_collection(&self, name: &str) -> bool {
        self.collections.contains(name)
    }

    /// UTC always works; other zones must be known to the runtime that converts the clock.
    pub fn has_time_zone(&self, zone: &str) -> bool {
        zone == "UTC" || self.time_zones.contains(zone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_resolve_by_id_or_name_and_users_by_id_or_email() {
        let d = Directory {
            roles: vec![RoleFact { id: "r1".into(), name: "Content Writers".into() }],
            users: vec![UserFact { id: "u1".into(), email: Some("ai@example.com".into()) }],
            ..Directory::default()
        };
        assert_eq!(d.role_id("content writers"), Some("r1"));
        assert_eq!(d.role_id("r1"), Some("r1"));
        assert_eq!(d.role_id("Editors"), None);
        assert_eq!(d.user_id("AI@example.com"), Some("u1"));
        assert_eq!(d.user_id("nobody@example.com"), None);
        assert!(d.has_time_zone("UTC") && !d.has_time_zone("Mars/Olympus"));
    }
}

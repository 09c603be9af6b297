//! The guard's settings: declared once in `extension.json`, read here for defaults and validation.

use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// `extension.json`, compiled in so the core and the JS side can never disagree about defaults.
pub const MANIFEST_JSON: &str = include_str!("../extension.json");

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub group: String,
    pub settings: Vec<SettingDecl>,
    pub collections: ManifestCollections,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ManifestCollections {
    pub audit_log: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SettingDecl {
    pub field: String,
    #[serde(rename = "type")]
    pub kind: SettingKind,
    #[serde(default)]
    pub default: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SettingKind {
    Boolean,
    /// A heading in the settings form; holds no value.
    Presentation,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SettingsError {
    #[error("extension.json cannot be read: {0}")]
    Manifest(String),
    #[error("extension.json declares no setting named {0}")]
    Undeclared(&'static str),
    #[error("the settings have not been loaded yet")]
    NotLoaded,
    #[error("the settings row cannot be read: {0}")]
    Unreadable(String),
    #[error("setting {field} must be {expected}, got {got}")]
    WrongType { field: String, expected: &'static str, got: String },
}

/// Parsed once; a broken manifest is a build-time bug that `cargo test` catches.
pub fn manifest() -> Result<&'static Manifest, SettingsError> {
    static PARSED: OnceLock<Result<Manifest, String>> = OnceLock::new();
    PARSED
        .get_or_init(|| serde_json::from_str(MANIFEST_JSON).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| SettingsError::Manifest(e.clone()))
}

/// Collections that belong to the guard itself. No MCP call may touch them.
pub fn guard_collections() -> Result<Vec<String>, SettingsError> {
    Ok(vec![manifest()?.collections.audit_log.clone()])
}

/// The policy-relevant settings of one instant, taken from the `directus_settings` row.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `mcp_guard_enabled`: enforce the policy (off = log only).
    pub guard_enabled: bool,
    /// Directus's own `mcp_allow_deletes`, enforced against every delete effect.
    pub allow_deletes: bool,
}

impl Settings {
    /// Reads the settings row. A missing or null value takes its default; a value of the wrong type is an
    /// error, so the caller can refuse to guess (fail closed).
    pub fn from_row(row: &Map<String, Value>) -> Result<Settings, SettingsError> {
        Ok(Settings {
            guard_enabled: declared_bool(row, "mcp_guard_enabled")?,
            // Directus's column defaults to false.
            allow_deletes: read_bool(row, "mcp_allow_deletes")?.unwrap_or(false),
        })
    }
}

fn declared_bool(row: &Map<String, Value>, field: &'static str) -> Result<bool, SettingsError> {
    let decl = manifest()?
        .settings
        .iter()
        .find(|s| s.field == field && s.kind == SettingKind::Boolean)
        .ok_or(SettingsError::Undeclared(field))?;
    let default = match &decl.default {
        Some(Value::Bool(b)) => *b,
        other => {
            return Err(SettingsError::WrongType {
                field: format!("{field} (default in extension.json)"),
                expected: "a boolean",
                got: describe(other.as_ref().unwrap_or(&Value::Null)),
            })
        }
    };
    Ok(read_bool(row, field)?.unwrap_or(default))
}

/// Databases disagree on booleans: SQLite returns 0/1, some drivers strings.
fn read_bool(row: &Map<String, Value>, field: &str) -> Result<Option<bool>, SettingsError> {
    match row.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_u64() == Some(1) => Ok(Some(true)),
        Some(Value::String(s)) if s == "true" || s == "1" => Ok(Some(true)),
        Some(Value::String(s)) if s == "false" || s == "0" => Ok(Some(false)),
        Some(other) => {
            Err(SettingsError::WrongType { field: field.to_string(), expected: "a boolean", got: describe(other) })
        }
    }
}

pub(crate) fn describe(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn manifest_parses_and_declares_the_toggle() {
        let m = manifest().map_err(|e| e.to_string()).unwrap();
        assert_eq!(m.group, "mcp_group");
        assert!(m.settings.iter().any(|s| s.field == "mcp_guard_enabled"));
        assert_eq!(m.collections.audit_log, "mcp_guard_log");
    }

    #[test]
    fn defaults_come_from_the_manifest() {
        let s = Settings::from_row(&Map::new()).unwrap();
        assert_eq!(s, Settings { guard_enabled: true, allow_deletes: false });
    }

    #[test]
    fn sqlite_integers_and_strings_are_booleans() {
        let s = Settings::from_row(&row(json!({"mcp_guard_enabled": 0, "mcp_allow_deletes": "1"}))).unwrap();
        assert_eq!(s, Settings { guard_enabled: false, allow_deletes: true });
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused() {
        let err = Settings::from_row(&row(json!({"mcp_guard_enabled": "maybe"}))).unwrap_err();
        assert!(err.to_string().contains("mcp_guard_enabled must be a boolean"), "{err}");
    }
}

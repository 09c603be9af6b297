//! The guard's settings: declared once in `extension.json`, read here for defaults, types and validation.
//!
//! A settings row becomes [`Settings`] only when every value is valid and every role, user and collection it
//! names exists: a broken policy is never half-applied. The same check refuses an invalid save.

use crate::directory::Directory;
use crate::filter::{InjectionMode, Protection};
use crate::network::{parse_clock, HostPattern, IpAllowlist, Window, DAYS};
use crate::recipients::RecipientPattern;
use crate::secrets::DetectorOptions;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};
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
    #[serde(default)]
    pub choices: Vec<Choice>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Choice {
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SettingKind {
    Boolean,
    String,
    Integer,
    /// A list of strings (Directus `csv`, shown as tags).
    Csv,
    /// A list of objects (Directus `json`, shown as a repeater).
    Json,
    /// A heading in the settings form; holds no value.
    Presentation,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SettingsError {
    #[error("extension.json cannot be read: {0}")]
    Manifest(String),
    #[error("the settings have not been loaded yet")]
    NotLoaded,
    #[error("the settings row cannot be read: {0}")]
    Unreadable(String),
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
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

/// What a user may do over MCP. Ordered from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    Off,
    Analysis,
    Content,
    Developer,
}

impl Mode {
    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "off" => Some(Mode::Off),
            "analysis" => Some(Mode::Analysis),
            "content" => Some(Mode::Content),
            "developer" => Some(Mode::Developer),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Analysis => "analysis",
            Mode::Content => "content",
            Mode::Developer => "developer",
        }
    }
}

/// Who may use MCP, and in which mode.
#[derive(Debug, Clone, PartialEq)]
pub struct Access {
    pub default_mode: Mode,
    /// Role id → mode.
    pub role_modes: HashMap<String, Mode>,
    /// User id → mode; wins over the role's.
    pub user_modes: HashMap<String, Mode>,
    pub allow_admin: bool,
    /// Role ids allowed to use MCP at all; empty: any.
    pub mcp_roles: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CollectionRules {
    /// Empty: every collection.
    pub allow: BTreeSet<String>,
    pub deny: BTreeSet<String>,
    /// Collection → deletes allowed, overriding Allow Deletes.
    pub deletes: HashMap<String, bool>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Caps {
    pub max_keys: Option<u64>,
    pub max_batch: Option<u64>,
    pub max_read_limit: Option<u64>,
    pub allow_update_by_query: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exfiltration {
    pub allowed_hosts: Vec<HostPattern>,
    /// Addresses and domains a flow's Send Email step may write to for MCP; empty: none.
    pub allowed_recipients: Vec<RecipientPattern>,
    /// Flow ids or names whose scripts MCP may create or run.
    pub exec_flows: BTreeSet<String>,
    /// Flow ids or names MCP may trigger; empty: any.
    pub trigger_flows: BTreeSet<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutsideHours {
    Deny,
    Flag,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hours {
    pub windows: Vec<Window>,
    pub time_zone: String,
    pub outside: OutsideHours,
}

/// What the `assets` tool (file bytes) may return.
#[derive(Debug, Clone, PartialEq)]
pub enum AssetsPolicy {
    Allow,
    /// Only files in these folders (ids or names).
    Folders(BTreeSet<String>),
    Off,
}

/// What happens to a call whose arguments carry a secret value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgumentSecrets {
    Mask,
    Deny,
}

/// The policy of one instant, taken from the `directus_settings` row.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `mcp_guard_enabled`: enforce the policy (off = log only).
    pub guard_enabled: bool,
    /// Directus's own `mcp_allow_deletes`, enforced against every delete effect.
    pub allow_deletes: bool,
    pub access: Access,
    pub collections: CollectionRules,
    pub caps: Caps,
    pub exfiltration: Exfiltration,
    pub ip_allowlist: IpAllowlist,
    /// `None`: MCP may be used at any time.
    pub hours: Option<Hours>,
    /// Redaction and prompt-injection defence of what MCP returns.
    pub protection: Protection,
    pub assets: AssetsPolicy,
    pub argument_secrets: ArgumentSecrets,
}

impl Settings {
    /// Reads and checks the settings row. A missing value takes its default from `extension.json`; anything
    /// invalid is reported, every problem at once, so the caller can refuse to guess (fail closed).
    pub fn from_row(row: &Map<String, Value>, directory: &Directory) -> Result<Settings, SettingsError> {
        let mut r = RowReader { row, manifest: manifest()?, problems: Vec::new() };
        let settings = Settings {
            guard_enabled: r.boolean("mcp_guard_enabled"),
            // Directus's own column; it defaults to false.
            allow_deletes: r.directus_boolean("mcp_allow_deletes"),
            access: Access {
                default_mode: r.choice("mcp_guard_default_mode").and_then(|m| Mode::parse(&m)).unwrap_or(Mode::Off),
                role_modes: r.modes("mcp_guard_role_modes", "role", |s| directory.role_id(s), "role"),
                user_modes: r.modes("mcp_guard_user_modes", "user", |s| directory.user_id(s), "user"),
                allow_admin: r.boolean("mcp_guard_allow_admin"),
                mcp_roles: r.resolved_list("mcp_guard_mcp_roles", |s| directory.role_id(s), "role"),
            },
            collections: CollectionRules {
                allow: r.collections("mcp_guard_collections_allow", directory),
                deny: r.collections("mcp_guard_collections_deny", directory),
                deletes: r.collection_deletes(directory),
            },
            caps: Caps {
                max_keys: r.limit("mcp_guard_max_keys"),
                max_batch: r.limit("mcp_guard_max_batch"),
                max_read_limit: r.limit("mcp_guard_max_read_limit"),
                allow_update_by_query: r.boolean("mcp_guard_allow_update_by_query"),
            },
            exfiltration: Exfiltration {
                allowed_hosts: r.parsed_list("mcp_guard_allowed_hosts", HostPattern::parse),
                allowed_recipients: r.parsed_list("mcp_guard_allowed_recipients", RecipientPattern::parse),
                exec_flows: r.list("mcp_guard_exec_flows").into_iter().collect(),
                trigger_flows: r.list("mcp_guard_trigger_flows").into_iter().collect(),
            },
            ip_allowlist: {
                let entries = r.list("mcp_guard_ip_allowlist");
                IpAllowlist::parse(&entries).unwrap_or_else(|e| {
                    r.problem("mcp_guard_ip_allowlist", e);
                    IpAllowlist::default()
                })
            },
            hours: r.hours(directory),
            protection: Protection {
                field_rules: r.boolean("mcp_guard_redact_field_rules"),
                extra_fields: r.list("mcp_guard_redact_fields"),
                collection_fields: r.collection_fields(directory),
                detectors: DetectorOptions {
                    enabled: r.boolean("mcp_guard_redact_values"),
                    contact: r.boolean("mcp_guard_redact_contact"),
                },
                injection: r
                    .choice("mcp_guard_injection_mode")
                    .and_then(|m| InjectionMode::parse(&m))
                    .unwrap_or(InjectionMode::Block),
                trusted_hosts: Vec::new(),
            },
            assets: match r.choice("mcp_guard_assets").as_deref() {
                Some("allow") => AssetsPolicy::Allow,
                Some("folders") => AssetsPolicy::Folders(r.list("mcp_guard_assets_folders").into_iter().collect()),
                _ => AssetsPolicy::Off,
            },
            argument_secrets: match r.choice("mcp_guard_argument_secrets").as_deref() {
                Some("mask") => ArgumentSecrets::Mask,
                _ => ArgumentSecrets::Deny,
            },
        };
        // Links in results may carry data to the hosts MCP may contact anyway.
        let mut settings = settings;
        settings.protection.trusted_hosts = settings.exfiltration.allowed_hosts.clone();
        if r.problems.is_empty() {
            Ok(settings)
        } else {
            Err(SettingsError::Invalid(r.problems))
        }
    }
}

/// Reads one settings row against the declarations, collecting every problem.
struct RowReader<'a> {
    row: &'a Map<String, Value>,
    manifest: &'a Manifest,
    problems: Vec<String>,
}

impl RowReader<'_> {
    fn problem(&mut self, field: &str, message: impl std::fmt::Display) {
        self.problems.push(format!("{field}: {message}"));
    }

    fn decl(&mut self, field: &str, kind: SettingKind) -> Option<SettingDecl> {
        let found = self.manifest.settings.iter().find(|s| s.field == field && s.kind == kind).cloned();
        if found.is_none() {
            self.problem(field, "not declared in extension.json with this type");
        }
        found
    }

    /// The row's value, or the declared default when the row has no such column yet. An explicit null
    /// stays null: for limits and lists it means "none".
    fn value(&mut self, field: &str, kind: SettingKind) -> Value {
        let default = self.decl(field, kind).and_then(|d| d.default).unwrap_or(Value::Null);
        self.row.get(field).cloned().unwrap_or(default)
    }

    fn boolean(&mut self, field: &str) -> bool {
        let default = self.decl(field, SettingKind::Boolean).and_then(|d| d.default);
        let value = match self.row.get(field) {
            None | Some(Value::Null) => default.unwrap_or(Value::Null),
            Some(v) => v.clone(),
        };
        self.as_bool(field, &value).unwrap_or(false)
    }

    fn directus_boolean(&mut self, field: &str) -> bool {
        match self.row.get(field).cloned() {
            None | Some(Value::Null) => false,
            Some(v) => self.as_bool(field, &v).unwrap_or(false),
        }
    }

    /// Databases disagree on booleans: SQLite returns 0/1, some drivers strings.
    fn as_bool(&mut self, field: &str, value: &Value) -> Option<bool> {
        match value {
            Value::Bool(b) => Some(*b),
            Value::Number(n) if n.as_u64() == Some(0) => Some(false),
            Value::Number(n) if n.as_u64() == Some(1) => Some(true),
            Value::String(s) if s == "true" || s == "1" => Some(true),
            Value::String(s) if s == "false" || s == "0" => Some(false),
            other => {
                self.problem(field, format!("must be true or false, got {}", describe(other)));
                None
            }
        }
    }

    /// A string setting; when the declaration lists choices, it must be one of them.
    fn choice(&mut self, field: &str) -> Option<String> {
        let choices: Vec<String> = self
            .manifest
            .settings
            .iter()
            .find(|s| s.field == field)
            .map(|d| d.choices.iter().map(|c| c.value.clone()).collect())
            .unwrap_or_default();
        let value = match self.value(field, SettingKind::String) {
            Value::Null => self.decl(field, SettingKind::String).and_then(|d| d.default).unwrap_or(Value::Null),
            v => v,
        };
        match value {
            Value::String(s) if choices.is_empty() || choices.contains(&s) => Some(s),
            other => {
                let expected =
                    if choices.is_empty() { "a text".to_string() } else { format!("one of {}", choices.join(", ")) };
                self.problem(field, format!("must be {expected}, got {}", describe(&other)));
                None
            }
        }
    }

    fn limit(&mut self, field: &str) -> Option<u64> {
        match self.value(field, SettingKind::Integer) {
            Value::Null => None,
            Value::Number(n) if n.as_u64().is_some() => n.as_u64(),
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) if s.trim().parse::<u64>().is_ok() => s.trim().parse().ok(),
            other => {
                self.problem(field, format!("must be a whole number of 0 or more, or empty, got {}", describe(&other)));
                None
            }
        }
    }

    /// A `csv` setting: a JSON array of strings, or the comma-separated text some databases return.
    fn list(&mut self, field: &str) -> Vec<String> {
        let items: Vec<String> = match self.value(field, SettingKind::Csv) {
            Value::Null => vec![],
            Value::String(s) => s.split(',').map(str::to_string).collect(),
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) => out.push(s),
                        other => self.problem(field, format!("every entry must be a text, got {}", describe(&other))),
                    }
                }
                out
            }
            other => {
                self.problem(field, format!("must be a list, got {}", describe(&other)));
                vec![]
            }
        };
        items.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
    }

    fn parsed_list<T>(&mut self, field: &str, parse: impl Fn(&str) -> Result<T, String>) -> Vec<T> {
        let mut out = Vec::new();
        for entry in self.list(field) {
            match parse(&entry) {
                Ok(v) => out.push(v),
                Err(e) => self.problem(field, e),
            }
        }
        out
    }

    fn resolved_list<'d>(
        &mut self,
        field: &str,
        resolve: impl Fn(&str) -> Option<&'d str>,
        what: &str,
    ) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for entry in self.list(field) {
            match resolve(&entry) {
                Some(id) => {
                    out.insert(id.to_string());
                }
                None => self.problem(field, format!("there is no {what} \"{entry}\"")),
            }
        }
        out
    }

    fn collections(&mut self, field: &str, directory: &Directory) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for entry in self.list(field) {
            if directory.has_collection(&entry) {
                out.insert(entry);
            } else {
                self.problem(field, format!("there is no collection \"{entry}\""));
            }
        }
        out
    }

    /// A `json` repeater: a list of objects (or its JSON text).
    fn rows(&mut self, field: &str) -> Vec<Map<String, Value>> {
        let value = match self.value(field, SettingKind::Json) {
            Value::String(text) => match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    self.problem(field, format!("is not readable JSON ({e})"));
                    return vec![];
                }
            },
            v => v,
        };
        match value {
            Value::Null => vec![],
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::Object(o) => out.push(o),
                        other => {
                            self.problem(field, format!("every entry must be an object, got {}", describe(&other)))
                        }
                    }
                }
                out
            }
            other => {
                self.problem(field, format!("must be a list, got {}", describe(&other)));
                vec![]
            }
        }
    }

    fn text_of<'v>(&mut self, field: &str, row: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
        match row.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim()),
            _ => {
                self.problem(field, format!("an entry has no {key}"));
                None
            }
        }
    }

    fn modes<'d>(
        &mut self,
        field: &str,
        key: &str,
        resolve: impl Fn(&str) -> Option<&'d str>,
        what: &str,
    ) -> HashMap<String, Mode> {
        let mut out = HashMap::new();
        for row in self.rows(field) {
            let (Some(subject), Some(mode)) = (self.text_of(field, &row, key), self.text_of(field, &row, "mode"))
            else {
                continue;
            };
            let Some(mode) = Mode::parse(mode) else {
                self.problem(field, format!("\"{mode}\" is not a mode (analysis, content, developer, off)"));
                continue;
            };
            match resolve(subject) {
                Some(id) => {
                    out.insert(id.to_string(), mode);
                }
                None => self.problem(field, format!("there is no {what} \"{subject}\"")),
            }
        }
        out
    }

    /// The rows of a repeater keyed by collection, as (collection, value of `key`); rows naming a
    /// collection that does not exist are problems.
    fn collection_rows(&mut self, field: &str, key: &str, directory: &Directory) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for row in self.rows(field) {
            let (Some(collection), Some(value)) =
                (self.text_of(field, &row, "collection"), self.text_of(field, &row, key))
            else {
                continue;
            };
            if directory.has_collection(collection) {
                out.push((collection.to_string(), value.to_string()));
            } else {
                self.problem(field, format!("there is no collection \"{collection}\""));
            }
        }
        out
    }

    fn collection_deletes(&mut self, directory: &Directory) -> HashMap<String, bool> {
        let field = "mcp_guard_collection_deletes";
        let mut out = HashMap::new();
        for (collection, deletes) in self.collection_rows(field, "deletes", directory) {
            match deletes.as_str() {
                "allow" => out.insert(collection, true),
                "deny" => out.insert(collection, false),
                other => {
                    self.problem(field, format!("deletes must be allow or deny, got \"{other}\""));
                    None
                }
            };
        }
        out
    }

    fn collection_fields(&mut self, directory: &Directory) -> HashMap<String, BTreeSet<String>> {
        let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
        for (collection, fields) in self.collection_rows("mcp_guard_redact_collection_fields", "fields", directory) {
            let names = fields.split(',').map(str::trim).filter(|f| !f.is_empty()).map(str::to_string);
            out.entry(collection).or_default().extend(names);
        }
        out
    }

    fn hours(&mut self, directory: &Directory) -> Option<Hours> {
        let field = "mcp_guard_hours";
        let mut windows = Vec::new();
        for row in self.rows(field) {
            let mut days = [false; 7];
            match row.get("days") {
                Some(Value::Array(list)) if !list.is_empty() => {
                    for day in list {
                        match day.as_str().and_then(|d| DAYS.iter().position(|known| *known == d)) {
                            Some(i) => days[i] = true,
                            None => self.problem(field, format!("{} is not a day (mon … sun)", describe(day))),
                        }
                    }
                }
                _ => self.problem(field, "an entry has no days"),
            }
            let (Some(from), Some(to)) = (self.text_of(field, &row, "from"), self.text_of(field, &row, "to")) else {
                continue;
            };
            match (parse_clock(from), parse_clock(to)) {
                (Ok(from), Ok(to)) => windows.push(Window { days, from, to }),
                (Err(e), _) | (_, Err(e)) => self.problem(field, e),
            }
        }
        let time_zone = self.choice("mcp_guard_time_zone").unwrap_or_else(|| "UTC".into());
        if !directory.has_time_zone(&time_zone) {
            self.problem("mcp_guard_time_zone", format!("\"{time_zone}\" is not a known IANA time zone"));
        }
        let outside = match self.choice("mcp_guard_outside_hours").as_deref() {
            Some("flag") => OutsideHours::Flag,
            _ => OutsideHours::Deny,
        };
        (!windows.is_empty()).then_some(Hours { windows, time_zone, outside })
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
pub(crate) mod tests {
    use super::*;
    use crate::directory::RoleFact;
    use serde_json::json;

    pub fn directory() -> Directory {
        Directory {
            roles: vec![RoleFact { id: "role-ai".into(), name: "AI Writers".into() }],
            users: vec![crate::directory::UserFact { id: "user-bot".into(), email: Some("bot@example.com".into()) }],
            time_zones: ["Europe/Berlin".to_string()].into_iter().collect(),
            collections: ["articles", "drafts", "directus_files"].into_iter().map(String::from).collect(),
        }
    }

    pub fn settings(v: Value) -> Settings {
        match Settings::from_row(v.as_object().unwrap_or(&Map::new()), &directory()) {
            Ok(s) => s,
            Err(e) => panic!("invalid test settings: {e}"),
        }
    }

    fn problems(v: Value) -> String {
        match Settings::from_row(v.as_object().unwrap_or(&Map::new()), &directory()) {
            Ok(_) => panic!("accepted {v}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn manifest_parses_and_declares_every_setting_with_a_valid_default() {
        let m = manifest().map_err(|e| e.to_string()).unwrap();
        assert_eq!(m.group, "mcp_group");
        assert_eq!(m.collections.audit_log, "mcp_guard_log");
        // Defaults alone make a valid policy: a fresh install needs no configuration.
        assert!(Settings::from_row(&Map::new(), &Directory::default()).is_ok());
    }

    #[test]
    fn fresh_install_defaults_follow_the_security_guide() {
        let s = settings(json!({}));
        assert!(s.guard_enabled && !s.allow_deletes);
        assert_eq!(s.access.default_mode, Mode::Content);
        assert!(!s.access.allow_admin);
        assert!(s.exfiltration.allowed_hosts.is_empty() && s.exfiltration.exec_flows.is_empty());
        assert!(s.exfiltration.allowed_recipients.is_empty());
        assert!(s.ip_allowlist.is_empty() && s.hours.is_none());
        assert_eq!(s.caps.max_keys, Some(100));
        assert!(!s.caps.allow_update_by_query);
        // Issue 4's defaults: field rules and value detectors on, injection flagged, contact details kept.
        assert!(s.protection.field_rules && s.protection.detectors.enabled && !s.protection.detectors.contact);
        assert_eq!(s.protection.injection, InjectionMode::Flag);
        assert_eq!((s.assets.clone(), s.argument_secrets), (AssetsPolicy::Allow, ArgumentSecrets::Mask));
    }

    #[test]
    fn sqlite_integers_and_strings_are_booleans_and_csv_text_is_a_list() {
        let s =
            settings(json!({"mcp_guard_enabled": 0, "mcp_allow_deletes": "1", "mcp_guard_mcp_roles": "AI Writers"}));
        assert!(!s.guard_enabled && s.allow_deletes);
        assert!(s.access.mcp_roles.contains("role-ai"));
    }

    #[test]
    fn names_resolve_to_ids() {
        let s = settings(json!({
            "mcp_guard_role_modes": [{"role": "ai writers", "mode": "analysis"}],
            "mcp_guard_user_modes": "[{\"user\": \"bot@example.com\", \"mode\": \"developer\"}]",
            "mcp_guard_collection_deletes": [{"collection": "drafts", "deletes": "allow"}],
        }));
        assert_eq!(s.access.role_modes.get("role-ai"), Some(&Mode::Analysis));
        assert_eq!(s.access.user_modes.get("user-bot"), Some(&Mode::Developer));
        assert_eq!(s.collections.deletes.get("drafts"), Some(&true));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = problems(json!({
            "mcp_guard_enabled": "maybe",
            "mcp_guard_default_mode": "root",
            "mcp_guard_ip_allowlist": ["10.0.0.0/40"],
            "mcp_guard_time_zone": "Mars/Olympus",
            "mcp_guard_collections_deny": ["secrets"],
            "mcp_guard_role_modes": [{"role": "Editors", "mode": "content"}],
            "mcp_guard_hours": [{"days": ["mon"], "from": "9", "to": "18:00"}],
            "mcp_guard_max_keys": -5,
        }));
        for expected in [
            "mcp_guard_enabled: must be true or false",
            "mcp_guard_default_mode: must be one of analysis, content, developer, off",
            "\"10.0.0.0/40\" is not an IP address or CIDR range",
            "\"Mars/Olympus\" is not a known IANA time zone",
            "there is no collection \"secrets\"",
            "there is no role \"Editors\"",
            "\"9\" is not a time of day",
            "mcp_guard_max_keys: must be a whole number",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in {text}");
        }
    }

    #[test]
    fn empty_limits_mean_no_limit_and_missing_ones_the_default() {
        let s = settings(json!({"mcp_guard_max_keys": null, "mcp_guard_max_batch": "7"}));
        assert_eq!((s.caps.max_keys, s.caps.max_batch, s.caps.max_read_limit), (None, Some(7), Some(1000)));
    }
}

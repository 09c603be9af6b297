//! The audit record of one `/mcp` message, and the redaction of the arguments it keeps.

use crate::effects::Effect;
use crate::message::ToolMode;
use crate::policy::Decision;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Who sent the message, as Directus authenticated it (`req.accountability`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Caller {
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub admin: bool,
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
    #[serde(default)]
    pub oauth_client: Option<String>,
}

/// One row of `mcp_guard_log`, as far as the core knows it before the call runs. The JS side adds the
/// timestamp, the outcome and the duration.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    pub id: String,
    pub user: Option<String>,
    pub role: Option<String>,
    pub admin: bool,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub oauth_client: Option<String>,
    pub tool_mode: ToolMode,
    pub rpc_method: String,
    pub tool: Option<String>,
    pub inner_tool: Option<String>,
    pub action: Option<String>,
    pub collections: Vec<String>,
    pub key_count: Option<u64>,
    pub decision: Decision,
    pub rule: String,
    pub reason: String,
    /// Redacted, size-capped JSON text of the tool arguments.
    pub arguments: Option<String>,
    /// What the guard found the call would do.
    pub effects: Vec<Effect>,
    /// Written before the call runs (write-ahead) when true.
    pub mutating: bool,
}

/// Random (v4) UUIDs for audit rows, so the JS side can insert a row and update it later by id.
///
/// Seeded once from the OS (getrandom); a generator, not a system call per row: measured inside Directus,
/// `crypto.getRandomValues` per call cost more than the rest of the judgement.
pub struct RecordIds(fastrand::Rng);

impl RecordIds {
    pub fn seeded() -> Result<RecordIds, getrandom::Error> {
        let mut seed = [0u8; 8];
        getrandom::fill(&mut seed)?;
        Ok(RecordIds(fastrand::Rng::with_seed(u64::from_le_bytes(seed))))
    }

    pub fn next_id(&mut self) -> String {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.0.u64(..).to_le_bytes());
        b[8..].copy_from_slice(&self.0.u64(..).to_le_bytes());
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
    }
}

const MAX_STRING_CHARS: usize = 256;
const MAX_ARRAY_ITEMS: usize = 50;
const MAX_DEPTH: usize = 12;
const MAX_TEXT_BYTES: usize = 16 * 1024;

/// Field names whose values are never written to the log.
const SECRET_NAMES: &[(&str, &str)] = &[
    ("password", "password"),
    ("passwd", "password"),
    ("secret", "secret"),
    ("token", "token"),
    ("apikey", "api_key"),
    ("api_key", "api_key"),
    ("api-key", "api_key"),
    ("authorization", "credential"),
    ("credential", "credential"),
    ("private_key", "private_key"),
    ("privatekey", "private_key"),
    ("access_key", "api_key"),
    ("ssn", "ssn"),
];

/// Prefixes of well-known credential formats, masked wherever they appear as a whole value.
const SECRET_PREFIXES: &[(&str, &str)] = &[
    ("sk_live_", "api_key"),
    ("sk_test_", "api_key"),
    ("rk_live_", "api_key"),
    ("ghp_", "api_key"),
    ("gho_", "api_key"),
    ("github_pat_", "api_key"),
    ("xoxb-", "api_key"),
    ("xoxp-", "api_key"),
    ("AKIA", "api_key"),
    ("sk-", "api_key"),
    ("-----BEGIN", "private_key"),
];

/// The arguments as they go into the log: obvious secrets masked, long values cut, at most 16 KiB.
pub fn redact_arguments(arguments: &Value) -> String {
    let text = redact_value(arguments, None, 0).to_string();
    if text.len() <= MAX_TEXT_BYTES {
        return text;
    }
    let mut cut = MAX_TEXT_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    serde_json::json!({ "truncated": true, "bytes": text.len(), "preview": &text[..cut] }).to_string()
}

fn redact_value(value: &Value, key: Option<&str>, depth: usize) -> Value {
    if let Some(kind) = key.and_then(secret_name_kind) {
        if !value.is_null() && !value.is_object() && !value.is_array() {
            return Value::String(format!("[redacted:{kind}]"));
        }
    }
    match value {
        Value::String(s) => {
            if let Some(kind) = secret_value_kind(s) {
                return Value::String(format!("[redacted:{kind}]"));
            }
            let chars = s.chars().count();
            if chars > MAX_STRING_CHARS {
                let kept: String = s.chars().take(MAX_STRING_CHARS).collect();
                Value::String(format!("{kept}…[{chars} chars]"))
            } else {
                value.clone()
            }
        }
        Value::Array(items) if depth >= MAX_DEPTH => Value::String(format!("[array of {}]", items.len())),
        Value::Object(_) if depth >= MAX_DEPTH => Value::String("[object]".into()),
        Value::Array(items) => {
            let mut out: Vec<Value> =
                items.iter().take(MAX_ARRAY_ITEMS).map(|v| redact_value(v, key, depth + 1)).collect();
            if items.len() > MAX_ARRAY_ITEMS {
                out.push(Value::String(format!("…{} more", items.len() - MAX_ARRAY_ITEMS)));
            }
            Value::Array(out)
        }
        Value::Object(map) => {
            let out: Map<String, Value> =
                map.iter().map(|(k, v)| (k.clone(), redact_value(v, Some(k), depth + 1))).collect();
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn secret_name_kind(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    SECRET_NAMES.iter().find(|(pattern, _)| lower.contains(pattern)).map(|(_, kind)| *kind)
}

fn secret_value_kind(value: &str) -> Option<&'static str> {
    let trimmed = value.trim();
    if let Some((_, kind)) =
        SECRET_PREFIXES.iter().find(|(p, _)| trimmed.starts_with(p) && trimmed.len() >= p.len() + 8)
    {
        return Some(kind);
    }
    if looks_like_jwt(trimmed) {
        return Some("jwt");
    }
    None
}

fn looks_like_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && s.starts_with("eyJ")
        && parts.iter().all(|p| p.len() >= 4 && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_secret_fields_and_secret_values() {
        let text = redact_arguments(&json!({
            "data": {"api_key": "abc", "note": "sk_live_51HxYzABCDEFGH", "title": "ok", "nested": {"Password": 5}},
            "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
        }));
        assert!(!text.contains("abc") && !text.contains("sk_live_51"), "{text}");
        assert!(
            text.contains("[redacted:api_key]")
                && text.contains("[redacted:password]")
                && text.contains("[redacted:jwt]")
        );
        assert!(text.contains("\"title\":\"ok\""));
    }

    #[test]
    fn caps_long_strings_arrays_and_total_size() {
        let long = "x".repeat(1000);
        let text = redact_arguments(&json!({ "s": long, "a": (0..200).collect::<Vec<_>>() }));
        assert!(text.contains("…[1000 chars]") && text.contains("…150 more"), "{text}");
        let huge: Vec<String> = (0..50).map(|i| format!("{i}{}", "y".repeat(300))).collect();
        let rows: Vec<Value> = (0..50).map(|_| json!({ "v": huge.clone() })).collect();
        let capped = redact_arguments(&Value::Array(rows));
        assert!(capped.len() < MAX_TEXT_BYTES + 200);
        assert!(capped.starts_with("{\"bytes\":") || capped.contains("\"truncated\":true"));
    }

    #[test]
    fn record_ids_are_distinct_v4_uuids() {
        let mut ids = RecordIds::seeded().unwrap();
        let id = ids.next_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(id, ids.next_id());
        assert_ne!(id, RecordIds::seeded().unwrap().next_id());
    }
}

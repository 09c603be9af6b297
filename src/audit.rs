//! The audit record of one `/mcp` message, and the redaction of the arguments it keeps.

use crate::effects::Effect;
use crate::message::ToolMode;
use crate::policy::Decision;
use crate::secrets::{find_secrets, redact_text, redaction_marker, sensitive_field, DetectorOptions, SecretKind};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;

/// Who sent the message, as Directus authenticated it (`req.accountability`). Borrowed from the context's
/// JSON text where it can be: it is read for every message, and only the record's text outlives the call.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Caller<'a> {
    #[serde(default, borrow)]
    pub user: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub role: Option<Cow<'a, str>>,
    #[serde(default)]
    pub admin: bool,
    #[serde(default, borrow)]
    pub ip: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub user_agent: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub oauth_client: Option<Cow<'a, str>>,
}

impl Caller<'_> {
    /// The same caller, holding its own strings (to be kept beyond the text it was read from).
    pub fn into_owned(self) -> Caller<'static> {
        let own = |text: Option<Cow<'_, str>>| text.map(|t| Cow::Owned(t.into_owned()));
        Caller {
            user: own(self.user),
            role: own(self.role),
            admin: self.admin,
            ip: own(self.ip),
            user_agent: own(self.user_agent),
            oauth_client: own(self.oauth_client),
        }
    }
}

/// One row of `mcp_guard_log`, as far as the core knows it before the call runs. The JS side adds the
/// timestamp, the outcome and the duration. It borrows from the call it records: it is only ever written
/// out as JSON text.
#[derive(Debug, Serialize)]
pub struct AuditRecord<'a> {
    pub id: &'a str,
    pub user: Option<&'a str>,
    pub role: Option<&'a str>,
    pub admin: bool,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub oauth_client: Option<&'a str>,
    pub tool_mode: ToolMode,
    pub rpc_method: &'a str,
    pub tool: Option<&'a str>,
    pub inner_tool: Option<&'a str>,
    pub action: Option<&'a str>,
    pub collections: Vec<&'a str>,
    pub key_count: Option<u64>,
    pub decision: Decision,
    pub rule: &'static str,
    pub reason: &'a str,
    /// Redacted, size-capped JSON text of the tool arguments.
    pub arguments: Option<String>,
    /// What the guard found the call would do.
    pub effects: &'a [Effect],
    /// Written before the call runs (write-ahead) when true.
    pub mutating: bool,
}

/// Time-ordered (v7) UUIDs for audit rows, so the JS side can insert a row and update it later by id.
///
/// Each starts with the time the message arrived, so new rows land at the end of the log's key index instead
/// of anywhere in it: in a knex and SQLite measurement (batches of 30 rows into a log of 20,000), a row cost
/// about 66 µs of CPU instead of 82, the disk writes about half. The rest is random, from a generator seeded
/// once from the OS (getrandom), not a system call per row: measured inside Directus,
/// `crypto.getRandomValues` per call cost more than the rest of the judgement.
pub struct RecordIds(fastrand::Rng);

impl RecordIds {
    pub fn seeded() -> Result<RecordIds, getrandom::Error> {
        let mut seed = [0u8; 8];
        getrandom::fill(&mut seed)?;
        Ok(RecordIds(fastrand::Rng::with_seed(u64::from_le_bytes(seed))))
    }

    /// A UUIDv7 (RFC 9562) for a message that arrived at `unix_ms`.
    pub fn next_id(&mut self, unix_ms: u64) -> String {
        let mut b = [0u8; 16];
        b[..6].copy_from_slice(&unix_ms.to_be_bytes()[2..]);
        b[6..14].copy_from_slice(&self.0.u64(..).to_le_bytes());
        b[14..].copy_from_slice(&self.0.u16(..).to_le_bytes());
        b[6] = (b[6] & 0x0f) | 0x70;
        b[8] = (b[8] & 0x3f) | 0x80;
        // Written digit by digit: the formatting machinery's code is far larger, and every call runs cold.
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut id = String::with_capacity(36);
        for (i, byte) in b.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                id.push('-');
            }
            id.push(char::from(HEX[usize::from(byte >> 4)]));
            id.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        id
    }
}

const MAX_STRING_CHARS: usize = 256;
const MAX_ARRAY_ITEMS: usize = 50;
const MAX_DEPTH: usize = 12;
const MAX_TEXT_BYTES: usize = 16 * 1024;

/// The arguments as they go into the log: obvious secrets masked, long values cut, at most 16 KiB.
pub fn redact_arguments(arguments: &Value) -> String {
    // Written straight out as JSON: the redacted copy is never built as a tree of its own.
    let text = serde_json::to_string(&Redacted { value: arguments, field_marker: None, depth: 0 })
        .unwrap_or_else(|e| serde_json::json!({ "unloggable": e.to_string() }).to_string());
    if text.len() <= MAX_TEXT_BYTES {
        return text;
    }
    let mut cut = MAX_TEXT_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    serde_json::json!({ "truncated": true, "bytes": text.len(), "preview": &text[..cut] }).to_string()
}

/// A value as the log keeps it. `field_marker`: the marker of the nearest key above, when its name says it
/// holds a secret; the items of a list under such a key are masked too.
struct Redacted<'a> {
    value: &'a Value,
    field_marker: Option<&'static str>,
    depth: usize,
}

impl Serialize for Redacted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (value, depth) = (self.value, self.depth);
        if let Some(kind) = self.field_marker {
            if !value.is_null() && !value.is_object() && !value.is_array() {
                return serializer.serialize_str(&redaction_marker(kind));
            }
        }
        match value {
            Value::String(s) => {
                // Secrets inside the text are masked where they stand; if the detectors are unavailable the
                // whole value is withheld rather than logged.
                let masked = match redact_text(s, LOG_DETECTORS, &mut |_| {}) {
                    Some(Some(masked)) => Cow::Owned(masked),
                    Some(None) => Cow::Borrowed(s.as_str()),
                    None => return serializer.serialize_str("[withheld]"),
                };
                // A string of at most MAX_STRING_CHARS bytes has at most as many characters.
                let chars = if masked.len() > MAX_STRING_CHARS { masked.chars().count() } else { 0 };
                if chars > MAX_STRING_CHARS {
                    let kept: String = masked.chars().take(MAX_STRING_CHARS).collect();
                    serializer.serialize_str(&format!("{kept}…[{chars} chars]"))
                } else {
                    serializer.serialize_str(&masked)
                }
            }
            Value::Array(items) if depth >= MAX_DEPTH => {
                serializer.serialize_str(&format!("[array of {}]", items.len()))
            }
            Value::Object(_) if depth >= MAX_DEPTH => serializer.serialize_str("[object]"),
            Value::Array(items) => {
                let more = items.len().saturating_sub(MAX_ARRAY_ITEMS);
                let mut seq =
                    serializer.serialize_seq(Some(items.len().min(MAX_ARRAY_ITEMS) + usize::from(more > 0)))?;
                for item in items.iter().take(MAX_ARRAY_ITEMS) {
                    seq.serialize_element(&Redacted {
                        value: item,
                        field_marker: self.field_marker,
                        depth: depth + 1,
                    })?;
                }
                if more > 0 {
                    seq.serialize_element(&format!("…{more} more"))?;
                }
                seq.end()
            }
            Value::Object(map) => {
                let mut members = serializer.serialize_map(Some(map.len()))?;
                for (key, item) in map {
                    let field_marker = sensitive_field(key, &[]);
                    members.serialize_entry(key, &Redacted { value: item, field_marker, depth: depth + 1 })?;
                }
                members.end()
            }
            other => other.serialize(serializer),
        }
    }
}

/// The log masks keys, tokens, card numbers and the like; contact details stay, as they identify people
/// an administrator may need to find.
const LOG_DETECTORS: DetectorOptions = DetectorOptions { enabled: true, contact: false };

/// The kinds of secret values the arguments carry (keys, tokens, card numbers, …), for the setting that
/// refuses such calls.
pub fn secrets_in_arguments(arguments: &Value) -> Vec<SecretKind> {
    let mut kinds = Vec::new();
    collect_secrets(arguments, 0, &mut kinds);
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

fn collect_secrets(value: &Value, depth: usize, out: &mut Vec<SecretKind>) {
    match value {
        Value::String(s) => out.extend(find_secrets(s, LOG_DETECTORS).unwrap_or_default().into_iter().map(|f| f.kind)),
        Value::Array(items) if depth < MAX_DEPTH * 4 => items.iter().for_each(|v| collect_secrets(v, depth + 1, out)),
        Value::Object(map) if depth < MAX_DEPTH * 4 => map.values().for_each(|v| collect_secrets(v, depth + 1, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_secret_fields_and_secret_values() {
        let text = redact_arguments(&json!({
            "data": {"api_key": "abc", "note": "sk_live_51HxYzABCDEFGH", "title": "ok", "nested": {"Password": 5}},
            "query": {"filter": {"note": {"_contains": "pasted ghp_1234567890abcdefghijABCDEFGHIJ123456 here"}}},
            "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
        }));
        assert!(!text.contains("abc") && !text.contains("sk_live_51") && !text.contains("ghp_12"), "{text}");
        assert!(text.contains("pasted [redacted:github_token] here"), "{text}");
        assert!(
            text.contains("[redacted:api_key]")
                && text.contains("[redacted:password]")
                && text.contains("[redacted:jwt]")
                && text.contains("[redacted:stripe_key]"),
            "{text}"
        );
        assert!(text.contains("\"title\":\"ok\""));
    }

    #[test]
    fn secret_values_in_arguments_are_named_for_the_deny_setting() {
        let args = json!({"data": [{"note": "key AKIAIOSFODNN7EXAMPLE"}, {"title": "fine"}]});
        assert_eq!(secrets_in_arguments(&args), vec![SecretKind::AwsAccessKey]);
        assert!(secrets_in_arguments(&json!({"data": {"title": "no secrets, id 12"}})).is_empty());
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
    fn record_ids_are_distinct_v7_uuids_in_the_order_of_their_times() {
        let mut ids = RecordIds::seeded().unwrap();
        let at = 1_764_115_200_123;
        let id = ids.next_id(at);
        assert_eq!(id.len(), 36);
        assert_eq!(&id[..13], "019abd75-b87b", "the first 48 bits are the time in ms");
        assert_eq!(&id[14..15], "7");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(id, ids.next_id(at), "ids of the same millisecond differ");
        assert_ne!(id, RecordIds::seeded().unwrap().next_id(at));
        let later: Vec<String> = [at + 1, at + 1000, at + 86_400_000].iter().map(|&t| ids.next_id(t)).collect();
        assert!(id < later[0] && later[0] < later[1] && later[1] < later[2], "{id} {later:?}");
    }
}

//! What goes back to the MCP client when the guard answers itself, and how a Directus answer is summed up
//! for the audit log.

use crate::policy::{Rule, Verdict};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::borrow::Cow;

/// The code every guard denial carries, beside its rule id.
pub const DENIAL_CODE: &str = "MCP_GUARD_DENIED";

/// A refused tool call, shaped like Directus's own tool errors (a JSON-RPC *result* with `isError`), so that
/// clients show it to the model instead of failing the transport.
pub fn denial_result(id: &Value, verdict: &Verdict) -> Value {
    tool_error(id, "refused this call", verdict.rule, &verdict.reason)
}

/// The tool error the guard answers with: `what` it did (refused this call, withheld this result), the rule,
/// the reason and the rule's remedy.
pub fn tool_error(id: &Value, what: &str, rule: Rule, reason: &str) -> Value {
    let remedy = rule.remedy();
    let error = json!({
        "error": format!("MCP Guard {what}: {reason}. {remedy}"),
        "code": DENIAL_CODE,
        "rule": rule.id(),
        "reason": reason,
        "remedy": remedy,
        "recoverable": false,
    });
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "result": {
            "isError": true,
            "content": [{ "type": "text", "text": Value::Array(vec![error]).to_string() }],
        },
    })
}

/// A message that is not a JSON-RPC request at all gets a JSON-RPC error (-32600, Invalid Request).
pub fn invalid_request(verdict: &Verdict) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {
            "code": -32600,
            "message": format!("MCP Guard refused this request: {}. {}", verdict.reason, verdict.remedy()),
            "data": { "code": DENIAL_CODE, "rule": verdict.rule.id(), "reason": verdict.reason, "remedy": verdict.remedy() },
        },
    })
}

/// One short outcome for the audit log: `ok`, `tool-error:<CODE>`, `rpc-error:<code>` or `http-<status>[:<CODE>]`.
///
/// Only the members it depends on are kept; everything else is checked as JSON and skipped.
pub fn outcome(status: u16, body: Option<&[u8]>) -> String {
    let Some(members) = body.and_then(|b| serde_json::from_slice::<Members>(b).ok()) else {
        return format!("http-{status}");
    };
    if status >= 400 {
        let code = value_of(members.errors);
        return match code.as_ref().and_then(|e| e.pointer("/0/extensions/code")).and_then(Value::as_str) {
            Some(code) => format!("http-{status}:{code}"),
            None => format!("http-{status}"),
        };
    }
    if let Some(err) = value_of(members.error) {
        return match err.get("code") {
            Some(code) => format!("rpc-error:{code}"),
            None => "rpc-error".into(),
        };
    }
    let Some(result) = members.result else {
        return format!("http-{status}");
    };
    // A result that is not an object has no `isError`: it is a plain result.
    let Ok(result) = serde_json::from_str::<Members>(result.get()) else { return "ok".into() };
    if value_of(result.is_error).and_then(|v| v.as_bool()) != Some(true) {
        return "ok".into();
    }
    match tool_error_code(&result) {
        Some(code) => format!("tool-error:{code}"),
        None => "tool-error".into(),
    }
}

/// The members of a JSON object that an outcome depends on, each still as its text: `error`, `result` and
/// `errors` of the answer, `isError` and `content` of its result. Of duplicates the last counts, as in a
/// parsed object.
#[derive(Default)]
struct Members<'a> {
    error: Option<&'a RawValue>,
    result: Option<&'a RawValue>,
    errors: Option<&'a RawValue>,
    is_error: Option<&'a RawValue>,
    content: Option<&'a RawValue>,
}

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut members = Members::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let slot = match key.as_ref() {
                        "error" => &mut members.error,
                        "result" => &mut members.result,
                        "errors" => &mut members.errors,
                        "isError" => &mut members.is_error,
                        "content" => &mut members.content,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = Some(map.next_value()?);
                }
                Ok(members)
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

fn value_of(raw: Option<&RawValue>) -> Option<Value> {
    raw.and_then(|raw| serde_json::from_str(raw.get()).ok())
}

/// Directus puts `[{error, code}]` as JSON text in the first content item.
fn tool_error_code(result: &Members) -> Option<String> {
    let content = value_of(result.content)?;
    let text = content.pointer("/0/text")?.as_str()?;
    let errors: Value = serde_json::from_str(text).ok()?;
    errors.pointer("/0/code")?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Rule;

    #[test]
    fn denial_is_a_tool_error_with_rule_reason_and_remedy() {
        let v = Verdict::deny(Rule::DeletesDisabled, "this call would delete 1 row of comments (data.comments.delete)");
        let r = denial_result(&json!(3), &v);
        assert_eq!(r["id"], json!(3));
        assert_eq!(r["result"]["isError"], json!(true));
        let text = r["result"]["content"][0]["text"].as_str().unwrap();
        let errors: Value = serde_json::from_str(text).unwrap();
        assert_eq!(errors[0]["rule"], "deletes.disabled");
        assert_eq!(errors[0]["code"], DENIAL_CODE);
        assert!(errors[0]["error"].as_str().unwrap().contains("Allow Deletes"));
        assert_eq!(outcome(200, Some(r.to_string().as_bytes())), "tool-error:MCP_GUARD_DENIED");
    }

    /// The outcome as first written, from the whole answer parsed into a tree: what [`outcome`] must agree with.
    fn outcome_from_tree(status: u16, body: Option<&str>) -> String {
        let Some(body) = body.and_then(|b| serde_json::from_str::<Value>(b).ok()) else {
            return format!("http-{status}");
        };
        if status >= 400 {
            return match body.pointer("/errors/0/extensions/code").and_then(Value::as_str) {
                Some(code) => format!("http-{status}:{code}"),
                None => format!("http-{status}"),
            };
        }
        if let Some(err) = body.get("error") {
            return match err.get("code") {
                Some(code) => format!("rpc-error:{code}"),
                None => "rpc-error".into(),
            };
        }
        match body.get("result") {
            Some(result) if result.get("isError").and_then(Value::as_bool) == Some(true) => {
                let code = result
                    .pointer("/content/0/text")
                    .and_then(Value::as_str)
                    .and_then(|t| serde_json::from_str::<Value>(t).ok())
                    .and_then(|e| e.pointer("/0/code").and_then(Value::as_str).map(str::to_string));
                code.map_or_else(|| "tool-error".into(), |c| format!("tool-error:{c}"))
            }
            Some(_) => "ok".into(),
            None => format!("http-{status}"),
        }
    }

    #[test]
    fn odd_answer_shapes_sum_up_as_from_a_parsed_tree() {
        for body in [
            r#"{"error":null,"result":{}}"#,
            r#"{"error":{"code":"X"}}"#,
            r#"{"error":5}"#,
            r#"[{"error":{"code":1}}]"#,
            r#""text""#,
            r#"{"result":5}"#,
            r#"{"result":[1]}"#,
            r#"{"result":{"isError":"true"}}"#,
            r#"{"result":{"isError":true}}"#,
            r#"{"result":{"isError":true,"content":"x"}}"#,
            r#"{"result":{"isError":true,"content":[{"text":"not json"}]}}"#,
            r#"{"result":{"isError":false},"result":{"isError":true}}"#,
            r#"{"res\u0075lt":{"isError":true}}"#,
            r#"{"result":{"isError":true,"content":[{"text":"[{\"code\":\"X\"}]"}],"content":[]}}"#,
            r#"{"result":{"isError":true,"error":{"code":"Y"},"content":[{"text":"[{\"code\":\"X\"}]"}]}}"#,
            r#"{"isError":true,"content":[{"text":"[{\"code\":\"X\"}]"}]}"#,
            r#"{"errors":[{"extensions":{"code":"FORBIDDEN"}}],"errors":[]}"#,
            r#"{"result":{"content":[]}} trailing"#,
        ] {
            for status in [200, 403] {
                assert_eq!(
                    outcome(status, Some(body.as_bytes())),
                    outcome_from_tree(status, Some(body)),
                    "{status} {body}"
                );
            }
        }
    }

    #[test]
    fn outcomes_cover_every_answer_shape() {
        assert_eq!(outcome(200, Some(r#"{"jsonrpc":"2.0","id":1,"result":{"content":[]}}"#.as_bytes())), "ok");
        assert_eq!(
            outcome(200, Some(r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601}}"#.as_bytes())),
            "rpc-error:-32601"
        );
        assert_eq!(outcome(202, None), "http-202");
        assert_eq!(
            outcome(403, Some(r#"{"errors":[{"extensions":{"code":"FORBIDDEN"}}]}"#.as_bytes())),
            "http-403:FORBIDDEN"
        );
        assert_eq!(
            outcome(
                200,
                Some(
                    r#"{"result":{"isError":true,"content":[{"type":"text","text":"[{\"error\":\"x\",\"code\":\"INVALID_PAYLOAD\"}]"}]}}"#
                        .as_bytes()
                )
            ),
            "tool-error:INVALID_PAYLOAD"
        );
        assert_eq!(outcome(200, Some(b"not json")), "http-200");
    }
}

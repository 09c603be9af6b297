//! One JSON-RPC message posted to `/mcp`, read the way Directus's MCP server reads it.

use serde::Serialize;
use serde_json::Value;

/// Which tool surface the request was made against (`?tool_mode=registry` or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolMode {
    Legacy,
    Registry,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RpcMessage {
    /// `tools/call`: the only method that can change anything.
    ToolCall {
        id: Value,
        name: String,
        /// `None` when the client sent no `arguments` at all.
        arguments: Option<Value>,
    },
    /// Any other request (`initialize`, `tools/list`, `prompts/get`, `ping`, …).
    Request { id: Value, method: String },
    /// A notification (no `id`), e.g. `notifications/initialized`.
    Notification { method: String },
    /// A client's answer to a server request. Directus's server never asks, so these carry no effect.
    Response { id: Value },
}

impl RpcMessage {
    pub fn method(&self) -> &str {
        match self {
            RpcMessage::ToolCall { .. } => "tools/call",
            RpcMessage::Request { method, .. } | RpcMessage::Notification { method } => method,
            RpcMessage::Response { .. } => "response",
        }
    }

    /// The id to answer with; `null` when the message has none.
    pub fn id(&self) -> Value {
        match self {
            RpcMessage::ToolCall { id, .. } | RpcMessage::Request { id, .. } | RpcMessage::Response { id } => {
                id.clone()
            }
            RpcMessage::Notification { .. } => Value::Null,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MessageError {
    #[error("the request body cannot be read as JSON: {0}")]
    Unreadable(String),
    #[error("the request body is not a JSON-RPC message object (got {0})")]
    NotAnObject(&'static str),
    #[error("JSON-RPC batches are not supported by Directus's MCP server; send one message per request")]
    Batch,
    #[error("\"jsonrpc\" must be \"2.0\"")]
    WrongVersion,
    #[error("\"method\" must be a string")]
    MethodNotString,
    #[error("\"id\" must be a string or a number")]
    BadId,
    #[error("tools/call needs \"params\" to be an object")]
    ParamsNotObject,
    #[error("tools/call needs \"params.name\" to be a string")]
    ToolNameNotString,
}

/// Reads the message from its UTF-8 JSON bytes, as the client sent them (less a byte order mark, which
/// Directus's body parser drops too). Bytes Node accepted can still be refused here, e.g. nesting deeper than
/// serde_json's limit of 128, or a number too large for a double, which Node reads as `Infinity`: such a
/// message is refused, not guessed at.
pub fn parse_message_json(bytes: &[u8]) -> Result<RpcMessage, MessageError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let body: Value = serde_json::from_slice(bytes).map_err(|e| MessageError::Unreadable(e.to_string()))?;
    parse_message(body)
}

/// Takes the message apart: its arguments are moved out, not copied.
pub fn parse_message(body: Value) -> Result<RpcMessage, MessageError> {
    let mut obj = match body {
        Value::Object(o) => o,
        Value::Array(_) => return Err(MessageError::Batch),
        other => return Err(MessageError::NotAnObject(json_kind(&other))),
    };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(MessageError::WrongVersion);
    }
    let id = match obj.remove("id") {
        None => None,
        Some(v @ (Value::String(_) | Value::Number(_))) => Some(v),
        Some(_) => return Err(MessageError::BadId),
    };
    let method = match obj.remove("method") {
        None => {
            return match id {
                Some(id) if obj.contains_key("result") || obj.contains_key("error") => Ok(RpcMessage::Response { id }),
                _ => Err(MessageError::MethodNotString),
            }
        }
        Some(Value::String(m)) => m,
        Some(_) => return Err(MessageError::MethodNotString),
    };
    let Some(id) = id else {
        return Ok(RpcMessage::Notification { method });
    };
    if method != "tools/call" {
        return Ok(RpcMessage::Request { id, method });
    }
    let mut params = match obj.remove("params") {
        Some(Value::Object(p)) => p,
        _ => return Err(MessageError::ParamsNotObject),
    };
    let name = match params.remove("name") {
        Some(Value::String(n)) => n,
        _ => return Err(MessageError::ToolNameNotString),
    };
    Ok(RpcMessage::ToolCall { id, name, arguments: params.remove("arguments") })
}

pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_tool_call() {
        let m = parse_message(json!({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"items","arguments":{"action":"read"}}})).unwrap();
        assert_eq!(
            m,
            RpcMessage::ToolCall { id: json!(7), name: "items".into(), arguments: Some(json!({"action":"read"})) }
        );
    }

    #[test]
    fn tells_requests_notifications_and_responses_apart() {
        assert_eq!(
            parse_message(json!({"jsonrpc":"2.0","id":"a","method":"tools/list"})).unwrap().method(),
            "tools/list"
        );
        assert_eq!(
            parse_message(json!({"jsonrpc":"2.0","method":"notifications/initialized"})).unwrap(),
            RpcMessage::Notification { method: "notifications/initialized".into() }
        );
        assert_eq!(
            parse_message(json!({"jsonrpc":"2.0","id":1,"result":{}})).unwrap(),
            RpcMessage::Response { id: json!(1) }
        );
    }

    #[test]
    fn refuses_malformed_messages() {
        assert_eq!(parse_message(json!([{"jsonrpc":"2.0"}])), Err(MessageError::Batch));
        assert_eq!(parse_message(json!("hi")), Err(MessageError::NotAnObject("a string")));
        assert_eq!(parse_message(json!({"id":1,"method":"x"})), Err(MessageError::WrongVersion));
        assert_eq!(parse_message(json!({"jsonrpc":"2.0","id":{},"method":"x"})), Err(MessageError::BadId));
        assert_eq!(
            parse_message(json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":[]})),
            Err(MessageError::ParamsNotObject)
        );
        assert_eq!(
            parse_message(json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":3}})),
            Err(MessageError::ToolNameNotString)
        );
    }

    #[test]
    fn reads_the_bytes_as_sent() {
        let ping = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), ping].concat();
        assert_eq!(parse_message_json(&with_bom).map(|m| m.method().to_owned()), Ok("ping".to_owned()));
        // Node reads the same as it reads a key given twice (the last wins) and the same escapes.
        let twice = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"items","arguments":{"action":"read","action":"delet\u0065"}}}"#;
        let Ok(RpcMessage::ToolCall { arguments: Some(args), .. }) = parse_message_json(twice) else { panic!() };
        assert_eq!(args["action"], "delete");
        // What Node would read differently is refused: not UTF-8, a number beyond a double, UTF-16.
        for bytes in [
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\xFF\"}".to_vec(),
            br#"{"jsonrpc":"2.0","id":1e400,"method":"ping"}"#.to_vec(),
            ping.iter().flat_map(|&b| [b, 0]).collect(),
        ] {
            assert!(matches!(parse_message_json(&bytes), Err(MessageError::Unreadable(_))), "{bytes:?}");
        }
    }
}

//! Takes the tools a caller may not use out of what Directus lists: `tools/list` answers, and the results of
//! registry `search` (in its text content and its structured content).

use serde_json::Value;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ListingError {
    #[error("the answer is not JSON: {0}")]
    NotJson(String),
}

/// Returns the answer without the hidden tools, as JSON text.
pub fn filter_listing(answer: &str, hidden: &[String]) -> Result<String, ListingError> {
    let mut value: Value = serde_json::from_str(answer).map_err(|e| ListingError::NotJson(e.to_string()))?;
    if let Some(result) = value.get_mut("result") {
        if let Some(Value::Array(tools)) = result.get_mut("tools") {
            retain_visible(tools, hidden);
        }
        if let Some(data) = result.get_mut("structuredContent").and_then(|s| s.get_mut("data")) {
            filter_search(data, hidden);
        }
        if let Some(Value::Array(content)) = result.get_mut("content") {
            for part in content.iter_mut() {
                let Some(Value::String(text)) = part.get_mut("text") else { continue };
                let Ok(mut inner) = serde_json::from_str::<Value>(text) else { continue };
                if let Some(data) = inner.get_mut("data") {
                    filter_search(data, hidden);
                    *text = inner.to_string();
                }
            }
        }
    }
    Ok(value.to_string())
}

fn filter_search(data: &mut Value, hidden: &[String]) {
    if let Some(Value::Array(results)) = data.get_mut("results") {
        retain_visible(results, hidden);
    }
    if let Some(Value::Array(names)) = data.get_mut("availableToolNames") {
        names.retain(|n| !n.as_str().is_some_and(|n| hidden.iter().any(|h| h == n)));
    }
    if let Some(Value::String(hint)) = data.get_mut("hint") {
        // The hint lists available tools by name; rebuild it rather than leak hidden ones.
        if hint.starts_with("No tools matched") {
            *hint = "No tools matched.".to_string();
        }
    }
}

fn retain_visible(tools: &mut Vec<Value>, hidden: &[String]) {
    tools.retain(|t| !t.get("name").and_then(Value::as_str).is_some_and(|n| hidden.iter().any(|h| h == n)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hidden() -> Vec<String> {
        vec!["flows".into(), "operations".into()]
    }

    #[test]
    fn tools_list_loses_hidden_tools() {
        let answer = json!({"jsonrpc": "2.0", "id": 1, "result": {"tools": [{"name": "items"}, {"name": "flows"}, {"name": "operations"}]}});
        let out: Value = serde_json::from_str(&filter_listing(&answer.to_string(), &hidden()).unwrap_or_default())
            .unwrap_or_default();
        assert_eq!(out["result"]["tools"], json!([{"name": "items"}]));
        assert_eq!(out["id"], json!(1));
    }

    #[test]
    fn registry_search_results_lose_hidden_tools_in_text_and_structured_content() {
        let data = json!({"results": [{"name": "flows"}, {"name": "items"}], "availableToolNames": ["flows", "items"]});
        let answer = json!({"jsonrpc": "2.0", "id": 2, "result": {
            "content": [{"type": "text", "text": json!({"data": data}).to_string()}],
            "structuredContent": {"data": data},
        }});
        let text = filter_listing(&answer.to_string(), &hidden()).unwrap_or_default();
        assert!(!text.contains("flows"), "{text}");
        assert!(text.contains("items"));
    }

    #[test]
    fn a_non_json_answer_is_an_error() {
        assert!(filter_listing("<html>", &hidden()).is_err());
    }
}

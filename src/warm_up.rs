//! Sample traffic that the extension runs through the core once, when it loads.
//!
//! V8 first runs WebAssembly and JS through baseline compilers and optimises a function only once it has
//! run enough. Inside Directus the guard's calls are spread thinly between much other work: measured there
//! (each call into the core timed, 6,000 reads), a read's decision still took about 100 µs and its answer
//! filter about 47 µs at the end. With 150 rounds of these samples run through the core's exports at load
//! (about 0.1 s), they took about 60 and 28 µs from the start. The samples cover the paths most calls take:
//! reads with relational queries, writes with nested relations (allowed and refused), tool lists, and
//! answers with and without something to redact.

/// Relations for the samples: comments (O2M, deselected rows deleted) and authors (M2O) of articles.
pub const SCHEMA: &str = r#"{
    "primary_keys": {"articles": "id", "comments": "id", "authors": "id"},
    "singletons": [],
    "relations": [
        {"collection": "comments", "field": "article", "related_collection": "articles", "one_field": "comments",
         "one_collection_field": null, "one_deselect_action": "delete", "one_allowed_collections": []},
        {"collection": "articles", "field": "author", "related_collection": "authors", "one_field": null,
         "one_collection_field": null, "one_deselect_action": "nullify", "one_allowed_collections": []}
    ]
}"#;

/// A non-admin caller, as the JS side describes it.
pub const CONTEXT: &str = r#"{"tool_mode": "legacy", "accepts_json": true, "local_time": null, "received_ms": 1764115200000,
    "caller": {"user": "00000000-0000-4000-8000-000000000001", "role": "00000000-0000-4000-8000-000000000002",
               "admin": false, "ip": "127.0.0.1", "user_agent": "mcp-guard warm-up", "oauth_client": null}}"#;

/// Messages as MCP clients send them.
pub const MESSAGES: &[&str] = &[
    r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"items","arguments":{"action":"read","collection":"articles","query":{"fields":["id","title","author.name"],"filter":{"status":{"_eq":"published"}},"sort":["-id"],"limit":20}}}}"#,
    r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"items","arguments":{"action":"update","collection":"articles","keys":[1],"data":{"title":"New title","comments":{"create":[{"body":"Thanks"}],"update":[{"id":3,"body":"Edited"}]}}}}}"#,
    r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"items","arguments":{"action":"update","collection":"articles","keys":[1],"data":{"comments":{"delete":[4]}}}}}"#,
    r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"items","arguments":{"action":"create","collection":"comments","data":[{"body":"First","article":1},{"body":"Second","article":2}]}}}"#,
    r#"{"jsonrpc":"2.0","id":5,"method":"tools/list"}"#,
];

/// The collection the answers' rows belong to.
pub const ANSWER_COLLECTION: &str = "articles";

/// Answers Directus sends back: 20 plain rows; 20 rows with a secret field, a key in the text and HTML to
/// look into; a tool error. The same answers go through the outcome summary.
pub fn answers() -> Vec<String> {
    let rows = |rich: bool| -> Vec<serde_json::Value> {
        (1..=20)
            .map(|i| match rich {
                false => serde_json::json!({"id": i, "title": format!("Article {i} about the quick brown fox"), "status": "published"}),
                true => serde_json::json!({
                    "id": i,
                    "title": format!("Article {i}"),
                    "api_token": format!("token-{i}"),
                    "body": format!("<p style=\"color: red\">Call us, key sk_live_{i:0>24}</p>"),
                }),
            })
            .collect()
    };
    let legacy = |rows: Vec<serde_json::Value>| {
        let text = serde_json::json!({ "raw": rows }).to_string();
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text", "text": text}]}})
            .to_string()
    };
    let error = r#"[{"error":"You don't have permission to access this.","code":"FORBIDDEN"}]"#;
    vec![
        legacy(rows(false)),
        legacy(rows(true)),
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": {"isError": true, "content": [{"type": "text", "text": error}]}})
            .to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Caller;
    use crate::directory::Directory;
    use crate::filter::{filter_answer, AnswerContext};
    use crate::flows::FlowGraph;
    use crate::inspect::{inspect, Inspection, LoadedFacts, Request};
    use crate::message::ToolMode;
    use crate::prefilter::Prefilter;
    use crate::relations::{RelationIndex, SchemaFacts};
    use crate::response::outcome;
    use crate::settings::Settings;
    use serde::Deserialize;
    use serde_json::{Map, Value};

    /// The samples take the paths they are there for: allowed and refused decisions, a redacting walk.
    #[test]
    fn the_samples_take_the_paths_they_warm() {
        let facts: SchemaFacts = serde_json::from_str(SCHEMA).unwrap();
        let relations = RelationIndex::new(facts);
        let context: Value = serde_json::from_str(CONTEXT).unwrap();
        let caller = Caller::deserialize(&context["caller"]).unwrap();
        let settings = Settings::from_row(&Map::new(), &Directory::default());
        let decisions: Vec<(bool, &str)> = MESSAGES
            .iter()
            .map(|body| {
                let req = Request {
                    body: body.as_bytes(),
                    tool_mode: ToolMode::Legacy,
                    caller: &caller,
                    settings: &settings,
                    accepts_json: true,
                    local_time: None,
                    flows: Some(&FlowGraph::default()),
                };
                match inspect(&req, &relations, &LoadedFacts::default()) {
                    Inspection::Judged(j) => (j.allowed, j.rule),
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        assert_eq!(decisions.iter().map(|d| d.0).collect::<Vec<_>>(), [true, true, false, true, true], "{decisions:?}");
        assert_eq!(decisions[2].1, "deletes.disabled");

        let protection = &settings.as_ref().unwrap().protection;
        let prefilter = Prefilter::new(protection);
        let ctx = AnswerContext { collection: Some(ANSWER_COLLECTION), relations: &relations };
        let answers = answers();
        let filtered: Vec<_> = answers
            .iter()
            .map(|a| filter_answer(a.as_bytes(), &ctx, protection, prefilter.as_ref()).unwrap())
            .collect();
        assert!(filtered[0].text.is_none() && filtered[0].findings.is_empty());
        let redacted = filtered[1].text.as_deref().unwrap_or_default();
        assert!(redacted.contains("[redacted:token]") && redacted.contains("[redacted:stripe_key]"), "{redacted}");
        assert_eq!(outcome(200, Some(answers[2].as_bytes())), "tool-error:FORBIDDEN");
    }
}

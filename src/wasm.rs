//! The only place that sees JS. Every export answers a tagged value, `{ok: …}` or `{error: {kind, message}}`,
//! never a thrown string. Message bodies cross as JSON text (one copy, no deep object conversion).

use crate::audit::{new_record_id, Caller};
use crate::flows::FlowGraph;
use crate::inspect::{inspect, judge_delete_event, Inspection, Request};
use crate::message::ToolMode;
use crate::relations::{RelationIndex, SchemaFacts};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use wasm_bindgen::prelude::*;

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Answer<T: Serialize> {
    Ok(T),
    Error { kind: &'static str, message: String },
}

fn to_js<T: Serialize>(answer: &Answer<T>) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    answer.serialize(&serializer).unwrap_or_else(|e| JsValue::from_str(&format!("serialization failed: {e}")))
}

fn error(kind: &'static str, message: impl ToString) -> JsValue {
    to_js::<()>(&Answer::Error { kind, message: message.to_string() })
}

#[derive(Deserialize)]
struct InspectContext {
    tool_mode: ToolMode,
    caller: Caller,
    settings: Map<String, Value>,
    accepts_json: bool,
}

/// The guard of one extension load: holds the relation index of the current schema.
#[wasm_bindgen]
pub struct Guard {
    relations: RelationIndex,
}

#[wasm_bindgen]
impl Guard {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Guard {
        Guard { relations: RelationIndex::default() }
    }

    /// Replaces the schema facts (`{primary_keys, relations, singletons}` as JSON text).
    #[wasm_bindgen(js_name = setSchema)]
    pub fn set_schema(&mut self, facts_json: &str) -> JsValue {
        match serde_json::from_str::<SchemaFacts>(facts_json) {
            Ok(facts) => {
                self.relations = RelationIndex::new(facts);
                to_js(&Answer::Ok(true))
            }
            Err(e) => error("schema", e),
        }
    }

    /// Judges one message. `context` is `{tool_mode, caller, settings}`; `flows_json` is the flow graph, given
    /// only after an answer of `{ok: {needs: "flows"}}`.
    pub fn inspect(&self, body_json: &str, context: JsValue, flows_json: Option<String>) -> JsValue {
        let ctx: InspectContext = match serde_wasm_bindgen::from_value(context) {
            Ok(c) => c,
            Err(e) => return error("context", e),
        };
        let flows = match flows_json.as_deref().map(serde_json::from_str::<FlowGraph>) {
            None => None,
            Some(Ok(graph)) => Some(graph),
            Some(Err(e)) => return error("flows", e),
        };
        let record_id = match new_record_id() {
            Ok(id) => id,
            Err(e) => return error("random", e),
        };
        let request = Request {
            body: body_json,
            tool_mode: ctx.tool_mode,
            caller: &ctx.caller,
            settings: &ctx.settings,
            accepts_json: ctx.accepts_json,
            record_id,
        };
        match inspect(&request, &self.relations, flows.as_ref()) {
            Inspection::Judged(judgement) => to_js(&Answer::Ok(judgement)),
            Inspection::NeedsFlows => to_js(&Answer::Ok(json!({ "needs": "flows" }))),
        }
    }

    /// The second layer: may this delete, seen by a filter hook inside an MCP request, go ahead?
    #[wasm_bindgen(js_name = judgeDeleteEvent)]
    pub fn judge_delete_event(&self, collection: &str, key_count: Option<u32>, settings: JsValue) -> JsValue {
        let settings: Map<String, Value> = match serde_wasm_bindgen::from_value(settings) {
            Ok(s) => s,
            Err(e) => return error("settings", e),
        };
        let verdict = judge_delete_event(collection, key_count.map(u64::from), &settings);
        to_js(&Answer::Ok(json!({
            "allowed": !verdict.is_denied(),
            "rule": verdict.rule.id(),
            "reason": verdict.reason,
            "remedy": verdict.remedy(),
        })))
    }
}

impl Default for Guard {
    fn default() -> Self {
        Guard::new()
    }
}

/// Sums up the answer Directus gave, for the audit log.
#[wasm_bindgen]
pub fn outcome(status: u16, body: Option<String>) -> String {
    crate::response::outcome(status, body.as_deref())
}

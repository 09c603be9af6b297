//! Flows and their operations, as data. Flow operations run with events off, so no hook sees what they do:
//! a flow has to be judged before it runs, from its operations.

use crate::effects::{Effect, EffectKind, KeyScope};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Deserialize)]
pub struct FlowFact {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OperationFact {
    pub id: String,
    pub flow: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub options: Value,
}

/// Every flow and operation of the instance, read by the JS side just before a call that needs them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FlowGraph {
    #[serde(default)]
    pub flows: Vec<FlowFact>,
    #[serde(default)]
    pub operations: Vec<OperationFact>,
}

impl FlowGraph {
    pub fn operation(&self, id: &str) -> Option<&OperationFact> {
        self.operations.iter().find(|op| op.id == id)
    }

    /// The flow's name, for allowlists that name flows rather than give their ids.
    pub fn name(&self, flow_id: &str) -> Option<&str> {
        self.flows.iter().find(|f| f.id == flow_id).and_then(|f| f.name.as_deref())
    }

    /// Everything running `flow_id` may do: each operation of the flow (reachable or not, since links can be
    /// changed later), following `trigger` operations into the flows they start.
    pub fn run_effects(&self, flow_id: &str) -> Vec<Effect> {
        let mut effects = Vec::new();
        let mut seen = BTreeSet::new();
        self.collect_run(flow_id, &mut seen, &mut effects);
        effects
    }

    fn collect_run(&self, flow_id: &str, seen: &mut BTreeSet<String>, effects: &mut Vec<Effect>) {
        if !seen.insert(flow_id.to_string()) {
            return;
        }
        if !self.flows.iter().any(|f| f.id == flow_id) {
            effects.push(Effect::unknown(format!("flow {flow_id} does not exist, so what it does cannot be known")));
            return;
        }
        let by_flow: Vec<&OperationFact> =
            self.operations.iter().filter(|op| op.flow.as_deref() == Some(flow_id)).collect();
        for op in by_flow {
            let via = format!("flow {flow_id} → operation {} ({})", op.id, op.kind);
            match operation_effect(&op.kind, &op.options, &via, Some(flow_id)) {
                OperationEffect::Effect(e) => effects.push(e),
                OperationEffect::None => {}
                OperationEffect::StartsFlow(Some(next)) => self.collect_run(&next, seen, effects),
                OperationEffect::StartsFlow(None) => effects.push(Effect::unknown(format!(
                    "{via}: starts a flow that is not named literally, so what it does cannot be known"
                ))),
            }
        }
    }
}

/// What one operation does when its flow runs.
pub enum OperationEffect {
    Effect(Effect),
    None,
    /// A `trigger` operation: runs the named flow (`None`: the name is computed at run time).
    StartsFlow(Option<String>),
}

/// Operation types that neither write nor reach outside Directus.
const INERT_OPERATIONS: &[&str] =
    &["condition", "json-web-token", "log", "mail", "notification", "sleep", "throw-error", "transform"];

/// `flow` is the flow the operation belongs to, when known (a flow being created may have no id yet).
pub fn operation_effect(kind: &str, options: &Value, via: &str, flow: Option<&str>) -> OperationEffect {
    let collection = options.get("collection").and_then(Value::as_str).unwrap_or("*").to_string();
    let keys = match options.get("key") {
        Some(Value::Array(a)) => KeyScope::Keys(a.len() as u64),
        Some(Value::String(_) | Value::Number(_)) => KeyScope::Keys(1),
        _ => KeyScope::Query,
    };
    let effect = |kind: EffectKind, keys: KeyScope| OperationEffect::Effect(Effect::new(kind, &collection, keys, via));
    match kind {
        "item-delete" => effect(EffectKind::Delete, keys),
        "item-update" => effect(EffectKind::Update, keys),
        "item-create" => effect(EffectKind::Create, KeyScope::Unknown),
        "item-read" => effect(EffectKind::Read, keys),
        "exec" => OperationEffect::Effect(
            Effect::new(EffectKind::Script, "*", KeyScope::Unknown, format!("{via}: runs a script"))
                .with_target(flow.map(str::to_string)),
        ),
        "request" => OperationEffect::Effect(
            Effect::new(EffectKind::HttpRequest, "*", KeyScope::Unknown, format!("{via}: sends an HTTP request"))
                .with_target(options.get("url").and_then(Value::as_str).map(str::to_string)),
        ),
        "trigger" => OperationEffect::StartsFlow(
            options.get("flow").and_then(Value::as_str).filter(|f| !f.contains("{{")).map(str::to_string),
        ),
        k if INERT_OPERATIONS.contains(&k) => OperationEffect::None,
        other => OperationEffect::Effect(Effect::unknown(format!(
            "{via}: operation type \"{other}\" is not known to the guard"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn graph() -> FlowGraph {
        serde_json::from_value(json!({
            "flows": [{"id": "f1"}, {"id": "f2"}, {"id": "loop"}],
            "operations": [
                {"id": "o1", "flow": "f1", "type": "log", "options": {}},
                {"id": "o2", "flow": "f1", "type": "trigger", "options": {"flow": "f2"}},
                {"id": "o3", "flow": "f2", "type": "item-delete", "options": {"collection": "articles", "key": [1, 2]}},
                {"id": "o4", "flow": "loop", "type": "trigger", "options": {"flow": "loop"}}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn follows_trigger_operations_into_sub_flows() {
        let effects = graph().run_effects("f1");
        assert_eq!(effects.len(), 1);
        assert_eq!(effects[0].kind, EffectKind::Delete);
        assert_eq!(effects[0].collection, "articles");
        assert_eq!(effects[0].keys, KeyScope::Keys(2));
    }

    #[test]
    fn survives_cycles_and_unknown_flows() {
        assert!(graph().run_effects("loop").is_empty());
        let missing = graph().run_effects("nope");
        assert_eq!(missing[0].kind, EffectKind::Unknown);
    }

    #[test]
    fn scripts_and_requests_name_their_flow_and_url_and_custom_operations_are_unknown() {
        let effect = |kind: &str, options: Value| match operation_effect(kind, &options, "t", Some("f1")) {
            OperationEffect::Effect(e) => e,
            _ => panic!("{kind} should have an effect"),
        };
        let script = effect("exec", json!({"code": "module.exports = () => 1"}));
        assert_eq!((script.kind, script.target.as_deref()), (EffectKind::Script, Some("f1")));
        let request = effect("request", json!({"url": "https://evil.example/x", "method": "POST"}));
        assert_eq!(
            (request.kind, request.target.as_deref()),
            (EffectKind::HttpRequest, Some("https://evil.example/x"))
        );
        assert_eq!(effect("my-extension-op", json!({})).kind, EffectKind::Unknown);
        assert!(matches!(
            operation_effect("trigger", &json!({"flow": "{{$last.id}}"}), "t", None),
            OperationEffect::StartsFlow(None)
        ));
    }
}

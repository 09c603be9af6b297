//! Flows and their operations, as data. Flow operations run with events off unless their "Emit Events"
//! option is on, so no hook sees most of what they do: a flow has to be judged before it runs, from its
//! operations, with their options rendered as Directus renders them ([`crate::template`]).
//!
//! Event-triggered flows are effects of the writes (and reads) that set them off: their chains are read as
//! manual ones are, with a `$trigger` that is not known.

use crate::effects::{payload_effects, Effect, EffectKind, KeyScope};
use crate::query_paths::query_reach;
use crate::relations::RelationIndex;
use crate::template::{render, Hole, Trigger};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Deserialize)]
pub struct FlowFact {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// `active` or `inactive`; Directus registers only active flows' triggers.
    #[serde(default)]
    pub status: Option<String>,
    /// `manual`, `event`, `webhook`, `schedule` or `operation`.
    #[serde(default)]
    pub trigger: Option<String>,
    /// The trigger's options; for event flows `{type, scope, collections}`.
    #[serde(default)]
    pub options: Value,
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

/// Every flow and operation of the instance, read by the JS side for a call that needs them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FlowGraph {
    #[serde(default)]
    pub flows: Vec<FlowFact>,
    #[serde(default)]
    pub operations: Vec<OperationFact>,
}

/// What running flows does, and which of those effects go through Directus's events.
#[derive(Default)]
struct Run {
    effects: Vec<Effect>,
    /// Effects whose events fire (an operation with "Emit Events" on, or one that cannot be known).
    emitting: Vec<Effect>,
    flows_run: BTreeSet<String>,
    event_flows_run: BTreeSet<String>,
}

impl FlowGraph {
    pub fn operation(&self, id: &str) -> Option<&OperationFact> {
        self.operations.iter().find(|op| op.id == id)
    }

    /// The flow's name, for allowlists that name flows rather than give their ids.
    pub fn name(&self, flow_id: &str) -> Option<&str> {
        self.flows.iter().find(|f| f.id == flow_id).and_then(|f| f.name.as_deref())
    }

    /// Everything running `flow_id` with this `$trigger` may do: each operation of the flow (reachable or
    /// not, since links can be changed later), following `trigger` operations into the flows they start and
    /// the event flows that operations with "Emit Events" on set off.
    pub fn run_effects(&self, flow_id: &str, trigger: &Trigger, relations: &RelationIndex) -> Vec<Effect> {
        let mut run = Run::default();
        self.collect_run(flow_id, trigger, relations, &mut run);
        self.follow_events(relations, &mut run);
        run.effects
    }

    /// What the event flows that `effects` set off do, followed through their chains and the events those
    /// set off in turn.
    pub fn event_effects(&self, effects: &[Effect], relations: &RelationIndex) -> Vec<Effect> {
        // Most instances have no event flows: every read and write asks, so the answer is quick then.
        if !self.flows.iter().any(|f| f.trigger.as_deref() == Some("event") && f.status.as_deref() == Some("active")) {
            return Vec::new();
        }
        let mut run = Run { emitting: effects.to_vec(), ..Run::default() };
        self.follow_events(relations, &mut run);
        run.effects
    }

    /// The effects of one operation written by a call (flows and operations tools), with its flow's
    /// `$trigger` unknown.
    pub fn operation_effects(
        &self,
        kind: &str,
        options: &Value,
        via: &str,
        flow: Option<&str>,
        relations: &RelationIndex,
    ) -> Vec<Effect> {
        let mut run = Run::default();
        let unknown = Trigger::Unknown("the flow's $trigger is only known when it runs".into());
        self.collect_operation(kind, options, via, flow, &unknown, relations, &mut run);
        self.follow_events(relations, &mut run);
        run.effects
    }

    fn collect_run(&self, flow_id: &str, trigger: &Trigger, relations: &RelationIndex, run: &mut Run) {
        if !run.flows_run.insert(flow_id.to_string()) {
            return;
        }
        if !self.flows.iter().any(|f| f.id == flow_id) {
            run.effects
                .push(Effect::unknown(format!("flow {flow_id} does not exist, so what it does cannot be known")));
            return;
        }
        for op in self.operations.iter().filter(|op| op.flow.as_deref() == Some(flow_id)) {
            let via = format!("flow {flow_id} → operation {} ({})", op.id, op.kind);
            self.collect_operation(&op.kind, &op.options, &via, Some(flow_id), trigger, relations, run);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn collect_operation(
        &self,
        kind: &str,
        options: &Value,
        via: &str,
        flow: Option<&str>,
        trigger: &Trigger,
        relations: &RelationIndex,
        run: &mut Run,
    ) {
        for step in operation_effects(kind, options, via, flow, trigger, relations) {
            match step {
                Step::Effect { mut effect, emits_events } => {
                    if emits_events {
                        run.emitting.push(effect.clone());
                    } else {
                        effect.unseen_by_hooks = true;
                    }
                    run.effects.push(effect);
                }
                // A flow started by a `trigger` step gets the step's payload as `$trigger`.
                Step::StartsFlow(next, child) => self.collect_run(&next, &child, relations, run),
            }
        }
    }

    /// Runs the active event flows that the emitting effects set off, until no new one is set off.
    fn follow_events(&self, relations: &RelationIndex, run: &mut Run) {
        while let Some(effect) = run.emitting.pop() {
            let events = emitted_events(&effect);
            for flow in self.flows.iter().filter(|f| f.trigger.as_deref() == Some("event")) {
                if flow.status.as_deref() != Some("active") || run.event_flows_run.contains(&flow.id) {
                    continue;
                }
                let hears = match &events {
                    None => true,
                    Some(events) => registered_events(flow).iter().any(|e| events.contains(e)),
                };
                if hears {
                    run.event_flows_run.insert(flow.id.clone());
                    // A filter flow's answer replaces what it filters (the payload, the keys to delete, the
                    // query) unless it gives back the payload it was handed.
                    let replaces = flow.options.get("type").and_then(Value::as_str) == Some("filter")
                        && flow
                            .options
                            .get("return")
                            .and_then(Value::as_str)
                            .is_some_and(|r| !r.is_empty() && r != "$trigger.payload");
                    if replaces && !matches!(effect.kind, EffectKind::Email) {
                        run.effects.push(Effect::unknown(format!(
                            "flow {} filters {} and answers with what it computes ({}) in its place, which the guard does not know",
                            flow.id,
                            effect.via,
                            flow.options.get("return").and_then(Value::as_str).unwrap_or_default()
                        )));
                    }
                    let trigger = Trigger::Unknown(format!(
                        "flow {} runs on an event ({}), whose data the guard does not know",
                        flow.id, effect.via
                    ));
                    // An event flow may also be reached by a trigger step: it runs again here, on the event.
                    run.flows_run.remove(&flow.id);
                    self.collect_run(&flow.id, &trigger, relations, run);
                }
            }
        }
    }
}

/// The events Directus's flow manager registers for an event flow (`flows.js`, `load`): `items.create`,
/// `items.update` and `items.delete` per listed collection (`<collection>.items.<action>`, or
/// `<name>.<action>` for `directus_<name>`), any other scope as it is.
fn registered_events(flow: &FlowFact) -> Vec<String> {
    let options = &flow.options;
    if !matches!(options.get("type").and_then(Value::as_str), Some("filter" | "action")) {
        return Vec::new();
    }
    let scopes = to_array(options.get("scope"));
    let collections = to_array(options.get("collections"));
    let mut events = Vec::new();
    for scope in scopes {
        if ["items.create", "items.update", "items.delete"].contains(&scope.as_str()) {
            let action = &scope["items.".len()..];
            for c in &collections {
                events.push(match c.strip_prefix("directus_") {
                    Some(system) => format!("{system}.{action}"),
                    None => format!("{c}.{scope}"),
                });
            }
        } else {
            events.push(scope);
        }
    }
    events
}

/// `toArray` on text options: text is split at commas, a list is taken as it is.
fn to_array(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => s.split(',').map(str::to_string).collect(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

/// The events Directus emits for an effect (`ItemsService`: `items.<action>` and `<collection>.items.<action>`,
/// or `<name>.<action>` for a system collection's service; reads emit `query` filters and `read` actions).
/// `None`: the effect cannot be tied to events, so any event flow may hear it.
fn emitted_events(effect: &Effect) -> Option<Vec<String>> {
    let actions: &[&str] = match effect.kind {
        EffectKind::Read => &["query", "read"],
        EffectKind::Create => &["create"],
        EffectKind::Update => &["update"],
        EffectKind::Delete => &["delete"],
        // MailService runs the `email.send` filter for every mail.
        EffectKind::Email => return Some(vec!["email.send".to_string()]),
        EffectKind::FlowRun | EffectKind::HttpRequest | EffectKind::Script => return Some(vec![]),
        EffectKind::SchemaChange | EffectKind::AuditOff | EffectKind::Unknown => return None,
    };
    if effect.collection == crate::effects::ANY_COLLECTION {
        return None;
    }
    let c = &effect.collection;
    let mut events: Vec<String> = actions
        .iter()
        .flat_map(|a| match c.strip_prefix("directus_") {
            Some(system) => vec![format!("{system}.{a}")],
            None => vec![format!("items.{a}"), format!("{c}.items.{a}")],
        })
        .collect();
    // FilesService also announces each stored file.
    if c == "directus_files" && effect.kind == EffectKind::Create {
        events.push("files.upload".to_string());
    }
    Some(events)
}

/// One thing an operation does when its flow runs.
pub enum Step {
    Effect {
        effect: Effect,
        /// Whether Directus emits events for it: item operations only with "Emit Events" on.
        emits_events: bool,
    },
    /// A `trigger` operation runs this flow, with this `$trigger`.
    StartsFlow(String, Trigger),
}

/// Operation types that neither write nor reach outside Directus.
const INERT_OPERATIONS: &[&str] =
    &["condition", "json-web-token", "log", "notification", "sleep", "throw-error", "transform"];

/// What one operation does, its options rendered with `trigger` as `$trigger`. `flow` is the flow the
/// operation belongs to, when known (a flow being created may have no id yet).
pub fn operation_effects(
    kind: &str,
    options: &Value,
    via: &str,
    flow: Option<&str>,
    trigger: &Trigger,
    relations: &RelationIndex,
) -> Vec<Step> {
    let option = |name: &str| render(options.get(name).unwrap_or(&Value::Null), trigger);
    let unknown = |what: String| Step::Effect { effect: Effect::unknown(format!("{via}: {what}")), emits_events: true };
    match kind {
        "item-create" | "item-read" | "item-update" | "item-delete" => {
            item_operation(kind, options, via, trigger, relations)
        }
        "exec" => vec![Step::Effect {
            effect: Effect::new(EffectKind::Script, "*", KeyScope::Unknown, format!("{via}: runs a script"))
                .with_target(flow.map(str::to_string)),
            emits_events: false,
        }],
        "request" => {
            let url = option("url");
            let (target, why) = match url.text() {
                Ok(u) => (u.map(str::to_string), String::new()),
                Err(what) => (None, format!(", whose URL is not known ({what})")),
            };
            vec![Step::Effect {
                effect: Effect::new(
                    EffectKind::HttpRequest,
                    "*",
                    KeyScope::Unknown,
                    format!("{via}: sends an HTTP request{why}"),
                )
                .with_target(target),
                emits_events: false,
            }]
        }
        "mail" => {
            let mut steps = Vec::new();
            for field in ["to", "cc", "bcc"] {
                let rendered = option(field);
                let recipients = match (&rendered.holes.first(), &rendered.value) {
                    (Some(hole), _) => Err(hole.what.clone()),
                    (None, Value::Null) => Ok(vec![]),
                    (None, Value::String(s)) if !rendered.order_sensitive => Ok(vec![s.clone()]),
                    (None, Value::Array(items)) if !rendered.order_sensitive => items
                        .iter()
                        .map(|i| i.as_str().map(str::to_string).ok_or_else(|| "a recipient is not a text".to_string()))
                        .collect(),
                    (None, other) => Err(format!("the recipients render to {}", crate::settings::describe(other))),
                };
                match recipients {
                    Ok(list) => steps.extend(list.into_iter().map(|to| {
                        Step::Effect {
                            effect: Effect::new(
                                EffectKind::Email,
                                "*",
                                KeyScope::Unknown,
                                format!("{via}: sends an email ({field})"),
                            )
                            .with_target(Some(to)),
                            emits_events: true,
                        }
                    })),
                    Err(what) => steps.push(Step::Effect {
                        effect: Effect::new(
                            EffectKind::Email,
                            "*",
                            KeyScope::Unknown,
                            format!("{via}: sends an email to recipients ({field}) that are not known: {what}"),
                        ),
                        emits_events: true,
                    }),
                }
            }
            steps
        }
        "trigger" => match option("flow").text() {
            Ok(Some(next)) => vec![Step::StartsFlow(next.to_string(), Trigger::from_payload(&option("payload")))],
            Ok(None) => vec![],
            Err(what) => vec![unknown(format!("starts a flow that is not known ({what})"))],
        },
        k if INERT_OPERATIONS.contains(&k) => vec![],
        other => vec![unknown(format!("operation type \"{other}\" is not known to the guard"))],
    }
}

/// `item-create`, `item-read`, `item-update` and `item-delete` (`@directus/api/dist/operations/item-*`).
fn item_operation(kind: &str, options: &Value, via: &str, trigger: &Trigger, relations: &RelationIndex) -> Vec<Step> {
    let option = |name: &str| render(options.get(name).unwrap_or(&Value::Null), trigger);
    // `!!emitEvents`; an unknown value may be true.
    let emitting = option("emitEvents");
    let emits_events = !emitting.holes.is_empty() || js_truthy(&emitting.value);
    let step = |effect: Effect| Step::Effect { effect, emits_events };
    let collection = match option("collection").text() {
        Ok(Some(c)) => c.to_string(),
        Ok(None) => return vec![step(Effect::unknown(format!("{via}: names no collection")))],
        Err(what) => return vec![step(Effect::unknown(format!("{via}: the collection is not known ({what})")))],
    };
    let key = option("key");
    let query = option("query");
    let query_given =
        !query.holes.is_empty() || js_truthy(&query.value) && query.value != Value::Object(Default::default());
    let keys = key_scope(kind, &key);
    let scope = match keys {
        // Without keys, the operation works on what the query matches.
        None => KeyScope::Query,
        Some(k) => k,
    };
    // The query's relational paths (fields, filters, deep, …) read further collections.
    let mut reads = Vec::new();
    let parsed = if query_given { query.object() } else { Ok((Value::Null, Vec::new())) };
    match parsed {
        Err(what) => reads.push(step(Effect::unknown(format!("{via}: the query is not known ({what})")))),
        Ok((Value::Object(q), holes)) => {
            let reach = query_reach(relations, &collection, &q);
            if let Some(why) = reach.unreadable.first() {
                reads.push(step(Effect::unknown(format!(
                    "{via}: the query cannot be read as Directus reads it ({why})"
                ))));
            }
            if let Some(hole) = holes.iter().find(|h| !is_filter_value(&h.path)) {
                reads.push(step(Effect::unknown(format!(
                    "{via}: the query's {} is not known ({})",
                    hole.path.join("."),
                    hole.what
                ))));
            }
            reads.extend(reach.reached.into_iter().map(|r| {
                step(Effect::new(EffectKind::Read, &r.collection, KeyScope::Query, format!("{via} {}", r.via)))
            }));
        }
        Ok(_) => {}
    }
    let mut steps =
        item_steps(kind, &collection, scope, keys.is_none() && !query_given, via, options, trigger, relations, &step);
    steps.extend(reads);
    steps
}

/// Whether a query hole is a value compared in a filter (`filter.title._eq`, `filter.id._in[0]`), which
/// names no field and so reaches no further collection.
fn is_filter_value(path: &[String]) -> bool {
    if !matches!(path.first().map(String::as_str), Some("filter" | "search")) {
        return false;
    }
    if path.len() == 1 {
        return path[0] == "search";
    }
    let Some(op) = path.iter().rposition(|p| p.starts_with('_')) else { return false };
    !matches!(path[op].as_str(), "_and" | "_or" | "_some" | "_none")
        && path[op + 1..].iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

#[allow(clippy::too_many_arguments)]
fn item_steps(
    kind: &str,
    collection: &str,
    scope: KeyScope,
    does_nothing: bool,
    via: &str,
    options: &Value,
    trigger: &Trigger,
    relations: &RelationIndex,
    step: &dyn Fn(Effect) -> Step,
) -> Vec<Step> {
    let option = |name: &str| render(options.get(name).unwrap_or(&Value::Null), trigger);
    let collection = collection.to_string();
    match kind {
        "item-read" => vec![step(Effect::new(EffectKind::Read, &collection, scope, via))],
        "item-delete" => {
            // Neither keys nor a query: the operation returns without deleting.
            if does_nothing {
                return vec![];
            }
            vec![step(Effect::new(EffectKind::Delete, &collection, scope, via))]
        }
        _ => {
            // A singleton is upserted, so even a create changes the existing row; an update changes each row
            // its keys or query name.
            let (effect_kind, parents) = if kind == "item-create" {
                (EffectKind::Create, relations.is_singleton(&collection).then_some(KeyScope::Keys(1)))
            } else {
                (EffectKind::Update, Some(scope))
            };
            let mut steps = Vec::new();
            match option("payload").object() {
                Err(what) => {
                    let main_scope = if kind == "item-create" { KeyScope::Unknown } else { scope };
                    steps.push(step(Effect::new(effect_kind, &collection, main_scope, via)));
                    steps.push(step(Effect::unknown(format!("{via}: the payload is not known ({what})"))));
                }
                Ok((payload, holes)) => {
                    let rows: Vec<&Value> = match &payload {
                        Value::Array(rows) => rows.iter().collect(),
                        row => vec![row],
                    };
                    // A create makes one row per element of the payload (`toArray`).
                    let main_scope = if kind == "item-create" { KeyScope::Keys(rows.len() as u64) } else { scope };
                    steps.push(step(Effect::new(effect_kind, &collection, main_scope, via)));
                    for hole in &holes {
                        if let Some(what) = relational_hole(relations, &collection, &payload, hole) {
                            steps.push(step(Effect::unknown(format!("{via}: {what}"))));
                        }
                    }
                    for (i, row) in rows.iter().enumerate() {
                        let path =
                            if payload.is_array() { format!("{via} payload[{i}]") } else { format!("{via} payload") };
                        steps
                            .extend(payload_effects(relations, &collection, row, parents, &path).into_iter().map(step));
                    }
                }
            }
            steps
        }
    }
}

/// A hole in a payload matters when it lies in a relational field (or is the whole row): there it may
/// create, change or delete rows anywhere below.
fn relational_hole(relations: &RelationIndex, collection: &str, payload: &Value, hole: &Hole) -> Option<String> {
    let mut path = hole.path.iter();
    if payload.is_array() {
        path.next();
    }
    match path.next() {
        None => Some(format!("a payload row is not known ({})", hole.what)),
        Some(field) if relations.field(collection, field).is_some() => {
            Some(format!("the relational field {field} of the payload is not known ({})", hole.what))
        }
        Some(_) => None,
    }
}

/// The keys an item operation names: `None` when it names none and works by query. `toArray` splits text at
/// commas. (item-delete reads a key of null or "" as none; the others any falsy key.)
fn key_scope(kind: &str, key: &crate::template::Rendering) -> Option<KeyScope> {
    if !key.holes.is_empty() || key.order_sensitive {
        return Some(KeyScope::Unknown);
    }
    let none = if kind == "item-delete" {
        matches!(&key.value, Value::Null) || key.value == Value::String(String::new())
    } else {
        !js_truthy(&key.value)
    };
    match &key.value {
        _ if none => None,
        Value::Array(items) if items.is_empty() => None,
        Value::Array(items) => Some(KeyScope::Keys(items.len() as u64)),
        Value::String(s) => Some(KeyScope::Keys(s.split(',').count() as u64)),
        _ => Some(KeyScope::Keys(1)),
    }
}

/// JavaScript's truthiness of a JSON value.
fn js_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

#[cfg(test)]
#[path = "flows_tests.rs"]
mod tests;

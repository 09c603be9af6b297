//! Normalisation: one MCP tool call → every effect it may have on data, schema and flows.
//!
//! It follows Directus 12.4's tool definitions (`@directus/api/dist/ai/tools`): both tool modes, the
//! `coerceJsonFields` step, nested relational payloads at any depth, and flow operation chains.

use crate::flows::FlowGraph;
use crate::js_number::to_number;
use crate::message::{json_kind, ToolMode};
use crate::query_paths::{query_reach, ReadLimit};
use crate::relations::{DeselectAction, FieldRelation, RelationIndex};
use crate::template::Trigger;
use serde::Serialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EffectKind {
    Read,
    Create,
    Update,
    Delete,
    SchemaChange,
    FlowRun,
    /// Data may leave Directus: a URL fetched by files import or an HTTP request step (`target`: the URL).
    HttpRequest,
    /// A flow step runs a script (`target`: the flow, when it is known).
    Script,
    /// A flow step sends an email (`target`: the recipient as written, `None` when it is not known).
    Email,
    /// A collection's activity tracking is switched off (`meta.accountability: null`).
    AuditOff,
    /// Something the guard cannot see into, such as an operation type it does not know.
    Unknown,
}

/// Which rows an effect reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyScope {
    /// Exactly this many primary keys.
    Keys(u64),
    /// Whatever a query or filter matches.
    Query,
    /// Not known before the call runs (e.g. rows left out of a replace array).
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effect {
    pub kind: EffectKind,
    /// The collection reached, or `*` when it cannot be named.
    pub collection: String,
    pub keys: KeyScope,
    /// Where in the call the effect comes from, for people reading a denial or the audit log.
    pub via: String,
    /// The URL, flow or other thing the effect is about, when the collection does not say it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Directus does this without emitting events (a flow step with Emit Events off), so the in-Directus
    /// layer never sees it: whatever cannot be counted now cannot be counted later either.
    #[serde(skip)]
    pub unseen_by_hooks: bool,
}

/// The collection of an effect whose collection cannot be known: it may be any collection.
pub const ANY_COLLECTION: &str = "*";

impl Effect {
    pub fn unknown(via: String) -> Effect {
        Effect {
            kind: EffectKind::Unknown,
            collection: ANY_COLLECTION.into(),
            keys: KeyScope::Unknown,
            via,
            target: None,
            unseen_by_hooks: false,
        }
    }

    /// Whether the effect may reach any collection at all: it works on collections, and which one cannot
    /// be known. HTTP requests, scripts and flow runs name no collection; what they do is judged by kind.
    pub fn reaches_any_collection(&self) -> bool {
        self.collection == ANY_COLLECTION
            && !matches!(
                self.kind,
                EffectKind::HttpRequest | EffectKind::Script | EffectKind::FlowRun | EffectKind::Email
            )
    }

    pub fn new(kind: EffectKind, collection: &str, keys: KeyScope, via: impl Into<String>) -> Effect {
        Effect { kind, collection: collection.to_string(), keys, via: via.into(), target: None, unseen_by_hooks: false }
    }

    pub fn with_target(mut self, target: Option<String>) -> Effect {
        self.target = target;
        self
    }
}

/// The normalised form of one tool call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classified {
    /// The tool named in `tools/call` (`execute` in registry mode).
    pub tool: String,
    /// The tool run inside registry `execute`.
    pub inner_tool: Option<String>,
    pub action: Option<String>,
    pub effects: Vec<Effect>,
    /// Rows carried by an array `data` (creates, batch updates, imports).
    pub batch: Option<u64>,
    /// The most rows a read may return.
    pub read_limit: Option<ReadLimit>,
}

impl Classified {
    pub fn new(tool: &str, inner_tool: Option<String>, found: ToolEffects) -> Classified {
        Classified {
            tool: tool.to_string(),
            inner_tool,
            action: found.action,
            effects: found.effects,
            batch: found.batch,
            read_limit: found.read_limit,
        }
    }

    /// The tool that actually runs: the inner tool of registry `execute`, else the named one.
    pub fn effective_tool(&self) -> &str {
        self.inner_tool.as_deref().unwrap_or(&self.tool)
    }

    /// Every collection the call reaches, sorted, without `*`.
    pub fn collections(&self) -> Vec<&str> {
        let mut names: Vec<&str> =
            self.effects.iter().map(|e| e.collection.as_str()).filter(|c| *c != ANY_COLLECTION).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Number of keys the call's main effect names, when it names them.
    pub fn key_count(&self) -> Option<u64> {
        match self.effects.first().map(|e| e.keys) {
            Some(KeyScope::Keys(n)) => Some(n),
            _ => None,
        }
    }

    /// Anything but reads: the audit row of such a call is written before it runs.
    pub fn is_mutating(&self) -> bool {
        self.effects.iter().any(|e| e.kind != EffectKind::Read)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClassifyError {
    #[error("\"{name}\" is not a Directus MCP tool in {mode} mode")]
    UnknownTool { name: String, mode: &'static str },
    #[error("\"arguments\" must be an object, got {0}")]
    ArgumentsNotObject(&'static str),
    #[error("{tool}: {reason}")]
    InvalidArgument { tool: String, reason: String },
    /// The call starts or changes flows: the caller must hand over the flow graph and ask again.
    #[error("the flow graph is needed to judge this call")]
    NeedsFlows,
}

/// Nesting deeper than this is refused rather than followed: no real payload needs it.
const MAX_DEPTH: usize = 64;

pub const LEGACY_TOOLS: &[&str] = &[
    "system-prompt",
    "items",
    "files",
    "folders",
    "assets",
    "flows",
    "trigger-flow",
    "operations",
    "schema",
    "collections",
    "fields",
    "relations",
];

/// Everything the classifier needs besides the call.
pub struct Context<'a> {
    pub relations: &'a RelationIndex,
    /// `None` until the caller has loaded it; asked for with [`ClassifyError::NeedsFlows`].
    pub flows: Option<&'a FlowGraph>,
}

pub fn classify(
    name: &str,
    arguments: Option<&Value>,
    mode: ToolMode,
    ctx: &Context,
) -> Result<Classified, ClassifyError> {
    match mode {
        ToolMode::Legacy => Ok(Classified::new(name, None, classify_tool(name, arguments, ctx)?)),
        ToolMode::Registry => match name {
            "search" => Ok(Classified::new(name, None, ToolEffects::default())),
            "schema" => Ok(Classified::new(name, None, classify_tool(name, arguments, ctx)?)),
            "execute" => {
                let args = object_arguments(arguments)?;
                let inner = match args.get("name") {
                    Some(Value::String(n)) => n.clone(),
                    _ => {
                        return Err(ClassifyError::InvalidArgument {
                            tool: "execute".into(),
                            reason: "\"name\" must be the name of a tool".into(),
                        })
                    }
                };
                let input = args.get("input").cloned().unwrap_or_else(|| Value::Object(Map::new()));
                if inner == "execute" || inner == "search" {
                    return Err(ClassifyError::UnknownTool { name: inner, mode: "registry execute" });
                }
                let found = classify_tool(&inner, Some(&input), ctx)?;
                Ok(Classified::new(name, Some(inner), found))
            }
            _ => Err(ClassifyError::UnknownTool { name: name.to_string(), mode: "registry" }),
        },
    }
}

/// What one tool call does, before it is named as a [`Classified`].
#[derive(Debug, Default)]
pub struct ToolEffects {
    pub action: Option<String>,
    pub effects: Vec<Effect>,
    pub batch: Option<u64>,
    pub read_limit: Option<ReadLimit>,
}

impl ToolEffects {
    fn of(action: Option<String>, effects: Vec<Effect>) -> ToolEffects {
        ToolEffects { action, effects, ..ToolEffects::default() }
    }
}

fn classify_tool(name: &str, arguments: Option<&Value>, ctx: &Context) -> Result<ToolEffects, ClassifyError> {
    let mut found = tool_effects(name, arguments, ctx)?;
    // The tool's reads and writes go through Directus's services, whose events set off event flows: what
    // those flows do is an effect of this call. (A triggered flow's own steps were followed when it was
    // read, by their "Emit Events" option; the schema and assets tools emit no item events.)
    let emits = !matches!(name, "trigger-flow" | "schema" | "assets")
        && found.effects.iter().any(|e| {
            matches!(
                e.kind,
                EffectKind::Read
                    | EffectKind::Create
                    | EffectKind::Update
                    | EffectKind::Delete
                    | EffectKind::SchemaChange
                    | EffectKind::AuditOff
                    | EffectKind::Unknown
            )
        });
    if emits {
        let graph = ctx.flows.ok_or(ClassifyError::NeedsFlows)?;
        let set_off = graph.event_effects(&found.effects, ctx.relations);
        found.effects.extend(set_off);
    }
    Ok(found)
}

fn tool_effects(name: &str, arguments: Option<&Value>, ctx: &Context) -> Result<ToolEffects, ClassifyError> {
    if !LEGACY_TOOLS.contains(&name) {
        return Err(ClassifyError::UnknownTool { name: name.to_string(), mode: "legacy" });
    }
    // Directus replaces system-prompt's arguments with its own, so whatever was sent does not matter.
    if name == "system-prompt" {
        return Ok(ToolEffects::default());
    }
    let args = coerce_json_fields(name, object_arguments(arguments)?)?;
    let call = ToolArgs { tool: name, args: &args };
    match name {
        "items" => items(&call, ctx),
        "files" => system_items(&call, ctx, "directus_files", &["read", "update", "delete", "import"]),
        "folders" => system_items(&call, ctx, "directus_folders", &["create", "read", "update", "delete"]),
        "flows" => flows(&call, ctx),
        "operations" => operations(&call, ctx),
        "trigger-flow" => trigger_flow(&call, ctx),
        "collections" => collections(&call),
        "fields" | "relations" => fields_or_relations(&call),
        "schema" => {
            let effects = match args.get("keys") {
                Some(Value::Array(keys)) => keys
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|c| Effect::new(EffectKind::Read, c, KeyScope::Query, "schema.keys"))
                    .collect(),
                // The overview lists the collections the caller may read, as names and fields, and no rows.
                _ => Vec::new(),
            };
            Ok(ToolEffects::of(None, effects))
        }
        "assets" => {
            let id = args.get("id").and_then(Value::as_str).map(str::to_string);
            let read = Effect::new(EffectKind::Read, "directus_files", KeyScope::Keys(1), "assets.id").with_target(id);
            Ok(ToolEffects::of(None, vec![read]))
        }
        _ => Err(ClassifyError::UnknownTool { name: name.to_string(), mode: "legacy" }),
    }
}

fn object_arguments(arguments: Option<&Value>) -> Result<&Map<String, Value>, ClassifyError> {
    match arguments {
        Some(Value::Object(o)) => Ok(o),
        Some(other) => Err(ClassifyError::ArgumentsNotObject(json_kind(other))),
        None => Err(ClassifyError::ArgumentsNotObject("nothing")),
    }
}

/// Directus's `coerceJsonFields`: models sometimes send these arguments as JSON text. Text the guard cannot
/// parse is refused: `JSON.parse` reads some text serde_json does not (numbers past a double's range, lone
/// surrogates, very deep nesting), and Directus would run a call whose arguments the guard never saw.
/// Text that is not JSON at all fails Directus's own validation of these fields, so nothing is lost.
pub fn coerce_json_fields<'a>(
    tool: &str,
    args: &'a Map<String, Value>,
) -> Result<Cow<'a, Map<String, Value>>, ClassifyError> {
    let mut coerced = Cow::Borrowed(args);
    for (field, shape) in [
        ("data", "an object or an array of objects"),
        ("keys", "an array"),
        ("query", "an object"),
        ("headers", "an object"),
    ] {
        if let Some(Value::String(text)) = args.get(field) {
            let parsed = serde_json::from_str::<Value>(text).map_err(|e| ClassifyError::InvalidArgument {
                tool: tool.to_string(),
                reason: format!("\"{field}\" must be {shape}; it is text the guard cannot read as JSON ({e})"),
            })?;
            coerced.to_mut().insert(field.to_string(), parsed);
        }
    }
    Ok(coerced)
}

struct ToolArgs<'a> {
    tool: &'a str,
    args: &'a Map<String, Value>,
}

impl ToolArgs<'_> {
    fn invalid(&self, reason: impl Into<String>) -> ClassifyError {
        ClassifyError::InvalidArgument { tool: self.tool.to_string(), reason: reason.into() }
    }

    fn action(&self, allowed: &[&str]) -> Result<String, ClassifyError> {
        match self.args.get("action") {
            Some(Value::String(a)) if allowed.contains(&a.as_str()) => Ok(a.clone()),
            Some(other) => Err(self.invalid(format!("\"action\" must be one of {}, got {other}", allowed.join(", ")))),
            None => Err(self.invalid(format!("\"action\" is required (one of {})", allowed.join(", ")))),
        }
    }

    fn string(&self, field: &str) -> Result<String, ClassifyError> {
        match self.args.get(field) {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(self.invalid(format!("\"{field}\" must be a string"))),
        }
    }

    /// `keys` as a scope: absent means "by query".
    fn keys(&self) -> Result<KeyScope, ClassifyError> {
        match self.args.get("keys") {
            None => Ok(KeyScope::Query),
            Some(Value::Array(k)) => Ok(KeyScope::Keys(k.len() as u64)),
            Some(other) => Err(self.invalid(format!("\"keys\" must be an array, got {}", json_kind(other)))),
        }
    }

    fn required_keys(&self) -> Result<KeyScope, ClassifyError> {
        match self.keys()? {
            KeyScope::Query => Err(self.invalid("\"keys\" is required")),
            scope => Ok(scope),
        }
    }

    /// `data` as a list of rows, and whether it was sent as a batch (array).
    fn data_rows(&self) -> Result<(Vec<&Value>, bool), ClassifyError> {
        match self.args.get("data") {
            Some(Value::Array(rows)) => {
                if let Some(bad) = rows.iter().find(|r| !r.is_object()) {
                    return Err(
                        self.invalid(format!("every row in \"data\" must be an object, got {}", json_kind(bad)))
                    );
                }
                Ok((rows.iter().collect(), true))
            }
            Some(row @ Value::Object(_)) => Ok((vec![row], false)),
            Some(other) => {
                Err(self
                    .invalid(format!("\"data\" must be an object or an array of objects, got {}", json_kind(other))))
            }
            None => Err(self.invalid("\"data\" is required")),
        }
    }
}

/// Whether the row a payload describes exists already. Only existing rows can lose related rows.
#[derive(Clone, Copy, PartialEq)]
enum RowState {
    New,
    Existing,
}

fn items(call: &ToolArgs, ctx: &Context) -> Result<ToolEffects, ClassifyError> {
    let action = call.action(&["create", "read", "update", "delete"])?;
    let collection = call.string("collection")?;
    // A singleton is upserted, so even `create` may change an existing row.
    let new_state = if ctx.relations.is_singleton(&collection) { RowState::Existing } else { RowState::New };
    write_effects(call, ctx, action, &collection, new_state)
}

/// `files` and `folders`: the items pattern on a fixed system collection.
fn system_items(
    call: &ToolArgs,
    ctx: &Context,
    collection: &str,
    actions: &[&str],
) -> Result<ToolEffects, ClassifyError> {
    let action = call.action(actions)?;
    if action != "import" {
        return write_effects(call, ctx, action, collection, RowState::New);
    }
    let (rows, batch) = call.data_rows()?;
    let mut effects =
        vec![Effect::new(EffectKind::Create, collection, KeyScope::Keys(rows.len() as u64), "files.import")];
    // Directus fetches each URL from the server: the URL itself can carry data out.
    for (i, row) in rows.iter().enumerate() {
        let url = row.get("url").and_then(Value::as_str).map(str::to_string);
        effects.push(
            Effect::new(EffectKind::HttpRequest, "*", KeyScope::Unknown, format!("files.import data[{i}].url"))
                .with_target(url),
        );
    }
    Ok(ToolEffects { action: Some(action), effects, batch: batch.then_some(rows.len() as u64), read_limit: None })
}

fn write_effects(
    call: &ToolArgs,
    ctx: &Context,
    action: String,
    collection: &str,
    new_state: RowState,
) -> Result<ToolEffects, ClassifyError> {
    let mut effects = Vec::new();
    let mut batch = None;
    match action.as_str() {
        "read" => effects.push(Effect::new(EffectKind::Read, collection, call.keys()?, "read")),
        "delete" => effects.push(Effect::new(EffectKind::Delete, collection, call.required_keys()?, "action delete")),
        "create" => {
            let (rows, is_batch) = call.data_rows()?;
            batch = is_batch.then_some(rows.len() as u64);
            effects.push(Effect::new(EffectKind::Create, collection, KeyScope::Keys(rows.len() as u64), "create"));
            for (i, row) in rows.iter().enumerate() {
                walk_row(ctx, collection, row, new_state, &format!("data[{i}]"), 0, &mut effects);
            }
        }
        "update" => {
            let (rows, is_batch) = call.data_rows()?;
            batch = is_batch.then_some(rows.len() as u64);
            let scope = if is_batch { KeyScope::Keys(rows.len() as u64) } else { call.keys()? };
            effects.push(Effect::new(EffectKind::Update, collection, scope, "update"));
            // One payload for many keys: Directus applies its one-to-many changes once per key.
            let parents = if is_batch { KeyScope::Keys(1) } else { scope };
            for (i, row) in rows.iter().enumerate() {
                let path = if is_batch { format!("data[{i}]") } else { "data".to_string() };
                walk_fields(ctx, collection, row, RowState::Existing, parents, &path, 0, &mut effects);
            }
        }
        other => return Err(call.invalid(format!("unsupported action {other}"))),
    }
    // The query's relational paths reach further collections, which collection rules must see.
    let mut read_limit = None;
    if let Some(Value::Object(query)) = call.args.get("query") {
        let reach = query_reach(ctx.relations, collection, query);
        if !reach.unreadable.is_empty() {
            return Err(call.invalid(format!(
                "the guard cannot read this query as Directus will: {}",
                reach.unreadable.join("; ")
            )));
        }
        for r in reach.reached {
            effects.push(Effect::new(EffectKind::Read, &r.collection, KeyScope::Query, r.via));
        }
        if action == "read" {
            read_limit = reach.limit;
        }
    }
    // Read by keys without a limit (or with limit 0), Directus returns as many rows as keys are named.
    if action == "read" {
        if let Some(KeyScope::Keys(n)) = effects.first().map(|e| e.keys) {
            let limit = call.args.get("query").and_then(|q| q.get("limit"));
            let unlimited = match limit {
                None | Some(Value::Null) => true,
                Some(v) => to_number(v) == Some(0.0),
            };
            if unlimited && n > 0 {
                read_limit = Some(ReadLimit::larger(read_limit, ReadLimit::Rows(n)));
            }
        }
    }
    Ok(ToolEffects { action: Some(action), effects, batch, read_limit })
}

/// What one row of a flow step's payload does through its relational fields, judged as an `items` payload
/// is: `parents` is `Some(rows)` when the payload is applied to rows that exist already (an update by keys or
/// by query, a singleton), so they can lose related rows; `None` for a new row.
pub fn payload_effects(
    relations: &RelationIndex,
    collection: &str,
    row: &Value,
    parents: Option<KeyScope>,
    path: &str,
) -> Vec<Effect> {
    let ctx = Context { relations, flows: None };
    let mut out = Vec::new();
    match parents {
        Some(parents) => walk_fields(&ctx, collection, row, RowState::Existing, parents, path, 0, &mut out),
        None => walk_row(&ctx, collection, row, RowState::New, path, 0, &mut out),
    }
    out
}

/// Rows reached once for each of `parents` rows.
fn per_parent(keys: KeyScope, parents: KeyScope) -> KeyScope {
    match (keys, parents) {
        (KeyScope::Keys(k), KeyScope::Keys(n)) => KeyScope::Keys(k.saturating_mul(n)),
        (KeyScope::Keys(0), _) => KeyScope::Keys(0),
        _ => KeyScope::Unknown,
    }
}

/// Follows one row of a payload through its relational fields, adding what each nested change does.
fn walk_row(
    ctx: &Context,
    collection: &str,
    row: &Value,
    state: RowState,
    path: &str,
    depth: usize,
    out: &mut Vec<Effect>,
) {
    walk_fields(ctx, collection, row, state, KeyScope::Keys(1), path, depth, out)
}

/// [`walk_row`] for a payload that Directus applies to `parents` existing rows at once (an update by keys
/// or by query): its one-to-many changes happen once per row, its many-to-one changes once in all.
#[allow(clippy::too_many_arguments)]
fn walk_fields(
    ctx: &Context,
    collection: &str,
    row: &Value,
    state: RowState,
    parents: KeyScope,
    path: &str,
    depth: usize,
    out: &mut Vec<Effect>,
) {
    let Value::Object(fields) = row else { return };
    if depth >= MAX_DEPTH {
        out.push(Effect::unknown(format!("{path}: nested deeper than {MAX_DEPTH} levels")));
        return;
    }
    for (field, value) in fields {
        // Most fields are not relational: the path is written out only for those that are.
        let Some(relation) = ctx.relations.field(collection, field) else { continue };
        let here = format!("{path}.{field}");
        match relation {
            FieldRelation::ManyToOne { related } => nested_row(ctx, related, value, &here, depth, out),
            FieldRelation::ManyToAny { collection_field, .. } => {
                match fields.get(collection_field).and_then(Value::as_str) {
                    Some(related) => nested_row(ctx, related, value, &here, depth, out),
                    None if value.is_object() => out.push(Effect::unknown(format!(
                        "{here}: many-to-any row without \"{collection_field}\", so its collection is unknown"
                    ))),
                    None => {}
                }
            }
            FieldRelation::OneToMany { many, deselect } => {
                let start = out.len();
                one_to_many(ctx, many, *deselect, value, state, &here, depth, out);
                for e in &mut out[start..] {
                    e.keys = per_parent(e.keys, parents);
                }
            }
        }
    }
}

/// A related row given inline: created when it has no primary key, updated when it has one.
fn nested_row(ctx: &Context, collection: &str, value: &Value, path: &str, depth: usize, out: &mut Vec<Effect>) {
    // A bare key links an existing row and null unlinks: neither changes the related row itself.
    if let Value::Object(row) = value {
        let state =
            if row.contains_key(ctx.relations.primary_key(collection)) { RowState::Existing } else { RowState::New };
        let kind = if state == RowState::New { EffectKind::Create } else { EffectKind::Update };
        out.push(Effect::new(kind, collection, KeyScope::Keys(1), path));
        walk_row(ctx, collection, value, state, path, depth + 1, out);
    }
}

#[allow(clippy::too_many_arguments)]
fn one_to_many(
    ctx: &Context,
    many: &str,
    deselect: DeselectAction,
    value: &Value,
    parent: RowState,
    path: &str,
    depth: usize,
    out: &mut Vec<Effect>,
) {
    let unlink = |keys: KeyScope, via: String| match deselect {
        DeselectAction::Delete => Effect::new(EffectKind::Delete, many, keys, via),
        DeselectAction::Nullify => Effect::new(EffectKind::Update, many, keys, via),
    };
    // Directus reads any falsy value (null, false, 0, "") as an empty replace array: every related row of an
    // existing parent is deselected. Other scalars fail its validation and change nothing.
    static NO_ROWS: Value = Value::Array(Vec::new());
    let value = match value {
        Value::Null | Value::Bool(false) => &NO_ROWS,
        Value::Number(n) if n.as_f64() == Some(0.0) => &NO_ROWS,
        Value::String(s) if s.is_empty() => &NO_ROWS,
        other => other,
    };
    match value {
        // Replace form: rows of an existing parent that the array leaves out are deselected.
        Value::Array(rows) => {
            if parent == RowState::Existing {
                let why = match deselect {
                    DeselectAction::Delete => "replace array: related rows left out are deleted",
                    DeselectAction::Nullify => "replace array: related rows left out are unlinked",
                };
                out.push(unlink(KeyScope::Unknown, format!("{path} ({why})")));
            }
            for (i, row) in rows.iter().enumerate() {
                let here = format!("{path}[{i}]");
                if row.is_object() {
                    nested_row(ctx, many, row, &here, depth, out);
                } else {
                    out.push(Effect::new(EffectKind::Update, many, KeyScope::Keys(1), format!("{here} (linked)")));
                }
            }
        }
        // Detailed form: {create, update, delete}.
        Value::Object(changes) => {
            for (verb, state) in [("create", RowState::New), ("update", RowState::Existing)] {
                if let Some(Value::Array(rows)) = changes.get(verb) {
                    for (i, row) in rows.iter().enumerate() {
                        let here = format!("{path}.{verb}[{i}]");
                        let kind = if state == RowState::New { EffectKind::Create } else { EffectKind::Update };
                        out.push(Effect::new(kind, many, KeyScope::Keys(1), here.clone()));
                        walk_row(ctx, many, row, state, &here, depth + 1, out);
                    }
                }
            }
            match changes.get("delete") {
                Some(Value::Array(keys)) if !keys.is_empty() => {
                    out.push(unlink(KeyScope::Keys(keys.len() as u64), format!("{path}.delete")))
                }
                Some(Value::Array(_)) | None => {}
                Some(_) => out.push(Effect::unknown(format!("{path}.delete is not a list of keys"))),
            }
        }
        _ => {}
    }
}

/// `read` and `delete` of the tools that address one row by `key` (flows, operations).
fn keyed_read_or_delete(call: &ToolArgs, collection: &str, action: &str) -> Result<Option<Effect>, ClassifyError> {
    Ok(match action {
        "read" => Some(Effect::new(EffectKind::Read, collection, KeyScope::Query, "read")),
        "delete" => {
            call.string("key")?;
            Some(Effect::new(EffectKind::Delete, collection, KeyScope::Keys(1), "action delete"))
        }
        _ => None,
    })
}

fn flows(call: &ToolArgs, ctx: &Context) -> Result<ToolEffects, ClassifyError> {
    let action = call.action(&["create", "read", "update", "delete"])?;
    if let Some(effect) = keyed_read_or_delete(call, "directus_flows", &action)? {
        return Ok(ToolEffects::of(Some(action), vec![effect]));
    }
    let (rows, _) = call.data_rows()?;
    let (kind, state, flow) = if action == "create" {
        // A new flow has no id yet unless the payload gives one.
        let id = rows.first().and_then(|r| r.get("id")).and_then(Value::as_str).map(str::to_string);
        (EffectKind::Create, RowState::New, id)
    } else {
        (EffectKind::Update, RowState::Existing, Some(call.string("key")?))
    };
    let mut effects =
        vec![Effect::new(kind, "directus_flows", KeyScope::Keys(1), action.clone()).with_target(flow.clone())];
    for row in rows {
        walk_row(ctx, "directus_flows", row, state, "data", 0, &mut effects);
        if let Some(Value::Array(ops)) = row.get("operations") {
            for (i, op) in ops.iter().enumerate() {
                let kind = op.get("type").and_then(Value::as_str);
                let via = format!("data.operations[{i}] ({})", kind.unwrap_or("no type"));
                match kind {
                    Some(kind) => operation_effects(ctx, kind, op.get("options"), &via, flow.as_deref(), &mut effects)?,
                    None => effects.push(Effect::unknown(format!("{via}: operation without a type"))),
                }
            }
        }
    }
    Ok(ToolEffects::of(Some(action), effects))
}

fn operations(call: &ToolArgs, ctx: &Context) -> Result<ToolEffects, ClassifyError> {
    let action = call.action(&["create", "read", "update", "delete"])?;
    if let Some(effect) = keyed_read_or_delete(call, "directus_operations", &action)? {
        return Ok(ToolEffects::of(Some(action), vec![effect]));
    }
    let data = match call.args.get("data") {
        Some(d @ Value::Object(_)) => d,
        _ => return Err(call.invalid("\"data\" must be an object")),
    };
    let kind = if action == "create" { EffectKind::Create } else { EffectKind::Update };
    let mut effects = vec![Effect::new(kind, "directus_operations", KeyScope::Keys(1), action.clone())];
    // An update that leaves `type` or `flow` out keeps the stored ones, which only the flow graph knows.
    let stored = if action == "update" {
        let key = call.string("key")?;
        let graph = ctx.flows.ok_or(ClassifyError::NeedsFlows)?;
        graph.operation(&key).cloned()
    } else {
        None
    };
    let op_type = match (data.get("type").and_then(Value::as_str), &stored) {
        (Some(t), _) => t.to_string(),
        (None, Some(op)) => op.kind.clone(),
        (None, None) if action == "update" => return Ok(ToolEffects::of(Some(action), effects)),
        (None, None) => return Err(call.invalid("\"data.type\" is required")),
    };
    let flow = data.get("flow").and_then(Value::as_str).map(str::to_string).or_else(|| stored.and_then(|op| op.flow));
    let via = format!("data ({op_type})");
    operation_effects(ctx, &op_type, data.get("options"), &via, flow.as_deref(), &mut effects)?;
    Ok(ToolEffects::of(Some(action), effects))
}

/// What an operation written by this call will do when its flow runs, with the flow's `$trigger` unknown.
fn operation_effects(
    ctx: &Context,
    kind: &str,
    options: Option<&Value>,
    via: &str,
    flow: Option<&str>,
    out: &mut Vec<Effect>,
) -> Result<(), ClassifyError> {
    let graph = ctx.flows.ok_or(ClassifyError::NeedsFlows)?;
    out.extend(graph.operation_effects(kind, options.unwrap_or(&Value::Null), via, flow, ctx.relations));
    Ok(())
}

fn trigger_flow(call: &ToolArgs, ctx: &Context) -> Result<ToolEffects, ClassifyError> {
    let id = call.string("id")?;
    let graph = ctx.flows.ok_or(ClassifyError::NeedsFlows)?;
    let mut effects = vec![Effect::new(EffectKind::FlowRun, "directus_flows", KeyScope::Keys(1), format!("flow {id}"))
        .with_target(Some(id.clone()))];
    // `$trigger.body` is the call's own `{collection, keys, ...data}`: what the flow's steps take from it
    // is rendered, the rest is unknown.
    let trigger = Trigger::manual(&id, call.args);
    effects.extend(graph.run_effects(&id, &trigger, ctx.relations));
    Ok(ToolEffects::of(None, effects))
}

fn collections(call: &ToolArgs) -> Result<ToolEffects, ClassifyError> {
    let action = call.action(&["create", "read", "update", "delete"])?;
    let mut effects = Vec::new();
    match action.as_str() {
        "read" => effects.push(Effect::new(EffectKind::Read, "directus_collections", call.keys()?, "read")),
        "delete" => {
            let keys = match call.args.get("keys") {
                Some(Value::Array(keys)) => keys,
                _ => return Err(call.invalid("\"keys\" must be an array of collection names")),
            };
            for key in keys {
                let name = key.as_str().unwrap_or("*");
                effects.push(Effect::new(EffectKind::SchemaChange, name, KeyScope::Unknown, "collection dropped"));
                effects.push(Effect::new(
                    EffectKind::Delete,
                    name,
                    KeyScope::Unknown,
                    "collection dropped with all its rows",
                ));
            }
        }
        _ => {
            let (rows, _) = call.data_rows()?;
            for row in rows {
                let name = row.get("collection").and_then(Value::as_str).unwrap_or("*");
                effects.push(Effect::new(
                    EffectKind::SchemaChange,
                    name,
                    KeyScope::Unknown,
                    format!("collection {action}"),
                ));
                // Directus records activity and revisions only while `accountability` is set.
                if row.get("meta").and_then(|m| m.get("accountability")).is_some_and(Value::is_null) {
                    effects.push(Effect::new(
                        EffectKind::AuditOff,
                        name,
                        KeyScope::Unknown,
                        format!("collection {action} sets meta.accountability to null"),
                    ));
                }
            }
        }
    }
    Ok(ToolEffects::of(Some(action), effects))
}

fn fields_or_relations(call: &ToolArgs) -> Result<ToolEffects, ClassifyError> {
    let action = call.action(&["create", "read", "update", "delete"])?;
    let system = if call.tool == "fields" { "directus_fields" } else { "directus_relations" };
    let named = call.args.get("collection").and_then(Value::as_str);
    let mut effects = Vec::new();
    match action.as_str() {
        "read" => effects.push(Effect::new(EffectKind::Read, named.unwrap_or(system), KeyScope::Query, "read")),
        "delete" => {
            let collection = call.string("collection")?;
            let field = call.string("field")?;
            let via = format!("{} {collection}.{field} deleted", call.tool);
            effects.push(Effect::new(EffectKind::SchemaChange, &collection, KeyScope::Unknown, via.clone()));
            effects.push(Effect::new(EffectKind::Delete, &collection, KeyScope::Unknown, via));
        }
        _ => {
            let mut targets: BTreeSet<String> = named.map(str::to_string).into_iter().collect();
            // relations.create names its collections inside `data`, not at the top level.
            let (rows, _) = call.data_rows()?;
            for row in rows {
                for key in ["collection", "related_collection"] {
                    if let Some(c) = row.get(key).and_then(Value::as_str) {
                        targets.insert(c.to_string());
                    }
                }
            }
            if targets.is_empty() {
                return Err(call.invalid("the collection to change must be named"));
            }
            for target in targets {
                effects.push(Effect::new(
                    EffectKind::SchemaChange,
                    &target,
                    KeyScope::Unknown,
                    format!("{} {action}", call.tool),
                ));
            }
        }
    }
    Ok(ToolEffects::of(Some(action), effects))
}

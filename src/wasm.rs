//! The only place that sees JS. Every export answers a tagged value, `{ok: …}` or `{error: {kind, message}}`,
//! never a thrown string.
//!
//! Everything crosses as JSON text, in and out: one copy and one `JSON.parse` in V8. Measured inside
//! Directus, building the answer value by value through serde-wasm-bindgen took ten times longer. The two
//! exports on every request's path, `inspect` and `filterAnswer`, hand back the text (or bytes) itself and
//! `js/core.js` parses it: a parse called from here is a call from WASM into JS, and each such crossing cost
//! more than the parse.

use crate::audit::{Caller, RecordIds};
use crate::directory::Directory;
use crate::filter::{filter_answer, unfilterable_answer, AnswerContext, Findings};
use crate::flows::FlowGraph;
use crate::inspect::{inspect, judge_delete_event, Inspection, LoadedFacts, RecordParts, Request};
use crate::listing::filter_listing;
use crate::message::ToolMode;
use crate::network::LocalTime;
use crate::prefilter::Prefilter;
use crate::relations::{RelationIndex, SchemaFacts};
use crate::settings::{Settings, SettingsError};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// Inside Directus every call into the core starts with cold caches, and Rust's default WASM allocator
/// (dlmalloc) touches more of them: with talc, the decision of a read took 5 to 10% less time cold in Node
/// (caches evicted before each call, alternating builds), and the answer filter's throughput was unchanged.
// SAFETY: talc is the only user of the WASM memory's growth; nothing else in the module calls `memory.grow`.
#[global_allocator]
static ALLOCATOR: talc::TalckWasm = unsafe { talc::TalckWasm::new_global() };

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Answer<T: Serialize> {
    Ok(T),
    Error { kind: &'static str, message: String },
}

fn to_text<T: Serialize>(answer: &Answer<T>) -> String {
    serde_json::to_string(answer)
        .unwrap_or_else(|e| format!(r#"{{"error":{{"kind":"serialize","message":{}}}}}"#, Value::String(e.to_string())))
}

fn to_js<T: Serialize>(answer: &Answer<T>) -> JsValue {
    let text = to_text(answer);
    js_sys::JSON::parse(&text).unwrap_or_else(|_| JsValue::from_str(&text))
}

fn error(kind: &'static str, message: impl ToString) -> JsValue {
    to_js::<()>(&Answer::Error { kind, message: message.to_string() })
}

fn error_text(kind: &'static str, message: impl ToString) -> String {
    to_text::<()>(&Answer::Error { kind, message: message.to_string() })
}

/// The header `filterAnswer` hands back for an answer it rewrote or found something in.
#[derive(Serialize)]
struct FilterHeader<'a> {
    /// JSON text of the findings, for the audit row.
    findings: Option<&'a str>,
    /// The rewritten answer follows the header.
    rewritten: bool,
}

/// What a client calls in: the same call after call, so the JS side writes its JSON, and the core reads
/// it, only when it changes (the last one is kept on both sides). Inside Directus, writing and reading it
/// for every call took about 10 µs.
#[derive(Deserialize)]
struct CallerContext<'a> {
    tool_mode: ToolMode,
    #[serde(borrow)]
    caller: Caller<'a>,
    accepts_json: bool,
}

impl CallerContext<'_> {
    fn into_owned(self) -> CallerContext<'static> {
        CallerContext { tool_mode: self.tool_mode, caller: self.caller.into_owned(), accepts_json: self.accepts_json }
    }
}

/// The audit record of a call let through that changes nothing, kept until the JS side writes its row, in
/// the audit batch, where writing it out runs warm. On the request's path, the record (its arguments
/// redacted, the whole written out) took about a third of a read's call into the core with the caches cold:
/// the call took 46 to 49 µs with it and 31 to 33 without, in a harness that evicts them before each call.
struct PendingRecord {
    received_ms: u64,
    context: Rc<CallerContext<'static>>,
    parts: RecordParts,
}

/// Records waiting at most: a JS side that stopped taking them (it takes each within about a second) gets
/// them written out on the request's path again, rather than the module's memory growing.
const MAX_PENDING_RECORDS: usize = 4096;

/// What the JS side must know about settings that are in force: the time zone to read the clock in, when
/// working hours are set.
#[derive(Serialize)]
struct SettingsInForce<'a> {
    time_zone: Option<&'a str>,
}

/// The guard of one extension load: holds the settings in force and the relation index of the schema.
#[wasm_bindgen]
pub struct Guard {
    /// The settings row as last loaded; checked again whenever the directory or the schema changes.
    row: Option<Map<String, Value>>,
    directory: Directory,
    settings: Result<Settings, SettingsError>,
    /// The answer prefilter for the settings in force.
    prefilter: Option<Prefilter>,
    relations: RelationIndex,
    /// The flow graph as last loaded (`setFlows`); `None` until the JS side hands one over.
    flows: Option<FlowGraph>,
    /// `None` when the OS gave no seed: every inspection then answers an error, and the JS side fails closed.
    ids: Option<RecordIds>,
    /// The caller context last read, with its JSON text.
    caller_context: Option<(String, Rc<CallerContext<'static>>)>,
    /// Audit records waiting for `takeRecord`, by the number `inspect` gave out for them.
    pending: FxHashMap<u32, PendingRecord>,
    next_record: u32,
}

#[wasm_bindgen]
impl Guard {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Guard {
        Guard {
            row: None,
            directory: Directory::default(),
            settings: Err(SettingsError::NotLoaded),
            prefilter: None,
            relations: RelationIndex::default(),
            flows: None,
            ids: RecordIds::seeded().ok(),
            caller_context: None,
            pending: FxHashMap::default(),
            next_record: 0,
        }
    }

    /// Loads the settings row (JSON text). Invalid settings are kept as the reason to refuse tool calls, so
    /// a broken policy is never half-applied; the answer says what is wrong.
    #[wasm_bindgen(js_name = setSettings)]
    pub fn set_settings(&mut self, row_json: &str) -> JsValue {
        match serde_json::from_str::<Map<String, Value>>(row_json) {
            Ok(row) => self.row = Some(row),
            Err(e) => {
                self.row = None;
                self.settings = Err(SettingsError::Unreadable(e.to_string()));
                return error("settings", e);
            }
        }
        self.recheck_settings()
    }

    /// Loads the roles, users and time zones that settings may name (`{roles, users, time_zones}`).
    #[wasm_bindgen(js_name = setDirectory)]
    pub fn set_directory(&mut self, directory_json: &str) -> JsValue {
        match serde_json::from_str::<Directory>(directory_json) {
            Ok(mut directory) => {
                directory.collections = std::mem::take(&mut self.directory.collections);
                self.directory = directory;
                match self.row {
                    Some(_) => self.recheck_settings(),
                    None => to_js(&Answer::Ok(SettingsInForce { time_zone: None })),
                }
            }
            Err(e) => error("directory", e),
        }
    }

    /// Replaces the flow graph (`{flows, operations}` as JSON text), which the JS side reads again after flows
    /// change and when it grows old.
    #[wasm_bindgen(js_name = setFlows)]
    pub fn set_flows(&mut self, graph_json: &str) -> JsValue {
        match serde_json::from_str::<FlowGraph>(graph_json) {
            Ok(graph) => {
                self.flows = Some(graph);
                to_js(&Answer::Ok(()))
            }
            Err(e) => {
                self.flows = None;
                error("flows", e)
            }
        }
    }

    /// Replaces the schema facts (`{primary_keys, relations, singletons}` as JSON text).
    #[wasm_bindgen(js_name = setSchema)]
    pub fn set_schema(&mut self, facts_json: &str) -> JsValue {
        match serde_json::from_str::<SchemaFacts>(facts_json) {
            Ok(facts) => {
                self.relations = RelationIndex::new(facts);
                self.directory.collections = self.relations.collections().cloned().collect();
                // Settings naming a collection are checked against the schema they will be applied to.
                if self.row.is_some() {
                    self.recheck_settings();
                }
                to_js(&Answer::Ok(true))
            }
            Err(e) => error("schema", e),
        }
    }

    /// Checks a settings row that is about to be saved, without loading it: `{ok: true}`, or an error that
    /// lists every problem.
    #[wasm_bindgen(js_name = validateSettings)]
    pub fn validate_settings(&self, row_json: &str) -> JsValue {
        match serde_json::from_str::<Map<String, Value>>(row_json) {
            Ok(row) => match Settings::from_row(&row, &self.directory) {
                Ok(_) => to_js(&Answer::Ok(true)),
                Err(e) => error("settings", e),
            },
            Err(e) => error("settings", SettingsError::Unreadable(e.to_string())),
        }
    }

    /// Judges one message, given as the UTF-8 JSON bytes the client sent (Directus keeps them as
    /// `req.rawBody`): one native copy into the module, where the message as a string would first be
    /// written out with `JSON.stringify` and then copied character by character.
    ///
    /// `caller_context_json` is `{tool_mode, caller, accepts_json}` (see [`CallerContext`]);
    /// `received_ms`, when the message arrived (Unix ms; the audit record's id starts with it);
    /// `local_minute_of_week`, the caller's local time as minutes since Monday 00:00, when working hours are
    /// set. `facts_json` is what the core asked for with `{ok: {needs: "flows"}}` (`{flows}`) or `{ok:
    /// {needs: "file", id}}` (`{file}`).
    ///
    /// Answers JSON text: the tagged answer, then, for a judgement, a newline and the audit record's JSON
    /// (serde_json writes no raw newline). A call let through that changes nothing, the commonest
    /// judgement, comes in its short form instead of the JSON answer (`Judgement::short_form`), and its
    /// record stays here: the newline is followed by `#` and the number to take it by (`takeRecord`). Text,
    /// not a JS value built from here: every call from WASM into JS (a parse, a property set) costs a
    /// crossing, and inside Directus, where each call starts cold, those crossings took more time than the
    /// parse.
    pub fn inspect(
        &mut self,
        body_utf8: &[u8],
        caller_context_json: &str,
        received_ms: f64,
        local_minute_of_week: Option<u16>,
        facts_json: Option<String>,
    ) -> String {
        let Guard { caller_context, ids, settings, relations, flows, pending, next_record, .. } = self;
        let ctx = match caller_context {
            Some((text, ctx)) if text == caller_context_json => Rc::clone(ctx),
            stale => match serde_json::from_str::<CallerContext>(caller_context_json) {
                Ok(read) => Rc::clone(&stale.insert((caller_context_json.to_owned(), Rc::new(read.into_owned()))).1),
                Err(e) => return error_text("context", e),
            },
        };
        let local_time = match local_minute_of_week.map(LocalTime::from_minute_of_week) {
            None => None,
            Some(Some(time)) => Some(time),
            Some(None) => return error_text("context", "the local time is not a minute of the week"),
        };
        let loaded = match facts_json.as_deref().map(serde_json::from_str::<LoadedFacts>) {
            None => LoadedFacts::default(),
            Some(Ok(facts)) => facts,
            Some(Err(e)) => return error_text("facts", e),
        };
        let Some(ids) = ids.as_mut() else {
            return error_text("random", "no random seed was available when the guard started");
        };
        // A JS time is a whole number of milliseconds; `as` would make NaN or a negative one 0.
        let received_ms = received_ms as u64;
        let request = Request {
            body: body_utf8,
            tool_mode: ctx.tool_mode,
            caller: &ctx.caller,
            settings,
            accepts_json: ctx.accepts_json,
            local_time,
            flows: flows.as_ref(),
        };
        match inspect(&request, relations, &loaded) {
            // A call let through that changes nothing crosses in short form, with the number of its record,
            // which waits here for `takeRecord`. Every other judgement crosses as JSON with its record's JSON
            // text on a line of its own: most records wait in JS, unread, until their row is written, and
            // one string held for up to a second costs the garbage collector less than the tree of objects it
            // parses into. Beside the judgement rather than inside its JSON, it is escaped once, not twice.
            Inspection::Judged(judgement) => {
                let short = match judgement.short_form() {
                    Some(mut line) if pending.len() < MAX_PENDING_RECORDS => {
                        let number = *next_record;
                        *next_record = number.wrapping_add(1);
                        pending.insert(number, PendingRecord { received_ms, context: ctx, parts: judgement.record });
                        line.push_str("\n#");
                        line.push_str(&number.to_string());
                        return line;
                    }
                    short => short,
                };
                let record = match judgement.record.write(&ids.next_id(received_ms), &ctx.caller, ctx.tool_mode) {
                    Ok(text) => text,
                    // The call must not run unrecorded.
                    Err(e) => return error_text("audit", e),
                };
                let mut text = short.unwrap_or_else(|| to_text(&Answer::Ok(&judgement)));
                text.push('\n');
                text.push_str(&record);
                text
            }
            Inspection::NeedsFlows => to_text(&Answer::Ok(json!({ "needs": "flows" }))),
            Inspection::NeedsFile(id) => to_text(&Answer::Ok(json!({ "needs": "file", "id": id }))),
        }
    }

    /// The audit record `inspect` kept under `number`, as `{ok: record}` (its JSON), and forgets it: the
    /// JS side takes each once, when it writes the record's row.
    #[wasm_bindgen(js_name = takeRecord)]
    pub fn take_record(&mut self, number: u32) -> String {
        let Some(kept) = self.pending.remove(&number) else {
            return error_text("audit", format!("no audit record is kept under {number}"));
        };
        let Some(ids) = self.ids.as_mut() else {
            return error_text("random", "no random seed was available when the guard started");
        };
        match kept.parts.write(&ids.next_id(kept.received_ms), &kept.context.caller, kept.context.tool_mode) {
            Ok(record) => format!(r#"{{"ok":{record}}}"#),
            Err(e) => error_text("audit", e),
        }
    }

    /// Redacts and scans an answer on its way to the client. The answer comes in as UTF-8 bytes (a `Buffer`),
    /// which cross with one native copy; a string would be copied character by character in JS, which cost
    /// more than the scan itself.
    ///
    /// Answers bytes: none at all when the answer goes out as it came with nothing to record (most answers),
    /// so the JS side has nothing to parse. Otherwise a JSON header, the tagged answer (`{ok: {findings,
    /// rewritten}}`, `findings` as JSON text for the audit row), and when `rewritten`, a newline and the
    /// UTF-8 answer to send instead (a tool error in place of an answer that could not be checked), which
    /// Express sends as it is; a string would be decoded in JS and encoded again on its way out.
    #[wasm_bindgen(js_name = filterAnswer)]
    pub fn filter_answer(&self, answer_utf8: &[u8], collection: Option<String>, request_id_json: &str) -> Vec<u8> {
        let settings = match &self.settings {
            Ok(s) => s,
            Err(e) => return error_text("settings", e).into_bytes(),
        };
        let ctx = AnswerContext { collection: collection.as_deref(), relations: &self.relations };
        let prefilter = self.prefilter.as_ref();
        let (text, findings, failure) = match filter_answer(answer_utf8, &ctx, &settings.protection, prefilter) {
            Ok(f) => (f.text, f.findings, None),
            Err(err) => {
                let id = serde_json::from_str(request_id_json).unwrap_or(Value::Null);
                (Some(unfilterable_answer(id, &err).to_string()), Findings::default(), Some(err.to_string()))
            }
        };
        let findings_json = match (&failure, findings.is_empty()) {
            (Some(reason), _) => Some(json!({ "withheld": reason }).to_string()),
            (None, true) => None,
            (None, false) => Some(serde_json::to_string(&findings).unwrap_or_default()),
        };
        if text.is_none() && findings_json.is_none() {
            return Vec::new();
        }
        let header = FilterHeader { findings: findings_json.as_deref(), rewritten: text.is_some() };
        let mut out = to_text(&Answer::Ok(header)).into_bytes();
        if let Some(text) = text {
            out.reserve_exact(1 + text.len());
            out.push(b'\n');
            out.extend_from_slice(text.as_bytes());
        }
        out
    }

    /// The second layer: may this delete, seen by a filter hook inside an MCP request, go ahead?
    #[wasm_bindgen(js_name = judgeDeleteEvent)]
    pub fn judge_delete_event(&self, collection: &str, key_count: Option<u32>, deleted_before: u32) -> JsValue {
        let verdict =
            judge_delete_event(collection, key_count.map(u64::from), u64::from(deleted_before), &self.settings);
        to_js(&Answer::Ok(json!({
            "allowed": !verdict.is_denied(),
            "rule": verdict.rule.id(),
            "reason": verdict.reason,
            "remedy": verdict.remedy(),
        })))
    }
}

impl Guard {
    fn recheck_settings(&mut self) -> JsValue {
        self.settings = match &self.row {
            Some(row) => Settings::from_row(row, &self.directory),
            None => Err(SettingsError::NotLoaded),
        };
        let protection = self.settings.as_ref().ok().map(|s| &s.protection);
        let current = protection.is_some_and(|p| self.prefilter.as_ref().is_some_and(|pre| pre.is_for(p)));
        if !current {
            self.prefilter = protection.and_then(Prefilter::new);
        }
        match &self.settings {
            Ok(s) => to_js(&Answer::Ok(SettingsInForce { time_zone: s.hours.as_ref().map(|h| h.time_zone.as_str()) })),
            Err(e) => error("settings", e),
        }
    }
}

/// Takes hidden tools (a JSON array of names) out of a `tools/list` or registry `search` answer.
#[wasm_bindgen(js_name = filterListing)]
pub fn filter_listing_js(answer_json: &str, hidden_json: &str) -> JsValue {
    let hidden: Vec<String> = match serde_json::from_str(hidden_json) {
        Ok(h) => h,
        Err(e) => return error("listing", e),
    };
    match filter_listing(answer_json, &hidden) {
        Ok(text) => to_js(&Answer::Ok(text)),
        Err(e) => error("listing", e),
    }
}

impl Default for Guard {
    fn default() -> Self {
        Guard::new()
    }
}

/// The sample traffic of [`crate::warm_up`], for the extension to run through the core's exports when it
/// loads: `{ok: {schema, context, messages, answers, collection}}` (`schema` and `context` as JSON text;
/// `collection`, the one the answers' rows belong to).
#[wasm_bindgen(js_name = warmUpSamples)]
pub fn warm_up_samples() -> JsValue {
    use crate::warm_up::{answers, ANSWER_COLLECTION, CONTEXT, MESSAGES, SCHEMA};
    to_js(&Answer::Ok(json!({
        "schema": SCHEMA,
        "context": CONTEXT,
        "messages": MESSAGES,
        "answers": answers(),
        "collection": ANSWER_COLLECTION,
    })))
}

/// Sums up the answer Directus gave (UTF-8 bytes), for the audit log.
#[wasm_bindgen]
pub fn outcome(status: u16, body_utf8: Option<Vec<u8>>) -> String {
    crate::response::outcome(status, body_utf8.as_deref())
}

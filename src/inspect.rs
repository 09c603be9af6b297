//! The whole judgement of one `/mcp` message: parse, classify, decide, and build its audit record.

use crate::audit::{redact_arguments, secrets_in_arguments, AuditRecord, Caller};
use crate::effects::{classify, Classified, ClassifyError, Context, Effect, EffectKind, KeyScope, LEGACY_TOOLS};
use crate::flows::FlowGraph;
use crate::message::{parse_message_json, RpcMessage, ToolMode};
use crate::network::LocalTime;
use crate::policy::FileFact;
use crate::policy::{admit, check_deletes, decide, hidden_tools, Decision, Facts, Rule, Subject, Verdict};
use crate::relations::RelationIndex;
use crate::response::{denial_result, invalid_request};
use crate::settings::{guard_collections, Settings, SettingsError};
use crate::settings::{ArgumentSecrets, AssetsPolicy};
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;

/// One message as the JS side hands it over.
pub struct Request<'a> {
    /// The message's JSON, as UTF-8 bytes.
    pub body: &'a [u8],
    pub tool_mode: ToolMode,
    pub caller: &'a Caller<'a>,
    /// The policy settings in force, or why they cannot be used.
    pub settings: &'a Result<Settings, SettingsError>,
    /// Whether the client accepts a JSON answer. Directus answers 405 to those that do not (e.g. an SSE
    /// probe by GET), before it reads the message.
    pub accepts_json: bool,
    /// The caller's time in the working hours' time zone, when working hours are set.
    pub local_time: Option<LocalTime>,
    /// The flow graph the JS side keeps in step, when it has one: every call that reads or writes data may
    /// set off event flows.
    pub flows: Option<&'a FlowGraph>,
}

/// Crosses to JS as JSON on every call. Empty members are left out (JS reads them as absent), because in
/// place the parse's time grows with the members.
#[derive(Debug, Serialize)]
pub struct Judgement {
    pub allowed: bool,
    pub rule: &'static str,
    pub reason: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub remedy: &'static str,
    /// What to answer instead of running the call (denials only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
    /// HTTP status of that answer.
    pub status: u16,
    /// The call may change data: its audit row is written before it runs.
    pub mutating: bool,
    /// Tools to take out of the answer (`tools/list`, registry `search`): the caller may not use them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hide_tools: Vec<&'static str>,
    /// The answer must pass the redaction and injection filter on its way out.
    pub filter_answer: bool,
    /// The collection the answer's rows belong to, for per-collection field lists and record names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer_collection: Option<String>,
    /// What the audit record says. It is written out on its own (see `wasm::Guard::inspect`).
    #[serde(skip)]
    pub record: RecordParts,
}

/// What the audit record of a judged message says besides who sent it, owned, so that it can be written out
/// on the request's path or later, in the audit batch.
#[derive(Debug)]
pub struct RecordParts {
    pub rpc_method: String,
    pub call: Option<Classified>,
    pub arguments: Option<Value>,
    pub decision: Decision,
    pub rule: &'static str,
    pub reason: String,
    pub mutating: bool,
}

impl RecordParts {
    /// The record as JSON text: `id` names its row; `caller` and `tool_mode` are the message's context.
    pub fn write(&self, id: &str, caller: &Caller, tool_mode: ToolMode) -> Result<String, serde_json::Error> {
        let call = self.call.as_ref();
        serde_json::to_string(&AuditRecord {
            id,
            user: caller.user.as_deref(),
            role: caller.role.as_deref(),
            admin: caller.admin,
            ip: caller.ip.as_deref(),
            user_agent: caller.user_agent.as_deref(),
            oauth_client: caller.oauth_client.as_deref(),
            tool_mode,
            rpc_method: &self.rpc_method,
            tool: call.map(|c| c.tool.as_str()),
            inner_tool: call.and_then(|c| c.inner_tool.as_deref()),
            action: call.and_then(|c| c.action.as_deref()),
            collections: call.map(Classified::collections).unwrap_or_default(),
            key_count: call.and_then(Classified::key_count),
            decision: self.decision,
            rule: self.rule,
            reason: &self.reason,
            arguments: self.arguments.as_ref().map(redact_arguments),
            effects: call.map_or(&[], |c| c.effects.as_slice()),
            mutating: self.mutating,
        })
    }
}

impl Judgement {
    /// The commonest judgement, a call let through that changes nothing, written short for the JS side:
    /// `=`, then `1` or `0` (whether the answer is filtered), then the answer's collection, if any. Measured
    /// inside Directus, parsing the JSON form in JS took 13 to 19 µs per read; this form is read with a few
    /// character reads. `None` for every other judgement, and for a collection name that is not plainly
    /// letters, digits, `_` and `-` (the line must not end early).
    pub fn short_form(&self) -> Option<String> {
        let plain = self.allowed
            && !self.mutating
            && self.status == 200
            && self.response.is_none()
            && self.hide_tools.is_empty()
            && self.remedy.is_empty();
        if !plain {
            return None;
        }
        let collection = match self.answer_collection.as_deref() {
            None => "",
            Some(c) if !c.is_empty() && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') => c,
            Some(_) => return None,
        };
        let mut line = String::with_capacity(2 + collection.len());
        line.push('=');
        line.push(if self.filter_answer { '1' } else { '0' });
        line.push_str(collection);
        Some(line)
    }
}

#[derive(Debug)]
pub enum Inspection {
    Judged(Box<Judgement>),
    /// The call runs or writes flows: load the flow graph and inspect again with it.
    NeedsFlows,
    /// An `assets` call while file contents are limited to folders: load this file's folder and inspect again.
    NeedsFile(String),
}

/// What the JS side loads from the database when the core asks for it.
#[derive(Debug, Default, Deserialize)]
pub struct LoadedFacts {
    #[serde(default)]
    pub flows: Option<FlowGraph>,
    #[serde(default)]
    pub file: Option<FileFact>,
}

pub fn inspect(req: &Request, relations: &RelationIndex, loaded: &LoadedFacts) -> Inspection {
    let flows = loaded.flows.as_ref().or(req.flows);
    if !req.accepts_json {
        let verdict = Verdict::deny(
            Rule::NotAcceptable,
            "the client does not accept a JSON answer, the only kind this server sends",
        );
        return judged(req, "none", None, None, false, verdict, None, 405, vec![]);
    }
    let message = match parse_message_json(req.body) {
        Ok(m) => m,
        Err(err) => {
            let verdict = Verdict::for_message_error(&err);
            // A switched-off guard lets even malformed messages reach Directus, which answers them itself.
            if matches!(req.settings, Ok(Settings { guard_enabled: false, .. })) {
                let pass = Verdict::allow(Rule::GuardDisabled, verdict.reason);
                return judged(req, "invalid", None, None, false, pass, None, 400, vec![]);
            }
            let response = invalid_request(&verdict);
            return judged(req, "invalid", None, None, false, verdict, Some(response), 400, vec![]);
        }
    };
    let RpcMessage::ToolCall { id, name, arguments } = message else {
        let method = message.method();
        let verdict = Verdict::allow(Rule::NoEffect, format!("{method} changes no data"));
        let hide = if method == "tools/list" { tools_to_hide(req) } else { vec![] };
        return judged(req, method, None, None, false, verdict, None, 200, hide);
    };

    let ctx = Context { relations, flows };
    let classified = classify(&name, arguments.as_ref(), req.tool_mode, &ctx);
    if matches!(classified, Err(ClassifyError::NeedsFlows)) {
        return Inspection::NeedsFlows;
    }
    if let (Ok(call), Ok(settings)) = (&classified, req.settings) {
        if let (AssetsPolicy::Folders(_), true, None) =
            (&settings.assets, call.effective_tool() == "assets", &loaded.file)
        {
            let id = call.effects.first().and_then(|e| e.target.clone()).unwrap_or_default();
            return Inspection::NeedsFile(id);
        }
    }
    // Only the deny setting needs to know which secrets the arguments carry (the log masks them anyway).
    let refuse_secrets = matches!(req.settings, Ok(s) if s.argument_secrets == ArgumentSecrets::Deny);
    let argument_secrets = arguments.as_ref().filter(|_| refuse_secrets).map(secrets_in_arguments).unwrap_or_default();
    let verdict = match (&classified, req.settings, guard_collections()) {
        (_, Err(err), _) => Verdict::for_settings_error(err),
        (_, _, Err(err)) => Verdict::for_settings_error(&err),
        (Ok(call), Ok(settings), Ok(own)) => {
            let subject = Subject { caller: req.caller, local_time: req.local_time };
            let file = loaded.file.as_ref();
            decide(
                call,
                settings,
                &Facts { subject, guard_collections: &own, flows, file, argument_secrets: &argument_secrets },
            )
        }
        (Err(err), Ok(settings), _) if !settings.guard_enabled => Verdict::allow(Rule::GuardDisabled, err.to_string()),
        (Err(err), Ok(_), _) => Verdict::for_classify_error(err),
    };
    let response = verdict.is_denied().then(|| denial_result(&id, &verdict));
    // A tool call the guard could not classify may still do anything: log it before it runs.
    let mutating = classified.as_ref().map_or(true, Classified::is_mutating);
    let hide = if req.tool_mode == ToolMode::Registry && name == "search" { tools_to_hide(req) } else { vec![] };
    let call = classified.unwrap_or_else(|_| Classified::new(&name, None, Default::default()));
    judged(req, "tools/call", Some(call), arguments, mutating, verdict, response, 200, hide)
}

/// What the caller may not use at all, so lists do not offer it: everything when the caller is not let in,
/// else what the caller's mode rules out.
fn tools_to_hide(req: &Request) -> Vec<&'static str> {
    let Ok(settings) = req.settings else { return vec![] };
    if !settings.guard_enabled {
        return vec![];
    }
    match admit(&Subject { caller: req.caller, local_time: req.local_time }, settings) {
        Ok(admission) => hidden_tools(admission.mode).to_vec(),
        Err(_) => LEGACY_TOOLS.iter().chain(["search", "execute"].iter()).copied().collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn judged(
    req: &Request,
    method: &str,
    call: Option<Classified>,
    arguments: Option<Value>,
    mutating: bool,
    verdict: Verdict,
    response: Option<Value>,
    denial_status: u16,
    hide_tools: Vec<&'static str>,
) -> Inspection {
    let status = if verdict.is_denied() { denial_status } else { 200 };
    // Allowed answers carry data; denials are the guard's own text. A guard switched off filters nothing.
    let filter_answer =
        !verdict.is_denied() && matches!(req.settings, Ok(s) if s.guard_enabled && !s.protection.is_off());
    let answer_collection =
        call.as_ref().and_then(|c| c.effects.first()).map(|e| e.collection.clone()).filter(|c| c != "*");
    let record = RecordParts {
        rpc_method: method.to_owned(),
        call,
        arguments,
        decision: verdict.decision,
        rule: verdict.rule.id(),
        reason: verdict.reason.clone(),
        mutating,
    };
    Inspection::Judged(Box::new(Judgement {
        allowed: !verdict.is_denied(),
        rule: verdict.rule.id(),
        remedy: verdict.remedy(),
        reason: verdict.reason,
        response,
        status,
        mutating,
        hide_tools,
        filter_answer,
        answer_collection,
        record,
    }))
}

/// The second layer: a delete that Directus is about to run inside an MCP request (a filter hook saw it).
/// Anything the request-level check missed is caught here.
/// `deleted_before` counts the rows earlier delete events of the same MCP call removed: rows left out of a
/// replace array or matched by a query are known only here, so the per-call limit on changed rows is
/// checked here for them too.
pub fn judge_delete_event(
    collection: &str,
    key_count: Option<u64>,
    deleted_before: u64,
    settings: &Result<Settings, SettingsError>,
) -> Verdict {
    let effect = Effect::new(
        EffectKind::Delete,
        collection,
        key_count.map(KeyScope::Keys).unwrap_or(KeyScope::Unknown),
        format!("{collection}.delete event inside an MCP request"),
    );
    let own = match guard_collections() {
        Ok(own) => own,
        Err(err) => return Verdict::for_settings_error(&err),
    };
    if own.iter().any(|c| c == collection) {
        return Verdict::deny(Rule::GuardCollection, format!("{collection} is the guard's own collection"));
    }
    let settings = match settings {
        Ok(s) => s,
        Err(err) => return Verdict::for_settings_error(err),
    };
    if !settings.guard_enabled {
        return Verdict::allow(Rule::GuardDisabled, "MCP Guard is switched off in Settings → AI");
    }
    if let Some(denied) = check_deletes(&[effect], settings) {
        return denied;
    }
    if let (Some(max), Some(count)) = (settings.caps.max_keys, key_count) {
        let total = deleted_before.saturating_add(count);
        if total > max {
            return Verdict::deny(
                Rule::KeysCap,
                format!(
                    "this call deletes {total} rows in all as Directus runs it (rows left out of a replace array or matched by a query count too), more than the limit of {max} per call"
                ),
            );
        }
    }
    Verdict::allow(Rule::Allowed, "deletes are allowed here")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tests::directory;
    use serde_json::{json, Map};

    fn run_as(body: &str, settings: Value, caller: &Caller, tool_mode: ToolMode) -> Inspection {
        let settings = Settings::from_row(&settings.as_object().cloned().unwrap_or_default(), &directory());
        let req = Request {
            body: body.as_bytes(),
            tool_mode,
            caller,
            settings: &settings,
            accepts_json: true,
            local_time: None,
            flows: Some(&FlowGraph::default()),
        };
        inspect(&req, &RelationIndex::default(), &LoadedFacts::default())
    }

    fn run(body: &str, settings: Value, accepts_json: bool) -> Inspection {
        let caller = Caller { user: Some("u1".into()), ..Caller::default() };
        if !accepts_json {
            let settings = Settings::from_row(&Map::new(), &directory());
            let req = Request {
                body: body.as_bytes(),
                tool_mode: ToolMode::Legacy,
                caller: &caller,
                settings: &settings,
                accepts_json,
                local_time: None,
                flows: None,
            };
            return inspect(&req, &RelationIndex::default(), &LoadedFacts::default());
        }
        run_as(body, settings, &caller, ToolMode::Legacy)
    }

    fn judged(i: Inspection) -> Judgement {
        match i {
            Inspection::Judged(j) => *j,
            other => panic!("unexpected inspection {other:?}"),
        }
    }

    /// The judgement's audit record as `run` would have it written: caller `u1`, legacy tool mode, id `r1`.
    fn record(j: &Judgement) -> Value {
        let caller = Caller { user: Some("u1".into()), ..Caller::default() };
        serde_json::from_str(&j.record.write("r1", &caller, ToolMode::Legacy).unwrap()).unwrap()
    }

    const DELETE: &str = r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"items","arguments":{"action":"delete","collection":"a","keys":[1],"data":{"password":"hunter2"}}}}"#;

    #[test]
    fn a_denied_call_gets_a_tool_error_and_a_full_audit_record() {
        let j = judged(run(DELETE, json!({}), true));
        assert!(!j.allowed);
        assert_eq!(j.rule, "deletes.disabled");
        assert_eq!(j.status, 200);
        assert_eq!(j.response.as_ref().map(|r| r["id"].clone()), Some(json!(5)));
        let audit = record(&j);
        assert_eq!((audit["id"].as_str(), audit["rule"].as_str()), (Some("r1"), Some("deletes.disabled")));
        assert_eq!(audit["user"], json!("u1"));
        assert_eq!(audit["collections"], json!(["a"]));
        assert_eq!(audit["key_count"], json!(1));
        assert_eq!(audit["mutating"], json!(true));
        let args = audit["arguments"].as_str().unwrap_or_default();
        assert!(args.contains("[redacted:password]") && !args.contains("hunter2"), "{args}");
    }

    #[test]
    fn only_calls_let_through_that_change_nothing_come_in_short_form() {
        let read = |collection: &str| {
            let args = json!({"action": "read", "collection": collection});
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "items", "arguments": args}})
                .to_string()
        };
        let short = |body: &str, settings: Value| judged(run(body, settings, true)).short_form();
        assert_eq!(short(&read("articles"), json!({})).as_deref(), Some("=1articles"));
        assert_eq!(short(&read("articles"), json!({"mcp_guard_enabled": false})).as_deref(), Some("=0articles"));
        let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#;
        assert_eq!(short(init, json!({})).as_deref(), Some("=1"));
        // A name that could end the line early, a refusal, a call that writes, a list with tools left out.
        assert_eq!(short(&read("articles\n=0"), json!({})), None);
        assert_eq!(short(DELETE, json!({})), None);
        assert_eq!(short(DELETE, json!({"mcp_allow_deletes": true})), None);
        let user = Caller { user: Some("u1".into()), role: Some("r".into()), ..Caller::default() };
        let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
        assert_eq!(judged(run_as(list, json!({}), &user, ToolMode::Legacy)).short_form(), None);
    }

    #[test]
    fn a_switched_off_guard_passes_the_call_and_still_records_it() {
        let j = judged(run(DELETE, json!({"mcp_guard_enabled": false}), true));
        assert!(j.allowed && j.response.is_none());
        assert_eq!(j.rule, "allow.guard-disabled");
        assert!(j.mutating && record(&j)["mutating"] == json!(true));
    }

    #[test]
    fn unreadable_and_malformed_messages_are_refused_with_400() {
        for body in ["", "[1,2]", "{\"jsonrpc\":\"1.0\"}", &format!("{}1{}", "[".repeat(200), "]".repeat(200))] {
            let j = judged(run(body, json!({}), true));
            assert!(!j.allowed, "{body}");
            assert_eq!((j.rule, j.status), ("request.invalid-message", 400));
            assert_eq!(j.response.as_ref().map(|r| r["error"]["code"].clone()), Some(json!(-32600)));
        }
    }

    #[test]
    fn clients_that_do_not_accept_json_get_405_without_a_body() {
        let j = judged(run("", json!({}), false));
        assert_eq!((j.rule, j.status, j.response.is_none()), ("request.not-acceptable", 405, true));
    }

    #[test]
    fn invalid_settings_refuse_tool_calls_but_not_the_handshake() {
        let bad = json!({"mcp_guard_enabled": "perhaps"});
        assert_eq!(judged(run(DELETE, bad.clone(), true)).rule, "settings.invalid");
        let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#;
        assert!(judged(run(init, bad, true)).allowed);
    }

    #[test]
    fn calls_that_run_flows_or_reach_data_ask_for_the_flow_graph_until_there_is_one() {
        let settings = Settings::from_row(&Map::new(), &directory());
        let caller = Caller { user: Some("u1".into()), ..Caller::default() };
        let graph = FlowGraph::default();
        let inspect_with = |body: &str, flows: Option<&FlowGraph>| {
            let req = Request {
                body: body.as_bytes(),
                tool_mode: ToolMode::Legacy,
                caller: &caller,
                settings: &settings,
                accepts_json: true,
                local_time: None,
                flows,
            };
            inspect(&req, &RelationIndex::default(), &LoadedFacts::default())
        };
        let trigger = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"trigger-flow","arguments":{"id":"f","collection":"a"}}}"#;
        let read = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"items","arguments":{"action":"read","collection":"a"}}}"#;
        let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
        assert!(matches!(inspect_with(trigger, None), Inspection::NeedsFlows));
        // A read may set off event flows on `items.read`.
        assert!(matches!(inspect_with(read, None), Inspection::NeedsFlows));
        assert!(matches!(inspect_with(read, Some(&graph)), Inspection::Judged(_)));
        assert!(matches!(inspect_with(list, None), Inspection::Judged(_)));
    }

    #[test]
    fn the_second_layer_denies_deletes_while_they_are_off() {
        let off = Settings::from_row(&Map::new(), &directory());
        assert_eq!(judge_delete_event("comments", Some(2), 0, &off).rule, Rule::DeletesDisabled);
        let on = Settings::from_row(
            &json!({"mcp_allow_deletes": true}).as_object().cloned().unwrap_or_default(),
            &directory(),
        );
        assert!(!judge_delete_event("comments", None, 0, &on).is_denied());
        let drafts = json!({"mcp_allow_deletes": true, "mcp_guard_collection_deletes": [{"collection": "drafts", "deletes": "allow"}]});
        let drafts = Settings::from_row(&drafts.as_object().cloned().unwrap_or_default(), &directory());
        assert!(!judge_delete_event("drafts", Some(1), 0, &drafts).is_denied());
        assert_eq!(judge_delete_event("articles", Some(1), 0, &drafts).rule, Rule::DeletesDisabledForCollection);
        // The rows earlier events of the call deleted count toward the per-call limit.
        let capped = json!({"mcp_allow_deletes": true, "mcp_guard_max_keys": 3});
        let capped = Settings::from_row(&capped.as_object().cloned().unwrap_or_default(), &directory());
        assert!(!judge_delete_event("comments", Some(2), 1, &capped).is_denied());
        let v = judge_delete_event("comments", Some(2), 2, &capped);
        assert_eq!(v.rule, Rule::KeysCap);
        assert!(v.reason.contains("4 rows"), "{}", v.reason);
    }

    #[test]
    fn lists_leave_out_what_the_caller_may_not_use() {
        let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
        let user = Caller { user: Some("u1".into()), role: Some("r".into()), ..Caller::default() };
        let content = judged(run_as(list, json!({}), &user, ToolMode::Legacy));
        assert!(content.hide_tools.contains(&"flows") && !content.hide_tools.contains(&"items"));
        let analysis = judged(run_as(list, json!({"mcp_guard_default_mode": "analysis"}), &user, ToolMode::Legacy));
        assert!(analysis.hide_tools.contains(&"trigger-flow") && !analysis.hide_tools.contains(&"items"));
        let admin = Caller { admin: true, ..user.clone() };
        let blocked = judged(run_as(list, json!({}), &admin, ToolMode::Registry));
        assert!(blocked.hide_tools.contains(&"search") && blocked.hide_tools.contains(&"items"));
        let search =
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{"query":"flow"}}}"#;
        assert!(judged(run_as(search, json!({}), &user, ToolMode::Registry)).hide_tools.contains(&"operations"));
    }
}

use super::*;
use crate::relations::SchemaFacts;
use serde_json::{json, Map};

/// articles ←(O2M comments, deselected rows deleted)– comments.
fn relations() -> RelationIndex {
    let facts: SchemaFacts = serde_json::from_value(json!({
        "primary_keys": {"articles": "id", "comments": "id"},
        "relations": [
            {"collection": "comments", "field": "article", "related_collection": "articles", "one_field": "comments", "one_deselect_action": "delete"}
        ]
    }))
    .unwrap_or_default();
    RelationIndex::new(facts)
}

fn graph(value: Value) -> FlowGraph {
    serde_json::from_value(value).unwrap_or_default()
}

fn manual_run(graph: &FlowGraph, flow: &str, data: Value) -> Vec<Effect> {
    let args = json!({"id": flow, "collection": "articles", "keys": [1], "data": data});
    graph.run_effects(flow, &Trigger::manual(flow, args.as_object().unwrap_or(&Map::new())), &relations())
}

fn summary(effects: &[Effect]) -> Vec<(EffectKind, String, KeyScope)> {
    effects.iter().map(|e| (e.kind, e.collection.clone(), e.keys)).collect()
}

fn one_step(kind: &str, options: Value) -> FlowGraph {
    graph(json!({
        "flows": [{"id": "f", "trigger": "manual", "status": "active"}],
        "operations": [{"id": "o", "flow": "f", "type": kind, "options": options}]
    }))
}

#[test]
fn follows_trigger_operations_into_sub_flows_and_survives_cycles_and_missing_flows() {
    let g = graph(json!({
        "flows": [{"id": "f1"}, {"id": "f2"}, {"id": "loop"}],
        "operations": [
            {"id": "o1", "flow": "f1", "type": "log", "options": {}},
            {"id": "o2", "flow": "f1", "type": "trigger", "options": {"flow": "f2"}},
            {"id": "o3", "flow": "f2", "type": "item-delete", "options": {"collection": "articles", "key": [1, 2]}},
            {"id": "o4", "flow": "loop", "type": "trigger", "options": {"flow": "loop"}}
        ]
    }));
    assert_eq!(
        summary(&manual_run(&g, "f1", json!({}))),
        vec![(EffectKind::Delete, "articles".into(), KeyScope::Keys(2))]
    );
    assert!(manual_run(&g, "loop", json!({})).is_empty());
    assert_eq!(manual_run(&g, "nope", json!({}))[0].kind, EffectKind::Unknown);
}

#[test]
fn the_issue_s_update_step_is_judged_like_an_items_payload() {
    // Update Data with key {{$trigger.body.keys}} and payload {{$trigger.body.changes}}.
    let g = one_step(
        "item-update",
        json!({"collection": "articles", "key": "{{$trigger.body.keys}}", "payload": "{{$trigger.body.changes}}", "permissions": "$full"}),
    );
    let effects = manual_run(&g, "f", json!({"keys": [1], "changes": {"comments": {"delete": [5]}}}));
    assert!(summary(&effects).contains(&(EffectKind::Update, "articles".into(), KeyScope::Keys(1))), "{effects:?}");
    assert!(summary(&effects).contains(&(EffectKind::Delete, "comments".into(), KeyScope::Keys(1))), "{effects:?}");
    // A replace array on an existing row deletes the rows it leaves out.
    let effects = manual_run(&g, "f", json!({"keys": [1], "changes": {"comments": [{"body": "only"}]}}));
    assert!(effects.iter().any(|e| e.kind == EffectKind::Delete && e.collection == "comments"), "{effects:?}");
    // Plain changes change the named rows only.
    let effects = manual_run(&g, "f", json!({"keys": [1, 2, 3], "changes": {"title": "x"}}));
    assert_eq!(summary(&effects), vec![(EffectKind::Update, "articles".into(), KeyScope::Keys(3))]);
    // Keys as text are split at commas, as toArray does.
    let effects = manual_run(&g, "f", json!({"keys": "1,2,3,4", "changes": {"title": "x"}}));
    assert_eq!(effects[0].keys, KeyScope::Keys(4));
}

#[test]
fn templated_collections_render_to_what_the_call_names_or_are_unknown() {
    let g = one_step(
        "item-update",
        json!({"collection": "{{$trigger.body.target}}", "key": 1, "payload": {"mcp_allow_deletes": true}}),
    );
    let effects = manual_run(&g, "f", json!({"target": "directus_settings"}));
    assert_eq!(summary(&effects), vec![(EffectKind::Update, "directus_settings".into(), KeyScope::Keys(1))]);
    let read = one_step("item-read", json!({"collection": "{{$trigger.body.target}}"}));
    assert_eq!(manual_run(&read, "f", json!({"target": "mcp_guard_log"}))[0].collection, "mcp_guard_log");
    // From an earlier step's result: not known before the flow runs.
    let g = one_step("item-delete", json!({"collection": "{{$last.collection}}", "key": 1}));
    let e = &manual_run(&g, "f", json!({}))[0];
    assert!(e.reaches_any_collection() && e.via.contains("$last"), "{e:?}");
}

#[test]
fn unknown_keys_and_payloads_are_unknown_and_known_plain_fields_are_not() {
    let g = one_step("item-delete", json!({"collection": "comments", "key": "{{$last.ids}}"}));
    assert_eq!(
        summary(&manual_run(&g, "f", json!({}))),
        vec![(EffectKind::Delete, "comments".into(), KeyScope::Unknown)]
    );
    let g = one_step("item-update", json!({"collection": "articles", "key": 1, "payload": "{{read[0]}}"}));
    assert!(manual_run(&g, "f", json!({})).iter().any(Effect::reaches_any_collection));
    // A hole in a plain field changes that field only; one in a relational field may do anything.
    let g = one_step("item-update", json!({"collection": "articles", "key": 1, "payload": {"title": "{{$last.t}}"}}));
    assert!(!manual_run(&g, "f", json!({})).iter().any(Effect::reaches_any_collection));
    let g =
        one_step("item-update", json!({"collection": "articles", "key": 1, "payload": {"comments": "{{$last.c}}"}}));
    assert!(manual_run(&g, "f", json!({})).iter().any(Effect::reaches_any_collection));
    // Payload as JSON text with a value written in is parsed, then judged.
    let g = one_step(
        "item-update",
        json!({"collection": "articles", "key": 1, "payload": "{\"comments\": {{$trigger.body.c}}}"}),
    );
    let effects = manual_run(&g, "f", json!({"c": {"delete": [1, 2]}}));
    assert!(summary(&effects).contains(&(EffectKind::Delete, "comments".into(), KeyScope::Keys(2))), "{effects:?}");
    // item-delete with neither keys nor a query returns without deleting.
    assert!(manual_run(&one_step("item-delete", json!({"collection": "comments"})), "f", json!({})).is_empty());
}

#[test]
fn request_urls_mail_recipients_and_flow_ids_are_rendered_or_unknown() {
    let g = one_step("request", json!({"url": "http://{{$trigger.body.host}}/x", "method": "POST"}));
    assert_eq!(manual_run(&g, "f", json!({"host": "127.0.0.1:9"}))[0].target.as_deref(), Some("http://127.0.0.1:9/x"));
    let g = one_step("request", json!({"url": "{{$env.HOOK}}"}));
    let e = &manual_run(&g, "f", json!({}))[0];
    assert_eq!((e.kind, e.target.as_deref()), (EffectKind::HttpRequest, None));
    let g = one_step(
        "mail",
        json!({"to": ["{{$trigger.body.to}}", "fixed@example.com"], "bcc": "{{$last.x}}", "subject": "s"}),
    );
    let mails: Vec<Option<String>> =
        manual_run(&g, "f", json!({"to": "x@evil.example"})).into_iter().map(|e| e.target).collect();
    assert_eq!(mails, vec![Some("x@evil.example".into()), Some("fixed@example.com".into()), None]);
    let g = graph(json!({
        "flows": [{"id": "f"}, {"id": "sub"}],
        "operations": [
            {"id": "o", "flow": "f", "type": "trigger", "options": {"flow": "{{$trigger.body.next}}"}},
            {"id": "d", "flow": "sub", "type": "item-delete", "options": {"collection": "{{$trigger.target}}", "key": 1}}
        ]
    }));
    // The sub-flow is followed; its $trigger is the step's payload, here none.
    assert!(manual_run(&g, "f", json!({"next": "sub"})).iter().any(Effect::reaches_any_collection));
    assert!(manual_run(&g, "f", json!({})).iter().any(|e| e.via.contains("does not exist")));
    // A payload object is the sub-flow's $trigger: rendered there too.
    let g = graph(json!({
        "flows": [{"id": "f"}, {"id": "sub"}],
        "operations": [
            {"id": "o", "flow": "f", "type": "trigger", "options": {"flow": "sub", "payload": "{{$trigger.body}}"}},
            {"id": "d", "flow": "sub", "type": "item-delete", "options": {"collection": "{{$trigger.target}}", "key": "{{$trigger.ids}}"}}
        ]
    }));
    let effects = manual_run(&g, "f", json!({"target": "comments", "ids": [1, 2, 3]}));
    assert_eq!(summary(&effects), vec![(EffectKind::Delete, "comments".into(), KeyScope::Keys(3))]);
    let g = one_step("trigger", json!({"flow": "{{$last.id}}"}));
    assert!(manual_run(&g, "f", json!({})).iter().any(Effect::reaches_any_collection));
}

#[test]
fn scripts_name_their_flow_and_unknown_operation_types_are_unknown() {
    let e = &manual_run(&one_step("exec", json!({"code": "module.exports = () => 1"})), "f", json!({}))[0];
    assert_eq!((e.kind, e.target.as_deref()), (EffectKind::Script, Some("f")));
    assert_eq!(manual_run(&one_step("my-extension-op", json!({})), "f", json!({}))[0].kind, EffectKind::Unknown);
    assert!(manual_run(&one_step("log", json!({"message": "{{$last}}"})), "f", json!({})).is_empty());
}

fn event_graph() -> FlowGraph {
    graph(json!({
        "flows": [
            {"id": "purge", "trigger": "event", "status": "active",
             "options": {"type": "action", "scope": ["items.update"], "collections": ["articles"]}},
            {"id": "users", "trigger": "event", "status": "active",
             "options": {"type": "filter", "scope": "items.create", "collections": "directus_users"}},
            {"id": "reads", "trigger": "event", "status": "active", "options": {"type": "action", "scope": ["items.read"]}},
            {"id": "off", "trigger": "event", "status": "inactive",
             "options": {"type": "action", "scope": ["items.delete"], "collections": ["comments"]}},
            {"id": "manual", "trigger": "manual", "status": "active", "options": {"collections": ["articles"]}}
        ],
        "operations": [
            {"id": "p", "flow": "purge", "type": "item-delete", "options": {"collection": "comments", "query": {"filter": {"body": {"_eq": "x"}}}, "emitEvents": true}},
            {"id": "u", "flow": "users", "type": "item-update", "options": {"collection": "articles", "key": "{{$trigger.payload.id}}", "payload": {"title": "t"}}},
            {"id": "r", "flow": "reads", "type": "item-create", "options": {"collection": "comments", "payload": {"body": "seen"}}},
            {"id": "o", "flow": "off", "type": "item-delete", "options": {"collection": "articles", "key": 1}},
            {"id": "m", "flow": "manual", "type": "item-update", "options": {"collection": "articles", "key": 1, "payload": {"title": "t"}, "emitEvents": "{{$trigger.body.emit}}"}}
        ]
    }))
}

#[test]
fn event_flows_are_effects_of_the_writes_that_set_them_off() {
    let g = event_graph();
    let rel = relations();
    let update = [Effect::new(EffectKind::Update, "articles", KeyScope::Keys(1), "update")];
    assert_eq!(
        summary(&g.event_effects(&update, &rel)),
        vec![(EffectKind::Delete, "comments".into(), KeyScope::Query)]
    );
    // System collections are heard by their short name; a templated key is unknown there.
    let create_user = [Effect::new(EffectKind::Create, "directus_users", KeyScope::Keys(1), "create")];
    assert_eq!(
        summary(&g.event_effects(&create_user, &rel)),
        vec![(EffectKind::Update, "articles".into(), KeyScope::Unknown)]
    );
    // Inactive flows and other collections set nothing off; any read sets off a flow on `items.read`.
    let delete = [Effect::new(EffectKind::Delete, "comments", KeyScope::Keys(1), "delete")];
    assert!(g.event_effects(&delete, &rel).is_empty());
    let read = [Effect::new(EffectKind::Read, "tags", KeyScope::Query, "read")];
    assert_eq!(
        summary(&g.event_effects(&read, &rel)),
        vec![(EffectKind::Create, "comments".into(), KeyScope::Keys(1))]
    );
    // What cannot be tied to an event may set off any event flow.
    let unknown = [Effect::unknown("x".into())];
    assert!(g.event_effects(&unknown, &rel).iter().any(|e| e.kind == EffectKind::Delete && e.collection == "comments"));
}

#[test]
fn a_flow_step_sets_off_event_flows_only_with_emit_events_on() {
    let g = event_graph();
    let quiet = manual_run(&g, "manual", json!({"emit": false}));
    assert_eq!(summary(&quiet), vec![(EffectKind::Update, "articles".into(), KeyScope::Keys(1))]);
    let loud = manual_run(&g, "manual", json!({"emit": true}));
    assert!(summary(&loud).contains(&(EffectKind::Delete, "comments".into(), KeyScope::Query)), "{loud:?}");
    let unknown = manual_run(&g, "manual", json!({"emit": "{{nothing}}"}));
    assert!(summary(&unknown).contains(&(EffectKind::Delete, "comments".into(), KeyScope::Query)), "{unknown:?}");
}

#[test]
fn mail_and_file_uploads_set_off_the_event_flows_that_listen_for_them() {
    let g = graph(json!({
        "flows": [
            {"id": "on-mail", "trigger": "event", "status": "active", "options": {"type": "filter", "scope": ["email.send"]}},
            {"id": "on-upload", "trigger": "event", "status": "active", "options": {"type": "action", "scope": ["files.upload"]}},
            {"id": "m", "trigger": "manual", "status": "active"}
        ],
        "operations": [
            {"id": "a", "flow": "on-mail", "type": "item-create", "options": {"collection": "comments", "payload": {"body": "mailed"}}},
            {"id": "b", "flow": "on-upload", "type": "item-create", "options": {"collection": "articles", "payload": {"title": "uploaded"}}},
            {"id": "c", "flow": "m", "type": "mail", "options": {"to": "a@example.com", "subject": "s"}}
        ]
    }));
    let effects = manual_run(&g, "m", json!({}));
    assert!(summary(&effects).contains(&(EffectKind::Create, "comments".into(), KeyScope::Keys(1))), "{effects:?}");
    let import = [Effect::new(EffectKind::Create, "directus_files", KeyScope::Keys(1), "files.import")];
    assert_eq!(
        summary(&g.event_effects(&import, &relations())),
        vec![(EffectKind::Create, "articles".into(), KeyScope::Keys(1))]
    );
}

#[test]
fn a_step_s_query_reaches_the_collections_its_paths_name_and_unknown_parts_of_it_are_unknown() {
    let read = |query: Value, data: Value| {
        manual_run(&one_step("item-read", json!({"collection": "comments", "query": query})), "f", data)
    };
    let effects = read(json!({"fields": ["*", "article.title"]}), json!({}));
    assert!(summary(&effects).contains(&(EffectKind::Read, "articles".into(), KeyScope::Query)), "{effects:?}");
    let effects = read(json!("{{$trigger.body.q}}"), json!({"q": {"fields": ["article.*"]}}));
    assert!(summary(&effects).contains(&(EffectKind::Read, "articles".into(), KeyScope::Query)), "{effects:?}");
    // A compared value from an earlier step reaches nothing more; unknown fields may reach anything.
    let effects = read(json!({"filter": {"id": {"_in": ["{{$last.id}}"]}}}), json!({}));
    assert!(!effects.iter().any(Effect::reaches_any_collection), "{effects:?}");
    let effects = read(json!({"fields": ["{{$last.field}}"]}), json!({}));
    assert!(effects.iter().any(Effect::reaches_any_collection), "{effects:?}");
    let effects = read(json!({"filter": {"_and": "{{$last.f}}"}}), json!({}));
    assert!(effects.iter().any(Effect::reaches_any_collection), "{effects:?}");
    // No query at all, or an empty one: nothing more.
    assert_eq!(read(json!(""), json!({})).len(), 1);
    assert_eq!(read(Value::Null, json!({})).len(), 1);
}

#[test]
fn a_filter_flow_that_answers_with_its_own_value_replaces_the_write_with_something_unknown() {
    let filter = |ret: Value| {
        graph(json!({
            "flows": [{"id": "rewrite", "trigger": "event", "status": "active",
                       "options": {"type": "filter", "scope": ["items.update"], "collections": ["articles"], "return": ret}}],
            "operations": [{"id": "t", "flow": "rewrite", "type": "transform", "options": {"json": "{{$trigger.payload}}"}}]
        }))
    };
    let update = [Effect::new(EffectKind::Update, "articles", KeyScope::Keys(1), "update")];
    assert!(filter(json!("$last")).event_effects(&update, &relations()).iter().any(Effect::reaches_any_collection));
    assert!(filter(json!("$trigger.payload")).event_effects(&update, &relations()).is_empty());
    assert!(filter(Value::Null).event_effects(&update, &relations()).is_empty());
}

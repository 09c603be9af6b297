//! Normalisation tests: every way Directus 12.4's tools can change data, as the issue lists them.

use crate::effects::{classify, ClassifyError, Context, EffectKind, KeyScope, LEGACY_TOOLS};
use crate::flows::FlowGraph;
use crate::message::ToolMode;
use crate::query_paths::ReadLimit;
use crate::relations::{RelationIndex, SchemaFacts};
use serde_json::{json, Value};

/// An instance without flows: no call sets any off.
static NO_FLOWS: FlowGraph = FlowGraph { flows: Vec::new(), operations: Vec::new() };

/// articles ←(O2M comments, deselect delete)– comments; articles –M2M tags via articles_tags (deselect delete);
/// articles –O2M notes (nullify); pages –M2A blocks via pages_blocks.
fn relations() -> RelationIndex {
    let facts: SchemaFacts = serde_json::from_value(json!({
        "primary_keys": {"articles": "id", "comments": "id", "tags": "id", "articles_tags": "id", "notes": "id"},
        "singletons": ["site"],
        "relations": [
            {"collection": "comments", "field": "article", "related_collection": "articles", "one_field": "comments", "one_deselect_action": "delete"},
            {"collection": "articles_tags", "field": "articles_id", "related_collection": "articles", "one_field": "tags", "one_deselect_action": "delete"},
            {"collection": "articles_tags", "field": "tags_id", "related_collection": "tags", "one_field": null},
            {"collection": "notes", "field": "article", "related_collection": "articles", "one_field": "notes", "one_deselect_action": "nullify"},
            {"collection": "site", "field": "featured", "related_collection": "articles", "one_field": null},
            {"collection": "articles", "field": "site", "related_collection": "site", "one_field": "articles", "one_deselect_action": "delete"},
            {"collection": "pages_blocks", "field": "pages_id", "related_collection": "pages", "one_field": "blocks", "one_deselect_action": "delete"},
            {"collection": "pages_blocks", "field": "item", "related_collection": null, "one_collection_field": "collection"},
            {"collection": "text_blocks", "field": "page", "related_collection": null}
        ]
    }))
    .unwrap();
    RelationIndex::new(facts)
}

fn kinds(name: &str, args: Value) -> Vec<(EffectKind, String)> {
    let rel = relations();
    let ctx = Context { relations: &rel, flows: Some(&NO_FLOWS) };
    classify(name, Some(&args), ToolMode::Legacy, &ctx)
        .unwrap()
        .effects
        .into_iter()
        .map(|e| (e.kind, e.collection))
        .collect()
}

fn deletes(name: &str, args: Value) -> Vec<String> {
    kinds(name, args).into_iter().filter(|(k, _)| *k == EffectKind::Delete).map(|(_, c)| c).collect()
}

#[test]
fn plain_reads_and_updates_delete_nothing() {
    assert_eq!(
        kinds("items", json!({"action": "read", "collection": "articles"})),
        vec![(EffectKind::Read, "articles".into())]
    );
    assert!(deletes(
        "items",
        json!({"action": "update", "collection": "articles", "keys": [1], "data": {"title": "x"}})
    )
    .is_empty());
}

#[test]
fn items_delete_is_a_delete_with_its_keys() {
    let rel = relations();
    let ctx = Context { relations: &rel, flows: Some(&NO_FLOWS) };
    let c = classify(
        "items",
        Some(&json!({"action": "delete", "collection": "articles", "keys": [1, 2, 3]})),
        ToolMode::Legacy,
        &ctx,
    )
    .unwrap();
    assert_eq!(c.effects[0].kind, EffectKind::Delete);
    assert_eq!(c.key_count(), Some(3));
    assert!(c.is_mutating());
}

#[test]
fn nested_o2m_delete_is_a_delete() {
    let d = deletes(
        "items",
        json!({"action": "update", "collection": "articles", "keys": [1], "data": {"comments": {"delete": [7]}}}),
    );
    assert_eq!(d, vec!["comments".to_string()]);
}

#[test]
fn nested_delete_on_a_nullify_relation_only_unlinks() {
    let k = kinds(
        "items",
        json!({"action": "update", "collection": "articles", "keys": [1], "data": {"notes": {"delete": [7]}}}),
    );
    assert!(k.contains(&(EffectKind::Update, "notes".into())));
    assert!(!k.iter().any(|(kind, _)| *kind == EffectKind::Delete));
}

#[test]
fn replace_arrays_delete_on_existing_rows_only() {
    let update = json!({"action": "update", "collection": "articles", "keys": [1], "data": {"comments": [{"id": 5}]}});
    assert_eq!(deletes("items", update), vec!["comments".to_string()]);
    let create =
        json!({"action": "create", "collection": "articles", "data": {"title": "n", "comments": [{"text": "hi"}]}});
    assert!(deletes("items", create).is_empty());
}

#[test]
fn m2m_replace_deletes_junction_rows() {
    let d = deletes(
        "items",
        json!({"action": "update", "collection": "articles", "keys": [1], "data": {"tags": [{"tags_id": 2}]}}),
    );
    assert_eq!(d, vec!["articles_tags".to_string()]);
}

#[test]
fn stringified_data_is_read_like_directus_reads_it() {
    let d = deletes(
        "items",
        json!({"action": "update", "collection": "articles", "keys": "[1]", "data": "{\"comments\":{\"delete\":[7]}}"}),
    );
    assert_eq!(d, vec!["comments".to_string()]);
}

#[test]
fn batch_updates_are_followed_row_by_row() {
    let d = deletes(
        "items",
        json!({"action": "update", "collection": "articles", "data": [{"id": 1, "title": "a"}, {"id": 2, "comments": {"delete": [3]}}]}),
    );
    assert_eq!(d, vec!["comments".to_string()]);
}

#[test]
fn deletes_hide_at_any_depth() {
    // A comment created inline points to an existing article (M2O with a key) whose tags are replaced.
    let d = deletes(
        "items",
        json!({"action": "create", "collection": "comments", "data": {"text": "x", "article": {"id": 4, "tags": []}}}),
    );
    assert_eq!(d, vec!["articles_tags".to_string()]);
}

#[test]
fn m2a_rows_follow_their_collection_field() {
    let rel_args = json!({"action": "update", "collection": "pages", "keys": [1], "data": {"blocks": {"create": [{"collection": "articles", "item": {"id": 9, "comments": {"delete": [1]}}}]}}});
    assert_eq!(deletes("items", rel_args), vec!["comments".to_string()]);
}

#[test]
fn singleton_create_is_an_upsert_of_the_existing_row() {
    let d = deletes("items", json!({"action": "create", "collection": "site", "data": {"articles": []}}));
    assert_eq!(d, vec!["articles".to_string()]);
}

#[test]
fn registry_execute_is_judged_by_its_inner_tool() {
    let rel = relations();
    let ctx = Context { relations: &rel, flows: Some(&NO_FLOWS) };
    let c = classify(
        "execute",
        Some(&json!({"name": "items", "input": {"action": "delete", "collection": "articles", "keys": [1]}})),
        ToolMode::Registry,
        &ctx,
    )
    .unwrap();
    assert_eq!(c.inner_tool.as_deref(), Some("items"));
    assert_eq!(c.effects[0].kind, EffectKind::Delete);
    assert!(classify("search", Some(&json!({"query": "x"})), ToolMode::Registry, &ctx).unwrap().effects.is_empty());
    assert!(matches!(
        classify("items", Some(&json!({})), ToolMode::Registry, &ctx),
        Err(ClassifyError::UnknownTool { .. })
    ));
}

#[test]
fn bad_arguments_are_errors_not_guesses() {
    let rel = relations();
    let ctx = Context { relations: &rel, flows: Some(&NO_FLOWS) };
    let err = |name: &str, args: Option<Value>| classify(name, args.as_ref(), ToolMode::Legacy, &ctx).unwrap_err();
    assert_eq!(err("items", Some(json!([1]))), ClassifyError::ArgumentsNotObject("an array"));
    assert_eq!(err("items", None), ClassifyError::ArgumentsNotObject("nothing"));
    assert!(matches!(
        err("items", Some(json!({"action": "drop", "collection": "a"}))),
        ClassifyError::InvalidArgument { .. }
    ));
    assert!(matches!(
        err("items", Some(json!({"action": "update", "collection": "a", "data": "{not json"}))),
        ClassifyError::InvalidArgument { .. }
    ));
    assert!(matches!(err("nope", Some(json!({}))), ClassifyError::UnknownTool { .. }));
}

fn flow_graph() -> FlowGraph {
    serde_json::from_value(json!({
        "flows": [{"id": "cleanup"}, {"id": "notify"}],
        "operations": [
            {"id": "op1", "flow": "cleanup", "type": "item-delete", "options": {"collection": "articles", "permissions": "$full", "query": {"filter": {"id": {"_gt": 0}}}}},
            {"id": "op2", "flow": "notify", "type": "log", "options": {}}
        ]
    }))
    .unwrap()
}

#[test]
fn trigger_flow_asks_for_the_flow_graph_then_judges_the_chain() {
    let rel = relations();
    let args = json!({"id": "cleanup", "collection": "articles"});
    let without = Context { relations: &rel, flows: None };
    assert_eq!(classify("trigger-flow", Some(&args), ToolMode::Legacy, &without), Err(ClassifyError::NeedsFlows));
    let graph = flow_graph();
    let with = Context { relations: &rel, flows: Some(&graph) };
    let c = classify("trigger-flow", Some(&args), ToolMode::Legacy, &with).unwrap();
    assert!(c.effects.iter().any(|e| e.kind == EffectKind::Delete && e.collection == "articles"));
    let quiet =
        classify("trigger-flow", Some(&json!({"id": "notify", "collection": "articles"})), ToolMode::Legacy, &with)
            .unwrap();
    assert!(!quiet.effects.iter().any(|e| e.kind == EffectKind::Delete));
}

#[test]
fn writing_a_flow_with_item_delete_is_a_delete() {
    let d = deletes(
        "flows",
        json!({"action": "create", "data": {"name": "x", "operations": [{"type": "item-delete", "options": {"collection": "articles", "key": 1}}]}}),
    );
    assert_eq!(d, vec!["articles".to_string()]);
    let d = deletes(
        "operations",
        json!({"action": "create", "data": {"type": "item-delete", "flow": "f", "options": {"collection": "comments", "key": "1,2"}}}),
    );
    assert_eq!(d, vec!["comments".to_string()]);
}

#[test]
fn schema_tools_name_the_collections_they_change() {
    let k = kinds(
        "relations",
        json!({"action": "create", "data": {"collection": "comments", "field": "x", "related_collection": "secret"}}),
    );
    assert!(
        k.contains(&(EffectKind::SchemaChange, "secret".into()))
            && k.contains(&(EffectKind::SchemaChange, "comments".into()))
    );
    assert_eq!(deletes("collections", json!({"action": "delete", "keys": ["articles"]})), vec!["articles".to_string()]);
    assert_eq!(
        deletes("fields", json!({"action": "delete", "collection": "articles", "field": "title"})),
        vec!["articles".to_string()]
    );
}

#[test]
fn key_scopes_are_counted() {
    let rel = relations();
    let ctx = Context { relations: &rel, flows: Some(&NO_FLOWS) };
    let by_query = classify(
        "items",
        Some(&json!({"action": "update", "collection": "articles", "data": {"t": 1}})),
        ToolMode::Legacy,
        &ctx,
    )
    .unwrap();
    assert_eq!(by_query.effects[0].keys, KeyScope::Query);
    assert_eq!(by_query.key_count(), None);
}

mod properties {
    use super::*;
    use crate::audit::Caller;
    use crate::policy::{decide, Decision, Facts, Subject};
    use crate::settings::tests::settings;
    use crate::settings::Settings;
    use proptest::prelude::*;

    fn judge(call: &crate::effects::Classified, settings: &Settings, graph: Option<&FlowGraph>) -> Decision {
        let caller = Caller { user: Some("u1".into()), role: Some("r1".into()), ..Caller::default() };
        let guard = ["mcp_guard_log".to_string()];
        let facts = Facts {
            subject: Subject { caller: &caller, local_time: None },
            guard_collections: &guard,
            flows: graph,
            file: None,
            argument_secrets: &[],
        };
        decide(call, settings, &facts).decision
    }

    fn flow_graph() -> FlowGraph {
        serde_json::from_value(json!({
            "flows": [{"id": "f-read"}, {"id": "f-delete"}, {"id": "f-script"}],
            "operations": [
                {"id": "o1", "flow": "f-read", "type": "item-read", "options": {"collection": "articles"}},
                {"id": "o2", "flow": "f-delete", "type": "item-delete", "options": {"collection": "articles", "key": [1]}},
                {"id": "o3", "flow": "f-script", "type": "exec", "options": {}}
            ]
        }))
        .unwrap_or_default()
    }

    /// Arguments of every shape the tools take, valid or not.
    fn arguments() -> impl Strategy<Value = Value> {
        let action = prop::sample::select(vec!["create", "read", "update", "delete", "import"]);
        let collection = prop::sample::select(vec!["articles", "comments", "directus_users", "site", "nope"]);
        let data = prop_oneof![
            level().prop_map(|l| to_json(&l, false)),
            level().prop_map(|l| json!([to_json(&l, true), {"id": 2, "title": "b"}])),
            Just(json!({"name": "f", "operations": [{"type": "item-update", "options": {"collection": "articles"}}]})),
            Just(json!({"collection": "c", "meta": {"accountability": null}})),
            Just(json!([{"url": "https://example.com/a.png"}])),
            Just(json!("{\"title\": \"stringified\"}")),
        ];
        (action, collection, prop::option::of(data), prop::option::of(prop::collection::vec(1u32..50, 0..4)), any::<bool>())
            .prop_map(|(action, collection, data, keys, with_query)| {
                let mut args = json!({"action": action, "collection": collection, "key": "o1", "id": "f-delete", "field": "title"});
                if let Some(d) = data {
                    args["data"] = d;
                }
                if let Some(k) = keys {
                    args["keys"] = json!(k);
                }
                if with_query {
                    args["query"] = json!({"fields": ["*.*"], "limit": 10});
                }
                args
            })
    }

    /// One field change on an article, from the fixture's relations.
    #[derive(Debug, Clone, Copy)]
    enum Leaf {
        Title,
        /// `notes` only unlinks (nullify): never a delete.
        UnlinkNote,
        DeleteComment,
        ReplaceComments,
        ClearTags,
    }

    /// An article payload: one change, and maybe an article nested below it (through an inline comment or note
    /// that points back to an article), which is an existing row when it carries its key.
    #[derive(Debug, Clone)]
    struct Level {
        leaf: Leaf,
        child: Option<(Box<Level>, bool)>,
    }

    fn leaf_json(leaf: Leaf) -> (&'static str, Value) {
        match leaf {
            Leaf::Title => ("title", json!("t")),
            Leaf::UnlinkNote => ("notes", json!({"delete": [1]})),
            Leaf::DeleteComment => ("comments", json!({"delete": [1]})),
            Leaf::ReplaceComments => ("comments", json!([{"id": 1}])),
            Leaf::ClearTags => ("tags", json!([])),
        }
    }

    fn to_json(level: &Level, existing: bool) -> Value {
        let (key, value) = leaf_json(level.leaf);
        let mut row = serde_json::Map::new();
        row.insert(key.into(), value);
        if existing {
            row.insert("id".into(), json!(9));
        }
        if let Some((child, child_existing)) = &level.child {
            let carrier = if key == "comments" { "notes" } else { "comments" };
            row.insert(carrier.into(), json!({"create": [{"body": "c", "article": to_json(child, *child_existing)}]}));
        }
        Value::Object(row)
    }

    /// The model: which payloads delete, written independently of the classifier.
    fn deletes(level: &Level, existing: bool) -> bool {
        let own = match level.leaf {
            Leaf::Title | Leaf::UnlinkNote => false,
            Leaf::DeleteComment => true,
            Leaf::ReplaceComments | Leaf::ClearTags => existing,
        };
        own || level.child.as_ref().is_some_and(|(c, e)| deletes(c, *e))
    }

    fn level() -> impl Strategy<Value = Level> {
        let leaf = prop_oneof![
            Just(Leaf::Title),
            Just(Leaf::UnlinkNote),
            Just(Leaf::DeleteComment),
            Just(Leaf::ReplaceComments),
            Just(Leaf::ClearTags)
        ];
        leaf.clone().prop_map(|leaf| Level { leaf, child: None }).prop_recursive(6, 8, 1, move |inner| {
            (leaf.clone(), inner, any::<bool>())
                .prop_map(|(leaf, child, existing)| Level { leaf, child: Some((Box::new(child), existing)) })
        })
    }

    proptest! {
        #[test]
        fn with_deletes_off_a_payload_is_denied_exactly_when_it_deletes(payload in level()) {
            let rel = relations();
            let ctx = Context { relations: &rel, flows: Some(&NO_FLOWS) };
            let args = json!({"action": "update", "collection": "articles", "keys": [1], "data": to_json(&payload, false)});
            let call = classify("items", Some(&args), ToolMode::Legacy, &ctx).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let decision = judge(&call, &settings(json!({})), None);
            // The top-level row of an update exists.
            let expected = if deletes(&payload, true) { Decision::Denied } else { Decision::Allowed };
            prop_assert_eq!(decision, expected, "{}", args);
        }

        #[test]
        fn analysis_mode_never_allows_a_call_that_writes_deletes_changes_schema_or_runs_a_flow(
            tool in prop::sample::select(LEGACY_TOOLS.to_vec()),
            args in arguments(),
            registry in any::<bool>(),
        ) {
            let rel = relations();
            let graph = flow_graph();
            let ctx = Context { relations: &rel, flows: Some(&NO_FLOWS) };
            let (name, mode, sent) = if registry {
                ("execute", ToolMode::Registry, json!({"name": tool, "input": args}))
            } else {
                (tool, ToolMode::Legacy, args)
            };
            // Calls the guard cannot classify are refused anyway; only classified calls can be allowed.
            if let Ok(call) = classify(name, Some(&sent), mode, &ctx) {
                let analysis = settings(json!({"mcp_guard_default_mode": "analysis", "mcp_allow_deletes": true, "mcp_guard_allowed_hosts": ["example.com"]}));
                let writes = call.effects.iter().any(|e| e.kind != EffectKind::Read);
                if judge(&call, &analysis, Some(&graph)) == Decision::Allowed {
                    prop_assert!(!writes, "analysis allowed {} with {:?}", sent, call.effects);
                }
            }
        }

        #[test]
        fn arbitrary_arguments_never_panic(text in "\\PC{0,200}", name in prop::sample::select(vec!["items", "files", "flows", "operations", "collections", "fields", "relations", "trigger-flow", "execute", "schema"])) {
            let rel = relations();
            let ctx = Context { relations: &rel, flows: Some(&NO_FLOWS) };
            let args: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            let _ = classify(name, Some(&args), ToolMode::Legacy, &ctx);
            let _ = classify(name, Some(&args), ToolMode::Registry, &ctx);
        }
    }

    /// A payload for an article row, to count: comments (one-to-many, deselect delete) created, updated and
    /// deleted, each comment maybe carrying a new article (many-to-one) with its own payload.
    #[derive(Debug, Clone)]
    struct Payload {
        create: Vec<Comment>,
        update: Vec<Comment>,
        delete: usize,
        /// Notes unlinked (one-to-many, nullify): updates.
        unlink_notes: usize,
    }

    #[derive(Debug, Clone)]
    struct Comment {
        article: Option<Box<Payload>>,
    }

    fn payload() -> impl Strategy<Value = Payload> {
        let leaf = (0usize..4, 0usize..3).prop_map(|(delete, unlink_notes)| Payload {
            create: vec![],
            update: vec![],
            delete,
            unlink_notes,
        });
        leaf.prop_recursive(4, 40, 6, |inner| {
            let comment = prop::option::of(inner).prop_map(|article| Comment { article: article.map(Box::new) });
            (prop::collection::vec(comment.clone(), 0..5), prop::collection::vec(comment, 0..4), 0usize..4, 0usize..3)
                .prop_map(|(create, update, delete, unlink_notes)| Payload { create, update, delete, unlink_notes })
        })
    }

    fn payload_json(p: &Payload, next_id: &mut u64) -> Value {
        let comment_json = |c: &Comment, id: Option<u64>, next_id: &mut u64| {
            let mut row = json!({"body": "b"});
            if let Some(id) = id {
                row["id"] = json!(id);
            }
            if let Some(a) = &c.article {
                row["article"] = payload_json(a, next_id);
            }
            row
        };
        let create: Vec<Value> = p.create.iter().map(|c| comment_json(c, None, next_id)).collect();
        let update: Vec<Value> = p
            .update
            .iter()
            .map(|c| {
                *next_id += 1;
                let id = *next_id;
                comment_json(c, Some(id), next_id)
            })
            .collect();
        let delete: Vec<u64> = (0..p.delete as u64).map(|i| 1000 + i).collect();
        let notes: Vec<u64> = (0..p.unlink_notes as u64).map(|i| 2000 + i).collect();
        json!({"title": "t", "comments": {"create": create, "update": update, "delete": delete}, "notes": {"delete": notes}})
    }

    /// The reference count, written from Directus's payload handling rather than from the classifier: rows
    /// created, and rows updated or deleted, when the payload is applied to `parents` existing rows.
    fn reference_count(p: &Payload, parents: u64) -> (u64, u64) {
        let (mut created, mut changed) = (0, 0);
        for (c, is_update) in p.create.iter().map(|c| (c, false)).chain(p.update.iter().map(|c| (c, true))) {
            if is_update {
                changed += parents;
            } else {
                created += parents;
            }
            // The comment's new article is created once per comment, with everything below it.
            if let Some(a) = &c.article {
                let (cr, ch) = reference_count(a, 1);
                created += parents * (1 + cr);
                changed += parents * ch;
            }
        }
        changed += parents * (p.delete + p.unlink_notes) as u64;
        (created, changed)
    }

    proptest! {
        #[test]
        fn caps_count_every_row_of_a_nested_payload(p in payload(), parents in 1u64..4) {
            let rel = relations();
            let ctx = Context { relations: &rel, flows: Some(&NO_FLOWS) };
            let keys: Vec<u64> = (1..=parents).collect();
            let args = json!({"action": "update", "collection": "articles", "keys": keys, "data": payload_json(&p, &mut 0)});
            let call = classify("items", Some(&args), ToolMode::Legacy, &ctx).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let (created, nested_changed) = reference_count(&p, parents);
            // The update itself changes each of its keys.
            let changed = nested_changed + parents;
            let at = |keys: u64, batch: u64| settings(json!({"mcp_allow_deletes": true, "mcp_guard_max_keys": keys, "mcp_guard_max_batch": batch}));
            prop_assert_eq!(judge(&call, &at(changed, created.max(1)), None), Decision::Allowed, "{}", args);
            prop_assert_eq!(judge(&call, &at(changed - 1, created.max(1)), None), Decision::Denied, "{}", args);
            if created > 1 {
                prop_assert_eq!(judge(&call, &at(changed, created - 1), None), Decision::Denied, "{}", args);
            }
        }
    }
}

#[test]
fn every_value_directus_reads_as_a_replace_is_judged_as_one() {
    // Directus treats any falsy one-to-many value as an empty replace array: every related row is deselected.
    for falsy in [json!(null), json!(false), json!(0), json!(""), json!([])] {
        let args =
            json!({"action": "update", "collection": "articles", "keys": [1], "data": {"comments": falsy.clone()}});
        assert_eq!(deletes("items", args), vec!["comments".to_string()], "{falsy}");
    }
    // A new row has nothing to deselect, and other scalars fail Directus's validation.
    for harmless in [json!(true), json!(5), json!("x")] {
        let args =
            json!({"action": "update", "collection": "articles", "keys": [1], "data": {"comments": harmless.clone()}});
        assert!(deletes("items", args).is_empty(), "{harmless}");
    }
    assert!(
        deletes("items", json!({"action": "create", "collection": "articles", "data": {"comments": null}})).is_empty()
    );
}

#[test]
fn one_to_many_changes_happen_once_per_key_and_many_to_one_changes_once() {
    let rel = relations();
    let ctx = Context { relations: &rel, flows: Some(&NO_FLOWS) };
    let args =
        json!({"action": "update", "collection": "comments", "keys": [1, 2, 3], "data": {"article": {"title": "new"}}});
    let call = classify("items", Some(&args), ToolMode::Legacy, &ctx).unwrap();
    assert_eq!(call.effects[1].keys, KeyScope::Keys(1), "{:?}", call.effects);
    let args = json!({"action": "update", "collection": "articles", "keys": [1, 2, 3], "data": {"comments": {"create": [{"body": "a"}, {"body": "b"}]}}});
    let call = classify("items", Some(&args), ToolMode::Legacy, &ctx).unwrap();
    let created: Vec<KeyScope> = call.effects.iter().filter(|e| e.kind == EffectKind::Create).map(|e| e.keys).collect();
    assert_eq!(created, vec![KeyScope::Keys(3), KeyScope::Keys(3)]);
}

#[test]
fn a_read_by_keys_without_a_limit_reads_one_row_per_key() {
    let rel = relations();
    let ctx = Context { relations: &rel, flows: Some(&NO_FLOWS) };
    let limit = |args: Value| classify("items", Some(&args), ToolMode::Legacy, &ctx).unwrap().read_limit;
    let keys: Vec<u32> = (1..=5000).collect();
    assert_eq!(limit(json!({"action": "read", "collection": "articles", "keys": keys})), Some(ReadLimit::Rows(5000)));
    assert_eq!(
        limit(json!({"action": "read", "collection": "articles", "keys": keys, "query": {"limit": 0}})),
        Some(ReadLimit::Rows(5000))
    );
    assert_eq!(
        limit(json!({"action": "read", "collection": "articles", "keys": keys, "query": {"limit": 10}})),
        Some(ReadLimit::Rows(10))
    );
    assert_eq!(limit(json!({"action": "read", "collection": "articles"})), None);
}

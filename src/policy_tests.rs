use super::*;
use crate::network::LocalTime;
use crate::query_paths::ReadLimit;
use crate::settings::tests::settings;
use serde_json::json;

fn call(tool: &str, effects: Vec<Effect>) -> Classified {
    Classified {
        tool: tool.into(),
        inner_tool: None,
        action: Some("update".into()),
        effects,
        batch: None,
        read_limit: None,
    }
}

fn items(effects: Vec<Effect>) -> Classified {
    call("items", effects)
}

fn effect(kind: EffectKind, collection: &str) -> Effect {
    Effect::new(kind, collection, KeyScope::Keys(1), "test")
}

fn caller<'a>(user: &'a str, role: &'a str) -> Caller<'a> {
    Caller { user: Some(user.into()), role: Some(role.into()), ip: Some("10.1.2.3".into()), ..Caller::default() }
}

fn log() -> Vec<String> {
    vec!["mcp_guard_log".to_string()]
}

fn judge_as(c: &Classified, s: &Settings, who: &Caller, at: Option<LocalTime>) -> Verdict {
    let guard = log();
    let facts = Facts {
        subject: Subject { caller: who, local_time: at },
        guard_collections: &guard,
        flows: None,
        file: None,
        argument_secrets: &[],
    };
    decide(c, s, &facts)
}

fn judge(c: &Classified, s: &Settings) -> Verdict {
    judge_as(c, s, &caller("u1", "r1"), None)
}

#[test]
fn any_delete_effect_is_denied_while_deletes_are_off() {
    let v = judge(
        &items(vec![effect(EffectKind::Update, "a"), effect(EffectKind::Delete, "comments")]),
        &settings(json!({})),
    );
    assert_eq!(v.rule, Rule::DeletesDisabled);
    assert!(v.reason.contains("1 row of comments"), "{}", v.reason);
    assert!(v.remedy().contains("Allow Deletes"));
}

#[test]
fn what_cannot_be_known_is_the_worst_case_whatever_the_settings() {
    // An unknown effect, or a write to a collection that cannot be named, could reach the guard's own
    // log and settings: refused with deletes on, and with the guard switched off.
    let unknown = items(vec![Effect::unknown("a custom operation".into())]);
    let unnamed_write = items(vec![effect(EffectKind::Update, "*")]);
    let unnamed_read = items(vec![effect(EffectKind::Read, "*")]);
    for s in [json!({}), json!({"mcp_allow_deletes": true}), json!({"mcp_guard_enabled": false})] {
        for call in [&unknown, &unnamed_write, &unnamed_read] {
            let v = judge(call, &settings(s.clone()));
            assert_eq!(v.rule, Rule::UnknownEffect, "{s} {call:?}");
            assert!(v.reason.contains("the guard's own included"), "{}", v.reason);
        }
    }
    // A request or a script names no collection: it is judged by its own rules, not as unknown.
    let request = items(vec![Effect::new(EffectKind::HttpRequest, "*", KeyScope::Unknown, "r")
        .with_target(Some("https://api.example.com/x".into()))]);
    let v = judge(&request, &settings(json!({"mcp_guard_allowed_hosts": ["api.example.com"]})));
    assert!(!v.is_denied(), "{v:?}");
}

#[test]
fn per_collection_deletes_refine_allow_deletes() {
    let drafts_only = settings(
        json!({"mcp_allow_deletes": true, "mcp_guard_collection_deletes": [{"collection": "drafts", "deletes": "allow"}]}),
    );
    assert!(!judge(&items(vec![effect(EffectKind::Delete, "drafts")]), &drafts_only).is_denied());
    let v = judge(&items(vec![effect(EffectKind::Delete, "articles")]), &drafts_only);
    assert_eq!(v.rule, Rule::DeletesDisabledForCollection);
    assert!(v.reason.contains("allowed only in drafts"), "{}", v.reason);
    let not_articles = settings(
        json!({"mcp_allow_deletes": true, "mcp_guard_collection_deletes": [{"collection": "articles", "deletes": "deny"}]}),
    );
    assert_eq!(
        judge(&items(vec![effect(EffectKind::Delete, "articles")]), &not_articles).rule,
        Rule::DeletesDisabledForCollection
    );
    assert!(!judge(&items(vec![effect(EffectKind::Delete, "drafts")]), &not_articles).is_denied());
    // Allow Deletes off wins: Directus refuses delete actions itself then.
    let off = settings(json!({"mcp_guard_collection_deletes": [{"collection": "drafts", "deletes": "allow"}]}));
    assert_eq!(judge(&items(vec![effect(EffectKind::Delete, "drafts")]), &off).rule, Rule::DeletesDisabled);
}

#[test]
fn the_guard_collection_and_settings_are_protected_even_when_the_guard_is_off() {
    let off = settings(json!({"mcp_guard_enabled": false, "mcp_allow_deletes": true}));
    let v = judge(&items(vec![effect(EffectKind::Read, "mcp_guard_log")]), &off);
    assert_eq!(v.rule.id(), "self-protection.guard-collection");
    let v = judge(&call("flows", vec![effect(EffectKind::Update, "directus_settings")]), &off);
    assert_eq!(v.rule.id(), "self-protection.guard-settings");
    let v = judge(&call("fields", vec![effect(EffectKind::SchemaChange, "directus_settings")]), &off);
    assert_eq!(v.rule.id(), "self-protection.guard-settings");
}

#[test]
fn switched_off_guard_allows_deletes() {
    let off = settings(json!({"mcp_guard_enabled": false}));
    assert_eq!(judge(&items(vec![effect(EffectKind::Delete, "a")]), &off).rule, Rule::GuardDisabled);
}

#[test]
fn admin_tokens_are_refused_by_default_and_allowed_when_enabled() {
    let admin = Caller { admin: true, ..caller("root", "admin-role") };
    let read = items(vec![effect(EffectKind::Read, "articles")]);
    let v = judge_as(&read, &settings(json!({})), &admin, None);
    assert_eq!(v.rule.id(), "access.admin-token");
    assert!(v.remedy().contains("static token"), "{}", v.remedy());
    assert!(!judge_as(&read, &settings(json!({"mcp_guard_allow_admin": true})), &admin, None).is_denied());
}

#[test]
fn dedicated_roles_limit_who_may_use_mcp() {
    let s = settings(json!({"mcp_guard_mcp_roles": ["AI Writers"]}));
    let read = items(vec![effect(EffectKind::Read, "articles")]);
    assert_eq!(judge_as(&read, &s, &caller("u1", "editors"), None).rule, Rule::NotDedicatedRole);
    assert!(!judge_as(&read, &s, &caller("u1", "role-ai"), None).is_denied());
}

#[test]
fn the_user_mode_wins_over_the_role_mode_which_wins_over_the_default() {
    let s = settings(json!({
        "mcp_guard_default_mode": "off",
        "mcp_guard_role_modes": [{"role": "AI Writers", "mode": "analysis"}],
        "mcp_guard_user_modes": [{"user": "bot@example.com", "mode": "developer"}],
    }));
    assert_eq!(mode_of(&caller("someone", "other"), &s), Mode::Off);
    assert_eq!(mode_of(&caller("someone", "role-ai"), &s), Mode::Analysis);
    assert_eq!(mode_of(&caller("user-bot", "role-ai"), &s), Mode::Developer);
    let read = items(vec![effect(EffectKind::Read, "articles")]);
    assert_eq!(judge_as(&read, &s, &caller("someone", "other"), None).rule.id(), "access.mode-off");
}

#[test]
fn analysis_reads_content_writes_content_and_developer_changes_schema() {
    let modes = |m: &str| settings(json!({"mcp_guard_default_mode": m}));
    let update = items(vec![effect(EffectKind::Update, "articles")]);
    let schema = call("fields", vec![effect(EffectKind::SchemaChange, "articles")]);
    let flow_write = call("flows", vec![effect(EffectKind::Create, "directus_flows")]);
    let file_write = call("files", vec![effect(EffectKind::Update, "directus_files")]);
    let chain_into_users = call(
        "trigger-flow",
        vec![effect(EffectKind::FlowRun, "directus_flows"), effect(EffectKind::Update, "directus_users")],
    );

    assert_eq!(judge(&update, &modes("analysis")).rule, Rule::ModeReadOnly);
    assert_eq!(judge(&file_write, &modes("analysis")).rule, Rule::ModeReadOnly);
    assert!(!judge(&update, &modes("content")).is_denied());
    assert!(!judge(&file_write, &modes("content")).is_denied());
    assert_eq!(judge(&schema, &modes("content")).rule, Rule::ModeNeedsDeveloper);
    assert_eq!(judge(&flow_write, &modes("content")).rule, Rule::ModeNeedsDeveloper);
    assert_eq!(judge(&chain_into_users, &modes("content")).rule, Rule::ModeNeedsDeveloper);
    for c in [&update, &schema, &flow_write, &file_write, &chain_into_users] {
        assert!(!judge(c, &modes("developer")).is_denied(), "{c:?}");
    }
    assert!(hidden_tools(Mode::Analysis).contains(&"trigger-flow") && hidden_tools(Mode::Analysis).contains(&"flows"));
    assert_eq!(judge(&flow_write, &modes("analysis")).rule, Rule::ModeNeedsDeveloper);
    assert!(hidden_tools(Mode::Content).contains(&"collections"));
    assert!(hidden_tools(Mode::Developer).is_empty());
}

#[test]
fn collection_lists_apply_to_every_effect_reads_included() {
    let deny = settings(json!({"mcp_guard_collections_deny": ["drafts"]}));
    let reach = items(vec![
        effect(EffectKind::Read, "articles"),
        Effect::new(EffectKind::Read, "drafts", KeyScope::Query, "query.fields: draft.title"),
    ]);
    let v = judge(&reach, &deny);
    assert_eq!(v.rule.id(), "collections.denied");
    assert!(v.reason.contains("query.fields: draft.title"), "{}", v.reason);
    let allow = settings(json!({"mcp_guard_collections_allow": ["articles"]}));
    assert_eq!(judge(&reach, &allow).rule.id(), "collections.not-allowed");
    assert!(!judge(&items(vec![effect(EffectKind::Read, "articles")]), &allow).is_denied());
}

#[test]
fn switching_off_accountability_is_refused_even_for_developers() {
    let s = settings(json!({"mcp_guard_default_mode": "developer"}));
    let c = call(
        "collections",
        vec![effect(EffectKind::SchemaChange, "articles"), effect(EffectKind::AuditOff, "articles")],
    );
    assert_eq!(judge(&c, &s).rule.id(), "audit-evasion.accountability-off");
}

#[test]
fn outbound_hosts_scripts_and_triggered_flows_need_allowlists() {
    let request = |url: Option<&str>| {
        call(
            "files",
            vec![Effect::new(EffectKind::HttpRequest, "*", KeyScope::Unknown, "files.import data[0].url")
                .with_target(url.map(String::from))],
        )
    };
    let none = settings(json!({}));
    assert_eq!(
        judge(&request(Some("https://evil.example/?d=secret")), &none).rule.id(),
        "exfiltration.host-not-allowed"
    );
    assert_eq!(judge(&request(None), &none).rule, Rule::HostNotAllowed);
    let hosts = settings(json!({"mcp_guard_allowed_hosts": ["*.example.com"]}));
    assert!(!judge(&request(Some("https://cdn.example.com/a.png")), &hosts).is_denied());
    assert_eq!(judge(&request(Some("https://example.com.evil.net/")), &hosts).rule, Rule::HostNotAllowed);

    let developer = |extra: serde_json::Value| {
        let mut v = json!({"mcp_guard_default_mode": "developer"});
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        settings(v)
    };
    let script = |flow: Option<&str>| {
        call(
            "flows",
            vec![Effect::new(EffectKind::Script, "*", KeyScope::Unknown, "exec").with_target(flow.map(String::from))],
        )
    };
    assert_eq!(judge(&script(Some("f1")), &developer(json!({}))).rule.id(), "exfiltration.script");
    assert_eq!(judge(&script(None), &developer(json!({"mcp_guard_exec_flows": ["f1"]}))).rule, Rule::ScriptNotAllowed);
    assert!(!judge(&script(Some("f1")), &developer(json!({"mcp_guard_exec_flows": ["f1"]}))).is_denied());

    let run = |flow: &str| {
        call(
            "trigger-flow",
            vec![Effect::new(EffectKind::FlowRun, "directus_flows", KeyScope::Keys(1), format!("flow {flow}"))
                .with_target(Some(flow.into()))],
        )
    };
    assert!(!judge(&run("f9"), &none).is_denied());
    let listed = settings(json!({"mcp_guard_trigger_flows": ["f1"]}));
    assert_eq!(judge(&run("f9"), &listed).rule.id(), "exfiltration.flow-not-allowed");
    assert!(!judge(&run("f1"), &listed).is_denied());
}

#[test]
fn caps_name_the_cap_and_the_asked_size() {
    let s = settings(json!({"mcp_guard_max_keys": 5, "mcp_guard_max_batch": 3, "mcp_guard_max_read_limit": 50}));
    let keys = items(vec![Effect::new(EffectKind::Update, "articles", KeyScope::Keys(6), "update")]);
    let v = judge(&keys, &s);
    assert_eq!(v.rule.id(), "caps.keys");
    assert!(v.reason.contains("6 items") && v.reason.contains("limit of 5"), "{}", v.reason);

    let by_query = items(vec![Effect::new(EffectKind::Update, "articles", KeyScope::Query, "update")]);
    assert_eq!(judge(&by_query, &s).rule.id(), "caps.update-by-query");
    assert!(!judge(&by_query, &settings(json!({"mcp_guard_allow_update_by_query": true}))).is_denied());

    let mut batch = items(vec![Effect::new(EffectKind::Create, "articles", KeyScope::Keys(4), "create")]);
    batch.batch = Some(4);
    let v = judge(&batch, &s);
    assert_eq!(v.rule.id(), "caps.batch");
    assert!(v.reason.contains("4 items") && v.reason.contains("3"), "{}", v.reason);

    let mut read = items(vec![effect(EffectKind::Read, "articles")]);
    read.read_limit = Some(ReadLimit::All);
    assert!(judge(&read, &s).reason.contains("limit -1"));
    read.read_limit = Some(ReadLimit::Rows(51));
    let v = judge(&read, &s);
    assert!(v.rule.id() == "caps.read-limit" && v.reason.contains("51") && v.reason.contains("50"), "{}", v.reason);
    read.read_limit = Some(ReadLimit::Rows(50));
    assert!(!judge(&read, &s).is_denied());
}

#[test]
fn ip_allowlist_and_working_hours_gate_every_call() {
    let read = items(vec![effect(EffectKind::Read, "articles")]);
    let ips = settings(json!({"mcp_guard_ip_allowlist": ["192.0.2.0/24"]}));
    assert_eq!(judge(&read, &ips).rule.id(), "access.ip-not-allowed");
    let inside = Caller { ip: Some("192.0.2.44".into()), ..caller("u1", "r1") };
    assert!(!judge_as(&read, &ips, &inside, None).is_denied());

    let hours = json!({"mcp_guard_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}], "mcp_guard_time_zone": "Europe/Berlin"});
    let s = settings(hours.clone());
    let who = caller("u1", "r1");
    let wednesday_ten = LocalTime { weekday: 2, minute: 600 };
    let saturday_ten = LocalTime { weekday: 5, minute: 600 };
    assert!(!judge_as(&read, &s, &who, Some(wednesday_ten)).is_denied());
    let v = judge_as(&read, &s, &who, Some(saturday_ten));
    assert_eq!(v.rule.id(), "access.outside-hours");
    assert!(v.reason.contains("sat 10:00 in Europe/Berlin"), "{}", v.reason);
    // Without a clock reading, the guard cannot tell, so it refuses.
    assert_eq!(judge_as(&read, &s, &who, None).rule, Rule::OutsideHours);

    let mut flagged = hours;
    flagged["mcp_guard_outside_hours"] = json!("flag");
    let v = judge_as(&read, &settings(flagged.clone()), &who, Some(saturday_ten));
    assert_eq!((v.decision, v.rule.id()), (Decision::Allowed, "allow.outside-hours"));
    // A flag never overrides a denial.
    let delete = items(vec![effect(EffectKind::Delete, "articles")]);
    assert_eq!(judge_as(&delete, &settings(flagged), &who, Some(saturday_ten)).rule, Rule::DeletesDisabled);
}

#[test]
fn email_goes_only_to_allowed_recipients_and_unknown_or_unreadable_recipients_are_refused() {
    let mail = |to: Option<&str>| {
        call(
            "trigger-flow",
            vec![Effect::new(EffectKind::Email, "*", KeyScope::Unknown, "flow f → operation m (mail)")
                .with_target(to.map(str::to_string))],
        )
    };
    let none = settings(json!({}));
    let allowed = settings(json!({"mcp_guard_allowed_recipients": ["team@example.com", "*.partner.org"]}));
    let v = judge(&mail(Some("team@example.com")), &none);
    assert_eq!(v.rule.id(), "exfiltration.recipient-not-allowed");
    assert!(v.reason.contains("team@example.com") && v.remedy().contains("Allowed Email Recipients"), "{}", v.reason);
    assert!(!judge(&mail(Some("team@example.com, a@eu.partner.org")), &allowed).is_denied());
    assert_eq!(judge(&mail(Some("team@example.com, x@evil.example")), &allowed).rule, Rule::RecipientNotAllowed);
    assert_eq!(judge(&mail(Some("Team <x@evil.example>")), &allowed).rule, Rule::RecipientNotAllowed);
    assert_eq!(judge(&mail(None), &allowed).rule, Rule::RecipientNotAllowed);
    let invalid = Settings::from_row(
        json!({"mcp_guard_allowed_recipients": ["<x@y.com>"]}).as_object().unwrap_or(&Default::default()),
        &crate::settings::tests::directory(),
    );
    assert!(invalid.is_err());
}

#[test]
fn rows_no_layer_can_count_are_more_than_any_limit() {
    let s = settings(json!({"mcp_allow_deletes": true, "mcp_guard_max_keys": 5}));
    let mut step = Effect::new(EffectKind::Update, "articles", KeyScope::Unknown, "flow f → operation o");
    // A replace array's deselected rows are counted by the second layer as Directus deletes them.
    assert!(!judge(&items(vec![step.clone()]), &s).is_denied());
    // A flow step without events is seen by no hook.
    step.unseen_by_hooks = true;
    let v = judge(&items(vec![step.clone()]), &s);
    assert_eq!(v.rule, Rule::KeysCap, "{}", v.reason);
    assert!(!judge(&items(vec![step]), &settings(json!({"mcp_guard_max_keys": null}))).is_denied());
}

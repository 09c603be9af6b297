//! Decisions: allow or deny a normalised call, with a stable rule id, a reason and a remedy.
//!
//! Rules are checked in a fixed order, and the first that refuses wins: self-protection (which holds even
//! with the guard off), who and where the caller is ([`admit`]), the caller's mode, collection rules,
//! audit evasion, exfiltration, blast-radius caps, and last Allow Deletes.

use crate::audit::Caller;
use crate::effects::{Classified, ClassifyError, Effect, EffectKind, KeyScope};
use crate::flows::FlowGraph;
use crate::message::MessageError;
use crate::network::{host_allowed, url_host, LocalTime};
use crate::query_paths::ReadLimit;
use crate::recipients;
use crate::secrets::SecretKind;
use crate::settings::{ArgumentSecrets, AssetsPolicy, Mode, OutsideHours, Settings, SettingsError};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allowed,
    Denied,
}

/// Every rule the guard can apply. The id is stable: audit rows, tests and admins rely on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Allowed,
    NoEffect,
    GuardDisabled,
    OutsideHoursFlagged,
    DeletesDisabled,
    DeletesDisabledForCollection,
    UnknownEffect,
    GuardCollection,
    GuardSettings,
    AdminToken,
    NotDedicatedRole,
    ModeOff,
    IpNotAllowed,
    OutsideHours,
    ModeReadOnly,
    ModeNeedsDeveloper,
    CollectionDenied,
    CollectionNotAllowed,
    AccountabilityOff,
    HostNotAllowed,
    RecipientNotAllowed,
    ScriptNotAllowed,
    FlowNotAllowed,
    KeysCap,
    UpdateByQuery,
    BatchCap,
    ReadLimitCap,
    AssetsDisabled,
    AssetsFolderNotAllowed,
    SecretsInArguments,
    InjectionBlocked,
    UnreadableResult,
    InvalidMessage,
    NotAcceptable,
    UnknownTool,
    InvalidArguments,
    InvalidSettings,
}

impl Rule {
    pub fn id(self) -> &'static str {
        match self {
            Rule::Allowed => "allow.policy",
            Rule::NoEffect => "allow.no-effect",
            Rule::GuardDisabled => "allow.guard-disabled",
            Rule::OutsideHoursFlagged => "allow.outside-hours",
            Rule::DeletesDisabled => "deletes.disabled",
            Rule::DeletesDisabledForCollection => "deletes.disabled-for-collection",
            Rule::UnknownEffect => "unknown.effect",
            Rule::GuardCollection => "self-protection.guard-collection",
            Rule::GuardSettings => "self-protection.guard-settings",
            Rule::AdminToken => "access.admin-token",
            Rule::NotDedicatedRole => "access.not-dedicated-role",
            Rule::ModeOff => "access.mode-off",
            Rule::IpNotAllowed => "access.ip-not-allowed",
            Rule::OutsideHours => "access.outside-hours",
            Rule::ModeReadOnly => "mode.read-only",
            Rule::ModeNeedsDeveloper => "mode.needs-developer",
            Rule::CollectionDenied => "collections.denied",
            Rule::CollectionNotAllowed => "collections.not-allowed",
            Rule::AccountabilityOff => "audit-evasion.accountability-off",
            Rule::HostNotAllowed => "exfiltration.host-not-allowed",
            Rule::RecipientNotAllowed => "exfiltration.recipient-not-allowed",
            Rule::ScriptNotAllowed => "exfiltration.script",
            Rule::FlowNotAllowed => "exfiltration.flow-not-allowed",
            Rule::KeysCap => "caps.keys",
            Rule::UpdateByQuery => "caps.update-by-query",
            Rule::BatchCap => "caps.batch",
            Rule::ReadLimitCap => "caps.read-limit",
            Rule::AssetsDisabled => "assets.disabled",
            Rule::AssetsFolderNotAllowed => "assets.folder-not-allowed",
            Rule::SecretsInArguments => "secrets.in-arguments",
            Rule::InjectionBlocked => "injection.blocked",
            Rule::UnreadableResult => "filter.unreadable-result",
            Rule::InvalidMessage => "request.invalid-message",
            Rule::NotAcceptable => "request.not-acceptable",
            Rule::UnknownTool => "request.unknown-tool",
            Rule::InvalidArguments => "request.invalid-arguments",
            Rule::InvalidSettings => "settings.invalid",
        }
    }

    /// What a person can do about a denial.
    pub fn remedy(self) -> &'static str {
        match self {
            Rule::UnknownEffect => {
                "The guard judges what it cannot know as the worst case. Name collections, keys and URLs literally in the call; for a flow, an administrator can give the step fixed options or take them from the call's data ({{$trigger.body…}})."
            }
            Rule::DeletesDisabled => {
                "Deletes are off for MCP. An administrator can turn on \"Allow Deletes\" in Settings → AI, or a person can make this change in the Data Studio."
            }
            Rule::DeletesDisabledForCollection => {
                "Deletes are refused in this collection (Deletes per Collection, Settings → AI). A person can make this change in the Data Studio."
            }
            Rule::GuardCollection => {
                "The MCP Guard Log is evidence of what AI clients did, so MCP can neither read nor change it. Administrators can read it in the Data Studio."
            }
            Rule::GuardSettings => {
                "MCP may not change the guard's own settings. An administrator can change them in Settings → AI."
            }
            Rule::AdminToken => {
                "Do not use an administrator's token for MCP. Create a dedicated user in a non-admin role (User Directory), give it a static token, and use that token in the AI client. An administrator can allow admin tokens with \"Allow Admin Tokens\" in Settings → AI."
            }
            Rule::NotDedicatedRole => {
                "Only users in the Dedicated MCP Roles (Settings → AI) may use MCP. Use such a user's token in the AI client."
            }
            Rule::ModeOff => {
                "MCP is off for this user. An administrator can set a mode for the user or its role in Settings → AI (MCP Mode per Role / per User)."
            }
            Rule::IpNotAllowed => {
                "Connect from an allowed network (office or VPN), or an administrator can add the address range to MCP IP Allowlist in Settings → AI."
            }
            Rule::OutsideHours => {
                "Try again within the working hours, or an administrator can change MCP Working Hours in Settings → AI."
            }
            Rule::ModeReadOnly => {
                "This user is in analysis mode, which only reads. A person can make the change in the Data Studio, or an administrator can give the user the content or developer mode in Settings → AI."
            }
            Rule::ModeNeedsDeveloper => {
                "This needs the developer mode. A person can make the change in the Data Studio, or an administrator can give this user or role the developer mode in Settings → AI."
            }
            Rule::CollectionDenied => {
                "An administrator has closed this collection to MCP (MCP Collections Denylist, Settings → AI). Leave it out of the query and the payload."
            }
            Rule::CollectionNotAllowed => {
                "Only the collections in MCP Collections Allowlist (Settings → AI) are open to MCP. Leave this one out, or an administrator can add it."
            }
            Rule::AccountabilityOff => {
                "MCP may not switch off activity tracking. Keep meta.accountability at \"all\" or \"activity\"; an administrator can change it in the Data Studio."
            }
            Rule::HostNotAllowed => {
                "Only hosts in Allowed Outbound Hosts (Settings → AI) may be contacted for MCP. If the host is trusted, an administrator can add it."
            }
            Rule::RecipientNotAllowed => {
                "Only the addresses and domains in Allowed Email Recipients (Settings → AI) may receive email from flows MCP runs. If the recipient is trusted, an administrator can add it; give the Send Email step fixed recipients or plain addresses from the call's data."
            }
            Rule::ScriptNotAllowed => {
                "Run Script steps are refused for MCP. An administrator can allow a reviewed flow in Flows Allowed to Run Scripts (Settings → AI)."
            }
            Rule::FlowNotAllowed => {
                "MCP may trigger only the flows in Flows MCP May Trigger (Settings → AI). An administrator can add this flow."
            }
            Rule::KeysCap | Rule::BatchCap => {
                "Split the work into smaller calls, or an administrator can raise the limit in Settings → AI."
            }
            Rule::UpdateByQuery => {
                "Read the keys of the items first, then update them by key. An administrator can turn on \"Allow Update by Query\" in Settings → AI."
            }
            Rule::ReadLimitCap => {
                "Ask for fewer rows at a time (a smaller limit, paging with offset or page), or an administrator can raise Max Read Limit in Settings → AI."
            }
            Rule::AssetsDisabled => {
                "File contents are off for MCP (File Contents in Settings → AI). Read the file's metadata with the files tool instead."
            }
            Rule::AssetsFolderNotAllowed => {
                "MCP may read the contents of files in the Folders for File Contents only (Settings → AI)."
            }
            Rule::SecretsInArguments => {
                "Do not put keys, tokens or card numbers into tool calls. Leave the secret out, or a person can enter it in the Data Studio."
            }
            Rule::InjectionBlocked => {
                "A person should review that content in the Data Studio. An administrator can set Prompt Injection Defence to flag or sanitize in Settings → AI to let such results through with a warning."
            }
            Rule::UnreadableResult => {
                "Ask for less data at a time (fewer rows or fields). If it keeps happening, an administrator can read the Directus log."
            }
            Rule::InvalidMessage => "Send one JSON-RPC 2.0 message object per request, as MCP clients do.",
            Rule::NotAcceptable => "Send \"Accept: application/json\"; this server does not stream.",
            Rule::UnknownTool => "Call tools/list (or registry search) to see the tools this server offers.",
            Rule::InvalidArguments => "Fix the arguments to match the tool's input schema and call again.",
            Rule::InvalidSettings => {
                "An administrator must correct the MCP Guard settings in Settings → AI. Until then the guard refuses tool calls."
            }
            Rule::Allowed | Rule::NoEffect | Rule::GuardDisabled | Rule::OutsideHoursFlagged => "",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub decision: Decision,
    pub rule: Rule,
    pub reason: String,
}

impl Verdict {
    pub fn allow(rule: Rule, reason: impl Into<String>) -> Verdict {
        Verdict { decision: Decision::Allowed, rule, reason: reason.into() }
    }

    pub fn deny(rule: Rule, reason: impl Into<String>) -> Verdict {
        Verdict { decision: Decision::Denied, rule, reason: reason.into() }
    }

    pub fn is_denied(&self) -> bool {
        self.decision == Decision::Denied
    }

    pub fn remedy(&self) -> &'static str {
        self.rule.remedy()
    }

    pub fn for_message_error(err: &MessageError) -> Verdict {
        Verdict::deny(Rule::InvalidMessage, err.to_string())
    }

    pub fn for_settings_error(err: &SettingsError) -> Verdict {
        Verdict::deny(Rule::InvalidSettings, format!("the guard's settings cannot be used: {err}"))
    }

    /// A call the guard cannot classify is refused: it cannot know what the call would do.
    pub fn for_classify_error(err: &ClassifyError) -> Verdict {
        let rule = match err {
            ClassifyError::UnknownTool { .. } => Rule::UnknownTool,
            _ => Rule::InvalidArguments,
        };
        Verdict::deny(rule, format!("the guard cannot tell what this call would do: {err}"))
    }
}

/// Who is calling, from where and when.
pub struct Subject<'a> {
    pub caller: &'a Caller<'a>,
    /// The caller's time in the working hours' time zone; `None` when the JS side could not tell.
    pub local_time: Option<LocalTime>,
}

/// A caller let in, and in which mode.
#[derive(Debug, Clone, PartialEq)]
pub struct Admission {
    pub mode: Mode,
    /// Set when the call is outside working hours and the settings say to flag rather than refuse.
    pub flag: Option<String>,
}

/// The caller's mode: the user's own, else the role's, else the default.
pub fn mode_of(caller: &Caller, settings: &Settings) -> Mode {
    let access = &settings.access;
    caller
        .user
        .as_deref()
        .and_then(|u| access.user_modes.get(u))
        .or_else(|| caller.role.as_deref().and_then(|r| access.role_modes.get(r)))
        .copied()
        .unwrap_or(access.default_mode)
}

/// May this caller use MCP at all, here and now?
pub fn admit(subject: &Subject, settings: &Settings) -> Result<Admission, Verdict> {
    let caller = subject.caller;
    if caller.admin && !settings.access.allow_admin {
        return Err(Verdict::deny(
            Rule::AdminToken,
            "this token belongs to a user with admin access; MCP Guard refuses admin tokens for MCP",
        ));
    }
    let roles = &settings.access.mcp_roles;
    if !roles.is_empty() && !caller.admin && !caller.role.as_deref().is_some_and(|r| roles.contains(r)) {
        return Err(Verdict::deny(Rule::NotDedicatedRole, "this user's role is not one of the Dedicated MCP Roles"));
    }
    let mode = mode_of(caller, settings);
    if mode == Mode::Off {
        return Err(Verdict::deny(Rule::ModeOff, "MCP is off for this user (mode \"off\")"));
    }
    if !settings.ip_allowlist.allows(caller.ip.as_deref()) {
        let ip = caller.ip.as_deref().unwrap_or("an unknown address");
        return Err(Verdict::deny(Rule::IpNotAllowed, format!("{ip} is not in the MCP IP Allowlist")));
    }
    let mut flag = None;
    if let Some(hours) = &settings.hours {
        let inside = subject.local_time.is_some_and(|t| hours.windows.iter().any(|w| w.contains(t)));
        if !inside {
            let when = match subject.local_time {
                Some(t) => format!(
                    "{} {:02}:{:02} in {}",
                    crate::network::DAYS[usize::from(t.weekday % 7)],
                    t.minute / 60,
                    t.minute % 60,
                    hours.time_zone
                ),
                None => format!("the time in {} could not be determined", hours.time_zone),
            };
            let reason = format!("outside the MCP working hours ({when})");
            match hours.outside {
                OutsideHours::Deny => return Err(Verdict::deny(Rule::OutsideHours, reason)),
                OutsideHours::Flag => flag = Some(reason),
            }
        }
    }
    Ok(Admission { mode, flag })
}

/// Tools that a mode forbids entirely, hidden from `tools/list` and registry search.
pub fn hidden_tools(mode: Mode) -> &'static [&'static str] {
    match mode {
        Mode::Off => crate::effects::LEGACY_TOOLS,
        Mode::Analysis => &["flows", "operations", "collections", "fields", "relations", "trigger-flow"],
        Mode::Content => DEVELOPER_TOOLS,
        Mode::Developer => &[],
    }
}

/// Tools that change or read Directus's configuration rather than content.
const DEVELOPER_TOOLS: &[&str] = &["flows", "operations", "collections", "fields", "relations"];

/// Collections content mode may write besides content: files and folders.
const CONTENT_SYSTEM_COLLECTIONS: &[&str] = &["directus_files", "directus_folders"];

const SETTINGS_COLLECTION: &str = "directus_settings";

/// A file the `assets` tool would return, with its folder.
#[derive(Debug, Clone, Default, serde::Deserialize, PartialEq)]
pub struct FileFact {
    /// There is no file with that id.
    #[serde(default)]
    pub missing: bool,
    #[serde(default)]
    pub folder: Option<String>,
    #[serde(default)]
    pub folder_name: Option<String>,
}

/// Everything `decide` needs to know besides the call.
pub struct Facts<'a> {
    pub subject: Subject<'a>,
    pub guard_collections: &'a [String],
    pub flows: Option<&'a FlowGraph>,
    /// The file of an `assets` call, when it was loaded.
    pub file: Option<&'a FileFact>,
    /// Secret values the call's arguments carry.
    pub argument_secrets: &'a [SecretKind],
}

pub fn decide(call: &Classified, settings: &Settings, facts: &Facts) -> Verdict {
    // What cannot be known is judged as the worst case: an effect that may reach any collection may reach
    // the guard's own log and settings, so it is refused like them, even with the guard switched off.
    if let Some(e) = call.effects.iter().find(|e| e.reaches_any_collection()) {
        return Verdict::deny(
            Rule::UnknownEffect,
            format!(
                "this call {} where the guard cannot know which collection, so it could be any, the guard's own included ({})",
                unknown_action(e.kind),
                e.via
            ),
        );
    }
    // Self-protection holds even with the guard switched off: the log is the evidence of what MCP did.
    if let Some(e) = call.effects.iter().find(|e| facts.guard_collections.contains(&e.collection)) {
        return Verdict::deny(
            Rule::GuardCollection,
            format!("this call reaches {}, the guard's own collection ({})", e.collection, e.via),
        );
    }
    if let Some(e) = call.effects.iter().find(|e| e.collection == SETTINGS_COLLECTION && e.kind != EffectKind::Read) {
        return Verdict::deny(
            Rule::GuardSettings,
            format!("this call would change directus_settings, where the guard's settings live ({})", e.via),
        );
    }
    if !settings.guard_enabled {
        return Verdict::allow(Rule::GuardDisabled, "MCP Guard is switched off in Settings → AI");
    }
    let admission = match admit(&facts.subject, settings) {
        Ok(a) => a,
        Err(denied) => return denied,
    };
    let checks = [
        check_mode(call, admission.mode),
        check_collections(call, settings),
        check_audit_evasion(call),
        check_exfiltration(call, settings, facts.flows),
        check_caps(call, settings),
        check_assets(call, settings, facts.file),
        check_argument_secrets(settings, facts.argument_secrets),
        check_deletes(&call.effects, settings),
    ];
    if let Some(denied) = checks.into_iter().flatten().next() {
        return denied;
    }
    if let Some(flag) = admission.flag {
        return Verdict::allow(Rule::OutsideHoursFlagged, flag);
    }
    if call.effects.is_empty() {
        return Verdict::allow(Rule::NoEffect, "the call reads no data");
    }
    Verdict::allow(Rule::Allowed, "the call's effects are within policy")
}

fn check_mode(call: &Classified, mode: Mode) -> Option<Verdict> {
    let tool = call.effective_tool();
    match mode {
        Mode::Developer => None,
        Mode::Off => Some(Verdict::deny(Rule::ModeOff, "MCP is off for this user (mode \"off\")")),
        _ if DEVELOPER_TOOLS.contains(&tool) => Some(Verdict::deny(
            Rule::ModeNeedsDeveloper,
            format!(
                "the {tool} tool works on Directus's configuration, which needs the developer mode ({} mode)",
                mode.name()
            ),
        )),
        Mode::Analysis => call.effects.iter().find(|e| e.kind != EffectKind::Read).map(|e| {
            Verdict::deny(
                Rule::ModeReadOnly,
                format!("analysis mode only reads, and this call {} ({})", describe_effect(e), e.via),
            )
        }),
        Mode::Content => call
            .effects
            .iter()
            .find(|e| {
                matches!(e.kind, EffectKind::SchemaChange | EffectKind::AuditOff)
                    || (matches!(e.kind, EffectKind::Create | EffectKind::Update | EffectKind::Delete)
                        && e.collection.starts_with("directus_")
                        && !CONTENT_SYSTEM_COLLECTIONS.contains(&e.collection.as_str()))
            })
            .map(|e| {
                Verdict::deny(
                    Rule::ModeNeedsDeveloper,
                    format!(
                        "content mode changes content and files only, and this call {} ({})",
                        describe_effect(e),
                        e.via
                    ),
                )
            }),
    }
}

fn check_collections(call: &Classified, settings: &Settings) -> Option<Verdict> {
    let rules = &settings.collections;
    for e in &call.effects {
        if rules.deny.contains(&e.collection) {
            return Some(Verdict::deny(
                Rule::CollectionDenied,
                format!("{} is closed to MCP, and this call reaches it ({})", e.collection, e.via),
            ));
        }
        if !rules.allow.is_empty() && !rules.allow.contains(&e.collection) {
            return Some(Verdict::deny(
                Rule::CollectionNotAllowed,
                format!(
                    "{} is not in the MCP Collections Allowlist, and this call reaches it ({})",
                    e.collection, e.via
                ),
            ));
        }
    }
    None
}

fn check_audit_evasion(call: &Classified) -> Option<Verdict> {
    call.effects.iter().find(|e| e.kind == EffectKind::AuditOff).map(|e| {
        Verdict::deny(
            Rule::AccountabilityOff,
            format!("this call would switch off activity tracking for {} ({})", e.collection, e.via),
        )
    })
}

/// A flow allowlist names flows by id or by name.
fn flow_listed(list: &std::collections::BTreeSet<String>, flow: &str, flows: Option<&FlowGraph>) -> bool {
    list.contains(flow) || flows.and_then(|g| g.name(flow)).is_some_and(|name| list.contains(name))
}

fn check_exfiltration(call: &Classified, settings: &Settings, flows: Option<&FlowGraph>) -> Option<Verdict> {
    let ex = &settings.exfiltration;
    for e in &call.effects {
        match e.kind {
            EffectKind::HttpRequest => {
                let Some(host) = e.target.as_deref().and_then(url_host) else {
                    return Some(Verdict::deny(
                        Rule::HostNotAllowed,
                        format!(
                            "this call sends a request to a URL whose host cannot be checked ({}: {})",
                            e.via,
                            e.target.as_deref().unwrap_or("no URL")
                        ),
                    ));
                };
                if !host_allowed(&ex.allowed_hosts, &host) {
                    return Some(Verdict::deny(
                        Rule::HostNotAllowed,
                        format!("this call would contact {host}, which is not in Allowed Outbound Hosts ({})", e.via),
                    ));
                }
            }
            EffectKind::Email => {
                let Some(to) = e.target.as_deref() else {
                    return Some(Verdict::deny(
                        Rule::RecipientNotAllowed,
                        format!("this call sends an email whose recipients cannot be known ({})", e.via),
                    ));
                };
                let Some(addresses) = recipients::addresses(to) else {
                    return Some(Verdict::deny(
                        Rule::RecipientNotAllowed,
                        format!(
                            "this call sends an email to \"{to}\", which is not a list of plain addresses ({})",
                            e.via
                        ),
                    ));
                };
                if let Some(address) =
                    addresses.iter().find(|a| !recipients::recipient_allowed(&ex.allowed_recipients, a))
                {
                    return Some(Verdict::deny(
                        Rule::RecipientNotAllowed,
                        format!(
                            "this call would send an email to {address}, which is not in Allowed Email Recipients ({})",
                            e.via
                        ),
                    ));
                }
            }
            EffectKind::Script if !e.target.as_deref().is_some_and(|f| flow_listed(&ex.exec_flows, f, flows)) => {
                let flow = e.target.as_deref().map_or("a new flow".to_string(), |f| format!("flow {f}"));
                return Some(Verdict::deny(
                    Rule::ScriptNotAllowed,
                    format!("this call would run a script in {flow}, which may not run scripts for MCP ({})", e.via),
                ));
            }
            EffectKind::FlowRun
                if !ex.trigger_flows.is_empty()
                    && !e.target.as_deref().is_some_and(|f| flow_listed(&ex.trigger_flows, f, flows)) =>
            {
                return Some(Verdict::deny(Rule::FlowNotAllowed, format!("{} is not in Flows MCP May Trigger", e.via)));
            }
            _ => {}
        }
    }
    None
}

/// Rows a call creates, and rows it updates or deletes, counted over every effect at any depth: nested
/// creates and updates, rows unlinked or deleted by relational payloads, and what flow steps do. Rows whose
/// number is known only when the call runs (left out of a replace array, matched by a query) are not
/// counted here; the in-Directus layer sees those deletes as they happen.
fn count_rows(effects: &[Effect]) -> (u64, u64) {
    let (mut created, mut changed) = (0u64, 0u64);
    for e in effects {
        match (e.kind, e.keys) {
            (EffectKind::Create, KeyScope::Keys(n)) => created = created.saturating_add(n),
            (EffectKind::Update | EffectKind::Delete, KeyScope::Keys(n)) => changed = changed.saturating_add(n),
            _ => {}
        }
    }
    (created, changed)
}

fn check_caps(call: &Classified, settings: &Settings) -> Option<Verdict> {
    let caps = &settings.caps;
    let (created, changed) = count_rows(&call.effects);
    if let Some(max) = caps.max_keys {
        // Rows a flow step names by keys the guard cannot know, where Directus emits no event the second
        // layer could count them by: the worst case is more than any limit.
        // (Deletes while Allow Deletes is off are left to its own, plainer refusal.)
        let unseen = call.effects.iter().find(|e| {
            e.unseen_by_hooks
                && e.keys == KeyScope::Unknown
                && (e.kind == EffectKind::Update || (e.kind == EffectKind::Delete && settings.allow_deletes))
        });
        if let Some(e) = unseen {
            return Some(Verdict::deny(
                Rule::KeysCap,
                format!(
                    "this call {} whose number cannot be known before it runs, and the limit is {max} per call ({}); an administrator can give the step keys from the call's data",
                    describe_effect(e),
                    e.via
                ),
            ));
        }
        if changed > max {
            return Some(Verdict::deny(
                Rule::KeysCap,
                format!(
                    "this call updates or deletes {changed} items at any depth, more than the limit of {max} per call"
                ),
            ));
        }
    }
    // The call's own update, without keys, changes whatever its query matches. (Flows that act on a query
    // were built by an administrator, and are judged by what they do.)
    if let Some(main) = call.effects.first() {
        if call.action.as_deref() == Some("update")
            && main.kind == EffectKind::Update
            && main.keys == KeyScope::Query
            && !caps.allow_update_by_query
        {
            return Some(Verdict::deny(
                Rule::UpdateByQuery,
                format!("this call updates whatever rows of {} a query matches, without naming keys", main.collection),
            ));
        }
    }
    if let Some(max) = caps.max_batch {
        let carried = call.batch.unwrap_or(0).max(created);
        if carried > max {
            return Some(Verdict::deny(
                Rule::BatchCap,
                format!("this call carries {carried} items at any depth, more than the batch limit of {max}"),
            ));
        }
    }
    match (call.read_limit, caps.max_read_limit) {
        (Some(ReadLimit::All), Some(max)) => Some(Verdict::deny(
            Rule::ReadLimitCap,
            format!("this read asks for every row (limit -1); the most one read may ask for is {max}"),
        )),
        (Some(ReadLimit::Rows(n)), Some(max)) if n > max => Some(Verdict::deny(
            Rule::ReadLimitCap,
            format!("this read asks for {n} rows; the most one read may ask for is {max}"),
        )),
        _ => None,
    }
}

fn check_assets(call: &Classified, settings: &Settings, file: Option<&FileFact>) -> Option<Verdict> {
    if call.effective_tool() != "assets" {
        return None;
    }
    match &settings.assets {
        AssetsPolicy::Allow => None,
        AssetsPolicy::Off => {
            Some(Verdict::deny(Rule::AssetsDisabled, "the assets tool, which returns file contents, is off for MCP"))
        }
        AssetsPolicy::Folders(folders) => {
            let file = file.filter(|f| !f.missing);
            let inside = file.is_some_and(|f| {
                f.folder.as_ref().is_some_and(|id| folders.contains(id))
                    || f.folder_name.as_ref().is_some_and(|name| folders.contains(name))
            });
            (!inside).then(|| {
                let place = match file {
                    Some(FileFact { folder_name: Some(name), .. }) => format!("in folder {name}"),
                    Some(_) => "outside any folder".to_string(),
                    None => "that does not exist".to_string(),
                };
                Verdict::deny(
                    Rule::AssetsFolderNotAllowed,
                    format!(
                        "this call would return the contents of a file {place}, outside the Folders for File Contents"
                    ),
                )
            })
        }
    }
}

fn check_argument_secrets(settings: &Settings, found: &[SecretKind]) -> Option<Verdict> {
    if settings.argument_secrets != ArgumentSecrets::Deny || found.is_empty() {
        return None;
    }
    let kinds: Vec<&str> = found.iter().map(|k| k.name()).collect();
    Some(Verdict::deny(Rule::SecretsInArguments, format!("the call's arguments carry a secret ({})", kinds.join(", "))))
}

/// Allow Deletes, against every delete effect however it is phrased, refined per collection: with Allow
/// Deletes on, collections marked "deny" refuse deletes, and once any collection is marked "allow", only
/// those allow them ("deletes in drafts only"). With it off, nothing may be deleted: Directus itself refuses
/// delete actions then, so no entry could lift that consistently.
pub fn check_deletes(effects: &[Effect], settings: &Settings) -> Option<Verdict> {
    let per_collection = &settings.collections.deletes;
    let allowlist = per_collection.values().any(|allowed| *allowed);
    for e in effects.iter().filter(|e| e.kind == EffectKind::Delete) {
        if !settings.allow_deletes {
            return Some(Verdict::deny(
                Rule::DeletesDisabled,
                format!("this call would delete {} ({})", describe_rows(e), e.via),
            ));
        }
        let allowed = per_collection.get(&e.collection).copied().unwrap_or(!allowlist);
        if !allowed {
            let why = if per_collection.contains_key(&e.collection) {
                format!("deletes are refused in {}", e.collection)
            } else {
                format!("deletes are allowed only in {}", listed(per_collection))
            };
            return Some(Verdict::deny(
                Rule::DeletesDisabledForCollection,
                format!("{why}, and this call would delete {} ({})", describe_rows(e), e.via),
            ));
        }
    }
    None
}

fn listed(per_collection: &std::collections::HashMap<String, bool>) -> String {
    let mut names: Vec<&str> = per_collection.iter().filter(|(_, a)| **a).map(|(c, _)| c.as_str()).collect();
    names.sort_unstable();
    names.join(", ")
}

fn describe_effect(e: &Effect) -> String {
    match e.kind {
        EffectKind::Read => format!("reads {}", e.collection),
        EffectKind::Create => format!("creates rows in {}", e.collection),
        EffectKind::Update => format!("updates {}", describe_rows(e)),
        EffectKind::Delete => format!("deletes {}", describe_rows(e)),
        EffectKind::SchemaChange => format!("changes the schema of {}", e.collection),
        EffectKind::FlowRun => "runs a flow".to_string(),
        EffectKind::HttpRequest => "sends an HTTP request".to_string(),
        EffectKind::Script => "runs a script".to_string(),
        EffectKind::Email => "sends an email".to_string(),
        EffectKind::AuditOff => format!("switches off activity tracking for {}", e.collection),
        EffectKind::Unknown => "does something the guard cannot see into".to_string(),
    }
}

fn unknown_action(kind: EffectKind) -> &'static str {
    match kind {
        EffectKind::Read => "reads",
        EffectKind::Create => "creates rows",
        EffectKind::Update => "updates rows",
        EffectKind::Delete => "deletes rows",
        EffectKind::SchemaChange => "changes the schema",
        EffectKind::AuditOff => "switches off activity tracking",
        EffectKind::FlowRun
        | EffectKind::HttpRequest
        | EffectKind::Script
        | EffectKind::Email
        | EffectKind::Unknown => "does something",
    }
}

fn describe_rows(e: &Effect) -> String {
    match e.keys {
        KeyScope::Keys(1) => format!("1 row of {}", e.collection),
        KeyScope::Keys(n) => format!("{n} rows of {}", e.collection),
        KeyScope::Query => format!("the rows of {} that match a query", e.collection),
        KeyScope::Unknown => format!("rows of {}", e.collection),
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;

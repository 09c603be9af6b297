//! Decisions: allow or deny a normalised call, with a stable rule id, a reason and a remedy.

use crate::effects::{Classified, ClassifyError, Effect, EffectKind, KeyScope};
use crate::message::MessageError;
use crate::settings::{Settings, SettingsError};
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
    DeletesDisabled,
    UnknownEffect,
    GuardCollection,
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
            Rule::DeletesDisabled => "deletes.disabled",
            Rule::UnknownEffect => "deletes.unknown-effect",
            Rule::GuardCollection => "self-protection.guard-collection",
            Rule::InvalidMessage => "request.invalid-message",
            Rule::NotAcceptable => "request.not-acceptable",
            Rule::UnknownTool => "request.unknown-tool",
            Rule::InvalidArguments => "request.invalid-arguments",
            Rule::InvalidSettings => "settings.invalid",
        }
    }

    /// What a person can do about a denial.
    fn remedy(self) -> &'static str {
        match self {
            Rule::DeletesDisabled | Rule::UnknownEffect => {
                "Deletes are off for MCP. An administrator can turn on \"Allow Deletes\" in Settings → AI, or a person can make this change in the Data Studio."
            }
            Rule::GuardCollection => {
                "The MCP Guard Log is evidence of what AI clients did, so MCP can neither read nor change it. Administrators can read it in the Data Studio."
            }
            Rule::InvalidMessage => "Send one JSON-RPC 2.0 message object per request, as MCP clients do.",
            Rule::NotAcceptable => "Send \"Accept: application/json\"; this server does not stream.",
            Rule::UnknownTool => "Call tools/list (or registry search) to see the tools this server offers.",
            Rule::InvalidArguments => "Fix the arguments to match the tool's input schema and call again.",
            Rule::InvalidSettings => {
                "An administrator must correct the MCP Guard settings in Settings → AI. Until then the guard refuses tool calls."
            }
            Rule::Allowed | Rule::NoEffect | Rule::GuardDisabled => "",
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

/// The policy of the foundation: the guard's own collections are untouchable, and with Allow Deletes off
/// no effect may delete, however the call is phrased.
pub fn decide(call: &Classified, settings: &Settings, guard_collections: &[String]) -> Verdict {
    // Self-protection holds even with the guard switched off: the log is the evidence of what MCP did.
    if let Some(e) = call.effects.iter().find(|e| guard_collections.contains(&e.collection)) {
        return Verdict::deny(
            Rule::GuardCollection,
            format!("this call reaches {}, the guard's own collection ({})", e.collection, e.via),
        );
    }
    if !settings.guard_enabled {
        return Verdict::allow(Rule::GuardDisabled, "MCP Guard is switched off in Settings → AI");
    }
    if !settings.allow_deletes {
        if let Some(e) = call.effects.iter().find(|e| e.kind == EffectKind::Delete) {
            return Verdict::deny(
                Rule::DeletesDisabled,
                format!("this call would delete {} ({})", describe_rows(e), e.via),
            );
        }
        if let Some(e) = call.effects.iter().find(|e| e.kind == EffectKind::Unknown) {
            return Verdict::deny(
                Rule::UnknownEffect,
                format!("this call does something the guard cannot see into, which could delete data: {}", e.via),
            );
        }
    }
    if call.effects.is_empty() {
        return Verdict::allow(Rule::NoEffect, "the call reads no data");
    }
    Verdict::allow(Rule::Allowed, "the call's effects are within policy")
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
mod tests {
    use super::*;

    fn call(effects: Vec<Effect>) -> Classified {
        Classified { tool: "items".into(), inner_tool: None, action: Some("update".into()), effects }
    }

    fn effect(kind: EffectKind, collection: &str) -> Effect {
        Effect { kind, collection: collection.into(), keys: KeyScope::Keys(1), via: "test".into() }
    }

    const ON: Settings = Settings { guard_enabled: true, allow_deletes: false };
    fn log() -> Vec<String> {
        vec!["mcp_guard_log".to_string()]
    }

    #[test]
    fn any_delete_effect_is_denied_while_deletes_are_off() {
        let v =
            decide(&call(vec![effect(EffectKind::Update, "a"), effect(EffectKind::Delete, "comments")]), &ON, &log());
        assert_eq!(v.rule, Rule::DeletesDisabled);
        assert!(v.reason.contains("1 row of comments"), "{}", v.reason);
        assert!(v.remedy().contains("Allow Deletes"));
    }

    #[test]
    fn unknown_effects_are_denied_while_deletes_are_off_and_allowed_when_on() {
        let c = call(vec![Effect::unknown("runs a script".into())]);
        assert_eq!(decide(&c, &ON, &log()).rule, Rule::UnknownEffect);
        let on = Settings { allow_deletes: true, ..ON };
        assert_eq!(decide(&c, &on, &log()).decision, Decision::Allowed);
    }

    #[test]
    fn the_guard_collection_is_protected_even_when_the_guard_is_off() {
        let off = Settings { guard_enabled: false, allow_deletes: true };
        let v = decide(&call(vec![effect(EffectKind::Read, "mcp_guard_log")]), &off, &log());
        assert_eq!(v.rule.id(), "self-protection.guard-collection");
    }

    #[test]
    fn switched_off_guard_allows_deletes() {
        let off = Settings { guard_enabled: false, allow_deletes: false };
        assert_eq!(decide(&call(vec![effect(EffectKind::Delete, "a")]), &off, &log()).rule, Rule::GuardDisabled);
    }
}

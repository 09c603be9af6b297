//! The answer filter as it was first written, on a parsed tree: slow, but plain to read. The tests check
//! that the in-place filter gives the same answers and findings on generated answers, and the tree filter
//! runs every check on every string, so this also shows the prefilter's triggers skip nothing they should not.

use super::{
    blocked_answer, check_media, notice, Aliases, AnswerContext, FilterError, Filtered, Findings, InjectionFinding,
    InjectionMode, Path, Protection, Segment,
};
use crate::injection::{sanitize, scan};
use crate::prefilter::Triggers;
use crate::relations::{FieldRelation, RelationIndex};
use crate::secrets::{find_secrets, redact_assignments, redact_text, redaction_marker};
use serde_json::{json, Map, Value};

pub fn filter_answer_by_tree(
    answer: &[u8],
    ctx: &AnswerContext,
    protection: &Protection,
) -> Result<Filtered, FilterError> {
    if protection.is_off() {
        return Ok(Filtered { text: None, findings: Findings::default(), blocked: false });
    }
    if ctx.facts.media {
        check_media(answer)?;
    }
    let mut value: Value = serde_json::from_slice(answer).map_err(|e| FilterError::Unreadable(e.to_string()))?;
    let mut walker = Walker {
        protection,
        relations: ctx.relations,
        aliases: &ctx.facts.aliases,
        findings: Findings::default(),
        changed: false,
    };
    let root = Path { parent: None, segment: Segment::Root };
    walker.value(&mut value, &root, Scope { collection: ctx.collection, record: None, envelope: true })?;
    let findings = walker.findings;
    if protection.injection == InjectionMode::Block && !findings.injections.is_empty() {
        let text = blocked_answer(value.get("id").cloned().unwrap_or(Value::Null), &findings).to_string();
        return Ok(Filtered { text: Some(text), findings, blocked: true });
    }
    if !findings.injections.is_empty() && protection.injection != InjectionMode::Off {
        annotate(&mut value, &findings);
        walker.changed = true;
    }
    let text = walker.changed.then(|| value.to_string());
    Ok(Filtered { text, findings, blocked: false })
}

/// What the walk knows about the rows it is in.
#[derive(Clone, Copy)]
struct Scope<'s> {
    /// The collection of the current row, when the schema tells.
    collection: Option<&'s str>,
    /// `collection#key` of the nearest row with a primary key.
    record: Option<&'s str>,
    /// In the JSON-RPC envelope (the answer and its `result`), which is not a row.
    envelope: bool,
}

struct Walker<'a> {
    protection: &'a Protection,
    relations: &'a RelationIndex,
    aliases: &'a Aliases,
    findings: Findings,
    changed: bool,
}

impl<'a> Walker<'a> {
    fn value(&mut self, value: &mut Value, path: &Path, scope: Scope) -> Result<(), FilterError> {
        match value {
            Value::Object(map) => self.object(map, path, scope),
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.value(item, &path.child(Segment::Index(i)), Scope { envelope: false, ..scope })?;
                }
                Ok(())
            }
            Value::String(text) => {
                if let Some(replaced) = self.string(text, path, scope)? {
                    *text = replaced;
                    self.changed = true;
                }
                Ok(())
            }
            Value::Number(n) => {
                // A card number stored as a number is still one.
                let written = n.to_string();
                let digits = written.strip_prefix('-').unwrap_or(&written);
                if digits.len() >= 13 && digits.bytes().all(|b| b.is_ascii_digit()) {
                    if let Some(found) =
                        find_secrets(digits, self.protection.detectors).and_then(|f| f.into_iter().next())
                    {
                        *value = Value::String(redaction_marker(found.kind.name()));
                        *self.findings.redactions.entry(found.kind.name().to_string()).or_default() += 1;
                        self.changed = true;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn object(&mut self, map: &mut Map<String, Value>, path: &Path, scope: Scope) -> Result<(), FilterError> {
        // A row with a primary key names itself in findings.
        let own_record = scope.collection.filter(|_| !scope.envelope).and_then(|c| {
            map.get(self.relations.primary_key(c))
                .filter(|k| k.is_string() || k.is_number())
                .map(|k| format!("{c}#{}", k.as_str().map_or_else(|| k.to_string(), str::to_string)))
        });
        let record = own_record.as_deref().or(scope.record);
        let mut out = Map::new();
        for (key, mut field) in std::mem::take(map) {
            // Names are text the model reads too: each is scanned as a value is, and written anew if it changes.
            let mut written = None;
            if !scope.envelope {
                let here = path.child(Segment::Key(&key));
                written = self.string(&key, &here, Scope { collection: scope.collection, record, envelope: false })?;
                self.changed |= written.is_some();
            }
            // Decisions go by the name as it came; the answer carries the scanned one.
            self.member(&key, &mut field, path, scope, record)?;
            out.insert(written.unwrap_or(key), field);
        }
        *map = out;
        Ok(())
    }

    fn member(
        &mut self,
        key: &str,
        field: &mut Value,
        path: &Path,
        scope: Scope,
        record: Option<&str>,
    ) -> Result<(), FilterError> {
        let here = path.child(Segment::Key(key));
        if let Some(marker) = self.protection.answer_marker(self.aliases, scope.collection, key) {
            if !field.is_null() && !field.is_object() && !field.is_array() {
                *field = Value::String(redaction_marker(marker));
                *self.findings.redactions.entry(marker.to_string()).or_default() += 1;
                self.changed = true;
                return Ok(());
            }
        }
        // A tool result's text is JSON text: it is walked as JSON, then written back.
        if key == "text" {
            if let Value::String(text) = field {
                if let Some(inner) =
                    self.json_text(text, &here, Scope { collection: scope.collection, record, envelope: false })?
                {
                    *text = inner;
                    self.changed = true;
                }
                return Ok(());
            }
        }
        let relations: &'a RelationIndex = self.relations;
        // An aliased field's relation is the field's.
        let name = self.aliases.field_in(scope.collection, key).unwrap_or(key);
        let collection = match scope.collection.and_then(|c| relations.field(c, name)) {
            Some(FieldRelation::ManyToOne { related }) => Some(related.as_str()),
            Some(FieldRelation::OneToMany { many, .. }) => Some(many.as_str()),
            Some(FieldRelation::ManyToAny { .. }) => None,
            None => scope.collection,
        };
        let envelope = scope.envelope && path.parent.is_none() && key == "result";
        self.value(field, &here, Scope { collection, record, envelope })
    }

    /// `content[].text`: JSON is parsed and walked; plain text is scanned as a string. Text that starts like
    /// JSON but does not parse is refused, since its fields cannot be told apart.
    fn json_text(&mut self, text: &str, path: &Path, scope: Scope) -> Result<Option<String>, FilterError> {
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            let mut inner: Value =
                serde_json::from_str(text).map_err(|e| FilterError::UnreadableResult(e.to_string()))?;
            let before = self.changed;
            self.changed = false;
            // Legacy results wrap rows as {raw, url}, registry ones as {data, url}: rows keep the call's collection.
            self.value(
                &mut inner,
                &path.child(Segment::Inner),
                Scope { collection: scope.collection, record: None, envelope: false },
            )?;
            let changed = self.changed;
            self.changed = before;
            return Ok(changed.then(|| inner.to_string()));
        }
        self.string(text, path, scope)
    }

    fn string(&mut self, text: &str, path: &Path, scope: Scope) -> Result<Option<String>, FilterError> {
        // JSON text stored in a string is walked as JSON; text that does not parse is text.
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            if let Ok(mut inner) = serde_json::from_str::<Value>(text) {
                let (before, findings) = (self.changed, self.findings.clone());
                self.changed = false;
                let walked = self.value(
                    &mut inner,
                    &path.child(Segment::Inner),
                    Scope { collection: None, record: scope.record, envelope: false },
                );
                match walked {
                    Err(FilterError::Scanners) => return Err(FilterError::Scanners),
                    Err(_) => {
                        // Not readable as JSON after all (e.g. JSON-looking text inside it that is not JSON).
                        self.findings = findings;
                        self.changed = before;
                    }
                    Ok(()) => {
                        let changed = self.changed;
                        self.changed = before;
                        return Ok(changed.then(|| inner.to_string()));
                    }
                }
            }
        }
        let mut current: Option<String> = None;
        let redactions = &mut self.findings.redactions;
        let redacted = redact_text(text, self.protection.detectors, &mut |kind| {
            *redactions.entry(kind.name().to_string()).or_default() += 1;
        })
        .ok_or(FilterError::Scanners)?;
        if let Some(r) = redacted {
            current = Some(r);
        }
        // A value written after a secret's name is the name's.
        let protection = self.protection;
        let redactions = &mut self.findings.redactions;
        if let Some(named) = redact_assignments(
            current.as_deref().unwrap_or(text),
            &mut |name| protection.marker_by_name(name),
            &mut |marker| *redactions.entry(marker.to_string()).or_default() += 1,
        ) {
            current = Some(named);
        }
        if self.protection.injection != InjectionMode::Off {
            let scanned = current.as_deref().unwrap_or(text);
            let hits =
                scan(scanned, &self.protection.trusted_hosts, &Triggers::everything()).ok_or(FilterError::Scanners)?;
            if !hits.is_empty() {
                let rendered = path.render();
                for hit in &hits {
                    self.findings.injections.push(InjectionFinding {
                        path: rendered.clone(),
                        record: scope.record.map(str::to_string),
                        signal: hit.signal.name(),
                        action: self.protection.injection.action(),
                        evidence: hit.evidence.clone(),
                    });
                }
                if self.protection.injection == InjectionMode::Sanitize {
                    let cleaned = sanitize(scanned, &self.protection.trusted_hosts).ok_or(FilterError::Scanners)?;
                    if cleaned != scanned {
                        current = Some(cleaned);
                    }
                }
            }
        }
        Ok(current)
    }
}

fn annotate(answer: &mut Value, findings: &Findings) {
    let item = json!({"type": "text", "text": notice(findings)});
    if let Some(result) = answer.get_mut("result").and_then(Value::as_object_mut) {
        match result.get_mut("content") {
            Some(Value::Array(content)) => content.push(item),
            _ => {
                result.insert("content".into(), Value::Array(vec![item]));
            }
        }
    }
}

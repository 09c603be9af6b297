//! Flow option templates, rendered as Directus renders them before each operation runs:
//! `applyOptionsData` in `@directus/utils` over micromustache 8 (`get`, `toPath`, `tokenize`, `renderFn` with
//! `explicit: true`), against the flow's keyed data (`$trigger`, `$last`, `$accountability`, `$env` and the
//! results of earlier operations).
//!
//! Only what the call makes knowable is rendered: the parts of `$trigger` the call itself hands Directus.
//! Every other value (`$last`, results of earlier steps, `$env`, `$accountability`, anything inherited from a
//! JavaScript prototype) is a hole, and a template that would throw in Directus is a hole too: the guard
//! then knows only that it cannot know.

use serde_json::{Map, Number, Value};

/// The flow's `$trigger`, as far as the call makes it knowable.
#[derive(Debug, Clone)]
pub enum Trigger {
    /// Nothing is known (event, schedule, webhook and operation triggers, or a flow reached in a chain).
    Unknown(String),
    /// A known object, except for the top-level keys listed, whose values are not known.
    Known { value: Map<String, Value>, unknown_keys: Vec<String> },
}

impl Trigger {
    /// What Directus's `trigger-flow` MCP tool hands a manual flow: `{path, query, method, body, headers}` with
    /// `body = {collection, keys, ...data}`. `query` and `headers` pass through the tool's input schema, so
    /// they are left unknown.
    pub fn manual(flow_id: &str, args: &Map<String, Value>) -> Trigger {
        let mut body = Map::new();
        if let Some(collection) = args.get("collection") {
            body.insert("collection".into(), collection.clone());
        }
        if let Some(keys) = args.get("keys") {
            body.insert("keys".into(), keys.clone());
        }
        match args.get("data") {
            None | Some(Value::Null) => {}
            Some(Value::Object(data)) if !data.contains_key("__proto__") => {
                body.extend(data.iter().map(|(k, v)| (k.clone(), v.clone())))
            }
            Some(_) => return Trigger::Unknown("the trigger-flow call's data is not a plain object".into()),
        }
        let mut value = Map::new();
        value.insert("path".into(), Value::String(format!("/trigger/{flow_id}")));
        value.insert("method".into(), Value::String("POST".into()));
        value.insert("body".into(), Value::Object(body));
        Trigger::Known { value, unknown_keys: vec!["query".into(), "headers".into()] }
    }

    /// What a `trigger` step hands the flow it starts: its payload (`optionToObject`), when that is one
    /// object. A list runs the flow once per element, which the guard does not follow.
    pub fn from_payload(payload: &Rendering) -> Trigger {
        match payload.object() {
            Ok((Value::Object(value), holes)) if !value.contains_key("__proto__") => {
                let mut unknown_keys: Vec<String> = holes.iter().filter_map(|h| h.path.first().cloned()).collect();
                unknown_keys.dedup();
                Trigger::Known { value, unknown_keys }
            }
            Ok((Value::Array(_), _)) => {
                Trigger::Unknown("the step runs the flow once for each element of a list".into())
            }
            Ok(_) => Trigger::Unknown("the step hands it no object".into()),
            Err(what) => Trigger::Unknown(format!("the step's payload is not known ({what})")),
        }
    }
}

/// A part of an option whose rendered value cannot be known before the flow runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Hole {
    /// Keys and indices from the option's root to the hole.
    pub path: Vec<String>,
    /// What could not be known.
    pub what: String,
}

/// One rendered option: its value with holes set to null, and the holes.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendering {
    pub value: Value,
    pub holes: Vec<Hole>,
    /// A value holding an object of two or more keys was written into text. JavaScript writes keys in their
    /// insertion order and the core in sorted order, so the text is exact only once parsed back as JSON.
    pub order_sensitive: bool,
}

impl Rendering {
    /// The option as Directus's operations read text options, or what could not be known.
    pub fn text(&self) -> Result<Option<&str>, String> {
        if let Some(hole) = self.holes.first() {
            return Err(hole.what.clone());
        }
        match &self.value {
            Value::Null => Ok(None),
            Value::String(s) if self.order_sensitive => Err(format!("\"{s}\" holds JSON whose key order is not known")),
            Value::String(s) => Ok(Some(s)),
            other => Err(format!("the option renders to {}, not a text", crate::settings::describe(other))),
        }
    }

    /// `optionToObject`: JSON text is parsed (`parseJSON`, which drops `__proto__` keys); anything else is
    /// taken as it is. Holes inside text make the whole option unknown, since the text's structure depends on
    /// them; holes inside an object or array stay where they are.
    pub fn object(&self) -> Result<(Value, Vec<Hole>), String> {
        if let Some(whole) = self.holes.iter().find(|h| h.path.is_empty()) {
            return Err(whole.what.clone());
        }
        match &self.value {
            Value::String(text) => {
                if let Some(hole) = self.holes.first() {
                    return Err(hole.what.clone());
                }
                let mut parsed: Value = serde_json::from_str(text)
                    .map_err(|e| format!("the option's text is not JSON that Directus can parse ({e})"))?;
                if text.contains("__proto__") {
                    drop_proto_keys(&mut parsed);
                }
                Ok((parsed, Vec::new()))
            }
            other => Ok((other.clone(), self.holes.clone())),
        }
    }
}

fn drop_proto_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("__proto__");
            map.values_mut().for_each(drop_proto_keys);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_proto_keys),
        _ => {}
    }
}

/// Renders one operation option (`renderMustache`): strings are templates, arrays and objects are rendered
/// element by element, everything else is kept.
pub fn render(option: &Value, trigger: &Trigger) -> Rendering {
    let mut out = Rendering { value: Value::Null, holes: Vec::new(), order_sensitive: false };
    let mut path = Vec::new();
    out.value = render_into(option, trigger, &mut path, &mut out.holes, &mut out.order_sensitive);
    out
}

fn render_into(
    item: &Value,
    trigger: &Trigger,
    path: &mut Vec<String>,
    holes: &mut Vec<Hole>,
    order_sensitive: &mut bool,
) -> Value {
    match item {
        Value::String(template) => match render_string(template, trigger, order_sensitive) {
            Ok(v) => v,
            Err(what) => {
                holes.push(Hole { path: path.clone(), what });
                Value::Null
            }
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    path.push(i.to_string());
                    let out = render_into(v, trigger, path, holes, order_sensitive);
                    path.pop();
                    out
                })
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    path.push(k.clone());
                    let out = render_into(v, trigger, path, holes, order_sensitive);
                    path.pop();
                    (k.clone(), out)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What `get(keyedData, path)` finds.
enum Found {
    Value(Value),
    Undefined,
}

fn render_string(template: &str, trigger: &Trigger, order_sensitive: &mut bool) -> Result<Value, String> {
    // A template that is one tag and nothing else yields the value itself, whatever its type.
    if let Some(name) = single_tag(template) {
        if let Found::Value(v) = lookup(name, trigger)? {
            return Ok(v);
        }
    }
    let (strings, names) = tokenize(template)?;
    let mut text = String::with_capacity(template.len());
    for (i, name) in names.iter().enumerate() {
        text.push_str(strings[i]);
        match lookup(name, trigger)? {
            Found::Undefined => text.push_str("undefined"),
            Found::Value(Value::String(s)) => text.push_str(&s),
            Found::Value(Value::Number(n)) => text.push_str(&js_number(&n)),
            Found::Value(Value::Bool(b)) => text.push_str(if b { "true" } else { "false" }),
            // `typeof null === 'object'`: null and objects are written as JSON.
            Found::Value(v) => text.push_str(&js_stringify(&v, order_sensitive)),
        }
    }
    text.push_str(strings[names.len()]);
    Ok(Value::String(text))
}

/// `/^\{\{\s*([^}\s]+)\s*\}\}$/` with JavaScript's `\s`.
fn single_tag(template: &str) -> Option<&str> {
    let inner = template.strip_prefix("{{")?.strip_suffix("}}")?;
    let name = inner.trim_matches(js_space);
    (!name.is_empty() && !name.chars().any(|c| c == '}' || js_space(c))).then_some(name)
}

/// JavaScript's `\s` and `String.prototype.trim` set: WhiteSpace and LineTerminator.
fn js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}'
    )
}

const MAX_VAR_NAME_UTF16: usize = 1000;

/// micromustache's `tokenize` with its default tags: the text between tags and the tags' names.
fn tokenize(template: &str) -> Result<(Vec<&str>, Vec<&str>), String> {
    let bad =
        |why: &str| Err(format!("the template \"{template}\" cannot be rendered ({why}), so the flow stops there"));
    let mut strings = Vec::new();
    let mut names = Vec::new();
    let mut current = 0;
    while current < template.len() {
        let Some(open) = template[current..].find("{{").map(|i| i + current) else { break };
        let start = open + 2;
        let Some(close) = template[start..].find("}}").map(|i| i + start) else {
            return bad("a {{ without }}");
        };
        if template[start..close].encode_utf16().count() > MAX_VAR_NAME_UTF16 {
            return bad("a tag longer than micromustache reads");
        }
        let name = template[start..close].trim_matches(js_space);
        if name.is_empty() {
            return bad("an empty tag");
        }
        if name.contains("{{") {
            return bad("a tag inside a tag");
        }
        names.push(name);
        strings.push(&template[current..open]);
        current = close + 2;
    }
    strings.push(&template[current..]);
    Ok((strings, names))
}

const MAX_DEPTH: usize = 10;

/// micromustache's `toPath`: `a.b[0]["c"]` → `[a, b, 0, c]`.
fn to_path(name: &str) -> Result<Vec<String>, String> {
    let bad = |why: &str| Err(format!("\"{{{{{name}}}}}\" cannot be rendered ({why}), so the flow stops there"));
    let mut names = Vec::new();
    let mut pre_dot = false;
    let mut current = 0;
    while current < name.len() {
        let Some(open) = name[current..].find('[').map(|i| i + current) else { break };
        let Some(close) = name[open..].find(']').map(|i| i + open) else { return bad("a [ without ]") };
        let inner = name[open + 1..close].trim_matches(js_space);
        if inner.is_empty() {
            return bad("empty []");
        }
        if let Err(why) = push_names(&mut names, &name[current..open], pre_dot) {
            return bad(why);
        }
        match between_brackets(inner) {
            Ok(p) => names.push(p),
            Err(why) => return bad(why),
        }
        pre_dot = true;
        current = close + 1;
    }
    if let Err(why) = push_names(&mut names, &name[current..], pre_dot) {
        return bad(why);
    }
    Ok(names)
}

fn between_brackets(inner: &str) -> Result<String, &'static str> {
    let quote = |c: Option<char>| c.is_some_and(|c| "'\"`".contains(c));
    let (first, last) = (inner.chars().next(), inner.chars().last());
    if quote(first) || quote(last) {
        if inner.chars().count() < 2 || first != last {
            return Err("mismatched quotes");
        }
        let q = first.map_or(0, char::len_utf8);
        return Ok(inner[q..inner.len() - q].to_string());
    }
    if inner.contains('[') {
        return Err("a [ without ]");
    }
    Ok(inner.strip_prefix('+').unwrap_or(inner).to_string())
}

fn push_names(names: &mut Vec<String>, part: &str, pre_dot: bool) -> Result<(), &'static str> {
    let mut p = part.trim_matches(js_space);
    if p.is_empty() {
        return Ok(());
    }
    if let Some(rest) = p.strip_prefix('.') {
        if !pre_dot {
            return Err("a leading .");
        }
        p = rest.trim_matches(js_space);
        if p.is_empty() {
            return Ok(());
        }
    } else if pre_dot {
        return Err("a missing .");
    }
    if p.ends_with('.') {
        return Err("a trailing .");
    }
    for piece in p.split('.') {
        let piece = piece.trim_matches(js_space);
        if piece.is_empty() {
            return Err("an empty name");
        }
        names.push(piece.to_string());
    }
    Ok(())
}

/// Names every plain JavaScript object inherits (`Object.prototype`): `name in object` holds for them.
const OBJECT_PROTOTYPE: &[&str] = &[
    "constructor",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
    "__proto__",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
];

/// micromustache's `get` on the flow's keyed data.
fn lookup(name: &str, trigger: &Trigger) -> Result<Found, String> {
    let path = to_path(name)?;
    if path.len() > MAX_DEPTH {
        return Err(format!("\"{name}\" is deeper than micromustache reads, so the flow stops there"));
    }
    let Some((root, rest)) = path.split_first() else { return Ok(Found::Undefined) };
    if root != "$trigger" {
        return Err(format!("{{{{{name}}}}} is only known when the flow runs"));
    }
    let (value, unknown_keys) = match trigger {
        Trigger::Unknown(why) => return Err(format!("{{{{{name}}}}}: {why}")),
        Trigger::Known { value, unknown_keys } => (value, unknown_keys),
    };
    match rest.first() {
        None if !unknown_keys.is_empty() => return Err(format!("{{{{{name}}}}} holds parts that are not known")),
        Some(first) if unknown_keys.contains(first) => {
            return Err(format!("{{{{{name}}}}} is not known before the flow runs"))
        }
        _ => {}
    }
    let mut current = Value::Object(value.clone());
    for key in rest {
        current = match member(&current, key) {
            Member::Value(v) => v,
            Member::Undefined => return Ok(Found::Undefined),
            Member::Inherited => {
                return Err(format!("{{{{{name}}}}} reaches \"{key}\", which JavaScript finds on a prototype"))
            }
        };
    }
    Ok(Found::Value(current))
}

enum Member {
    Value(Value),
    Undefined,
    Inherited,
}

/// `isProp(x, key) ? x[key] : undefined` for a value parsed from JSON.
fn member(value: &Value, key: &str) -> Member {
    match value {
        Value::Object(map) => match map.get(key) {
            Some(v) => Member::Value(v.clone()),
            None if OBJECT_PROTOTYPE.contains(&key) => Member::Inherited,
            None => Member::Undefined,
        },
        Value::Array(items) => {
            if key == "length" {
                return Member::Value(Value::Number(Number::from(items.len())));
            }
            match array_index(key) {
                Some(i) => items.get(i).cloned().map_or(Member::Undefined, Member::Value),
                // Array.prototype's methods and anything else: not followed.
                None => Member::Inherited,
            }
        }
        // Not objects: `isProp` is false, so `get` stops with undefined.
        _ => Member::Undefined,
    }
}

/// A canonical array index ("0", "17"; not "01", "-1" or "1.0").
fn array_index(key: &str) -> Option<usize> {
    let canonical = key == "0" || (!key.starts_with('0') && !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()));
    canonical.then(|| key.parse::<u32>().ok().filter(|&i| i < u32::MAX).map(|i| i as usize)).flatten()
}

/// `JSON.stringify` of a value parsed from JSON (objects in the core's key order, see `order_sensitive`).
pub fn js_stringify(value: &Value, order_sensitive: &mut bool) -> String {
    let mut out = String::new();
    write_json(value, &mut out, order_sensitive);
    out
}

fn write_json(value: &Value, out: &mut String, order_sensitive: &mut bool) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&js_number(n)),
        Value::String(s) => out.push_str(&Value::String(s.clone()).to_string()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out, order_sensitive);
            }
            out.push(']');
        }
        Value::Object(map) => {
            if map.len() > 1 {
                *order_sensitive = true;
            }
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_json(v, out, order_sensitive);
            }
            out.push('}');
        }
    }
}

/// ECMAScript `Number::toString` of a JSON number as JavaScript parses it (a double).
pub fn js_number(n: &Number) -> String {
    let Some(f) = n.as_f64() else { return n.to_string() };
    if f == 0.0 {
        return "0".into();
    }
    let sign = if f < 0.0 { "-" } else { "" };
    // Rust's `{:e}` writes the shortest digits that read back as the same double, as ECMAScript asks.
    let sci = format!("{:e}", f.abs());
    let Some((mantissa, exp)) = sci.split_once('e') else { return sci };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let Ok(exp) = exp.parse::<i32>() else { return sci };
    let k = digits.len() as i32;
    let n = exp + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let e = if e >= 0 { format!("+{e}") } else { e.to_string() };
        if k == 1 {
            format!("{digits}e{e}")
        } else {
            format!("{}.{}e{e}", &digits[..1], &digits[1..])
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
#[path = "template_tests.rs"]
mod tests;

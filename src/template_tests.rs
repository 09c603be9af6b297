use super::*;
use proptest::prelude::*;
use serde_json::json;

fn manual(data: Value) -> Trigger {
    let args = json!({"id": "f1", "collection": "articles", "keys": [1, 2], "data": data});
    Trigger::manual("f1", args.as_object().unwrap_or(&Map::new()))
}

fn known(option: Value, data: Value) -> Value {
    let r = render(&option, &manual(data));
    assert!(r.holes.is_empty(), "unexpected holes in {option}: {:?}", r.holes);
    r.value
}

fn hole(option: Value, data: Value) -> String {
    let r = render(&option, &manual(data));
    r.holes.first().map(|h| h.what.clone()).unwrap_or_else(|| panic!("{option} rendered to {}", r.value))
}

#[test]
fn a_lone_tag_yields_the_value_itself_and_text_gets_javascript_strings() {
    let data = json!({"changes": {"comments": {"delete": [7]}}, "n": 1.5, "big": 1e21, "t": true, "nil": null});
    assert_eq!(known(json!("{{$trigger.body.changes}}"), data.clone()), json!({"comments": {"delete": [7]}}));
    assert_eq!(known(json!("{{ $trigger.body.keys }}"), data.clone()), json!([1, 2]));
    assert_eq!(known(json!("{{$trigger.body.nil}}"), data.clone()), Value::Null);
    assert_eq!(
        known(json!("n={{$trigger.body.n}} {{$trigger.body.big}} {{$trigger.body.t}}"), data.clone()),
        json!("n=1.5 1e+21 true")
    );
    assert_eq!(known(json!("{{$trigger.body.keys}}!"), data.clone()), json!("[1,2]!"));
    assert_eq!(known(json!("{{$trigger.body.nil}}-"), data.clone()), json!("null-"));
    // Missing values: a lone tag falls through to text, where undefined is written out.
    assert_eq!(known(json!("{{$trigger.body.missing}}"), data.clone()), json!("undefined"));
    assert_eq!(known(json!("{{$trigger.body.keys.length}}"), data.clone()), json!(2));
    assert_eq!(known(json!("{{$trigger.body.keys[1]}}"), data.clone()), json!(2));
    assert_eq!(known(json!("{{$trigger.body['changes'].comments}}"), data.clone()), json!({"delete": [7]}));
    // Strings are not objects to micromustache: it finds nothing on them.
    assert_eq!(known(json!("{{$trigger.body.collection.length}}"), json!({})), json!("undefined"));
    // Objects and arrays inside options are rendered element by element; other values are kept.
    assert_eq!(
        known(json!({"a": ["{{$trigger.body.collection}}", 3, null], "b": false}), json!({})),
        json!({"a": ["articles", 3, null], "b": false})
    );
    // The call's data overrides collection and keys, as `{collection, keys, ...data}` does.
    assert_eq!(
        known(json!("{{$trigger.body.collection}}"), json!({"collection": "directus_settings"})),
        json!("directus_settings")
    );
    assert_eq!(known(json!("{{$trigger.method}} {{$trigger.path}}"), json!({})), json!("POST /trigger/f1"));
}

#[test]
fn what_the_call_does_not_make_knowable_is_a_hole() {
    for (option, expect) in [
        (json!("{{$last.id}}"), "only known when the flow runs"),
        (json!("{{$env.SECRET}}"), "only known when the flow runs"),
        (json!("{{$accountability.user}}"), "only known when the flow runs"),
        (json!("{{read_step[0].id}}"), "only known when the flow runs"),
        (json!("{{$trigger.query.x}}"), "not known before the flow runs"),
        (json!("{{$trigger.headers}}"), "not known before the flow runs"),
        (json!("{{$trigger}}"), "parts that are not known"),
        (json!("{{$trigger.body.constructor}}"), "prototype"),
        (json!("{{$trigger.body.keys.map}}"), "prototype"),
        (json!("{{$trigger.body..x}}"), "cannot be rendered"),
        (json!("{{ }}"), "cannot be rendered"),
        (json!("{{$trigger.body.x"), "cannot be rendered"),
        (json!("{{$trigger.body.a.b.c.d.e.f.g.h.i.j}}"), "deeper"),
    ] {
        let what = hole(option.clone(), json!({}));
        assert!(what.contains(expect), "{option}: {what}");
    }
    let data_is_a_list =
        Trigger::manual("f", json!({"collection": "a", "data": [1]}).as_object().unwrap_or(&Map::new()));
    assert!(!render(&json!("{{$trigger.body.x}}"), &data_is_a_list).holes.is_empty());
    let r = render(&json!({"title": "{{$last.t}}", "comments": "{{$trigger.body.c}}"}), &manual(json!({"c": [1]})));
    assert_eq!(r.holes.len(), 1);
    assert_eq!(r.holes[0].path, vec!["title".to_string()]);
    assert_eq!(r.value, json!({"title": null, "comments": [1]}));
}

#[test]
fn text_options_and_json_options_are_read_as_directus_reads_them() {
    let r = render(&json!("{{$trigger.body.target}}"), &manual(json!({"target": "mcp_guard_log"})));
    assert_eq!(r.text(), Ok(Some("mcp_guard_log")));
    // JSON text with a value written in: parsed after rendering.
    let r = render(&json!("{\"comments\": {{$trigger.body.c}}}"), &manual(json!({"c": {"delete": [1], "create": []}})));
    assert!(r.order_sensitive);
    assert_eq!(r.object().map(|(v, _)| v), Ok(json!({"comments": {"delete": [1], "create": []}})));
    // …but a JSON text with a hole has no known structure.
    let r = render(&json!("{\"title\": \"{{$last.t}}\"}"), &manual(json!({})));
    assert!(r.object().is_err());
    // An object written into text keeps JavaScript's key order, which the core does not know.
    let r = render(&json!("x{{$trigger.body.o}}"), &manual(json!({"o": {"b": 1, "a": 2}})));
    assert!(r.text().is_err());
    let r = render(&json!("{\"__proto__\": {\"x\": 1}, \"a\": 1}"), &manual(json!({})));
    assert_eq!(r.object().map(|(v, _)| v), Ok(json!({"a": 1})));
}

#[test]
fn numbers_are_written_as_javascript_writes_them() {
    for (n, text) in [
        (json!(0), "0"),
        (json!(-0.0), "0"),
        (json!(1.0), "1"),
        (json!(-1.5), "-1.5"),
        (json!(0.1), "0.1"),
        (json!(1e21), "1e+21"),
        (json!(1e20), "100000000000000000000"),
        (json!(123456789.125), "123456789.125"),
        (json!(1e-7), "1e-7"),
        (json!(0.000001), "0.000001"),
        (json!(1.2345e-10), "1.2345e-10"),
        (json!(9007199254740993u64), "9007199254740992"),
        (json!(f64::MAX), "1.7976931348623157e+308"),
        (json!(5e-324), "5e-324"),
    ] {
        let Value::Number(n) = n else { panic!("{n}") };
        assert_eq!(js_number(&n), text);
    }
}

proptest! {
    /// Text around tags of known values: the rendering is the text with each value written in, in
    /// JavaScript's form, and a template without tags is kept as it is.
    #[test]
    fn known_values_are_written_into_the_text(
        parts in prop::collection::vec(("[a-z ,:/\\[\\]\"'.-]{0,6}", 0usize..5), 1..5),
        s in "[a-z0-9 ]{0,8}",
        n in any::<i32>(),
        f in any::<f64>().prop_filter("finite", |f| f.is_finite()),
    ) {
        let data = json!({"s": s, "n": n, "f": f, "b": n % 2 == 0});
        let names = ["s", "n", "f", "b", "missing"];
        let mut template = String::new();
        let mut expected = String::new();
        for (text, which) in &parts {
            template.push_str(text);
            expected.push_str(text);
            template.push_str(&format!("{{{{ $trigger.body.{} }}}}", names[*which]));
            expected.push_str(&match &data.get(names[*which]) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(x)) => js_number(x),
                Some(Value::Bool(b)) => b.to_string(),
                _ => "undefined".to_string(),
            });
        }
        let r = render(&Value::String(template.clone()), &manual(data.clone()));
        prop_assert!(r.holes.is_empty());
        // A lone tag of a known value yields the value itself.
        if parts.len() == 1 && parts[0].0.is_empty() && parts[0].1 != 4 {
            prop_assert_eq!(&r.value, &data[names[parts[0].1]]);
        } else {
            prop_assert_eq!(r.value, Value::String(expected));
        }
        let plain: String = template.chars().filter(|c| *c != '{').collect();
        prop_assert_eq!(render(&Value::String(plain.clone()), &manual(data)).value, Value::String(plain));
    }
}

/// Directus's own renderer, run under Node from the Directus runtime the e2e tests use, against the core on
/// generated templates and trigger bodies. Run by `tests/package/template-differential.test.mjs`, which has
/// the runtime; `cargo test -- --ignored` runs it by hand.
#[test]
#[ignore = "needs Node and the Directus runtime: run by tests/package/template-differential.test.mjs"]
fn renders_as_directus_does() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let runtime = std::env::var("MCP_GUARD_DIRECTUS_DIR").expect("MCP_GUARD_DIRECTUS_DIR names the Directus runtime");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/package/render-with-directus.mjs");
    let node = format!("{runtime}/node_modules/node/bin/node");
    let cases = differential_cases(4000);
    let input: String = cases.iter().map(|c| format!("{c}\n")).collect();
    let mut child = Command::new(node)
        .arg(script)
        .env("MCP_GUARD_DIRECTUS_DIR", &runtime)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node starts");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("cases written");
    let out = child.wait_with_output().expect("node ran");
    assert!(out.status.success(), "node failed");
    let answers: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(answers.len(), cases.len());

    let (mut compared, mut holes) = (0, 0);
    for (case, directus) in cases.iter().zip(&answers) {
        let args = case["args"].as_object().expect("args");
        let trigger = Trigger::manual("f1", args);
        for (key, option) in case["options"].as_object().expect("options") {
            let core = render(option, &trigger);
            let theirs = &directus["results"][key];
            if !core.holes.is_empty() {
                holes += 1;
                continue;
            }
            assert!(
                theirs.get("error").is_none(),
                "Directus could not render {option} with {args:?}, the core did: {}",
                core.value
            );
            let theirs = &theirs["value"];
            if core.order_sensitive {
                // Same JSON once parsed back, whatever the key order.
                let parsed = |v: &Value| v.as_str().and_then(|s| serde_json::from_str::<Value>(s).ok());
                if let (Some(a), Some(b)) = (parsed(&core.value), parsed(theirs)) {
                    assert!(same(&a, &b), "{option} with {args:?}: {a} ≠ {b}");
                }
                continue;
            }
            assert!(same(&core.value, theirs), "{option} with {args:?}: core {} ≠ Directus {theirs}", core.value);
            compared += 1;
        }
    }
    // The comparison means something only if many options were rendered (each option has up to three tags,
    // and one unknown tag leaves it unknown).
    assert!(compared * 2 > holes, "{compared} rendered and compared, {holes} left unknown");
}

/// Equal JSON, numbers compared as the doubles JavaScript holds (a raw value keeps digits a double cannot).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn differential_cases(count: usize) -> Vec<Value> {
    let mut rng = fastrand::Rng::with_seed(0x6d63_7067);
    let pick = |rng: &mut fastrand::Rng, items: &[&str]| items[rng.usize(..items.len())].to_string();
    let leaf = |rng: &mut fastrand::Rng| -> Value {
        match rng.u8(..9) {
            0 => json!(rng.i64(-1000..1000)),
            1 => json!(rng.f64() * 1e6 - 5e5),
            2 => json!(pick(rng, &["1e21", "1e-7", "0.1", "-0", "9007199254740993", "123.456"])
                .parse::<f64>()
                .unwrap_or(0.0)),
            3 => json!(pick(rng, &["articles", "directus_settings", "a,b", "x y", "", "{{", "ü€😀", "\n\t\"\\"])),
            4 => json!(rng.bool()),
            5 => Value::Null,
            6 => json!([rng.u8(..10), pick(rng, &["a", "b"])]),
            7 => json!({"id": rng.u8(..10), "name": pick(rng, &["n", "m"])}),
            _ => json!({"delete": [rng.u8(..10)]}),
        }
    };
    let names = ["x", "obj", "arr", "n", "s", "keys", "collection", "target", "changes", "a b", "0", "length"];
    let paths = [
        "$trigger.body.x",
        "$trigger.body.obj",
        "$trigger.body.obj.id",
        "$trigger.body.obj.name",
        "$trigger.body.arr",
        "$trigger.body.arr[0]",
        "$trigger.body.arr[1]",
        "$trigger.body.arr.length",
        "$trigger.body.arr.1",
        "$trigger.body.arr[+0]",
        "$trigger.body.arr[01]",
        "$trigger.body.arr[5]",
        "$trigger.body.n",
        "$trigger.body.s",
        "$trigger.body.s.length",
        "$trigger.body.keys",
        "$trigger.body.keys[0]",
        "$trigger.body.collection",
        "$trigger.body.target",
        "$trigger.body.changes",
        "$trigger.body.changes.delete",
        "$trigger.body['x']",
        "$trigger.body[\"obj\"].id",
        "$trigger.body[`s`]",
        "$trigger.body['a b']",
        "$trigger.body[0]",
        "$trigger.body.length",
        "$trigger.body.missing",
        "$trigger.body.missing.deeper",
        "$trigger.method",
        "$trigger.path",
        "$trigger.nope",
    ];
    // Paths whose value the core leaves unknown, or that Directus cannot render.
    let tricky = [
        " $trigger . body . x ",
        "$trigger.body.x.",
        "$trigger.body..x",
        "$trigger.body['x\"]",
        "$trigger.body[x",
        "$trigger.body[]",
        "$trigger.body.obj.id.a.b.c.d.e.f",
        "$trigger.body.obj.id.a.b.c.d.e.f.g",
        "$last",
        "$last.x",
        "$env.X",
        "unknown_key",
    ];
    let texts = ["", " ", "a", "{", "}", "{ {", "} }", "\"", "x/", ",", "ü", "{{{", "}}}", "\\"];
    (0..count)
        .map(|_| {
            let mut data = Map::new();
            for name in names {
                if rng.u8(..3) > 0 {
                    data.insert(name.to_string(), leaf(&mut rng));
                }
            }
            let mut args = Map::new();
            args.insert("id".into(), json!("f1"));
            args.insert("collection".into(), json!(pick(&mut rng, &["articles", "comments"])));
            if rng.bool() {
                args.insert("keys".into(), json!([rng.u8(..9), rng.u8(..9)]));
            }
            args.insert("data".into(), Value::Object(data));
            let mut options = Map::new();
            for i in 0..4 {
                let mut template = String::new();
                for _ in 0..rng.usize(1..4) {
                    template.push_str(&pick(&mut rng, &texts));
                    let path = if rng.u8(..10) < 9 { pick(&mut rng, &paths) } else { pick(&mut rng, &tricky) };
                    let (open, close) = match rng.u8(..10) {
                        0 => ("{{ ", "}}"),
                        1 => ("{{", "\t}}"),
                        2 => ("{{", ""),
                        _ => ("{{", "}}"),
                    };
                    template.push_str(&format!("{open}{path}{close}"));
                }
                if rng.bool() {
                    template.push_str(&pick(&mut rng, &texts));
                }
                let option = match i {
                    3 => json!({"nested": [template, 1, null, {"deep": "{{$trigger.body.x}}"}]}),
                    _ => Value::String(template),
                };
                options.insert(format!("o{i}"), option);
            }
            json!({"args": args, "options": options})
        })
        .collect()
}

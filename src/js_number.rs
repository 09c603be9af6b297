//! Numbers as Directus reads them. Directus is JavaScript: a JSON number is an IEEE double (`1e4` is
//! 10000, `-1.0` is -1), and where it converts text it uses `Number(text)` (`" 0x10 "` is 16, `""` is 0).
//! Reading them any other way lets a value mean one thing to the guard and another to Directus.

use serde_json::Value;

/// The largest integer a double holds exactly (`Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A JSON value as JavaScript's `Number(value)` reads it. `None` is NaN (objects, arrays, unparsable
/// text). `null` is 0 and booleans are 0 or 1, as in JavaScript.
pub fn to_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => string_to_number(s),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Null => Some(0.0),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// The value as a safe integer (`Number.isSafeInteger`), or why it is not one.
pub fn safe_integer(value: &Value) -> Result<i64, String> {
    let Some(n) = to_number(value) else { return Err(format!("{value} is not a number")) };
    if n.fract() != 0.0 || !n.is_finite() {
        return Err(format!("{value} is not a whole number"));
    }
    if n.abs() > MAX_SAFE_INTEGER {
        return Err(format!("{value} is too large to be read exactly"));
    }
    // In range and whole: the cast is exact.
    Ok(n as i64)
}

/// JavaScript's whitespace and line terminators, which `Number()` trims.
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\u{0009}'
            | '\u{000A}'
            | '\u{000B}'
            | '\u{000C}'
            | '\u{000D}'
            | '\u{0020}'
            | '\u{00A0}'
            | '\u{1680}'
            | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\u{FEFF}'
    )
}

/// `StringToNumber` of ECMA-262: trimmed empty text is 0; `Infinity` with an optional sign; `0x`, `0o`,
/// `0b` integers without a sign; decimal literals with an optional sign, fraction and exponent.
fn string_to_number(text: &str) -> Option<f64> {
    let t = text.trim_matches(is_js_space);
    if t.is_empty() {
        return Some(0.0);
    }
    for (prefix, radix) in [("0x", 16), ("0X", 16), ("0o", 8), ("0O", 8), ("0b", 2), ("0B", 2)] {
        if let Some(digits) = t.strip_prefix(prefix) {
            return radix_integer(digits, radix);
        }
    }
    let (sign, unsigned) = match t.as_bytes()[0] {
        b'-' => (-1.0, &t[1..]),
        b'+' => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    if unsigned == "Infinity" {
        return Some(sign * f64::INFINITY);
    }
    decimal_literal(unsigned).then(|| unsigned.parse::<f64>().ok().map(|n| sign * n)).flatten()
}

/// Digits in a radix, as a double (rounded the way repeated multiply-add rounds, exact below 2^53).
fn radix_integer(digits: &str, radix: u32) -> Option<f64> {
    if digits.is_empty() {
        return None;
    }
    let mut n = 0f64;
    for c in digits.chars() {
        n = n * f64::from(radix) + f64::from(c.to_digit(radix)?);
    }
    Some(n)
}

/// `StrUnsignedDecimalLiteral`: digits with an optional `.` and fraction (at least one digit in all), then
/// an optional exponent. Rust's float parser accepts more (`inf`, `NaN`), so the shape is checked first.
fn decimal_literal(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let mut mantissa = digits(&mut i);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_numbers_are_doubles() {
        let parsed: Value = serde_json::from_str("[1e4, -1.0, 1.5, 9007199254740993]").unwrap_or_default();
        let n: Vec<Option<f64>> = parsed.as_array().into_iter().flatten().map(to_number).collect();
        assert_eq!(n[0], Some(10000.0));
        assert_eq!(n[1], Some(-1.0));
        assert_eq!(n[2], Some(1.5));
        assert_eq!(n[3], Some(9007199254740992.0));
        // JSON.parse reads 1e400 as Infinity; serde_json refuses it, so such a message is refused whole.
        assert!(serde_json::from_str::<Value>("1e400").is_err());
        assert_eq!(safe_integer(&json!(1e4)), Ok(10000));
        assert_eq!(safe_integer(&json!(-1.0)), Ok(-1));
        assert!(safe_integer(&json!(1.5)).is_err());
        assert!(safe_integer(&json!(9007199254740993u64)).is_err());
    }

    #[test]
    fn text_is_read_as_number_reads_it() {
        let cases: &[(&str, Option<f64>)] = &[
            ("", Some(0.0)),
            ("  \n", Some(0.0)),
            (" 12 ", Some(12.0)),
            ("\u{00A0}7\u{FEFF}", Some(7.0)),
            ("1e4", Some(10000.0)),
            ("-1.0", Some(-1.0)),
            ("+5", Some(5.0)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("0x10", Some(16.0)),
            ("0B101", Some(5.0)),
            ("0o17", Some(15.0)),
            ("-0x10", None),
            ("0x", None),
            ("Infinity", Some(f64::INFINITY)),
            ("-Infinity", Some(f64::NEG_INFINITY)),
            ("inf", None),
            ("NaN", None),
            ("1e", None),
            (".", None),
            ("1_000", None),
            ("12abc", None),
            ("--1", None),
        ];
        for (text, want) in cases {
            assert_eq!(string_to_number(text), *want, "{text:?}");
        }
    }

    /// Number literals and number-like texts, crossed with signs, exponents, padding and radix prefixes.
    fn tricky_numbers() -> Vec<String> {
        let mantissas = [
            "0",
            "1",
            "10",
            "1.5",
            ".5",
            "5.",
            "00012",
            "9007199254740991",
            "9007199254740993",
            "18446744073709551616",
            "123456789012345678901234567890",
            "0.1",
            "2.2250738585072014e-308",
            "1.7976931348623157e308",
            "4.9e-324",
            "1e-400",
            "0.30000000000000004",
            "12345.678901234567890123",
        ];
        let exponents = ["", "e0", "E1", "e+2", "e-2", "e21", "e-7", "e308", "e309"];
        let mut texts = Vec::new();
        for m in mantissas {
            for e in exponents {
                for sign in ["", "-"] {
                    texts.push(format!("{sign}{m}{e}"));
                }
            }
        }
        texts
    }

    fn node_eval(script: &str, input: &[String]) -> Vec<Value> {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let mut child =
            match Command::new("node").arg("-e").arg(script).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn() {
                Ok(c) => c,
                Err(e) => panic!("node is needed for this differential test: {e}"),
            };
        child.stdin.take().unwrap().write_all(&serde_json::to_vec(input).unwrap()).unwrap();
        let out = child.wait_with_output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// JSON number literals: JavaScript's `JSON.parse` against serde_json's reading and `to_number`. Node
    /// answers with the double's exact bits (as text), `invalid` for text that is not JSON, or `infinite`
    /// past a double's range. serde_json refuses both of those, and the guard then refuses the message.
    #[test]
    fn json_numbers_agree_with_json_parse() {
        let texts = tricky_numbers();
        let script = "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const b=new DataView(new ArrayBuffer(8));process.stdout.write(JSON.stringify(JSON.parse(s).map(t=>{let n;try{n=JSON.parse(t)}catch{return 'invalid'}if(!Number.isFinite(n))return 'infinite';b.setFloat64(0,n);return b.getBigUint64(0).toString()})))})";
        let node = node_eval(script, &texts);
        let mut disagreements = Vec::new();
        for (text, want) in texts.iter().zip(node) {
            let got =
                serde_json::from_str::<Value>(text).ok().and_then(|v| to_number(&v)).map(|n| n.to_bits().to_string());
            let agree = match (got.as_deref(), want.as_str()) {
                (None, Some("invalid" | "infinite")) => true,
                (got, want) => got == want,
            };
            if !agree {
                disagreements.push(format!("{text}: node {want}, guard {got:?}"));
            }
        }
        assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    }

    /// Texts: JavaScript's `Number(text)` against `to_number`.
    #[test]
    fn texts_agree_with_number() {
        let mut texts = tricky_numbers();
        for extra in [
            "",
            " ",
            " 12 ",
            "\u{a0}7\u{feff}",
            "\n1\t",
            "0x1F",
            "0X1f",
            "0b101",
            "0o17",
            "-0x10",
            "+0x10",
            "0x",
            "Infinity",
            "-Infinity",
            "+Infinity",
            "infinity",
            "inf",
            "NaN",
            "1e",
            ".",
            "1_000",
            "12abc",
            "--1",
            "+-1",
            "1.2.3",
            "٣",
            "１２",
            "0.0000001",
            "1e1000",
            "-0",
        ] {
            texts.push(extra.to_string());
        }
        let script = "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const b=new DataView(new ArrayBuffer(8));process.stdout.write(JSON.stringify(JSON.parse(s).map(t=>{const n=Number(t);if(Number.isNaN(n))return null;b.setFloat64(0,n);return b.getBigUint64(0).toString()})))})";
        let node = node_eval(script, &texts);
        let mut disagreements = Vec::new();
        for (text, want) in texts.iter().zip(node) {
            let got = to_number(&Value::String(text.clone())).map(|n| n.to_bits().to_string());
            if got.as_deref() != want.as_str() {
                disagreements.push(format!("{text:?}: node {want}, guard {got:?}"));
            }
        }
        assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    }
}

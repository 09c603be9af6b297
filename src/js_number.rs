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
}

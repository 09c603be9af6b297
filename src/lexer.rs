//! Reads JSON text where it lies, without building a tree: the answer filter walks an answer in one pass,
//! and only the strings it changes are written anew.
//!
//! A legacy tool result is JSON text inside a JSON string (`content[].text`). Rather than unescape that
//! string and parse a copy, the lexer reads it in place as a second layer: every quote and backslash of the
//! inner text carries one more escape. Positions are always byte offsets into the one buffer, so a change
//! anywhere is a splice of that buffer.

use crate::simd::find_quote_backslash_or_control;
use serde_json::Value;
use std::borrow::Cow;

/// How the JSON being read is written in the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// As it is.
    Plain,
    /// As the contents of a JSON string that starts before the lexer's position; its closing quote ends
    /// the layer.
    InString,
}

/// Why the text is not JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} at byte {at}")]
pub struct LexError {
    pub at: usize,
    pub what: &'static str,
}

/// More nesting than this is refused (as `serde_json` does): walking it would only serve an attack.
pub const MAX_DEPTH: usize = 128;

/// A string of the text: where it lies (quotes included, in buffer bytes) and what it says.
#[derive(Debug)]
pub struct StringToken<'a> {
    pub start: usize,
    pub end: usize,
    pub text: Cow<'a, str>,
}

/// A number, `true`, `false` or `null`: where it lies and how it is written.
#[derive(Debug)]
pub struct Scalar<'a> {
    pub start: usize,
    pub end: usize,
    pub text: Cow<'a, str>,
}

/// The first character of the next value, which says what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Object,
    Array,
    String,
    Scalar,
}

pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    layer: Layer,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str, pos: usize, layer: Layer) -> Lexer<'a> {
        Lexer { src, pos, layer }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The whole buffer this lexer reads from.
    pub fn source(&self) -> &'a str {
        self.src
    }

    pub fn layer(&self) -> Layer {
        self.layer
    }

    fn fail<T>(&self, what: &'static str) -> Result<T, LexError> {
        Err(LexError { at: self.pos, what })
    }

    /// The character of this layer at `at` and the bytes it takes; `None` at the end of the layer.
    #[inline]
    fn unit_at(&self, at: usize) -> Result<Option<(char, usize)>, LexError> {
        // Most units are one printable ASCII byte that means itself.
        let bytes = self.src.as_bytes();
        match bytes.get(at) {
            Some(&b) if (0x20..0x80).contains(&b) && b != b'\\' && (b != b'"' || self.layer == Layer::Plain) => {
                Ok(Some((char::from(b), 1)))
            }
            // The quotes of the inner text.
            Some(b'\\') if self.layer == Layer::InString && bytes.get(at + 1) == Some(&b'"') => Ok(Some(('"', 2))),
            _ => self.escaped_unit_at(at),
        }
    }

    fn escaped_unit_at(&self, at: usize) -> Result<Option<(char, usize)>, LexError> {
        let bytes = self.src.as_bytes();
        let Some(&b) = bytes.get(at) else {
            return match self.layer {
                Layer::Plain => Ok(None),
                Layer::InString => Err(LexError { at, what: "the string holding the JSON text does not end" }),
            };
        };
        if self.layer == Layer::InString {
            match b {
                b'"' => return Ok(None),
                b'\\' => return decode_escape(self.src, at).map(Some),
                0..=0x1f => return Err(LexError { at, what: "control character in a string" }),
                _ => {}
            }
        }
        if b < 0x80 {
            return Ok(Some((char::from(b), 1)));
        }
        let c = self.src.get(at..).and_then(|rest| rest.chars().next());
        Ok(c.map(|c| (c, c.len_utf8())))
    }

    fn skip_whitespace(&mut self) -> Result<(), LexError> {
        self.peek().map(|_| ())
    }

    /// The byte at `self.pos` when it is a character of this layer that means itself and is not whitespace:
    /// printable ASCII other than a backslash (and a quote, inside a string). JSON as `JSON.stringify`
    /// writes it has no whitespace, so its structure is read through here, without decoding.
    #[inline(always)]
    fn plain_byte(&self) -> Option<u8> {
        let b = *self.src.as_bytes().get(self.pos)?;
        let plain = (0x21..0x80).contains(&b) && b != b'\\' && (b != b'"' || self.layer == Layer::Plain);
        plain.then_some(b)
    }

    /// The next character after whitespace, without taking it.
    #[inline(always)]
    pub fn peek(&mut self) -> Result<Option<char>, LexError> {
        match self.plain_byte() {
            Some(b) => Ok(Some(char::from(b))),
            None => self.peek_decoded(),
        }
    }

    fn peek_decoded(&mut self) -> Result<Option<char>, LexError> {
        loop {
            match self.unit_at(self.pos)? {
                Some((' ' | '\t' | '\n' | '\r', len)) => self.pos += len,
                other => return Ok(other.map(|(c, _)| c)),
            }
        }
    }

    /// Takes `expected` (after whitespace) or fails with `what`.
    #[inline(always)]
    pub fn expect(&mut self, expected: char, what: &'static str) -> Result<(), LexError> {
        if self.plain_byte().is_some_and(|b| char::from(b) == expected) {
            self.pos += 1;
            return Ok(());
        }
        self.expect_decoded(expected, what)
    }

    fn expect_decoded(&mut self, expected: char, what: &'static str) -> Result<(), LexError> {
        self.skip_whitespace()?;
        match self.unit_at(self.pos)? {
            Some((c, len)) if c == expected => {
                self.pos += len;
                Ok(())
            }
            _ => self.fail(what),
        }
    }

    /// Takes `,` and says `true`, or takes `close` and says `false`.
    #[inline(always)]
    pub fn comma_or(&mut self, close: char) -> Result<bool, LexError> {
        match self.plain_byte().map(char::from) {
            Some(',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => self.comma_or_decoded(close),
        }
    }

    fn comma_or_decoded(&mut self, close: char) -> Result<bool, LexError> {
        self.skip_whitespace()?;
        match self.unit_at(self.pos)? {
            Some((',', len)) => {
                self.pos += len;
                Ok(true)
            }
            Some((c, len)) if c == close => {
                self.pos += len;
                Ok(false)
            }
            _ => self.fail(if close == '}' { "expected , or } in an object" } else { "expected , or ] in an array" }),
        }
    }

    /// Takes `close` if it comes next (an empty object or array).
    pub fn close_if_next(&mut self, close: char) -> Result<bool, LexError> {
        if self.peek()? == Some(close) {
            self.expect(close, "")?;
            return Ok(true);
        }
        Ok(false)
    }

    #[inline(always)]
    pub fn next_value(&mut self) -> Result<Next, LexError> {
        match self.peek()? {
            Some('{') => Ok(Next::Object),
            Some('[') => Ok(Next::Array),
            Some('"') => Ok(Next::String),
            Some('-' | '0'..='9' | 't' | 'f' | 'n') => Ok(Next::Scalar),
            Some(_) => self.fail("expected a JSON value"),
            None => self.fail("the JSON text ends where a value should be"),
        }
    }

    /// After the last value: only whitespace may follow, up to the end of the layer.
    pub fn finish(&mut self) -> Result<(), LexError> {
        match self.peek()? {
            None => Ok(()),
            Some(_) => self.fail("text after the JSON value"),
        }
    }

    /// Continues after a stretch another lexer read (the JSON text inside a string).
    pub fn skip_to(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// A number or literal, checked against the JSON grammar. Its characters are never escaped in JSON
    /// written as `JSON.stringify` writes it, so the text is borrowed, unless an escape spells one.
    pub fn scalar(&mut self) -> Result<Scalar<'a>, LexError> {
        self.skip_whitespace()?;
        let start = self.pos;
        let bytes = self.src.as_bytes();
        while bytes.get(self.pos).is_some_and(|&b| is_scalar_char(char::from(b))) {
            self.pos += 1;
        }
        let text = if bytes.get(self.pos) == Some(&b'\\') && self.layer == Layer::InString {
            self.pos = start;
            Cow::Owned(self.spelled_scalar()?)
        } else {
            Cow::Borrowed(self.src.get(start..self.pos).unwrap_or_default())
        };
        let valid = matches!(text.as_ref(), "true" | "false" | "null") || is_json_number(&text);
        if !valid {
            return Err(LexError { at: start, what: "not a JSON number or literal" });
        }
        Ok(Scalar { start, end: self.pos, text })
    }

    /// A scalar of the inner text read character by character, escapes of the outer string decoded.
    fn spelled_scalar(&mut self) -> Result<String, LexError> {
        let mut text = String::new();
        while let Some((c, len)) = self.unit_at(self.pos)? {
            if !is_scalar_char(c) {
                break;
            }
            text.push(c);
            self.pos += len;
        }
        Ok(text)
    }

    /// A string, decoded. Text with no escapes is borrowed from the buffer.
    pub fn string(&mut self) -> Result<StringToken<'a>, LexError> {
        self.skip_whitespace()?;
        let start = self.pos;
        let src = self.src;
        let bytes = src.as_bytes();
        // The opening quote: `"`, or `\"` inside a string.
        match (self.layer, bytes.get(start), bytes.get(start + 1)) {
            (Layer::Plain, Some(b'"'), _) => self.pos += 1,
            (Layer::InString, Some(b'\\'), Some(b'"')) => self.pos += 2,
            _ => self.expect('"', "expected a string")?,
        }
        let mut owned: Option<String> = None;
        let mut run_start = self.pos;
        loop {
            let at = find_quote_backslash_or_control(bytes, self.pos);
            let Some(&b) = bytes.get(at) else {
                self.pos = at;
                return self.fail("a string does not end");
            };
            // Everything before `at` is plain text: specials are ASCII, so `at` is a character boundary.
            let run = src.get(run_start..at).unwrap_or("");
            self.pos = at;
            let (c, len) = match (self.layer, b) {
                (_, 0..=0x1f) => return self.fail("control character in a string"),
                (Layer::Plain, b'"') => (None, 1),
                (Layer::Plain, _) => (Some(self.plain_escape()?), 0),
                (Layer::InString, b'"') => return self.fail("the string holding the JSON text ends inside a string"),
                // The closing `\"`, the most common case.
                (Layer::InString, _) if bytes.get(at + 1) == Some(&b'"') => (None, 2),
                (Layer::InString, _) => match decode_escape(src, at)? {
                    ('"', len) => (None, len),
                    ('\\', len) => {
                        self.pos += len;
                        (Some(self.nested_escape()?), 0)
                    }
                    (c, _) if c < ' ' => return self.fail("control character in a string"),
                    (c, len) => (Some(c), len),
                },
            };
            match c {
                None => {
                    self.pos += len;
                    let text = match owned {
                        Some(mut s) => {
                            s.push_str(run);
                            Cow::Owned(s)
                        }
                        None => Cow::Borrowed(run),
                    };
                    return Ok(StringToken { start, end: self.pos, text });
                }
                Some(c) => {
                    self.pos += len;
                    // Room for most strings with escapes (HTML in a field, with its quotes) at once.
                    let s = owned.get_or_insert_with(|| String::with_capacity((src.len() - start).min(512)));
                    s.push_str(run);
                    s.push(c);
                    run_start = self.pos;
                }
            }
        }
    }

    /// A `\…` escape in plain JSON, at `self.pos`; moves past it.
    fn plain_escape(&mut self) -> Result<char, LexError> {
        let (c, len) = decode_escape(self.src, self.pos)?;
        self.pos += len;
        Ok(c)
    }

    /// An escape of the inner text, whose backslash (one layer down) was just taken: its code and any hex
    /// digits are characters of the outer string, escaped or not.
    fn nested_escape(&mut self) -> Result<char, LexError> {
        let Some((code, len)) = self.unit_at(self.pos)? else { return self.fail("an escape does not end") };
        self.pos += len;
        if let Some(c) = simple_escape(code) {
            return Ok(c);
        }
        if code != 'u' {
            return self.fail("unknown escape in a string");
        }
        let high = self.nested_hex()?;
        if !(0xD800..0xDC00).contains(&high) {
            return char::from_u32(high).map_or_else(|| self.fail("lone surrogate in a string"), Ok);
        }
        // A surrogate pair: the low half must follow as another escape.
        for expected in ['\\', 'u'] {
            match self.unit_at(self.pos)? {
                Some((c, len)) if c == expected => self.pos += len,
                _ => return self.fail("lone surrogate in a string"),
            }
        }
        let low = self.nested_hex()?;
        combine_surrogates(high, low).map_or_else(|| self.fail("lone surrogate in a string"), Ok)
    }

    fn nested_hex(&mut self) -> Result<u32, LexError> {
        let mut value = 0;
        for _ in 0..4 {
            let Some((c, len)) = self.unit_at(self.pos)? else { return self.fail("an escape does not end") };
            let Some(digit) = c.to_digit(16) else { return self.fail("bad \\u escape in a string") };
            value = value * 16 + digit;
            self.pos += len;
        }
        Ok(value)
    }
}

/// The JSON escape starting with the backslash at `at`: the character and the bytes it takes.
fn decode_escape(src: &str, at: usize) -> Result<(char, usize), LexError> {
    let bytes = src.as_bytes();
    let fail = |what| Err(LexError { at, what });
    let code = bytes.get(at + 1).map(|b| char::from(*b));
    if let Some(c) = code.and_then(simple_escape) {
        return Ok((c, 2));
    }
    match code {
        Some('u') => {
            let Some(high) = hex4(bytes, at + 2) else { return fail("bad \\u escape in a string") };
            if !(0xD800..0xDC00).contains(&high) {
                return char::from_u32(high).map_or_else(|| fail("lone surrogate in a string"), |c| Ok((c, 6)));
            }
            let low = (bytes.get(at + 6) == Some(&b'\\') && bytes.get(at + 7) == Some(&b'u'))
                .then(|| hex4(bytes, at + 8))
                .flatten();
            match low.and_then(|low| combine_surrogates(high, low)) {
                Some(c) => Ok((c, 12)),
                None => fail("lone surrogate in a string"),
            }
        }
        _ => fail("unknown escape in a string"),
    }
}

/// What a one-letter JSON escape (`\n`, `\"`, …) stands for; `None` for `u` and anything unknown.
fn simple_escape(code: char) -> Option<char> {
    match code {
        '"' => Some('"'),
        '\\' => Some('\\'),
        '/' => Some('/'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        _ => None,
    }
}

fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = bytes.get(at..at + 4)?;
    digits.iter().try_fold(0, |value, b| char::from(*b).to_digit(16).map(|d| value * 16 + d))
}

fn combine_surrogates(high: u32, low: u32) -> Option<char> {
    if !(0xDC00..0xE000).contains(&low) {
        return None;
    }
    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
}

/// A character of a number or of `true`, `false`, `null` (checked against the grammar once read whole).
fn is_scalar_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.')
}

fn is_json_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    let int_digits = digits(&mut i);
    if int_digits == 0 || (int_digits > 1 && b.get(int_start) == Some(&b'0')) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `text` as a JSON string literal written for `layer`: `"…"`, or escaped once more inside a string.
pub fn string_literal(text: &str, layer: Layer) -> String {
    // Most replacements (redaction markers) need no escape at all.
    if find_quote_backslash_or_control(text.as_bytes(), 0) == text.len() {
        let quote = if layer == Layer::Plain { "\"" } else { "\\\"" };
        return [quote, text, quote].concat();
    }
    let literal = Value::String(text.to_string()).to_string();
    match layer {
        Layer::Plain => literal,
        Layer::InString => {
            let twice = Value::String(literal).to_string();
            twice.get(1..twice.len() - 1).unwrap_or_default().to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(src: &str, layer: Layer) -> Result<Vec<String>, LexError> {
        let mut lx = Lexer::new(src, 0, layer);
        let mut out = Vec::new();
        lx.expect('[', "[")?;
        if lx.close_if_next(']')? {
            return Ok(out);
        }
        loop {
            out.push(lx.string()?.text.into_owned());
            if !lx.comma_or(']')? {
                return Ok(out);
            }
        }
    }

    #[test]
    fn strings_decode_the_same_in_both_layers() {
        let values = ["plain", "quote \" and \\ backslash", "line\nbreak\ttab", "é ü 日本 😀", "\u{200B}", "</tag>"];
        let inner = Value::from(values.to_vec()).to_string();
        assert_eq!(strings(&inner, Layer::Plain), Ok(values.iter().map(|v| v.to_string()).collect()));
        // The same text as the contents of a JSON string, as in content[].text.
        let outer = Value::String(inner).to_string();
        let contents = &outer[1..];
        assert_eq!(strings(contents, Layer::InString), Ok(values.iter().map(|v| v.to_string()).collect()));
        // Escapes spelled with \u in either layer decode too.
        assert_eq!(strings(r#"["\u0041\ud83d\ude00"]"#, Layer::Plain), Ok(vec!["A😀".to_string()]));
        assert_eq!(strings(r#"[\"\\u0041\\ud83d\\ude00\"]""#, Layer::InString), Ok(vec!["A😀".to_string()]));
        assert_eq!(strings(r#"[\u0022x\u0022]""#, Layer::InString), Ok(vec!["x".to_string()]));
    }

    #[test]
    fn broken_strings_are_errors() {
        for bad in ["[\"a", "[\"\\x\"]", "[\"\\ud800\"]", "[\"a\u{1}\"]", "[\"\\u12\"]"] {
            assert!(strings(bad, Layer::Plain).is_err(), "{bad}");
        }
        for bad in [r#"[\"a"#, r#"[\"a"]"#, "[\\\"a\\n\\\"]\"", r#"[\"\\ud800\"]""#] {
            assert!(strings(bad, Layer::InString).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_follow_the_json_grammar() {
        for good in ["0", "-1", "12.5", "1e9", "-0.5E-3", "true", "null"] {
            assert!(Lexer::new(good, 0, Layer::Plain).scalar().is_ok(), "{good}");
        }
        for bad in ["01", "1.", ".5", "1e", "+1", "tru", "nul1", "--1"] {
            assert!(Lexer::new(bad, 0, Layer::Plain).scalar().is_err(), "{bad}");
        }
        // In the inner text, an escape of the outer string may spell a digit.
        let spelled = Lexer::new(r#"1\u00322]""#, 0, Layer::InString).scalar().map(|s| s.text.into_owned());
        assert_eq!(spelled, Ok("122".to_string()));
    }

    #[test]
    fn the_special_byte_search_agrees_with_a_plain_loop() {
        let text = "abcdefghijklmnop\"qrstuvwxyz0123456789\\ABCDEFGHIJ\u{1}KLMNOP€ünïcödé and more text";
        let bytes = text.as_bytes();
        for from in 0..bytes.len() {
            let expected = (from..bytes.len())
                .find(|&i| bytes[i] == b'"' || bytes[i] == b'\\' || bytes[i] < 0x20)
                .unwrap_or(bytes.len());
            assert_eq!(find_quote_backslash_or_control(bytes, from), expected, "from {from}");
        }
    }
}

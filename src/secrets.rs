//! Secrets and personal data: by field name, and by value wherever they appear in a string.
//!
//! Value detectors are one combined regular expression (one pass over each string), with checksums where
//! the format has one (Luhn for card numbers, mod 97 for IBANs) so that ordinary numbers are left alone.
//! Every format is ASCII, so `regex-lite` (ASCII classes, built for small binaries) is enough.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_lite::Regex;
use std::sync::OnceLock;

/// What a redacted value was, as the marker `[redacted:<kind>]` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretKind {
    StripeKey,
    GithubToken,
    AwsAccessKey,
    SlackToken,
    AnthropicKey,
    OpenAiKey,
    GoogleApiKey,
    Jwt,
    PrivateKey,
    CardNumber,
    Iban,
    UsSsn,
    Email,
    Phone,
}

impl SecretKind {
    pub fn name(self) -> &'static str {
        match self {
            SecretKind::StripeKey => "stripe_key",
            SecretKind::GithubToken => "github_token",
            SecretKind::AwsAccessKey => "aws_access_key",
            SecretKind::SlackToken => "slack_token",
            SecretKind::AnthropicKey => "anthropic_key",
            SecretKind::OpenAiKey => "openai_key",
            SecretKind::GoogleApiKey => "google_api_key",
            SecretKind::Jwt => "jwt",
            SecretKind::PrivateKey => "private_key",
            SecretKind::CardNumber => "card_number",
            SecretKind::Iban => "iban",
            SecretKind::UsSsn => "ssn",
            SecretKind::Email => "email",
            SecretKind::Phone => "phone",
        }
    }

    fn is_contact(self) -> bool {
        matches!(self, SecretKind::Email | SecretKind::Phone)
    }
}

/// Where a detector's format can begin.
#[derive(Clone, Copy)]
enum Anchor {
    /// At one of these literal prefixes.
    Prefix(&'static [&'static str]),
    /// At the start of a run of digits (with separators) long enough for the format.
    Digits { at_least: usize },
    /// At two capitals and two digits (an IBAN's country code and check digits).
    CountryCode,
    /// Just before an `@`.
    At,
}

struct Detector {
    kind: SecretKind,
    anchor: Anchor,
    /// Matched at the anchor only (`^`), on a window of `window` bytes: the expressions never run over
    /// whole texts, which keeps a small regex engine fast.
    pattern: &'static str,
    window: usize,
    /// The format must not continue a word (`\b` before it).
    word_start: bool,
}

const DETECTORS: &[Detector] = &[
    Detector {
        kind: SecretKind::PrivateKey,
        anchor: Anchor::Prefix(&["-----BEGIN "]),
        pattern: r"^-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----",
        window: 16 * 1024,
        word_start: false,
    },
    Detector {
        kind: SecretKind::StripeKey,
        anchor: Anchor::Prefix(&["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"]),
        pattern: r"^(?:(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,99}|whsec_[0-9A-Za-z]{20,200})\b",
        window: 256,
        word_start: true,
    },
    Detector {
        kind: SecretKind::GithubToken,
        anchor: Anchor::Prefix(&["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]),
        pattern: r"^(?:(?:ghp|gho|ghu|ghs|ghr)_[0-9A-Za-z]{36}|github_pat_[0-9A-Za-z_]{22,255})\b",
        window: 300,
        word_start: true,
    },
    Detector {
        kind: SecretKind::AwsAccessKey,
        anchor: Anchor::Prefix(&["AKIA", "ASIA", "ABIA", "ACCA"]),
        pattern: r"^(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
        window: 40,
        word_start: true,
    },
    Detector {
        kind: SecretKind::SlackToken,
        anchor: Anchor::Prefix(&[
            "xoxa-",
            "xoxb-",
            "xoxp-",
            "xoxo-",
            "xoxs-",
            "xoxr-",
            "https://hooks.slack.com/services/",
        ]),
        pattern: r"^(?:xox[abposr]-[0-9A-Za-z-]{10,250}\b|https://hooks\.slack\.com/services/T[0-9A-Z]+/B[0-9A-Z]+/[0-9A-Za-z]+)",
        window: 300,
        word_start: false,
    },
    Detector {
        kind: SecretKind::AnthropicKey,
        anchor: Anchor::Prefix(&["sk-ant-"]),
        pattern: r"^sk-ant-[0-9A-Za-z]{3,10}-[0-9A-Za-z_-]{20,250}",
        window: 300,
        word_start: true,
    },
    Detector {
        kind: SecretKind::OpenAiKey,
        anchor: Anchor::Prefix(&["sk-"]),
        pattern: r"^sk-(?:proj-|svcacct-|admin-)?[0-9A-Za-z_-]{20,250}",
        window: 300,
        word_start: true,
    },
    Detector {
        kind: SecretKind::GoogleApiKey,
        anchor: Anchor::Prefix(&["AIza"]),
        pattern: r"^AIza[0-9A-Za-z_-]{35}",
        window: 40,
        word_start: true,
    },
    // A JWS or JWE in compact form. RFC 7515 allows any payload (and an empty one, when it is detached), so
    // only the header is judged: base64url of a JSON object naming its `alg` (checked in `valid`). A header
    // serialized without spaces starts `eyJ`; one written with a line break after the brace `ewo` and then
    // `g`, `i` or `J` (a space, a quote or a tab next), which keeps the prefix out of words like `framework`.
    Detector {
        kind: SecretKind::Jwt,
        anchor: Anchor::Prefix(&["eyJ", "ewog", "ewoi", "ewoJ"]),
        pattern: r"^e[wy][0-9A-Za-z_-]{5,}\.[0-9A-Za-z_-]*\.[0-9A-Za-z_-]*(?:\.[0-9A-Za-z_-]*\.[0-9A-Za-z_-]*)?",
        window: 8 * 1024,
        word_start: true,
    },
    Detector {
        kind: SecretKind::Iban,
        anchor: Anchor::CountryCode,
        pattern: r"^[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b",
        window: 48,
        word_start: true,
    },
    Detector {
        kind: SecretKind::UsSsn,
        anchor: Anchor::Digits { at_least: 9 },
        pattern: r"^[0-9]{3}-[0-9]{2}-[0-9]{4}\b",
        window: 16,
        word_start: true,
    },
    Detector {
        kind: SecretKind::CardNumber,
        anchor: Anchor::Digits { at_least: 13 },
        pattern: r"^[0-9](?:[ -]?[0-9]){12,18}\b",
        window: 48,
        word_start: true,
    },
    Detector {
        kind: SecretKind::Email,
        anchor: Anchor::At,
        pattern: r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b",
        window: 320,
        word_start: true,
    },
    Detector {
        kind: SecretKind::Phone,
        anchor: Anchor::Digits { at_least: 10 },
        pattern: r"^\+?\(?[0-9]{1,4}\)?(?:[ .-]?\(?[0-9]{2,4}\)?){2,5}",
        window: 32,
        word_start: false,
    },
];

/// Every literal prefix a secret format starts with (the answer prefilter looks for these too).
pub fn secret_prefixes() -> impl Iterator<Item = &'static str> {
    DETECTORS.iter().flat_map(|d| match d.anchor {
        Anchor::Prefix(list) => list.iter().copied(),
        _ => [].iter().copied(),
    })
}

struct Detectors {
    /// Every literal prefix, for one pass over the text; the value is the detector's index.
    prefixes: AhoCorasick,
    prefix_owner: Vec<usize>,
    patterns: Vec<Regex>,
}

fn detectors() -> Option<&'static Detectors> {
    static COMPILED: OnceLock<Option<Detectors>> = OnceLock::new();
    COMPILED
        .get_or_init(|| {
            let mut prefixes = Vec::new();
            let mut prefix_owner = Vec::new();
            for (index, d) in DETECTORS.iter().enumerate() {
                if let Anchor::Prefix(list) = d.anchor {
                    for p in list {
                        prefixes.push(*p);
                        prefix_owner.push(index);
                    }
                }
            }
            let patterns: Option<Vec<Regex>> = DETECTORS.iter().map(|d| Regex::new(d.pattern).ok()).collect();
            // Longest prefixes win where they overlap (`sk-ant-` over `sk-`).
            let prefixes = AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostLongest).build(&prefixes).ok()?;
            Some(Detectors { prefixes, prefix_owner, patterns: patterns? })
        })
        .as_ref()
}

/// One secret found in a string: its byte range and kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    pub kind: SecretKind,
}

/// Whether value detectors run, and which.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectorOptions {
    pub enabled: bool,
    /// Emails and phone numbers too.
    pub contact: bool,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Every secret in `text`, left to right, not overlapping. `None` if the detectors could not be built
/// (a bug caught by the tests; the caller then fails closed).
///
/// Characters a reader never sees (zero-width spaces, joiners, soft hyphens, …) are read past: a key split by
/// them is the key to anyone who copies it, so it is found, and its whole span (the invisible characters in
/// it included) is what gets redacted.
pub fn find_secrets(text: &str, options: DetectorOptions) -> Option<Vec<Found>> {
    if !options.enabled {
        return Some(Vec::new());
    }
    if !may_hide(text) {
        let found = find_visible_secrets(text, options)?;
        return Some(with_encoded_secrets(text, options, found));
    }
    // The visible text, and where each of its bytes lies in `text`.
    let mut visible = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        if !is_ignorable(c) {
            visible.push(c);
            origin.extend(at..at + c.len_utf8());
        }
    }
    let found = with_encoded_secrets(&visible, options, find_visible_secrets(&visible, options)?);
    Some(
        found
            .into_iter()
            .filter_map(|f| {
                let start = *origin.get(f.start)?;
                let end = *origin.get(f.end.checked_sub(1)?)? + 1;
                // `end` is one past a character's last byte: the next character starts there.
                Some(Found { start, end, kind: f.kind })
            })
            .collect(),
    )
}

/// Whether `text` may hold a character [`is_ignorable`] finds: one of the lead bytes of their UTF-8 forms.
/// Most text, accented letters included, is ruled out by its bytes alone.
pub fn may_hide(text: &str) -> bool {
    text.bytes().any(|b| matches!(b, 0xC2 | 0xCD | 0xD8 | 0xE1..=0xE3 | 0xEF | 0xF0 | 0xF3))
        && text.chars().any(is_ignorable)
}

/// Unicode's default-ignorable code points: formatting and invisible characters that render as nothing.
pub fn is_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// The shortest run of base64 characters read as base64: the answer prefilter marks runs this long.
pub const MIN_BASE64_RUN: usize = 40;

/// Base64's characters as the prefilter counts them (`-` and `_` of base64url break a run).
fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// `found`, with the secrets written in base64 (as Kubernetes secrets and `Basic` credentials store them):
/// a run of [`MIN_BASE64_RUN`] base64 characters or more that decodes to text holding a secret is redacted
/// whole. Runs that decode to anything but UTF-8 text (images, other binary data) are left to the formats.
fn with_encoded_secrets(text: &str, options: DetectorOptions, mut found: Vec<Found>) -> Vec<Found> {
    let bytes = text.as_bytes();
    let mut encoded = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_base64_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_base64_byte(bytes[i]) {
            i += 1;
        }
        if i - start < MIN_BASE64_RUN {
            continue;
        }
        let mut end = i;
        while end < bytes.len() && end - i < 2 && bytes[end] == b'=' {
            end += 1;
        }
        let decoded = text.get(start..i).and_then(base64url_decode);
        let inner = decoded.as_deref().and_then(|d| std::str::from_utf8(d).ok());
        if let Some(kind) = inner.and_then(|t| find_visible_secrets(t, options)).and_then(|f| f.first().map(|f| f.kind))
        {
            encoded.push(Found { start, end, kind });
        }
        i = end;
    }
    if encoded.is_empty() {
        return found;
    }
    found.extend(encoded);
    found.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut kept: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        if kept.last().is_none_or(|last| f.start >= last.end) {
            kept.push(f);
        }
    }
    kept
}

fn find_visible_secrets(text: &str, options: DetectorOptions) -> Option<Vec<Found>> {
    let d = detectors()?;
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let try_at = |index: usize, start: usize, found: &mut Vec<Found>| {
        let (Some(detector), Some(pattern)) = (DETECTORS.get(index), d.patterns.get(index)) else { return };
        if detector.kind.is_contact() && !options.contact {
            return;
        }
        if detector.word_start && start > 0 && bytes.get(start - 1).copied().is_some_and(is_word_byte) {
            return;
        }
        let mut end = (start + detector.window).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let Some(window) = text.get(start..end) else { return };
        if let Some(m) = pattern.find(window) {
            let matched = &window[..m.end()];
            if valid(detector.kind, matched) {
                found.push(Found { start, end: start + m.end(), kind: detector.kind });
            }
        }
    };
    for m in d.prefixes.find_iter(bytes) {
        let owner = d.prefix_owner.get(m.pattern().as_usize()).copied().unwrap_or(usize::MAX);
        try_at(owner, m.start(), &mut found);
        // An Anthropic-shaped key that is not quite one may still be an OpenAI-style key.
        if DETECTORS.get(owner).is_some_and(|det| det.kind == SecretKind::AnthropicKey)
            && found.last().is_none_or(|f| f.start != m.start())
        {
            if let Some(openai) = DETECTORS.iter().position(|det| det.kind == SecretKind::OpenAiKey) {
                try_at(openai, m.start(), &mut found);
            }
        }
    }
    // Positional anchors, in one pass over the bytes.
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let boundary = i == 0 || !is_word_byte(bytes[i - 1]);
        if boundary
            && (b.is_ascii_digit() || ((b == b'+' || b == b'(') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)))
        {
            let digits = digits_ahead(&bytes[i..]);
            for (index, det) in DETECTORS.iter().enumerate() {
                if let Anchor::Digits { at_least } = det.anchor {
                    if digits >= at_least {
                        try_at(index, i, &mut found);
                    }
                }
            }
        }
        if boundary
            && b.is_ascii_uppercase()
            && bytes.get(i + 1).is_some_and(u8::is_ascii_uppercase)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_digit)
            && bytes.get(i + 3).is_some_and(u8::is_ascii_digit)
        {
            for (index, det) in DETECTORS.iter().enumerate() {
                if matches!(det.anchor, Anchor::CountryCode) {
                    try_at(index, i, &mut found);
                }
            }
        }
        if b == b'@' && options.contact {
            let mut start = i;
            while start > 0
                && i - start < 64
                && bytes.get(start - 1).is_some_and(|c| c.is_ascii_alphanumeric() || b"._%+-".contains(c))
            {
                start -= 1;
            }
            for (index, det) in DETECTORS.iter().enumerate() {
                if matches!(det.anchor, Anchor::At) && start < i {
                    try_at(index, start, &mut found);
                }
            }
        }
        i += 1;
    }
    // Left to right; where two formats overlap, the one that starts first (then the longer) wins.
    found.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut kept: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        if kept.last().is_none_or(|last| f.start >= last.end) {
            kept.push(f);
        }
    }
    Some(kept)
}

/// How many digits follow, counting through the separators numbers are written with.
fn digits_ahead(bytes: &[u8]) -> usize {
    let mut digits = 0;
    for &b in bytes.iter().take(40) {
        match b {
            b'0'..=b'9' => digits += 1,
            b' ' | b'-' | b'.' | b'(' | b')' | b'+' => {}
            _ => break,
        }
    }
    digits
}

/// Formats with a checksum or a reserved range are confirmed, so ordinary numbers are not redacted.
fn valid(kind: SecretKind, text: &str) -> bool {
    match kind {
        SecretKind::CardNumber => {
            let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
            card_brand_fits(&digits) && luhn(&digits)
        }
        SecretKind::Iban => iban_valid(text),
        SecretKind::Jwt => jose_header(text),
        SecretKind::UsSsn => {
            let parts: Vec<&str> = text.split('-').collect();
            match parts.as_slice() {
                [area, group, serial] => {
                    *area != "000" && *area != "666" && !area.starts_with('9') && *group != "00" && *serial != "0000"
                }
                _ => false,
            }
        }
        SecretKind::Phone => {
            let digits = text.chars().filter(char::is_ascii_digit).count();
            (10..=15).contains(&digits) && (text.starts_with('+') || text.contains([' ', '-', '(', '.']))
        }
        _ => true,
    }
}

/// The issuer prefixes and lengths of the card networks (Visa, Mastercard, Amex, Discover, Diners, JCB,
/// UnionPay), so that long numbers that merely pass Luhn are not taken for cards.
fn card_brand_fits(digits: &[u32]) -> bool {
    let prefix = |n: usize| digits.iter().take(n).fold(0u32, |acc, d| acc * 10 + d);
    let len = digits.len();
    match digits.first() {
        Some(4) => matches!(len, 13 | 16 | 19),
        Some(5) => (51..=55).contains(&prefix(2)) && len == 16,
        Some(2) => (2221..=2720).contains(&prefix(4)) && len == 16,
        Some(3) => match prefix(2) {
            34 | 37 => len == 15,
            36 | 38 | 30 => len == 14 || len == 16,
            35 => (16..=19).contains(&len),
            _ => false,
        },
        Some(6) => {
            (prefix(4) == 6011 || prefix(2) == 65 || (644..=649).contains(&prefix(3)) || prefix(2) == 62)
                && (16..=19).contains(&len)
        }
        _ => false,
    }
}

fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                *d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Whether the first segment of a compact JWS or JWE is a JOSE header: base64url of a JSON object with an
/// `alg` member (RFC 7515 and 7516 require one).
fn jose_header(token: &str) -> bool {
    let header = token.split('.').next().unwrap_or_default();
    let Some(bytes) = base64url_decode(header) else { return false };
    matches!(serde_json::from_slice::<serde_json::Value>(&bytes), Ok(serde_json::Value::Object(o)) if o.contains_key("alg"))
}

/// Base64url without padding (as JOSE writes it), padding tolerated; `None` for other text.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in text.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

fn iban_valid(text: &str) -> bool {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut remainder: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        let width = if value >= 10 { 100 } else { 10 };
        remainder = (remainder * width + value) % 97;
    }
    remainder == 1
}

/// What a redacted value becomes: `[redacted:<kind>]`.
pub fn redaction_marker(kind: &str) -> String {
    format!("[redacted:{kind}]")
}

/// Replaces every secret in `text` with its marker; `None` when nothing was found.
pub fn redact_text(text: &str, options: DetectorOptions, counts: &mut dyn FnMut(SecretKind)) -> Option<Option<String>> {
    let found = find_secrets(text, options)?;
    if found.is_empty() {
        return Some(None);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for f in found {
        out.push_str(&text[last..f.start]);
        out.push_str(&redaction_marker(f.kind.name()));
        counts(f.kind);
        last = f.end;
    }
    out.push_str(&text[last..]);
    Some(Some(out))
}

/// The values written after a secret's name in text: `password: hunter2`, `"api_key": "…"` in JSON that does
/// not parse, `STRIPE_SECRET=sk_…` in a `.env` file, `token=…&` in a query string, `Authorization: Bearer …`.
/// Whoever reads the text reads the value as the name's, so the name decides, as it does for a field.
/// `marker_of` says what a name calls for. Spans of the values (start, end, marker), left to right.
pub fn assignments(
    text: &str,
    marker_of: &mut dyn FnMut(&str) -> Option<&'static str>,
) -> Vec<(usize, usize, &'static str)> {
    let bytes = text.as_bytes();
    let mut out: Vec<(usize, usize, &'static str)> = Vec::new();
    // Both operators are ASCII: their byte positions are character boundaries.
    let ops = bytes.iter().enumerate().filter(|(_, &b)| b == b':' || b == b'=').map(|(i, _)| i);
    for op in ops {
        if out.last().is_some_and(|&(_, end, _)| op < end) {
            continue;
        }
        // The name: back over spaces and a closing quote, then over name characters (spaces between words too).
        let mut end = op;
        while end > 0 && matches!(bytes[end - 1], b' ' | b'\t') {
            end -= 1;
        }
        if end > 0 && matches!(bytes[end - 1], b'"' | b'\'' | b'`') {
            end -= 1;
        }
        let mut start = end;
        while start > 0
            && end - start < 64
            && (bytes[start - 1].is_ascii_alphanumeric()
                || bytes[start - 1] >= 0x80
                || b"_-. ".contains(&bytes[start - 1]))
        {
            start -= 1;
        }
        while !text.is_char_boundary(start) {
            start += 1;
        }
        let Some(name) = text.get(start..end).map(str::trim) else { continue };
        if name.is_empty() {
            continue;
        }
        let Some(marker) = marker_of(name) else { continue };
        // The value: quoted, or up to the end of its line or a delimiter.
        let mut at = op + 1;
        while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'=' | b':') {
            at += 1;
        }
        let (from, to) = match bytes.get(at) {
            Some(&q @ (b'"' | b'\'' | b'`')) => {
                let mut i = at + 1;
                while i < bytes.len() && bytes[i] != q && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                (at + 1, i.min(bytes.len()))
            }
            Some(b'{' | b'[') | None => continue,
            Some(_) => {
                let mut i = at;
                while i < bytes.len() && !b"\n\r,;&}])\"<".contains(&bytes[i]) {
                    i += 1;
                }
                while i > at && bytes[i - 1] == b' ' {
                    i -= 1;
                }
                (at, i)
            }
        };
        let value = text.get(from..to).unwrap_or_default();
        let already = value.starts_with("[redacted:") && value.ends_with(']');
        if from < to && !already && text.is_char_boundary(from) && text.is_char_boundary(to) {
            out.push((from, to, marker));
        }
    }
    out
}

/// `text` with every value [`assignments`] finds replaced by its marker; `None` when there is none.
pub fn redact_assignments(
    text: &str,
    marker_of: &mut dyn FnMut(&str) -> Option<&'static str>,
    counts: &mut dyn FnMut(&'static str),
) -> Option<String> {
    let found = assignments(text, marker_of);
    if found.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end, marker) in found {
        out.push_str(text.get(last..start).unwrap_or_default());
        out.push_str(&redaction_marker(marker));
        counts(marker);
        last = end;
    }
    out.push_str(text.get(last..).unwrap_or_default());
    Some(out)
}

/// Field names that hold secrets whatever their value looks like, and the marker each gets. A rule of two
/// words is written with `|` where names split it (`pass|word` matches `pass_word` and `passWord`); a rule
/// is never split anywhere else.
const FIELD_RULES: &[(&str, &str)] = &[
    ("pass|word", "password"),
    ("pass|wd", "password"),
    ("pass|phrase", "password"),
    ("secret", "secret"),
    ("token", "token"),
    ("api|key", "api_key"),
    ("access|key", "api_key"),
    ("private|key", "private_key"),
    ("ssn", "ssn"),
    ("social|security", "ssn"),
    ("card|number", "card_number"),
    ("credit|card", "card_number"),
    ("cvv", "card_number"),
    ("cvc", "card_number"),
    ("authorization", "credential"),
    ("credential", "credential"),
    ("credentials", "credential"),
];

/// The marker for a field whose name says it holds a secret: `api_key`, `apiKey`, `STRIPE_SECRET`,
/// `user_password`, `pass_word`, `stripe.api.key` and `userpassword` all match; `tokenizer_version` or
/// `secretary` do not. A rule matches a whole word, its two words as neighbouring words, or the end of the
/// name's last word (rules longer than four letters).
pub fn sensitive_field(name: &str, extra: &[String]) -> Option<&'static str> {
    let words = NameWords::of(name);
    for (rule, marker) in FIELD_RULES {
        if words.matches_rule(rule) {
            return Some(marker);
        }
    }
    extra.iter().any(|e| e.eq_ignore_ascii_case(name) || words.contains_run(&NameWords::of(e))).then_some("field")
}

/// A character of a name as a reader takes it: invisible characters are not there (`pass\u{200B}word` is
/// `password`), and the full-width forms of ASCII (`ｐａｓｓｗｏｒｄ`) are ASCII.
fn name_char(c: char) -> Option<char> {
    if c.is_ascii() {
        return Some(c);
    }
    if is_ignorable(c) {
        return None;
    }
    Some(ascii_form(c).unwrap_or(c))
}

/// The ASCII letter or digit a styled form stands for: full-width forms (`ｐ`), and the bold, italic,
/// script, double-struck and other alphabets of Unicode's mathematical letters (`𝐩`, `𝓅`, `𝟗`).
fn ascii_form(c: char) -> Option<char> {
    let code = u32::from(c);
    let letter = |i: u32| char::from_u32(if i < 26 { u32::from(b'A') + i } else { u32::from(b'a') + i - 26 });
    match code {
        0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0),
        // The ideographic space.
        0x3000 => Some(' '),
        0x1D400..=0x1D6A3 => letter((code - 0x1D400) % 52),
        0x1D7CE..=0x1D7FF => char::from_u32(u32::from(b'0') + (code - 0x1D7CE) % 10),
        _ => None,
    }
}

/// What splits a name into words: the separators names are written with, and any character that is not a
/// letter or digit beyond ASCII (`pass·word`). Other ASCII punctuation stays in its word.
fn is_name_separator(c: char) -> bool {
    matches!(c, '_' | '-' | ' ' | '.') || (!c.is_ascii() && !c.is_alphanumeric())
}

/// The ASCII separators a name may be written with between two words of a rule (`pass_word`,
/// `stripe.api.key`). The answer prefilter looks for each rule written with one of them at each place.
pub const NAME_SEPARATORS: [char; 4] = ['_', '-', ' ', '.'];

/// Every way a field-name rule can be written in ASCII with one separator inside it (and without one), for
/// the answer prefilter: a name matches a rule only as one word or two neighbouring words.
pub fn field_rule_spellings() -> Vec<String> {
    let mut out = Vec::new();
    for (rule, _) in FIELD_RULES {
        out.push(rule.replace('|', ""));
        if rule.contains('|') {
            out.extend(NAME_SEPARATORS.iter().map(|sep| rule.replace('|', &sep.to_string())));
        }
    }
    out
}

/// `name` written with each separator between its words, and with none (`internal_notes` → `internal-notes`,
/// `internalnotes`, …), for the answer prefilter.
pub fn name_spellings(name: &str) -> Vec<String> {
    let words = NameWords::of(name);
    // A name matches when it holds the words in a row, however they are joined: each word is a part of it.
    (0..words.ends.len()).map(|i| String::from_utf8_lossy(words.word(i)).into_owned()).collect()
}

/// The words of a field name, lowercased: `apiKey` → `api`, `key`; `user_password` → `user`, `password`.
/// Each pair of neighbours counts as a word too (`apikey`), for the two-word rules (`api key`, `card
/// number`, …). Names are matched on every call the guard sees, so the words are ranges of one buffer.
struct NameWords {
    /// The name lowercased, without separators: the words one after another.
    flat: Vec<u8>,
    /// Where each word ends in `flat` (each starts where the one before ends).
    ends: Vec<usize>,
}

impl NameWords {
    fn of(name: &str) -> NameWords {
        let mut words = NameWords { flat: Vec::with_capacity(name.len()), ends: Vec::new() };
        let mut previous_lower = false;
        let mut buf = [0u8; 4];
        for c in name.chars().filter_map(name_char) {
            if is_name_separator(c) {
                words.end_word();
                previous_lower = false;
                continue;
            }
            if c.is_uppercase() && previous_lower {
                words.end_word();
            }
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
            if c.is_ascii() {
                words.flat.extend_from_slice(c.to_ascii_lowercase().encode_utf8(&mut buf).as_bytes());
            } else {
                for lower in c.to_lowercase() {
                    words.flat.extend_from_slice(lower.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        words.end_word();
        words
    }

    /// Ends the word being written, if it has any letters.
    fn end_word(&mut self) {
        if self.ends.last().copied().unwrap_or(0) < self.flat.len() {
            self.ends.push(self.flat.len());
        }
    }

    /// Words `first` to `last` as one: they lie side by side in `flat`.
    fn words(&self, first: usize, last: usize) -> &[u8] {
        let start = if first == 0 { 0 } else { self.ends.get(first - 1).copied().unwrap_or(0) };
        self.flat.get(start..self.ends.get(last).copied().unwrap_or(0)).unwrap_or_default()
    }

    fn word(&self, i: usize) -> &[u8] {
        self.words(i, i)
    }

    fn count(&self) -> usize {
        self.ends.len()
    }

    /// Whether the name matches a rule (`pass|word`): see [`sensitive_field`].
    fn matches_rule(&self, rule: &str) -> bool {
        let n = self.count();
        let whole = rule.replace('|', "");
        if (0..n).any(|i| self.word(i) == whole.as_bytes()) {
            return true;
        }
        let split = rule.split_once('|');
        if let Some((left, right)) = split {
            if (1..n).any(|i| self.word(i - 1) == left.as_bytes() && self.word(i) == right.as_bytes()) {
                return true;
            }
        }
        if whole.len() <= 4 || n == 0 {
            return false;
        }
        let last = self.word(n - 1);
        last.ends_with(whole.as_bytes())
            || split.is_some_and(|(left, right)| {
                n >= 2 && last == right.as_bytes() && self.word(n - 2).ends_with(left.as_bytes())
            })
    }

    /// Whether `other`'s words stand in this name, one after another.
    fn contains_run(&self, other: &NameWords) -> bool {
        let (n, k) = (self.count(), other.count());
        k > 0 && k <= n && (0..=n - k).any(|start| (0..k).all(|j| self.word(start + j) == other.word(j)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: DetectorOptions = DetectorOptions { enabled: true, contact: true };
    const DEFAULT: DetectorOptions = DetectorOptions { enabled: true, contact: false };

    fn kinds(text: &str, options: DetectorOptions) -> Vec<&'static str> {
        find_secrets(text, options).unwrap_or_default().into_iter().map(|f| f.kind.name()).collect()
    }

    #[test]
    fn provider_keys_tokens_and_private_keys_are_found_inside_prose() {
        let cases = [
            ("charge with sk_live_51HqLyjWDarjtT1zdp7dcXYZab please", "stripe_key"),
            ("token ghp_1234567890abcdefghijABCDEFGHIJ123456 here", "github_token"),
            ("AKIAIOSFODNN7EXAMPLE", "aws_access_key"),
            ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "slack_token"),
            ("sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789", "anthropic_key"),
            ("OPENAI=sk-proj-abcdefghijklmnopqrstuvwxyz012345", "openai_key"),
            ("key=AIzaSyA1234567890abcdefghijklmnopqrstuv", "google_api_key"),
            (
                "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "jwt",
            ),
            ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "private_key"),
            ("card 4242 4242 4242 4242 exp 12/30", "card_number"),
            ("IBAN DE89 3704 0044 0532 0130 00", "iban"),
            ("SSN 123-45-6789", "ssn"),
        ];
        for (text, kind) in cases {
            assert_eq!(kinds(text, DEFAULT), vec![kind], "{text}");
        }
    }

    #[test]
    fn checksums_and_reserved_ranges_keep_ordinary_numbers() {
        assert!(kinds("order 4242 4242 4242 4241", DEFAULT).is_empty(), "Luhn fails");
        assert!(kinds("DE89 3704 0044 0532 0130 01", DEFAULT).is_empty(), "mod 97 fails");
        assert!(kinds("000-12-3456 and 666-12-3456 and 900-12-3456", DEFAULT).is_empty());
        assert!(kinds("id 1234567890123, timestamp 1732612345678, uuid 0b6e4f1a-5d7c-4b8e-9f00-123456789abc", DEFAULT)
            .is_empty());
        assert!(kinds("mail me at ada@example.com", DEFAULT).is_empty(), "contact details are opt-in");
        assert_eq!(kinds("mail ada@example.com or call +1 415 555 0100", ALL), vec!["email", "phone"]);
    }

    #[test]
    fn redaction_replaces_each_secret_with_a_marker_that_names_it() {
        let mut seen = Vec::new();
        let out = redact_text("a sk_live_51HqLyjWDarjtT1zdp7dc b 123-45-6789 c", DEFAULT, &mut |k| seen.push(k));
        assert_eq!(out, Some(Some("a [redacted:stripe_key] b [redacted:ssn] c".to_string())));
        assert_eq!(seen, vec![SecretKind::StripeKey, SecretKind::UsSsn]);
        assert_eq!(redact_text("nothing here", DEFAULT, &mut |_| {}), Some(None));
    }

    #[test]
    fn field_names_match_on_whole_words() {
        for name in [
            "password",
            "user_password",
            "apiKey",
            "api_key",
            "STRIPE_SECRET",
            "access_token",
            "ssn",
            "credit_card_number",
            "privateKey",
        ] {
            assert!(sensitive_field(name, &[]).is_some(), "{name}");
        }
        for name in ["title", "secretary", "tokenizer", "passage", "description", "keynote"] {
            assert_eq!(sensitive_field(name, &[]), None, "{name}");
        }
        assert_eq!(sensitive_field("internal_notes", &["internal_notes".to_string()]), Some("field"));
        assert_eq!(sensitive_field("apiKey", &[]), Some("api_key"));
    }

    #[test]
    fn names_match_however_they_are_spelled_or_hidden() {
        for name in [
            "pass_word",
            "PASS-WORD",
            "passWord",
            "stripe.api.key",
            "Stripe API Key",
            "api__key",
            "ｐａｓｓｗｏｒｄ",
            "𝐩𝐚𝐬𝐬𝐰𝐨𝐫𝐝",
            "𝓪𝓹𝓲_𝓴𝓮𝔂",
            "pass\u{200B}word",
            "pass\u{00AD}word",
            "pass·word",
            "userpassword",
            "db.pass.word",
            "social.security",
        ] {
            assert!(sensitive_field(name, &[]).is_some(), "{name}");
        }
        // Rules split elsewhere than between their words are other words.
        for name in ["pas_sword", "api_k_ey", "tok_en", "secretary_x", "passport"] {
            assert_eq!(sensitive_field(name, &[]), None, "{name}");
        }
        assert_eq!(sensitive_field("internalNotes", &["internal_notes".to_string()]), Some("field"));
        assert_eq!(sensitive_field("x.internal-notes", &["internal_notes".to_string()]), Some("field"));
        // Every rule's spellings are what the prefilter looks for: each matches.
        for spelling in field_rule_spellings() {
            assert!(sensitive_field(&spelling, &[]).is_some(), "{spelling}");
        }
    }

    #[test]
    fn a_key_split_by_invisible_characters_is_redacted_whole() {
        let text = "key: sk_live_51Hq\u{200B}LyjWDarjtT1zdp7dc\u{2060}XYZab end";
        let out = redact_text(text, DEFAULT, &mut |_| {});
        assert_eq!(out, Some(Some("key: [redacted:stripe_key] end".to_string())));
        let card = "card 4242\u{200C}4242 4242 4242";
        assert_eq!(kinds(card, DEFAULT), vec!["card_number"]);
    }

    #[test]
    fn secrets_written_in_base64_are_redacted_whole() {
        // base64 of "STRIPE_KEY=sk_live_51HqLyjWDarjtT1zdp7dcXYZab".
        let encoded = "U1RSSVBFX0tFWT1za19saXZlXzUxSHFMeWpXRGFyanRUMXpkcDdkY1hZWmFi";
        let out = redact_text(&format!("data: {encoded} end"), DEFAULT, &mut |_| {});
        assert_eq!(out, Some(Some("data: [redacted:stripe_key] end".to_string())));
        // Base64 of ordinary text, and of bytes that are not text, stay.
        let plain = "VGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcyBvdmVyIHRoZSBsYXp5IGRvZw==";
        assert!(kinds(plain, DEFAULT).is_empty());
        assert!(kinds(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
            DEFAULT
        )
        .is_empty());
    }

    #[test]
    fn compact_jose_tokens_are_found_whatever_their_payload() {
        // Header {"alg":"HS256"}: a JSON payload, a text payload, a detached (empty) one, and a JWE.
        let header = "eyJhbGciOiJIUzI1NiJ9";
        for token in [
            format!("{header}.eyJzdWIiOiIxIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
            format!("{header}.aGVsbG8gd29ybGQ.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
            format!("{header}..dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
            "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..OTk5OTk5OTk5OTk5.c2VjcmV0IGRhdGE.dGFnIGRhdGE".to_string(),
            // {\n "alg":"HS256"\n}: a header written with line breaks.
            "ewogImFsZyI6IkhTMjU2Igp9.cGF5bG9hZA.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U".to_string(),
        ] {
            assert_eq!(kinds(&format!("Bearer {token} x"), DEFAULT), vec!["jwt"], "{token}");
        }
        // Base64url that is not a JOSE header is not a token.
        assert!(kinds("eyJub3RfYV9oZWFkZXIiOjF9.cGF5bG9hZA.c2lnbmF0dXJlcw", DEFAULT).is_empty());
        assert!(kinds("eyes.closed.tight", DEFAULT).is_empty());
    }

    #[test]
    fn values_written_after_a_secret_name_in_text_are_redacted() {
        let mut marker = |name: &str| sensitive_field(name, &[]);
        let cases = [
            ("password: hunter2", "password: [redacted:password]"),
            ("STRIPE_SECRET=abc123&next=1", "STRIPE_SECRET=[redacted:secret]&next=1"),
            (r#"{"pass_word": "hunter2",}"#, r#"{"pass_word": "[redacted:password]",}"#),
            ("Authorization: Bearer abc.def\nok", "Authorization: [redacted:credential]\nok"),
            ("my api key = 'k-123' thanks", "my api key = '[redacted:api_key]' thanks"),
        ];
        for (text, want) in cases {
            let got = redact_assignments(text, &mut marker, &mut |_| {});
            assert_eq!(got.as_deref(), Some(want), "{text}");
        }
        for text in ["title: Hello", "https://example.com/a", "the token was revoked", "password: [redacted:password]"]
        {
            assert_eq!(redact_assignments(text, &mut marker, &mut |_| {}), None, "{text}");
        }
    }

    /// The matching as it was first written, with a String for every word: the rules' meaning, kept to check
    /// the buffer-based [`NameWords`] against.
    fn sensitive_field_by_copies(name: &str, extra: &[String]) -> Option<&'static str> {
        let words = words_of(name);
        for (rule, marker) in FIELD_RULES {
            let whole = rule.replace('|', "");
            let split = rule.split_once('|');
            let as_word = words.contains(&whole);
            let as_pair = split.is_some_and(|(l, r)| words.windows(2).any(|p| p[0] == l && p[1] == r));
            let at_end = whole.len() > 4
                && (words.last().is_some_and(|w| w.ends_with(&whole))
                    || split.is_some_and(|(l, r)| {
                        words.len() >= 2 && words[words.len() - 1] == r && words[words.len() - 2].ends_with(l)
                    }));
            if as_word || as_pair || at_end {
                return Some(marker);
            }
        }
        let lower = name.to_ascii_lowercase();
        extra
            .iter()
            .any(|e| {
                let run = words_of(e);
                e.eq_ignore_ascii_case(&lower)
                    || (!run.is_empty() && words.windows(run.len()).any(|w| w == run.as_slice()))
            })
            .then_some("field")
    }

    fn words_of(name: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut current = String::new();
        let mut previous_lower = false;
        for c in name.chars() {
            let c = match c {
                c if c.is_ascii() => c,
                c if is_ignorable(c) => continue,
                '\u{3000}' => ' ',
                c if ('\u{FF01}'..='\u{FF5E}').contains(&c) => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                c if ('\u{1D400}'..='\u{1D6A3}').contains(&c) => {
                    let i = (c as u32 - 0x1D400) % 52;
                    char::from(if i < 26 { b'A' + i as u8 } else { b'a' + (i - 26) as u8 })
                }
                c if ('\u{1D7CE}'..='\u{1D7FF}').contains(&c) => char::from(b'0' + ((c as u32 - 0x1D7CE) % 10) as u8),
                c => c,
            };
            if c == '_' || c == '-' || c == ' ' || c == '.' || (!c.is_ascii() && !c.is_alphanumeric()) {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
                previous_lower = false;
                continue;
            }
            if c.is_uppercase() && previous_lower && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
            current.extend(c.to_lowercase());
        }
        if !current.is_empty() {
            words.push(current);
        }
        words
    }

    mod names {
        use super::*;
        use proptest::prelude::*;

        /// Names from rule fragments, separators, letters of both cases, digits and a non-ASCII letter.
        fn name() -> impl Strategy<Value = String> {
            let part = prop_oneof![
                prop::sample::select(vec![
                    "pass",
                    "word",
                    "api",
                    "Key",
                    "KEY",
                    "token",
                    "Secret",
                    "card",
                    "number",
                    "ssn",
                    "cred",
                    "ential",
                    "s",
                    "phrase",
                    "é",
                    "x",
                    "9",
                    "\u{200B}",
                    "ｗｏｒｄ",
                    "Ｐａｓｓ",
                    "·",
                    "İ",
                    "𝐩𝐚𝐬𝐬",
                    "𝓦𝓸𝓻𝓭",
                    "𝟗"
                ]),
                prop::sample::select(vec!["_", "-", " ", ".", "__"]),
            ];
            prop::collection::vec(part, 0..8).prop_map(|parts| parts.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
            #[test]
            fn matches_as_the_word_copies_did(name in name(), extra in prop::collection::vec(name(), 0..3)) {
                prop_assert_eq!(sensitive_field(&name, &extra), sensitive_field_by_copies(&name, &extra));
            }
        }
    }
}

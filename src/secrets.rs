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
    Detector {
        kind: SecretKind::Jwt,
        anchor: Anchor::Prefix(&["eyJ"]),
        pattern: r"^eyJ[0-9A-Za-z_-]{5,}\.eyJ[0-9A-Za-z_-]{5,}\.[0-9A-Za-z_-]{8,}",
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
pub fn find_secrets(text: &str, options: DetectorOptions) -> Option<Vec<Found>> {
    if !options.enabled {
        return Some(Vec::new());
    }
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

/// Field names that hold secrets whatever their value looks like, and the marker each gets.
const FIELD_RULES: &[(&str, &str)] = &[
    ("password", "password"),
    ("passwd", "password"),
    ("passphrase", "password"),
    ("secret", "secret"),
    ("token", "token"),
    ("apikey", "api_key"),
    ("accesskey", "api_key"),
    ("privatekey", "private_key"),
    ("ssn", "ssn"),
    ("socialsecurity", "ssn"),
    ("cardnumber", "card_number"),
    ("creditcard", "card_number"),
    ("cvv", "card_number"),
    ("cvc", "card_number"),
    ("authorization", "credential"),
    ("credential", "credential"),
    ("credentials", "credential"),
];

/// The marker for a field whose name says it holds a secret: `api_key`, `apiKey`, `STRIPE_SECRET` and
/// `user_password` all match; `tokenizer_version` or `secretary` do not, since a rule must match whole
/// words of the name.
pub fn sensitive_field(name: &str, extra: &[String]) -> Option<&'static str> {
    let words = NameWords::of(name);
    for (rule, marker) in FIELD_RULES {
        if words.parts().any(|w| w == rule.as_bytes()) || rule.len() > 4 && words.joined_ends_with(rule.as_bytes()) {
            return Some(marker);
        }
    }
    extra
        .iter()
        .any(|e| e.eq_ignore_ascii_case(name) || words.parts().any(|w| w.eq_ignore_ascii_case(e.as_bytes())))
        .then_some("field")
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
        for c in name.chars() {
            if c == '_' || c == '-' || c == ' ' || c == '.' {
                words.end_word();
                previous_lower = false;
                continue;
            }
            if c.is_ascii_uppercase() && previous_lower {
                words.end_word();
            }
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            words.flat.extend_from_slice(c.to_ascii_lowercase().encode_utf8(&mut buf).as_bytes());
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

    fn pair(&self, i: usize) -> &[u8] {
        self.words(i, i + 1)
    }

    fn pair_count(&self) -> usize {
        self.ends.len().saturating_sub(1)
    }

    /// Every word, then every pair.
    fn parts(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.ends.len()).map(|i| self.word(i)).chain((0..self.pair_count()).map(|i| self.pair(i)))
    }

    /// Whether all the parts written one after another end with `suffix`.
    fn joined_ends_with(&self, suffix: &[u8]) -> bool {
        let mut need = suffix;
        // Backwards: the pairs, last first, then the words (which together are `flat`).
        let pairs = (0..self.pair_count()).rev().map(|i| self.pair(i));
        for part in pairs.chain(std::iter::once(self.flat.as_slice())) {
            if need.len() <= part.len() {
                return part.ends_with(need);
            }
            let Some(rest) = need.strip_suffix(part) else { return false };
            need = rest;
        }
        need.is_empty()
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

    /// The matching as it was first written, with a String for every word: the rules' meaning, kept to check
    /// the buffer-based [`NameWords`] against.
    fn sensitive_field_by_copies(name: &str, extra: &[String]) -> Option<&'static str> {
        let words = words_of(name);
        let joined: String = words.concat();
        for (rule, marker) in FIELD_RULES {
            if words.iter().any(|w| w == rule) || joined.ends_with(rule) && (rule.len() > 4) {
                return Some(marker);
            }
        }
        let lower = name.to_ascii_lowercase();
        extra
            .iter()
            .any(|e| e.eq_ignore_ascii_case(&lower) || words.iter().any(|w| w.eq_ignore_ascii_case(e)))
            .then_some("field")
    }

    fn words_of(name: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut current = String::new();
        let mut previous_lower = false;
        for c in name.chars() {
            if c == '_' || c == '-' || c == ' ' || c == '.' {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
                previous_lower = false;
                continue;
            }
            if c.is_ascii_uppercase() && previous_lower && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            current.push(c.to_ascii_lowercase());
        }
        if !current.is_empty() {
            words.push(current);
        }
        // Two-word rules (`api key`, `access key`, `private key`, `card number`, `credit card`, `social security`).
        let pairs: Vec<String> = words.windows(2).map(|w| format!("{}{}", w[0], w[1])).collect();
        words.extend(pairs);
        words
    }

    mod names {
        use super::*;
        use proptest::prelude::*;

        /// Names from rule fragments, separators, letters of both cases, digits and a non-ASCII letter.
        fn name() -> impl Strategy<Value = String> {
            let part = prop_oneof![
                prop::sample::select(vec![
                    "pass", "word", "api", "Key", "KEY", "token", "Secret", "card", "number", "ssn", "cred", "ential",
                    "s", "phrase", "é", "x", "9"
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

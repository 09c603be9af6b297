//! Secrets and personal data: by field name, and by value wherever they appear in a string.
//!
//! Value detectors are one combined regular expression (one pass over each string), with checksums where
//! the format has one (Luhn for card numbers, mod 97 for IBANs) so that ordinary numbers are left alone.
//! Every format is ASCII, so the expressions run on bytes without Unicode tables, which keeps the WASM small.

use regex::bytes::Regex;
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

/// The detectors, in the order their alternatives appear in the combined expression (the first that
/// matches at a position wins, so more specific formats come first).
const DETECTORS: &[(SecretKind, &str)] = &[
    (
        SecretKind::PrivateKey,
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----",
    ),
    (SecretKind::StripeKey, r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,99}\b|\bwhsec_[0-9A-Za-z]{20,}\b"),
    (SecretKind::GithubToken, r"\b(?:ghp|gho|ghu|ghs|ghr)_[0-9A-Za-z]{36}\b|\bgithub_pat_[0-9A-Za-z_]{22,255}\b"),
    (SecretKind::AwsAccessKey, r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    (
        SecretKind::SlackToken,
        r"\bxox[abposr]-[0-9A-Za-z-]{10,}\b|https://hooks\.slack\.com/services/T[0-9A-Z]+/B[0-9A-Z]+/[0-9A-Za-z]+",
    ),
    (SecretKind::AnthropicKey, r"\bsk-ant-[0-9A-Za-z]{3,10}-[0-9A-Za-z_-]{20,}"),
    (SecretKind::OpenAiKey, r"\bsk-(?:proj-|svcacct-|admin-)?[0-9A-Za-z_-]{20,}"),
    (SecretKind::GoogleApiKey, r"\bAIza[0-9A-Za-z_-]{35}"),
    (SecretKind::Jwt, r"\beyJ[0-9A-Za-z_-]{5,}\.eyJ[0-9A-Za-z_-]{5,}\.[0-9A-Za-z_-]{8,}"),
    (SecretKind::Iban, r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"),
    (SecretKind::UsSsn, r"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b"),
    (SecretKind::CardNumber, r"\b[0-9](?:[ -]?[0-9]){12,18}\b"),
    (SecretKind::Email, r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"),
    (SecretKind::Phone, r"\+?\(?[0-9]{1,4}\)?(?:[ .-]?\(?[0-9]{2,4}\)?){2,5}"),
];

struct Detectors {
    combined: Regex,
}

fn detectors() -> Option<&'static Detectors> {
    static COMPILED: OnceLock<Option<Detectors>> = OnceLock::new();
    COMPILED
        .get_or_init(|| {
            let alternatives = DETECTORS.iter().map(|(_, p)| format!("({p})")).collect::<Vec<_>>().join("|");
            Regex::new(&format!("(?-u){alternatives}")).ok().map(|combined| Detectors { combined })
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

/// Every secret in `text`, left to right, not overlapping. `None` if the detectors could not be built
/// (a bug caught by the tests; the caller then fails closed).
pub fn find_secrets(text: &str, options: DetectorOptions) -> Option<Vec<Found>> {
    let mut found = Vec::new();
    if !options.enabled || !might_hold_a_secret(text) {
        return Some(found);
    }
    let d = detectors()?;
    for caps in d.combined.captures_iter(text.as_bytes()) {
        let Some((index, m)) = caps.iter().skip(1).enumerate().find_map(|(i, m)| m.map(|m| (i, m))) else {
            continue;
        };
        let Some((kind, _)) = DETECTORS.get(index) else { continue };
        if kind.is_contact() && !options.contact {
            continue;
        }
        // Matches start and end on ASCII, so they are character boundaries; `get` checks it anyway.
        let Some(matched) = text.get(m.start()..m.end()) else { continue };
        if valid(*kind, matched) {
            found.push(Found { start: m.start(), end: m.end(), kind: *kind });
        }
    }
    Some(found)
}

/// A cheap test that rules out most strings before the expression runs: every detector needs either a
/// digit run, a key prefix, a `-----BEGIN` or an `@`.
fn might_hold_a_secret(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut digits = 0;
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                if digits >= 7 {
                    return true;
                }
            }
            b' ' | b'-' | b'.' | b'(' | b')' => {}
            _ => digits = 0,
        }
        if matches!(b, b'_' | b'-' | b'@') && i >= 2 {
            return true;
        }
        if i + 4 <= bytes.len()
            && (&bytes[i..i + 4] == b"AKIA"
                || &bytes[i..i + 4] == b"ASIA"
                || &bytes[i..i + 4] == b"AIza"
                || &bytes[i..i + 4] == b"eyJh"
                || &bytes[i..i + 4] == b"eyJ0")
        {
            return true;
        }
    }
    // IBANs are letters and digits only: two letters, two digits.
    bytes.windows(4).any(|w| {
        w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase() && w[2].is_ascii_digit() && w[3].is_ascii_digit()
    })
}

/// Formats with a checksum or a reserved range are confirmed, so ordinary numbers are not redacted.
fn valid(kind: SecretKind, text: &str) -> bool {
    match kind {
        SecretKind::CardNumber => {
            let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
            (13..=19).contains(&digits.len()) && luhn(&digits) && matches!(digits.first(), Some(2..=6))
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
        out.push_str("[redacted:");
        out.push_str(f.kind.name());
        out.push(']');
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

/// `apiKey` → [api, key] joined as "apikey" when needed; `user_password` → [user, password].
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
}

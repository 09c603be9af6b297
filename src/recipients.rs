//! Who a flow's Send Email step may write to on behalf of MCP: Allowed Email Recipients.
//!
//! Directus hands the step's `to`, `cc` and `bcc` to nodemailer, which reads display names, quoted parts,
//! groups and comma-separated lists. The guard reads only plain addresses (`name@example.com`, or a list of
//! them separated by commas); anything else cannot be checked, and is refused like an unknown recipient.

use crate::network::{host_allowed, HostPattern};

/// An entry of Allowed Email Recipients: one address, or every address at a domain (`example.com`) or at its
/// subdomains (`*.example.com`).
#[derive(Debug, Clone, PartialEq)]
pub enum RecipientPattern {
    Address(String),
    Domain(HostPattern),
}

impl RecipientPattern {
    pub fn parse(entry: &str) -> Result<RecipientPattern, String> {
        let entry = entry.trim().to_ascii_lowercase();
        if entry.contains('@') {
            return match plain_address(&entry) {
                Some(address) => Ok(RecipientPattern::Address(address)),
                None => Err(format!("\"{entry}\" is not a plain email address (e.g. team@example.com)")),
            };
        }
        HostPattern::parse(&entry)
            .map(RecipientPattern::Domain)
            .map_err(|_| format!("\"{entry}\" is not an email address or a domain (e.g. example.com or *.example.com)"))
    }

    fn matches(&self, address: &str) -> bool {
        match self {
            RecipientPattern::Address(a) => a == address,
            RecipientPattern::Domain(pattern) => {
                address.rsplit_once('@').is_some_and(|(_, domain)| host_allowed(std::slice::from_ref(pattern), domain))
            }
        }
    }
}

/// The addresses in a recipient text, lower-cased, or `None` when any part is not a plain address.
pub fn addresses(text: &str) -> Option<Vec<String>> {
    text.split(',').map(str::trim).filter(|part| !part.is_empty()).map(plain_address).collect()
}

/// `local@domain` with the characters an address needs and none that nodemailer reads as syntax (quotes,
/// angle brackets, group colons and semicolons, spaces, comments).
fn plain_address(text: &str) -> Option<String> {
    let text = text.trim().to_ascii_lowercase();
    let (local, domain) = text.split_once('@')?;
    let local_ok =
        !local.is_empty() && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let domain_ok = !domain.is_empty()
        && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !domain.starts_with(['.', '-'])
        && !domain.ends_with(['.', '-'])
        && domain.contains('.');
    (local_ok && domain_ok).then_some(text)
}

pub fn recipient_allowed(patterns: &[RecipientPattern], address: &str) -> bool {
    patterns.iter().any(|p| p.matches(address))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(entries: &[&str]) -> Vec<RecipientPattern> {
        entries.iter().map(|e| RecipientPattern::parse(e).unwrap_or_else(|e| panic!("{e}"))).collect()
    }

    #[test]
    fn addresses_domains_and_subdomains_match_and_nothing_else_does() {
        let allowed = patterns(&["Team@Example.com", "partner.org", "*.corp.example"]);
        assert!(recipient_allowed(&allowed, "team@example.com"));
        assert!(!recipient_allowed(&allowed, "other@example.com"));
        assert!(recipient_allowed(&allowed, "anyone@partner.org"));
        assert!(!recipient_allowed(&allowed, "anyone@evilpartner.org"));
        assert!(recipient_allowed(&allowed, "a@eu.corp.example"));
        assert!(!recipient_allowed(&allowed, "a@corp.example"));
        assert!(!recipient_allowed(&[], "team@example.com"));
        assert!(RecipientPattern::parse("not an address@").is_err());
        assert!(RecipientPattern::parse("exa mple.com").is_err());
    }

    #[test]
    fn only_plain_addresses_are_read_and_anything_nodemailer_would_parse_differently_is_not() {
        assert_eq!(addresses("A@x.com, b@y.org").as_deref(), Some(&["a@x.com".to_string(), "b@y.org".to_string()][..]));
        for unreadable in [
            "Team <team@example.com>",
            "\"team@example.com\" <thief@evil.com>",
            "list: a@x.com;",
            "a@x.com (comment)",
            "a@b@evil.com",
            "a@localhost",
            "a@[127.0.0.1]",
        ] {
            assert_eq!(addresses(unreadable), None, "{unreadable}");
        }
    }
}

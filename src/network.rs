//! Where and when MCP may be used: client IP ranges, working hours, and the hosts data may be sent to.

use ipnet::IpNet;
use std::net::IpAddr;

/// Client IP ranges allowed to use MCP. Empty: any address.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IpAllowlist(Vec<IpNet>);

impl IpAllowlist {
    /// Parses CIDR ranges and single addresses (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`).
    pub fn parse(entries: &[String]) -> Result<IpAllowlist, String> {
        let mut nets = Vec::with_capacity(entries.len());
        for entry in entries {
            let entry = entry.trim();
            let net = entry.parse::<IpNet>().or_else(|_| entry.parse::<IpAddr>().map(IpNet::from)).map_err(|_| {
                format!("\"{entry}\" is not an IP address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32)")
            })?;
            nets.push(net);
        }
        Ok(IpAllowlist(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the address (as Directus resolved it) is inside a range. IPv4 clients seen through an IPv6
    /// socket (`::ffff:192.0.2.7`) are compared as IPv4.
    pub fn allows(&self, ip: Option<&str>) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let Some(addr) = ip.and_then(|s| s.trim().parse::<IpAddr>().ok()) else { return false };
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        self.0.iter().any(|net| net.contains(&addr))
    }
}

/// The caller's wall-clock time in the configured time zone, worked out by the JS side (the core has no
/// clock and no time zone data).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalTime {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// Minutes since local midnight.
    pub minute: u16,
}

impl LocalTime {
    /// From minutes since Monday 00:00 (how the JS side hands it over); `None` past the week's last minute.
    pub fn from_minute_of_week(minutes: u16) -> Option<LocalTime> {
        let weekday = u8::try_from(minutes / MINUTES_PER_DAY).ok().filter(|&day| usize::from(day) < DAYS.len())?;
        Some(LocalTime { weekday, minute: minutes % MINUTES_PER_DAY })
    }
}

const MINUTES_PER_DAY: u16 = 24 * 60;

pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One span of allowed time: on these days, from `from` (inclusive) to `to` (exclusive). A span that ends
/// before it starts runs past midnight, into the next day.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub days: [bool; 7],
    pub from: u16,
    pub to: u16,
}

impl Window {
    pub fn contains(&self, t: LocalTime) -> bool {
        let day = usize::from(t.weekday % 7);
        if self.from <= self.to {
            return self.days[day] && t.minute >= self.from && t.minute < self.to;
        }
        let previous = (day + 6) % 7;
        (self.days[day] && t.minute >= self.from) || (self.days[previous] && t.minute < self.to)
    }
}

/// `"09:30"` → 570.
pub fn parse_clock(text: &str) -> Result<u16, String> {
    let bad = || format!("\"{text}\" is not a time of day (HH:MM, 00:00 to 24:00)");
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h > 24 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// A host that data may be sent to: `example.com` (that host only) or `*.example.com` (its subdomains).
#[derive(Debug, Clone, PartialEq)]
pub enum HostPattern {
    Exact(String),
    Subdomains(String),
}

impl HostPattern {
    pub fn parse(entry: &str) -> Result<HostPattern, String> {
        let entry = entry.trim().to_ascii_lowercase();
        let (wildcard, host) = match entry.strip_prefix("*.") {
            Some(rest) => (true, rest.to_string()),
            None => (false, entry.clone()),
        };
        let valid = !host.is_empty()
            && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
            && !host.starts_with('.')
            && !host.ends_with('.');
        if !valid {
            return Err(format!("\"{entry}\" is not a host name (e.g. api.example.com or *.example.com)"));
        }
        Ok(if wildcard { HostPattern::Subdomains(host) } else { HostPattern::Exact(host) })
    }

    fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Exact(h) => host == h,
            HostPattern::Subdomains(h) => {
                host.len() > h.len() + 1 && host.ends_with(h.as_str()) && {
                    let cut = host.len() - h.len() - 1;
                    host.as_bytes().get(cut) == Some(&b'.')
                }
            }
        }
    }
}

/// The host an http(s) URL reaches, as Node's `new URL(url).hostname` gives it: Directus fetches with
/// axios, which parses with WHATWG URL, so the `url` crate (a WHATWG parser) reads every URL the way it
/// will be fetched (credentials, backslashes, percent-encoding, IPv4 shorthands, IDNA). `None` for
/// anything else, including templated URLs (`{{…}}`) whose host is only known when the flow runs.
pub fn url_host(text: &str) -> Option<String> {
    if text.contains("{{") {
        return None;
    }
    let parsed = url::Url::parse(text).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    parsed.host_str().filter(|h| !h.is_empty()).map(str::to_string)
}

/// Whether a host is in the allowlist. A trailing dot names the same DNS host (`example.com.`).
pub fn host_allowed(patterns: &[HostPattern], host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    patterns.iter().any(|p| p.matches(&host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> IpAllowlist {
        IpAllowlist::parse(&entries.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap_or_default()
    }

    #[test]
    fn ip_ranges_cover_v4_v6_and_mapped_addresses() {
        let l = list(&["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]);
        assert!(l.allows(Some("10.1.2.3")));
        assert!(l.allows(Some("::ffff:10.1.2.3")));
        assert!(l.allows(Some("2001:db8::1")));
        assert!(l.allows(Some("192.0.2.7")));
        assert!(!l.allows(Some("192.0.2.8")));
        assert!(!l.allows(None));
        assert!(!l.allows(Some("not an ip")));
        assert!(list(&[]).allows(None));
        assert!(IpAllowlist::parse(&["10.0.0.0/33".to_string()]).is_err());
    }

    #[test]
    fn windows_include_the_start_exclude_the_end_and_wrap_midnight() {
        let weekdays = [true, true, true, true, true, false, false];
        let day = Window { days: weekdays, from: 540, to: 1080 };
        assert!(day.contains(LocalTime { weekday: 0, minute: 540 }));
        assert!(!day.contains(LocalTime { weekday: 0, minute: 1080 }));
        assert!(!day.contains(LocalTime { weekday: 5, minute: 600 }));
        let night = Window { days: weekdays, from: 1320, to: 360 };
        assert!(night.contains(LocalTime { weekday: 4, minute: 1400 }));
        // Friday night's span runs into Saturday morning.
        assert!(night.contains(LocalTime { weekday: 5, minute: 100 }));
        assert!(!night.contains(LocalTime { weekday: 0, minute: 100 }));
        assert_eq!(LocalTime::from_minute_of_week(4 * 1440 + 1400), Some(LocalTime { weekday: 4, minute: 1400 }));
        assert_eq!(LocalTime::from_minute_of_week(7 * 1440 - 1), Some(LocalTime { weekday: 6, minute: 1439 }));
        assert_eq!(LocalTime::from_minute_of_week(7 * 1440), None);
        assert_eq!(parse_clock("09:30"), Ok(570));
        assert!(parse_clock("25:00").is_err() && parse_clock("9").is_err());
    }

    #[test]
    fn url_hosts_ignore_credentials_ports_and_case() {
        assert_eq!(url_host("https://User:pw@Allowed.com@Evil.com:8443/x?y").as_deref(), Some("evil.com"));
        assert_eq!(url_host("http://[::1]:8080/").as_deref(), Some("[::1]"));
        assert_eq!(url_host("http://127.0.0.1:9\\@allowed.example/x").as_deref(), Some("127.0.0.1"));
        assert_eq!(url_host("http://0x7f.1/").as_deref(), Some("127.0.0.1"));
        assert_eq!(url_host("ftp://example.com/"), None);
        assert_eq!(url_host("https://{{$trigger.host}}/x"), None);
        let patterns = [HostPattern::parse("*.example.com").unwrap(), HostPattern::parse("cdn.net").unwrap()];
        assert!(host_allowed(&patterns, "img.example.com"));
        assert!(host_allowed(&patterns, "cdn.net."));
        assert!(!host_allowed(&patterns, "example.com"));
        assert!(!host_allowed(&patterns, "badexample.com"));
        assert!(host_allowed(&patterns, "cdn.net"));
        assert!(HostPattern::parse("exa mple.com").is_err());
    }

    /// Tricky URLs: every way a host can hide in an authority, crossed with schemes and separators.
    fn tricky_urls() -> Vec<String> {
        let schemes = [
            "http://",
            "https://",
            "HTTP://",
            "http:",
            "http:/",
            "http:\\\\",
            " http://",
            "\thttp://",
            "ws://",
            "file://",
        ];
        let authorities = [
            "allowed.example",
            "127.0.0.1:9\\@allowed.example",
            "allowed.example\\@127.0.0.1",
            "allowed.example@127.0.0.1",
            "allowed.example:80@127.0.0.1",
            "a%40b@127.0.0.1",
            "user:pass@allowed.example:8080",
            "127.1",
            "0x7f.0.0.1",
            "0177.0.0.1",
            "2130706433",
            "%31%32%37.0.0.1",
            "[::1]",
            "[::ffff:127.0.0.1]",
            "[0:0:0:0:0:0:0:1]",
            "ALLOWED.EXAMPLE.",
            "allowed.example..",
            "xn--nxasmq6b.example",
            "bücher.example",
            "ＡＬＬＯＷＥＤ.example",
            "allowed。example",
            "allowed.example#@127.0.0.1",
            "allowed.example?@127.0.0.1",
            "allowed.example/@127.0.0.1",
            "allowed.example;@127.0.0.1",
            "allowed.example\t@127.0.0.1",
            "allowed.example\n.evil",
            "allowed.example%2f@127.0.0.1",
            "@allowed.example",
            "localhost",
            "0",
            "0.0.0.0",
            "999.1.1.1",
            "1.2.3.4.5",
            "[::1",
            "",
            "allowed.example:99999",
            "allowed.example:",
            "a b.example",
            "allowed.example\u{0}x",
        ];
        let tails = ["", "/", "/x?y#z", "\\x", ":8080/p"];
        let mut urls = Vec::new();
        for s in schemes {
            for a in authorities {
                for t in tails {
                    urls.push(format!("{s}{a}{t}"));
                }
            }
        }
        urls
    }

    /// Agreement with Node's WHATWG parser (`new URL(u).hostname` for http and https), the parser Directus's
    /// requests go through. Runs `node` on this machine; the project's tests need it anyway.
    #[test]
    fn hosts_agree_with_nodes_url_parser() {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let urls = tricky_urls();
        let script = "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const out=JSON.parse(s).map(u=>{try{const p=new URL(u);return p.protocol==='http:'||p.protocol==='https:'?(p.hostname||null):null}catch{return null}});process.stdout.write(JSON.stringify(out))})";
        let mut child =
            match Command::new("node").arg("-e").arg(script).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn() {
                Ok(c) => c,
                Err(e) => panic!("node is needed for this differential test: {e}"),
            };
        let input = serde_json::to_vec(&urls).unwrap();
        child.stdin.take().unwrap().write_all(&input).unwrap();
        let out = child.wait_with_output().unwrap();
        let node: Vec<Option<String>> = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(node.len(), urls.len());
        let mut disagreements = Vec::new();
        for (url, want) in urls.iter().zip(node) {
            let got = url_host(url);
            if got != want {
                disagreements.push(format!("{url:?}: node {want:?}, guard {got:?}"));
            }
        }
        assert!(
            disagreements.is_empty(),
            "{} of {} disagree:\n{}",
            disagreements.len(),
            urls.len(),
            disagreements.join("\n")
        );
    }
}

//! Floors on detection quality, measured on the labelled corpus bench/corpus/detection.json: recall on the
//! attack families the rules were tuned on and on those held out from tuning, and false positives on ordinary
//! content. A change that loses recall or flags more ordinary content fails here.
//! `cargo run --release --example detection` prints the numbers per family.

use mcp_guard::filter::{InjectionMode, Protection};
use mcp_guard::injection::scan;
use mcp_guard::prefilter::Prefilter;
use mcp_guard::secrets::DetectorOptions;
use serde_json::Value;
use std::collections::BTreeMap;

/// (flagged, total) per family, and each family's split ("tune", "held-out" or "benign").
fn measure() -> (BTreeMap<String, (usize, usize)>, BTreeMap<String, String>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/corpus/detection.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let corpus: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let splits = corpus["families"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect())
        .unwrap_or_default();
    // The default settings' prefilter decides, as in production, whether the scan runs and with what: it
    // sees each text as the answer carries it, a JSON string.
    let protection = Protection {
        field_rules: true,
        extra_fields: vec![],
        collection_fields: Default::default(),
        detectors: DetectorOptions { enabled: true, contact: false },
        injection: InjectionMode::Flag,
        trusted_hosts: vec![],
    };
    let prefilter = Prefilter::new(&protection).unwrap_or_else(|| panic!("the default prefilter builds"));
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for sample in corpus["samples"].as_array().into_iter().flatten() {
        let text = sample["text"].as_str().unwrap_or("");
        let raw = serde_json::to_string(text).unwrap_or_default();
        let triggers = prefilter.triggers(raw.trim_matches('"').as_bytes());
        let hits = scan(text, &[], &triggers).unwrap_or_default();
        let entry = counts.entry(sample["family"].as_str().unwrap_or("").to_string()).or_default();
        entry.0 += usize::from(!hits.is_empty());
        entry.1 += 1;
    }
    (counts, splits)
}

fn rate(counts: &BTreeMap<String, (usize, usize)>, splits: &BTreeMap<String, String>, split: &str) -> f64 {
    let (flagged, total) = counts
        .iter()
        .filter(|(f, _)| splits.get(*f).map(String::as_str) == Some(split))
        .fold((0, 0), |(a, b), (_, (f, t))| (a + f, b + t));
    assert!(total > 0, "no samples in {split}");
    flagged as f64 / total as f64
}

#[test]
fn recall_and_false_positives_stay_within_their_bounds() {
    let (counts, splits) = measure();
    let tuned = rate(&counts, &splits, "tune");
    let held_out = rate(&counts, &splits, "held-out");
    let false_positives = rate(&counts, &splits, "benign");
    assert!(tuned >= 0.87, "recall on tuned families fell to {tuned:.3}");
    assert!(held_out >= 0.54, "recall on held-out families fell to {held_out:.3}");
    assert!(false_positives <= 0.01, "false positives rose to {false_positives:.4}");
    // No single source of ordinary content may be flagged much more than the rest.
    for (family, (flagged, total)) in
        counts.iter().filter(|(f, _)| splits.get(*f).map(String::as_str) == Some("benign"))
    {
        assert!(*flagged as f64 <= 0.05 * *total as f64 + 1.0, "{family}: {flagged} of {total} flagged");
    }
}

//! Canonical JSON and the card digest (docs/governance.md): SHA-256 of the
//! canonical JSON of the parsed `card.toml`, a newline, and the lineage
//! root from `lineage.lock` (nothing when there is no lock). No I/O.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Returns the canonical JSON of a value: object keys sorted bytewise, no
/// whitespace, strings escaped as serde_json escapes them, numbers as
/// serde_json writes them (integers as digits, floats in shortest form).
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Returns lowercase hex of SHA-256 over `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Returns lowercase hex of a byte slice.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Returns the card digest `sha256:<hex>` of a parsed card and its lineage
/// root (`None` when the version has no `lineage.lock` yet).
pub fn card_digest(card: &Value, lineage_root: Option<&str>) -> String {
    let mut input = canonical_json(card);
    input.push('\n');
    if let Some(root) = lineage_root {
        input.push_str(root);
    }
    format!("sha256:{}", sha256_hex(input.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Document;

    #[test]
    fn canonical_json_sorts_keys() {
        let v: Value = serde_json::from_str(r#"{"b":1,"a":{"d":[1,2.5,"x"],"c":true}}"#).unwrap();
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":true,"d":[1,2.5,"x"]},"b":1}"#
        );
    }

    #[test]
    fn golden_card_digest() {
        // Frozen: changing this value breaks every recorded approval.
        // Reproduce: printf '%s\n%s' '{"metrics":[{"name":"auc","value":0.91}],"version":"1.0.0"}' \
        //   "$(printf 'a%.0s' $(seq 64))" | sha256sum
        let doc = Document::parse(
            "card.toml",
            "version = \"1.0.0\"\n\n[[metrics]]\nvalue = 0.91\nname = \"auc\"\n",
        )
        .unwrap();
        let root = "a".repeat(64);
        assert_eq!(
            card_digest(&doc.json, Some(&root)),
            format!("sha256:{}", sha256_hex(format!("{{\"metrics\":[{{\"name\":\"auc\",\"value\":0.91}}],\"version\":\"1.0.0\"}}\n{root}").as_bytes()))
        );
        assert_eq!(
            card_digest(&doc.json, Some(&root)),
            "sha256:b07cfcb8e336acc37d7a28c2834f9bdfd16a9c0c437f8178e05eef0917359341"
        );
    }

    #[test]
    fn formatting_does_not_change_the_digest() {
        let a = Document::parse("a", "version = \"1\"\nsummary = \"x\"\n").unwrap();
        let b = Document::parse("b", "summary   =   'x'   # note\n\n\nversion = \"1\"\n").unwrap();
        let c = Document::parse("c", "summary = \"y\"\nversion = \"1\"\n").unwrap();
        assert_eq!(card_digest(&a.json, None), card_digest(&b.json, None));
        assert_ne!(card_digest(&a.json, None), card_digest(&c.json, None));
        assert_ne!(card_digest(&a.json, None), card_digest(&a.json, Some("00")));
    }
}

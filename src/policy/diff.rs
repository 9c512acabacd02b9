//! What changed between two contents of a version: the card fields (from
//! their canonical JSON) and the lineage inputs (from the locks), in the
//! words a stale approval is explained with:
//! "`metrics[auc].value` 0.91 → 0.93, lineage `dataset train` changed".
//! No I/O.

use serde_json::Value;

use super::LockFacts;

/// At most this many changes are named; the rest are counted.
const MAX_NAMED: usize = 8;

/// Returns the card fields that differ between two canonical JSON texts.
pub fn card_changes(old: &str, new: &str) -> Vec<String> {
    let (Ok(old), Ok(new)) = (
        serde_json::from_str::<Value>(old),
        serde_json::from_str::<Value>(new),
    ) else {
        return vec!["the card changed".to_owned()];
    };
    let mut out = Vec::new();
    walk("", &old, &new, &mut out);
    cap(out)
}

/// Returns the lineage inputs that differ between two locks.
pub fn lock_changes(old: Option<&LockFacts>, new: Option<&LockFacts>) -> Vec<String> {
    match (old, new) {
        (None, None) => Vec::new(),
        (None, Some(_)) => vec!["`lineage.lock` added".to_owned()],
        (Some(_), None) => vec!["`lineage.lock` removed".to_owned()],
        (Some(a), Some(b)) => {
            let mut out = Vec::new();
            for (key, digest) in &b.inputs {
                match a.inputs.get(key) {
                    None => out.push(format!("lineage `{key}` added")),
                    Some(d) if d != digest => out.push(format!("lineage `{key}` changed")),
                    Some(_) => {}
                }
            }
            for key in a.inputs.keys().filter(|k| !b.inputs.contains_key(*k)) {
                out.push(format!("lineage `{key}` removed"));
            }
            if out.is_empty() && a.root != b.root {
                out.push("the lineage root changed".to_owned());
            }
            cap(out)
        }
    }
}

fn cap(mut out: Vec<String>) -> Vec<String> {
    if out.len() > MAX_NAMED {
        let more = out.len() - MAX_NAMED;
        out.truncate(MAX_NAMED);
        out.push(format!("and {more} more"));
    }
    out
}

fn walk(path: &str, old: &Value, new: &Value, out: &mut Vec<String>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in b {
                let at = join(path, key);
                match a.get(key) {
                    Some(before) => walk(&at, before, value, out),
                    None => out.push(format!("`{at}` added")),
                }
            }
            for key in a.keys().filter(|k| !b.contains_key(*k)) {
                out.push(format!("`{}` removed", join(path, key)));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            let (ka, kb) = (keys(a), keys(b));
            match (ka, kb) {
                // Entries named by a key field are matched by name, so a
                // reordered list only reports what changed in an entry.
                (Some(ka), Some(kb)) => {
                    for (name, value) in &kb {
                        let at = format!("{path}[{name}]");
                        match ka.iter().find(|(n, _)| n == name) {
                            Some((_, before)) => walk(&at, before, value, out),
                            None => out.push(format!("`{at}` added")),
                        }
                    }
                    for (name, _) in ka.iter().filter(|(n, _)| !kb.iter().any(|(m, _)| m == n)) {
                        out.push(format!("`{path}[{name}]` removed"));
                    }
                }
                _ if a.len() == b.len() => {
                    for (i, (x, y)) in a.iter().zip(b).enumerate() {
                        walk(&format!("{path}[{i}]"), x, y, out);
                    }
                }
                _ => out.push(format!("`{path}` changed")),
            }
        }
        _ => out.push(format!("`{path}` {} → {}", show(old), show(new))),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Returns the entries of a list of tables by their naming field, when
/// every entry has a distinct one (`[[metrics]]` by `name`, `[[fairness]]`
/// by `metric` and `group`, `[[sections]]` by `title`, …).
fn keys(list: &[Value]) -> Option<Vec<(String, &Value)>> {
    let mut out: Vec<(String, &Value)> = Vec::with_capacity(list.len());
    for item in list {
        let obj = item.as_object()?;
        let text = |k: &str| obj.get(k).and_then(Value::as_str);
        let name = match (text("name"), text("metric"), text("feature"), text("title")) {
            (Some(n), ..) => {
                let mut n = n.to_owned();
                for extra in ["dataset", "slice"] {
                    if let Some(x) = text(extra) {
                        n = format!("{n}, {x}");
                    }
                }
                n
            }
            (None, Some(m), ..) => match text("group") {
                Some(g) => format!("{m}, {g}"),
                None => m.to_owned(),
            },
            (None, None, Some(f), _) => f.to_owned(),
            (None, None, None, Some(t)) => t.to_owned(),
            _ => return None,
        };
        if out.iter().any(|(n, _)| *n == name) {
            return None;
        }
        out.push((name, item));
    }
    Some(out)
}

/// Returns a short text of a value.
fn show(value: &Value) -> String {
    let text = match value {
        Value::String(s) => format!("{s:?}"),
        Value::Null => "nothing".to_owned(),
        Value::Array(_) | Value::Object(_) => return "(a table)".to_owned(),
        other => other.to_string(),
    };
    if text.chars().count() > 40 {
        let cut: String = text.chars().take(37).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn names_changed_metrics_by_name() {
        let old =
            r#"{"metrics":[{"name":"auc","value":0.91},{"name":"f1","value":0.7}],"summary":"a"}"#;
        let new = r#"{"metrics":[{"name":"f1","value":0.7},{"name":"auc","value":0.93}],"summary":"a","details":{"x":1}}"#;
        assert_eq!(
            card_changes(old, new),
            vec!["`details` added", "`metrics[auc].value` 0.91 → 0.93"]
        );
    }

    #[test]
    fn names_lineage_inputs() {
        let lock = |d: &str| LockFacts {
            root: d.to_owned(),
            inputs: BTreeMap::from([
                ("dataset train".to_owned(), d.to_owned()),
                ("code code".to_owned(), "c".to_owned()),
            ]),
        };
        assert_eq!(
            lock_changes(Some(&lock("a")), Some(&lock("b"))),
            vec!["lineage `dataset train` changed"]
        );
    }

    #[test]
    fn long_values_are_cut_and_lists_capped() {
        let old = format!(r#"{{"summary":"{}"}}"#, "x".repeat(100));
        let changes = card_changes(&old, r#"{"summary":"y"}"#);
        assert_eq!(
            changes,
            vec![format!("`summary` \"{}… → \"y\"", "x".repeat(36))]
        );
        let old: String = (0..20).map(|i| format!(r#""k{i:02}":1,"#)).collect();
        let old = format!("{{{}\"z\":0}}", old);
        let changes = card_changes(&old, "{\"z\":0}");
        assert_eq!(changes.len(), MAX_NAMED + 1);
        assert_eq!(changes.last().map(String::as_str), Some("and 12 more"));
    }
}

//! The module map of ARCHITECTURE.md, checked: which top-level module may
//! import which, no import cycle between any two modules, and libgit2 only
//! in `history/`. Reads the sources as text: every `crate::…` and
//! `super::…` path (grouped `use` lists included), comments and string
//! literals left out, test modules left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each top-level module may import (besides itself). Keep in step
/// with ARCHITECTURE.md.
const ALLOWED: &[(&str, &[&str])] = &[
    ("layering", &[]),
    ("error", &[]),
    ("diag", &[]),
    ("document", &["diag"]),
    ("model", &[]),
    ("schema", &["diag", "document"]),
    ("write", &["error"]),
    ("ssh", &["error"]),
    ("output", &["diag", "error", "model"]),
    ("load", &["diag", "document", "error", "model", "schema"]),
    ("lineage", &["error", "load", "model", "write"]),
    (
        "validate",
        &["diag", "lineage", "load", "model", "schema", "ssh"],
    ),
    ("policy", &["diag", "lineage", "model", "ssh"]),
    ("drift", &["error", "load", "model"]),
    (
        "history",
        &[
            "diag", "error", "lineage", "load", "model", "policy", "validate",
        ],
    ),
    ("scaffold", &["error", "model"]),
    ("site", &["error", "load", "model", "output"]),
    (
        "commands",
        &[
            "diag", "document", "drift", "error", "history", "lineage", "load", "model", "output",
            "policy", "schema", "scaffold", "site", "ssh", "validate", "write",
        ],
    ),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/` with its module path (`policy::replay`).
fn modules() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&src(), &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let rel = path.strip_prefix(src()).ok()?.to_str()?.replace('\\', "/");
            let mut parts: Vec<&str> = rel.trim_end_matches(".rs").split('/').collect();
            if matches!(parts.last(), Some(&("mod" | "lib" | "main"))) {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).ok()?;
            Some((parts.join("::"), text))
        })
        .collect()
}

/// Returns the source without comments, string and char literals, and
/// without `#[cfg(test)]` modules.
fn code_only(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |e| e + 2);
        } else if rest.starts_with("r#\"") {
            i += rest.find("\"#").map_or(rest.len(), |e| e + 2);
        } else if rest.starts_with('"') {
            let mut j = 1;
            while j < rest.len() {
                match bytes[i + j] {
                    b'\\' => j += 2,
                    b'"' => break,
                    _ => j += 1,
                }
            }
            i += j + 1;
        } else if let Some(after) = rest.strip_prefix("'\\") {
            // An escaped char literal: '\n', '\''.
            let close = after.get(1..).and_then(|a| a.find('\''));
            i += close.map_or(2, |e| e + 4);
        } else if rest.starts_with('\'') {
            // A char literal ('x', '"'), else a lifetime.
            let mut chars = rest.char_indices().skip(1);
            match (chars.next(), chars.next()) {
                (Some(_), Some((k, '\''))) => i += k + 1,
                _ => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Returns the paths after `prefix` (`crate::` or `super::`): for a
/// grouped `use prefix{a, b::c}` each item's path.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find(prefix) {
        let start = from + at;
        let before = code[..start].chars().next_back();
        from = start + prefix.len();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[from..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '}' if depth == 0 => break,
                    ',' if depth == 0 => out.push(std::mem::take(&mut item)),
                    '{' => {
                        depth += 1;
                        item.push(c);
                    }
                    '}' => {
                        depth -= 1;
                        item.push(c);
                    }
                    _ => item.push(c),
                }
            }
            out.push(item);
        } else {
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            out.push(path);
        }
    }
    out.into_iter()
        .map(|p| p.split_whitespace().collect::<String>())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The module-to-module imports: `(from, to)`, `to` the longest module
/// path a used path starts with.
fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules();
    let names: BTreeSet<&str> = mods.iter().map(|(m, _)| m.as_str()).collect();
    let resolve = |segments: Vec<&str>| -> Option<String> {
        (1..=segments.len())
            .rev()
            .map(|n| segments[..n].join("::"))
            .find(|m| names.contains(m.as_str()))
    };
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &mods {
        let code = code_only(text);
        let parent: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
        let parent = &parent[..parent.len().saturating_sub(1)];
        let mut targets = BTreeSet::new();
        for path in paths_after(&code, "crate::") {
            targets.extend(resolve(path.split("::").collect()));
        }
        for path in paths_after(&code, "super::") {
            let mut segments = parent.to_vec();
            segments.extend(path.split("::"));
            targets.extend(resolve(segments));
        }
        targets.remove(module);
        out.entry(module.clone()).or_default().extend(targets);
    }
    out
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

#[test]
fn top_level_modules_import_only_what_the_architecture_allows() {
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(m, deps)| (*m, deps.iter().copied().collect()))
        .collect();
    let mut wrong = Vec::new();
    let mut used: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (from, targets) in edges() {
        if from.is_empty() {
            continue; // lib.rs / main.rs
        }
        let Some(may) = allowed.get(top(&from)) else {
            wrong.push(format!("`{from}` is in no layer of ARCHITECTURE.md"));
            continue;
        };
        for to in targets {
            if top(&to) == top(&from) {
                continue;
            }
            if may.contains(top(&to)) {
                if let Some((m, _)) = ALLOWED.iter().find(|(m, _)| *m == top(&from)) {
                    used.entry(m).or_default().insert(top(&to).to_owned());
                }
            } else {
                wrong.push(format!("`{from}` imports `{to}`"));
            }
        }
    }
    // The map is exact: an allowed import nothing makes is stale.
    for (m, deps) in ALLOWED {
        for d in *deps {
            if !used.get(m).is_some_and(|u| u.contains(*d)) {
                wrong.push(format!("`{m}` may import `{d}` but does not"));
            }
        }
    }
    assert_eq!(wrong, Vec::<String>::new());
}

#[test]
fn no_two_modules_import_each_other() {
    let edges = edges();
    // A module and its own descendants are one unit: `mod.rs` declares
    // what its children share. Cycles are sought between the others.
    let related = |a: &str, b: &str| {
        a.is_empty()
            || b.is_empty()
            || a.starts_with(&format!("{b}::"))
            || b.starts_with(&format!("{a}::"))
    };
    let graph: BTreeMap<&str, Vec<&str>> = edges
        .iter()
        .map(|(from, to)| {
            let to = to
                .iter()
                .map(String::as_str)
                .filter(|t| !related(from, t))
                .collect();
            (from.as_str(), to)
        })
        .collect();
    // Depth-first search for a back edge; report the first cycle found.
    fn visit<'g>(
        node: &'g str,
        graph: &BTreeMap<&'g str, Vec<&'g str>>,
        path: &mut Vec<&'g str>,
        done: &mut BTreeSet<&'g str>,
    ) -> Option<Vec<&'g str>> {
        if let Some(at) = path.iter().position(|n| *n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node);
            return Some(cycle);
        }
        if !done.insert(node) {
            return None;
        }
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        let cycle = visit(node, &graph, &mut Vec::new(), &mut done);
        assert_eq!(cycle, None, "an import cycle");
    }
}

#[test]
fn only_history_uses_libgit2() {
    let users: Vec<String> = modules()
        .into_iter()
        // Spelled in two halves so this file is not itself a match.
        .filter(|(_, text)| code_only(text).contains(concat!("git2", "::")))
        .map(|(m, _)| m)
        .filter(|m| top(m) != "history")
        .collect();
    assert_eq!(users, Vec::<String>::new());
}

#[test]
fn the_parser_sees_grouped_and_nested_imports() {
    let code = code_only(
        "use crate::{load, model::files::{Card, Gate}};\n// crate::error\nlet s = \"crate::diag\";\nfn f<'a>(x: &'a str) { crate::write::write_atomic(x) }",
    );
    assert_eq!(
        paths_after(&code, "crate::"),
        vec!["load", "model::files::{Card,Gate}", "write::write_atomic"]
    );
}

//! The JSON Schemas of every governed file kind, embedded from `schemas/`,
//! and the check of a parsed [`Document`] against them. The schemas are the
//! one source of truth for keys and types: `validate` uses these very files
//! and editors (Taplo / Even Better TOML) use them for completion. No I/O.

use std::sync::OnceLock;

use jsonschema::Validator;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use crate::diag::{Code, Diagnostic};
use crate::document::{Document, pointer_push};

/// The kinds of governed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// `cardinal.toml`.
    Config,
    /// `projects/<p>/project.toml`.
    Project,
    /// `projects/<p>/<m>/model.toml`.
    Model,
    /// `projects/<p>/<m>/<v>/card.toml`.
    Card,
    /// `reviews/<stage>/request.toml`.
    Request,
    /// `reviews/<stage>/<member>.toml`.
    Decision,
    /// `lineage.lock`.
    LineageLock,
    /// `monitoring/<stamp>-drift.toml` / `-quality.toml`.
    MonitoringResult,
}

impl FileKind {
    /// Every kind, in the order `cardinal schema` lists them.
    pub const ALL: &'static [FileKind] = &[
        FileKind::Config,
        FileKind::Project,
        FileKind::Model,
        FileKind::Card,
        FileKind::Request,
        FileKind::Decision,
        FileKind::LineageLock,
        FileKind::MonitoringResult,
    ];

    /// Returns the name used by `cardinal schema KIND` and the schema file.
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Config => "cardinal",
            FileKind::Project => "project",
            FileKind::Model => "model",
            FileKind::Card => "card",
            FileKind::Request => "request",
            FileKind::Decision => "decision",
            FileKind::LineageLock => "lineage-lock",
            FileKind::MonitoringResult => "monitoring-result",
        }
    }

    /// Returns the kind named `name` (also accepts `config` and `lock`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "config" => Some(FileKind::Config),
            "lock" => Some(FileKind::LineageLock),
            _ => Self::ALL.iter().copied().find(|k| k.name() == name),
        }
    }

    /// Returns the schema's JSON text as shipped in `schemas/`.
    pub fn schema_text(self) -> &'static str {
        match self {
            FileKind::Config => include_str!("../schemas/cardinal.json"),
            FileKind::Project => include_str!("../schemas/project.json"),
            FileKind::Model => include_str!("../schemas/model.json"),
            FileKind::Card => include_str!("../schemas/card.json"),
            FileKind::Request => include_str!("../schemas/request.json"),
            FileKind::Decision => include_str!("../schemas/decision.json"),
            FileKind::LineageLock => include_str!("../schemas/lineage-lock.json"),
            FileKind::MonitoringResult => include_str!("../schemas/monitoring-result.json"),
        }
    }

    fn validator(self) -> &'static Validator {
        static VALIDATORS: OnceLock<Vec<Validator>> = OnceLock::new();
        let all = VALIDATORS.get_or_init(|| {
            FileKind::ALL
                .iter()
                .map(|kind| {
                    // The schemas are compiled into the binary and a unit
                    // test compiles each one, so failure here is a build bug.
                    #[allow(clippy::expect_used)]
                    let schema: Value =
                        serde_json::from_str(kind.schema_text()).expect("embedded schema is JSON");
                    #[allow(clippy::expect_used)]
                    jsonschema::draft202012::new(&schema).expect("embedded schema compiles")
                })
                .collect()
        });
        let index = FileKind::ALL.iter().position(|k| *k == self).unwrap_or(0);
        &all[index]
    }
}

/// Checks a document against its kind's schema and returns every problem as
/// a finding at the offending key or value.
pub fn check(kind: FileKind, path: &str, doc: &Document) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for err in kind.validator().iter_errors(&doc.json) {
        let pointer = err.instance_path().as_str().to_owned();
        let diag = match err.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    let at = pointer_push(&pointer, key);
                    let allowed = allowed_keys(kind, err.evaluation_path().as_str());
                    let mut d = Diagnostic::error(Code::UnknownKey, format!("unknown key `{key}`"))
                        .at(path, doc.key_span(&at));
                    if let Some(help) = suggest(key, &allowed) {
                        d = d.with_help(help);
                    }
                    out.push(d);
                }
                continue;
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                let place = if pointer.is_empty() {
                    "the file"
                } else {
                    "this table"
                };
                Diagnostic::error(
                    Code::MissingKey,
                    format!("missing required key `{name}` in {place}"),
                )
                .at(path, doc.key_span(&pointer))
            }
            ValidationErrorKind::Type { kind: expected } => {
                let span = doc.span(&pointer);
                // TOML's nan and inf are floats JSON cannot hold: they reach
                // the schema as strings, and are named as written.
                let written = doc.source(span.clone());
                let found = if matches!(written.trim_start_matches(['+', '-']), "nan" | "inf") {
                    format!("`{written}`, which is not a finite number")
                } else {
                    toml_type(err.instance()).to_owned()
                };
                Diagnostic::error(
                    Code::WrongType,
                    format!(
                        "`{}` has the wrong type: expected {}, found {found}",
                        key_name(&pointer),
                        type_names(expected),
                    ),
                )
                .at(path, span)
            }
            // A dataset that is neither a local path nor an external uri with
            // its digest: say what is expected rather than quoting oneOf.
            ValidationErrorKind::OneOfNotValid { .. }
            | ValidationErrorKind::OneOfMultipleValid { .. } => Diagnostic::error(
                Code::InvalidValue,
                format!(
                    "`{}` must have either `path`, or `uri` with `sha256`",
                    key_name(&pointer)
                ),
            )
            .at(path, doc.span(&pointer)),
            _ => Diagnostic::error(
                Code::InvalidValue,
                format!(
                    "invalid value for `{}`: {}",
                    key_name(&pointer),
                    describe(&err)
                ),
            )
            .at(path, doc.span(&pointer)),
        };
        out.push(diag);
    }
    out
}

/// Returns the last key of a pointer, with array indices attached
/// (`/members/2/id` → `members[2].id`).
fn key_name(pointer: &str) -> String {
    let mut out = String::new();
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if token.chars().all(|c| c.is_ascii_digit()) && !token.is_empty() {
            out.push_str(&format!("[{token}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&token);
        }
    }
    if out.is_empty() {
        "the file".to_owned()
    } else {
        out
    }
}

fn describe(err: &jsonschema::ValidationError<'_>) -> String {
    match err.kind() {
        ValidationErrorKind::Pattern { pattern } => {
            let value = err.instance().as_str().unwrap_or_default();
            format!("`{value}`: {}", pattern_hint(pattern))
        }
        ValidationErrorKind::Enum { options } => {
            let list: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| format!("`{}`", v.as_str().unwrap_or_default()))
                        .collect()
                })
                .unwrap_or_default();
            format!("expected one of {}", list.join(", "))
        }
        _ => err.masked().to_string(),
    }
}

/// Returns what a schema pattern asks for, in words.
fn pattern_hint(pattern: &str) -> String {
    match pattern {
        "^[a-z0-9][a-z0-9._-]*$" => {
            "expected lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit"
                .to_owned()
        }
        "^[0-9A-Za-z][0-9A-Za-z.+_-]*$" => {
            "expected letters, digits, `.`, `+`, `_` or `-`, starting with a letter or digit"
                .to_owned()
        }
        "^[0-9a-f]{64}$" => "expected 64 lower-case hex digits (a SHA-256)".to_owned(),
        "^sha256:[0-9a-f]{64}$" => "expected `sha256:` and 64 lower-case hex digits".to_owned(),
        p if p.starts_with("^\\d{4}") => {
            "expected a date-time such as 2024-05-01T10:00:00Z".to_owned()
        }
        p if p.contains('@') && p.contains("\\s") => "expected an email address".to_owned(),
        p if p.starts_with("^(ssh-") => {
            "expected an SSH public key such as `ssh-ed25519 AAAA… comment`".to_owned()
        }
        p if p.contains("@[0-9A-Za-z]") => {
            "expected `project/model@version` or `model@version`".to_owned()
        }
        p => format!("expected a value matching `{p}`"),
    }
}

fn type_names(kind: &TypeKind) -> String {
    let name = |t: &jsonschema::JsonType| match t.to_string().as_str() {
        "object" => "a table".to_owned(),
        "array" => "an array".to_owned(),
        "string" => "a string".to_owned(),
        "integer" => "an integer".to_owned(),
        "number" => "a number".to_owned(),
        "boolean" => "a boolean".to_owned(),
        other => other.to_owned(),
    };
    match kind {
        TypeKind::Single(t) => name(t),
        TypeKind::Multiple(set) => set
            .iter()
            .map(|t| name(&t))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

fn toml_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a float",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a table",
    }
}

/// Returns the keys the schema allows at the object an
/// `additionalProperties` error was raised for.
fn allowed_keys(kind: FileKind, evaluation_path: &str) -> Vec<String> {
    let Ok(schema) = serde_json::from_str::<Value>(kind.schema_text()) else {
        return Vec::new();
    };
    // The evaluation path ends in `/additionalProperties`; resolve its parent
    // through the schema, following `$ref`s written as `#/$defs/…`.
    let mut node = &schema;
    let parent = evaluation_path
        .strip_suffix("/additionalProperties")
        .unwrap_or(evaluation_path);
    for token in parent.split('/').skip(1) {
        if token == "$ref" {
            // Already followed when the step into the referring node was taken.
            continue;
        }
        match node.get(token) {
            Some(next) => node = next,
            None => return Vec::new(),
        }
        if let Some(target) = node.get("$ref").and_then(Value::as_str)
            && let Some(n) = schema.pointer(target.trim_start_matches('#'))
        {
            node = n;
        }
    }
    node.get("properties")
        .and_then(Value::as_object)
        .map(|props| props.keys().cloned().collect())
        .unwrap_or_default()
}

/// Returns "did you mean" help for a misspelled key, or the list of keys.
fn suggest(key: &str, allowed: &[String]) -> Option<String> {
    if allowed.is_empty() {
        return None;
    }
    let best = allowed
        .iter()
        .map(|k| (edit_distance(key, k), k))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, k)| *d <= 2.max(k.len() / 3));
    Some(match best {
        Some((_, k)) => format!("did you mean `{k}`?"),
        None => format!(
            "expected one of {}",
            allowed
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// Returns the Levenshtein distance between two short strings.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(kind: FileKind, text: &str) -> Vec<(Code, String, String)> {
        let doc = Document::parse("f.toml", text).unwrap();
        check(kind, "f.toml", &doc)
            .into_iter()
            .map(|d| {
                let span = d.primary().unwrap().span.clone();
                (d.code, text[span].to_owned(), d.help.unwrap_or_default())
            })
            .collect()
    }

    #[test]
    fn every_schema_compiles() {
        for kind in FileKind::ALL {
            let _ = kind.validator();
            assert_eq!(FileKind::from_name(kind.name()), Some(*kind));
        }
    }

    #[test]
    fn unknown_key_points_at_key_with_suggestion() {
        let f = findings(
            FileKind::Config,
            "[org]\nname = \"x\"\n[[members]]\nid = \"a\"\nname = \"A\"\nrole = [\"admin\"]\n",
        );
        assert_eq!(
            f,
            vec![(
                Code::UnknownKey,
                "role".into(),
                "did you mean `roles`?".into()
            )]
        );
    }

    #[test]
    fn unknown_key_in_referenced_stage() {
        let f = findings(
            FileKind::Config,
            "[org]\nname = \"x\"\n[[stages]]\nname = \"S\"\nmin_aprovals = 2\n",
        );
        assert_eq!(f[0].0, Code::UnknownKey);
        assert_eq!(f[0].2, "did you mean `min_approvals`?");
    }

    #[test]
    fn wrong_type_and_missing_key() {
        let f = findings(
            FileKind::Decision,
            "reviewer = \"bob\"\nstage = 3\ndecision = \"approve\"\n",
        );
        assert!(f.contains(&(Code::WrongType, "3".into(), String::new())));
        assert!(f.iter().any(|(c, _, _)| *c == Code::MissingKey));
    }

    #[test]
    fn enum_values() {
        let f = findings(
            FileKind::Decision,
            "reviewer = \"bob\"\nstage = \"S\"\ndecision = \"maybe\"\ncard_digest = \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"\n",
        );
        assert_eq!(
            f,
            vec![(Code::InvalidValue, "\"maybe\"".into(), String::new())]
        );
    }
}

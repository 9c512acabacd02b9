//! The JSON Schemas in `schemas/` and the typed model agree: every fixture
//! in `tests/fixtures/valid` passes both, every one in
//! `tests/fixtures/invalid` fails both, and a valid file read into the
//! types and written back out still passes its schema (so no type field is
//! missing from the schema).

use std::path::Path;

use cardinal::document::Document;
use cardinal::model::files::{
    Card, LineageLock, ModelFile, OrgConfig, ProjectFile, ReviewDecision, ReviewRequest,
};
use cardinal::model::results::MonitoringResult;
use cardinal::schema::{FileKind, check};
use serde_json::Value;

/// Deserializes into the kind's type and serializes back, or says why not.
fn through_types(kind: FileKind, json: &Value) -> Result<Value, String> {
    fn round<T: serde::de::DeserializeOwned + serde::Serialize>(
        json: &Value,
    ) -> Result<Value, String> {
        let typed: T = T::deserialize(json).map_err(|e| e.to_string())?;
        serde_json::to_value(typed).map_err(|e| e.to_string())
    }
    match kind {
        FileKind::Config => round::<OrgConfig>(json),
        FileKind::Project => round::<ProjectFile>(json),
        FileKind::Model => round::<ModelFile>(json),
        FileKind::Card => round::<Card>(json),
        FileKind::Request => round::<ReviewRequest>(json),
        FileKind::Decision => round::<ReviewDecision>(json),
        FileKind::LineageLock => round::<LineageLock>(json),
        FileKind::MonitoringResult => round::<MonitoringResult>(json),
    }
}

/// Drops nulls (absent optional values), which the schemas do not allow.
fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

fn fixtures(dir: &str) -> Vec<(FileKind, String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let kind_name = name.split('.').next().unwrap();
        let kind = FileKind::from_name(kind_name)
            .unwrap_or_else(|| panic!("fixture {name}: unknown kind"));
        out.push((kind, name, std::fs::read_to_string(&path).unwrap()));
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

#[test]
fn valid_fixtures_pass_schema_and_types_and_round_trip() {
    let valid = fixtures("valid");
    for kind in FileKind::ALL {
        assert!(
            valid.iter().any(|(k, _, _)| k == kind),
            "no valid fixture for {kind:?}"
        );
    }
    for (kind, name, text) in valid {
        let doc = Document::parse(&name, &text).unwrap();
        assert_eq!(
            check(kind, &name, &doc),
            vec![],
            "{name}: schema rejects a valid fixture"
        );
        let back = through_types(kind, &doc.json)
            .unwrap_or_else(|e| panic!("{name}: types reject it: {e}"));
        let back = Document::parse(&name, &toml::to_string(&strip_nulls(back)).unwrap()).unwrap();
        assert_eq!(
            check(kind, &name, &back),
            vec![],
            "{name}: a typed field is missing from the schema"
        );
    }
}

#[test]
fn invalid_fixtures_fail_schema_and_types() {
    let invalid = fixtures("invalid");
    assert!(invalid.len() >= 10);
    for (kind, name, text) in invalid {
        let doc = Document::parse(&name, &text).unwrap();
        assert!(
            !check(kind, &name, &doc).is_empty(),
            "{name}: schema accepts an invalid fixture"
        );
        assert!(
            through_types(kind, &doc.json).is_err(),
            "{name}: types accept an invalid fixture"
        );
    }
}

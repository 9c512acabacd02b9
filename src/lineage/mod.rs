//! Lineage digests (docs/lineage.md): the inputs behind a model version and
//! the root that commits to all of them. This module is the core: values
//! in, digests out, no I/O. `files` hashes the working tree, a
//! [`CodeSource`] (the Git object database, in `history::code`) gives
//! code, `compute` puts them together for a version, and `cache`
//! remembers file digests between runs.

pub mod cache;
pub mod compute;
pub mod files;

use std::fmt;

use sha2::{Digest, Sha256};

use crate::model::digest::{canonical_json, hex, sha256_hex};

/// The kinds of lineage input, as written in the root's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InputKind {
    /// Code at a commit.
    Code,
    /// An environment file or folder.
    Environment,
    /// A dataset, local or external.
    Dataset,
    /// Training parameters.
    Parameters,
    /// A parent version.
    Parent,
}

impl InputKind {
    /// Returns the kind's name in the root and in `lineage.lock`.
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Code => "code",
            InputKind::Environment => "environment",
            InputKind::Dataset => "dataset",
            InputKind::Parameters => "parameters",
            InputKind::Parent => "parent",
        }
    }

    /// Returns the kind named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            InputKind::Code,
            InputKind::Environment,
            InputKind::Dataset,
            InputKind::Parameters,
            InputKind::Parent,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why one input could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The file, folder, commit or parent lock is not there.
    #[error("{0}")]
    Missing(String),
    /// Anything else: unreadable, leaves the repository, not a repository.
    #[error("{0}")]
    Failed(String),
}

/// Where code lineage comes from: the object id of each listed path at a
/// commit.
pub trait CodeSource: Sync {
    /// Returns the resolved commit id and `(path, object id)` per path
    /// (paths already normalised and checked by [`path_problem`]) at
    /// `commit` (anything Git resolves to a commit).
    fn objects(
        &self,
        commit: &str,
        paths: &[&str],
    ) -> Result<(String, Vec<(String, String)>), InputError>;
}

/// One input as the card declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Declared {
    /// What it is.
    pub kind: InputKind,
    /// Its name in the root.
    pub name: String,
    /// Where its digest comes from.
    pub source: Source,
}

/// Where an input's digest comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Object ids of paths at a commit.
    Code {
        /// As written in the card.
        commit: String,
        /// Repository paths.
        paths: Vec<String>,
    },
    /// A file or folder in the working tree.
    Path(String),
    /// An external dataset's declared digest.
    Declared {
        /// Where it lives.
        uri: String,
        /// Its declared SHA-256.
        sha256: String,
    },
    /// Canonical JSON of the parameters.
    Parameters(serde_json::Map<String, serde_json::Value>),
    /// Another version's lineage root.
    Parent(String),
}

/// Returns the inputs a card's `[lineage]` declares, in card order.
pub fn declared_inputs(lineage: &crate::model::files::LineageSpec) -> Vec<Declared> {
    let mut out = Vec::new();
    if let Some(code) = &lineage.code {
        out.push(Declared {
            kind: InputKind::Code,
            name: "code".to_owned(),
            source: Source::Code {
                commit: code.commit.clone(),
                paths: code.paths.clone(),
            },
        });
    }
    for path in &lineage.environment {
        out.push(Declared {
            kind: InputKind::Environment,
            name: normalize_path(path).to_owned(),
            source: Source::Path(path.clone()),
        });
    }
    for dataset in &lineage.datasets {
        let source = match (&dataset.path, &dataset.uri, &dataset.sha256) {
            (Some(path), _, _) => Source::Path(path.clone()),
            (None, Some(uri), Some(sha)) => Source::Declared {
                uri: uri.clone(),
                sha256: sha.clone(),
            },
            // The schema requires one of the two forms; treat the rest as a
            // declared digest that is missing.
            (None, uri, _) => Source::Declared {
                uri: uri.clone().unwrap_or_default(),
                sha256: String::new(),
            },
        };
        out.push(Declared {
            kind: InputKind::Dataset,
            name: dataset.name.clone(),
            source,
        });
    }
    if let Some(parameters) = &lineage.parameters {
        out.push(Declared {
            kind: InputKind::Parameters,
            name: "parameters".to_owned(),
            source: Source::Parameters(parameters.clone()),
        });
    }
    for parent in &lineage.parents {
        out.push(Declared {
            kind: InputKind::Parent,
            name: parent.clone(),
            source: Source::Parent(parent.clone()),
        });
    }
    out
}

/// One input with its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// What it is.
    pub kind: InputKind,
    /// Its name in the root: a path, a dataset name, `code`, `parameters`
    /// or a version reference.
    pub name: String,
    /// SHA-256, lowercase hex.
    pub digest: String,
    /// Bytes hashed, when files were hashed.
    pub size: Option<u64>,
    /// Files hashed, when files were hashed.
    pub files: Option<u64>,
    /// False for an external dataset's declared digest.
    pub verified: bool,
    /// Where it comes from, for people (`data/train.csv`, `s3://…`, a
    /// commit); not part of any digest.
    pub source: String,
}

/// Returns the root: SHA-256 of the lines `<kind> <name> <digest>\n`, sorted
/// bytewise.
pub fn root(inputs: &[Input]) -> String {
    let mut lines: Vec<String> = inputs
        .iter()
        .map(|i| format!("{} {} {}\n", i.kind, i.name, i.digest))
        .collect();
    lines.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    sha256_hex(lines.concat().as_bytes())
}

/// Returns the digest of parameters: SHA-256 of their canonical JSON.
pub fn parameters_digest(parameters: &serde_json::Map<String, serde_json::Value>) -> String {
    sha256_hex(canonical_json(&serde_json::Value::Object(parameters.clone())).as_bytes())
}

/// Returns the text of a manifest, exactly what
/// `find DIR -type f | sort | xargs sha256sum` prints: `<hex>  <path>\n`
/// per file in bytewise path order. `entries` are (path, hex digest).
pub fn manifest_text(entries: &mut [(String, String)]) -> String {
    entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::with_capacity(entries.len() * 100);
    for (path, digest) in entries.iter() {
        out.push_str(digest);
        out.push_str("  ");
        out.push_str(path);
        out.push('\n');
    }
    out
}

/// Returns the digest of code at a commit: SHA-256 of the lines
/// `<git-object-id>  <path>\n`, sorted bytewise by path.
pub fn code_digest(entries: &mut [(String, String)]) -> String {
    // Same line shape as a manifest, with object ids for digests.
    sha256_hex(manifest_text(entries).as_bytes())
}

/// Returns the path as the card writes it with any trailing `/` removed.
pub fn normalize_path(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() { path } else { trimmed }
}

/// Returns why a repository path written in a card is not acceptable: it
/// is absolute or climbs out of the repository with `..`. (Symbolic links
/// are checked where files are read.)
pub fn path_problem(path: &str) -> Option<String> {
    if path.starts_with('/') || path.starts_with('\\') || path.get(1..2) == Some(":") {
        return Some(format!(
            "`{path}` is absolute; lineage paths are relative to the repository root"
        ));
    }
    let mut depth: i64 = 0;
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return Some(format!("`{path}` leaves the repository"));
                }
            }
            _ => depth += 1,
        }
    }
    None
}

/// A streaming SHA-256 that also counts bytes.
#[derive(Default)]
pub struct Hasher {
    inner: Sha256,
    bytes: u64,
}

impl Hasher {
    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
        self.bytes += data.len() as u64;
    }

    /// Returns (lowercase hex digest, bytes hashed).
    pub fn finish(self) -> (String, u64) {
        (hex(&self.inner.finalize()), self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kind: InputKind, name: &str, digest: &str) -> Input {
        Input {
            kind,
            name: name.into(),
            digest: digest.into(),
            size: None,
            files: None,
            verified: true,
            source: String::new(),
        }
    }

    #[test]
    fn root_sorts_lines_bytewise() {
        let a = input(InputKind::Parameters, "parameters", "11");
        let b = input(InputKind::Dataset, "train", "22");
        let c = input(InputKind::Code, "code", "33");
        let expected = sha256_hex(b"code code 33\ndataset train 22\nparameters parameters 11\n");
        assert_eq!(root(&[a.clone(), b.clone(), c.clone()]), expected);
        assert_eq!(root(&[c, a, b]), expected);
    }

    #[test]
    fn golden_parameters_digest() {
        // printf '%s' '{"learning_rate":0.05,"max_depth":6}' | sha256sum
        let json: serde_json::Value =
            serde_json::from_str(r#"{"max_depth": 6, "learning_rate": 0.05}"#).unwrap();
        let map = json.as_object().unwrap();
        assert_eq!(
            parameters_digest(map),
            "370e254ed030e8d03f6876ac3c575bf9531e19fa357e29e8eba65679f7d7321d"
        );
    }

    #[test]
    fn manifest_matches_sha256sum_layout() {
        let mut entries = vec![
            ("d/b.txt".to_owned(), "bb".to_owned()),
            ("d/A.txt".to_owned(), "aa".to_owned()),
            ("d/a.txt".to_owned(), "cc".to_owned()),
        ];
        assert_eq!(
            manifest_text(&mut entries),
            "aa  d/A.txt\ncc  d/a.txt\nbb  d/b.txt\n"
        );
    }

    #[test]
    fn paths() {
        assert_eq!(normalize_path("train/"), "train");
        assert_eq!(normalize_path("train"), "train");
        assert!(path_problem("data/train.csv").is_none());
        assert!(path_problem("train/../features.py").is_none());
        assert!(path_problem("../secrets").is_some());
        assert!(path_problem("a/../../b").is_some());
        assert!(path_problem("/etc/passwd").is_some());
        assert!(path_problem("C:/x").is_some());
    }
}

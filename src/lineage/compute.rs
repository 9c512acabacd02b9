//! Computing a version's lineage from the working tree, the Git object
//! database and its parents' locks, and turning it into `lineage.lock`.

use rayon::prelude::*;

use super::files::TreeHasher;
use super::{CodeSource, Declared, Input, InputError, Source};
use crate::load::{VersionHandle, Workspace};
use crate::model::files::{LineageLock, LockedInput};
use crate::model::ids::VersionRef;

/// One declared input and what computing it gave.
#[derive(Debug, Clone)]
pub struct Computed {
    /// As declared.
    pub declared: Declared,
    /// Its digest, or why there is none.
    pub result: Result<Input, InputError>,
    /// A folder's manifest, to find which files changed later.
    pub manifest: Option<String>,
}

/// Computes every declared input of a version (in parallel) in card order.
pub fn compute(
    ws: &Workspace,
    handle: VersionHandle<'_>,
    hasher: &TreeHasher<'_>,
    code: &dyn CodeSource,
) -> Vec<Computed> {
    let Some(card) = &handle.version.card else {
        return Vec::new();
    };
    let Some(lineage) = &card.value.lineage else {
        return Vec::new();
    };
    super::declared_inputs(lineage)
        .into_par_iter()
        .map(|declared| {
            let (result, manifest) = compute_one(ws, &declared, hasher, code);
            Computed {
                declared,
                result,
                manifest,
            }
        })
        .collect()
}

/// Normalises and checks the listed code paths, then reads their object
/// ids at `commit`.
fn code_objects(
    code: &dyn CodeSource,
    commit: &str,
    paths: &[String],
) -> Result<(String, Vec<(String, String)>), InputError> {
    let mut clean = Vec::with_capacity(paths.len());
    for path in paths {
        let path = super::normalize_path(path);
        if let Some(problem) = super::path_problem(path) {
            return Err(InputError::Failed(problem));
        }
        clean.push(path);
    }
    code.objects(commit, &clean)
}

fn compute_one(
    ws: &Workspace,
    declared: &Declared,
    hasher: &TreeHasher<'_>,
    code: &dyn CodeSource,
) -> (Result<Input, InputError>, Option<String>) {
    let input = |digest: String, size, files, verified, source: String| Input {
        kind: declared.kind,
        name: declared.name.clone(),
        digest,
        size,
        files,
        verified,
        source,
    };
    match &declared.source {
        Source::Path(path) => match hasher.hash(path) {
            Ok(h) => (
                Ok(input(
                    h.digest,
                    Some(h.size),
                    Some(h.files),
                    true,
                    path.clone(),
                )),
                h.manifest,
            ),
            Err(e) => (Err(e), None),
        },
        Source::Code { commit, paths } => match code_objects(code, commit, paths) {
            Ok((resolved, mut entries)) => {
                let digest = super::code_digest(&mut entries);
                let short: String = resolved.chars().take(12).collect();
                (
                    Ok(input(
                        digest,
                        None,
                        None,
                        true,
                        format!("{commit} ({short}): {}", paths.join(", ")),
                    )),
                    None,
                )
            }
            Err(e) => (Err(e), None),
        },
        Source::Declared { uri, sha256 } => {
            if sha256.len() == 64
                && sha256
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            {
                (
                    Ok(input(sha256.clone(), None, None, false, uri.clone())),
                    None,
                )
            } else {
                (
                    Err(InputError::Failed(format!(
                        "dataset `{}` declares no valid sha256",
                        declared.name
                    ))),
                    None,
                )
            }
        }
        Source::Parameters(map) => {
            let keys = map.keys().cloned().collect::<Vec<_>>().join(", ");
            (
                Ok(input(
                    super::parameters_digest(map),
                    None,
                    None,
                    true,
                    format!("canonical JSON of {keys}"),
                )),
                None,
            )
        }
        Source::Parent(reference) => {
            let result = reference
                .parse::<VersionRef>()
                .map_err(|e| InputError::Failed(e.to_string()))
                .and_then(|r| ws.find_version(&r).map_err(InputError::Missing))
                .and_then(|parent| {
                    parent.version.lock.as_ref().map(|l| l.value.root.clone()).ok_or_else(|| {
                        InputError::Missing(format!(
                            "parent `{}` has no lineage.lock; run `cardinal lineage {} --write` first",
                            parent.name(),
                            parent.name()
                        ))
                    })
                });
            (
                result.map(|root| input(root, None, None, true, reference.clone())),
                None,
            )
        }
    }
}

/// Returns the lock for computed inputs, or the first problem.
pub fn lock(outcomes: &[Computed]) -> Result<(LineageLock, Vec<Input>), InputError> {
    let inputs: Vec<Input> = outcomes
        .iter()
        .map(|o| o.result.clone())
        .collect::<Result<_, _>>()?;
    let lock = LineageLock {
        lock_version: 1,
        root: super::root(&inputs),
        inputs: inputs
            .iter()
            .map(|i| LockedInput {
                kind: i.kind.as_str().to_owned(),
                name: i.name.clone(),
                digest: i.digest.clone(),
                size: i.size,
                files: i.files,
                verified: i.verified,
            })
            .collect(),
    };
    Ok((lock, inputs))
}

/// Returns the text of `lineage.lock`.
pub fn lock_text(lock: &LineageLock, version: &str) -> Result<String, crate::error::Error> {
    let body = toml::to_string(lock)
        .map_err(|e| crate::error::Error::Input(format!("cannot write lineage.lock: {e}")))?;
    Ok(format!(
        "# Lineage of {version}: written by `cardinal lineage --write`; check with `cardinal verify`.\n{body}"
    ))
}

//! `cardinal verify [V…]`: recompute lineage and compare with the locks.

use std::collections::{BTreeMap, BTreeSet};

use clap::Args;

use super::lineage::HashSession;
use super::{Context, Outcome};
use crate::error::Error;
use crate::lineage::InputError;
use crate::load::VersionHandle;
use crate::output::wire::{JsonVerify, JsonVerifyInput, JsonVersion};

/// Recompute each version's lineage and compare it with its lineage.lock
///
/// Reports every input as ok, changed, missing or declared (an external
/// dataset whose digest is declared, not verified). Exits 1 when any input
/// changed or is missing, naming the first files that differ.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Versions to verify (default: every version with a lineage.lock)
    #[arg(value_name = "VERSION")]
    pub targets: Vec<String>,
    /// Hash every file, ignoring the stat cache
    #[arg(long)]
    pub no_cache: bool,
}

/// Returns up to five paths whose lines differ between two manifests.
fn differing_files(old: &str, new: &str) -> Vec<String> {
    let parse = |text: &str| -> BTreeMap<String, String> {
        text.lines()
            .filter_map(|l| {
                l.split_once("  ")
                    .map(|(d, p)| (p.to_owned(), d.to_owned()))
            })
            .collect()
    };
    let (old, new) = (parse(old), parse(new));
    let paths: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    paths
        .into_iter()
        .filter(|p| old.get(*p) != new.get(*p))
        .take(5)
        .map(|p| match (old.contains_key(p), new.contains_key(p)) {
            (true, false) => format!("{p} (removed)"),
            (false, true) => format!("{p} (added)"),
            _ => p.clone(),
        })
        .collect()
}

/// Returns the first `n` characters of `text` (a digest from a file the
/// user may have edited: never slice it by bytes).
pub(crate) fn prefix(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

pub(crate) fn verify_version(
    ctx: &Context,
    session: &HashSession,
    ws: &crate::load::Workspace,
    root: &std::path::Path,
    handle: VersionHandle<'_>,
) -> JsonVersion {
    let name = handle.name();
    let Some(lock) = &handle.version.lock else {
        return JsonVersion {
            version: name.clone(),
            root: None,
            ok: false,
            error: Some(format!(
                "no lineage.lock; run `cardinal lineage {name} --write`"
            )),
            inputs: Vec::new(),
        };
    };
    let computed = session.compute(&ctx.out, ws, root, handle);
    let locked: BTreeMap<(String, String), &crate::model::files::LockedInput> = lock
        .value
        .inputs
        .iter()
        .map(|i| ((i.kind.clone(), i.name.clone()), i))
        .collect();
    let mut inputs = Vec::new();
    let mut seen = BTreeSet::new();
    for c in &computed {
        let key = (c.declared.kind.as_str().to_owned(), c.declared.name.clone());
        seen.insert(key.clone());
        let was = locked.get(&key);
        let (digest, state, reason, changed_files) = match (&c.result, was) {
            (Err(InputError::Missing(why)), _) => (
                was.map(|l| l.digest.clone()).unwrap_or_default(),
                "missing",
                Some(why.clone()),
                Vec::new(),
            ),
            (Err(InputError::Failed(why)), _) => (
                was.map(|l| l.digest.clone()).unwrap_or_default(),
                "error",
                Some(why.clone()),
                Vec::new(),
            ),
            (Ok(now), None) => (
                now.digest.clone(),
                "changed",
                Some("not in lineage.lock".to_owned()),
                Vec::new(),
            ),
            (Ok(now), Some(l)) if now.digest != l.digest => {
                let files = match (&c.manifest, session.manifest(&l.digest)) {
                    (Some(new), Some(old)) => differing_files(&old, new),
                    _ => Vec::new(),
                };
                (
                    now.digest.clone(),
                    "changed",
                    Some(format!(
                        "locked {}…, now {}…",
                        prefix(&l.digest, 16),
                        prefix(&now.digest, 16)
                    )),
                    files,
                )
            }
            (Ok(now), Some(_)) if !now.verified => {
                (now.digest.clone(), "declared", None, Vec::new())
            }
            (Ok(now), Some(_)) => (now.digest.clone(), "ok", None, Vec::new()),
        };
        inputs.push(JsonVerifyInput {
            kind: key.0,
            name: key.1,
            digest,
            state,
            reason,
            changed_files,
        });
    }
    for ((kind, name), l) in &locked {
        if !seen.contains(&(kind.clone(), name.clone())) {
            inputs.push(JsonVerifyInput {
                kind: kind.clone(),
                name: name.clone(),
                digest: l.digest.clone(),
                state: "changed",
                reason: Some("in lineage.lock but no longer declared by the card".to_owned()),
                changed_files: Vec::new(),
            });
        }
    }
    let ok = inputs.iter().all(|i| matches!(i.state, "ok" | "declared"));
    JsonVersion {
        version: name,
        root: Some(lock.value.root.clone()),
        ok,
        error: None,
        inputs,
    }
}

/// Runs `cardinal verify`.
pub fn run(ctx: &Context, args: &VerifyArgs) -> Result<Outcome, Error> {
    let root = ctx.root()?;
    let ws = crate::load::read_tree(&root)?;
    let handles: Vec<VersionHandle<'_>> = if args.targets.is_empty() {
        ws.versions().filter(|h| h.version.lock.is_some()).collect()
    } else {
        args.targets
            .iter()
            .map(|t| super::find_version(&ws, t))
            .collect::<Result<_, _>>()?
    };
    let session = HashSession::open(&root, args.no_cache);
    let versions: Vec<JsonVersion> = handles
        .into_iter()
        .map(|h| verify_version(ctx, &session, &ws, &root, h))
        .collect();
    session.finish()?;
    let ok = versions.iter().all(|v| v.ok);
    if versions.is_empty() && !ctx.out.is_json() {
        ctx.out.status(
            "no version has a lineage.lock yet (write one with `cardinal lineage VERSION --write`)",
        );
    }
    ctx.out.report(&JsonVerify { ok, versions });
    Ok(Outcome::from_failed(!ok))
}

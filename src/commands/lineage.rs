//! `cardinal lineage V [--write]`: the digests of what went into a version.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use clap::Args;

use super::{Context, Outcome};
use crate::error::Error;
use crate::history::code::{GitCode, state_dir};
use crate::lineage::Input;
use crate::lineage::cache::{self, StatCache};
use crate::lineage::compute::{self, Computed};
use crate::lineage::files::TreeHasher;
use crate::load::{VersionHandle, Workspace};
use crate::model::files::LineageLock;
use crate::output::Output;
use crate::output::wire::{JsonLineage, JsonLineageInput};
use crate::write;

/// Print the lineage of a version: each input's digest, size and file count, and the root
///
/// Inputs are the `[lineage]` of its card: code at a commit (from the Git
/// object database), environment files, datasets (local files and folders,
/// or external ones with a declared sha256), parameters and parent
/// versions. Every digest can be reproduced with `sha256sum`.
#[derive(Debug, Args)]
pub struct LineageArgs {
    /// The version: `project/model@version` or `model@version`
    #[arg(value_name = "VERSION")]
    pub target: String,
    /// Store the digests in the version's lineage.lock
    #[arg(long)]
    pub write: bool,
    /// Hash every file, ignoring the stat cache
    #[arg(long)]
    pub no_cache: bool,
}

/// The stat cache and progress reporting shared by `lineage` and `verify`.
pub(crate) struct HashSession {
    cache: Option<StatCache>,
    state_dir: Option<std::path::PathBuf>,
    code: GitCode,
}

impl HashSession {
    /// Opens the stat cache of the repository unless `no_cache`.
    pub(crate) fn open(root: &Path, no_cache: bool) -> Self {
        // Entries are stamped with the wall clock, never `--now`: the
        // racy-clean rule compares them with real file mtimes.
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        // One lookup of the Git directory serves the cache and the manifests.
        let state_dir = state_dir(root);
        let cache = match &state_dir {
            Some(d) if !no_cache => Some(StatCache::open(d.join(cache::FILE_NAME), clock)),
            _ => None,
        };
        Self {
            cache,
            state_dir,
            code: GitCode::new(root),
        }
    }

    /// Computes a version's inputs, showing progress on a terminal.
    pub(crate) fn compute(
        &self,
        out: &Output,
        ws: &Workspace,
        root: &Path,
        handle: VersionHandle<'_>,
    ) -> Vec<Computed> {
        let shown = AtomicU64::new(0);
        let progress = |bytes: u64| {
            // Every 64 MiB: inputs of a few hundred MB or more show progress.
            let step = bytes >> 26;
            if step > shown.load(Ordering::Relaxed) {
                shown.store(step, Ordering::Relaxed);
                out.progress(&format!("hashing {}: {} MiB", handle.name(), bytes >> 20));
            }
        };
        let hasher = TreeHasher::new(root, self.cache.as_ref(), Some(&progress));
        let computed = compute::compute(ws, handle, &hasher, &self.code);
        if shown.load(Ordering::Relaxed) > 0 {
            out.progress_done();
        }
        for c in &computed {
            if let (Ok(input), Some(manifest)) = (&c.result, &c.manifest) {
                self.store_manifest(&input.digest, manifest);
            }
        }
        computed
    }

    /// Keeps a folder's manifest under the Git directory, by digest, so a
    /// later `verify` can name the files that changed.
    fn store_manifest(&self, digest: &str, manifest: &str) {
        if let Some(dir) = &self.state_dir {
            let path = dir.join("manifests").join(digest);
            if !path.exists() {
                // Best effort: the manifest only improves a later message.
                let _ = write::write_atomic(&path, manifest.as_bytes());
            }
        }
    }

    /// Returns a stored manifest.
    pub(crate) fn manifest(&self, digest: &str) -> Option<String> {
        let dir = self.state_dir.as_ref()?;
        std::fs::read_to_string(dir.join("manifests").join(digest)).ok()
    }

    /// Saves the stat cache.
    pub(crate) fn finish(&self) -> Result<(), Error> {
        match &self.cache {
            Some(c) => c.save(),
            None => Ok(()),
        }
    }
}

/// Computes a version's lineage and, with `write`, stores its
/// `lineage.lock` atomically; nothing is written when any input fails.
pub(crate) fn lock_version(
    session: &HashSession,
    out: &Output,
    ws: &Workspace,
    root: &Path,
    handle: VersionHandle<'_>,
    write: bool,
) -> Result<(LineageLock, Vec<Input>), Error> {
    let computed = session.compute(out, ws, root, handle);
    let (lock, inputs) =
        compute::lock(&computed).map_err(|e| Error::Input(format!("{}: {e}", handle.name())))?;
    if write {
        let text = compute::lock_text(&lock, &handle.name())?;
        write::write_atomic(
            &root.join(&handle.version.dir).join("lineage.lock"),
            text.as_bytes(),
        )?;
    }
    Ok((lock, inputs))
}

/// Runs `cardinal lineage`.
pub fn run(ctx: &Context, args: &LineageArgs) -> Result<Outcome, Error> {
    let root = ctx.root()?;
    let ws = crate::load::read_tree(&root)?;
    let handle = super::find_version(&ws, &args.target)?;
    let card = super::card_of(&handle)?;
    if card.value.lineage.is_none() {
        return Err(Error::Usage(format!(
            "the card of `{}` has no [lineage] section",
            handle.name()
        )));
    }
    let session = HashSession::open(&root, args.no_cache);
    let (lock, inputs) = lock_version(&session, &ctx.out, &ws, &root, handle, args.write)?;
    session.finish()?;
    ctx.out.report(&JsonLineage {
        version: handle.name(),
        root: &lock.root,
        inputs: inputs
            .iter()
            .map(|i| JsonLineageInput {
                kind: i.kind.as_str(),
                name: &i.name,
                digest: &i.digest,
                size: i.size,
                files: i.files,
                verified: i.verified,
                source: &i.source,
            })
            .collect(),
        written: args.write,
    });
    if args.write && !ctx.out.is_json() {
        ctx.out
            .status(format!("wrote {}/lineage.lock", handle.version.dir));
    }
    Ok(Outcome::Clean)
}

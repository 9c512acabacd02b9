//! `cardinal render`: the registry as a static site (docs/site.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::Args;

use super::lineage::HashSession;
use super::query::{all_versions, history_root, replay_for, statuses};
use super::{Context, Outcome};
use crate::error::Error;
use crate::load::Workspace;
use crate::output::wire::{JsonLog, JsonRender, JsonStatus, JsonVersion};
use crate::site::{self, Input, Templates};

/// Render the registry as a static HTML site
///
/// Every model, version and review, with the activity log and monitoring
/// results, as pages that work from the file system or any web server,
/// and `registry.json` for other tools. Content comes from the working
/// tree and stages from the history at HEAD, as `status` shows them; with
/// --ref, both come from that commit.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Where to write the site
    #[arg(long, value_name = "DIR", default_value = "site")]
    pub out: PathBuf,
    /// A folder of templates replacing the embedded ones (NAME.hbs, style.css)
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Render content and stages as of this commit (default: the working tree and HEAD)
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// The URL the site will be published at, for canonical links
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Keep running and render again whenever the working tree or the history changes
    #[arg(long)]
    pub watch: bool,
}

/// The list of files a render wrote, kept in the output folder so the
/// next render removes pages that no longer exist and nothing else.
const MANIFEST: &str = ".cardinal-site";

/// Runs `cardinal render`.
pub fn run(ctx: &Context, args: &RenderArgs) -> Result<Outcome, Error> {
    let templates = Templates::load(args.templates.as_deref())?;
    if args.watch && args.reference.is_some() {
        return Err(Error::Usage(
            "--watch follows the working tree; it does not go with --ref".to_owned(),
        ));
    }
    let root = match &args.reference {
        Some(_) => history_root(ctx)?,
        None => ctx.root()?,
    };
    let mut session = Session {
        root,
        reference: args.reference.clone(),
        now: ctx.now,
        base_url: args.base_url.clone(),
        templates,
        history: None,
        cache: crate::load::LoadCache::default(),
        verified: BTreeMap::new(),
    };
    let files = session.render(ctx, &site::Scope::All)?;
    let (written, removed) = publish(&args.out, &files, false)?;
    ctx.out.report(&JsonRender {
        out: args.out.display().to_string(),
        index: args
            .out
            .join(site::pages::paths::INDEX)
            .display()
            .to_string(),
        files: files.len(),
        written,
        removed,
    });
    if args.watch {
        session.watch(ctx, &args.out, &|| {})?;
    }
    Ok(Outcome::from_failed(false))
}

/// What the history says at the commit rendered: computed once, and again
/// only when the history moves.
struct History {
    status: JsonStatus,
    log: JsonLog,
}

/// A repository being rendered, once or on every change.
pub(crate) struct Session {
    /// The repository.
    pub root: PathBuf,
    /// The commit, or None for the working tree.
    pub reference: Option<String>,
    /// "Now", for expiry.
    pub now: i64,
    /// For canonical links.
    pub base_url: Option<String>,
    /// The templates.
    pub templates: Templates,
    history: Option<History>,
    /// What the last load parsed, so a change parses one file again.
    cache: crate::load::LoadCache,
    /// The last verdict of `verify` for every locked version.
    verified: BTreeMap<String, JsonVersion>,
}

impl Session {
    /// Returns a session on the working tree at `root`.
    pub(crate) fn new(
        root: PathBuf,
        now: i64,
        base_url: Option<String>,
        templates: Templates,
    ) -> Self {
        Session {
            root,
            reference: None,
            now,
            base_url,
            templates,
            history: None,
            cache: crate::load::LoadCache::default(),
            verified: BTreeMap::new(),
        }
    }

    /// Gathers the reports and renders the pages in `scope`: content from
    /// the working tree, or from the commit; stages from the history.
    pub(crate) fn render(
        &mut self,
        ctx: &Context,
        scope: &site::Scope,
    ) -> Result<Vec<site::File>, Error> {
        let root = self.root.as_path();
        let reference = self.reference.as_deref();
        let (ws, content) = match reference {
            Some(r) => (
                crate::history::tree::workspace_at(root, Some(r))?.0,
                "commit",
            ),
            None => (
                crate::load::read_tree_cached(root, &mut self.cache)?,
                "working-tree",
            ),
        };
        if self.history.is_none() {
            let replayed = replay_for(root, reference, None, false, true, self.now)?;
            let list = statuses(&replayed, &all_versions(&replayed), self.now);
            let events = super::log::collect(&replayed, None, self.now);
            self.history = Some(History {
                status: super::status::report(&list, &replayed.tip, self.now),
                log: super::log::report(events.iter()),
            });
            // Freeing a large replay only costs time.
            std::mem::forget(replayed);
        }
        let Some(history) = &self.history else {
            return Err(Error::Input("internal: no history".to_owned()));
        };
        // Inputs are checked where they are: in the working tree. A render
        // of a commit shows the locks as committed. A scoped render checks
        // its versions again and keeps the others' verdicts, so
        // registry.json stays the whole registry's.
        if reference.is_none() {
            let checked = verify_all(ctx, &ws, root, scope);
            match scope {
                site::Scope::All => self.verified = checked,
                site::Scope::Versions(names) => {
                    self.verified.retain(|name, _| !names.contains(name));
                    self.verified.extend(checked);
                }
            }
        }
        let input = Input {
            ws: &ws,
            status: &history.status,
            log: &history.log,
            verify: reference.is_none().then_some(&self.verified),
            content,
            base_url: self.base_url.as_deref(),
        };
        site::render(&input, &self.templates, scope)
    }

    /// Renders again into `out` after every change to the working tree or
    /// the history, until interrupted; calls `rendered` after each.
    pub(crate) fn watch(
        &mut self,
        ctx: &Context,
        out: &Path,
        rendered: &dyn Fn(),
    ) -> Result<(), Error> {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut watcher = notify::recommended_watcher(tx)
            .map_err(|e| Error::Input(format!("cannot watch the repository: {e}")))?;
        notify::Watcher::watch(&mut watcher, &self.root, notify::RecursiveMode::Recursive)
            .map_err(|e| Error::Input(format!("cannot watch `{}`: {e}", self.root.display())))?;
        let out = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
        ctx.out.status("watching for changes (Ctrl-C to stop)");
        loop {
            let changed = next_change(&rx, &self.root, &out)?;
            let started = std::time::Instant::now();
            if changed.history {
                self.history = None;
            }
            let scope = if changed.history || changed.other {
                site::Scope::All
            } else {
                site::Scope::Versions(changed.versions)
            };
            let result = self.render(ctx, &scope).and_then(|files| {
                publish(&out, &files, scope != site::Scope::All).map(|w| (files.len(), w))
            });
            match result {
                Ok((files, (written, _))) => {
                    rendered();
                    ctx.out.status(format!(
                        "rendered {files} files ({written} written) in {} ms",
                        started.elapsed().as_millis()
                    ));
                }
                // A broken template or file: say so and wait for the fix.
                Err(e) => ctx.out.error(e.to_string()),
            }
        }
    }
}

/// What a burst of file-system events changed.
struct Change {
    /// The history moved (a commit, a checkout).
    history: bool,
    /// Versions (`p/m@v`) whose folder holds a changed file.
    versions: BTreeSet<String>,
    /// Anything else that is governed (configuration, projects, models, a
    /// version added or removed).
    other: bool,
}

/// Waits for changes that matter and returns them once 100 ms pass
/// without another (editors write a file in several steps).
fn next_change(
    rx: &std::sync::mpsc::Receiver<notify::Result<notify::Event>>,
    root: &Path,
    out: &Path,
) -> Result<Change, Error> {
    let mut change = Change {
        history: false,
        versions: BTreeSet::new(),
        other: false,
    };
    let mut timeout = None;
    loop {
        let event = match timeout {
            None => rx
                .recv()
                .map_err(|_| Error::Input("the file watcher stopped".to_owned()))?,
            Some(t) => match rx.recv_timeout(t) {
                Ok(event) => event,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => return Ok(change),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(Error::Input("the file watcher stopped".to_owned()));
                }
            },
        };
        let Ok(event) = event else { continue };
        if matches!(event.kind, notify::EventKind::Access(_)) {
            continue;
        }
        let mut mattered = false;
        for path in &event.paths {
            if path.starts_with(out) {
                continue;
            }
            let Some(rel) = path
                .strip_prefix(root)
                .ok()
                .and_then(crate::model::layout::slash_path)
            else {
                continue;
            };
            if rel == ".git/HEAD" || rel == ".git/packed-refs" || rel.starts_with(".git/refs/") {
                change.history = true;
            } else if rel.starts_with(".git/") || rel == ".git" {
                continue;
            } else if let Some(version) =
                version_of(&rel).filter(|_| path.parent().is_some_and(Path::exists))
            {
                change.versions.insert(version);
            } else {
                // Data or code a lock covers, or a governed file above the
                // versions: render everything.
                change.other = true;
            }
            mattered = true;
        }
        if mattered {
            timeout = Some(std::time::Duration::from_millis(100));
        }
    }
}

/// Returns the `p/m@v` of a path inside a version folder.
fn version_of(rel: &str) -> Option<String> {
    let mut parts = rel.strip_prefix("projects/")?.split('/');
    let (p, m, v) = (parts.next()?, parts.next()?, parts.next()?);
    parts.next()?;
    Some(format!("{p}/{m}@{v}"))
}

/// Verifies the locked versions in `scope`.
fn verify_all(
    ctx: &Context,
    ws: &Workspace,
    root: &Path,
    scope: &site::Scope,
) -> BTreeMap<String, JsonVersion> {
    let session = HashSession::open(root, false);
    let out = ws
        .versions()
        .filter(|h| h.version.lock.is_some())
        .filter(|h| match scope {
            site::Scope::All => true,
            site::Scope::Versions(names) => names.contains(&h.name()),
        })
        .map(|h| {
            (
                h.name(),
                super::verify::verify_version(ctx, &session, ws, root, h),
            )
        })
        .collect();
    // The stat cache is an optimisation: a render does not fail for it.
    let _ = session.finish();
    out
}

/// Writes the site into `out`: files whose bytes changed, atomically; then,
/// unless `partial` (some pages only), removes the files an earlier render
/// wrote that are gone now. Refuses a folder holding files of anything
/// else. Returns how many files were written and removed.
pub(crate) fn publish(
    out: &Path,
    files: &[site::File],
    partial: bool,
) -> Result<(usize, usize), Error> {
    let manifest_path = out.join(MANIFEST);
    let previous: Option<BTreeSet<String>> = match std::fs::read_to_string(&manifest_path) {
        Ok(text) => Some(text.lines().map(str::to_owned).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(Error::Read {
                path: manifest_path,
                source,
            });
        }
    };
    if previous.is_none() && out.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        return Err(Error::Usage(format!(
            "`{}` is not empty and holds no earlier render; choose an empty or new folder",
            out.display()
        )));
    }
    let written: Vec<bool> = {
        use rayon::prelude::*;
        files
            .par_iter()
            .map(|f| {
                let path = out.join(&f.path);
                if std::fs::read(&path).is_ok_and(|old| old == f.bytes) {
                    return Ok(false);
                }
                crate::write::write_output(&path, &f.bytes)?;
                Ok(true)
            })
            .collect::<Result<_, Error>>()?
    };
    let written = written.into_iter().filter(|w| *w).count();
    let mut now: BTreeSet<String> = files.iter().map(|f| f.path.clone()).collect();
    let mut removed = 0;
    if partial {
        now.extend(previous.iter().flatten().cloned());
    }
    for gone in previous.iter().flatten().filter(|p| !now.contains(*p)) {
        // Only paths this command wrote, inside the folder.
        if gone.split('/').all(|part| !part.is_empty() && part != "..")
            && std::fs::remove_file(out.join(gone)).is_ok()
        {
            removed += 1;
        }
    }
    let mut manifest: String = now.iter().map(|p| format!("{p}\n")).collect();
    if manifest.is_empty() {
        manifest.push('\n');
    }
    crate::write::write_atomic(&manifest_path, manifest.as_bytes())?;
    Ok((written, removed))
}

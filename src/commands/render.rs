//! `cardinal render`: the registry as a static site (docs/site.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::Args;

use super::lineage::HashSession;
use super::query::{all_versions, history_root, replay_for, statuses};
use super::{Context, Outcome};
use crate::error::Error;
use crate::load::Workspace;
use crate::output::wire::{JsonRender, JsonVersion};
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
}

/// The list of files a render wrote, kept in the output folder so the
/// next render removes pages that no longer exist and nothing else.
const MANIFEST: &str = ".cardinal-site";

/// Runs `cardinal render`.
pub fn run(ctx: &Context, args: &RenderArgs) -> Result<Outcome, Error> {
    let templates = Templates::load(args.templates.as_deref())?;
    let root = match &args.reference {
        Some(_) => history_root(ctx)?,
        None => ctx.root()?,
    };
    let files = build(
        ctx,
        &root,
        args.reference.as_deref(),
        ctx.now,
        args.base_url.as_deref(),
        &templates,
    )?;
    let (written, removed) = publish(&args.out, &files)?;
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
    Ok(Outcome::from_failed(false))
}

/// Gathers the reports on the repository at `root` as of `now` and
/// renders every file of the site: content from the working tree, or
/// from the commit `reference` names.
pub(crate) fn build(
    ctx: &Context,
    root: &Path,
    reference: Option<&str>,
    now: i64,
    base_url: Option<&str>,
    templates: &Templates,
) -> Result<Vec<site::File>, Error> {
    let (ws, content) = match reference {
        Some(r) => (
            crate::history::tree::workspace_at(root, Some(r))?.0,
            "commit",
        ),
        None => (crate::load::read_tree(root)?, "working-tree"),
    };
    let replayed = replay_for(root, reference, None, false, true, now)?;
    let list = statuses(&replayed, &all_versions(&replayed), now);
    let status = super::status::report(&list, &replayed.tip, now);
    let events = super::log::collect(&replayed, None, now);
    let log = super::log::report(events.iter());
    // Inputs are checked where they are: in the working tree. A render of
    // a commit shows the locks as committed.
    let verify = reference.is_none().then(|| verify_all(ctx, &ws, root));
    let input = Input {
        ws: &ws,
        status: &status,
        log: &log,
        verify: verify.as_ref(),
        content,
        base_url,
    };
    let files = site::render(&input, templates)?;
    // The process ends soon: freeing a large replay only costs time.
    std::mem::forget(replayed);
    Ok(files)
}

fn verify_all(ctx: &Context, ws: &Workspace, root: &Path) -> BTreeMap<String, JsonVersion> {
    let session = HashSession::open(root, false);
    let out = ws
        .versions()
        .filter(|h| h.version.lock.is_some())
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

/// Writes the site into `out`: files whose bytes changed, atomically; then
/// removes the files an earlier render wrote that are gone now. Refuses a
/// folder holding files of anything else. Returns how many files were
/// written and removed.
pub(crate) fn publish(out: &Path, files: &[site::File]) -> Result<(usize, usize), Error> {
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
    let now: BTreeSet<String> = files.iter().map(|f| f.path.clone()).collect();
    let mut removed = 0;
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

//! `cardinal validate [FILES…]`: syntax, schemas and cross-file rules.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Context, Outcome};
use crate::error::Error;
use crate::validate;

/// Check governed files: syntax, schemas and cross-file rules
///
/// With FILES (as a pre-commit hook passes them), reports findings in those
/// files only, still checking their references against the whole
/// repository. Exits 1 when any finding is an error.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Files to report on (paths as the shell gives them); default: all
    pub files: Vec<PathBuf>,
}

/// Runs `cardinal validate`.
pub fn run(ctx: &Context, args: &ValidateArgs) -> Result<Outcome, Error> {
    let root = ctx.root()?;
    let ws = crate::load::read_tree(&root)?;
    let mut diags = validate::validate(&ws);
    let what = if args.files.is_empty() {
        format!("{} files", ws.sources.iter().count())
    } else {
        let targets: Vec<String> = args
            .files
            .iter()
            .map(|f| target(&root, f))
            .collect::<Result<_, _>>()?;
        diags = validate::only_in(diags, &targets);
        // Files named, and the files read under the folders named.
        let (folders, files): (Vec<&String>, Vec<&String>) =
            targets.iter().partition(|t| validate::is_folder(t));
        let mut covered: std::collections::BTreeSet<&str> =
            files.iter().map(|f| f.as_str()).collect();
        covered.extend(
            ws.sources
                .iter()
                .map(|(file, _)| file.as_str())
                .filter(|file| folders.iter().any(|t| validate::covers(t, file))),
        );
        let count = covered.len();
        format!("{count} file{}", if count == 1 { "" } else { "s" })
    };
    ctx.out.findings(&ws.sources, &diags, &what);
    Ok(Outcome::from_failed(diags.iter().any(|d| d.is_error())))
}

/// Returns what a FILES argument names: a repository-relative file path,
/// or a folder's path ending in `/` (empty for the root). A path that
/// cannot be read is an error: reporting "no findings" on it would pass a
/// typo.
fn target(root: &Path, file: &Path) -> Result<String, Error> {
    let meta = std::fs::metadata(file).map_err(|source| Error::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let rel = relative_to_root(root, file)?;
    if !meta.is_dir() {
        return Ok(rel);
    }
    Ok(if rel.is_empty() {
        rel
    } else {
        format!("{rel}/")
    })
}

/// Returns a shell path as a repository-relative path with `/`.
pub fn relative_to_root(root: &Path, file: &Path) -> Result<String, Error> {
    let absolute = if file.is_absolute() {
        file.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|source| Error::Read {
                path: PathBuf::from("."),
                source,
            })?
            .join(file)
    };
    // Canonicalize the parent so a file that does not exist yet still maps.
    let (parent, name) = match (absolute.parent(), absolute.file_name()) {
        (Some(p), Some(n)) => (p, n),
        _ => {
            return Err(Error::Usage(format!(
                "`{}` is not a file path",
                file.display()
            )));
        }
    };
    let parent = parent.canonicalize().map_err(|source| Error::Read {
        path: parent.to_path_buf(),
        source,
    })?;
    let full = parent.join(name);
    let rel = full.strip_prefix(root).map_err(|_| {
        Error::Usage(format!(
            "`{}` is outside the repository `{}`",
            file.display(),
            root.display()
        ))
    })?;
    crate::model::layout::slash_path(rel)
        .ok_or_else(|| Error::Usage(format!("`{}` is not a UTF-8 path", file.display())))
}

//! `cardinal audit [--ref REF]`: SPEC section 3 over the whole history:
//! every commit that touches a governed file, checked against the
//! configuration in force at its first parent.

use clap::Args;

use super::status::{history_root, replay_for};
use super::{Context, Outcome};
use crate::diag::{Code, Diagnostic, SourceMap};
use crate::error::Error;
use crate::policy::stage::short;

/// Check every commit that touched a governed file against who may change what
///
/// Each commit is checked against the configuration as it stood in its
/// first parent (the commit that first adds cardinal.toml against that
/// file itself). A change that breaks the rules does not take effect:
/// later commits are checked against the last legitimate configuration.
/// Merge commits are clean when every governed path equals that path in
/// one of their parents. Exits 1 on any violation.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The branch, tag or commit whose history to audit (default: HEAD)
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// Replay the whole history, ignoring the cache in .git/cardinal/
    #[arg(long)]
    pub no_cache: bool,
}

/// Returns the violations of a replay as findings.
pub(crate) fn findings(replayed: &crate::history::Replayed) -> Vec<Diagnostic> {
    replayed
        .engine
        .violations
        .iter()
        .map(|v| {
            let code = match v.code.as_str() {
                "unknown-author" => Code::UnknownAuthor,
                "ignored-change" => Code::IgnoredChange,
                _ => Code::UnauthorizedChange,
            };
            let message = format!(
                "commit {} by {} changes `{}`: {}",
                short(&v.commit),
                v.author,
                v.path,
                v.message
            );
            let d = if v.error {
                Diagnostic::error(code, message)
            } else {
                Diagnostic::warning(code, message)
            };
            d.at(v.path.clone(), 0..0).in_commit(v.commit.clone())
        })
        .collect()
}

/// Runs `cardinal audit`.
pub fn run(ctx: &Context, args: &AuditArgs) -> Result<Outcome, Error> {
    let root = history_root(ctx)?;
    let replayed = replay_for(&root, args.reference.as_deref(), None, args.no_cache, true)?;
    let diags = findings(&replayed);
    let failed = diags.iter().any(Diagnostic::is_error);
    ctx.out.findings(
        &SourceMap::default(),
        &diags,
        &format!("the history of {}", short(&replayed.tip)),
    );
    // The process ends next: freeing a large replay only costs time.
    std::mem::forget(replayed);
    Ok(Outcome::from_failed(failed))
}

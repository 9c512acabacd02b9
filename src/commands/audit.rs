//! `cardinal audit [--ref REF]`: who may change what, over the whole
//! history: every commit that touches a governed file, checked against the
//! configuration in force at its first parent. Findings are printed by
//! `Output::findings`, which escapes the paths, authors and messages in
//! them for each format.

use clap::Args;

use super::query::replay_here;
use super::{Context, Outcome};
use crate::diag::Diagnostic;
use crate::error::Error;
use crate::policy::stage::short;

/// Check every commit that touched a governed file against who may change what
///
/// The history is read along the trunk (the first-parent chain), the only
/// place the configuration in effect changes. Each trunk commit is checked
/// against the configuration in effect at its first parent (the first
/// cardinal.toml against itself); a merge first replays the commits it
/// brings in as if rebased onto the trunk, then its own changes. A change
/// that breaks the rules does not take effect. Each finding says how to
/// remedy it; a violation an admin waived (`[[policy.waivers]]`) is shown
/// as a warning. Exits 1 on any violation that is not waived.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The branch, tag or commit whose history to audit (default: HEAD)
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// Replay the whole history, ignoring the cache in .git/cardinal/
    #[arg(long)]
    pub no_cache: bool,
}

/// Returns the violations of a replay as findings, each with the first
/// line the commit changed in the file.
pub(crate) fn findings(
    root: &std::path::Path,
    replayed: &crate::history::Replayed,
) -> Vec<(Diagnostic, Option<usize>)> {
    replayed
        .engine
        .violations
        .iter()
        .map(|v| {
            let code = v.code;
            let line = crate::history::first_changed_line(root, v.old.as_deref(), v.new.as_deref());
            let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
            let mut message = if v.author.is_empty() {
                v.message.clone()
            } else {
                format!(
                    "commit {} by {} changes `{}`{at}: {}",
                    short(&v.commit),
                    v.author,
                    v.path,
                    v.message
                )
            };
            match &v.waived {
                Some((reason, admin)) => {
                    message.push_str(&format!(" (waived by `{admin}`: {reason})"));
                }
                None if v.error => message.push_str(&remedy(v)),
                None => {}
            }
            let d = if v.error && v.waived.is_none() {
                Diagnostic::error(code, message)
            } else {
                Diagnostic::warning(code, message)
            };
            (d.at(v.path.clone(), 0..0).in_commit(v.commit.clone()), line)
        })
        .collect()
}

/// Returns how to remedy a violation: it stays in the history, so an
/// allowed member undoes it, an admin dismisses it, or an admin waives it.
fn remedy(v: &crate::policy::replay::Violation) -> String {
    let waive = format!(
        "an admin acknowledges it with `[[policy.waivers]] commit = \"{}\"` and a reason",
        v.commit
    );
    let undo = match crate::policy::classify(&v.path) {
        // The forged commit stays in the file's history: an edit keeps it.
        Some(crate::policy::Slot::Decision(_, _, _, who)) => format!(
            "`{who}` deletes the file and commits the decision again later, or an admin dismisses it (deletes the file)"
        ),
        Some(crate::policy::Slot::Request(..)) => {
            "an owner or collaborator deletes the request and commits it again later".to_owned()
        }
        Some(crate::policy::Slot::Config | crate::policy::Slot::Project(_)) => {
            "an allowed member commits the file again (until then the last legitimate one stays in effect)".to_owned()
        }
        _ => "a member allowed to change the file reverts it".to_owned(),
    };
    format!("; to remedy: {undo}; or {waive} (what it changed still does not take effect)")
}

/// Runs `cardinal audit`.
pub fn run(ctx: &Context, args: &AuditArgs) -> Result<Outcome, Error> {
    let (root, replayed) = replay_here(ctx, args.reference.as_deref(), args.no_cache, true)?;
    let found = findings(&root, &replayed);
    let failed = found.iter().any(|(d, _)| d.is_error());
    let diags: Vec<Diagnostic> = found.iter().map(|(d, _)| d.clone()).collect();
    let lines: Vec<Option<usize>> = found.iter().map(|(_, line)| *line).collect();
    ctx.out.history_findings(
        &diags,
        &lines,
        &format!("the history of {}", short(&replayed.tip)),
    );
    // The process ends next: freeing a large replay only costs time.
    std::mem::forget(replayed);
    Ok(Outcome::from_failed(failed))
}

//! Cross-file rules over a loaded [`Workspace`]. Every rule family adds
//! findings and never stops at the first; the result is sorted by file and
//! position. No I/O.

mod card;
mod config;
mod monitoring;
mod review;

use crate::diag::{self, Diagnostic};
use crate::load::Workspace;

/// Returns every finding: load-time ones and the cross-file rules.
pub fn validate(ws: &Workspace) -> Vec<Diagnostic> {
    let mut out = ws.findings.clone();
    config::check(ws, &mut out);
    card::check(ws, &mut out);
    review::check(ws, &mut out);
    monitoring::check(ws, &mut out);
    diag::sort(&mut out);
    out
}

/// Returns only the findings whose primary place is one of `files`, for
/// `validate FILES…` (a pre-commit hook passes the staged files).
pub fn only_in(diags: Vec<Diagnostic>, files: &[String]) -> Vec<Diagnostic> {
    diags
        .into_iter()
        .filter(|d| {
            d.primary()
                .is_some_and(|l| files.iter().any(|f| covers(f, &l.file)))
        })
        .collect()
}

/// Whether a target of [`only_in`] covers `file`: the file itself, or a
/// folder (ending in `/`, empty for the root) holding it.
pub fn covers(target: &str, file: &str) -> bool {
    target == file || is_folder(target) && file.starts_with(target)
}

/// Whether a target of [`only_in`] names a folder: it ends in `/`, or is
/// empty for the root.
pub fn is_folder(target: &str) -> bool {
    target.is_empty() || target.ends_with('/')
}

#[cfg(test)]
mod tests;

//! Rules over monitoring results files (docs/formats.md): a file named
//! `<stamp>-<kind>.toml` holds results of that kind, made at that stamp,
//! of the version whose folder holds it.

use crate::diag::{Code, Diagnostic};
use crate::load::Workspace;

pub(super) fn check(ws: &Workspace, out: &mut Vec<Diagnostic>) {
    for handle in ws.versions() {
        let name = handle.name();
        for file in &handle.version.monitoring {
            let result = &file.value;
            let base = file.path.rsplit('/').next().unwrap_or_default();
            let expected = result.file_name();
            if base != expected {
                out.push(
                    Diagnostic::error(
                        Code::NameMismatch,
                        format!(
                            "a `{}` result created {} belongs in `{expected}`, not `{base}`",
                            result.kind(),
                            result.created()
                        ),
                    )
                    .at(&file.path, file.span("/kind")),
                );
            }
            if result.version() != name {
                out.push(
                    Diagnostic::error(
                        Code::NameMismatch,
                        format!("results of `{}` stored under `{name}`", result.version()),
                    )
                    .at(&file.path, file.span("/version")),
                );
            }
        }
    }
}

//! Rules on `model.toml` and `card.toml`: folder names, owners, lineage
//! inputs (paths inside the repository, unique dataset names, parents that
//! exist), stage gates naming card metrics, the monitoring baseline.

use std::collections::BTreeMap;

use super::config::check_member_list;
use crate::diag::{Code, Diagnostic};
use crate::load::{Loaded, VersionHandle, Workspace};
use crate::model::files::Card;
use crate::model::ids::VersionRef;

pub(super) fn check(ws: &Workspace, out: &mut Vec<Diagnostic>) {
    for project in ws.projects.values() {
        for model in project.models.values() {
            if let Some(file) = &model.file {
                if file.value.name != model.id.as_str() {
                    out.push(
                        Diagnostic::error(
                            Code::NameMismatch,
                            format!(
                                "model name `{}` does not match its folder `{}`",
                                file.value.name, model.id
                            ),
                        )
                        .at(&file.path, file.span("/name")),
                    );
                }
                check_member_list(ws, file, "/owners", &file.value.owners, out);
            }
        }
    }
    for handle in ws.versions() {
        if let Some(card) = &handle.version.card {
            check_card(ws, handle, card, out);
        }
    }
}

fn check_card(
    ws: &Workspace,
    handle: VersionHandle<'_>,
    card: &Loaded<Card>,
    out: &mut Vec<Diagnostic>,
) {
    let value = &card.value;
    if value.version != handle.version.id.as_str() {
        out.push(
            Diagnostic::error(
                Code::NameMismatch,
                format!(
                    "card version `{}` does not match its folder `{}`",
                    value.version, handle.version.id
                ),
            )
            .at(&card.path, card.span("/version")),
        );
    }
    if let Some(lineage) = &value.lineage {
        if let Some(code) = &lineage.code {
            for (i, path) in code.paths.iter().enumerate() {
                check_path(card, &format!("/lineage/code/paths/{i}"), path, out);
            }
        }
        for (i, path) in lineage.environment.iter().enumerate() {
            check_path(card, &format!("/lineage/environment/{i}"), path, out);
        }
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, dataset) in lineage.datasets.iter().enumerate() {
            if let Some(path) = &dataset.path {
                check_path(card, &format!("/lineage/datasets/{i}/path"), path, out);
            }
            if let Some(first) = names.insert(dataset.name.as_str(), i) {
                out.push(
                    Diagnostic::error(
                        Code::DuplicateDataset,
                        format!("dataset `{}` is listed twice", dataset.name),
                    )
                    .at(
                        &card.path,
                        card.span(&format!("/lineage/datasets/{i}/name")),
                    )
                    .also(
                        &card.path,
                        card.span(&format!("/lineage/datasets/{first}/name")),
                        "first listed here",
                    ),
                );
            }
        }
        for (i, parent) in lineage.parents.iter().enumerate() {
            let pointer = format!("/lineage/parents/{i}");
            let problem = match parent.parse::<VersionRef>() {
                Err(e) => Some(e.to_string()),
                Ok(r) => match ws.find_version(&r) {
                    Ok(found) if found.version.dir == handle.version.dir => {
                        Some(format!("`{parent}` names this version itself"))
                    }
                    Ok(_) => None,
                    Err(e) => Some(e),
                },
            };
            if let Some(problem) = problem {
                out.push(
                    Diagnostic::error(
                        Code::UnknownVersion,
                        format!("parent `{parent}`: {problem}"),
                    )
                    .at(&card.path, card.span(&pointer)),
                );
            }
        }
    }
    if let Some(monitoring) = &value.monitoring
        && let Some(baseline) = &monitoring.baseline
    {
        let datasets = value
            .lineage
            .as_ref()
            .map(|l| l.datasets.as_slice())
            .unwrap_or_default();
        let is_dataset = datasets.iter().any(|d| &d.name == baseline);
        let looks_like_path = baseline.contains('/') || baseline.contains('.');
        if !is_dataset && !looks_like_path {
            out.push(
                Diagnostic::error(
                    Code::UnknownDataset,
                    format!("baseline `{baseline}` is not a lineage dataset"),
                )
                .at(&card.path, card.span("/monitoring/baseline"))
                .with_help(format!(
                    "name one of the [lineage] datasets ({}) or give a repository path",
                    datasets
                        .iter()
                        .map(|d| format!("`{}`", d.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        } else if !is_dataset {
            check_path(card, "/monitoring/baseline", baseline, out);
        }
    }
    check_gates(ws, handle, card, out);
}

/// Reports gates of the project's stages that name a metric the card lacks:
/// the version could never reach those stages.
fn check_gates(
    ws: &Workspace,
    handle: VersionHandle<'_>,
    card: &Loaded<Card>,
    out: &mut Vec<Diagnostic>,
) {
    for stage in ws.stages_for(&handle.project.id) {
        for gate in &stage.gates {
            let has = card.value.metrics.iter().any(|m| {
                m.name == gate.metric
                    && gate
                        .dataset
                        .as_ref()
                        .is_none_or(|d| m.dataset.as_ref() == Some(d))
            });
            if !has {
                let on = gate
                    .dataset
                    .as_ref()
                    .map(|d| format!(" on `{d}`"))
                    .unwrap_or_default();
                let pointer = if card.value.metrics.is_empty() {
                    ""
                } else {
                    "/metrics"
                };
                out.push(
                    Diagnostic::warning(
                        Code::GateMetricMissing,
                        format!(
                            "stage `{}` gates on metric `{}`{on}, which this card does not report",
                            stage.name, gate.metric
                        ),
                    )
                    .at(&card.path, card.span(pointer))
                    .with_help(format!(
                        "add a [[metrics]] entry named `{}` or the version cannot reach `{}`",
                        gate.metric, stage.name
                    )),
                );
            }
        }
    }
}

/// Returns why a repository path written in a card is not acceptable: it
/// is absolute or climbs out of the repository with `..`. (Symbolic links
/// are checked where files are read.)
pub fn path_problem(path: &str) -> Option<String> {
    if path.starts_with('/') || path.starts_with('\\') || path.get(1..2) == Some(":") {
        return Some(format!(
            "`{path}` is absolute; lineage paths are relative to the repository root"
        ));
    }
    let mut depth: i64 = 0;
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return Some(format!("`{path}` leaves the repository"));
                }
            }
            _ => depth += 1,
        }
    }
    None
}

fn check_path(card: &Loaded<Card>, pointer: &str, path: &str, out: &mut Vec<Diagnostic>) {
    if let Some(problem) = path_problem(path) {
        out.push(Diagnostic::error(Code::PathEscape, problem).at(&card.path, card.span(pointer)));
    }
}

#[cfg(test)]
mod tests {
    use super::path_problem;

    #[test]
    fn paths_stay_inside() {
        assert!(path_problem("data/train.csv").is_none());
        assert!(path_problem("train/../features.py").is_none());
        assert!(path_problem("../secrets").is_some());
        assert!(path_problem("a/../../b").is_some());
        assert!(path_problem("/etc/passwd").is_some());
        assert!(path_problem("C:/x").is_some());
    }
}

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
    check_lock(handle, card, out);
}

/// Reports a `lineage.lock` whose inputs are not the ones the card declares
/// now (added, removed or renamed): the lock must be written again.
fn check_lock(handle: VersionHandle<'_>, card: &Loaded<Card>, out: &mut Vec<Diagnostic>) {
    let Some(lock) = &handle.version.lock else {
        return;
    };
    let declared: std::collections::BTreeSet<(String, String)> = card
        .value
        .lineage
        .as_ref()
        .map(crate::lineage::declared_inputs)
        .unwrap_or_default()
        .into_iter()
        .map(|d| (d.kind.as_str().to_owned(), d.name))
        .collect();
    let locked: std::collections::BTreeSet<(String, String)> = lock
        .value
        .inputs
        .iter()
        .map(|i| (i.kind.clone(), i.name.clone()))
        .collect();
    if declared == locked {
        return;
    }
    let list = |set: Vec<&(String, String)>| {
        set.iter()
            .map(|(k, n)| format!("{k} `{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let added: Vec<_> = declared.difference(&locked).collect();
    let removed: Vec<_> = locked.difference(&declared).collect();
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("not locked: {}", list(added)));
    }
    if !removed.is_empty() {
        parts.push(format!("no longer declared: {}", list(removed)));
    }
    out.push(
        Diagnostic::error(
            Code::StaleLineageLock,
            format!(
                "lineage.lock does not match the card's [lineage] ({})",
                parts.join("; ")
            ),
        )
        .at(&lock.path, lock.span("/inputs"))
        .also(&card.path, card.span("/lineage"), "declared here")
        .with_help(format!("run `cardinal lineage {} --write`", handle.name())),
    );
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

fn check_path(card: &Loaded<Card>, pointer: &str, path: &str, out: &mut Vec<Diagnostic>) {
    if let Some(problem) = crate::lineage::path_problem(path) {
        out.push(Diagnostic::error(Code::PathEscape, problem).at(&card.path, card.span(pointer)));
    }
}

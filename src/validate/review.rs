//! Rules on review folders: the folder is a stage of the project, request
//! and decisions name that stage, decision files are named after their
//! reviewer, and every member named exists.

use super::config::{check_member, check_member_list};
use crate::diag::{Code, Diagnostic};
use crate::load::Workspace;
use crate::model::stage;

pub(super) fn check(ws: &Workspace, out: &mut Vec<Diagnostic>) {
    for handle in ws.versions() {
        let stages = ws.stages_for(&handle.project.id);
        for reviews in handle.version.reviews.values() {
            let declared = stages.iter().find(|s| s.name.slug() == reviews.slug);
            let first_file = reviews
                .request
                .as_ref()
                .map(|r| (r.path.clone(), r.span("/stage")))
                .or_else(|| {
                    reviews
                        .decisions
                        .values()
                        .next()
                        .map(|d| (d.path.clone(), d.span("/stage")))
                });
            if declared.is_none()
                && let Some((path, span)) = first_file
            {
                out.push(
                    Diagnostic::error(
                        Code::UnknownStage,
                        format!(
                            "review folder `{}` is not a stage of project `{}`",
                            reviews.slug, handle.project.id
                        ),
                    )
                    .at(path, span)
                    .with_help(format!(
                        "stages of this project: {} (folders use their slugs: {})",
                        stage::list_names(&stages),
                        stages
                            .iter()
                            .map(|s| format!("`{}`", s.name.slug()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
            }
            if let (Some(request), Some(stage), Some(card)) =
                (&reviews.request, declared, &handle.version.card)
            {
                for section in &stage.required_sections {
                    if !card.value.has_section(section) {
                        out.push(
                            Diagnostic::warning(
                                Code::MissingSection,
                                format!(
                                    "stage `{}` requires the card section `{section}`, which is missing or empty",
                                    stage.name
                                ),
                            )
                            .at(&card.path, card.span(""))
                            .also(&request.path, request.span("/stage"), "review requested here")
                            .with_help(format!("add a non-empty [{section}] to the card, or the version cannot reach `{}`", stage.name)),
                        );
                    }
                }
            }
            if let Some(request) = &reviews.request {
                if request.value.stage.slug() != reviews.slug {
                    out.push(
                        Diagnostic::error(
                            Code::ReviewMismatch,
                            format!(
                                "request is for stage `{}` but sits in folder `{}`",
                                request.value.stage, reviews.slug
                            ),
                        )
                        .at(&request.path, request.span("/stage")),
                    );
                }
                check_member(
                    ws,
                    request,
                    "/requested_by",
                    &request.value.requested_by,
                    out,
                );
                check_member_list(ws, request, "/reviewers", &request.value.reviewers, out);
            }
            for (file_member, decision) in &reviews.decisions {
                let value = &decision.value;
                if value.reviewer.as_str() != file_member {
                    out.push(
                        Diagnostic::error(
                            Code::ReviewMismatch,
                            format!(
                                "decision by `{}` is in the file of `{file_member}`",
                                value.reviewer
                            ),
                        )
                        .at(&decision.path, decision.span("/reviewer"))
                        .with_help(
                            "each reviewer's decision lives in reviews/<stage>/<reviewer>.toml",
                        ),
                    );
                }
                if value.stage.slug() != reviews.slug {
                    out.push(
                        Diagnostic::error(
                            Code::ReviewMismatch,
                            format!(
                                "decision is for stage `{}` but sits in folder `{}`",
                                value.stage, reviews.slug
                            ),
                        )
                        .at(&decision.path, decision.span("/stage")),
                    );
                }
                check_member(ws, decision, "/reviewer", &value.reviewer, out);
                match &reviews.request {
                    None => out.push(
                        Diagnostic::warning(
                            Code::ReviewMismatch,
                            format!("decision without a review request for `{}`", reviews.slug),
                        )
                        .at(&decision.path, decision.span("/stage"))
                        .with_help("a decision counts only once a request lists its reviewer"),
                    ),
                    Some(request) if !request.value.reviewers.contains(&value.reviewer) => out
                        .push(
                            Diagnostic::warning(
                                Code::ReviewMismatch,
                                format!(
                                    "`{}` is not among the requested reviewers",
                                    value.reviewer
                                ),
                            )
                            .at(&decision.path, decision.span("/reviewer"))
                            .also(
                                &request.path,
                                request.span("/reviewers"),
                                "reviewers requested here",
                            ),
                        ),
                    Some(_) => {}
                }
            }
        }
    }
}

//! Rules on `cardinal.toml` and `project.toml`: members, emails, stage
//! lists, owners and collaborators, folder names.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::{Code, Diagnostic};
use crate::load::{Loaded, Workspace};
use crate::model::files::StageDef;
use crate::model::ids::MemberId;
use crate::model::stage;

pub(super) fn check(ws: &Workspace, out: &mut Vec<Diagnostic>) {
    if let Some(config) = &ws.config {
        check_members(config, out);
        check_commit_ids(config, out);
        if let Some(stages) = &config.value.stages {
            check_stages(ws, config, stages, out);
        }
    }
    for project in ws.projects.values() {
        let Some(file) = &project.file else { continue };
        if file.value.name != project.id.as_str() {
            out.push(
                Diagnostic::error(
                    Code::NameMismatch,
                    format!(
                        "project name `{}` does not match its folder `{}`",
                        file.value.name, project.id
                    ),
                )
                .at(&file.path, file.span("/name")),
            );
        }
        check_member_list(ws, file, "/owners", &file.value.owners, out);
        check_member_list(ws, file, "/collaborators", &file.value.collaborators, out);
        if let Some(stages) = &file.value.stages {
            check_stages(ws, file, stages, out);
        }
    }
}

/// Reports `audit_from` and waiver commits that are not full 40-hex ids:
/// they are never resolved as refs (a tag named like a short id must not
/// choose what is trusted), so anything else is ignored.
fn check_commit_ids(config: &Loaded<crate::model::files::OrgConfig>, out: &mut Vec<Diagnostic>) {
    let policy = &config.value.policy;
    let mut ids: Vec<(String, &str)> = Vec::new();
    if let Some(from) = &policy.audit_from {
        ids.push(("/policy/audit_from".to_owned(), from));
    }
    for (i, w) in policy.waivers.iter().enumerate() {
        ids.push((format!("/policy/waivers/{i}/commit"), &w.commit));
    }
    for (pointer, id) in ids {
        if !crate::model::ids::is_full_commit_id(id) {
            out.push(
                Diagnostic::error(
                    Code::InvalidCommitId,
                    format!("`{id}` is not a full 40-hex commit id; it is ignored"),
                )
                .at(&config.path, config.span(&pointer))
                .with_help("write the whole id, as `git rev-parse COMMIT` prints it; branch, tag and short names are never resolved"),
            );
        }
    }
}

fn check_members(config: &Loaded<crate::model::files::OrgConfig>, out: &mut Vec<Diagnostic>) {
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    let mut emails: BTreeMap<String, usize> = BTreeMap::new();
    for (i, member) in config.value.members.iter().enumerate() {
        if let Some(first) = ids.insert(member.id.as_str(), i) {
            out.push(
                Diagnostic::error(
                    Code::DuplicateMember,
                    format!("member `{}` is declared twice", member.id),
                )
                .at(&config.path, config.span(&format!("/members/{i}/id")))
                .also(
                    &config.path,
                    config.span(&format!("/members/{first}/id")),
                    "first declared here",
                ),
            );
            ids.insert(member.id.as_str(), first);
        }
        for (j, email) in member.emails.iter().enumerate() {
            let key = email.to_lowercase();
            if let Some(owner) = emails.get(&key) {
                if *owner != i {
                    out.push(
                        Diagnostic::error(
                            Code::DuplicateEmail,
                            format!(
                                "email `{email}` belongs to both `{}` and `{}`",
                                config.value.members[*owner].id, member.id
                            ),
                        )
                        .at(&config.path, config.span(&format!("/members/{i}/emails/{j}")))
                        .with_help("commit authors are mapped to members by email, so each email must name one member"),
                    );
                }
            } else {
                emails.insert(key, i);
            }
        }
        for (j, line) in member.signing_keys.iter().enumerate() {
            check_signing_key(config, i, j, &member.id, line, out);
        }
    }
}

/// Reports a `signing_keys` line that is not a public key (an error) or
/// whose key type cardinal does not verify signatures of (a warning: such
/// signatures are reported as unverifiable and never count).
fn check_signing_key(
    config: &Loaded<crate::model::files::OrgConfig>,
    i: usize,
    j: usize,
    member: &MemberId,
    line: &str,
    out: &mut Vec<Diagnostic>,
) {
    let span = config.span(&format!("/members/{i}/signing_keys/{j}"));
    let supported = crate::ssh::verify::supported_key_types();
    let finding = match crate::ssh::verify::parse_key(line) {
        Err(why) => Diagnostic::error(
            Code::InvalidValue,
            format!("signing key of `{member}` is not a public key: {why}"),
        )
        .with_help(
            "copy the whole line of the public key file (`ssh-keygen -y -f KEY` prints it): \
             `TYPE BASE64 [comment]`",
        ),
        Ok(key) if !crate::ssh::verify::key_type_supported(&key) => Diagnostic::warning(
            Code::InvalidValue,
            format!(
                "signing key of `{member}` has type `{}`, whose signatures cardinal does not verify",
                key.algorithm().as_str()
            ),
        )
        .with_help(format!(
            "approvals signed with it never count where signatures are required; \
             supported key types: {supported}"
        )),
        Ok(_) => return,
    };
    out.push(finding.at(&config.path, span));
}

/// Reports member ids in `list` (at `pointer/<i>`) that are not declared.
pub(super) fn check_member_list<T>(
    ws: &Workspace,
    file: &Loaded<T>,
    pointer: &str,
    list: &[MemberId],
    out: &mut Vec<Diagnostic>,
) {
    for (i, id) in list.iter().enumerate() {
        check_member(ws, file, &format!("{pointer}/{i}"), id, out);
    }
}

/// Reports `id` (at `pointer`) when it is not a declared member.
pub(super) fn check_member<T>(
    ws: &Workspace,
    file: &Loaded<T>,
    pointer: &str,
    id: &MemberId,
    out: &mut Vec<Diagnostic>,
) {
    let declared = ws
        .member_ids
        .as_ref()
        .is_none_or(|ids| ids.contains(id.as_str()));
    if !declared {
        let mut d = Diagnostic::error(Code::UnknownMember, format!("unknown member `{id}`"))
            .at(&file.path, file.span(pointer));
        let best = ws
            .member_ids
            .iter()
            .flatten()
            .map(|m| (crate::schema::edit_distance(id.as_str(), m), m))
            .min_by_key(|(d, _)| *d)
            .filter(|(d, _)| *d <= 2);
        d = match best {
            Some((_, m)) => d.with_help(format!("did you mean `{m}`?")),
            None => d.with_help("members are declared in `cardinal.toml` under [[members]]"),
        };
        out.push(d);
    }
}

fn check_stages<T>(
    ws: &Workspace,
    file: &Loaded<T>,
    stages: &[StageDef],
    out: &mut Vec<Diagnostic>,
) {
    let mut slugs: BTreeMap<String, usize> = BTreeMap::new();
    let roles: BTreeSet<&str> = ws
        .members()
        .iter()
        .flat_map(|m| m.roles.iter().map(String::as_str))
        .collect();
    for (i, stage) in stages.iter().enumerate() {
        let base = format!("/stages/{i}");
        let slug = stage.name.slug();
        if slug.is_empty() {
            out.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("stage name `{}` has no letters or digits", stage.name),
                )
                .at(&file.path, file.span(&format!("{base}/name"))),
            );
        } else if let Some(first) = slugs.insert(slug.clone(), i) {
            out.push(
                Diagnostic::error(
                    Code::DuplicateStage,
                    format!(
                        "stage `{}` has the same folder name `{slug}` as an earlier stage",
                        stage.name
                    ),
                )
                .at(&file.path, file.span(&format!("{base}/name")))
                .also(
                    &file.path,
                    file.span(&format!("/stages/{first}/name")),
                    "declared here",
                ),
            );
            slugs.insert(slug, first);
        }
        if let Some(after) = &stage.after {
            match stage::resolve(stages, after.as_str()) {
                None => out.push(
                    Diagnostic::error(
                        Code::UnknownStage,
                        format!("`after` names unknown stage `{after}`"),
                    )
                    .at(&file.path, file.span(&format!("{base}/after")))
                    .with_help(format!("declared stages: {}", stage::list_names(stages))),
                ),
                Some(j) if j >= i => out.push(
                    Diagnostic::error(
                        Code::StageOrder,
                        format!(
                            "stage `{}` comes after `{after}`, which is not an earlier stage",
                            stage.name
                        ),
                    )
                    .at(&file.path, file.span(&format!("{base}/after")))
                    .also(
                        &file.path,
                        file.span(&format!("/stages/{j}/name")),
                        "declared here",
                    )
                    .with_help(
                        "stages are listed in promotion order; `after` must name one listed before",
                    ),
                ),
                Some(_) => {}
            }
        }
        if ws.config.is_some() {
            for (k, role) in stage.required_roles.iter().enumerate() {
                if !roles.contains(role.as_str()) {
                    out.push(
                        Diagnostic::warning(
                            Code::UnheldRole,
                            format!("no member holds the required role `{role}`"),
                        )
                        .at(&file.path, file.span(&format!("{base}/required_roles/{k}")))
                        .with_help("no version can reach this stage until a member holds the role"),
                    );
                }
            }
        }
        if stage.min_approvals == 0 && stage.required_roles.is_empty() {
            out.push(
                Diagnostic::warning(
                    Code::InvalidValue,
                    format!("stage `{}` needs no approval at all", stage.name),
                )
                .at(&file.path, file.span(&format!("{base}/min_approvals"))),
            );
        }
    }
}

//! `cardinal request-review`: who may ask, and whom.

use clap::Args;

use super::render::{check_rendered, render_request};
use super::{
    CommitArgs, KeyCheck, Written, commit_message, created_now, current_member, id_list, or_none,
    report, require_card, require_committed, resolve_stage, stage_folder, write_and_commit,
};
use crate::commands::{Context, Outcome};
use crate::error::Error;
use crate::load::{VersionHandle, Workspace};
use crate::model::files::{Member, ReviewRequest, StageDef};
use crate::model::ids::MemberId;
use crate::schema::FileKind;

/// Ask members to review a version for a stage: writes reviews/<stage>/request.toml
///
/// Only the project's owners and collaborators may request reviews. The
/// request names the stage (as the project declares it), you as
/// `requested_by`, the reviewers and a note. Every listed reviewer must
/// approve for the version to reach the stage.
#[derive(Debug, Args)]
pub struct RequestReviewArgs {
    /// The version: `project/model@version` or `model@version`
    #[arg(value_name = "VERSION")]
    pub target: String,
    /// The stage, by name or slug (`Production`, `pre-production`)
    #[arg(long, value_name = "STAGE")]
    pub stage: String,
    /// A member to ask; repeat the flag or separate ids with commas
    #[arg(long = "reviewer", value_name = "ID", required = true, num_args = 1.., value_delimiter = ',')]
    pub reviewers: Vec<String>,
    /// What to look at (Markdown)
    #[arg(long, value_name = "TEXT")]
    pub note: String,
    /// Replace an existing request for the stage (decisions already given
    /// are kept)
    #[arg(long)]
    pub force: bool,
    /// Committing.
    #[command(flatten)]
    pub commit: CommitArgs,
}

/// Runs `cardinal request-review`.
pub fn run_request(ctx: &Context, args: &RequestReviewArgs) -> Result<Outcome, Error> {
    let root = ctx.root()?;
    let ws = crate::load::read_tree(&root)?;
    let handle = crate::commands::find_version(&ws, &args.target)?;
    let me = current_member(ctx, &ws)?;
    may_request(&handle, me)?;
    require_card(&handle)?;
    require_committed(&root, &handle, "request-review")?;
    let stage = resolve_stage(&ws, &handle, &args.stage)?;
    let slug = stage_folder(&stage)?;
    let reviewers = check_reviewers(&ws, &stage, me, &args.reviewers)?;

    let rel = format!("{}/reviews/{slug}/request.toml", handle.version.dir);
    let replaced = root.join(&rel).symlink_metadata().is_ok();
    if replaced && !args.force {
        let by = handle
            .version
            .reviews
            .get(&slug)
            .and_then(|r| r.request.as_ref())
            .map(|r| format!(" by `{}`", r.value.requested_by))
            .unwrap_or_default();
        return Err(Error::Usage(format!(
            "a review of `{}` for `{}` was already requested{by} (`{rel}`); pass --force to \
             replace it; nothing was written",
            handle.name(),
            stage.name
        )));
    }

    let request = ReviewRequest {
        stage: stage.name.clone(),
        requested_by: me.id.clone(),
        reviewers,
        note: Some(args.note.clone()),
        created: Some(created_now(ctx)?),
    };
    let text = render_request(&request);
    check_rendered::<ReviewRequest>(FileKind::Request, &rel, &text)?;
    let message = commit_message(
        &format!("Request {} review of {}", stage.name, handle.name()),
        &args.note,
    );
    let keys: Vec<&str> = me.signing_keys.iter().map(String::as_str).collect();
    let key_check = KeyCheck {
        member: &me.id,
        keys: &keys,
        required: false,
    };
    let done = write_and_commit(
        ctx,
        &root,
        &rel,
        &text,
        &args.commit,
        &message,
        Some(key_check),
    )?;

    let kept = handle
        .version
        .reviews
        .get(&slug)
        .map_or(0, |r| r.decisions.len());
    report(
        ctx,
        &Written {
            rel: &rel,
            version: &handle.name(),
            stage: &stage,
            decision: None,
            card_digest: None,
            replaced,
            commit: done.as_ref(),
        },
    );
    if replaced && kept > 0 {
        ctx.out.status(format!(
            "note: {kept} decision{} already in `reviews/{slug}/` {} kept",
            if kept == 1 { "" } else { "s" },
            if kept == 1 { "is" } else { "are" }
        ));
    }
    Ok(Outcome::Clean)
}

/// Checks that the user may request reviews: requests are written by the
/// project's owners and collaborators.
fn may_request(handle: &VersionHandle<'_>, me: &Member) -> Result<(), Error> {
    let Some(project) = handle.project.file.as_ref() else {
        return Err(Error::Usage(format!(
            "project `{}` has no valid project.toml, so its owners are unknown; run `cardinal \
             validate`",
            handle.project.id
        )));
    };
    let p = &project.value;
    if p.owners.contains(&me.id) || p.collaborators.contains(&me.id) {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "`{}` may not request reviews in project `{}`: only its owners ({}) and collaborators \
         ({}) may; nothing was written",
        me.id,
        handle.project.id,
        or_none(&p.owners),
        or_none(&p.collaborators)
    )))
}

/// Checks the reviewers of a new request: members, no duplicates, not the
/// requester unless self-approval is allowed, and enough of them (with the
/// required roles) for the stage to be reachable at all.
fn check_reviewers(
    ws: &Workspace,
    stage: &StageDef,
    me: &Member,
    given: &[String],
) -> Result<Vec<MemberId>, Error> {
    let mut ids: Vec<MemberId> = Vec::new();
    for text in given {
        let text = text.trim();
        let id: MemberId = text
            .parse()
            .map_err(|e: crate::model::ids::IdError| Error::Usage(format!("--reviewer: {e}")))?;
        if ws.member(&id).is_none() {
            let known: Vec<MemberId> = ws.members().iter().map(|m| m.id.clone()).collect();
            return Err(Error::Usage(format!(
                "--reviewer `{id}` is not a member; members: {}",
                id_list(&known)
            )));
        }
        if ids.contains(&id) {
            return Err(Error::Usage(format!("--reviewer `{id}` is given twice")));
        }
        ids.push(id);
    }
    if ids.is_empty() {
        return Err(Error::Usage("name at least one --reviewer".to_owned()));
    }
    let allow_self = ws
        .config
        .as_ref()
        .is_some_and(|c| c.value.policy.allow_self_approval);
    if ids.contains(&me.id) && !allow_self {
        return Err(Error::Usage(format!(
            "you (`{}`) cannot review your own request: the policy forbids self-approval \
             (`[policy] allow_self_approval = false`), so the stage could never be reached; \
             list other reviewers",
            me.id
        )));
    }
    let needed = usize::try_from(stage.min_approvals).unwrap_or(usize::MAX);
    if ids.len() < needed {
        return Err(Error::Usage(format!(
            "`{}` needs {} approvals but only {} reviewer{} listed; add reviewers",
            stage.name,
            stage.min_approvals,
            ids.len(),
            if ids.len() == 1 { " is" } else { "s are" }
        )));
    }
    for role in &stage.required_roles {
        let held = ids
            .iter()
            .filter_map(|id| ws.member(id))
            .any(|m| m.has_role(role));
        if !held {
            let holders: Vec<MemberId> = ws
                .members()
                .iter()
                .filter(|m| m.has_role(role) && (allow_self || m.id != me.id))
                .map(|m| m.id.clone())
                .collect();
            return Err(Error::Usage(format!(
                "`{}` needs an approver with the role `{role}` and no listed reviewer holds it; \
                 members with it: {}",
                stage.name,
                or_none(&holders)
            )));
        }
    }
    Ok(ids)
}

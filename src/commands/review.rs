//! `cardinal request-review`, `cardinal approve`, `cardinal reject`: the
//! write side of reviews. Each writes one file for the current Git user
//! (mapped to a member by email) after checking that SPEC section 3 lets
//! that member write it and that it can count (SPEC section 5); with
//! `--commit` it also commits exactly that file as the user, and with
//! `--sign` SSH-signs the commit as `git commit -S` would.
//!
//! Every check runs before anything is written; a refused command leaves the
//! working tree, the index and HEAD as they were.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Context, Outcome};
use crate::error::Error;
use crate::load::document::Document;
use crate::load::{VersionHandle, Workspace};
use crate::model::digest::card_digest;
use crate::model::files::{DecisionKind, Member, ReviewDecision, ReviewRequest, StageDef};
use crate::model::ids::MemberId;
use crate::model::stage;
use crate::model::time::Timestamp;
use crate::schema::FileKind;
use crate::sign::{self, SshSigner};
use crate::{repo, write};

/// How the written file is to be recorded in Git.
#[derive(Debug, Clone, Args)]
pub struct CommitArgs {
    /// Also commit the written file (and nothing else) as the current Git
    /// user; refused when the index already has staged changes
    #[arg(long)]
    pub commit: bool,
    /// Commit with an SSH signature, as `git commit -S` with `gpg.format =
    /// ssh` and `user.signingkey` would (implies --commit)
    #[arg(long)]
    pub sign: bool,
}

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

/// Approve a version for a stage: writes reviews/<stage>/<you>.toml
///
/// You must be a reviewer listed in the stage's request. The approval
/// records the version's current card digest (`cardinal digest`): editing
/// the card or its lineage afterwards makes it stale. Running it again
/// replaces your earlier decision.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The version: `project/model@version` or `model@version`
    #[arg(value_name = "VERSION")]
    pub target: String,
    /// The stage, by name or slug
    #[arg(long, value_name = "STAGE")]
    pub stage: String,
    /// A comment (Markdown)
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
    /// Committing.
    #[command(flatten)]
    pub commit: CommitArgs,
}

/// Reject a version for a stage: writes reviews/<stage>/<you>.toml
///
/// You must be a reviewer listed in the stage's request. A current
/// rejection blocks the stage until you approve instead (running `cardinal
/// approve` replaces it).
#[derive(Debug, Args)]
pub struct RejectArgs {
    /// The version: `project/model@version` or `model@version`
    #[arg(value_name = "VERSION")]
    pub target: String,
    /// The stage, by name or slug
    #[arg(long, value_name = "STAGE")]
    pub stage: String,
    /// Why (Markdown); required
    #[arg(long, value_name = "TEXT")]
    pub comment: String,
    /// Committing.
    #[command(flatten)]
    pub commit: CommitArgs,
}

/// Runs `cardinal request-review`.
pub fn run_request(ctx: &Context, args: &RequestReviewArgs) -> Result<Outcome, Error> {
    let root = ctx.root()?;
    let ws = crate::load::read_tree(&root)?;
    let handle = super::find_version(&ws, &args.target)?;
    let me = current_member(ctx, &ws)?;
    may_request(&handle, me)?;
    require_card(&handle)?;
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

/// Runs `cardinal approve`.
pub fn run_approve(ctx: &Context, args: &ApproveArgs) -> Result<Outcome, Error> {
    decide(
        ctx,
        &Decide {
            target: &args.target,
            stage: &args.stage,
            kind: DecisionKind::Approve,
            comment: args.comment.as_deref(),
            commit: &args.commit,
        },
    )
}

/// Runs `cardinal reject`.
pub fn run_reject(ctx: &Context, args: &RejectArgs) -> Result<Outcome, Error> {
    if args.comment.trim().is_empty() {
        return Err(Error::Usage(
            "reject needs a --comment saying why; nothing was written".to_owned(),
        ));
    }
    decide(
        ctx,
        &Decide {
            target: &args.target,
            stage: &args.stage,
            kind: DecisionKind::Reject,
            comment: Some(&args.comment),
            commit: &args.commit,
        },
    )
}

/// What `approve` and `reject` share.
struct Decide<'a> {
    target: &'a str,
    stage: &'a str,
    kind: DecisionKind,
    comment: Option<&'a str>,
    commit: &'a CommitArgs,
}

fn decide(ctx: &Context, d: &Decide<'_>) -> Result<Outcome, Error> {
    let root = ctx.root()?;
    let ws = crate::load::read_tree(&root)?;
    let handle = super::find_version(&ws, d.target)?;
    let me = current_member(ctx, &ws)?;
    let digest = require_card(&handle)?;
    let stage = resolve_stage(&ws, &handle, d.stage)?;
    let slug = stage_folder(&stage)?;
    let verb = match d.kind {
        DecisionKind::Approve => "approve",
        DecisionKind::Reject => "reject",
    };
    if me.id.as_str() == "request" {
        // `reviews/<stage>/request.toml` is the request itself.
        return Err(Error::Usage(
            "the member id `request` cannot hold a decision: its file would be the stage's \
             request.toml; rename the member in cardinal.toml"
                .to_owned(),
        ));
    }

    let request_rel = format!("{}/reviews/{slug}/request.toml", handle.version.dir);
    let request = match handle
        .version
        .reviews
        .get(&slug)
        .and_then(|r| r.request.as_ref())
    {
        Some(request) => &request.value,
        None if root.join(&request_rel).symlink_metadata().is_ok() => {
            return Err(Error::Usage(format!(
                "`{request_rel}` has problems, so there is no request to {verb} against; run \
                 `cardinal validate`"
            )));
        }
        None => {
            return Err(Error::Usage(format!(
                "no review of `{}` for `{}` has been requested; a project owner or collaborator \
                 asks first with `cardinal request-review {} --stage \"{}\" --reviewer {} --note …`",
                handle.name(),
                stage.name,
                handle.name(),
                stage.name,
                me.id
            )));
        }
    };
    if !request.reviewers.contains(&me.id) {
        return Err(Error::Usage(format!(
            "you (`{}`) are not a reviewer of the `{}` request for `{}`; its reviewers: {} \
             (the requester, `{}`, can add you with `cardinal request-review --force`)",
            me.id,
            stage.name,
            handle.name(),
            id_list(&request.reviewers),
            request.requested_by
        )));
    }
    let policy = ws.config.as_ref().map(|c| c.value.policy.clone());
    let allow_self = policy.as_ref().is_some_and(|p| p.allow_self_approval);
    if request.requested_by == me.id && !allow_self {
        return Err(Error::Usage(format!(
            "you (`{}`) requested this review, and the policy forbids deciding on your own \
             request (`[policy] allow_self_approval = false`); another listed reviewer must {verb}",
            me.id
        )));
    }
    let require_signed = stage.require_signed || policy.as_ref().is_some_and(|p| p.require_signed);
    let sign_wanted = d.commit.sign || (d.commit.commit && repo::signing_config(&root).1);
    if require_signed && d.commit.commit && !sign_wanted {
        return Err(Error::Usage(format!(
            "`{}` requires signed approvals: an unsigned commit would not count; use --sign \
             (with gpg.format=ssh and user.signingkey set); nothing was written",
            stage.name
        )));
    }

    let rel = format!("{}/reviews/{slug}/{}.toml", handle.version.dir, me.id);
    let earlier = handle
        .version
        .reviews
        .get(&slug)
        .and_then(|r| r.decisions.get(me.id.as_str()))
        .map(|l| l.value.decision);
    let replaced = earlier.is_some() || root.join(&rel).symlink_metadata().is_ok();
    let decision = ReviewDecision {
        reviewer: me.id.clone(),
        stage: stage.name.clone(),
        decision: d.kind,
        card_digest: digest.clone(),
        comment: d.comment.map(str::to_owned),
        created: Some(created_now(ctx)?),
    };
    let text = render_decision(&decision);
    check_rendered::<ReviewDecision>(FileKind::Decision, &rel, &text)?;
    let subject = match d.kind {
        DecisionKind::Approve => format!("Approve {} for {}", handle.name(), stage.name),
        DecisionKind::Reject => format!("Reject {} for {}", handle.name(), stage.name),
    };
    let message = commit_message(&subject, d.comment.unwrap_or_default());
    let keys: Vec<&str> = me.signing_keys.iter().map(String::as_str).collect();
    let done = write_and_commit(
        ctx,
        &root,
        &rel,
        &text,
        d.commit,
        &message,
        Some(KeyCheck {
            member: &me.id,
            keys: &keys,
            required: require_signed,
        }),
    )?;
    report(
        ctx,
        &Written {
            rel: &rel,
            version: &handle.name(),
            stage: &stage,
            decision: Some(d.kind),
            card_digest: Some(&digest),
            replaced,
            commit: done.as_ref(),
        },
    );
    if let Some(was) = earlier
        && was != d.kind
    {
        ctx.out.status(format!(
            "note: this replaces your earlier {} decision",
            match was {
                DecisionKind::Approve => "approve",
                DecisionKind::Reject => "reject",
            }
        ));
    }
    if done.is_some() && repo::committed_as_is(&root.join(&request_rel)) == Some(false) {
        ctx.out.status(format!(
            "note: `{request_rel}` is not committed as it stands; until it is, the history has              no request for this decision"
        ));
    }
    if require_signed && done.is_none() {
        ctx.out.status(format!(
            "note: `{}` requires signed approvals: commit this file with `git commit -S` \
             (gpg.format=ssh) or run again with --sign",
            stage.name
        ));
    }
    Ok(Outcome::Clean)
}

/// Returns "now" as a TOML date-time for `created`: years 0000 to 9999
/// only, which is what TOML can write.
fn created_now(ctx: &Context) -> Result<Timestamp, Error> {
    // 0000-01-01T00:00:00Z ..= 9999-12-31T23:59:59Z
    if (-62_167_219_200..=253_402_300_799).contains(&ctx.now) {
        Ok(Timestamp::from_unix(ctx.now))
    } else {
        Err(Error::Usage(format!(
            "--now {} is outside the years 0000 to 9999 that TOML can write",
            ctx.now
        )))
    }
}

/// Returns the member the current Git user is (by `user.email`).
fn current_member<'w>(ctx: &Context, ws: &'w Workspace) -> Result<&'w Member, Error> {
    if ws.config.is_none() {
        return Err(Error::Usage(
            "`cardinal.toml` has problems, so members cannot be looked up; run `cardinal validate`"
                .to_owned(),
        ));
    }
    let who = repo::identity(&ctx.dir);
    let Some(email) = who
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    else {
        return Err(Error::Usage(
            "no Git identity: set it with `git config user.email YOU@EXAMPLE` (the email \
             cardinal.toml lists for you)"
                .to_owned(),
        ));
    };
    let wanted = email.to_lowercase();
    ws.members()
        .iter()
        .find(|m| m.emails.iter().any(|e| e.trim().to_lowercase() == wanted))
        .ok_or_else(|| {
            Error::Usage(format!(
                "the current Git user `{email}` (user.email) is not a member: no `[[members]]` \
                 entry in cardinal.toml lists this email; ask an admin to add it, or set \
                 `git config user.email` to the email listed for you"
            ))
        })
}

/// Checks SPEC section 3: requests are written by the project's owners and
/// collaborators.
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

/// Returns the version's current card digest (SPEC section 5), the value
/// `cardinal digest` prints.
fn require_card(handle: &VersionHandle<'_>) -> Result<String, Error> {
    let card = handle.version.card.as_ref().ok_or_else(|| {
        Error::Usage(format!(
            "`{}` has no valid card.toml to review (run `cardinal validate`)",
            handle.name()
        ))
    })?;
    Ok(card_digest(
        &card.doc.json,
        handle.version.lock.as_ref().map(|l| l.value.root.as_str()),
    ))
}

/// Returns the stage `text` names among the project's stages (its override,
/// else the global list, else the defaults).
fn resolve_stage(
    ws: &Workspace,
    handle: &VersionHandle<'_>,
    text: &str,
) -> Result<StageDef, Error> {
    let stages = ws.stages_for(&handle.project.id);
    match stage::resolve(&stages, text) {
        Some(i) => stages
            .get(i)
            .cloned()
            .ok_or_else(|| Error::Usage(format!("unknown stage `{text}`"))),
        None => {
            let overridden = handle
                .project
                .file
                .as_ref()
                .is_some_and(|f| f.value.stages.is_some());
            Err(Error::Usage(format!(
                "unknown stage `{text}` for project `{}`; declared stages{}: {}",
                handle.project.id,
                if overridden {
                    " (the project's own list)"
                } else {
                    ""
                },
                stage::list_names(&stages)
            )))
        }
    }
}

/// Returns the folder name of a stage under `reviews/`.
fn stage_folder(stage: &StageDef) -> Result<String, Error> {
    let slug = stage.name.slug();
    if slug.is_empty() {
        return Err(Error::Usage(format!(
            "stage `{}` has no letters or digits for a folder name; rename it",
            stage.name
        )));
    }
    Ok(slug)
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

fn id_list(ids: &[MemberId]) -> String {
    ids.iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn or_none(ids: &[MemberId]) -> String {
    if ids.is_empty() {
        "none".to_owned()
    } else {
        id_list(ids)
    }
}

/// Returns a commit message: the subject, and the note or comment as body.
fn commit_message(subject: &str, body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        format!("{subject}\n")
    } else {
        format!("{subject}\n\n{body}\n")
    }
}

/// Returns `s` as a TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Returns Markdown text as a TOML string: a multi-line basic string when
/// it spans lines (readable in diffs), else a basic string.
fn toml_text(s: &str) -> String {
    if !s.contains('\n') {
        return toml_string(s);
    }
    let mut out = String::from("\"\"\"\n");
    for c in s.chars() {
        match c {
            // Escaping every quote keeps `"""` from ever closing the string.
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    if !s.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("\"\"\"");
    out
}

/// Returns the text of `request.toml`, laid out as the examples are.
fn render_request(r: &ReviewRequest) -> String {
    let reviewers: Vec<String> = r
        .reviewers
        .iter()
        .map(|id| toml_string(id.as_str()))
        .collect();
    let mut out = format!(
        "stage = {}\nrequested_by = {}\nreviewers = [{}]\n",
        toml_string(r.stage.as_str()),
        toml_string(r.requested_by.as_str()),
        reviewers.join(", ")
    );
    if let Some(note) = &r.note {
        out.push_str(&format!("note = {}\n", toml_text(note)));
    }
    if let Some(created) = &r.created {
        out.push_str(&format!("created = {created}\n"));
    }
    out
}

/// Returns the text of `<member>.toml`, laid out as the examples are.
fn render_decision(d: &ReviewDecision) -> String {
    let mut out = format!(
        "reviewer = {}\nstage = {}\ndecision = {}\ncard_digest = {}\n",
        toml_string(d.reviewer.as_str()),
        toml_string(d.stage.as_str()),
        toml_string(match d.decision {
            DecisionKind::Approve => "approve",
            DecisionKind::Reject => "reject",
        }),
        toml_string(&d.card_digest)
    );
    if let Some(comment) = &d.comment {
        out.push_str(&format!("comment = {}\n", toml_text(comment)));
    }
    if let Some(created) = &d.created {
        out.push_str(&format!("created = {created}\n"));
    }
    out
}

/// Checks that a rendered file parses, passes its schema and deserializes,
/// so the command never writes a file `validate` would reject.
fn check_rendered<T: serde::de::DeserializeOwned>(
    kind: FileKind,
    rel: &str,
    text: &str,
) -> Result<T, Error> {
    let doc = Document::parse(rel, text).map_err(|d| {
        Error::Input(format!(
            "internal error: `{rel}` would not parse: {}",
            d.message
        ))
    })?;
    if let Some(problem) = crate::schema::check(kind, rel, &doc).first() {
        return Err(Error::Input(format!(
            "internal error: `{rel}` would not pass its schema: {}",
            problem.message
        )));
    }
    T::deserialize(&doc.json)
        .map_err(|e| Error::Input(format!("internal error: `{rel}` would not load: {e}")))
}

/// A commit made by [`write_and_commit`].
#[derive(Debug)]
struct Committed {
    id: String,
    signed: Option<sign::SignatureInfo>,
}

/// What a signed decision's key is checked against.
struct KeyCheck<'a> {
    member: &'a MemberId,
    keys: &'a [&'a str],
    required: bool,
}

/// Writes `text` to `rel` (under `root`) atomically and, when asked, commits
/// it (`--commit`; `--sign`, or Git's `commit.gpgSign`, signs). Everything
/// that can refuse — repository state, identity, signing
/// configuration, the signature itself — runs before the file is written;
/// if the commit cannot be put on the branch afterwards, the file is put
/// back as it was (or removed, with any folders made for it).
fn write_and_commit(
    ctx: &Context,
    root: &Path,
    rel: &str,
    text: &str,
    commit: &CommitArgs,
    message: &str,
    key_check: Option<KeyCheck<'_>>,
) -> Result<Option<Committed>, Error> {
    let abs = root.join(rel);
    let (signing, gpgsign) = repo::signing_config(root);
    let sign_wanted = commit.sign || (commit.commit && gpgsign);
    if !commit.commit && !sign_wanted {
        write::write_atomic(&abs, text.as_bytes())?;
        return Ok(None);
    }
    let committer = repo::Committer::open(root)?;
    let repo_rel = committer.repo_path(&abs)?;
    let who = repo::identity(&ctx.dir);
    let name = who
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            Error::Usage(
                "--commit: no Git user name; set it with `git config user.name \"Your Name\"`"
                    .to_owned(),
            )
        })?;
    let email = who.email.as_deref().map(str::trim).unwrap_or_default();
    let author = repo::Author {
        name,
        email,
        time: ctx.now,
    };
    let mut signed = None;
    let files = [(repo_rel, text.as_bytes().to_vec())];
    let prepared = if sign_wanted {
        let signer = SshSigner::from_config(&signing).map_err(|e| match e {
            Error::Usage(why) if !commit.sign => Error::Usage(format!(
                "Git's commit.gpgSign is true, so --commit signs as git commit would: {why}"
            )),
            e => e,
        })?;
        let mut sign_buffer = |buffer: &str| -> Result<String, Error> {
            let signature = signer.sign(buffer.as_bytes())?;
            let info = sign::signature_info(&signature)?;
            if info.namespace != "git" {
                return Err(Error::Usage(format!(
                    "the signer signed in namespace `{}`, not `git`",
                    info.namespace
                )));
            }
            if let Some(check) = &key_check {
                check_key(ctx, check, &info, &signer)?;
            }
            signed = Some(info);
            Ok(signature)
        };
        committer.prepare(&files, &author, message, Some(&mut sign_buffer))?
    } else {
        committer.prepare(&files, &author, message, None)?
    };

    let before = std::fs::read(&abs).ok();
    let new_dirs = missing_dirs(root, &abs);
    write::write_atomic(&abs, text.as_bytes())?;
    match committer.publish(prepared) {
        Ok(id) => Ok(Some(Committed { id, signed })),
        Err(e) => {
            match before {
                Some(bytes) => {
                    let _ = write::write_atomic(&abs, &bytes);
                }
                None => {
                    let _ = std::fs::remove_file(&abs);
                    for dir in new_dirs.iter().rev() {
                        let _ = std::fs::remove_dir(dir);
                    }
                }
            }
            Err(e)
        }
    }
}

/// Returns the folders between `root` and `file` that do not exist yet,
/// outermost first.
fn missing_dirs(root: &Path, file: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = file
        .ancestors()
        .skip(1)
        .take_while(|d| d.starts_with(root) && *d != root)
        .filter(|d| d.symlink_metadata().is_err())
        .map(Path::to_path_buf)
        .collect();
    dirs.reverse();
    dirs
}

/// Checks the signing key against the member's `signing_keys`: required
/// for stages that demand signatures (an approval signed by another key
/// would not count), a warning otherwise.
fn check_key(
    ctx: &Context,
    check: &KeyCheck<'_>,
    info: &sign::SignatureInfo,
    signer: &SshSigner,
) -> Result<(), Error> {
    let listed = check
        .keys
        .iter()
        .filter_map(|k| sign::public_key_base64(k))
        .any(|k| k == info.key_base64);
    if listed {
        return Ok(());
    }
    let what = format!(
        "the signing key {} ({} {}) is not {} in cardinal.toml",
        signer.describe_key(),
        info.key_type,
        info.fingerprint(),
        if check.keys.is_empty() {
            format!("listed: `{}` has no signing_keys", check.member)
        } else {
            format!("one of `{}`'s signing_keys", check.member)
        }
    );
    if check.required {
        Err(Error::Usage(format!(
            "{what}, so this stage would not count the approval; ask an admin to add \
             `{} {}` to your member entry; nothing was written",
            info.key_type, info.key_base64
        )))
    } else {
        ctx.out.status(format!("warning: {what}"));
        Ok(())
    }
}

/// What a command wrote, for the report.
struct Written<'a> {
    rel: &'a str,
    version: &'a str,
    stage: &'a StageDef,
    decision: Option<DecisionKind>,
    card_digest: Option<&'a str>,
    replaced: bool,
    commit: Option<&'a Committed>,
}

fn report(ctx: &Context, w: &Written<'_>) {
    if ctx.out.is_json() {
        ctx.out.json(&serde_json::json!({
            "path": w.rel,
            "version": w.version,
            "stage": w.stage.name.as_str(),
            "decision": w.decision.map(|d| match d {
                DecisionKind::Approve => "approve",
                DecisionKind::Reject => "reject",
            }),
            "card_digest": w.card_digest,
            "replaced": w.replaced,
            "commit": w.commit.map(|c| c.id.as_str()),
            "signed": w.commit.is_some_and(|c| c.signed.is_some()),
        }));
        return;
    }
    ctx.out.status(format!(
        "{} `{}`",
        if w.replaced { "replaced" } else { "wrote" },
        w.rel
    ));
    match w.commit {
        Some(c) => {
            let short = c.id.get(..10).unwrap_or(&c.id);
            match &c.signed {
                Some(info) => ctx.out.status(format!(
                    "committed {short}, signed with {} {}",
                    info.key_type,
                    info.fingerprint()
                )),
                None => ctx.out.status(format!("committed {short}")),
            }
        }
        None => ctx.out.status(format!(
            "commit it with `git add {0} && git commit`, or pass --commit",
            w.rel
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::StageName;

    #[test]
    fn rendered_files_round_trip_any_text() {
        let texts = [
            "plain",
            "",
            "two\nlines",
            "ends with newline\n",
            "quotes \" and \"\"\" and \\ backslash",
            "\"\"\"\n\"\"\"",
            "tab\tcr\r\nnul\u{0}del\u{7f} é 漢字 🎉",
            "trailing quote\n\"",
            "\n",
        ];
        for text in texts {
            let request = ReviewRequest {
                stage: StageName::new("Pre-Production \"EU\""),
                requested_by: "erin".parse().unwrap(),
                reviewers: vec!["bob".parse().unwrap(), "carol".parse().unwrap()],
                note: Some(text.to_owned()),
                created: Some(Timestamp::from_unix(1_714_557_600)),
            };
            let rendered = render_request(&request);
            let back: ReviewRequest =
                check_rendered(FileKind::Request, "r.toml", &rendered).unwrap();
            let expected = if text.contains('\n') && !text.ends_with('\n') {
                format!("{text}\n")
            } else {
                text.to_owned()
            };
            assert_eq!(back.note.as_deref(), Some(expected.as_str()), "{rendered}");
            assert_eq!(back.stage, request.stage);
            assert_eq!(back.reviewers, request.reviewers);

            let decision = ReviewDecision {
                reviewer: "bob".parse().unwrap(),
                stage: StageName::new("Production"),
                decision: DecisionKind::Reject,
                card_digest: format!("sha256:{}", "ab".repeat(32)),
                comment: Some(text.to_owned()),
                created: Some(Timestamp::from_unix(0)),
            };
            let rendered = render_decision(&decision);
            let back: ReviewDecision =
                check_rendered(FileKind::Decision, "bob.toml", &rendered).unwrap();
            assert_eq!(back.comment.as_deref(), Some(expected.as_str()));
            assert_eq!(back.decision, DecisionKind::Reject);
        }
    }

    #[test]
    fn layout_matches_the_examples() {
        let request = ReviewRequest {
            stage: StageName::new("Staging"),
            requested_by: "erin".parse().unwrap(),
            reviewers: vec!["dave".parse().unwrap()],
            note: Some("First churn model; shadow traffic for two weeks.\n".into()),
            created: Some("2024-03-05T10:00:00Z".parse().unwrap()),
        };
        assert_eq!(
            render_request(&request),
            "stage = \"Staging\"\nrequested_by = \"erin\"\nreviewers = [\"dave\"]\nnote = \"\"\"\nFirst churn model; shadow traffic for two weeks.\n\"\"\"\ncreated = 2024-03-05T10:00:00Z\n"
        );
    }

    #[test]
    fn commit_messages() {
        assert_eq!(commit_message("Approve x", ""), "Approve x\n");
        assert_eq!(commit_message("Approve x", " ok \n"), "Approve x\n\nok\n");
    }
}

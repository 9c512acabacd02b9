//! Why a request or a decision does not count, and why a stage is not
//! met: the vocabulary of `status`'s explanations (docs/governance.md).
//! Each prints as the sentence `status` shows.

use std::fmt;

use crate::model::time::Timestamp;

/// Why a review request does not count.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestProblem {
    /// Its last change was made by someone not allowed to request reviews.
    ForbiddenChange {
        /// That change's commit.
        commit: String,
    },
    /// Its `stage` names another stage than its folder's.
    WrongStage {
        /// The stage it names.
        asks: String,
        /// The stage of its folder.
        folder: String,
    },
    /// `requested_by` is not a member.
    NotMember(String),
    /// `requested_by` is not who committed it.
    NotCommittedByRequester {
        /// `requested_by`.
        named: String,
        /// The member who committed it.
        author: String,
    },
    /// The file does not load.
    DoesNotLoad(String),
    /// The file holds something else.
    NotARequest,
}

impl fmt::Display for RequestProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ForbiddenChange { commit } => write!(
                f,
                "changed by someone not allowed to request reviews (commit {})",
                short(commit)
            ),
            Self::WrongStage { asks, folder } => write!(
                f,
                "asks for stage `{asks}` but lies in the folder of `{folder}`"
            ),
            Self::NotMember(who) => write!(f, "`{who}` is not a member"),
            Self::NotCommittedByRequester { named, author } => write!(
                f,
                "names `{named}` as requester but was committed by `{author}`"
            ),
            Self::DoesNotLoad(why) => write!(f, "does not load: {why}"),
            Self::NotARequest => f.write_str("is not a review request"),
        }
    }
}

/// Why a decision does not count.
#[derive(Debug, Clone, PartialEq)]
pub enum DecisionProblem {
    /// `reviewer` is not the member the file is named after.
    WrongReviewer {
        /// `reviewer`.
        named: String,
        /// The file's member.
        file: String,
    },
    /// Its `stage` names another stage than its folder's.
    WrongStage {
        /// The stage it names.
        names: String,
        /// The stage of its folder.
        stage: String,
    },
    /// The in-repository inputs no longer match the lock.
    InputsChanged(Vec<String>),
    /// It approved other content: what changed since, in words.
    Stale(String),
    /// The version's card does not load.
    NoCard,
    /// The file does not load.
    DoesNotLoad(String),
    /// The file holds something else.
    NotADecision,
    /// Its last change was made by someone other than its member.
    ForbiddenChange {
        /// The file's member.
        member: String,
        /// That change's commit.
        commit: String,
    },
    /// Its member is not a member.
    NotMember(String),
    /// The stage requires a valid signature.
    Unsigned {
        /// The stage.
        stage: String,
        /// What the signature is.
        why: String,
    },
    /// It was committed before the request's last change.
    BeforeRequest {
        /// The request's last change.
        commit: String,
    },
    /// It was given before the version was superseded from the stage.
    BeforeSupersession {
        /// The version that superseded it.
        by: String,
        /// The stage.
        stage: String,
        /// The commit that superseded it.
        commit: String,
    },
    /// Its member is not among the requested reviewers.
    NotRequested(String),
    /// Its member requested the review.
    SelfApproval(String),
    /// It is dated after "now".
    Future(i64),
    /// It is older than the stage allows.
    Expired {
        /// Its age in days.
        days: i64,
        /// The stage.
        stage: String,
        /// `expires_after_days`.
        limit: u32,
    },
}

impl DecisionProblem {
    /// Returns true when the decision approved other content.
    pub fn is_stale(&self) -> bool {
        matches!(self, Self::InputsChanged(_) | Self::Stale(_))
    }

    /// Returns true when the decision is too old.
    pub fn is_expired(&self) -> bool {
        matches!(self, Self::Expired { .. })
    }
}

impl fmt::Display for DecisionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongReviewer { named, file } => {
                write!(f, "names reviewer `{named}` but is the file of `{file}`")
            }
            Self::WrongStage { names, stage } => {
                write!(f, "is for stage `{names}`, not `{stage}`")
            }
            Self::InputsChanged(inputs) => write!(
                f,
                "stale: lineage inputs changed since the lock: {}",
                inputs.join(", ")
            ),
            Self::Stale(what) => write!(f, "stale: {what}"),
            Self::NoCard => f.write_str("the version has no loadable card"),
            Self::DoesNotLoad(why) => write!(f, "does not load: {why}"),
            Self::NotADecision => f.write_str("is not a review decision"),
            Self::ForbiddenChange { member, commit } => write!(
                f,
                "added or changed by someone other than `{member}` (commit {})",
                short(commit)
            ),
            Self::NotMember(who) => write!(f, "`{who}` is not a member"),
            Self::Unsigned { stage, why } => {
                write!(f, "stage `{stage}` requires signed approvals: {why}")
            }
            Self::BeforeRequest { commit } => write!(
                f,
                "committed before the request's last change (commit {}): the review was asked again",
                short(commit)
            ),
            Self::BeforeSupersession { by, stage, commit } => write!(
                f,
                "given before {by} superseded this version in `{stage}` (commit {}): coming back needs a fresh approval",
                short(commit)
            ),
            Self::NotRequested(who) => {
                write!(f, "`{who}` is not among the requested reviewers")
            }
            Self::SelfApproval(who) => {
                write!(f, "self-approval: `{who}` requested this review")
            }
            Self::Future(time) => write!(
                f,
                "dated in the future ({}): it counts from that time on",
                Timestamp::from_unix(*time)
            ),
            Self::Expired { days, stage, limit } => write!(
                f,
                "expired: decided {days} days ago, stage `{stage}` decisions expire after {limit} days"
            ),
        }
    }
}

/// Why a stage is not met.
#[derive(Debug, Clone, PartialEq)]
pub enum Blocker {
    /// There is no request.
    NoRequest,
    /// The request does not count.
    Request(Vec<RequestProblem>),
    /// Standing rejections, by member.
    RejectedBy(Vec<String>),
    /// Requested reviewers without a valid decision.
    WaitingFor(Vec<String>),
    /// The in-repository inputs no longer match the lock.
    InputsChanged(Vec<String>),
    /// Too few valid approvals.
    TooFewApprovals {
        /// Valid approvals.
        have: usize,
        /// `min_approvals`.
        need: u32,
    },
    /// No valid approval by a member holding a required role.
    MissingRole(String),
    /// The version's card does not load.
    NoCard,
    /// A required card section is missing or empty.
    MissingSection(String),
    /// A metric gate fails.
    Gate(GateFailure),
    /// The stage it comes after is not held.
    After(String),
}

/// How a metric gate fails.
#[derive(Debug, Clone, PartialEq)]
pub enum GateFailure {
    /// The card reports no value of the metric.
    NoValue {
        /// The metric.
        metric: String,
    },
    /// A value is below `min`.
    Below {
        /// The metric.
        metric: String,
        /// The value.
        value: f64,
        /// `min`.
        min: f64,
    },
    /// A value is above `max`.
    Above {
        /// The metric.
        metric: String,
        /// The value.
        value: f64,
        /// `max`.
        max: f64,
    },
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoRequest => f.write_str("no review requested"),
            Self::Request(problems) => write!(
                f,
                "the request does not count: {}",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Self::RejectedBy(who) => write!(f, "rejected by {}", ticks(who)),
            Self::WaitingFor(who) => write!(f, "waiting for {}", ticks(who)),
            Self::InputsChanged(inputs) => {
                write!(f, "inputs changed since the lock: {}", inputs.join(", "))
            }
            Self::TooFewApprovals { have, need } => {
                write!(f, "{have} of {need} required approvals")
            }
            Self::MissingRole(role) => write!(f, "no valid approval by a `{role}` member"),
            Self::NoCard => f.write_str("the version has no loadable card"),
            Self::MissingSection(section) => {
                write!(f, "card section `{section}` is missing or empty")
            }
            Self::Gate(GateFailure::NoValue { metric }) => {
                write!(f, "gate: the card reports no `{metric}`")
            }
            Self::Gate(GateFailure::Below { metric, value, min }) => {
                write!(f, "gate: `{metric}` = {value} is below {min}")
            }
            Self::Gate(GateFailure::Above { metric, value, max }) => {
                write!(f, "gate: `{metric}` = {value} is above {max}")
            }
            Self::After(stage) => write!(f, "`{stage}` is not held: this stage comes after it"),
        }
    }
}

/// Returns names in backticks, comma-separated.
pub fn ticks<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Returns the first 8 characters of a commit id.
pub fn short(commit: &str) -> &str {
    commit.get(..8).unwrap_or(commit)
}

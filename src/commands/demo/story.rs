//! The scripted history of the demo repository: which member commits which
//! files of the embedded example (`examples/acme/`), when, and why. Values
//! only; `commands::demo` plays it into a real Git repository.

/// What one commit changes.
#[derive(Debug, Clone, Copy)]
pub enum Change {
    /// Every example file whose path starts with this prefix, as shipped.
    Add(&'static str),
    /// One example file with the first `from` replaced by `to`: an earlier
    /// state of the file that a later step replaces with the shipped one.
    Variant {
        /// The example file.
        file: &'static str,
        /// Text of the shipped file.
        from: &'static str,
        /// Text of the earlier state.
        to: &'static str,
    },
    /// A scheduled monitoring run: drift of a sample against the card's
    /// baseline and quality on it, stored under the version's
    /// `monitoring/` as `cardinal drift --write` and `cardinal quality
    /// --write` store them, dated at the step.
    Monitor {
        /// The version (`project/model@version`).
        version: &'static str,
        /// The sample, repository-relative.
        current: &'static str,
    },
}

/// One commit of the scripted history.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// UTC date-time of the commit.
    pub date: &'static str,
    /// The member id of the author.
    pub who: &'static str,
    /// The commit message.
    pub message: &'static str,
    /// What it changes.
    pub changes: &'static [Change],
    /// A tag to put on the commit.
    pub tag: Option<&'static str>,
}

use Change::{Add, Monitor, Variant};

/// The day the tour looks at the repository: shortly after its last
/// commit. Approvals expire (`expires_after_days`), so a later "now"
/// shows a different, equally correct, picture.
pub const TODAY: &str = "2024-10-15T12:00:00Z";

/// The demo's history, oldest first. Every review decision is committed by
/// its reviewer, with the card digest of the card as it stands then.
pub const HISTORY: &[Step] = &[
    Step {
        date: "2024-01-02T09:00:00Z",
        who: "alice",
        message: "Set up Acme Bank's model governance",
        changes: &[Add("cardinal.toml")],
        tag: None,
    },
    Step {
        date: "2024-01-03T09:00:00Z",
        who: "alice",
        message: "Create the credit and marketing projects",
        changes: &[
            Add("projects/credit/project.toml"),
            Variant {
                file: "projects/marketing/project.toml",
                from: "\n# This project replaces",
                to: "\n# (stages to come)\n# This project replaces",
            },
        ],
        tag: None,
    },
    Step {
        date: "2024-01-04T09:00:00Z",
        who: "carol",
        message: "Marketing: use our own stage ladder (Staging-2, Pre-Production-2, Production-2)",
        changes: &[Add("projects/marketing/project.toml")],
        tag: None,
    },
    Step {
        date: "2024-01-10T09:00:00Z",
        who: "erin",
        message: "Training pipeline, environment and credit datasets",
        changes: &[Add("train/"), Add("env/"), Add("data/credit/")],
        tag: Some("training-2024.05"),
    },
    Step {
        date: "2024-01-15T09:00:00Z",
        who: "frank",
        message: "default-risk 0.9.0: pilot model card",
        changes: &[
            Add("projects/credit/default-risk/model.toml"),
            Add("projects/credit/default-risk/0.9.0/card.toml"),
        ],
        tag: None,
    },
    Step {
        date: "2024-02-12T09:00:00Z",
        who: "frank",
        message: "propensity 1.0.0: campaign targeting baseline",
        changes: &[
            Add("data/marketing/"),
            Add("projects/marketing/propensity/model.toml"),
            Add("projects/marketing/propensity/1.0.0/card.toml"),
        ],
        tag: None,
    },
    Step {
        date: "2024-02-13T10:00:00Z",
        who: "frank",
        message: "Request Staging-2 review of propensity 1.0.0",
        changes: &[Add(
            "projects/marketing/propensity/1.0.0/reviews/staging-2/request.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-02-14T10:00:00Z",
        who: "dave",
        message: "Approve propensity 1.0.0 for Staging-2",
        changes: &[Add(
            "projects/marketing/propensity/1.0.0/reviews/staging-2/dave.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-02-26T10:00:00Z",
        who: "frank",
        message: "Request Pre-Production-2 review of propensity 1.0.0",
        changes: &[Add(
            "projects/marketing/propensity/1.0.0/reviews/pre-production-2/request.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-02-27T10:00:00Z",
        who: "carol",
        message: "Approve propensity 1.0.0 for Pre-Production-2",
        changes: &[Add(
            "projects/marketing/propensity/1.0.0/reviews/pre-production-2/carol.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-03-04T09:00:00Z",
        who: "erin",
        message: "churn 1.0.0: first gradient-boosted churn model",
        changes: &[
            Add("projects/credit/churn/model.toml"),
            Add("projects/credit/churn/1.0.0/card.toml"),
        ],
        tag: None,
    },
    Step {
        date: "2024-03-05T10:00:00Z",
        who: "erin",
        message: "Request Staging review of churn 1.0.0",
        changes: &[Add(
            "projects/credit/churn/1.0.0/reviews/staging/request.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-03-06T11:00:00Z",
        who: "dave",
        message: "Approve churn 1.0.0 for Staging",
        changes: &[Add("projects/credit/churn/1.0.0/reviews/staging/dave.toml")],
        tag: None,
    },
    Step {
        date: "2024-03-20T10:00:00Z",
        who: "erin",
        message: "Request Production review of churn 1.0.0",
        changes: &[Add(
            "projects/credit/churn/1.0.0/reviews/production/request.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-03-21T09:30:00Z",
        who: "bob",
        message: "Risk approval: churn 1.0.0 for Production",
        changes: &[Add(
            "projects/credit/churn/1.0.0/reviews/production/bob.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-03-22T14:00:00Z",
        who: "carol",
        message: "Approve churn 1.0.0 for Production",
        changes: &[Add(
            "projects/credit/churn/1.0.0/reviews/production/carol.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-04-22T09:00:00Z",
        who: "frank",
        message: "default-risk 1.0.0: national rollout candidate",
        changes: &[Variant {
            file: "projects/credit/default-risk/1.0.0/card.toml",
            from: "value = 0.79\n",
            to: "value = 0.78\n",
        }],
        tag: None,
    },
    Step {
        date: "2024-04-23T10:00:00Z",
        who: "frank",
        message: "Request Staging review of default-risk 1.0.0",
        changes: &[Add(
            "projects/credit/default-risk/1.0.0/reviews/staging/request.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-04-24T10:00:00Z",
        who: "dave",
        message: "Approve default-risk 1.0.0 for Staging",
        changes: &[Add(
            "projects/credit/default-risk/1.0.0/reviews/staging/dave.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-05-13T09:00:00Z",
        who: "erin",
        message: "churn 1.1.0: support-call intensity, recalibrated",
        changes: &[Add("projects/credit/churn/1.1.0/card.toml")],
        tag: None,
    },
    Step {
        date: "2024-05-14T10:00:00Z",
        who: "erin",
        message: "Request Staging review of churn 1.1.0",
        changes: &[Add(
            "projects/credit/churn/1.1.0/reviews/staging/request.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-05-15T10:00:00Z",
        who: "dave",
        message: "Approve churn 1.1.0 for Staging",
        changes: &[Add("projects/credit/churn/1.1.0/reviews/staging/dave.toml")],
        tag: None,
    },
    Step {
        date: "2024-05-20T10:00:00Z",
        who: "frank",
        message: "Request Production review of default-risk 1.0.0",
        changes: &[Add(
            "projects/credit/default-risk/1.0.0/reviews/production/request.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-05-21T10:00:00Z",
        who: "bob",
        message: "Risk approval: default-risk 1.0.0 for Production",
        changes: &[Add(
            "projects/credit/default-risk/1.0.0/reviews/production/bob.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-05-23T09:00:00Z",
        who: "frank",
        message: "default-risk 1.0.0: recompute holdout AUC (makes earlier approvals stale)",
        changes: &[Add("projects/credit/default-risk/1.0.0/card.toml")],
        tag: None,
    },
    // A forgery for the tour: frank writes carol's approval himself. It
    // never counts, and `cardinal audit` names the commit.
    Step {
        date: "2024-05-24T18:00:00Z",
        who: "frank",
        message: "Approve default-risk 1.0.0 for Production (as carol)",
        changes: &[Add(
            "projects/credit/default-risk/1.0.0/reviews/production/carol.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-05-27T10:00:00Z",
        who: "erin",
        message: "Request Production review of churn 1.1.0",
        changes: &[Add(
            "projects/credit/churn/1.1.0/reviews/production/request.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-05-28T09:00:00Z",
        who: "bob",
        message: "Risk approval: churn 1.1.0 for Production",
        changes: &[Add(
            "projects/credit/churn/1.1.0/reviews/production/bob.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-05-28T16:00:00Z",
        who: "alice",
        message: "Approve churn 1.1.0 for Production (supersedes 1.0.0)",
        changes: &[Add(
            "projects/credit/churn/1.1.0/reviews/production/alice.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-06-03T09:00:00Z",
        who: "frank",
        message: "propensity 1.1.0: gradient boosting, basket value",
        changes: &[Add("projects/marketing/propensity/1.1.0/card.toml")],
        tag: None,
    },
    Step {
        date: "2024-06-04T10:00:00Z",
        who: "frank",
        message: "Request Staging-2 review of propensity 1.1.0",
        changes: &[Add(
            "projects/marketing/propensity/1.1.0/reviews/staging-2/request.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-08-19T09:00:00Z",
        who: "frank",
        message: "default-risk 1.1.0: employment history, wider DTI range",
        changes: &[Add("projects/credit/default-risk/1.1.0/card.toml")],
        tag: None,
    },
    Step {
        date: "2024-08-20T10:00:00Z",
        who: "frank",
        message: "Request Staging review of default-risk 1.1.0",
        changes: &[Add(
            "projects/credit/default-risk/1.1.0/reviews/staging/request.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-08-21T10:00:00Z",
        who: "dave",
        message: "Reject default-risk 1.1.0 for Staging",
        changes: &[Add(
            "projects/credit/default-risk/1.1.0/reviews/staging/dave.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-09-02T09:00:00Z",
        who: "erin",
        message: "churn 2.0.0: product-usage features",
        changes: &[Add("projects/credit/churn/2.0.0/card.toml")],
        tag: None,
    },
    Step {
        date: "2024-09-03T10:00:00Z",
        who: "erin",
        message: "Request Staging review of churn 2.0.0",
        changes: &[Add(
            "projects/credit/churn/2.0.0/reviews/staging/request.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-09-04T10:00:00Z",
        who: "dave",
        message: "Approve churn 2.0.0 for Staging",
        changes: &[Add("projects/credit/churn/2.0.0/reviews/staging/dave.toml")],
        tag: None,
    },
    Step {
        date: "2024-09-04T15:00:00Z",
        who: "carol",
        message: "Reject churn 2.0.0 for Staging: missing under-25 fairness cohort",
        changes: &[Add(
            "projects/credit/churn/2.0.0/reviews/staging/carol.toml",
        )],
        tag: None,
    },
    Step {
        date: "2024-09-16T06:00:00Z",
        who: "monitor-bot",
        message: "Monitoring: churn 1.1.0 on the September holdout",
        changes: &[Monitor {
            version: "credit/churn@1.1.0",
            current: "data/credit/churn-holdout.csv",
        }],
        tag: None,
    },
    Step {
        date: "2024-10-07T09:00:00Z",
        who: "frank",
        message: "propensity 2.0.0-rc.1: channel embeddings",
        changes: &[Add("projects/marketing/propensity/2.0.0-rc.1/card.toml")],
        tag: None,
    },
    Step {
        date: "2024-10-14T06:00:00Z",
        who: "monitor-bot",
        message: "Monitoring: the October production samples",
        changes: &[
            Monitor {
                version: "credit/churn@1.1.0",
                current: "data/credit/churn-current.csv",
            },
            Monitor {
                version: "marketing/propensity@1.0.0",
                current: "data/marketing/propensity-current.csv",
            },
        ],
        tag: None,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_in_time_order() {
        for pair in HISTORY.windows(2) {
            assert!(
                pair[0].date <= pair[1].date,
                "{} before {}",
                pair[0].date,
                pair[1].date
            );
        }
    }
}

//! The texts of `request.toml` and `<member>.toml`, laid out as the
//! examples are, and a check that they load before anything is written.
//! No I/O.

use crate::document::Document;
use crate::error::Error;
use crate::model::files::{DecisionKind, ReviewDecision, ReviewRequest};
use crate::model::toml::{basic_string, text};
use crate::schema::FileKind;

/// Returns the text of `request.toml`, laid out as the examples are.
pub(super) fn render_request(r: &ReviewRequest) -> String {
    let reviewers: Vec<String> = r
        .reviewers
        .iter()
        .map(|id| basic_string(id.as_str()))
        .collect();
    let mut out = format!(
        "stage = {}\nrequested_by = {}\nreviewers = [{}]\n",
        basic_string(r.stage.as_str()),
        basic_string(r.requested_by.as_str()),
        reviewers.join(", ")
    );
    if let Some(note) = &r.note {
        out.push_str(&format!("note = {}\n", text(note)));
    }
    if let Some(created) = &r.created {
        out.push_str(&format!("created = {created}\n"));
    }
    out
}

/// Returns the text of `<member>.toml`, laid out as the examples are.
pub(super) fn render_decision(d: &ReviewDecision) -> String {
    let mut out = format!(
        "reviewer = {}\nstage = {}\ndecision = {}\ncard_digest = {}\n",
        basic_string(d.reviewer.as_str()),
        basic_string(d.stage.as_str()),
        basic_string(match d.decision {
            DecisionKind::Approve => "approve",
            DecisionKind::Reject => "reject",
        }),
        basic_string(&d.card_digest)
    );
    if let Some(comment) = &d.comment {
        out.push_str(&format!("comment = {}\n", text(comment)));
    }
    if let Some(created) = &d.created {
        out.push_str(&format!("created = {created}\n"));
    }
    out
}

/// Checks that a rendered file parses, passes its schema and deserializes,
/// so the command never writes a file `validate` would reject.
pub(super) fn check_rendered<T: serde::de::DeserializeOwned>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::StageName;
    use crate::model::time::Timestamp;

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
}

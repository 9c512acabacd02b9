//! Findings as data: [`Diagnostic`], its stable [`Code`], [`Severity`] and
//! source [`Label`]s, and the [`SourceMap`] that turns byte offsets into
//! 1-based lines and columns. No I/O: rendering happens in `output`.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident => $text:literal,)*) => {
        /// A stable finding code, printed kebab-case and documented in docs/cli.md.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// Returns the kebab-case name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }
        }
    };
}

codes! {
    /// The file is not valid TOML.
    TomlSyntax => "toml-syntax",
    /// The file is not UTF-8.
    InvalidUtf8 => "invalid-utf8",
    /// A governed path is not a regular file, or could not be read.
    UnreadableFile => "unreadable-file",
    /// A key the file kind does not define (often a typo).
    UnknownKey => "unknown-key",
    /// A required key is absent.
    MissingKey => "missing-key",
    /// A value has the wrong TOML type.
    WrongType => "wrong-type",
    /// A value has the right type but is out of range or malformed.
    InvalidValue => "invalid-value",
    /// A folder name disagrees with the name inside the file.
    NameMismatch => "name-mismatch",
    /// A folder lacks the file that defines it.
    MissingFile => "missing-file",
    /// A file in the governed tree that no rule expects.
    UnexpectedFile => "unexpected-file",
    /// A member id that `cardinal.toml` does not declare.
    UnknownMember => "unknown-member",
    /// A version reference whose project, model or version does not exist.
    UnknownVersion => "unknown-version",
    /// A stage name not declared for the project.
    UnknownStage => "unknown-stage",
    /// A role no member holds.
    UnheldRole => "unheld-role",
    /// Two members share an id.
    DuplicateMember => "duplicate-member",
    /// Two members share an email.
    DuplicateEmail => "duplicate-email",
    /// Two stages share a name or slug.
    DuplicateStage => "duplicate-stage",
    /// Two lineage datasets share a name.
    DuplicateDataset => "duplicate-dataset",
    /// A stage's `after` is not an earlier stage.
    StageOrder => "stage-order",
    /// A lineage path leaves the repository.
    PathEscape => "path-escape",
    /// A stage gate names a metric the card does not have.
    GateMetricMissing => "gate-metric-missing",
    /// A required card section is absent or empty.
    MissingSection => "missing-section",
    /// A review file disagrees with its folder or request.
    ReviewMismatch => "review-mismatch",
    /// `[monitoring] baseline` names no lineage dataset.
    UnknownDataset => "unknown-dataset",
    /// `lineage.lock` no longer lists the card's declared inputs.
    StaleLineageLock => "stale-lineage-lock",
    /// A commit changed a governed file its author may not change (section 3).
    UnauthorizedChange => "unauthorized-change",
    /// A commit touching a governed file has an author no member's email matches.
    UnknownAuthor => "unknown-author",
    /// A legitimate change to `cardinal.toml` or a `project.toml` that does not load, so it does not take effect.
    IgnoredChange => "ignored-change",
    /// `audit_from` or a waiver names a commit by anything but its full 40-hex id.
    InvalidCommitId => "invalid-commit-id",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown finding code `{text}`")))
    }
}

/// How bad a finding is; only errors make a command exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the command.
    Error,
    /// Reported, does not fail.
    Warning,
}

/// A place in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Repository-relative path with `/`.
    pub file: String,
    /// Byte range in the file; empty for a whole-file label.
    pub span: Range<usize>,
    /// What is at that place; empty for the primary label.
    pub message: String,
}

/// One finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// Lower case, no trailing period, user values in backticks.
    pub message: String,
    /// The first label is the primary place.
    pub labels: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
    /// The commit the finding is about, for history findings.
    pub commit: Option<String>,
}

impl Diagnostic {
    /// Returns an error finding without a place yet.
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            commit: None,
        }
    }

    /// Returns a warning finding without a place yet.
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, message)
        }
    }

    /// Returns the finding with its primary place.
    pub fn at(mut self, file: impl Into<String>, span: Range<usize>) -> Self {
        self.labels.insert(
            0,
            Label {
                file: file.into(),
                span,
                message: String::new(),
            },
        );
        self
    }

    /// Returns the finding with a secondary place.
    pub fn also(
        mut self,
        file: impl Into<String>,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        self.labels.push(Label {
            file: file.into(),
            span,
            message: message.into(),
        });
        self
    }

    /// Returns the finding with a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Returns the finding tied to a commit.
    pub fn in_commit(mut self, commit: impl Into<String>) -> Self {
        self.commit = Some(commit.into());
        self
    }

    /// Returns the primary label, if any.
    pub fn primary(&self) -> Option<&Label> {
        self.labels.first()
    }

    /// Returns true for error severity.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts findings by (file, offset, code) so output is deterministic.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        let key = |d: &Diagnostic| {
            d.primary()
                .map(|l| (l.file.clone(), l.span.start))
                .unwrap_or_default()
        };
        key(a)
            .cmp(&key(b))
            .then(a.code.cmp(&b.code))
            .then_with(|| a.message.cmp(&b.message))
    });
}

/// Source texts by repository-relative path, for positions and excerpts.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: BTreeMap<String, Arc<str>>,
}

impl SourceMap {
    /// Records a file's text.
    pub fn insert(&mut self, path: impl Into<String>, text: Arc<str>) {
        self.files.insert(path.into(), text);
    }

    /// Returns a file's text.
    pub fn get(&self, path: &str) -> Option<&Arc<str>> {
        self.files.get(path)
    }

    /// Returns every recorded file.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Arc<str>)> {
        self.files.iter()
    }

    /// Returns the 1-based line and column (in characters) of a byte offset,
    /// or `None` when the file is unknown.
    pub fn line_col(&self, path: &str, offset: usize) -> Option<(usize, usize)> {
        self.get(path).map(|text| line_col(text, offset))
    }
}

/// Returns the 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 9), (2, 3));
        assert_eq!(line_col(text, 999), (3, 1));
    }

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
            );
            assert!(seen.insert(s), "duplicate code {s}");
        }
    }
}

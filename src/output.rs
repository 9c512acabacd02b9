//! Everything printed: results on stdout (human text or the one JSON object
//! per command of SPEC section 7), diagnostics and progress on stderr. The
//! only module allowed to print. Wire structs for `--format json` live here,
//! apart from domain types, so refactors cannot silently change the JSON.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};
use serde::Serialize;

use crate::diag::{Diagnostic, Severity, SourceMap};

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Text for people.
    Human,
    /// One JSON object on stdout.
    Json,
    /// GitHub Actions workflow annotations.
    Github,
    /// A Markdown report (for pull-request comments).
    Markdown,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Color when stderr is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always color.
    Always,
    /// Never color.
    Never,
}

/// The printer every command writes through.
#[derive(Debug, Clone)]
pub struct Output {
    /// The chosen format.
    pub format: Format,
    color: bool,
    quiet: bool,
}

/// One finding as `--format json` writes it.
#[derive(Debug, Serialize)]
pub struct JsonFinding {
    /// `error` or `warning`.
    pub severity: Severity,
    /// The stable code.
    pub code: String,
    /// The message.
    pub message: String,
    /// Repository-relative path, or null.
    pub file: Option<String>,
    /// 1-based line, or null.
    pub line: Option<usize>,
    /// 1-based column, or null.
    pub column: Option<usize>,
    /// The commit, for history findings.
    pub commit: Option<String>,
    /// How to fix it, or null.
    pub help: Option<String>,
}

/// `{"ok": bool, "findings": [...]}`.
#[derive(Debug, Serialize)]
pub struct JsonFindings {
    /// True when no finding is an error.
    pub ok: bool,
    /// Every finding, sorted by file and position.
    pub findings: Vec<JsonFinding>,
}

/// Returns the wire form of findings.
pub fn json_findings(sources: &SourceMap, diags: &[Diagnostic]) -> JsonFindings {
    let findings = diags
        .iter()
        .map(|d| {
            let label = d.primary();
            let pos = label.and_then(|l| {
                if is_whole_file(d) {
                    None
                } else {
                    sources.line_col(&l.file, l.span.start)
                }
            });
            JsonFinding {
                severity: d.severity,
                code: d.code.as_str().to_owned(),
                message: d.message.clone(),
                file: label.map(|l| l.file.clone()),
                line: pos.map(|p| p.0),
                column: pos.map(|p| p.1),
                commit: d.commit.clone(),
                help: d.help.clone(),
            }
        })
        .collect();
    JsonFindings {
        ok: !diags.iter().any(Diagnostic::is_error),
        findings,
    }
}

impl Output {
    /// Returns a printer for the global flags.
    pub fn new(format: Format, color: ColorChoice, quiet: bool) -> Self {
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        Self {
            format,
            color,
            quiet,
        }
    }

    /// Returns true for `--format json`.
    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// Returns true when stderr is a terminal (progress bars, prompts).
    pub fn stderr_is_terminal(&self) -> bool {
        std::io::stderr().is_terminal()
    }

    /// Prints a value as the command's one JSON object.
    pub fn json<T: Serialize>(&self, value: &T) {
        let text = serde_json::to_string_pretty(value)
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
        let mut out = std::io::stdout().lock();
        // A closed pipe (`| head`) is not an error worth reporting.
        let _ = writeln!(out, "{text}");
    }

    /// Prints a line of human results on stdout (not in JSON mode).
    pub fn line(&self, text: impl AsRef<str>) {
        if !self.is_json() {
            let _ = writeln!(std::io::stdout().lock(), "{}", text.as_ref());
        }
    }

    /// Prints a status line on stderr unless `-q`.
    pub fn status(&self, text: impl AsRef<str>) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "{}", text.as_ref());
        }
    }

    /// Prints an operational error on stderr.
    pub fn error(&self, text: impl AsRef<str>) {
        let mut err = std::io::stderr().lock();
        if self.color {
            let _ = write!(err, "\x1b[1;31merror\x1b[0m: ");
        } else {
            let _ = write!(err, "error: ");
        }
        let _ = writeln!(err, "{}", text.as_ref());
    }

    /// Reports findings in the chosen format. `what` names what was checked
    /// for the human summary line ("12 files").
    pub fn findings(&self, sources: &SourceMap, diags: &[Diagnostic], what: &str) {
        match self.format {
            Format::Json => self.json(&json_findings(sources, diags)),
            Format::Github => {
                let wire = json_findings(sources, diags);
                let mut out = std::io::stdout().lock();
                for f in &wire.findings {
                    let level = if f.severity == Severity::Error {
                        "error"
                    } else {
                        "warning"
                    };
                    let mut props = Vec::new();
                    if let Some(file) = &f.file {
                        props.push(format!("file={}", escape_property(file)));
                    }
                    if let Some(line) = f.line {
                        props.push(format!("line={line}"));
                    }
                    if let Some(col) = f.column {
                        props.push(format!("col={col}"));
                    }
                    props.push(format!("title={}", escape_property(&f.code)));
                    let _ = writeln!(
                        out,
                        "::{level} {}::{}",
                        props.join(","),
                        escape_data(&f.message)
                    );
                }
            }
            Format::Markdown => {
                let wire = json_findings(sources, diags);
                let mut out = std::io::stdout().lock();
                if wire.findings.is_empty() {
                    let _ = writeln!(out, "No findings in {what}.");
                } else {
                    let _ = writeln!(
                        out,
                        "| severity | code | where | message |\n|---|---|---|---|"
                    );
                    for f in &wire.findings {
                        let place = match (&f.file, f.line, f.column) {
                            (Some(file), Some(l), Some(c)) => format!("`{file}:{l}:{c}`"),
                            (Some(file), _, _) => format!("`{file}`"),
                            _ => String::new(),
                        };
                        let _ = writeln!(
                            out,
                            "| {} | `{}` | {place} | {} |",
                            if f.severity == Severity::Error {
                                "error"
                            } else {
                                "warning"
                            },
                            f.code,
                            f.message.replace('|', "\\|")
                        );
                    }
                }
            }
            Format::Human => {
                self.human_findings(sources, diags);
                let errors = diags.iter().filter(|d| d.is_error()).count();
                let warnings = diags.len() - errors;
                if !self.quiet || errors > 0 {
                    let summary = match (errors, warnings) {
                        (0, 0) => format!("ok: {what}, no findings"),
                        (0, w) => format!("ok: {what}, {w} warning{}", plural(w)),
                        (e, w) => {
                            format!("{e} error{}, {w} warning{} in {what}", plural(e), plural(w))
                        }
                    };
                    let _ = writeln!(std::io::stderr().lock(), "{summary}");
                }
            }
        }
    }

    fn human_findings(&self, sources: &SourceMap, diags: &[Diagnostic]) {
        let mut files = SimpleFiles::new();
        let mut ids = std::collections::BTreeMap::new();
        for d in diags {
            for l in &d.labels {
                if let Some(text) = sources.get(&l.file)
                    && !ids.contains_key(&l.file)
                {
                    ids.insert(l.file.clone(), files.add(l.file.clone(), text.clone()));
                }
            }
        }
        let choice = if self.color {
            termcolor::ColorChoice::Always
        } else {
            termcolor::ColorChoice::Never
        };
        let stream = termcolor::StandardStream::stderr(choice);
        let mut lock = stream.lock();
        let config = term::Config::default();
        for d in diags {
            if self.quiet && !d.is_error() {
                continue;
            }
            let mut out = match d.severity {
                Severity::Error => cs::Diagnostic::error(),
                Severity::Warning => cs::Diagnostic::warning(),
            }
            .with_code(d.code.as_str())
            .with_message(&d.message);
            let mut notes = Vec::new();
            for (i, l) in d.labels.iter().enumerate() {
                match ids.get(&l.file) {
                    Some(id) if !(i == 0 && is_whole_file(d)) => {
                        let label = if i == 0 {
                            cs::Label::primary(*id, l.span.clone())
                        } else {
                            cs::Label::secondary(*id, l.span.clone())
                        };
                        out = out.with_label(label.with_message(&l.message));
                    }
                    _ => notes.push(if l.message.is_empty() {
                        format!("in {}", l.file)
                    } else {
                        format!("{}: {}", l.file, l.message)
                    }),
                }
            }
            if let Some(commit) = &d.commit {
                notes.push(format!("commit {commit}"));
            }
            if let Some(help) = &d.help {
                notes.push(format!("help: {help}"));
            }
            out = out.with_notes(notes);
            let _ = term::emit_to_write_style(&mut lock, &config, &files, &out);
        }
    }
}

/// Findings about a whole file (missing, unreadable, unexpected) have no
/// position and read better without an excerpt.
fn is_whole_file(d: &Diagnostic) -> bool {
    matches!(
        d.code,
        crate::diag::Code::MissingFile
            | crate::diag::Code::UnreadableFile
            | crate::diag::Code::UnexpectedFile
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Escapes a workflow-command message (`%`, CR, LF).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

impl Output {
    /// Prints text on stdout exactly as given (whatever the format).
    pub fn raw(&self, text: &str) {
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }
}

impl Output {
    /// Shows a transient progress line on stderr, only on a terminal and
    /// not with `-q`.
    pub fn progress(&self, text: &str) {
        if !self.quiet && std::io::stderr().is_terminal() {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K{text}");
        }
    }

    /// Clears the progress line.
    pub fn progress_done(&self) {
        if !self.quiet && std::io::stderr().is_terminal() {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}

/// `cardinal status --format json` (SPEC section 7).
#[derive(Debug, Serialize)]
pub struct JsonStatus {
    /// The commit the status is computed at.
    pub commit: String,
    /// "Now" used for expiry, RFC 3339.
    pub now: String,
    /// One entry per version.
    pub versions: Vec<JsonVersionStatus>,
}

/// One version in `status`.
#[derive(Debug, Serialize)]
pub struct JsonVersionStatus {
    /// Project id.
    pub project: String,
    /// Model id.
    pub model: String,
    /// Version.
    pub version: String,
    /// The current stage, or null.
    pub stage: Option<String>,
    /// The commit at which the current stage was reached, or null.
    pub since: Option<String>,
    /// That commit's time, RFC 3339, or null.
    pub since_time: Option<String>,
    /// Every stage held now (the current one and those passed on the way).
    pub holds: Vec<String>,
    /// The card digest, or null when the card does not load.
    pub card_digest: Option<String>,
    /// Reviews: every stage with a request or a decision.
    pub reviews: Vec<JsonReview>,
}

/// One review in `status`.
#[derive(Debug, Serialize)]
pub struct JsonReview {
    /// The stage's display name.
    pub stage: String,
    /// `pending`, `approved` or `rejected`.
    pub state: &'static str,
    /// True when the version holds this stage now.
    pub reached: bool,
    /// True when a newer version of the model took this (exclusive) stage.
    pub superseded: bool,
    /// The requester, or null without a request.
    pub requested_by: Option<String>,
    /// The requested reviewers.
    pub reviewers: Vec<String>,
    /// Requested reviewers without a valid approval.
    pub pending: Vec<String>,
    /// Why the stage is not (or no longer) met.
    pub blockers: Vec<String>,
    /// Why the request does not count.
    pub request_problems: Vec<String>,
    /// Every decision file.
    pub approvals: Vec<JsonApproval>,
}

/// One decision in `status`.
#[derive(Debug, Serialize)]
pub struct JsonApproval {
    /// The member.
    pub reviewer: String,
    /// `approve`, `reject`, or null when the file does not load.
    pub decision: Option<&'static str>,
    /// True when it counts.
    pub valid: bool,
    /// The last commit that added or changed it.
    pub commit: String,
    /// Why it does not count.
    pub problems: Vec<String>,
}

/// `cardinal log --format json`.
#[derive(Debug, Serialize)]
pub struct JsonLog {
    /// Entries, newest first.
    pub events: Vec<JsonEvent>,
}

/// One activity-log entry.
#[derive(Debug, Serialize)]
pub struct JsonEvent {
    /// RFC 3339.
    pub time: String,
    /// The commit, or null (e.g. approvals expiring with time).
    pub commit: Option<String>,
    /// Member id, else `name <email>`; null for derived events.
    pub author: Option<String>,
    /// `review_requested`, `approved`, `rejected`, `request_withdrawn`,
    /// `decision_withdrawn`, `stage_reached`, `stage_left`,
    /// `stages_redefined`, `members_changed`.
    pub kind: String,
    /// `project/model@version`, or null.
    pub version: Option<String>,
    /// The stage, or null.
    pub stage: Option<String>,
    /// Details in words.
    pub detail: String,
}

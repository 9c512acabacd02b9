//! Everything printed: results on stdout (human text or one JSON object per
//! command), diagnostics and progress on stderr. The only module allowed to
//! print. Wire structs for `--format json` live in [`wire`], apart from
//! domain types, so refactors cannot silently change the JSON.
//!
//! User content (anything read from governed files, file names, Git
//! authors and messages) is escaped for the format it goes to, here and
//! only here: [`escape_human`] for terminals (the diagnostics rendered by
//! codespan-reporting get escaped excerpts, names and messages),
//! [`escape_data`] and [`escape_property`] for GitHub workflow commands,
//! [`escape_markdown`] for Markdown; JSON is escaped by serde. Our own
//! styling is added around the escaped text, never escaped.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod drift;
mod escape;
mod excerpt;
mod history;
mod lineage;
mod report;
pub mod wire;
mod written;

pub use drift::num;
pub use escape::{escape_data, escape_human, escape_markdown, escape_property, markdown_code};
use excerpt::Excerpts;
pub use report::Report;
pub use wire::*;

use std::io::{IsTerminal, Write};
use std::sync::{Arc, OnceLock};

use codespan_reporting::diagnostic as cs;
use codespan_reporting::term::{self, termcolor};
use serde::Serialize;

use crate::diag::{Diagnostic, Severity, SourceMap};
use crate::error::Error;

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
    /// A GitLab Code Quality report (CodeClimate issues), for findings.
    Gitlab,
}

impl Format {
    /// Returns the name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Github => "github",
            Format::Markdown => "markdown",
            Format::Gitlab => "gitlab",
        }
    }
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
    /// The first failed write to stdout; later writes are skipped.
    stdout_failed: Arc<OnceLock<std::io::Error>>,
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
            stdout_failed: Arc::default(),
        }
    }

    /// Writes to stdout, remembering the first failure.
    fn put(&self, write: impl FnOnce(&mut std::io::StdoutLock<'static>) -> std::io::Result<()>) {
        if self.stdout_failed.get().is_some() {
            return;
        }
        if let Err(e) = write(&mut std::io::stdout().lock()) {
            let _ = self.stdout_failed.set(e);
        }
    }

    /// Flushes stdout and fails when a write to it failed: a full disk or
    /// a closed file must not look like success. A closed pipe (`| head`)
    /// is not a failure: the reader has what it wanted.
    pub fn finish(&self) -> Result<(), Error> {
        self.put(|out| out.flush());
        match self.stdout_failed.get() {
            Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(Error::Output(e.to_string()))
            }
            _ => Ok(()),
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
        self.put(|out| writeln!(out, "{text}"));
    }

    /// Prints a line of results on stdout (not in JSON mode) as given: the
    /// caller escapes user content in it for the format ([`escape_human`],
    /// [`escape_markdown`], [`escape_data`]), since the line may hold
    /// Markdown or a workflow command of ours.
    pub fn line(&self, text: impl AsRef<str>) {
        if !self.is_json() {
            self.put(|out| writeln!(out, "{}", text.as_ref()));
        }
    }

    /// Prints a line of human text that carries user content on stdout,
    /// through [`escape_human`] (none of our own markup in it).
    pub fn text(&self, text: impl AsRef<str>) {
        self.line(escape_human(text.as_ref()));
    }

    /// Prints a status line on stderr unless `-q`, through
    /// [`escape_human`] (a status line is one line).
    pub fn status(&self, text: impl AsRef<str>) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "{}", escape_human(text.as_ref()));
        }
    }

    /// Prints an operational error on stderr; the message goes through
    /// [`escape_human`] (it often quotes a path or a value).
    pub fn error(&self, text: impl AsRef<str>) {
        let mut err = std::io::stderr().lock();
        if self.color {
            let _ = write!(err, "\x1b[1;31merror\x1b[0m: ");
        } else {
            let _ = write!(err, "error: ");
        }
        let _ = writeln!(err, "{}", escape_human(text.as_ref()));
    }

    /// Reports findings in the chosen format. `what` names what was checked
    /// for the human summary line ("12 files").
    pub fn findings(&self, sources: &SourceMap, diags: &[Diagnostic], what: &str) {
        self.print_findings(json_findings(sources, diags), sources, diags, what);
    }

    /// Reports findings of the history: their files change from commit to
    /// commit, so there is no one source map; `lines` gives each finding's
    /// line in its commit, where known.
    pub fn history_findings(&self, diags: &[Diagnostic], lines: &[Option<usize>], what: &str) {
        let sources = SourceMap::default();
        let mut wire = json_findings(&sources, diags);
        for (f, line) in wire.findings.iter_mut().zip(lines) {
            f.line = *line;
            f.column = line.map(|_| 1);
        }
        self.print_findings(wire, &sources, diags, what);
    }

    fn print_findings(
        &self,
        wire: JsonFindings,
        sources: &SourceMap,
        diags: &[Diagnostic],
        what: &str,
    ) {
        match self.format {
            Format::Json => self.json(&wire),
            Format::Gitlab => self.json(&code_quality(&wire)),
            Format::Github => {
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
                    self.put(|out| {
                        writeln!(
                            out,
                            "::{level} {}::{}",
                            props.join(","),
                            escape_data(&f.message)
                        )
                    });
                }
            }
            Format::Markdown => {
                if wire.findings.is_empty() {
                    self.put(|out| writeln!(out, "No findings in {what}."));
                } else {
                    self.put(|out| {
                        writeln!(
                            out,
                            "| severity | code | where | message |\n|---|---|---|---|"
                        )
                    });
                    for f in &wire.findings {
                        let place = match (&f.file, f.line, f.column) {
                            (Some(file), Some(l), Some(c)) => {
                                markdown_code(&format!("{file}:{l}:{c}"))
                            }
                            (Some(file), _, _) => markdown_code(file),
                            _ => String::new(),
                        };
                        let severity = if f.severity == Severity::Error {
                            "error"
                        } else {
                            "warning"
                        };
                        self.put(|out| {
                            writeln!(
                                out,
                                "| {severity} | `{}` | {place} | {} |",
                                f.code,
                                escape_markdown(&f.message)
                            )
                        });
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
        let mut files = Excerpts::default();
        let mut ids = std::collections::BTreeMap::new();
        for d in diags {
            for l in &d.labels {
                if let Some(text) = sources.get(&l.file)
                    && !ids.contains_key(&l.file)
                {
                    ids.insert(l.file.clone(), files.add(&l.file, text));
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
            .with_message(escape_human(&d.message));
            let mut notes = Vec::new();
            for (i, l) in d.labels.iter().enumerate() {
                match ids.get(&l.file) {
                    Some(&id) if !(i == 0 && is_whole_file(d)) => {
                        let span = files.span(id, &l.span);
                        let label = if i == 0 {
                            cs::Label::primary(id, span)
                        } else {
                            cs::Label::secondary(id, span)
                        };
                        out = out.with_label(label.with_message(escape_human(&l.message)));
                    }
                    _ => notes.push(if l.message.is_empty() {
                        format!("in {}", escape_human(&l.file))
                    } else {
                        format!("{}: {}", escape_human(&l.file), escape_human(&l.message))
                    }),
                }
            }
            if let Some(commit) = &d.commit {
                notes.push(format!("commit {}", escape_human(commit)));
            }
            if let Some(help) = &d.help {
                notes.push(format!("help: {}", escape_human(help)));
            }
            out = out.with_notes(notes);
            let _ = term::emit_to_write_style(&mut lock, &config, &files, &out);
        }
    }
}

/// Findings about a whole file (missing, unreadable, unexpected) have no
/// position and read better without an excerpt.
pub(crate) fn is_whole_file(d: &Diagnostic) -> bool {
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

impl Output {
    /// Prints text on stdout exactly as given (whatever the format).
    pub fn raw(&self, text: &str) {
        self.put(|out| out.write_all(text.as_bytes()));
    }
}

impl Output {
    /// Shows a transient progress line on stderr, only on a terminal and
    /// not with `-q`; the text goes through [`escape_human`].
    pub fn progress(&self, text: &str) {
        if !self.quiet && std::io::stderr().is_terminal() {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K{}", escape_human(text));
        }
    }

    /// Clears the progress line.
    pub fn progress_done(&self) {
        if !self.quiet && std::io::stderr().is_terminal() {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}

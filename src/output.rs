//! Everything printed: results on stdout (human text or one JSON object per
//! command), diagnostics and progress on stderr. The only module allowed to
//! print. Wire structs for `--format json` live here, apart from domain
//! types, so refactors cannot silently change the JSON.
//!
//! User content (anything read from governed files, file names, Git
//! authors and messages) is escaped for the format it goes to, here and
//! only here: [`escape_human`] for terminals (the diagnostics rendered by
//! codespan-reporting get escaped excerpts, names and messages),
//! [`escape_data`] and [`escape_property`] for GitHub workflow commands,
//! [`escape_markdown`] for Markdown; JSON is escaped by serde. Our own
//! styling is added around the escaped text, never escaped.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::borrow::Cow;
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
}

impl Format {
    /// Returns the name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Github => "github",
            Format::Markdown => "markdown",
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
        match self.format {
            Format::Json => self.json(&json_findings(sources, diags)),
            Format::Github => {
                let wire = json_findings(sources, diags);
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
                let wire = json_findings(sources, diags);
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

/// Returns true for a character that must never reach a terminal raw: C0
/// and C1 controls and DEL (escape sequences, carriage return, bell,
/// backspace…) and the Unicode bidirectional overrides and isolates, which
/// reorder the text around them.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Appends the visible form of a character: `\u{1b}` (Rust's notation,
/// lower-case hex without leading zeros).
fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write as _;
    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
}

/// Returns `s` with every character for which `escape(c, next)` holds in
/// the `\u{…}` notation; borrows when there is none.
fn escape_chars(s: &str, escape: impl Fn(char, Option<char>) -> bool) -> Cow<'_, str> {
    let mut chars = s.char_indices().peekable();
    let mut out: Option<String> = None;
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        if escape(c, next) {
            let out = out.get_or_insert_with(|| {
                let mut o = String::with_capacity(s.len() + 8);
                o.push_str(&s[..i]);
                o
            });
            push_escaped(out, c);
        } else if let Some(out) = &mut out {
            out.push(c);
        }
    }
    out.map_or(Cow::Borrowed(s), Cow::Owned)
}

/// Returns user-provided text made safe for a one-line field of human
/// output: control characters (including tab, CR and LF) and bidirectional
/// overrides are shown as `\u{1b}`, `\u{d}`, `\u{202e}`… so they can
/// neither drive the terminal nor start a forged line. Borrows when there is
/// nothing to escape. Backslashes are left as they are.
pub fn escape_human(s: &str) -> Cow<'_, str> {
    escape_chars(s, |c, _| is_unsafe(c))
}

/// Returns true for a character an excerpt of a multi-line source shows
/// escaped: as in [`escape_human`], but tabs, line feeds and the CR of a
/// CRLF line end are kept.
fn escape_in_source(c: char, next: Option<char>) -> bool {
    is_unsafe(c) && c != '\t' && c != '\n' && !(c == '\r' && next == Some('\n'))
}

/// Escapes the data (message) of a GitHub workflow command: `%` → `%25`,
/// CR → `%0D`, LF → `%0A`, as GitHub documents. Other control characters
/// and bidirectional overrides, which GitHub does not decode, are shown as
/// `\u{1b}` first, so a log viewer never replays them.
pub fn escape_data(s: &str) -> String {
    escape_chars(s, |c, _| is_unsafe(c) && c != '\r' && c != '\n')
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a GitHub workflow command (`file=`,
/// `title=`): as [`escape_data`], and also `:` → `%3A` and `,` → `%2C`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Returns user-provided text made safe for Markdown inline text, a table
/// cell included: `\`, `|`, `` ` ``, `[` and `]` get a backslash (no cell
/// break, no code span, no link or image), `<`, `>` and `&` become entities
/// (no HTML, no autolink), a line end (LF, CR or CRLF) becomes `<br>`, and
/// other control characters and bidirectional overrides are shown as
/// `\u{1b}`. Borrows when there is nothing to escape. The result is text,
/// not code: for monospace use [`markdown_code`], never backticks.
pub fn escape_markdown(s: &str) -> Cow<'_, str> {
    let special = |c: char| matches!(c, '\\' | '|' | '`' | '[' | ']' | '<' | '>' | '&');
    if !s.chars().any(|c| special(c) || is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '|' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            c if is_unsafe(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Returns user-provided text as monospace Markdown: a code span when
/// [`escape_markdown`] has nothing to escape (the text cannot close it),
/// else the escaped text in `<code>…</code>` (a code span would show the
/// escapes literally).
pub fn markdown_code(s: &str) -> String {
    match escape_markdown(s) {
        Cow::Borrowed(plain) => format!("`{plain}`"),
        Cow::Owned(escaped) => format!("<code>{escaped}</code>"),
    }
}

/// A replaced character in an excerpt: where it is in the file and in the
/// escaped text, and how long it is in each.
#[derive(Debug, Clone, Copy)]
struct Shift {
    original: usize,
    original_len: usize,
    escaped: usize,
    escaped_len: usize,
}

/// One file as codespan-reporting sees it: the escaped name and text, and
/// the shifts that map byte offsets between the file and the escaped text.
#[derive(Debug)]
struct Excerpt<'s> {
    name: Cow<'s, str>,
    original: &'s str,
    text: Cow<'s, str>,
    shifts: Vec<Shift>,
    line_starts: Vec<usize>,
}

impl<'s> Excerpt<'s> {
    fn new(name: &'s str, original: &'s str) -> Self {
        let mut shifts = Vec::new();
        let mut escaped: Option<String> = None;
        let mut chars = original.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let next = chars.peek().map(|&(_, n)| n);
            if escape_in_source(c, next) {
                let out = escaped.get_or_insert_with(|| {
                    let mut o = String::with_capacity(original.len() + 8);
                    o.push_str(&original[..i]);
                    o
                });
                let at = out.len();
                push_escaped(out, c);
                shifts.push(Shift {
                    original: i,
                    original_len: c.len_utf8(),
                    escaped: at,
                    escaped_len: out.len() - at,
                });
            } else if let Some(out) = &mut escaped {
                out.push(c);
            }
        }
        let text = escaped.map_or(Cow::Borrowed(original), Cow::Owned);
        let line_starts = codespan_reporting::files::line_starts(&text).collect();
        Self {
            name: escape_human(name),
            original,
            text,
            shifts,
            line_starts,
        }
    }

    /// Maps a byte offset in the file to the escaped text; an offset inside
    /// a replaced character goes to the start of its replacement, or to its
    /// end when `end`.
    fn to_escaped(&self, offset: usize, end: bool) -> usize {
        let offset = offset.min(self.original.len());
        let i = self
            .shifts
            .partition_point(|s| s.original + s.original_len <= offset);
        match self.shifts.get(i) {
            Some(s) if s.original < offset => s.escaped + if end { s.escaped_len } else { 0 },
            _ => match i.checked_sub(1).and_then(|j| self.shifts.get(j)) {
                Some(s) => s.escaped + s.escaped_len + (offset - s.original - s.original_len),
                None => offset,
            },
        }
    }

    /// Maps a byte offset in the escaped text back to the file; an offset
    /// inside a replacement goes to the replaced character.
    fn to_original(&self, offset: usize) -> usize {
        let i = self
            .shifts
            .partition_point(|s| s.escaped + s.escaped_len <= offset);
        match self.shifts.get(i) {
            Some(s) if s.escaped < offset => s.original,
            _ => match i.checked_sub(1).and_then(|j| self.shifts.get(j)) {
                Some(s) => s.original + s.original_len + (offset - s.escaped - s.escaped_len),
                None => offset,
            },
        }
    }

    fn line_start(&self, line: usize) -> Result<usize, codespan_reporting::files::Error> {
        match line.cmp(&self.line_starts.len()) {
            std::cmp::Ordering::Less => Ok(self.line_starts.get(line).copied().unwrap_or(0)),
            std::cmp::Ordering::Equal => Ok(self.text.len()),
            std::cmp::Ordering::Greater => Err(codespan_reporting::files::Error::LineTooLarge {
                given: line,
                max: self.line_starts.len().saturating_sub(1),
            }),
        }
    }
}

/// The files handed to codespan-reporting: escaped names and excerpts, with
/// label ranges mapped into them and columns counted in the files
/// themselves (so they agree with `--format json`).
#[derive(Debug, Default)]
struct Excerpts<'s> {
    files: Vec<Excerpt<'s>>,
}

impl<'s> Excerpts<'s> {
    /// Adds a file; returns its id.
    fn add(&mut self, name: &'s str, text: &'s str) -> usize {
        self.files.push(Excerpt::new(name, text));
        self.files.len() - 1
    }

    /// Maps a byte range of file `id` into its escaped text.
    fn span(&self, id: usize, span: &std::ops::Range<usize>) -> std::ops::Range<usize> {
        match self.files.get(id) {
            Some(f) => {
                let start = f.to_escaped(span.start, false);
                start..f.to_escaped(span.end, true).max(start)
            }
            None => span.clone(),
        }
    }

    fn get(&self, id: usize) -> Result<&Excerpt<'s>, codespan_reporting::files::Error> {
        self.files
            .get(id)
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }
}

impl<'f, 's: 'f> codespan_reporting::files::Files<'f> for Excerpts<'s> {
    type FileId = usize;
    type Name = &'f str;
    type Source = &'f str;

    fn name(&'f self, id: usize) -> Result<&'f str, codespan_reporting::files::Error> {
        Ok(&self.get(id)?.name)
    }

    fn source(&'f self, id: usize) -> Result<&'f str, codespan_reporting::files::Error> {
        Ok(&self.get(id)?.text)
    }

    fn line_index(
        &'f self,
        id: usize,
        byte_index: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        Ok(self
            .get(id)?
            .line_starts
            .binary_search(&byte_index)
            .unwrap_or_else(|next| next.saturating_sub(1)))
    }

    fn line_range(
        &'f self,
        id: usize,
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, codespan_reporting::files::Error> {
        let f = self.get(id)?;
        Ok(f.line_start(line_index)?..f.line_start(line_index + 1)?)
    }

    fn column_number(
        &'f self,
        id: usize,
        _line_index: usize,
        byte_index: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        let f = self.get(id)?;
        Ok(crate::diag::line_col(f.original, f.to_original(byte_index)).1)
    }
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

/// `cardinal status --format json`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_escaping_borrows_clean_text_and_shows_every_control() {
        assert!(matches!(escape_human("plain `text` é"), Cow::Borrowed(_)));
        assert_eq!(
            escape_human("a\u{1b}[8m\r\n\t\u{7}\u{8}\u{7f}\u{9b}\u{202e}\u{2066}b"),
            "a\\u{1b}[8m\\u{d}\\u{a}\\u{9}\\u{7}\\u{8}\\u{7f}\\u{9b}\\u{202e}\\u{2066}b"
        );
    }

    #[test]
    fn markdown_escaping_keeps_text_inside_its_cell() {
        assert!(matches!(escape_markdown("a_b c.toml"), Cow::Borrowed(_)));
        assert_eq!(
            escape_markdown("a|b `c` <d> &e; [f](g) \\| h\r\ni\rj\nk\u{1b}"),
            "a\\|b \\`c\\` &lt;d&gt; &amp;e; \\[f\\](g) \\\\\\| h<br>i<br>j<br>k\\u{1b}"
        );
    }

    #[test]
    fn markdown_code_is_a_code_span_only_for_plain_text() {
        assert_eq!(markdown_code("a/b.toml:1:2"), "`a/b.toml:1:2`");
        assert_eq!(markdown_code("a`b|c"), "<code>a\\`b\\|c</code>");
    }

    #[test]
    fn github_escaping_follows_the_documented_rules() {
        assert_eq!(
            escape_data("50% a,b:c\r\nd\u{1b}"),
            "50%25 a,b:c%0D%0Ad\\u{1b}"
        );
        assert_eq!(escape_property("50% a,b:c\nd"), "50%25 a%2Cb%3Ac%0Ad");
    }

    #[test]
    fn excerpts_keep_lines_and_map_offsets_both_ways() {
        let text = "a = \"\u{202e}x\"\r\nb\t= \"\u{1b}\r\"\n";
        let e = Excerpt::new("f\n.toml", text);
        assert_eq!(e.name, "f\\u{a}.toml");
        assert_eq!(e.text, "a = \"\\u{202e}x\"\r\nb\t= \"\\u{1b}\\u{d}\"\n");
        assert_eq!(e.line_starts, vec![0, 17, 35]);
        // `x` after the 3-byte override, and the end of the override.
        let x = text.find('x').unwrap_or(0);
        assert_eq!(&e.text[e.to_escaped(x, false)..][..1], "x");
        assert_eq!(e.to_escaped(x, true), e.to_escaped(x, false));
        assert_eq!(e.to_escaped(6, false), 5);
        assert_eq!(e.to_escaped(6, true), 13);
        assert_eq!(e.to_original(e.to_escaped(x, false)), x);
        assert_eq!(e.to_original(8), 5);
        assert_eq!(e.to_escaped(text.len(), true), e.text.len());
        // Columns are those of the file.
        let files = Excerpts { files: vec![e] };
        use codespan_reporting::files::Files as _;
        let at = files.span(0, &(x..x + 1));
        let line = files.line_index(0, at.start).unwrap_or(9);
        assert_eq!(files.column_number(0, line, at.start).unwrap_or(0), 7);
    }
}

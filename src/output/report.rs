//! A command's result as a value: it serializes as the command's JSON and
//! knows its human form, so the command decides nothing about layout and
//! [`Output::report`] picks the form `--format` asks for.

use serde::Serialize;

use super::{Format, Output};

/// A result `Output` can print in every format its command has. Only a
/// command that has the Markdown or GitHub form is asked for it (the
/// others are refused before they run), so those default to the human
/// form.
pub trait Report: Serialize {
    /// Prints the human form.
    fn human(&self, out: &Output);

    /// Prints the Markdown form (for pull-request comments).
    fn markdown(&self, out: &Output) {
        self.human(out);
    }

    /// Prints GitHub Actions workflow annotations.
    fn github(&self, out: &Output) {
        self.human(out);
    }
}

impl Output {
    /// Prints a report in the chosen format: the JSON object, or its human
    /// form. (A format a command does not have was refused before it ran.)
    pub fn report<R: Report>(&self, report: &R) {
        match self.format {
            Format::Json => self.json(report),
            Format::Human => report.human(self),
            Format::Markdown => report.markdown(self),
            Format::Github => report.github(self),
            // Only findings have this form; other commands refuse it.
            Format::Gitlab => report.human(self),
        }
    }
}

//! Source excerpts for diagnostics: a file's text with unsafe characters
//! escaped, and the map between offsets in the file and in the escaped
//! text, so lines and columns stay those of the file.

use std::borrow::Cow;

use super::escape::{escape_human, escape_in_source, push_escaped};

/// A replaced character in an excerpt: where it is in the file and in the
/// escaped text, and how long it is in each.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shift {
    original: usize,
    original_len: usize,
    escaped: usize,
    escaped_len: usize,
}

/// One file as codespan-reporting sees it: the escaped name and text, and
/// the shifts that map byte offsets between the file and the escaped text.
#[derive(Debug)]
pub(super) struct Excerpt<'s> {
    name: Cow<'s, str>,
    original: &'s str,
    text: Cow<'s, str>,
    shifts: Vec<Shift>,
    line_starts: Vec<usize>,
}

impl<'s> Excerpt<'s> {
    pub(super) fn new(name: &'s str, original: &'s str) -> Self {
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
    pub(super) fn to_escaped(&self, offset: usize, end: bool) -> usize {
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
    pub(super) fn to_original(&self, offset: usize) -> usize {
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

    pub(super) fn line_start(
        &self,
        line: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
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
pub(super) struct Excerpts<'s> {
    files: Vec<Excerpt<'s>>,
}

impl<'s> Excerpts<'s> {
    /// Adds a file; returns its id.
    pub(super) fn add(&mut self, name: &'s str, text: &'s str) -> usize {
        self.files.push(Excerpt::new(name, text));
        self.files.len() - 1
    }

    /// Maps a byte range of file `id` into its escaped text.
    pub(super) fn span(&self, id: usize, span: &std::ops::Range<usize>) -> std::ops::Range<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;

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

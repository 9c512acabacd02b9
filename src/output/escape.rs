//! Escaping user content for each format: terminals, GitHub workflow
//! commands, Markdown.

use std::borrow::Cow;

/// Returns true for a character that must never reach a terminal raw: C0
/// and C1 controls and DEL (escape sequences, carriage return, bell,
/// backspace…) and the Unicode bidirectional overrides and isolates, which
/// reorder the text around them.
pub(super) fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Appends the visible form of a character: `\u{1b}` (Rust's notation,
/// lower-case hex without leading zeros).
pub(super) fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write as _;
    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
}

/// Returns `s` with every character for which `escape(c, next)` holds in
/// the `\u{…}` notation; borrows when there is none.
pub(super) fn escape_chars(s: &str, escape: impl Fn(char, Option<char>) -> bool) -> Cow<'_, str> {
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
pub(super) fn escape_in_source(c: char, next: Option<char>) -> bool {
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
}

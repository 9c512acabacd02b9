//! Writing TOML by hand where a file's layout matters (templates, review
//! files whose diffs people read): one escaper for basic strings.

/// Escapes `s` for the inside of a TOML basic string (`"…"`): quotes,
/// backslashes and control characters.
pub fn escape_basic(s: &str) -> String {
    escape(s, false)
}

/// Escapes quotes, backslashes and control characters; with `keep_lines`,
/// line feeds and tabs stay as they are (a multi-line string).
fn escape(s: &str, keep_lines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            // Escaping every quote keeps `"""` from ever closing a
            // multi-line string.
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\t' if keep_lines => out.push(c),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Returns `s` as a TOML basic string, quotes included.
pub fn basic_string(s: &str) -> String {
    format!("\"{}\"", escape_basic(s))
}

/// Returns text (Markdown, a comment) as a TOML string: a multi-line basic
/// string when it spans lines (readable in diffs), else a basic string.
pub fn text(s: &str) -> String {
    if !s.contains('\n') {
        return basic_string(s);
    }
    let newline = if s.ends_with('\n') { "" } else { "\n" };
    format!("\"\"\"\n{}{newline}\"\"\"", escape(s, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_strings_read_back_as_written() {
        for s in [
            "plain",
            "a \"quote\"",
            "back\\slash",
            "two\nlines\r\ttab",
            "\u{1b}[8m",
            "",
        ] {
            let doc = format!("v = {}", basic_string(s));
            let parsed: toml::Table = toml::from_str(&doc).expect("valid TOML");
            assert_eq!(parsed["v"].as_str(), Some(s), "{doc}");
            let doc = format!("v = {}", text(&format!("{s}\n\"\"\"end")));
            let parsed: toml::Table = toml::from_str(&doc).expect("valid TOML");
            // A multi-line string ends on a line of its own.
            assert_eq!(
                parsed["v"].as_str().map(str::to_owned),
                Some(format!("{s}\n\"\"\"end\n")),
                "{doc}"
            );
        }
    }
}

//! Markdown from governed files as safe HTML: pulldown-cmark renders it,
//! ammonia keeps only harmless tags, attributes and URLs. No script, no
//! event handler, no `javascript:` or `data:` URL, no frame, no style, and
//! no image loaded from elsewhere survives (the site loads nothing from
//! outside itself).

use std::sync::OnceLock;

use pulldown_cmark::{Options, Parser, html};

fn cleaner() -> &'static ammonia::Builder<'static> {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.url_schemes(["http", "https", "mailto"].into_iter().collect())
            .link_rel(Some("noopener noreferrer nofollow"))
            .url_relative(ammonia::UrlRelative::PassThrough)
            .attribute_filter(|element, attribute, value| {
                // An image from elsewhere would be a request to a third
                // party: only images in the site itself are kept.
                if element == "img" && attribute == "src" && !is_relative(value) {
                    None
                } else {
                    Some(value.into())
                }
            });
        b
    })
}

/// Returns true for a URL without a scheme or host (`a/b.png`, `#x`).
fn is_relative(url: &str) -> bool {
    let url = url.trim_start();
    !url.starts_with("//")
        && !url.starts_with('\\')
        && url
            .split(['/', '?', '#'])
            .next()
            .is_none_or(|head| !head.contains(':'))
}

/// Returns Markdown as sanitized HTML.
pub fn markdown(text: &str) -> String {
    let parser = Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
    let mut out = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut out, parser);
    cleaner().clean(&out).to_string()
}

/// Returns plain text as HTML (escaped, not read as Markdown).
pub fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_html(&mut out, text);
    out
}

/// Returns one line of our messages (or a note) as HTML: escaped, with
/// each pair of backticks made a code span, as the terminal shows them.
/// A backtick without its pair stays as it is.
pub fn code_spans(line: &str) -> String {
    let parts: Vec<&str> = line.split('`').collect();
    let mut out = String::with_capacity(line.len() + 16);
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        let odd = i % 2 == 1;
        if odd && i < last {
            out.push_str("<code>");
            escape_html(&mut out, part);
            out.push_str("</code>");
        } else {
            if odd {
                out.push('`');
            }
            escape_html(&mut out, part);
        }
    }
    out
}

fn escape_html(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered() {
        assert_eq!(
            markdown("A *b* [c](https://x.test/)"),
            "<p>A <em>b</em> <a href=\"https://x.test/\" rel=\"noopener noreferrer nofollow\">c</a></p>\n"
        );
    }

    #[test]
    fn scripts_handlers_frames_and_script_urls_do_not_survive() {
        let hostile = concat!(
            "<script>alert(1)</script>\n\n",
            "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](  javascript:x)\n\n",
            "<img src=x onerror=alert(1)>\n\n",
            "<svg onload=alert(1)><circle/></svg>\n\n",
            "<iframe src=\"https://x.test\"></iframe>\n\n",
            "<a href=\"data:text/html,<script>x</script>\">d</a>\n\n",
            "<p style=\"background:url(https://x.test)\" onclick=\"x()\">e</p>\n\n",
            "![t](https://tracker.test/p.gif) ![u](img/ok.png)\n",
        );
        let html = markdown(hostile).to_ascii_lowercase();
        for bad in [
            "<script",
            "javascript:",
            "onerror",
            "onload",
            "<svg",
            "<iframe",
            "data:",
            "style=",
            "onclick",
            "tracker.test",
        ] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
        assert!(html.contains("src=\"img/ok.png\""), "{html}");
    }

    #[test]
    fn backtick_pairs_become_code_spans_after_escaping() {
        assert_eq!(
            code_spans("waiting for `bob`, `<i>` and a ` alone"),
            "waiting for <code>bob</code>, <code>&lt;i&gt;</code> and a ` alone"
        );
        assert_eq!(code_spans("no quotes"), "no quotes");
        assert_eq!(code_spans("`a` `b"), "<code>a</code> `b");
    }

    #[test]
    fn plain_text_is_escaped() {
        assert_eq!(text("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
    }
}

//! `cardinal serve`: a live preview of the site (docs/site.md).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use clap::Args;

use super::render::{Session, publish};
use super::{Context, Outcome};
use crate::error::Error;
use crate::site::{Scope, Templates};

/// Preview the site: render it into a temporary folder and serve it on 127.0.0.1
///
/// Renders again on every change to the working tree or the history, and
/// the open page reloads itself. Only this machine can connect.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port (0: any free one)
    #[arg(long, value_name = "N", default_value_t = 8000)]
    pub port: u16,
    /// A folder of templates replacing the embedded ones (NAME.hbs, style.css)
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

/// The path pages poll to learn that the site was rendered again.
const GENERATION: &str = "/__cardinal/generation";

/// Added to every HTML page served (not to the files): reloads the page
/// when the generation changes.
const RELOAD: &str = "<script>(function(){var seen=null;function poll(){fetch('/__cardinal/generation',{cache:'no-store'}).then(function(r){return r.text()}).then(function(g){if(seen!==null&&g!==seen){location.reload();return}seen=g;setTimeout(poll,500)}).catch(function(){setTimeout(poll,2000)})}poll()})();</script>\n";

/// Runs `cardinal serve`.
pub fn run(ctx: &Context, args: &ServeArgs) -> Result<Outcome, Error> {
    let templates = Templates::load(args.templates.as_deref())?;
    let mut session = Session::new(ctx.root()?, ctx.now, None, templates);
    let tmp = tempfile::tempdir()
        .map_err(|e| Error::Input(format!("cannot make a temporary folder: {e}")))?;
    let out = tmp.path().join("site");
    let files = session.render(ctx, &Scope::All)?;
    publish(&out, &files, false)?;
    let server = tiny_http::Server::http(("127.0.0.1", args.port))
        .map_err(|e| Error::Usage(format!("cannot listen on 127.0.0.1:{}: {e}", args.port)))?;
    let port = server.server_addr().to_ip().map_or(args.port, |a| a.port());
    ctx.out.status(format!(
        "serving {} files of {}",
        files.len(),
        session.root.display()
    ));
    ctx.out.line(format!("http://127.0.0.1:{port}/"));
    let generation = Arc::new(AtomicU64::new(1));
    let served = out.clone();
    let seen = Arc::clone(&generation);
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            // A client gone before the answer is no error of ours.
            let _ = answer(request, &served, &seen);
        }
    });
    session.watch(ctx, &out, &|| {
        generation.fetch_add(1, Ordering::SeqCst);
    })?;
    Ok(Outcome::Clean)
}

/// Answers one request from the rendered files.
fn answer(request: tiny_http::Request, site: &Path, generation: &AtomicU64) -> std::io::Result<()> {
    use tiny_http::{Method, Response};
    if !matches!(request.method(), Method::Get | Method::Head) {
        return request.respond(with_headers(
            Response::from_string("only GET and HEAD").with_status_code(405),
            "text/plain; charset=utf-8",
        ));
    }
    let url = request
        .url()
        .split(['?', '#'])
        .next()
        .unwrap_or("/")
        .to_owned();
    if url == GENERATION {
        let count = generation.load(Ordering::SeqCst).to_string();
        return request.respond(with_headers(
            Response::from_string(count),
            "text/plain; charset=utf-8",
        ));
    }
    let Some((path, mut bytes)) = site_path(&url).and_then(|path| {
        std::fs::read(site.join(&path))
            .ok()
            .map(|bytes| (path, bytes))
    }) else {
        return request.respond(with_headers(
            Response::from_string("not found").with_status_code(404),
            "text/plain; charset=utf-8",
        ));
    };
    let kind = match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    if kind.starts_with("text/html") {
        let text = String::from_utf8_lossy(&bytes);
        let at = text.rfind("</body>").unwrap_or(text.len());
        bytes = format!("{}{RELOAD}{}", &text[..at], &text[at..]).into_bytes();
    }
    request.respond(with_headers(Response::from_data(bytes), kind))
}

/// Adds the content type and the headers every answer carries: nothing is
/// cached (the site changes under the reader), nothing is sniffed.
fn with_headers<R: std::io::Read>(
    mut response: tiny_http::Response<R>,
    kind: &str,
) -> tiny_http::Response<R> {
    for (name, value) in [
        ("Content-Type", kind),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ] {
        // Fails only on bytes that are not ASCII, which these are not.
        if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    }
    response
}

/// Returns the file a URL path names inside the site (`/` and folders
/// give their `index.html`), or None for a path that would leave it.
fn site_path(url: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url)?;
    let mut path = PathBuf::new();
    for part in decoded.split('/').filter(|p| !p.is_empty()) {
        if part == "." || part == ".." || part.contains('\\') || part.starts_with('.') {
            return None;
        }
        path.push(part);
    }
    if decoded.ends_with('/') || path.as_os_str().is_empty() {
        path.push("index.html");
    }
    Some(path)
}

/// Decodes `%XX` escapes; None for a malformed one or bytes that are not
/// UTF-8. (Our page names need no more: ids, versions and slugs are ASCII.)
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_map_to_files_inside_the_site_only() {
        assert_eq!(site_path("/"), Some(PathBuf::from("index.html")));
        assert_eq!(
            site_path("/models/p/m/"),
            Some(PathBuf::from("models/p/m/index.html"))
        );
        assert_eq!(
            site_path("/models/p/m/1.0.0%2Bb.html"),
            Some(PathBuf::from("models/p/m/1.0.0+b.html"))
        );
        for bad in [
            "/../etc/passwd",
            "/a/%2e%2e/%2e%2e/x",
            "/.cardinal-site",
            "/a\\..\\b",
            "/%zz",
            "/%ff",
        ] {
            assert_eq!(site_path(bad), None, "{bad}");
        }
    }
}

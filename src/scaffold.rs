//! Rendering the scaffolding templates of `templates/` (`init`, `new`).
//! Values in, text out. No I/O.

use std::sync::OnceLock;

use handlebars::Handlebars;
use serde_json::json;

use crate::error::Error;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "cardinal.toml",
        include_str!("../templates/cardinal.toml.hbs"),
    ),
    (
        "project.toml",
        include_str!("../templates/project.toml.hbs"),
    ),
    ("model.toml", include_str!("../templates/model.toml.hbs")),
    ("card.toml", include_str!("../templates/card.toml.hbs")),
    ("taplo.toml", include_str!("../templates/taplo.toml.hbs")),
];

fn registry() -> Result<&'static Handlebars<'static>, Error> {
    static REGISTRY: OnceLock<Result<Handlebars<'static>, String>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| {
            let mut hb = Handlebars::new();
            hb.set_strict_mode(true);
            hb.register_escape_fn(crate::model::toml::escape_basic);
            for (name, text) in TEMPLATES {
                hb.register_template_string(name, text)
                    .map_err(|e| e.to_string())?;
            }
            Ok(hb)
        })
        .as_ref()
        .map_err(|e| Error::Input(format!("template error: {e}")))
}

fn render(name: &str, data: &serde_json::Value) -> Result<String, Error> {
    registry()?
        .render(name, data)
        .map_err(|e| Error::Input(format!("template `{name}`: {e}")))
}

/// Returns a new `cardinal.toml` with one admin member.
pub fn config(
    org: &str,
    admin_id: &str,
    admin_name: &str,
    admin_email: Option<&str>,
) -> Result<String, Error> {
    render(
        "cardinal.toml",
        &json!({ "org": org, "admin_id": admin_id, "admin_name": admin_name, "admin_email": admin_email }),
    )
}

/// Returns a new `project.toml`.
pub fn project(project: &str, owner: Option<&str>) -> Result<String, Error> {
    render(
        "project.toml",
        &json!({ "project": project, "owner": owner }),
    )
}

/// Returns a new `model.toml`.
pub fn model(model: &str, owner: Option<&str>) -> Result<String, Error> {
    render("model.toml", &json!({ "model": model, "owner": owner }))
}

/// Returns a new `card.toml`; `created` is a TOML date-time.
pub fn card(version: &str, created: &str) -> Result<String, Error> {
    render(
        "card.toml",
        &json!({ "version": version, "created": created }),
    )
}

/// Returns the `.taplo.toml` that maps governed files to their schemas.
pub fn taplo() -> Result<String, Error> {
    render("taplo.toml", &json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Document;
    use crate::schema::{FileKind, check};

    #[test]
    fn templates_render_valid_files() {
        let cases = [
            (
                FileKind::Config,
                config("Acme \"Bank\"", "alice", "Alice", Some("alice@acme.test")).unwrap(),
            ),
            (
                FileKind::Config,
                config("Acme", "admin", "Admin", None).unwrap(),
            ),
            (FileKind::Project, project("credit", Some("alice")).unwrap()),
            (FileKind::Model, model("churn", None).unwrap()),
            (
                FileKind::Card,
                card("1.0.0", "2024-05-01T10:00:00Z").unwrap(),
            ),
        ];
        for (kind, text) in cases {
            let doc = Document::parse("t.toml", &text).unwrap();
            assert!(check(kind, "t.toml", &doc).is_empty(), "{kind:?}: {text}");
        }
        assert!(taplo().unwrap().contains("card.json"));
    }
}

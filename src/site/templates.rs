//! The site's templates: handlebars files embedded from `templates/site/`
//! (strict mode: a name a template uses that its data lacks is an error),
//! any of which a folder of the user's may replace.

use std::path::Path;

use handlebars::Handlebars;

use crate::error::Error;

/// The embedded templates and partials, by name.
const EMBEDDED: &[(&str, &str)] = &[
    ("layout", include_str!("../../templates/site/layout.hbs")),
    ("events", include_str!("../../templates/site/events.hbs")),
    ("models", include_str!("../../templates/site/models.hbs")),
    ("index", include_str!("../../templates/site/index.hbs")),
    (
        "activity",
        include_str!("../../templates/site/activity.hbs"),
    ),
    ("project", include_str!("../../templates/site/project.hbs")),
    ("stage", include_str!("../../templates/site/stage.hbs")),
    ("model", include_str!("../../templates/site/model.hbs")),
    ("version", include_str!("../../templates/site/version.hbs")),
    ("compare", include_str!("../../templates/site/compare.hbs")),
];

/// Templates used only as partials (`{{> name}}`).
const PARTIALS: &[&str] = &["layout", "events", "models"];

/// The embedded style sheet.
const STYLE: &str = include_str!("../../templates/site/style.css");

/// The templates a render uses.
pub struct Templates {
    registry: Handlebars<'static>,
    /// The style sheet.
    pub style: String,
}

impl Templates {
    /// Returns the embedded templates, each replaced by `NAME.hbs` in
    /// `overrides` where there is one (`style.css` replaces the style
    /// sheet). A file there that replaces nothing is an error, so a
    /// misspelt override is not silently ignored.
    pub fn load(overrides: Option<&Path>) -> Result<Self, Error> {
        let mut sources: Vec<(String, String)> = EMBEDDED
            .iter()
            .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
            .collect();
        let mut style = STYLE.to_owned();
        if let Some(dir) = overrides {
            let entries = std::fs::read_dir(dir).map_err(|source| Error::Read {
                path: dir.to_path_buf(),
                source,
            })?;
            let mut names: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect();
            names.sort();
            for path in names {
                let file = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                let read = || {
                    std::fs::read_to_string(&path).map_err(|source| Error::Read {
                        path: path.clone(),
                        source,
                    })
                };
                if file == "style.css" {
                    style = read()?;
                    continue;
                }
                let slot = file
                    .strip_suffix(".hbs")
                    .and_then(|name| sources.iter_mut().find(|(n, _)| n == name));
                match slot {
                    Some((_, text)) => *text = read()?,
                    None => {
                        return Err(Error::Usage(format!(
                            "`{}` replaces no template; the templates are {}, and style.css",
                            path.display(),
                            EMBEDDED
                                .iter()
                                .map(|(n, _)| format!("{n}.hbs"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                }
            }
        }
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.set_prevent_indent(true);
        for (name, text) in &sources {
            let result = if PARTIALS.contains(&name.as_str()) {
                registry.register_partial(name, text)
            } else {
                registry.register_template_string(name, text)
            };
            result.map_err(|e| Error::Usage(format!("template `{name}`: {e}")))?;
        }
        Ok(Templates { registry, style })
    }

    /// Renders one page.
    pub fn render(&self, template: &str, data: &serde_json::Value) -> Result<String, Error> {
        self.registry
            .render(template, data)
            .map_err(|e| Error::Usage(format!("template `{template}`: {e}")))
    }
}

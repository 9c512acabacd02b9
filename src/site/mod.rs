//! The published registry: view models over the reports the commands
//! print, rendered with the embedded templates into a static site
//! (docs/site.md).
//!
//! [`registry`] joins the reports with the governed files, [`pages`]
//! prepares what each page shows, [`templates`] lays it out; charts are
//! inline SVG drawn by [`charts`], Markdown goes through [`markdown`].

pub mod charts;
pub mod markdown;
pub mod pages;
pub mod registry;
pub mod templates;

use std::collections::BTreeSet;

use crate::error::Error;
pub use registry::{Input, Registry};
pub use templates::Templates;

/// One file of the site.
pub struct File {
    /// Path in the site, with `/`.
    pub path: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Which pages to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every page.
    All,
    /// The pages that show these versions (`p/m@v`): theirs, their
    /// comparisons, their models' and projects' pages, the index and the
    /// stage pages; for a change that touches nothing else.
    Versions(BTreeSet<String>),
}

/// Renders the site: the pages in `scope`, the style sheet and
/// `registry.json`, sorted by path. The same input gives the same bytes.
pub fn render(input: &Input<'_>, templates: &Templates, scope: &Scope) -> Result<Vec<File>, Error> {
    let registry = Registry::new(input);
    let site = pages::Site::new(&registry, input.base_url);
    let mut jobs = pages::jobs(&registry);
    if let Scope::Versions(names) = scope {
        jobs.retain(|job| job.shows(names));
    }
    let rendered: Vec<Result<File, Error>> = {
        use rayon::prelude::*;
        jobs.par_iter()
            .map(|job| {
                let page = site.draw(job);
                Ok(File {
                    bytes: templates.render(page.template, &page.data)?.into_bytes(),
                    path: page.path,
                })
            })
            .collect()
    };
    let mut files = Vec::with_capacity(rendered.len() + 2);
    for file in rendered {
        files.push(file?);
    }
    let mut json = serde_json::to_vec_pretty(&registry)
        .map_err(|e| Error::Input(format!("registry.json: {e}")))?;
    json.push(b'\n');
    files.push(File {
        path: pages::paths::REGISTRY.to_owned(),
        bytes: json,
    });
    files.push(File {
        path: pages::paths::STYLE.to_owned(),
        bytes: templates.style.clone().into_bytes(),
    });
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

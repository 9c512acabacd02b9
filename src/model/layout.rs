//! The repository layout (docs/formats.md): where each governed file sits.
//! One reading of a path serves the loader (files on disk), the rules of
//! who may change what and the history (paths in commits).
//!
//! ```text
//! cardinal.toml
//! projects/<p>/project.toml
//! projects/<p>/<m>/model.toml
//! projects/<p>/<m>/<v>/card.toml
//! projects/<p>/<m>/<v>/lineage.lock
//! projects/<p>/<m>/<v>/reviews/<stage>/request.toml
//! projects/<p>/<m>/<v>/reviews/<stage>/<member>.toml
//! projects/<p>/<m>/<v>/monitoring/<stamp>-<kind>.toml
//! ```

/// The organisation's configuration, at the repository root.
pub const CONFIG_FILE: &str = "cardinal.toml";

/// Where a path sits in the layout. Names are the folder names as
/// written (not yet checked as ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'a> {
    /// `cardinal.toml`.
    Config,
    /// `projects/<p>/project.toml`.
    Project(&'a str),
    /// `projects/<p>/<m>/model.toml`.
    Model(&'a str, &'a str),
    /// `projects/<p>/<m>/<v>/card.toml`.
    Card(VersionPath<'a>),
    /// `projects/<p>/<m>/<v>/lineage.lock`.
    Lock(VersionPath<'a>),
    /// `…/reviews/<stage>/request.toml`: the stage folder.
    Request(VersionPath<'a>, &'a str),
    /// `…/reviews/<stage>/<member>.toml`: the stage folder and the member.
    Decision(VersionPath<'a>, &'a str, &'a str),
    /// `…/monitoring/<file>` (`None`: a file in a folder below it).
    Monitoring(VersionPath<'a>, Option<&'a str>),
    /// Any other path below `projects/<p>/`, with its version when it lies
    /// in a version folder.
    Other(&'a str, Option<VersionPath<'a>>),
}

/// A version folder: `projects/<p>/<m>/<v>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionPath<'a> {
    /// The project folder.
    pub project: &'a str,
    /// The model folder.
    pub model: &'a str,
    /// The version folder.
    pub version: &'a str,
}

impl VersionPath<'_> {
    /// Returns `projects/<p>/<m>/<v>`.
    pub fn dir(&self) -> String {
        format!("projects/{}/{}/{}", self.project, self.model, self.version)
    }
}

/// Returns where a repository-relative path (`/`-separated) sits, or
/// `None` outside `cardinal.toml` and `projects/<p>/…`.
pub fn place(path: &str) -> Option<Place<'_>> {
    if path == CONFIG_FILE {
        return Some(Place::Config);
    }
    let parts: Vec<&str> = path.strip_prefix("projects/")?.split('/').collect();
    let project = *parts.first()?;
    let version = match parts.as_slice() {
        [p, m, v, _, ..] => Some(VersionPath {
            project: p,
            model: m,
            version: v,
        }),
        _ => None,
    };
    Some(match (parts.as_slice(), version) {
        ([_, "project.toml"], _) => Place::Project(project),
        ([_, m, "model.toml"], _) => Place::Model(project, m),
        ([_, _, _, "card.toml"], Some(v)) => Place::Card(v),
        ([_, _, _, "lineage.lock"], Some(v)) => Place::Lock(v),
        ([_, _, _, "reviews", stage, "request.toml"], Some(v)) => Place::Request(v, stage),
        ([_, _, _, "reviews", stage, file], Some(v)) if file.ends_with(".toml") => {
            Place::Decision(v, stage, file.trim_end_matches(".toml"))
        }
        ([_, _, _, "monitoring", file], Some(v)) => Place::Monitoring(v, Some(file)),
        ([_, _, _, "monitoring", ..], Some(v)) => Place::Monitoring(v, None),
        (_, version) => Place::Other(project, version),
    })
}

/// Returns true for paths the loader reads: `cardinal.toml` and every TOML
/// or lock file under `projects/`.
pub fn is_governed_path(path: &str) -> bool {
    path == CONFIG_FILE
        || (path.starts_with("projects/") && (path.ends_with(".toml") || path.ends_with(".lock")))
}

/// Returns the version folder (`projects/<p>/<m>/<v>`) a path lies in.
pub fn version_dir(path: &str) -> Option<String> {
    match place(path)? {
        Place::Card(v)
        | Place::Lock(v)
        | Place::Request(v, _)
        | Place::Decision(v, ..)
        | Place::Monitoring(v, _)
        | Place::Other(_, Some(v)) => Some(v.dir()),
        _ => None,
    }
}

/// Returns a relative path with `/` separators, as the layout writes
/// paths, or `None` when a component is not UTF-8.
pub fn slash_path(path: &std::path::Path) -> Option<String> {
    let parts: Option<Vec<&str>> = path.components().map(|c| c.as_os_str().to_str()).collect();
    parts.map(|p| p.join("/"))
}

/// Returns `p/m@v` for `projects/p/m/v`.
pub fn version_name(vdir: &str) -> String {
    let parts: Vec<&str> = vdir.split('/').collect();
    match parts.as_slice() {
        [_, p, m, v] => format!("{p}/{m}@{v}"),
        _ => vdir.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: VersionPath<'static> = VersionPath {
        project: "p",
        model: "m",
        version: "1.0",
    };

    #[test]
    fn every_governed_file_has_its_place() {
        let cases = [
            ("cardinal.toml", Some(Place::Config)),
            ("projects/p/project.toml", Some(Place::Project("p"))),
            ("projects/p/m/model.toml", Some(Place::Model("p", "m"))),
            ("projects/p/m/1.0/card.toml", Some(Place::Card(V))),
            ("projects/p/m/1.0/lineage.lock", Some(Place::Lock(V))),
            (
                "projects/p/m/1.0/reviews/production/request.toml",
                Some(Place::Request(V, "production")),
            ),
            (
                "projects/p/m/1.0/reviews/production/bob.toml",
                Some(Place::Decision(V, "production", "bob")),
            ),
            (
                "projects/p/m/1.0/monitoring/20241015T120000Z-drift.toml",
                Some(Place::Monitoring(V, Some("20241015T120000Z-drift.toml"))),
            ),
            (
                "projects/p/m/1.0/monitoring/old/x.toml",
                Some(Place::Monitoring(V, None)),
            ),
            (
                "projects/p/m/1.0/notes.toml",
                Some(Place::Other("p", Some(V))),
            ),
            ("projects/p/m/1.0", Some(Place::Other("p", None))),
            ("projects/p/notes.toml", Some(Place::Other("p", None))),
            ("README.md", None),
            ("projects", None),
        ];
        for (path, want) in cases {
            assert_eq!(place(path), want, "{path}");
        }
    }

    #[test]
    fn version_folders_and_names() {
        assert_eq!(
            version_dir("projects/p/m/1.0/reviews/s/bob.toml").as_deref(),
            Some("projects/p/m/1.0")
        );
        assert_eq!(version_dir("projects/p/m/model.toml"), None);
        assert_eq!(version_name("projects/p/m/1.0"), "p/m@1.0");
    }
}

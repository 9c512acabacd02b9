//! Identifier newtypes: members, projects, models, versions, stages and
//! version references. Each checks its syntax on construction. No I/O.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why an identifier was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdError(pub String);

/// Returns true when `s` matches `[a-z0-9][a-z0-9._-]*`.
fn is_slug_id(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

/// Returns true when `s` matches `[0-9A-Za-z][0-9A-Za-z.+_-]*`.
fn is_version(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '_' | '-'))
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Returns the identifier as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                if is_slug_id(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(IdError(format!(
                        concat!("invalid ", $what, " `{}`: expected lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit"),
                        s
                    )))
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_id!(
    /// A member of the organisation (`cardinal.toml` `[[members]] id`).
    MemberId,
    "member id"
);
slug_id!(
    /// A project folder under `projects/`.
    ProjectId,
    "project id"
);
slug_id!(
    /// A model folder under `projects/<project>/`.
    ModelId,
    "model id"
);

/// A model version, ordered as semver where it parses, else lexically.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Version(String);

impl Version {
    /// Returns the version as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the parsed semver triple, pre-release and build, when the
    /// version is semver (`1.2.3`, `1.2.3-rc.1+build`).
    fn semver(&self) -> Option<([u64; 3], Option<&str>)> {
        let core_and_pre = self.0.split('+').next().unwrap_or(&self.0);
        let (core, pre) = match core_and_pre.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (core_and_pre, None),
        };
        let mut parts = core.split('.');
        let mut triple = [0u64; 3];
        for slot in &mut triple {
            let part = parts.next()?;
            if part.is_empty() || (part.len() > 1 && part.starts_with('0')) {
                return None;
            }
            *slot = part.parse().ok()?;
        }
        if parts.next().is_some() {
            return None;
        }
        Some((triple, pre))
    }
}

/// Compares semver pre-release strings by their dot-separated identifiers.
fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(n), Ok(m)) => n.cmp(&m),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.semver(), other.semver()) {
            (Some((a, pa)), Some((b, pb))) => a
                .cmp(&b)
                .then_with(|| match (pa, pb) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Greater,
                    (Some(_), None) => Ordering::Less,
                    (Some(x), Some(y)) => compare_prerelease(x, y),
                })
                .then_with(|| self.0.cmp(&other.0)),
            // Semver versions sort before free-form ones.
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => self.0.cmp(&other.0),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl FromStr for Version {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        if is_version(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError(format!(
                "invalid version `{s}`: expected letters, digits, `.`, `+`, `_` or `-`, starting with a letter or digit"
            )))
        }
    }
}

impl TryFrom<String> for Version {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        s.parse()
    }
}

impl From<Version> for String {
    fn from(v: Version) -> String {
        v.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Returns the slug of a stage name: lower case, runs of non-alphanumerics
/// become `-`, no leading or trailing `-` (`Pre-Production` → `pre-production`).
pub fn stage_slug(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    let mut pending_dash = false;
    for c in name.chars() {
        if c.is_alphanumeric() {
            if pending_dash && !slug.is_empty() {
                slug.push('-');
            }
            pending_dash = false;
            slug.extend(c.to_lowercase());
        } else {
            pending_dash = true;
        }
    }
    slug
}

/// A stage's display name as declared in `[[stages]]` (`Pre-Production`).
///
/// Stages are declared in TOML, so a `StageName` only means something once it
/// has been resolved against a declared list (see `model::stage`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StageName(String);

impl StageName {
    /// Returns a stage name; any non-empty string is accepted.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// Returns the name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the slug used for the stage's folder under `reviews/`.
    pub fn slug(&self) -> String {
        stage_slug(&self.0)
    }
}

impl fmt::Display for StageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A reference to a model version: `project/model@version`, or
/// `model@version` where the model name is unique.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VersionRef {
    /// The project, absent in the short form.
    pub project: Option<ProjectId>,
    /// The model.
    pub model: ModelId,
    /// The version.
    pub version: Version,
}

impl FromStr for VersionRef {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let (path, version) = s.rsplit_once('@').ok_or_else(|| {
            IdError(format!(
                "invalid version reference `{s}`: expected `project/model@version` or `model@version`"
            ))
        })?;
        let (project, model) = match path.split_once('/') {
            Some((p, m)) => (Some(p.parse()?), m.parse()?),
            None => (None, path.parse()?),
        };
        Ok(Self {
            project,
            model,
            version: version.parse()?,
        })
    }
}

impl fmt::Display for VersionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.project {
            Some(p) => write!(f, "{p}/{}@{}", self.model, self.version),
            None => write!(f, "{}@{}", self.model, self.version),
        }
    }
}

/// Returns true for a full, lowercase 40-hex commit id (what `audit_from`
/// and waivers must be: never a ref or an abbreviation).
pub fn is_full_commit_id(text: &str) -> bool {
    text.len() == 40
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(stage_slug("Pre-Production"), "pre-production");
        assert_eq!(stage_slug("Staging 2 (EU)"), "staging-2-eu");
        assert_eq!(stage_slug("  Production  "), "production");
    }

    #[test]
    fn ids_reject_bad_syntax() {
        assert!("churn-v2".parse::<ModelId>().is_ok());
        assert!("Churn".parse::<ModelId>().is_err());
        assert!("-x".parse::<MemberId>().is_err());
        assert!("".parse::<ProjectId>().is_err());
        assert!("1.0.0+build.5".parse::<Version>().is_ok());
        assert!(".1".parse::<Version>().is_err());
    }

    #[test]
    fn versions_order_as_semver_then_lexically() {
        let mut v: Vec<Version> = [
            "1.10.0",
            "1.2.0",
            "1.2.0-rc.1",
            "2024-01",
            "1.2.0-alpha",
            "0.9",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        v.sort();
        let names: Vec<&str> = v.iter().map(Version::as_str).collect();
        assert_eq!(
            names,
            [
                "1.2.0-alpha",
                "1.2.0-rc.1",
                "1.2.0",
                "1.10.0",
                "0.9",
                "2024-01"
            ]
        );
    }

    #[test]
    fn version_refs() {
        let r: VersionRef = "credit/churn@1.0.0".parse().unwrap();
        assert_eq!(r.project.as_ref().map(ProjectId::as_str), Some("credit"));
        assert_eq!(r.to_string(), "credit/churn@1.0.0");
        let short: VersionRef = "churn@2".parse().unwrap();
        assert!(short.project.is_none());
        assert!("churn".parse::<VersionRef>().is_err());
    }
}

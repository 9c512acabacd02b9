//! Loading a governed repository: the only place that reads governed files
//! and parses TOML. Files come from the working tree ([`read_tree`]) or from
//! anywhere else, e.g. a Git tree ([`Workspace::from_files`]); either way
//! every file is parsed once, checked against its schema, and deserialized
//! into the typed model. Load-time findings (syntax, schema, layout) are
//! kept in [`Workspace::findings`]; cross-file rules live in `validate`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::de::DeserializeOwned;

use crate::diag::{Code, Diagnostic, SourceMap};
use crate::document::Document;
use crate::error::Error;
use crate::model::files::{
    Card, LineageLock, ModelFile, OrgConfig, ProjectFile, ReviewDecision, ReviewRequest, StageDef,
};
use crate::model::ids::{MemberId, ModelId, ProjectId, Version, VersionRef};
use crate::model::results::MonitoringResult;
use crate::model::stage;
use crate::schema::{self, FileKind};

pub use crate::model::layout::{CONFIG_FILE, is_governed_path};

/// One file handed to the loader.
#[derive(Debug)]
pub struct RawFile {
    /// Repository-relative path with `/`.
    pub path: String,
    /// Its bytes, or why they could not be read.
    pub content: Result<Vec<u8>, String>,
}

/// A parsed, schema-checked and typed file.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    /// Repository-relative path with `/`.
    pub path: String,
    /// The parsed document, for spans; its `json` is kept for cards only
    /// (the card digest hashes it) and is `Null` for other kinds.
    pub doc: Document,
    /// The typed contents.
    pub value: T,
}

impl<T> Loaded<T> {
    /// Returns the span of the value at a JSON pointer.
    pub fn span(&self, pointer: &str) -> std::ops::Range<usize> {
        self.doc.span(pointer)
    }
}

/// The review files of one stage folder.
#[derive(Debug, Clone, Default)]
pub struct StageReviews {
    /// The folder name (a stage slug).
    pub slug: String,
    /// `request.toml`.
    pub request: Option<Loaded<ReviewRequest>>,
    /// `<member>.toml`, by the member id in the file name.
    pub decisions: BTreeMap<String, Loaded<ReviewDecision>>,
}

/// A version folder.
#[derive(Debug, Clone)]
pub struct VersionEntry {
    /// The folder name.
    pub id: Version,
    /// Repository-relative folder path.
    pub dir: String,
    /// `card.toml`.
    pub card: Option<Loaded<Card>>,
    /// `lineage.lock`.
    pub lock: Option<Loaded<LineageLock>>,
    /// Review folders by slug.
    pub reviews: BTreeMap<String, StageReviews>,
    /// `monitoring/*.toml` results files that load, by path.
    pub monitoring: Vec<Loaded<MonitoringResult>>,
}

/// A model folder.
#[derive(Debug, Clone)]
pub struct ModelEntry {
    /// The folder name.
    pub id: ModelId,
    /// Repository-relative folder path.
    pub dir: String,
    /// `model.toml`.
    pub file: Option<Loaded<ModelFile>>,
    /// Versions, ordered as semver where they parse.
    pub versions: BTreeMap<Version, VersionEntry>,
}

/// A project folder.
#[derive(Debug, Clone)]
pub struct ProjectEntry {
    /// The folder name.
    pub id: ProjectId,
    /// Repository-relative folder path.
    pub dir: String,
    /// `project.toml`.
    pub file: Option<Loaded<ProjectFile>>,
    /// Models by folder name.
    pub models: BTreeMap<ModelId, ModelEntry>,
}

/// A version found by reference.
#[derive(Debug, Clone, Copy)]
pub struct VersionHandle<'w> {
    /// Its project.
    pub project: &'w ProjectEntry,
    /// Its model.
    pub model: &'w ModelEntry,
    /// The version itself.
    pub version: &'w VersionEntry,
}

impl VersionHandle<'_> {
    /// Returns `project/model@version`.
    pub fn name(&self) -> String {
        format!("{}/{}@{}", self.project.id, self.model.id, self.version.id)
    }
}

/// Everything loaded from a governed repository.
#[derive(Debug, Default)]
pub struct Workspace {
    /// The repository root, when loaded from disk.
    pub root: Option<PathBuf>,
    /// Every governed file's text, for positions.
    pub sources: SourceMap,
    /// `cardinal.toml`, when it loaded.
    pub config: Option<Loaded<OrgConfig>>,
    /// Projects by folder name.
    pub projects: BTreeMap<ProjectId, ProjectEntry>,
    /// Load-time findings: unreadable files, syntax, schema and layout.
    pub findings: Vec<Diagnostic>,
    /// Member ids declared in `cardinal.toml`, read leniently so that
    /// references can still be checked when the file has other problems;
    /// `None` when it could not be parsed at all.
    pub member_ids: Option<std::collections::BTreeSet<String>>,
}

/// Where a governed path sits in the layout.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Config,
    Project(String),
    Model(String, String),
    Card(String, String, String),
    Lock(String, String, String),
    Request(String, String, String, String),
    Decision(String, String, String, String, String),
    Monitoring(String, String, String),
}

impl Slot {
    fn kind(&self) -> Option<FileKind> {
        Some(match self {
            Slot::Config => FileKind::Config,
            Slot::Project(..) => FileKind::Project,
            Slot::Model(..) => FileKind::Model,
            Slot::Card(..) => FileKind::Card,
            Slot::Lock(..) => FileKind::LineageLock,
            Slot::Request(..) => FileKind::Request,
            Slot::Decision(..) => FileKind::Decision,
            Slot::Monitoring(..) => FileKind::MonitoringResult,
        })
    }
}

/// Returns where a repository-relative path sits in the governed layout, or
/// `None` for files the layout does not expect.
fn classify(path: &str) -> Option<Slot> {
    use crate::model::layout::{Place, VersionPath, place};
    let owned = |v: VersionPath<'_>| {
        (
            v.project.to_owned(),
            v.model.to_owned(),
            v.version.to_owned(),
        )
    };
    Some(match place(path)? {
        Place::Config => Slot::Config,
        Place::Project(p) => Slot::Project(p.to_owned()),
        Place::Model(p, m) => Slot::Model(p.to_owned(), m.to_owned()),
        Place::Card(v) => {
            let (p, m, v) = owned(v);
            Slot::Card(p, m, v)
        }
        Place::Lock(v) => {
            let (p, m, v) = owned(v);
            Slot::Lock(p, m, v)
        }
        Place::Request(v, stage) => {
            let (p, m, v) = owned(v);
            Slot::Request(p, m, v, stage.to_owned())
        }
        Place::Decision(v, stage, member) => {
            let (p, m, v) = owned(v);
            Slot::Decision(p, m, v, stage.to_owned(), member.to_owned())
        }
        Place::Monitoring(v, Some(file)) if file.ends_with(".toml") => {
            let (p, m, v) = owned(v);
            Slot::Monitoring(p, m, v)
        }
        Place::Monitoring(..) | Place::Other(..) => return None,
    })
}

/// Returns the repository root: `dir` itself or the nearest ancestor that
/// holds `cardinal.toml`.
pub fn find_root(start: &Path) -> Result<PathBuf, Error> {
    let start = start.canonicalize().map_err(|source| Error::Read {
        path: start.to_path_buf(),
        source,
    })?;
    let mut dir = start.as_path();
    loop {
        if dir.join(CONFIG_FILE).exists() {
            return Ok(dir.to_path_buf());
        }
        match dir.parent() {
            Some(parent) => dir = parent,
            None => return Err(Error::NoRepository { start }),
        }
    }
}

/// What [`list_tree`] finds in a working tree. Paths are
/// repository-relative with `/` and sorted.
#[derive(Debug, Default)]
pub struct Listing {
    /// Governed files to read (and folders named like governed files,
    /// reported later as unreadable).
    pub files: Vec<String>,
    /// The folders that make up the layout.
    pub dirs: Vec<String>,
    /// Symbolic links standing where a governed file or a layout folder
    /// would be: never read nor followed, each reported as a finding.
    pub links: Vec<Link>,
}

/// A symbolic link in the governed tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    /// Repository-relative path with `/`.
    pub path: String,
    /// True when it stands for a folder (its target is one, or it is
    /// `projects` itself), false when it stands for a governed file.
    pub folder: bool,
}

impl Link {
    /// Returns the finding that reports this link.
    fn diagnostic(&self) -> Diagnostic {
        let path = &self.path;
        let (message, help) = if self.folder {
            (
                format!(
                    "`{path}` is a symbolic link; governed folders must be real folders and are not followed"
                ),
                "commit the folder itself in place of the link",
            )
        } else {
            (
                format!("`{path}` is a symbolic link; governed files must be regular files"),
                "commit the file itself in place of the link",
            )
        };
        Diagnostic::error(Code::UnreadableFile, message)
            .at(path, 0..0)
            .with_help(help)
    }
}

/// Lists the governed files of a working tree and the folders that make up
/// the layout. Symbolic links are never followed: a linked `cardinal.toml`,
/// `projects/`, governed file or folder below it is listed in
/// [`Listing::links`] instead. Projects are walked in parallel.
pub fn list_tree(root: &Path) -> Result<Listing, Error> {
    let mut listing = Listing::default();
    match root.join(CONFIG_FILE).symlink_metadata() {
        Ok(meta) if meta.file_type().is_symlink() => listing.links.push(Link {
            path: CONFIG_FILE.to_owned(),
            folder: false,
        }),
        Ok(_) => listing.files.push(CONFIG_FILE.to_owned()),
        Err(_) => {}
    }
    match root.join("projects").symlink_metadata() {
        Ok(meta) if meta.file_type().is_symlink() => listing.links.push(Link {
            path: "projects".to_owned(),
            folder: true,
        }),
        _ => {
            let mut top = Vec::new();
            walk_dir(root, "projects", true, &mut listing, &mut top)?;
            let below: Vec<Listing> = top
                .par_iter()
                .map(|project| {
                    let mut part = Listing::default();
                    walk(root, project, 1, &mut part)?;
                    Ok(part)
                })
                .collect::<Result<_, Error>>()?;
            listing.dirs.extend(top);
            for part in below {
                listing.files.extend(part.files);
                listing.dirs.extend(part.dirs);
                listing.links.extend(part.links);
            }
        }
    }
    listing.files.sort();
    listing.dirs.sort();
    listing.links.sort();
    Ok(listing)
}

/// Lists one folder: governed files (and folders named like governed
/// files, reported later as unreadable) into `listing.files`, symbolic
/// links to governed files or to folders into `listing.links`, sub-folders
/// into `dirs`. A missing top folder is fine: a new repository has no
/// projects.
fn walk_dir(
    root: &Path,
    rel: &str,
    top: bool,
    listing: &mut Listing,
    dirs: &mut Vec<String>,
) -> Result<(), Error> {
    let path = root.join(rel);
    let entries = match std::fs::read_dir(&path) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && top => return Ok(()),
        Err(source) => return Err(Error::Read { path, source }),
    };
    for entry in entries {
        let entry = entry.map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') {
            continue;
        }
        let child = format!("{rel}/{name}");
        // `DirEntry::file_type` describes the entry itself, not what a
        // symbolic link points to.
        let file_type = entry.file_type().map_err(|source| Error::Read {
            path: entry.path(),
            source,
        })?;
        let governed = is_governed_path(&child);
        if file_type.is_symlink() {
            // A link to a folder would be walked into if followed: report
            // it. Asking whether the target is a folder stats it, without
            // opening or listing it. Links to other files (a model binary
            // kept elsewhere) are none of the loader's business.
            let folder = !governed && std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
            if governed || folder {
                listing.links.push(Link {
                    path: child,
                    folder,
                });
            }
        } else if governed {
            listing.files.push(child);
        } else if file_type.is_dir() {
            dirs.push(child);
        }
    }
    Ok(())
}

/// Returns the project, model and version folders above a file under
/// `projects/` (`projects/p`, `projects/p/m`, `projects/p/m/v`).
fn layout_folders(path: &str) -> Vec<String> {
    let Some(rest) = path.strip_prefix("projects/") else {
        return Vec::new();
    };
    let parts: Vec<&str> = rest.split('/').collect();
    // The last part is the file's own name.
    let above = parts.len().saturating_sub(1).min(3);
    (1..=above)
        .map(|n| format!("projects/{}", parts[..n].join("/")))
        .collect()
}

/// Walks a folder of the layout recursively; the layout is at most 5
/// levels deep below `projects/`, so deeper folders hold nothing governed.
fn walk(root: &Path, rel: &str, depth: usize, listing: &mut Listing) -> Result<(), Error> {
    let mut sub = Vec::new();
    walk_dir(root, rel, false, listing, &mut sub)?;
    for child in sub {
        if depth < 5 {
            walk(root, &child, depth + 1, listing)?;
            listing.dirs.push(child);
        }
    }
    Ok(())
}

/// Why a listed governed file was not read.
enum Unread {
    /// It is (or became, while being opened) a symbolic link.
    Link,
    /// Anything else, said in words.
    Other(String),
}

/// Reads a governed file of the working tree, refusing anything but a
/// regular file: a symbolic link is never followed, and a FIFO or device
/// is never opened (opening a FIFO would block).
///
/// The path is checked with `symlink_metadata` and then opened, which
/// follows links: between the two it could be swapped for a link. Opening
/// with `O_NOFOLLOW` would close that window but needs `libc`; instead
/// the opened file's device and inode are compared with those checked, so
/// a file reached through a link swapped in is refused, not read. (Where
/// there are no inodes, the path is checked again after opening.)
fn read_regular(path: &Path) -> Result<Vec<u8>, Unread> {
    use std::io::Read;
    let other = |e: std::io::Error| Unread::Other(e.to_string());
    let before = path.symlink_metadata().map_err(other)?;
    if before.file_type().is_symlink() {
        return Err(Unread::Link);
    }
    if before.is_dir() {
        return Err(Unread::Other("is a directory, not a file".to_owned()));
    }
    if !before.is_file() {
        return Err(Unread::Other("is not a regular file".to_owned()));
    }
    let mut file = std::fs::File::open(path).map_err(other)?;
    let after = file.metadata().map_err(other)?;
    if !same_file(path, &before, &after) {
        return Err(Unread::Link);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(after.len()).unwrap_or(0));
    file.read_to_end(&mut bytes).map_err(other)?;
    Ok(bytes)
}

/// Returns true when the opened file (`after`) is the one checked before
/// opening (`before`).
#[cfg(unix)]
fn same_file(_path: &Path, before: &std::fs::Metadata, after: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    before.dev() == after.dev() && before.ino() == after.ino()
}

/// Returns true when the opened file (`after`) is the one checked before
/// opening (`before`): without inodes, the path must still not be a link.
#[cfg(not(unix))]
fn same_file(path: &Path, _before: &std::fs::Metadata, after: &std::fs::Metadata) -> bool {
    after.is_file()
        && path
            .symlink_metadata()
            .is_ok_and(|m| !m.file_type().is_symlink())
}

/// Reads and loads the working tree at `root`. Symbolic links where
/// governed files or folders would be are reported, never read.
pub fn read_tree(root: &Path) -> Result<Workspace, Error> {
    read_tree_cached(root, &mut LoadCache::default())
}

/// What earlier loads parsed, by path: a file whose bytes are the same is
/// not parsed again. For a process that loads the same tree over and
/// over (`render --watch`).
#[derive(Default)]
pub struct LoadCache {
    files: std::collections::HashMap<String, (Vec<u8>, Parsed, Vec<Diagnostic>)>,
}

/// The same as [`read_tree`], parsing only the files whose bytes changed
/// since the load that filled `cache`; `cache` then holds this load.
pub fn read_tree_cached(root: &Path, cache: &mut LoadCache) -> Result<Workspace, Error> {
    let listing = list_tree(root)?;
    let read: Vec<Result<RawFile, Link>> = listing
        .files
        .into_par_iter()
        .map(|path| match read_regular(&root.join(&path)) {
            Ok(bytes) => Ok(RawFile {
                path,
                content: Ok(bytes),
            }),
            Err(Unread::Other(why)) => Ok(RawFile {
                path,
                content: Err(why),
            }),
            Err(Unread::Link) => Err(Link {
                path,
                folder: false,
            }),
        })
        .collect();
    let mut links = listing.links;
    let mut files = Vec::with_capacity(read.len());
    for r in read {
        match r {
            Ok(file) => files.push(file),
            Err(link) => links.push(link),
        }
    }
    let old = std::mem::take(&mut cache.files);
    let parsed: Vec<(ParsedFile, Option<Vec<u8>>)> = files
        .into_par_iter()
        .map(|file| {
            if let Ok(bytes) = &file.content
                && let Some((seen, parsed, findings)) = old.get(&file.path)
                && seen == bytes
                && let Ok(text) = std::str::from_utf8(bytes)
            {
                let text = Some(Arc::from(text));
                let done = (file.path, text, parsed.clone(), findings.clone());
                return (done, file.content.ok());
            }
            // Only files that read are kept: an unreadable one is read again.
            let bytes = file.content.as_ref().ok().cloned();
            (parse_file(file), bytes)
        })
        .collect();
    let mut results = Vec::with_capacity(parsed.len());
    for ((path, text, parsed, findings), bytes) in parsed {
        if let Some(bytes) = bytes {
            cache
                .files
                .insert(path.clone(), (bytes, parsed.clone(), findings.clone()));
        }
        results.push((path, text, parsed, findings));
    }
    let mut ws = Workspace::assemble(results);
    ws.root = Some(root.to_path_buf());
    ws.findings.extend(links.iter().map(Link::diagnostic));
    ws.check_folders(&listing.dirs);
    Ok(ws)
}

/// A file after parsing and schema checking, before it is placed. Short
/// lived (one per file, moved once, or kept in a [`LoadCache`]), so
/// variant sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum Parsed {
    Config(Loaded<OrgConfig>),
    Project(String, Loaded<ProjectFile>),
    Model(String, String, Loaded<ModelFile>),
    Card(String, String, String, Loaded<Card>),
    Lock(String, String, String, Loaded<LineageLock>),
    Request(String, String, String, String, Loaded<ReviewRequest>),
    Decision(
        String,
        String,
        String,
        String,
        String,
        Loaded<ReviewDecision>,
    ),
    Monitoring(String, String, String, Loaded<MonitoringResult>),
    Nothing,
}

fn parse_as<T: DeserializeOwned>(
    kind: FileKind,
    path: &str,
    text: &Arc<str>,
    findings: &mut Vec<Diagnostic>,
) -> Option<Loaded<T>> {
    let doc = match Document::parse_shared(path, text.clone()) {
        Ok(doc) => doc,
        Err(d) => {
            findings.push(d);
            return None;
        }
    };
    let problems = schema::check(kind, path, &doc);
    if !problems.is_empty() {
        findings.extend(problems);
        return None;
    }
    match T::deserialize(&doc.json) {
        Ok(value) => {
            let mut doc = doc;
            if kind != FileKind::Card {
                // Only cards need their JSON after loading (the card digest
                // hashes it); dropping the rest keeps a 10,000-version
                // repository's load lean.
                doc.json = serde_json::Value::Null;
            }
            Some(Loaded {
                path: path.to_owned(),
                doc,
                value,
            })
        }
        Err(e) => {
            findings.push(Diagnostic::error(Code::InvalidValue, e.to_string()).at(path, 0..0));
            None
        }
    }
}

/// A file's path, text (when it is UTF-8), parsed contents and findings.
type ParsedFile = (String, Option<Arc<str>>, Parsed, Vec<Diagnostic>);

fn parse_file(file: RawFile) -> ParsedFile {
    let mut findings = Vec::new();
    let path = file.path;
    let Some(slot) = classify(&path) else {
        findings.push(
            Diagnostic::warning(
                Code::UnexpectedFile,
                format!("`{path}` is not part of the governed layout"),
            )
            .at(&path, 0..0)
            .with_help("see the repository layout: projects/<project>/<model>/<version>/…"),
        );
        return (path, None, Parsed::Nothing, findings);
    };
    let bytes = match file.content {
        Ok(bytes) => bytes,
        Err(why) => {
            findings.push(
                Diagnostic::error(Code::UnreadableFile, format!("cannot read `{path}`: {why}"))
                    .at(&path, 0..0),
            );
            return (path, None, Parsed::Nothing, findings);
        }
    };
    let text: Arc<str> = match String::from_utf8(bytes) {
        Ok(text) => Arc::from(text),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
            findings.push(
                Diagnostic::error(
                    Code::InvalidUtf8,
                    format!("`{path}` is not valid UTF-8 (byte {offset})"),
                )
                .at(&path, offset..offset),
            );
            return (path, Some(Arc::from(valid)), Parsed::Nothing, findings);
        }
    };
    let Some(kind) = slot.kind() else {
        return (path, Some(text), Parsed::Nothing, findings);
    };
    let f = &mut findings;
    let parsed = match slot {
        Slot::Config => parse_as(kind, &path, &text, f).map(Parsed::Config),
        Slot::Project(p) => parse_as(kind, &path, &text, f).map(|l| Parsed::Project(p, l)),
        Slot::Model(p, m) => parse_as(kind, &path, &text, f).map(|l| Parsed::Model(p, m, l)),
        Slot::Card(p, m, v) => parse_as(kind, &path, &text, f).map(|l| Parsed::Card(p, m, v, l)),
        Slot::Lock(p, m, v) => parse_as(kind, &path, &text, f).map(|l| Parsed::Lock(p, m, v, l)),
        Slot::Request(p, m, v, s) => {
            parse_as(kind, &path, &text, f).map(|l| Parsed::Request(p, m, v, s, l))
        }
        Slot::Decision(p, m, v, s, r) => {
            parse_as(kind, &path, &text, f).map(|l| Parsed::Decision(p, m, v, s, r, l))
        }
        Slot::Monitoring(p, m, v) => {
            parse_as(kind, &path, &text, f).map(|l| Parsed::Monitoring(p, m, v, l))
        }
    };
    (
        path,
        Some(text),
        parsed.unwrap_or(Parsed::Nothing),
        findings,
    )
}

impl Workspace {
    /// Loads a set of files (paths repository-relative with `/`), as a
    /// Git tree holds them. Files in folders whose names are not valid ids
    /// are reported and skipped; layout folders without their defining
    /// file are reported (a tree has no empty folders, so the files'
    /// folders are all of them).
    pub fn from_files(files: Vec<RawFile>) -> Self {
        let dirs: Vec<String> = files
            .iter()
            .flat_map(|f| layout_folders(&f.path))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut ws = Self::parse_files(files);
        ws.check_folders(&dirs);
        ws
    }

    /// Parses and places files, without the folder check.
    fn parse_files(files: Vec<RawFile>) -> Self {
        Self::assemble(files.into_par_iter().map(parse_file).collect())
    }

    /// Places parsed files, without the folder check.
    fn assemble(results: Vec<ParsedFile>) -> Self {
        let mut ws = Workspace::default();
        for (path, text, parsed, findings) in results {
            if let Some(text) = text {
                ws.sources.insert(path, text);
            }
            ws.findings.extend(findings);
            ws.place(parsed);
        }
        ws.member_ids = match &ws.config {
            Some(config) => Some(
                config
                    .value
                    .members
                    .iter()
                    .map(|m| m.id.to_string())
                    .collect(),
            ),
            None => ws
                .sources
                .get(CONFIG_FILE)
                .and_then(|text| Document::parse(CONFIG_FILE, text).ok())
                .map(|doc| {
                    doc.json["members"]
                        .as_array()
                        .map(|members| {
                            members
                                .iter()
                                .filter_map(|m| m["id"].as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default()
                }),
        };
        ws
    }

    fn version_slot(&mut self, p: &str, m: &str, v: &str, path: &str) -> Option<&mut VersionEntry> {
        let version: Version = match v.parse() {
            Ok(v) => v,
            Err(e) => {
                self.findings.push(
                    Diagnostic::error(Code::InvalidValue, format!("folder name: {e}"))
                        .at(path, 0..0),
                );
                return None;
            }
        };
        let model = self.model_slot(p, m, path)?;
        let dir = format!("{}/{version}", model.dir);
        Some(
            model
                .versions
                .entry(version.clone())
                .or_insert_with(|| VersionEntry {
                    id: version,
                    dir,
                    card: None,
                    lock: None,
                    reviews: BTreeMap::new(),
                    monitoring: Vec::new(),
                }),
        )
    }

    fn model_slot(&mut self, p: &str, m: &str, path: &str) -> Option<&mut ModelEntry> {
        let model_id: ModelId = match m.parse() {
            Ok(id) => id,
            Err(e) => {
                self.findings.push(
                    Diagnostic::error(Code::InvalidValue, format!("folder name: {e}"))
                        .at(path, 0..0),
                );
                return None;
            }
        };
        let project = self.project_slot(p, path)?;
        let dir = format!("{}/{model_id}", project.dir);
        Some(
            project
                .models
                .entry(model_id.clone())
                .or_insert_with(|| ModelEntry {
                    id: model_id,
                    dir,
                    file: None,
                    versions: BTreeMap::new(),
                }),
        )
    }

    fn project_slot(&mut self, p: &str, path: &str) -> Option<&mut ProjectEntry> {
        let id: ProjectId = match p.parse() {
            Ok(id) => id,
            Err(e) => {
                self.findings.push(
                    Diagnostic::error(Code::InvalidValue, format!("folder name: {e}"))
                        .at(path, 0..0),
                );
                return None;
            }
        };
        Some(
            self.projects
                .entry(id.clone())
                .or_insert_with(|| ProjectEntry {
                    dir: format!("projects/{id}"),
                    id,
                    file: None,
                    models: BTreeMap::new(),
                }),
        )
    }

    fn place(&mut self, parsed: Parsed) {
        match parsed {
            Parsed::Nothing => {}
            Parsed::Config(l) => self.config = Some(l),
            Parsed::Project(p, l) => {
                let path = l.path.clone();
                if let Some(slot) = self.project_slot(&p, &path) {
                    slot.file = Some(l);
                }
            }
            Parsed::Model(p, m, l) => {
                let path = l.path.clone();
                if let Some(slot) = self.model_slot(&p, &m, &path) {
                    slot.file = Some(l);
                }
            }
            Parsed::Card(p, m, v, l) => {
                let path = l.path.clone();
                if let Some(slot) = self.version_slot(&p, &m, &v, &path) {
                    slot.card = Some(l);
                }
            }
            Parsed::Lock(p, m, v, l) => {
                let path = l.path.clone();
                if let Some(slot) = self.version_slot(&p, &m, &v, &path) {
                    slot.lock = Some(l);
                }
            }
            Parsed::Request(p, m, v, s, l) => {
                let path = l.path.clone();
                if let Some(slot) = self.version_slot(&p, &m, &v, &path) {
                    let reviews = slot.reviews.entry(s.clone()).or_default();
                    reviews.slug = s;
                    reviews.request = Some(l);
                }
            }
            Parsed::Decision(p, m, v, s, r, l) => {
                let path = l.path.clone();
                if let Some(slot) = self.version_slot(&p, &m, &v, &path) {
                    let reviews = slot.reviews.entry(s.clone()).or_default();
                    reviews.slug = s;
                    reviews.decisions.insert(r, l);
                }
            }
            Parsed::Monitoring(p, m, v, l) => {
                let path = l.path.clone();
                if let Some(slot) = self.version_slot(&p, &m, &v, &path) {
                    slot.monitoring.push(l);
                    slot.monitoring.sort_by(|a, b| a.path.cmp(&b.path));
                }
            }
        }
    }

    /// Reports layout folders that lack their defining file: a project
    /// without `project.toml`, a model without `model.toml`, a version
    /// without `card.toml`.
    fn check_folders(&mut self, dirs: &[String]) {
        for dir in dirs {
            let depth = dir.matches('/').count();
            let (file, what) = match depth {
                1 => ("project.toml", "project"),
                2 => ("model.toml", "model"),
                3 => ("card.toml", "version"),
                _ => continue,
            };
            let expected = format!("{dir}/{file}");
            if self.sources.get(&expected).is_none() && !self.has_unreadable(&expected) {
                self.findings.push(
                    Diagnostic::error(
                        Code::MissingFile,
                        format!("{what} folder `{dir}` has no `{file}`"),
                    )
                    .at(&expected, 0..0)
                    .with_help("create it with `cardinal new`, or remove the folder"),
                );
            }
        }
    }

    fn has_unreadable(&self, path: &str) -> bool {
        self.findings
            .iter()
            .any(|d| d.primary().is_some_and(|l| l.file == path))
    }

    /// Returns the members declared in `cardinal.toml`.
    pub fn members(&self) -> &[crate::model::files::Member] {
        self.config
            .as_ref()
            .map_or(&[], |c| c.value.members.as_slice())
    }

    /// Returns the member with `id`.
    pub fn member(&self, id: &MemberId) -> Option<&crate::model::files::Member> {
        self.members().iter().find(|m| &m.id == id)
    }

    /// Returns the stages in force for a project: its override, else the
    /// global list, else MLflow's defaults.
    pub fn stages_for(&self, project: &ProjectId) -> Vec<StageDef> {
        let project_stages = self
            .projects
            .get(project)
            .and_then(|p| p.file.as_ref())
            .and_then(|f| f.value.stages.clone());
        let global = self.config.as_ref().and_then(|c| c.value.stages.clone());
        project_stages
            .or(global)
            .unwrap_or_else(stage::default_stages)
    }

    /// Returns every version, in project, model, version order.
    pub fn versions(&self) -> impl Iterator<Item = VersionHandle<'_>> {
        self.projects.values().flat_map(|project| {
            project.models.values().flat_map(move |model| {
                model.versions.values().map(move |version| VersionHandle {
                    project,
                    model,
                    version,
                })
            })
        })
    }

    /// Returns the version a reference names, or an error saying why none
    /// or several match.
    pub fn find_version(&self, reference: &VersionRef) -> Result<VersionHandle<'_>, String> {
        // Map lookups, not a scan: validate resolves every parent of every
        // version, so this runs once per reference.
        let matches: Vec<VersionHandle<'_>> = self
            .projects
            .values()
            .filter(|p| reference.project.as_ref().is_none_or(|id| &p.id == id))
            .filter_map(|project| {
                let model = project.models.get(&reference.model)?;
                let version = model.versions.get(&reference.version)?;
                Some(VersionHandle {
                    project,
                    model,
                    version,
                })
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok(*one),
            [] => Err(format!("no version `{reference}` in this repository")),
            many => Err(format!(
                "`{reference}` is ambiguous: {}",
                many.iter()
                    .map(|h| format!("`{}`", h.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Returns the project holding model `model` (with its `model.toml`),
    /// in `project` when given, or an error saying why none or several
    /// match: the short form `model@version` names a model whose name is
    /// unique.
    pub fn find_model(
        &self,
        project: Option<&ProjectId>,
        model: &ModelId,
    ) -> Result<&ProjectId, String> {
        let matches: Vec<&ProjectId> = self
            .projects
            .values()
            .filter(|p| project.is_none_or(|id| &p.id == id))
            .filter(|p| p.models.get(model).is_some_and(|m| m.file.is_some()))
            .map(|p| &p.id)
            .collect();
        match (matches.as_slice(), project) {
            ([one], _) => Ok(*one),
            ([], Some(p)) => Err(format!(
                "no model `{p}/{model}`; create it first with `cardinal new model {p}/{model}`"
            )),
            ([], None) => Err(format!(
                "no model `{model}`; create it first with `cardinal new model PROJECT/{model}`"
            )),
            (many, _) => Err(format!(
                "model `{model}` is ambiguous: it is in {}; write `PROJECT/{model}@VERSION`",
                many.iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Returns the absolute path of a repository-relative path, when the
    /// workspace was loaded from disk.
    pub fn abs_path(&self, rel: &str) -> Option<PathBuf> {
        self.root.as_ref().map(|r| r.join(rel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> RawFile {
        RawFile {
            path: path.into(),
            content: Ok(text.as_bytes().to_vec()),
        }
    }

    #[test]
    fn classifies_layout() {
        assert_eq!(classify("cardinal.toml"), Some(Slot::Config));
        assert_eq!(
            classify("projects/p/project.toml"),
            Some(Slot::Project("p".into()))
        );
        assert!(
            matches!(classify("projects/p/m/1.0/reviews/staging/bob.toml"), Some(Slot::Decision(_, _, _, s, r)) if s == "staging" && r == "bob")
        );
        assert_eq!(classify("projects/p/m/1.0/notes.toml"), None);
        assert_eq!(classify("README.md"), None);
    }

    #[test]
    fn loads_from_files() {
        let ws = Workspace::from_files(vec![
            file("cardinal.toml", "[org]\nname = \"Acme\"\n"),
            file("projects/p/project.toml", "name = \"p\"\n"),
            file("projects/p/m/model.toml", "name = \"m\"\n"),
            file("projects/p/m/1.0.0/card.toml", "version = \"1.0.0\"\n"),
            file(
                "projects/p/m/1.0.0/reviews/staging/request.toml",
                "stage = \"Staging\"\nrequested_by = \"a\"\nreviewers = [\"b\"]\n",
            ),
        ]);
        assert!(ws.findings.is_empty(), "{:?}", ws.findings);
        let r: VersionRef = "m@1.0.0".parse().unwrap();
        let h = ws.find_version(&r).unwrap();
        assert_eq!(h.name(), "p/m@1.0.0");
        assert!(h.version.reviews["staging"].request.is_some());
        assert_eq!(ws.stages_for(&"p".parse().unwrap()).len(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_listed_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("projects/p/m/1.0.0")).unwrap();
        std::fs::write(root.join("cardinal.toml"), "[org]\nname = \"A\"\n").unwrap();
        std::fs::write(root.join("secret"), "s3cr3t = 1\n").unwrap();
        std::os::unix::fs::symlink(
            root.join("secret"),
            root.join("projects/p/m/1.0.0/card.toml"),
        )
        .unwrap();
        std::os::unix::fs::symlink(root.join("projects/p"), root.join("projects/q")).unwrap();
        let listing = list_tree(root).unwrap();
        assert_eq!(listing.files, ["cardinal.toml"]);
        let links: Vec<(&str, bool)> = listing
            .links
            .iter()
            .map(|l| (l.path.as_str(), l.folder))
            .collect();
        assert_eq!(
            links,
            [
                ("projects/p/m/1.0.0/card.toml", false),
                ("projects/q", true)
            ]
        );
        assert!(matches!(
            read_regular(&root.join("projects/p/m/1.0.0/card.toml")),
            Err(Unread::Link)
        ));
        let ws = read_tree(root).unwrap();
        assert!(ws.sources.get("projects/p/m/1.0.0/card.toml").is_none());
        assert!(
            ws.findings
                .iter()
                .all(|d| d.code == Code::UnreadableFile || d.code == Code::MissingFile),
            "{:?}",
            ws.findings
        );
    }

    #[test]
    fn a_cached_load_parses_again_only_what_changed_and_sees_every_change() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |rel: &str, text: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("cardinal.toml", "[org]\nname = \"A\"\n");
        write("projects/p/project.toml", "name = \"p\"\n");
        write(
            "projects/p/m/model.toml",
            "name = \"m\"\nsummary = \"one\"\n",
        );
        let mut cache = LoadCache::default();
        let summary = |ws: &Workspace| {
            ws.projects
                .values()
                .next()
                .and_then(|p| p.models.values().next())
                .and_then(|m| m.file.as_ref())
                .and_then(|f| f.value.summary.clone())
        };
        let first = read_tree_cached(root, &mut cache).unwrap();
        assert_eq!(cache.files.len(), 3);
        let again = read_tree_cached(root, &mut cache).unwrap();
        assert_eq!(
            (summary(&first), summary(&again)),
            (Some("one".to_owned()), Some("one".to_owned()))
        );
        assert_eq!(again.findings.len(), 0);
        write(
            "projects/p/m/model.toml",
            "name = \"m\"\nsummary = \"two\"\nnope = 1\n",
        );
        let changed = read_tree_cached(root, &mut cache).unwrap();
        assert_eq!(
            summary(&changed),
            None,
            "the unknown key is an error: the file no longer loads"
        );
        assert_eq!(changed.findings.len(), 1);
        std::fs::remove_file(root.join("projects/p/m/model.toml")).unwrap();
        let removed = read_tree_cached(root, &mut cache).unwrap();
        assert_eq!(cache.files.len(), 2);
        assert_eq!(
            removed.findings.iter().map(|d| d.code).collect::<Vec<_>>(),
            [Code::MissingFile]
        );
    }

    #[test]
    fn bad_bytes_are_findings() {
        let ws = Workspace::from_files(vec![RawFile {
            path: "cardinal.toml".into(),
            content: Ok(vec![b'a', 0xff]),
        }]);
        assert_eq!(ws.findings[0].code, Code::InvalidUtf8);
    }
}

//! The pages of the site and what each shows, drawn from the
//! [`Registry`]: every text is prepared here, so templates only lay it
//! out. Markdown and charts arrive as sanitized HTML; every other string
//! is escaped by the templates.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::charts::{self, Bar, Node, Series};
use super::markdown::{code_spans, markdown};
use super::registry::{Model, Project, Registry, Version};
use crate::model::files::{Card, StageDef};
use crate::model::ids::StageName;
use crate::model::results::{DriftResult, QualityResult};
use crate::output::wire::{JsonEvent, JsonReview};

/// One page: where it goes, which template draws it, and what it shows.
pub struct Page {
    /// Path in the site, with `/`.
    pub path: String,
    /// The template's name.
    pub template: &'static str,
    /// The template's data.
    pub data: serde_json::Value,
}

/// What every page knows besides its own content.
#[derive(Serialize)]
struct Frame<'a, T: Serialize> {
    /// The relative path to the site's root (`""`, `"../"`, …).
    root: String,
    /// The page's `<title>` and `<h1>`.
    title: String,
    /// The organisation's name.
    org: &'a str,
    /// The commit and "now" the site shows.
    commit: String,
    now: &'a str,
    /// `working tree` or `commit`.
    content: &'static str,
    /// The absolute URL of this page, with `--base-url`.
    canonical: Option<String>,
    /// The navigation entry this page is under.
    section: &'static str,
    page: T,
}

/// A chart and its caption.
#[derive(Serialize)]
struct Chart {
    /// The visible caption (the SVG has the same as its title).
    title: String,
    /// Inline SVG, drawn by `charts`.
    svg: String,
}

impl Chart {
    fn new(title: String, draw: impl FnOnce(&str) -> String) -> Self {
        Chart {
            svg: draw(&title),
            title,
        }
    }
}

/// A link, relative to the page it is on.
#[derive(Serialize, Clone)]
struct Link {
    text: String,
    href: String,
}

/// The paths of the site.
pub mod paths {
    /// The index.
    pub const INDEX: &str = "index.html";
    /// The activity log.
    pub const ACTIVITY: &str = "activity.html";
    /// The machine-readable registry.
    pub const REGISTRY: &str = "registry.json";
    /// The style sheet.
    pub const STYLE: &str = "style.css";

    /// A project's page.
    pub fn project(project: &str) -> String {
        format!("projects/{project}.html")
    }

    /// A stage's page (all projects).
    pub fn stage(slug: &str) -> String {
        format!("stages/{slug}.html")
    }

    /// A model's page.
    pub fn model(model: &str) -> String {
        format!("models/{model}/index.html")
    }

    /// A version's page.
    pub fn version(model: &str, version: &str) -> String {
        format!("models/{model}/{version}.html")
    }

    /// The page comparing two versions of a model.
    pub fn compare(model: &str, a: &str, b: &str) -> String {
        format!("models/{model}/compare/{a}/{b}.html")
    }

    /// Returns the relative path from the page at `from` to the root.
    pub fn root_of(from: &str) -> String {
        "../".repeat(from.matches('/').count())
    }
}

/// Returns the `p/m@v` of a version name split into its model and version.
fn split_name(name: &str) -> (&str, &str) {
    name.rsplit_once('@').unwrap_or((name, ""))
}

/// Builds links from one page: `href` is relative to the site's root.
struct Linker {
    root: String,
}

impl Linker {
    fn new(page: &str) -> Self {
        Linker {
            root: paths::root_of(page),
        }
    }

    fn to(&self, text: impl Into<String>, path: &str) -> Link {
        Link {
            text: text.into(),
            href: format!("{}{path}", self.root),
        }
    }

    /// A link to a version page by its `p/m@v` name.
    fn version(&self, name: &str) -> Link {
        let (model, version) = split_name(name);
        self.to(name, &paths::version(model, version))
    }

    fn model(&self, model: &str) -> Link {
        self.to(model, &paths::model(model))
    }
}

/// One page to draw; [`Site::draw`] prepares it. Listing pages first
/// and drawing each on its own keeps memory to the pages in flight.
pub enum Job<'r, 'a> {
    /// The index.
    Index,
    /// The activity log.
    Activity,
    /// A project's page.
    Project(&'r Project<'a>),
    /// A model's page.
    Model(&'r Project<'a>, &'r Model<'a>),
    /// A version's page: its model's version at this index.
    Version(&'r Project<'a>, &'r Model<'a>, usize),
    /// The comparison of a model's version at this index with the one
    /// before it.
    Compare(&'r Model<'a>, usize),
    /// A stage's page: its slug and name.
    Stage(String, String),
}

impl Job<'_, '_> {
    /// Returns true when the page shows any of these versions (`p/m@v`).
    pub fn shows(&self, names: &BTreeSet<String>) -> bool {
        let any = |m: &Model<'_>| m.versions.iter().any(|v| names.contains(&v.name));
        match self {
            // The log and the stages come from the history alone.
            Job::Activity | Job::Stage(..) => false,
            Job::Index => true,
            Job::Project(p) => p.models.iter().any(any),
            Job::Model(_, m) => any(m),
            Job::Version(_, m, i) => names.contains(&m.versions[*i].name),
            Job::Compare(m, i) => {
                names.contains(&m.versions[*i].name) || names.contains(&m.versions[*i - 1].name)
            }
        }
    }
}

/// Returns every page of the site, to draw.
pub fn jobs<'r, 'a>(reg: &'r Registry<'a>) -> Vec<Job<'r, 'a>> {
    let mut out = vec![Job::Index, Job::Activity];
    for p in &reg.projects {
        out.push(Job::Project(p));
        for m in &p.models {
            out.push(Job::Model(p, m));
            for i in 0..m.versions.len() {
                out.push(Job::Version(p, m, i));
                if i > 0 {
                    out.push(Job::Compare(m, i));
                }
            }
        }
    }
    out.extend(
        stage_slugs(reg)
            .into_iter()
            .map(|(slug, name)| Job::Stage(slug, name)),
    );
    out
}

/// What pages look things up in, built once for all of them.
pub struct Site<'r, 'a> {
    reg: &'r Registry<'a>,
    base_url: Option<&'r str>,
    /// Every version by its `p/m@v` name.
    versions: BTreeMap<&'r str, &'r Version<'a>>,
    /// The activity log's entries by version, newest first, with their
    /// place in the log.
    events: BTreeMap<&'r str, Vec<(usize, &'r JsonEvent)>>,
}

impl<'r, 'a> Site<'r, 'a> {
    /// Indexes the registry.
    pub fn new(reg: &'r Registry<'a>, base_url: Option<&'r str>) -> Self {
        let versions = reg
            .projects
            .iter()
            .flat_map(|p| &p.models)
            .flat_map(|m| &m.versions)
            .map(|v| (v.name.as_str(), v))
            .collect();
        let mut events: BTreeMap<&str, Vec<(usize, &JsonEvent)>> = BTreeMap::new();
        for (i, e) in reg.activity.iter().enumerate() {
            if let Some(v) = &e.version {
                events.entry(v.as_str()).or_default().push((i, e));
            }
        }
        Site {
            reg,
            base_url,
            versions,
            events,
        }
    }

    /// The log entries about one version, newest first, with their place
    /// in the log.
    fn events_of(&self, name: &str) -> &[(usize, &'r JsonEvent)] {
        self.events.get(name).map_or(&[], Vec::as_slice)
    }

    /// Prepares one page.
    pub fn draw(&self, job: &Job<'_, '_>) -> Page {
        let reg = self.reg;
        match *job {
            Job::Index => self.page(
                paths::INDEX,
                "index",
                "Model registry",
                "index",
                index(reg, &Linker::new(paths::INDEX)),
            ),
            Job::Activity => self.page(
                paths::ACTIVITY,
                "activity",
                "Activity",
                "activity",
                Activity {
                    events: events(reg.activity.iter(), &Linker::new(paths::ACTIVITY)),
                },
            ),
            Job::Project(p) => {
                let path = paths::project(p.id);
                let l = Linker::new(&path);
                self.page(
                    &path,
                    "project",
                    &format!("Project {}", p.name),
                    "projects",
                    ProjectPage {
                        id: p.id,
                        description: p.description.map(markdown),
                        stages: p
                            .stages
                            .iter()
                            .map(|s| l.to(s.name.to_string(), &paths::stage(&s.name.slug())))
                            .collect(),
                        models: p.models.iter().map(|m| model_row(m, &l)).collect(),
                    },
                )
            }
            Job::Model(p, m) => {
                let path = paths::model(&m.name);
                let view = model_page(self, p, m, &Linker::new(&path));
                self.page(&path, "model", &m.name, "projects", view)
            }
            Job::Version(p, m, i) => {
                let v = &m.versions[i];
                let path = paths::version(&m.name, &v.version);
                let view = version_page(self, p, m, v, &Linker::new(&path));
                self.page(&path, "version", &v.name, "projects", view)
            }
            Job::Compare(m, i) => {
                let (prev, v) = (&m.versions[i - 1], &m.versions[i]);
                let path = paths::compare(&m.name, &prev.version, &v.version);
                let view = compare(prev, v, &Linker::new(&path));
                let title = format!("{} {} and {}", m.name, prev.version, v.version);
                self.page(&path, "compare", &title, "projects", view)
            }
            Job::Stage(ref slug, ref name) => {
                let path = paths::stage(slug);
                let view = stage_page(reg, slug, name, &Linker::new(&path));
                self.page(&path, "stage", &format!("Stage {name}"), "stages", view)
            }
        }
    }
    fn page<T: Serialize>(
        &self,
        path: &str,
        template: &'static str,
        title: &str,
        section: &'static str,
        page: T,
    ) -> Page {
        let frame = Frame {
            root: paths::root_of(path),
            title: title.to_owned(),
            org: self.reg.org.name,
            commit: short(self.reg.source.commit),
            now: self.reg.source.now,
            content: if self.reg.source.content == "commit" {
                "commit"
            } else {
                "working tree"
            },
            canonical: self
                .base_url
                .map(|base| format!("{}/{path}", base.trim_end_matches('/'))),
            section,
            page,
        };
        Page {
            path: path.to_owned(),
            template,
            // Serializing plain structs of strings and numbers cannot fail.
            data: serde_json::to_value(&frame).unwrap_or_default(),
        }
    }
}

fn short(commit: &str) -> String {
    commit.chars().take(8).collect()
}

/// Every stage slug of every project with its display name, in first
/// declared order.
fn stage_slugs(reg: &Registry<'_>) -> Vec<(String, String)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for p in &reg.projects {
        for s in &p.stages {
            let slug = s.name.slug();
            if seen.insert(slug.clone()) {
                out.push((slug, s.name.to_string()));
            }
        }
    }
    out
}

#[derive(Serialize)]
struct Index {
    models: Vec<ModelRow>,
    reviews: Vec<OpenReview>,
    alerts: Vec<Alert>,
    recent: Vec<EventRow>,
    projects: Vec<Link>,
    stages: Vec<Link>,
    versions: usize,
}

#[derive(Serialize)]
struct ModelRow {
    link: Link,
    summary: Option<String>,
    badges: Vec<Badge>,
    versions: usize,
}

#[derive(Serialize)]
struct Badge {
    stage: String,
    slug: String,
    versions: Vec<Link>,
}

#[derive(Serialize)]
struct OpenReview {
    version: Link,
    stage: String,
    requested_by: Option<String>,
    pending: Vec<String>,
    /// HTML (escaped, with code spans).
    blockers: Vec<String>,
}

#[derive(Serialize)]
struct Alert {
    version: Link,
    kind: &'static str,
    text: String,
    date: String,
}

#[derive(Serialize)]
struct EventRow {
    time: String,
    date: String,
    author: Option<String>,
    kind: String,
    version: Option<Link>,
    stage: Option<String>,
    /// HTML (escaped, with code spans).
    detail: String,
    commit: Option<String>,
}

fn index(reg: &Registry<'_>, l: &Linker) -> Index {
    let models: Vec<&Model<'_>> = reg.projects.iter().flat_map(|p| &p.models).collect();
    let versions: Vec<&Version<'_>> = models.iter().flat_map(|m| &m.versions).collect();
    Index {
        models: models.iter().map(|m| model_row(m, l)).collect(),
        reviews: versions.iter().flat_map(|v| open_reviews(v, l)).collect(),
        alerts: versions.iter().flat_map(|v| alerts(v, l)).collect(),
        recent: events(reg.activity.iter().take(10), l),
        projects: reg
            .projects
            .iter()
            .map(|p| l.to(p.name, &paths::project(p.id)))
            .collect(),
        stages: stage_slugs(reg)
            .into_iter()
            .map(|(slug, name)| l.to(name, &paths::stage(&slug)))
            .collect(),
        versions: versions.len(),
    }
}

fn model_row(m: &Model<'_>, l: &Linker) -> ModelRow {
    let mut badges: Vec<Badge> = Vec::new();
    for v in &m.versions {
        let Some(stage) = v.stage else { continue };
        let link = l.version(&v.name);
        match badges.iter_mut().find(|b| b.stage == stage) {
            Some(b) => b.versions.push(Link {
                text: v.version.clone(),
                ..link
            }),
            None => badges.push(Badge {
                stage: stage.to_owned(),
                slug: StageName::new(stage).slug(),
                versions: vec![Link {
                    text: v.version.clone(),
                    ..link
                }],
            }),
        }
    }
    ModelRow {
        link: l.model(&m.name),
        summary: m.summary.map(str::to_owned),
        badges,
        versions: m.versions.len(),
    }
}

fn open_reviews(v: &Version<'_>, l: &Linker) -> Vec<OpenReview> {
    v.reviews
        .iter()
        .filter(|r| r.requested_by.is_some() && !r.reached && r.state == "pending")
        .map(|r| OpenReview {
            version: l.version(&v.name),
            stage: r.stage.clone(),
            requested_by: r.requested_by.clone(),
            pending: r.pending.clone(),
            blockers: r.blockers.iter().map(|b| code_spans(b)).collect(),
        })
        .collect()
}

fn latest_drift<'r>(v: &Version<'r>) -> Option<&'r DriftResult> {
    v.drifts().next_back()
}

fn latest_quality<'r>(v: &Version<'r>) -> Option<&'r QualityResult> {
    v.qualities().next_back()
}

fn alerts(v: &Version<'_>, l: &Linker) -> Vec<Alert> {
    let mut out = Vec::new();
    if let Some(d) = latest_drift(v).filter(|d| d.dataset_drift) {
        out.push(Alert {
            version: l.version(&v.name),
            kind: "drift",
            text: format!(
                "dataset drift: {} of {} features drifted (share {} ≥ {})",
                d.drifted_features,
                d.features.len(),
                fixed(d.drift_share, 3),
                d.drift_share_threshold
            ),
            date: date(&d.created),
        });
    }
    if let Some(q) = latest_quality(v).filter(|q| !q.ok) {
        let failed: Vec<String> = q
            .gates
            .iter()
            .filter(|g| !g.passed)
            .map(|g| format!("{} {}", g.metric, gate_text(g.value, g.min, g.max)))
            .collect();
        out.push(Alert {
            version: l.version(&v.name),
            kind: "quality",
            text: format!("quality below thresholds: {}", failed.join("; ")),
            date: date(&q.created),
        });
    }
    out
}

fn gate_text(value: Option<f64>, min: Option<f64>, max: Option<f64>) -> String {
    let value = value.map_or("not computable".to_owned(), |v| fixed(v, 4));
    let bounds: Vec<String> = [min.map(|m| format!("≥ {m}")), max.map(|m| format!("≤ {m}"))]
        .into_iter()
        .flatten()
        .collect();
    format!("{value} (needs {})", bounds.join(" and "))
}

fn events<'e>(events: impl Iterator<Item = &'e JsonEvent>, l: &Linker) -> Vec<EventRow> {
    events
        .map(|e| EventRow {
            time: e.time.clone(),
            date: date(&e.time),
            author: e.author.clone(),
            kind: e.words.to_owned(),
            version: e.version.as_deref().map(|v| l.version(v)),
            stage: e.stage.clone(),
            detail: code_spans(&e.detail),
            commit: e.commit.as_deref().map(short),
        })
        .collect()
}

/// Returns the x label of a monitoring run: its day and time to the
/// minute (`2024-10-14 06:00`), which sorts as time does.
fn run_label(created: &str) -> String {
    created
        .chars()
        .take(16)
        .collect::<String>()
        .replace('T', " ")
}

fn date(time: &str) -> String {
    time.chars().take(10).collect()
}

/// Formats a computed number with `places` decimals (data values are
/// shown as written).
fn fixed(v: f64, places: usize) -> String {
    if v.is_finite() {
        format!("{v:.places$}")
    } else {
        "–".to_owned()
    }
}

#[derive(Serialize)]
struct Activity {
    events: Vec<EventRow>,
}

#[derive(Serialize)]
struct ProjectPage<'a> {
    id: &'a str,
    description: Option<String>,
    stages: Vec<Link>,
    models: Vec<ModelRow>,
}

#[derive(Serialize)]
struct StagePage {
    stage: String,
    versions: Vec<StageHolder>,
}

#[derive(Serialize)]
struct StageHolder {
    version: Link,
    model: Link,
    current: bool,
    since: Option<String>,
}

fn stage_page(reg: &Registry<'_>, slug: &str, name: &str, l: &Linker) -> StagePage {
    let mut versions = Vec::new();
    for m in reg.projects.iter().flat_map(|p| &p.models) {
        for v in m.versions.iter().rev() {
            if v.holds
                .iter()
                .any(|h| StageName::new(h.as_str()).slug() == slug)
            {
                versions.push(StageHolder {
                    version: l.version(&v.name),
                    model: l.model(&m.name),
                    current: v.stage.is_some_and(|s| StageName::new(s).slug() == slug),
                    since: v.since.as_ref().and_then(|s| s.time).map(date),
                });
            }
        }
    }
    StagePage {
        stage: name.to_owned(),
        versions,
    }
}

#[derive(Serialize)]
struct ModelPage<'a> {
    project: Link,
    summary: Option<&'a str>,
    description: Option<String>,
    task: Option<&'a str>,
    owners: Vec<String>,
    tags: &'a [String],
    versions: Vec<VersionRow>,
    timeline: Vec<EventRow>,
}

#[derive(Serialize)]
struct VersionRow {
    link: Link,
    stage: Option<String>,
    since: Option<String>,
    created: Option<String>,
    metrics: Vec<String>,
    compare: Option<Link>,
}

fn member_name(reg: &Registry<'_>, id: &str) -> String {
    match reg.org.members.get(id) {
        Some(name) => format!("{name} ({id})"),
        None => id.to_owned(),
    }
}

fn model_page<'a>(
    site: &Site<'_, '_>,
    p: &Project<'_>,
    m: &'a Model<'a>,
    l: &Linker,
) -> ModelPage<'a> {
    let versions = m
        .versions
        .iter()
        .enumerate()
        .map(|(i, v)| VersionRow {
            link: Link {
                text: v.version.clone(),
                ..l.version(&v.name)
            },
            stage: v.stage.map(str::to_owned),
            since: v.since.as_ref().and_then(|s| s.time).map(date),
            created: v
                .card
                .and_then(|c| c.created.as_ref())
                .map(|t| date(&t.to_string())),
            metrics: v
                .card
                .map(|c| {
                    c.metrics
                        .iter()
                        .take(3)
                        .map(|x| format!("{} {}", x.name, x.value))
                        .collect()
                })
                .unwrap_or_default(),
            compare: i
                .checked_sub(1)
                .and_then(|j| m.versions.get(j))
                .map(|prev| {
                    l.to(
                        format!("compare with {}", prev.version),
                        &paths::compare(&m.name, &prev.version, &v.version),
                    )
                }),
        })
        .collect();
    let reg = site.reg;
    let mut timeline: Vec<(usize, &JsonEvent)> = m
        .versions
        .iter()
        .flat_map(|v| site.events_of(&v.name))
        .copied()
        .filter(|(_, e)| matches!(e.kind.as_str(), "stage_reached" | "stage_left"))
        .collect();
    // Newest first, in the log's order.
    timeline.sort_by_key(|(i, _)| *i);
    ModelPage {
        project: l.to(p.name, &paths::project(p.id)),
        summary: m.summary,
        description: m.description.map(markdown),
        task: m.task,
        owners: m.owners.iter().map(|o| member_name(reg, o)).collect(),
        tags: m.tags,
        versions,
        timeline: events(timeline.into_iter().map(|(_, e)| e), l),
    }
}

#[derive(Serialize)]
struct VersionPage<'a> {
    model: Link,
    project: Link,
    version: &'a str,
    summary: Option<&'a str>,
    created: Option<String>,
    stage: Option<&'a str>,
    holds: Vec<String>,
    since: Option<SinceView>,
    committed: bool,
    card_digest: Option<&'a str>,
    card_loads: bool,
    sections: Vec<SectionView>,
    metrics: Vec<MetricRow>,
    fairness: Vec<FairnessRow>,
    fairness_charts: Vec<Chart>,
    importance: Option<Chart>,
    lineage: LineageView,
    reviews: Vec<ReviewView>,
    activity: Vec<EventRow>,
    monitoring: Option<MonitoringView>,
}

#[derive(Serialize)]
struct SinceView {
    commit: String,
    date: Option<String>,
}

#[derive(Serialize)]
struct SectionView {
    id: String,
    title: String,
    fields: Vec<Field>,
}

#[derive(Serialize)]
struct Field {
    label: String,
    /// Sanitized HTML.
    html: String,
}

#[derive(Serialize)]
struct MetricRow {
    name: String,
    value: String,
    dataset: Option<String>,
    slice: Option<String>,
    interval: Option<String>,
    gates: Vec<GateCell>,
}

#[derive(Serialize)]
struct GateCell {
    stage: String,
    bound: String,
    passed: bool,
}

#[derive(Serialize)]
struct FairnessRow {
    metric: String,
    group: String,
    value: String,
    threshold: Option<String>,
    passed: Option<bool>,
}

#[derive(Serialize)]
struct LineageView {
    root: Option<String>,
    declared: bool,
    checked: bool,
    ok: Option<bool>,
    error: Option<String>,
    inputs: Vec<InputRow>,
    parents: Option<Chart>,
}

#[derive(Serialize)]
struct InputRow {
    kind: String,
    name: String,
    digest: String,
    state: String,
    reason: Option<String>,
    changed_files: Vec<String>,
}

#[derive(Serialize)]
struct ReviewView {
    stage: String,
    state: &'static str,
    reached: bool,
    superseded: bool,
    requested_by: Option<String>,
    reviewers: Vec<String>,
    pending: Vec<String>,
    /// HTML (escaped, with code spans).
    blockers: Vec<String>,
    /// HTML (escaped, with code spans).
    request_problems: Vec<String>,
    decisions: Vec<DecisionView>,
}

#[derive(Serialize)]
struct DecisionView {
    reviewer: String,
    decision: &'static str,
    counts: bool,
    commit: String,
    /// HTML (escaped, with code spans).
    problems: Vec<String>,
}

fn version_page<'a>(
    site: &Site<'_, '_>,
    p: &Project<'_>,
    m: &Model<'_>,
    v: &'a Version<'a>,
    l: &Linker,
) -> VersionPage<'a> {
    let reg = site.reg;
    let card = v.card;
    let activity = site.events_of(&v.name).iter().map(|(_, e)| *e);
    VersionPage {
        model: l.model(&m.name),
        project: l.to(p.name, &paths::project(p.id)),
        version: &v.version,
        summary: card.and_then(|c| c.summary.as_deref()),
        created: card
            .and_then(|c| c.created.as_ref())
            .map(ToString::to_string),
        stage: v.stage,
        holds: v.holds.to_vec(),
        since: v.since.as_ref().map(|s| SinceView {
            commit: short(s.commit),
            date: s.time.map(date),
        }),
        committed: v.committed,
        card_digest: v.card_digest,
        card_loads: card.is_some(),
        sections: card.map(sections).unwrap_or_default(),
        metrics: card.map(|c| metric_rows(c, &p.stages)).unwrap_or_default(),
        fairness: card.map(fairness_rows).unwrap_or_default(),
        fairness_charts: card
            .map(|c| fairness_charts(&v.name, c))
            .unwrap_or_default(),
        importance: card.filter(|c| !c.feature_importance.is_empty()).map(|c| {
            let bars: Vec<Bar> = c
                .feature_importance
                .iter()
                .map(|f| Bar {
                    label: f.feature.clone(),
                    value: f.importance,
                    href: None,
                })
                .collect();
            Chart::new("Feature importance".to_owned(), |t| {
                charts::bars("importance", t, &bars, &[])
            })
        }),
        lineage: lineage_view(site, v, l),
        reviews: v.reviews.iter().map(|r| review_view(reg, r)).collect(),
        activity: events(activity, l),
        monitoring: monitoring_view(v),
    }
}

fn sections(card: &Card) -> Vec<SectionView> {
    fn field(label: &str, text: &Option<String>) -> Option<Field> {
        text.as_deref()
            .filter(|t| !t.trim().is_empty())
            .map(|t| Field {
                label: label.to_owned(),
                html: markdown(t),
            })
    }
    fn section(
        id: &str,
        title: &str,
        fields: impl IntoIterator<Item = Option<Field>>,
    ) -> SectionView {
        SectionView {
            id: id.to_owned(),
            title: title.to_owned(),
            fields: fields.into_iter().flatten().collect(),
        }
    }
    let mut out = Vec::new();
    if let Some(d) = &card.details {
        let references = (!d.references.is_empty()).then(|| Field {
            label: "References".to_owned(),
            html: markdown(
                &d.references
                    .iter()
                    .map(|r| format!("- <{r}>\n"))
                    .collect::<String>(),
            ),
        });
        out.push(section(
            "details",
            "Details",
            [
                field("Description", &d.description),
                d.framework.as_deref().map(|f| Field {
                    label: "Framework".to_owned(),
                    html: super::markdown::text(f),
                }),
                d.license.as_deref().map(|f| Field {
                    label: "License".to_owned(),
                    html: super::markdown::text(f),
                }),
                references,
                field("Citation", &d.citation),
            ],
        ));
    }
    if let Some(u) = &card.intended_use {
        out.push(section(
            "intended-use",
            "Intended use",
            [
                field("Primary uses", &u.primary_uses),
                field("Users", &u.users),
                field("Out of scope", &u.out_of_scope),
            ],
        ));
    }
    if let Some(c) = &card.considerations {
        out.push(section(
            "considerations",
            "Considerations",
            [
                field("Limitations", &c.limitations),
                field("Ethical considerations", &c.ethical),
                field("Risks", &c.risks),
            ],
        ));
    }
    for (i, s) in card.sections.iter().enumerate() {
        out.push(SectionView {
            id: format!("section-{}", i + 1),
            title: s.title.clone(),
            fields: vec![Field {
                label: String::new(),
                html: markdown(&s.body),
            }],
        });
    }
    out.retain(|s| !s.fields.is_empty());
    out
}

fn metric_rows(card: &Card, stages: &[StageDef]) -> Vec<MetricRow> {
    card.metrics
        .iter()
        .map(|m| MetricRow {
            name: m.name.clone(),
            value: m.value.to_string(),
            dataset: m.dataset.clone(),
            slice: m.slice.clone(),
            interval: m.confidence_interval.map(|[lo, hi]| format!("{lo} – {hi}")),
            gates: stages
                .iter()
                .flat_map(|s| s.gates.iter().map(move |g| (s, g)))
                .filter(|(_, g)| g.applies_to(&m.name, m.dataset.as_deref(), m.slice.as_deref()))
                .map(|(s, g)| GateCell {
                    stage: s.name.to_string(),
                    bound: [
                        g.min.map(|x| format!("≥ {x}")),
                        g.max.map(|x| format!("≤ {x}")),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" and "),
                    passed: g.min.is_none_or(|x| m.value >= x)
                        && g.max.is_none_or(|x| m.value <= x),
                })
                .collect(),
        })
        .collect()
}

fn fairness_rows(card: &Card) -> Vec<FairnessRow> {
    card.fairness
        .iter()
        .map(|f| FairnessRow {
            metric: f.metric.clone(),
            group: f.group.clone(),
            value: f.value.to_string(),
            threshold: f.threshold.map(|t| t.to_string()),
            passed: f.threshold.map(|t| fairness_passes(&f.metric, f.value, t)),
        })
        .collect()
}

/// Ratios (`…_ratio`) must reach their threshold; differences and other
/// gaps must stay within it.
fn fairness_passes(metric: &str, value: f64, threshold: f64) -> bool {
    if metric.ends_with("ratio") {
        value >= threshold
    } else {
        value.abs() <= threshold
    }
}

fn fairness_charts(name: &str, card: &Card) -> Vec<Chart> {
    let mut by_metric: BTreeMap<&str, (Vec<Bar>, BTreeSet<String>)> = BTreeMap::new();
    for f in &card.fairness {
        let entry = by_metric.entry(f.metric.as_str()).or_default();
        entry.0.push(Bar {
            label: f.group.clone(),
            value: f.value,
            href: None,
        });
        if let Some(t) = f.threshold {
            entry.1.insert(t.to_string());
        }
    }
    by_metric
        .into_iter()
        .enumerate()
        .map(|(i, (metric, (bars, thresholds)))| {
            let thresholds: Vec<(String, f64)> = thresholds
                .into_iter()
                .filter_map(|t| t.parse().ok().map(|v| (format!("threshold {t}"), v)))
                .collect();
            Chart::new(format!("{metric} by group ({name})"), |t| {
                charts::bars(&format!("fairness-{}", i + 1), t, &bars, &thresholds)
            })
        })
        .collect()
}

fn lineage_view(site: &Site<'_, '_>, v: &Version<'_>, l: &Linker) -> LineageView {
    let reg = site.reg;
    let declared = v.card.and_then(|c| c.lineage.as_ref()).is_some();
    let verify = v.lineage.as_ref().and_then(|x| x.verify);
    let inputs = match (&v.lineage, verify) {
        (_, Some(report)) => report
            .inputs
            .iter()
            .map(|i| InputRow {
                kind: i.kind.clone(),
                name: i.name.clone(),
                digest: i.digest.clone(),
                state: i.state.to_owned(),
                reason: i.reason.clone(),
                changed_files: i.changed_files.clone(),
            })
            .collect(),
        (Some(lock), None) => lock
            .inputs
            .iter()
            .map(|i| InputRow {
                kind: i.kind.clone(),
                name: i.name.clone(),
                digest: i.digest.clone(),
                state: if i.verified { "locked" } else { "declared" }.to_owned(),
                reason: None,
                changed_files: Vec::new(),
            })
            .collect(),
        (None, None) => Vec::new(),
    };
    LineageView {
        root: v.lineage.as_ref().map(|x| x.root.to_owned()),
        declared,
        checked: reg.source.verified && v.lineage.is_some(),
        ok: verify.map(|r| r.ok),
        error: verify.and_then(|r| r.error.clone()),
        inputs,
        parents: parents_graph(site, v, l),
    }
}

/// The version and its ancestors through `[lineage] parents`, at most 40.
fn parents_graph(site: &Site<'_, '_>, v: &Version<'_>, l: &Linker) -> Option<Chart> {
    let all = &site.versions;
    let parents_of = |x: &str| -> Vec<String> {
        all.get(x)
            .and_then(|x| x.card)
            .and_then(|c| c.lineage.as_ref())
            .map(|lin| lin.parents.clone())
            .unwrap_or_default()
    };
    if parents_of(&v.name).is_empty() {
        return None;
    }
    let mut names: Vec<String> = vec![v.name.clone()];
    let mut edges = Vec::new();
    let mut i = 0;
    while i < names.len() && names.len() < 40 {
        let child = i;
        for parent in parents_of(&names[i]) {
            let at = match names.iter().position(|n| *n == parent) {
                Some(at) => at,
                None => {
                    names.push(parent);
                    names.len() - 1
                }
            };
            edges.push((at, child));
        }
        i += 1;
    }
    let nodes: Vec<Node> = names
        .iter()
        .map(|n| Node {
            label: n.clone(),
            href: all.contains_key(n.as_str()).then(|| l.version(n).href),
            current: *n == v.name,
        })
        .collect();
    Some(Chart::new(format!("Parent versions of {}", v.name), |t| {
        charts::dag("parents", t, &nodes, &edges)
    }))
}

fn review_view(reg: &Registry<'_>, r: &JsonReview) -> ReviewView {
    ReviewView {
        stage: r.stage.clone(),
        state: r.state,
        reached: r.reached,
        superseded: r.superseded,
        requested_by: r.requested_by.as_deref().map(|m| member_name(reg, m)),
        reviewers: r.reviewers.iter().map(|m| member_name(reg, m)).collect(),
        pending: r.pending.iter().map(|m| member_name(reg, m)).collect(),
        blockers: r.blockers.iter().map(|b| code_spans(b)).collect(),
        request_problems: r.request_problems.iter().map(|b| code_spans(b)).collect(),
        decisions: r
            .approvals
            .iter()
            .map(|a| DecisionView {
                reviewer: member_name(reg, &a.reviewer),
                decision: a.decision.unwrap_or("does not load"),
                counts: a.valid,
                commit: short(&a.commit),
                problems: a.problems.iter().map(|b| code_spans(b)).collect(),
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct MonitoringView {
    drift: Option<DriftView>,
    quality: Option<QualityView>,
    drift_over_time: Option<Chart>,
    quality_over_time: Option<Chart>,
}

#[derive(Serialize)]
struct DriftView {
    date: String,
    baseline: String,
    current: String,
    dataset_drift: bool,
    share: String,
    threshold: String,
    drifted: u64,
    features: Vec<FeatureRow>,
    histograms: Vec<Chart>,
}

#[derive(Serialize)]
struct FeatureRow {
    name: String,
    kind: String,
    method: String,
    statistic: String,
    p_value: String,
    threshold: String,
    drifted: bool,
}

#[derive(Serialize)]
struct QualityView {
    date: String,
    current: String,
    ok: bool,
    task: &'static str,
    rows: u64,
    metrics: Vec<(String, String)>,
    gates: Vec<QualityGateRow>,
}

#[derive(Serialize)]
struct QualityGateRow {
    metric: String,
    text: String,
    passed: bool,
}

fn monitoring_view(v: &Version<'_>) -> Option<MonitoringView> {
    if v.monitoring.is_empty() {
        return None;
    }
    let drift = latest_drift(v).map(|d| DriftView {
        date: date(&d.created),
        baseline: d.baseline.clone(),
        current: d.current.clone(),
        dataset_drift: d.dataset_drift,
        share: fixed(d.drift_share, 3),
        threshold: d.drift_share_threshold.to_string(),
        drifted: d.drifted_features,
        features: d
            .features
            .iter()
            .map(|f| FeatureRow {
                name: f.name.clone(),
                kind: f.kind.clone(),
                method: f.method.clone(),
                statistic: f.statistic.map_or("–".to_owned(), |s| fixed(s, 4)),
                p_value: f.p_value.map_or("–".to_owned(), |p| {
                    if p != 0.0 && p.abs() < 1e-4 {
                        format!("{p:.2e}")
                    } else {
                        fixed(p, 4)
                    }
                }),
                threshold: f.threshold.to_string(),
                drifted: f.drifted,
            })
            .collect(),
        histograms: d
            .features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let h = f.histogram.as_ref()?;
                let bins = if h.categories.is_empty() {
                    charts::edge_labels(&h.edges)
                } else {
                    h.categories.clone()
                };
                Some(Chart::new(
                    format!("{}: baseline and current", f.name),
                    |t| {
                        charts::histogram(
                            &format!("histogram-{}", i + 1),
                            t,
                            &bins,
                            &h.baseline,
                            &h.current,
                        )
                    },
                ))
            })
            .collect(),
    });
    let quality = latest_quality(v).map(|q| QualityView {
        date: date(&q.created),
        current: q.current.clone(),
        ok: q.ok,
        task: q.task.name(),
        rows: q.rows,
        metrics: q
            .metrics
            .iter()
            .map(|(k, x)| (k.clone(), fixed(*x, 4)))
            .collect(),
        gates: q
            .gates
            .iter()
            .map(|g| QualityGateRow {
                metric: g.metric.clone(),
                text: gate_text(g.value, g.min, g.max),
                passed: g.passed,
            })
            .collect(),
    });
    let drifts: Vec<&DriftResult> = v.drifts().collect();
    let drift_over_time = (!drifts.is_empty()).then(|| {
        let series = Series {
            name: "share of drifted features".to_owned(),
            points: drifts
                .iter()
                .map(|d| (run_label(&d.created), d.drift_share))
                .collect(),
        };
        let threshold = drifts.last().map_or(0.5, |d| d.drift_share_threshold);
        Chart::new("Share of drifted features over time".to_owned(), |t| {
            charts::time_series(
                "drift-over-time",
                t,
                &[series],
                &[(format!("threshold {threshold}"), threshold)],
            )
        })
    });
    let qualities: Vec<&QualityResult> = v.qualities().collect();
    let quality_over_time = (!qualities.is_empty()).then(|| {
        // The metrics with thresholds, when there are any: the others
        // would crowd the chart.
        let gated: BTreeSet<&str> = qualities
            .iter()
            .flat_map(|q| q.gates.iter().map(|g| g.metric.as_str()))
            .collect();
        let mut by_metric: BTreeMap<&str, Vec<(String, f64)>> = BTreeMap::new();
        // One line per bound, naming every metric held to it.
        let mut bounds: BTreeMap<String, (f64, BTreeSet<&str>)> = BTreeMap::new();
        for q in &qualities {
            for (k, x) in &q.metrics {
                if gated.is_empty() || gated.contains(k.as_str()) {
                    by_metric
                        .entry(k.as_str())
                        .or_default()
                        .push((run_label(&q.created), *x));
                }
            }
            for g in &q.gates {
                for bound in [g.min, g.max].into_iter().flatten() {
                    bounds
                        .entry(bound.to_string())
                        .or_insert((bound, BTreeSet::new()))
                        .1
                        .insert(g.metric.as_str());
                }
            }
        }
        let series: Vec<Series> = by_metric
            .into_iter()
            .map(|(name, points)| Series {
                name: name.to_owned(),
                points,
            })
            .collect();
        let thresholds: Vec<(String, f64)> = bounds
            .into_iter()
            .map(|(text, (bound, names))| {
                let names: Vec<&str> = names.into_iter().collect();
                (format!("{} {text}", names.join(", ")), bound)
            })
            .collect();
        Chart::new("Quality over time".to_owned(), |t| {
            charts::time_series("quality-over-time", t, &series, &thresholds)
        })
    });
    Some(MonitoringView {
        drift,
        quality,
        drift_over_time,
        quality_over_time,
    })
}

#[derive(Serialize)]
struct Compare {
    a: Link,
    b: Link,
    model: Link,
    stages: (String, String),
    metrics: Vec<CompareRow>,
    fairness: Vec<CompareRow>,
    lineage: Vec<CompareRow>,
}

#[derive(Serialize)]
struct CompareRow {
    label: String,
    a: String,
    b: String,
    differs: bool,
}

fn compare(a: &Version<'_>, b: &Version<'_>, l: &Linker) -> Compare {
    fn rows(a: BTreeMap<String, String>, b: BTreeMap<String, String>) -> Vec<CompareRow> {
        let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        keys.into_iter()
            .map(|k| {
                let (x, y) = (
                    a.get(k).cloned().unwrap_or_else(|| "–".to_owned()),
                    b.get(k).cloned().unwrap_or_else(|| "–".to_owned()),
                );
                CompareRow {
                    label: k.clone(),
                    differs: x != y,
                    a: x,
                    b: y,
                }
            })
            .collect()
    }
    let metrics = |v: &Version<'_>| -> BTreeMap<String, String> {
        v.card
            .map(|c| {
                c.metrics
                    .iter()
                    .map(|m| {
                        let on = m
                            .dataset
                            .as_deref()
                            .map(|d| format!(" on {d}"))
                            .unwrap_or_default();
                        let slice = m
                            .slice
                            .as_deref()
                            .map(|s| format!(" ({s})"))
                            .unwrap_or_default();
                        (format!("{}{on}{slice}", m.name), m.value.to_string())
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let fairness = |v: &Version<'_>| -> BTreeMap<String, String> {
        v.card
            .map(|c| {
                c.fairness
                    .iter()
                    .map(|f| (format!("{} for {}", f.metric, f.group), f.value.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let lineage = |v: &Version<'_>| -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = v
            .lineage
            .as_ref()
            .map(|x| {
                x.inputs
                    .iter()
                    .map(|i| (format!("{} {}", i.kind, i.name), short_digest(&i.digest)))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(x) = &v.lineage {
            out.insert("root".to_owned(), short_digest(x.root));
        }
        out
    };
    let (model, _) = split_name(&a.name);
    Compare {
        a: l.version(&a.name),
        b: l.version(&b.name),
        model: l.model(model),
        stages: (
            a.stage.unwrap_or("–").to_owned(),
            b.stage.unwrap_or("–").to_owned(),
        ),
        metrics: rows(metrics(a), metrics(b)),
        fairness: rows(fairness(a), fairness(b)),
        lineage: rows(lineage(a), lineage(b)),
    }
}

fn short_digest(d: &str) -> String {
    d.chars().take(12).collect()
}

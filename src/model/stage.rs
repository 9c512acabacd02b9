//! Stage lists: MLflow's defaults and resolution of a stage written by a
//! user (display name or slug) against the declared list. No I/O.

use super::files::StageDef;
use super::ids::stage_slug;

/// Returns the stages used when neither the project nor `cardinal.toml`
/// declares any: Staging, then Production (MLflow's defaults).
pub fn default_stages() -> Vec<StageDef> {
    let mut production = StageDef::named("Production");
    production.after = Some(super::ids::StageName::new("Staging"));
    vec![StageDef::named("Staging"), production]
}

/// Returns the index of the declared stage that `name` means, matching the
/// display name exactly or, failing that, by slug (`pre-production`).
pub fn resolve(stages: &[StageDef], name: &str) -> Option<usize> {
    stages
        .iter()
        .position(|s| s.name.as_str() == name)
        .or_else(|| {
            let slug = stage_slug(name);
            stages.iter().position(|s| s.name.slug() == slug)
        })
}

/// Returns the declared names as "`A`, `B`" for help lines.
pub fn list_names(stages: &[StageDef]) -> String {
    stages
        .iter()
        .map(|s| format!("`{}`", s.name))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_by_name_or_slug() {
        let stages = vec![
            StageDef::named("Staging-2"),
            StageDef::named("Pre-Production-2"),
        ];
        assert_eq!(resolve(&stages, "Pre-Production-2"), Some(1));
        assert_eq!(resolve(&stages, "pre-production-2"), Some(1));
        assert_eq!(resolve(&stages, "Production"), None);
        assert_eq!(list_names(&default_stages()), "`Staging`, `Production`");
    }
}

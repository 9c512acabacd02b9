//! The demo's tour of the repository it built: what `status`, `log`,
//! `audit`, `which`, `drift` and `quality` say of it.

use std::path::Path;

use crate::commands::drift::wire;
use crate::commands::query::{all_versions, date, replay_for, statuses, versions_of};
use crate::commands::{audit, log, quality, status};
use crate::drift::gates::{plan_of, run_quality};
use crate::drift::run::{baseline_of, plan_from_card, run_drift};
use crate::error::Error;
use crate::output::{Output, Report, escape_human};
use crate::policy::stage::short;

/// Prints the tour of the history: every version's status, the last 15
/// entries of the activity log, the audit and `which`.
pub fn history(out: &Output, root: &Path, now: i64) -> Result<(), Error> {
    let replayed = replay_for(root, None, None, false, true, now)?;
    out.line("\n== cardinal status");
    let vdirs = all_versions(&replayed);
    status::report(&statuses(&replayed, &vdirs, now), &replayed.tip, now).human(out);
    out.line("\n== cardinal log (last 15 entries)");
    let events = log::collect(&replayed, None, now);
    log::report(events.iter().take(15)).human(out);
    out.line("\n== cardinal audit");
    let found = audit::findings(root, &replayed);
    let errors = found.iter().filter(|(d, _)| d.is_error()).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    out.line(format!(
        "  the trunk's history, every merge replayed on it: {}, {}",
        plural(errors, "violation"),
        plural(found.len() - errors, "warning")
    ));
    for (d, _) in &found {
        out.text(format!(
            "  {}[{}] {}",
            if d.is_error() { "error" } else { "warning" },
            d.code,
            d.message
        ));
    }
    out.line("\n== cardinal which credit/churn --stage Production");
    let churn = versions_of(&vdirs, "credit", "churn");
    for s in statuses(&replayed, &churn, now) {
        if let Some((stage, held)) = &s.stage
            && stage == "Production"
        {
            out.line(format!(
                "{}    (since {}, {})",
                crate::policy::replay::version_name(&s.vdir),
                short(&held.commit),
                date(held.time).get(..10).unwrap_or_default()
            ));
        }
    }
    Ok(())
}

/// Runs drift and quality for two example versions against the example
/// `*-current.csv` files in the repository at `root` and prints a short
/// table .
pub fn monitoring(out: &Output, root: &Path) -> Result<(), Error> {
    let ws = crate::load::read_tree(root)?;
    let tours = [
        ("credit/churn@2.0.0", "data/credit/churn-current.csv"),
        (
            "marketing/propensity@1.1.0",
            "data/marketing/propensity-current.csv",
        ),
    ];
    for (version, current) in tours {
        let Ok(handle) = crate::commands::find_version(&ws, version) else {
            continue;
        };
        let Some(m) = handle
            .version
            .card
            .as_ref()
            .and_then(|c| c.value.monitoring.as_ref())
        else {
            continue;
        };
        let plan = plan_from_card(m);
        let baseline = baseline_of(&ws, &handle)?;
        let current = root.join(current);
        let report = run_drift(&baseline, &current, &plan)?;
        out.line(format!(
            "drift of {version} ({}):",
            escape_human(&current.display().to_string())
        ));
        wire(&report, &baseline, &current).human(out);
        if let Ok(q) = run_quality(&current, &plan_of(&handle)) {
            quality::report(&q, String::new(), None, false).human(out);
        }
        out.line("");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{ColorChoice, Format};

    #[test]
    fn the_monitoring_tour_runs_on_the_example() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme");
        let out = Output::new(Format::Json, ColorChoice::Never, true);
        monitoring(&out, &root).expect("the example's monitoring sections work");
    }
}

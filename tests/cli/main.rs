//! The integration tests: one binary that drives the real `cardinal`
//! binary on real files and Git repositories, one module per area.
// Tests fail loudly on what they do not expect.
#![allow(clippy::unwrap_used)]

mod harness;

mod drift;
mod history;
mod hostile;
mod lineage;
mod output;
mod review;
mod scaffold;
mod schema;
mod site;
mod snapshots;
mod trust;
mod validate;

//! `cardinal`: model governance as code.
//!
//! Model cards, stage definitions, review requests and approvals are TOML
//! files in a Git repository. This crate loads and validates them; the
//! binary in `main.rs` is a thin shell over [`commands::run`].
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod commands;
pub mod diag;
pub mod document;
pub mod drift;
pub mod error;
pub mod history;
pub mod lineage;
pub mod load;
pub mod model;
pub mod output;
pub mod policy;
pub mod scaffold;
pub mod schema;
pub mod site;
pub mod ssh;
pub mod validate;
pub mod write;

#[cfg(test)]
mod layering;

//! The published registry: view models over the reports the commands
//! print, rendered with the embedded templates into a static site
//! (docs/site.md).

pub mod charts;

//! The domain model: identifiers, the typed contents of every governed
//! file, stages and the card digest. No I/O.

pub mod digest;
pub mod files;
pub mod ids;
pub mod layout;
pub mod monitoring;
pub mod results;
pub mod stage;
pub mod time;
pub mod toml;

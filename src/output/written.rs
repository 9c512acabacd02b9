//! The human forms of what writing commands did (`request-review`,
//! `approve`, `reject`, `render`): status lines on stderr, as a shell user
//! expects; and of `schema`'s list of kinds.

use super::Output;
use super::report::Report;
use super::wire::{JsonKinds, JsonRender, JsonWritten};

impl Report for JsonWritten {
    /// What was written, and the commit made or how to make it.
    fn human(&self, out: &Output) {
        out.status(format!(
            "{} `{}`",
            if self.replaced { "replaced" } else { "wrote" },
            self.path
        ));
        match &self.commit {
            Some(id) => {
                let short = id.get(..10).unwrap_or(id);
                match (&self.key_type, &self.signing_key) {
                    (Some(kind), Some(key)) => {
                        out.status(format!("committed {short}, signed with {kind} {key}"))
                    }
                    _ => out.status(format!("committed {short}")),
                }
            }
            None => out.status(format!(
                "commit it with `git add {0} && git commit`, or pass --commit",
                self.path
            )),
        }
    }
}

impl Report for JsonKinds {
    /// One kind a line.
    fn human(&self, out: &Output) {
        for kind in &self.kinds {
            out.line(kind);
        }
    }
}

impl Report for JsonRender {
    /// What changed, and the page to open.
    fn human(&self, out: &Output) {
        out.status(format!(
            "rendered {} files into {} ({} written, {} removed)",
            self.files, self.out, self.written, self.removed
        ));
        out.line(&self.index);
    }
}

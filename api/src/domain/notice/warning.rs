//! Collecting warnings: every place the parser repaired, guessed or skipped something. The
//! warnings themselves are wire types (`views::notice`).

pub use crate::views::notice::{Warning, WarningKind};

/// Collects warnings in the order they are found.
#[derive(Debug, Default)]
pub struct Warnings(Vec<Warning>);

impl Warnings {
    /// A reading or skip with no before/after text.
    pub fn note(&mut self, kind: WarningKind, line: Option<usize>, message: impl Into<String>) {
        self.push(kind, line, message, None, None);
    }

    /// Text kept as written although it looks damaged.
    pub fn kept(&mut self, kind: WarningKind, line: Option<usize>, message: impl Into<String>, text: &str) {
        self.push(kind, line, message, Some(text.to_string()), None);
    }

    /// A repair, with the text before and after.
    pub fn repaired(
        &mut self,
        kind: WarningKind,
        line: Option<usize>,
        message: impl Into<String>,
        original: &str,
        repaired: &str,
    ) {
        self.push(kind, line, message, Some(original.to_string()), Some(repaired.to_string()));
    }

    fn push(
        &mut self,
        kind: WarningKind,
        line: Option<usize>,
        message: impl Into<String>,
        original: Option<String>,
        repaired: Option<String>,
    ) {
        self.0.push(Warning { kind, line, message: message.into(), original, repaired });
    }

    /// The warnings, in the order they were found.
    pub fn into_vec(self) -> Vec<Warning> {
        self.0
    }
}

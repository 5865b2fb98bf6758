//! Warnings beside the violations of spec §7: things worth a look that do not
//! change the exit status (an annotation that has no effect, say). Front ends
//! and the analysis hand them to the reports, which render them exactly as
//! violations (`blazes check` text, SARIF level `warning`, GitHub `::warning`).
//!
//! Neither the grey-box reader nor the core gives warnings yet; this is the
//! type they will fill, and every report format already renders a list of them.

use crate::locations::Located;

/// One warning, located when the front end knows where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// A short kebab-case code naming the kind of warning (`unused-attribute`);
    /// reports use it as the rule id `blazes/<code>`.
    pub code: String,
    /// What was found, in one sentence.
    pub message: String,
    /// Where, when known.
    pub at: Option<Located>,
    /// Hints: why it matters and what to write instead.
    pub notes: Vec<String>,
}

impl Warning {
    /// A warning with a code and a message, not yet located.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Warning {
        Warning {
            code: code.into(),
            message: message.into(),
            at: None,
            notes: Vec::new(),
        }
    }

    /// The same warning, located (builder style).
    pub fn at(mut self, at: Located) -> Warning {
        self.at = Some(at);
        self
    }

    /// Adds a note (builder style).
    pub fn note(mut self, note: impl Into<String>) -> Warning {
        self.notes.push(note.into());
        self
    }
}

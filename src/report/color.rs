//! When the readable report of `blazes check` (spec §7) is coloured:
//! `--color auto|always|never`, where `auto` colours only a terminal and
//! honours `NO_COLOR` (set and non-empty, as no-color.org defines it) and
//! `TERM=dumb`.

use std::ffi::OsStr;
use std::io::IsTerminal as _;

/// The user's choice of colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour when writing to a terminal, unless `NO_COLOR` or `TERM=dumb`.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Whether to colour, given whether the output is a terminal and the
    /// values of `NO_COLOR` and `TERM`.
    pub fn resolve(
        self,
        is_terminal: bool,
        no_color: Option<&OsStr>,
        term: Option<&OsStr>,
    ) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                let no_color = no_color.is_some_and(|v| !v.is_empty());
                let dumb = term.is_some_and(|t| t == "dumb");
                is_terminal && !no_color && !dumb
            }
        }
    }

    /// Whether to colour standard output, from the process' environment.
    pub fn for_stdout(self) -> bool {
        self.resolve(
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("TERM").as_deref(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colours_a_terminal_unless_no_color_is_set_and_non_empty() {
        let auto = ColorChoice::Auto;
        assert!(auto.resolve(true, None, None));
        assert!(!auto.resolve(false, None, None));
        assert!(!auto.resolve(true, Some(OsStr::new("1")), None));
        assert!(auto.resolve(true, Some(OsStr::new("")), None));
        assert!(!auto.resolve(true, None, Some(OsStr::new("dumb"))));
    }

    #[test]
    fn always_and_never_ignore_the_environment() {
        assert!(ColorChoice::Always.resolve(false, Some(OsStr::new("1")), None));
        assert!(!ColorChoice::Never.resolve(true, None, None));
    }
}

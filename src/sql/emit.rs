//! The grey-box file of a derived dataflow (spec §6, issue 12: "`--emit yaml`
//! prints the derived grey-box file ... so users can see, edit and keep
//! it"). Each path carries, as a `#` comment above it, the clause that
//! decided its annotation; the file reads back into the same dataflow.

use std::fmt::Write;

use blazes_core::label::PathKind;
use blazes_core::{AttrSet, Dataflow, Endpoint, Origin, Stream};

use crate::locations::Locations;

/// The grey-box YAML of `dataflow`, with the notes of `locations`.
pub fn yaml(dataflow: &Dataflow, locations: &Locations) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_yaml(dataflow, locations, &mut out);
    out
}

fn write_yaml(dataflow: &Dataflow, locations: &Locations, out: &mut String) -> std::fmt::Result {
    writeln!(
        out,
        "# Derived from {} by the SQL white box (docs/sql.md).",
        locations.file()
    )?;
    writeln!(
        out,
        "# Each comment says which clause decided the annotation below it."
    )?;
    if !dataflow.fds.is_empty() {
        writeln!(out, "fds:")?;
        for fd in &dataflow.fds {
            writeln!(
                out,
                "  - {{ from: {}, to: {}, injective: {} }}",
                list(&fd.from),
                scalar(&fd.to),
                fd.injective
            )?;
        }
    }
    writeln!(out, "components:")?;
    for component in &dataflow.components {
        writeln!(out, "  {}:", scalar(&component.name))?;
        if component.rep {
            writeln!(out, "    rep: true")?;
        }
        writeln!(out, "    annotation:")?;
        for path in &component.paths {
            let origin = Origin::Path {
                component: component.name.clone(),
                from: path.from.clone(),
                to: path.to.clone(),
            };
            if let Some(at) = locations.path(&origin)
                && let Some(note) = &at.note
            {
                writeln!(out, "      # line {}: {}", at.line, comment(note))?;
            }
            write!(
                out,
                "      - {{ from: {}, to: {}, label: {}",
                scalar(&path.from),
                scalar(&path.to),
                path.annotation.kind
            )?;
            let gate = path.annotation.gates.first().filter(|g| !g.is_empty());
            if let (true, Some(gate)) = (
                matches!(path.annotation.kind, PathKind::OR | PathKind::OW),
                gate,
            ) {
                write!(out, ", subscript: {}", list(gate))?;
            }
            writeln!(out, " }}")?;
        }
    }
    writeln!(out, "streams:")?;
    for stream in &dataflow.streams {
        if let Some(at) = locations.stream(&stream.name())
            && let Some(note) = &at.note
        {
            writeln!(out, "  # line {}: {}", at.line, comment(note))?;
        }
        writeln!(out, "  - {}", stream_entry(stream))?;
    }
    Ok(())
}

/// `{ from: clicks, to: poor.clicks, seal: [campaign] }`.
fn stream_entry(stream: &Stream) -> String {
    let end = |e: &Endpoint| match e {
        Endpoint::External(n) => scalar(n),
        Endpoint::Port {
            component,
            interface,
        } => scalar(&format!("{component}.{interface}")),
    };
    let mut entry = format!("{{ from: {}, to: {}", end(&stream.from), end(&stream.to));
    let a = &stream.annotation;
    if let Some(seal) = &a.seal {
        entry.push_str(&format!(", seal: {}", list(seal)));
    }
    if a.independent {
        entry.push_str(", independent: true");
    }
    if let Some(seq) = &a.seq {
        entry.push_str(&format!(", seq: {}", list(seq)));
    }
    if a.rep {
        entry.push_str(", rep: true");
    }
    entry.push_str(" }");
    entry
}

/// `[a, b]`.
fn list(set: &AttrSet) -> String {
    let items: Vec<String> = set.iter().map(|a| scalar(a)).collect();
    format!("[{}]", items.join(", "))
}

/// A name as a YAML scalar: plain when it is a simple word that YAML would
/// not read as something else, double-quoted otherwise.
fn scalar(name: &str) -> String {
    let simple = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    let reserved = matches!(
        name.to_ascii_lowercase().as_str(),
        "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "nan" | "inf"
    );
    if simple && !reserved {
        return name.to_string();
    }
    let mut quoted = String::with_capacity(name.len() + 2);
    quoted.push('"');
    for c in name.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// A note on one comment line.
fn comment(note: &str) -> String {
    note.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_stay_plain_and_others_are_quoted() {
        assert_eq!(scalar("campaign"), "campaign");
        assert_eq!(scalar("poor.clicks"), "poor.clicks");
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(scalar("my view"), "\"my view\"");
        assert_eq!(scalar("1x"), "\"1x\"");
        assert_eq!(scalar("a\"b"), "\"a\\\"b\"");
    }
}

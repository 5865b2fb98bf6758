//! The `blazes` command line tool: checks grey-box annotation files.

use std::path::PathBuf;
use std::process::ExitCode;

use blazes::greybox;
use blazes::report::{Format, dot, json, text};
use clap::{Parser, Subcommand, ValueEnum};

/// Where coordination is needed in a distributed dataflow, and which.
#[derive(Parser)]
#[command(name = "blazes", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse a grey-box annotation file (YAML). Exit status: 0 when every
    /// sink meets the requirement, 1 when one does not, 2 for invalid input.
    Check {
        /// The annotation file (YAML), or a streaming SQL file (`.sql`: the
        /// white box derives the annotations, docs/sql.md).
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
        /// Print the derivation of one stream (`from->to`, an output `Comp.iface`, a sink
        /// or a source) and of everything it depends on.
        #[arg(long, value_name = "STREAM")]
        explain: Option<String>,
        /// Print the dataflow as a grey-box file instead of analysing it (for a
        /// `.sql` file: the derived annotations, each with the clause that decided it).
        #[arg(long, value_enum, value_name = "FORMAT")]
        emit: Option<EmitArg>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum EmitArg {
    Yaml,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Json,
    Dot,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Dot => Format::Dot,
        }
    }
}

const INVALID: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            file,
            format,
            explain,
            emit,
        } => check(&file, format.into(), explain.as_deref(), emit),
    }
}

fn check(
    file: &std::path::Path,
    format: Format,
    explain: Option<&str>,
    emit: Option<EmitArg>,
) -> ExitCode {
    let name = file.display().to_string();
    let source = match std::fs::read(file) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                eprintln!(
                    "error: {name}: not UTF-8 text (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                );
                return ExitCode::from(INVALID);
            }
        },
        Err(e) => {
            eprintln!("error: cannot read {name}: {e}");
            return ExitCode::from(INVALID);
        }
    };
    let is_sql = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("sql"));
    let (dataflow, locations) = if is_sql {
        match blazes::sql::parse(&name, &source) {
            Ok(read) => read,
            Err(errors) => {
                eprint!("{}", errors.render());
                return ExitCode::from(INVALID);
            }
        }
    } else {
        match greybox::parse(&name, &source) {
            Ok(d) => (
                d,
                blazes::locations::Locations::new(name.as_str(), source.as_str()),
            ),
            Err(diagnostics) => {
                eprint!("{}", diagnostics.render());
                return ExitCode::from(INVALID);
            }
        }
    };
    if let Some(EmitArg::Yaml) = emit {
        print!("{}", blazes::sql::emit::yaml(&dataflow, &locations));
        return ExitCode::SUCCESS;
    }
    let analysis = match blazes::analyze(&dataflow) {
        Ok(a) => a,
        Err(errors) => {
            // The reader validates, so this is a safety net, not a path users hit.
            for e in errors {
                eprintln!("error: {name}: {e}");
            }
            return ExitCode::from(INVALID);
        }
    };
    if let Some(node) = explain {
        match blazes::explain::derivation_tree(&analysis, node) {
            Some(tree) => {
                print!("{tree}");
                if is_sql {
                    print!("{}", blazes::sql::explain(node, &dataflow, &locations));
                }
            }
            None => {
                eprintln!("error: no stream, output, sink or source named `{node}` in {name}");
                return ExitCode::from(INVALID);
            }
        }
    } else {
        match format {
            Format::Text => print!("{}", text::render(&analysis, &name)),
            Format::Json => match serde_json::to_string_pretty(&json::render(&analysis)) {
                Ok(s) => println!("{s}"),
                Err(e) => {
                    eprintln!("error: cannot encode JSON: {e}");
                    return ExitCode::from(INVALID);
                }
            },
            Format::Dot => print!("{}", dot::render(&dataflow, &analysis)),
        }
        if is_sql && matches!(format, Format::Text) {
            print!("{}", blazes::sql::advice(&analysis, &dataflow, &locations));
        }
    }
    if analysis.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

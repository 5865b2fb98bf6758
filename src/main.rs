//! The `blazes` command line tool: checks grey-box annotation files (spec §6)
//! and prints the result in one of the formats of spec §7. Argument parsing
//! and dispatch only; the reports live in `blazes::report`.

use std::process::ExitCode;

use blazes::report::{self, ColorChoice, Format, Options};
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
    /// Analyse grey-box annotation files (YAML) and streaming SQL (`.sql`).
    ///
    /// Exit status: 0 when every sink of every file meets its requirement, 1
    /// when one does not, 2 when a file is invalid (the worst over the files).
    ///
    /// Several files: `text` prints one report after another; `json` prints
    /// one compact JSON object per file, one per line (JSON Lines, in the
    /// order given; a file that could not be analysed gives an object with
    /// `"ok": false` and `errors`); `sarif` prints one SARIF 2.1.0 log with one
    /// run holding the results of every file; `github` one workflow command
    /// per violation; `dot` one graph per file.
    Check {
        /// The files: grey-box annotations (YAML), or streaming SQL (`.sql`:
        /// the white box derives the annotations, docs/sql.md); `-` reads
        /// standard input (as YAML).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
        /// Colour the diagnostics of the text report: `auto` colours a
        /// terminal unless `NO_COLOR` is set and non-empty.
        #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
        color: ColorArg,
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
    /// The readable report with located diagnostics.
    Text,
    /// The machine-readable result (schemas/check-result.schema.json).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=..`).
    Github,
    /// A Graphviz picture.
    Dot,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Github => Format::Github,
            FormatArg::Dot => Format::Dot,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorArg {
    /// Colour a terminal, unless `NO_COLOR` is set and non-empty.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl From<ColorArg> for ColorChoice {
    fn from(c: ColorArg) -> ColorChoice {
        match c {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            files,
            format,
            color,
            explain,
            emit,
        } => {
            if let Some(EmitArg::Yaml) = emit {
                return emit_yaml(&files);
            }
            let outcomes: Vec<_> = files
                .iter()
                .map(|f| report::check(f, report::front_end))
                .collect();
            let options = Options {
                format: format.into(),
                colour: ColorChoice::from(color).for_stdout(),
                explain,
            };
            let printed = report::print(&outcomes, &options);
            print!("{}", printed.stdout);
            eprint!("{}", printed.stderr);
            ExitCode::from(printed.status.code())
        }
    }
}

/// `--emit yaml`: the grey-box file the white box derives from each SQL file.
fn emit_yaml(files: &[String]) -> ExitCode {
    let mut status = ExitCode::SUCCESS;
    for file in files {
        let read = report::input::read(file)
            .map_err(|e| e.render())
            .and_then(|(name, text)| {
                if !report::is_sql(&name) {
                    return Err(format!(
                        "error: {name}: `--emit yaml` derives annotations from a `.sql` file; \
                     a grey-box file already is YAML\n"
                    ));
                }
                blazes::sql::parse(&name, &text).map_err(|e| e.render())
            });
        match read {
            Ok((dataflow, locations)) => {
                print!("{}", blazes::sql::emit::yaml(&dataflow, &locations))
            }
            Err(message) => {
                eprint!("{message}");
                status = ExitCode::from(2);
            }
        }
    }
    status
}

//! `signalr-codegen`: clients and schemas from a hub contract file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Generates code from the `#[hub_contract]` traits of a Rust source file (and the files
/// its `mod` items point to), with exactly the wire names and payload shapes the Rust side
/// uses.
#[derive(Debug, Parser)]
#[command(name = "signalr-codegen", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Options every generator takes.
#[derive(Debug, clap::Args)]
struct Common {
    /// The contract file (`contracts.rs`).
    file: PathBuf,
    /// Where to write the output; standard output if absent.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Do not write: exit with status 1, naming the file, if the file on disk differs from
    /// what would be generated (for CI).
    #[arg(long, requires = "output")]
    check: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// JSON Schema (draft 2020-12): every DTO, and every hub method's wire name, direction,
    /// arguments and result or stream item, as the JSON protocol writes them.
    Schema(Common),
}

fn emit(common: &Common, text: &str) -> ExitCode {
    match (&common.output, common.check) {
        (None, _) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        (Some(path), true) => match std::fs::read_to_string(path) {
            Ok(on_disk) if on_disk == text => ExitCode::SUCCESS,
            Ok(_) => {
                eprintln!(
                    "{}: differs from what signalr-codegen generates; regenerate it",
                    path.display()
                );
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("{}: cannot read: {e}", path.display());
                ExitCode::FAILURE
            }
        },
        (Some(path), false) => write_if_changed(path, text),
    }
}

/// Writes only when the content changed, so timestamps (and builds that watch them) stay put.
fn write_if_changed(path: &Path, text: &str) -> ExitCode {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return ExitCode::SUCCESS;
    }
    match std::fs::write(path, text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}: cannot write: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Command::Schema(common) = &cli.command;
    match signalr_codegen::read(&common.file) {
        Ok(contracts) => emit(common, &signalr_codegen::schema::to_string(&contracts)),
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            ExitCode::FAILURE
        }
    }
}

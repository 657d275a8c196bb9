//! `signalr-codegen`: clients and schemas from a hub contract file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Generates code from the `#[hub_contract]` traits of a Rust source file (and the files
/// its `mod` items point to), with exactly the wire names and payload shapes the Rust side
/// uses.
#[derive(Debug, Parser)]
#[command(
    name = "signalr-codegen",
    version,
    about,
    long_about = None,
    after_help = "Examples:\n  \
        signalr-codegen ts src/contracts.rs -o web/hub.ts\n  \
        signalr-codegen ts src/contracts.rs --protocol messagepack -o web/hub.ts\n  \
        signalr-codegen ts src/contracts.rs --dialect signalarrr -o web/hub.ts\n  \
        signalr-codegen cs src/contracts.rs --namespace Chat.Client -o Client.cs\n  \
        signalr-codegen cs src/contracts.rs --dialect signalarrr -o Client.cs\n  \
        signalr-codegen schema src/contracts.rs -o contract.schema.json\n  \
        signalr-codegen asyncapi src/contracts.rs -o contract.asyncapi.json\n  \
        signalr-codegen ts src/contracts.rs -o web/hub.ts --check   (CI: fails if stale)\n\n\
        Errors are printed as file:line:col: message, naming the item."
)]
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

/// The hub protocol a generated client speaks; it decides how bytes are typed.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ProtocolArg {
    /// JSON: `Binary` is base64 text, serde_bytes containers are arrays of numbers.
    Json,
    /// MessagePack (`@microsoft/signalr-protocol-msgpack`): bytes are `Uint8Array`.
    Messagepack,
}

/// How a generated client's calls travel (TypeScript and C#).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum DialectArg {
    /// Plain SignalR: each hub method is its own target.
    Core,
    /// SignalARRR: calls tunnel through InvokeMessageResult, SendMessage and
    /// StreamMessage; the server's calls arrive as InvokeServerRequest and
    /// InvokeServerMessage.
    Signalarrr,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// TypeScript for `@microsoft/signalr`: interfaces for the DTOs, a typed proxy class per
    /// server contract (invoke, send, stream, upload streams, AbortSignal), and typed
    /// receiver registration per client contract (client results, cancellation markers).
    Ts {
        #[command(flatten)]
        common: Common,
        /// The hub protocol the connection uses.
        #[arg(long, value_enum, default_value = "json")]
        protocol: ProtocolArg,
        /// How calls travel: plain SignalR hub methods, or SignalARRR's tunnelling methods.
        #[arg(long, value_enum, default_value = "core")]
        dialect: DialectArg,
    },
    /// C# for `Microsoft.AspNetCore.SignalR.Client`: records for the DTOs, a typed proxy per
    /// server contract, and receiver registration per client contract.
    Cs {
        #[command(flatten)]
        common: Common,
        /// The namespace of the generated types.
        #[arg(long, default_value = "SignalR.Contracts")]
        namespace: String,
        /// How calls travel: plain SignalR hub methods, or SignalARRR's tunnelling methods.
        #[arg(long, value_enum, default_value = "core")]
        dialect: DialectArg,
    },
    /// JSON Schema (draft 2020-12): every DTO, and every hub method's wire name, direction,
    /// arguments and result or stream item, as the JSON protocol writes them.
    Schema(Common),
    /// AsyncAPI 3.0 (JSON): a channel per hub method (its wire name), the operations the hub
    /// receives (server methods) and sends (client methods), their messages' payloads.
    Asyncapi {
        #[command(flatten)]
        common: Common,
        /// The document's `info.version`.
        #[arg(long, default_value = "1.0.0")]
        api_version: String,
    },
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

fn write_if_changed(path: &Path, text: &str) -> ExitCode {
    match signalr_codegen::write_if_changed(path, text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}: cannot write: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

fn report(errors: Vec<signalr_codegen::source::SourceError>) -> ExitCode {
    for e in errors {
        eprintln!("{e}");
    }
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let common = match &cli.command {
        Command::Ts { common, .. }
        | Command::Cs { common, .. }
        | Command::Schema(common)
        | Command::Asyncapi { common, .. } => common,
    };
    let contracts = match signalr_codegen::read(&common.file) {
        Ok(c) => c,
        Err(errors) => return report(errors),
    };
    let text = match &cli.command {
        Command::Ts {
            protocol, dialect, ..
        } => {
            let protocol = match protocol {
                ProtocolArg::Json => signalr_codegen::Protocol::Json,
                ProtocolArg::Messagepack => signalr_codegen::Protocol::MessagePack,
            };
            let dialect = match dialect {
                DialectArg::Core => signalr_codegen::ts::Dialect::Core,
                DialectArg::Signalarrr => signalr_codegen::ts::Dialect::SignalArrr,
            };
            signalr_codegen::ts::generate(
                &contracts,
                &signalr_codegen::ts::Options { protocol, dialect },
            )
        }
        Command::Cs {
            namespace, dialect, ..
        } => signalr_codegen::cs::generate(
            &contracts,
            &signalr_codegen::cs::Options {
                namespace: namespace.clone(),
                dialect: match dialect {
                    DialectArg::Core => signalr_codegen::ts::Dialect::Core,
                    DialectArg::Signalarrr => signalr_codegen::ts::Dialect::SignalArrr,
                },
            },
        ),
        Command::Schema(_) => Ok(signalr_codegen::schema::to_string(&contracts)),
        Command::Asyncapi { api_version, .. } => Ok(signalr_codegen::asyncapi::to_string(
            &contracts,
            &signalr_codegen::asyncapi::Options {
                version: api_version.clone(),
            },
        )),
    };
    match text {
        Ok(text) => emit(common, &text),
        Err(errors) => report(errors),
    }
}

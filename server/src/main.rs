//! The `keyward-server` binary: parses the configuration and runs the server.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let config = keyward_server::Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_sessions=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Some(keyward_server::config::Command::RotateMasterKey { retire_old }) = config.command {
        return match keyward_server::rotate::rotate_master_key(&config, retire_old).await {
            Ok(done) => {
                println!(
                    "Re-sealed {} value(s) under master key {}.",
                    done.resealed, done.new_key_id
                );
                if !done.retired.is_empty() {
                    println!(
                        "Removed the previous key(s) {} from the key file.",
                        done.retired.join(", ")
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("keyward: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match keyward_server::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keyward: {e}");
            ExitCode::FAILURE
        }
    }
}

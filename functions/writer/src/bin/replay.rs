//! Replays the writer's dead letters (see `writer::replay`):
//!
//! ```sh
//! replay [--dry-run] [--delete] [--prefix dead-letters/2026-11-20/]
//! ```
//!
//! Reads `DEAD_LETTER_BUCKET` and ClickHouse's settings (`CLICKHOUSE_URL`, `CLICKHOUSE_USER`,
//! `CLICKHOUSE_PASSWORD` or `CLICKHOUSE_PASSWORD_SECRET_ARN`, `CLICKHOUSE_DATABASE`) like the writer,
//! and the AWS SDK's standard settings. Exits 1 when a letter is kept or the replay stopped early.

use std::process::ExitCode;

use shared::adapters::clickhouse::ClickHouse;
use shared::adapters::dead_letters::S3DeadLetters;
use shared::adapters::{aws::sdk_config, secrets};
use shared::config;
use writer::replay::{replay, Options};

const USAGE: &str = "usage: replay [--dry-run] [--delete] [--prefix dead-letters/<day>/]";

#[tokio::main]
async fn main() -> ExitCode {
    config::init_tracing();
    let mut opts = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dry-run" => opts.dry_run = true,
            "--delete" => opts.delete = true,
            "--prefix" => match args.next() {
                Some(p) => opts.prefix = p,
                None => return usage(),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => return usage(),
        }
    }
    let sdk = sdk_config().await;
    let bucket = match config::required("DEAD_LETTER_BUCKET") {
        Ok(b) => b,
        Err(e) => return fail(&e.to_string()),
    };
    let cfg = match secrets::clickhouse_config(&sdk).await {
        Ok(cfg) => cfg,
        Err(e) => return fail(&e.to_string()),
    };
    let report = replay(
        &ClickHouse::new(&cfg),
        &S3DeadLetters::from_sdk(&sdk, bucket),
        &opts,
    )
    .await;
    let verb = if opts.dry_run {
        "would replay"
    } else {
        "replayed"
    };
    println!(
        "{} dead letters under {}: {verb} {} ({} events), kept {}",
        report.letters,
        opts.prefix,
        report.replayed.len(),
        report.events,
        report.kept.len()
    );
    for (key, why) in &report.kept {
        println!("kept {key}: {why}");
    }
    if let Some(why) = &report.stopped {
        return fail(&format!("stopped early: {why}"));
    }
    if report.kept.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn fail(why: &str) -> ExitCode {
    eprintln!("replay: {why}");
    ExitCode::FAILURE
}

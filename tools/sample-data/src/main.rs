//! `sample-data`: loads realistic sample events into ClickHouse. See `--help`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sample_data::cli::{self, Parsed};
use sample_data::{load, Progress};

fn main() -> ExitCode {
    let parsed = cli::parse(
        std::env::args().skip(1),
        |name| std::env::var(name).ok(),
        time::OffsetDateTime::now_utc(),
    );
    let cli = match parsed {
        Ok((Parsed::Help, _)) => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok((Parsed::Run, cli)) => cli,
        Err(e) => {
            eprintln!("sample-data: {e}");
            return ExitCode::from(2);
        }
    };
    let total = cli.options.events;
    eprintln!(
        "sample-data: {total} events over {} days up to {} (seed {}) into {} database {}",
        cli.options.days,
        cli.options.end,
        cli.options.seed,
        cli.clickhouse.url,
        cli.clickhouse.database
    );

    let progress = Arc::new(Progress::default());
    let done = Arc::new(AtomicBool::new(false));
    let bar = {
        let (progress, done) = (progress.clone(), done.clone());
        std::thread::spawn(move || show_progress(&progress, &done, total))
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    let result = runtime.block_on(load(&cli.clickhouse, cli.options, progress));
    done.store(true, Ordering::Relaxed);
    let _ = bar.join();
    match result {
        Ok(summary) => {
            let s = &summary.stats;
            println!(
                "events generated: {}, duplicates sent: {}, visits: {}, visitors: {}, seconds: {:.1}, events/s: {:.0}",
                s.events,
                s.duplicates,
                s.visits,
                s.visitors,
                summary.seconds,
                summary.events_per_second()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sample-data: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A progress bar on stderr: redrawn in place on a terminal, a line every 10 s otherwise.
fn show_progress(progress: &Progress, done: &AtomicBool, total: u64) {
    let started = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let every = if terminal {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(10)
    };
    let mut last = Instant::now();
    loop {
        let finished = done.load(Ordering::Relaxed);
        if finished || last.elapsed() >= every {
            last = Instant::now();
            let events = progress.events.load(Ordering::Relaxed);
            let seconds = started.elapsed().as_secs_f64();
            let rate = events as f64 / seconds.max(1e-3);
            let share = (events as f64 / total.max(1) as f64).min(1.0);
            let width = 30;
            let filled = (share * width as f64) as usize;
            let eta = if rate > 0.0 {
                format!("{:.0}s", total.saturating_sub(events) as f64 / rate)
            } else {
                "?".into()
            };
            let line = format!(
                "[{}{}] {events}/{total} events  {rate:.0} events/s  ETA {eta}",
                "#".repeat(filled),
                "-".repeat(width - filled)
            );
            let mut err = std::io::stderr().lock();
            if terminal {
                let _ = write!(err, "\r{line}\x1b[K");
                if finished {
                    let _ = writeln!(err);
                }
            } else {
                let _ = writeln!(err, "{line}");
            }
            let _ = err.flush();
        }
        if finished {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

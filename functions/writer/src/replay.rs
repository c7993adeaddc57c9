//! Replays dead letters once the writer is fixed: each letter is decoded with the current code, what
//! decodes is stored (the insert drops event ids stored already, so a replay can be repeated), and a
//! letter whose every event is stored is moved to `replayed/` (or deleted). A letter that still fails
//! stays, with the reason reported.

use shared::adapters::dead_letters::{S3DeadLetters, PREFIX};
use shared::envelope;

use crate::{store_all, Store};

#[derive(Debug, Clone)]
pub struct Options {
    /// Which letters: `dead-letters/` (all) or a narrower prefix such as `dead-letters/2026-11-20/`.
    pub prefix: String,
    /// Decode and report only; store, move and delete nothing.
    pub dry_run: bool,
    /// Delete replayed letters instead of moving them to `replayed/`.
    pub delete: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            prefix: PREFIX.to_owned(),
            dry_run: false,
            delete: false,
        }
    }
}

#[derive(Debug, Default)]
pub struct Report {
    /// Letters looked at.
    pub letters: usize,
    /// Letters whose events are all stored now (or would be, in a dry run).
    pub replayed: Vec<String>,
    /// Events stored (or that would be).
    pub events: usize,
    /// Letters kept, and why.
    pub kept: Vec<(String, String)>,
    /// Set when the replay stopped early (ClickHouse or S3 unavailable); the rest is untouched.
    pub stopped: Option<String>,
}

pub async fn replay<S: Store>(store: &S, letters: &S3DeadLetters, opts: &Options) -> Report {
    let mut report = Report::default();
    if !opts.prefix.starts_with(PREFIX) {
        report.stopped = Some(format!("the prefix must start with {PREFIX}"));
        return report;
    }
    let keys = match letters.list(&opts.prefix).await {
        Ok(keys) => keys,
        Err(err) => {
            report.stopped = Some(err.to_string());
            return report;
        }
    };
    for key in keys {
        report.letters += 1;
        let letter = match letters.get(&key).await {
            Ok(letter) => letter,
            Err(err) => {
                report.stopped = Some(err.to_string());
                return report;
            }
        };
        let mut events = Vec::new();
        let mut problems = match envelope::unpack_into(&letter.data, &mut events) {
            Ok(bad) => bad.iter().map(|b| format!("not decodable: {b}")).collect(),
            Err(err) => vec![format!("not decodable: {err}")],
        };
        if !opts.dry_run && !events.is_empty() {
            match store_all(store, &events, false).await {
                Ok(refused) => problems.extend(refused.into_iter().map(|(i, why)| {
                    format!(
                        "event {i} ({}) refused by ClickHouse: {why}",
                        events[i].event_id
                    )
                })),
                Err(err) => {
                    report.stopped = Some(err.to_string());
                    return report;
                }
            }
        }
        report.events += events.len();
        if !problems.is_empty() {
            tracing::warn!(key, reason = problems.join("; "), "dead letter kept");
            report.kept.push((key, problems.join("; ")));
            continue;
        }
        if !opts.dry_run {
            let done = if opts.delete {
                letters.delete(&key).await.map(|()| "deleted".to_owned())
            } else {
                letters.archive(&key).await
            };
            match done {
                Ok(to) => tracing::info!(key, to, events = events.len(), "dead letter replayed"),
                Err(err) => {
                    report.stopped = Some(err.to_string());
                    return report;
                }
            }
        }
        report.replayed.push(key);
    }
    report
}

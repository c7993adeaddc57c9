//! Measures one argon2id hash and one verify with the production parameters, as a table.
//!
//!     cargo run --release -p shared --features password --example password_timing [runs]

use std::time::{Duration, Instant};

use shared::auth::password::{hash_blocking, verify_blocking, ITERATIONS, MEMORY_KIB, PARALLELISM};

fn stats(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (
        ms(samples[0]),
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() - 1]),
    )
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let phc = hash_blocking("warm-up password");
    let mut hashes = Vec::with_capacity(runs);
    let mut verifies = Vec::with_capacity(runs);
    for i in 0..runs {
        let t = Instant::now();
        std::hint::black_box(hash_blocking(&format!("password number {i}")));
        hashes.push(t.elapsed());
        let t = Instant::now();
        assert!(std::hint::black_box(verify_blocking(
            "warm-up password",
            &phc
        )));
        verifies.push(t.elapsed());
    }
    println!(
        "argon2id m={MEMORY_KIB} KiB, t={ITERATIONS}, p={PARALLELISM}; {runs} runs, one thread\n"
    );
    println!("| operation | min ms | median ms | max ms |");
    println!("|---|---:|---:|---:|");
    for (name, samples) in [("hash", hashes), ("verify", verifies)] {
        let (min, median, max) = stats(samples);
        println!("| {name} | {min:.1} | {median:.1} | {max:.1} |");
    }
}

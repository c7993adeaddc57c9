//! The binary's command line: unknown flags are a clear error with exit code 2.

use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sample-data"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn unknown_flags_exit_with_2() {
    let out = run(&["--events", "10", "--frobnicate", "3"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown argument \"--frobnicate\""), "{err}");
    assert!(out.stdout.is_empty());

    let out = run(&["--events", "lots"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_lists_the_flags() {
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--events",
        "--days",
        "--seed",
        "--end",
        "--url",
        "--database",
        "--user",
        "--password",
    ] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
}

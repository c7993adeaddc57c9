//! Extracts, once at build time, the literals that every match of each crawler pattern starts with
//! (src/useragent/crawlers.rs scans for them): parsing ~1,500 patterns took ~4 ms of every collector cold
//! start. Writes `$OUT_DIR/crawler_literals.rs`: `LITERALS`, (pattern index, literal) pairs, and `REST`,
//! the patterns without literals long enough to scan for.

use regex_syntax::hir::literal::{ExtractKind, Extractor};
use std::fmt::Write;

const DATA: &str = "data/useragent/bot-patterns.tsv";
/// Shorter literals would send too many User-Agents to the patterns behind them.
const MIN_LITERAL: usize = 3;

fn prefixes(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    let mut extractor = Extractor::new();
    extractor.kind(ExtractKind::Prefix);
    let literals = extractor.extract(&hir).literals()?.to_vec();
    let usable = !literals.is_empty() && literals.iter().all(|l| l.as_bytes().len() >= MIN_LITERAL);
    usable.then(|| literals.iter().map(|l| l.as_bytes().to_vec()).collect())
}

fn main() {
    println!("cargo::rerun-if-changed={DATA}");
    println!("cargo::rerun-if-changed=build.rs");
    let data = std::fs::read_to_string(DATA).expect("the vendored crawler list");
    let (mut literals, mut rest) = (String::new(), String::new());
    let patterns = data.lines().filter_map(|line| line.split_once('\t'));
    for (index, (_, pattern)) in patterns.enumerate() {
        match prefixes(pattern) {
            Some(found) => {
                for literal in found {
                    writeln!(literals, "    ({index}, b{:?}),", Bytes(&literal)).unwrap();
                }
            }
            None => writeln!(rest, "    {index},").unwrap(),
        }
    }
    let code = format!(
        "pub static LITERALS: &[(usize, &[u8])] = &[\n{literals}];\npub static REST: &[usize] = &[\n{rest}];\n"
    );
    let out =
        std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("crawler_literals.rs");
    std::fs::write(out, code).unwrap();
}

/// A byte string literal's contents, escaped for Rust source.
struct Bytes<'a>(&'a [u8]);

impl std::fmt::Debug for Bytes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_char('"')?;
        for &b in self.0 {
            for c in std::ascii::escape_default(b) {
                f.write_char(c as char)?;
            }
        }
        f.write_char('"')
    }
}

//! The crawler list: `crawler-user-agents`, vendored from npm at a pinned version (shared/data/useragent,
//! updated by tools/update-ua-data.py), compiled once per cold start.
//!
//! One automaton of all ~1,500 patterns is the obvious build, but its lazy DFA has to build a new state for
//! nearly every new User-Agent (hundreds of µs each, milliseconds for some bots). So instead: every pattern
//! has literals that each of its matches starts with (e.g. `Googlebot/` for `Googlebot\/`, `PTST/` and
//! ` PTST/` for `(^| )PTST\/`); one Aho-Corasick scan finds which of those occur (a fraction of a µs over a
//! User-Agent), and only the patterns behind them are run, each compiled the first time it is needed.
//! A pattern with no such literals of 3 bytes or more (none, in the pinned list) goes to one regex that
//! every User-Agent is run through.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use std::sync::{LazyLock, OnceLock};

/// One `tag<TAB>pattern` line per entry, in the list's order (the tag is the entry's first one).
const DATA: &str = include_str!("../../data/useragent/bot-patterns.tsv");

/// Shorter literals would send too many User-Agents to the patterns behind them.
const MIN_LITERAL: usize = 3;

struct Pattern {
    source: &'static str,
    tag: &'static str,
    compiled: OnceLock<Regex>,
}

struct List {
    patterns: Vec<Pattern>,
    literals: AhoCorasick,
    /// The pattern each literal of `literals` comes from.
    owner: Vec<usize>,
    /// The patterns without usable literals, as one regex, and the pattern of each of its alternatives.
    rest: Option<(Regex, Vec<usize>)>,
}

/// The patterns are ASCII and case-sensitive by design; ASCII `\w` and `\d` make smaller automata.
fn syntax() -> syntax::Config {
    syntax::Config::new().unicode(false).utf8(false)
}

/// Literals that every match of `pattern` starts with, if each is long enough to be worth scanning for.
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

fn compile(pattern: &str) -> Regex {
    Regex::builder()
        .syntax(syntax())
        .build(pattern)
        .expect("the vendored crawler patterns compile (the bots tests check each)")
}

static LIST: LazyLock<List> = LazyLock::new(|| {
    let patterns: Vec<Pattern> = DATA
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(tag, source)| Pattern {
            source,
            tag,
            compiled: OnceLock::new(),
        })
        .collect();
    let (mut literals, mut owner, mut rest) = (Vec::new(), Vec::new(), Vec::new());
    for (index, pattern) in patterns.iter().enumerate() {
        match prefixes(pattern.source) {
            Some(found) => {
                owner.extend(std::iter::repeat_n(index, found.len()));
                literals.extend(found);
            }
            None => rest.push(index),
        }
    }
    let literals = AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::ContiguousNFA))
        .match_kind(MatchKind::Standard)
        .build(&literals)
        .expect("the crawler literals make an automaton");
    let rest = (!rest.is_empty()).then(|| {
        let sources: Vec<&str> = rest.iter().map(|&i| patterns[i].source).collect();
        let regex = Regex::builder()
            .syntax(syntax())
            .build_many(&sources)
            .expect("the vendored crawler patterns compile (the bots tests check each)");
        (regex, rest)
    });
    List {
        patterns,
        literals,
        owner,
        rest,
    }
});

/// The category (first tag) of a crawler-list entry that matches `user_agent`: search-engine,
/// ai-crawler, browser-automation, seo, monitoring, ...; None when no entry does.
pub fn category(user_agent: &str) -> Option<&'static str> {
    let list = &*LIST;
    let haystack = user_agent.as_bytes();
    for found in list.literals.find_overlapping_iter(haystack) {
        let pattern = &list.patterns[list.owner[found.pattern().as_usize()]];
        if pattern
            .compiled
            .get_or_init(|| compile(pattern.source))
            .is_match(haystack)
        {
            return Some(pattern.tag);
        }
    }
    let (regex, indexes) = list.rest.as_ref()?;
    let found = regex.search_half(&regex_automata::Input::new(haystack).earliest(true))?;
    Some(list.patterns[indexes[found.pattern().as_usize()]].tag)
}

/// Builds the automaton now rather than on the first request.
pub fn warm() {
    LazyLock::force(&LIST);
}

/// How many entries the list has, and how many of them every User-Agent is run through (no literals).
pub fn counts() -> (usize, usize) {
    let list = &*LIST;
    (
        list.patterns.len(),
        list.rest.as_ref().map_or(0, |(_, rest)| rest.len()),
    )
}

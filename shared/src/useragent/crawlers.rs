//! The crawler list: `crawler-user-agents`, vendored from npm at a pinned version (shared/data/useragent,
//! updated by tools/update-ua-data.py), compiled once per cold start.
//!
//! One automaton of all ~1,500 patterns is the obvious build, but its lazy DFA has to build a new state for
//! nearly every new User-Agent (hundreds of µs each, milliseconds for some bots). So instead: every pattern
//! has literals that each of its matches starts with (e.g. `Googlebot/` for `Googlebot\/`, `PTST/` and
//! ` PTST/` for `(^| )PTST\/`); one Aho-Corasick scan finds which of those occur (a fraction of a µs over a
//! User-Agent), and only the patterns behind them are run, each compiled the first time it is needed.
//! A pattern with no such literals of 3 bytes or more (none, in the pinned list) goes to one regex that
//! every User-Agent is run through. The literals are extracted at build time (build.rs), not at each
//! cold start.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use std::sync::{LazyLock, OnceLock};

/// One `tag<TAB>pattern` line per entry, in the list's order (the tag is the entry's first one).
const DATA: &str = include_str!("../../data/useragent/bot-patterns.tsv");

/// (pattern index, literal) and the patterns without literals, from build.rs.
mod extracted {
    include!(concat!(env!("OUT_DIR"), "/crawler_literals.rs"));
}

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
    let owner: Vec<usize> = extracted::LITERALS
        .iter()
        .map(|(index, _)| *index)
        .collect();
    let literals: Vec<&[u8]> = extracted::LITERALS.iter().map(|(_, l)| *l).collect();
    let rest = extracted::REST.to_vec();
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

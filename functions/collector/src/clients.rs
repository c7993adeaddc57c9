//! User-Agents parsed once per function instance: a warm instance sees the same few browser strings
//! over and over (browsers freeze most of theirs), and parsing one, bot list included, costs more than
//! all the rest of a single-event request. Bounded: at most `CAPACITY` strings of at most
//! `MAX_UA_BYTES` are kept, and the whole cache is dropped when full (popular agents come back at once).

use std::collections::HashMap;
use std::sync::Mutex;

use shared::useragent::{self, Client};

const CAPACITY: usize = 1024;
/// Longer strings are rare and often unique: parsed every time, never kept.
const MAX_UA_BYTES: usize = 512;

#[derive(Default)]
pub struct Clients {
    parsed: Mutex<HashMap<Box<str>, Client>>,
}

impl Clients {
    /// What `useragent::parse` says of `user_agent`.
    pub fn parse(&self, user_agent: &str) -> Client {
        if user_agent.len() > MAX_UA_BYTES {
            return useragent::parse(user_agent);
        }
        // A poisoned lock only means a panic elsewhere mid-insert; the map is still a valid cache.
        if let Some(client) = self
            .parsed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(user_agent)
        {
            return client.clone();
        }
        let client = useragent::parse(user_agent);
        let mut parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        if parsed.len() >= CAPACITY {
            parsed.clear();
        }
        parsed.insert(user_agent.into(), client.clone());
        client
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.parsed.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_answer_as_parsing_and_bounded() {
        let clients = Clients::default();
        for ua in [
            "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
            "Googlebot/2.1 (+http://www.google.com/bot.html)",
            "",
        ] {
            assert_eq!(clients.parse(ua), useragent::parse(ua));
            assert_eq!(clients.parse(ua), useragent::parse(ua), "cached");
        }
        assert_eq!(clients.len(), 3);
        let long = format!("Mozilla/5.0 {}", "x".repeat(MAX_UA_BYTES));
        assert_eq!(clients.parse(&long), useragent::parse(&long));
        assert_eq!(clients.len(), 3);
        for i in 0..CAPACITY + 10 {
            clients.parse(&format!("agent/{i}"));
        }
        assert!(clients.len() <= CAPACITY);
    }
}

//! The collector's metrics as CloudWatch Embedded Metric Format lines on stdout (no API call, no
//! extra latency): CloudWatch turns each line into data points.

use serde_json::json;
use shared::event::EventRecord;
use time::OffsetDateTime;

/// One line per site of a dropped bot request: metric `Analytics/Collector BotEventsDropped`, without
/// dimensions, with `site` and the bot's kind as properties. A `site` dimension would let anyone create
/// paid custom metrics by sending a bot's User-Agent with made-up site names; per site, ask Logs Insights
/// (`stats sum(BotEventsDropped) by site`).
pub fn bot_events_dropped(events: &[EventRecord], kind: &str, at: OffsetDateTime) -> Vec<String> {
    let mut per_site = std::collections::BTreeMap::<&str, usize>::new();
    for event in events {
        *per_site.entry(event.site.as_str()).or_default() += 1;
    }
    let ms = (at.unix_timestamp_nanos() / 1_000_000) as i64;
    per_site
        .into_iter()
        .map(|(site, n)| {
            json!({
                "_aws": {
                    "Timestamp": ms,
                    "CloudWatchMetrics": [{
                        "Namespace": "Analytics/Collector",
                        "Dimensions": [[]],
                        "Metrics": [{"Name": "BotEventsDropped", "Unit": "Count"}],
                    }],
                },
                "site": site,
                "BotEventsDropped": n,
                "bot": kind,
            })
            .to_string()
        })
        .collect()
}

/// What became of one request's events, written as one line when the request is answered (on drop, so
/// that every way out of the handler counts): metrics `Analytics/Collector` AcceptedEvents (valid, in a
/// 202 answer: queued, or dropped as a bot's), QueuedEvents (put on the stream), RejectedEvents (invalid,
/// with their reasons in the answer) and RefusedRequests (answered 4xx/5xx: malformed, too large, or
/// the stream unavailable), without dimensions.
pub struct Tally {
    at: OffsetDateTime,
    pub accepted: usize,
    pub queued: usize,
    pub rejected: usize,
    pub refused: bool,
}

impl Tally {
    /// A request is counted as refused until it is known to be answered 202.
    pub fn start(at: OffsetDateTime) -> Self {
        Self {
            at,
            accepted: 0,
            queued: 0,
            rejected: 0,
            refused: true,
        }
    }

    /// Written with `format!`, not a JSON tree: this runs on every request.
    pub fn line(&self) -> String {
        format!(
            concat!(
                r#"{{"_aws":{{"Timestamp":{},"CloudWatchMetrics":[{{"Namespace":"Analytics/Collector","#,
                r#""Dimensions":[[]],"Metrics":[{{"Name":"AcceptedEvents","Unit":"Count"}},"#,
                r#"{{"Name":"QueuedEvents","Unit":"Count"}},"#,
                r#"{{"Name":"RejectedEvents","Unit":"Count"}},{{"Name":"RefusedRequests","Unit":"Count"}}]}}]}},"#,
                r#""AcceptedEvents":{},"QueuedEvents":{},"RejectedEvents":{},"RefusedRequests":{}}}"#
            ),
            self.at.unix_timestamp_nanos() / 1_000_000,
            self.accepted,
            self.queued,
            self.rejected,
            u8::from(self.refused),
        )
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        // stdout, not tracing: CloudWatch reads the `_aws` key of a line as it is.
        println!("{}", self.line());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_counts_a_request_refused_until_it_is_answered() {
        let mut tally = Tally::start(OffsetDateTime::UNIX_EPOCH);
        let v: serde_json::Value = serde_json::from_str(&tally.line()).unwrap();
        assert_eq!(
            (
                &v["RefusedRequests"],
                &v["QueuedEvents"],
                &v["RejectedEvents"]
            ),
            (&json!(1), &json!(0), &json!(0))
        );
        (tally.queued, tally.rejected, tally.refused) = (3, 2, false);
        let v: serde_json::Value = serde_json::from_str(&tally.line()).unwrap();
        assert_eq!(
            (
                &v["RefusedRequests"],
                &v["QueuedEvents"],
                &v["RejectedEvents"]
            ),
            (&json!(0), &json!(3), &json!(2))
        );
        let names: Vec<&str> = v["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "AcceptedEvents",
                "QueuedEvents",
                "RejectedEvents",
                "RefusedRequests"
            ]
        );
    }

    #[test]
    fn one_line_per_site_with_its_count() {
        let body = br#"{"events":[{"event":"a","site":"shop","anonymous_id":"x"},{"event":"b","site":"shop","anonymous_id":"x"},{"event":"c","site":"blog","anonymous_id":"y"}]}"#;
        let ctx = shared::event::RequestContext::new(
            OffsetDateTime::now_utc(),
            Some("Googlebot/2.1"),
            None,
        );
        let batch = shared::event::Batch::read(body).unwrap();
        let events: Vec<EventRecord> = batch.records(&ctx).map(|r| r.unwrap()).collect();
        let lines = bot_events_dropped(&events, "search-engine", OffsetDateTime::UNIX_EPOCH);
        let parsed: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(parsed.len(), 2);
        assert_eq!(
            (
                parsed[0]["site"].as_str(),
                parsed[0]["BotEventsDropped"].as_u64()
            ),
            (Some("blog"), Some(1))
        );
        assert_eq!(
            (
                parsed[1]["site"].as_str(),
                parsed[1]["BotEventsDropped"].as_u64()
            ),
            (Some("shop"), Some(2))
        );
        // No dimension: made-up site names can't create metrics.
        assert_eq!(
            parsed[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            serde_json::json!([[]])
        );
        assert_eq!(parsed[0]["bot"], "search-engine");
    }
}

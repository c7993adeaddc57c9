//! The writer's metrics as CloudWatch Embedded Metric Format: one JSON line on stdout per invocation,
//! which CloudWatch Logs turns into metrics without an API call (alarm on `DeadLetters` and
//! `RetriedRecords`).

use serde_json::{json, Value};

/// Namespace of the metrics in CloudWatch.
pub const NAMESPACE: &str = "Analytics/Writer";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchMetrics {
    /// Kinesis records in the batch.
    pub records: usize,
    /// Events read from them.
    pub events: usize,
    /// Events stored, or found stored already (a retried batch).
    pub stored_events: usize,
    /// Events ClickHouse refused as bad data.
    pub refused_events: usize,
    /// Records written to the dead-letter store.
    pub dead_letters: usize,
    /// Records reported for retry (a ClickHouse outage: the whole batch).
    pub retried_records: usize,
    /// Records that could not be dead-lettered (and were reported for retry instead).
    pub dead_letter_errors: usize,
}

impl BatchMetrics {
    /// The EMF document, dimensioned by the Lambda function's name.
    pub fn to_emf(&self, timestamp_ms: i64, function: &str) -> Value {
        let counts = [
            ("Records", self.records),
            ("Events", self.events),
            ("StoredEvents", self.stored_events),
            ("RefusedEvents", self.refused_events),
            ("DeadLetters", self.dead_letters),
            ("RetriedRecords", self.retried_records),
            ("DeadLetterErrors", self.dead_letter_errors),
        ];
        let mut doc = json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [["FunctionName"]],
                    "Metrics": counts
                        .iter()
                        .map(|(name, _)| json!({"Name": name, "Unit": "Count"}))
                        .collect::<Vec<_>>(),
                }],
            },
            "FunctionName": function,
        });
        for (name, n) in counts {
            doc[name] = json!(n);
        }
        doc
    }

    /// Prints the EMF line (stdout is what Lambda sends to CloudWatch Logs).
    pub fn emit(&self) {
        let now = time::OffsetDateTime::now_utc();
        let ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
        let function =
            std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "writer".to_owned());
        println!("{}", self.to_emf(ms, &function));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_names_each_metric_and_carries_its_value() {
        let m = BatchMetrics {
            records: 3,
            dead_letters: 1,
            ..Default::default()
        };
        let doc = m.to_emf(1_700_000_000_000, "analytics-writer");
        assert_eq!(doc["DeadLetters"], 1);
        assert_eq!(doc["Records"], 3);
        assert_eq!(doc["FunctionName"], "analytics-writer");
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        let names: Vec<_> = directive["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        for name in names {
            assert!(doc[name].is_number(), "{name}");
        }
    }
}

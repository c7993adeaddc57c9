//! The panel's query times as CloudWatch Embedded Metric Format lines on stdout (no API call, no added
//! latency): metric `Analytics/Analytics QueryTime` by route, which the operations dashboard charts.

use serde_json::json;
use time::OffsetDateTime;

/// The routes as dimension values: a fixed set, so that made-up paths can't create paid custom metrics.
const ROUTES: &[&str] = &[
    "overview",
    "timeseries",
    "breakdown",
    "funnel",
    "retention",
    "live",
    "sites",
    "export",
];

/// The route's name for the metric: one of [`ROUTES`], else `other` (404s, health).
pub fn route_of(path: &str) -> &'static str {
    let name = path.strip_prefix("/api/analytics/").unwrap_or("");
    ROUTES
        .iter()
        .find(|r| **r == name)
        .copied()
        .unwrap_or("other")
}

/// One line per answered request: its time in milliseconds, with the status as a property.
pub fn query_time(route: &str, status: u16, millis: f64, at: OffsetDateTime) -> String {
    json!({
        "_aws": {
            "Timestamp": (at.unix_timestamp_nanos() / 1_000_000) as i64,
            "CloudWatchMetrics": [{
                "Namespace": "Analytics/Analytics",
                "Dimensions": [["Route"]],
                "Metrics": [{"Name": "QueryTime", "Unit": "Milliseconds"}],
            }],
        },
        "Route": route,
        "QueryTime": (millis * 1000.0).round() / 1000.0,
        "status": status,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_outside_the_fixed_set_are_other() {
        assert_eq!(route_of("/api/analytics/funnel"), "funnel");
        assert_eq!(route_of("/api/analytics/export"), "export");
        for path in [
            "/api/analytics/made-up",
            "/api/health",
            "/api/analytics/",
            "/x",
        ] {
            assert_eq!(route_of(path), "other", "{path}");
        }
    }

    #[test]
    fn a_line_is_embedded_metric_format() {
        let line = query_time("breakdown", 200, 12.34567, OffsetDateTime::UNIX_EPOCH);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        let spec = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(spec["Namespace"], "Analytics/Analytics");
        assert_eq!(spec["Dimensions"], json!([["Route"]]));
        assert_eq!(spec["Metrics"][0]["Name"], "QueryTime");
        assert_eq!(
            (v["Route"].as_str(), v["QueryTime"].as_f64()),
            (Some("breakdown"), Some(12.346))
        );
        assert_eq!(v["status"], 200);
        assert_eq!(v["_aws"]["Timestamp"], 0);
    }
}

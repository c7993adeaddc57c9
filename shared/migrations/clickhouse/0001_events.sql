-- Every event, deduplicated by event_id: ReplacingMergeTree merges repeats away and queries read with
-- FINAL; the insert deduplication window drops a retried identical batch (the writer's retries).
-- Migrations must be idempotent (IF NOT EXISTS): two cold starts may apply the same one at once.
CREATE TABLE IF NOT EXISTS events
(
    event_id        UUID,
    site            LowCardinality(String),
    event           LowCardinality(String),
    timestamp       DateTime64(3, 'UTC'),
    received_at     DateTime64(3, 'UTC'),
    anonymous_id    String,
    user_id         String,
    session_id      String,
    url             String,
    path            String,
    referrer        String,
    referrer_domain LowCardinality(String),
    title           String,
    utm_source      LowCardinality(String),
    utm_medium      LowCardinality(String),
    utm_campaign    LowCardinality(String),
    utm_term        String,
    utm_content     String,
    browser         LowCardinality(String),
    browser_version LowCardinality(String),
    os              LowCardinality(String),
    device          LowCardinality(String),
    country         LowCardinality(String),
    properties      Map(String, String)
)
ENGINE = ReplacingMergeTree(received_at)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (site, toDate(timestamp), event, event_id)
SETTINGS non_replicated_deduplication_window = 1000

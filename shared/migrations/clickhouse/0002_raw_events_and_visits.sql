-- Schema 2: no read depends on FINAL.
-- * `raw_events` is append-only. Duplicates never get in: the writer drops every event whose id is
--   already in `event_ids` (fed by a materialized view in the same INSERT) before it inserts.
-- * `visits_hourly` holds one row per visit and UTC hour (after merges), with the visit's counts,
--   first/last times and first values as aggregate states: the unfiltered overview, time series and
--   visit-level breakdowns read it instead of the raw rows.
-- * the old ReplacingMergeTree `events` is copied over once, one row per event_id (its newest). It is
--   kept, not dropped: a writer of the old version may still write to it while a deployment rolls out.
--   Session-less events of schema 1 get one visit per visitor and clock half hour (not the gap rule).
-- Migrations run once per deployment (a custom resource) and in the local bootstrap, one at a time.
CREATE TABLE IF NOT EXISTS raw_events
(
    event_id        UUID,
    site            LowCardinality(String),
    event           LowCardinality(String),
    timestamp       DateTime64(3, 'UTC'),
    received_at     DateTime64(3, 'UTC'),
    anonymous_id    String,
    user_id         String,
    session_id      String,
    -- the visit: `session_id` when the client sent one, else derived by the writer (30-minute gaps)
    visit_id        String,
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
    properties      Map(String, String),
    visitor         String MATERIALIZED if(user_id != '', user_id, anonymous_id),
    visitor_hash    UInt64 MATERIALIZED cityHash64(if(user_id != '', user_id, anonymous_id)),
    visit_hash      UInt64 MATERIALIZED cityHash64(site, visit_id),
    INDEX timestamp_minmax timestamp TYPE minmax GRANULARITY 1,
    INDEX visitor_bloom visitor TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (site, toDate(timestamp), event, visitor_hash, timestamp);

-- Every stored event id (with the day it was stored), for the writer's duplicate check. Small rows and small granules: a batch's
-- look-up reads a few hundred rows per id. Kept 40 days (the collector clamps client times to 30
-- days back; Kinesis keeps records 7 days); a copy arriving later than that counts again.
CREATE TABLE IF NOT EXISTS event_ids
(
    event_id UUID,
    seen     Date
)
ENGINE = ReplacingMergeTree
ORDER BY event_id
TTL seen + INTERVAL 40 DAY
SETTINGS index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS event_ids_mv TO event_ids AS
SELECT event_id, today() AS seen FROM raw_events;

CREATE TABLE IF NOT EXISTS visits_hourly
(
    site            LowCardinality(String),
    hour            DateTime('UTC'),
    visit_hash      UInt64,
    -- every visitor of the visit (a visit in which someone signs in has two)
    visitors        SimpleAggregateFunction(groupUniqArrayArray, Array(UInt64)),
    events          SimpleAggregateFunction(sum, UInt64),
    pageviews       SimpleAggregateFunction(sum, UInt64),
    first_at        SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_at         SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    entry_page      AggregateFunction(argMinIf, String, DateTime64(3, 'UTC'), UInt8),
    exit_page       AggregateFunction(argMaxIf, String, DateTime64(3, 'UTC'), UInt8),
    referrer        AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    utm_source      AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    utm_medium      AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    utm_campaign    AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    utm_term        AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    utm_content     AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    browser         AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    browser_version AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    os              AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    device          AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    country         AggregateFunction(argMin, String, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, hour, visit_hash);

CREATE MATERIALIZED VIEW IF NOT EXISTS visits_hourly_mv TO visits_hourly AS
SELECT
    site,
    toStartOfHour(timestamp) AS hour,
    visit_hash,
    groupUniqArray(visitor_hash) AS visitors,
    count() AS events,
    countIf(event = 'pageview') AS pageviews,
    min(timestamp) AS first_at,
    max(timestamp) AS last_at,
    argMinIfState(path, timestamp, event = 'pageview') AS entry_page,
    argMaxIfState(path, timestamp, event = 'pageview') AS exit_page,
    argMinState(toString(referrer_domain), timestamp) AS referrer,
    argMinState(toString(utm_source), timestamp) AS utm_source,
    argMinState(toString(utm_medium), timestamp) AS utm_medium,
    argMinState(toString(utm_campaign), timestamp) AS utm_campaign,
    argMinState(utm_term, timestamp) AS utm_term,
    argMinState(utm_content, timestamp) AS utm_content,
    argMinState(toString(browser), timestamp) AS browser,
    argMinState(toString(browser_version), timestamp) AS browser_version,
    argMinState(toString(os), timestamp) AS os,
    argMinState(toString(device), timestamp) AS device,
    argMinState(toString(country), timestamp) AS country
FROM raw_events
GROUP BY site, hour, visit_hash;

-- The data of schema 1, once, without duplicates (the NOT IN makes a re-run after a failure harmless).
INSERT INTO raw_events (event_id, site, event, timestamp, received_at, anonymous_id, user_id, session_id,
    visit_id, url, path, referrer, referrer_domain, title, utm_source, utm_medium, utm_campaign, utm_term,
    utm_content, browser, browser_version, os, device, country, properties)
SELECT event_id, site, event, timestamp, received_at, anonymous_id, user_id, session_id,
    if(session_id != '', session_id,
       concat('~', toString(toStartOfInterval(timestamp, INTERVAL 30 MINUTE)), '~', if(user_id != '', user_id, anonymous_id))),
    url, path, referrer, referrer_domain, title, utm_source, utm_medium, utm_campaign, utm_term,
    utm_content, browser, browser_version, os, device, country, properties
FROM events FINAL
WHERE event_id NOT IN (SELECT event_id FROM event_ids)
ORDER BY received_at DESC
LIMIT 1 BY event_id;

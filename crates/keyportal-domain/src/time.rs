//! Time is a parameter of every rule: callers pass `now` as epoch milliseconds.

/// Milliseconds since the Unix epoch, the unit the ArcGIS wire format uses for every date.
pub type EpochMillis = i64;

pub const SECOND_MS: EpochMillis = 1_000;
pub const MINUTE_MS: EpochMillis = 60 * SECOND_MS;
pub const HOUR_MS: EpochMillis = 60 * MINUTE_MS;
pub const DAY_MS: EpochMillis = 24 * HOUR_MS;

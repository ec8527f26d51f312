-- Usage at scale (a year of daily counts for 10,000 credentials × 3 services is 11 million
-- rows). Organization reports read a range of days: this index starts with the day and holds
-- every column they read, so a month is one index range read in day order, no table rows (on
-- PostgreSQL an index-only scan once vacuumed). Flushes write today's rows, at the end of the
-- day order, so old rows cost them only the depth of the tree. One credential's report and the
-- quota refresh keep using usage_client_day.
CREATE INDEX usage_day_rows ON usage (day, client_id, slot, service, count);

-- SELECT DISTINCT and GROUP BY without aggregates are monotone, and keep
-- the rows they have seen.
-- expect: path campaigns <- clicks: CW
-- expect: path ads <- clicks: CW
-- expect: sink campaigns: Async
-- expect: sink ads: Async
CREATE TABLE clicks (id BIGINT, campaign TEXT);

CREATE VIEW campaigns AS SELECT DISTINCT campaign FROM clicks;
CREATE VIEW ads AS SELECT id FROM clicks GROUP BY id;

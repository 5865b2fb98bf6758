-- error: 6:27: the SQL does not parse: Expected: ), found: clicks
CREATE TABLE clicks (id BIGINT, campaign TEXT, ts TIMESTAMP);

CREATE VIEW v AS
  SELECT window_start, id, COUNT(*) AS n
  FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' HOUR))
  GROUP BY window_start, id;

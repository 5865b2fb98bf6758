-- A join of two streams alone is confluent; it keeps both sides.
-- expect: path matched <- clicks: CW
-- expect: path matched <- impressions: CW
-- expect: sink matched: Async
CREATE TABLE clicks (id BIGINT, campaign TEXT);
CREATE TABLE impressions (ad BIGINT, site TEXT);

CREATE VIEW matched AS
  SELECT c.id, i.site FROM clicks c INNER JOIN impressions i ON c.id = i.ad;

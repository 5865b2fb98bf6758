-- SUM over a column declared non-negative (CHECK (cost >= 0)) only grows:
-- `HAVING SUM(cost) > 500` is a monotone threshold.
-- expect: path spenders <- clicks: CW
-- expect: sink spenders: Async
CREATE TABLE clicks (id BIGINT, campaign TEXT, cost INT CHECK (cost >= 0));

CREATE VIEW spenders AS
  SELECT campaign FROM clicks GROUP BY campaign HAVING SUM(cost) > 500 AND COUNT(*) >= 3;

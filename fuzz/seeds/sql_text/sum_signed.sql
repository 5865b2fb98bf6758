-- SUM over a column that may be negative can fall back below the bound:
-- order-sensitive.
-- expect: path spenders <- clicks: OW[campaign]
-- expect: sink spenders: Run or worse
-- expect: note spenders <- clicks: `HAVING SUM(cost) > 500`
CREATE TABLE clicks (id BIGINT, campaign TEXT, cost INT);

CREATE VIEW spenders AS
  SELECT campaign FROM clicks GROUP BY campaign HAVING SUM(cost) > 500;

-- The same window function with clicks sealed on its partition column.
-- expect: path ranked <- clicks: OW[campaign]
-- expect: sink ranked: Async
CREATE TABLE clicks (id BIGINT, campaign TEXT, ts BIGINT) WITH ('blazes.seal' = 'campaign');

CREATE VIEW ranked AS
  SELECT id, SUM(ts) OVER (PARTITION BY campaign) AS total FROM clicks;

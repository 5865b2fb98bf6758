-- HOP, sealed on campaign: [campaign] is not compatible with [id, ts].
-- expect: path per_window <- clicks: OW[id,ts]
-- expect: sink per_window: Run or worse
CREATE TABLE clicks (id BIGINT, campaign TEXT, ts TIMESTAMP) WITH ('blazes.seal' = 'campaign');

CREATE VIEW per_window AS
  SELECT id, COUNT(*) AS n FROM HOP(clicks, ts, INTERVAL '1' MINUTE, INTERVAL '1' HOUR)
  GROUP BY window_end, id;

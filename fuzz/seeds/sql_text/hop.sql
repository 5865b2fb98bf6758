-- HOP puts a row in several windows: window_end is no function of ts (no
-- FD). Grouped by window_end and id, sealed on id: compatible, since each
-- group draws from one id.
-- expect: path per_window <- clicks: OW[id,window_end]
-- expect: sink per_window: Async
CREATE TABLE clicks (id BIGINT, campaign TEXT, ts TIMESTAMP) WITH ('blazes.seal' = 'id');

CREATE VIEW per_window AS
  SELECT window_end, id, COUNT(*) AS n FROM HOP(clicks, ts, INTERVAL '1' MINUTE, INTERVAL '1' HOUR)
  GROUP BY window_end, id;

-- RisingWave's TUMBLE window table function: window_start partitions by the
-- time column ts, so the gate holds ts; clicks sealed on ts (a watermark)
-- complete each window.
-- expect: path per_window <- clicks: OW[id,ts]
-- expect: sink per_window: Async
-- expect: fd ts -> window_start plain
CREATE TABLE clicks (id BIGINT, campaign TEXT, ts TIMESTAMP) WITH ('blazes.seal' = 'ts');

CREATE VIEW per_window AS
  SELECT window_start, id FROM TUMBLE(clicks, ts, INTERVAL '1' HOUR)
  GROUP BY window_start, id
  HAVING COUNT(*) < 100;

-- RisingWave's TUMBLE window table function: grouping by window_start gates
-- on the window. A window draws from many values of ts, so a seal on ts is
-- not compatible (spec §3): stamp a window column at the source and seal on
-- it instead (see fig6_window_sealed.sql). window_start is a function of ts.
-- expect: path per_window <- clicks: OW[id,window_start]
-- expect: sink per_window: Run or worse
-- expect: fd ts -> window_start plain
CREATE TABLE clicks (id BIGINT, campaign TEXT, ts TIMESTAMP) WITH ('blazes.seal' = 'ts');

CREATE VIEW per_window AS
  SELECT window_start, id FROM TUMBLE(clicks, ts, INTERVAL '1' HOUR)
  GROUP BY window_start, id
  HAVING COUNT(*) < 100;

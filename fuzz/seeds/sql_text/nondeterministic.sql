-- A filter on the processing time keeps different rows in different runs:
-- no seal fixes it (ungated), and the analysis reports it.
-- expect: path recent <- clicks: OW[]
-- expect: sink recent: Run or worse
-- expect: note recent <- clicks: `NOW()` at line 9 (its value depends on when a row is processed
CREATE TABLE clicks (id BIGINT, campaign TEXT, ts TIMESTAMP) WITH ('blazes.seal' = 'id');

CREATE VIEW recent AS
  SELECT id FROM clicks WHERE ts > NOW() - INTERVAL '1' HOUR;

-- WINDOW (paper Fig. 6) with clicks sealed on window: each window's
-- groups are complete when the window is sealed.
-- expect: path report <- clicks: OW[id,window]
-- expect: sink report: Async
-- expect: note report <- clicks: gate [id,window]
CREATE TABLE clicks (id BIGINT, campaign TEXT, "window" INT)
  WITH ('blazes.seal' = 'window');

CREATE VIEW report AS
  SELECT "window", id FROM clicks
  GROUP BY "window", id
  HAVING COUNT(*) < 100;

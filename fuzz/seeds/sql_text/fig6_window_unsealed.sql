-- WINDOW (paper Fig. 6) without a seal: order-sensitive like POOR.
-- expect: path report <- clicks: OW[id,window]
-- expect: sink report: Run or worse
CREATE TABLE clicks (id BIGINT, campaign TEXT, "window" INT);

CREATE VIEW report AS
  SELECT "window", id FROM clicks GROUP BY "window", id HAVING COUNT(*) < 100;

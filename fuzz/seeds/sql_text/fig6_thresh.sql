-- THRESH (paper Fig. 6): the ads with at least 1000 clicks. A monotone
-- threshold: once a group passes it, more clicks keep it passing.
-- expect: path thresh <- clicks: CW
-- expect: sink thresh: Async
-- expect: note thresh <- clicks: confluent because of `HAVING COUNT(*) > 1000` at line 11
CREATE TABLE clicks (id BIGINT, campaign TEXT, "window" INT);

CREATE VIEW thresh AS
  SELECT id FROM clicks
  GROUP BY id
  HAVING COUNT(*) > 1000;

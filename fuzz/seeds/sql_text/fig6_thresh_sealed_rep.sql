-- THRESH replicated, with clicks sealed on campaign (spec S10): Async; the
-- seal passes through the confluent path.
-- expect: path thresh <- clicks: CW
-- expect: sink thresh: Seal[campaign]
CREATE TABLE clicks (id BIGINT, campaign TEXT, "window" INT)
  WITH ('blazes.seal' = 'campaign');

CREATE VIEW thresh WITH ('blazes.rep' = 'true') AS
  SELECT id FROM clicks GROUP BY id HAVING count(id) >= 1000;

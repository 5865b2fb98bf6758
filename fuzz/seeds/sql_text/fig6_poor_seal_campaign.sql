-- POOR with clicks sealed on campaign (spec S5): [campaign] is not
-- compatible with the gate [id], so the seal does not help.
-- expect: path poor <- clicks: OW[id]
-- expect: sink poor: Run or worse
CREATE TABLE clicks (id BIGINT, campaign TEXT, "window" INT)
  WITH ('blazes.seal' = 'campaign');

CREATE VIEW poor AS
  SELECT id FROM clicks GROUP BY id HAVING COUNT(*) < 100;

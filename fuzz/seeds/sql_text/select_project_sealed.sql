-- A seal passes through a projection: the sink is sealed too.
-- expect: path ids <- clicks: CR
-- expect: sink ids: Seal[campaign]
CREATE TABLE clicks (id BIGINT, campaign TEXT)
  WITH ('blazes.seal' = 'campaign', 'blazes.independent' = 'true', connector = 'kafka');

CREATE VIEW ids AS SELECT id, campaign FROM clicks WHERE id IN (1, 2, 3);

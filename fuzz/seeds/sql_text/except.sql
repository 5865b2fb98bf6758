-- EXCEPT removes the rows of its right side: an anti-join over every
-- column. Both sides sealed on id: deterministic.
-- expect: path fresh <- clicks: OR[id]
-- expect: path fresh <- seen: OW[id]
-- expect: sink fresh: Async
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'id');
CREATE TABLE seen (id BIGINT) WITH ('blazes.seal' = 'id');

CREATE VIEW fresh AS
  SELECT id FROM clicks EXCEPT SELECT id FROM seen;

-- UNION (without ALL) removes duplicates: confluent, but it keeps the rows
-- it has seen. Seals on different keys merge to Async.
-- expect: path everything <- clicks: CW
-- expect: path everything <- views: CW
-- expect: sink everything: Async
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'campaign');
CREATE TABLE views (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'id');

CREATE VIEW everything AS
  SELECT id, campaign FROM clicks UNION SELECT id, campaign FROM views;

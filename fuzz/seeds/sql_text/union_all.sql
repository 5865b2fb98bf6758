-- UNION ALL is confluent and stateless on both sides; seals on the same
-- key merge into a seal.
-- expect: path everything <- clicks: CR
-- expect: path everything <- views: CR
-- expect: sink everything: Seal[campaign]
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'campaign');
CREATE TABLE views (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'campaign');

CREATE VIEW everything AS
  SELECT id, campaign FROM clicks
  UNION ALL
  SELECT id, campaign FROM views;

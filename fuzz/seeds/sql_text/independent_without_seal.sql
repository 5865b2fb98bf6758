-- error: 2:54: `blazes.independent` without `blazes.seal`
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.independent' = 'true');
CREATE VIEW v AS SELECT id FROM clicks;

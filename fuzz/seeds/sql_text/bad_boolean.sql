-- error: 3:21: the value of `blazes.rep` should be 'true' or 'false'; found 'yes'
CREATE TABLE clicks (id BIGINT, campaign TEXT);
CREATE VIEW v WITH ('blazes.rep' = 'yes') AS SELECT id FROM clicks;

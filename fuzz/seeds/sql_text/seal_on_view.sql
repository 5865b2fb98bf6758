-- error: 3:21: unknown option `blazes.seal`: a view accepts only `'blazes.rep'`
CREATE TABLE clicks (id BIGINT, campaign TEXT);
CREATE VIEW v WITH ('blazes.seal' = 'id') AS SELECT id FROM clicks;

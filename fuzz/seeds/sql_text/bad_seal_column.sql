-- error: 2:54: `blazes.seal`: `campain` is not a column of the table
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'campain');
CREATE VIEW v AS SELECT id FROM clicks;

-- error: 1:1: no CREATE VIEW in the file
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'campaign');

-- error: 2:54: unknown option `blazes.sael`
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.sael' = 'campaign');
CREATE VIEW v AS SELECT id FROM clicks;

-- error: 4:18: the SQL does not parse
CREATE TABLE clicks (id BIGINT, campaign TEXT);

CREATE VIEW v AS SELEC id FROM clicks;

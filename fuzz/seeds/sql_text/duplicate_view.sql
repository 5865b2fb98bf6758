-- error: 4:13: `v` is created twice
CREATE TABLE clicks (id BIGINT, campaign TEXT);
CREATE VIEW v AS SELECT id FROM clicks;
CREATE VIEW v AS SELECT campaign FROM clicks;

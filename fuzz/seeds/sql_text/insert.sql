-- error: 4:1: `INSERT INTO` statements are not part of a dataflow
CREATE TABLE clicks (id BIGINT, campaign TEXT);
CREATE TABLE out (id BIGINT);
INSERT INTO out SELECT id FROM clicks;
CREATE VIEW v AS SELECT id FROM clicks;

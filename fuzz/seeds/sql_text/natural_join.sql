-- error: 4:53: `NATURAL JOIN` is not supported
CREATE TABLE clicks (id BIGINT, campaign TEXT);
CREATE TABLE bans (id BIGINT);
CREATE VIEW v AS SELECT id FROM clicks NATURAL JOIN bans;

-- error: 5:10: ambiguous column `id`
CREATE TABLE clicks (id BIGINT, campaign TEXT);
CREATE TABLE bans (id BIGINT);
CREATE VIEW v AS
  SELECT id FROM clicks JOIN bans ON clicks.id = bans.id;

-- error: 5:32: a scalar subquery is not supported
CREATE TABLE clicks (id BIGINT, campaign TEXT);

CREATE VIEW v AS
  SELECT id FROM clicks WHERE (SELECT COUNT(*) FROM clicks) > 3;

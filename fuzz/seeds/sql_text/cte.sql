-- error: 5:3: `WITH` (a common table expression) is not supported
CREATE TABLE clicks (id BIGINT, campaign TEXT);

CREATE VIEW v AS
  WITH recent AS (SELECT id FROM clicks) SELECT id FROM recent;

-- A window function's value depends on the rows of its partition that
-- arrived before. Gate: PARTITION BY; sealed on id, not compatible.
-- expect: path ranked <- clicks: OW[campaign]
-- expect: sink ranked: Run or worse
-- expect: note ranked <- clicks: `ROW_NUMBER() OVER (PARTITION BY campaign ORDER BY ts)`
CREATE TABLE clicks (id BIGINT, campaign TEXT, ts BIGINT) WITH ('blazes.seal' = 'id');

CREATE VIEW ranked AS
  SELECT id, ROW_NUMBER() OVER (PARTITION BY campaign ORDER BY ts) AS position FROM clicks;

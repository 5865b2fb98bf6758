-- error: 5:10: `tumble(INTERVAL '1 hour')` as an expression (Arroyo's window syntax) is not supported
CREATE TABLE clicks (id BIGINT, campaign TEXT);

CREATE VIEW v AS
  SELECT tumble(interval '1 hour') AS w, id, COUNT(*) AS n FROM clicks GROUP BY w, id;

-- error: 5:10: unknown column `campain`
CREATE TABLE clicks (id BIGINT, campaign TEXT);

CREATE VIEW per_campaign AS
  SELECT campain, COUNT(*) AS n FROM clicks GROUP BY campain;

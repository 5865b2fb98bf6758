-- error: 4:82: the expression `ROLLUP (campaign, id)` is not supported
CREATE TABLE clicks (id BIGINT, campaign TEXT);

CREATE VIEW v AS SELECT campaign, id, COUNT(*) AS n FROM clicks GROUP BY ROLLUP (campaign, id);

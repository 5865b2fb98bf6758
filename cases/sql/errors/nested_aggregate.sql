-- error: 3:29: the aggregate `COUNT(id)` in SELECT is not supported by the white-box derivation
CREATE TABLE orders (id BIGINT, region TEXT);
CREATE VIEW v AS SELECT SUM(COUNT(id)) AS n FROM orders GROUP BY region;

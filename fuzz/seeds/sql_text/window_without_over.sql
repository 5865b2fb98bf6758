-- error: 3:25: `row_number` without OVER (...)
CREATE TABLE clicks (id BIGINT, campaign TEXT);
CREATE VIEW v AS SELECT ROW_NUMBER() AS n, id FROM clicks;

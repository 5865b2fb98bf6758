-- error: 4:25: column `id` of view `v` is not the input column `id` but has its name
CREATE TABLE clicks (id BIGINT, campaign TEXT);

CREATE VIEW v AS SELECT id * 2 AS id, campaign FROM clicks;

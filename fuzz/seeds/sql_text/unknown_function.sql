-- error: 4:25: unknown function `my_udf`
CREATE TABLE clicks (id BIGINT, campaign TEXT);

CREATE VIEW v AS SELECT my_udf(campaign) AS x FROM clicks;

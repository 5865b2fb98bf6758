-- error: 4:36: unknown relation `click`
CREATE TABLE clicks (id BIGINT, campaign TEXT);

CREATE VIEW poor AS SELECT id FROM click GROUP BY id HAVING COUNT(*) < 100;

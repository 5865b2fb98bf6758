-- LIMIT without ORDER BY keeps the first rows to arrive: order-sensitive,
-- no gate. A USING join is a join: CW on both sides (first view).
-- expect: path joined <- clicks: CW
-- expect: path joined <- bans: CW
-- expect: path first_ids <- joined: OW[]
-- expect: sink first_ids: Run or worse
-- expect: note first_ids <- joined: `LIMIT 5`
-- expect: note joined <- clicks: `JOIN bans USING(id)`
CREATE TABLE clicks (id BIGINT, campaign TEXT);
CREATE TABLE bans (id BIGINT, reason TEXT);

CREATE VIEW joined AS SELECT clicks.id, reason FROM clicks JOIN bans USING (id);
CREATE VIEW first_ids AS SELECT id FROM joined LIMIT 5;

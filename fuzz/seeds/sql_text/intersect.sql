-- INTERSECT is monotone and keeps both sides.
-- expect: path both_sides <- clicks: CW
-- expect: path both_sides <- views: CW
-- expect: sink both_sides: Async
CREATE TABLE clicks (id BIGINT);
CREATE TABLE views (id BIGINT);

CREATE VIEW both_sides AS SELECT id FROM clicks INTERSECT SELECT id FROM views;

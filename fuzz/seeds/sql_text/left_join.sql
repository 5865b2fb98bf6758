-- A LEFT JOIN withdraws a row padded with NULLs when its match arrives:
-- order-sensitive over the join columns.
-- expect: path labelled <- clicks: OW[ad,id]
-- expect: path labelled <- labels: OW[ad,id]
-- expect: sink labelled: Run or worse
CREATE TABLE clicks (id BIGINT, campaign TEXT);
CREATE TABLE labels (ad BIGINT, label TEXT);

CREATE VIEW labelled AS
  SELECT c.id, l.label FROM clicks c LEFT JOIN labels l ON c.id = l.ad;

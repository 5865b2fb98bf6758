-- Projection and selection are confluent and keep no state.
-- expect: path big <- clicks: CR
-- expect: sink big: Async
-- expect: note big <- clicks: CR: confluent: only monotone operators read it; writes no state
CREATE TABLE clicks (id BIGINT, campaign TEXT, cost INT);

CREATE VIEW big AS
  SELECT id, campaign FROM clicks WHERE cost > 10 AND campaign LIKE 'x%';

-- A minimal job table: a partial index on runnable rows, as a queue library would have.
-- :rows is the number of pending rows (psql: -v rows=400000).
DROP TABLE IF EXISTS q;
CREATE TABLE q (id bigserial primary key, queue text not null default 'default', priority int not null default 0, status text not null default 'pending', run_at timestamptz not null default now(), args jsonb, locked_by text, locked_until timestamptz, attempt int default 0, created_at timestamptz default now(), updated_at timestamptz default now());
CREATE INDEX q_fetch ON q (queue, priority desc, run_at, id) WHERE status = 'pending';
INSERT INTO q (args) SELECT jsonb_build_object('i', g) FROM generate_series(1, :rows) g;
VACUUM ANALYZE q;

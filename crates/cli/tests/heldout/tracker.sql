-- A project tracker, reviewed as an unseen schema. Every flaw is annotated on its line with the
-- codes that must be reported there; every other line must stay silent.

CREATE TABLE organizations (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE members (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations (id),
    email           text NOT NULL,
    password        text NOT NULL, -- expect: SEC001
    role            text NOT NULL DEFAULT 'member',
    UNIQUE (organization_id, email)
);

ALTER TABLE members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_isolation ON members USING (organization_id = current_setting('app.org_id')::bigint);

CREATE TABLE projects ( -- expect: SEC002
    id              serial PRIMARY KEY, -- expect: KEY007 KEY006
    organization_id bigint NOT NULL REFERENCES organizations (id), -- expect: KEY002
    title           text NOT NULL,
    budget          real, -- expect: TYP003
    starts_on       date,
    label1          text, -- expect: NRM001
    label2          text
);

CREATE TABLE tasks (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  integer NOT NULL REFERENCES projects (id),
    assignee_id bigint REFERENCES members (id),
    title       text NOT NULL,
    due_at      timestamp, -- expect: TYP001
    done        boolean NOT NULL DEFAULT false,
    watcher_ids text -- expect: NRM002
);

CREATE INDEX tasks_project_id_idx ON tasks (project_id);
CREATE INDEX tasks_assignee_id_idx ON tasks (assignee_id);
CREATE INDEX tasks_assignee_id_again ON tasks (assignee_id); -- expect: IDX001
CREATE INDEX tasks_done_idx ON tasks (done); -- expect: IDX003

CREATE TABLE task_comments (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id    bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    author_id  bigint NOT NULL REFERENCES members (id), -- expect: KEY002
    body       text NOT NULL,
    meta       json, -- expect: TYP004
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX task_comments_task_id_created_at_idx ON task_comments (task_id, created_at);

CREATE TABLE time_entries ( -- expect: KEY001
    task_id   bigint NOT NULL REFERENCES tasks (id),
    member_id bigint NOT NULL REFERENCES members (id),
    minutes   integer NOT NULL CHECK (minutes > 0),
    logged_on date NOT NULL
);

CREATE INDEX time_entries_task_id_idx ON time_entries (task_id);
CREATE INDEX time_entries_member_id_logged_on_idx ON time_entries (member_id, logged_on);

CREATE TABLE labels (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id), -- expect: KEY003
    name       text NOT NULL,
    UNIQUE (project_id, name)
);

CREATE FUNCTION archive_project(pid bigint) RETURNS void LANGUAGE sql SECURITY DEFINER -- expect: SEC005
    AS $$ UPDATE projects SET title = title WHERE id = pid $$;

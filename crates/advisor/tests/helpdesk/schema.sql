-- A help desk: organisations, their agents and customers, tickets and the messages on them.
CREATE TABLE organisations (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL,
    plan       text NOT NULL
);

CREATE TABLE people (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations (id),
    email           text NOT NULL,
    full_name       text NOT NULL,
    is_agent        boolean NOT NULL DEFAULT false,
    deleted_at      timestamptz
);

CREATE TABLE tickets (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations (id),
    requester_id    bigint NOT NULL REFERENCES people (id),
    assignee_id     bigint REFERENCES people (id),
    status          text NOT NULL,
    priority        smallint NOT NULL,
    subject         text NOT NULL,
    labels          text[] NOT NULL DEFAULT '{}',
    custom_fields   jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tickets_organisation_id_idx ON tickets (organisation_id);
CREATE INDEX tickets_requester_id_idx ON tickets (requester_id);
CREATE INDEX tickets_assignee_id_idx ON tickets (assignee_id);

CREATE TABLE messages (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  bigint NOT NULL REFERENCES tickets (id),
    author_id  bigint NOT NULL REFERENCES people (id),
    body       text NOT NULL,
    body_tsv   tsvector NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX messages_ticket_id_idx ON messages (ticket_id);
CREATE INDEX messages_author_id_idx ON messages (author_id);
CREATE INDEX messages_ticket_id_created_at_idx ON messages (ticket_id, created_at);

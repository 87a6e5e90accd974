package sqlite

// migrations are applied in order, each once; their number is the index in
// this list plus one. Never edit one that has shipped: append.
var migrations = []string{
	// 1: the index of stored recording files (issue 6).
	`CREATE TABLE files (
		id          TEXT PRIMARY KEY,
		name        TEXT NOT NULL,
		path        TEXT NOT NULL UNIQUE,
		sha256      TEXT NOT NULL,
		size        INTEGER NOT NULL,
		interaction TEXT NOT NULL DEFAULT '',
		recording   TEXT NOT NULL DEFAULT '',
		agent       TEXT NOT NULL DEFAULT '',
		customer    TEXT NOT NULL DEFAULT '',
		queue       TEXT NOT NULL DEFAULT '',
		kind        TEXT NOT NULL DEFAULT '',
		disposition TEXT NOT NULL DEFAULT '',
		partitions  TEXT NOT NULL DEFAULT '[]',
		metadata    TEXT NOT NULL DEFAULT '{}',
		manifest    TEXT NOT NULL DEFAULT '{}',
		encrypted   INTEGER NOT NULL DEFAULT 0,
		created     TEXT NOT NULL
	);
	CREATE INDEX files_sha256 ON files(sha256);
	CREATE INDEX files_interaction ON files(interaction);
	CREATE INDEX files_agent ON files(agent);`,

	// 2: the hub's memory (issue 9): chats and their transcripts, which
	// lines each recording took, contacts, agents, finished recordings,
	// and the chat id counter.
	`CREATE TABLE meta (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);
	CREATE TABLE chats (
		id           TEXT PRIMARY KEY,
		seq          INTEGER NOT NULL,
		resume_hash  TEXT NOT NULL DEFAULT '',
		name         TEXT NOT NULL DEFAULT '',
		contact      TEXT NOT NULL DEFAULT '',
		queue        TEXT NOT NULL DEFAULT '',
		state        TEXT NOT NULL,
		reason       TEXT NOT NULL DEFAULT '',
		agent        TEXT NOT NULL DEFAULT '',
		created      TEXT NOT NULL,
		offered_at   TEXT NOT NULL DEFAULT '',
		offer_expiry TEXT NOT NULL DEFAULT '',
		connected_at TEXT NOT NULL DEFAULT '',
		acw_deadline TEXT NOT NULL DEFAULT '',
		away_until   TEXT NOT NULL DEFAULT '',
		ended_at     TEXT NOT NULL DEFAULT '',
		disposition  TEXT NOT NULL DEFAULT '',
		note         TEXT NOT NULL DEFAULT '',
		case_data    TEXT NOT NULL DEFAULT '{}',
		tried        TEXT NOT NULL DEFAULT '[]',
		consent      TEXT NOT NULL DEFAULT '',
		delete_ask   INTEGER NOT NULL DEFAULT 0,
		deleted      INTEGER NOT NULL DEFAULT 0,
		recorder     TEXT NOT NULL DEFAULT '{}',
		names        TEXT NOT NULL DEFAULT '{}'
	);
	CREATE INDEX chats_live ON chats(seq) WHERE state <> 'done';
	CREATE INDEX chats_contact ON chats(contact, seq) WHERE contact <> '';
	CREATE TABLE lines (
		chat    TEXT NOT NULL,
		id      INTEGER NOT NULL,
		sender  TEXT NOT NULL,
		name    TEXT NOT NULL DEFAULT '',
		text    TEXT NOT NULL,
		url     TEXT NOT NULL DEFAULT '',
		at      TEXT NOT NULL,
		private INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (chat, id)
	) WITHOUT ROWID;
	CREATE TABLE took (
		chat      TEXT NOT NULL,
		recording TEXT NOT NULL,
		line      INTEGER NOT NULL,
		PRIMARY KEY (chat, recording, line)
	) WITHOUT ROWID;
	CREATE TABLE contacts (
		id        TEXT PRIMARY KEY,
		name      TEXT NOT NULL DEFAULT '',
		last_seen TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE agents (
		id    TEXT PRIMARY KEY,
		ready INTEGER NOT NULL DEFAULT 0,
		idle  INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE recordings (
		n           INTEGER PRIMARY KEY,
		id          TEXT NOT NULL,
		interaction TEXT NOT NULL,
		name        TEXT NOT NULL DEFAULT '',
		queue       TEXT NOT NULL DEFAULT '',
		customer    TEXT NOT NULL DEFAULT '',
		agent       TEXT NOT NULL DEFAULT '',
		kind        TEXT NOT NULL,
		state       TEXT NOT NULL,
		delivery    TEXT NOT NULL,
		side        TEXT NOT NULL DEFAULT '',
		dest        TEXT NOT NULL DEFAULT '',
		partitions  TEXT NOT NULL DEFAULT '[]',
		screen      INTEGER NOT NULL DEFAULT 0,
		parts       TEXT NOT NULL DEFAULT '[]',
		log         TEXT NOT NULL DEFAULT '[]',
		produced    INTEGER NOT NULL,
		why         TEXT NOT NULL DEFAULT '',
		finished_at TEXT NOT NULL DEFAULT '',
		UNIQUE (interaction, id)
	);
	CREATE INDEX recordings_name ON recordings(name) WHERE name <> '';
	CREATE INDEX files_recording ON files(recording);`,

	// 3: what the customer was told of the recording (issue 11, X-2), and
	// the tombstones of recordings deleted at the customer's request
	// (R-H6): what, when, who confirmed; never the content.
	`ALTER TABLE chats ADD COLUMN told TEXT NOT NULL DEFAULT '';
	CREATE TABLE tombstones (
		n           INTEGER PRIMARY KEY,
		at          TEXT NOT NULL,
		interaction TEXT NOT NULL,
		recording   TEXT NOT NULL DEFAULT '',
		file        TEXT NOT NULL DEFAULT '',
		sha256      TEXT NOT NULL DEFAULT '',
		size        INTEGER NOT NULL DEFAULT 0,
		by          TEXT NOT NULL DEFAULT '',
		why         TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX tombstones_interaction ON tombstones(interaction);`,

	// 4: searching recordings (issue 12, R-V5): by agent, queue and time
	// finished, and the full text of what each produced recording took
	// (FTS5; case and accents folded). Recordings finished before this
	// migration are indexed by it.
	`CREATE VIRTUAL TABLE recordings_text USING fts5(text, tokenize='unicode61 remove_diacritics 2');
	INSERT INTO recordings_text (rowid, text)
		SELECT r.n, (SELECT group_concat(l.text, char(10)) FROM took t JOIN lines l ON l.chat = t.chat AND l.id = t.line
			WHERE t.chat = r.interaction AND t.recording = r.id)
		FROM recordings r WHERE r.produced;
	CREATE INDEX recordings_agent ON recordings(agent);
	CREATE INDEX recordings_queue ON recordings(queue);
	CREATE INDEX recordings_customer ON recordings(customer);
	CREATE INDEX recordings_finished ON recordings(julianday(finished_at));`,

	// 5: the store for people (issue 12): recordings searched by contact,
	// disposition, partition, duration, screen, voice and metadata tags
	// (R-V5, R-V7) and sorted by any column (each column's index ends in
	// the time finished: a filter or a sort on it reads a page's rows in
	// order, ties in the order they finished); saved searches, bookmarks,
	// the access log (R-V9). Recordings finished before it get their
	// contact and disposition from their chat, their duration from their
	// parts, their voice from their files' manifests. Deleting a
	// recording's row deletes its text, partitions, tags and bookmarks.
	`ALTER TABLE recordings ADD COLUMN contact TEXT NOT NULL DEFAULT '';
	ALTER TABLE recordings ADD COLUMN disposition TEXT NOT NULL DEFAULT '';
	ALTER TABLE recordings ADD COLUMN duration_ms INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE recordings ADD COLUMN finished_ms INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE recordings ADD COLUMN voice INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE recordings ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';
	ALTER TABLE files ADD COLUMN voice INTEGER NOT NULL DEFAULT 0;
	UPDATE files SET voice = EXISTS (SELECT 1 FROM json_each(files.manifest, '$.tracks') t
		WHERE json_extract(t.value, '$.type') = 'audio') WHERE json_valid(manifest);
	UPDATE recordings SET
		contact = COALESCE((SELECT c.contact FROM chats c WHERE c.id = recordings.interaction), ''),
		disposition = COALESCE((SELECT c.disposition FROM chats c WHERE c.id = recordings.interaction), ''),
		finished_ms = COALESCE(CAST(round((julianday(finished_at) - 2440587.5) * 86400000) AS INTEGER), 0),
		duration_ms = COALESCE((SELECT SUM(MAX(0, CAST(round((julianday(json_extract(p.value, '$.end')) -
			julianday(json_extract(p.value, '$.start'))) * 86400000) AS INTEGER))) FROM json_each(recordings.parts) p
			WHERE json_extract(p.value, '$.end') IS NOT NULL), 0),
		voice = EXISTS (SELECT 1 FROM files f WHERE f.recording = recordings.id
			AND (f.interaction = recordings.interaction OR f.interaction = '') AND f.voice);
	CREATE TABLE recording_partitions (
		n         INTEGER NOT NULL,
		partition TEXT NOT NULL,
		PRIMARY KEY (partition, n)
	) WITHOUT ROWID;
	CREATE INDEX recording_partitions_n ON recording_partitions(n, partition);
	INSERT OR IGNORE INTO recording_partitions (n, partition)
		SELECT r.n, p.value FROM recordings r, json_each(r.partitions) p WHERE p.value <> '';
	CREATE TABLE recording_tags (
		n     INTEGER NOT NULL,
		name  TEXT NOT NULL,
		value TEXT NOT NULL,
		PRIMARY KEY (name, value, n)
	) WITHOUT ROWID;
	CREATE INDEX recording_tags_n ON recording_tags(n, name, value);
	DROP INDEX recordings_finished;
	DROP INDEX recordings_agent;
	DROP INDEX recordings_queue;
	DROP INDEX recordings_customer;
	CREATE INDEX recordings_finished_ms ON recordings(finished_ms);
	CREATE INDEX recordings_agent_ms ON recordings(agent, finished_ms);
	CREATE INDEX recordings_queue_ms ON recordings(queue, finished_ms);
	CREATE INDEX recordings_kind_ms ON recordings(kind, finished_ms);
	CREATE INDEX recordings_customer_ms ON recordings(customer, finished_ms);
	CREATE INDEX recordings_contact_ms ON recordings(contact, finished_ms);
	CREATE INDEX recordings_disposition_ms ON recordings(disposition, finished_ms);
	CREATE INDEX recordings_duration_ms ON recordings(duration_ms, finished_ms);
	CREATE INDEX recordings_id ON recordings(id);
	CREATE TABLE saved_searches (
		id      TEXT PRIMARY KEY,
		user    TEXT NOT NULL,
		name    TEXT NOT NULL,
		query   TEXT NOT NULL,
		created TEXT NOT NULL,
		UNIQUE (user, name)
	);
	CREATE TABLE bookmarks (
		id        TEXT PRIMARY KEY,
		recording TEXT NOT NULL,
		user      TEXT NOT NULL,
		at        TEXT NOT NULL,
		offset_ms INTEGER NOT NULL,
		comment   TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX bookmarks_recording ON bookmarks(recording, offset_ms);
	CREATE TABLE accesses (
		n           INTEGER PRIMARY KEY,
		id          TEXT NOT NULL UNIQUE,
		at          TEXT NOT NULL,
		at_ms       INTEGER NOT NULL,
		user        TEXT NOT NULL,
		role        TEXT NOT NULL DEFAULT '',
		from_addr   TEXT NOT NULL DEFAULT '',
		action      TEXT NOT NULL,
		recording   TEXT NOT NULL DEFAULT '',
		interaction TEXT NOT NULL DEFAULT '',
		customer    TEXT NOT NULL DEFAULT '',
		kind        TEXT NOT NULL DEFAULT '',
		reason      TEXT NOT NULL DEFAULT '',
		query       TEXT NOT NULL DEFAULT '',
		outcome     TEXT NOT NULL
	);
	CREATE INDEX accesses_user ON accesses(user, n);
	CREATE INDEX accesses_recording ON accesses(recording, n);
	CREATE INDEX accesses_at ON accesses(at_ms);
	CREATE TRIGGER recordings_gone AFTER DELETE ON recordings BEGIN
		DELETE FROM recordings_text WHERE rowid = old.n;
		DELETE FROM recording_partitions WHERE n = old.n;
		DELETE FROM recording_tags WHERE n = old.n;
		DELETE FROM bookmarks WHERE recording = old.id
			AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.id = old.id);
	END;`,

	// 6: multi-party chats (issue 14): who is in a live chat besides its
	// owner, its pending invitations and consultations (one JSON value the
	// hub writes whole), every agent who handled a recording, and the file
	// a transcript line tells of (R-I6), as JSON.
	`ALTER TABLE chats ADD COLUMN parties TEXT NOT NULL DEFAULT '{}';
	ALTER TABLE recordings ADD COLUMN agents TEXT NOT NULL DEFAULT '[]';
	ALTER TABLE lines ADD COLUMN file TEXT NOT NULL DEFAULT '';`,

	// 7: the audit log (issue 13, R-V9): its leaves (canonical JSON, with
	// the leaf hash computed when each was appended), its Merkle tree's
	// stored hashes (golang.org/x/mod/sumdb/tlog's numbering) and every
	// signed checkpoint. hub/audit appends; nothing updates or deletes.
	`CREATE TABLE audit_leaves (
		n     INTEGER PRIMARY KEY,
		hash  BLOB NOT NULL,
		entry BLOB NOT NULL
	);
	CREATE TABLE audit_hashes (
		i    INTEGER PRIMARY KEY,
		hash BLOB NOT NULL
	);
	CREATE TABLE audit_checkpoints (
		k    INTEGER PRIMARY KEY,
		size INTEGER NOT NULL,
		at   TEXT NOT NULL,
		note BLOB NOT NULL
	);`,

	// 8: retention, legal hold and erasure (issue 13 points 4-6, R-V6):
	// when a stored file was moved to the archive folder, and the legal
	// holds, placed and lifted (never deleted). A recording under a hold
	// of its own cannot lose its row, whoever asks.
	`ALTER TABLE files ADD COLUMN archived TEXT NOT NULL DEFAULT '';
	CREATE TABLE holds (
		n           INTEGER PRIMARY KEY,
		id          TEXT NOT NULL UNIQUE,
		matter      TEXT NOT NULL DEFAULT '',
		recording   TEXT NOT NULL DEFAULT '',
		interaction TEXT NOT NULL DEFAULT '',
		query       TEXT NOT NULL DEFAULT '',
		search      TEXT NOT NULL DEFAULT '',
		placed_by   TEXT NOT NULL,
		placed_at   TEXT NOT NULL,
		reason      TEXT NOT NULL,
		lifted_by   TEXT NOT NULL DEFAULT '',
		lifted_at   TEXT NOT NULL DEFAULT '',
		lift_reason TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX holds_recording ON holds(recording, interaction) WHERE lifted_at = '';
	CREATE TRIGGER recordings_held BEFORE DELETE ON recordings
		WHEN EXISTS (SELECT 1 FROM holds h WHERE h.lifted_at = '' AND h.recording = old.id AND h.interaction = old.interaction)
	BEGIN
		SELECT RAISE(ABORT, 'legal hold: the recording is on hold');
	END;`,
}

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

	// 5: multi-party chats (issue 14): who is in a live chat besides its
	// owner, its pending invitations and consultations (one JSON value the
	// hub writes whole), every agent who handled a recording, and the file
	// a transcript line tells of (R-I6), as JSON.
	`ALTER TABLE chats ADD COLUMN parties TEXT NOT NULL DEFAULT '{}';
	ALTER TABLE recordings ADD COLUMN agents TEXT NOT NULL DEFAULT '[]';
	ALTER TABLE lines ADD COLUMN file TEXT NOT NULL DEFAULT '';`,
}

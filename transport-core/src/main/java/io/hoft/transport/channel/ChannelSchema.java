package io.hoft.transport.channel;

import java.util.List;

/**
 * The channel's tables in the node database. Steps are append-only (see {@code NodeStore#migrate}).
 *
 * <ul>
 *   <li>{@code channel}: one row per peer with both directions' state: my sending epoch and
 *       next sequence number; the peer's sending epoch as last seen, what of it was received
 *       ({@code in_up_to} plus {@code in_ranges} as JSON), the floor and last number it
 *       announced, and when it was last heard.
 *   <li>{@code out_message}: messages accepted for sending, until acknowledged or expired.
 *       Bodies up to 64 KiB are inline, larger ones are body files.
 *   <li>{@code out_file}, {@code out_file_frame}: data files written for a peer and the
 *       messages (or fragments) in each: {@code open} (small messages still join it),
 *       {@code writing}, {@code sent}, then {@code acked} or {@code abandoned}; an {@code open}
 *       or {@code writing} row is rebuilt after a crash, and a {@code sent} one before it is
 *       sent again late in its session's life ({@code keys_expire_ms}).
 *   <li>{@code out_backlog}: per peer totals the send limits are checked against, kept in step
 *       by the same transactions that change them.
 *   <li>{@code in_message}: ids of messages received (delivered or expired), for dedupe until
 *       their expiry plus a grace period.
 *   <li>{@code in_reassembly}, {@code in_fragment}: fragmented messages being put together.
 *   <li>{@code channel_meta}: named values of the node's channels, such as the boot id of the
 *       machine when the node last started.
 * </ul>
 */
final class ChannelSchema {
    static final String MODULE = "channel";

    static final List<String> STEPS = List.of(
            "CREATE TABLE channel ("
                    + " peer TEXT PRIMARY KEY,"
                    + " out_epoch INTEGER NOT NULL,"
                    + " out_next_seq INTEGER NOT NULL,"
                    + " in_epoch INTEGER NOT NULL,"
                    + " in_up_to INTEGER NOT NULL,"
                    + " in_ranges TEXT NOT NULL,"
                    + " in_last_seq INTEGER NOT NULL,"
                    + " last_heard_ms INTEGER NOT NULL);"
            + "CREATE TABLE out_message ("
                    + " peer TEXT NOT NULL,"
                    + " id TEXT NOT NULL,"
                    + " kind TEXT NOT NULL,"
                    + " created_ms INTEGER NOT NULL,"
                    + " expires_ms INTEGER NOT NULL,"
                    + " meta BLOB NOT NULL,"
                    + " body_inline BLOB,"
                    + " body_name TEXT,"
                    + " body_length INTEGER NOT NULL,"
                    + " lane INTEGER NOT NULL,"
                    + " state TEXT NOT NULL,"
                    + " fragment_count INTEGER NOT NULL,"
                    + " fragment_size INTEGER NOT NULL,"
                    + " fragments_written INTEGER NOT NULL,"
                    + " fragments_acked INTEGER NOT NULL,"
                    + " enqueued_ms INTEGER NOT NULL,"
                    + " settled_ms INTEGER,"
                    + " PRIMARY KEY (peer, id));"
            + "CREATE INDEX out_message_queue ON out_message (peer, lane, state, enqueued_ms);"
            + "CREATE TABLE out_file ("
                    + " peer TEXT NOT NULL,"
                    + " epoch INTEGER NOT NULL,"
                    + " seq INTEGER NOT NULL,"
                    + " name TEXT NOT NULL,"
                    + " lane INTEGER NOT NULL,"
                    + " size INTEGER NOT NULL,"
                    + " expires_ms INTEGER NOT NULL,"
                    + " state TEXT NOT NULL,"
                    + " attempts INTEGER NOT NULL,"
                    + " first_sent_ms INTEGER,"
                    + " last_sent_ms INTEGER,"
                    + " next_resend_ms INTEGER,"
                    + " settled_ms INTEGER,"
                    + " PRIMARY KEY (peer, epoch, seq));"
            + "CREATE INDEX out_file_state ON out_file (peer, state, lane);"
            + "CREATE TABLE out_file_frame ("
                    + " peer TEXT NOT NULL,"
                    + " epoch INTEGER NOT NULL,"
                    + " seq INTEGER NOT NULL,"
                    + " message_id TEXT NOT NULL,"
                    + " fragment_index INTEGER NOT NULL,"
                    + " PRIMARY KEY (peer, epoch, seq, message_id));"
            + "CREATE INDEX out_file_frame_message ON out_file_frame (peer, message_id);"
            + "CREATE TABLE out_backlog ("
                    + " peer TEXT PRIMARY KEY,"
                    + " messages INTEGER NOT NULL,"
                    + " bytes INTEGER NOT NULL);"
            + "CREATE TABLE in_message ("
                    + " peer TEXT NOT NULL,"
                    + " id TEXT NOT NULL,"
                    + " kind TEXT NOT NULL,"
                    + " outcome TEXT NOT NULL,"
                    + " received_ms INTEGER NOT NULL,"
                    + " expires_ms INTEGER NOT NULL,"
                    + " PRIMARY KEY (peer, id));"
            + "CREATE INDEX in_message_expiry ON in_message (expires_ms);"
            + "CREATE TABLE in_reassembly ("
                    + " peer TEXT NOT NULL,"
                    + " id TEXT NOT NULL,"
                    + " kind TEXT NOT NULL,"
                    + " created_ms INTEGER NOT NULL,"
                    + " expires_ms INTEGER NOT NULL,"
                    + " meta BLOB NOT NULL,"
                    + " fragment_count INTEGER NOT NULL,"
                    + " total_length INTEGER NOT NULL,"
                    + " body_name TEXT NOT NULL,"
                    + " PRIMARY KEY (peer, id));"
            + "CREATE TABLE in_fragment ("
                    + " peer TEXT NOT NULL,"
                    + " id TEXT NOT NULL,"
                    + " fragment_index INTEGER NOT NULL,"
                    + " PRIMARY KEY (peer, id, fragment_index))",
            // The machine's boot id at the node's last start (see Transport#start).
            "CREATE TABLE channel_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
            // When the session a stored file is keyed by expires (null: keyed without a session).
            "ALTER TABLE out_file ADD COLUMN keys_expire_ms INTEGER",
            // The lanes' own questions (open files, the window, unacknowledged files by number)
            // look only at their lane's files in one state, not at every file of the epoch: settled
            // rows stay an hour, and under load they are most of the table.
            "CREATE INDEX out_file_lane ON out_file (peer, epoch, lane, state, seq)");

    private ChannelSchema() {}
}

package io.hoft.tools.spool;

import io.hoft.tools.spool.SpoolContext.Role;
import io.hoft.transport.spool.SpoolFileName;
import java.util.Locale;

/** Where a spool file stands, as {@code hoft spool ls} shows it. */
enum FileState {
    /** Complete and waiting: in an outbox for the link to carry, or in an inbox for the node to take. */
    PENDING,
    /** In the sender's store or outbox, sent and not yet acknowledged by the peer. */
    UNACKED,
    /** The peer acknowledged it; a copy is still there (the node removes it soon). */
    ACKED,
    /** Its messages expired unacknowledged and the sender gave it up. */
    ABANDONED,
    /** In the inbox, but the node already received it (a duplicate the node drops). */
    RECEIVED,
    /** Set aside by the node because it failed its checks (see the reason). */
    QUARANTINED,
    /** Shorter than it declares and changed within the settle time: may still be arriving. */
    INCOMPLETE,
    /** Shorter than it declares, and not changing any more. */
    TRUNCATED,
    /** Authentic but past its expiry. */
    EXPIRED,
    /** Fails a check (see the reason): spoofed, corrupt, malformed, misnamed, ... */
    INVALID,
    /** Neither from nor to this node: another node's file in a shared folder. */
    FOREIGN,
    /** In the sender's store without a row in the node's database. */
    STRAY;

    String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return wireName();
    }

    /** The state of an inspected file found in {@code role}'s folder, given the node's database. */
    static FileState of(Inspection inspection, Role role, ChannelRows rows) {
        SpoolEntry entry = inspection.entry();
        if (entry.isQuarantined() || role == Role.QUARANTINE) {
            return QUARANTINED;
        }
        String problem = inspection.problem();
        if (problem != null) {
            switch (problem) {
                case "incomplete":
                    return INCOMPLETE;
                case "truncated":
                    return TRUNCATED;
                case "expired":
                    return EXPIRED;
                case "foreign":
                    return FOREIGN;
                default:
                    return INVALID;
            }
        }
        SpoolFileName name = inspection.name();
        boolean control = "ctl".equals(name.kind());
        switch (inspection.perspective()) {
            case SENDER: {
                var row = rows.outFile(name.recipient().value(), name.epoch(), name.seq());
                if (control || row.isEmpty()) {
                    return role == Role.SENT && !control && !rows.isEmpty() ? STRAY : role == Role.SENT ? UNACKED : PENDING;
                }
                switch (row.get().state()) {
                    case "acked":
                        return ACKED;
                    case "abandoned":
                        return ABANDONED;
                    default:
                        return role == Role.SENT ? UNACKED : PENDING;
                }
            }
            case RECIPIENT:
                return !control && rows.received(name.sender().value(), name.epoch(), name.seq()) ? RECEIVED : PENDING;
            default:
                return PENDING;
        }
    }
}

package io.hoft.tools.spool;

import io.hoft.transport.spool.SpoolFileHeader;
import io.hoft.transport.spool.SpoolFileName;
import java.nio.file.Path;
import java.time.Instant;

/**
 * What checking one spool file found.
 *
 * @param entry the file and its parsed name
 * @param perspective whose keys read it (see {@link SpoolContext.Perspective})
 * @param header the header: verified if {@code verified}, else only what the file claims (may be null)
 * @param verified true if the header's signature (or checksum-only digest) verified
 * @param checked how far the check went (see {@link Check})
 * @param problem null if the file passed; else a stable reason ({@code corrupt}, {@code truncated},
 *     {@code foreign}, ... the reasons of SPEC.md section 13.2 plus {@code misnamed}, {@code foreign},
 *     {@code gone} and {@code unreadable})
 * @param detail what exactly failed, or a note on what could not be checked
 */
record Inspection(SpoolEntry entry, SpoolContext.Perspective perspective, SpoolFileHeader header, boolean verified,
        Check checked, String problem, String detail, long size, Instant modified) {

    /** How far a file was checked. */
    enum Check {
        /** Nothing: the file is not this node's to judge, or could not be read. */
        NONE("not checked"),
        /** The header's structure only: no keys to verify its signature. */
        STRUCTURE("header structure only (no keys)"),
        /** The header's structure, the file's length and the payload digest, without keys: accidents only. */
        STRUCTURE_AND_DIGEST("structure, length and payload digest only (no keys)"),
        /** Signature, claims, addressing, expiry and length. */
        HEADER("header: signature, addressing, expiry, length"),
        /** All of HEADER plus the payload digest; the content was not decrypted (no private key for it). */
        HEADER_AND_DIGEST("signature, length and payload digest (content encrypted for the peer)"),
        /**
         * A session file (format version 2 or 4) seen without the recipient's keys: its session
         * ticket (signed by the sender, for the recipient, not expired), addressing, expiry and
         * length; the file's own signature needs the session secret, which only the recipient can unwrap.
         */
        SESSION("session ticket, addressing, expiry, length (the file's own signature needs the recipient's keys)"),
        /** All of SESSION plus the payload digest. */
        SESSION_AND_DIGEST("session ticket, length and payload digest (the file's own signature and content need the"
                + " recipient's keys)"),
        /** Everything: every segment, frame and digest, as the recipient would. */
        CONTENT("everything: signature, every frame and digest");

        final String description;

        Check(String description) {
            this.description = description;
        }

        String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    SpoolFileName name() {
        return entry.name() != null ? entry.name() : header != null ? header.fileName() : null;
    }

    Path path() {
        return entry.path();
    }

    boolean passed() {
        return problem == null;
    }
}

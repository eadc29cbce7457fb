package io.hoft.transport.spool;

import io.hoft.transport.keys.NodeId;
import io.hoft.transport.message.MessageKind;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one name pattern of a published spool file:
 *
 * <pre>
 *   {sender}_{recipient}_{epoch:13+ digits}_{seq:12+ digits}_{kind}[-p{part}of{parts}].hoft
 *   front_back_1763779200000_000000000042_req.hoft
 *   back_front_1763779200000_000000000007_res-p2of5.hoft
 * </pre>
 *
 * {@code kind} is {@code req}, {@code res} or {@code sts} when every data frame is a request,
 * response or status event, {@code mix} for several of those, and {@code ctl} for a file of
 * acks, nacks and heartbeats only; {@code part} counts from 1. Control files are not
 * sequenced: their {@code seq} is the sender's last assigned number (0 before the first),
 * and a newer one may replace an older one of the same name. The name is a hint for people
 * and for skipping files addressed to other nodes: nothing in it is trusted until the signed
 * header agrees ({@link #matches}). Names are canonical (zero-padded exactly so), so each file
 * has exactly one name and anything else in a spool folder is not a spool file.
 */
public record SpoolFileName(NodeId sender, NodeId recipient, long epoch, long seq, String kind, int part, int parts) {
    static final String SUFFIX = ".hoft";

    private static final String NODE = "[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?";
    private static final Pattern PATTERN = Pattern.compile(
            "(" + NODE + ")_(" + NODE + ")_([0-9]{13,19})_([0-9]{12,19})_(req|res|sts|mix|ctl)(?:-p([0-9]{1,10})of([0-9]{1,10}))?\\.hoft");

    public SpoolFileName {
        if (epoch < 0 || seq < 0 || (seq == 0 && !"ctl".equals(kind))) {
            throw new IllegalArgumentException("bad epoch or sequence");
        }
        // Not fragmented (0 of 0), or part 1..parts of at least 2, as FragmentInfo allows.
        if (parts == 0 ? part != 0 : parts < 2 || part < 1 || part > parts) {
            throw new IllegalArgumentException("bad part " + part + " of " + parts);
        }
    }

    /** Parses a name; empty if it is not exactly a canonical spool file name. */
    public static Optional<SpoolFileName> parse(String name) {
        Matcher m = PATTERN.matcher(name);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            SpoolFileName parsed = new SpoolFileName(
                    NodeId.of(m.group(1)),
                    NodeId.of(m.group(2)),
                    Long.parseLong(m.group(3)),
                    Long.parseLong(m.group(4)),
                    m.group(5),
                    m.group(6) == null ? 0 : Integer.parseInt(m.group(6)),
                    m.group(7) == null ? 0 : Integer.parseInt(m.group(7)));
            return parsed.toString().equals(name) ? Optional.of(parsed) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The name a file with this header is published under. */
    public static SpoolFileName of(SpoolFileHeader header) {
        String kind = null;
        int part = 0;
        int parts = 0;
        for (FrameDescriptor frame : header.frames()) {
            if (frame.isFragment()) {
                part = frame.fragment().index() + 1;
                parts = frame.fragment().count();
            }
            if (frame.kind().isControl()) {
                continue;
            }
            String token = dataToken(frame.kind());
            kind = kind == null || kind.equals(token) ? token : "mix";
        }
        return new SpoolFileName(
                header.sender(), header.recipient(), header.epoch(), header.seq(), kind == null ? "ctl" : kind, part, parts);
    }

    private static String dataToken(MessageKind kind) {
        switch (kind) {
            case REQUEST:
                return "req";
            case RESPONSE:
                return "res";
            case STATUS:
                return "sts";
            default:
                throw new IllegalArgumentException("not a data kind: " + kind);
        }
    }

    /** True if the signed header says exactly what this name says. */
    public boolean matches(SpoolFileHeader header) {
        return equals(of(header));
    }

    public boolean isFragment() {
        return parts != 0;
    }

    @Override
    public String toString() {
        StringBuilder name = new StringBuilder(64).append(sender).append('_').append(recipient).append('_');
        padded(name, epoch, 13).append('_');
        padded(name, seq, 12).append('_').append(kind);
        if (parts != 0) {
            name.append("-p").append(part).append("of").append(parts);
        }
        return name.append(SUFFIX).toString();
    }

    /** {@code value} in decimal, left-padded with zeros to {@code width} digits (never cut). */
    private static StringBuilder padded(StringBuilder out, long value, int width) {
        String digits = Long.toString(value);
        for (int i = digits.length(); i < width; i++) {
            out.append('0');
        }
        return out.append(digits);
    }
}

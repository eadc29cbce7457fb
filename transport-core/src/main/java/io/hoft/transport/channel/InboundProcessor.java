package io.hoft.transport.channel;

import io.hoft.transport.fs.OwnerOnly;
import io.hoft.transport.fs.NotRegularFileException;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.link.Link;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.message.MessageKind;
import io.hoft.transport.spool.DecodedFrame;
import io.hoft.transport.spool.FragmentInfo;
import io.hoft.transport.spool.FrameDescriptor;
import io.hoft.transport.spool.SpoolFile;
import io.hoft.transport.spool.SpoolFileException;
import io.hoft.transport.spool.SpoolFileHeader;
import io.hoft.transport.spool.CodecException;
import io.hoft.transport.spool.Digests;
import io.hoft.transport.spool.MetaCodec;
import io.hoft.transport.store.StoreTx;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns incoming spool files into delivered messages, exactly once.
 *
 * <p>For each file: verify the header (a file that fails is quarantined and nothing is said to
 * anyone; one whose header verified but whose body is damaged is nacked; one that may still be
 * arriving is looked at again later); drop it if its sequence number was already received or
 * its epoch is old; decode it, writing large bodies to body files and fragments to their
 * place in the message's body; and only when the whole file verified, in one transaction,
 * record its sequence number, deliver each new message to the listener (skipping ids already
 * delivered), record fragments, and apply the acks, nacks and heartbeats it carries. The
 * inbox copy is removed after that commit, so a crash anywhere before it means the file is
 * processed again and deduped. The commit does not wait for the disk (see the comment in
 * {@link #process}): if power loss takes it back after the inbox copy went, nothing had
 * acknowledged the file, so the sender sends it again.
 */
final class InboundProcessor {
    private static final Logger log = LoggerFactory.getLogger(InboundProcessor.class);

    private final ChannelContext ctx;
    private final Transport transport;
    /** Names not to look at again before a time (files still arriving). */
    private final Map<String, Long> retryAtMs = new ConcurrentHashMap<>();
    /** Names that could not be removed from a read-only inbox, with the size seen. */
    private final Map<String, Long> leftAlone = new ConcurrentHashMap<>();
    private final StrayEntries strays;

    InboundProcessor(ChannelContext ctx, Transport transport) {
        this.ctx = ctx;
        this.transport = transport;
        this.strays = new StrayEntries(ctx.metrics());
    }

    /** True if an offered file should be queued now. */
    boolean wanted(Link.IncomingFile file, long nowMs) {
        if (strays.skip(file)) {
            return false;
        }
        Long retryAt = retryAtMs.get(file.name().toString());
        if (retryAt != null && retryAt > nowMs) {
            return false;
        }
        Long size = leftAlone.get(file.name().toString());
        if (size != null) {
            try {
                if (Files.size(file.path()) == size) {
                    return false;
                }
            } catch (IOException e) {
                leftAlone.remove(file.name().toString());
                return false;
            }
            leftAlone.remove(file.name().toString());
        }
        return true;
    }

    void process(Link.IncomingFile file) {
        long nowMs = ctx.now();
        retryAtMs.remove(file.name().toString());
        SpoolFile spoolFile;
        try {
            spoolFile = ctx.reader().open(file.path(), ctx.config().settle());
        } catch (NoSuchFileException e) {
            return; // taken by someone else, or already processed
        } catch (NotRegularFileException e) {
            strays.report(file, e.kind()); // put in place after it was offered as a regular file
            return;
        } catch (SpoolFileException e) {
            onFailure(file, e, nowMs);
            return;
        } catch (IOException e) {
            log.warn("cannot read {}: {}", file.name(), e.toString());
            retryAtMs.put(file.name().toString(), nowMs + ctx.config().settle().toMillis());
            return;
        }
        List<Path> spilled = new ArrayList<>();
        try (spoolFile) {
            SpoolFileHeader header = spoolFile.header();
            if (!file.name().matches(header)) {
                quarantine(file, "misnamed", "the file name does not match its signed header", nowMs);
                return;
            }
            IncomingChannel in = transport.incoming(header.sender());
            in.heard(nowMs);
            ctx.metrics().increment("hoft_files_received_total", "peer", header.sender().value());
            if (header.isControlOnly()) {
                List<Envelope> controls = new ArrayList<>();
                spoolFile.readFrames(frame -> controls.add(frame.envelope()));
                ctx.store().inTransactionDurableLater(tx -> {
                    applyControls(tx, header, controls, nowMs);
                    return null;
                });
                consume(file);
                return;
            }
            if (in.isStale(header.epoch())) {
                ctx.metrics().increment("hoft_files_stale_total", "peer", header.sender().value());
                consume(file);
                return;
            }
            if (in.hasReceived(header.epoch(), header.seq())) {
                ctx.metrics().increment("hoft_files_duplicate_total", "peer", header.sender().value());
                in.markAckDue(nowMs);
                transport.signalSmallLane(header.sender());
                consume(file);
                return;
            }
            Decoded decoded = decode(spoolFile, header, spilled);
            for (Path body : spilled) {
                ctx.bodies().force(body);
            }
            for (Path fragmentBody : decoded.fragmentBodies) {
                ctx.bodies().force(fragmentBody);
            }
            // Not forced here: the receipt is on disk before any ack of it leaves (acks sync the
            // store first), and before the layer above acts on it outside this node (it forces
            // its own next step, or registers after-commit actions, which force this one).
            boolean fresh = ctx.store().inTransactionDurableLater(tx -> commit(tx, header, decoded, nowMs));
            if (!fresh) {
                ctx.metrics().increment("hoft_files_duplicate_total", "peer", header.sender().value());
                deleteQuietly(spilled);
            }
            transport.signalSmallLane(header.sender());
            consume(file);
        } catch (SpoolFileException e) {
            deleteQuietly(spilled);
            onFailure(file, e, nowMs);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(spilled);
            log.error("processing {} failed; it will be tried again", file.name(), e);
            retryAtMs.put(file.name().toString(), nowMs + ctx.config().settle().toMillis());
        }
    }

    /** What a verified file holds, with bodies already on disk. */
    private static final class Decoded {
        final List<Envelope> controls = new ArrayList<>();
        final List<Whole> wholes = new ArrayList<>();
        final List<Fragment> fragments = new ArrayList<>();
        final List<Path> fragmentBodies = new ArrayList<>();
    }

    private record Whole(FrameDescriptor descriptor, Envelope envelope, byte[] inline, Path file) {}

    private record Fragment(FrameDescriptor descriptor, Envelope envelope, Path body) {}

    private Decoded decode(SpoolFile spoolFile, SpoolFileHeader header, List<Path> spilled) throws IOException {
        Decoded decoded = new Decoded();
        NodeId peer = header.sender();
        spoolFile.readFrames((DecodedFrame frame) -> {
            FrameDescriptor descriptor = frame.descriptor();
            if (descriptor.kind().isControl()) {
                decoded.controls.add(frame.envelope());
                return;
            }
            if (descriptor.bodyLength() > ChannelContext.INLINE_BODY_MAX && alreadyDelivered(peer, descriptor.id())) {
                return; // a body file not worth writing: the reader drains the body (small ones are deduped at delivery)
            }
            if (descriptor.isFragment()) {
                Path body = ctx.bodies().path(fragmentBodyName(peer, descriptor.id()));
                writeAt(body, descriptor.fragment().offset(), frame.body());
                decoded.fragments.add(new Fragment(descriptor, frame.envelope(), body));
                decoded.fragmentBodies.add(body);
            } else if (descriptor.bodyLength() <= ChannelContext.INLINE_BODY_MAX) {
                decoded.wholes.add(new Whole(descriptor, frame.envelope(), frame.body().readAllBytes(), null));
            } else {
                Path body = ctx.bodies().newPath();
                spilled.add(body);
                try (OutputStream out = OwnerOnly.newOutputStream(body)) {
                    frame.body().transferTo(out);
                }
                decoded.wholes.add(new Whole(descriptor, frame.envelope(), null, body));
            }
        });
        return decoded;
    }

    private boolean alreadyDelivered(NodeId peer, MessageId id) {
        return ctx.store().inTransactionDurableLater(tx -> IncomingTables.received(tx, peer.value(), id.value()));
    }

    /** The body file of a fragmented message: fixed per sender and id, so every fragment finds it. */
    static String fragmentBodyName(NodeId peer, MessageId id) {
        byte[] digest = Digests.sha256((peer.value() + "/" + id.value()).getBytes(StandardCharsets.US_ASCII));
        return Digests.hex(digest).substring(0, 32) + ".body";
    }

    private static void writeAt(Path file, long position, InputStream in) throws IOException {
        try (FileChannel channel = OwnerOnly.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            byte[] buffer = new byte[128 * 1024];
            int n;
            while ((n = in.read(buffer)) != -1) {
                ByteBuffer slice = ByteBuffer.wrap(buffer, 0, n);
                while (slice.hasRemaining()) {
                    position += channel.write(slice, position);
                }
            }
        }
    }

    /** Records the file and delivers what it holds; false if it turned out to be a duplicate. */
    private boolean commit(StoreTx tx, SpoolFileHeader header, Decoded decoded, long nowMs) throws Exception {
        NodeId peer = header.sender();
        IncomingChannel in = transport.incoming(peer);
        if (!in.recordReceived(tx, header.epoch(), header.seq(), nowMs)) {
            return false;
        }
        for (Whole whole : decoded.wholes) {
            Body body = whole.inline() != null ? Body.ofBytes(whole.inline()) : Body.ofFile(whole.file());
            String bodyName = whole.file() == null ? null
                    : ctx.bodies().register(tx, whole.file(), "in:" + peer + ":" + whole.descriptor().id(), nowMs);
            deliver(tx, peer, toMessage(whole.descriptor(), whole.envelope(), body), bodyName, nowMs);
        }
        for (Fragment fragment : decoded.fragments) {
            recordFragment(tx, peer, fragment, nowMs);
        }
        applyControls(tx, header, decoded.controls, nowMs);
        return true;
    }

    private static Message toMessage(FrameDescriptor descriptor, Envelope envelope, Body body) {
        return new Message(descriptor.id(), descriptor.created(), descriptor.expires(), envelope, body);
    }

    /** Delivers a message unless its id was seen before or it expired; releases an unclaimed body. */
    private void deliver(StoreTx tx, NodeId peer, Message message, String bodyName, long nowMs) throws Exception {
        String id = message.id().value();
        if (IncomingTables.received(tx, peer.value(), id)) {
            if (bodyName != null) {
                ctx.bodies().release(tx, bodyName);
            }
            ctx.metrics().increment("hoft_messages_duplicate_total", "peer", peer.value());
            return;
        }
        boolean expired = message.expires().toEpochMilli() < nowMs;
        IncomingTables.recordMessage(tx, peer.value(), id, message.kind().wireName(), expired ? "expired" : "delivered", nowMs,
                message.expires().toEpochMilli());
        if (expired) {
            if (bodyName != null) {
                ctx.bodies().release(tx, bodyName);
            }
            ctx.metrics().increment("hoft_messages_expired_total", "peer", peer.value(), "side", "receiver");
            return;
        }
        ReceivedMessage received = new ReceivedMessage(message, bodyName, ctx.bodies());
        ctx.listener().onMessage(tx, peer, received);
        if (bodyName != null && !received.bodyClaimed()) {
            ctx.bodies().release(tx, bodyName);
        }
        ctx.metrics().increment("hoft_messages_delivered_total", "peer", peer.value(), "kind", message.kind().wireName());
    }

    private void recordFragment(StoreTx tx, NodeId peer, Fragment fragment, long nowMs) throws Exception {
        FrameDescriptor descriptor = fragment.descriptor();
        FragmentInfo info = descriptor.fragment();
        String id = descriptor.id().value();
        if (IncomingTables.received(tx, peer.value(), id)) {
            return;
        }
        String bodyName = fragment.body().getFileName().toString();
        Optional<IncomingTables.Reassembly> existing = IncomingTables.reassembly(tx, peer.value(), id);
        if (existing.isEmpty()) {
            IncomingTables.startReassembly(tx, peer.value(), id, descriptor.kind().wireName(), descriptor.created().toEpochMilli(),
                    descriptor.expires().toEpochMilli(), MetaCodec.encode(fragment.envelope()), info.count(),
                    info.totalLength(), bodyName);
            ctx.bodies().register(tx, fragment.body(), "reassembly:" + peer + ":" + id, nowMs);
        } else if (existing.get().fragmentCount() != info.count() || existing.get().totalLength() != info.totalLength()) {
            log.error("fragment {} of {} from {} disagrees with earlier fragments (count or length); ignoring it",
                    info.index(), id, peer);
            ctx.metrics().increment("hoft_fragments_inconsistent_total", "peer", peer.value());
            return;
        }
        IncomingTables.recordFragment(tx, peer.value(), id, info.index());
        long have = IncomingTables.fragmentsIn(tx, peer.value(), id);
        if (have < info.count()) {
            return;
        }
        long size = Files.size(fragment.body());
        if (size != info.totalLength()) {
            throw new IOException("reassembled body of " + id + " has " + size + " bytes, expected " + info.totalLength());
        }
        byte[] meta = IncomingTables.reassemblyMeta(tx, peer.value(), id);
        IncomingTables.endReassembly(tx, peer.value(), id);
        Envelope envelope;
        try {
            envelope = MetaCodec.decode(descriptor.kind(), meta);
        } catch (CodecException e) {
            throw new IOException("stored meta of " + id + " is unreadable: " + e.getMessage(), e);
        }
        ctx.bodies().transfer(tx, bodyName, "in:" + peer + ":" + id);
        deliver(tx, peer, toMessage(descriptor, envelope, Body.ofFile(fragment.body())), bodyName, nowMs);
    }

    private void applyControls(StoreTx tx, SpoolFileHeader header, List<Envelope> controls, long nowMs) {
        NodeId peer = header.sender();
        for (Envelope control : controls) {
            if (control instanceof Envelope.Ack) {
                transport.outgoing(peer).onAck(tx, (Envelope.Ack) control, nowMs);
            } else if (control instanceof Envelope.Nack) {
                transport.outgoing(peer).onNack(tx, (Envelope.Nack) control, nowMs);
            } else if (control instanceof Envelope.Heartbeat) {
                transport.incoming(peer).applyHeartbeat(tx, header.epoch(), (Envelope.Heartbeat) control);
            }
        }
    }

    // ---------------------------------------------------------------- failures

    private void onFailure(Link.IncomingFile file, SpoolFileException e, long nowMs) {
        String name = file.name().toString();
        SpoolFileException.Disposition disposition = e.disposition();
        if (disposition != SpoolFileException.Disposition.DISCARD && mayStillBeArriving(file, nowMs)) {
            retryAtMs.put(name, nowMs + ctx.config().settle().toMillis());
            return;
        }
        switch (disposition) {
            case RETRY_LATER:
                retryAtMs.put(name, nowMs + ctx.config().settle().toMillis());
                return;
            case QUARANTINE:
                quarantine(file, e.reason(), e.getMessage(), nowMs);
                return;
            case NACK: {
                SpoolFileHeader header = e.verifiedHeader().orElseThrow();
                log.warn("{} from {} is damaged ({}: {}); asking for it again", name, header.sender(), e.reason(), e.getMessage());
                ctx.metrics().increment("hoft_files_damaged_total", "peer", header.sender().value(), "reason", e.reason());
                if (!header.isControlOnly()) {
                    transport.incoming(header.sender()).nackNow(header.epoch(), header.seq());
                    transport.signalSmallLane(header.sender());
                }
                consume(file);
                return;
            }
            case DISCARD: {
                SpoolFileHeader header = e.verifiedHeader().orElseThrow();
                ctx.metrics().increment("hoft_files_expired_total", "peer", header.sender().value());
                if (!header.isControlOnly()) {
                    ctx.store().inTransactionDurableLater(tx -> {
                        IncomingChannel in = transport.incoming(header.sender());
                        if (in.recordReceived(tx, header.epoch(), header.seq(), nowMs)) {
                            for (FrameDescriptor frame : header.frames()) {
                                if (!frame.kind().isControl()) {
                                    IncomingTables.recordExpiredIfAbsent(tx, header.sender().value(), frame.id().value(),
                                            frame.kind().wireName(), nowMs, frame.expires().toEpochMilli());
                                }
                            }
                        }
                        return null;
                    });
                }
                consume(file);
                return;
            }
            default:
                throw new IllegalStateException("unknown disposition " + disposition);
        }
    }

    /** A file modified within the settle time may be a copy in progress: never judge it yet. */
    private boolean mayStillBeArriving(Link.IncomingFile file, long nowMs) {
        try {
            Instant modified = Files.getLastModifiedTime(file.path()).toInstant();
            return nowMs - modified.toEpochMilli() < ctx.config().settle().toMillis();
        } catch (IOException e) {
            return false;
        }
    }

    private void quarantine(Link.IncomingFile file, String reason, String detail, long nowMs) {
        String name = file.name().toString();
        log.warn("quarantined {}: {} ({})", name, reason, detail);
        ctx.metrics().increment("hoft_files_quarantined_total", "reason", reason);
        try {
            transport.quarantine().put(file.path(), name, reason, detail, nowMs);
        } catch (NoSuchFileException e) {
            // gone meanwhile
        } catch (IOException e) {
            log.warn("cannot move {} to quarantine ({}); leaving it alone", name, e.toString());
            rememberLeftAlone(file);
        }
    }

    private void consume(Link.IncomingFile file) {
        try {
            file.consume();
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", file.name(), e.toString());
        }
        if (Files.exists(file.path())) {
            rememberLeftAlone(file);
        }
    }

    private void rememberLeftAlone(Link.IncomingFile file) {
        try {
            leftAlone.put(file.name().toString(), Files.size(file.path()));
        } catch (IOException e) {
            // gone
        }
    }

    private void deleteQuietly(List<Path> files) {
        for (Path file : files) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                log.debug("cannot delete {}: {}", file, e.toString());
            }
        }
    }

    static boolean isData(MessageKind kind) {
        return !kind.isControl();
    }
}

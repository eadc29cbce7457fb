package io.hoft.transport.testing;

import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.HeaderField;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.spool.DecodedFrame;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.ModePolicy;
import io.hoft.transport.spool.OutgoingFrame;
import io.hoft.transport.spool.SendingSessions;
import io.hoft.transport.spool.SessionPolicy;
import io.hoft.transport.spool.SpoolFile;
import io.hoft.transport.spool.SpoolFileHeader;
import io.hoft.transport.spool.SpoolFileReader;
import io.hoft.transport.spool.OlderVersions;
import io.hoft.transport.spool.SpoolFileWriter;
import io.hoft.transport.spool.SpoolLimits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Writing and reading spool files between the test nodes in a few lines. */
public final class Codec {
    public static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

    public final MutableClock clock = new MutableClock(NOW);
    public final Keyring sender;
    public final Keyring receiver;
    public final FileMode mode;
    public ModePolicy policy;
    public SpoolLimits limits = SpoolLimits.DEFAULT;
    public SpoolFileWriter.Options options = SpoolFileWriter.Options.DEFAULT;
    /** The sender's sessions (with {@link TestNodes.Keys#SESSION}), shared by every writer of this codec; else null. */
    public final SendingSessions sessions;

    public Codec(FileMode mode, TestNodes.Keys keys) {
        this.mode = mode;
        this.sender = TestNodes.front(keys);
        this.receiver = TestNodes.back(keys);
        this.policy = mode == FileMode.CHECKSUM_ONLY_UNAUTHENTICATED
                ? TestNodes.backPolicyAcceptingChecksumOnly()
                : ModePolicy.SIGNED_ONLY;
        this.sessions = keys == TestNodes.Keys.SESSION ? new SendingSessions(sender, SessionPolicy.DEFAULT) : null;
    }

    /** True: writers write the older format versions 1 and 2, with frame digests (see {@link OlderVersions}). */
    public boolean olderVersions;

    public SpoolFileWriter writer() {
        SpoolFileWriter writer = new SpoolFileWriter(sender, mode, options, clock, Disk.REAL, sessions);
        return olderVersions ? OlderVersions.writer(writer) : writer;
    }

    /** A reader of the receiving node (a new one each time: it remembers no session). */
    public SpoolFileReader reader() {
        return new SpoolFileReader(receiver, policy, limits, clock);
    }

    /** Writes and publishes one file into {@code dir}; returns its path. */
    public Path write(Path dir, long seq, List<OutgoingFrame> frames) throws IOException {
        SpoolFileWriter writer = writer();
        SpoolFileWriter.WrittenFile file = writer.write(new SpoolFileWriter.Address(TestNodes.BACK, 1_700_000_000_000L, seq), frames, dir);
        return writer.publish(file, dir);
    }

    public Path write(Path dir, Message... messages) throws IOException {
        List<OutgoingFrame> frames = new ArrayList<>();
        for (Message message : messages) {
            frames.add(OutgoingFrame.whole(message));
        }
        return write(dir, 1, frames);
    }

    /** A decoded frame with its body read into memory. */
    public record Read(io.hoft.transport.spool.FrameDescriptor descriptor, Envelope envelope, byte[] body) {}

    public record Decoded(SpoolFileHeader header, List<Read> frames) {}

    public Decoded read(Path file) throws IOException {
        try (SpoolFile spoolFile = reader().open(file, Duration.ofSeconds(2))) {
            return readAll(spoolFile);
        }
    }

    public static Decoded readAll(SpoolFile spoolFile) throws IOException {
        List<Read> frames = new ArrayList<>();
        spoolFile.readFrames((DecodedFrame frame) -> {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            frame.body().transferTo(body);
            frames.add(new Read(frame.descriptor(), frame.envelope(), body.toByteArray()));
        });
        return new Decoded(spoolFile.header(), frames);
    }

    public Message request(byte[] body, HeaderField... headers) {
        return new Message(MessageId.generate(clock), NOW, NOW.plus(Duration.ofHours(1)),
                new Envelope.Request("POST", "/api/items?x=1", "api", List.of(headers)), Body.ofBytes(body));
    }

    public Message request(Body body) {
        return new Message(MessageId.generate(clock), NOW, NOW.plus(Duration.ofHours(1)),
                new Envelope.Request("PUT", "/upload", "api", List.of(new HeaderField("Content-Type", "application/octet-stream"))),
                body);
    }

    public static Clock fixed() {
        return Clock.fixed(NOW, java.time.ZoneOffset.UTC);
    }
}

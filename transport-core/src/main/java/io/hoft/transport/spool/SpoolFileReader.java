package io.hoft.transport.spool;

import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEDecrypter;
import io.hoft.transport.fs.RegularFile;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.spool.internal.CanonicalBase64Url;
import io.hoft.transport.spool.internal.HeaderClaimsCodec;
import io.hoft.transport.spool.internal.JoseHeader;
import io.hoft.transport.spool.internal.Preamble;
import io.hoft.transport.spool.internal.SegmentCipher;
import io.hoft.transport.spool.internal.SessionTicket;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * Opens spool files addressed to this node and verifies them before anything in them is
 * used, failing closed with a typed {@link SpoolFileException}.
 *
 * <p>The order of checks (SPEC.md, "Decoding"): preamble (magic, version, reserved bytes,
 * sizes within caps), header digest, JWS structure, signer's key in the trust list, signature,
 * claims, signer is the named sender, mode allowed for that sender, recipient is this node,
 * expiry, declared size against the file's size; then, in {@link SpoolFile#readFrames},
 * segments, frames and the payload digest. Every size is checked against {@link SpoolLimits}
 * before anything of that size is allocated.
 *
 * <p>Files of versions 1 to 4 are read; a version 2 or 4 header is authenticated under its
 * session (SPEC.md section 10.8), whose ticket is verified once and then remembered. Versions 1
 * and 2 carry frame digests, which are checked; versions 3 and 4 do not (SPEC.md section 7.4).
 *
 * <p>Thread-safe: the only state kept between calls is the remembered session tickets.
 */
public final class SpoolFileReader {
    private static final int BUFFER = 256 * 1024;

    private final Keyring keyring;
    private final ModePolicy policy;
    private final SpoolLimits limits;
    private final Clock clock;
    private final ReceivedSessions sessions;

    public SpoolFileReader(Keyring keyring, ModePolicy policy, SpoolLimits limits, Clock clock) {
        this.keyring = Objects.requireNonNull(keyring, "keyring");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.sessions = new ReceivedSessions(keyring);
    }

    /**
     * Opens a file on disk. A file shorter than it declares is {@link IncompleteFileException}
     * if it was modified within {@code settle} (a mirror may still be copying it in) and
     * {@link TruncatedFileException} otherwise. Only a regular file is read, never through a
     * symbolic link: anything else is {@link io.hoft.transport.fs.NotRegularFileException}.
     */
    public SpoolFile open(Path file, Duration settle) throws IOException {
        return open(file, settle, true, true);
    }

    /**
     * Opens a file on disk; {@code unwrapKey} false skips the content key (the header is all the
     * caller wants), {@code asRecipient} false the parts of a version 2 session only the recipient
     * can check (see {@link #verifyHeaderAsSender}).
     */
    private SpoolFile open(Path file, Duration settle, boolean unwrapKey, boolean asRecipient) throws IOException {
        // Not followed: an inbox entry is a regular file or nothing hoft reads (RegularFile).
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        long size = attributes.size();
        Instant modified = attributes.lastModifiedTime().toInstant();
        boolean young = Duration.between(modified, Instant.ofEpochMilli(clock.millis())).compareTo(settle) < 0;
        if (size > limits.maxFileBytes()) {
            throw new TooLargeException("file of " + size + " bytes is over the cap of " + limits.maxFileBytes());
        }
        InputStream in = new BufferedInputStream(Channels.newInputStream(RegularFile.openForReading(file)), BUFFER);
        boolean opened = false;
        try {
            Shortness shortness = (what, header) -> young
                    ? new IncompleteFileException(what + " (the file may still be arriving)", header)
                    : new TruncatedFileException(what, header);
            HeaderAndOffset parsed = readHeader(in, shortness, true, asRecipient);
            long declared = parsed.payloadOffset + parsed.header.payloadLength();
            if (size < declared) {
                throw shortness.exception("file has " + size + " of its " + declared + " bytes", parsed.header);
            }
            if (size > declared) {
                throw new MalformedFileException((size - declared) + " bytes follow the declared end of the file", parsed.header);
            }
            SpoolFile spoolFile = new SpoolFile(parsed.header, in, unwrapKey ? payloadKey(parsed) : null, false, limits);
            opened = true;
            return spoolFile;
        } finally {
            if (!opened) {
                in.close();
            }
        }
    }

    /**
     * Opens a file arriving as a stream (fed in any slice sizes). A stream that ends early is
     * {@link TruncatedFileException}: only the caller can know whether more may come.
     */
    public SpoolFile open(InputStream in) throws IOException {
        HeaderAndOffset parsed = readHeader(in, (what, header) -> new TruncatedFileException(what, header), true, true);
        long declared = parsed.payloadOffset + parsed.header.payloadLength();
        if (declared > limits.maxFileBytes()) {
            throw new TooLargeException("file of " + declared + " bytes is over the cap of " + limits.maxFileBytes());
        }
        return new SpoolFile(parsed.header, in, payloadKey(parsed), true, limits);
    }

    /**
     * Verifies only the header of a file and its length against it (steps 0 to 18 of SPEC.md
     * section 13.1): what {@code hoft spool ls} and {@code verify} need. The content key is not
     * unwrapped, so a holder of the sender's public keys can check a version 1 file encrypted
     * for someone else; whether the payload decrypts and decodes is not checked. A version 2
     * header is checked in full, which only its recipient can do (see
     * {@link #verifyHeaderAsSender}).
     */
    public SpoolFileHeader verifyHeader(Path file, Duration settle) throws IOException {
        try (SpoolFile spoolFile = open(file, settle, false, true)) {
            return spoolFile.header();
        }
    }

    /**
     * Like {@link #verifyHeader}, for a reader that holds the sender's public keys but is not
     * the recipient (a node checking what it sent): of a version 2 file it verifies the session
     * ticket (SPEC.md section 10.8 steps 12a to 12g and 12i: signed by the sender, for the
     * recipient the file names, not expired, the session the header names), but not the
     * header's own HS256 signature (steps 12h and 12j), which needs the session secret that only
     * the recipient can unwrap. A version 1 file is verified as by {@link #verifyHeader}.
     */
    public SpoolFileHeader verifyHeaderAsSender(Path file, Duration settle) throws IOException {
        try (SpoolFile spoolFile = open(file, settle, false, false)) {
            return spoolFile.header();
        }
    }

    /**
     * What a file's header claims, read WITHOUT verifying its signature, mode, addressing or
     * expiry, and the offset of its payload. The preamble, the header digest and the structure
     * of the claims are checked as usual. Nothing in it is authenticated: anyone who can write
     * to a folder can make a file claim anything. For tools that show a file when no keys are
     * at hand; never act on it.
     */
    public record UnverifiedHeader(SpoolFileHeader claims, long payloadOffset) {
        /** The size the file must have: payload offset plus payload length. */
        public long declaredSize() {
            return payloadOffset + claims.payloadLength();
        }
    }

    /** Reads a file's header without verifying it; see {@link UnverifiedHeader}. */
    public UnverifiedHeader readUnverifiedHeader(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Channels.newInputStream(RegularFile.openForReading(file)), BUFFER)) {
            HeaderAndOffset parsed = readHeader(in, (what, header) -> new TruncatedFileException(what, header), false, false);
            return new UnverifiedHeader(parsed.header, parsed.payloadOffset);
        }
    }

    @FunctionalInterface
    private interface Shortness {
        SpoolFileException exception(String what, SpoolFileHeader header);
    }

    /** A header as read, with the session that authenticated it (null for version 1 and unverified headers). */
    private record HeaderAndOffset(SpoolFileHeader header, long payloadOffset, SessionTicket.Session session) {}

    private HeaderAndOffset readHeader(InputStream in, Shortness shortness, boolean verify, boolean asRecipient)
            throws IOException {
        byte[] preambleBytes = in.readNBytes(Preamble.LENGTH);
        if (preambleBytes.length < Preamble.LENGTH) {
            throw shortness.exception(preambleBytes.length == 0 ? "file is empty" : "file ends inside the 48-byte preamble", null);
        }
        Preamble.Fields preamble = Preamble.decode(preambleBytes);
        if (!preamble.hasMagic()) {
            throw new MalformedFileException("not a hoft spool file: bad magic");
        }
        if (!Preamble.isKnownVersion(preamble.version())) {
            throw new UnsupportedVersionException("format version " + preamble.version() + " is not supported (this reader"
                    + " knows " + Preamble.VERSION + " to " + Preamble.VERSION_SESSION_NO_FRAME_DIGESTS + ")");
        }
        if (!preamble.reservedIsZero()) {
            throw new MalformedFileException("reserved preamble bytes are not zero");
        }
        long headerLength = preamble.headerLength();
        if (headerLength == 0) {
            throw new MalformedFileException("header length is zero");
        }
        if (headerLength > limits.maxHeaderBytes()) {
            throw new TooLargeException("header of " + headerLength + " bytes is over the cap of " + limits.maxHeaderBytes());
        }
        long padding = preamble.payloadOffset() - Preamble.LENGTH - headerLength;
        if (padding < 0 || padding > Preamble.MAX_PADDING) {
            throw new MalformedFileException("payload offset " + preamble.payloadOffset()
                    + " does not fit header length " + headerLength + " (padding must be 0 to " + Preamble.MAX_PADDING + ")");
        }
        byte[] headerBytes = in.readNBytes((int) headerLength);
        if (headerBytes.length < headerLength) {
            throw shortness.exception("file ends inside the header", null);
        }
        if (!Arrays.equals(Digests.sha256(headerBytes), preamble.headerSha256())) {
            throw new CorruptFileException("header does not match the digest in the preamble", null, null);
        }
        byte[] paddingBytes = in.readNBytes((int) padding);
        if (paddingBytes.length < padding) {
            throw shortness.exception("file ends inside the header padding", null);
        }
        for (byte b : paddingBytes) {
            if (b != 0) {
                throw new MalformedFileException("header padding is not zero");
            }
        }
        if (!verify) {
            return new HeaderAndOffset(decodeUnverified(headerBytes, preamble.version()), preamble.payloadOffset(), null);
        }
        return verify(headerBytes, preamble.version(), preamble.payloadOffset(), asRecipient);
    }

    private HeaderAndOffset verify(byte[] headerBytes, int version, long payloadOffset, boolean asRecipient)
            throws SpoolFileException {
        Instant now = Instant.ofEpochMilli(clock.millis());
        JoseHeader.Parsed jose = parseJose(headerBytes, version);

        NodeId signer = null;
        SessionTicket.Session session = null;
        if (Preamble.isSessionKeyed(version)) {
            if (jose.isUnsecured() || !"HS256".equals(jose.algorithm())) {
                throw new SpoofedFileException("a version " + version + " header must be signed HS256 under its session, not "
                        + StrictJson.printable(jose.algorithm()));
            }
            if (jose.kid() == null) {
                throw new SpoofedFileException("header is signed without a kid");
            }
            if (asRecipient) {
                session = sessions.verify(jose.sessionTicket(), jose.kid(), now);
                if (!jose.verify(session.secret().verifier())) {
                    throw new SpoofedFileException("signature does not verify with the keys of session " + session.id());
                }
                signer = session.claims().sender();
            } else {
                signer = sessions.verifyTicketOnly(jose.sessionTicket(), jose.kid(), now).sender();
            }
        } else if (!jose.isUnsecured()) {
            if (!"ES256".equals(jose.algorithm()) && !"HS256".equals(jose.algorithm())) {
                throw new SpoofedFileException("signature algorithm " + jose.algorithm() + " is not accepted");
            }
            if (jose.kid() == null) {
                throw new SpoofedFileException("header is signed without a kid");
            }
            Optional<Keyring.Verifying> verifying = keyring.verifierFor(jose.kid(), now);
            if (verifying.isEmpty()) {
                throw new SpoofedFileException("signed with kid " + StrictJson.printable(jose.kid()) + ", which is not a valid trusted key");
            }
            if (!verifying.get().algorithm().getName().equals(jose.algorithm())) {
                throw new SpoofedFileException("kid " + jose.kid() + " is a " + verifying.get().algorithm() + " key, not " + jose.algorithm());
            }
            if (!jose.verify(verifying.get().verifier())) {
                throw new SpoofedFileException("signature does not verify with key " + jose.kid());
            }
            signer = verifying.get().owner();
        }

        SpoolFileHeader header = decodeClaims(jose);
        if (header.version() != version) {
            throw new MalformedFileException("claims.hoft " + header.version() + " differs from the preamble's version");
        }
        if (jose.isUnsecured()) {
            if (header.mode() != FileMode.CHECKSUM_ONLY_UNAUTHENTICATED) {
                throw new SpoofedFileException("header is unsigned but claims mode " + header.mode());
            }
            if (!policy.accepts(header.sender(), header.mode())) {
                throw new SpoofedFileException("unsigned file claiming to be from " + header.sender()
                        + ", which is not allowed to send " + header.mode() + " files");
            }
        } else {
            if (!signer.equals(header.sender())) {
                throw new SpoofedFileException("signed by a key of " + signer + " but claims to be from " + header.sender());
            }
            if (header.mode() == FileMode.CHECKSUM_ONLY_UNAUTHENTICATED) {
                throw new MalformedFileException("signed header claims mode " + header.mode());
            }
            if (!policy.accepts(header.sender(), header.mode())) {
                throw new SpoofedFileException(header.mode() + " files from " + header.sender() + " are not accepted");
            }
        }

        // The header is authentic from here on: failures carry it.
        if (!header.recipient().equals(keyring.node())) {
            throw new MisaddressedFileException("addressed to " + header.recipient() + ", not to " + keyring.node(), header);
        }
        if (now.isAfter(header.expires())) {
            throw new ExpiredFileException("expired at " + header.expires(), header);
        }
        return new HeaderAndOffset(header, payloadOffset, session);
    }

    /** The structural checks of {@link #verify} without the signature, policy, addressing and expiry. */
    private SpoolFileHeader decodeUnverified(byte[] headerBytes, int version) throws SpoolFileException {
        return decodeClaims(parseJose(headerBytes, version));
    }

    /** Parses the compact JWS; the {@code hoft-session} member is required in version 2 and refused in version 1. */
    private static JoseHeader.Parsed parseJose(byte[] headerBytes, int version) throws SpoolFileException {
        for (byte b : headerBytes) {
            if (!JoseHeader.isCompactChar(b)) {
                throw new MalformedFileException("header has a byte that cannot be in a compact JWS");
            }
        }
        JoseHeader.Parsed jose;
        try {
            String compact = new String(headerBytes, StandardCharsets.US_ASCII);
            jose = JoseHeader.parse(compact);
            CanonicalBase64Url.check(compact, "header");
        } catch (CodecException e) {
            throw new MalformedFileException(e.getMessage());
        }
        if (Preamble.isSessionKeyed(version) && jose.sessionTicket() == null) {
            throw new MalformedFileException("a version " + version + " header has no " + JoseHeader.SESSION_PARAM + " member");
        }
        if (!Preamble.isSessionKeyed(version) && jose.sessionTicket() != null) {
            throw new MalformedFileException("JWS header has unexpected parameter \"" + JoseHeader.SESSION_PARAM
                    + "\" (versions 2 and 4 only)");
        }
        return jose;
    }

    private SpoolFileHeader decodeClaims(JoseHeader.Parsed jose) throws SpoolFileException {
        try {
            return HeaderClaimsCodec.decode(jose.claims(), jose.algorithm(), jose.kid(), limits);
        } catch (CodecException e) {
            if (e.isLimit()) {
                throw new TooLargeException(e.getMessage());
            }
            throw new MalformedFileException(e.getMessage());
        }
    }

    private byte[] payloadKey(HeaderAndOffset parsed) throws SpoolFileException {
        SpoolFileHeader header = parsed.header;
        if (!header.mode().isEncrypted()) {
            return null;
        }
        JoseHeader.WrappedKey wrapped;
        try {
            wrapped = JoseHeader.parseContentKey(header.contentKey());
            CanonicalBase64Url.check(header.contentKey(), "claims.encryption.key");
        } catch (CodecException e) {
            throw new MalformedFileException(e.getMessage(), header);
        }
        Instant now = Instant.ofEpochMilli(clock.millis());
        Optional<JWEDecrypter> decrypter;
        if (parsed.session != null) {
            if (!JWEAlgorithm.A256KW.equals(wrapped.algorithm()) || !parsed.session.id().equals(wrapped.kid())) {
                throw new MalformedFileException("the content key of a version 2 file must be wrapped with A256KW under its"
                        + " session " + parsed.session.id(), header);
            }
            decrypter = Optional.of(parsed.session.secret().unwrapper());
        } else {
            decrypter = keyring.unwrapperFor(wrapped.kid(), wrapped.algorithm(), header.sender(), now);
        }
        if (decrypter.isEmpty()) {
            throw new MalformedFileException("content key is wrapped for kid " + StrictJson.printable(wrapped.kid())
                    + ", which this node does not hold (or no longer holds)", header);
        }
        byte[] key = JoseHeader.unwrap(wrapped, decrypter.get());
        if (key == null) {
            throw new CorruptFileException("content key does not decrypt", header, null);
        }
        if (key.length != SegmentCipher.KEY_LENGTH) {
            throw new MalformedFileException("content key is " + key.length + " bytes, not 32", header);
        }
        return key;
    }
}

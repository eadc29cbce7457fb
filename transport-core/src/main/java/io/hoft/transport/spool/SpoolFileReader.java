package io.hoft.transport.spool;

import com.nimbusds.jose.JWEDecrypter;
import io.hoft.transport.fs.RegularFile;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.spool.internal.CanonicalBase64Url;
import io.hoft.transport.spool.internal.CodecException;
import io.hoft.transport.spool.internal.Digests;
import io.hoft.transport.spool.internal.HeaderClaimsCodec;
import io.hoft.transport.spool.internal.JoseHeader;
import io.hoft.transport.spool.internal.Preamble;
import io.hoft.transport.spool.internal.SegmentCipher;
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
 * <p>Thread-safe: holds no state between calls.
 */
public final class SpoolFileReader {
    private static final int BUFFER = 256 * 1024;

    private final Keyring keyring;
    private final ModePolicy policy;
    private final SpoolLimits limits;
    private final Clock clock;

    public SpoolFileReader(Keyring keyring, ModePolicy policy, SpoolLimits limits, Clock clock) {
        this.keyring = Objects.requireNonNull(keyring, "keyring");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Opens a file on disk. A file shorter than it declares is {@link IncompleteFileException}
     * if it was modified within {@code settle} (a mirror may still be copying it in) and
     * {@link TruncatedFileException} otherwise. Only a regular file is read, never through a
     * symbolic link: anything else is {@link io.hoft.transport.fs.NotRegularFileException}.
     */
    public SpoolFile open(Path file, Duration settle) throws IOException {
        return open(file, settle, true);
    }

    /** Opens a file on disk; {@code unwrapKey} false skips the content key (the header is all the caller wants). */
    private SpoolFile open(Path file, Duration settle, boolean unwrapKey) throws IOException {
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
            HeaderAndOffset parsed = readHeader(in, shortness, true);
            long declared = parsed.payloadOffset + parsed.header.payloadLength();
            if (size < declared) {
                throw shortness.exception("file has " + size + " of its " + declared + " bytes", parsed.header);
            }
            if (size > declared) {
                throw new MalformedFileException((size - declared) + " bytes follow the declared end of the file", parsed.header);
            }
            SpoolFile spoolFile = new SpoolFile(parsed.header, in, unwrapKey ? payloadKey(parsed.header) : null, false, limits);
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
        HeaderAndOffset parsed = readHeader(in, (what, header) -> new TruncatedFileException(what, header), true);
        long declared = parsed.payloadOffset + parsed.header.payloadLength();
        if (declared > limits.maxFileBytes()) {
            throw new TooLargeException("file of " + declared + " bytes is over the cap of " + limits.maxFileBytes());
        }
        return new SpoolFile(parsed.header, in, payloadKey(parsed.header), true, limits);
    }

    /**
     * Verifies only the header of a file and its length against it (steps 0 to 18 of SPEC.md
     * section 13.1): what {@code hoft spool ls} and {@code verify} need. The content key is not
     * unwrapped, so a holder of the sender's public keys can check a file encrypted for
     * someone else; whether the payload decrypts and decodes is not checked.
     */
    public SpoolFileHeader verifyHeader(Path file, Duration settle) throws IOException {
        try (SpoolFile spoolFile = open(file, settle, false)) {
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
            HeaderAndOffset parsed = readHeader(in, (what, header) -> new TruncatedFileException(what, header), false);
            return new UnverifiedHeader(parsed.header, parsed.payloadOffset);
        }
    }

    @FunctionalInterface
    private interface Shortness {
        SpoolFileException exception(String what, SpoolFileHeader header);
    }

    private record HeaderAndOffset(SpoolFileHeader header, long payloadOffset) {}

    private HeaderAndOffset readHeader(InputStream in, Shortness shortness, boolean verify) throws IOException {
        byte[] preambleBytes = in.readNBytes(Preamble.LENGTH);
        if (preambleBytes.length < Preamble.LENGTH) {
            throw shortness.exception(preambleBytes.length == 0 ? "file is empty" : "file ends inside the 48-byte preamble", null);
        }
        Preamble.Fields preamble = Preamble.decode(preambleBytes);
        if (!preamble.hasMagic()) {
            throw new MalformedFileException("not a hoft spool file: bad magic");
        }
        if (preamble.version() != Preamble.VERSION) {
            throw new UnsupportedVersionException(
                    "format version " + preamble.version() + " is not supported (this reader knows " + Preamble.VERSION + ")");
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
        SpoolFileHeader header = verify ? verify(headerBytes) : decodeUnverified(headerBytes);
        return new HeaderAndOffset(header, preamble.payloadOffset());
    }

    private SpoolFileHeader verify(byte[] headerBytes) throws SpoolFileException {
        Instant now = Instant.ofEpochMilli(clock.millis());
        JoseHeader.Parsed jose = parseJose(headerBytes);

        NodeId signer = null;
        if (!jose.isUnsecured()) {
            if (!"ES256".equals(jose.algorithm()) && !"HS256".equals(jose.algorithm())) {
                throw new SpoofedFileException("signature algorithm " + jose.algorithm() + " is not accepted");
            }
            if (jose.kid() == null) {
                throw new SpoofedFileException("header is signed without a kid");
            }
            Optional<Keyring.Verifying> verifying = keyring.verifierFor(jose.kid(), now);
            if (verifying.isEmpty()) {
                throw new SpoofedFileException("signed with kid " + printable(jose.kid()) + ", which is not a valid trusted key");
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
        if (header.version() != Preamble.VERSION) {
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
        return header;
    }

    /** The structural checks of {@link #verify} without the signature, policy, addressing and expiry. */
    private SpoolFileHeader decodeUnverified(byte[] headerBytes) throws SpoolFileException {
        return decodeClaims(parseJose(headerBytes));
    }

    private static JoseHeader.Parsed parseJose(byte[] headerBytes) throws SpoolFileException {
        for (byte b : headerBytes) {
            if (!JoseHeader.isCompactChar(b)) {
                throw new MalformedFileException("header has a byte that cannot be in a compact JWS");
            }
        }
        try {
            String compact = new String(headerBytes, StandardCharsets.US_ASCII);
            JoseHeader.Parsed parsed = JoseHeader.parse(compact);
            CanonicalBase64Url.check(compact, "header");
            return parsed;
        } catch (CodecException e) {
            throw new MalformedFileException(e.getMessage());
        }
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

    private byte[] payloadKey(SpoolFileHeader header) throws SpoolFileException {
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
        Optional<JWEDecrypter> decrypter = keyring.unwrapperFor(wrapped.kid(), wrapped.algorithm(), header.sender(), now);
        if (decrypter.isEmpty()) {
            throw new MalformedFileException("content key is wrapped for kid " + printable(wrapped.kid())
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

    private static String printable(String s) {
        return io.hoft.transport.spool.internal.StrictJson.printable(s);
    }
}

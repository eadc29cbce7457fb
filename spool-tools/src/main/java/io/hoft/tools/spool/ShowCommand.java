package io.hoft.tools.spool;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.tools.Human;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import io.hoft.tools.spool.Inspection.Check;
import io.hoft.tools.spool.SpoolContext.Perspective;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.spool.DecodedFrame;
import io.hoft.transport.spool.FrameDescriptor;
import io.hoft.transport.spool.SpoolFileHeader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hoft spool show}: one spool file, header and (with the keys) its messages. */
@Command(name = "show",
        mixinStandardHelpOptions = true,
        description = {
            "Show one spool file: its header in readable form (every claim, the signer's key, the mode, every frame)"
                + " and, when the node's keys open it, its messages: request line or status line, header fields byte"
                + " for byte (anything but printable ASCII as \\xNN), and a preview of each body (text if it is"
                + " printable UTF-8, else a hex dump) with its content type.",
            "Messages are shown only once the whole file verified. Without keys the header is shown as the file"
                + " claims it, marked UNVERIFIED. A file that fails its checks is shown as far as it verified, with the"
                + " exact reason."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the file verified (as far as the keys allow)", "1:the file fails a check",
            "2:usage or environment error (no such file, keys that cannot open the content for --body-out)"},
        footer = {"", "Examples:",
            "  hoft spool show --config back.yaml link/back-in/FILE.hoft",
            "  hoft spool show --config back.yaml FILE.hoft --frame 1 --body-out body.bin",
            "  hoft spool show FILE.hoft      (no keys: the header as it claims to be)"})
final class ShowCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the spool file")
    Path file;

    @Mixin
    NodeOptions node;

    @Option(names = "--body-out", paramLabel = "FILE",
            description = "write the whole body of one frame (of a fragment: its slice) to FILE, once the file verified")
    Path bodyOut;

    @Option(names = "--frame", paramLabel = "N", description = "the frame for --body-out, counting from 0 (default: the only frame with a body)")
    Integer frame;

    @Option(names = "--preview", paramLabel = "BYTES", defaultValue = "512", description = "body bytes to preview (default: ${DEFAULT-VALUE})")
    int previewBytes;

    @Option(names = "--json", description = "print the file as JSON")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new Main.UsageException(file + " is not a file");
        }
        if (previewBytes < 0) {
            throw new Main.UsageException("--preview must be 0 or more bytes");
        }
        SpoolContext context = node.load();
        Inspector inspector = new Inspector(context);
        SpoolEntry entry = SpoolEntry.of(file);

        Inspection first = inspector.header(entry);
        Integer bodyFrame = bodyOut == null || !first.passed() ? null : bodyFrame(first.header());
        Path partial = bodyOut == null ? null : bodyOut.resolveSibling("." + bodyOut.getFileName() + ".part");
        List<MessageView> messages = new ArrayList<>();
        Inspection inspection = first;
        try {
            if (first.passed()) {
                inspection = inspector.full(entry, decoded -> messages.add(capture(decoded, messages.size(), bodyFrame, partial)));
            }
            boolean content = inspection.passed() && inspection.checked() == Check.CONTENT;
            String bodyWritten = null;
            if (bodyOut != null && content) {
                moveIntoPlace(partial, bodyOut);
                bodyWritten = bodyOut.toString();
            }
            print(context, inspection, content ? messages : null, bodyWritten);
            if (!inspection.passed()) {
                return Main.FOUND_WRONG;
            }
            if (bodyOut != null && !content) {
                throw new Main.UsageException("--body-out: the content is encrypted for " + inspection.header().recipient()
                        + " and these keys cannot decrypt it (give " + inspection.header().recipient() + "'s --config or --keys)");
            }
            return Main.OK;
        } finally {
            if (partial != null) {
                Files.deleteIfExists(partial);
            }
        }
    }

    /** Which frame --body-out writes: --frame, or the only one with a body. */
    private int bodyFrame(SpoolFileHeader header) {
        if (header == null) {
            throw new Main.UsageException("--body-out: the header of " + file + " cannot be read");
        }
        List<FrameDescriptor> frames = header.frames();
        if (frame != null) {
            if (frame < 0 || frame >= frames.size()) {
                throw new Main.UsageException("--frame " + frame + ": the file has frames 0 to " + (frames.size() - 1));
            }
            return frame;
        }
        List<Integer> withBody = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            if (frames.get(i).bodyLength() > 0) {
                withBody.add(i);
            }
        }
        if (withBody.size() != 1) {
            throw new Main.UsageException("--body-out: the file has " + withBody.size() + " frames with a body"
                    + (withBody.isEmpty() ? "" : " (" + withBody + ")") + "; name one with --frame N");
        }
        return withBody.get(0);
    }

    /** Keeps the preview of a frame, and streams the chosen frame's body to the partial file. */
    private MessageView capture(DecodedFrame decoded, int index, Integer bodyFrame, Path partial) throws IOException {
        InputStream body = decoded.body();
        byte[] preview;
        if (bodyFrame != null && bodyFrame == index) {
            try (OutputStream out = Files.newOutputStream(partial)) {
                preview = body.readNBytes(previewBytes);
                out.write(preview);
                body.transferTo(out);
            }
        } else {
            preview = body.readNBytes(previewBytes); // the reader drains (and checks) the rest
        }
        return new MessageView(index, decoded.descriptor(), decoded.envelope(), preview);
    }

    private static void moveIntoPlace(Path partial, Path target) throws IOException {
        try {
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void print(SpoolContext context, Inspection inspection, List<MessageView> messages, String bodyWritten) {
        if (json) {
            printJson(context, inspection, messages, bodyWritten);
            return;
        }
        PrintWriter out = spec.commandLine().getOut();
        Instant now = context.now();
        out.println("file      " + file + " (" + inspection.size() + " bytes, modified "
                + (inspection.modified() == null ? "?" : Human.relative(inspection.modified(), now)) + ")");
        if (inspection.entry().isQuarantined()) {
            out.println("          quarantined " + Human.relative(inspection.entry().quarantinedAt(), now) + ": "
                    + Optional.ofNullable(inspection.entry().quarantineReason()).orElse("(no reason recorded)"));
        }
        SpoolFileHeader h = inspection.header();
        if (h != null) {
            if (inspection.verified()) {
                out.println("header    verified: " + signer(context, h));
            } else {
                out.println("header    UNVERIFIED: " + (context.hasKeys() ? "it did not verify" : "no keys to check it")
                        + "; everything below is only what the file claims");
                out.println("          signed " + (h.signingKid() == null ? "with alg " + h.signingAlgorithm()
                        : h.signingAlgorithm() + " with kid " + h.signingKid()));
            }
            out.println("mode      " + h.mode() + (h.mode().isEncrypted() ? " (A256GCM-STREAM, " + Human.size(h.segmentSize())
                    + " segments" + ContentKey.describe(h.contentKey()).map(k -> ", content key " + k.alg() + " for kid " + k.kid())
                    .orElse("") + ")" : ""));
            out.println("from      " + h.sender());
            out.println("to        " + h.recipient());
            out.println("channel   epoch " + h.epoch() + " (" + Human.instant(Instant.ofEpochMilli(h.epoch())) + "), seq " + h.seq()
                    + (h.isControlOnly() ? " (a control file: not sequenced)" : ""));
            out.println("created   " + Human.instant(h.created()) + " (" + Human.relative(h.created(), now) + ")");
            out.println("expires   " + Human.instant(h.expires()) + " (" + Human.relative(h.expires(), now) + ")");
            out.println("payload   " + h.payloadLength() + " bytes, zstd, sha256 " + h.payloadSha256());
            out.println("frames    " + h.frames().size());
            for (int i = 0; i < h.frames().size(); i++) {
                FrameDescriptor f = h.frames().get(i);
                out.println("  #" + i + " " + f.kind() + " " + f.id() + "  meta " + f.metaLength() + " B, body " + f.bodyLength()
                        + " B, expires " + Human.instant(f.expires()) + (f.isFragment() ? ", fragment " + (f.fragment().index() + 1)
                        + " of " + f.fragment().count() + " at " + f.fragment().offset() + " of " + f.fragment().totalLength() : ""));
                if (f.sha256() != null) {
                    out.println("     sha256 " + f.sha256());
                }
            }
        }
        if (!inspection.passed()) {
            out.println("REJECTED  " + inspection.problem() + ": " + inspection.detail());
            return;
        }
        if (messages != null) {
            out.println();
            out.println("messages (decrypted; the whole file verified)");
            messages.forEach(m -> m.print(out));
        } else if (inspection.checked() == Check.HEADER_AND_DIGEST) {
            out.println("content   not shown: encrypted for " + h.recipient() + ", and these keys cannot decrypt it"
                    + " (signature, length and payload digest verified)");
        } else if (inspection.checked() == Check.SESSION_AND_DIGEST) {
            out.println("content   not shown: a session file, readable with " + h.recipient() + "'s keys only"
                    + " (session ticket, length and payload digest verified)");
        } else if (inspection.perspective() == Perspective.NONE) {
            out.println("content   not shown: without keys nothing in it can be trusted (length and payload digest match)");
        }
        if (bodyWritten != null) {
            out.println("wrote the body of frame " + frameFor(messages) + " to " + bodyWritten);
        }
    }

    private int frameFor(List<MessageView> messages) {
        return frame != null ? frame : messages.stream().filter(m -> m.descriptor().bodyLength() > 0).findFirst()
                .map(MessageView::index).orElse(0);
    }

    /** "ES256 by front (kid front-sig-...)", "HS256 under session ..." or "HS256 with the secret shared with front (kid ...)". */
    private static String signer(SpoolContext context, SpoolFileHeader h) {
        if ("none".equals(h.signingAlgorithm())) {
            return "checksum-only: not signed, accepted from " + h.sender() + " by configuration";
        }
        if (Inspector.isSession(h)) {
            return "HS256 under session " + h.signingKid() + " (format version " + h.version() + "; its ticket is signed by " + h.sender() + ")";
        }
        if ("HS256".equals(h.signingAlgorithm())) {
            return "HS256 with the secret " + h.sender() + " shares with " + h.recipient() + " (kid " + h.signingKid() + ")";
        }
        NodeId signer = h.sender();
        return "ES256 signature by " + signer + " (kid " + h.signingKid() + ")";
    }

    private void printJson(SpoolContext context, Inspection inspection, List<MessageView> messages, String bodyWritten) {
        ObjectNode document = Json.object();
        ObjectNode fileNode = document.putObject("file");
        fileNode.put("path", file.toString());
        fileNode.put("size", inspection.size());
        Json.putMs(fileNode, "modifiedMs", inspection.modified());
        if (inspection.entry().isQuarantined()) {
            Json.putMs(fileNode, "quarantinedMs", inspection.entry().quarantinedAt());
            fileNode.put("quarantineReason", inspection.entry().quarantineReason());
        }
        document.put("node", context.self().map(Object::toString).orElse(null));
        document.put("verified", inspection.verified());
        document.put("check", inspection.checked().wireName());
        if (inspection.header() != null) {
            document.set("header", Render.header(inspection.header()));
        } else {
            document.putNull("header");
        }
        if (inspection.passed()) {
            document.putNull("error");
        } else {
            ObjectNode error = document.putObject("error");
            error.put("reason", inspection.problem());
            error.put("message", inspection.detail());
        }
        if (messages == null) {
            document.putNull("messages");
        } else {
            ArrayNode list = document.putArray("messages");
            messages.forEach(m -> list.add(m.toJson()));
        }
        document.put("bodyOut", bodyWritten);
        Json.print(spec.commandLine().getOut(), document);
    }
}

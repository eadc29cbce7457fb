package io.hoft.tools.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hoft.tools.Cli;
import io.hoft.transport.fs.Disk;
import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.PeerKeys;
import io.hoft.transport.keys.TrustList;
import io.hoft.transport.message.Body;
import io.hoft.transport.message.Envelope;
import io.hoft.transport.message.Message;
import io.hoft.transport.message.MessageId;
import io.hoft.transport.spool.FileMode;
import io.hoft.transport.spool.OutgoingFrame;
import io.hoft.transport.spool.SpoolFileWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hoft keys gen}, {@code show} and {@code rotate}, and that what they write works in a real exchange of files. */
class KeysCommandTest {
    private static final NodeId FRONT = NodeId.of("front");
    private static final NodeId BACK = NodeId.of("back");

    @TempDir
    Path dir;

    private Path keys() {
        return dir.resolve("keys");
    }

    private void gen(String node) {
        Cli.Result result = Cli.run("keys", "gen", "--node", node, "--out", keys());
        assertEquals(0, result.exit(), result.toString());
    }

    @Test
    void genWritesAnOwnerOnlyPrivateSetAndAPublicSet() throws Exception {
        Cli.Result result = Cli.run("keys", "gen", "--node", "front", "--out", keys(), "--json");

        assertEquals(0, result.exit(), result.toString());
        JsonNode json = result.json();
        assertEquals("front", json.get("node").asText());
        assertEquals(2, json.get("keys").size());
        assertEquals("sig", json.get("keys").get(0).get("use").asText());
        assertEquals("enc", json.get("keys").get(1).get("use").asText());
        Path privateFile = keys().resolve("front.jwks");
        Path publicFile = keys().resolve("front.public.jwks");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(privateFile)));
        assertFalse(KeyFiles.readableByOthers(privateFile));
        assertEquals(FRONT, KeyFiles.readNodeKeys(privateFile).node());
        PeerKeys peer = KeyFiles.readPeerKeys(publicFile);
        assertEquals(FRONT, peer.node());
        assertEquals(1, peer.signingKeys().size());
        assertFalse(Files.readString(publicFile).contains("\"d\""), "the public set holds no private part");
    }

    @Test
    void genRefusesToOverwriteAndExitsTwo() throws Exception {
        gen("front");
        String before = Files.readString(keys().resolve("front.jwks"));

        Cli.Result again = Cli.run("keys", "gen", "--node", "front", "--out", keys());

        assertEquals(2, again.exit(), again.toString());
        assertTrue(again.err().contains("already exists"), again.toString());
        assertEquals(before, Files.readString(keys().resolve("front.jwks")));
    }

    @Test
    void genTakesEitherANodeOrASharedSecret() {
        assertEquals(2, Cli.run("keys", "gen", "--out", keys()).exit());
        assertEquals(2, Cli.run("keys", "gen", "--node", "front", "--shared-secret", "--nodes", "front,back").exit());
        assertEquals(2, Cli.run("keys", "gen", "--node", "Front!").exit());
        assertEquals(2, Cli.run("keys", "gen", "--shared-secret", "--nodes", "front").exit());
    }

    @Test
    void sharedSecretIsWrittenTwiceOwnerOnlyEachNamingTheOtherNode() throws Exception {
        Cli.Result result = Cli.run("keys", "gen", "--shared-secret", "--nodes", "front,back", "--out", keys(), "--json");

        assertEquals(0, result.exit(), result.toString());
        Path heldByFront = Path.of(result.json().get("files").get("front").asText());
        Path heldByBack = Path.of(result.json().get("files").get("back").asText());
        assertEquals(keys().resolve("front-back.shared.held-by-front.jwks"), heldByFront);
        for (Path file : List.of(heldByFront, heldByBack)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        }
        PeerKeys frontsEntry = KeyFiles.readPeerKeys(heldByFront);
        PeerKeys backsEntry = KeyFiles.readPeerKeys(heldByBack);
        assertEquals(BACK, frontsEntry.node());
        assertEquals(FRONT, backsEntry.node());
        assertEquals(frontsEntry.sharedSecrets().get(0).kid(), backsEntry.sharedSecrets().get(0).kid());

        // The two copies carry a file from front to back: HS256 and A256KW with the secret.
        Path file = write(new Keyring(NodeKeys.generate(FRONT, Instant.now()), TrustList.of(frontsEntry)), BACK, dir);
        Cli.Result show = Cli.run("keys", "show", heldByBack, "--json");
        assertEquals("shared-secret", show.json().get("kind").asText(), show.toString());
        Cli.Result verify = Cli.run("spool", "verify", "--trust", heldByBack, "--json", file);
        assertEquals(0, verify.exit(), verify.toString());
        assertEquals("content", verify.json().get("files").get(0).get("check").asText(), "a shared secret opens the content");
    }

    @Test
    void showDescribesPrivateAndPublicSetsWithoutKeyMaterial() throws Exception {
        gen("front");

        Cli.Result privateSet = Cli.run("keys", "show", keys().resolve("front.jwks"));
        Cli.Result publicSet = Cli.run("keys", "show", keys().resolve("front.public.jwks"), "--json");

        assertEquals(0, privateSet.exit(), privateSet.toString());
        assertTrue(privateSet.out().contains("private key set of node front"), privateSet.toString());
        assertTrue(privateSet.out().contains("front-sig-"), privateSet.toString());
        assertTrue(privateSet.out().contains("ES256") && privateSet.out().contains("ECDH-ES+A256KW"), privateSet.toString());
        String d = KeyFiles.readNodeKeys(keys().resolve("front.jwks")).signingKeys().get(0).getD().toString();
        assertFalse(privateSet.out().contains(d), "never prints a private key");
        JsonNode json = publicSet.json();
        assertEquals("public", json.get("kind").asText());
        assertEquals("public", json.get("keys").get(0).get("holds").asText());
        assertTrue(json.get("keys").get(0).get("validNow").asBoolean());
        assertTrue(json.get("keys").get(0).get("expiresMs").isNull());
    }

    @Test
    void showWarnsAboutAPrivateFileOthersCanReadAndExitsOne() throws Exception {
        gen("front");
        Path privateFile = keys().resolve("front.jwks");
        Files.setPosixFilePermissions(privateFile, PosixFilePermissions.fromString("rw-r--r--"));

        Cli.Result result = Cli.run("keys", "show", privateFile);

        assertEquals(1, result.exit(), result.toString());
        assertTrue(result.err().contains("warning:") && result.err().contains("chmod 600"), result.toString());
    }

    @Test
    void showOfAFileThatIsNotAKeySetExitsOne() throws Exception {
        Path notKeys = Files.writeString(dir.resolve("x.jwks"), "{\"keys\": 3}");

        assertEquals(1, Cli.run("keys", "show", notKeys).exit());
        assertEquals(2, Cli.run("keys", "show", dir.resolve("missing.jwks")).exit());
    }

    /**
     * Rotation end to end: a file signed before the rotation still verifies during the overlap; a
     * file signed with the new key verifies at a peer holding the new public set (and not at one
     * holding the old set); after the overlap the old key no longer verifies; and the peer's files
     * are encrypted to the new agreement key, which the rotated private set opens.
     */
    @Test
    void rotateAddsNewKeysBesideTheOldOnesWhichExpireAfterTheOverlap() throws Exception {
        gen("front");
        gen("back");
        Path frontPrivate = keys().resolve("front.jwks");
        Path frontPublic = keys().resolve("front.public.jwks");
        Path backPrivate = keys().resolve("back.jwks");
        Path backPublic = keys().resolve("back.public.jwks");
        Path oldFrontPublic = Files.copy(frontPublic, dir.resolve("front.public.before-rotation.jwks"));
        Path signedBefore = write(keyring(frontPrivate, backPublic), BACK, Files.createDirectories(dir.resolve("before")));
        Path encryptedToOldKey = write(keyring(backPrivate, frontPublic), FRONT, Files.createDirectories(dir.resolve("to-old")));

        Cli.Result rotate = Cli.run("keys", "rotate", "--keys", frontPrivate, "--overlap", "7d", "--json");

        assertEquals(0, rotate.exit(), rotate.toString());
        JsonNode json = rotate.json();
        assertEquals(frontPublic.toString(), json.get("handToPeers").asText());
        assertEquals(2, json.get("newKeys").size());
        assertEquals(2, json.get("retiringKeys").size());
        long expires = json.get("retiringKeys").get(0).get("expiresMs").asLong();
        assertTrue(Math.abs(expires - Instant.now().plus(Duration.ofDays(7)).toEpochMilli()) < 60_000, json.toString());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(frontPrivate)));
        assertEquals(2, KeyFiles.readPeerKeys(frontPublic).signingKeys().size(), "the public set holds old and new keys");

        Path signedAfter = write(keyring(frontPrivate, backPublic), BACK, Files.createDirectories(dir.resolve("after")));
        String newKid = json.get("newKeys").get(0).get("kid").asText();
        Cli.Result shown = Cli.run("spool", "show", "--keys", backPrivate, "--trust", frontPublic, "--json", signedAfter);
        assertEquals(newKid, shown.json().get("header").get("signature").get("kid").asText(), shown.toString());

        // The peer that loaded the new public set accepts both; one still holding the old set refuses the new key.
        Cli.Result both = Cli.run("spool", "verify", "--keys", backPrivate, "--trust", frontPublic, signedBefore, signedAfter);
        assertEquals(0, both.exit(), both.toString());
        Cli.Result stale = Cli.run("spool", "verify", "--keys", backPrivate, "--trust", oldFrontPublic, signedAfter);
        assertEquals(1, stale.exit(), stale.toString());
        assertTrue(stale.out().contains("spoofed"), stale.toString());

        // After the overlap the old key is expired: what it signed no longer verifies.
        String later = Instant.now().plus(Duration.ofDays(8)).toString();
        Cli.Result afterOverlap = Cli.run("spool", "verify", "--keys", backPrivate, "--trust", frontPublic, "--at", later,
                "--json", signedBefore, signedAfter);
        assertEquals(1, afterOverlap.exit(), afterOverlap.toString());
        assertEquals("spoofed", afterOverlap.json().get("files").get(0).get("problem").asText());
        assertTrue(afterOverlap.json().get("files").get(1).get("ok").asBoolean(), afterOverlap.toString());

        // Back, with the new public set, encrypts to the new agreement key; front opens that and, during the overlap, the old.
        Path encryptedToNewKey = write(keyring(backPrivate, frontPublic), FRONT, Files.createDirectories(dir.resolve("to-new")));
        Cli.Result opened = Cli.run("spool", "verify", "--keys", frontPrivate, "--trust", backPublic, "--json",
                encryptedToOldKey, encryptedToNewKey);
        assertEquals(0, opened.exit(), opened.toString());
        assertEquals("content", opened.json().get("files").get(1).get("check").asText());
        Cli.Result newKey = Cli.run("spool", "show", "--keys", frontPrivate, "--trust", backPublic, "--json", encryptedToNewKey);
        String newEncKid = json.get("newKeys").get(1).get("kid").asText();
        assertEquals(newEncKid, newKey.json().get("header").get("encryption").get("keyKid").asText());
        assertNotEquals(newEncKid, Cli.run("spool", "show", "--keys", frontPrivate, "--trust", backPublic, "--json",
                encryptedToOldKey).json().get("header").get("encryption").get("keyKid").asText());
    }

    @Test
    void rotateOfAMissingFileIsAUsageError() {
        Cli.Result result = Cli.run("keys", "rotate", "--keys", dir.resolve("nope.jwks"));

        assertEquals(2, result.exit(), result.toString());
        assertTrue(result.err().contains("does not exist"), result.toString());
    }

    @Test
    void rotateSaysWhatToHandToThePeers() {
        gen("front");

        Cli.Result result = Cli.run("keys", "rotate", "--keys", keys().resolve("front.jwks"), "--overlap", "3d");

        assertEquals(0, result.exit(), result.toString());
        assertTrue(result.out().contains("give " + keys().resolve("front.public.jwks") + " to every peer of front"), result.toString());
        assertTrue(result.out().contains("overlap 3d"), result.toString());
    }

    private static Keyring keyring(Path own, Path peer) throws Exception {
        return new Keyring(KeyFiles.readNodeKeys(own), TrustList.of(KeyFiles.readPeerKeys(peer)));
    }

    /** Writes one request file from the keyring's node to {@code to} into {@code dir}, as a node's writer does. */
    private static Path write(Keyring keyring, NodeId to, Path dir) throws Exception {
        SpoolFileWriter writer = new SpoolFileWriter(keyring, FileMode.SIGNED_ENCRYPTED, SpoolFileWriter.Options.DEFAULT,
                Clock.systemUTC(), Disk.REAL);
        Instant now = Instant.now();
        Message message = new Message(MessageId.generate(Clock.systemUTC()), now, now.plus(Duration.ofDays(30)),
                new Envelope.Request("PUT", "/x", "api", List.of()), Body.ofBytes("rotated".getBytes(StandardCharsets.UTF_8)));
        SpoolFileWriter.WrittenFile file = writer.write(new SpoolFileWriter.Address(to, now.toEpochMilli(), 1),
                List.of(OutgoingFrame.whole(message)), dir);
        return writer.publish(file, dir);
    }
}

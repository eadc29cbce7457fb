package io.hoft.link.dialout;

import static io.hoft.link.dialout.DialoutFixture.BACK;
import static io.hoft.link.dialout.DialoutFixture.BACK_KEYS;
import static io.hoft.link.dialout.DialoutFixture.FRONT;
import static io.hoft.link.dialout.DialoutFixture.OTHER;
import static io.hoft.link.dialout.DialoutFixture.OTHER_KEYS;
import static io.hoft.link.dialout.DialoutFixture.STRANGER_KEYS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.OctetSequenceKey;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.NodeId;
import io.hoft.transport.keys.NodeKeys;
import io.hoft.transport.keys.PeerKeys;
import io.hoft.transport.keys.SharedSecret;
import io.hoft.transport.keys.TrustList;
import io.hoft.transport.spool.SpoolFileName;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every request to the front's end of the dial-out link must carry a valid token of a node
 * allowed to dial in; anything else is refused with 401 (403 for a file in another node's
 * name) before a byte of the body is read, and leaves nothing on disk.
 */
class DialoutAuthTest {
    @TempDir
    Path dir;

    private DialoutFixture fixture;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws IOException {
        fixture = new DialoutFixture(dir, Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    private String token(NodeKeys keys, NodeId audience, Instant issued) {
        return LinkToken.issue(DialoutFixture.keyringOf(keys), audience, issued, LinkToken.LIFETIME);
    }

    private HttpResponse<String> upload(SpoolFileName name, String authorization, byte[] body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(fixture.url().resolve(DialoutServerLink.FILES + name))
                .timeout(Duration.ofSeconds(10)).PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<Path> filesOnDisk() throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("front"))) {
            return files.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void anUploadWithTheBacksTokenIsStoredAndHandedToTheChannel() throws Exception {
        SpoolFileName name = DialoutFixture.name(BACK, FRONT, 1);
        HttpResponse<String> response = upload(name, "Bearer " + token(BACK_KEYS, FRONT, Instant.now()), new byte[] {1, 2, 3});
        assertEquals(201, response.statusCode(), response::body);
        assertEquals(List.of(name), fixture.offered);
        assertEquals(3, Files.size(dir.resolve("front/in/" + name)));
    }

    @Test
    void anUploadWithoutATokenIsRefusedBeforeItsBodyIsRead() throws Exception {
        SpoolFileName name = DialoutFixture.name(BACK, FRONT, 1);
        // the request head announces 100 MiB and no byte of the body is ever sent: the answer must come anyway
        try (Socket socket = new Socket("127.0.0.1", fixture.port())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(("PUT " + DialoutServerLink.FILES + name + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 104857600\r\n"
                    + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String head = readHead(socket.getInputStream());
            assertTrue(head.startsWith("HTTP/1.1 401 "), head);
            assertTrue(head.toLowerCase().contains("www-authenticate: bearer"), head);
            assertTrue(head.toLowerCase().contains("connection: close"), head);
        }
        assertEquals(List.of(), filesOnDisk());
        assertEquals(List.of(), fixture.offered);
        assertEquals(1, fixture.link.refused());
    }

    @Test
    void aBulkShareUploadReachesTheShareHandlerOnlyWithAValidTokenAndIs404WithoutAHandler() throws Exception {
        HttpRequest.Builder put = HttpRequest.newBuilder(fixture.url().resolve(DialoutServerLink.SHARE + "req-1"))
                .timeout(Duration.ofSeconds(10)).PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[3]));
        List<NodeId> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        fixture.link.onShare((peer, exchange) -> {
            seen.add(peer);
            DialoutServerLink.refuse(exchange, 404, "no transfer waits");
        });
        assertEquals(401, http.send(put.build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(List.of(), seen, "the handler never sees a request without a valid token");
        put.header("Authorization", "Bearer " + token(BACK_KEYS, FRONT, Instant.now()));
        assertEquals(404, http.send(put.build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(List.of(BACK), seen, "the handler is told which node it is");

        fixture.link.onShare(null);
        HttpResponse<String> none = http.send(put.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, none.statusCode());
        assertEquals("this node takes no bulk uploads\n", none.body());
    }

    @Test
    void aTokenSignedByAKeyTheFrontDoesNotKnowIsRefused() throws Exception {
        // the stranger claims to be the back, with its own key
        Keyring stranger = new Keyring(renamed(STRANGER_KEYS, BACK), TrustList.of(DialoutFixture.FRONT_KEYS.publicKeys()));
        String forged = LinkToken.issue(stranger, FRONT, Instant.now(), LinkToken.LIFETIME);
        HttpResponse<String> response = upload(DialoutFixture.name(BACK, FRONT, 1), "Bearer " + forged, new byte[10]);
        assertEquals(401, response.statusCode());
        assertEquals("unknown-key\n", response.body());
        assertEquals(List.of(), filesOnDisk());
    }

    @Test
    void aTrustedNodeThatMayNotDialInIsRefused() throws Exception {
        HttpResponse<String> response = upload(DialoutFixture.name(OTHER, FRONT, 1),
                "Bearer " + token(OTHER_KEYS, FRONT, Instant.now()), new byte[10]);
        assertEquals(401, response.statusCode());
        assertEquals("not-allowed\n", response.body());
        assertEquals(List.of(), filesOnDisk());
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        HttpResponse<String> response = upload(DialoutFixture.name(BACK, FRONT, 1),
                "Bearer " + token(BACK_KEYS, FRONT, Instant.now().minus(Duration.ofHours(1))), new byte[10]);
        assertEquals(401, response.statusCode());
        assertEquals("expired\n", response.body());
    }

    @Test
    void aTokenForAnotherFrontIsRefused() throws Exception {
        HttpResponse<String> response = upload(DialoutFixture.name(BACK, FRONT, 1),
                "Bearer " + token(BACK_KEYS, NodeId.of("elsewhere"), Instant.now()), new byte[10]);
        assertEquals(401, response.statusCode());
        assertEquals("wrong-audience\n", response.body());
    }

    @Test
    void aTamperedTokenIsRefused() throws Exception {
        String token = token(BACK_KEYS, FRONT, Instant.now());
        String tampered = token.substring(0, token.length() - 4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
        HttpResponse<String> response = upload(DialoutFixture.name(BACK, FRONT, 1), "Bearer " + tampered, new byte[10]);
        assertEquals(401, response.statusCode());
        assertEquals("bad-signature\n", response.body());
        HttpResponse<String> garbage = upload(DialoutFixture.name(BACK, FRONT, 1), "Bearer not.a.token", new byte[10]);
        assertEquals(401, garbage.statusCode());
        HttpResponse<String> basic = upload(DialoutFixture.name(BACK, FRONT, 1), "Basic YmFjazpiYWNr", new byte[10]);
        assertEquals(401, basic.statusCode());
        assertEquals("missing\n", basic.body());
    }

    @Test
    void aFileInAnotherNodesNameIsRefusedEvenWithAValidToken() throws Exception {
        String token = "Bearer " + token(BACK_KEYS, FRONT, Instant.now());
        assertEquals(403, upload(DialoutFixture.name(OTHER, FRONT, 1), token, new byte[10]).statusCode());
        assertEquals(403, upload(DialoutFixture.name(BACK, OTHER, 1), token, new byte[10]).statusCode());
        // and no node can fetch what the front holds for another
        HttpResponse<String> fetch = http.send(HttpRequest.newBuilder(fixture.url().resolve(DialoutServerLink.FILES
                + DialoutFixture.name(FRONT, OTHER, 1))).header("Authorization", token).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, fetch.statusCode());
        assertEquals(List.of(), filesOnDisk());
    }

    @Test
    void aFetchWithoutATokenIsRefused() throws Exception {
        Path file = Files.write(dir.resolve("payload"), new byte[] {9, 9, 9});
        SpoolFileName name = DialoutFixture.name(FRONT, BACK, 1);
        fixture.link.send(file, name);
        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(fixture.url().resolve(DialoutServerLink.FILES + name))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, anonymous.statusCode());
        HttpResponse<byte[]> back = http.send(HttpRequest.newBuilder(fixture.url().resolve(DialoutServerLink.FILES + name))
                .header("Authorization", "Bearer " + token(BACK_KEYS, FRONT, Instant.now())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, back.statusCode());
        assertEquals(3, back.body().length);
    }

    @Test
    void theControlConnectionIsRefusedWithoutAValidToken() throws Exception {
        WebSocket.Listener listener = new WebSocket.Listener() {};
        CompletionException missing = assertThrows(CompletionException.class, () -> http.newWebSocketBuilder()
                .buildAsync(fixture.url().resolve(DialoutServerLink.PATH).toString().startsWith("http")
                        ? java.net.URI.create("ws" + fixture.url().toString().substring(4) + DialoutServerLink.PATH) : null, listener)
                .join());
        assertEquals(401, ((WebSocketHandshakeException) missing.getCause()).getResponse().statusCode());
        ExecutionException expired = assertThrows(ExecutionException.class, () -> http.newWebSocketBuilder()
                .header("Authorization", "Bearer " + token(BACK_KEYS, FRONT, Instant.now().minus(Duration.ofHours(1))))
                .buildAsync(java.net.URI.create("ws" + fixture.url().toString().substring(4) + DialoutServerLink.PATH), listener)
                .get(10, TimeUnit.SECONDS));
        assertEquals(401, ((WebSocketHandshakeException) expired.getCause()).getResponse().statusCode());
        assertEquals(List.of(), fixture.link.connections().stream().filter(DialoutServerLink.Connection::connected).toList());
    }

    @Test
    void aNodeWithASharedSecretSignsItsTokensWithHs256() {
        OctetSequenceKey secret = SharedSecret.generate("front-back-1", Instant.now());
        Keyring back = new Keyring(BACK_KEYS, TrustList.of(PeerKeys.sharedSecret(FRONT, secret)));
        Keyring front = new Keyring(DialoutFixture.FRONT_KEYS, TrustList.of(PeerKeys.sharedSecret(BACK, secret)));
        String token = LinkToken.issue(back, FRONT, Instant.now(), LinkToken.LIFETIME);
        assertTrue(token.startsWith("eyJ"), token);
        assertEquals(BACK, LinkToken.verify(token, front, FRONT, Set.of(BACK), Instant.now()));
        LinkAuthException tooLong = assertThrows(LinkAuthException.class, () -> LinkToken.verify(
                LinkToken.issue(back, FRONT, Instant.now(), Duration.ofHours(2)), front, FRONT, Set.of(BACK), Instant.now()));
        assertEquals("malformed", tooLong.reason());
        LinkAuthException early = assertThrows(LinkAuthException.class, () -> LinkToken.verify(
                LinkToken.issue(back, FRONT, Instant.now().plus(Duration.ofMinutes(5)), LinkToken.LIFETIME), front, FRONT,
                Set.of(BACK), Instant.now()));
        assertEquals("not-yet-valid", early.reason());
    }

    /** The same private keys under another node's name: a key set that lies about whose it is. */
    private static NodeKeys renamed(NodeKeys keys, NodeId node) {
        com.nimbusds.jose.jwk.JWKSet set = keys.toJwkSet();
        java.util.Map<String, Object> members = new java.util.HashMap<>(set.getAdditionalMembers());
        members.put(NodeKeys.NODE_MEMBER, node.value());
        return NodeKeys.fromJwkSet(new com.nimbusds.jose.jwk.JWKSet(set.getKeys(), members));
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            head.write(b);
            String text = head.toString(StandardCharsets.ISO_8859_1);
            if (text.endsWith("\r\n\r\n")) {
                return text;
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}

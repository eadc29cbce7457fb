package io.hoft.tools.share;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hoft.back.BackConfig;
import io.hoft.back.BackNode;
import io.hoft.front.FrontConfig;
import io.hoft.front.FrontNode;
import io.hoft.tools.node.Setup;
import io.hoft.transport.config.ConfigLoader;
import io.hoft.transport.link.Mirror;
import io.hoft.transport.link.MirrorFaults;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A front and a back as {@code hoft init --share DIR} writes them (shared link folders on
 * disk, real channel, loopback HTTP), with the back publishing {@link #shared}.
 */
final class ShareChain implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration WAIT = Duration.ofSeconds(60);

    final Path dir;
    final Path shared;
    final Setup setup;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    private final Map<String, String> backEnv;
    private final Map<String, String> frontEnv;
    private BackNode back;
    private FrontNode front;
    private URI base;

    private final MirrorFaults faults;
    private final List<Mirror> mirrors = new java.util.ArrayList<>();

    ShareChain(Path dir, Map<String, String> backEnv, Map<String, String> frontEnv) throws IOException {
        this(dir, backEnv, frontEnv, null);
    }

    /** With {@code faults}, the link folders are separate and two {@link Mirror}s with these faults carry the files. */
    ShareChain(Path dir, Map<String, String> backEnv, Map<String, String> frontEnv, MirrorFaults faults) throws IOException {
        this(dir, backEnv, frontEnv, faults, false);
    }

    private ShareChain(Path dir, Map<String, String> backEnv, Map<String, String> frontEnv, MirrorFaults faults, boolean dialout)
            throws IOException {
        this.dir = dir;
        this.shared = Files.createDirectories(dir.resolve("published/docs"));
        this.backEnv = new HashMap<>(backEnv);
        this.frontEnv = new HashMap<>(frontEnv);
        this.faults = faults;
        Setup chosen = Setup.of(dir.resolve("setup"), "http://127.0.0.1:1", dialout ? freePort() : 0, faults != null);
        this.setup = (dialout ? chosen.withDialout() : chosen).withShares(List.of(shared));
        setup.write();
    }

    /** The pair joined by the dial-out link (the back dials the front's port), as {@code hoft init --link dialout --share} writes it. */
    static ShareChain dialout(Path dir, Map<String, String> backEnv, Map<String, String> frontEnv) throws IOException {
        return new ShareChain(dir, backEnv, frontEnv, null, true);
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Rewrites the front.yaml that {@code hoft init} wrote (before {@link #start}). */
    ShareChain editFront(java.util.function.UnaryOperator<String> edit) throws IOException {
        Files.writeString(setup.frontConfig(), edit.apply(Files.readString(setup.frontConfig())));
        return this;
    }

    ShareChain start() throws IOException {
        if (faults != null && mirrors.isEmpty()) {
            List<Path> link = setup.linkFolders();
            mirrors.add(new Mirror(link.get(0), link.get(1), Mirror.Mode.MOVE, faults, Duration.ofMillis(50), false).start());
            mirrors.add(new Mirror(link.get(2), link.get(3), Mirror.Mode.MOVE, faults, Duration.ofMillis(50), false).start());
        }
        startBack();
        startFront();
        return this;
    }

    void startBack() throws IOException {
        back = BackNode.start(BackConfig.load(setup.backConfig(), backEnv));
    }

    void stopBack() throws IOException {
        BackNode running = back;
        back = null;
        if (running != null) {
            running.close();
        }
    }

    void stopFront() throws IOException {
        FrontNode running = front;
        front = null;
        if (running != null) {
            running.close(Duration.ofSeconds(2));
        }
    }

    void startFront() throws IOException {
        front = FrontNode.open(ConfigLoader.load(setup.frontConfig(), FrontConfig.class, frontEnv), Clock.systemUTC());
        front.start();
        base = URI.create("http://127.0.0.1:" + front.address().getPort());
    }

    FrontNode front() {
        return front;
    }

    BackNode back() {
        return back;
    }

    int port() {
        return base.getPort();
    }

    URI url(String target) {
        return base.resolve(target);
    }

    HttpRequest.Builder request(String target) {
        return HttpRequest.newBuilder(url(target)).timeout(WAIT);
    }

    HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The paths of {@code GET /_hoft/files} as JSON. */
    List<String> catalog() throws IOException, InterruptedException {
        HttpResponse<byte[]> response = send(request("/_hoft/files").header("Accept", "application/json"));
        if (response.statusCode() != 200) {
            throw new AssertionError("listing: " + response.statusCode());
        }
        JsonNode files = JSON.readTree(response.body()).path("files");
        List<String> paths = new java.util.ArrayList<>();
        files.forEach(f -> paths.add(f.path("path").asText()));
        return paths;
    }

    /** A Prometheus sample of the front's /_hoft/metrics (0 when absent). */
    long frontMetric(String name) throws IOException, InterruptedException {
        String text = new String(send(request("/_hoft/metrics")).body(), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)").matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** The sum of the front's samples of {@code name} whose labels contain {@code label} (e.g. {@code kind="response"}). */
    long frontMetricSum(String name, String label) throws IOException, InterruptedException {
        String text = new String(send(request("/_hoft/metrics")).body(), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\d+)").matcher(text);
        long sum = 0;
        while (m.find()) {
            if (m.group(1).contains(label)) {
                sum += Long.parseLong(m.group(2));
            }
        }
        return sum;
    }

    long backMetric(String name) {
        return back.metrics().total(name);
    }

    /** The status line's code of a request sent byte for byte on a socket. */
    int rawStatus(String target) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c; (c = in.read()) >= 0 && c != '\n';) {
                line.append((char) c);
            }
            String[] parts = line.toString().split(" ");
            return parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
        }
    }

    /** Writes {@code size} pseudo-random bytes (from {@code seed}); returns their SHA-256. */
    static String writeFile(Path file, long size, long seed) throws IOException {
        Files.createDirectories(file.getParent());
        SplittableRandom random = new SplittableRandom(seed);
        MessageDigest digest = sha256();
        byte[] buffer = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            long left = size;
            while (left > 0) {
                int n = (int) Math.min(buffer.length, left);
                for (int i = 0; i < n; i += 8) {
                    long v = random.nextLong();
                    for (int j = 0; j < 8 && i + j < n; j++) {
                        buffer[i + j] = (byte) (v >>> (8 * j));
                    }
                }
                out.write(buffer, 0, n);
                digest.update(buffer, 0, n);
                left -= n;
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    List<Mirror.Stats> mirrorStats() {
        return mirrors.stream().map(Mirror::stats).toList();
    }

    @Override
    public void close() throws IOException {
        try {
            stopFront();
        } finally {
            try {
                stopBack();
            } finally {
                for (Mirror mirror : mirrors) {
                    mirror.close();
                }
            }
        }
    }
}

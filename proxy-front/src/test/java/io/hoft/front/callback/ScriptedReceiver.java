package io.hoft.front.callback;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A webhook receiver on loopback that answers from a script, one reply per request, and
 * misbehaves on purpose (MockWebServer's SocketPolicy, in a hundred lines): a status with
 * headers, no answer at all until the client gives up, or a TCP reset. With the script used up
 * it answers by a policy, 200 unless set. Every request is recorded once fully read, before
 * the reply.
 */
final class ScriptedReceiver implements AutoCloseable {

    /** What to do with one request. */
    sealed interface Reply permits Status, Hang, Reset {}

    record Status(int code, List<String[]> headers) implements Reply {}

    /** Read the request, never answer; the connection stays open until the client closes it. */
    record Hang() implements Reply {}

    /** Read the request, then reset the connection (SO_LINGER 0). */
    record Reset() implements Reply {}

    /**
     * One request as it arrived; header names and values are ISO-8859-1 strings. In streaming
     * mode the body is not kept: {@code body} is empty, {@code sha256} and {@code bodyLength}
     * describe it, and {@code signatureValid} says whether its webhook signature verified.
     */
    record Received(String method, String target, List<String[]> headers, byte[] body, long bodyLength, String sha256,
            Boolean signatureValid) {
        String header(String name) {
            for (String[] header : headers) {
                if (header[0].equalsIgnoreCase(name)) {
                    return header[1];
                }
            }
            return null;
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    static Status status(int code, String... headerPairs) {
        List<String[]> headers = new ArrayList<>();
        for (int i = 0; i < headerPairs.length; i += 2) {
            headers.add(new String[] {headerPairs[i], headerPairs[i + 1]});
        }
        return new Status(code, headers);
    }

    private final ServerSocket server;
    private final BlockingQueue<Reply> script = new LinkedBlockingQueue<>();
    private volatile java.util.function.Function<Received, Reply> otherwise = request -> status(200);
    private volatile StandardWebhooks streamingVerifier;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "scripted-receiver");
        thread.setDaemon(true);
        return thread;
    });

    ScriptedReceiver() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    URI url(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** Queues replies for the next requests, in order. */
    ScriptedReceiver then(Reply... replies) {
        script.addAll(List.of(replies));
        return this;
    }

    /** How to answer once the script is used up (200 unless set). */
    ScriptedReceiver otherwise(java.util.function.Function<Received, Reply> policy) {
        this.otherwise = policy;
        return this;
    }

    /** From now on, bodies are hashed and their signatures checked while read, never held. */
    ScriptedReceiver streamBodies(StandardWebhooks verifier) {
        this.streamingVerifier = verifier;
        return this;
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    int count() {
        return received.size();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                open.add(socket);
                threads.execute(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            if (head == null) {
                return;
            }
            String[] lines = head.split("\r\n");
            String[] requestLine = lines[0].split(" ");
            List<String[]> headers = new ArrayList<>();
            long length = 0;
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                String name = lines[i].substring(0, colon);
                String value = lines[i].substring(colon + 1).trim();
                headers.add(new String[] {name, value});
                if (name.equalsIgnoreCase("Content-Length")) {
                    length = Long.parseLong(value);
                }
                if (name.equalsIgnoreCase("Transfer-Encoding")) {
                    throw new IOException("chunked requests are not expected from the dispatcher");
                }
            }
            Received request = streamingVerifier == null
                    ? new Received(requestLine[0], requestLine[1], headers, in.readNBytes((int) length), length, null, null)
                    : streamed(requestLine, headers, in, length);
            received.add(request);
            Reply reply = script.poll();
            if (reply == null) {
                reply = otherwise.apply(request);
            }
            if (reply instanceof Hang) {
                while (in.read() >= 0) {
                    // wait for the client to give up
                }
            } else if (reply instanceof Reset) {
                socket.setSoLinger(true, 0);
            } else {
                Status status = (Status) reply;
                StringBuilder response = new StringBuilder("HTTP/1.1 ").append(status.code()).append(" Scripted\r\n");
                for (String[] header : status.headers()) {
                    response.append(header[0]).append(": ").append(header[1]).append("\r\n");
                }
                response.append("Content-Length: 0\r\nConnection: close\r\n\r\n");
                OutputStream out = socket.getOutputStream();
                out.write(response.toString().getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
        } catch (IOException e) {
            // the client went away; nothing to record
        } finally {
            open.remove(socket);
        }
    }

    private Received streamed(String[] requestLine, List<String[]> headers, InputStream in, long length) throws IOException {
        Received head = new Received(requestLine[0], requestLine[1], headers, new byte[0], length, null, null);
        StandardWebhooks.Signer signer = streamingVerifier.signer(head.header("webhook-id"),
                Long.parseLong(head.header("webhook-timestamp")));
        java.security.MessageDigest sha256;
        try {
            sha256 = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[64 * 1024];
        long remaining = length;
        while (remaining > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
            if (n < 0) {
                throw new IOException("body ended early");
            }
            signer.write(buffer, 0, n);
            sha256.update(buffer, 0, n);
            remaining -= n;
        }
        boolean valid = signer.signature().equals(head.header("webhook-signature"));
        return new Received(requestLine[0], requestLine[1], headers, new byte[0], length,
                java.util.HexFormat.of().formatHex(sha256.digest()), valid);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
            if (state == 4) {
                byte[] bytes = head.toByteArray();
                return new String(bytes, 0, bytes.length - 4, StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : open) {
            socket.close();
        }
        threads.shutdownNow();
    }
}

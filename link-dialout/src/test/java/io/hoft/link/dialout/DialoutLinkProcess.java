package io.hoft.link.dialout;

import io.hoft.transport.keys.KeyFiles;
import io.hoft.transport.keys.Keyring;
import io.hoft.transport.keys.TrustList;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * One end of the dial-out link in a JVM of its own, for tests that kill it with SIGKILL:
 * {@code DialoutLinkProcess front|back DIR KEYS PORT}. The front listens on PORT with its link
 * folder in {@code DIR/front}; the back dials {@code http://127.0.0.1:PORT} with its folder in
 * {@code DIR/back}. Keys are {@code KEYS/{role}.jwks} and the peer's {@code KEYS/{peer}.pub.jwks}.
 * Arrived files stay in the link's inbox, where the test reads them. It runs until killed.
 */
public final class DialoutLinkProcess {
    private DialoutLinkProcess() {}

    public static void main(String[] args) throws Exception {
        String role = args[0];
        Path dir = Path.of(args[1]);
        Path keys = Path.of(args[2]);
        int port = Integer.parseInt(args[3]);
        String peer = role.equals("front") ? "back" : "front";
        Keyring keyring = new Keyring(KeyFiles.readNodeKeys(keys.resolve(role + ".jwks")),
                TrustList.of(KeyFiles.readPeerKeys(keys.resolve(peer + ".pub.jwks"))));
        if (role.equals("front")) {
            new DialoutFixture(dir, Duration.ofSeconds(10), null, port, keyring);
        } else {
            DialoutClientLink link = new DialoutClientLink(DialoutFixture.BACK, DialoutFixture.FRONT,
                    DialoutFixture.dialerSettings(URI.create("http://127.0.0.1:" + port)), keyring, dir.resolve("back"),
                    Clock.systemUTC());
            link.start(DialoutFixture.BACK, file -> { });
        }
        System.out.println(role + " running");
        Thread.sleep(Long.MAX_VALUE);
    }
}

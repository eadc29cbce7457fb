package io.hoft.tools.node;

/** The link lines {@code hoft init --link dialout} writes into front.yaml and back.yaml. */
final class DialoutYaml {
    /**
     * Channel timers for a network link: files are not lost in a mirror for minutes, so a
     * resend after 30 s (not the folder link's 2 minutes) is patient enough.
     */
    static final String CHANNEL = "    resendAfter: 30s              # a network link: resend sooner than a mirror needs\n"
            + "    resendMax: 5m\n";

    private DialoutYaml() {}

    static String frontLink() {
        return "{type: dialout, heartbeat: 10s}  # the back dials in to this front's listener (/_hoft/link);"
                + " nothing connects to the back";
    }

    static String backLink(int frontPort) {
        return "{type: dialout, url: \"http://127.0.0.1:" + frontPort + "\", heartbeat: 10s, parallel: 4}\n"
                + "                      # the back dials the front and listens on no port. For a front on the internet:\n"
                + "                      #   url: https://front.example  with  trust: keys/front-cert.pem  (its certificate, pinned, or a CA)\n"
                + "                      #   proxy: proxy.example:3128     (an HTTP proxy that allows CONNECT)";
    }
}

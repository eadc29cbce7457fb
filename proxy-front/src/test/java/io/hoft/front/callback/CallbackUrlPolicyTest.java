package io.hoft.front.callback;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.front.CallbackUrlGuard.ForbiddenCallbackUrlException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CallbackUrlPolicyTest {
    /** Names for tests: each resolves to the addresses listed, nothing else resolves. */
    private static final Map<String, List<String>> DNS = Map.of(
            "public.example", List.of("93.184.216.34"),
            "internal.example", List.of("10.20.30.40"),
            "mixed.example", List.of("93.184.216.34", "192.168.0.7"),
            "v6-private.example", List.of("fd00::7"),
            "metadata.example", List.of("169.254.169.254"),
            "a.hooks.example", List.of("93.184.216.35"),
            "hooks.example", List.of("93.184.216.36"));

    private static final CallbackUrlPolicy.HostResolver FAKE_DNS = host -> {
        List<String> addresses = DNS.get(host);
        if (addresses == null) {
            return InetAddress.getAllByName(host); // IP literals (and localhost) only
        }
        InetAddress[] result = new InetAddress[addresses.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = InetAddress.getByName(addresses.get(i));
        }
        return result;
    };

    private final CallbackUrlPolicy strict = new CallbackUrlPolicy(false, List.of(), FAKE_DNS);
    private final CallbackUrlPolicy permissive = new CallbackUrlPolicy(true, List.of(), FAKE_DNS);

    @ParameterizedTest
    @ValueSource(strings = {
        "http://127.0.0.1/", "http://127.9.8.7:8080/hook", "http://localhost:9000/", "http://[::1]/",
        "http://10.0.0.1/", "http://10.255.255.255/", "http://172.16.0.1/", "http://172.31.255.254/",
        "http://192.168.1.1/", "http://100.64.0.1/", "http://100.127.255.254/",
        "http://169.254.1.1/", "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://[febf::1]/",
        "http://[fc00::1]/", "http://[fd12:3456::1]/", "http://0.0.0.0/", "http://[::]/", "http://224.0.0.1/",
        "http://239.255.255.250/", "http://[ff02::1]/", "http://255.255.255.255/", "http://240.0.0.1/",
        "http://[::ffff:10.0.0.1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:169.254.169.254]/",
        "http://[::10.0.0.1]/", "http://[64:ff9b::a00:1]/", "http://[64:ff9b::7f00:1]/", "http://[2002:a00:1::1]/",
        "http://[2002:c0a8:101::]/", "http://internal.example/", "http://mixed.example/", "http://v6-private.example/",
        "http://metadata.example/", "http://2130706433/", "http://127.1/"})
    void privateLoopbackLinkLocalAndSpecialAddressesAreRefusedByDefault(String url) {
        ForbiddenCallbackUrlException e = assertThrows(ForbiddenCallbackUrlException.class, () -> strict.check(URI.create(url)));
        assertTrue(e.getMessage().startsWith("callback "), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "http://93.184.216.34/", "https://public.example/hook?x=1", "http://172.32.0.1/", "http://172.15.255.255/",
        "http://100.128.0.1/", "http://100.63.255.255/", "http://192.169.0.1/", "http://[2001:4860:4860::8888]/",
        "http://[::ffff:8.8.8.8]/", "http://[64:ff9b::808:808]/", "http://[2002:808:808::1]/", "HTTPS://PUBLIC.EXAMPLE:8443/"})
    void publicAddressesAreAllowed(String url) {
        assertDoesNotThrow(() -> strict.check(URI.create(url)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "http://127.0.0.1:8081/hook", "http://localhost/", "http://[::1]/", "http://10.0.0.1/", "http://172.20.0.1/",
        "http://192.168.0.1/", "http://100.64.1.1/", "http://169.254.1.1/", "http://[fe80::1]/", "http://[fd00::1]/",
        "http://internal.example/", "http://mixed.example/"})
    void privateNetworksAreAllowedWhenConfigured(String url) {
        assertDoesNotThrow(() -> permissive.check(URI.create(url)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "http://169.254.169.254/", "http://169.254.170.2/", "http://[fd00:ec2::254]/", "http://metadata.example/",
        "http://0.0.0.0/", "http://[::]/", "http://224.0.0.1/", "http://[ff02::1]/", "http://255.255.255.255/"})
    void metadataMulticastAndUnspecifiedAreRefusedEvenWhenPrivateNetworksAreAllowed(String url) {
        ForbiddenCallbackUrlException e = assertThrows(ForbiddenCallbackUrlException.class, () -> permissive.check(URI.create(url)));
        assertTrue(e.getMessage().contains("never allowed"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "ftp://public.example/", "file:///etc/passwd", "gopher://public.example/", "mailto:a@public.example",
        "/relative/path", "http://user:pass@public.example/", "http://user@public.example/", "http:///no-host",
        "http://under_score.example/"})
    void onlyAbsoluteHttpUrlsWithAHostAndNoUserInfoAreAccepted(String url) {
        assertThrows(ForbiddenCallbackUrlException.class, () -> permissive.check(URI.create(url)));
    }

    @Test
    void aHostThatDoesNotResolveIsRefused() {
        ForbiddenCallbackUrlException e = assertThrows(ForbiddenCallbackUrlException.class,
                () -> strict.check(URI.create("http://nowhere.invalid/")));
        assertTrue(e.getMessage().contains("does not resolve"), e.getMessage());
    }

    @Test
    void theRefusalNamesTheAddressAndItsRange() {
        ForbiddenCallbackUrlException e = assertThrows(ForbiddenCallbackUrlException.class,
                () -> strict.check(URI.create("http://mixed.example/")));
        assertTrue(e.getMessage().contains("192.168.0.7") && e.getMessage().contains("192.168/16"), e.getMessage());
    }

    @Test
    void anAllowlistAdmitsExactNamesAndSubdomainsOfWildcardsOnly() {
        CallbackUrlPolicy listed = new CallbackUrlPolicy(false, List.of("public.example", "*.hooks.example"), FAKE_DNS);
        assertDoesNotThrow(() -> listed.check(URI.create("https://public.example/x")));
        assertDoesNotThrow(() -> listed.check(URI.create("https://A.Hooks.Example/x")));
        assertThrows(ForbiddenCallbackUrlException.class, () -> listed.check(URI.create("https://hooks.example/x")));
        assertThrows(ForbiddenCallbackUrlException.class, () -> listed.check(URI.create("https://93.184.216.34/x")));
        assertThrows(ForbiddenCallbackUrlException.class, () -> listed.check(URI.create("https://evilhooks.example/x")));
    }

    @Test
    void anAllowlistedHostStillHasItsAddressesChecked() {
        CallbackUrlPolicy listed = new CallbackUrlPolicy(false, List.of("internal.example"), FAKE_DNS);
        assertThrows(ForbiddenCallbackUrlException.class, () -> listed.check(URI.create("http://internal.example/")));
        CallbackUrlPolicy listedPrivate = new CallbackUrlPolicy(true, List.of("internal.example"), FAKE_DNS);
        assertDoesNotThrow(() -> listedPrivate.check(URI.create("http://internal.example/")));
        assertThrows(ForbiddenCallbackUrlException.class, () -> listedPrivate.check(URI.create("http://10.20.30.40/")));
    }

    @Test
    void resolveAllowedIsWhatDeliveryUsesAndRefusesRebindingToPrivateAddresses() throws Exception {
        assertTrue(strict.resolveAllowed("public.example")[0].getHostAddress().equals("93.184.216.34"));
        UnknownHostException e = assertThrows(UnknownHostException.class, () -> strict.resolveAllowed("internal.example"));
        assertTrue(e instanceof CallbackUrlPolicy.ForbiddenAddressException, e.toString());
        assertTrue(strict.resolveAllowed("[2001:4860:4860::8888]").length == 1);
    }

    @Test
    void nonsenseAllowlistEntriesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new CallbackUrlPolicy(false, List.of("a.*.example")));
        assertThrows(IllegalArgumentException.class, () -> new CallbackUrlPolicy(false, List.of(" ")));
    }
}

package io.hoft.tools.node;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hoft.tools.Json;
import io.hoft.tools.Main;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hoft init}: writes a working local two-node setup. */
@Command(name = "init",
        mixinStandardHelpOptions = true,
        description = {
            "Writes a working two-node setup into DIR: front.yaml, back.yaml, fresh keys for both nodes, a webhook"
                + " secret, state and link folders. The setup is local: the front listens on 127.0.0.1 without caller"
                + " authentication and allows callbacks to loopback addresses; the YAML says so where it matters.",
            "By default the front's outbox is the back's inbox and the other way round, so the pair works at once."
                + " With --link dialout there are no link folders: the back dials the front's port (a WebSocket for"
                + " control, HTTP uploads and fetches for files) and listens on no port itself.",
            "With --separate-folders the four folders link/front-out, link/back-in, link/back-out and"
                + " link/front-in are distinct and a mirror must carry files across (for example hoft mirror).",
            "With --role front or --role back it writes ONE side of a two-site setup instead, for nodes on different"
                + " machines: that node's config, its own keys, and DIR/ID.card.json, its public peer card. Each site"
                + " gives its card to the other, which trusts it with hoft peer add; no private key or secret travels.",
            "Nothing is overwritten: a folder that already holds a setup is refused."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:setup written", "2:usage error, or DIR already holds a setup"},
        footer = {"", "Example:",
            "  hoft init setup && hoft back --config setup/back.yaml & hoft front --config setup/front.yaml",
            "  hoft init site --link dialout --front-port 8443",
            "  hoft init front-site --role front   (and at the other site: hoft init back-site --role back)"})
public final class InitCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "folder to write the setup into (created if missing)")
    Path dir;

    @Option(names = "--upstream", paramLabel = "URL", defaultValue = "http://127.0.0.1:8081",
            description = "base URL of the callee the back calls (default: ${DEFAULT-VALUE})")
    String upstream;

    @Option(names = "--front-port", paramLabel = "N", defaultValue = "8080",
            description = "port the front listens on, on 127.0.0.1 (default: ${DEFAULT-VALUE})")
    int frontPort;

    @Option(names = "--separate-folders", description = "four distinct link folders, to be carried by a mirror")
    boolean separateFolders;

    @Option(names = "--link", paramLabel = "KIND", defaultValue = "folder",
            description = "how the nodes are linked: folder (default: shared or mirrored folders) or dialout (the back dials"
                + " the front's port over a WebSocket and listens on no port)")
    String link;

    @Option(names = "--share", paramLabel = "FOLDER",
            description = "publish this local folder through the file share (/_hoft/files on the front); repeatable")
    List<Path> shares = List.of();

    @Option(names = "--role", paramLabel = "ROLE",
            description = "write ONE side of a two-site setup: front or back, with its own keys and its public peer card"
                + " DIR/ID.card.json; the other side's card is added with hoft peer add")
    String role;

    @Option(names = "--id", paramLabel = "ID", description = "with --role: the node's id (default: the role)")
    String id;

    @Option(names = "--url", paramLabel = "URL",
            description = "with --role front --link dialout: the base URL the back dials (default: https://127.0.0.1:PORT);"
                + " an https URL gets a self-signed certificate that the front's card carries for the back to pin")
    String url;

    @Option(names = "--json", description = "print what was written as JSON")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (role != null) {
            return site();
        }
        if (id != null || url != null) {
            throw new Main.UsageException((id != null ? "--id" : "--url") + " applies to one side of a two-site setup: add"
                    + " --role front or --role back");
        }
        if (!link.equals("folder") && !link.equals("dialout")) {
            throw new Main.UsageException("--link " + link + ": must be folder or dialout");
        }
        Setup setup = Setup.of(dir, upstream, frontPort, separateFolders).withShares(shares);
        if (link.equals("dialout")) {
            setup.withDialout();
        }
        List<Path> written = setup.write();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode result = Json.object();
            result.put("dir", dir.toString());
            result.put("frontConfig", setup.frontConfig().toString());
            result.put("backConfig", setup.backConfig().toString());
            result.put("webhookSecret", setup.webhookSecret().toString());
            ArrayNode files = result.putArray("files");
            written.forEach(file -> files.add(file.toString()));
            ArrayNode link = result.putArray("linkFolders");
            setup.linkFolders().stream().distinct().forEach(folder -> link.add(folder.toString()));
            Json.print(out, result);
            return Main.OK;
        }
        out.println("wrote a local hoft setup in " + dir + ":");
        written.forEach(file -> out.println("  " + file));
        List<Path> link = setup.linkFolders();
        if (setup.dialout()) {
            out.println("dial-out link: the back dials the front at http://127.0.0.1:" + frontPort + "/_hoft/link"
                    + " and listens on no port; start the front first or in any order (the back keeps dialing)");
        } else if (separateFolders) {
            out.println("link folders are separate; carry them with a mirror, for example:");
            out.println("  hoft mirror --from " + link.get(0) + " --to " + link.get(1));
            out.println("  hoft mirror --from " + link.get(2) + " --to " + link.get(3));
        } else {
            out.println("link folders: " + link.get(0) + " (front to back), " + link.get(2) + " (back to front)");
        }
        out.println("start the nodes:");
        out.println("  hoft back --config " + setup.backConfig());
        out.println("  hoft front --config " + setup.frontConfig());
        out.println("then call the upstream " + upstream + " through http://127.0.0.1:" + frontPort + "/");
        if (!shares.isEmpty()) {
            out.println("shared files: http://127.0.0.1:" + frontPort + "/_hoft/files");
        }
        return Main.OK;
    }

    /** One side of a two-site setup ({@code --role}). */
    private int site() throws Exception {
        if (separateFolders) {
            throw new Main.UsageException("--separate-folders is for a local pair; with --role the node's folders are"
                    + " link/out and link/in");
        }
        SiteSetup site = new SiteSetup(dir, role, id, link, frontPort, url, upstream, shares);
        List<Path> written = site.write();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode result = Json.object();
            result.put("dir", dir.toString());
            result.put("role", role);
            result.put("id", site.id().value());
            result.put("config", site.config().toString());
            result.put("card", site.card().toString());
            if (site.url() != null) {
                result.put("url", site.url().toString());
            }
            ArrayNode files = result.putArray("files");
            written.forEach(file -> files.add(file.toString()));
            Json.print(out, result);
            return Main.OK;
        }
        String other = role.equals("front") ? "back" : "front";
        out.println("wrote one side of a two-site setup in " + dir + ": the " + role + ", node " + site.id());
        written.forEach(file -> out.println("  " + file));
        if (link.equals("folder")) {
            out.println("link folders: " + dir.resolve("link/out") + " (to the " + other + "), " + dir.resolve("link/in")
                    + " (from it): the sites' transfer service carries each side's link/out to the other's link/in");
        } else if (site.url() != null) {
            out.println("the back will dial " + site.url() + " (its card says so)");
        }
        out.println("next:");
        out.println("  1. give " + site.card() + " to the " + other + "'s site (it holds public keys only)");
        out.println("  2. with the " + other + "'s card here: hoft peer add --config " + site.config() + " " + other.toUpperCase(
                java.util.Locale.ROOT) + ".card.json");
        out.println("  3. hoft " + role + " --config " + site.config());
        return Main.OK;
    }
}

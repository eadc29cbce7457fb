package io.hoft.front.share;

import io.hoft.share.CatalogEntry;
import io.hoft.share.CatalogUpdate;
import io.hoft.transport.fs.OwnerOnly;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the peers publish, as far as the front knows: per peer the newest full catalog with
 * every change update applied in revision order. A change whose base is not the current
 * revision waits (it arrived before an earlier one) until the chain closes or a newer full
 * catalog replaces it all. Each peer's catalog is kept in {@code catalog-PEER.json} in the
 * cache folder (temp file and rename), so a restarted front serves at once.
 */
final class FrontCatalog {
    private static final Logger log = LoggerFactory.getLogger(FrontCatalog.class);
    private static final int MAX_PENDING = 1000;

    /** A published file and the peer that publishes it. */
    record Item(String peer, CatalogEntry entry) {}

    private static final class PeerCatalog {
        long rev = -1;
        final Map<String, CatalogEntry> files = new TreeMap<>();
        final Map<Long, CatalogUpdate> pending = new TreeMap<>();
    }

    private final Path dir;
    private final Map<String, PeerCatalog> peers = new TreeMap<>();

    FrontCatalog(Path dir) {
        this.dir = dir;
    }

    /** Loads the catalogs kept by an earlier run; a file that cannot be read is ignored (the peer sends a new one). */
    synchronized void load() {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "catalog-*.json")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                String peer = name.substring("catalog-".length(), name.length() - ".json".length());
                try {
                    apply(peer, CatalogUpdate.decode(Files.readAllBytes(file)), false);
                } catch (IOException | IllegalArgumentException e) {
                    log.warn("share: ignoring the kept catalog {}: {}", file, e.getMessage());
                }
            }
        } catch (IOException e) {
            log.warn("share: cannot read kept catalogs in {}: {}", dir, e.toString());
        }
    }

    /** Applies an update from {@code peer}; returns whether anything changed. */
    synchronized boolean apply(String peer, CatalogUpdate update) {
        return apply(peer, update, true);
    }

    private boolean apply(String peer, CatalogUpdate update, boolean keep) {
        PeerCatalog catalog = peers.computeIfAbsent(peer, p -> new PeerCatalog());
        boolean changed = false;
        if (update.isFull()) {
            if (update.rev() > catalog.rev) {
                catalog.files.clear();
                update.files().forEach(e -> catalog.files.put(e.path(), e));
                catalog.rev = update.rev();
                changed = true;
            }
        } else if (update.base() == catalog.rev) {
            applyChange(catalog, update);
            changed = true;
        } else if (update.base() > catalog.rev && catalog.pending.size() < MAX_PENDING) {
            catalog.pending.put(update.base(), update);
        }
        CatalogUpdate next;
        while ((next = catalog.pending.remove(catalog.rev)) != null) {
            applyChange(catalog, next);
            changed = true;
        }
        catalog.pending.keySet().removeIf(base -> base < catalog.rev);
        if (changed && keep) {
            keep(peer, catalog);
        }
        return changed;
    }

    private static void applyChange(PeerCatalog catalog, CatalogUpdate change) {
        change.removed().forEach(catalog.files::remove);
        change.files().forEach(e -> catalog.files.put(e.path(), e));
        catalog.rev = change.rev();
    }

    private void keep(String peer, PeerCatalog catalog) {
        Path file = dir.resolve("catalog-" + peer + ".json");
        Path temp = dir.resolve("catalog-" + peer + ".json.tmp");
        try {
            Files.deleteIfExists(temp);
            OwnerOnly.createFileIfMissing(temp);
            Files.write(temp, CatalogUpdate.full(Math.max(catalog.rev, 0), new ArrayList<>(catalog.files.values())).encode());
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            log.warn("share: cannot keep the catalog of {}: {}", peer, e.toString());
        }
    }

    /** The file at {@code path}; when two peers publish the same path, the first peer by id wins. */
    synchronized Optional<Item> find(String path) {
        for (Map.Entry<String, PeerCatalog> peer : peers.entrySet()) {
            CatalogEntry entry = peer.getValue().files.get(path);
            if (entry != null) {
                return Optional.of(new Item(peer.getKey(), entry));
            }
        }
        return Optional.empty();
    }

    /** Every published file, sorted by path. */
    synchronized List<Item> list() {
        Map<String, Item> all = new TreeMap<>();
        for (Map.Entry<String, PeerCatalog> peer : peers.entrySet()) {
            for (CatalogEntry entry : peer.getValue().files.values()) {
                all.putIfAbsent(entry.path(), new Item(peer.getKey(), entry));
            }
        }
        return new ArrayList<>(all.values());
    }

    synchronized int size() {
        return peers.values().stream().mapToInt(p -> p.files.size()).sum();
    }

    synchronized Map<String, Long> revisions() {
        Map<String, Long> revs = new LinkedHashMap<>();
        peers.forEach((peer, catalog) -> revs.put(peer, catalog.rev));
        return revs;
    }
}

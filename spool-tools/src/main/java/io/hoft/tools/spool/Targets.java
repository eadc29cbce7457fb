package io.hoft.tools.spool;

import io.hoft.tools.Main;
import io.hoft.tools.spool.SpoolContext.Folder;
import io.hoft.tools.spool.SpoolContext.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The spool files a command looks at: in the folders and files it was given, or in the node's folders. */
final class Targets {
    /** The files of one folder (or the files named directly that are in it). */
    record Group(Folder folder, List<SpoolEntry> entries) {}

    private Targets() {}

    static List<Group> collect(SpoolContext context, List<Path> paths, Set<Role> defaultRoles, String command) {
        List<Group> groups = new ArrayList<>();
        try {
            if (paths.isEmpty()) {
                if (context.config().isEmpty()) {
                    throw new Main.UsageException("name folders or files to " + command + ", or the node with --config FILE");
                }
                for (Folder folder : context.folders()) {
                    if (defaultRoles.contains(folder.role())) {
                        groups.add(new Group(folder, SpoolEntry.scan(folder.dir(), folder.role() == Role.QUARANTINE)));
                    }
                }
                return groups;
            }
            for (Path path : paths) {
                if (Files.isDirectory(path)) {
                    Folder folder = context.folderOf(path);
                    boolean quarantine = folder.role() == Role.QUARANTINE || path.toAbsolutePath().normalize().endsWith("quarantine");
                    groups.add(new Group(folder, SpoolEntry.scan(path, quarantine)));
                } else if (Files.isRegularFile(path)) {
                    // A link named on the command line is followed (the node itself never follows one in an inbox).
                    Path file = Files.isSymbolicLink(path) ? path.toRealPath() : path;
                    Path parent = file.toAbsolutePath().getParent();
                    groups.add(new Group(context.folderOf(parent), List.of(SpoolEntry.of(file))));
                } else {
                    throw new Main.UsageException(path + " does not exist");
                }
            }
        } catch (IOException e) {
            throw new Main.UsageException("cannot list: " + e.getMessage());
        }
        return groups;
    }

    /** How a folder is named in output: its role for the node, if it has one. */
    static String describe(Folder folder) {
        switch (folder.role()) {
            case OUTBOX:
                return "outbox" + (folder.peer() == null ? "" : " to " + folder.peer());
            case SENT:
                return "sent store, to " + folder.peer();
            case INBOX:
                return "inbox";
            case QUARANTINE:
                return "quarantine";
            default:
                return "folder";
        }
    }

    static int count(List<Group> groups) {
        return groups.stream().mapToInt(g -> g.entries().size()).sum();
    }
}

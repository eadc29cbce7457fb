package io.hoft.transport.channel;

/** How recently a peer was heard from (any verified file counts, heartbeats included). */
public enum LinkState {
    UP("up"),
    LATE("late"),
    DOWN("down");

    private final String wireName;

    LinkState(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    @Override
    public String toString() {
        return wireName;
    }
}

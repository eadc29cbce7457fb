package io.hoft.transport.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hoft.transport.message.SeqRange;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReceiveStateTest {

    @Test
    void inOrderArrivalsOnlyMoveUpTo() {
        ReceiveState state = new ReceiveState();
        for (long seq = 1; seq <= 5; seq++) {
            assertTrue(state.add(seq));
        }
        assertEquals(5, state.upTo());
        assertEquals(List.of(), state.ranges());
    }

    @Test
    void outOfOrderArrivalsFormRangesThatCollapseWhenTheGapFills() {
        ReceiveState state = new ReceiveState();
        state.add(1);
        state.add(3);
        state.add(4);
        state.add(7);
        assertEquals(1, state.upTo());
        assertEquals(List.of(new SeqRange(3, 4), new SeqRange(7, 7)), state.ranges());
        assertEquals(List.of(new SeqRange(2, 2), new SeqRange(5, 6)), state.gaps(7));
        assertEquals(List.of(new SeqRange(2, 2), new SeqRange(5, 6), new SeqRange(8, 9)), state.gaps(9));
        state.add(2);
        assertEquals(4, state.upTo());
        state.add(6);
        state.add(5);
        assertEquals(7, state.upTo());
        assertEquals(List.of(), state.ranges());
    }

    @Test
    void addingTwiceReportsTheDuplicate() {
        ReceiveState state = new ReceiveState();
        assertTrue(state.add(3));
        assertFalse(state.add(3));
        assertTrue(state.add(1));
        assertFalse(state.add(1));
        assertTrue(state.contains(3));
        assertFalse(state.contains(2));
    }

    @Test
    void abandoningBelowAFloorSettlesTheGapAndMergesFollowingRanges() {
        ReceiveState state = new ReceiveState();
        state.add(1);
        state.add(5);
        state.add(6);
        state.add(9);
        state.abandonBelow(5);
        assertEquals(6, state.upTo());
        assertEquals(List.of(new SeqRange(9, 9)), state.ranges());
        state.abandonBelow(3); // a lower floor changes nothing
        assertEquals(6, state.upTo());
    }

    @Test
    void randomArrivalOrderAlwaysEndsFullyCollapsed() {
        Random random = new Random(11);
        for (int round = 0; round < 50; round++) {
            List<Long> seqs = new ArrayList<>();
            for (long s = 1; s <= 300; s++) {
                seqs.add(s);
                if (random.nextInt(4) == 0) {
                    seqs.add(s); // duplicates
                }
            }
            Collections.shuffle(seqs, random);
            ReceiveState state = new ReceiveState();
            seqs.forEach(state::add);
            assertEquals(300, state.upTo());
            assertEquals(List.of(), state.ranges());
        }
    }

    @Test
    void stateRebuiltFromAnAckEqualsTheOriginal() {
        ReceiveState state = new ReceiveState();
        for (long seq : new long[] {1, 2, 4, 5, 9, 12, 13}) {
            state.add(seq);
        }
        var ack = state.toAck(77);
        ReceiveState copy = new ReceiveState(ack.upTo(), ack.ranges());
        for (long seq = 1; seq <= 15; seq++) {
            assertEquals(state.contains(seq), copy.contains(seq), "seq " + seq);
        }
        assertThrows(IllegalArgumentException.class, () -> new ReceiveState(3, List.of(new SeqRange(4, 5))));
    }
}

package io.hoft.transport.spool;

import io.hoft.transport.message.Envelope;
import java.io.InputStream;

/**
 * One frame as it is decoded: its signed description, its parsed meta, and its body as a
 * stream of exactly {@code descriptor.bodyLength()} bytes. The frame's digest (format versions
 * 1 and 2) is checked when the handler returns, and the file's payload digest at its end, so a
 * handler must treat what it reads as provisional until {@link SpoolFile#readFrames} returns
 * normally.
 */
public record DecodedFrame(FrameDescriptor descriptor, Envelope envelope, InputStream body) {}

/**
 * What travels: a {@link io.hoft.transport.message.Message} with a stable {@link
 * io.hoft.transport.message.MessageId}, a {@link io.hoft.transport.message.MessageKind}, typed
 * metadata ({@link io.hoft.transport.message.Envelope}, with its {@link
 * io.hoft.transport.message.HeaderField}s) and a {@link io.hoft.transport.message.Body} of any
 * size, read as a stream; plus {@link io.hoft.transport.message.SeqRange} and the HTTP rules
 * both proxies share ({@link io.hoft.transport.message.HttpFields}). Values are immutable; a
 * body can be read more than once (a resend reads it again) and is never held whole in memory
 * unless it was made from bytes.
 */
package io.hoft.transport.message;

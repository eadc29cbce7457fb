/** What travels: messages with a stable id, typed metadata ({@link io.hoft.transport.message.Envelope}) and a body of any size. */
package io.hoft.transport.message;

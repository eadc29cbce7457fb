/**
 * The front's machinery: the request table and its state machine, the Undertow handlers for
 * proxied calls and for {@code /_hoft/}, caller authentication, routing, body intake, sync
 * waiters, the sweeper and metrics. Nothing here is API; {@link io.hoft.front.FrontNode} wires it.
 */
package io.hoft.front.internal;
